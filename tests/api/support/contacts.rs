//! Helpers of the contacts tests: cases, contacts and times.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use relais_tests::TestApp;
use serde_json::{Value, json};

/// A case and its person.
#[derive(Debug, Clone)]
pub struct Case {
    pub id: String,
    pub person_id: String,
}

/// Opens a case (status `intake`) for a new person as `token`.
pub async fn open_case(app: &TestApp, token: &str) -> Case {
    let case = app.create_case(token).await;
    Case {
        id: case["id"].as_str().unwrap().to_owned(),
        person_id: case["person_id"].as_str().unwrap().to_owned(),
    }
}

/// Now plus `hours` (negative: in the past), as RFC 3339 UTC with seconds.
pub fn at(hours: i64) -> String {
    stamp(Utc::now() + Duration::hours(hours))
}

/// An RFC 3339 UTC timestamp, seconds precision.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Parses a timestamp of a response.
pub fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

pub fn contacts_path(case: &Case) -> String {
    format!("/v1/cases/{}/contacts", case.id)
}

pub fn contact_path(case: &Case, contact: &Value) -> String {
    format!(
        "/v1/cases/{}/contacts/{}",
        case.id,
        contact["id"].as_str().unwrap()
    )
}

/// Posts a contact and expects 201; returns its JSON.
pub async fn add_contact(app: &TestApp, token: &str, case: &Case, body: Value) -> Value {
    let response = app.post(&contacts_path(case), token, &body).await;
    assert_eq!(response.status(), 201, "adding {body}");
    response.json().await.unwrap()
}

/// A planned interview `hours` from now.
pub async fn plan(app: &TestApp, token: &str, case: &Case, kind: &str, hours: i64) -> Value {
    add_contact(
        app,
        token,
        case,
        json!({"kind": kind, "scheduled_at": at(hours)}),
    )
    .await
}

/// The case as `token` reads it.
pub async fn read_case(app: &TestApp, token: &str, case: &Case) -> Value {
    let response = app.get(&format!("/v1/cases/{}", case.id), token).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Closes the case through the API (as a supervisor-independent worker of its team).
pub async fn close(app: &TestApp, token: &str, case: &Case) {
    let version = read_case(app, token, case).await["version"]
        .as_i64()
        .unwrap();
    let response = app
        .request(
            reqwest::Method::POST,
            &format!("/v1/cases/{}/transitions", case.id),
            token,
        )
        .header("If-Match", format!("\"{version}\""))
        .json(&json!({"to": "closed", "closure_reason": "goals_met", "force": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "closing the case");
}

/// Archives the case directly in the database (only the retention job may).
pub async fn archive(app: &TestApp, case: &Case) {
    sqlx::query("UPDATE cases SET status = 'archived' WHERE id = $1::uuid")
        .bind(&case.id)
        .execute(&app.sql)
        .await
        .unwrap();
}

/// The audit rows of a resource type for a person: (action, resource_id).
pub async fn audit_of(
    app: &TestApp,
    person_id: &str,
    resource_type: &str,
) -> Vec<(String, Option<String>)> {
    sqlx::query_as::<_, (String, Option<String>)>(
        "SELECT action, resource_id::text FROM audit_events WHERE person_id = $1::uuid AND \
         resource_type = $2 ORDER BY id",
    )
    .bind(person_id)
    .bind(resource_type)
    .fetch_all(&app.sql)
    .await
    .unwrap()
}

/// `POST …/contacts/{id}/outcome` with `If-Match: "version"` (`None`: without it).
pub async fn record_outcome(
    app: &TestApp,
    token: &str,
    case: &Case,
    contact: &Value,
    version: Option<i64>,
    body: &Value,
) -> reqwest::Response {
    let mut request = app.request(
        reqwest::Method::POST,
        &format!("{}/outcome", contact_path(case, contact)),
        token,
    );
    if let Some(version) = version {
        request = request.header("If-Match", format!("\"{version}\""));
    }
    request.json(body).send().await.unwrap()
}

/// Records an outcome of a contact at version 1 and expects 200; returns the contact.
pub async fn outcome(
    app: &TestApp,
    token: &str,
    case: &Case,
    contact: &Value,
    body: Value,
) -> Value {
    let response = record_outcome(app, token, case, contact, Some(1), &body).await;
    assert_eq!(response.status(), 200, "outcome {body}");
    response.json().await.unwrap()
}

/// The UIDs of the events of `token`'s calendar feed (a feed token is made for it).
pub async fn feed_uids(app: &TestApp, token: &str) -> Vec<String> {
    let created: Value = app
        .post("/v1/agenda/feed-token", token, &Value::Null)
        .await
        .json()
        .await
        .unwrap();
    let url = created["feed_url"].as_str().unwrap();
    let text = reqwest::get(url).await.unwrap().text().await.unwrap();
    text.lines()
        .filter_map(|line| line.strip_prefix("UID:"))
        .map(|uid| uid.trim_end().trim_end_matches("@relais").to_owned())
        .collect()
}
