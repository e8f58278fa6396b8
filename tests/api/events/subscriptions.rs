//! The organisation's webhook subscriptions: every event of a subscribed type delivered once to
//! a real local receiver, signed per Standard Webhooks (checked by an independent
//! implementation), with the feed's ids and data and no personal text; types, disabling,
//! deletion, secret rotation, the delivery log and redelivery; who may manage them; bad input.

use std::collections::HashMap;
use std::time::Duration;

use relais_tests::{TestApp, assert_conforms, assert_problem, pointers, problem, today};
use reqwest::Method;
use serde_json::{Value, json};

use super::{read_at_least, types};
use crate::support::applications::Apps;
use crate::support::liaisons::{Liaisons, named};
use crate::support::referrals::{Referrals, expire_now, referral};
use crate::support::webhooks::{Received, Receiver};

const ALL: &[&str] = &[
    "case.opened",
    "case.assigned",
    "case.status_changed",
    "referral.received",
    "referral.expired",
    "liaison.acknowledged",
    "liaison.declined",
    "plan_item.overdue",
    "review.due",
    "application.decided",
    "contact.upcoming",
];

/// Subscribes `url` to `events` as an administrator; answers the created subscription (with its
/// secret).
async fn subscribe(app: &TestApp, url: &str, events: &[&str]) -> Value {
    let admin = app.token("admin", "ada");
    let response = app
        .post(
            "/v1/webhook-subscriptions",
            &admin,
            &json!({"url": url, "events": events, "description": "Intranet du département"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_conforms("CreatedWebhookSubscription", &body);
    body
}

/// Lets the dispatchers poll a few more times, to see that nothing more is sent.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(400)).await;
}

/// Checks every request against the subscription's secret and the document, and answers the
/// bodies by event id (each id once).
fn verified(received: &[Received], subscription: &Value) -> HashMap<String, Value> {
    let verifier =
        standardwebhooks::Webhook::new(subscription["secret"].as_str().unwrap()).unwrap();
    let mut by_event = HashMap::new();
    for request in received {
        verifier
            .verify(&request.body, &request.headers)
            .expect("the signature verifies with the subscription's whsec_ secret");
        let body = request.json();
        assert_conforms("EventWebhook", &body);
        let id = body["event_id"].as_str().unwrap().to_owned();
        assert!(
            by_event.insert(id, body).is_none(),
            "an event is delivered once"
        );
    }
    by_event
}

/// The value with every instant written the same way (UTC, `Z`): the feed writes `Z`, a webhook
/// the database's `+00:00`.
fn instants_in_utc(value: &Value) -> Value {
    match value {
        Value::String(text) => match chrono::DateTime::parse_from_rfc3339(text) {
            Ok(at) => Value::String(at.with_timezone(&chrono::Utc).to_rfc3339()),
            Err(_) => value.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(instants_in_utc).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), instants_in_utc(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The feed's events and the webhooks received are the same events, with the same data.
fn assert_delivered(feed: &[Value], by_event: &HashMap<String, Value>) {
    assert_eq!(feed.len(), by_event.len(), "{by_event:#?}");
    for event in feed {
        let body = &by_event[event["id"].as_str().unwrap()];
        assert_eq!(body["type"], event["type"]);
        assert_eq!(
            instants_in_utc(&body["data"]),
            instants_in_utc(&event["data"])
        );
        let sent: chrono::DateTime<chrono::Utc> =
            body["timestamp"].as_str().unwrap().parse().unwrap();
        let occurred: chrono::DateTime<chrono::Utc> =
            event["occurred_at"].as_str().unwrap().parse().unwrap();
        assert!((sent - occurred).num_milliseconds().abs() < 1);
    }
}

#[tokio::test]
async fn every_event_reaches_a_subscription_once_signed_and_without_names() {
    // A case's life: opened, assigned, reassigned, closed.
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let sam = app.token("supervisor", "sam");
    // An event before the subscription is not delivered.
    app.create_case(&alice).await;
    let (_, cursor) = read_at_least(&app, &sam, None, 2).await;
    let receiver = Receiver::start(vec![]);
    let subscription = subscribe(&app, &receiver.url, ALL).await;
    let case = app.create_case(&alice).await;
    let case_id = case["id"].as_str().unwrap();
    let bob = app.token("worker", "bob");
    let bob_id = app.agent_id(&bob).await.to_string();
    app.assign_referent(&sam, &case, &bob_id).await;
    app.close_case(&sam, case_id).await;
    let (feed, _) = read_at_least(&app, &sam, cursor.as_deref(), 4).await;
    assert_eq!(
        types(&feed),
        [
            "case.opened",
            "case.assigned",
            "case.assigned",
            "case.status_changed"
        ]
    );
    let received = receiver.wait_for(4).await;
    settle().await;
    let received = receiver
        .received()
        .into_iter()
        .take(received.len().max(4))
        .collect::<Vec<_>>();
    let by_event = verified(&received, &subscription);
    assert_delivered(&feed, &by_event);
    for request in &received {
        let text = String::from_utf8_lossy(&request.body);
        assert!(
            !text.contains("Camille") && !text.contains("Lefèvre"),
            "{text}"
        );
        assert!(request.header("webhook-id").starts_with("msg_"));
    }

    // A referral received, then expired unanswered.
    let r = Referrals::new().await;
    let receiver = Receiver::start(vec![]);
    let subscription = subscribe(&r.app, &receiver.url, ALL).await;
    let posted = r.posted(&referral()).await;
    let id = posted["id"].as_str().unwrap();
    expire_now(&r.app, id).await;
    let (feed, _) = read_at_least(&r.app, &r.supervisor, None, 2).await;
    assert_eq!(types(&feed), ["referral.received", "referral.expired"]);
    receiver.wait_for(2).await;
    settle().await;
    let received = receiver.received();
    let by_event = verified(&received, &subscription);
    assert_delivered(&feed, &by_event);
    for request in &received {
        let text = String::from_utf8_lossy(&request.body);
        for field in ["first_name", "last_name"] {
            let value = posted["person"][field].as_str().unwrap();
            assert!(!text.contains(value), "{field} in {text}");
        }
        assert!(!text.contains(posted["reason"].as_str().unwrap()));
    }

    // Liaison sheets acknowledged and declined.
    let l = Liaisons::new().await;
    let sam = l.app.token("supervisor", "sam");
    let (_, cursor) = read_at_least(&l.app, &sam, None, 2).await;
    let receiver = Receiver::start(vec![]);
    let subscription = subscribe(&l.app, &receiver.url, ALL).await;
    for status in ["acknowledged", "declined"] {
        let draft = l.draft(&named(&["identity"], "shared_secrecy")).await;
        let sent: Value = l.send(&draft).await.json().await.unwrap();
        assert_eq!(l.answer(&sent, status).await.status(), 200);
    }
    let (feed, _) = read_at_least(&l.app, &sam, cursor.as_deref(), 2).await;
    assert_eq!(types(&feed), ["liaison.acknowledged", "liaison.declined"]);
    receiver.wait_for(2).await;
    settle().await;
    assert_delivered(&feed, &verified(&receiver.received(), &subscription));

    // An application decided.
    let a = Apps::new().await;
    let sam = a.app.token("supervisor", "sam");
    let (_, cursor) = read_at_least(&a.app, &sam, None, 2).await;
    let receiver = Receiver::start(vec![]);
    let subscription = subscribe(&a.app, &receiver.url, ALL).await;
    let submitted = a.submitted_fsl().await;
    a.moved(
        &submitted,
        &json!({"to": "decided", "decision": "refused", "decided_on": today(),
                "reason": "Plafond de ressources dépassé"}),
    )
    .await;
    let (feed, _) = read_at_least(&a.app, &sam, cursor.as_deref(), 1).await;
    assert_eq!(types(&feed), ["application.decided"]);
    receiver.wait_for(1).await;
    settle().await;
    let received = receiver.received();
    assert_delivered(&feed, &verified(&received, &subscription));
    assert!(!String::from_utf8_lossy(&received[0].body).contains("Plafond"));
}

#[tokio::test]
async fn a_subscription_gets_its_types_only_and_nothing_while_disabled_or_once_deleted() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let sam = app.token("supervisor", "sam");
    let admin = app.token("admin", "ada");
    let receiver = Receiver::start(vec![]);
    let subscription = subscribe(&app, &receiver.url, &["case.status_changed"]).await;
    let id = subscription["id"].as_str().unwrap();
    let path = format!("/v1/webhook-subscriptions/{id}");

    let case = app.create_case(&alice).await;
    app.close_case(&sam, case["id"].as_str().unwrap()).await;
    let received = receiver.wait_for(1).await;
    settle().await;
    assert_eq!(receiver.received().len(), 1);
    assert_eq!(received[0].json()["type"], "case.status_changed");

    // Disabled: nothing is queued; enabled again, the next event is delivered.
    let response = app
        .patch(&path, &admin, 1, &json!({"enabled": false}))
        .await;
    assert_eq!(response.status(), 200);
    let case = app.create_case(&alice).await;
    app.close_case(&sam, case["id"].as_str().unwrap()).await;
    settle().await;
    assert_eq!(receiver.received().len(), 1);
    let response = app
        .patch(
            &path,
            &admin,
            2,
            &json!({"enabled": true, "events": ["case.opened"]}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let changed: Value = response.json().await.unwrap();
    assert_eq!(changed["events"], json!(["case.opened"]));
    let case = app.create_case(&alice).await;
    app.close_case(&sam, case["id"].as_str().unwrap()).await;
    let received = receiver.wait_for(2).await;
    settle().await;
    assert_eq!(receiver.received().len(), 2);
    assert_eq!(received[1].json()["type"], "case.opened");
    assert_eq!(received[1].json()["data"]["case_id"], case["id"]);

    // Deleted: its pending deliveries are given up, nothing more is queued, it is gone.
    let pending =
        Receiver::start_with_default(vec![], crate::support::webhooks::Reply::Status(503));
    let response = app
        .patch(&path, &admin, 3, &json!({"url": pending.url}))
        .await;
    assert_eq!(response.status(), 200);
    app.create_case(&alice).await;
    pending.wait_for(1).await;
    let response = app
        .request(Method::DELETE, &path, &admin)
        .header("if-match", "\"4\"")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(app.get(&path, &admin).await.status(), 404);
    assert_eq!(
        app.get(&format!("{path}/deliveries"), &admin)
            .await
            .status(),
        404
    );
    let states: Vec<String> = sqlx::query_scalar(
        "SELECT status FROM webhook_messages WHERE subscription_id = $1::uuid ORDER BY id",
    )
    .bind(id)
    .fetch_all(&app.sql)
    .await
    .unwrap();
    assert_eq!(states, ["delivered", "delivered", "failed"]);
    // Each change and the deletion are audited, about no person.
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE resource_type = 'webhook_subscription' \
          AND resource_id = $1::uuid ORDER BY at, id",
    )
    .bind(id)
    .fetch_all(&app.sql)
    .await
    .unwrap();
    assert_eq!(audited, ["create", "update", "update", "update", "delete"]);
    let before = pending.received().len();
    app.create_case(&alice).await;
    settle().await;
    assert_eq!(pending.received().len(), before);
    assert_eq!(
        app.count("SELECT count(*) FROM webhook_messages WHERE status = 'pending'")
            .await,
        0
    );
    // A message queued by a transaction that committed beside the deletion (it could not see
    // it): the worker's sweep gives it up.
    sqlx::query(
        "INSERT INTO webhook_messages (id, org_id, subscription_id, event_type, payload) \
         SELECT gen_random_uuid(), org_id, id, 'case.opened', '{}' FROM webhook_subscriptions \
          WHERE id = $1::uuid",
    )
    .bind(id)
    .execute(&app.sql)
    .await
    .unwrap();
    let db = relais_store::db::Db::connect_lazy(app.db_options.clone(), &relais_tests::test_pool());
    let mut tx = db.background().await.unwrap();
    assert_eq!(
        relais_store::webhooks::give_up_deleted(&mut tx)
            .await
            .unwrap(),
        1
    );
    relais_store::db::commit(tx).await.unwrap();
    assert_eq!(
        app.count("SELECT count(*) FROM webhook_messages WHERE status = 'pending'")
            .await,
        0
    );
}

#[tokio::test]
async fn administrators_manage_subscriptions_and_see_the_secret_once() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin", "ada");
    let receiver = Receiver::start(vec![]);
    let created = subscribe(&app, &receiver.url, &["case.opened", "case.assigned"]).await;
    let id = created["id"].as_str().unwrap();
    let path = format!("/v1/webhook-subscriptions/{id}");
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(created["events"], json!(["case.opened", "case.assigned"]));
    assert_eq!(created["enabled"], true);
    assert_eq!(created["version"], 1);

    // Read and listed without the secret.
    let read = app.get_json(&path, &admin).await;
    assert_conforms("WebhookSubscription", &read);
    assert!(read.get("secret").is_none());
    assert_eq!(read["url"], receiver.url.as_str());
    let list = app.get_json("/v1/webhook-subscriptions", &admin).await;
    assert_conforms("WebhookSubscriptionList", &list);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains("whsec_"));

    // Only administrators; another organisation sees nothing.
    for role in ["worker", "supervisor", "reception", "dpo"] {
        let token = app.token(role, "someone");
        assert_eq!(app.get(&path, &token).await.status(), 403, "{role}");
        let response = app
            .post(
                "/v1/webhook-subscriptions",
                &token,
                &json!({"url": "https://example.org/hook", "events": ["case.opened"]}),
            )
            .await;
        assert_eq!(response.status(), 403, "{role}");
    }
    let other = app.token_for("other", &["admin"], "olga");
    assert_eq!(app.get(&path, &other).await.status(), 404);
    let list = app.get_json("/v1/webhook-subscriptions", &other).await;
    assert_eq!(list["items"], json!([]));
    assert_eq!(
        app.get(&format!("{path}/deliveries"), &other)
            .await
            .status(),
        404
    );

    // The secret rotates: deliveries from then on verify with the new one only.
    let response = app
        .request(Method::POST, &format!("{path}/secret"), &admin)
        .header("if-match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let rotated: Value = response.json().await.unwrap();
    assert_ne!(rotated["secret"], created["secret"]);
    assert_eq!(rotated["version"], 2);
    let alice = app.token("worker", "alice");
    app.create_case(&alice).await;
    let received = receiver.wait_for(2).await;
    verified(&received, &rotated);
    let old = standardwebhooks::Webhook::new(created["secret"].as_str().unwrap()).unwrap();
    assert!(old.verify(&received[0].body, &received[0].headers).is_err());

    // The delivery log, and a redelivery with the same webhook-id.
    let mut log = Value::Null;
    for _ in 0..500 {
        log = app
            .get_json(&format!("{path}/deliveries?status=delivered"), &admin)
            .await;
        if log["items"].as_array().unwrap().len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_conforms("SubscriptionDeliveryList", &log);
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["subscription_id"], id);
    assert_eq!(items[0]["attempts_log"][0]["status_code"], 200);
    let did = items[0]["id"].as_str().unwrap();
    let response = app
        .post(
            &format!("{path}/deliveries/{did}/redeliver"),
            &admin,
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 202);
    let again: Value = response.json().await.unwrap();
    assert_conforms("SubscriptionDelivery", &again);
    let received = receiver.wait_for(3).await;
    assert_eq!(
        received[2].header("webhook-id"),
        format!("msg_{}", did.replace('-', ""))
    );
    let absent = format!("{path}/deliveries/{}/redeliver", uuid::Uuid::now_v7());
    assert_eq!(app.post(&absent, &admin, &json!({})).await.status(), 404);

    // Every write is audited, about no person.
    let audited: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT action, reason FROM audit_events \
          WHERE resource_type IN ('webhook_subscription', 'webhook_delivery') ORDER BY at, id",
    )
    .fetch_all(&app.sql)
    .await
    .unwrap();
    assert_eq!(
        audited,
        [
            ("create".to_owned(), None),
            ("update".to_owned(), Some("secret rotated".to_owned())),
            ("update".to_owned(), Some("redeliver".to_owned())),
        ]
    );

    // A stale or missing If-Match.
    let response = app
        .patch(&path, &admin, 1, &json!({"enabled": false}))
        .await;
    assert_eq!(response.status(), 412);
    let response = app
        .request(Method::DELETE, &path, &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 428);
}

#[tokio::test]
async fn a_bad_subscription_is_refused_at_its_field() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin", "ada");
    for (body, pointer, code) in [
        (
            json!({"url": "http://example.org/hook", "events": ["case.opened"]}),
            "/url",
            "https_required",
        ),
        (
            json!({"url": "https://10.0.0.7/hook", "events": ["case.opened"]}),
            "/url",
            "address_not_allowed",
        ),
        (
            json!({"url": "https://user:pw@example.org/hook", "events": ["case.opened"]}),
            "/url",
            "userinfo_not_allowed",
        ),
        (
            json!({"url": "https://example.org/hook", "events": []}),
            "/events",
            "length",
        ),
        (
            json!({"url": "https://example.org/hook", "events": ["case.opened", "case.opened"]}),
            "/events/1",
            "duplicate",
        ),
        (
            json!({"url": "https://example.org/hook", "events": ["case.deleted"]}),
            "/events/0",
            "invalid_value",
        ),
        (
            json!({"url": "https://example.org/hook", "events": ["case.opened"], "description": "  "}),
            "/description",
            "blank",
        ),
        (json!({"events": ["case.opened"]}), "/url", "required"),
    ] {
        let response = app.post("/v1/webhook-subscriptions", &admin, &body).await;
        assert_eq!(response.status(), 422, "{body}");
        let problem = problem(response).await;
        assert_eq!(pointers(&problem), [pointer], "{problem}");
        assert_eq!(problem["code"], "validation_failed");
        assert_eq!(problem["errors"][0]["code"], code, "{problem}");
    }
    // An unknown field is a 400 pointing at it (the convention of every body).
    let response = app
        .post(
            "/v1/webhook-subscriptions",
            &admin,
            &json!({"url": "https://example.org/hook", "events": ["case.opened"], "secret": "x"}),
        )
        .await;
    let refused = assert_problem(response, 400, "unknown_field").await;
    assert_eq!(pointers(&refused), ["/secret"]);
    assert_eq!(
        app.count("SELECT count(*) FROM webhook_subscriptions")
            .await,
        0
    );

    // A patch is checked as a creation; the URL cannot be cleared.
    let created = subscribe(&app, "https://example.org/hook", &["case.opened"]).await;
    let path = format!(
        "/v1/webhook-subscriptions/{}",
        created["id"].as_str().unwrap()
    );
    for (body, pointer) in [
        (json!({"url": null}), "/url"),
        (json!({"url": "https://192.168.1.20/hook"}), "/url"),
        (json!({"events": []}), "/events"),
        (json!({"events": null}), "/events"),
        (json!({"enabled": null}), "/enabled"),
    ] {
        let response = app.patch(&path, &admin, 1, &body).await;
        assert_eq!(response.status(), 422, "{body}");
        assert_eq!(pointers(&problem(response).await), [pointer], "{body}");
    }
    // Nothing changed, and a description is cleared with null.
    let response = app
        .patch(&path, &admin, 1, &json!({"description": null}))
        .await;
    assert_eq!(response.status(), 200);
    let changed: Value = response.json().await.unwrap();
    assert_eq!(changed["description"], Value::Null);
    assert_eq!(changed["url"], "https://example.org/hook");
    assert_eq!(changed["version"], 2);
    // Bad paths and parameters.
    let response = app
        .get("/v1/webhook-subscriptions/not-a-uuid", &admin)
        .await;
    assert_eq!(response.status(), 400);
    let response = app
        .get(&format!("{path}/deliveries?status=lost"), &admin)
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(pointers(&problem(response).await), ["/status"]);
}
