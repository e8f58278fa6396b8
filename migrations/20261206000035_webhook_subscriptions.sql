-- The organisation's own webhooks (DAILY.md, "Events for the organisation's own systems, and
-- notifications"): an administrator subscribes a URL of the organisation's systems (its
-- intranet, its data warehouse) to some event types; every event of those types is queued for
-- it in the webhook outbox, in the transaction that writes the event, and delivered by the same
-- dispatcher as the partners' webhooks: same Standard Webhooks signature (a key derived from the
-- subscription's own salt), same SSRF guard, same retries, delivery log and redelivery.

-- A time-ordered uuid (version 7: milliseconds since 1970, then random bits), as the
-- application makes them, for the rows the database makes itself (the delivery log is read
-- newest first by id).
CREATE FUNCTION relais_uuid_v7() RETURNS uuid
    LANGUAGE sql VOLATILE PARALLEL SAFE
    AS $$
    SELECT encode(
        set_bit(set_bit(
            overlay(uuid_send(gen_random_uuid())
                    PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)
                                               ::bigint) FROM 3)
                    FROM 1 FOR 6),
            52, 1), 53, 1),
        'hex')::uuid
$$;

CREATE TABLE webhook_subscriptions (
    id                uuid PRIMARY KEY,
    org_id            uuid NOT NULL REFERENCES organisations (id),
    -- Checked by the API (https, a public address, no credentials): webhook_target::validate.
    url               text NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
    -- The event types delivered to it: at least one, each once, of the events' own list.
    events            text[] NOT NULL CHECK (
                          cardinality(events) >= 1
                          AND events <@ ARRAY['case.opened', 'case.assigned',
                                              'case.status_changed', 'referral.received',
                                              'referral.expired', 'liaison.acknowledged',
                                              'liaison.declined', 'plan_item.overdue',
                                              'review.due', 'application.decided',
                                              'contact.upcoming']::text[]),
    description       text CHECK (length(description) BETWEEN 1 AND 500),
    -- A disabled subscription gets no new message; its queued ones wait until it is enabled.
    enabled           boolean NOT NULL DEFAULT true,
    -- The signing key is derived from the master key and this salt, never stored.
    secret_salt       bytea NOT NULL CHECK (length(secret_salt) >= 16),
    secret_issued_at  timestamptz NOT NULL DEFAULT now(),
    created_at        timestamptz NOT NULL DEFAULT now(),
    created_by        uuid NOT NULL REFERENCES agents (id),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    version           integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    -- A deleted subscription is kept for its delivery log; nothing is delivered to it any more.
    deleted_at        timestamptz,
    deleted_by        uuid REFERENCES agents (id),
    CONSTRAINT webhook_subscriptions_deleted CHECK ((deleted_at IS NULL) = (deleted_by IS NULL))
);
CREATE INDEX webhook_subscriptions_org_idx ON webhook_subscriptions (org_id, id);
CREATE INDEX webhook_subscriptions_created_by_idx ON webhook_subscriptions (created_by);
CREATE INDEX webhook_subscriptions_deleted_by_idx ON webhook_subscriptions (deleted_by);

-- A message goes to a partner or to a subscription of the organisation.
ALTER TABLE webhook_messages
    ALTER COLUMN partner_id DROP NOT NULL,
    ADD COLUMN subscription_id uuid REFERENCES webhook_subscriptions (id),
    ADD CONSTRAINT webhook_messages_one_owner CHECK (num_nonnulls(partner_id, subscription_id) = 1),
    DROP CONSTRAINT webhook_messages_event_type_check,
    ADD CONSTRAINT webhook_messages_event_type_check CHECK (event_type IN (
        -- A partner's.
        'referral.status_changed', 'liaison.sent', 'liaison.acknowledged', 'referral.outcome',
        -- A subscription's: the events' types.
        'case.opened', 'case.assigned', 'case.status_changed', 'referral.received',
        'referral.expired', 'liaison.declined', 'plan_item.overdue', 'review.due',
        'application.decided', 'contact.upcoming'));
CREATE INDEX webhook_messages_subscription_idx ON webhook_messages (subscription_id);
-- The delivery log of one partner or one subscription, newest first.
CREATE INDEX webhook_messages_owner_idx
    ON webhook_messages ((coalesce(partner_id, subscription_id)), id);

-- Queues each new event for the subscriptions that take its type, in the event's transaction.
-- The payload is the Standard Webhooks structure, with the event's id: the same id as in the
-- change feed.
CREATE FUNCTION relais_events_fan_out() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
BEGIN
    INSERT INTO webhook_messages (id, org_id, subscription_id, event_type, payload, created_at,
                                  next_attempt_at, give_up_at)
    SELECT relais_uuid_v7(), e.org_id, s.id, e.type,
           jsonb_build_object(
               'type', e.type,
               'timestamp', to_char(e.occurred_at AT TIME ZONE 'UTC',
                                    'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               'event_id', e.id,
               'data', e.data),
           now(), now(), now() + interval '3 days'
    FROM new_events e
    JOIN webhook_subscriptions s
      ON s.org_id = e.org_id AND s.enabled AND s.deleted_at IS NULL AND e.type = ANY (s.events)
    ORDER BY e.seq, s.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER events_fan_out AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION relais_events_fan_out();

-- The instants of the events' data are written in UTC whoever writes them (an operator's psql
-- session may have another time zone): the same text in the feed's store and in the webhooks.
ALTER FUNCTION relais_events_cases() SET timezone = 'UTC';
ALTER FUNCTION relais_events_referrals() SET timezone = 'UTC';
ALTER FUNCTION relais_events_liaisons() SET timezone = 'UTC';
ALTER FUNCTION relais_events_applications() SET timezone = 'UTC';

ALTER TABLE webhook_subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_subscriptions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_subscriptions
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());
-- The dispatcher reads the target and the salt across organisations.
CREATE POLICY background_work ON webhook_subscriptions TO relais_worker USING (true)
    WITH CHECK (true);

-- Subscriptions are never deleted, only marked so (their delivery log stays).
GRANT SELECT, INSERT, UPDATE ON webhook_subscriptions TO relais_app;
REVOKE DELETE, TRUNCATE ON webhook_subscriptions FROM relais_app;
GRANT SELECT ON webhook_subscriptions TO relais_worker;
