-- The assessment of a case (analyse de la situation / diagnostic): per domain of social
-- protection, the situation, whether action is needed, and its priority.
--
-- `case_assessments` holds one row per assessed case, created by the first PUT, with the
-- version its ETag carries; `assessment_domains` holds the domains, replaced together by each
-- PUT. A domain whose content does not change keeps who assessed it and when.

CREATE TABLE case_assessments (
    case_id     uuid PRIMARY KEY REFERENCES cases (id),
    org_id      uuid NOT NULL REFERENCES organisations (id),
    version     integer NOT NULL CHECK (version >= 1),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  uuid REFERENCES agents (id)
);
CREATE INDEX case_assessments_org_idx ON case_assessments (org_id);
CREATE INDEX case_assessments_updated_by_idx ON case_assessments (updated_by);

CREATE TABLE assessment_domains (
    case_id       uuid NOT NULL REFERENCES cases (id),
    org_id        uuid NOT NULL REFERENCES organisations (id),
    domain        text NOT NULL CHECK (domain IN ('health', 'housing', 'employment', 'family',
                                                  'finances', 'old_age', 'administrative',
                                                  'mobility', 'digital', 'other')),
    situation     text NOT NULL CHECK (length(situation) <= 10000),
    needs_action  text NOT NULL CHECK (needs_action IN ('yes', 'no', 'to_evaluate')),
    priority      text CHECK (priority IN ('low', 'medium', 'high')),
    assessed_by   uuid REFERENCES agents (id),
    assessed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (case_id, domain),
    -- A domain needing action says how urgent it is.
    CONSTRAINT assessment_domains_priority_when_needed
        CHECK (needs_action <> 'yes' OR priority IS NOT NULL)
);
CREATE INDEX assessment_domains_org_idx ON assessment_domains (org_id);
CREATE INDEX assessment_domains_assessed_by_idx ON assessment_domains (assessed_by);

GRANT SELECT, INSERT, UPDATE, DELETE ON case_assessments, assessment_domains TO relais_app;

ALTER TABLE case_assessments ENABLE ROW LEVEL SECURITY;
ALTER TABLE case_assessments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON case_assessments
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());

ALTER TABLE assessment_domains ENABLE ROW LEVEL SECURITY;
ALTER TABLE assessment_domains FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON assessment_domains
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());
