//! Who may work on a plan and when: closed and archived cases, roles, case teams, other
//! organisations, the audit trail of every read and write, and retried creations. The items'
//! content is tested in `plan::items`, their lifecycle in `plan::item_status`.

use relais_tests::{assert_problem, header, pointers, problem};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::plan::{Plan, letter, step};

#[tokio::test]
async fn the_plan_of_a_closed_case_can_be_read_but_not_changed() {
    let plan = Plan::new().await;
    let item = plan.added(letter(9)).await;
    let id = item["id"].as_str().unwrap();
    plan.close().await;
    let body = step("worker", "correspondence", "Encore", 9);
    assert_problem(plan.add_as(&plan.alice, &body).await, 409, "case_closed").await;
    let patch = plan
        .app
        .patch(&plan.item(id), &plan.alice, 1, &json!({"status": "done"}))
        .await;
    assert_problem(patch, 409, "case_closed").await;
    assert_problem(
        plan.delete(&plan.alice, id, Some(1)).await,
        409,
        "case_closed",
    )
    .await;
    assert_eq!(plan.titles("").await, ["Écrire au bailleur"]);
    assert_eq!(
        plan.app.get(&plan.item(id), &plan.alice).await.status(),
        200
    );
}

#[tokio::test]
async fn the_plan_of_an_archived_case_is_read_only_with_a_reason() {
    let plan = Plan::new().await;
    let item = plan.added(letter(9)).await;
    let id = item["id"].as_str().unwrap();
    sqlx::query("UPDATE cases SET status = 'archived' WHERE id = $1::uuid")
        .bind(&plan.case_id)
        .execute(&plan.app.sql)
        .await
        .unwrap();
    for path in [plan.items(), plan.item(id)] {
        let response = plan.app.get(&path, &plan.alice).await;
        assert_eq!(response.status(), 400, "{path}");
        let problem = problem(response).await;
        assert_eq!(problem["code"], "reason_required");
        assert_eq!(pointers(&problem), ["/reason"]);
        let with_reason = format!("{path}?reason=Demande%20du%20juge");
        let response = plan.app.get(&with_reason, &plan.alice).await;
        assert_eq!(response.status(), 200, "{with_reason}");
    }
    let reasons: Vec<String> = sqlx::query_scalar(
        "SELECT reason FROM audit_events WHERE person_id = $1::uuid AND reason IS NOT NULL",
    )
    .bind(&plan.person_id)
    .fetch_all(&plan.app.sql)
    .await
    .unwrap();
    assert_eq!(reasons, ["Demande du juge", "Demande du juge"]);
}

/// A plan with one worker's step; the step's id.
async fn plan_with_a_step() -> (Plan, String) {
    let plan = Plan::new().await;
    let item = plan
        .added(step("worker", "investigation", "Rechercher", 9))
        .await;
    let id = item["id"].as_str().unwrap().to_owned();
    (plan, id)
}

/// Asserts that `token` (of `who`) may neither add a step to the plan nor list, read, change or
/// remove its step `id`: each answers `status`.
async fn assert_untouched_by(plan: &Plan, token: &str, who: &str, id: &str, status: u16) {
    let body = step("worker", "investigation", "Autre", 9);
    assert_eq!(
        plan.add_as(token, &body).await.status(),
        status,
        "{who} adds"
    );
    let list = plan.app.get(&plan.items(), token).await;
    assert_eq!(list.status(), status, "{who} lists");
    let read = plan.app.get(&plan.item(id), token).await;
    assert_eq!(read.status(), status, "{who} reads");
    let change = json!({"title": "x"});
    let patch = plan.app.patch(&plan.item(id), token, 1, &change).await;
    assert_eq!(patch.status(), status, "{who} changes");
    let removal = plan.delete(token, id, Some(1)).await;
    assert_eq!(removal.status(), status, "{who} removes");
}

#[tokio::test]
async fn reception_admin_and_dpo_may_not_touch_the_plan() {
    let (plan, id) = plan_with_a_step().await;
    for role in ["reception", "admin", "dpo"] {
        let token = plan.app.token(role, &format!("{role}-1"));
        assert_untouched_by(&plan, &token, role, &id, 403).await;
    }
    assert_eq!(plan.titles("").await, ["Rechercher"]);
}

#[tokio::test]
async fn a_worker_off_the_team_and_another_organisation_see_no_plan() {
    let (plan, id) = plan_with_a_step().await;
    let bob = plan.app.token("worker", "bob");
    let foreign = plan.app.token_for("other", &["supervisor"], "zoe");
    for (token, who) in [(&bob, "bob"), (&foreign, "another organisation")] {
        let body = step("worker", "investigation", "Autre", 9);
        assert_problem(plan.add_as(token, &body).await, 404, "not_found").await;
        assert_untouched_by(&plan, token, who, &id, 404).await;
    }
    // An item id of another case does not resolve under this one.
    let other_case = plan.app.create_case(&plan.alice).await;
    let elsewhere = format!(
        "/v1/cases/{}/plan/items/{id}",
        other_case["id"].as_str().unwrap()
    );
    assert_eq!(plan.app.get(&elsewhere, &plan.alice).await.status(), 404);
    assert_eq!(plan.titles("").await, ["Rechercher"]);
}

#[tokio::test]
async fn a_supervisor_works_on_any_plan_of_the_organisation() {
    let plan = Plan::new().await;
    let sam = plan.app.token("supervisor", "sam");
    let response = plan
        .add_as(&sam, &step("worker", "partner_consultation", "Synthèse", 9))
        .await;
    assert_eq!(response.status(), 201);
    let item: Value = response.json().await.unwrap();
    let id = item["id"].as_str().unwrap();
    let patch = plan
        .app
        .patch(&plan.item(id), &sam, 1, &json!({"status": "in_progress"}))
        .await;
    assert_eq!(patch.status(), 200);
    assert_eq!(plan.delete(&sam, id, Some(2)).await.status(), 204);
}

#[tokio::test]
async fn every_read_and_write_of_the_plan_is_audited_with_the_person() {
    let plan = Plan::new().await;
    let item = plan
        .added(step("worker", "investigation", "Rechercher", 9))
        .await;
    let id = item["id"].as_str().unwrap();
    plan.list("").await;
    plan.app.get(&plan.item(id), &plan.alice).await;
    let patch = plan
        .app
        .patch(
            &plan.item(id),
            &plan.alice,
            1,
            &json!({"title": "Chercher"}),
        )
        .await;
    assert_eq!(patch.status(), 200);
    assert_eq!(plan.delete(&plan.alice, id, Some(2)).await.status(), 204);
    let actions = plan.app.audit_actions(&plan.person_id).await;
    let plan_actions: Vec<(&str, &str)> = actions
        .iter()
        .map(|(a, r)| (a.as_str(), r.as_str()))
        .filter(|(_, r)| r.starts_with("plan_item") || r.starts_with("case.plan"))
        .collect();
    assert_eq!(
        plan_actions,
        [
            ("create", "plan_item"),
            ("read", "case.plan_items"),
            ("read", "plan_item"),
            ("update", "plan_item"),
            ("delete", "plan_item"),
        ]
    );
    let resources: Vec<(String, Option<uuid::Uuid>)> = sqlx::query_as(
        "SELECT resource_type, resource_id FROM audit_events WHERE resource_type LIKE \
         '%plan_item%' ORDER BY id",
    )
    .fetch_all(&plan.app.sql)
    .await
    .unwrap();
    let case_id = uuid::Uuid::parse_str(&plan.case_id).unwrap();
    let item_id = uuid::Uuid::parse_str(id).unwrap();
    for (resource_type, resource_id) in resources {
        let expected = if resource_type == "case.plan_items" {
            case_id
        } else {
            item_id
        };
        assert_eq!(resource_id, Some(expected), "{resource_type}");
    }
}

#[tokio::test]
async fn a_retried_creation_with_the_same_idempotency_key_adds_one_item() {
    let plan = Plan::new().await;
    let body = step("worker", "investigation", "Rechercher", 9);
    let send = || {
        plan.app
            .request(Method::POST, &plan.items(), &plan.alice)
            .header("Idempotency-Key", "plan-1")
            .json(&body)
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 201);
    let again = send().await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(header(&again, "idempotent-replayed"), "true");
    assert_eq!(plan.titles("").await, ["Rechercher"]);
}
