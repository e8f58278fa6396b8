//! Shared by the negotiation tests (`proposals` and its submodules, `plan::view`, `closure`): a
//! case ready to negotiate its plan, and short ways to add steps, propose, decide and observe.

use relais_tests::{TestApp, in_days};
use reqwest::{Method, Response};
use serde_json::{Value, json};

/// A plan item's body, in housing.
pub fn step(party: &str, category: &str, title: &str, due_in_days: u64) -> Value {
    json!({
        "party": party,
        "category": category,
        "domain": "housing",
        "title": title,
        "due_on": in_days(due_in_days),
    })
}

/// A case of the worker `alice`, and the ways to negotiate its plan.
pub struct Negotiation {
    pub app: TestApp,
    pub alice: String,
    pub case_id: String,
    pub person_id: String,
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
        let app = TestApp::spawn().await;
        let alice = app.token("worker", "alice");
        let case = app.create_case(&alice).await;
        Negotiation {
            case_id: case["id"].as_str().unwrap().to_owned(),
            person_id: case["person_id"].as_str().unwrap().to_owned(),
            app,
            alice,
        }
    }

    pub fn plan_path(&self) -> String {
        format!("/v1/cases/{}/plan", self.case_id)
    }

    pub fn proposals(&self) -> String {
        format!("/v1/cases/{}/plan/proposals", self.case_id)
    }

    pub fn proposal(&self, number: i64) -> String {
        format!("{}/{number}", self.proposals())
    }

    pub fn item_path(&self, id: &str) -> String {
        format!("/v1/cases/{}/plan/items/{id}", self.case_id)
    }

    /// Replaces the assessment (the case has none yet or any version: `If-Match: *`).
    pub async fn assess(&self, body: Value) {
        let response = self
            .app
            .request(
                Method::PUT,
                &format!("/v1/cases/{}/assessment", self.case_id),
                &self.alice,
            )
            .header("If-Match", "*")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "assessing");
    }

    pub async fn transition_response(&self, to: &str, extra: Option<Value>) -> Response {
        let mut body = extra.unwrap_or_else(|| json!({}));
        body["to"] = json!(to);
        self.app
            .request(
                Method::POST,
                &format!("/v1/cases/{}/transitions", self.case_id),
                &self.alice,
            )
            .header("If-Match", "*")
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn transition(&self, to: &str, extra: Option<Value>) {
        let response = self.transition_response(to, extra).await;
        assert_eq!(response.status(), 200, "moving the case to {to}");
    }

    pub async fn close(&self) {
        let body = json!({"closure_reason": "goals_met", "force": true});
        self.transition("closed", Some(body)).await;
    }

    pub async fn case(&self) -> Value {
        let response = self
            .app
            .get(&format!("/v1/cases/{}", self.case_id), &self.alice)
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub async fn status(&self) -> String {
        self.case().await["status"].as_str().unwrap().to_owned()
    }

    /// Adds a step as alice; the item.
    pub async fn add(&self, body: Value) -> Value {
        let response = self
            .app
            .post(
                &format!("/v1/cases/{}/plan/items", self.case_id),
                &self.alice,
                &body,
            )
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

    /// The kinds of the case's timeline events, oldest first.
    pub async fn timeline(&self) -> Vec<(String, Value)> {
        let response = self
            .app
            .get(&format!("/v1/cases/{}/timeline", self.case_id), &self.alice)
            .await;
        let timeline: Value = response.json().await.unwrap();
        timeline["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["kind"].as_str().unwrap().to_owned(), e.clone()))
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
