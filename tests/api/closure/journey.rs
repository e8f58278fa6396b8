//! Closure, the post-closure review and a reopening, through the API only: the review is
//! recorded on the closed case without reopening it, and a later reopening keeps the first
//! closure in the timeline.

use relais_tests::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

async fn transition(app: &TestApp, token: &str, id: &str, version: &Value, body: Value) -> Value {
    let response = app
        .request(Method::POST, &format!("/v1/cases/{id}/transitions"), token)
        .header("If-Match", format!("\"{version}\""))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "transition: {body}");
    body
}

async fn review_due_ids(app: &TestApp, token: &str) -> Vec<String> {
    let list: Value = app.get_json("/v1/cases?review_due=true", token).await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_closed_case_is_reviewed_without_reopening_and_reopened_with_a_reason() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let case = app.create_case(&alice).await;
    let id = case["id"].as_str().unwrap().to_owned();

    let closed = transition(
        &app,
        &alice,
        &id,
        &case["version"],
        json!({"to": "closed", "closure_reason": "redirected",
               "orientation": "Orientée vers la Mission locale"}),
    )
    .await;
    assert_eq!(closed["status"], "closed");
    assert!(closed["review_due_on"].is_string());
    assert_eq!(
        closed["indicators"]["review_due"], false,
        "the review is weeks away"
    );

    // Weeks later the review is due: the case shows in the list of reviews to make.
    sqlx::query("UPDATE cases SET review_due_on = closed_on WHERE id = $1::uuid")
        .bind(&id)
        .execute(&app.sql)
        .await
        .unwrap();
    assert_eq!(review_due_ids(&app, &alice).await, vec![id.clone()]);

    // The phone review is recorded on the closed case, which stays closed.
    let review = app
        .post(
            &format!("/v1/cases/{id}/contacts"),
            &alice,
            &json!({"kind": "post_closure_review", "occurred_at": chrono::Utc::now().to_rfc3339(),
                    "summary": "Entretien bilan téléphonique",
                    "outcome": "Orientation prise en compte, rendez-vous obtenu à la Mission locale"}),
        )
        .await;
    assert_eq!(review.status(), 201);
    let after: Value = app.get_json(&format!("/v1/cases/{id}"), &alice).await;
    assert_eq!(after["status"], "closed");
    assert_eq!(
        after["indicators"]["review_due"], false,
        "the review was held"
    );
    assert!(review_due_ids(&app, &alice).await.is_empty());

    // A new difficulty: the case is reopened, with a reason, and the closure is remembered.
    let reopened = transition(
        &app,
        &alice,
        &id,
        &after["version"],
        json!({"to": "assessment", "reason": "Nouvelle dette locative signalée"}),
    )
    .await;
    assert_eq!(reopened["status"], "assessment");
    assert!(reopened["closed_on"].is_null());
    assert!(reopened["review_due_on"].is_null());
    let timeline: Value = app
        .get_json(&format!("/v1/cases/{id}/timeline"), &alice)
        .await;
    let reopening = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["kind"] == "transition")
        .unwrap();
    assert_eq!(reopening["reason"], "Nouvelle dette locative signalée");
    assert_eq!(
        reopening["data"]["previous_closure"]["closure_reason"],
        "redirected"
    );
}
