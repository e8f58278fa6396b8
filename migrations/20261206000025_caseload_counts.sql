-- The caseload statistics at scale (OPERATIONS.md: 100 ms at a million cases). Counting every
-- case and pending step of an organisation at each request reads all of them (4 s at a million
-- cases), so the database keeps the counts itself, as cases and steps are written, whoever
-- writes them (the application, the retention run, the bench seed).
--
-- One row per organisation, referent (the nil uuid for cases without one), measure and day:
--   - `intake` … `archived`: the cases in that status (day: -infinity);
--   - `open_target`: the open cases whose target end date is `day`;
--   - `pending_due`: the pending steps (planned, in progress, blocked) of open cases due on `day`.
-- A figure "as of today" is the sum of the rows before today: the statuses always count, the
-- cases past their target and the overdue steps are those of the days before. Rows reaching zero
-- are removed, so an organisation has at most a row per referent, measure and day in use.
--
-- The persons who restricted the processing are counted here too: the statistics subtract their
-- cases as they read (few persons, found by index), so lifting a restriction needs no rewrite.
CREATE TABLE caseload_counts (
    org_id       uuid NOT NULL REFERENCES organisations (id),
    referent_id  uuid NOT NULL,
    measure      text NOT NULL CHECK (measure IN ('intake', 'assessment', 'planning', 'active',
                                                  'closed', 'archived', 'open_target',
                                                  'pending_due')),
    day          date NOT NULL,
    n            bigint NOT NULL,
    PRIMARY KEY (org_id, referent_id, measure, day)
);

-- A change to the counts: what the triggers compute from a statement's rows.
CREATE TYPE caseload_delta AS (
    org_id       uuid,
    referent_id  uuid,
    measure      text,
    day          date,
    n            bigint
);

-- Adds the deltas, summed per row first and applied in key order (two transactions adding to
-- the same rows lock them in the same order, never in a cycle), and removes the rows that reach
-- zero.
CREATE FUNCTION relais_caseload_add(deltas caseload_delta[]) RETURNS void
    LANGUAGE plpgsql SET search_path = public
    AS $$
DECLARE
    emptied caseload_delta[];
BEGIN
    IF deltas IS NULL THEN
        RETURN;
    END IF;
    WITH summed AS (
        SELECT d.org_id, coalesce(d.referent_id, '00000000-0000-0000-0000-000000000000') AS referent_id,
               d.measure, coalesce(d.day, '-infinity'::date) AS day, sum(d.n) AS n
        FROM unnest(deltas) AS d
        GROUP BY 1, 2, 3, 4
        HAVING sum(d.n) <> 0
        ORDER BY 1, 2, 3, 4
    ), added AS (
        INSERT INTO caseload_counts AS c (org_id, referent_id, measure, day, n)
        SELECT org_id, referent_id, measure, day, n FROM summed
        ON CONFLICT (org_id, referent_id, measure, day) DO UPDATE SET n = c.n + EXCLUDED.n
        RETURNING c.org_id, c.referent_id, c.measure, c.day, c.n
    )
    SELECT array_agg(ROW(org_id, referent_id, measure, day, 0)::caseload_delta)
    INTO emptied
    FROM added WHERE n = 0;
    IF emptied IS NOT NULL THEN
        DELETE FROM caseload_counts c
        USING unnest(emptied) AS e
        WHERE c.org_id = e.org_id AND c.referent_id = e.referent_id AND c.measure = e.measure
          AND c.day = e.day AND c.n = 0;
    END IF;
END
$$;

-- Cases: a new case counts in its status (and by its target date while open); a case changing
-- referent, status or target date moves its counts, and its pending steps' when it changes
-- referent or opens or closes. Cases are never deleted.
CREATE FUNCTION relais_caseload_cases() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    deltas caseload_delta[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(d) INTO deltas FROM (
            SELECT ROW(org_id, referent_id, status, NULL, 1)::caseload_delta AS d FROM new_cases
            UNION ALL
            SELECT ROW(org_id, referent_id, 'open_target', open_target_on, 1)::caseload_delta
            FROM new_cases WHERE open_target_on IS NOT NULL
        ) AS x;
    ELSE
        WITH changed AS (
            SELECT n.id, n.org_id,
                   o.referent_id AS old_referent, o.status AS old_status,
                   o.open_target_on AS old_target, o.status NOT IN ('closed', 'archived') AS was_open,
                   n.referent_id AS new_referent, n.status AS new_status,
                   n.open_target_on AS new_target, n.status NOT IN ('closed', 'archived') AS is_open
            FROM old_cases o JOIN new_cases n ON n.id = o.id
            WHERE (o.referent_id, o.status, o.target_end_on)
                  IS DISTINCT FROM (n.referent_id, n.status, n.target_end_on)
        )
        SELECT array_agg(d) INTO deltas FROM (
            SELECT ROW(org_id, old_referent, old_status, NULL, -1)::caseload_delta AS d FROM changed
            UNION ALL
            SELECT ROW(org_id, new_referent, new_status, NULL, 1)::caseload_delta FROM changed
            UNION ALL
            SELECT ROW(org_id, old_referent, 'open_target', old_target, -1)::caseload_delta
            FROM changed WHERE old_target IS NOT NULL
            UNION ALL
            SELECT ROW(org_id, new_referent, 'open_target', new_target, 1)::caseload_delta
            FROM changed WHERE new_target IS NOT NULL
            UNION ALL
            SELECT ROW(ch.org_id, ch.old_referent, 'pending_due', p.due_on, -1)::caseload_delta
            FROM changed ch JOIN plan_items p ON p.case_id = ch.id
            WHERE ch.was_open AND p.status IN ('planned', 'in_progress', 'blocked')
              AND (ch.old_referent IS DISTINCT FROM ch.new_referent OR NOT ch.is_open)
            UNION ALL
            SELECT ROW(ch.org_id, ch.new_referent, 'pending_due', p.due_on, 1)::caseload_delta
            FROM changed ch JOIN plan_items p ON p.case_id = ch.id
            WHERE ch.is_open AND p.status IN ('planned', 'in_progress', 'blocked')
              AND (ch.old_referent IS DISTINCT FROM ch.new_referent OR NOT ch.was_open)
        ) AS x;
    END IF;
    PERFORM relais_caseload_add(deltas);
    RETURN NULL;
END
$$;

CREATE TRIGGER cases_caseload_insert AFTER INSERT ON cases
    REFERENCING NEW TABLE AS new_cases
    FOR EACH STATEMENT EXECUTE FUNCTION relais_caseload_cases();
CREATE TRIGGER cases_caseload_update AFTER UPDATE ON cases
    REFERENCING OLD TABLE AS old_cases NEW TABLE AS new_cases
    FOR EACH STATEMENT EXECUTE FUNCTION relais_caseload_cases();

-- Plan items: a pending step of an open case counts by its due date under the case's referent.
-- The cases are read after a share lock on them: a transaction moving a case (its referent, its
-- status) and one writing its steps then follow one another, so neither misses the other's rows.
CREATE FUNCTION relais_caseload_plan_items() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    deltas caseload_delta[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM 1 FROM cases WHERE id IN (SELECT case_id FROM new_items) ORDER BY id FOR SHARE;
        SELECT array_agg(ROW(c.org_id, c.referent_id, 'pending_due', i.due_on, 1)::caseload_delta)
        INTO deltas
        FROM new_items i JOIN cases c ON c.id = i.case_id
        WHERE i.status IN ('planned', 'in_progress', 'blocked')
          AND c.status NOT IN ('closed', 'archived');
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM 1 FROM cases WHERE id IN (SELECT case_id FROM old_items) ORDER BY id FOR SHARE;
        SELECT array_agg(ROW(c.org_id, c.referent_id, 'pending_due', i.due_on, -1)::caseload_delta)
        INTO deltas
        FROM old_items i JOIN cases c ON c.id = i.case_id
        WHERE i.status IN ('planned', 'in_progress', 'blocked')
          AND c.status NOT IN ('closed', 'archived');
    ELSE
        PERFORM 1 FROM cases
        WHERE id IN (SELECT o.case_id FROM old_items o JOIN new_items n ON n.id = o.id
                      WHERE (o.status, o.due_on, o.case_id)
                            IS DISTINCT FROM (n.status, n.due_on, n.case_id)
                     UNION
                     SELECT n.case_id FROM old_items o JOIN new_items n ON n.id = o.id
                      WHERE o.case_id <> n.case_id)
        ORDER BY id FOR SHARE;
        SELECT array_agg(d) INTO deltas FROM (
            SELECT ROW(c.org_id, c.referent_id, 'pending_due', o.due_on, -1)::caseload_delta AS d
            FROM old_items o JOIN new_items n ON n.id = o.id JOIN cases c ON c.id = o.case_id
            WHERE (o.status, o.due_on, o.case_id) IS DISTINCT FROM (n.status, n.due_on, n.case_id)
              AND o.status IN ('planned', 'in_progress', 'blocked')
              AND c.status NOT IN ('closed', 'archived')
            UNION ALL
            SELECT ROW(c.org_id, c.referent_id, 'pending_due', n.due_on, 1)::caseload_delta
            FROM old_items o JOIN new_items n ON n.id = o.id JOIN cases c ON c.id = n.case_id
            WHERE (o.status, o.due_on, o.case_id) IS DISTINCT FROM (n.status, n.due_on, n.case_id)
              AND n.status IN ('planned', 'in_progress', 'blocked')
              AND c.status NOT IN ('closed', 'archived')
        ) AS x;
    END IF;
    PERFORM relais_caseload_add(deltas);
    RETURN NULL;
END
$$;

CREATE TRIGGER plan_items_caseload_insert AFTER INSERT ON plan_items
    REFERENCING NEW TABLE AS new_items
    FOR EACH STATEMENT EXECUTE FUNCTION relais_caseload_plan_items();
CREATE TRIGGER plan_items_caseload_update AFTER UPDATE ON plan_items
    REFERENCING OLD TABLE AS old_items NEW TABLE AS new_items
    FOR EACH STATEMENT EXECUTE FUNCTION relais_caseload_plan_items();
CREATE TRIGGER plan_items_caseload_delete AFTER DELETE ON plan_items
    REFERENCING OLD TABLE AS old_items
    FOR EACH STATEMENT EXECUTE FUNCTION relais_caseload_plan_items();

-- Counts every case and step again, in place of the kept counts: of every organisation for a
-- superuser, of the current one (`relais.org_id`) for anyone else. For the migration below, and
-- for an operator whose writes bypassed the triggers (docs/deployment.md).
CREATE FUNCTION relais_caseload_rebuild() RETURNS void
    LANGUAGE plpgsql SET search_path = public
    AS $$
BEGIN
    -- Writers wait: a count they added between the deletion and the recount would be added twice.
    LOCK TABLE cases, plan_items IN SHARE MODE;
    DELETE FROM caseload_counts;
    PERFORM relais_caseload_add(array_agg(d)) FROM (
        SELECT ROW(org_id, referent_id, status, NULL, count(*))::caseload_delta AS d
        FROM cases GROUP BY org_id, referent_id, status
        UNION ALL
        SELECT ROW(org_id, referent_id, 'open_target', open_target_on, count(*))::caseload_delta
        FROM cases WHERE open_target_on IS NOT NULL GROUP BY org_id, referent_id, open_target_on
        UNION ALL
        SELECT ROW(c.org_id, c.referent_id, 'pending_due', p.due_on, count(*))::caseload_delta
        FROM cases c JOIN plan_items p ON p.case_id = c.id
        WHERE c.status NOT IN ('closed', 'archived')
          AND p.status IN ('planned', 'in_progress', 'blocked')
        GROUP BY c.org_id, c.referent_id, p.due_on
    ) AS x;
END
$$;

-- The counts of the cases already there. As the tables' owner, which row-level security binds
-- too (FORCE) unless it is a superuser: lifted for this transaction, so that a migration run by
-- a plain owner reads every organisation's rows.
ALTER TABLE cases NO FORCE ROW LEVEL SECURITY;
ALTER TABLE plan_items NO FORCE ROW LEVEL SECURITY;
SELECT relais_caseload_rebuild();

-- The same reason left the person search of migration 23 without the words of the persons
-- already there when a plain owner ran it: written now for the persons who have none.
ALTER TABLE persons NO FORCE ROW LEVEL SECURITY;
ALTER TABLE person_name_words NO FORCE ROW LEVEL SECURITY;
INSERT INTO person_name_words (org_id, person_id, word)
SELECT DISTINCT p.org_id, p.id, w
FROM persons p, unnest(string_to_array(p.search_name, ' ')) AS w
WHERE w <> ''
  AND NOT EXISTS (SELECT 1 FROM person_name_words x WHERE x.person_id = p.id);

ALTER TABLE cases FORCE ROW LEVEL SECURITY;
ALTER TABLE plan_items FORCE ROW LEVEL SECURITY;
ALTER TABLE persons FORCE ROW LEVEL SECURITY;
ALTER TABLE person_name_words FORCE ROW LEVEL SECURITY;

ALTER TABLE caseload_counts ENABLE ROW LEVEL SECURITY;
ALTER TABLE caseload_counts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON caseload_counts
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());

-- Kept by the triggers only: the application reads the counts.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON caseload_counts FROM relais_app;
REVOKE EXECUTE ON FUNCTION relais_caseload_add(caseload_delta[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION relais_caseload_rebuild() FROM PUBLIC;
