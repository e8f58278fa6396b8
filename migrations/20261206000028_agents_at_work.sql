-- People at work (DAILY.md): the agents' profile that documents print, whether an agent is still
-- at work, and absences during which a delegate covers the absent agent's caseload.

-- The profile. `display_name` and `email` come from the token until the agent writes their own
-- profile (`profile_owned`): from then on the token no longer overwrites them.
ALTER TABLE agents
    ADD COLUMN job_title     text CHECK (length(job_title) BETWEEN 1 AND 120),
    ADD COLUMN civility      text CHECK (civility IN ('mme', 'm')),
    ADD COLUMN phone         text CHECK (length(phone) BETWEEN 1 AND 30),
    ADD COLUMN profile_owned boolean NOT NULL DEFAULT false,
    -- An agent who left the organisation: kept (their name stays on what they wrote) but no
    -- longer chosen as referent, team member or delegate.
    ADD COLUMN active        boolean NOT NULL DEFAULT true,
    ADD COLUMN updated_at    timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN version       integer NOT NULL DEFAULT 1;
-- The directory, in id order (keyset pagination), per organisation.
CREATE INDEX agents_org_id_idx ON agents (org_id, id);

-- An absence from `starts_on` to `ends_on` (inclusive): meanwhile `delegate_id` is on the team of
-- every open case whose referent is `agent_id`. A cancelled absence is deleted (its delegations
-- go with it) when it had not begun, else it ends the day before its cancellation.
CREATE TABLE agent_absences (
    id           uuid PRIMARY KEY,
    org_id       uuid NOT NULL REFERENCES organisations (id),
    agent_id     uuid NOT NULL REFERENCES agents (id),
    delegate_id  uuid NOT NULL REFERENCES agents (id),
    starts_on    date NOT NULL,
    ends_on      date NOT NULL,
    created_by   uuid NOT NULL REFERENCES agents (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    version      integer NOT NULL DEFAULT 1,
    CHECK (ends_on >= starts_on),
    CHECK (delegate_id <> agent_id)
);
-- An agent's absences, latest recorded first; and the absences still to end, for the job.
CREATE INDEX agent_absences_agent_idx ON agent_absences (agent_id, id);
CREATE INDEX agent_absences_org_end_idx ON agent_absences (org_id, ends_on);
CREATE INDEX agent_absences_delegate_idx ON agent_absences (delegate_id);
CREATE INDEX agent_absences_created_by_idx ON agent_absences (created_by);

ALTER TABLE agent_absences ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_absences FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agent_absences
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());

-- A team membership that an absence made (NULL: a member in their own right). It ends with the
-- absence; deleting the absence deletes it.
ALTER TABLE case_team
    ADD COLUMN absence_id uuid REFERENCES agent_absences (id) ON DELETE CASCADE;
CREATE INDEX case_team_absence_idx ON case_team (absence_id);

-- What reception recorded today: by creator and time (replaces the creator-only index, which
-- this one covers for the foreign key).
CREATE INDEX cases_created_by_time_idx ON cases (created_by, created_at);
DROP INDEX cases_created_by_idx;
