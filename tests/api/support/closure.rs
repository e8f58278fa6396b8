//! Shared by the closure tests (`closure` and `closure::review`): the closing body, a new case,
//! transitions with `If-Match`, and reading a resource that must be there.

use relais_tests::TestApp;
use reqwest::{Method, Response};
use serde_json::Value;

pub const CLOSE: &str = r#"{"to": "closed", "closure_reason": "goals_met"}"#;

/// Asserts that a reopened case keeps nothing of its closure.
pub fn assert_closure_cleared(case: &Value) {
    for field in [
        "closed_on",
        "closure_reason",
        "orientation",
        "review_due_on",
    ] {
        assert!(case[field].is_null(), "{field} is cleared: {case}");
    }
}

pub fn close() -> Value {
    serde_json::from_str(CLOSE).unwrap()
}

/// A case of `token` (with a new person): its id and its person's id.
pub async fn new_case(app: &TestApp, token: &str) -> (String, String) {
    let case = app.create_case(token).await;
    let id = case["id"].as_str().unwrap().to_owned();
    (id, case["person_id"].as_str().unwrap().to_owned())
}

pub async fn transition(
    app: &TestApp,
    token: &str,
    id: &str,
    version: i64,
    body: &Value,
) -> Response {
    app.request(Method::POST, &format!("/v1/cases/{id}/transitions"), token)
        .header("If-Match", format!("\"{version}\""))
        .json(body)
        .send()
        .await
        .unwrap()
}

/// A transition that must succeed; the case after it.
pub async fn moved(app: &TestApp, token: &str, id: &str, version: i64, body: &Value) -> Value {
    let response = transition(app, token, id, version, body).await;
    assert_eq!(response.status(), 200, "{body}");
    response.json().await.unwrap()
}

pub async fn read(app: &TestApp, path: &str, token: &str) -> Value {
    let response = app.get(path, token).await;
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.unwrap()
}
