//! Validation of a new person: each invalid value is a 422 pointing at its field, and nothing
//! is stored.

use relais_tests::{TestApp, pointers, problem};
use serde_json::{Value, json};

/// Posts a person and returns the problem document after checking the status.
async fn refused(app: &TestApp, token: &str, body: Value, status: u16) -> Value {
    let response = app.post("/v1/persons", token, &body).await;
    assert_eq!(response.status(), status, "body: {body}");
    problem(response).await
}

#[tokio::test]
async fn a_nir_with_a_wrong_key_is_refused_at_nir() {
    let app = TestApp::spawn().await;
    let token = app.token("reception", "rita");
    let doc = refused(
        &app,
        &token,
        json!({"first_name": "Éloïse", "last_name": "Martin", "nir": "269054958815781"}),
        422,
    )
    .await;
    assert_eq!(doc["code"], "validation_failed");
    assert_eq!(pointers(&doc), ["/nir"]);
    assert_eq!(doc["errors"][0]["code"], "nir_wrong_key");
    assert_eq!(doc["errors"][0]["in"], "body");
    // Nothing was stored.
    let count: i64 = app.count("SELECT count(*) FROM persons").await;
    assert_eq!(count, 0);
}

#[tokio::test]
async fn a_malformed_nir_says_which_rule_it_breaks() {
    let app = TestApp::spawn().await;
    let token = app.token("reception", "rita");
    for (value, code) in [
        ("26905495881578", "nir_wrong_length"),
        ("2690549588157X0", "nir_invalid_character"),
        ("569054958815780", "nir_invalid_sex"),
    ] {
        let doc = refused(
            &app,
            &token,
            json!({"first_name": "A", "last_name": "B", "nir": value}),
            422,
        )
        .await;
        assert_eq!(pointers(&doc), ["/nir"], "{value}");
        assert_eq!(doc["errors"][0]["code"], code, "{value}");
    }
}

#[tokio::test]
async fn a_birth_date_in_the_future_is_refused_at_birth_date() {
    let app = TestApp::spawn().await;
    let token = app.token("reception", "rita");
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Days::new(2)).to_string();
    let doc = refused(
        &app,
        &token,
        json!({"first_name": "A", "last_name": "B", "birth_date": tomorrow}),
        422,
    )
    .await;
    assert_eq!(doc["code"], "validation_failed");
    assert_eq!(pointers(&doc), ["/birth_date"]);
}

#[tokio::test]
async fn a_birth_date_before_1890_is_refused_at_birth_date() {
    let app = TestApp::spawn().await;
    let token = app.token("reception", "rita");
    let doc = refused(
        &app,
        &token,
        json!({"first_name": "A", "last_name": "B", "birth_date": "1889-12-31"}),
        422,
    )
    .await;
    assert_eq!(pointers(&doc), ["/birth_date"]);
}

#[tokio::test]
async fn being_informed_in_the_future_is_refused_at_informed_at() {
    let app = TestApp::spawn().await;
    let token = app.token("reception", "rita");
    let later = (chrono::Utc::now().date_naive() + chrono::Days::new(2)).to_string();
    let doc = refused(
        &app,
        &token,
        json!({"first_name": "A", "last_name": "B",
               "informed": {"at": later, "channel": "phone", "notice_version": "2026-01"}}),
        422,
    )
    .await;
    assert_eq!(pointers(&doc), ["/informed/at"]);
}

#[tokio::test]
async fn informed_at_is_an_instant_and_a_bare_date_its_day() {
    let app = TestApp::spawn().await;
    let token = app.token("reception", "rita");
    for (given, stored) in [
        ("2026-01-05T16:45:00+01:00", "2026-01-05T15:45:00Z"),
        ("2026-01-05", "2026-01-05T00:00:00Z"),
    ] {
        let person = app
            .create_person(
                &token,
                json!({"first_name": "A", "last_name": "B",
                       "informed": {"at": given, "channel": "phone", "notice_version": "2026-01"}}),
            )
            .await;
        assert_eq!(person["informed"]["at"], stored, "{given}");
    }
    let doc = refused(
        &app,
        &token,
        json!({"first_name": "A", "last_name": "B",
               "informed": {"at": "05/01/2026", "channel": "phone", "notice_version": "2026-01"}}),
        422,
    )
    .await;
    assert_eq!(pointers(&doc), ["/informed/at"]);
}

#[tokio::test]
async fn blank_names_are_refused() {
    let app = TestApp::spawn().await;
    let token = app.token("reception", "rita");
    let doc = refused(
        &app,
        &token,
        json!({"first_name": "   ", "last_name": "\t"}),
        422,
    )
    .await;
    let mut found = pointers(&doc);
    found.sort();
    assert_eq!(found, ["/first_name", "/last_name"]);
    let count: i64 = app.count("SELECT count(*) FROM persons").await;
    assert_eq!(count, 0);
}

#[tokio::test]
async fn names_are_stored_trimmed() {
    let app = TestApp::spawn().await;
    let token = app.token("reception", "rita");
    let person = app
        .create_person(
            &token,
            json!({"first_name": "  Éloïse ", "last_name": "Martin  "}),
        )
        .await;
    assert_eq!(person["first_name"], "Éloïse");
    assert_eq!(person["last_name"], "Martin");
}

#[tokio::test]
async fn an_invalid_email_is_refused_at_email() {
    let app = TestApp::spawn().await;
    let token = app.token("reception", "rita");
    let doc = refused(
        &app,
        &token,
        json!({"first_name": "A", "last_name": "B", "email": "not-an-address"}),
        422,
    )
    .await;
    assert_eq!(pointers(&doc), ["/email"]);
    assert_eq!(doc["errors"][0]["code"], "email");
}

#[tokio::test]
async fn an_invalid_nested_address_field_points_into_the_address() {
    let app = TestApp::spawn().await;
    let token = app.token("reception", "rita");
    let doc = refused(
        &app,
        &token,
        json!({"first_name": "A", "last_name": "B", "address": {"city": "Lyon", "country": "FRA"}}),
        422,
    )
    .await;
    assert_eq!(pointers(&doc), ["/address/country"]);
}

#[tokio::test]
async fn several_invalid_fields_are_all_reported() {
    let app = TestApp::spawn().await;
    let token = app.token("reception", "rita");
    let doc = refused(
        &app,
        &token,
        json!({"first_name": "", "last_name": "B", "email": "nope", "phone": "1"}),
        422,
    )
    .await;
    let mut found = pointers(&doc);
    found.sort();
    assert_eq!(found, ["/email", "/first_name", "/phone"]);
}
