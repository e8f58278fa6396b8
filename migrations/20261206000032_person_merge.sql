-- Merging two records of the same person (issue 15): `POST /v1/persons/{id}/merge`.
--
-- The application moves what it may move itself (cases, consents, referrals, restrictions, the
-- household's and the budget's rows) with set-based statements. Two helpers:
--
-- - relais_person_rows: the rows of a person in tables keyed by (person_id, …, position) — the
--   lines of a household or a budget — read as one JSON document, and optionally moved to another
--   person or deleted. It runs with the caller's rights (and so under the tenant policy): it
--   only spares the caller one statement per table, so that one more table of a budget is one
--   more name in the list the caller gives (`relais_store::merge::BUDGET_PARTS`).
-- - relais_move_person_history: the rectification history is append-only for the application
--   (migration 18), but a merge must hand the duplicate's history to the kept record, where the
--   right of access and the rectification history find it. This function, owned by the
--   retention role (which may already update the history), moves only the history of a record
--   already merged into the target (`persons.merged_into`), of the current organisation: the
--   application still cannot rewrite or reassign any other history.

CREATE FUNCTION relais_person_rows(parts text[], person uuid, action text,
                                   target uuid DEFAULT NULL) RETURNS jsonb
    LANGUAGE plpgsql SET search_path = public
    AS $$
DECLARE
    part text;
    found jsonb;
    all_rows jsonb := '{}';
BEGIN
    IF action NOT IN ('read', 'move', 'drop') OR (action = 'move') <> (target IS NOT NULL) THEN
        RAISE EXCEPTION 'relais_person_rows: % needs a target only to move', action;
    END IF;
    FOREACH part IN ARRAY parts LOOP
        EXECUTE format(
            'SELECT jsonb_agg(to_jsonb(t) - ''person_id'' - ''org_id'' '
            'ORDER BY to_jsonb(t) ->> ''side'', t.position) FROM %I t WHERE t.person_id = $1',
            part)
            INTO found USING person;
        CONTINUE WHEN found IS NULL;
        all_rows := all_rows || jsonb_build_object(part, found);
        IF action = 'move' THEN
            EXECUTE format('UPDATE %I SET person_id = $1 WHERE person_id = $2', part)
                USING target, person;
        ELSIF action = 'drop' THEN
            EXECUTE format('DELETE FROM %I WHERE person_id = $1', part) USING person;
        END IF;
    END LOOP;
    RETURN all_rows;
END
$$;

REVOKE ALL ON FUNCTION relais_person_rows(text[], uuid, text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION relais_person_rows(text[], uuid, text, uuid) TO relais_app;

CREATE FUNCTION relais_move_person_history(duplicate uuid, kept uuid) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    moved bigint;
BEGIN
    UPDATE person_history h
    SET person_id = kept
    WHERE h.person_id = duplicate
      AND EXISTS (SELECT 1 FROM persons p
                  WHERE p.id = duplicate AND p.merged_into = kept
                    AND p.org_id = relais_current_org());
    GET DIAGNOSTICS moved = ROW_COUNT;
    RETURN moved;
END
$$;

ALTER FUNCTION relais_move_person_history(uuid, uuid) OWNER TO relais_retention;
REVOKE ALL ON FUNCTION relais_move_person_history(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION relais_move_person_history(uuid, uuid) TO relais_app;
