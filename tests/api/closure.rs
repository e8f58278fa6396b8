//! Closure and what follows over HTTP: closure reasons, pending plan items and `force`, the
//! orientation and the review date, reopening, permissions, other organisations, If-Match and
//! the audit log. The review list is in `closure::review`.

mod journey;
mod review;

use crate::support::closure::{assert_closure_cleared, close, moved, new_case, read, transition};
use crate::support::proposals::{Negotiation, step};
use chrono::{Days, NaiveDate};
use relais_tests::{TestApp, assert_problem, in_days, pointers, problem, today};
use reqwest::{Method, Response};
use serde_json::{Value, json};

fn with(mut body: Value, extra: Value) -> Value {
    let fields = extra.as_object().unwrap().clone();
    body.as_object_mut().unwrap().extend(fields);
    body
}

fn date(value: &Value) -> NaiveDate {
    value.as_str().unwrap().parse().unwrap()
}

/// Asserts a 422 with one error at `pointer`; that error's code.
async fn assert_invalid(response: Response, pointer: &str) -> String {
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(pointers(&problem), [pointer]);
    problem["errors"][0]["code"].as_str().unwrap().to_owned()
}

/// Adds a plan item to the case and sets its status directly; the item's id.
async fn item(app: &TestApp, token: &str, case: &str, title: &str, status: &str) -> String {
    let body = step("worker", "orientation", title, 10);
    let response = app
        .post(&format!("/v1/cases/{case}/plan/items"), token, &body)
        .await;
    assert_eq!(response.status(), 201, "adding {title}");
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    sqlx::query(
        "UPDATE plan_items SET status = $2, done_on = CASE WHEN $2 = 'done' THEN current_date \
         END WHERE id = $1::uuid",
    )
    .bind(&id)
    .bind(status)
    .execute(&app.sql)
    .await
    .unwrap();
    id
}

async fn timeline(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    let timeline = read(app, &format!("/v1/cases/{id}/timeline"), token).await;
    timeline["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn closing_without_a_closure_reason_or_with_an_unknown_one_is_refused_at_the_field() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let (id, _) = new_case(&app, &alice).await;
    let bare = transition(&app, &alice, &id, 1, &json!({"to": "closed"})).await;
    assert_eq!(
        assert_invalid(bare, "/closure_reason").await,
        "closure_reason_required"
    );
    let unknown = json!({"to": "closed", "closure_reason": "bored"});
    let response = transition(&app, &alice, &id, 1, &unknown).await;
    assert_eq!(response.status(), 422);
    assert_eq!(pointers(&problem(response).await), ["/closure_reason"]);
    let long = with(close(), json!({"orientation": "x".repeat(2001)}));
    assert_invalid(
        transition(&app, &alice, &id, 1, &long).await,
        "/orientation",
    )
    .await;
    let case = read(&app, &format!("/v1/cases/{id}"), &alice).await;
    assert_eq!(
        (case["status"].as_str(), case["version"].as_i64()),
        (Some("intake"), Some(1))
    );
}

#[tokio::test]
async fn every_closure_reason_code_closes_a_case() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let codes = [
        "goals_met",
        "person_withdrew",
        "unreachable",
        "redirected",
        "moved_away",
        "deceased",
        "other",
    ];
    for code in codes {
        let (id, _) = new_case(&app, &alice).await;
        let body = json!({"to": "closed", "closure_reason": code});
        let case = moved(&app, &alice, &id, 1, &body).await;
        assert_eq!(case["status"], "closed");
        assert_eq!(case["closure_reason"], code);
        assert_eq!(date(&case["closed_on"]), today());
    }
}

#[tokio::test]
async fn closing_over_pending_plan_items_is_a_409_that_lists_them() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let (id, _) = new_case(&app, &alice).await;
    let planned = item(&app, &alice, &id, "Appeler la CAF", "planned").await;
    let started = item(&app, &alice, &id, "Dossier FSL", "in_progress").await;
    let blocked = item(&app, &alice, &id, "Relance bailleur", "blocked").await;
    item(&app, &alice, &id, "Courrier envoyé", "done").await;
    item(&app, &alice, &id, "Piste abandonnée", "cancelled").await;
    let response = transition(&app, &alice, &id, 1, &close()).await;
    let problem = assert_problem(response, 409, "pending_plan_items").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .starts_with("3 plan item")
    );
    let items = problem["items"].as_array().unwrap();
    let listed: Vec<_> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    let mut expected = [planned.as_str(), started.as_str(), blocked.as_str()];
    expected.sort_unstable();
    let mut sorted = listed.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, expected);
    let first = items.iter().find(|i| i["id"] == planned.as_str()).unwrap();
    assert_eq!(first["title"], "Appeler la CAF");
    assert_eq!(first["party"], "worker");
    assert_eq!(first["status"], "planned");
    assert_eq!(first["due_on"], in_days(10));
    let case = read(&app, &format!("/v1/cases/{id}"), &alice).await;
    assert_eq!(
        (case["status"].as_str(), case["version"].as_i64()),
        (Some("intake"), Some(1))
    );
    let unforced = with(close(), json!({"force": false}));
    let response = transition(&app, &alice, &id, 1, &unforced).await;
    assert_problem(response, 409, "pending_plan_items").await;
}

#[tokio::test]
async fn forcing_the_closure_closes_and_the_timeline_keeps_the_items_left_pending() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let (id, _) = new_case(&app, &alice).await;
    let pending = item(&app, &alice, &id, "Appeler la CAF", "blocked").await;
    item(&app, &alice, &id, "Courrier envoyé", "done").await;
    let forced = with(close(), json!({"force": true}));
    let case = moved(&app, &alice, &id, 1, &forced).await;
    assert_eq!(case["status"], "closed");
    let events = timeline(&app, &alice, &id).await;
    let data = &events.last().unwrap()["data"];
    assert_eq!(data["forced"], true, "{data}");
    assert_eq!(data["closure_reason"], "goals_met");
    let left = data["pending_items"].as_array().unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["id"], pending.as_str());
    assert_eq!(left[0]["status"], "blocked");
    assert_eq!(left[0]["title"], "Appeler la CAF");
}

#[tokio::test]
async fn a_plan_with_only_settled_items_closes_without_force_and_force_is_harmless() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let (id, _) = new_case(&app, &alice).await;
    item(&app, &alice, &id, "Courrier envoyé", "done").await;
    item(&app, &alice, &id, "Piste abandonnée", "cancelled").await;
    moved(&app, &alice, &id, 1, &close()).await;
    let events = timeline(&app, &alice, &id).await;
    let data = &events.last().unwrap()["data"];
    assert_eq!(data["forced"], false);
    assert_eq!(data["pending_items"], json!([]));
    let (other, _) = new_case(&app, &alice).await;
    let forced = with(close(), json!({"force": true}));
    assert_eq!(
        moved(&app, &alice, &other, 1, &forced).await["status"],
        "closed"
    );
}

#[tokio::test]
async fn closing_records_the_orientation_and_the_review_date_by_default_or_as_chosen() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let (id, _) = new_case(&app, &alice).await;
    let body = with(close(), json!({"orientation": "  Suivi par le CCAS  "}));
    let case = moved(&app, &alice, &id, 1, &body).await;
    assert_eq!(case["orientation"], "Suivi par le CCAS");
    assert_eq!(date(&case["closed_on"]), today());
    assert_eq!(date(&case["review_due_on"]), today() + Days::new(28));
    assert_eq!(case["indicators"]["review_due"], false);
    let data = &timeline(&app, &alice, &id).await.last().unwrap()["data"].clone();
    assert_eq!(data["orientation"], "Suivi par le CCAS");
    assert_eq!(date(&data["review_due_on"]), today() + Days::new(28));

    let (chosen, _) = new_case(&app, &alice).await;
    for bad in [today(), today() - Days::new(3)] {
        let body = with(close(), json!({"review_due_on": bad}));
        let response = transition(&app, &alice, &chosen, 1, &body).await;
        assert_eq!(
            assert_invalid(response, "/review_due_on").await,
            "out_of_range"
        );
    }
    let body = with(close(), json!({"review_due_on": in_days(60)}));
    let case = moved(&app, &alice, &chosen, 1, &body).await;
    assert_eq!(case["review_due_on"], in_days(60));
    assert!(case["orientation"].is_null());

    // Settings are cached for a minute: change those of an organisation not used yet.
    sqlx::query("UPDATE organisations SET review_delay_days = 14 WHERE slug = 'other'")
        .execute(&app.sql)
        .await
        .unwrap();
    let olga = app.token_for("other", &["worker"], "olga");
    let (shorter, _) = new_case(&app, &olga).await;
    let case = moved(&app, &olga, &shorter, 1, &close()).await;
    assert_eq!(case["review_due_on"], in_days(14));
}

#[tokio::test]
async fn a_closure_that_leaves_nobody_to_review_with_sets_no_review_date_unless_asked() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    for reason in ["person_withdrew", "unreachable", "moved_away", "deceased"] {
        let (id, _) = new_case(&app, &alice).await;
        let body = json!({"to": "closed", "closure_reason": reason});
        let case = moved(&app, &alice, &id, 1, &body).await;
        assert!(case["review_due_on"].is_null(), "{reason}: {case}");
        assert_eq!(case["indicators"]["review_due"], false);
        let data = &timeline(&app, &alice, &id).await.last().unwrap()["data"].clone();
        assert!(data["review_due_on"].is_null(), "{reason}");
    }
    let (asked, _) = new_case(&app, &alice).await;
    let body = json!({"to": "closed", "closure_reason": "moved_away",
                      "review_due_on": in_days(30)});
    let case = moved(&app, &alice, &asked, 1, &body).await;
    assert_eq!(case["review_due_on"], in_days(30), "asked for");
    for reason in ["redirected", "other"] {
        let (id, _) = new_case(&app, &alice).await;
        let body = json!({"to": "closed", "closure_reason": reason});
        let case = moved(&app, &alice, &id, 1, &body).await;
        assert_eq!(case["review_due_on"], in_days(28), "{reason}");
    }
    // Once the review dates have come, only the cases with one await their review.
    sqlx::query(
        "UPDATE cases SET review_due_on = current_date - 1 WHERE review_due_on IS NOT NULL",
    )
    .execute(&app.sql)
    .await
    .unwrap();
    let due = read(&app, "/v1/cases?review_due=true", &alice).await;
    assert_eq!(due["items"].as_array().unwrap().len(), 3, "{due}");
}

#[tokio::test]
async fn a_closed_case_figures_freeze_at_its_closure() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let (id, _) = new_case(&app, &alice).await;
    let late = item(&app, &alice, &id, "Relancer le bailleur", "planned").await;
    sqlx::query("UPDATE plan_items SET due_on = current_date - 5 WHERE id = $1::uuid")
        .bind(&late)
        .execute(&app.sql)
        .await
        .unwrap();
    let plan = read(&app, &format!("/v1/cases/{id}/plan"), &alice).await;
    assert_eq!(plan["indicators"]["overdue"], 1, "overdue while open");
    let body = with(close(), json!({"force": true}));
    moved(&app, &alice, &id, 1, &body).await;
    // Closed ten days ago, with its target date 100 days after the closure.
    sqlx::query(
        "UPDATE cases SET closed_on = current_date - 10, opened_on = current_date - 40,
                          target_end_on = current_date + 90
          WHERE id = $1::uuid",
    )
    .bind(&id)
    .execute(&app.sql)
    .await
    .unwrap();
    let case = read(&app, &format!("/v1/cases/{id}"), &alice).await;
    assert_eq!(case["indicators"]["days_open"], 30, "{case}");
    assert_eq!(
        case["indicators"]["days_remaining"], 100,
        "as on the closure date"
    );
    assert_eq!(case["indicators"]["past_target"], false);
    let plan = read(&app, &format!("/v1/cases/{id}/plan"), &alice).await;
    assert_eq!(plan["indicators"]["overdue"], 0, "{plan}");
    assert_eq!(plan["indicators"]["days_open"], 30);
    let items = read(&app, &format!("/v1/cases/{id}/plan/items"), &alice).await;
    assert_eq!(items["items"][0]["overdue"], false);
    let overdue = read(
        &app,
        &format!("/v1/cases/{id}/plan/items?overdue=true"),
        &alice,
    )
    .await;
    assert!(overdue["items"].as_array().unwrap().is_empty(), "{overdue}");
}

#[tokio::test]
async fn the_past_target_list_leaves_closed_cases_out() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let (late, _) = new_case(&app, &alice).await;
    let (closed, _) = new_case(&app, &alice).await;
    moved(&app, &alice, &closed, 1, &close()).await;
    sqlx::query("UPDATE cases SET target_end_on = current_date - 2")
        .execute(&app.sql)
        .await
        .unwrap();
    let list = read(&app, "/v1/cases?past_target=true", &alice).await;
    let ids: Vec<_> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(ids, [json!(late)]);
}

#[tokio::test]
async fn reopening_in_assessment_needs_a_reason_clears_the_closure_and_keeps_it_in_the_timeline() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let (id, _) = new_case(&app, &alice).await;
    let body = with(
        close(),
        json!({"orientation": "Mission locale", "closure_reason": "redirected"}),
    );
    let closed = moved(&app, &alice, &id, 1, &body).await;
    for body in [
        json!({"to": "assessment"}),
        json!({"to": "assessment", "reason": "  "}),
    ] {
        let response = transition(&app, &alice, &id, 2, &body).await;
        assert_eq!(assert_invalid(response, "/reason").await, "reason_required");
    }
    let body = json!({"to": "assessment", "reason": "La personne revient"});
    let case = moved(&app, &alice, &id, 2, &body).await;
    assert_eq!(case["status"], "assessment");
    assert_closure_cleared(&case);
    assert_eq!(case["indicators"]["review_due"], false);
    let events = timeline(&app, &alice, &id).await;
    let reopened = events.last().unwrap();
    assert_eq!(reopened["from_status"], "closed");
    assert_eq!(reopened["reason"], "La personne revient");
    let previous = &reopened["data"]["previous_closure"];
    assert_eq!(previous["closure_reason"], "redirected");
    assert_eq!(previous["orientation"], "Mission locale");
    assert_eq!(previous["closed_on"], closed["closed_on"]);
    assert_eq!(previous["review_due_on"], closed["review_due_on"]);
    // The activity ledger stayed true through every write.
    app.assert_activity_ledger_recounts().await;
}

#[tokio::test]
async fn reopening_as_active_needs_an_accepted_proposal() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let (id, _) = new_case(&app, &alice).await;
    moved(&app, &alice, &id, 1, &close()).await;
    let body = json!({"to": "active", "reason": "Reprise du plan"});
    let response = transition(&app, &alice, &id, 2, &body).await;
    assert_problem(response, 409, "accepted_proposal_required").await;

    let n = Negotiation::new().await;
    n.add(step("worker", "orientation", "Dossier FSL", 20))
        .await;
    n.proposed().await;
    n.decided(1, "accepted").await;
    assert_eq!(n.status().await, "active");
    n.transition(
        "closed",
        Some(json!({"closure_reason": "unreachable", "force": true})),
    )
    .await;
    n.transition("active", Some(json!({"reason": "La personne a rappelé"})))
        .await;
    let case = n.read_case().await;
    assert_eq!(case["status"], "active");
    assert!(case["closed_on"].is_null());
}

#[tokio::test]
async fn an_agent_cannot_reopen_or_otherwise_move_an_archived_case() {
    let app = TestApp::spawn().await;
    let sam = app.token("supervisor", "sam");
    let (id, _) = new_case(&app, &sam).await;
    moved(&app, &sam, &id, 1, &close()).await;
    sqlx::query("UPDATE cases SET status = 'archived' WHERE id = $1::uuid")
        .bind(&id)
        .execute(&app.sql)
        .await
        .unwrap();
    for to in ["assessment", "active", "closed"] {
        let body = json!({"to": to, "reason": "Retour", "closure_reason": "other"});
        let response = transition(&app, &sam, &id, 2, &body).await;
        assert_problem(response, 409, "invalid_transition").await;
    }
}

#[tokio::test]
async fn reception_admin_and_dpo_may_not_close_and_other_organisations_see_nothing() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let (id, _) = new_case(&app, &alice).await;
    for role in ["reception", "admin", "dpo"] {
        let token = app.token(role, &format!("{role}-1"));
        let response = transition(&app, &token, &id, 1, &close()).await;
        assert_problem(response, 403, "forbidden").await;
        let response = app.get("/v1/cases?review_due=true", &token).await;
        assert_problem(response, 403, "forbidden").await;
    }
    let stranger = app.token_for("other", &["supervisor"], "olga");
    let response = transition(&app, &stranger, &id, 1, &close()).await;
    assert_problem(response, 404, "not_found").await;
    let list = read(&app, "/v1/cases?review_due=true", &stranger).await;
    assert_eq!(list["items"], json!([]));
    let bob = app.token("worker", "bob");
    let response = transition(&app, &bob, &id, 1, &close()).await;
    assert_problem(response, 404, "not_found").await;
    let case = read(&app, &format!("/v1/cases/{id}"), &alice).await;
    assert_eq!(case["status"], "intake");
}

#[tokio::test]
async fn closing_and_reopening_need_a_current_if_match() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let (id, _) = new_case(&app, &alice).await;
    let path = format!("/v1/cases/{id}/transitions");
    let missing = app
        .request(Method::POST, &path, &alice)
        .json(&close())
        .send()
        .await
        .unwrap();
    assert_problem(missing, 428, "precondition_required").await;
    assert_problem(
        transition(&app, &alice, &id, 7, &close()).await,
        412,
        "version_mismatch",
    )
    .await;
    moved(&app, &alice, &id, 1, &close()).await;
    let reopen = json!({"to": "assessment", "reason": "Retour"});
    assert_problem(
        transition(&app, &alice, &id, 1, &reopen).await,
        412,
        "version_mismatch",
    )
    .await;
    moved(&app, &alice, &id, 2, &reopen).await;
}

#[tokio::test]
async fn transitions_and_a_refused_closure_are_in_the_audit_log() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let (id, person) = new_case(&app, &alice).await;
    item(&app, &alice, &id, "Appeler la CAF", "planned").await;
    let response = transition(&app, &alice, &id, 1, &close()).await;
    assert_problem(response, 409, "pending_plan_items").await;
    moved(&app, &alice, &id, 1, &with(close(), json!({"force": true}))).await;
    let reopen = json!({"to": "assessment", "reason": "La personne revient"});
    moved(&app, &alice, &id, 2, &reopen).await;
    let actions = app.audit_actions(&person).await;
    let tail: Vec<_> = actions
        .iter()
        .filter(|(_, kind)| kind == "case" || kind == "case.plan")
        .map(|(a, k)| format!("{a} {k}"))
        .collect();
    assert_eq!(
        tail[tail.len() - 3..],
        ["read case.plan", "transition case", "transition case"]
    );
    let reasons: Vec<Option<String>> = sqlx::query_scalar(
        "SELECT reason FROM audit_events WHERE person_id = $1::uuid AND action = 'transition' \
         ORDER BY id",
    )
    .bind(&person)
    .fetch_all(&app.sql)
    .await
    .unwrap();
    assert_eq!(reasons, [None, Some("La personne revient".to_owned())]);
}
