-- Persons as they really come (issue 15): civility, the legal protection measure and its
-- representative, the recognition of a disability, and the trace of a merge.
--
-- The representative is a third person reached on the person's behalf (a mandataire judiciaire,
-- a relative): their details are personal data too, erased with the person's.
-- A merged person stays as a tombstone pointing at the record it was merged into, so that its
-- old id answers `person_merged` with `merged_into` rather than a bare 404.

ALTER TABLE persons
    ADD COLUMN civility                    text CHECK (civility IN ('mme', 'm')),
    ADD COLUMN legal_protection            text CHECK (legal_protection IN (
        'tutelle', 'curatelle', 'sauvegarde_de_justice', 'mesure_accompagnement',
        'habilitation_familiale')),
    ADD COLUMN representative_name         text,
    ADD COLUMN representative_organisation text,
    ADD COLUMN representative_phone        text,
    ADD COLUMN representative_email        text,
    ADD COLUMN disability_recognised       text CHECK (disability_recognised IN (
        'yes', 'no', 'pending', 'unknown')),
    ADD COLUMN disability_rate             text CHECK (disability_rate IN (
        'below_50', '50_to_79', '80_or_more')),
    ADD COLUMN merged_into                 uuid REFERENCES persons (id),
    ADD COLUMN merged_at                   timestamptz,
    -- A representative is the representative of a measure.
    ADD CONSTRAINT persons_representative_of_a_measure CHECK (
        legal_protection IS NOT NULL
        OR num_nonnulls(representative_name, representative_organisation, representative_phone,
                        representative_email) = 0),
    -- A rate only with a recognised disability (domain: person::Disability::new).
    ADD CONSTRAINT persons_rate_of_a_recognised_disability CHECK (
        disability_rate IS NULL OR disability_recognised = 'yes'),
    ADD CONSTRAINT persons_merged_at_with_merged_into CHECK (
        (merged_into IS NULL) = (merged_at IS NULL) AND merged_into IS DISTINCT FROM id);

CREATE INDEX persons_merged_into_idx ON persons (merged_into);

-- Anonymisation (migration 20, last restated in 29) also erases the civility and the
-- representative's details; the measure and the disability stay as codes, with no name.
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
