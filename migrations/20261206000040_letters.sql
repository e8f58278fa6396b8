-- Letters (courriers, DAILY.md "Documents"): the organisation's letter templates, written in a
-- sandboxed template language with merge fields (the API checks and renders them), and the
-- letters written from them in a case, stored as sent.
--
-- A template is never deleted: an administrator archives it, and an archived template takes no
-- new letter. The starter set (five French templates, crates/domain/src/letter/starters.rs) is
-- added to an organisation when it is created, and to the organisations that existed before at
-- the server's start; `starter` records which one a template is, so that it is added once and
-- an archived starter stays archived.
--
-- A letter is written once and never changed: its rendered subject and body, the values the
-- worker gave, the template's name, and what is printed around the body (the organisation, the
-- sender, the recipient, the date), so that a reprint is the letter as it was sent whatever
-- the template, the profiles or the person's address become. Letters are case data: the
-- anonymisation of the person erases their texts, values and recipient with the case's other
-- free texts.

CREATE TABLE letter_templates (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES organisations (id),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 120 AND btrim(name) <> ''),
    -- Whom its letters are addressed to: the person, a third party named in the letter, or
    -- nobody (an attestation).
    addressee   text NOT NULL CHECK (addressee IN ('person', 'third_party', 'none')),
    subject     text NOT NULL CHECK (length(subject) BETWEEN 1 AND 300 AND btrim(subject) <> ''),
    body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 20000 AND btrim(body) <> ''),
    -- The fields a worker fills in: [{name, label, kind, required}], checked by the API.
    fields      jsonb NOT NULL DEFAULT '[]'
                CHECK (jsonb_typeof(fields) = 'array' AND jsonb_array_length(fields) <= 20),
    -- The key of the starter this template began as (null for the organisation's own).
    starter     text CHECK (starter ~ '^[a-z_]{1,40}$'),
    archived    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- Null for a starter, added by the service.
    created_by  uuid REFERENCES agents (id),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  uuid REFERENCES agents (id),
    version     integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    CONSTRAINT letter_templates_name_key UNIQUE (org_id, name),
    CONSTRAINT letter_templates_starter_key UNIQUE (org_id, starter)
);
-- The organisation's templates in id order (keyset pages), and who wrote them.
CREATE INDEX letter_templates_org_idx ON letter_templates (org_id, id);
CREATE INDEX letter_templates_created_by_idx ON letter_templates (created_by);
CREATE INDEX letter_templates_updated_by_idx ON letter_templates (updated_by);

CREATE TABLE letters (
    id                 uuid PRIMARY KEY,
    org_id             uuid NOT NULL REFERENCES organisations (id),
    case_id            uuid NOT NULL REFERENCES cases (id),
    template_id        uuid NOT NULL REFERENCES letter_templates (id),
    -- The template's name when the letter was written.
    template_name      text NOT NULL CHECK (length(template_name) BETWEEN 1 AND 120),
    addressee          text NOT NULL CHECK (addressee IN ('person', 'third_party', 'none')),
    -- Rendered once, when the letter was written.
    subject            text NOT NULL CHECK (length(subject) <= 500),
    body               text NOT NULL CHECK (length(body) <= 60000),
    -- The values the worker gave, by field name, as given (dates YYYY-MM-DD, times HH:MM).
    field_values       jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(field_values) = 'object'),
    -- What is printed around the body, as it was: the letterhead, the sender (the case's
    -- referent, else the author), the recipient block (null for an attestation), the date.
    -- The letterhead's text as it was (name, address and contact lines, city); the logo is
    -- printed as it is now.
    letterhead         jsonb NOT NULL CHECK (jsonb_typeof(letterhead) = 'object'),
    sender_name        text NOT NULL,
    sender_role        text NOT NULL,
    sender_email       text,
    sender_phone       text,
    recipient_name     text CHECK (length(recipient_name) <= 250),
    -- The recipient's address, one line per line.
    recipient_address  text CHECK (length(recipient_address) <= 1000),
    written_on         date NOT NULL,
    author_id          uuid NOT NULL REFERENCES agents (id),
    created_at         timestamptz NOT NULL DEFAULT now()
);
-- A case's letters, newest first (keyset pages); the organisation's; by template and author.
CREATE INDEX letters_case_idx ON letters (case_id, id);
CREATE INDEX letters_org_idx ON letters (org_id, id);
CREATE INDEX letters_template_idx ON letters (template_id);
CREATE INDEX letters_author_idx ON letters (author_id);

-- Templates are archived, never deleted (their letters name them); letters are written once.
GRANT SELECT, INSERT, UPDATE ON letter_templates TO relais_app;
REVOKE DELETE, TRUNCATE ON letter_templates FROM relais_app;
GRANT SELECT, INSERT ON letters TO relais_app;
REVOKE UPDATE, DELETE, TRUNCATE ON letters FROM relais_app;
-- The retention role erases a letter's texts with the case's (below).
GRANT SELECT, UPDATE ON letters TO relais_retention;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['letter_templates', 'letters']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (org_id = relais_current_org()) '
            'WITH CHECK (org_id = relais_current_org())', t);
    END LOOP;
END
$$;

-- Anonymisation (migration 20, last restated in 31) also erases the letters of the person's
-- cases: their subject, body, values and recipient; who wrote them, when, from which template
-- and to what kind of addressee stay.
CREATE OR REPLACE FUNCTION relais_anonymise_persons(ids uuid[]) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    case_ids uuid[];
    referral_ids uuid[];
    anonymised bigint;
BEGIN
    SELECT coalesce(array_agg(id), '{}') INTO case_ids FROM cases WHERE person_id = ANY (ids);
    SELECT coalesce(array_agg(id), '{}') INTO referral_ids
    FROM referrals WHERE person_id = ANY (ids);

    UPDATE persons
    SET first_name = 'Personne', last_name = 'anonymisée', birth_name = NULL,
        search_name = 'personne anonymisee',
        birth_date = make_date(extract(year FROM birth_date)::int, 1, 1),
        nir_ciphertext = NULL, nir_hash = NULL, nir_masked = NULL, caf_number = NULL,
        address_line1 = NULL, address_line2 = NULL, address_postcode = NULL,
        address_city = NULL, address_country = NULL, phone = NULL, email = NULL,
        civility = NULL, representative_name = NULL, representative_organisation = NULL,
        representative_phone = NULL, representative_email = NULL,
        anonymised_at = now(), updated_at = now(), version = version + 1
    WHERE id = ANY (ids) AND anonymised_at IS NULL;
    GET DIAGNOSTICS anonymised = ROW_COUNT;

    UPDATE household_members
    SET birth_date = make_date(extract(year FROM birth_date)::int, 1, 1)
    WHERE person_id = ANY (ids);
    UPDATE budget_lines SET label = NULL WHERE person_id = ANY (ids);
    UPDATE budget_debts SET creditor = NULL WHERE person_id = ANY (ids);
    UPDATE person_history SET before = NULL, after = NULL WHERE person_id = ANY (ids);
    UPDATE person_restrictions
    SET reason = 'Motif effacé',
        lift_reason = CASE WHEN lifted_at IS NOT NULL THEN 'Motif effacé' END
    WHERE person_id = ANY (ids);
    UPDATE audit_events SET reason = NULL WHERE person_id = ANY (ids) AND reason IS NOT NULL;

    UPDATE cases SET reason = '', orientation = NULL WHERE id = ANY (case_ids);
    -- Free texts inside the timeline's data are blanked, their keys kept for the readers.
    UPDATE case_events SET reason = NULL, data = relais_blank_texts(data)
    WHERE case_id = ANY (case_ids);
    UPDATE contacts
    SET summary = NULL, private_note = NULL, outcome = NULL, outcome_reason = NULL,
        participants = '{}'
    WHERE case_id = ANY (case_ids);
    UPDATE assessment_domains SET situation = '' WHERE case_id = ANY (case_ids);
    UPDATE plan_items SET title = 'Démarche', details = NULL, outcome = NULL
    WHERE case_id = ANY (case_ids);
    UPDATE plan_proposals SET notes = NULL, items = relais_blank_texts(items)
    WHERE case_id = ANY (case_ids);
    UPDATE proposal_observations SET text = 'Observation effacée'
    WHERE proposal_id IN (SELECT id FROM plan_proposals WHERE case_id = ANY (case_ids));
    UPDATE liaisons SET purpose = 'Objet effacé', answer_message = NULL
    WHERE case_id = ANY (case_ids);
    DELETE FROM document_contents
    WHERE document_id IN (SELECT id FROM documents WHERE case_id = ANY (case_ids));
    UPDATE documents SET description = NULL,
                         filename = 'document-efface.' || CASE content_type
                             WHEN 'application/pdf' THEN 'pdf'
                             WHEN 'image/png' THEN 'png'
                             ELSE 'jpg' END
    WHERE case_id = ANY (case_ids);
    PERFORM relais_erase_applications(
        (SELECT coalesce(array_agg(id), '{}') FROM applications WHERE case_id = ANY (case_ids)));
    UPDATE letters
    SET subject = 'Objet effacé', body = 'Courrier effacé (fin de conservation)',
        field_values = '{}',
        recipient_name = CASE WHEN recipient_name IS NOT NULL THEN 'Destinataire effacé' END,
        recipient_address = NULL
    WHERE case_id = ANY (case_ids);

    UPDATE referrals
    SET first_name = 'Personne', last_name = 'anonymisée', birth_name = NULL,
        birth_date = make_date(extract(year FROM birth_date)::int, 1, 1),
        nir_ciphertext = NULL, nir_hash = NULL, nir_masked = NULL, phone = NULL, email = NULL,
        address_line1 = NULL, address_line2 = NULL, address_postcode = NULL,
        address_city = NULL, address_country = NULL, reason = 'Motif effacé',
        decision_message = NULL
    WHERE id = ANY (referral_ids);
    PERFORM relais_delete_referral_attachments(referral_ids);
    RETURN anonymised;
END
$$;
