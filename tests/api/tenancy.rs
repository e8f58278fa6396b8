//! Row-level security, proved with the application's own tenant transactions: queries with
//! no organisation filter at all only ever see (and write) the organisation of the transaction.

use relais_store::Db;
use relais_store::db::{Access, Tx};
use relais_tests::TestApp;
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, PgConnection};
use uuid::Uuid;

/// Every tenant table, each queried without any `WHERE org_id = …`.
const TABLES: [&str; 8] = [
    "persons",
    "cases",
    "consents",
    "audit_events",
    "agents",
    "case_team",
    "case_events",
    "idempotency_keys",
];

async fn count_in(conn: &mut PgConnection, table: &str) -> i64 {
    let sql = format!("SELECT count(*) FROM {table}");
    sqlx::query_scalar(AssertSqlSafe(sql))
        .fetch_one(conn)
        .await
        .unwrap()
}

/// What the superuser (who bypasses row-level security) counts for one organisation.
async fn count_for(app: &TestApp, table: &str, org: Uuid) -> i64 {
    let sql = format!("SELECT count(*) FROM {table} WHERE org_id = $1");
    sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(org)
        .fetch_one(&app.sql)
        .await
        .unwrap()
}

/// A tenant transaction opened exactly as the application opens one.
async fn tenant(app: &TestApp, org: Uuid) -> Tx {
    let db = Db::connect_lazy(app.db_options.clone(), &relais_tests::test_pool());
    db.tenant(org, Access::Read).await.unwrap()
}

/// Cases, persons, consents, audit events and an idempotency key in `org`, through the API.
async fn populate(app: &TestApp, org: &str, cases: usize) -> Vec<Value> {
    let worker = app.token_for(org, &["worker"], "alice");
    let mut opened = Vec::new();
    for _ in 0..cases {
        let case = app.create_case(&worker).await;
        let consent = json!({"scope": "data_processing", "channel": "in_person",
                             "given_at": "2025-01-15"});
        let path = format!(
            "/v1/persons/{}/consents",
            case["person_id"].as_str().unwrap()
        );
        assert_eq!(app.post(&path, &worker, &consent).await.status(), 201);
        opened.push(case);
    }
    let keyed = app
        .request(reqwest::Method::POST, "/v1/persons", &worker)
        .header("Idempotency-Key", "tenancy-key")
        .json(&json!({"first_name": "Nour", "last_name": "Haddad"}))
        .send()
        .await
        .unwrap();
    assert_eq!(keyed.status(), 201);
    opened
}

#[tokio::test]
async fn a_tenant_transaction_counts_only_its_organisations_rows_without_any_filter() {
    let app = TestApp::spawn().await;
    populate(&app, "acme", 2).await;
    let foreign = populate(&app, "other", 3).await;
    for (org, other) in [
        (app.org.id, app.other_org.id),
        (app.other_org.id, app.org.id),
    ] {
        let mut tx = tenant(&app, org).await;
        for table in TABLES {
            let seen = count_in(&mut tx, table).await;
            let own = count_for(&app, table, org).await;
            let others = count_for(&app, table, other).await;
            assert!(
                own > 0 && others > 0,
                "{table}: both organisations have rows"
            );
            assert_eq!(
                seen, own,
                "{table}: only the organisation's rows are visible"
            );
        }
        tx.rollback().await.unwrap();
    }
    // Not even by id.
    let mut tx = tenant(&app, app.org.id).await;
    let id: Uuid = foreign[0]["id"].as_str().unwrap().parse().unwrap();
    let found: Option<Uuid> = sqlx::query_scalar("SELECT id FROM cases WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .unwrap();
    assert_eq!(found, None);
}

#[tokio::test]
async fn a_tenant_transaction_cannot_write_rows_of_another_organisation() {
    let app = TestApp::spawn().await;
    populate(&app, "acme", 1).await;
    let foreign = populate(&app, "other", 1).await;
    let insert = "INSERT INTO persons (id, org_id, first_name, last_name, search_name) \
                  VALUES ($1, $2, 'Intrus', 'Intrus', 'intrus intrus')";
    let mut tx = tenant(&app, app.org.id).await;
    let err = sqlx::query(insert)
        .bind(Uuid::now_v7())
        .bind(app.other_org.id)
        .execute(&mut *tx)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("row-level security"), "{err}");
    tx.rollback().await.unwrap();

    // The same insert for its own organisation passes: the policy, not the statement, refused.
    let mut tx = tenant(&app, app.org.id).await;
    let inserted = sqlx::query(insert)
        .bind(Uuid::now_v7())
        .bind(app.org.id)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(inserted.rows_affected(), 1);
    // Moving an own row to the other organisation is refused by WITH CHECK too.
    let err = sqlx::query("UPDATE persons SET org_id = $1")
        .bind(app.other_org.id)
        .execute(&mut *tx)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("row-level security"), "{err}");
    tx.rollback().await.unwrap();

    // Another organisation's rows cannot be touched: they are simply not there.
    let mut tx = tenant(&app, app.org.id).await;
    let person: Uuid = foreign[0]["person_id"].as_str().unwrap().parse().unwrap();
    let changed = sqlx::query("UPDATE persons SET first_name = 'Piraté' WHERE id = $1")
        .bind(person)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(changed.rows_affected(), 0);
    let deleted = sqlx::query("DELETE FROM consents")
        .execute(&mut *tx)
        .await
        .unwrap();
    let own_consents = count_for(&app, "consents", app.org.id).await;
    assert_eq!(deleted.rows_affected() as i64, own_consents);
    tx.rollback().await.unwrap();
    let name: String = sqlx::query_scalar("SELECT first_name FROM persons WHERE id = $1")
        .bind(person)
        .fetch_one(&app.sql)
        .await
        .unwrap();
    assert_eq!(name, "Camille");
    assert_eq!(count_for(&app, "consents", app.other_org.id).await, 1);
}

#[tokio::test]
async fn the_app_role_without_an_organisation_sees_and_writes_nothing() {
    let app = TestApp::spawn().await;
    populate(&app, "acme", 1).await;
    populate(&app, "other", 1).await;
    let mut tx = app.sql.begin().await.unwrap();
    sqlx::query("SELECT set_config('role', 'relais_app', true)")
        .execute(&mut *tx)
        .await
        .unwrap();
    let role: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(role, "relais_app");
    for table in TABLES {
        assert!(count_for(&app, table, app.org.id).await > 0);
        assert_eq!(count_in(&mut tx, table).await, 0, "{table}");
    }
    let err = sqlx::query(
        "INSERT INTO persons (id, org_id, first_name, last_name, search_name) \
         VALUES ($1, $2, 'Sans', 'Organisation', 'sans organisation')",
    )
    .bind(Uuid::now_v7())
    .bind(app.org.id)
    .execute(&mut *tx)
    .await
    .unwrap_err();
    assert!(err.to_string().contains("row-level security"), "{err}");
}

#[tokio::test]
async fn another_organisations_person_and_consents_answer_404() {
    let app = TestApp::spawn().await;
    let foreign = populate(&app, "other", 1).await;
    let person = foreign[0]["person_id"].as_str().unwrap();
    let supervisor = app.token("supervisor", "sam");
    for path in [
        format!("/v1/persons/{person}"),
        format!("/v1/persons/{person}/consents"),
    ] {
        let response = app.get(&path, &supervisor).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(relais_tests::problem(response).await["code"], "not_found");
    }
    let found: Value = app.get_json("/v1/persons?q=Camille", &supervisor).await;
    assert_eq!(found["items"], json!([]));
    let consent = json!({"scope": "data_processing", "channel": "in_person",
                         "given_at": "2025-01-15"});
    let path = format!("/v1/persons/{person}/consents");
    assert_eq!(app.post(&path, &supervisor, &consent).await.status(), 404);
    assert_eq!(count_for(&app, "consents", app.other_org.id).await, 1);
}

#[tokio::test]
async fn the_applications_transactions_compile_no_query_just_in_time() {
    let app = TestApp::spawn().await;
    let mut tx = tenant(&app, app.org.id).await;
    let jit: String = sqlx::query_scalar("SELECT current_setting('jit')")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(jit, "off");
    tx.rollback().await.unwrap();
    let db = Db::connect_lazy(app.db_options.clone(), &relais_tests::test_pool());
    let mut tx = db.background().await.unwrap();
    let jit: String = sqlx::query_scalar("SELECT current_setting('jit')")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(jit, "off", "nor the background work's");
}
