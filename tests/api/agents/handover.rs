//! Handing a caseload over (`POST /v1/cases/reassignments`), the intake queue
//! (`GET /v1/cases?referent=none`) and what reception sees of the cases it opened today.

use super::{Staff, staff};
use crate::support::agenda::{Case, add_item, day, open_case, open_case_with};
use relais_tests::{TestApp, assert_problem, field_codes, invalid_at, pair};
use serde_json::{Value, json};

const REASSIGN: &str = "/v1/cases/reassignments";

async fn referent(app: &TestApp, token: &str, case: &Case) -> Value {
    app.get_json(&format!("/v1/cases/{}", case.id), token)
        .await
        .clone()
}

#[tokio::test]
async fn every_open_case_of_a_referent_moves_in_one_handover() {
    let Staff {
        app,
        sam,
        alice,
        bob,
        alice_id,
        bob_id,
        ..
    } = staff().await;
    let mut open = Vec::new();
    for name in ["Camille", "Jean", "Léa"] {
        let case = open_case(&app, &alice, name, "Lefèvre").await;
        add_item(
            &app,
            &alice,
            &case,
            "worker",
            &format!("Appeler {name}"),
            day(3),
        )
        .await;
        open.push(case);
    }
    let closed = open_case(&app, &alice, "Paul", "Roux").await;
    app.close_case(&alice, &closed.id).await;
    let body = json!({"from_agent_id": alice_id, "to_agent_id": bob_id});
    let by_worker = app.post(REASSIGN, &alice, &body).await;
    assert_problem(by_worker, 403, "forbidden").await;

    let response = app.post(REASSIGN, &sam, &body).await;
    assert_eq!(response.status(), 200);
    let moved: Value = response.json().await.unwrap();
    assert_eq!(moved["count"], 3);
    let mut expected: Vec<&str> = open.iter().map(|c| c.id.as_str()).collect();
    expected.sort_unstable();
    assert_eq!(moved["case_ids"], json!(expected));
    for case in &open {
        let now = referent(&app, &sam, case).await;
        assert_eq!(now["referent_id"], bob_id.as_str());
        assert_eq!(now["team_ids"], json!([bob_id]), "alice left the team");
        assert_eq!(now["version"], 2);
        let status = app
            .get(&format!("/v1/cases/{}", case.id), &alice)
            .await
            .status();
        assert_eq!(status, 404, "alice no longer sees it");
        let timeline = app
            .get_json(&format!("/v1/cases/{}/timeline", case.id), &bob)
            .await;
        let last = timeline["items"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(last["kind"], "reassigned");
        assert_eq!(last["data"]["previous_referent_id"], alice_id.as_str());
        assert_eq!(last["data"]["referent_id"], bob_id.as_str());
        assert_eq!(last["data"]["previous_kept_in_team"], false);
        let audit = app.audit_actions(&case.person_id).await;
        assert!(
            audit.contains(&("update".into(), "case".into())),
            "{audit:?}"
        );
    }
    let still = referent(&app, &sam, &closed).await;
    assert_eq!(
        still["referent_id"],
        alice_id.as_str(),
        "a closed case stays"
    );
    // Bob's agenda has the steps; the statistics count them under bob.
    let agenda = app
        .get_json(&format!("/v1/agenda?to={}", day(10)), &bob)
        .await;
    assert_eq!(agenda["items"].as_array().unwrap().len(), 3, "{agenda}");
    let stats = app.get_json("/v1/stats/caseload", &sam).await.to_string();
    assert!(stats.contains(&bob_id), "{stats}");
    // Nothing left to move.
    let again: Value = app.post(REASSIGN, &sam, &body).await.json().await.unwrap();
    assert_eq!(again["count"], 0);
    assert_eq!(again["case_ids"], json!([]));
}

#[tokio::test]
async fn only_the_cases_named_move_and_the_previous_referent_may_stay_on_the_team() {
    let s = staff().await;
    let app = &s.app;
    let first = open_case(app, &s.alice, "Camille", "Lefèvre").await;
    let second = open_case(app, &s.alice, "Jean", "Dupont").await;
    let body = json!({
        "from_agent_id": s.alice_id, "to_agent_id": s.bob_id,
        "case_ids": [first.id], "keep_previous_in_team": true
    });
    let moved: Value = app
        .post(REASSIGN, &s.sam, &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(moved["count"], 1);
    let now = referent(app, &s.sam, &first).await;
    assert_eq!(now["referent_id"], s.bob_id.as_str());
    let team = now["team_ids"].as_array().unwrap();
    assert!(team.contains(&json!(s.alice_id)) && team.contains(&json!(s.bob_id)));
    assert_eq!(
        referent(app, &s.sam, &second).await["referent_id"],
        s.alice_id.as_str()
    );
}

#[tokio::test]
async fn a_handover_with_any_wrong_case_moves_nothing_and_names_each_one() {
    let s = staff().await;
    let app = &s.app;
    let mine = open_case(app, &s.alice, "Camille", "Lefèvre").await;
    let closed = open_case(app, &s.alice, "Jean", "Dupont").await;
    app.close_case(&s.alice, &closed.id).await;
    let bobs = open_case(app, &s.bob, "Léa", "Roux").await;
    let stranger = app.token_for("other", &["worker"], "olga");
    let theirs = app.create_case(&stranger).await;
    let unknown = "0190a1b2-0000-7000-8000-000000000000";
    let body = json!({
        "from_agent_id": s.alice_id, "to_agent_id": s.sam_id,
        "case_ids": [mine.id, closed.id, bobs.id, theirs["id"], unknown, mine.id]
    });
    let response = app.post(REASSIGN, &s.sam, &body).await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(
        field_codes(&problem),
        [pair("/case_ids/5", "duplicate")],
        "duplicates first"
    );
    let mut body = body;
    body["case_ids"].as_array_mut().unwrap().pop();
    let response = app.post(REASSIGN, &s.sam, &body).await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(
        field_codes(&problem),
        [
            pair("/case_ids/1", "case_not_open"),
            pair("/case_ids/2", "not_referent"),
            pair("/case_ids/3", "unknown_reference"),
            pair("/case_ids/4", "unknown_reference"),
        ]
    );
    assert_eq!(
        referent(app, &s.sam, &mine).await["referent_id"],
        s.alice_id.as_str(),
        "nothing moved"
    );

    for (body, pointer, code) in [
        (
            json!({"from_agent_id": s.alice_id, "to_agent_id": s.alice_id}),
            "/to_agent_id",
            "same_agent",
        ),
        (
            json!({"from_agent_id": s.alice_id, "to_agent_id": s.reception_id}),
            "/to_agent_id",
            "not_a_worker",
        ),
        (
            json!({"from_agent_id": s.alice_id, "to_agent_id": unknown}),
            "/to_agent_id",
            "unknown_reference",
        ),
        (
            json!({"from_agent_id": unknown, "to_agent_id": s.bob_id}),
            "/from_agent_id",
            "unknown_reference",
        ),
        (
            json!({"from_agent_id": s.alice_id, "to_agent_id": s.bob_id, "case_ids": []}),
            "/case_ids",
            "length",
        ),
    ] {
        let response = app.post(REASSIGN, &s.sam, &body).await;
        assert_eq!(invalid_at(response, pointer).await, code, "{body}");
    }
    let missing = app
        .post(REASSIGN, &s.sam, &json!({"from_agent_id": s.alice_id}))
        .await;
    assert_eq!(missing.status(), 422);
}

#[tokio::test]
async fn five_hundred_cases_move_in_one_request() {
    let s = staff().await;
    let app = &s.app;
    let first = open_case(app, &s.alice, "Camille", "Lefèvre").await;
    // 499 more cases of alice for the same person, written directly.
    sqlx::query(
        "WITH c AS (
           INSERT INTO cases (id, org_id, person_id, status, reason, origin, referent_id,
                              opened_on, target_end_on, created_by)
           SELECT gen_random_uuid(), org_id, person_id, 'active', reason, origin, referent_id,
                  opened_on, target_end_on, created_by
             FROM cases, generate_series(1, 499)
            WHERE id = $1::uuid
           RETURNING id, org_id, referent_id
         )
         INSERT INTO case_team (case_id, agent_id, org_id)
         SELECT id, referent_id, org_id FROM c",
    )
    .bind(&first.id)
    .execute(&app.sql)
    .await
    .unwrap();
    let started = std::time::Instant::now();
    let body = json!({"from_agent_id": s.alice_id, "to_agent_id": s.bob_id});
    let response = app.post(REASSIGN, &s.sam, &body).await;
    let took = started.elapsed();
    assert_eq!(response.status(), 200);
    let moved: Value = response.json().await.unwrap();
    assert_eq!(moved["count"], 500);
    eprintln!("500 cases handed over in {} ms", took.as_millis());
    let left = app
        .count("SELECT count(*) FROM cases WHERE referent_id IS DISTINCT FROM (SELECT id FROM agents WHERE subject = 'bob')")
        .await;
    assert_eq!(left, 0);
    let audited = app
        .count("SELECT count(*) FROM audit_events WHERE action = 'update' AND resource_type = 'case' AND reason = 'reassignment'")
        .await;
    assert_eq!(audited, 500);
    let events = app
        .count("SELECT count(*) FROM case_events WHERE kind = 'reassigned'")
        .await;
    assert_eq!(events, 500);
}

#[tokio::test]
async fn the_intake_queue_lists_the_cases_waiting_for_a_referent() {
    let s = staff().await;
    let app = &s.app;
    let waiting = open_case(app, &s.reception, "Camille", "Lefèvre").await;
    let followed = open_case_with(
        app,
        &s.reception,
        "Jean",
        "Dupont",
        json!({"referent_id": s.alice_id}),
    )
    .await;
    let queue = app.get_json("/v1/cases?referent=none", &s.sam).await;
    let ids: Vec<&str> = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [waiting.id.as_str()]);
    let all = app.get_json("/v1/cases", &s.sam).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let bad = app.get("/v1/cases?referent=personne", &s.sam).await;
    assert_problem(bad, 400, "invalid_parameter").await;
    for token in [&s.reception, &s.alice] {
        let refused = app.get("/v1/cases?referent=none", token).await;
        assert_problem(refused, 403, "forbidden").await;
    }

    // Reception sees what it opened today, without content.
    let today = app.get_json("/v1/cases/opened-today", &s.reception).await;
    let items = today["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], followed.id.as_str(), "newest first");
    assert_eq!(items[0]["referent_id"], s.alice_id.as_str());
    assert!(items[1]["referent_id"].is_null());
    assert!(items[0].get("reason").is_none(), "no content");
    let audited = app
        .count("SELECT count(*) FROM audit_events WHERE action = 'read' AND resource_type = 'case'")
        .await;
    assert!(audited >= 2);
    let none = app.get_json("/v1/cases/opened-today", &s.alice).await;
    assert!(
        none["items"].as_array().unwrap().is_empty(),
        "alice opened none"
    );
    let admin = app.get("/v1/cases/opened-today", &s.admin).await;
    assert_problem(admin, 403, "forbidden").await;
    let stranger = app.token_for("other", &["reception"], "rose");
    let theirs = app.get_json("/v1/cases/opened-today", &stranger).await;
    assert!(theirs["items"].as_array().unwrap().is_empty());
}
