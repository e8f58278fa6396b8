//! Webhook delivery against a real HTTP receiver: Standard Webhooks signatures checked by an
//! independent implementation, retries with backoff, restarts and concurrent dispatchers,
//! disabled partners, redirects, timeouts and the end of the delivery window.

mod deliveries;

use std::collections::HashMap;
use std::time::Duration;

use crate::support::referrals::{Referrals, referral};
use crate::support::webhooks::{
    Receiver, Reply, attempts, enqueue, message_state, partner_uuid, wait_for_state, webhook_id,
};
use relais_tests::{TestApp, test_settings};
use serde_json::{Value, json};
use uuid::Uuid;

/// Lets the dispatchers poll a few more times, to see that nothing more is sent.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(400)).await;
}

#[tokio::test]
async fn a_delivery_is_signed_per_standard_webhooks_and_verifies_with_an_independent_implementation()
 {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start(vec![]);
    let partner = app.partner("CAF du Rhône", Some(&receiver.url)).await;
    let id = enqueue(&app, partner_uuid(&partner)).await;

    let request = receiver.wait_for(1).await.remove(0);
    let verifier = standardwebhooks::Webhook::new(&partner.webhook_secret).unwrap();
    verifier
        .verify(&request.body, &request.headers)
        .expect("the signature verifies with the partner's whsec_ secret");
    assert_eq!(request.path, "/hook");
    assert_eq!(request.header("webhook-id"), webhook_id(id));
    assert!(request.header("webhook-signature").starts_with("v1,"));
    assert_eq!(request.header("content-type"), "application/json");
    assert!(request.header("user-agent").starts_with("Relais-Webhooks/"));
    let timestamp: i64 = request.header("webhook-timestamp").parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - timestamp).abs() < 60);

    // The body is the stored payload: ids and statuses only.
    let body = request.json();
    let stored: Value = sqlx::query_scalar("SELECT payload FROM webhook_messages WHERE id = $1")
        .bind(id)
        .fetch_one(&app.sql)
        .await
        .unwrap();
    assert_eq!(body, stored);
    assert_eq!(body["type"], "liaison.sent");
    assert_eq!(body["data"]["status"], "sent");

    // A changed body, another secret or another id does not verify.
    let mut tampered = request.body.clone();
    tampered.extend_from_slice(b" ");
    assert!(verifier.verify(&tampered, &request.headers).is_err());
    let other = app.partner("Autre", Some(&receiver.url)).await;
    let other_verifier = standardwebhooks::Webhook::new(&other.webhook_secret).unwrap();
    assert!(
        other_verifier
            .verify(&request.body, &request.headers)
            .is_err()
    );

    wait_for_state(&app, id, "delivered", 1).await;
    let log = attempts(&app, id).await;
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].1, log[0].2, log[0].4.clone()),
        (Some(200), true, None)
    );
}

#[tokio::test]
async fn a_receiver_that_fails_twice_then_succeeds_gets_the_message_exactly_once_more() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start(vec![Reply::Status(500), Reply::Status(503)]);
    let partner = app.partner("Hôpital Nord", Some(&receiver.url)).await;
    let id = enqueue(&app, partner_uuid(&partner)).await;

    receiver.wait_for(3).await;
    wait_for_state(&app, id, "delivered", 3).await;
    settle().await;
    let received = receiver.received();
    assert_eq!(received.len(), 3, "two failures, one success, nothing more");
    assert!(
        received
            .iter()
            .all(|r| r.header("webhook-id") == webhook_id(id)),
        "a retry carries the same webhook-id"
    );
    // Exponential backoff: 100 ms then 200 ms nominal, ±20 % jitter.
    assert!(received[1].at - received[0].at >= Duration::from_millis(80));
    assert!(received[2].at - received[1].at >= Duration::from_millis(160));

    let log = attempts(&app, id).await;
    let summary: Vec<_> = log.iter().map(|a| (a.0, a.1, a.2)).collect();
    assert_eq!(
        summary,
        [
            (1, Some(500), false),
            (2, Some(503), false),
            (3, Some(200), true)
        ]
    );
    assert!(log.iter().all(|a| a.3 >= 0), "latencies are recorded");
    assert_eq!(message_state(&app, id).await, ("delivered".into(), 3));
}

#[tokio::test]
async fn a_restart_mid_retry_loses_nothing() {
    // A 1 s first retry leaves the time to stop the worker between the attempts.
    let mut settings = test_settings();
    settings.webhooks.retry_base = Duration::from_secs(1);
    let app = TestApp::spawn_with(settings).await;
    let receiver = Receiver::start(vec![Reply::Status(500)]);
    let partner = app.partner("Mission locale", Some(&receiver.url)).await;
    let id = enqueue(&app, partner_uuid(&partner)).await;

    wait_for_state(&app, id, "pending", 1).await;
    app.stop_worker().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.received().len(), 1, "no worker, no delivery");
    assert_eq!(message_state(&app, id).await, ("pending".into(), 1));

    app.start_worker();
    wait_for_state(&app, id, "delivered", 2).await;
    let received = receiver.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[1].header("webhook-id"), webhook_id(id));
}

#[tokio::test]
async fn two_dispatchers_never_deliver_the_same_attempt_twice() {
    let app = TestApp::spawn().await;
    let receiver =
        Receiver::start_with_default(vec![], Reply::Slow(Duration::from_millis(100), 200));
    let partner = app.partner("CCAS voisin", Some(&receiver.url)).await;
    let second = app.spawn_worker();
    let third = app.spawn_worker();
    // Queued together, so that every dispatcher finds them due at once.
    let partner_id = partner_uuid(&partner);
    let mut conn = app.sql.begin().await.unwrap();
    let mut ids = Vec::new();
    for _ in 0..20 {
        let id = relais_store::outbox::enqueue(
            &mut conn,
            app.org.id,
            partner_id,
            relais_domain::WebhookEvent::LiaisonSent,
            json!({"liaison_id": Uuid::now_v7(), "status": "sent"}),
        )
        .await
        .unwrap()
        .unwrap();
        ids.push(id);
    }
    conn.commit().await.unwrap();

    receiver.wait_for(20).await;
    for id in &ids {
        wait_for_state(&app, *id, "delivered", 1).await;
    }
    settle().await;
    second.shutdown().await;
    third.shutdown().await;

    let mut seen: HashMap<String, usize> = HashMap::new();
    for request in receiver.received() {
        *seen.entry(request.header("webhook-id")).or_default() += 1;
    }
    assert_eq!(seen.len(), 20, "every message was delivered");
    assert!(
        seen.values().all(|&n| n == 1),
        "each message exactly once: {seen:?}"
    );
    let rows: Vec<(Uuid, i32)> = sqlx::query_as(
        "SELECT message_id, attempt FROM webhook_attempts WHERE message_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(&app.sql)
    .await
    .unwrap();
    assert_eq!(rows.len(), 20);
    assert!(rows.iter().all(|(_, attempt)| *attempt == 1));
}

/// Sets a partner's `enabled` through the admin API.
async fn set_enabled(app: &TestApp, partner_id: &str, enabled: bool) {
    let admin = app.token("admin", "admin-of-acme");
    let path = format!("/v1/partners/{partner_id}");
    let current: Value = app.get_json(&path, &admin).await;
    let version = current["version"].as_i64().unwrap();
    let response = app
        .patch(&path, &admin, version, &json!({"enabled": enabled}))
        .await;
    assert_eq!(response.status(), 200, "changing the partner");
}

#[tokio::test]
async fn a_disabled_partner_gets_nothing_and_its_queue_resumes_when_it_is_enabled_again() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start(vec![]);
    let partner = app.partner("Association", Some(&receiver.url)).await;
    app.stop_worker().await;
    let id = enqueue(&app, partner_uuid(&partner)).await;
    set_enabled(&app, &partner.id, false).await;
    app.start_worker();
    settle().await;
    assert!(
        receiver.received().is_empty(),
        "nothing goes to a disabled partner"
    );
    assert_eq!(message_state(&app, id).await, ("pending".into(), 0));
    // Nothing new is queued for it either.
    let mut conn = app.sql.acquire().await.unwrap();
    let queued = relais_store::outbox::enqueue(
        &mut conn,
        app.org.id,
        partner_uuid(&partner),
        relais_domain::WebhookEvent::LiaisonSent,
        json!({"liaison_id": Uuid::now_v7(), "status": "sent"}),
    )
    .await
    .unwrap();
    assert_eq!(queued, None);

    set_enabled(&app, &partner.id, true).await;
    wait_for_state(&app, id, "delivered", 1).await;
    assert_eq!(receiver.wait_for(1).await.len(), 1);
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_is_recorded_as_a_failure() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start(vec![Reply::Redirect("/elsewhere")]);
    let partner = app.partner("Bailleur", Some(&receiver.url)).await;
    let id = enqueue(&app, partner_uuid(&partner)).await;

    wait_for_state(&app, id, "delivered", 2).await;
    let paths: Vec<String> = receiver.received().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/hook", "/hook"], "the Location is never requested");
    let log = attempts(&app, id).await;
    assert_eq!((log[0].1, log[0].2), (Some(302), false));
    assert!(log[0].4.as_deref().unwrap().contains("redirect"), "{log:?}");
    assert_eq!((log[1].1, log[1].2), (Some(200), true));
}

#[tokio::test]
async fn a_timeout_is_recorded_as_a_failure_without_a_status() {
    let mut settings = test_settings();
    settings.webhooks.timeout = Duration::from_millis(300);
    let app = TestApp::spawn_with(settings).await;
    let receiver = Receiver::start(vec![Reply::Slow(Duration::from_secs(2), 200)]);
    let partner = app.partner("Employeur", Some(&receiver.url)).await;
    let id = enqueue(&app, partner_uuid(&partner)).await;

    wait_for_state(&app, id, "delivered", 2).await;
    let log = attempts(&app, id).await;
    let (_, status, succeeded, latency, error) = log[0].clone();
    assert_eq!((status, succeeded), (None, false));
    assert!(error.unwrap().contains("timed out"));
    assert!((300..2000).contains(&latency), "{latency} ms");
    assert!(log[1].2);
}

#[tokio::test]
async fn a_message_past_its_delivery_window_fails_after_one_more_attempt() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start_with_default(vec![], Reply::Status(500));
    let partner = app.partner("Partenaire fermé", Some(&receiver.url)).await;
    app.stop_worker().await;
    let id = enqueue(&app, partner_uuid(&partner)).await;
    sqlx::query("UPDATE webhook_messages SET give_up_at = now() WHERE id = $1")
        .bind(id)
        .execute(&app.sql)
        .await
        .unwrap();
    app.start_worker();

    wait_for_state(&app, id, "failed", 1).await;
    settle().await;
    assert_eq!(receiver.received().len(), 1);
    assert_eq!(message_state(&app, id).await, ("failed".into(), 1));
}

#[tokio::test]
async fn a_target_on_a_refused_address_is_never_called() {
    let mut settings = test_settings();
    settings.webhooks.allow_loopback = false;
    let app = TestApp::spawn_with(settings).await;
    let receiver = Receiver::start(vec![]);
    // Registered while loopback was allowed (e.g. a setting changed since), then private.
    let partner = app.partner("Ancien", None).await;
    for (url, expected) in [
        (receiver.url.clone(), "loopback_not_allowed"),
        ("https://10.1.2.3/hook".to_owned(), "address_not_allowed"),
    ] {
        sqlx::query("UPDATE partners SET webhook_url = $2 WHERE id = $1::uuid")
            .bind(&partner.id)
            .bind(&url)
            .execute(&app.sql)
            .await
            .unwrap();
        let id = enqueue(&app, partner_uuid(&partner)).await;
        wait_for_state(&app, id, "pending", 1).await;
        let log = attempts(&app, id).await;
        assert_eq!((log[0].1, log[0].2), (None, false));
        assert!(log[0].4.as_deref().unwrap().contains(expected), "{log:?}");
    }
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn the_worker_expires_an_unanswered_referral_and_the_partner_is_told() {
    let mut settings = test_settings();
    settings.expiry_sweep_interval = Duration::from_millis(100);
    let app = TestApp::spawn_with(settings).await;
    let receiver = Receiver::start(vec![]);
    let partner = app.partner("CAF du Rhône", Some(&receiver.url)).await;
    let posted = app
        .request(reqwest::Method::POST, "/v1/referrals", &partner.token)
        .header("Idempotency-Key", Uuid::now_v7().to_string())
        .json(&json!({
            "person": {"first_name": "Camille", "last_name": "Lefèvre", "birth_date": "1980-02-03"},
            "reason": "Impayés de loyer depuis trois mois.",
            "domains": ["housing"],
            "urgency": "routine",
            "referrer": {"name": "Mme Durand", "role": "Conseillère CAF", "email": "durand@caf.example.org"},
            "consent": {"informed_on": "2026-01-05", "channel": "in_person", "consented": true}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 201);
    let referral: Value = posted.json().await.unwrap();
    sqlx::query(
        "UPDATE referrals SET received_at = now() - interval '31 days', \
         expires_at = now() - interval '1 day' WHERE id = $1::uuid",
    )
    .bind(referral["id"].as_str().unwrap())
    .execute(&app.sql)
    .await
    .unwrap();

    let request = receiver.wait_for(1).await.remove(0);
    standardwebhooks::Webhook::new(&partner.webhook_secret)
        .unwrap()
        .verify(&request.body, &request.headers)
        .unwrap();
    let body = request.json();
    assert_eq!(body["type"], "referral.status_changed");
    assert_eq!(body["data"]["referral_id"], referral["id"]);
    assert_eq!(body["data"]["status"], "expired");
    assert_eq!(body["data"]["previous_status"], "received");
}

#[tokio::test]
async fn a_message_claimed_by_a_dispatcher_that_died_is_delivered_after_its_lease() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start(vec![]);
    let partner = app.partner("Centre social", Some(&receiver.url)).await;
    app.stop_worker().await;
    let id = enqueue(&app, partner_uuid(&partner)).await;

    // A dispatcher claims it for 700 ms, then dies without recording anything.
    let db = relais_store::Db::connect_lazy(app.db_options.clone(), &relais_tests::test_pool());
    let claim = || async {
        let mut tx = db.background().await.unwrap();
        let claimed = relais_store::webhooks::claim_due(&mut tx, 10, Duration::from_millis(700))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        claimed
    };
    let claimed = claim().await;
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, id);
    assert_eq!(claimed[0].webhook_url, receiver.url);
    assert!(
        claim().await.is_empty(),
        "a leased message is not claimed again"
    );

    app.start_worker();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(receiver.received().is_empty(), "not before the lease ends");
    wait_for_state(&app, id, "delivered", 1).await;
    assert_eq!(receiver.received().len(), 1);
    db.pool().close().await;
}

#[tokio::test]
async fn the_metrics_show_the_outbox_waiting_and_its_lag() {
    let r = Referrals::new().await;
    r.app.stop_worker().await;
    let metric = |text: &str, name: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} missing:\n{text}"))
            .parse()
            .unwrap()
    };
    let scrape = || async {
        let response = r
            .app
            .client
            .get(r.app.url("/metrics"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.text().await.unwrap()
    };
    let text = scrape().await;
    assert_eq!(metric(&text, "relais_webhook_outbox_pending"), 0.0);
    assert_eq!(metric(&text, "relais_webhook_outbox_lag_seconds"), 0.0);

    let posted = r.posted(&referral()).await;
    r.decided(&posted, &json!({"outcome": "accepted"})).await;
    sqlx::query("UPDATE webhook_messages SET next_attempt_at = now() - interval '1 hour'")
        .execute(&r.app.sql)
        .await
        .unwrap();
    let text = scrape().await;
    assert_eq!(metric(&text, "relais_webhook_outbox_pending"), 1.0);
    let lag = metric(&text, "relais_webhook_outbox_lag_seconds");
    assert!((3600.0..3700.0).contains(&lag), "{lag}");
}
