//! A first end-to-end check that the harness works.

use relais_tests::TestApp;

#[tokio::test]
async fn the_service_answers_health_and_me() {
    let app = TestApp::spawn().await;
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let token = app.token("worker", "alice");
    let me: serde_json::Value = app.get_json("/v1/me", &token).await;
    assert_eq!(me["organisation"]["slug"], "acme");
}
