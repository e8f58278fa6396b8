//! The delivery log of a partner (`GET /v1/partners/{id}/deliveries`) and manual redelivery
//! (`POST …/deliveries/{did}/redeliver`): administrators only, their organisation only.

use crate::support::webhooks::{
    Receiver, Reply, enqueue, message_state, partner_uuid, wait_for_state, webhook_id,
};
use relais_tests::{TestApp, assert_problem, pointers, problem};
use reqwest::Method;
use serde_json::Value;
use uuid::Uuid;

fn admin(app: &TestApp) -> String {
    app.token("admin", "admin-of-acme")
}

async fn deliveries(app: &TestApp, partner_id: &str, query: &str) -> Value {
    let response = app
        .get(
            &format!("/v1/partners/{partner_id}/deliveries{query}"),
            &admin(app),
        )
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn redeliver(app: &TestApp, token: &str, partner_id: &str, id: &str) -> reqwest::Response {
    app.request(
        Method::POST,
        &format!("/v1/partners/{partner_id}/deliveries/{id}/redeliver"),
        token,
    )
    .send()
    .await
    .unwrap()
}

#[tokio::test]
async fn the_log_shows_each_delivery_with_its_attempts() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start(vec![Reply::Status(500)]);
    let partner = app.partner("CAF", Some(&receiver.url)).await;
    let id = enqueue(&app, partner_uuid(&partner)).await;
    wait_for_state(&app, id, "delivered", 2).await;

    let log = deliveries(&app, &partner.id, "").await;
    assert_eq!(log["next_cursor"], Value::Null);
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let d = &items[0];
    assert_eq!(d["id"], id.to_string());
    assert_eq!(d["partner_id"], partner.id);
    assert_eq!(d["event_type"], "liaison.sent");
    assert_eq!(d["status"], "delivered");
    assert_eq!(d["attempts"], 2);
    assert_eq!(d["payload"]["type"], "liaison.sent");
    for field in [
        "created_at",
        "next_attempt_at",
        "last_attempt_at",
        "delivered_at",
        "give_up_at",
    ] {
        assert!(d[field].is_string(), "{field}: {d}");
    }
    let attempts = d["attempts_log"].as_array().unwrap();
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0]["attempt"], 1);
    assert_eq!(attempts[0]["status_code"], 500);
    assert_eq!(attempts[0]["succeeded"], false);
    assert_eq!(attempts[0]["response_excerpt"], "answered 500");
    assert!(attempts[0]["latency_ms"].as_i64().unwrap() >= 0);
    assert!(attempts[0]["started_at"].is_string());
    assert_eq!(attempts[1]["attempt"], 2);
    assert_eq!(attempts[1]["status_code"], 200);
    assert_eq!(attempts[1]["succeeded"], true);
    assert_eq!(attempts[1]["error"], Value::Null);
}

#[tokio::test]
async fn the_log_pages_newest_first_and_filters_by_status() {
    let app = TestApp::spawn().await;
    let partner = app
        .partner("Hôpital", Some("https://partner.example/hooks"))
        .await;
    // No dispatcher: the messages stay pending, except the one marked failed below.
    app.stop_worker().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(enqueue(&app, partner_uuid(&partner)).await);
    }
    sqlx::query("UPDATE webhook_messages SET status = 'failed' WHERE id = $1")
        .bind(ids[0])
        .execute(&app.sql)
        .await
        .unwrap();

    let first = deliveries(&app, &partner.id, "?limit=2").await;
    let page: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(page, [ids[2].to_string(), ids[1].to_string()]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = deliveries(&app, &partner.id, &format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert_eq!(second["items"][0]["id"], ids[0].to_string());
    assert_eq!(second["next_cursor"], Value::Null);

    let failed = deliveries(&app, &partner.id, "?status=failed").await;
    assert_eq!(failed["items"].as_array().unwrap().len(), 1);
    assert_eq!(failed["items"][0]["status"], "failed");
    let pending = deliveries(&app, &partner.id, "?status=pending").await;
    assert_eq!(pending["items"].as_array().unwrap().len(), 2);

    for (query, pointer) in [
        ("?status=lost", "/status"),
        ("?limit=0", "/limit"),
        ("?cursor=nope", "/cursor"),
    ] {
        let response = app
            .get(
                &format!("/v1/partners/{}/deliveries{query}", partner.id),
                &admin(&app),
            )
            .await;
        assert_eq!(response.status(), 400, "{query}");
        assert_eq!(pointers(&problem(response).await), [pointer], "{query}");
    }
}

#[tokio::test]
async fn only_administrators_read_the_log_or_redeliver() {
    let app = TestApp::spawn().await;
    let partner = app
        .partner("Mission locale", Some("https://partner.example/hooks"))
        .await;
    app.stop_worker().await;
    let id = enqueue(&app, partner_uuid(&partner)).await.to_string();
    for token in [
        app.token("worker", "w"),
        app.token("supervisor", "s"),
        app.token("dpo", "d"),
        partner.token.clone(),
    ] {
        let list = app
            .get(&format!("/v1/partners/{}/deliveries", partner.id), &token)
            .await;
        assert_problem(list, 403, "forbidden").await;
        let post = redeliver(&app, &token, &partner.id, &id).await;
        assert_eq!(post.status(), 403);
    }
}

#[tokio::test]
async fn another_organisations_partner_or_delivery_is_not_found() {
    let app = TestApp::spawn().await;
    let partner = app
        .partner("CCAS", Some("https://partner.example/hooks"))
        .await;
    let sibling = app
        .partner("Autre partenaire", Some("https://partner.example/other"))
        .await;
    app.stop_worker().await;
    let id = enqueue(&app, partner_uuid(&partner)).await.to_string();
    let other_admin = app.token_for("other", &["admin"], "admin-of-other");

    let list = app
        .get(
            &format!("/v1/partners/{}/deliveries", partner.id),
            &other_admin,
        )
        .await;
    assert_eq!(list.status(), 404);
    assert_eq!(
        redeliver(&app, &other_admin, &partner.id, &id)
            .await
            .status(),
        404
    );
    // A delivery under another partner's path, an unknown id or partner: 404 as well.
    let acme = admin(&app);
    for (partner_id, did) in [
        (sibling.id.clone(), id.clone()),
        (partner.id.clone(), Uuid::now_v7().to_string()),
        (Uuid::now_v7().to_string(), id.clone()),
    ] {
        let response = redeliver(&app, &acme, &partner_id, &did).await;
        assert_eq!(response.status(), 404, "{partner_id}/{did}");
        assert_eq!(problem(response).await["code"], "not_found");
    }
    let unknown = app
        .get(
            &format!("/v1/partners/{}/deliveries", Uuid::now_v7()),
            &acme,
        )
        .await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(message_state(&app, id.parse().unwrap()).await.0, "pending");
}

#[tokio::test]
async fn a_redelivery_sends_a_delivered_message_again_and_is_audited() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start(vec![]);
    let partner = app.partner("Bailleur", Some(&receiver.url)).await;
    let id = enqueue(&app, partner_uuid(&partner)).await;
    wait_for_state(&app, id, "delivered", 1).await;

    let response = redeliver(&app, &admin(&app), &partner.id, &id.to_string()).await;
    assert_eq!(response.status(), 202);
    let queued: Value = response.json().await.unwrap();
    assert_eq!(queued["id"], id.to_string());
    assert_eq!(queued["status"], "pending");
    assert_eq!(queued["delivered_at"], Value::Null);
    assert_eq!(queued["attempts_log"].as_array().unwrap().len(), 1);

    wait_for_state(&app, id, "delivered", 2).await;
    let received = receiver.wait_for(2).await;
    assert_eq!(received.len(), 2);
    assert!(
        received
            .iter()
            .all(|r| r.header("webhook-id") == webhook_id(id))
    );
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE resource_type = 'webhook_delivery' \
         AND resource_id = $1 AND action = 'update'",
    )
    .bind(id)
    .fetch_one(&app.sql)
    .await
    .unwrap();
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn a_failed_message_redelivered_gets_a_new_window() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start(vec![]);
    let partner = app.partner("Association", Some(&receiver.url)).await;
    app.stop_worker().await;
    let id = enqueue(&app, partner_uuid(&partner)).await;
    sqlx::query(
        "UPDATE webhook_messages SET status = 'failed', give_up_at = now() - interval '1 day' \
         WHERE id = $1",
    )
    .bind(id)
    .execute(&app.sql)
    .await
    .unwrap();
    app.start_worker();

    let response = redeliver(&app, &admin(&app), &partner.id, &id.to_string()).await;
    assert_eq!(response.status(), 202);
    let queued: Value = response.json().await.unwrap();
    let give_up_at: chrono::DateTime<chrono::Utc> =
        queued["give_up_at"].as_str().unwrap().parse().unwrap();
    let window = give_up_at - chrono::Utc::now();
    assert!(window > chrono::Duration::hours(71), "{window}");
    wait_for_state(&app, id, "delivered", 1).await;
    assert_eq!(receiver.wait_for(1).await.len(), 1);
}

#[tokio::test]
async fn a_pending_delivery_cannot_be_redelivered_so_no_attempt_is_ever_sent_twice() {
    let app = TestApp::spawn().await;
    let partner = app
        .partner("Mission locale", Some("https://partner.example/hooks"))
        .await;
    app.stop_worker().await;
    let id = enqueue(&app, partner_uuid(&partner)).await;
    let before: (i32, chrono::DateTime<chrono::Utc>) =
        sqlx::query_as("SELECT attempts, next_attempt_at FROM webhook_messages WHERE id = $1")
            .bind(id)
            .fetch_one(&app.sql)
            .await
            .unwrap();

    let response = redeliver(&app, &admin(&app), &partner.id, &id.to_string()).await;
    let _problem = assert_problem(response, 409, "delivery_pending").await;
    let after: (i32, chrono::DateTime<chrono::Utc>) =
        sqlx::query_as("SELECT attempts, next_attempt_at FROM webhook_messages WHERE id = $1")
            .bind(id)
            .fetch_one(&app.sql)
            .await
            .unwrap();
    assert_eq!(before, after, "the schedule (and any lease) is untouched");
}

#[tokio::test]
async fn the_log_shows_the_latest_twenty_attempts_of_a_long_retried_delivery() {
    let app = TestApp::spawn().await;
    let partner = app
        .partner("Mission locale", Some("https://partner.example/hooks"))
        .await;
    app.stop_worker().await;
    let id = enqueue(&app, partner_uuid(&partner)).await;
    sqlx::query(
        "INSERT INTO webhook_attempts (id, org_id, message_id, attempt, started_at, latency_ms,
                                       status_code, succeeded)
         SELECT gen_random_uuid(), m.org_id, m.id, n, now(), 5, 503, false
           FROM webhook_messages m, generate_series(1, 25) AS n WHERE m.id = $1",
    )
    .bind(id)
    .execute(&app.sql)
    .await
    .unwrap();
    sqlx::query("UPDATE webhook_messages SET attempts = 25 WHERE id = $1")
        .bind(id)
        .execute(&app.sql)
        .await
        .unwrap();

    let log = deliveries(&app, &partner.id, "").await;
    let delivery = &log["items"][0];
    assert_eq!(delivery["attempts"], 25);
    let shown: Vec<i64> = delivery["attempts_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["attempt"].as_i64().unwrap())
        .collect();
    assert_eq!(shown, (6..=25).collect::<Vec<_>>());
}
