//! Absences over HTTP: the delegate covers the absent referent's open cases while the absence
//! runs, it starts and ends by itself (the worker's job), a cancelled one ends at once; who may
//! record them, and every refusal with its pointer.

use super::{Staff, staff};
use crate::support::agenda::{add_item, day, entries_drift, open_case};
use relais_tests::{TestApp, assert_problem, invalid_at, test_pool};
use reqwest::Method;
use serde_json::{Value, json};

fn absences(agent_id: &str) -> String {
    format!("/v1/agents/{agent_id}/absences")
}

/// Records an absence of `agent_id` as `token`, which must succeed; the absence.
async fn absent(app: &TestApp, token: &str, agent_id: &str, body: Value) -> Value {
    let response = app.post(&absences(agent_id), token, &body).await;
    assert_eq!(response.status(), 201, "recording an absence");
    let location = relais_tests::header(&response, "location");
    let absence: Value = response.json().await.unwrap();
    assert_eq!(
        location,
        format!("{}/{}", absences(agent_id), absence["id"].as_str().unwrap())
    );
    absence
}

/// Whether `token` may read the case `id`.
async fn sees(app: &TestApp, token: &str, id: &str) -> bool {
    let status = app.get(&format!("/v1/cases/{id}"), token).await.status();
    assert!(status == 200 || status == 404, "{status}");
    status == 200
}

/// Runs the absences' job as the worker replicas do, on `today`. The test server's own worker
/// runs it once at its start: while it holds the job's lease, wait for it (2 s at most).
async fn run_job(app: &TestApp) -> relais_store::absences::Synced {
    let db = relais_store::Db::connect_lazy(app.db_options.clone(), &test_pool());
    for _ in 0..100 {
        let synced = relais_store::absences::sync_all(&db, relais_tests::today())
            .await
            .unwrap();
        if let Some(synced) = synced {
            return synced;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the job's lease stayed held by another replica for 2 s")
}

fn period(from: i64, to: i64, delegate: &str) -> Value {
    json!({"from": day(from), "to": day(to), "delegate_id": delegate})
}

#[tokio::test]
async fn the_delegate_covers_the_open_cases_of_the_absent_referent_until_the_absence_ends() {
    let Staff {
        app,
        sam,
        alice,
        bob,
        alice_id,
        bob_id,
        ..
    } = staff().await;
    let open = open_case(&app, &alice, "Camille", "Lefèvre").await;
    add_item(&app, &alice, &open, "worker", "Appeler la CAF", day(2)).await;
    let closed = open_case(&app, &alice, "Jean", "Dupont").await;
    app.close_case(&alice, &closed.id).await;
    assert!(!sees(&app, &bob, &open.id).await);

    let absence = absent(&app, &sam, &alice_id, period(0, 6, &bob_id)).await;
    assert_eq!(absence["agent_id"], alice_id.as_str());
    assert_eq!(absence["from"], day(0).to_string());
    assert!(
        sees(&app, &bob, &open.id).await,
        "the delegate reads the case"
    );
    assert!(
        !sees(&app, &bob, &closed.id).await,
        "closed cases are not covered"
    );
    let case = app.get_json(&format!("/v1/cases/{}", open.id), &sam).await;
    assert_eq!(case["delegate_ids"], json!([bob_id]));
    assert_eq!(case["team_ids"], json!([alice_id]));
    let agenda = app
        .get_json(&format!("/v1/agenda?to={}", day(10)), &bob)
        .await;
    assert!(agenda.to_string().contains("Appeler la CAF"), "{agenda}");
    // The delegate calls off an appointment the absent referent had planned.
    let at = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    let planned = app
        .post(
            &format!("/v1/cases/{}/contacts", open.id),
            &alice,
            &json!({"kind": "interview", "scheduled_at": at}),
        )
        .await;
    assert_eq!(planned.status(), 201);
    let planned: Value = planned.json().await.unwrap();
    let outcome = format!(
        "/v1/cases/{}/contacts/{}/outcome",
        open.id,
        planned["id"].as_str().unwrap()
    );
    let cancelled = app
        .request(Method::POST, &outcome, &bob)
        .header("If-Match", "\"1\"")
        .json(&json!({"status": "cancelled", "reason": "Référente absente"}))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 200);
    // A new case of the absent referent is covered by the next run of the job.
    let later = open_case(&app, &alice, "Léa", "Roux").await;
    assert!(!sees(&app, &bob, &later.id).await);
    assert_eq!(run_job(&app).await.joined, 1);
    assert!(sees(&app, &bob, &later.id).await);
    assert_eq!(
        run_job(&app).await,
        Default::default(),
        "nothing left to do"
    );

    // The last day passed: the job ends the delegation by itself.
    sqlx::query("UPDATE agent_absences SET starts_on = $1, ends_on = $2")
        .bind(day(-7))
        .bind(day(-1))
        .execute(&app.sql)
        .await
        .unwrap();
    let synced = run_job(&app).await;
    assert_eq!(synced.left, 2);
    assert!(!sees(&app, &bob, &open.id).await);
    let agenda = app
        .get_json(&format!("/v1/agenda?to={}", day(10)), &bob)
        .await;
    assert!(!agenda.to_string().contains("Appeler la CAF"));
    assert!(
        sees(&app, &alice, &open.id).await,
        "the referent keeps the case"
    );
    let job = app
        .count(
            "SELECT count(*) FROM job_runs
              WHERE job = 'absence_delegation' AND last_succeeded_at IS NOT NULL",
        )
        .await;
    assert_eq!(job, 1);
    let audited = app
        .count(
            "SELECT count(*) FROM audit_events
              WHERE resource_type = 'agent.absence' AND action = 'create'",
        )
        .await;
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn an_absence_recorded_ahead_starts_by_itself_and_a_cancelled_one_ends_at_once() {
    let s = staff().await;
    let app = &s.app;
    let case = open_case(app, &s.alice, "Camille", "Lefèvre").await;
    // Alice records her own leave, from tomorrow.
    let absence = absent(app, &s.alice, &s.alice_id, period(1, 3, &s.bob_id)).await;
    assert!(
        !sees(app, &s.bob, &case.id).await,
        "not before its first day"
    );
    sqlx::query("UPDATE agent_absences SET starts_on = $1")
        .bind(day(0))
        .execute(&app.sql)
        .await
        .unwrap();
    assert_eq!(run_job(app).await.joined, 1);
    assert!(sees(app, &s.bob, &case.id).await);

    let list = app.get_json(&absences(&s.alice_id), &s.alice).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["id"], absence["id"]);
    let path = format!(
        "{}/{}",
        absences(&s.alice_id),
        absence["id"].as_str().unwrap()
    );
    let read = app.get(&path, &s.alice).await;
    assert_eq!(relais_tests::header(&read, "etag"), "\"1\"");
    let cancel = |token: &str, tag: Option<&str>| {
        let mut request = app.request(Method::DELETE, &path, token);
        if let Some(tag) = tag {
            request = request.header("If-Match", tag);
        }
        request.send()
    };
    assert_problem(
        cancel(&s.sam, None).await.unwrap(),
        428,
        "precondition_required",
    )
    .await;
    assert_problem(
        cancel(&s.bob, Some("\"1\"")).await.unwrap(),
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        cancel(&s.sam, Some("\"7\"")).await.unwrap(),
        412,
        "version_mismatch",
    )
    .await;
    // It began two days ago: cancelled, it ends yesterday and stays on record.
    sqlx::query("UPDATE agent_absences SET starts_on = $1")
        .bind(day(-2))
        .execute(&app.sql)
        .await
        .unwrap();
    assert_eq!(cancel(&s.sam, Some("\"1\"")).await.unwrap().status(), 204);
    assert!(
        !sees(app, &s.bob, &case.id).await,
        "the delegation ended with it"
    );
    let ended = app.get_json(&path, &s.sam).await;
    assert_eq!(ended["to"], day(-1).to_string());
    assert_eq!(ended["version"], 2);
    assert_eq!(entries_drift(app).await, Vec::<String>::new());
    // One that has not begun is deleted.
    let ahead = absent(app, &s.alice, &s.alice_id, period(5, 6, &s.bob_id)).await;
    let ahead_path = format!(
        "{}/{}",
        absences(&s.alice_id),
        ahead["id"].as_str().unwrap()
    );
    let deleted = app
        .request(Method::DELETE, &ahead_path, &s.alice)
        .header("If-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_problem(app.get(&ahead_path, &s.alice).await, 404, "not_found").await;
    let list = app.get_json(&absences(&s.alice_id), &s.sam).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let audited = |action: &'static str| {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM audit_events
              WHERE resource_type = 'agent.absence' AND action = $1 AND reason = 'cancelled'",
        )
        .bind(action)
        .fetch_one(&app.sql)
    };
    assert_eq!(audited("update").await.unwrap(), 1);
    assert_eq!(audited("delete").await.unwrap(), 1);
}

#[tokio::test]
async fn the_delegations_follow_the_cases_referent_and_status_at_once() {
    let s = staff().await;
    let app = &s.app;
    let given = open_case(app, &s.alice, "Camille", "Lefèvre").await;
    let kept = open_case(app, &s.alice, "Jean", "Dupont").await;
    let closing = open_case(app, &s.alice, "Léa", "Roux").await;
    for case in [&given, &kept, &closing] {
        add_item(app, &s.alice, case, "worker", "Relancer", day(2)).await;
    }
    absent(app, &s.sam, &s.alice_id, period(0, 4, &s.bob_id)).await;
    let path = |case: &crate::support::agenda::Case| format!("/v1/cases/{}", case.id);
    let read = app.get_json(&path(&kept), &s.sam).await;
    assert_eq!(read["delegate_ids"], json!([s.bob_id]));
    assert_eq!(read["team_ids"], json!([s.alice_id]));

    // The delegate made referent is a member in their own right: the end of the absence keeps them.
    let response = app
        .patch(&path(&given), &s.sam, 1, &json!({"referent_id": s.bob_id}))
        .await;
    assert_eq!(response.status(), 200);
    let changed: Value = response.json().await.unwrap();
    assert!(
        changed["team_ids"]
            .as_array()
            .unwrap()
            .contains(&json!(s.bob_id))
    );
    assert_eq!(changed["delegate_ids"], json!([]));
    // A team written without the delegate keeps the delegation, and says so.
    let response = app
        .patch(&path(&kept), &s.sam, 1, &json!({"team_ids": [s.sam_id]}))
        .await;
    assert_eq!(response.status(), 200);
    let changed: Value = response.json().await.unwrap();
    assert_eq!(changed["delegate_ids"], json!([s.bob_id]), "{changed}");
    assert!(sees(app, &s.bob, &kept.id).await);
    // A case closing loses its delegate at once.
    let closed = app
        .request(
            Method::POST,
            &format!("/v1/cases/{}/transitions", closing.id),
            &s.alice,
        )
        .header("If-Match", "*")
        .json(&json!({"to": "closed", "closure_reason": "goals_met", "force": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status(), 200);
    let closed: Value = closed.json().await.unwrap();
    assert_eq!(closed["delegate_ids"], json!([]));
    assert!(
        !sees(app, &s.bob, &closing.id).await,
        "no need to wait for the job"
    );
    // A handover away from the absent referent takes the delegate off at once.
    let body = json!({"from_agent_id": s.alice_id, "to_agent_id": s.sam_id});
    let moved: Value = app
        .post("/v1/cases/reassignments", &s.sam, &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(moved["case_ids"], json!([kept.id]));
    assert!(!sees(app, &s.bob, &kept.id).await);
    assert_eq!(entries_drift(app).await, Vec::<String>::new());

    sqlx::query("UPDATE agent_absences SET starts_on = $1, ends_on = $2")
        .bind(day(-3))
        .bind(day(-1))
        .execute(&app.sql)
        .await
        .unwrap();
    run_job(app).await;
    assert!(sees(app, &s.bob, &given.id).await, "bob is its referent");
    assert_eq!(entries_drift(app).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_delegate_who_left_stops_covering() {
    let s = staff().await;
    let app = &s.app;
    let case = open_case(app, &s.alice, "Camille", "Lefèvre").await;
    absent(app, &s.sam, &s.alice_id, period(0, 4, &s.bob_id)).await;
    assert!(sees(app, &s.bob, &case.id).await);
    let bob = app
        .get_json(&format!("/v1/agents/{}", s.bob_id), &s.admin)
        .await;
    let response = app
        .patch(
            &format!("/v1/agents/{}", s.bob_id),
            &s.admin,
            bob["version"].as_i64().unwrap(),
            &json!({"active": false}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(run_job(app).await.left, 1);
    let case = app
        .get_json(&format!("/v1/cases/{}", case.id), &s.sam)
        .await;
    assert_eq!(case["delegate_ids"], json!([]));
}

#[tokio::test]
async fn a_supervisors_change_of_the_team_keeps_the_delegation() {
    let s = staff().await;
    let app = &s.app;
    let case = open_case(app, &s.alice, "Camille", "Lefèvre").await;
    absent(app, &s.sam, &s.alice_id, period(0, 2, &s.bob_id)).await;
    let current = app
        .get_json(&format!("/v1/cases/{}", case.id), &s.sam)
        .await;
    let version = current["version"].as_i64().unwrap();
    let response = app
        .patch(
            &format!("/v1/cases/{}", case.id),
            &s.sam,
            version,
            &json!({"team_ids": [s.sam_id]}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let changed: Value = response.json().await.unwrap();
    let team = changed["team_ids"].as_array().unwrap();
    assert!(team.contains(&json!(s.sam_id)) && !team.contains(&json!(s.bob_id)));
    assert_eq!(changed["delegate_ids"], json!([s.bob_id]));
    assert!(sees(app, &s.bob, &case.id).await);
}

#[tokio::test]
async fn absences_are_refused_with_the_field_at_fault() {
    let s = staff().await;
    let app = &s.app;
    let path = absences(&s.alice_id);
    for (body, pointer, code) in [
        (period(3, 1, &s.bob_id), "/to", "out_of_range"),
        (period(-5, -1, &s.bob_id), "/to", "in_past"),
        (period(0, 366, &s.bob_id), "/to", "too_long"),
        (period(0, 1, &s.alice_id), "/delegate_id", "same_agent"),
        (
            period(0, 1, "0190a1b2-0000-7000-8000-000000000000"),
            "/delegate_id",
            "unknown_reference",
        ),
        (
            period(0, 1, &s.reception_id),
            "/delegate_id",
            "not_a_worker",
        ),
    ] {
        let response = app.post(&path, &s.sam, &body).await;
        assert_eq!(invalid_at(response, pointer).await, code, "{body}");
    }
    let response = app
        .post(
            &path,
            &s.sam,
            &json!({"from": "demain", "to": day(1), "delegate_id": s.bob_id}),
        )
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(relais_tests::pointers(&problem), ["/from"], "{problem}");

    absent(app, &s.sam, &s.alice_id, period(0, 5, &s.bob_id)).await;
    let overlapping = app.post(&path, &s.sam, &period(5, 9, &s.sam_id)).await;
    assert_problem(overlapping, 409, "absence_overlaps").await;
    assert_eq!(
        app.post(&path, &s.sam, &period(6, 9, &s.sam_id))
            .await
            .status(),
        201,
        "the next day is free"
    );

    // Who may: a worker for themself only, never reception or partners.
    let for_another = app.post(&path, &s.bob, &period(20, 21, &s.sam_id)).await;
    assert_problem(for_another, 403, "forbidden").await;
    let reading = app.get(&path, &s.bob).await;
    assert_problem(reading, 403, "forbidden").await;
    let reception = app
        .post(
            &absences(&s.reception_id),
            &s.reception,
            &period(0, 1, &s.bob_id),
        )
        .await;
    assert_problem(reception, 403, "forbidden").await;
    // Another organisation's agent, and an agent of another organisation as delegate.
    let stranger = app.token_for("other", &["worker"], "olga");
    let olga = app.agent_id(&stranger).await.to_string();
    let response = app
        .post(&absences(&olga), &s.sam, &period(0, 1, &s.bob_id))
        .await;
    assert_problem(response, 404, "not_found").await;
    let response = app.post(&path, &s.sam, &period(30, 31, &olga)).await;
    assert_eq!(
        invalid_at(response, "/delegate_id").await,
        "unknown_reference"
    );
    let response = app.get(&absences(&olga), &s.sam).await;
    assert_problem(response, 404, "not_found").await;
}
