-- Agents' notifications (DAILY.md, "Events for the organisation's own systems, and
-- notifications"): a referral arrived in the inbox (reception, supervisors), a case was assigned
-- to me or I was delegated on an absent colleague's cases, a liaison sheet I sent was answered, a
-- step of my cases became overdue, a review of my cases is due, an application of my cases was
-- decided. Each is written by the database in the transaction of its event, with the event's
-- identifiers, codes and dates; the agent reads them (`GET /v1/me/notifications`) and marks them
-- read.

CREATE TABLE notifications (
    id          uuid PRIMARY KEY DEFAULT relais_uuid_v7(),
    org_id      uuid NOT NULL REFERENCES organisations (id),
    agent_id    uuid NOT NULL REFERENCES agents (id),
    kind        text NOT NULL CHECK (kind IN (
                    'referral.received', 'case.assigned', 'absence.delegated',
                    'liaison.acknowledged', 'liaison.declined', 'plan_item.overdue',
                    'review.due', 'application.decided')),
    -- The event it reports (none for a delegation, which is no event of the feed); it goes
    -- with its event when the event log is trimmed.
    event_id    uuid REFERENCES events (id) ON DELETE CASCADE,
    -- The record it is about (a referral, case, absence, liaison, step or application) and
    -- its case when it has one. No foreign keys, as for the events.
    subject_id  uuid NOT NULL,
    case_id     uuid,
    -- Identifiers, codes and dates only: the event's `data`.
    data        jsonb NOT NULL CHECK (jsonb_typeof(data) = 'object'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    read_at     timestamptz
);
-- An agent's notifications, newest first, and the unread ones.
CREATE INDEX notifications_agent_idx ON notifications (agent_id, id);
CREATE INDEX notifications_unread_idx ON notifications (agent_id, id) WHERE read_at IS NULL;
CREATE INDEX notifications_event_idx ON notifications (event_id);
-- The organisation's notifications by age (their retention).
CREATE INDEX notifications_org_idx ON notifications (org_id, created_at);
-- A delegate is told once per absence, however many cases it covers and whenever they join.
CREATE UNIQUE INDEX notifications_delegation_idx ON notifications (agent_id, subject_id)
    WHERE kind = 'absence.delegated';

-- Whom each new event concerns: the recipients are active agents of its organisation.
CREATE FUNCTION relais_events_notify() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
BEGIN
    -- The cases opened by the statement: read once, then probed by hash (a transition table
    -- has no index: a scan per event would be quadratic in a bulk import).
    WITH opened AS MATERIALIZED (
        SELECT case_id FROM new_events WHERE type = 'case.opened'
    )
    INSERT INTO notifications (org_id, agent_id, kind, event_id, subject_id, case_id, data,
                               created_at)
    SELECT e.org_id, a.id, e.type, e.id, e.subject_id, e.case_id, e.data, e.occurred_at
    FROM new_events e
    CROSS JOIN LATERAL (
        -- The inbox: reception and supervisors.
        SELECT i.id AS agent_id
          FROM agents i
         WHERE e.type = 'referral.received' AND i.org_id = e.org_id
           AND i.roles && ARRAY['reception', 'supervisor']
        UNION
        -- The new referent, unless they opened the case for themselves (an assignment written
        -- with the case's opening, the case created by its referent).
        SELECT (e.data ->> 'referent_id')::uuid
         WHERE e.type = 'case.assigned'
           AND NOT (e.case_id IN (SELECT case_id FROM opened)
                    AND EXISTS (SELECT 1 FROM cases c
                                 WHERE c.id = e.case_id
                                   AND c.created_by = (e.data ->> 'referent_id')::uuid))
        UNION
        -- Who sent the liaison sheet.
        SELECT (e.data ->> 'sent_by')::uuid
         WHERE e.type IN ('liaison.acknowledged', 'liaison.declined') AND e.data ? 'sent_by'
        UNION
        -- The case's referent.
        SELECT c.referent_id
          FROM cases c
         WHERE e.type IN ('plan_item.overdue', 'review.due', 'application.decided')
           AND c.id = e.case_id AND c.referent_id IS NOT NULL
    ) AS r
    JOIN agents a ON a.id = r.agent_id AND a.org_id = e.org_id AND a.active
    ORDER BY e.seq, a.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER events_notify AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION relais_events_notify();

-- A delegate joins the team of an absent colleague's cases: told once per absence.
CREATE FUNCTION relais_delegations_notify() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
BEGIN
    INSERT INTO notifications (org_id, agent_id, kind, subject_id, data)
    SELECT DISTINCT ON (b.id) b.org_id, b.delegate_id, 'absence.delegated', b.id,
           jsonb_build_object('absence_id', b.id, 'absent_agent_id', b.agent_id,
                              'starts_on', b.starts_on, 'ends_on', b.ends_on)
      FROM new_rows n
      JOIN agent_absences b ON b.id = n.absence_id
     WHERE n.absence_id IS NOT NULL
     ORDER BY b.id
    ON CONFLICT (agent_id, subject_id) WHERE kind = 'absence.delegated' DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER case_team_delegations_notify AFTER INSERT ON case_team
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_delegations_notify();

ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE notifications FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON notifications
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());

-- Written by the triggers; the application reads them and sets the read mark only (the
-- default privileges gave it every column: taken back first).
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON notifications FROM relais_app;
GRANT SELECT ON notifications TO relais_app;
GRANT UPDATE (read_at) ON notifications TO relais_app;
