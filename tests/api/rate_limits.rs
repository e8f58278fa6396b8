//! Rate limits: each client — a token's subject, or an address without a valid token — has a
//! budget that the `RateLimit-*` headers show, a request beyond it is `429` with `Retry-After`
//! before any work, and a client id that fails at the token endpoint too often is refused even
//! with its right secret.

use crate::support::oauth::form_grant;
use relais_tests::{TestApp, header, problem, test_settings};
use serde_json::json;

/// A service whose clients may make 3 requests at once, refilled at one a minute, and whose
/// token endpoint refuses a client id after 2 failures a minute.
async fn strict() -> TestApp {
    let mut settings = test_settings();
    settings.rate_limit_per_minute = 1;
    settings.rate_limit_burst = 3;
    settings.token_failures_per_minute = 2;
    TestApp::spawn_with(settings).await
}

#[tokio::test]
async fn a_client_over_its_budget_gets_429_with_retry_after_and_others_go_on() {
    let app = strict().await;
    let alice = app.token("worker", "alice");
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let response = app.get("/v1/me", &alice).await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "ratelimit-limit"), "3");
        remaining.push(header(&response, "ratelimit-remaining"));
        let reset: u64 = header(&response, "ratelimit-reset").parse().unwrap();
        assert!(reset > 0 && reset <= 180, "{reset}");
    }
    assert_eq!(remaining, ["2", "1", "0"]);

    let refused = app
        .post(
            "/v1/persons",
            &alice,
            &json!({"first_name": "Camille", "last_name": "Lefèvre"}),
        )
        .await;
    assert_eq!(refused.status(), 429);
    let retry: u64 = header(&refused, "retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(header(&refused, "ratelimit-remaining"), "0");
    let body = problem(refused).await;
    assert_eq!(body["code"], "too_many_requests");
    let persons: i64 = sqlx::query_scalar("SELECT count(*) FROM persons")
        .fetch_one(&app.sql)
        .await
        .unwrap();
    assert_eq!(persons, 0, "refused before any work");

    // Another subject of the same organisation has its own budget.
    let bob = app.token("worker", "bob");
    assert_eq!(app.get("/v1/me", &bob).await.status(), 200);
    // The probes are never limited, and carry no budget.
    for _ in 0..5 {
        let response = app.client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers().get("ratelimit-limit").is_none());
    }
}

#[tokio::test]
async fn requests_without_a_valid_token_count_against_their_address() {
    let app = strict().await;
    for _ in 0..3 {
        let response = app.get("/v1/me", "not-a-token").await;
        assert_eq!(response.status(), 401);
        assert!(response.headers().get("ratelimit-remaining").is_some());
    }
    let response = app.client.get(app.url("/v1/me")).send().await.unwrap();
    assert_eq!(
        response.status(),
        429,
        "the same address, without any token"
    );
    // A valid token is its own client.
    let alice = app.token("worker", "alice");
    assert_eq!(app.get("/v1/me", &alice).await.status(), 200);
}

#[tokio::test]
async fn a_client_id_failing_too_often_is_refused_even_with_its_right_secret() {
    let mut settings = test_settings();
    settings.token_failures_per_minute = 2;
    let app = TestApp::spawn_with(settings).await;
    let caf = app.partner("CAF du Rhône", None).await;
    let other = app.partner("Mission locale", None).await;

    for _ in 0..2 {
        let response = form_grant(&app, &caf.client_id, "rs_wrong").await;
        assert_eq!(response.status(), 401);
    }
    let response = form_grant(&app, &caf.client_id, "rs_wrong").await;
    assert_eq!(response.status(), 429, "the third failure within a minute");
    let retry: u64 = header(&response, "retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(problem(response).await["code"], "too_many_requests");
    let response = form_grant(&app, &caf.client_id, &caf.client_secret).await;
    assert_eq!(response.status(), 429, "locked out, whatever the secret");

    // Another client id is not.
    let response = form_grant(&app, &other.client_id, &other.client_secret).await;
    assert_eq!(response.status(), 200);
}
