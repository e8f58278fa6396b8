-- Referrals (orientations entrantes): a registered partner asks the organisation to take a
-- person on, and the organisation decides.
--
-- A referral holds the person's minimum identity (the NIR, when given, sealed like the persons'
-- one: ciphertext, keyed hash for exact matching, masked form), the reason, the domains, the
-- urgency, the referrer's contact and the proof that the person was informed and consented.
-- Its status moves once: received → accepted (a case is opened: case_id, person_id) | declined
-- (decline_reason) | redirected (redirected_to, another organisation of the deployment; nothing
-- is copied there) | expired (no decision before expires_at, set by the background sweep).
--
-- Attachments (PDF, PNG or JPEG recognised by their content, 512 KiB at most) are kept in the
-- database with their SHA-256.
--
-- The expiry sweep runs as relais_worker across organisations: it may read and update
-- referrals and queue their webhooks, nothing more (tests/tests/schema.rs lists its grants).

CREATE TABLE referrals (
    id                  uuid PRIMARY KEY,
    org_id              uuid NOT NULL REFERENCES organisations (id),
    partner_id          uuid NOT NULL REFERENCES partners (id),
    status              text NOT NULL DEFAULT 'received'
                        CHECK (status IN ('received', 'accepted', 'declined', 'redirected',
                                          'expired')),
    -- The person's minimum identity, as the partner gave it.
    first_name          text NOT NULL
                        CHECK (length(first_name) BETWEEN 1 AND 100 AND btrim(first_name) <> ''),
    last_name           text NOT NULL
                        CHECK (length(last_name) BETWEEN 1 AND 100 AND btrim(last_name) <> ''),
    birth_name          text CHECK (length(birth_name) BETWEEN 1 AND 100 AND btrim(birth_name) <> ''),
    birth_date          date NOT NULL,
    nir_ciphertext      bytea,
    nir_hash            bytea,
    nir_masked          text,
    phone               text CHECK (length(phone) BETWEEN 3 AND 30),
    email               text CHECK (length(email) BETWEEN 3 AND 254),
    address_line1       text CHECK (length(address_line1) <= 200),
    address_line2       text CHECK (length(address_line2) <= 200),
    address_postcode    text CHECK (length(address_postcode) <= 20),
    address_city        text CHECK (length(address_city) <= 100),
    address_country     text CHECK (address_country ~ '^[A-Z]{2}$'),
    -- Why the partner refers the person, and in which domains (relais_domain::Domain codes).
    reason              text NOT NULL
                        CHECK (length(reason) BETWEEN 1 AND 2000 AND btrim(reason) <> ''),
    domains             text[] NOT NULL CHECK (
        cardinality(domains) BETWEEN 1 AND 6
        AND domains <@ ARRAY['health', 'housing', 'employment', 'family', 'finances', 'old_age',
                             'administrative', 'mobility', 'digital', 'other']::text[]
    ),
    urgency             text NOT NULL CHECK (urgency IN ('routine', 'priority', 'urgent')),
    -- Who to reach at the partner about this referral.
    referrer_name       text NOT NULL
                        CHECK (length(referrer_name) BETWEEN 1 AND 200 AND btrim(referrer_name) <> ''),
    referrer_role       text CHECK (length(referrer_role) BETWEEN 1 AND 200),
    referrer_phone      text CHECK (length(referrer_phone) BETWEEN 3 AND 30),
    referrer_email      text CHECK (length(referrer_email) BETWEEN 3 AND 254),
    -- The proof that the person was informed and consented: no referral without it.
    informed_on         date NOT NULL,
    informed_channel    text NOT NULL
                        CHECK (informed_channel IN ('in_person', 'phone', 'email', 'post',
                                                    'notice_displayed', 'other')),
    consented           boolean NOT NULL CHECK (consented),
    received_at         timestamptz NOT NULL DEFAULT now(),
    expires_at          timestamptz NOT NULL,
    -- The decision (or the expiry: decided_at without decided_by).
    decided_at          timestamptz,
    decided_by          uuid REFERENCES agents (id),
    decline_reason      text CHECK (decline_reason IN ('out_of_area', 'not_eligible', 'no_capacity',
                                                       'already_supported', 'incomplete', 'other')),
    decision_message    text CHECK (length(decision_message) BETWEEN 1 AND 2000),
    redirected_to       uuid REFERENCES organisations (id),
    case_id             uuid REFERENCES cases (id),
    person_id           uuid REFERENCES persons (id),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    version             integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    CONSTRAINT referrals_nir_sealed CHECK (
        (nir_ciphertext IS NULL) = (nir_hash IS NULL) AND (nir_hash IS NULL) = (nir_masked IS NULL)
    ),
    CONSTRAINT referrals_expiry CHECK (expires_at > received_at),
    -- Decided (or expired) once; only a person decides.
    CONSTRAINT referrals_decided CHECK (
        (status = 'received') = (decided_at IS NULL)
        AND (status IN ('accepted', 'declined', 'redirected')) = (decided_by IS NOT NULL)
        AND (decision_message IS NULL OR status IN ('accepted', 'declined', 'redirected'))
    ),
    -- Accepted: a case for a person; declined: a reason; redirected: another organisation.
    CONSTRAINT referrals_accepted CHECK (
        (status = 'accepted') = (case_id IS NOT NULL) AND (case_id IS NULL) = (person_id IS NULL)
    ),
    CONSTRAINT referrals_declined CHECK ((status = 'declined') = (decline_reason IS NOT NULL)),
    CONSTRAINT referrals_redirected CHECK (
        (status = 'redirected') = (redirected_to IS NOT NULL) AND redirected_to IS DISTINCT FROM org_id
    )
);
-- The inbox (all statuses, or one), a partner's own referrals, and the expiry sweep.
CREATE INDEX referrals_org_idx ON referrals (org_id, id);
CREATE INDEX referrals_org_status_idx ON referrals (org_id, status, id);
CREATE INDEX referrals_partner_idx ON referrals (partner_id, id);
CREATE INDEX referrals_due_idx ON referrals (expires_at) WHERE status = 'received';
CREATE INDEX referrals_decided_by_idx ON referrals (decided_by);
CREATE INDEX referrals_redirected_to_idx ON referrals (redirected_to);
CREATE INDEX referrals_case_idx ON referrals (case_id);
CREATE INDEX referrals_person_idx ON referrals (person_id);

CREATE TABLE referral_attachments (
    id              uuid PRIMARY KEY,
    org_id          uuid NOT NULL REFERENCES organisations (id),
    referral_id     uuid NOT NULL REFERENCES referrals (id),
    -- The name the partner gave (no path, no control character); the type comes from the
    -- content, never from the name.
    filename        text NOT NULL CHECK (
        length(filename) BETWEEN 1 AND 255 AND btrim(filename) <> ''
        AND filename !~ '[/\\[:cntrl:]]'
    ),
    content_type    text NOT NULL
                    CHECK (content_type IN ('application/pdf', 'image/png', 'image/jpeg')),
    size_bytes      integer NOT NULL CHECK (size_bytes BETWEEN 1 AND 524288),
    sha256          bytea NOT NULL CHECK (length(sha256) = 32),
    content         bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT referral_attachments_size CHECK (length(content) = size_bytes)
);
CREATE INDEX referral_attachments_referral_idx ON referral_attachments (referral_id, id);
CREATE INDEX referral_attachments_org_idx ON referral_attachments (org_id);

-- A referral is a record of what the partner asked and what was decided: never deleted by the
-- application. Attachments are written once (their purge belongs to the retention job).
GRANT SELECT, INSERT, UPDATE ON referrals TO relais_app;
REVOKE DELETE, TRUNCATE ON referrals FROM relais_app;
GRANT SELECT, INSERT ON referral_attachments TO relais_app;
REVOKE UPDATE, DELETE, TRUNCATE ON referral_attachments FROM relais_app;

-- The expiry sweep: due received referrals become expired, and their webhooks are queued.
GRANT SELECT, UPDATE ON referrals TO relais_worker;
GRANT INSERT ON webhook_messages TO relais_worker;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['referrals', 'referral_attachments']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (org_id = relais_current_org()) '
            'WITH CHECK (org_id = relais_current_org())', t);
    END LOOP;
END
$$;
-- The background role works across organisations on referrals only (not their attachments).
CREATE POLICY background_work ON referrals TO relais_worker USING (true) WITH CHECK (true);
