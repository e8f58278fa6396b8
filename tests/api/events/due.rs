//! The time-based events of the periodic job: a step overdue the day after its due date, a review
//! due on its date, a planned contact within 24 hours; each written once however many replicas
//! run the job, again only when its date moves; delivered to a subscription like any event.

use chrono::{Duration, Utc};
use relais_tests::{TestApp, assert_conforms, today};
use serde_json::{Value, json};

use super::{read_at_least, types};
use crate::support::contacts::{Case, open_case, plan};
use crate::support::plan::step;
use crate::support::webhooks::Receiver;

/// One call of the job's step, as a replica makes it; answers how many events it wrote.
async fn emit(app: &TestApp, at: chrono::DateTime<Utc>) -> u32 {
    let db = relais_store::db::Db::connect_lazy(app.db_options.clone(), &relais_tests::test_pool());
    let mut tx = db.background().await.unwrap();
    let emitted = relais_store::events::emit_due(&mut tx, at, relais_store::events::DUE_BATCH)
        .await
        .unwrap();
    relais_store::db::commit(tx).await.unwrap();
    emitted
}

/// Adds a step to the case as `token` and moves its due date `days` from today (a past date is
/// refused by the API: the test sets it as time would).
async fn step_due(app: &TestApp, token: &str, case: &Case, title: &str, days: i64) -> Value {
    let response = app
        .post(
            &format!("/v1/cases/{}/plan/items", case.id),
            token,
            &step("worker", "correspondence", title, 5),
        )
        .await;
    assert_eq!(response.status(), 201);
    let item: Value = response.json().await.unwrap();
    set_due(app, &item, days).await;
    item
}

async fn set_due(app: &TestApp, item: &Value, days: i64) {
    sqlx::query("UPDATE plan_items SET due_on = $2 WHERE id = $1::uuid")
        .bind(item["id"].as_str().unwrap())
        .bind(today() + Duration::days(days))
        .execute(&app.sql)
        .await
        .unwrap();
}

#[tokio::test]
async fn steps_overdue_reviews_due_and_contacts_ahead_are_written_once_and_delivered() {
    let app = TestApp::spawn().await;
    // The job runs here, not in the service's own worker.
    app.stop_worker().await;
    let alice = app.token("worker", "alice");
    let sam = app.token("supervisor", "sam");
    let receiver = Receiver::start(vec![]);
    let admin = app.token("admin", "ada");
    let response = app
        .post(
            "/v1/webhook-subscriptions",
            &admin,
            &json!({"url": receiver.url, "events": ["plan_item.overdue", "review.due", "contact.upcoming"]}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let subscription: Value = response.json().await.unwrap();

    let case = open_case(&app, &alice).await;
    let overdue = step_due(&app, &alice, &case, "Écrire au bailleur", -1).await;
    // Not yet due, long overdue (before the week the job looks back on), or done: nothing.
    step_due(&app, &alice, &case, "Appeler la CAF", 0).await;
    step_due(&app, &alice, &case, "Relancer la mairie", -10).await;
    let done = step_due(&app, &alice, &case, "Remplir le formulaire", -1).await;
    sqlx::query("UPDATE plan_items SET status = 'done', done_on = due_on WHERE id = $1::uuid")
        .bind(done["id"].as_str().unwrap())
        .execute(&app.sql)
        .await
        .unwrap();
    let soon = plan(&app, &alice, &case, "interview", 3).await;
    plan(&app, &alice, &case, "phone_call", 30).await;
    // A closed case whose review is due today.
    let closed = open_case(&app, &alice).await;
    app.close_case(&sam, &closed.id).await;
    sqlx::query("UPDATE cases SET review_due_on = $2 WHERE id = $1::uuid")
        .bind(&closed.id)
        .bind(today())
        .execute(&app.sql)
        .await
        .unwrap();
    // Another whose review was already held: no reminder.
    let reviewed = open_case(&app, &alice).await;
    app.close_case(&sam, &reviewed.id).await;
    sqlx::query("UPDATE cases SET review_due_on = $2 WHERE id = $1::uuid")
        .bind(&reviewed.id)
        .bind(today())
        .execute(&app.sql)
        .await
        .unwrap();
    let response = app
        .post(
            &format!("/v1/cases/{}/contacts", reviewed.id),
            &alice,
            &json!({"kind": "post_closure_review", "occurred_at": Utc::now().to_rfc3339()}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let (_, cursor) = read_at_least(&app, &sam, None, 8).await;

    // Three replicas at once: each event is written once.
    let now = Utc::now();
    let (a, b, c) = tokio::join!(emit(&app, now), emit(&app, now), emit(&app, now));
    assert_eq!(a + b + c, 3);
    assert_eq!(emit(&app, now).await, 0, "a second run writes nothing");
    let (events, cursor) = read_at_least(&app, &sam, cursor.as_deref(), 3).await;
    assert_eq!(
        types(&events),
        ["contact.upcoming", "plan_item.overdue", "review.due"]
    );
    let upcoming = &events[0]["data"];
    assert_eq!(upcoming["contact_id"], soon["id"]);
    assert_eq!(upcoming["case_id"], case.id.as_str());
    assert_eq!(upcoming["kind"], "interview");
    assert_eq!(
        upcoming["author_id"],
        app.agent_id(&alice).await.to_string().as_str()
    );
    let overdue_data = &events[1]["data"];
    assert_eq!(
        overdue_data,
        &json!({"plan_item_id": overdue["id"], "case_id": case.id, "party": "worker",
                "category": "correspondence", "status": "planned",
                "due_on": (today() - Duration::days(1)).to_string()})
    );
    let review = &events[2]["data"];
    assert_eq!(review["case_id"], closed.id.as_str());
    assert_eq!(review["review_due_on"], today().to_string());
    assert_eq!(review["closed_on"], today().to_string());
    assert_eq!(review["closure_reason"], "goals_met");
    for event in &events {
        assert!(!event.to_string().contains("bailleur"), "no title: {event}");
    }

    // Delivered to the subscription by the service's worker, signed, once each.
    app.start_worker();
    let received = receiver.wait_for(3).await;
    app.stop_worker().await;
    let verifier =
        standardwebhooks::Webhook::new(subscription["secret"].as_str().unwrap()).unwrap();
    let mut ids: Vec<String> = Vec::new();
    for request in &received {
        verifier.verify(&request.body, &request.headers).unwrap();
        let body = request.json();
        assert_conforms("EventWebhook", &body);
        ids.push(body["event_id"].as_str().unwrap().to_owned());
    }
    ids.sort();
    let mut expected: Vec<String> = events
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    expected.sort();
    assert_eq!(ids, expected);

    // A step whose due date moves is overdue again on its new date; a contact moved within the
    // next day is announced again; the rest stays written once.
    set_due(&app, &overdue, -2).await;
    sqlx::query(
        "UPDATE contacts SET scheduled_at = scheduled_at + interval '1 hour' WHERE id = $1::uuid",
    )
    .bind(soon["id"].as_str().unwrap())
    .execute(&app.sql)
    .await
    .unwrap();
    assert_eq!(emit(&app, Utc::now()).await, 2);
    let (again, _) = read_at_least(&app, &sam, cursor.as_deref(), 2).await;
    assert_eq!(types(&again), ["contact.upcoming", "plan_item.overdue"]);
    assert_eq!(
        again[1]["data"]["due_on"],
        (today() - Duration::days(2)).to_string()
    );
}
