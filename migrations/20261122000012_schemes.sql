-- The scheme catalogue (dispositifs): what the organisation's workers can apply for on a
-- person's behalf (RSA, prime d'activité, FSL, a CCAS emergency grant…), who grants it, its
-- structured eligibility criteria and the supporting documents it requires.
--
-- Admins manage the catalogue (and import/export it as JSON); every agent of the organisation
-- reads it. A scheme holds no personal data. Schemes are deactivated, never deleted: an
-- application (and a plan item) keeps pointing at the scheme it was made for.
--
-- `criteria` and `required_documents` are JSON arrays whose shape is enforced by the domain
-- types (relais_domain::eligibility): the API parses them before writing, so only valid
-- criteria reach the table. Their figures (ceilings, ages, postcode prefixes) are data, set by
-- the admin: they vary by department and by year, and `figures_read_on` says when they were read
-- from `source_url`.

CREATE TABLE schemes (
    id                      uuid PRIMARY KEY,
    org_id                  uuid NOT NULL REFERENCES organisations (id),
    name                    text NOT NULL CHECK (length(name) BETWEEN 1 AND 200 AND btrim(name) <> ''),
    -- relais_domain::Domain codes.
    domain                  text NOT NULL CHECK (domain IN ('health', 'housing', 'employment',
                                                            'family', 'finances', 'old_age',
                                                            'administrative', 'mobility',
                                                            'digital', 'other')),
    -- The body that grants it (CAF, conseil départemental, CPAM, CCAS…).
    provider                text NOT NULL
                            CHECK (length(provider) BETWEEN 1 AND 200 AND btrim(provider) <> ''),
    description             text CHECK (length(description) <= 5000),
    criteria                jsonb NOT NULL DEFAULT '[]'
                            CHECK (jsonb_typeof(criteria) = 'array'
                                   AND jsonb_array_length(criteria) <= 50),
    required_documents      jsonb NOT NULL DEFAULT '[]'
                            CHECK (jsonb_typeof(required_documents) = 'array'
                                   AND jsonb_array_length(required_documents) <= 50),
    -- Usual time from a complete application to the decision, in days (0: the same day).
    usual_processing_days   integer CHECK (usual_processing_days BETWEEN 0 AND 730),
    source_url              text CHECK (length(source_url) BETWEEN 8 AND 2000
                                        AND source_url ~ '^https?://'),
    -- When the figures of the criteria were read from the source.
    figures_read_on         date,
    -- What the admin should know or adapt (local figures, unverified data…).
    notes                   text CHECK (length(notes) <= 5000),
    active                  boolean NOT NULL DEFAULT true,
    created_at              timestamptz NOT NULL DEFAULT now(),
    created_by              uuid NOT NULL REFERENCES agents (id),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    updated_by              uuid NOT NULL REFERENCES agents (id),
    version                 integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    -- The import matches schemes by name within the organisation.
    CONSTRAINT schemes_org_name_key UNIQUE (org_id, name)
);
-- Keyset pages of the catalogue, all of it or filtered by activity or domain; the matching
-- reads the active schemes.
CREATE INDEX schemes_org_idx ON schemes (org_id, id);
CREATE INDEX schemes_org_active_idx ON schemes (org_id, active, id);
CREATE INDEX schemes_org_domain_idx ON schemes (org_id, domain, id);
CREATE INDEX schemes_created_by_idx ON schemes (created_by);
CREATE INDEX schemes_updated_by_idx ON schemes (updated_by);

-- Deactivated, never deleted by the application.
GRANT SELECT, INSERT, UPDATE ON schemes TO relais_app;
REVOKE DELETE, TRUNCATE ON schemes FROM relais_app;

ALTER TABLE schemes ENABLE ROW LEVEL SECURITY;
ALTER TABLE schemes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON schemes
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());
