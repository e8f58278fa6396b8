-- Partner organisations and the webhook outbox.
--
-- A partner (CAF, hospital, association, another social service…) is registered by an
-- organisation's admin. It gets OAuth 2.0 client credentials: the client secret is stored as its
-- SHA-256 (it is 256 random bits, so a slow hash adds nothing), and tokens issued before the last
-- rotation (`credentials_issued_at`) are refused. The webhook signing secret is never stored: it
-- is derived from the service's master key and `webhook_secret_salt`, so the database alone
-- holds no secret.
--
-- The outbox (`webhook_messages`) is written in the same transaction as the change it reports;
-- a background dispatcher delivers it and logs every attempt (`webhook_attempts`). Payloads carry
-- identifiers and statuses only, never personal data: the partner reads the record itself through
-- the API with its token, and that read is audited.
--
-- Background work (the dispatcher, the referral expiry sweep, the token endpoint's client lookup)
-- runs across organisations as the non-login role `relais_worker`, which has its own policies
-- and only the privileges that work needs.

ALTER TABLE organisations
    ADD COLUMN referral_expiry_days integer NOT NULL DEFAULT 30
        CHECK (referral_expiry_days BETWEEN 1 AND 365);

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'relais_worker') THEN
        CREATE ROLE relais_worker NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE format('GRANT relais_worker TO %I', current_user);
    END IF;
EXCEPTION WHEN duplicate_object OR insufficient_privilege THEN
    NULL;
END
$$;

GRANT USAGE ON SCHEMA public TO relais_worker;
GRANT SELECT ON organisations TO relais_worker;

CREATE TABLE partners (
    id                      uuid PRIMARY KEY,
    org_id                  uuid NOT NULL REFERENCES organisations (id),
    name                    text NOT NULL CHECK (length(name) BETWEEN 1 AND 200 AND btrim(name) <> ''),
    siret                   text CHECK (siret ~ '^[0-9]{14}$'),
    contact_name            text CHECK (length(contact_name) BETWEEN 1 AND 200),
    contact_email           text CHECK (length(contact_email) BETWEEN 3 AND 254),
    contact_phone           text CHECK (length(contact_phone) BETWEEN 3 AND 30),
    webhook_url             text CHECK (length(webhook_url) BETWEEN 8 AND 2000),
    enabled                 boolean NOT NULL DEFAULT true,
    client_id               text NOT NULL UNIQUE CHECK (length(client_id) BETWEEN 8 AND 100),
    client_secret_sha256    bytea NOT NULL CHECK (length(client_secret_sha256) = 32),
    credentials_issued_at   timestamptz NOT NULL DEFAULT now(),
    webhook_secret_salt     bytea NOT NULL CHECK (length(webhook_secret_salt) >= 16),
    created_at              timestamptz NOT NULL DEFAULT now(),
    created_by              uuid NOT NULL REFERENCES agents (id),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    version                 integer NOT NULL DEFAULT 1 CHECK (version >= 1)
);
CREATE INDEX partners_org_idx ON partners (org_id, id);
CREATE INDEX partners_created_by_idx ON partners (created_by);

-- Liaisons addressed to a registered partner now point at it (the partial index of the
-- liaisons migration cannot serve the foreign key: a full one replaces it).
DROP INDEX liaisons_partner_idx;
CREATE INDEX liaisons_partner_idx ON liaisons (destination_partner_id);
ALTER TABLE liaisons
    ADD CONSTRAINT liaisons_destination_partner_fkey
    FOREIGN KEY (destination_partner_id) REFERENCES partners (id);

CREATE TABLE webhook_messages (
    id               uuid PRIMARY KEY,
    org_id           uuid NOT NULL REFERENCES organisations (id),
    partner_id       uuid NOT NULL REFERENCES partners (id),
    event_type       text NOT NULL CHECK (event_type IN ('referral.status_changed', 'liaison.sent',
                                                         'liaison.acknowledged')),
    -- The Standard Webhooks payload: {type, timestamp, data}.
    payload          jsonb NOT NULL,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- When the dispatcher may take it next; a claimed message is pushed forward by the lease,
    -- so a dispatcher that dies mid-delivery leaves it to another one when the lease ends.
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    -- Retries stop after this (3 days after creation or after a manual redelivery).
    give_up_at       timestamptz NOT NULL DEFAULT now() + interval '3 days',
    last_attempt_at  timestamptz,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_messages_delivered CHECK ((status = 'delivered') = (delivered_at IS NOT NULL))
);
CREATE INDEX webhook_messages_due_idx ON webhook_messages (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_messages_partner_idx ON webhook_messages (partner_id, id);
CREATE INDEX webhook_messages_org_idx ON webhook_messages (org_id);

CREATE TABLE webhook_attempts (
    id                uuid PRIMARY KEY,
    org_id            uuid NOT NULL REFERENCES organisations (id),
    message_id        uuid NOT NULL REFERENCES webhook_messages (id),
    attempt           integer NOT NULL CHECK (attempt >= 1),
    started_at        timestamptz NOT NULL,
    latency_ms        integer NOT NULL CHECK (latency_ms >= 0),
    -- The HTTP status, or NULL when no answer came (timeout, refused connection…).
    status_code       integer CHECK (status_code BETWEEN 100 AND 599),
    succeeded         boolean NOT NULL,
    error             text CHECK (length(error) <= 500),
    response_excerpt  text CHECK (length(response_excerpt) <= 1000),
    -- One row per attempt number: two dispatchers can never both record the same attempt.
    UNIQUE (message_id, attempt)
);
CREATE INDEX webhook_attempts_org_idx ON webhook_attempts (org_id);

-- The delivery log is a record: attempts are never changed or deleted by the application.
GRANT SELECT, INSERT, UPDATE ON partners TO relais_app;
REVOKE DELETE, TRUNCATE ON partners FROM relais_app;
GRANT SELECT, INSERT, UPDATE ON webhook_messages TO relais_app;
REVOKE DELETE, TRUNCATE ON webhook_messages FROM relais_app;
GRANT SELECT, INSERT ON webhook_attempts TO relais_app;
REVOKE UPDATE, DELETE, TRUNCATE ON webhook_attempts FROM relais_app;

GRANT SELECT ON partners TO relais_worker;
GRANT SELECT, UPDATE ON webhook_messages TO relais_worker;
GRANT SELECT, INSERT ON webhook_attempts TO relais_worker;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['partners', 'webhook_messages', 'webhook_attempts']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (org_id = relais_current_org()) '
            'WITH CHECK (org_id = relais_current_org())', t);
        -- The background role works across organisations, within its grants (listed and
        -- guarded by tests/tests/schema.rs).
        EXECUTE format('CREATE POLICY background_work ON %I TO relais_worker USING (true) '
                       'WITH CHECK (true)', t);
    END LOOP;
END
$$;
