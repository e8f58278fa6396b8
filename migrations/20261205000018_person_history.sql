-- Rectification history (GDPR art. 16, PROTECTION.md): every change of a person's identity or
-- contact fields keeps the value it replaced, who changed it and when. Values are kept as the
-- API shows them (dates in ISO 8601, codes, the NIR masked on both sides). The application only
-- appends: a correction is never rewritten or removed by it.
CREATE TABLE person_history (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES organisations (id),
    person_id   uuid NOT NULL REFERENCES persons (id),
    field       text NOT NULL,
    before      text,
    after       text,
    changed_at  timestamptz NOT NULL DEFAULT now(),
    changed_by  uuid REFERENCES agents (id)
);
-- A person's history, newest first.
CREATE INDEX person_history_person_idx ON person_history (person_id, id DESC);
CREATE INDEX person_history_org_idx ON person_history (org_id);
CREATE INDEX person_history_changed_by_idx ON person_history (changed_by);

REVOKE UPDATE, DELETE, TRUNCATE ON person_history FROM relais_app;

ALTER TABLE person_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE person_history FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON person_history
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());
