-- The activity report (DAILY.md, "Activity report"): the figures of a period, per organisation,
-- team or referent, within 100 ms at a million cases. Counting the cases, contacts, steps,
-- applications… of a year at each request reads hundreds of thousands of rows, so the database
-- keeps a ledger of counts as the rows are written, whoever writes them (the application, the
-- import, the retention run, the bench seed), and a report sums the ledger's rows of the period.
--
-- A ledger row: under an agent (`referent_id`; the nil uuid is the whole organisation, written
-- beside every agent's row), a `measure`, a `dimension` ("origin:self", "kind:interview",
-- "days:42"…), a `day` and a count `n` (and an `amount` in cents). What each row of a source
-- table adds to the ledger is one SQL function of that row (`relais_activity_of_*`): the
-- triggers add what a statement's new rows contribute and take away what its old rows did; the
-- statistics take away the contribution of the persons who restricted the processing by calling
-- the same functions on their rows; the rebuild calls them on every row.
--
-- Rows are only ever inserted (deltas: no two writers wait on one row), and the background
-- worker folds the rows of a key into one (`relais_activity_compact`).
--
-- Two kinds of figures:
--   - flows, dated by the day of what they count (a case opened, a contact, a step due, an
--     application decided…): a period's figure is the sum of its days;
--   - stocks, the cases and the persons supported at some time in the period: `case` and
--     `person` count each one ever (day -infinity), `…:start` by the day it began and `…:end`
--     both ever (-infinity) and by the day it ended, so that those of a period are
--         ever − started after the period − (ended ever − ended since its first day)
--     and a report only reads the rows from its first day on.
--
-- Attribution: cases and persons count under their case's referent; contacts, group sessions
-- and assessments under the agent who held or wrote them; steps and applications under their
-- author; agreements under the agent who recorded them; liaisons under their sender; referrals
-- under their decider.

CREATE TABLE activity_counts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       uuid NOT NULL REFERENCES organisations (id),
    referent_id  uuid NOT NULL,
    measure      text NOT NULL CHECK (length(measure) <= 40),
    dimension    text NOT NULL CHECK (length(dimension) <= 80),
    day          date NOT NULL,
    n            bigint NOT NULL,
    amount       bigint NOT NULL DEFAULT 0
);

-- A report reads an agent's (or the organisation's) rows from a day on, and those of -infinity;
-- the index holds what it sums, so the read never visits the table. The folding finds the rows
-- of a key by it too.
CREATE INDEX activity_counts_key_idx
    ON activity_counts (org_id, referent_id, day, measure, dimension) INCLUDE (n, amount);

-- What a row of a source table adds to the ledger.
CREATE TYPE activity_delta AS (
    org_id       uuid,
    referent_id  uuid,
    measure      text,
    dimension    text,
    day          date,
    n            bigint,
    amount       bigint
);

-- Adds the deltas, summed per key first, under their agent and under the organisation.
CREATE FUNCTION relais_activity_add(deltas activity_delta[]) RETURNS void
    LANGUAGE sql SET search_path = public
    AS $$
    INSERT INTO activity_counts (org_id, referent_id, measure, dimension, day, n, amount)
    SELECT d.org_id, r.referent_id, d.measure, d.dimension, d.day, sum(d.n), sum(d.amount)
    FROM unnest(deltas) AS d
    CROSS JOIN LATERAL (VALUES ('00000000-0000-0000-0000-000000000000'::uuid), (d.referent_id))
        AS r (referent_id)
    WHERE r.referent_id IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(d.n) <> 0 OR sum(d.amount) <> 0
$$;

-- The same delta, taken away.
CREATE FUNCTION relais_activity_negated(d activity_delta) RETURNS activity_delta
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT ROW(d.org_id, d.referent_id, d.measure, d.dimension, d.day, -d.n, -d.amount)::activity_delta $$;

-- The age band of a person born on `born`, on `at`.
CREATE FUNCTION relais_age_band(born date, at date) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT CASE
        WHEN born IS NULL THEN 'unknown'
        WHEN a < 18 THEN 'under_18'
        WHEN a < 25 THEN '18_24'
        WHEN a < 35 THEN '25_34'
        WHEN a < 45 THEN '35_44'
        WHEN a < 55 THEN '45_54'
        WHEN a < 65 THEN '55_64'
        WHEN a < 75 THEN '65_74'
        ELSE '75_and_over'
    END
    FROM (SELECT date_part('year', age(at, born))::int AS a) AS x
$$;

-- A household's composition from its members' relationships to the person: none recorded
-- (`unknown`), alone, a couple with or without children, a single parent, or other.
CREATE FUNCTION relais_household_composition(recorded boolean, relationships text[])
    RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT CASE
        WHEN NOT recorded THEN 'unknown'
        WHEN partner AND child THEN 'couple_with_children'
        WHEN partner THEN 'couple'
        WHEN child THEN 'single_parent'
        WHEN cardinality(relationships) = 0 THEN 'single'
        ELSE 'other'
    END
    FROM (SELECT 'spouse_or_partner' = ANY (relationships) AS partner,
                 'child' = ANY (relationships) AS child) AS x
$$;

-- The composition of a person's household as recorded now. (The functions called once per row
-- fix no search_path, so that PostgreSQL can inline them into the statements calling them; they
-- run with the caller's rights, and the triggers fix theirs.)
CREATE FUNCTION relais_household_composition_of(person uuid) RETURNS text
    LANGUAGE sql STABLE
    AS $$
    SELECT relais_household_composition(
        EXISTS (SELECT 1 FROM households h WHERE h.person_id = person),
        ARRAY(SELECT m.relationship FROM household_members m WHERE m.person_id = person))
$$;

-- A case: counted ever and from its opening (by origin); when closed, ended on its closure day
-- (by origin and by reason), with its duration in days.
CREATE FUNCTION relais_activity_of_case(c cases) RETURNS SETOF activity_delta
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT ROW(c.org_id, c.referent_id, x.measure, x.dimension, x.day, 1, 0)::activity_delta
    FROM (VALUES
        ('case', 'origin:' || c.origin, '-infinity'::date),
        ('case:start', 'origin:' || c.origin, c.opened_on),
        ('case:end', 'origin:' || c.origin, CASE WHEN c.closed_on IS NOT NULL THEN '-infinity'::date END),
        ('case:end', 'origin:' || c.origin, c.closed_on),
        ('case:closure', 'reason:' || c.closure_reason, c.closed_on),
        ('case:duration', 'days:' || (c.closed_on - c.opened_on), c.closed_on)
    ) AS x (measure, dimension, day)
    WHERE x.day IS NOT NULL AND x.dimension IS NOT NULL
$$;

-- A person supported: each stretch of support (her cases' periods run together, an open case
-- running on) counted ever and from its first day, ended on its last day, under the referent
-- of its latest case; by age band on its first day, by household composition and by civility
-- (each adds up to the total).
CREATE FUNCTION relais_activity_of_person(p persons, person_cases cases[], composition text)
    RETURNS SETOF activity_delta
    LANGUAGE sql IMMUTABLE
    AS $$
    WITH c AS (
        SELECT x.opened_on AS s, coalesce(x.closed_on, 'infinity'::date) AS e, x.referent_id
        FROM unnest(person_cases) AS x
    ), ordered AS (
        SELECT c.*, max(e) OVER (ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                        AS ended_before
        FROM c
    ), numbered AS (
        SELECT o.*, count(*) FILTER (WHERE ended_before IS NULL OR s > ended_before)
                        OVER (ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS stretch
        FROM ordered o
    ), stretches AS (
        SELECT min(s) AS s, max(e) AS e, (array_agg(referent_id ORDER BY s DESC, e DESC))[1] AS referent_id
        FROM numbered GROUP BY stretch
    )
    SELECT ROW(p.org_id, st.referent_id, x.measure, d.dimension, x.day, 1, 0)::activity_delta
    FROM stretches st
    CROSS JOIN LATERAL (VALUES
        ('age:' || relais_age_band(p.birth_date, st.s)),
        ('household:' || composition),
        ('civility:' || coalesce(p.civility, 'unknown'))
    ) AS d (dimension)
    CROSS JOIN LATERAL (VALUES
        ('person', '-infinity'::date),
        ('person:start', st.s),
        ('person:end', CASE WHEN st.e < 'infinity' THEN '-infinity'::date END),
        ('person:end', CASE WHEN st.e < 'infinity' THEN st.e END)
    ) AS x (measure, day)
    WHERE x.day IS NOT NULL
$$;

-- A contact, on its day (held, or planned for): by kind and by status; a group session's
-- participant attended or not; a held first interview, the days since the case opened (the
-- first contact).
CREATE FUNCTION relais_activity_of_contact(k contacts) RETURNS SETOF activity_delta
    LANGUAGE sql STABLE
    AS $$
    SELECT ROW(k.org_id, k.author_id, x.measure, x.dimension, t.day, 1, 0)::activity_delta
    FROM (SELECT (coalesce(k.occurred_at, k.scheduled_at) AT TIME ZONE 'UTC')::date AS day) AS t
    CROSS JOIN LATERAL (VALUES
        ('contact', 'kind:' || k.kind),
        ('contact', 'status:' || k.status),
        (CASE WHEN k.group_session_id IS NOT NULL AND k.status IN ('held', 'no_show')
              THEN 'session:' || k.status END, ''),
        (CASE WHEN k.kind = 'first_interview' AND k.status = 'held' THEN 'delay:first_interview' END,
         'days:' || (t.day - (SELECT c.opened_on FROM cases c WHERE c.id = k.case_id)))
    ) AS x (measure, dimension)
    WHERE x.measure IS NOT NULL AND x.dimension IS NOT NULL
$$;

-- A group session held, on its day.
CREATE FUNCTION relais_activity_of_group_session(g group_sessions) RETURNS SETOF activity_delta
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT ROW(g.org_id, g.author_id, 'session', '', (g.occurred_at AT TIME ZONE 'UTC')::date, 1, 0)::activity_delta
$$;

-- A step, on its due day: by party, by category (party.category) and by status.
CREATE FUNCTION relais_activity_of_plan_item(i plan_items) RETURNS SETOF activity_delta
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT ROW(i.org_id, i.created_by, 'item', x.dimension, i.due_on, 1, 0)::activity_delta
    FROM (VALUES ('party:' || i.party), ('category:' || i.party || '.' || i.category),
                 ('status:' || i.status)) AS x (dimension)
$$;

-- A domain of an assessment needing action, on the day it was assessed.
CREATE FUNCTION relais_activity_of_assessment(a assessment_domains) RETURNS SETOF activity_delta
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT ROW(a.org_id, a.assessed_by, 'need', 'domain:' || a.domain,
               (a.assessed_at AT TIME ZONE 'UTC')::date, 1, 0)::activity_delta
    WHERE a.needs_action = 'yes'
$$;

-- A case's first accepted proposal, on the day it was accepted: the days since the case
-- opened. Answers are recorded once and in order, so "first" does not change afterwards.
CREATE FUNCTION relais_activity_of_proposal(p plan_proposals) RETURNS SETOF activity_delta
    LANGUAGE sql STABLE
    AS $$
    SELECT ROW(p.org_id, p.recorded_by, 'delay:agreement',
               'days:' || ((p.decided_at AT TIME ZONE 'UTC')::date - c.opened_on),
               (p.decided_at AT TIME ZONE 'UTC')::date, 1, 0)::activity_delta
    FROM cases c
    WHERE c.id = p.case_id AND p.outcome = 'accepted'
      AND NOT EXISTS (SELECT 1 FROM plan_proposals e
                      WHERE e.case_id = p.case_id AND e.outcome = 'accepted'
                        AND (e.decided_at, e.number) < (p.decided_at, p.number))
$$;

-- An application: submitted (by scheme) on its submission day; decided (by scheme and by
-- decision, the amount granted) on its decision day, with the need of its funding plan (the
-- amount requested, `need`) when it has one.
CREATE FUNCTION relais_activity_of_application(a applications, need bigint)
    RETURNS SETOF activity_delta
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT ROW(a.org_id, a.created_by, x.measure, x.dimension, x.day, x.n, x.amount)::activity_delta
    FROM (VALUES
        ('application:submitted', 'scheme:' || a.scheme_id, a.submitted_on, 1::bigint, 0::bigint),
        ('application:decided', 'scheme:' || a.scheme_id, a.decided_on, 1, coalesce(a.amount_granted_cents, 0)),
        ('application:decided', 'decision:' || a.decision, a.decided_on, 1, coalesce(a.amount_granted_cents, 0)),
        ('application:requested', 'scheme:' || a.scheme_id, CASE WHEN need IS NOT NULL THEN a.decided_on END, 1, need),
        ('application:requested', 'decision:' || a.decision, CASE WHEN need IS NOT NULL THEN a.decided_on END, 1, need)
    ) AS x (measure, dimension, day, n, amount)
    WHERE x.day IS NOT NULL AND x.dimension IS NOT NULL
$$;

-- The need of an application's funding plan, if any.
CREATE FUNCTION relais_funding_need(application uuid) RETURNS bigint
    LANGUAGE sql STABLE
    AS $$ SELECT f.need_cents FROM funding_plans f WHERE f.application_id = application $$;

-- A referral, on the day it was received: by partner and by outcome (its status).
CREATE FUNCTION relais_activity_of_referral(r referrals) RETURNS SETOF activity_delta
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT ROW(r.org_id, r.decided_by, 'referral', x.dimension,
               (r.received_at AT TIME ZONE 'UTC')::date, 1, 0)::activity_delta
    FROM (VALUES ('partner:' || r.partner_id), ('outcome:' || r.status)) AS x (dimension)
$$;

-- A liaison sent, on the day it was sent: by destination (a partner, or `other`) and by legal
-- basis.
CREATE FUNCTION relais_activity_of_liaison(l liaisons) RETURNS SETOF activity_delta
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT ROW(l.org_id, l.sent_by, 'liaison', x.dimension,
               (l.sent_at AT TIME ZONE 'UTC')::date, 1, 0)::activity_delta
    FROM (VALUES ('destination:' || coalesce(l.destination_partner_id::text, 'other')),
                 ('basis:' || l.legal_basis)) AS x (dimension)
    WHERE l.sent_at IS NOT NULL
$$;

-- Everything the persons `ids` contribute: their stretches of support, their cases, and their
-- cases' contacts, steps, assessments, agreements, applications and liaisons, and the referrals
-- that brought them. The statistics take it away for the persons who restricted the processing.
CREATE FUNCTION relais_activity_of_persons(ids uuid[]) RETURNS SETOF activity_delta
    LANGUAGE sql STABLE SET search_path = public
    AS $$
    SELECT d.* FROM persons p
    CROSS JOIN LATERAL relais_activity_of_person(
        p, ARRAY(SELECT c FROM cases c WHERE c.person_id = p.id),
        relais_household_composition_of(p.id)) AS d
    WHERE p.id = ANY (ids)
    UNION ALL
    SELECT d.* FROM cases c CROSS JOIN LATERAL relais_activity_of_case(c) AS d
    WHERE c.person_id = ANY (ids)
    UNION ALL
    SELECT d.* FROM cases c JOIN contacts k ON k.case_id = c.id
    CROSS JOIN LATERAL relais_activity_of_contact(k) AS d
    WHERE c.person_id = ANY (ids)
    UNION ALL
    SELECT d.* FROM cases c JOIN plan_items i ON i.case_id = c.id
    CROSS JOIN LATERAL relais_activity_of_plan_item(i) AS d
    WHERE c.person_id = ANY (ids)
    UNION ALL
    SELECT d.* FROM cases c JOIN assessment_domains a ON a.case_id = c.id
    CROSS JOIN LATERAL relais_activity_of_assessment(a) AS d
    WHERE c.person_id = ANY (ids)
    UNION ALL
    SELECT d.* FROM cases c JOIN plan_proposals pp ON pp.case_id = c.id
    CROSS JOIN LATERAL relais_activity_of_proposal(pp) AS d
    WHERE c.person_id = ANY (ids)
    UNION ALL
    SELECT d.* FROM cases c JOIN applications ap ON ap.case_id = c.id
    CROSS JOIN LATERAL relais_activity_of_application(ap, relais_funding_need(ap.id)) AS d
    WHERE c.person_id = ANY (ids)
    UNION ALL
    SELECT d.* FROM cases c JOIN liaisons l ON l.case_id = c.id
    CROSS JOIN LATERAL relais_activity_of_liaison(l) AS d
    WHERE c.person_id = ANY (ids)
    UNION ALL
    SELECT d.* FROM referrals r CROSS JOIN LATERAL relais_activity_of_referral(r) AS d
    WHERE r.person_id = ANY (ids)
$$;

-- ---------------------------------------------------------------------------------------------
-- The triggers: what a statement's new rows contribute, less what its old rows did.

-- A table whose rows contribute by themselves alone.
CREATE FUNCTION relais_activity_rows() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    deltas activity_delta[];
BEGIN
    -- The function of the table is named after it; the transition tables are new_rows and
    -- old_rows.
    EXECUTE format(
        CASE TG_OP
            WHEN 'INSERT' THEN
                'SELECT array_agg(d) FROM new_rows r CROSS JOIN LATERAL %1$I(r) AS d'
            WHEN 'DELETE' THEN
                'SELECT array_agg(relais_activity_negated(d)) FROM old_rows r CROSS JOIN LATERAL %1$I(r) AS d'
            ELSE
                'SELECT array_agg(d) FROM (
                     SELECT d FROM new_rows r CROSS JOIN LATERAL %1$I(r) AS d
                     UNION ALL
                     SELECT relais_activity_negated(d) FROM old_rows r CROSS JOIN LATERAL %1$I(r) AS d
                 ) AS x'
        END, TG_ARGV[0])
    INTO deltas;
    PERFORM relais_activity_add(deltas);
    RETURN NULL;
END
$$;

CREATE TRIGGER contacts_activity_insert AFTER INSERT ON contacts
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_rows('relais_activity_of_contact');
CREATE TRIGGER contacts_activity_update AFTER UPDATE ON contacts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_rows('relais_activity_of_contact');
CREATE TRIGGER contacts_activity_delete AFTER DELETE ON contacts
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_rows('relais_activity_of_contact');

CREATE TRIGGER group_sessions_activity_insert AFTER INSERT ON group_sessions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_rows('relais_activity_of_group_session');
CREATE TRIGGER group_sessions_activity_update AFTER UPDATE ON group_sessions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_rows('relais_activity_of_group_session');
CREATE TRIGGER group_sessions_activity_delete AFTER DELETE ON group_sessions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_rows('relais_activity_of_group_session');

CREATE TRIGGER plan_items_activity_insert AFTER INSERT ON plan_items
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_rows('relais_activity_of_plan_item');
CREATE TRIGGER plan_items_activity_update AFTER UPDATE ON plan_items
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_rows('relais_activity_of_plan_item');
CREATE TRIGGER plan_items_activity_delete AFTER DELETE ON plan_items
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_rows('relais_activity_of_plan_item');

CREATE TRIGGER assessment_domains_activity_insert AFTER INSERT ON assessment_domains
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_rows('relais_activity_of_assessment');
CREATE TRIGGER assessment_domains_activity_update AFTER UPDATE ON assessment_domains
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_rows('relais_activity_of_assessment');
CREATE TRIGGER assessment_domains_activity_delete AFTER DELETE ON assessment_domains
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_rows('relais_activity_of_assessment');

CREATE TRIGGER plan_proposals_activity_insert AFTER INSERT ON plan_proposals
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_rows('relais_activity_of_proposal');
CREATE TRIGGER plan_proposals_activity_update AFTER UPDATE ON plan_proposals
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_rows('relais_activity_of_proposal');

CREATE TRIGGER referrals_activity_insert AFTER INSERT ON referrals
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_rows('relais_activity_of_referral');
CREATE TRIGGER referrals_activity_update AFTER UPDATE ON referrals
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_rows('relais_activity_of_referral');
CREATE TRIGGER referrals_activity_delete AFTER DELETE ON referrals
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_rows('relais_activity_of_referral');

CREATE TRIGGER liaisons_activity_insert AFTER INSERT ON liaisons
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_rows('relais_activity_of_liaison');
CREATE TRIGGER liaisons_activity_update AFTER UPDATE ON liaisons
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_rows('relais_activity_of_liaison');
CREATE TRIGGER liaisons_activity_delete AFTER DELETE ON liaisons
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_rows('relais_activity_of_liaison');

-- Applications: with the need of their funding plan as it is (a statement writes one table).
CREATE FUNCTION relais_activity_applications() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    deltas activity_delta[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(d) INTO deltas
        FROM new_rows r CROSS JOIN LATERAL relais_activity_of_application(r, relais_funding_need(r.id)) AS d;
    ELSE
        SELECT array_agg(d) INTO deltas FROM (
            SELECT d FROM new_rows r
            CROSS JOIN LATERAL relais_activity_of_application(r, relais_funding_need(r.id)) AS d
            UNION ALL
            SELECT relais_activity_negated(d) FROM old_rows r
            CROSS JOIN LATERAL relais_activity_of_application(r, relais_funding_need(r.id)) AS d
        ) AS x;
    END IF;
    PERFORM relais_activity_add(deltas);
    RETURN NULL;
END
$$;

CREATE TRIGGER applications_activity_insert AFTER INSERT ON applications
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_applications();
CREATE TRIGGER applications_activity_update AFTER UPDATE ON applications
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_applications();

-- Funding plans: their application's contribution with the old need, then the new one.
CREATE FUNCTION relais_activity_funding_plans() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    deltas activity_delta[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(d) INTO deltas FROM (
            SELECT d FROM new_rows f JOIN applications a ON a.id = f.application_id
            CROSS JOIN LATERAL relais_activity_of_application(a, f.need_cents) AS d
            UNION ALL
            SELECT relais_activity_negated(d) FROM new_rows f JOIN applications a ON a.id = f.application_id
            CROSS JOIN LATERAL relais_activity_of_application(a, NULL) AS d
        ) AS x;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(d) INTO deltas FROM (
            SELECT d FROM old_rows f JOIN applications a ON a.id = f.application_id
            CROSS JOIN LATERAL relais_activity_of_application(a, NULL) AS d
            UNION ALL
            SELECT relais_activity_negated(d) FROM old_rows f JOIN applications a ON a.id = f.application_id
            CROSS JOIN LATERAL relais_activity_of_application(a, f.need_cents) AS d
        ) AS x;
    ELSE
        SELECT array_agg(d) INTO deltas FROM (
            SELECT d FROM new_rows f JOIN applications a ON a.id = f.application_id
            CROSS JOIN LATERAL relais_activity_of_application(a, f.need_cents) AS d
            UNION ALL
            SELECT relais_activity_negated(d) FROM old_rows f JOIN applications a ON a.id = f.application_id
            CROSS JOIN LATERAL relais_activity_of_application(a, f.need_cents) AS d
        ) AS x;
    END IF;
    PERFORM relais_activity_add(deltas);
    RETURN NULL;
END
$$;

CREATE TRIGGER funding_plans_activity_insert AFTER INSERT ON funding_plans
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_funding_plans();
CREATE TRIGGER funding_plans_activity_update AFTER UPDATE ON funding_plans
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_funding_plans();
CREATE TRIGGER funding_plans_activity_delete AFTER DELETE ON funding_plans
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_funding_plans();

-- Cases: their own contribution, and their persons' stretches of support, before the statement
-- (the cases it did not touch, and the old rows of those it did) and after.
CREATE FUNCTION relais_activity_cases() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    deltas activity_delta[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- Each person of the new cases read once: her cases now, her household's composition.
        WITH touched AS MATERIALIZED (
            SELECT p AS person, relais_household_composition_of(p.id) AS composition,
                   ARRAY(SELECT c FROM cases c WHERE c.person_id = p.id) AS now
            FROM persons p
            WHERE p.id IN (SELECT person_id FROM new_rows)
        )
        SELECT array_agg(d) INTO deltas FROM (
            SELECT d FROM new_rows r CROSS JOIN LATERAL relais_activity_of_case(r) AS d
            UNION ALL
            SELECT d FROM touched t
            CROSS JOIN LATERAL relais_activity_of_person(t.person, t.now, t.composition) AS d
            UNION ALL
            -- Before: without the new cases (nothing to take away for a person whose only case
            -- is new, the usual case).
            SELECT relais_activity_negated(d) FROM touched t
            CROSS JOIN LATERAL relais_activity_of_person(
                t.person,
                ARRAY(SELECT c FROM unnest(t.now) AS c
                      WHERE c.id NOT IN (SELECT id FROM new_rows)),
                t.composition) AS d
            WHERE cardinality(t.now) > 1
        ) AS x;
    ELSE
        -- The persons of the cases whose person, dates or referent changed.
        WITH moved AS (
            SELECT o.person_id FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (o.person_id, o.opened_on, o.closed_on, o.referent_id)
                  IS DISTINCT FROM (n.person_id, n.opened_on, n.closed_on, n.referent_id)
            UNION
            SELECT n.person_id FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (o.person_id, o.opened_on, o.closed_on, o.referent_id)
                  IS DISTINCT FROM (n.person_id, n.opened_on, n.closed_on, n.referent_id)
        )
        SELECT array_agg(d) INTO deltas FROM (
            SELECT d FROM new_rows r CROSS JOIN LATERAL relais_activity_of_case(r) AS d
            UNION ALL
            SELECT relais_activity_negated(d) FROM old_rows r
            CROSS JOIN LATERAL relais_activity_of_case(r) AS d
            UNION ALL
            SELECT d FROM persons p
            CROSS JOIN LATERAL relais_activity_of_person(
                p, ARRAY(SELECT c FROM cases c WHERE c.person_id = p.id),
                relais_household_composition_of(p.id)) AS d
            WHERE p.id IN (SELECT person_id FROM moved)
            UNION ALL
            SELECT relais_activity_negated(d) FROM persons p
            CROSS JOIN LATERAL relais_activity_of_person(
                p, ARRAY(SELECT c FROM cases c WHERE c.person_id = p.id
                           AND c.id NOT IN (SELECT id FROM new_rows)
                         UNION ALL
                         SELECT o::cases FROM old_rows o WHERE o.person_id = p.id),
                relais_household_composition_of(p.id)) AS d
            WHERE p.id IN (SELECT person_id FROM moved)
        ) AS x;
    END IF;
    PERFORM relais_activity_add(deltas);
    RETURN NULL;
END
$$;

CREATE TRIGGER cases_activity_insert AFTER INSERT ON cases
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_cases();
CREATE TRIGGER cases_activity_update AFTER UPDATE ON cases
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_cases();

-- Persons: a changed birth date or civility (an anonymisation erases the civility and keeps the
-- year of birth) moves their stretches of support between bands.
CREATE FUNCTION relais_activity_persons() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    deltas activity_delta[];
BEGIN
    SELECT array_agg(d) INTO deltas FROM (
        SELECT d FROM old_rows o JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL relais_activity_of_person(
            n, ARRAY(SELECT c FROM cases c WHERE c.person_id = n.id),
            relais_household_composition_of(n.id)) AS d
        WHERE (o.birth_date, o.civility) IS DISTINCT FROM (n.birth_date, n.civility)
        UNION ALL
        SELECT relais_activity_negated(d) FROM old_rows o JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL relais_activity_of_person(
            o, ARRAY(SELECT c FROM cases c WHERE c.person_id = o.id),
            relais_household_composition_of(o.id)) AS d
        WHERE (o.birth_date, o.civility) IS DISTINCT FROM (n.birth_date, n.civility)
    ) AS x;
    PERFORM relais_activity_add(deltas);
    RETURN NULL;
END
$$;

CREATE TRIGGER persons_activity_update AFTER UPDATE ON persons
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_persons();

-- Persons whose household composition changed: their stretches of support under the composition
-- `before` taken away, under the current one added.
CREATE FUNCTION relais_activity_recomposed(ids uuid[], before text[]) RETURNS SETOF activity_delta
    LANGUAGE sql STABLE SET search_path = public
    AS $$
    SELECT x.d FROM unnest(ids, before) AS u (id, before)
    JOIN persons p ON p.id = u.id
    CROSS JOIN LATERAL (
        SELECT d FROM relais_activity_of_person(
            p, ARRAY(SELECT c FROM cases c WHERE c.person_id = p.id),
            relais_household_composition_of(p.id)) AS d
        UNION ALL
        SELECT relais_activity_negated(d) FROM relais_activity_of_person(
            p, ARRAY(SELECT c FROM cases c WHERE c.person_id = p.id), u.before) AS d
    ) AS x
    WHERE u.before IS DISTINCT FROM relais_household_composition_of(p.id)
$$;

-- Households recorded or removed (members go before their household, come after it).
CREATE FUNCTION relais_activity_households() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    deltas activity_delta[];
BEGIN
    SELECT array_agg(d) INTO deltas FROM relais_activity_recomposed(
        ARRAY(SELECT person_id FROM changed_households ORDER BY person_id),
        ARRAY(SELECT CASE WHEN TG_OP = 'INSERT' THEN 'unknown'
                          ELSE relais_household_composition(true, ARRAY(
                              SELECT m.relationship FROM household_members m
                              WHERE m.person_id = h.person_id)) END
              FROM changed_households h ORDER BY person_id)) AS d;
    PERFORM relais_activity_add(deltas);
    RETURN NULL;
END
$$;

CREATE TRIGGER households_activity_insert AFTER INSERT ON households
    REFERENCING NEW TABLE AS changed_households
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_households();
CREATE TRIGGER households_activity_delete AFTER DELETE ON households
    REFERENCING OLD TABLE AS changed_households
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_households();

-- Household members written: the composition before is that of the members the statement did
-- not touch and of its old rows.
CREATE FUNCTION relais_activity_household_members() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    deltas activity_delta[];
    ids uuid[];
    kept_and_old text;
BEGIN
    -- The members as they were: those untouched, and the old rows (none on insert).
    kept_and_old := CASE TG_OP
        WHEN 'INSERT' THEN
            'SELECT m.relationship FROM household_members m WHERE m.person_id = p
               AND (m.person_id, m.position) NOT IN (SELECT n.person_id, n.position FROM new_rows n)'
        WHEN 'DELETE' THEN
            'SELECT m.relationship FROM household_members m WHERE m.person_id = p
             UNION ALL SELECT o.relationship FROM old_rows o WHERE o.person_id = p'
        ELSE
            'SELECT m.relationship FROM household_members m WHERE m.person_id = p
               AND (m.person_id, m.position) NOT IN (SELECT n.person_id, n.position FROM new_rows n)
             UNION ALL SELECT o.relationship FROM old_rows o WHERE o.person_id = p'
        END;
    EXECUTE format(
        'SELECT array_agg(p ORDER BY p) FROM (%s) AS x (p)',
        CASE TG_OP
            WHEN 'INSERT' THEN 'SELECT DISTINCT person_id FROM new_rows'
            WHEN 'DELETE' THEN 'SELECT DISTINCT person_id FROM old_rows'
            ELSE 'SELECT person_id FROM new_rows UNION SELECT person_id FROM old_rows'
        END)
    INTO ids;
    EXECUTE format(
        'SELECT array_agg(d) FROM relais_activity_recomposed($1, ARRAY(
             SELECT relais_household_composition(
                        EXISTS (SELECT 1 FROM households h WHERE h.person_id = p),
                        ARRAY(%s))
             FROM unnest($1) WITH ORDINALITY AS u (p, i) ORDER BY i)) AS d',
        kept_and_old)
    INTO deltas USING ids;
    PERFORM relais_activity_add(deltas);
    RETURN NULL;
END
$$;

CREATE TRIGGER household_members_activity_insert AFTER INSERT ON household_members
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_household_members();
CREATE TRIGGER household_members_activity_update AFTER UPDATE ON household_members
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_household_members();
CREATE TRIGGER household_members_activity_delete AFTER DELETE ON household_members
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relais_activity_household_members();

-- ---------------------------------------------------------------------------------------------
-- Counts every row again, in place of the ledger: of every organisation for a superuser, of the
-- current one (`relais.org_id`) for anyone else. For the rows already there below, and for an
-- operator whose writes bypassed the triggers (docs/deployment.md).
CREATE FUNCTION relais_activity_rebuild() RETURNS void
    LANGUAGE plpgsql SET search_path = public
    AS $$
BEGIN
    -- Writers wait: a count they added between the deletion and the recount would be added twice.
    LOCK TABLE persons, cases, contacts, group_sessions, plan_items, assessment_domains,
        plan_proposals, applications, funding_plans, referrals, liaisons, households,
        household_members IN SHARE MODE;
    DELETE FROM activity_counts;
    PERFORM relais_activity_add(array_agg(d)) FROM (
        SELECT d FROM relais_activity_of_persons(ARRAY(SELECT id FROM persons)) AS d
        UNION ALL
        SELECT d FROM group_sessions g CROSS JOIN LATERAL relais_activity_of_group_session(g) AS d
        UNION ALL
        SELECT d FROM referrals r CROSS JOIN LATERAL relais_activity_of_referral(r) AS d
        WHERE r.person_id IS NULL
    ) AS x;
END
$$;

-- Which ledger rows the last folding had seen.
CREATE TABLE activity_folding (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    folded_to  bigint NOT NULL
);
INSERT INTO activity_folding (folded_to) VALUES (0);

-- Folds the rows written since the last folding into one row per key (with the rows of their
-- keys already there); returns how many rows it removed. One folding at a time (another replica
-- finding one under way returns 0), beside writers: it only inserts and deletes, and a row a
-- transaction still holds uncommitted is folded when its key is written again.
CREATE FUNCTION relais_activity_compact() RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    previous text := current_setting('relais.org_id', true);
    since bigint;
    upto bigint;
    org uuid;
    folded bigint := 0;
    removed bigint;
BEGIN
    SELECT folded_to INTO since FROM activity_folding FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    SELECT last_value INTO upto FROM activity_counts_id_seq;
    FOR org IN SELECT id FROM organisations ORDER BY id LOOP
        -- The rows are the organisation's, under its tenant policy.
        PERFORM set_config('relais.org_id', org::text, true);
        -- The keys written since, each looked up by the key index (a join would not know
        -- how few they are); only those with several rows are folded.
        WITH keys AS MATERIALIZED (
            SELECT DISTINCT referent_id, measure, dimension, day FROM activity_counts
            WHERE org_id = org AND id > since AND id <= upto
        ), doomed AS (
            SELECT x.id
            FROM keys k
            CROSS JOIN LATERAL (
                SELECT array_agg(a.id) AS ids FROM activity_counts a
                WHERE a.org_id = org AND a.referent_id = k.referent_id AND a.day = k.day
                  AND a.measure = k.measure AND a.dimension = k.dimension
            ) AS l
            CROSS JOIN LATERAL unnest(l.ids) AS x (id)
            WHERE cardinality(l.ids) > 1
        ), gone AS (
            DELETE FROM activity_counts a
            WHERE a.id IN (SELECT c.id FROM activity_counts c
                           WHERE c.id IN (SELECT id FROM doomed)
                           FOR UPDATE SKIP LOCKED)
            RETURNING a.referent_id, a.measure, a.dimension, a.day, a.n, a.amount
        ), written AS (
            INSERT INTO activity_counts (org_id, referent_id, measure, dimension, day, n, amount)
            SELECT org, referent_id, measure, dimension, day, sum(n), sum(amount) FROM gone
            GROUP BY 1, 2, 3, 4, 5
            HAVING sum(n) <> 0 OR sum(amount) <> 0
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM gone) - (SELECT count(*) FROM written) INTO removed;
        folded := folded + removed;
    END LOOP;
    UPDATE activity_folding SET folded_to = upto;
    PERFORM set_config('relais.org_id', coalesce(previous, ''), true);
    RETURN folded;
END
$$;

-- The counts of the rows already there, as the tables' owner, which row-level security binds
-- too (FORCE) unless it is a superuser: lifted for this transaction.
ALTER TABLE persons NO FORCE ROW LEVEL SECURITY;
ALTER TABLE cases NO FORCE ROW LEVEL SECURITY;
ALTER TABLE contacts NO FORCE ROW LEVEL SECURITY;
ALTER TABLE group_sessions NO FORCE ROW LEVEL SECURITY;
ALTER TABLE plan_items NO FORCE ROW LEVEL SECURITY;
ALTER TABLE assessment_domains NO FORCE ROW LEVEL SECURITY;
ALTER TABLE plan_proposals NO FORCE ROW LEVEL SECURITY;
ALTER TABLE applications NO FORCE ROW LEVEL SECURITY;
ALTER TABLE funding_plans NO FORCE ROW LEVEL SECURITY;
ALTER TABLE referrals NO FORCE ROW LEVEL SECURITY;
ALTER TABLE liaisons NO FORCE ROW LEVEL SECURITY;
ALTER TABLE households NO FORCE ROW LEVEL SECURITY;
ALTER TABLE household_members NO FORCE ROW LEVEL SECURITY;
SELECT relais_activity_rebuild();
ALTER TABLE persons FORCE ROW LEVEL SECURITY;
ALTER TABLE cases FORCE ROW LEVEL SECURITY;
ALTER TABLE contacts FORCE ROW LEVEL SECURITY;
ALTER TABLE group_sessions FORCE ROW LEVEL SECURITY;
ALTER TABLE plan_items FORCE ROW LEVEL SECURITY;
ALTER TABLE assessment_domains FORCE ROW LEVEL SECURITY;
ALTER TABLE plan_proposals FORCE ROW LEVEL SECURITY;
ALTER TABLE applications FORCE ROW LEVEL SECURITY;
ALTER TABLE funding_plans FORCE ROW LEVEL SECURITY;
ALTER TABLE referrals FORCE ROW LEVEL SECURITY;
ALTER TABLE liaisons FORCE ROW LEVEL SECURITY;
ALTER TABLE households FORCE ROW LEVEL SECURITY;
ALTER TABLE household_members FORCE ROW LEVEL SECURITY;

ALTER TABLE activity_counts ENABLE ROW LEVEL SECURITY;
ALTER TABLE activity_counts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON activity_counts
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());

-- Kept by the triggers only: the application reads the counts.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON activity_counts FROM relais_app;
REVOKE ALL ON activity_folding FROM relais_app;
REVOKE EXECUTE ON FUNCTION relais_activity_add(activity_delta[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION relais_activity_rebuild() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION relais_activity_compact() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION relais_activity_compact() TO relais_worker;
