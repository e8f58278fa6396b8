//! Agents' notifications (`/v1/me/notifications`): each agent is told what concerns them and
//! nothing else (the inbox to reception and supervisors, a case to its new referent, a liaison
//! answer to its sender, a step overdue, a review due and a decision to the case's referent, a
//! delegation to the delegate once per absence); read marks; another agent's or organisation's
//! notifications are invisible; bad input.

use chrono::Duration;
use relais_tests::{TestApp, assert_conforms, pointers, problem, today};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::applications::Apps;
use crate::support::liaisons::{Liaisons, named};
use crate::support::referrals::{Referrals, referral};

/// The caller's notifications (all of them, or the unread ones), checked against the document.
async fn inbox(app: &TestApp, token: &str, unread: bool) -> Value {
    let path = if unread {
        "/v1/me/notifications?unread=true"
    } else {
        "/v1/me/notifications"
    };
    let list = app.get_json(path, token).await;
    assert_conforms("NotificationList", &list);
    list
}

/// The kinds of the caller's notifications, newest first.
async fn kinds(app: &TestApp, token: &str) -> Vec<String> {
    inbox(app, token, false).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect()
}

async fn emit_due(app: &TestApp) -> u32 {
    let db = relais_store::db::Db::connect_lazy(app.db_options.clone(), &relais_tests::test_pool());
    let mut tx = db.background().await.unwrap();
    let emitted = relais_store::events::emit_due(
        &mut tx,
        chrono::Utc::now(),
        relais_store::events::DUE_BATCH,
    )
    .await
    .unwrap();
    relais_store::db::commit(tx).await.unwrap();
    emitted
}

#[tokio::test]
async fn the_inbox_a_new_referent_and_an_overdue_step_notify_whom_they_concern() {
    let r = Referrals::new().await;
    let app = &r.app;
    let bob = app.token("worker", "bob");
    let admin = app.token("admin", "ada");
    let dpo = app.token("dpo", "dora");
    // Agents exist once they have called the service.
    for token in [&r.worker, &r.reception, &r.supervisor, &bob, &admin, &dpo] {
        app.agent_id(token).await;
    }
    let bob_id = app.agent_id(&bob).await.to_string();

    // A referral in the inbox: reception and supervisors.
    let posted = r.posted(&referral()).await;
    assert_eq!(kinds(app, &r.reception).await, ["referral.received"]);
    assert_eq!(kinds(app, &r.supervisor).await, ["referral.received"]);
    for token in [&r.worker, &bob, &admin, &dpo] {
        assert!(kinds(app, token).await.is_empty());
    }
    let note = &inbox(app, &r.reception, false).await["items"][0];
    assert_eq!(note["subject_id"], posted["id"]);
    assert_eq!(note["data"]["referral_id"], posted["id"]);
    assert!(note["event_id"].is_string());
    assert_eq!(note["read_at"], Value::Null);
    let text = note.to_string();
    assert!(!text.contains(posted["person"]["last_name"].as_str().unwrap()));

    // Accepted by a worker, who becomes its referent: not told of their own decision.
    let decided = r.decided(&posted, &json!({"outcome": "accepted"})).await;
    let case_id = decided["case_id"].as_str().unwrap().to_owned();
    assert!(kinds(app, &r.worker).await.is_empty());
    // Handed to bob: he is told.
    let case = app
        .get_json(&format!("/v1/cases/{case_id}"), &r.supervisor)
        .await;
    app.assign_referent(&r.supervisor, &case, &bob_id).await;
    assert_eq!(kinds(app, &bob).await, ["case.assigned"]);
    let assigned = &inbox(app, &bob, false).await["items"][0];
    assert_eq!(assigned["case_id"], case_id.as_str());
    assert_eq!(assigned["data"]["referent_id"], bob_id.as_str());

    // A step of his case overdue: told once, by the periodic job.
    let response = app
        .post(
            &format!("/v1/cases/{case_id}/plan/items"),
            &bob,
            &crate::support::plan::step("worker", "correspondence", "Écrire au bailleur", 5),
        )
        .await;
    assert_eq!(response.status(), 201);
    let item: Value = response.json().await.unwrap();
    sqlx::query("UPDATE plan_items SET due_on = $2 WHERE id = $1::uuid")
        .bind(item["id"].as_str().unwrap())
        .bind(today() - Duration::days(1))
        .execute(&app.sql)
        .await
        .unwrap();
    emit_due(app).await;
    emit_due(app).await;
    assert_eq!(
        kinds(app, &bob).await,
        ["plan_item.overdue", "case.assigned"]
    );
    assert!(
        !inbox(app, &bob, false)
            .await
            .to_string()
            .contains("bailleur")
    );

    // Read marks: the unread ones, their count, a second mark keeps the first.
    let list = inbox(app, &bob, true).await;
    assert_eq!(list["unread_count"], 2);
    let id = list["items"][1]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/me/notifications/{id}/read");
    let response = app.post(&path, &bob, &json!({})).await;
    assert_eq!(response.status(), 200);
    let read: Value = response.json().await.unwrap();
    assert_conforms("Notification", &read);
    assert!(read["read_at"].is_string());
    let again: Value = app
        .post(&path, &bob, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["read_at"], read["read_at"]);
    let list = inbox(app, &bob, true).await;
    assert_eq!(list["unread_count"], 1);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["kind"], "plan_item.overdue");
    assert_eq!(
        inbox(app, &bob, false).await["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Another agent's notification, another organisation's, a partner: nothing.
    assert_eq!(app.post(&path, &r.worker, &json!({})).await.status(), 404);
    let other = app.token_for("other", &["worker"], "olga");
    assert_eq!(app.post(&path, &other, &json!({})).await.status(), 404);
    assert_eq!(inbox(app, &other, false).await["items"], json!([]));
    assert_eq!(
        app.get("/v1/me/notifications", &r.partner.token)
            .await
            .status(),
        403
    );
    // Identifiers, codes and dates only: reading them and marking them read is not audited.
    let audited = app.count("SELECT count(*) FROM audit_events").await;
    inbox(app, &bob, false).await;
    app.post(&path, &bob, &json!({})).await;
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events").await,
        audited
    );
    // Paging, newest first.
    let page = app.get_json("/v1/me/notifications?limit=1", &bob).await;
    assert_eq!(page["items"][0]["kind"], "plan_item.overdue");
    let cursor = page["next_cursor"].as_str().unwrap();
    let next = app
        .get_json(
            &format!("/v1/me/notifications?limit=1&cursor={cursor}"),
            &bob,
        )
        .await;
    assert_eq!(next["items"][0]["kind"], "case.assigned");
    assert_eq!(next["next_cursor"], Value::Null);
}

#[tokio::test]
async fn a_liaison_answer_tells_its_sender_and_a_decision_the_referent() {
    let l = Liaisons::new().await;
    let sam = l.app.token("supervisor", "sam");
    l.app.agent_id(&sam).await;
    for status in ["acknowledged", "declined"] {
        let draft = l.draft(&named(&["identity"], "shared_secrecy")).await;
        let sent: Value = l.send(&draft).await.json().await.unwrap();
        assert_eq!(l.answer(&sent, status).await.status(), 200);
    }
    assert_eq!(
        kinds(&l.app, &l.alice).await,
        ["liaison.declined", "liaison.acknowledged"]
    );
    assert!(kinds(&l.app, &sam).await.is_empty());

    let a = Apps::new().await;
    let sam = a.app.token("supervisor", "sam");
    a.app.agent_id(&sam).await;
    let submitted = a.submitted_fsl().await;
    let created = &submitted;
    a.moved(
        &submitted,
        &json!({"to": "decided", "decision": "granted", "decided_on": today(),
                "amount_granted_cents": 45000}),
    )
    .await;
    assert_eq!(kinds(&a.app, &a.alice).await, ["application.decided"]);
    let note = &inbox(&a.app, &a.alice, false).await["items"][0];
    assert_eq!(note["subject_id"], created["id"]);
    assert_eq!(note["data"]["decision"], "granted");
    assert!(kinds(&a.app, &sam).await.is_empty());
}

#[tokio::test]
async fn a_review_due_tells_the_referent_and_a_delegate_is_told_once_per_absence() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let bob = app.token("worker", "bob");
    let sam = app.token("supervisor", "sam");
    let bob_id = app.agent_id(&bob).await.to_string();
    let alice_id = app.agent_id(&alice).await.to_string();
    app.agent_id(&sam).await;

    // A review due on a closed case of alice's.
    let closed = app.create_case(&alice).await;
    let closed_id = closed["id"].as_str().unwrap();
    app.close_case(&sam, closed_id).await;
    sqlx::query("UPDATE cases SET review_due_on = $2 WHERE id = $1::uuid")
        .bind(closed_id)
        .bind(today())
        .execute(&app.sql)
        .await
        .unwrap();
    emit_due(&app).await;
    assert_eq!(kinds(&app, &alice).await, ["review.due"]);

    // Two open cases of alice's; she is away for three days and bob covers them.
    app.create_case(&alice).await;
    app.create_case(&alice).await;
    let response = app
        .post(
            &format!("/v1/agents/{alice_id}/absences"),
            &sam,
            &json!({"from": today(), "to": today() + Duration::days(3), "delegate_id": bob_id}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let absence: Value = response.json().await.unwrap();
    let db = relais_store::Db::connect_lazy(app.db_options.clone(), &relais_tests::test_pool());
    for _ in 0..100 {
        if relais_store::absences::sync_all(&db, today())
            .await
            .unwrap()
            .is_some()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // A third case joins the delegation later: no second notification.
    app.create_case(&alice).await;
    let _ = relais_store::absences::sync_all(&db, today())
        .await
        .unwrap();
    assert_eq!(
        app.count("SELECT count(*) FROM case_team WHERE absence_id IS NOT NULL")
            .await,
        3
    );
    assert_eq!(kinds(&app, &bob).await, ["absence.delegated"]);
    let note = &inbox(&app, &bob, false).await["items"][0];
    assert_eq!(note["subject_id"], absence["id"]);
    assert_eq!(note["data"]["absent_agent_id"], alice_id.as_str());
    assert_eq!(note["data"]["starts_on"], today().to_string());
    assert!(note.get("event_id").is_none() && note.get("case_id").is_none());
    assert!(kinds(&app, &sam).await.is_empty());
}

#[tokio::test]
async fn bad_requests_on_notifications_point_at_their_parameter() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    for (path, pointer) in [
        ("/v1/me/notifications?unread=maybe", "/unread"),
        ("/v1/me/notifications?limit=0", "/limit"),
        ("/v1/me/notifications?cursor=nope", "/cursor"),
    ] {
        let response = app.get(path, &alice).await;
        assert_eq!(response.status(), 400, "{path}");
        assert_eq!(pointers(&problem(response).await), [pointer], "{path}");
    }
    let response = app
        .request(Method::POST, "/v1/me/notifications/not-a-uuid/read", &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let absent = format!("/v1/me/notifications/{}/read", uuid::Uuid::now_v7());
    assert_eq!(app.post(&absent, &alice, &json!({})).await.status(), 404);
}
