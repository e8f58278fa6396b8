//! Plan items' changes over HTTP: the status lifecycle (allowed and refused moves), done dates,
//! the overdue flag, merge-patch semantics (null clears, party fixed) and the timeline events
//! of changes. Creation, lists, roles and audit are in `plan::items`.

use chrono::Days;
use std::ops::Deref;

use relais_tests::{assert_problem, in_days, invalid_at, problem, today};
use reqwest::Response;
use serde_json::{Value, json};

use crate::support::case::WorkerCase;

fn days_ago(days: u64) -> String {
    (today() - Days::new(days)).to_string()
}

/// One item of a case opened by the worker `alice`.
struct Item {
    case: WorkerCase,
    path: String,
    version: i64,
}

impl Deref for Item {
    type Target = WorkerCase;
    fn deref(&self) -> &WorkerCase {
        &self.case
    }
}

impl Item {
    /// A worker's intervention due in 10 days.
    async fn new() -> Item {
        let case = WorkerCase::new().await;
        let body = json!({
            "party": "worker",
            "category": "partner_consultation",
            "domain": "finances",
            "title": "Concertation avec la CAF",
            "due_on": in_days(10),
        });
        let items = case.case_path("/plan/items");
        let response = case.app.post(&items, &case.alice, &body).await;
        assert_eq!(response.status(), 201);
        let item: Value = response.json().await.unwrap();
        Item {
            path: format!("{items}/{}", item["id"].as_str().unwrap()),
            case,
            version: 1,
        }
    }

    async fn patch(&self, body: Value) -> Response {
        self.app
            .patch(&self.path, &self.alice, self.version, &body)
            .await
    }

    /// A patch that must succeed; the item after it (and its version remembered).
    async fn patched(&mut self, body: Value) -> Value {
        let response = self.patch(body.clone()).await;
        assert_eq!(response.status(), 200, "{body}");
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        let item: Value = response.json().await.unwrap();
        assert_eq!(etag, format!("\"{}\"", item["version"]));
        self.version = item["version"].as_i64().unwrap();
        item
    }

    async fn read(&self) -> Value {
        self.app.get_json(&self.path, &self.alice).await
    }

    async fn plan_events(&self) -> Vec<Value> {
        self.timeline()
            .await
            .into_iter()
            .filter(|e| e["kind"] == "plan_item_updated")
            .map(|e| e["data"].clone())
            .collect()
    }
}

#[tokio::test]
async fn an_item_moves_through_its_lifecycle_and_its_done_date_follows() {
    let mut item = Item::new().await;
    let started = item.patched(json!({"status": "in_progress"})).await;
    assert_eq!(started["status"], "in_progress");
    assert_eq!(started["version"], 2);
    let blocked = item.patched(json!({"status": "blocked"})).await;
    assert_eq!(blocked["done_on"], Value::Null);
    let done = item
        .patched(json!({"status": "done", "outcome": "Accord de la CAF"}))
        .await;
    assert_eq!(done["status"], "done");
    assert_eq!(done["done_on"], today().to_string());
    assert_eq!(done["outcome"], "Accord de la CAF");
    let reopened = item.patched(json!({"status": "in_progress"})).await;
    assert_eq!(reopened["done_on"], Value::Null);
    assert_eq!(reopened["outcome"], "Accord de la CAF");
    let cancelled = item.patched(json!({"status": "cancelled"})).await;
    assert_eq!(cancelled["status"], "cancelled");
    let restored = item.patched(json!({"status": "planned"})).await;
    assert_eq!(restored["status"], "planned");
    assert_eq!(restored["version"], 7);
}

#[tokio::test]
async fn a_move_the_lifecycle_does_not_allow_is_a_conflict_and_changes_nothing() {
    let mut item = Item::new().await;
    item.patched(json!({"status": "done"})).await;
    for to in ["cancelled", "blocked", "planned"] {
        let response = item.patch(json!({"status": to, "title": "Autre"})).await;
        assert_eq!(response.status(), 409, "done → {to}");
        let problem = problem(response).await;
        assert_eq!(problem["code"], "invalid_item_transition");
        assert!(
            problem["detail"].as_str().unwrap().contains("done"),
            "{problem}"
        );
    }
    item.patched(json!({"status": "in_progress"})).await;
    item.patched(json!({"status": "cancelled"})).await;
    for to in ["done", "in_progress", "blocked"] {
        let response = item.patch(json!({"status": to})).await;
        assert_eq!(response.status(), 409, "cancelled → {to}");
        assert_eq!(problem(response).await["code"], "invalid_item_transition");
    }
    let read = item.read().await;
    assert_eq!(read["status"], "cancelled");
    assert_eq!(read["title"], "Concertation avec la CAF");
    assert_eq!(read["version"], item.version);
}

#[tokio::test]
async fn keeping_the_same_status_is_not_a_transition_and_an_empty_patch_writes_nothing() {
    let mut item = Item::new().await;
    let same = item.patched(json!({"status": "planned"})).await;
    assert_eq!(same["version"], 1);
    let empty = item.patched(json!({})).await;
    assert_eq!(empty["version"], 1);
    assert!(item.plan_events().await.is_empty());
}

#[tokio::test]
async fn a_done_date_may_be_given_in_the_past_but_not_in_the_future() {
    let mut item = Item::new().await;
    let tomorrow = (today() + Days::new(1)).to_string();
    let response = item
        .patch(json!({"status": "done", "done_on": tomorrow}))
        .await;
    assert_eq!(invalid_at(response, "/done_on").await, "out_of_range");
    let done = item
        .patched(json!({"status": "done", "done_on": days_ago(3)}))
        .await;
    assert_eq!(done["done_on"], days_ago(3));
    // A done item's date can be corrected, not removed.
    let corrected = item.patched(json!({"done_on": days_ago(2)})).await;
    assert_eq!(corrected["done_on"], days_ago(2));
    let response = item.patch(json!({"done_on": null})).await;
    assert_eq!(invalid_at(response, "/done_on").await, "required");
    let kept = item.patched(json!({"title": "Concertation faite"})).await;
    assert_eq!(kept["done_on"], days_ago(2));
}

#[tokio::test]
async fn only_a_done_item_has_a_done_date() {
    let item = Item::new().await;
    let response = item.patch(json!({"done_on": days_ago(1)})).await;
    assert_eq!(invalid_at(response, "/done_on").await, "not_done");
    let response = item
        .patch(json!({"status": "in_progress", "done_on": days_ago(1)}))
        .await;
    assert_eq!(invalid_at(response, "/done_on").await, "not_done");
    assert_eq!(item.read().await["done_on"], Value::Null);
}

#[tokio::test]
async fn an_item_past_its_due_date_is_overdue_until_done() {
    let mut item = Item::new().await;
    // The case was opened a month ago, so a deadline last week is acceptable.
    sqlx::query("UPDATE cases SET opened_on = current_date - 30 WHERE id = $1::uuid")
        .bind(&item.case_id)
        .execute(&item.app.sql)
        .await
        .unwrap();
    let late = item.patched(json!({"due_on": days_ago(7)})).await;
    assert_eq!(late["overdue"], true);
    let blocked = item.patched(json!({"status": "blocked"})).await;
    assert_eq!(blocked["overdue"], true);
    let done = item.patched(json!({"status": "done"})).await;
    assert_eq!(done["overdue"], false);
    // Before the opening date is refused.
    let response = item.patch(json!({"due_on": days_ago(31)})).await;
    assert_eq!(invalid_at(response, "/due_on").await, "out_of_range");
    let items = format!("/v1/cases/{}/plan/items", item.case_id);
    let body = json!({
        "party": "person",
        "category": "calls_and_visits",
        "domain": "finances",
        "title": "Appeler la CAF",
        "due_on": days_ago(1),
    });
    let response = item.app.post(&items, &item.alice, &body).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["overdue"], true);
}

#[tokio::test]
async fn the_party_is_fixed_and_required_fields_cannot_be_cleared() {
    let item = Item::new().await;
    let response = item.patch(json!({"party": "person"})).await;
    assert_eq!(invalid_at(response, "/party").await, "immutable");
    let response = item.patch(json!({"party": null})).await;
    assert_eq!(invalid_at(response, "/party").await, "immutable");
    for field in ["category", "domain", "title", "due_on", "status"] {
        let response = item.patch(json!({ field: null })).await;
        invalid_at(response, &format!("/{field}")).await;
    }
    let response = item.patch(json!({"title": "  "})).await;
    assert_eq!(invalid_at(response, "/title").await, "blank");
    let response = item.patch(json!({"outcome": "x".repeat(5001)})).await;
    assert_eq!(invalid_at(response, "/outcome").await, "length");
    let response = item.patch(json!({"status": "finished"})).await;
    invalid_at(response, "/status").await;
    let response = item.patch(json!({"owner": "bob"})).await;
    assert_problem(response, 400, "unknown_field").await;
    assert_eq!(item.read().await["version"], 1);
}

#[tokio::test]
async fn a_patch_sets_and_clears_optional_fields_and_the_timeline_names_what_changed() {
    let mut item = Item::new().await;
    // The links must name a scheme of the organisation and an application of the case.
    let admin = item.app.token("admin", "catalogue-admin");
    let body = json!({"name": "FSL", "domain": "housing", "provider": "Conseil départemental"});
    let response = item.app.post("/v1/schemes", &admin, &body).await;
    let scheme = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let applications = format!("/v1/cases/{}/applications", item.case_id);
    let body = json!({"scheme_id": scheme});
    let response = item.app.post(&applications, &item.alice, &body).await;
    let application = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let changed = item
        .patched(json!({
            "title": "  Concertation avec la CAF et la MSA ",
            "details": "Appeler Mme Durand",
            "domain": "family",
            "category": "correspondence",
            "scheme_id": scheme,
            "application_id": application,
        }))
        .await;
    assert_eq!(changed["title"], "Concertation avec la CAF et la MSA");
    assert_eq!(changed["details"], "Appeler Mme Durand");
    assert_eq!(changed["domain"], "family");
    assert_eq!(changed["category"], "correspondence");
    assert_eq!(changed["scheme_id"], scheme.as_str());
    assert_eq!(changed["application_id"], application.as_str());
    let cleared = item
        .patched(json!({"details": null, "scheme_id": null, "status": "done"}))
        .await;
    assert_eq!(cleared["details"], Value::Null);
    assert_eq!(cleared["scheme_id"], Value::Null);
    assert_eq!(cleared["application_id"], application.as_str());
    let events = item.plan_events().await;
    assert_eq!(events.len(), 2);
    assert_eq!(
        events[0]["changed"],
        json!([
            "category",
            "domain",
            "title",
            "details",
            "scheme_id",
            "application_id"
        ])
    );
    assert_eq!(events[0]["title"], "Concertation avec la CAF et la MSA");
    assert_eq!(
        events[1]["changed"],
        json!(["details", "status", "done_on", "scheme_id"])
    );
    assert_eq!(events[1]["status"], "done");
    let alice = item.app.agent_id(&item.alice).await.to_string();
    assert_eq!(cleared["updated_by"], alice.as_str());
}
