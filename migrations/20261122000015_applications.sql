-- Applications (dossiers de demande) of a case to a scheme of the catalogue: the supporting
-- documents checklist, the social report (rapport de situation sociale) in versions, the funding
-- plan (the need and its funders), the decision. And the plan items' links to schemes and
-- applications, which become foreign keys now that both tables exist.
--
-- Lifecycle (relais_domain::application):
--   preparing ⇄ complete ──> under_review ──> submitted ──> decided
--   (any but decided and withdrawn) ──> withdrawn
-- `complete` is reached, and left back to `preparing`, by the checklist alone: every required
-- line received or validated. The CHECK constraints below repeat what each status carries
-- (submission date and recipient, the decision with its date, amount or reason) as a last guard.
--
-- Applications, their checklist and funding plan are never deleted by the application (the
-- retention job, running as the migration owner, purges them: 10 years after a grant, 2 after a
-- refusal or a withdrawal). Social reports are append-only: a correction is a new version.

CREATE TABLE applications (
    id                    uuid PRIMARY KEY,
    org_id                uuid NOT NULL REFERENCES organisations (id),
    case_id               uuid NOT NULL REFERENCES cases (id),
    scheme_id             uuid NOT NULL REFERENCES schemes (id),
    status                text NOT NULL DEFAULT 'preparing'
                          CHECK (status IN ('preparing', 'complete', 'under_review', 'submitted',
                                            'decided', 'withdrawn')),
    notes                 text CHECK (length(notes) <= 5000),
    -- Submission: when and to whom (the body or commission the dossier was sent to).
    submitted_on          date,
    submitted_to          text CHECK (length(submitted_to) BETWEEN 1 AND 200
                                      AND btrim(submitted_to) <> ''),
    -- Decision: granted | partially_granted (with the amount) | refused (with the reason).
    decision              text CHECK (decision IN ('granted', 'partially_granted', 'refused')),
    decided_on            date,
    amount_granted_cents  bigint CHECK (amount_granted_cents BETWEEN 1 AND 1000000000),
    decision_reason       text CHECK (length(decision_reason) BETWEEN 1 AND 2000
                                      AND btrim(decision_reason) <> ''),
    withdrawn_on          date,
    withdrawal_reason     text CHECK (length(withdrawal_reason) BETWEEN 1 AND 2000
                                      AND btrim(withdrawal_reason) <> ''),
    status_changed_at     timestamptz NOT NULL DEFAULT now(),
    created_at            timestamptz NOT NULL DEFAULT now(),
    created_by            uuid NOT NULL REFERENCES agents (id),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    updated_by            uuid NOT NULL REFERENCES agents (id),
    version               integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    -- Submitted and decided applications say when and to whom they were sent; earlier ones
    -- have not been sent (a withdrawal keeps what happened before it).
    CONSTRAINT applications_submission CHECK (
        (submitted_on IS NULL) = (submitted_to IS NULL)
        AND (status NOT IN ('submitted', 'decided') OR submitted_on IS NOT NULL)
        AND (status NOT IN ('preparing', 'complete', 'under_review') OR submitted_on IS NULL)
    ),
    -- Only a decided application has a decision, always with its date; an amount exactly when
    -- granted (wholly or partly); a reason always when refused.
    CONSTRAINT applications_decision CHECK (
        (status = 'decided') = (decision IS NOT NULL)
        AND (decision IS NULL) = (decided_on IS NULL)
        AND coalesce(decision IN ('granted', 'partially_granted'), false)
            = (amount_granted_cents IS NOT NULL)
        AND (decision IS DISTINCT FROM 'refused' OR decision_reason IS NOT NULL)
        AND (decision IS NOT NULL OR decision_reason IS NULL)
        AND (decided_on IS NULL OR decided_on >= submitted_on)
    ),
    CONSTRAINT applications_withdrawal CHECK (
        (status = 'withdrawn') = (withdrawn_on IS NOT NULL)
        AND (withdrawn_on IS NOT NULL OR withdrawal_reason IS NULL)
    )
);
-- A case's applications (keyset pages, newest first).
CREATE INDEX applications_case_idx ON applications (case_id, id);
-- Statistics: applications of the organisation by status and decision.
CREATE INDEX applications_org_status_idx ON applications (org_id, status, decision);
CREATE INDEX applications_scheme_idx ON applications (scheme_id);
CREATE INDEX applications_created_by_idx ON applications (created_by);
CREATE INDEX applications_updated_by_idx ON applications (updated_by);
-- One application in progress per scheme and case: a new one once it is decided or withdrawn.
CREATE UNIQUE INDEX applications_in_progress_key ON applications (case_id, scheme_id)
    WHERE status NOT IN ('decided', 'withdrawn');

-- The supporting documents checklist (pièces justificatives): copied from the scheme's list when
-- the application is created, then edited. Each line says who obtains the document and where it
-- stands, and may link an uploaded file of the same case.
CREATE TABLE application_documents (
    id              uuid PRIMARY KEY,
    org_id          uuid NOT NULL REFERENCES organisations (id),
    application_id  uuid NOT NULL REFERENCES applications (id),
    -- Order of the checklist: the scheme's order, then lines added later.
    position        integer NOT NULL CHECK (position >= 1),
    -- relais_domain::scheme::is_document_code.
    code            text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{0,63}$'),
    label           text NOT NULL CHECK (length(label) BETWEEN 1 AND 200 AND btrim(label) <> ''),
    required        boolean NOT NULL DEFAULT true,
    -- relais_domain::scheme::DocumentProvider codes.
    provider        text NOT NULL CHECK (provider IN ('person', 'worker', 'institution')),
    status          text NOT NULL DEFAULT 'requested'
                    CHECK (status IN ('requested', 'received', 'validated', 'missing')),
    document_id     uuid REFERENCES documents (id),
    notes           text CHECK (length(notes) <= 2000),
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      uuid NOT NULL REFERENCES agents (id),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      uuid NOT NULL REFERENCES agents (id),
    version         integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    CONSTRAINT application_documents_code_key UNIQUE (application_id, code),
    CONSTRAINT application_documents_position_key UNIQUE (application_id, position)
);
-- The unique (application_id, …) indexes serve the application's foreign key.
CREATE INDEX application_documents_document_idx ON application_documents (document_id);
CREATE INDEX application_documents_org_idx ON application_documents (org_id);
CREATE INDEX application_documents_created_by_idx ON application_documents (created_by);
CREATE INDEX application_documents_updated_by_idx ON application_documents (updated_by);

-- The social report (rapport de situation sociale): each version is a new row, numbered 1, 2, 3…
-- within the application, with its author and date; never edited.
CREATE TABLE social_reports (
    id              uuid PRIMARY KEY,
    org_id          uuid NOT NULL REFERENCES organisations (id),
    application_id  uuid NOT NULL REFERENCES applications (id),
    version_no      integer NOT NULL CHECK (version_no >= 1),
    text            text NOT NULL CHECK (length(text) BETWEEN 1 AND 20000 AND btrim(text) <> ''),
    author_id       uuid NOT NULL REFERENCES agents (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT social_reports_version_key UNIQUE (application_id, version_no)
);
CREATE INDEX social_reports_org_idx ON social_reports (org_id);
CREATE INDEX social_reports_author_idx ON social_reports (author_id);

-- The funding plan (plan de financement) of an application: the need, and the funders asked
-- (replaced whole by the API, with a version for If-Match).
CREATE TABLE funding_plans (
    application_id  uuid PRIMARY KEY REFERENCES applications (id),
    org_id          uuid NOT NULL REFERENCES organisations (id),
    need_cents      bigint NOT NULL CHECK (need_cents BETWEEN 1 AND 1000000000),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      uuid NOT NULL REFERENCES agents (id),
    version         integer NOT NULL DEFAULT 1 CHECK (version >= 1)
);
CREATE INDEX funding_plans_org_idx ON funding_plans (org_id);
CREATE INDEX funding_plans_updated_by_idx ON funding_plans (updated_by);

CREATE TABLE funding_plan_funders (
    id               uuid PRIMARY KEY,
    org_id           uuid NOT NULL REFERENCES organisations (id),
    application_id   uuid NOT NULL REFERENCES funding_plans (application_id),
    position         integer NOT NULL CHECK (position >= 1),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200 AND btrim(name) <> ''),
    requested_cents  bigint NOT NULL CHECK (requested_cents BETWEEN 1 AND 1000000000),
    status           text NOT NULL
                     CHECK (status IN ('requested', 'granted', 'partially_granted', 'refused')),
    granted_cents    bigint CHECK (granted_cents BETWEEN 1 AND 1000000000),
    -- An amount exactly when granted: the whole request, or part of it.
    CONSTRAINT funding_plan_funders_granted CHECK (
        (status IN ('granted', 'partially_granted')) = (granted_cents IS NOT NULL)
        AND (status <> 'granted' OR granted_cents = requested_cents)
        AND (status <> 'partially_granted' OR granted_cents < requested_cents)
    ),
    CONSTRAINT funding_plan_funders_position_key UNIQUE (application_id, position)
);
-- Each funder once per plan (names compared without case and surrounding spaces).
CREATE UNIQUE INDEX funding_plan_funders_name_key
    ON funding_plan_funders (application_id, lower(btrim(name)));
CREATE INDEX funding_plan_funders_org_idx ON funding_plan_funders (org_id);

-- Plan items may link a scheme and an application (columns of migration 3): the links become
-- foreign keys. Until now any id was accepted, and both tables are new, so an id already stored
-- can only be dangling: it is cleared first (the migration owner is subject to the forced
-- row-level security, hence the short lift inside this transaction).
ALTER TABLE plan_items NO FORCE ROW LEVEL SECURITY;
UPDATE plan_items
   SET scheme_id = CASE WHEN EXISTS (SELECT 1 FROM schemes s WHERE s.id = plan_items.scheme_id)
                        THEN scheme_id END,
       application_id = CASE WHEN EXISTS (SELECT 1 FROM applications a
                                           WHERE a.id = plan_items.application_id)
                             THEN application_id END,
       version = version + 1,
       updated_at = now()
 WHERE (scheme_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM schemes s WHERE s.id = plan_items.scheme_id))
    OR (application_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM applications a WHERE a.id = plan_items.application_id));
ALTER TABLE plan_items FORCE ROW LEVEL SECURITY;

CREATE INDEX plan_items_scheme_idx ON plan_items (scheme_id);
CREATE INDEX plan_items_application_idx ON plan_items (application_id);
ALTER TABLE plan_items
    ADD CONSTRAINT plan_items_scheme_fkey FOREIGN KEY (scheme_id) REFERENCES schemes (id);
ALTER TABLE plan_items
    ADD CONSTRAINT plan_items_application_fkey
    FOREIGN KEY (application_id) REFERENCES applications (id);

GRANT SELECT, INSERT, UPDATE ON applications, application_documents, funding_plans
    TO relais_app;
REVOKE DELETE, TRUNCATE ON applications, application_documents, funding_plans FROM relais_app;
-- The funders are replaced whole with their plan.
GRANT SELECT, INSERT, DELETE ON funding_plan_funders TO relais_app;
REVOKE UPDATE, TRUNCATE ON funding_plan_funders FROM relais_app;
GRANT SELECT, INSERT ON social_reports TO relais_app;
REVOKE UPDATE, DELETE, TRUNCATE ON social_reports FROM relais_app;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['applications', 'application_documents', 'social_reports',
                             'funding_plans', 'funding_plan_funders']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (org_id = relais_current_org()) '
            'WITH CHECK (org_id = relais_current_org())', t);
    END LOOP;
END
$$;
