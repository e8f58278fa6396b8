-- Liaison sheets (fiches de liaison): a structured hand-over of a case to another institution,
-- with the content chosen from a whitelist (relais_domain::liaison::LiaisonContent), its legal
-- basis, the consent it relies on, and its status draft → sent → acknowledged | declined.
--
-- The destination is a registered partner (`destination_partner_id`) or a named institution
-- (`destination_name` with `destination_contact`). The partners table arrives with a later
-- issue: `destination_partner_id` has no foreign key yet (it and its index come then).
-- Private notes have no column here and no code in the whitelist: they can never be shared.

CREATE TABLE liaisons (
    id                      uuid PRIMARY KEY,
    org_id                  uuid NOT NULL REFERENCES organisations (id),
    case_id                 uuid NOT NULL REFERENCES cases (id),
    destination_partner_id  uuid,
    destination_name        text CHECK (length(destination_name) BETWEEN 1 AND 200
                                        AND btrim(destination_name) <> ''),
    destination_contact     text CHECK (length(destination_contact) BETWEEN 1 AND 500
                                        AND btrim(destination_contact) <> ''),
    purpose                 text NOT NULL
                            CHECK (length(purpose) BETWEEN 1 AND 2000 AND btrim(purpose) <> ''),
    content                 text[] NOT NULL CHECK (
        cardinality(content) BETWEEN 1 AND 10
        AND content <@ ARRAY['identity', 'contact_preferences', 'situation_by_domain', 'reason',
                             'actions_done', 'steps_pending', 'referent_contact', 'documents',
                             'nir', 'health']::text[]
    ),
    legal_basis             text NOT NULL
                            CHECK (legal_basis IN ('consent', 'shared_secrecy', 'legal_obligation')),
    consent_id              uuid REFERENCES consents (id),
    status                  text NOT NULL DEFAULT 'draft'
                            CHECK (status IN ('draft', 'sent', 'acknowledged', 'declined')),
    sent_at                 timestamptz,
    sent_by                 uuid REFERENCES agents (id),
    answered_at             timestamptz,
    answered_by             uuid REFERENCES agents (id),
    created_at              timestamptz NOT NULL DEFAULT now(),
    created_by              uuid NOT NULL REFERENCES agents (id),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    version                 integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    -- A registered partner, or a named institution with its contact; never both.
    CONSTRAINT liaisons_destination CHECK (
        (destination_partner_id IS NOT NULL AND destination_name IS NULL
         AND destination_contact IS NULL)
        OR (destination_partner_id IS NULL AND destination_name IS NOT NULL
            AND destination_contact IS NOT NULL)
    ),
    -- A consent only backs a liaison whose basis is consent (the send rule needs it then).
    CONSTRAINT liaisons_consent_basis CHECK (consent_id IS NULL OR legal_basis = 'consent'),
    -- Sent once, with who sent it; answered once, after being sent.
    CONSTRAINT liaisons_sent_when_sent CHECK (
        (status = 'draft') = (sent_at IS NULL) AND (sent_at IS NULL) = (sent_by IS NULL)
    ),
    CONSTRAINT liaisons_answered_when_answered CHECK (
        (status IN ('acknowledged', 'declined')) = (answered_at IS NOT NULL)
        AND (answered_at IS NULL) = (answered_by IS NULL)
    )
);
-- A case's liaisons, newest first, and keyset pages of them.
CREATE INDEX liaisons_case_idx ON liaisons (case_id, id);
CREATE INDEX liaisons_org_status_idx ON liaisons (org_id, status, id);
CREATE INDEX liaisons_consent_idx ON liaisons (consent_id);
CREATE INDEX liaisons_partner_idx ON liaisons (destination_partner_id)
    WHERE destination_partner_id IS NOT NULL;
CREATE INDEX liaisons_created_by_idx ON liaisons (created_by);
CREATE INDEX liaisons_sent_by_idx ON liaisons (sent_by);
CREATE INDEX liaisons_answered_by_idx ON liaisons (answered_by);

-- Liaisons are kept as a record of what was shared: never deleted by the application.
GRANT SELECT, INSERT, UPDATE ON liaisons TO relais_app;
REVOKE DELETE, TRUNCATE ON liaisons FROM relais_app;

ALTER TABLE liaisons ENABLE ROW LEVEL SECURITY;
ALTER TABLE liaisons FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON liaisons
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());
