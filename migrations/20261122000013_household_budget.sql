-- The household of a person (composition familiale, housing, the person's employment status)
-- and the household's monthly budget (resources and charges by kind, in cents).
--
-- Each is one head row per person, created by the first PUT and carrying the version its ETag
-- shows, plus its lines, replaced together by each PUT (as the assessment's domains are). Lines
-- are rows rather than a jsonb document so that every code, amount and date is checked by the
-- database like any other column, and so that statistics can add amounts by kind in SQL.
-- `position` keeps the order the worker gave.
--
-- The codes are those of relais_domain::household and relais_domain::budget; the bounds are
-- those of the domain (20 members, 30 lines a side, 0 to 10 000 000 cents a line, labels of
-- 200 characters). The derived figures (reste à vivre, consumption units, quotient familial)
-- are computed by the domain on each read and never stored: they depend on the day (ages).

CREATE TABLE households (
    person_id   uuid PRIMARY KEY REFERENCES persons (id),
    org_id      uuid NOT NULL REFERENCES organisations (id),
    housing     text CHECK (housing IN ('tenant', 'owner', 'hosted', 'emergency_accommodation',
                                        'homeless', 'other')),
    employment  text CHECK (employment IN ('employed', 'job_seeker', 'student', 'retired',
                                           'inactive', 'other')),
    version     integer NOT NULL CHECK (version >= 1),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  uuid REFERENCES agents (id)
);
CREATE INDEX households_org_idx ON households (org_id);
CREATE INDEX households_updated_by_idx ON households (updated_by);

CREATE TABLE household_members (
    person_id     uuid NOT NULL REFERENCES households (person_id),
    org_id        uuid NOT NULL REFERENCES organisations (id),
    position      smallint NOT NULL CHECK (position BETWEEN 0 AND 19),
    relationship  text NOT NULL CHECK (relationship IN ('spouse_or_partner', 'child', 'parent',
                                                        'sibling', 'other_relative', 'other')),
    birth_date    date NOT NULL CHECK (birth_date >= DATE '1890-01-01'),
    dependent     boolean NOT NULL,
    PRIMARY KEY (person_id, position)
);
CREATE INDEX household_members_org_idx ON household_members (org_id);
-- At most one spouse or partner per household.
CREATE UNIQUE INDEX household_members_one_partner_key ON household_members (person_id)
    WHERE relationship = 'spouse_or_partner';

CREATE TABLE budgets (
    person_id   uuid PRIMARY KEY REFERENCES persons (id),
    org_id      uuid NOT NULL REFERENCES organisations (id),
    version     integer NOT NULL CHECK (version >= 1),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  uuid REFERENCES agents (id)
);
CREATE INDEX budgets_org_idx ON budgets (org_id);
CREATE INDEX budgets_updated_by_idx ON budgets (updated_by);

CREATE TABLE budget_lines (
    person_id     uuid NOT NULL REFERENCES budgets (person_id),
    org_id        uuid NOT NULL REFERENCES organisations (id),
    side          text NOT NULL CHECK (side IN ('resource', 'charge')),
    position      smallint NOT NULL CHECK (position BETWEEN 0 AND 29),
    kind          text NOT NULL,
    amount_cents  bigint NOT NULL CHECK (amount_cents BETWEEN 0 AND 10000000),
    label         text CHECK (length(label) <= 200),
    PRIMARY KEY (person_id, side, position),
    CONSTRAINT budget_lines_kind_of_side CHECK (
        (side = 'resource' AND kind IN ('salary', 'unemployment_benefit', 'rsa', 'prime_activite',
                                        'family_allowances', 'housing_allowance', 'pension',
                                        'aah', 'other'))
        OR (side = 'charge' AND kind IN ('rent', 'energy', 'water', 'insurance', 'telecom',
                                         'transport', 'childcare', 'loans', 'debt_repayments',
                                         'other')))
);
CREATE INDEX budget_lines_org_idx ON budget_lines (org_id);

-- Head rows are versioned and never deleted by the application; lines are replaced.
GRANT SELECT, INSERT, UPDATE ON households, budgets TO relais_app;
REVOKE DELETE, TRUNCATE ON households, budgets FROM relais_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON household_members, budget_lines TO relais_app;
REVOKE TRUNCATE ON household_members, budget_lines FROM relais_app;

ALTER TABLE households ENABLE ROW LEVEL SECURITY;
ALTER TABLE households FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON households
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());

ALTER TABLE household_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE household_members FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON household_members
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());

ALTER TABLE budgets ENABLE ROW LEVEL SECURITY;
ALTER TABLE budgets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON budgets
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());

ALTER TABLE budget_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE budget_lines FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON budget_lines
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());
