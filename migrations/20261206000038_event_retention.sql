-- The event log, the agents' notifications and the webhook delivery log follow the audit
-- period of the organisation's retention settings (`audit_months`): they are traces of what
-- happened, identifiers, codes and dates only, kept as long as the audit log and no longer.

-- Each trace kind expires oldest first, one organisation at a time.
CREATE INDEX events_org_time_idx ON events (org_id, occurred_at);
DROP INDEX webhook_messages_org_idx;
CREATE INDEX webhook_messages_org_idx ON webhook_messages (org_id, created_at);

-- Deletes, in the current organisation, at most `batch` events older than `before` (their
-- notifications with them), `batch` notifications of no event (delegations) and `batch`
-- finished webhook deliveries (with their attempts) queued before it; answers how many rows of
-- the three it deleted. A pending delivery stays until it is delivered or given up.
CREATE FUNCTION relais_expire_events(before timestamptz, batch integer) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    events_gone         bigint;
    notifications_gone  bigint;
    deliveries_gone     bigint;
BEGIN
    WITH gone AS (
        DELETE FROM events
        WHERE id IN (SELECT id FROM events
                     WHERE org_id = relais_current_org() AND occurred_at < before
                     ORDER BY occurred_at LIMIT batch)
        RETURNING 1
    )
    SELECT count(*) INTO events_gone FROM gone;

    WITH gone AS (
        DELETE FROM notifications
        WHERE id IN (SELECT id FROM notifications
                     WHERE org_id = relais_current_org() AND created_at < before
                       AND event_id IS NULL
                     ORDER BY created_at LIMIT batch)
        RETURNING 1
    )
    SELECT count(*) INTO notifications_gone FROM gone;

    -- Locked, and checked again as they are deleted: a delivery redelivered meanwhile stays.
    WITH old AS (
        SELECT id FROM webhook_messages
        WHERE org_id = relais_current_org() AND created_at < before AND status <> 'pending'
        ORDER BY created_at LIMIT batch
        FOR UPDATE SKIP LOCKED
    ),
    attempts AS (
        DELETE FROM webhook_attempts WHERE message_id IN (SELECT id FROM old)
    ),
    gone AS (
        DELETE FROM webhook_messages WHERE id IN (SELECT id FROM old) AND status <> 'pending'
        RETURNING 1
    )
    SELECT count(*) INTO deliveries_gone FROM gone;

    RETURN events_gone + notifications_gone + deliveries_gone;
END
$$;

GRANT SELECT, DELETE ON events, notifications, webhook_messages, webhook_attempts
    TO relais_retention;
-- The deliveries are locked as they are deleted (FOR UPDATE needs it).
GRANT UPDATE ON webhook_messages TO relais_retention;
ALTER FUNCTION relais_expire_events(timestamptz, integer) OWNER TO relais_retention;
REVOKE ALL ON FUNCTION relais_expire_events(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION relais_expire_events(timestamptz, integer) TO relais_app;
