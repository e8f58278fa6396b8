//! A case opened by the worker `alice`: what the fixtures of the case modules (plan, proposals,
//! applications, liaisons, documents…) are built on, with the case-level moves they share.

use relais_tests::TestApp;
use reqwest::{Method, Response};
use serde_json::{Value, json};

/// A case opened by the worker `alice` (so on its team), and the person it is about.
pub struct WorkerCase {
    pub app: TestApp,
    pub alice: String,
    pub case_id: String,
    pub person_id: String,
}

impl WorkerCase {
    /// A case (with a new person) on a new service.
    pub async fn new() -> WorkerCase {
        WorkerCase::on(TestApp::spawn().await).await
    }

    /// A case (with a new person) on `app`.
    pub async fn on(app: TestApp) -> WorkerCase {
        let alice = app.token("worker", "alice");
        let case = app.create_case(&alice).await;
        WorkerCase {
            case_id: case["id"].as_str().unwrap().to_owned(),
            person_id: case["person_id"].as_str().unwrap().to_owned(),
            app,
            alice,
        }
    }

    /// A case of the person `person_id`, opened by `alice` on `app`.
    pub async fn of_person(app: TestApp, alice: String, person_id: String) -> WorkerCase {
        let case = app.open_case_for(&alice, &person_id).await;
        WorkerCase {
            case_id: case["id"].as_str().unwrap().to_owned(),
            person_id,
            app,
            alice,
        }
    }

    /// The path of the case followed by `rest` (`""`, `/plan`, `/timeline`…).
    pub fn case_path(&self, rest: &str) -> String {
        format!("/v1/cases/{}{rest}", self.case_id)
    }

    /// A transition of the case to `to` (with `extra` fields), as alice with `If-Match: *`.
    pub async fn transition_response(&self, to: &str, extra: Option<Value>) -> Response {
        let mut body = extra.unwrap_or_else(|| json!({}));
        body["to"] = json!(to);
        self.app
            .request(Method::POST, &self.case_path("/transitions"), &self.alice)
            .header("If-Match", "*")
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// A transition that must succeed.
    pub async fn transition(&self, to: &str, extra: Option<Value>) {
        let response = self.transition_response(to, extra).await;
        assert_eq!(response.status(), 200, "moving the case to {to}");
    }

    /// Closes the case, over pending plan items if any.
    pub async fn close(&self) {
        let body = json!({"closure_reason": "goals_met", "force": true});
        self.transition("closed", Some(body)).await;
    }

    /// Replaces the assessment (the case has none yet or any version: `If-Match: *`).
    pub async fn assess(&self, body: Value) {
        let path = self.case_path("/assessment");
        let response = self.app.put(&path, &self.alice, Some("*"), &body).await;
        assert_eq!(response.status(), 200, "assessing");
    }

    /// The case as alice reads it.
    pub async fn read_case(&self) -> Value {
        self.app.get_json(&self.case_path(""), &self.alice).await
    }

    /// The events of the case's timeline, oldest first.
    pub async fn timeline(&self) -> Vec<Value> {
        let timeline = self
            .app
            .get_json(&self.case_path("/timeline"), &self.alice)
            .await;
        timeline["items"].as_array().unwrap().clone()
    }
}
