-- Contacts: interviews, calls, emails, visits and group sessions of a case, planned or held.
--
-- A contact is planned (scheduled_at set, occurred_at NULL) or held (occurred_at set). It is
-- created as exactly one of the two; marking a planned contact held later sets occurred_at and
-- keeps scheduled_at, so the row never has neither. The private note is readable only by its
-- author (the API enforces it; the person's access export still includes it).
--
-- A group session is one held contact shared by several cases: one session row, and one
-- contact of kind group_session per case linked to it, so it shows in each case's list and
-- moves each case's and person's last_contact_at.

CREATE TABLE group_sessions (
    id           uuid PRIMARY KEY,
    org_id       uuid NOT NULL REFERENCES organisations (id),
    topic        text NOT NULL CHECK (length(topic) BETWEEN 1 AND 200),
    occurred_at  timestamptz NOT NULL,
    summary      text CHECK (length(summary) <= 10000),
    author_id    uuid NOT NULL REFERENCES agents (id),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX group_sessions_org_idx ON group_sessions (org_id, id);
CREATE INDEX group_sessions_author_idx ON group_sessions (author_id);

CREATE TABLE contacts (
    id                uuid PRIMARY KEY,
    org_id            uuid NOT NULL REFERENCES organisations (id),
    case_id           uuid NOT NULL REFERENCES cases (id),
    kind              text NOT NULL,
    scheduled_at      timestamptz,
    occurred_at       timestamptz,
    participants      text[] NOT NULL DEFAULT '{}' CHECK (cardinality(participants) <= 20),
    summary           text CHECK (length(summary) <= 10000),
    private_note      text CHECK (length(private_note) <= 10000),
    author_id         uuid NOT NULL REFERENCES agents (id),
    outcome           text CHECK (length(outcome) <= 5000),
    group_session_id  uuid REFERENCES group_sessions (id),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    version           integer NOT NULL DEFAULT 1,
    CHECK (scheduled_at IS NOT NULL OR occurred_at IS NOT NULL)
);
-- A case's contacts, newest first (held time, else planned time).
CREATE INDEX contacts_case_time_idx
    ON contacts (case_id, (coalesce(occurred_at, scheduled_at)) DESC, id DESC);
-- The agenda: planned contacts of the caller's cases (reached through case_team) by time.
CREATE INDEX contacts_case_planned_idx
    ON contacts (case_id, scheduled_at) WHERE occurred_at IS NULL;
CREATE INDEX contacts_author_planned_idx
    ON contacts (author_id, scheduled_at) WHERE occurred_at IS NULL;
CREATE INDEX contacts_author_idx ON contacts (author_id);
CREATE INDEX contacts_org_idx ON contacts (org_id);
CREATE INDEX contacts_group_session_idx ON contacts (group_session_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON group_sessions, contacts TO relais_app;

ALTER TABLE group_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE group_sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON group_sessions
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());

ALTER TABLE contacts ENABLE ROW LEVEL SECURITY;
ALTER TABLE contacts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON contacts
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());
