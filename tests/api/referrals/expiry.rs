//! Expiry of unanswered referrals: after the organisation's delay, the background sweep marks
//! them `expired` and queues the partner's webhook in the same transaction; the service's own
//! worker does it by itself.

use std::time::Duration;

use crate::support::referrals::{Referrals, referral};
use chrono::{DateTime, Utc};
use relais_store::Db;
use relais_tests::assert_problem;
use serde_json::{Value, json};

/// Makes a referral due: received 11 days ago, expired yesterday.
async fn make_due(r: &Referrals, id: &str) {
    sqlx::query(
        "UPDATE referrals SET received_at = now() - interval '11 days', \
         expires_at = now() - interval '1 day' WHERE id = $1::uuid",
    )
    .bind(id)
    .execute(&r.app.sql)
    .await
    .unwrap();
}

/// The referral's status once it is `wanted`, or as it still is after 5 seconds.
async fn status_within_5s(r: &Referrals, id: &str, wanted: &str) -> Value {
    let mut status = Value::Null;
    for _ in 0..100 {
        let seen: Value = r.read(&r.worker, id).await.json().await.unwrap();
        status = seen["status"].clone();
        if status == wanted {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    status
}

#[tokio::test]
async fn an_unanswered_referral_expires_after_the_organisations_delay_and_the_partner_is_told() {
    let r = Referrals::new().await;
    // The service's own sweep must not run first: this test runs it by hand.
    r.app.stop_worker().await;
    sqlx::query("UPDATE organisations SET referral_expiry_days = 10 WHERE slug = 'acme'")
        .execute(&r.app.sql)
        .await
        .unwrap();
    let due = r.posted(&referral()).await;
    let at = |v: &Value, key: &str| v[key].as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
    assert_eq!(
        at(&due, "expires_at") - at(&due, "received_at"),
        chrono::Duration::days(10)
    );
    let fresh = r.posted(&referral()).await;
    make_due(&r, due["id"].as_str().unwrap()).await;

    let db = Db::connect_lazy(r.app.db_options.clone(), &relais_tests::test_pool());
    let sweep = || async {
        let mut tx = db.background().await.unwrap();
        let expired = relais_store::referrals::expire_due(&mut tx, Utc::now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        expired
    };
    assert_eq!(sweep().await, 1);
    assert_eq!(sweep().await, 0, "an expired referral expires once");

    let seen: Value = r
        .read(&r.partner.token, due["id"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["status"], "expired");
    assert_eq!(seen["version"], 2);
    assert!(seen["decided_at"].is_string());
    let still: Value = r
        .read(&r.worker, fresh["id"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(still["status"], "received");
    let outbox = r.outbox().await;
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].0, "referral.status_changed");
    assert_eq!(
        outbox[0].1["data"],
        json!({"referral_id": due["id"], "status": "expired", "previous_status": "received"})
    );
    assert!(outbox[0].1["timestamp"].as_str().unwrap().ends_with('Z'));
    let p = assert_problem(
        r.decide_as(&r.worker, &seen, &json!({"outcome": "accepted"}))
            .await,
        409,
        "invalid_transition",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("expired"));
    db.pool().close().await;
}

#[tokio::test]
async fn the_service_worker_expires_due_referrals_by_itself() {
    let r = Referrals::new().await;
    r.app.stop_worker().await;
    let posted = r.posted(&referral()).await;
    let id = posted["id"].as_str().unwrap();
    make_due(&r, id).await;
    // A worker sweeps as it starts, then every `expiry_sweep_interval`.
    r.app.start_worker();
    assert_eq!(status_within_5s(&r, id, "expired").await, "expired");
    let queued: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM webhook_messages WHERE payload -> 'data' ->> 'referral_id' = $1",
    )
    .bind(id)
    .fetch_one(&r.app.sql)
    .await
    .unwrap();
    assert_eq!(queued, 1);
    r.app.stop_worker().await;
}

#[tokio::test]
async fn a_replica_of_role_api_runs_no_background_job() {
    let mut settings = relais_tests::test_settings();
    settings.role = relais_server::config::ReplicaRole::Api;
    settings.expiry_sweep_interval = Duration::from_millis(100);
    let r = Referrals::on(relais_tests::TestApp::spawn_with(settings).await).await;
    let posted = r.posted(&referral()).await;
    let id = posted["id"].as_str().unwrap();
    make_due(&r, id).await;
    // An `all` replica sweeps as it starts and every 100 ms here: this one never does.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let seen: Value = r.read(&r.worker, id).await.json().await.unwrap();
    assert_eq!(seen["status"], "received", "no sweep on an api replica");
    // A worker replica on the same database does the job.
    let worker = r.app.spawn_worker();
    assert_eq!(status_within_5s(&r, id, "expired").await, "expired");
    worker.shutdown().await;
}
