-- Restriction of processing (GDPR art. 18) and objection (art. 21), PROTECTION.md: recorded by
-- the DPO or a supervisor, lifted with a reason, never deleted by the application. While one is
-- active the person's data is kept but not shared, and left out of statistics.
CREATE TABLE person_restrictions (
    id            uuid PRIMARY KEY,
    org_id        uuid NOT NULL REFERENCES organisations (id),
    person_id     uuid NOT NULL REFERENCES persons (id),
    kind          text NOT NULL CHECK (kind IN ('restriction', 'objection')),
    reason        text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    requested_on  date NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    uuid REFERENCES agents (id),
    lifted_at     timestamptz,
    lifted_by     uuid REFERENCES agents (id),
    lift_reason   text CHECK (length(lift_reason) BETWEEN 1 AND 2000),
    CHECK ((lifted_at IS NULL) = (lift_reason IS NULL))
);
CREATE INDEX person_restrictions_person_idx ON person_restrictions (person_id, id);
-- Whether a person is restricted now: asked by every sharing and every statistic.
CREATE INDEX person_restrictions_active_idx ON person_restrictions (person_id)
    WHERE lifted_at IS NULL;
CREATE INDEX person_restrictions_org_idx ON person_restrictions (org_id);
CREATE INDEX person_restrictions_created_by_idx ON person_restrictions (created_by);
CREATE INDEX person_restrictions_lifted_by_idx ON person_restrictions (lifted_by);

REVOKE DELETE, TRUNCATE ON person_restrictions FROM relais_app;

ALTER TABLE person_restrictions ENABLE ROW LEVEL SECURITY;
ALTER TABLE person_restrictions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON person_restrictions
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());
