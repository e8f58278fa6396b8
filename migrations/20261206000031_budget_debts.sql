-- The budget's debts and alimony (issue 15): resources gain `alimony_received`, charges gain
-- `alimony_paid`, and a budget lists the household's debts (kind, creditor, amount still owed,
-- agreed monthly repayment). Debts are replaced whole with the lines, under the budget's version.
--
-- The creditor is free text (a name the worker typed): anonymisation erases it.

ALTER TABLE budget_lines DROP CONSTRAINT budget_lines_kind_of_side;
ALTER TABLE budget_lines ADD CONSTRAINT budget_lines_kind_of_side CHECK (
    (side = 'resource' AND kind IN ('salary', 'unemployment_benefit', 'rsa', 'prime_activite',
                                    'family_allowances', 'housing_allowance', 'pension', 'aah',
                                    'alimony_received', 'other'))
    OR (side = 'charge' AND kind IN ('rent', 'energy', 'water', 'insurance', 'telecom',
                                     'transport', 'childcare', 'loans', 'debt_repayments',
                                     'alimony_paid', 'other')));

CREATE TABLE budget_debts (
    person_id                uuid NOT NULL REFERENCES budgets (person_id),
    org_id                   uuid NOT NULL REFERENCES organisations (id),
    position                 smallint NOT NULL CHECK (position BETWEEN 0 AND 29),
    kind                     text NOT NULL CHECK (kind IN (
        'rent_arrears', 'energy', 'water', 'telecom', 'consumer_credit', 'tax', 'fines',
        'health', 'other')),
    creditor                 text CHECK (length(creditor) <= 200),
    amount_owed_cents        bigint NOT NULL CHECK (amount_owed_cents BETWEEN 0 AND 10000000),
    monthly_repayment_cents  bigint NOT NULL
        CHECK (monthly_repayment_cents BETWEEN 0 AND 10000000),
    PRIMARY KEY (person_id, position)
);
CREATE INDEX budget_debts_org_idx ON budget_debts (org_id);

-- Replaced with the lines: the application deletes and inserts them.
GRANT SELECT, INSERT, UPDATE, DELETE ON budget_debts TO relais_app;
REVOKE TRUNCATE ON budget_debts FROM relais_app;
-- The retention role reads and erases what the lines' labels are to it (migration 20).
GRANT SELECT, UPDATE ON budget_debts TO relais_retention;

ALTER TABLE budget_debts ENABLE ROW LEVEL SECURITY;
ALTER TABLE budget_debts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON budget_debts
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());

-- Anonymisation (migration 20, last restated in 30) also erases the debts' creditors; the
-- kinds and amounts stay, with no name.
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
