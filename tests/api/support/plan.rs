//! A worker's case and ways to work on its plan: the fixture of the plan items' modules.

use std::ops::Deref;

use relais_tests::in_days;
use reqwest::{Method, Response};
use serde_json::{Value, json};

use super::case::WorkerCase;

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

/// The person's step of most plans: gathering the rent receipts, due in 10 days.
pub fn receipts() -> Value {
    step("person", "paperwork", "Réunir les quittances", 10)
}

/// The worker's letter to the landlord, due in `days`.
pub fn letter(days: u64) -> Value {
    step("worker", "correspondence", "Écrire au bailleur", days)
}

/// The worker's social report, due in 20 days.
pub fn social_report() -> Value {
    step("worker", "social_report", "Rédiger le rapport social", 20)
}

/// A case opened by the worker `alice`, and ways to work on its plan.
pub struct Plan {
    base: WorkerCase,
}

impl Deref for Plan {
    type Target = WorkerCase;
    fn deref(&self) -> &WorkerCase {
        &self.base
    }
}

impl Plan {
    pub async fn new() -> Plan {
        Plan {
            base: WorkerCase::new().await,
        }
    }

    pub fn items(&self) -> String {
        self.case_path("/plan/items")
    }

    pub fn item(&self, id: &str) -> String {
        format!("{}/{id}", self.items())
    }

    pub async fn add_as(&self, token: &str, body: &Value) -> Response {
        self.app.post(&self.items(), token, body).await
    }

    pub async fn added(&self, body: Value) -> Value {
        let response = self.add_as(&self.alice, &body).await;
        assert_eq!(response.status(), 201, "adding {body}");
        response.json().await.unwrap()
    }

    pub async fn list(&self, query: &str) -> Value {
        let response = self
            .app
            .get(&format!("{}?{query}", self.items()), &self.alice)
            .await;
        assert_eq!(response.status(), 200, "listing ?{query}");
        response.json().await.unwrap()
    }

    pub async fn titles(&self, query: &str) -> Vec<String> {
        titles(&self.list(query).await)
    }

    pub async fn delete(&self, token: &str, id: &str, version: Option<i64>) -> Response {
        let mut request = self.app.request(Method::DELETE, &self.item(id), token);
        if let Some(version) = version {
            request = request.header("If-Match", format!("\"{version}\""));
        }
        request.send().await.unwrap()
    }
}

pub fn titles(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_owned())
        .collect()
}
