//! `GET /v1/stats/caseload`: per referent, cases by status, open cases, overdue items and cases
//! past their target date, with the organisation's totals; supervisors only, aggregates only.

mod activity;

use crate::support::agenda::{
    Case, add_item, day, open_case, open_case_with, set_case_status, set_item_status, set_target,
    step_written_waits_for,
};
use relais_tests::{TestApp, assert_problem, pointers, problem};
use serde_json::{Value, json};
use uuid::Uuid;

/// alice: 3 cases (intake past target with 1 overdue item, active with 2 overdue items of 4,
/// closed past target with an overdue item that no longer counts); bob: 1 case in planning
/// with 1 overdue item; one case without a referent, in assessment, past target, 1 overdue item.
struct Org {
    app: TestApp,
    sam: String,
    alice_id: Uuid,
    bob_id: Uuid,
}

async fn org() -> Org {
    let app = TestApp::spawn_unsuppressed().await;
    let alice = app.token("worker", "alice");
    let bob = app.token("worker", "bob");
    let sam = app.token("supervisor", "sam");
    let alice_id = app.agent_id(&alice).await;
    let bob_id = app.agent_id(&bob).await;

    let intake = open_case(&app, &alice, "Camille", "Lefèvre").await;
    add_item(&app, &alice, &intake, "worker", "Appeler la CAF", day(-1)).await;
    add_item(&app, &alice, &intake, "person", "Dossier", day(3)).await;
    set_target(&app, &intake, day(-1)).await;

    let active = open_case(&app, &alice, "Jean", "Dupont").await;
    add_item(&app, &alice, &active, "worker", "Relancer", day(-10)).await;
    let blocked = add_item(&app, &alice, &active, "person", "Justificatifs", day(-2)).await;
    set_item_status(&app, &blocked, "blocked").await;
    let done = add_item(&app, &alice, &active, "worker", "Fait", day(-3)).await;
    set_item_status(&app, &done, "done").await;
    let cancelled = add_item(&app, &alice, &active, "partner", "Annulé", day(-3)).await;
    set_item_status(&app, &cancelled, "cancelled").await;
    add_item(&app, &alice, &active, "worker", "Aujourd'hui", day(0)).await;
    set_case_status(&app, &active, "active").await;

    let closed = open_case(&app, &alice, "Lina", "Benali").await;
    add_item(&app, &alice, &closed, "worker", "Oublié", day(-30)).await;
    set_target(&app, &closed, day(-5)).await;
    set_case_status(&app, &closed, "closed").await;

    let planning = open_case(&app, &bob, "Noé", "Martin").await;
    add_item(
        &app,
        &bob,
        &planning,
        "partner",
        "Avis du bailleur",
        day(-7),
    )
    .await;
    set_case_status(&app, &planning, "planning").await;

    let unassigned: Case = open_case_with(&app, &sam, "Rose", "Petit", json!({})).await;
    add_item(&app, &sam, &unassigned, "worker", "Attribuer", day(-1)).await;
    set_target(&app, &unassigned, day(-2)).await;
    set_case_status(&app, &unassigned, "assessment").await;
    Org {
        app,
        sam,
        alice_id,
        bob_id,
    }
}

async fn caseload(app: &TestApp, token: &str, query: &str) -> Value {
    let response = app.get(&format!("/v1/stats/caseload{query}"), token).await;
    assert_eq!(response.status(), 200, "reading the caseload{query}");
    response.json().await.unwrap()
}

fn by_status(values: [i64; 6]) -> Value {
    let [intake, assessment, planning, active, closed, archived] = values;
    json!({"intake": intake, "assessment": assessment, "planning": planning, "active": active,
           "closed": closed, "archived": archived})
}

#[tokio::test]
async fn a_supervisor_sees_each_referents_caseload_and_the_organisations_totals() {
    let o = org().await;
    let body = caseload(&o.app, &o.sam, "").await;
    assert_eq!(
        body["agents"],
        json!([
            {
                "agent_id": o.alice_id, "name": "alice", "subject": "alice",
                "cases_by_status": by_status([1, 0, 0, 1, 1, 0]),
                "open_cases": 2, "overdue_items": 3, "cases_past_target": 1,
                "suppressed": false
            },
            {
                "agent_id": o.bob_id, "name": "bob", "subject": "bob",
                "cases_by_status": by_status([0, 0, 1, 0, 0, 0]),
                "open_cases": 1, "overdue_items": 1, "cases_past_target": 0,
                "suppressed": false
            }
        ])
    );
    assert_eq!(
        body["totals"],
        json!({
            "cases_by_status": by_status([1, 1, 1, 1, 1, 0]),
            "open_cases": 4, "overdue_items": 5, "cases_past_target": 2,
            "suppressed": false
        }),
        "every case, the one without a referent included"
    );
}

#[tokio::test]
async fn the_caseload_can_be_narrowed_to_one_referent() {
    let o = org().await;
    let body = caseload(&o.app, &o.sam, &format!("?referent={}", o.bob_id)).await;
    let agents = body["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 1);
    assert_eq!(agents[0]["agent_id"], o.bob_id.to_string());
    assert_eq!(
        body["totals"]["open_cases"], 4,
        "totals stay the organisation's"
    );

    let nobody = caseload(&o.app, &o.sam, &format!("?referent={}", Uuid::now_v7())).await;
    assert_eq!(nobody["agents"], json!([]));

    let response = o.app.get("/v1/stats/caseload?referent=bob", &o.sam).await;
    let problem = assert_problem(response, 400, "invalid_parameter").await;
    assert_eq!(pointers(&problem), ["/referent"]);
}

#[tokio::test]
async fn an_organisation_without_cases_has_zero_everywhere() {
    let app = TestApp::spawn().await;
    let body = caseload(&app, &app.token("supervisor", "sam"), "").await;
    assert_eq!(body["agents"], json!([]));
    assert_eq!(
        body["totals"],
        json!({
            "cases_by_status": by_status([0; 6]),
            "open_cases": 0, "overdue_items": 0, "cases_past_target": 0,
            "suppressed": false
        })
    );
}

#[tokio::test]
async fn only_supervisors_read_statistics() {
    let app = TestApp::spawn().await;
    for role in ["worker", "reception", "admin", "dpo"] {
        let response = app
            .get("/v1/stats/caseload", &app.token(role, &format!("{role}-1")))
            .await;
        assert_eq!(response.status(), 403, "{role}");
        assert_eq!(problem(response).await["code"], "forbidden");
    }
    let anonymous = app.client.get(app.url("/v1/stats/caseload")).send().await;
    assert_eq!(anonymous.unwrap().status(), 401);
}

#[tokio::test]
async fn another_organisations_supervisor_counts_none_of_these_cases() {
    let o = org().await;
    let stranger = o.app.token_for("other", &["supervisor"], "sam");
    let body = caseload(&o.app, &stranger, "").await;
    assert_eq!(body["agents"], json!([]));
    assert_eq!(body["totals"]["open_cases"], 0);
    assert_eq!(body["totals"]["overdue_items"], 0);
    let narrowed = caseload(&o.app, &stranger, &format!("?referent={}", o.alice_id)).await;
    assert_eq!(narrowed["agents"], json!([]));
}

#[tokio::test]
async fn reading_the_caseload_is_audited_once_without_a_person() {
    let o = org().await;
    caseload(&o.app, &o.sam, "").await;
    let events: Vec<(String, Option<Uuid>, Option<Uuid>)> = sqlx::query_as(
        "SELECT action, person_id, resource_id FROM audit_events WHERE resource_type = \
         'stats.caseload'",
    )
    .fetch_all(&o.app.sql)
    .await
    .unwrap();
    assert_eq!(events, [("read".to_owned(), None, None)]);
}

#[tokio::test]
async fn small_counts_are_null_and_no_sum_gives_one_away() {
    // The default threshold: counts from 1 to 4 are suppressed.
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let sam = app.token("supervisor", "sam");
    for i in 0..6 {
        let case = open_case(&app, &alice, "Jeanne", &format!("Moreau{i}")).await;
        set_case_status(&app, &case, "active").await;
    }
    open_case(&app, &alice, "Marie", "Durand").await;
    let body = caseload(&app, &sam, "").await;
    relais_tests::assert_conforms("Caseload", &body);
    let row = &body["agents"][0];
    assert_eq!(row["cases_by_status"]["active"], 6);
    assert_eq!(row["cases_by_status"]["intake"], Value::Null, "one case");
    assert_eq!(
        row["cases_by_status"]["planning"], 0,
        "zeros single nobody out"
    );
    assert_eq!(
        row["open_cases"],
        Value::Null,
        "7 open cases minus 6 active would give the intake away"
    );
    assert_eq!(row["suppressed"], true);
    let totals = &body["totals"];
    assert_eq!(totals["cases_by_status"]["active"], 6);
    assert_eq!(totals["cases_by_status"]["intake"], Value::Null);
    assert_eq!(totals["open_cases"], Value::Null);
    assert_eq!(totals["suppressed"], true);
}

/// Where `caseload_counts` differs from a count of the cases and steps themselves, as
/// `referent measure day: kept ≠ actual` (empty when the counts are right). The days before
/// today are compared as one, since the worker folds them into one row.
async fn counts_drift(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar(
        "WITH actual AS (
           SELECT org_id, coalesce(referent_id, '00000000-0000-0000-0000-000000000000') AS ref,
                  status AS measure, '-infinity'::date AS day, count(*) AS n
             FROM cases GROUP BY 1, 2, 3
           UNION ALL
           SELECT org_id, coalesce(referent_id, '00000000-0000-0000-0000-000000000000'),
                  'open_target', open_target_on, count(*)
             FROM cases WHERE open_target_on IS NOT NULL GROUP BY 1, 2, 4
           UNION ALL
           SELECT c.org_id, coalesce(c.referent_id, '00000000-0000-0000-0000-000000000000'),
                  'pending_due', p.due_on, count(*)
             FROM cases c JOIN plan_items p ON p.case_id = c.id
            WHERE c.status NOT IN ('closed', 'archived')
              AND p.status IN ('planned', 'in_progress', 'blocked')
            GROUP BY 1, 2, 4
         ), a AS (
           SELECT org_id, ref, measure, CASE WHEN day < $1 THEN '-infinity' ELSE day END AS day,
                  sum(n) AS n
             FROM actual GROUP BY 1, 2, 3, 4
         ), k AS (
           SELECT org_id, referent_id AS ref, measure,
                  CASE WHEN day < $1 THEN '-infinity' ELSE day END AS day, sum(n) AS n
             FROM caseload_counts GROUP BY 1, 2, 3, 4
         )
         SELECT format('%s %s %s: %s ≠ %s', coalesce(a.ref, k.ref),
                       coalesce(a.measure, k.measure), coalesce(a.day, k.day), k.n, a.n)
           FROM a FULL JOIN k
             ON k.org_id = a.org_id AND k.ref = a.ref AND k.measure = a.measure AND k.day = a.day
          WHERE coalesce(a.n, 0) <> coalesce(k.n, 0)
          ORDER BY 1",
    )
    .bind(relais_tests::today())
    .fetch_all(&app.sql)
    .await
    .unwrap()
}

/// Folds the counts of the days before today, as the worker does.
async fn compact(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT relais_caseload_compact($1)")
        .bind(relais_tests::today())
        .fetch_one(&app.sql)
        .await
        .unwrap()
}

#[tokio::test]
async fn folding_the_past_days_changes_no_figure_and_later_changes_still_count() {
    let o = org().await;
    let before = caseload(&o.app, &o.sam, "").await;
    let alice = format!("?referent={}", o.alice_id);
    let alice_before = caseload(&o.app, &o.sam, &alice).await;
    let past_rows = "SELECT count(*) FROM caseload_counts
                      WHERE day > '-infinity' AND day < current_date - 1";
    assert!(o.app.count(past_rows).await > 0, "rows of past days");
    assert!(compact(&o.app).await > 0);
    assert_eq!(o.app.count(past_rows).await, 0, "folded");
    assert_eq!(caseload(&o.app, &o.sam, "").await, before);
    assert_eq!(compact(&o.app).await, 0, "nothing left to fold");
    // A step of a past day, finished after the folding, leaves the overdue count.
    sqlx::query(
        "UPDATE plan_items SET status = 'done', done_on = current_date WHERE title = 'Relancer'",
    )
    .execute(&o.app.sql)
    .await
    .unwrap();
    assert_eq!(counts_drift(&o.app).await, Vec::<String>::new());
    let after = caseload(&o.app, &o.sam, &alice).await;
    assert_eq!(
        after["agents"][0]["overdue_items"],
        alice_before["agents"][0]["overdue_items"].as_i64().unwrap() - 1
    );
    compact(&o.app).await;
    assert_eq!(counts_drift(&o.app).await, Vec::<String>::new());
}

#[tokio::test]
async fn the_kept_counts_follow_every_change_of_cases_and_steps() {
    let o = org().await;
    assert_eq!(counts_drift(&o.app).await, Vec::<String>::new(), "as built");
    let before = caseload(&o.app, &o.sam, "").await;

    // One statement swapping the two workers' cases (a bulk reassignment), moving their steps.
    sqlx::query(
        "UPDATE cases SET referent_id = CASE WHEN referent_id = $1 THEN $2 ELSE $1 END
          WHERE referent_id IN ($1, $2)",
    )
    .bind(o.alice_id)
    .bind(o.bob_id)
    .execute(&o.app.sql)
    .await
    .unwrap();
    assert_eq!(counts_drift(&o.app).await, Vec::<String>::new(), "swapped");
    let swapped = caseload(&o.app, &o.sam, "").await;
    let row = |body: &Value, id: Uuid| {
        let rows = body["agents"].as_array().unwrap();
        let mut row = rows
            .iter()
            .find(|r| r["agent_id"] == id.to_string())
            .unwrap()
            .clone();
        row.as_object_mut().unwrap().remove("agent_id");
        row.as_object_mut().unwrap().remove("name");
        row.as_object_mut().unwrap().remove("subject");
        row
    };
    assert_eq!(row(&swapped, o.bob_id), row(&before, o.alice_id));
    assert_eq!(row(&swapped, o.alice_id), row(&before, o.bob_id));
    assert_eq!(swapped["totals"], before["totals"]);

    // Reopening the closed case brings its overdue step back; a case loses its referent; steps
    // are moved, finished and removed, several in one statement.
    for sql in [
        "UPDATE cases SET status = 'active', closed_on = NULL, closure_reason = NULL
          WHERE status = 'closed'",
        "UPDATE cases SET referent_id = NULL WHERE status = 'planning'",
        "UPDATE plan_items SET due_on = due_on - 40 WHERE status = 'planned'",
        "UPDATE plan_items SET status = 'done', done_on = current_date
          WHERE title IN ('Relancer', 'Attribuer')",
        "UPDATE plan_items SET case_id = (SELECT id FROM cases WHERE status = 'planning')
          WHERE title = 'Dossier'",
        "DELETE FROM plan_items WHERE title = 'Dossier'",
        "UPDATE cases SET target_end_on = current_date + 30",
        "UPDATE cases SET status = 'archived', closed_on = current_date,
                          closure_reason = 'goals_met' WHERE status = 'active'",
    ] {
        sqlx::query(sql).execute(&o.app.sql).await.unwrap();
        assert_eq!(counts_drift(&o.app).await, Vec::<String>::new(), "{sql}");
    }
    let body = caseload(&o.app, &o.sam, "").await;
    assert_eq!(
        body["totals"]["cases_by_status"],
        by_status([1, 1, 1, 0, 0, 2])
    );
    assert_eq!(body["totals"]["cases_past_target"], 0);
    // Left: the intake case's step (now 41 days late) and the unassigned planning case's.
    assert_eq!(body["totals"]["overdue_items"], 2);
    let zeros: i64 = sqlx::query_scalar("SELECT count(*) FROM caseload_counts WHERE n = 0")
        .fetch_one(&o.app.sql)
        .await
        .unwrap();
    assert_eq!(zeros, 0, "a count reaching zero is removed");

    // Writes that bypassed the triggers are mended by counting again (docs/deployment.md).
    sqlx::raw_sql(
        "SET session_replication_role = replica;
         UPDATE plan_items SET due_on = due_on - 1;
         DELETE FROM caseload_counts WHERE measure = 'intake';
         SET session_replication_role = origin;",
    )
    .execute(&o.app.sql)
    .await
    .unwrap();
    assert_ne!(counts_drift(&o.app).await, Vec::<String>::new(), "stale");
    sqlx::query("SELECT relais_caseload_rebuild()")
        .execute(&o.app.sql)
        .await
        .unwrap();
    assert_eq!(counts_drift(&o.app).await, Vec::<String>::new(), "rebuilt");
}

#[tokio::test]
async fn a_step_written_while_its_case_moves_is_counted_under_the_new_referent() {
    let o = org().await;
    let alice = o.app.token("worker", "alice");
    let case = open_case(&o.app, &alice, "Hugo", "Garnier").await;
    add_item(&o.app, &alice, &case, "worker", "Appeler", day(-4)).await;
    // One transaction moves the case to bob; meanwhile another writes a step for it, straight
    // into the table (no application lock in between): it must wait for the move.
    let mut moving = o.app.sql.begin().await.unwrap();
    sqlx::query("UPDATE cases SET referent_id = $2 WHERE id = $1::uuid")
        .bind(&case.id)
        .bind(o.bob_id)
        .execute(&mut *moving)
        .await
        .unwrap();
    let waited = step_written_waits_for(&o.app, moving, &case.id, -1).await;
    assert!(waited, "the step waited for the move");
    assert_eq!(counts_drift(&o.app).await, Vec::<String>::new());
    let body = caseload(&o.app, &o.sam, &format!("?referent={}", o.bob_id)).await;
    // bob: the planning case's step and both steps of the case he received.
    assert_eq!(body["agents"][0]["overdue_items"], 3);
}

#[tokio::test]
async fn folding_never_waits_for_a_writer_and_skips_the_rows_it_holds() {
    let o = org().await;
    // A writer closes alice's intake case, past its target with an overdue step, and holds the
    // rows of those past days until it commits.
    let mut closing = o.app.sql.begin().await.unwrap();
    sqlx::query(
        "UPDATE cases SET status = 'closed', closed_on = current_date,
                          closure_reason = 'goals_met'
          WHERE status = 'intake' AND referent_id = $1",
    )
    .bind(o.alice_id)
    .execute(&mut *closing)
    .await
    .unwrap();
    let folded = tokio::time::timeout(std::time::Duration::from_secs(5), compact(&o.app))
        .await
        .expect("the folding does not wait for the writer");
    assert!(folded > 0, "the rows nobody holds are folded");
    let held: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM caseload_counts
          WHERE referent_id = $1 AND day > '-infinity' AND day < $2",
    )
    .bind(o.alice_id)
    .bind(relais_tests::today())
    .fetch_one(&o.app.sql)
    .await
    .unwrap();
    assert!(held > 0, "the writer's rows are left for next time");
    closing.commit().await.unwrap();
    assert_eq!(counts_drift(&o.app).await, Vec::<String>::new());
    compact(&o.app).await;
    assert_eq!(counts_drift(&o.app).await, Vec::<String>::new());
}
