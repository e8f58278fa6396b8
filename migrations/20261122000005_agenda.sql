-- The agenda's calendar feed: one secret feed token per agent, for `GET /v1/agenda.ics?token=`.
--
-- The token itself is never stored. It is derived by the server from `salt` (32 random bytes,
-- new at every rotation) and a key that lives outside the database (HMAC-SHA256 with a key
-- derived from the server's master key), so `GET /v1/me` can show the feed URL again while a
-- copy of the database alone reveals no token. `token_hash` (SHA-256 of the token as the URL
-- carries it) finds the owner of a presented token; rotating replaces the row, so the old URL
-- stops working at once.
--
-- Looking a token up happens before any organisation is known (the feed request carries no
-- bearer token). Rather than a SECURITY DEFINER function — which a forced row-level security
-- policy would still filter for a table owner that is not a superuser — a second, read-only
-- policy shows a row to a transaction that presents that row's hash in the transaction-local
-- setting `relais.feed_token_hash` (hex): knowing the hash of a token is the capability, and
-- nothing can be listed or written without an organisation.

CREATE TABLE agenda_feed_tokens (
    agent_id    uuid PRIMARY KEY REFERENCES agents (id),
    org_id      uuid NOT NULL REFERENCES organisations (id),
    salt        bytea NOT NULL CHECK (length(salt) = 32),
    token_hash  bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agenda_feed_tokens_org_idx ON agenda_feed_tokens (org_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON agenda_feed_tokens TO relais_app;

-- The token hash presented by the current transaction, or NULL.
CREATE FUNCTION relais_feed_token_hash() RETURNS bytea
    LANGUAGE sql STABLE
    AS $$ SELECT decode(NULLIF(current_setting('relais.feed_token_hash', true), ''), 'hex') $$;

ALTER TABLE agenda_feed_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE agenda_feed_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agenda_feed_tokens
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());
CREATE POLICY feed_token_lookup ON agenda_feed_tokens FOR SELECT
    USING (token_hash = relais_feed_token_hash());

-- No new index for the agenda and the caseload: checked with EXPLAIN ANALYZE on 20,000 cases
-- and 200,000 items, the agenda reads an agent's cases through case_team_agent_idx and their
-- items through plan_items_case_idx (about 10 ms for 270 cases), and the caseload counts overdue
-- items through plan_items_org_pending_due_idx (about 50 ms for the whole organisation).
