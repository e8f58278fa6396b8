-- Contact outcomes (DAILY.md, "Contacts and group sessions"): a contact is `planned` until its
-- outcome is recorded once: `held` (occurred_at set), `cancelled` or `no_show` (occurred_at
-- NULL, scheduled_at kept, an optional reason). Only a planned contact is in the agenda. A group
-- session gains its place, and a case that did not attend gets a `no_show` contact of it.

-- Every existing contact is held when it has a held time, planned otherwise. A constant default
-- is written into no row: only the planned ones are, and the agenda triggers ignore a statement
-- that changes no time.
ALTER TABLE contacts ADD COLUMN status text NOT NULL DEFAULT 'held';
ALTER TABLE contacts ADD COLUMN outcome_reason text;
-- Read and written by the owner, whom row-level security (FORCE) binds unless it is a superuser:
-- lifted for this transaction.
ALTER TABLE contacts NO FORCE ROW LEVEL SECURITY;
UPDATE contacts SET status = 'planned' WHERE occurred_at IS NULL;
ALTER TABLE contacts FORCE ROW LEVEL SECURITY;
ALTER TABLE contacts ALTER COLUMN status SET DEFAULT 'planned';
ALTER TABLE contacts
    ADD CONSTRAINT contacts_status_check
        CHECK (status IN ('planned', 'held', 'cancelled', 'no_show')),
    -- Held exactly when it has a held time; otherwise its planned time stays.
    ADD CONSTRAINT contacts_status_time_check
        CHECK ((status = 'held') = (occurred_at IS NOT NULL)),
    ADD CONSTRAINT contacts_outcome_reason_check
        CHECK (outcome_reason IS NULL
               OR (status IN ('cancelled', 'no_show')
                   AND length(outcome_reason) BETWEEN 1 AND 500));

-- The planned contacts: by the status now (a cancelled contact has no held time either).
DROP INDEX contacts_case_planned_idx;
CREATE INDEX contacts_case_planned_idx
    ON contacts (case_id, scheduled_at) WHERE status = 'planned';
DROP INDEX contacts_author_planned_idx;
CREATE INDEX contacts_author_planned_idx
    ON contacts (author_id, scheduled_at) WHERE status = 'planned';
-- A case's contacts of some statuses, newest first (the list's `status` filter).
CREATE INDEX contacts_case_status_time_idx
    ON contacts (case_id, status, (coalesce(occurred_at, scheduled_at)) DESC, id DESC);

ALTER TABLE group_sessions
    ADD COLUMN place text CHECK (length(place) BETWEEN 1 AND 200);

-- What the agenda holds (migration 26): a contact while it is planned only.
CREATE OR REPLACE VIEW agenda_entries_due WITH (security_invoker = true) AS
SELECT c.org_id, t.agent_id, 'deadline'::text AS kind, p.due_on AS day, p.id AS entry_id,
       c.id AS case_id
FROM cases c
JOIN case_team t ON t.case_id = c.id
JOIN plan_items p ON p.case_id = c.id
WHERE c.status NOT IN ('closed', 'archived')
  AND p.status IN ('planned', 'in_progress', 'blocked')
UNION ALL
SELECT c.org_id, t.agent_id, 'contact', (k.scheduled_at AT TIME ZONE 'UTC')::date, k.id, c.id
FROM cases c
JOIN case_team t ON t.case_id = c.id
JOIN contacts k ON k.case_id = c.id
WHERE c.status <> 'archived'
  AND k.status = 'planned'
  AND k.scheduled_at IS NOT NULL;

-- The steps or contacts a statement wrote (migration 26): a contact's rows are written again
-- when its status changes too (a cancelled or missed contact leaves the agenda).
CREATE OR REPLACE FUNCTION relais_agenda_entries_written() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    ids uuid[];
    case_ids uuid[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(id), array_agg(DISTINCT case_id) INTO ids, case_ids FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(id), array_agg(DISTINCT case_id) INTO ids, case_ids FROM old_rows;
    ELSIF TG_TABLE_NAME = 'plan_items' THEN
        SELECT array_agg(DISTINCT n.id), array_agg(DISTINCT x) INTO ids, case_ids
        FROM old_rows o JOIN new_rows n ON n.id = o.id,
             LATERAL (VALUES (o.case_id), (n.case_id)) AS v(x)
        WHERE (o.status, o.due_on, o.case_id) IS DISTINCT FROM (n.status, n.due_on, n.case_id);
    ELSE
        SELECT array_agg(DISTINCT n.id), array_agg(DISTINCT x) INTO ids, case_ids
        FROM old_rows o JOIN new_rows n ON n.id = o.id,
             LATERAL (VALUES (o.case_id), (n.case_id)) AS v(x)
        WHERE (o.status, o.scheduled_at, o.occurred_at, o.case_id)
              IS DISTINCT FROM (n.status, n.scheduled_at, n.occurred_at, n.case_id);
    END IF;
    IF ids IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM cases WHERE id = ANY (case_ids) ORDER BY id FOR NO KEY UPDATE;
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM agenda_entries WHERE entry_id = ANY (ids);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO agenda_entries (org_id, agent_id, kind, day, entry_id, case_id)
        SELECT org_id, agent_id, kind, day, entry_id, case_id
        FROM agenda_entries_due WHERE entry_id = ANY (ids);
    END IF;
    RETURN NULL;
END
$$;

-- Anonymisation (migration 20) erases the reason of a cancellation or an absence with the
-- contact's other texts.
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
