-- The agenda at scale (OPERATIONS.md: within twice its time at 10K cases). An agent's agenda
-- gathered the pending steps and planned contacts of every case of their team and sorted them:
-- at a million cases a worker is on 5,000 cases, and the first page read all of them (150 ms).
-- Here each entry of each team member's agenda is a row, in the agenda's order, so that a page is
-- a range of one index whatever the caseload.
--
-- A row per team member and: pending step (planned, in progress, blocked) of an open case, by due
-- date; planned contact (not held) of a case not archived, by its UTC day. The database keeps
-- the rows whoever writes: a case whose team or status changes has its rows written again; a
-- step or contact written has its own rows written again. Either way after locking the case, so
-- that two transactions touching the same case follow one another and the second one sees the
-- first one's rows.
CREATE TABLE agenda_entries (
    org_id    uuid NOT NULL REFERENCES organisations (id),
    agent_id  uuid NOT NULL,
    kind      text NOT NULL CHECK (kind IN ('deadline', 'contact')),
    day       date NOT NULL,
    entry_id  uuid NOT NULL,
    case_id   uuid NOT NULL,
    PRIMARY KEY (org_id, agent_id, kind, day, entry_id)
);
CREATE INDEX agenda_entries_case_idx ON agenda_entries (case_id);
CREATE INDEX agenda_entries_entry_idx ON agenda_entries (entry_id);

-- What the agenda holds, from the steps, contacts, teams and statuses themselves: the one
-- definition that the refresh of a case, the writing of a step or contact and the rebuild select
-- from (a condition on `case_id` or `entry_id` reaches each branch's index). As the invoker, so
-- that the tenant policies of the tables apply to whoever reads it. The statuses are CaseStatus
-- and ItemStatus::PENDING.
CREATE VIEW agenda_entries_due WITH (security_invoker = true) AS
SELECT c.org_id, t.agent_id, 'deadline'::text AS kind, p.due_on AS day, p.id AS entry_id,
       c.id AS case_id
FROM cases c
JOIN case_team t ON t.case_id = c.id
JOIN plan_items p ON p.case_id = c.id
WHERE c.status NOT IN ('closed', 'archived')
  AND p.status IN ('planned', 'in_progress', 'blocked')
UNION ALL
SELECT c.org_id, t.agent_id, 'contact', (k.scheduled_at AT TIME ZONE 'UTC')::date, k.id, c.id
FROM cases c
JOIN case_team t ON t.case_id = c.id
JOIN contacts k ON k.case_id = c.id
WHERE c.status <> 'archived'
  AND k.occurred_at IS NULL
  AND k.scheduled_at IS NOT NULL;

-- Rewrites the agenda rows of the cases `case_ids`, from their current steps, contacts, team and
-- status.
CREATE FUNCTION relais_agenda_refresh(case_ids uuid[]) RETURNS void
    LANGUAGE plpgsql SET search_path = public
    AS $$
BEGIN
    IF case_ids IS NULL OR cardinality(case_ids) = 0 THEN
        RETURN;
    END IF;
    -- A writer of the same cases waits here; its statements then see this one's rows.
    PERFORM 1 FROM cases WHERE id = ANY (case_ids) ORDER BY id FOR NO KEY UPDATE;
    DELETE FROM agenda_entries WHERE case_id = ANY (case_ids);
    INSERT INTO agenda_entries (org_id, agent_id, kind, day, entry_id, case_id)
    SELECT org_id, agent_id, kind, day, entry_id, case_id
    FROM agenda_entries_due WHERE case_id = ANY (case_ids);
END
$$;

-- The cases whose status or team a statement changed: their rows are written again.
CREATE FUNCTION relais_agenda_touched() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    ids uuid[];
BEGIN
    IF TG_TABLE_NAME = 'cases' THEN
        -- Only a change of status moves a case's entries in or out of the agenda.
        SELECT array_agg(n.id ORDER BY n.id) INTO ids
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE o.status IS DISTINCT FROM n.status;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT case_id) INTO ids FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT case_id) INTO ids FROM old_rows;
    ELSE
        SELECT array_agg(DISTINCT x) INTO ids
        FROM (SELECT case_id FROM old_rows UNION SELECT case_id FROM new_rows) AS u(x);
    END IF;
    PERFORM relais_agenda_refresh(ids);
    RETURN NULL;
END
$$;

-- The steps or contacts a statement wrote: their own rows only (a case's other entries stay),
-- so that writing a step costs the same whatever the case's plan. The cases are locked as by a
-- refresh: a change of their team or status and this write follow one another.
CREATE FUNCTION relais_agenda_entries_written() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    ids uuid[];
    case_ids uuid[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(id), array_agg(DISTINCT case_id) INTO ids, case_ids FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(id), array_agg(DISTINCT case_id) INTO ids, case_ids FROM old_rows;
    ELSIF TG_TABLE_NAME = 'plan_items' THEN
        SELECT array_agg(DISTINCT n.id), array_agg(DISTINCT x) INTO ids, case_ids
        FROM old_rows o JOIN new_rows n ON n.id = o.id,
             LATERAL (VALUES (o.case_id), (n.case_id)) AS v(x)
        WHERE (o.status, o.due_on, o.case_id) IS DISTINCT FROM (n.status, n.due_on, n.case_id);
    ELSE
        SELECT array_agg(DISTINCT n.id), array_agg(DISTINCT x) INTO ids, case_ids
        FROM old_rows o JOIN new_rows n ON n.id = o.id,
             LATERAL (VALUES (o.case_id), (n.case_id)) AS v(x)
        WHERE (o.scheduled_at, o.occurred_at, o.case_id)
              IS DISTINCT FROM (n.scheduled_at, n.occurred_at, n.case_id);
    END IF;
    IF ids IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM cases WHERE id = ANY (case_ids) ORDER BY id FOR NO KEY UPDATE;
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM agenda_entries WHERE entry_id = ANY (ids);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO agenda_entries (org_id, agent_id, kind, day, entry_id, case_id)
        SELECT org_id, agent_id, kind, day, entry_id, case_id
        FROM agenda_entries_due WHERE entry_id = ANY (ids);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER cases_agenda_update AFTER UPDATE ON cases
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_agenda_touched();

CREATE TRIGGER case_team_agenda_insert AFTER INSERT ON case_team
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_agenda_touched();
CREATE TRIGGER case_team_agenda_update AFTER UPDATE ON case_team
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_agenda_touched();
CREATE TRIGGER case_team_agenda_delete AFTER DELETE ON case_team
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_agenda_touched();

CREATE TRIGGER plan_items_agenda_insert AFTER INSERT ON plan_items
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_agenda_entries_written();
CREATE TRIGGER plan_items_agenda_update AFTER UPDATE ON plan_items
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_agenda_entries_written();
CREATE TRIGGER plan_items_agenda_delete AFTER DELETE ON plan_items
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_agenda_entries_written();

CREATE TRIGGER contacts_agenda_insert AFTER INSERT ON contacts
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_agenda_entries_written();
CREATE TRIGGER contacts_agenda_update AFTER UPDATE ON contacts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_agenda_entries_written();
CREATE TRIGGER contacts_agenda_delete AFTER DELETE ON contacts
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_agenda_entries_written();

-- Writes every case's entries again: of every organisation for a superuser, of the current one
-- (`relais.org_id`) for anyone else. For the migration below, and for an operator whose writes
-- bypassed the triggers (docs/deployment.md).
CREATE FUNCTION relais_agenda_rebuild() RETURNS void
    LANGUAGE plpgsql SET search_path = public
    AS $$
BEGIN
    -- Writers wait: entries they wrote between the deletion and the insertion would collide.
    LOCK TABLE cases, case_team, plan_items, contacts IN SHARE MODE;
    DELETE FROM agenda_entries;
    INSERT INTO agenda_entries (org_id, agent_id, kind, day, entry_id, case_id)
    SELECT org_id, agent_id, kind, day, entry_id, case_id FROM agenda_entries_due;
END
$$;

-- The entries of the cases already there, read by the owner whom row-level security (FORCE)
-- binds unless it is a superuser: lifted for this transaction.
ALTER TABLE cases NO FORCE ROW LEVEL SECURITY;
ALTER TABLE case_team NO FORCE ROW LEVEL SECURITY;
ALTER TABLE plan_items NO FORCE ROW LEVEL SECURITY;
ALTER TABLE contacts NO FORCE ROW LEVEL SECURITY;
SELECT relais_agenda_rebuild();

ALTER TABLE cases FORCE ROW LEVEL SECURITY;
ALTER TABLE case_team FORCE ROW LEVEL SECURITY;
ALTER TABLE plan_items FORCE ROW LEVEL SECURITY;
ALTER TABLE contacts FORCE ROW LEVEL SECURITY;

ALTER TABLE agenda_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE agenda_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agenda_entries
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());

-- Kept by the triggers only: the application reads the entries.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON agenda_entries FROM relais_app;
REVOKE EXECUTE ON FUNCTION relais_agenda_refresh(uuid[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION relais_agenda_rebuild() FROM PUBLIC;
REVOKE ALL ON agenda_entries_due FROM relais_app;
