-- Negotiating the help plan: proposals (numbered, immutable snapshots of the plan's items with
-- their content hash), the person's decision on each, and observations appended afterwards.
--
-- A proposal is written once. Its decision columns stay NULL until the person answers, and are
-- then filled once, all together; nothing else of the row ever changes and no row is deleted.
-- Observations are never edited nor deleted. Triggers enforce this even for the table owner,
-- on top of the application role's missing privileges.

CREATE TABLE plan_proposals (
    id            uuid PRIMARY KEY,
    org_id        uuid NOT NULL REFERENCES organisations (id),
    case_id       uuid NOT NULL REFERENCES cases (id),
    -- 1, 2, 3… within the case.
    number        integer NOT NULL CHECK (number >= 1),
    -- The frozen items (relais_domain::proposal::ProposalItem), at least one.
    items         jsonb NOT NULL
                  CHECK (jsonb_typeof(items) = 'array' AND jsonb_array_length(items) >= 1),
    -- Hex SHA-256 of the items' canonical JSON (relais_domain::proposal::content_hash).
    content_hash  text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    uuid NOT NULL REFERENCES agents (id),
    -- The person's answer: all NULL until recorded, then all set (notes optional).
    outcome       text CHECK (outcome IN ('accepted', 'changes_requested', 'refused')),
    channel       text CHECK (channel IN ('in_person', 'phone', 'email', 'post', 'signed_paper')),
    notes         text CHECK (length(notes) <= 5000),
    decided_at    timestamptz,
    recorded_by   uuid REFERENCES agents (id),
    CONSTRAINT plan_proposals_case_number_key UNIQUE (case_id, number),
    CONSTRAINT plan_proposals_decision_whole CHECK (
        (outcome IS NULL) = (channel IS NULL)
        AND (outcome IS NULL) = (decided_at IS NULL)
        AND (outcome IS NULL) = (recorded_by IS NULL)
        AND (outcome IS NOT NULL OR notes IS NULL)
    )
);
-- The unique (case_id, number) index serves the case's foreign key and its lists.
-- The plan view and the state machine look for a case's accepted proposals.
CREATE INDEX plan_proposals_accepted_idx ON plan_proposals (case_id, number)
    WHERE outcome = 'accepted';
CREATE INDEX plan_proposals_org_idx ON plan_proposals (org_id);
CREATE INDEX plan_proposals_created_by_idx ON plan_proposals (created_by);
CREATE INDEX plan_proposals_recorded_by_idx ON plan_proposals (recorded_by);

CREATE TABLE proposal_observations (
    id           uuid PRIMARY KEY,
    org_id       uuid NOT NULL REFERENCES organisations (id),
    proposal_id  uuid NOT NULL REFERENCES plan_proposals (id),
    text         text NOT NULL CHECK (length(text) BETWEEN 1 AND 5000 AND btrim(text) <> ''),
    channel      text NOT NULL
                 CHECK (channel IN ('in_person', 'phone', 'email', 'post', 'signed_paper')),
    at           timestamptz NOT NULL DEFAULT now(),
    recorded_by  uuid NOT NULL REFERENCES agents (id)
);
-- A proposal's observations, oldest first.
CREATE INDEX proposal_observations_proposal_idx ON proposal_observations (proposal_id, at, id);
CREATE INDEX proposal_observations_org_idx ON proposal_observations (org_id);
CREATE INDEX proposal_observations_recorded_by_idx ON proposal_observations (recorded_by);

-- A proposal's snapshot, hash, number, case and author never change; its decision is written
-- once (only while `outcome` is NULL); it is never deleted.
CREATE FUNCTION plan_proposals_immutable() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'plan proposals are never deleted' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.id IS DISTINCT FROM OLD.id
       OR NEW.org_id IS DISTINCT FROM OLD.org_id
       OR NEW.case_id IS DISTINCT FROM OLD.case_id
       OR NEW.number IS DISTINCT FROM OLD.number
       OR NEW.items IS DISTINCT FROM OLD.items
       OR NEW.content_hash IS DISTINCT FROM OLD.content_hash
       OR NEW.created_at IS DISTINCT FROM OLD.created_at
       OR NEW.created_by IS DISTINCT FROM OLD.created_by THEN
        RAISE EXCEPTION 'a plan proposal is an immutable snapshot'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.outcome IS NOT NULL THEN
        RAISE EXCEPTION 'the decision on a plan proposal is recorded once'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER plan_proposals_immutable
    BEFORE UPDATE OR DELETE ON plan_proposals
    FOR EACH ROW EXECUTE FUNCTION plan_proposals_immutable();
CREATE TRIGGER plan_proposals_no_truncate
    BEFORE TRUNCATE ON plan_proposals
    FOR EACH STATEMENT EXECUTE FUNCTION plan_proposals_immutable();

CREATE FUNCTION proposal_observations_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'observations are appended, never edited nor deleted'
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER proposal_observations_append_only
    BEFORE UPDATE OR DELETE ON proposal_observations
    FOR EACH ROW EXECUTE FUNCTION proposal_observations_append_only();
CREATE TRIGGER proposal_observations_no_truncate
    BEFORE TRUNCATE ON proposal_observations
    FOR EACH STATEMENT EXECUTE FUNCTION proposal_observations_append_only();

-- The application writes proposals and decisions, and appends observations: nothing more.
GRANT SELECT, INSERT, UPDATE ON plan_proposals TO relais_app;
REVOKE DELETE, TRUNCATE ON plan_proposals FROM relais_app;
GRANT SELECT, INSERT ON proposal_observations TO relais_app;
REVOKE UPDATE, DELETE, TRUNCATE ON proposal_observations FROM relais_app;

ALTER TABLE plan_proposals ENABLE ROW LEVEL SECURITY;
ALTER TABLE plan_proposals FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON plan_proposals
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());

ALTER TABLE proposal_observations ENABLE ROW LEVEL SECURITY;
ALTER TABLE proposal_observations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON proposal_observations
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());
