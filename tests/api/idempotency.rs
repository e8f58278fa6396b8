//! `Idempotency-Key` on POST: replays, reuse with another body, keys left in flight,
//! per-caller keys, replayed failures, invalid keys and released keys.

use relais_tests::{TestApp, assert_problem, pointers, problem};
use reqwest::{Method, Response};
use serde_json::{Value, json};

const REPLAYED: &str = "idempotent-replayed";

async fn post_with_key(
    app: &TestApp,
    path: &str,
    token: &str,
    key: &str,
    body: &Value,
) -> Response {
    app.request(Method::POST, path, token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.sql).await.unwrap()
}

/// A new person: namesakes are other persons here (`confirm_distinct`), so that the same body
/// posted by several callers creates one person each.
fn person(first_name: &str) -> Value {
    json!({"first_name": first_name, "last_name": "Garnier", "birth_date": "1975-06-01",
           "confirm_distinct": true})
}

#[tokio::test]
async fn a_retry_with_the_same_key_and_body_replays_the_first_response() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let body = person("Hugo");
    let first = post_with_key(&app, "/v1/persons", &alice, "key-1", &body).await;
    assert_eq!(first.status(), 201);
    assert_eq!(
        header(&first, REPLAYED),
        None,
        "the first answer is not a replay"
    );
    let location = header(&first, "location").unwrap();
    let first_body = first.bytes().await.unwrap();
    let retry = post_with_key(&app, "/v1/persons", &alice, "key-1", &body).await;
    assert_eq!(retry.status(), 201);
    assert_eq!(header(&retry, REPLAYED).as_deref(), Some("true"));
    assert_eq!(header(&retry, "location"), Some(location));
    assert_eq!(
        header(&retry, "content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(retry.bytes().await.unwrap(), first_body, "byte for byte");
    assert_eq!(count(&app, "SELECT count(*) FROM persons").await, 1);
    let creates = "SELECT count(*) FROM audit_events WHERE action = 'create'";
    assert_eq!(
        count(&app, creates).await,
        1,
        "the replay did not run the handler"
    );
}

#[tokio::test]
async fn the_same_key_with_another_body_is_refused() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let first = post_with_key(&app, "/v1/persons", &alice, "key-1", &person("Hugo")).await;
    assert_eq!(first.status(), 201);
    let other = post_with_key(&app, "/v1/persons", &alice, "key-1", &person("Léon")).await;
    let problem = assert_problem(other, 422, "idempotency_key_reused").await;
    assert_eq!(pointers(&problem), ["/idempotency-key"]);
    assert_eq!(problem["errors"][0]["in"], "header");
    // The same key on another endpoint is another request too.
    let case = json!({"person_id": first_body_id(first).await, "reason": "x", "origin": "self"});
    let elsewhere = post_with_key(&app, "/v1/cases", &alice, "key-1", &case).await;
    assert_eq!(elsewhere.status(), 422);
    assert_eq!(count(&app, "SELECT count(*) FROM persons").await, 1);
    assert_eq!(count(&app, "SELECT count(*) FROM cases").await, 0);
}

async fn first_body_id(response: Response) -> Value {
    response.json::<Value>().await.unwrap()["id"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_concurrent_identical_posts_create_exactly_one_person() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let body = person("Hugo");
    let requests: Vec<_> = (0..10)
        .map(|_| {
            let request = app
                .request(Method::POST, "/v1/persons", &alice)
                .header("Idempotency-Key", "burst")
                .json(&body);
            tokio::spawn(async move { request.send().await.unwrap() })
        })
        .collect();
    let mut created = Vec::new();
    for handle in requests {
        let response = handle.await.unwrap();
        match response.status().as_u16() {
            201 => created.push(first_body_id(response).await),
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(
        created.len(),
        10,
        "every retry waits for the first, then replays it"
    );
    assert!(created.iter().all(|id| *id == created[0]), "{created:?}");
    assert_eq!(count(&app, "SELECT count(*) FROM persons").await, 1);
}

#[tokio::test]
async fn a_key_left_without_its_answer_by_an_earlier_version_is_taken_over() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let body = person("Hugo");
    let done = post_with_key(&app, "/v1/persons", &alice, "done", &body).await;
    assert_eq!(done.status(), 201);
    // A claimed key without a response: what the previous protocol (claim, work and answer in
    // three transactions) could leave behind when the database died in between. The claim
    // now lives in the work's own transaction, so such a row is never written any more.
    sqlx::query(
        "INSERT INTO idempotency_keys (org_id, principal, key, request_hash) \
         SELECT org_id, principal, 'stuck', request_hash FROM idempotency_keys \
         WHERE key = 'done'",
    )
    .execute(&app.sql)
    .await
    .unwrap();
    let retry = post_with_key(&app, "/v1/persons", &alice, "stuck", &body).await;
    assert_eq!(
        retry.status(),
        201,
        "the key is not stuck: the request runs"
    );
    assert_eq!(header(&retry, REPLAYED), None);
    assert_eq!(count(&app, "SELECT count(*) FROM persons").await, 2);
    let again = post_with_key(&app, "/v1/persons", &alice, "stuck", &body).await;
    assert_eq!(header(&again, REPLAYED).as_deref(), Some("true"));
}

#[tokio::test]
async fn keys_belong_to_their_caller() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let first = post_with_key(&app, "/v1/persons", &alice, "shared", &person("Hugo")).await;
    let first_id = first_body_id(first).await;
    let callers = [
        (app.token("worker", "bob"), person("Léon")),
        (app.token("reception", "carol"), person("Hugo")),
        // The same subject in another organisation is another caller.
        (app.token_for("other", &["worker"], "alice"), person("Hugo")),
    ];
    for (token, body) in callers {
        let response = post_with_key(&app, "/v1/persons", &token, "shared", &body).await;
        assert_eq!(response.status(), 201);
        assert_eq!(header(&response, REPLAYED), None);
        assert_ne!(first_body_id(response).await, first_id);
    }
    assert_eq!(count(&app, "SELECT count(*) FROM persons").await, 4);
}

#[tokio::test]
async fn a_request_that_failed_validation_is_replayed_as_the_same_422() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let body = json!({"first_name": "", "last_name": "Garnier"});
    let first = post_with_key(&app, "/v1/persons", &alice, "bad", &body).await;
    assert_eq!(first.status(), 422);
    let mut first = problem(first).await;
    assert_eq!(pointers(&first), ["/first_name"]);
    let retry = post_with_key(&app, "/v1/persons", &alice, "bad", &body).await;
    assert_eq!(retry.status(), 422);
    assert_eq!(header(&retry, REPLAYED).as_deref(), Some("true"));
    let request_id = header(&retry, "x-request-id").unwrap();
    let mut replayed = problem(retry).await;
    // Only the request id differs: each answer names its own request.
    assert_eq!(replayed["request_id"], request_id.as_str());
    first["request_id"] = Value::Null;
    replayed["request_id"] = Value::Null;
    assert_eq!(replayed, first);
    // A corrected request needs a new key.
    let fixed = post_with_key(&app, "/v1/persons", &alice, "bad", &person("Hugo")).await;
    assert_problem(fixed, 422, "idempotency_key_reused").await;
    assert_eq!(count(&app, "SELECT count(*) FROM persons").await, 0);
}

#[tokio::test]
async fn an_invalid_key_is_a_400_pointing_at_the_header() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let too_long = "k".repeat(300);
    for key in [too_long.as_str(), "with space", "é"] {
        let response = app
            .request(Method::POST, "/v1/persons", &alice)
            .header(
                "Idempotency-Key",
                reqwest::header::HeaderValue::from_bytes(key.as_bytes()).unwrap(),
            )
            .json(&person("Hugo"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{key}");
        let problem = problem(response).await;
        assert_eq!(problem["code"], "invalid_idempotency_key");
        assert_eq!(pointers(&problem), ["/idempotency-key"]);
        assert_eq!(problem["errors"][0]["in"], "header");
    }
    let longest = "k".repeat(255);
    let accepted = post_with_key(&app, "/v1/persons", &alice, &longest, &person("Hugo")).await;
    assert_eq!(accepted.status(), 201);
    assert_eq!(count(&app, "SELECT count(*) FROM persons").await, 1);
}

#[tokio::test]
async fn opening_a_case_with_a_key_replays_it() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let body = json!({"person": person("Hugo"), "reason": "Dettes", "origin": "self"});
    let first = post_with_key(&app, "/v1/cases", &alice, "case-1", &body).await;
    assert_eq!(first.status(), 201);
    let location = header(&first, "location").unwrap();
    let first: Value = first.json().await.unwrap();
    let retry = post_with_key(&app, "/v1/cases", &alice, "case-1", &body).await;
    assert_eq!(retry.status(), 201);
    assert_eq!(header(&retry, REPLAYED).as_deref(), Some("true"));
    assert_eq!(header(&retry, "location"), Some(location));
    assert_eq!(retry.json::<Value>().await.unwrap(), first);
    assert_eq!(count(&app, "SELECT count(*) FROM cases").await, 1);
    assert_eq!(count(&app, "SELECT count(*) FROM persons").await, 1);
}

#[tokio::test]
async fn a_replayed_creation_carries_the_etag_of_the_first_response() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let body = json!({"person": person("Hugo"), "reason": "Dettes", "origin": "self"});
    let first = post_with_key(&app, "/v1/cases", &alice, "case-1", &body).await;
    assert_eq!(header(&first, "etag").as_deref(), Some("\"1\""));
    let retry = post_with_key(&app, "/v1/cases", &alice, "case-1", &body).await;
    assert_eq!(header(&retry, REPLAYED).as_deref(), Some("true"));
    assert_eq!(header(&retry, "etag").as_deref(), Some("\"1\""));
}

#[tokio::test]
async fn a_server_error_releases_the_key_so_that_a_retry_runs_again() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    sqlx::raw_sql(
        "CREATE FUNCTION refuse_persons() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN RAISE EXCEPTION 'disk on fire'; END $$; \
         CREATE TRIGGER refuse_persons BEFORE INSERT ON persons FOR EACH ROW \
         EXECUTE FUNCTION refuse_persons();",
    )
    .execute(&app.sql)
    .await
    .unwrap();
    let body = person("Hugo");
    let failed = post_with_key(&app, "/v1/persons", &alice, "retry-me", &body).await;
    assert_eq!(failed.status(), 500);
    let keys = "SELECT count(*) FROM idempotency_keys WHERE key = 'retry-me'";
    assert_eq!(count(&app, keys).await, 0, "the key was released");
    sqlx::raw_sql("DROP TRIGGER refuse_persons ON persons")
        .execute(&app.sql)
        .await
        .unwrap();
    let retry = post_with_key(&app, "/v1/persons", &alice, "retry-me", &body).await;
    assert_eq!(retry.status(), 201);
    assert_eq!(
        header(&retry, REPLAYED),
        None,
        "the retry ran, it was not replayed"
    );
    assert_eq!(count(&app, "SELECT count(*) FROM persons").await, 1);
}

#[tokio::test]
async fn a_secret_shown_once_is_never_replayed_nor_made_twice() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let first = post_with_key(&app, "/v1/agenda/feed-token", &alice, "feed-1", &json!({})).await;
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.unwrap();
    let token = first["token"].as_str().unwrap().to_owned();
    let stored: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT body FROM idempotency_keys WHERE key = 'feed-1'")
            .fetch_one(&app.sql)
            .await
            .unwrap();
    assert!(
        !String::from_utf8_lossy(&stored.unwrap_or_default()).contains(&token),
        "the secret is never stored"
    );
    // The retry is answered, not run: the first token stays the one that works.
    let retry = post_with_key(&app, "/v1/agenda/feed-token", &alice, "feed-1", &json!({})).await;
    assert_eq!(header(&retry, REPLAYED).as_deref(), Some("true"));
    let doc = relais_tests::assert_problem(retry, 409, "secret_not_replayed").await;
    assert!(!doc.to_string().contains(&token));
    let feed = app
        .client
        .get(app.url(&format!("/v1/agenda.ics?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(feed.status(), 200, "the first token was not rotated away");

    // A partner registered once, whatever the retries: the retry names it.
    let admin = app.token("admin", "adele");
    let body = json!({"name": "CAF du Rhône"});
    let created = post_with_key(&app, "/v1/partners", &admin, "partner-1", &body).await;
    assert_eq!(created.status(), 201);
    let location = header(&created, "location").unwrap();
    let retry = post_with_key(&app, "/v1/partners", &admin, "partner-1", &body).await;
    assert_eq!(
        header(&retry, "location").as_deref(),
        Some(location.as_str())
    );
    relais_tests::assert_problem(retry, 409, "secret_not_replayed").await;
    assert_eq!(count(&app, "SELECT count(*) FROM partners").await, 1);
}

#[tokio::test]
async fn a_refusal_of_the_caller_is_not_kept_so_the_retry_runs_once_allowed() {
    let app = TestApp::spawn().await;
    // The same subject, first without the right (403), then with it: the key was released.
    let dpo = app.token("dpo", "morgane");
    let refused = post_with_key(&app, "/v1/persons", &dpo, "key-refused", &person("Inès")).await;
    assert_eq!(refused.status(), 403);
    let worker = app.token("worker", "morgane");
    let created = post_with_key(&app, "/v1/persons", &worker, "key-refused", &person("Inès")).await;
    assert_eq!(created.status(), 201);
    assert_eq!(header(&created, REPLAYED), None);
    assert_eq!(count(&app, "SELECT count(*) FROM persons").await, 1);
}
