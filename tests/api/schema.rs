//! Guards on the database design, read from the PostgreSQL catalogs of a migrated database, so
//! that every table a later migration adds keeps the rules the first ones follow: indexed foreign
//! keys, tenant isolation by row-level security, and an append-only audit log.
//!
//! Each rule is a function listing the violations with the fix to apply; the tests assert the
//! lists are empty, and a last test breaks each rule on purpose to prove the guards can fail.

use relais_tests::TestApp;
use sqlx::{PgPool, Row};

/// Base tables (plain or partitioned) of the `public` schema that have an `org_id` column.
async fn tenant_tables(sql: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT c.relname::text
           FROM pg_class c
           JOIN pg_attribute a ON a.attrelid = c.oid
          WHERE c.relnamespace = 'public'::regnamespace
            AND c.relkind IN ('r', 'p')
            AND a.attname = 'org_id'
            AND a.attnum > 0
            AND NOT a.attisdropped
          ORDER BY 1",
    )
    .fetch_all(sql)
    .await
    .unwrap()
}

/// Foreign keys of the `public` schema whose columns lead no index of their table.
async fn unindexed_foreign_keys(sql: &PgPool) -> Vec<String> {
    // Each foreign key with its columns in order.
    let foreign_keys = sqlx::query(
        "SELECT con.conrelid::regclass::text AS tbl,
                con.conname::text AS name,
                con.confrelid::regclass::text AS target,
                array_agg(a.attname::text ORDER BY k.ord) AS columns
           FROM pg_constraint con
           CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
           JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
          WHERE con.contype = 'f'
            AND con.connamespace = 'public'::regnamespace
          GROUP BY con.oid, con.conrelid, con.conname, con.confrelid
          ORDER BY 1, 2",
    )
    .fetch_all(sql)
    .await
    .unwrap();
    assert!(
        !foreign_keys.is_empty(),
        "no foreign key found in the public schema: is the catalog query wrong?"
    );
    // Each usable index (valid, not partial) with its key columns in order; INCLUDE columns
    // and expressions ('') cannot serve a lookup by the key.
    let indexes: Vec<(String, Vec<String>)> = sqlx::query_as(
        "SELECT i.indrelid::regclass::text,
                array_agg(coalesce(a.attname::text, '') ORDER BY k.ord)
           FROM pg_index i
           JOIN pg_class ic ON ic.oid = i.indexrelid
           CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
           LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
          WHERE ic.relnamespace = 'public'::regnamespace
            AND i.indisvalid
            AND i.indpred IS NULL
            AND k.ord <= i.indnkeyatts
          GROUP BY i.indrelid, i.indexrelid",
    )
    .fetch_all(sql)
    .await
    .unwrap();

    let mut missing = Vec::new();
    for fk in &foreign_keys {
        let table: String = fk.get("tbl");
        let name: String = fk.get("name");
        let target: String = fk.get("target");
        let columns: Vec<String> = fk.get("columns");
        // The index's first columns must be exactly the key's columns, in any order.
        let covered = indexes.iter().any(|(t, index_columns)| {
            *t == table
                && index_columns.len() >= columns.len()
                && columns
                    .iter()
                    .all(|c| index_columns[..columns.len()].contains(c))
        });
        if !covered {
            missing.push(format!(
                "foreign key {name} on {table} ({cols}) → {target}: add an index on \
                 {table} ({cols}), e.g. `CREATE INDEX {table}_{under}_idx ON {table} ({cols});`, \
                 or make those the leading columns of an existing index (not partial), so that \
                 deletes in {target} and joins do not scan {table}",
                cols = columns.join(", "),
                under = columns.join("_"),
            ));
        }
    }
    missing
}

/// Tenant tables whose rows are not isolated by row-level security.
async fn row_level_security_problems(sql: &PgPool) -> Vec<String> {
    let mut problems = Vec::new();
    for table in tenant_tables(sql).await {
        let row = sqlx::query(
            "SELECT c.relrowsecurity, c.relforcerowsecurity,
                    coalesce(array_agg(pg_get_expr(p.polqual, p.polrelid))
                             FILTER (WHERE p.oid IS NOT NULL), '{}') AS quals,
                    coalesce(array_agg(coalesce(pg_get_expr(p.polwithcheck, p.polrelid),
                                                pg_get_expr(p.polqual, p.polrelid)))
                             FILTER (WHERE p.polcmd IN ('*', 'a', 'w')
                                       AND p.polroles <> ARRAY['relais_worker'::regrole::oid]),
                             '{}') AS checks
               FROM pg_class c
               LEFT JOIN pg_policy p ON p.polrelid = c.oid AND p.polpermissive
              WHERE c.oid = $1::regclass
              GROUP BY c.oid",
        )
        .bind(format!("public.{table}"))
        .fetch_one(sql)
        .await
        .unwrap();
        let enabled: bool = row.get("relrowsecurity");
        let forced: bool = row.get("relforcerowsecurity");
        let quals: Vec<Option<String>> = row.get("quals");
        let checks: Vec<Option<String>> = row.get("checks");
        if !enabled {
            problems.push(format!(
                "{table} has org_id but row-level security is disabled: add \
                 `ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;`"
            ));
        }
        if !forced {
            problems.push(format!(
                "{table} has org_id but row-level security is not forced (the table owner \
                 would bypass it): add `ALTER TABLE {table} FORCE ROW LEVEL SECURITY;`"
            ));
        }
        let tenant_rule = |expr: &Option<String>| {
            expr.as_deref()
                .is_some_and(|e| e.contains("org_id") && e.contains("relais_current_org()"))
        };
        if !quals.iter().any(tenant_rule) {
            problems.push(format!(
                "{table} has org_id but no permissive policy restricting it to the current \
                 organisation: add `CREATE POLICY tenant_isolation ON {table} USING (org_id = \
                 relais_current_org()) WITH CHECK (org_id = relais_current_org());`"
            ));
        } else if !checks.iter().all(tenant_rule) {
            problems.push(format!(
                "{table}: a policy allowing writes does not check org_id = relais_current_org(), \
                 so rows of another organisation could be written: give it `WITH CHECK (org_id \
                 = relais_current_org())`"
            ));
        }
    }
    problems
}

/// Tenant tables whose org_id does not reference organisations.
async fn org_id_foreign_key_problems(sql: &PgPool) -> Vec<String> {
    let mut missing = Vec::new();
    for table in tenant_tables(sql).await {
        let has_fk: bool = sqlx::query_scalar(
            "SELECT EXISTS (
                 SELECT 1
                   FROM pg_constraint con
                   JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attname = 'org_id'
                  WHERE con.contype = 'f'
                    AND con.conrelid = $1::regclass
                    AND con.confrelid = 'public.organisations'::regclass
                    AND con.conkey = ARRAY[a.attnum])",
        )
        .bind(format!("public.{table}"))
        .fetch_one(sql)
        .await
        .unwrap();
        if !has_fk {
            missing.push(format!(
                "{table}.org_id does not reference organisations: declare it `org_id uuid NOT \
                 NULL REFERENCES organisations (id)`"
            ));
        }
    }
    missing
}

/// Privileges relais_app must not hold: rewriting the audit log, or writing the tenants.
async fn forbidden_privileges(sql: &PgPool) -> Vec<String> {
    let forbidden = [
        ("audit_events", "UPDATE"),
        ("audit_events", "DELETE"),
        ("audit_events", "TRUNCATE"),
        ("organisations", "INSERT"),
        ("organisations", "UPDATE"),
        ("organisations", "DELETE"),
    ];
    let mut granted = Vec::new();
    for (table, privilege) in forbidden {
        let (on_table, on_a_column): (bool, bool) = sqlx::query_as(
            // Column privileges exist for INSERT and UPDATE (not DELETE or TRUNCATE).
            "SELECT has_table_privilege('relais_app', $1, $2),
                    CASE WHEN $2 IN ('INSERT', 'UPDATE')
                         THEN has_any_column_privilege('relais_app', $1, $2)
                         ELSE false END",
        )
        .bind(format!("public.{table}"))
        .bind(privilege)
        .fetch_one(sql)
        .await
        .unwrap();
        if on_table || on_a_column {
            granted.push(format!(
                "relais_app may {privilege} {table}{}: add `REVOKE {privilege} ON {table} FROM \
                 relais_app;` after any `GRANT … ON ALL TABLES` (the default privileges of the \
                 schema also grant it to new tables)",
                if on_table { "" } else { " (on some columns)" },
            ));
        }
    }
    granted
}

/// Missing or disabled triggers keeping audit_events append-only.
async fn audit_trigger_problems(sql: &PgPool) -> Vec<String> {
    // Bits of pg_trigger.tgtype: BEFORE 2, DELETE 8, UPDATE 16, TRUNCATE 32. 'O' and 'A' fire
    // in the usual session_replication_role; 'D' is disabled, 'R' fires only on replicas.
    let triggers: Vec<(String, i16)> = sqlx::query_as(
        "SELECT tgname::text, tgtype
           FROM pg_trigger
          WHERE tgrelid = 'public.audit_events'::regclass
            AND NOT tgisinternal
            AND tgenabled IN ('O', 'A')",
    )
    .fetch_all(sql)
    .await
    .unwrap();
    [("UPDATE", 16), ("DELETE", 8), ("TRUNCATE", 32)]
        .into_iter()
        .filter(|(_, bit)| !triggers.iter().any(|(_, t)| t & bit != 0 && t & 2 != 0))
        .map(|(event, _)| {
            format!(
                "audit_events has no enabled BEFORE {event} trigger (enabled ones: {triggers:?}): \
                 add `CREATE TRIGGER … BEFORE {event} ON audit_events … EXECUTE FUNCTION \
                 audit_events_append_only();` or re-enable it"
            )
        })
        .collect()
}

fn assert_none(problems: Vec<String>, what: &str) {
    assert!(problems.is_empty(), "{what}:\n  {}", problems.join("\n  "));
}

#[tokio::test]
async fn the_catalog_queries_see_the_foundation_tables() {
    // The other guards pass vacuously on an empty list: make sure they look at something.
    let app = TestApp::spawn().await;
    let tables = tenant_tables(&app.sql).await;
    for expected in [
        "agents",
        "persons",
        "cases",
        "audit_events",
        "idempotency_keys",
    ] {
        assert!(
            tables.iter().any(|t| t == expected),
            "{expected} should be a tenant table (has org_id); found {tables:?}"
        );
    }
    assert!(!tables.iter().any(|t| t == "organisations"));
}

#[tokio::test]
async fn every_foreign_key_is_covered_by_an_index() {
    let app = TestApp::spawn().await;
    assert_none(
        unindexed_foreign_keys(&app.sql).await,
        "foreign keys without a covering index",
    );
}

#[tokio::test]
async fn every_tenant_table_enforces_row_level_security() {
    let app = TestApp::spawn().await;
    assert_none(
        row_level_security_problems(&app.sql).await,
        "tenant tables without row-level security",
    );
    // The role the application switches to must not bypass the policies.
    let (superuser, bypass): (bool, bool) =
        sqlx::query_as("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'relais_app'")
            .fetch_one(&app.sql)
            .await
            .unwrap();
    assert!(
        !superuser && !bypass,
        "relais_app must be neither SUPERUSER nor BYPASSRLS, or row-level security does not \
         apply to it: `ALTER ROLE relais_app NOSUPERUSER NOBYPASSRLS;`"
    );
}

#[tokio::test]
async fn every_tenant_table_references_organisations_by_org_id() {
    let app = TestApp::spawn().await;
    assert_none(
        org_id_foreign_key_problems(&app.sql).await,
        "tenant tables not tied to organisations",
    );
}

#[tokio::test]
async fn the_application_role_cannot_rewrite_the_audit_log_or_the_tenants() {
    let app = TestApp::spawn().await;
    assert_none(
        forbidden_privileges(&app.sql).await,
        "privileges relais_app must not have",
    );
    // What it needs, it has: otherwise the checks above would pass for the wrong reason.
    for (table, privilege) in [
        ("audit_events", "INSERT"),
        ("audit_events", "SELECT"),
        ("organisations", "SELECT"),
    ] {
        let allowed: bool = sqlx::query_scalar("SELECT has_table_privilege('relais_app', $1, $2)")
            .bind(format!("public.{table}"))
            .bind(privilege)
            .fetch_one(&app.sql)
            .await
            .unwrap();
        assert!(allowed, "relais_app needs {privilege} on {table}");
    }
}

#[tokio::test]
async fn audit_events_are_append_only_even_for_a_superuser() {
    let app = TestApp::spawn().await;
    assert_none(
        audit_trigger_problems(&app.sql).await,
        "audit_events is not protected",
    );

    // Row-level triggers only fire on existing rows: write one first.
    let id = uuid::Uuid::now_v7();
    sqlx::query(
        "INSERT INTO audit_events (id, org_id, actor_subject, action, resource_type, reason)
         VALUES ($1, $2, 'schema-test', 'read', 'person', 'original')",
    )
    .bind(id)
    .bind(app.org.id)
    .execute(&app.sql)
    .await
    .unwrap();
    for statement in [
        "UPDATE audit_events SET reason = 'x'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ] {
        let err = sqlx::query(statement)
            .execute(&app.sql)
            .await
            .err()
            .unwrap_or_else(|| {
                panic!(
                    "`{statement}` succeeded on audit_events as superuser: the append-only \
                     trigger (audit_events_append_only) is missing or disabled"
                )
            });
        assert!(
            err.to_string().contains("append-only"),
            "`{statement}` failed for another reason than the append-only trigger: {err}"
        );
    }
    let reason: Option<String> =
        sqlx::query_scalar("SELECT reason FROM audit_events WHERE id = $1")
            .bind(id)
            .fetch_one(&app.sql)
            .await
            .unwrap();
    assert_eq!(reason.as_deref(), Some("original"));
}

/// The guards above must be able to fail: break every rule in this test's own database and
/// check each guard names the culprit.
#[tokio::test]
async fn the_guards_catch_a_schema_that_breaks_the_rules() {
    let app = TestApp::spawn().await;
    sqlx::raw_sql(
        "CREATE TABLE rogue (
             id         uuid PRIMARY KEY,
             org_id     uuid NOT NULL,
             person_id  uuid NOT NULL REFERENCES persons (id)
         );
         CREATE INDEX rogue_person_partial_idx ON rogue (person_id) WHERE id IS NOT NULL;
         CREATE TABLE half_guarded (
             id      uuid PRIMARY KEY,
             org_id  uuid NOT NULL REFERENCES organisations (id)
         );
         CREATE INDEX half_guarded_org_idx ON half_guarded (org_id);
         ALTER TABLE half_guarded ENABLE ROW LEVEL SECURITY;
         CREATE POLICY reads ON half_guarded USING (org_id = relais_current_org())
             WITH CHECK (true);
         GRANT UPDATE (reason) ON audit_events TO relais_app;
         GRANT DELETE ON organisations TO relais_app;
         ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_truncate;",
    )
    .execute(&app.sql)
    .await
    .unwrap();

    let has = |problems: &[String], needles: &[&str]| {
        assert!(
            problems
                .iter()
                .any(|p| needles.iter().all(|needle| p.contains(needle))),
            "expected a problem mentioning {needles:?}, got {problems:#?}"
        );
    };
    let fks = unindexed_foreign_keys(&app.sql).await;
    assert_eq!(fks.len(), 1, "{fks:#?}");
    has(
        &fks,
        &["rogue_person_id_fkey", "add an index on rogue (person_id)"],
    );

    let rls = row_level_security_problems(&app.sql).await;
    has(&rls, &["rogue", "ENABLE ROW LEVEL SECURITY"]);
    has(&rls, &["rogue", "FORCE ROW LEVEL SECURITY"]);
    has(&rls, &["rogue", "CREATE POLICY"]);
    has(&rls, &["half_guarded", "FORCE ROW LEVEL SECURITY"]);
    has(&rls, &["half_guarded", "WITH CHECK"]);
    assert!(
        !rls.iter()
            .any(|p| p.contains("half_guarded") && p.contains("ENABLE")),
        "{rls:#?}"
    );

    let org_fks = org_id_foreign_key_problems(&app.sql).await;
    assert_eq!(org_fks.len(), 1, "{org_fks:#?}");
    has(&org_fks, &["rogue.org_id", "REFERENCES organisations"]);

    let privileges = forbidden_privileges(&app.sql).await;
    assert_eq!(privileges.len(), 2, "{privileges:#?}");
    has(
        &privileges,
        &["may UPDATE audit_events (on some columns)", "REVOKE"],
    );
    has(&privileges, &["may DELETE organisations", "REVOKE"]);

    let triggers = audit_trigger_problems(&app.sql).await;
    assert_eq!(triggers.len(), 1, "{triggers:#?}");
    has(&triggers, &["BEFORE TRUNCATE"]);
}

/// What the background role (`relais_worker`) may do, table by table. It works across
/// organisations, so it holds only what the dispatcher, the expiry sweep, the token endpoint
/// and the periodic jobs' leases need; a new grant must be added here deliberately.
const BACKGROUND_PRIVILEGES: &[(&str, &str)] = &[
    // Job names and times only (`job_runs`), no organisation's records.
    ("job_runs", "INSERT"),
    ("job_runs", "SELECT"),
    ("job_runs", "UPDATE"),
    ("organisations", "SELECT"),
    ("partners", "SELECT"),
    ("referrals", "SELECT"),
    ("referrals", "UPDATE"),
    ("webhook_attempts", "INSERT"),
    ("webhook_attempts", "SELECT"),
    ("webhook_messages", "INSERT"),
    ("webhook_messages", "SELECT"),
    ("webhook_messages", "UPDATE"),
    // The dispatcher reads a subscription's URL and salt (no person's data).
    ("webhook_subscriptions", "SELECT"),
];

#[tokio::test]
async fn the_background_role_holds_only_the_privileges_its_work_needs() {
    let app = TestApp::spawn().await;
    let granted: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, privilege_type::text
           FROM information_schema.role_table_grants
          WHERE grantee = 'relais_worker'
          ORDER BY 1, 2",
    )
    .fetch_all(&app.sql)
    .await
    .unwrap();
    let expected: Vec<(String, String)> = BACKGROUND_PRIVILEGES
        .iter()
        .map(|(t, p)| ((*t).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(granted, expected);
    let bypasses: bool = sqlx::query_scalar(
        "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = 'relais_worker'",
    )
    .fetch_one(&app.sql)
    .await
    .unwrap();
    assert!(
        !bypasses,
        "relais_worker must stay under row-level security"
    );
}

#[tokio::test]
async fn the_application_reads_the_event_log_and_only_marks_its_notifications_read() {
    let app = TestApp::spawn().await;
    let privilege = |sql: &'static str| {
        let pool = app.sql.clone();
        async move {
            sqlx::query_scalar::<_, bool>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    for table in ["events", "notifications"] {
        for (what, allowed) in [
            ("SELECT", true),
            ("INSERT", false),
            ("DELETE", false),
            ("TRUNCATE", false),
        ] {
            let granted: bool =
                sqlx::query_scalar("SELECT has_table_privilege('relais_app', $1, $2)")
                    .bind(format!("public.{table}"))
                    .bind(what)
                    .fetch_one(&app.sql)
                    .await
                    .unwrap();
            assert_eq!(granted, allowed, "relais_app {what} on {table}");
        }
    }
    assert!(
        !privilege("SELECT has_any_column_privilege('relais_app', 'public.events', 'UPDATE')")
            .await
    );
    assert!(
        !privilege("SELECT has_table_privilege('relais_app', 'public.notifications', 'UPDATE')")
            .await
    );
    assert!(
        privilege(
            "SELECT has_column_privilege('relais_app', 'public.notifications', 'read_at', 'UPDATE')"
        )
        .await
    );
    for column in ["agent_id", "kind", "data", "event_id", "created_at"] {
        let granted: bool = sqlx::query_scalar(
            "SELECT has_column_privilege('relais_app', 'public.notifications', $1, 'UPDATE')",
        )
        .bind(column)
        .fetch_one(&app.sql)
        .await
        .unwrap();
        assert!(!granted, "relais_app may rewrite notifications.{column}");
    }
}
