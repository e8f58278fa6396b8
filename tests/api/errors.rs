//! The error contract: RFC 9457 problem documents with stable codes and JSON pointers, and
//! request ids on every response.

use relais_tests::{TestApp, assert_problem, pointers, problem};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use uuid::Uuid;

/// Sends a raw body to `POST /v1/persons` with an optional content type.
async fn post_raw(
    app: &TestApp,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> Response {
    let token = app.token("reception", "rita");
    let mut request = app.request(Method::POST, "/v1/persons", &token).body(body);
    if let Some(content_type) = content_type {
        request = request.header("Content-Type", content_type);
    }
    request.send().await.unwrap()
}

async fn persons_count(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM persons").await
}

fn request_id(response: &Response) -> String {
    response
        .headers()
        .get("x-request-id")
        .expect("every response has X-Request-Id")
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn malformed_json_is_a_400_malformed_json() {
    let app = TestApp::spawn().await;
    for body in [
        "{\"first_name\": \"A\",",
        "not json",
        "",
        "{\"first_name\": \"A\", \"last_name\": \"B\"} trailing",
    ] {
        let response = post_raw(&app, Some("application/json"), body).await;
        assert_eq!(response.status(), 400, "{body:?}");
        let doc = problem(response).await;
        assert_eq!(doc["code"], "malformed_json", "{body:?}");
        assert_eq!(doc["type"], "https://relais.dev/problems/malformed_json");
        assert_eq!(doc["title"], "Bad request");
        assert_eq!(doc["status"], 400);
    }
    assert_eq!(persons_count(&app).await, 0);
}

#[tokio::test]
async fn an_unknown_field_is_a_400_pointing_at_it() {
    let app = TestApp::spawn().await;
    let token = app.token("reception", "rita");
    let response = app
        .post(
            "/v1/persons",
            &token,
            &json!({"first_name": "A", "last_name": "B", "bogus": 1}),
        )
        .await;
    let doc = assert_problem(response, 400, "unknown_field").await;
    assert_eq!(pointers(&doc), ["/bogus"]);
    assert_eq!(doc["errors"][0]["in"], "body");
    assert_eq!(doc["errors"][0]["code"], "unknown_field");
    assert_eq!(
        persons_count(&app).await,
        0,
        "typos never silently drop data"
    );
}

#[tokio::test]
async fn an_unknown_nested_field_points_into_its_object() {
    let app = TestApp::spawn().await;
    let token = app.token("reception", "rita");
    let body =
        json!({"first_name": "A", "last_name": "B", "address": {"city": "Lyon", "bogus": true}});
    let response = app.post("/v1/persons", &token, &body).await;
    let doc = assert_problem(response, 400, "unknown_field").await;
    assert_eq!(pointers(&doc), ["/address/bogus"]);
    let informed = json!({"first_name": "A", "last_name": "B",
        "informed": {"at": "2026-01-01", "channel": "phone", "notice_version": "1", "by": "x"}});
    let doc = problem(app.post("/v1/persons", &token, &informed).await).await;
    assert_eq!(pointers(&doc), ["/informed/by"]);
}

#[tokio::test]
async fn a_value_of_the_wrong_type_is_a_422_at_its_field() {
    let app = TestApp::spawn().await;
    let token = app.token("reception", "rita");
    for (body, pointer) in [
        (json!({"first_name": 12, "last_name": "B"}), "/first_name"),
        (
            json!({"first_name": "A", "last_name": "B", "birth_date": "12/05/1969"}),
            "/birth_date",
        ),
        (
            json!({"first_name": "A", "last_name": "B", "marital_status": "complicated"}),
            "/marital_status",
        ),
        (
            json!({"first_name": "A", "last_name": "B", "address": {"city": 69}}),
            "/address/city",
        ),
        (
            json!({"first_name": "A", "last_name": "B", "address": "Lyon"}),
            "/address",
        ),
    ] {
        let response = app.post("/v1/persons", &token, &body).await;
        assert_eq!(response.status(), 422, "{body}");
        let doc = problem(response).await;
        assert_eq!(doc["code"], "validation_failed", "{body}");
        assert_eq!(pointers(&doc), [pointer], "{body}");
    }
}

#[tokio::test]
async fn a_missing_required_field_is_a_422_at_its_place() {
    let app = TestApp::spawn().await;
    let token = app.token("reception", "rita");
    let response = app
        .post("/v1/persons", &token, &json!({"first_name": "A"}))
        .await;
    assert_eq!(response.status(), 422);
    let doc = problem(response).await;
    assert_eq!(pointers(&doc), ["/last_name"]);
    assert_eq!(doc["errors"][0]["code"], "required");
    let nested = json!({"first_name": "A", "last_name": "B",
        "informed": {"at": "2026-01-01", "notice_version": "1"}});
    let doc = problem(app.post("/v1/persons", &token, &nested).await).await;
    assert_eq!(pointers(&doc), ["/informed/channel"]);
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_415() {
    let app = TestApp::spawn().await;
    let body = r#"{"first_name": "A", "last_name": "B"}"#;
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let response = post_raw(&app, content_type, body).await;
        assert_eq!(response.status(), 415, "{content_type:?}");
        assert_eq!(problem(response).await["code"], "unsupported_media_type");
    }
    assert_eq!(persons_count(&app).await, 0);
    for content_type in ["application/json; charset=utf-8", "APPLICATION/JSON"] {
        let response = post_raw(&app, Some(content_type), body).await;
        assert_eq!(response.status(), 201, "{content_type}");
    }
}

#[tokio::test]
async fn a_merge_patch_media_type_is_accepted_for_patches() {
    let app = TestApp::spawn().await;
    let token = app.token("reception", "rita");
    let person = app
        .create_person(&token, json!({"first_name": "A", "last_name": "B"}))
        .await;
    let response = app
        .request(
            Method::PATCH,
            &format!("/v1/persons/{}", person["id"].as_str().unwrap()),
            &token,
        )
        .header("If-Match", "\"1\"")
        .header("Content-Type", "application/merge-patch+json")
        .body(r#"{"phone": "0601020304"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_a_413() {
    let app = TestApp::spawn().await;
    let padding = "x".repeat(1024 * 1024 + 16);
    let body = json!({"first_name": "A", "last_name": "B", "birth_name": padding}).to_string();
    let response = post_raw(&app, Some("application/json"), body).await;
    let _doc = assert_problem(response, 413, "payload_too_large").await;
    assert_eq!(persons_count(&app).await, 0);

    // Just under the limit the body is read, and judged on its content.
    let padding = "x".repeat(1000 * 1000);
    let body = json!({"first_name": "A", "last_name": "B", "birth_name": padding}).to_string();
    let response = post_raw(&app, Some("application/json"), body).await;
    assert_eq!(response.status(), 422);
    assert_eq!(pointers(&problem(response).await), ["/birth_name"]);
}

#[tokio::test]
async fn a_path_id_that_is_not_a_uuid_is_a_400_naming_the_parameter() {
    let app = TestApp::spawn().await;
    let token = app.token("worker", "alice");
    let response = app.get("/v1/persons/not-a-uuid", &token).await;
    let doc = assert_problem(response, 400, "invalid_path_parameter").await;
    assert_eq!(pointers(&doc), ["/id"]);
    assert_eq!(doc["errors"][0]["in"], "path");

    let person = app
        .create_person(&token, json!({"first_name": "A", "last_name": "B"}))
        .await;
    let path = format!(
        "/v1/persons/{}/consents/nope/withdrawal",
        person["id"].as_str().unwrap()
    );
    let response = app.post(&path, &token, &json!({"channel": "phone"})).await;
    assert_eq!(response.status(), 400);
    let doc = problem(response).await;
    assert_eq!(pointers(&doc), ["/cid"]);
    assert_eq!(doc["errors"][0]["in"], "path");
}

#[tokio::test]
async fn an_unknown_route_is_a_404_problem() {
    let app = TestApp::spawn().await;
    let token = app.token("worker", "alice");
    for path in ["/v1/nothing-here", "/v2/persons", "/"] {
        let response = app.get(path, &token).await;
        assert_eq!(response.status(), 404, "{path}");
        let doc = problem(response).await;
        assert_eq!(doc["code"], "not_found", "{path}");
        assert_eq!(doc["instance"], path, "{path}");
    }
    let anonymous = app
        .client
        .get(app.url("/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 404);
    problem(anonymous).await;
}

#[tokio::test]
async fn a_request_id_sent_is_echoed_on_success_and_on_error() {
    let app = TestApp::spawn().await;
    let token = app.token("worker", "alice");
    let ok = app
        .request(Method::GET, "/v1/me", &token)
        .header("X-Request-Id", "trace-me-123")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(request_id(&ok), "trace-me-123");

    let failed = app
        .request(Method::GET, "/v1/persons/not-a-uuid", &token)
        .header("X-Request-Id", "trace-me-456")
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 400);
    assert_eq!(request_id(&failed), "trace-me-456");
    let doc = problem(failed).await;
    assert_eq!(doc["request_id"], "trace-me-456");
    assert_eq!(doc["instance"], "/v1/persons/not-a-uuid");

    // The id sent is the one the audit log keeps.
    let person = app
        .create_person(&token, json!({"first_name": "A", "last_name": "B"}))
        .await;
    let id = person["id"].as_str().unwrap();
    app.request(Method::GET, &format!("/v1/persons/{id}"), &token)
        .header("X-Request-Id", "audit-trace-789")
        .send()
        .await
        .unwrap();
    let logged: Option<String> = sqlx::query_scalar(
        "SELECT request_id FROM audit_events WHERE person_id = $1::uuid AND action = 'read'",
    )
    .bind(id)
    .fetch_one(&app.sql)
    .await
    .unwrap();
    assert_eq!(logged.as_deref(), Some("audit-trace-789"));
}

#[tokio::test]
async fn a_request_id_is_generated_when_none_is_sent() {
    let app = TestApp::spawn().await;
    let ok = app.client.get(app.url("/healthz")).send().await.unwrap();
    let first = request_id(&ok);
    Uuid::parse_str(&first).expect("a generated id is a UUID");

    let unauthorized = app.client.get(app.url("/v1/me")).send().await.unwrap();
    assert_eq!(unauthorized.status(), 401);
    let second = request_id(&unauthorized);
    Uuid::parse_str(&second).unwrap();
    assert_ne!(first, second, "each request has its own id");
    let doc = problem(unauthorized).await;
    assert_eq!(doc["request_id"], second.as_str());
    assert_eq!(doc["instance"], "/v1/me");

    // An id that is unsafe to log or too long is replaced.
    for unsafe_id in ["a".repeat(200), "two words".to_owned()] {
        let response = app
            .client
            .get(app.url("/healthz"))
            .header("X-Request-Id", &unsafe_id)
            .send()
            .await
            .unwrap();
        let id = request_id(&response);
        assert_ne!(id, unsafe_id);
        Uuid::parse_str(&id).unwrap();
    }
}

#[tokio::test]
async fn every_problem_names_its_request() {
    let app = TestApp::spawn().await;
    let token = app.token("reception", "rita");
    let responses = [
        post_raw(&app, Some("text/plain"), "x").await,
        post_raw(&app, Some("application/json"), "{").await,
        app.post("/v1/persons", &token, &json!({"first_name": "A"}))
            .await,
        app.get("/v1/persons?limit=0", &token).await,
        app.get("/v1/persons", &app.token("admin", "adam")).await,
    ];
    for response in responses {
        let status = response.status();
        let header = request_id(&response);
        let doc = problem(response).await;
        assert_eq!(doc["status"], status.as_u16());
        assert_eq!(doc["request_id"], header.as_str(), "{status}");
        assert!(
            doc["instance"].as_str().unwrap().starts_with("/v1/persons"),
            "{status}"
        );
        assert!(
            doc["type"]
                .as_str()
                .unwrap()
                .ends_with(doc["code"].as_str().unwrap())
        );
        assert!(!doc["title"].as_str().unwrap().is_empty());
        assert!(!doc["detail"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_server_error_says_nothing_of_its_cause() {
    let app = TestApp::spawn().await;
    let token = app.token("reception", "rita");
    // Break the schema under the running service: the search query can no longer run (a
    // word of two letters is searched in the names themselves).
    sqlx::query("ALTER TABLE persons RENAME COLUMN search_name TO search_name_broken")
        .execute(&app.sql)
        .await
        .unwrap();
    let response = app.get("/v1/persons?q=ma", &token).await;
    assert_eq!(response.status(), 500);
    let header = request_id(&response);
    let text = response.text().await.unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["code"], "internal_error");
    assert_eq!(doc["detail"], "Internal server error");
    assert_eq!(doc["request_id"], header.as_str());
    assert_eq!(doc["errors"], json!([]));
    for secret in [
        "search_name",
        "column",
        "does not exist",
        "sqlx",
        "SELECT",
        "42703",
    ] {
        assert!(!text.contains(secret), "the body leaks {secret:?}: {text}");
    }
}

#[tokio::test]
async fn a_nul_character_is_refused_with_its_pointer_not_stored_as_an_error() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let response = app
        .post(
            "/v1/persons",
            &alice,
            &json!({"first_name": "A\u{0}b", "last_name": "Martin",
                                "birth_date": "1980-01-01",
                                "address": {"city": "Lyon\u{0}"}}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let refused = problem(response).await;
    let at = pointers(&refused);
    assert_eq!(at.len(), 1, "{refused}");
    assert!(at[0] == "/first_name" || at[0] == "/address/city", "{at:?}");
    assert_eq!(refused["errors"][0]["code"], "invalid_character");
    // An escaped backslash before `u0000` is text, not a NUL: accepted.
    let literal = app
        .post(
            "/v1/persons",
            &alice,
            &json!({"first_name": "A\\u0000b", "last_name": "Martin",
                                "birth_date": "1980-01-01"}),
        )
        .await;
    assert_eq!(literal.status(), 201);
    let search = app.get("/v1/persons?q=Mar%00tin", &alice).await;
    assert_eq!(search.status(), 400);
    assert_eq!(pointers(&problem(search).await), ["/q"]);
}
