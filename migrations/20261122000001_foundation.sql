-- Foundation: organisations, agents, persons, consents, cases, audit, idempotency.
--
-- Tenancy: every tenant-owned table carries org_id, and a row-level security policy restricts
-- it to the organisation set for the current transaction (`relais.org_id`). The application
-- switches to the non-login role `relais_app` in every tenant transaction, so the policies apply
-- even when the connecting user owns the tables or is a superuser.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'relais_app') THEN
        CREATE ROLE relais_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    -- Another database of the same cluster created it concurrently.
    NULL;
END
$$;

DO $$
BEGIN
    -- A superuser may SET ROLE to any role; an ordinary owner needs membership.
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE format('GRANT relais_app TO %I', current_user);
    END IF;
EXCEPTION WHEN duplicate_object OR insufficient_privilege THEN
    NULL;
END
$$;

GRANT USAGE ON SCHEMA public TO relais_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO relais_app;

-- The organisation of the current transaction, or NULL when none is set.
CREATE FUNCTION relais_current_org() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('relais.org_id', true), '')::uuid $$;

CREATE TABLE organisations (
    id                  uuid PRIMARY KEY,
    slug                text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    case_target_months  integer NOT NULL DEFAULT 6 CHECK (case_target_months BETWEEN 1 AND 60),
    review_delay_days   integer NOT NULL DEFAULT 28 CHECK (review_delay_days BETWEEN 1 AND 365),
    created_at          timestamptz NOT NULL DEFAULT now()
);
-- Organisations are the tenants themselves: the application may read them, never write them
-- from a tenant transaction.
REVOKE INSERT, UPDATE, DELETE ON organisations FROM relais_app;

CREATE TABLE agents (
    id              uuid PRIMARY KEY,
    org_id          uuid NOT NULL REFERENCES organisations (id),
    subject         text NOT NULL,
    display_name    text,
    email           text,
    roles           text[] NOT NULL DEFAULT '{}',
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, subject)
);

CREATE TABLE persons (
    id                      uuid PRIMARY KEY,
    org_id                  uuid NOT NULL REFERENCES organisations (id),
    first_name              text NOT NULL,
    last_name               text NOT NULL,
    birth_name              text,
    birth_date              date,
    -- Folded (lower case, no accents) names for accent- and case-insensitive search.
    search_name             text NOT NULL,
    -- The NIR is stored encrypted; exact-match search goes through a keyed hash.
    nir_ciphertext          bytea,
    nir_hash                bytea,
    nir_masked              text,
    caf_number              text,
    marital_status          text,
    address_line1           text,
    address_line2           text,
    address_postcode        text,
    address_city            text,
    address_country         text,
    phone                   text,
    email                   text,
    informed_at             date,
    informed_channel        text,
    informed_notice_version text,
    last_contact_at         timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    created_by              uuid REFERENCES agents (id),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    version                 integer NOT NULL DEFAULT 1,
    CHECK ((nir_ciphertext IS NULL) = (nir_hash IS NULL))
);
CREATE UNIQUE INDEX persons_org_nir_key ON persons (org_id, nir_hash) WHERE nir_hash IS NOT NULL;
CREATE INDEX persons_org_id_idx ON persons (org_id, id);
CREATE INDEX persons_search_name_trgm_idx ON persons USING gin (search_name gin_trgm_ops);
CREATE INDEX persons_org_birth_date_idx ON persons (org_id, birth_date);
CREATE INDEX persons_created_by_idx ON persons (created_by);

CREATE TABLE consents (
    id                  uuid PRIMARY KEY,
    org_id              uuid NOT NULL REFERENCES organisations (id),
    person_id           uuid NOT NULL REFERENCES persons (id),
    scope               text NOT NULL,
    channel             text NOT NULL,
    collected_by        uuid NOT NULL REFERENCES agents (id),
    given_at            date NOT NULL,
    withdrawn_at        timestamptz,
    withdrawal_channel  text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    version             integer NOT NULL DEFAULT 1
);
CREATE INDEX consents_person_idx ON consents (person_id, id);
CREATE INDEX consents_org_idx ON consents (org_id);
CREATE INDEX consents_collected_by_idx ON consents (collected_by);

CREATE TABLE cases (
    id               uuid PRIMARY KEY,
    org_id           uuid NOT NULL REFERENCES organisations (id),
    person_id        uuid NOT NULL REFERENCES persons (id),
    status           text NOT NULL,
    reason           text NOT NULL,
    origin           text NOT NULL,
    referent_id      uuid REFERENCES agents (id),
    opened_on        date NOT NULL,
    target_end_on    date NOT NULL,
    closed_on        date,
    closure_reason   text,
    orientation      text,
    review_due_on    date,
    last_contact_at  timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       uuid REFERENCES agents (id),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    version          integer NOT NULL DEFAULT 1
);
CREATE INDEX cases_org_id_idx ON cases (org_id, id);
CREATE INDEX cases_org_status_idx ON cases (org_id, status, id);
CREATE INDEX cases_person_idx ON cases (person_id, id);
CREATE INDEX cases_referent_idx ON cases (referent_id, id);
CREATE INDEX cases_created_by_idx ON cases (created_by);
CREATE INDEX cases_org_target_idx ON cases (org_id, target_end_on);

CREATE TABLE case_team (
    case_id   uuid NOT NULL REFERENCES cases (id),
    agent_id  uuid NOT NULL REFERENCES agents (id),
    org_id    uuid NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (case_id, agent_id)
);
CREATE INDEX case_team_agent_idx ON case_team (agent_id, case_id);
CREATE INDEX case_team_org_idx ON case_team (org_id);

CREATE TABLE case_events (
    id           uuid PRIMARY KEY,
    org_id       uuid NOT NULL REFERENCES organisations (id),
    case_id      uuid NOT NULL REFERENCES cases (id),
    at           timestamptz NOT NULL DEFAULT now(),
    actor_id     uuid REFERENCES agents (id),
    kind         text NOT NULL,
    from_status  text,
    to_status    text,
    reason       text,
    data         jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX case_events_case_idx ON case_events (case_id, id);
CREATE INDEX case_events_org_idx ON case_events (org_id);
CREATE INDEX case_events_actor_idx ON case_events (actor_id);

-- Append-only record of every access to personal data.
CREATE TABLE audit_events (
    id             uuid PRIMARY KEY,
    org_id         uuid NOT NULL REFERENCES organisations (id),
    at             timestamptz NOT NULL DEFAULT now(),
    actor_id       uuid REFERENCES agents (id),
    actor_subject  text NOT NULL,
    action         text NOT NULL,
    resource_type  text NOT NULL,
    resource_id    uuid,
    person_id      uuid,
    reason         text,
    request_id     text
);
-- Listed newest first by id (UUIDv7, time-ordered), filtered by person, actor and time.
CREATE INDEX audit_events_org_id_idx ON audit_events (org_id, id DESC);
CREATE INDEX audit_events_person_idx ON audit_events (org_id, person_id, id DESC);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, id DESC);
CREATE INDEX audit_events_subject_idx ON audit_events (org_id, actor_subject, id DESC);
CREATE INDEX audit_events_at_idx ON audit_events (org_id, at);

CREATE FUNCTION audit_events_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_events_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- Idempotency-Key records: the first response to a POST, replayed to its retries for 24 h.
CREATE TABLE idempotency_keys (
    org_id         uuid NOT NULL REFERENCES organisations (id),
    principal      text NOT NULL,
    key            text NOT NULL,
    request_hash   bytea NOT NULL,
    status         smallint,
    content_type   text,
    location       text,
    etag           text,
    body           bytea,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, principal, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO relais_app;
REVOKE INSERT, UPDATE, DELETE ON organisations FROM relais_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM relais_app;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['agents', 'persons', 'consents', 'cases', 'case_team',
                             'case_events', 'audit_events', 'idempotency_keys']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (org_id = relais_current_org()) '
            'WITH CHECK (org_id = relais_current_org())', t);
    END LOOP;
END
$$;
