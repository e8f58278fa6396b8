-- The help plan's items (démarches): who acts (the worker: an intervention; the person: a
-- préconisation; a partner), the kind of step, the domain, the due date and where it stands.
--
-- Items are changed in place with a version (ETag) and deleted for real: negotiation works on
-- proposals, which are snapshots of the items, so the plan's history lives there and in the
-- case timeline (case_events kinds plan_item_added / plan_item_updated / plan_item_removed).

CREATE TABLE plan_items (
    id              uuid PRIMARY KEY,
    org_id          uuid NOT NULL REFERENCES organisations (id),
    case_id         uuid NOT NULL REFERENCES cases (id),
    party           text NOT NULL CHECK (party IN ('worker', 'person', 'partner')),
    category        text NOT NULL CHECK (category IN ('orientation', 'investigation',
                                                      'partner_consultation', 'social_report',
                                                      'correspondence', 'paperwork',
                                                      'calls_and_visits')),
    domain          text NOT NULL CHECK (domain IN ('health', 'housing', 'employment', 'family',
                                                    'finances', 'old_age', 'administrative',
                                                    'mobility', 'digital', 'other')),
    title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 200 AND btrim(title) <> ''),
    details         text CHECK (length(details) <= 5000),
    -- Links to the scheme catalogue and to the case's applications. Those tables arrive with
    -- a later issue: the foreign keys (and their indexes) will be added then.
    scheme_id       uuid,
    application_id  uuid,
    due_on          date NOT NULL,
    status          text NOT NULL DEFAULT 'planned'
                    CHECK (status IN ('planned', 'in_progress', 'blocked', 'done', 'cancelled')),
    done_on         date,
    outcome         text CHECK (length(outcome) <= 5000),
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      uuid NOT NULL REFERENCES agents (id),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      uuid NOT NULL REFERENCES agents (id),
    version         integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    -- The party's categories (relais_domain::plan::categories_for).
    CONSTRAINT plan_items_category_fits_party CHECK (
        (party = 'worker' AND category IN ('orientation', 'investigation', 'partner_consultation',
                                           'social_report', 'correspondence'))
        OR (party = 'person' AND category IN ('paperwork', 'orientation', 'calls_and_visits'))
        OR (party = 'partner' AND category IN ('orientation', 'investigation',
                                               'partner_consultation', 'correspondence',
                                               'paperwork'))
    ),
    -- A done item always has its done date, and only a done item has one.
    CONSTRAINT plan_items_done_on_when_done CHECK ((status = 'done') = (done_on IS NOT NULL))
);
-- A case's plan in its order (by due date), and keyset pages of it.
CREATE INDEX plan_items_case_idx ON plan_items (case_id, due_on, id);
-- Overdue items and the agenda: pending items of the organisation by due date.
CREATE INDEX plan_items_org_pending_due_idx ON plan_items (org_id, due_on)
    WHERE status IN ('planned', 'in_progress', 'blocked');
CREATE INDEX plan_items_org_idx ON plan_items (org_id);
CREATE INDEX plan_items_created_by_idx ON plan_items (created_by);
CREATE INDEX plan_items_updated_by_idx ON plan_items (updated_by);

GRANT SELECT, INSERT, UPDATE, DELETE ON plan_items TO relais_app;

ALTER TABLE plan_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE plan_items FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON plan_items
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());
