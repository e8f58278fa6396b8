//! Shared by the negotiation tests (`proposals` and its submodules, `plan::view`, `closure`): a
//! case ready to negotiate its plan, and short ways to add steps, propose, decide and observe.

use std::ops::Deref;

use reqwest::{Method, Response};
use serde_json::{Value, json};

use super::case::WorkerCase;
pub use super::plan::{letter, receipts, social_report, step};

/// A case of the worker `alice`, and the ways to negotiate its plan.
pub struct Negotiation {
    base: WorkerCase,
}

impl Deref for Negotiation {
    type Target = WorkerCase;
    fn deref(&self) -> &WorkerCase {
        &self.base
    }
}

impl Negotiation {
    /// A case in `assessment` whose housing domain needs action: ready for a first proposal.
    pub async fn new() -> Negotiation {
        let negotiation = Self::in_intake().await;
        negotiation.transition("assessment", None).await;
        negotiation
            .assess(json!({"domains": [
                {"domain": "housing", "situation": "Impayés de loyer depuis trois mois.", "needs_action": "yes", "priority": "high"}
            ]}))
            .await;
        negotiation
    }

    /// A case just opened, in `intake`.
    pub async fn in_intake() -> Negotiation {
        Negotiation {
            base: WorkerCase::new().await,
        }
    }

    pub fn plan_path(&self) -> String {
        self.case_path("/plan")
    }

    pub fn proposals(&self) -> String {
        self.case_path("/plan/proposals")
    }

    pub fn proposal(&self, number: i64) -> String {
        format!("{}/{number}", self.proposals())
    }

    pub fn item_path(&self, id: &str) -> String {
        self.case_path(&format!("/plan/items/{id}"))
    }

    pub async fn status(&self) -> String {
        self.read_case().await["status"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Adds a step as alice; the item.
    pub async fn add(&self, body: Value) -> Value {
        let response = self
            .app
            .post(&self.case_path("/plan/items"), &self.alice, &body)
            .await;
        assert_eq!(response.status(), 201, "adding {body}");
        response.json().await.unwrap()
    }

    /// Reads a step as alice.
    pub async fn read_item(&self, id: &str) -> Value {
        let response = self.app.get(&self.item_path(id), &self.alice).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// Changes a step as alice; the item after the change.
    pub async fn change(&self, item: &Value, body: Value) -> Value {
        let id = item["id"].as_str().unwrap();
        let version = item["version"].as_i64().unwrap();
        let response = self
            .app
            .patch(&self.item_path(id), &self.alice, version, &body)
            .await;
        assert_eq!(response.status(), 200, "changing {id} with {body}");
        response.json().await.unwrap()
    }

    /// Removes a step as alice.
    pub async fn remove(&self, item: &Value) {
        let id = item["id"].as_str().unwrap();
        let response = self
            .app
            .request(Method::DELETE, &self.item_path(id), &self.alice)
            .header("If-Match", format!("\"{}\"", item["version"]))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
    }

    /// `POST …/proposals` without a body, as `token`.
    pub async fn propose_as(&self, token: &str) -> Response {
        self.app
            .request(Method::POST, &self.proposals(), token)
            .send()
            .await
            .unwrap()
    }

    /// A proposal made by alice; its JSON.
    pub async fn proposed(&self) -> Value {
        let response = self.propose_as(&self.alice).await;
        assert_eq!(response.status(), 201, "proposing");
        response.json().await.unwrap()
    }

    pub async fn decide_as(&self, token: &str, number: i64, body: &Value) -> Response {
        self.app
            .post(&format!("{}/decision", self.proposal(number)), token, body)
            .await
    }

    /// Records alice's decision `outcome` (in person); the proposal.
    pub async fn decided(&self, number: i64, outcome: &str) -> Value {
        let body = json!({"outcome": outcome, "channel": "in_person"});
        let response = self.decide_as(&self.alice, number, &body).await;
        assert_eq!(response.status(), 200, "deciding {number}: {outcome}");
        response.json().await.unwrap()
    }

    pub async fn observe_as(&self, token: &str, number: i64, body: &Value) -> Response {
        self.app
            .post(
                &format!("{}/observations", self.proposal(number)),
                token,
                body,
            )
            .await
    }

    /// How many proposals the case has.
    pub async fn proposal_count(&self) -> usize {
        let list = self.app.get_json(&self.proposals(), &self.alice).await;
        list["items"].as_array().unwrap().len()
    }

    /// Reads a proposal as alice; the response.
    pub async fn read(&self, number: i64) -> Response {
        self.app.get(&self.proposal(number), &self.alice).await
    }

    /// The plan view as alice.
    pub async fn plan(&self) -> Value {
        let response = self.app.get(&self.plan_path(), &self.alice).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// The kinds of the case's timeline events, oldest first, with the events.
    pub async fn timeline(&self) -> Vec<(String, Value)> {
        self.base
            .timeline()
            .await
            .into_iter()
            .map(|e| (e["kind"].as_str().unwrap().to_owned(), e))
            .collect()
    }

    /// The (action, resource type) audit pairs of the person whose type starts with `plan` or
    /// is `case` transitions.
    pub async fn plan_audit(&self) -> Vec<(String, String)> {
        self.app
            .audit_actions(&self.person_id)
            .await
            .into_iter()
            .filter(|(a, r)| r.starts_with("plan") || (r == "case" && a == "transition"))
            .collect()
    }
}
