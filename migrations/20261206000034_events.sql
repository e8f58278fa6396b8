-- Events for the organisation's own systems (DAILY.md, "Events for the organisation's own
-- systems, and notifications"): what happened to its cases, referrals, liaisons and
-- applications, as identifiers, codes and dates (never a name or a free text), in one durable
-- log that the change feed (`GET /v1/events`) reads in order.
--
-- The events are written by triggers on the records, in the transaction of the change, whoever
-- makes it (a request, the import, the referral expiry, the retention run): a change and its
-- event commit together or not at all. The application only reads them.
--
-- The feed's order. Events are ordered by their transaction (`tx`, the 64-bit transaction id)
-- and their place in it (`seq`). A transaction's id is given when it starts writing, and
-- transactions commit in another order, so a reader only sees the events of transactions older
-- than every transaction still running (`tx < pg_snapshot_xmin(pg_current_snapshot())`): once
-- a cursor has passed a position, no event can commit before it any more. Nothing is skipped or
-- repeated; a long transaction holds the feed back until it ends. The transaction ids survive a
-- physical backup, a replica's promotion and a restart, not a logical dump restored into another
-- cluster (docs/deployment.md).

CREATE TABLE events (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id       uuid NOT NULL REFERENCES organisations (id),
    tx           xid8 NOT NULL DEFAULT pg_current_xact_id(),
    seq          bigint GENERATED ALWAYS AS IDENTITY,
    type         text NOT NULL CHECK (type IN (
                     'case.opened', 'case.assigned', 'case.status_changed', 'referral.received',
                     'referral.expired', 'liaison.acknowledged', 'liaison.declined',
                     'plan_item.overdue', 'review.due', 'application.decided',
                     'contact.upcoming')),
    occurred_at  timestamptz NOT NULL DEFAULT statement_timestamp(),
    -- The record the event is about (a case, referral, liaison, step, application or contact),
    -- and its case when it has one. No foreign keys: a step can be deleted, its events stay.
    subject_id   uuid NOT NULL,
    case_id      uuid,
    -- Identifiers, codes and dates only: the `data` of the feed and of the webhooks.
    data         jsonb NOT NULL CHECK (jsonb_typeof(data) = 'object')
);
-- The feed: an organisation's events in order, from a position on.
CREATE INDEX events_feed_idx ON events (org_id, tx, seq);
-- The feed of some types: one ordered range per type.
CREATE INDEX events_type_idx ON events (org_id, type, tx, seq);

-- Writes the events of a statement: (org, type, subject, case, data) rows, in their order
-- (none for an empty or NULL array).
CREATE TYPE event_row AS (
    org_id      uuid,
    type        text,
    subject_id  uuid,
    case_id     uuid,
    data        jsonb
);

CREATE FUNCTION relais_emit(rows event_row[]) RETURNS void
    LANGUAGE plpgsql SET search_path = public
    AS $$
BEGIN
    -- Most statements change nothing an event reports: no insert then, so that nothing
    -- runs for it.
    IF cardinality(rows) > 0 THEN
        INSERT INTO events (org_id, type, subject_id, case_id, data)
        SELECT r.org_id, r.type, r.subject_id, r.case_id, jsonb_strip_nulls(r.data)
        FROM unnest(rows) WITH ORDINALITY AS r (org_id, type, subject_id, case_id, data, n)
        ORDER BY r.n;
    END IF;
END
$$;

-- Cases: opened (and assigned when it has a referent), assigned to another referent, moved to
-- another status.
CREATE FUNCTION relais_events_cases() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    rows event_row[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(x.ev ORDER BY n.id, x.ord) INTO rows
        FROM new_rows n
        CROSS JOIN LATERAL (
            SELECT ROW(n.org_id, 'case.opened', n.id, n.id, jsonb_build_object(
                       'case_id', n.id, 'person_id', n.person_id, 'status', n.status,
                       'origin', n.origin, 'referent_id', n.referent_id,
                       'opened_on', n.opened_on, 'target_end_on', n.target_end_on))::event_row
                   AS ev, 1 AS ord
            UNION ALL
            SELECT ROW(n.org_id, 'case.assigned', n.id, n.id, jsonb_build_object(
                       'case_id', n.id, 'referent_id', n.referent_id))::event_row, 2
            WHERE n.referent_id IS NOT NULL
        ) AS x;
    ELSE
        SELECT array_agg(x.ev ORDER BY n.id, x.ord) INTO rows
        FROM new_rows n
        JOIN old_rows o ON o.id = n.id
        CROSS JOIN LATERAL (
            SELECT ROW(n.org_id, 'case.status_changed', n.id, n.id, jsonb_build_object(
                       'case_id', n.id, 'status', n.status, 'previous_status', o.status,
                       'closure_reason', CASE WHEN n.status = 'closed' THEN n.closure_reason END,
                       'review_due_on', CASE WHEN n.status = 'closed' THEN n.review_due_on END))
                       ::event_row AS ev, 1 AS ord
            WHERE n.status IS DISTINCT FROM o.status
            UNION ALL
            SELECT ROW(n.org_id, 'case.assigned', n.id, n.id, jsonb_build_object(
                       'case_id', n.id, 'referent_id', n.referent_id,
                       'previous_referent_id', o.referent_id))::event_row, 2
            WHERE n.referent_id IS DISTINCT FROM o.referent_id AND n.referent_id IS NOT NULL
        ) AS x;
    END IF;
    PERFORM relais_emit(rows);
    RETURN NULL;
END
$$;

CREATE TRIGGER cases_events_insert AFTER INSERT ON cases
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_events_cases();
CREATE TRIGGER cases_events_update AFTER UPDATE ON cases
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_events_cases();

-- Referrals: received from a partner; expired unanswered.
CREATE FUNCTION relais_events_referrals() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM relais_emit(ARRAY(
            SELECT ROW(n.org_id, 'referral.received', n.id, NULL, jsonb_build_object(
                       'referral_id', n.id, 'partner_id', n.partner_id, 'urgency', n.urgency,
                       'domains', to_jsonb(n.domains), 'received_at', n.received_at,
                       'expires_at', n.expires_at))::event_row
            FROM new_rows n
            ORDER BY n.id));
    ELSE
        PERFORM relais_emit(ARRAY(
            SELECT ROW(n.org_id, 'referral.expired', n.id, NULL, jsonb_build_object(
                       'referral_id', n.id, 'partner_id', n.partner_id,
                       'expired_at', n.decided_at))::event_row
            FROM new_rows n
            JOIN old_rows o ON o.id = n.id
            WHERE n.status = 'expired' AND o.status IS DISTINCT FROM 'expired'
            ORDER BY n.id));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER referrals_events_insert AFTER INSERT ON referrals
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_events_referrals();
CREATE TRIGGER referrals_events_update AFTER UPDATE ON referrals
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_events_referrals();

-- Liaison sheets: acknowledged or declined by their destination.
CREATE FUNCTION relais_events_liaisons() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
BEGIN
    PERFORM relais_emit(ARRAY(
        SELECT ROW(n.org_id, 'liaison.' || n.status, n.id, n.case_id, jsonb_build_object(
                   'liaison_id', n.id, 'case_id', n.case_id,
                   'partner_id', n.destination_partner_id, 'status', n.status,
                   'sent_by', n.sent_by, 'answered_at', n.answered_at))::event_row
        FROM new_rows n
        JOIN old_rows o ON o.id = n.id
        WHERE n.status IN ('acknowledged', 'declined') AND n.status IS DISTINCT FROM o.status
        ORDER BY n.id));
    RETURN NULL;
END
$$;

CREATE TRIGGER liaisons_events_update AFTER UPDATE ON liaisons
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_events_liaisons();

-- Applications: decided (granted, partially granted or refused).
CREATE FUNCTION relais_events_applications() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
BEGIN
    PERFORM relais_emit(ARRAY(
        SELECT ROW(n.org_id, 'application.decided', n.id, n.case_id, jsonb_build_object(
                   'application_id', n.id, 'case_id', n.case_id, 'scheme_id', n.scheme_id,
                   'decision', n.decision, 'decided_on', n.decided_on,
                   'amount_granted_cents', n.amount_granted_cents))::event_row
        FROM new_rows n
        JOIN old_rows o ON o.id = n.id
        WHERE n.status = 'decided' AND o.status IS DISTINCT FROM 'decided'
        ORDER BY n.id));
    RETURN NULL;
END
$$;

CREATE TRIGGER applications_events_update AFTER UPDATE ON applications
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_events_applications();

ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON events
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());

-- Written by the triggers only: the application reads the feed.
GRANT SELECT ON events TO relais_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON events FROM relais_app;
REVOKE EXECUTE ON FUNCTION relais_emit(event_row[]) FROM PUBLIC;
