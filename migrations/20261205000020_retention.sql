-- Retention (PROTECTION.md, CNIL référentiel 2021-028): the settings of each organisation, what
-- the retention run records (when a case was archived, a person anonymised), and the role and
-- functions through which the run erases what the application itself may never rewrite or
-- delete (observations, social reports, documents, the rectification history, audit events).

CREATE TABLE retention_settings (
    org_id                       uuid PRIMARY KEY REFERENCES organisations (id),
    archive_after_months         integer NOT NULL CHECK (archive_after_months BETWEEN 1 AND 60),
    purge_after_archive_months   integer NOT NULL
                                 CHECK (purge_after_archive_months BETWEEN 0 AND 120),
    applications_granted_years   integer NOT NULL
                                 CHECK (applications_granted_years BETWEEN 1 AND 30),
    applications_other_years     integer NOT NULL CHECK (applications_other_years BETWEEN 1 AND 30),
    referral_attachments_months  integer NOT NULL
                                 CHECK (referral_attachments_months BETWEEN 1 AND 60),
    audit_months                 integer NOT NULL CHECK (audit_months BETWEEN 6 AND 120),
    version                      integer NOT NULL CHECK (version >= 1),
    updated_at                   timestamptz NOT NULL DEFAULT now(),
    updated_by                   uuid REFERENCES agents (id)
);
CREATE INDEX retention_settings_updated_by_idx ON retention_settings (updated_by);
REVOKE DELETE, TRUNCATE ON retention_settings FROM relais_app;
ALTER TABLE retention_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE retention_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON retention_settings
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());

-- When the run archived a case, anonymised a person, erased an application's content.
ALTER TABLE cases ADD COLUMN archived_at timestamptz;
ALTER TABLE persons ADD COLUMN anonymised_at timestamptz;
ALTER TABLE applications ADD COLUMN content_erased_at timestamptz;
-- The run's candidates: closed cases by closure date (their last contact is checked on each),
-- archived cases by date.
CREATE INDEX cases_closed_on_idx ON cases (org_id, closed_on) WHERE status = 'closed';
CREATE INDEX cases_archived_at_idx ON cases (org_id, archived_at) WHERE status = 'archived';
CREATE INDEX applications_decided_idx ON applications (org_id, decided_on)
    WHERE content_erased_at IS NULL AND decided_on IS NOT NULL;
CREATE INDEX applications_withdrawn_idx ON applications (org_id, withdrawn_on)
    WHERE content_erased_at IS NULL AND withdrawn_on IS NOT NULL;

-- The role the erasing functions run as. Not a login role; the application may only call the
-- functions below, each of which erases, never rewrites.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'relais_retention') THEN
        CREATE ROLE relais_retention NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE format('GRANT relais_retention TO %I', current_user);
    END IF;
EXCEPTION WHEN duplicate_object OR insufficient_privilege THEN
    NULL;
END
$$;

GRANT USAGE ON SCHEMA public TO relais_retention;
GRANT SELECT ON persons, cases, case_events, contacts, assessment_domains, plan_items,
    plan_proposals, proposal_observations, liaisons, applications, application_documents,
    social_reports, documents, document_contents, referrals, referral_attachments,
    household_members, budget_lines, person_history, person_restrictions, audit_events
    TO relais_retention;
GRANT UPDATE ON persons, cases, case_events, contacts, assessment_domains, plan_items,
    plan_proposals, proposal_observations, liaisons, applications, application_documents,
    social_reports, documents, referrals, household_members, budget_lines, person_history,
    person_restrictions, audit_events
    TO relais_retention;
GRANT DELETE ON document_contents, referral_attachments, audit_events TO relais_retention;

-- Audit events stay append-only for everyone but the retention role: it expires them, and
-- erases the reasons given about an anonymised person.
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND current_user = 'relais_retention' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;

-- Deletes the audit events of the current organisation older than `before`, at most `batch`
-- of them, oldest first; answers how many.
CREATE FUNCTION relais_expire_audit(before timestamptz, batch integer) RETURNS bigint
    LANGUAGE sql SECURITY DEFINER SET search_path = public
    AS $$
    WITH gone AS (
        DELETE FROM audit_events
        WHERE id IN (SELECT id FROM audit_events
                     WHERE org_id = relais_current_org() AND at < before
                     ORDER BY at LIMIT batch)
        RETURNING 1
    )
    SELECT count(*) FROM gone
$$;

-- Erases the content of applications whose retention ended: notes, reasons, the supporting
-- documents' notes and files, the social reports' text. Codes, dates and amounts stay.
CREATE FUNCTION relais_erase_applications(ids uuid[]) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    erased bigint;
BEGIN
    DELETE FROM document_contents WHERE document_id IN (
        SELECT document_id FROM application_documents
        WHERE application_id = ANY (ids) AND document_id IS NOT NULL);
    UPDATE documents SET description = NULL,
                         filename = 'document-efface.' || CASE content_type
                             WHEN 'application/pdf' THEN 'pdf'
                             WHEN 'image/png' THEN 'png'
                             ELSE 'jpg' END
    WHERE id IN (SELECT document_id FROM application_documents
                 WHERE application_id = ANY (ids) AND document_id IS NOT NULL);
    UPDATE application_documents SET notes = NULL WHERE application_id = ANY (ids);
    UPDATE social_reports SET text = 'Rapport effacé (fin de conservation)'
    WHERE application_id = ANY (ids);
    UPDATE applications
    SET notes = NULL,
        withdrawal_reason = NULL,
        decision_reason = CASE WHEN decision = 'refused' THEN 'Motif effacé' END,
        content_erased_at = now()
    WHERE id = ANY (ids) AND content_erased_at IS NULL;
    GET DIAGNOSTICS erased = ROW_COUNT;
    RETURN erased;
END
$$;

-- Deletes referral attachments; answers how many.
CREATE FUNCTION relais_delete_referral_attachments(referral_ids uuid[]) RETURNS bigint
    LANGUAGE sql SECURITY DEFINER SET search_path = public
    AS $$
    WITH gone AS (
        DELETE FROM referral_attachments WHERE referral_id = ANY (referral_ids) RETURNING 1
    )
    SELECT count(*) FROM gone
$$;

-- The free texts of a JSON value (a timeline event's data, a proposal's items) blanked, at any
-- depth: every string under a key that holds text written by people becomes "", codes, dates
-- and numbers stay.
CREATE FUNCTION relais_blank_texts(j jsonb, blank boolean DEFAULT false) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    AS $$
BEGIN
    RETURN CASE jsonb_typeof(j)
        WHEN 'object' THEN (
            SELECT coalesce(jsonb_object_agg(key, relais_blank_texts(value,
                       blank OR key IN ('title', 'orientation', 'summary', 'text', 'purpose',
                                        'reason', 'details', 'outcome', 'notes', 'name',
                                        'message', 'filename', 'description', 'submitted_to',
                                        'participants', 'label', 'situation', 'contact'))),
                       '{}'::jsonb)
            FROM jsonb_each(j))
        WHEN 'array' THEN (
            SELECT coalesce(jsonb_agg(relais_blank_texts(value, blank)), '[]'::jsonb)
            FROM jsonb_array_elements(j))
        WHEN 'string' THEN CASE WHEN blank THEN to_jsonb(''::text) ELSE j END
        ELSE j
    END;
END
$$;

-- Anonymises persons (purge, erasure): no identifier and no free text of theirs is left;
-- codes, dates, amounts and counts stay so that statistics remain true. Answers how many.
CREATE FUNCTION relais_anonymise_persons(ids uuid[]) RETURNS bigint
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
        anonymised_at = now(), updated_at = now(), version = version + 1
    WHERE id = ANY (ids) AND anonymised_at IS NULL;
    GET DIAGNOSTICS anonymised = ROW_COUNT;

    UPDATE household_members
    SET birth_date = make_date(extract(year FROM birth_date)::int, 1, 1)
    WHERE person_id = ANY (ids);
    UPDATE budget_lines SET label = NULL WHERE person_id = ANY (ids);
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
    SET summary = NULL, private_note = NULL, outcome = NULL, participants = '{}'
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

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['relais_expire_audit(timestamptz, integer)',
                             'relais_erase_applications(uuid[])',
                             'relais_delete_referral_attachments(uuid[])',
                             'relais_anonymise_persons(uuid[])']
    LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO relais_retention', f);
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO relais_app', f);
    END LOOP;
END
$$;
