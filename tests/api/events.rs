//! The organisation's change feed (`GET /v1/events`): each state change reported once, in
//! order, with identifiers, codes and dates only; a cursor that neither skips nor repeats an
//! event while transactions commit out of order; who may read it; bad parameters.

mod due;
mod subscriptions;

use std::collections::HashSet;
use std::time::Duration;

use relais_tests::{TestApp, assert_conforms, assert_problem, pointers, problem, today};
use serde_json::{Value, json};
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

use crate::support::applications::Apps;
use crate::support::liaisons::{Liaisons, named};
use crate::support::referrals::{Referrals, expire_now, referral};

/// Every event after `after` (all pages), as `token`; the events and the last cursor.
async fn read_all(app: &TestApp, token: &str, after: Option<&str>) -> (Vec<Value>, Option<String>) {
    let mut events = Vec::new();
    let mut cursor = after.map(str::to_owned);
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/events?limit=3&after={c}"),
            None => "/v1/events?limit=3".to_owned(),
        };
        let page = app.get_json(&path, token).await;
        assert_conforms("EventFeed", &page);
        let items = page["items"].as_array().unwrap().clone();
        let next = page["next_cursor"].as_str().map(str::to_owned);
        if items.is_empty() {
            assert_eq!(next, cursor, "an empty page keeps the cursor");
            return (events, cursor);
        }
        assert_eq!(
            next.as_deref(),
            items.last().unwrap()["cursor"].as_str(),
            "the next cursor is the last event's"
        );
        events.extend(items);
        cursor = next;
    }
}

/// The same, waiting (5 s at most) until `count` events show: an event shows once every
/// transaction older than its own has ended, and the background worker's may still run.
async fn read_at_least(
    app: &TestApp,
    token: &str,
    after: Option<&str>,
    count: usize,
) -> (Vec<Value>, Option<String>) {
    let mut events = Vec::new();
    let mut cursor = after.map(str::to_owned);
    for _ in 0..500 {
        let (page, next) = read_all(app, token, cursor.as_deref()).await;
        events.extend(page);
        cursor = next;
        if events.len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (events, cursor)
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

/// Whether any string of `value` contains `needle`.
fn mentions(value: &Value, needle: &str) -> bool {
    value.to_string().contains(needle)
}

#[tokio::test]
async fn a_case_s_life_is_reported_in_order_without_names() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let sam = app.token("supervisor", "sam");
    let (none, start) = read_all(&app, &sam, None).await;
    assert!(none.is_empty() && start.is_none());

    let case = app.create_case(&alice).await;
    let case_id = case["id"].as_str().unwrap();
    let alice_id = app.agent_id(&alice).await.to_string();
    let bob = app.token("worker", "bob");
    let bob_id = app.agent_id(&bob).await.to_string();
    app.assign_referent(&sam, &case, &bob_id).await;
    app.close_case(&sam, case_id).await;

    let (events, cursor) = read_at_least(&app, &sam, None, 4).await;
    assert_eq!(
        types(&events),
        [
            "case.opened",
            "case.assigned",
            "case.assigned",
            "case.status_changed"
        ]
    );
    let opened = &events[0]["data"];
    assert_eq!(opened["case_id"], case_id);
    assert_eq!(opened["person_id"], case["person_id"]);
    assert_eq!(opened["status"], "intake");
    assert_eq!(opened["origin"], "self");
    assert_eq!(opened["opened_on"], today().to_string());
    assert_eq!(
        events[1]["data"],
        json!({"case_id": case_id, "referent_id": alice_id})
    );
    assert_eq!(
        events[2]["data"],
        json!({"case_id": case_id, "referent_id": bob_id, "previous_referent_id": alice_id})
    );
    let closed = &events[3]["data"];
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["previous_status"], "intake");
    assert_eq!(closed["closure_reason"], "goals_met");
    for event in &events {
        assert!(!mentions(event, "Camille") && !mentions(event, "Lefèvre"));
        assert!(!mentions(event, "loyer"), "no free text: {event}");
    }
    let ids: HashSet<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), events.len());

    // Read on from the cursor: nothing new, then only what follows.
    let (again, same) = read_all(&app, &sam, cursor.as_deref()).await;
    assert!(again.is_empty());
    assert_eq!(same, cursor);
    app.create_case(&alice).await;
    let (more, _) = read_at_least(&app, &sam, cursor.as_deref(), 2).await;
    assert_eq!(types(&more), ["case.opened", "case.assigned"]);

    // Some types only; an administrator reads the feed too.
    let admin = app.token("admin", "ada");
    let page = app
        .get_json(
            "/v1/events?types=case.status_changed,%20case.opened",
            &admin,
        )
        .await;
    assert_eq!(
        types(page["items"].as_array().unwrap()),
        ["case.opened", "case.status_changed", "case.opened"]
    );
    // The organisation next door sees none of it.
    let other = app.token_for("other", &["supervisor"], "olga");
    let page = app.get_json("/v1/events", &other).await;
    assert_eq!(page["items"], json!([]));
    // Identifiers, codes and dates only: reading the feed is not an access to a person's data
    // (reading the records it names is, and is audited there).
    let audited = app.count("SELECT count(*) FROM audit_events").await;
    let (events, _) = read_at_least(&app, &sam, None, 6).await;
    assert_eq!(events.len(), 6);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events").await,
        audited
    );
}

#[tokio::test]
async fn referrals_liaisons_and_applications_are_reported() {
    // A referral received, then expired unanswered.
    let r = Referrals::new().await;
    let posted = r.posted(&referral()).await;
    let id = posted["id"].as_str().unwrap();
    expire_now(&r.app, id).await;
    let (events, _) = read_at_least(&r.app, &r.supervisor, None, 2).await;
    assert_eq!(types(&events), ["referral.received", "referral.expired"]);
    let partner_id = r.partner.id.to_string();
    assert_eq!(events[0]["data"]["referral_id"], id);
    assert_eq!(events[0]["data"]["partner_id"], partner_id.as_str());
    assert_eq!(events[0]["data"]["urgency"], posted["urgency"]);
    assert_eq!(events[0]["data"]["domains"], posted["domains"]);
    assert_eq!(events[1]["data"]["referral_id"], id);
    for event in &events {
        let text = event.to_string();
        for field in ["first_name", "last_name", "reason", "referrer_name"] {
            let value = posted["person"][field].as_str().or(posted[field].as_str());
            if let Some(value) = value {
                assert!(!text.contains(value), "{field} in {text}");
            }
        }
    }

    // Liaison sheets acknowledged and declined.
    let l = Liaisons::new().await;
    let sam = l.app.token("supervisor", "sam");
    let (before, cursor) = read_at_least(&l.app, &sam, None, 2).await;
    assert_eq!(types(&before), ["case.opened", "case.assigned"]);
    let mut answered = Vec::new();
    for status in ["acknowledged", "declined"] {
        let draft = l.draft(&named(&["identity"], "shared_secrecy")).await;
        let sent: Value = l.send(&draft).await.json().await.unwrap();
        assert_eq!(l.answer(&sent, status).await.status(), 200);
        answered.push(sent["id"].as_str().unwrap().to_owned());
    }
    let (events, _) = read_at_least(&l.app, &sam, cursor.as_deref(), 2).await;
    assert_eq!(types(&events), ["liaison.acknowledged", "liaison.declined"]);
    let alice_id = l.app.agent_id(&l.alice).await.to_string();
    for (event, (id, status)) in events
        .iter()
        .zip(answered.iter().zip(["acknowledged", "declined"]))
    {
        assert_eq!(event["data"]["liaison_id"], id.as_str());
        assert_eq!(event["data"]["case_id"], l.case_id.as_str());
        assert_eq!(event["data"]["status"], status);
        assert_eq!(event["data"]["sent_by"], alice_id.as_str());
        assert!(event["data"]["answered_at"].is_string());
    }

    // An application decided.
    let a = Apps::new().await;
    let sam = a.app.token("supervisor", "sam");
    let submitted = a.submitted_fsl().await;
    let created = &submitted;
    // The case's opening and assignment: read past them.
    let (_, cursor) = read_at_least(&a.app, &sam, None, 2).await;
    a.moved(
        &submitted,
        &json!({"to": "decided", "decision": "refused", "decided_on": today(),
                "reason": "Plafond de ressources dépassé"}),
    )
    .await;
    let (events, _) = read_at_least(&a.app, &sam, cursor.as_deref(), 1).await;
    assert_eq!(types(&events), ["application.decided"]);
    let data = &events[0]["data"];
    assert_eq!(data["application_id"], created["id"]);
    assert_eq!(data["case_id"], a.case_id.as_str());
    assert_eq!(data["scheme_id"], created["scheme_id"]);
    assert_eq!(data["decision"], "refused");
    assert_eq!(data["decided_on"], today().to_string());
    assert!(data.get("amount_granted_cents").is_none());
    assert!(!mentions(&events[0], "Plafond"));
}

#[tokio::test]
async fn the_cursor_neither_skips_nor_repeats_across_out_of_order_commits() {
    let app = TestApp::spawn().await;
    let sam = app.token("supervisor", "sam");
    let org = app.org.id;
    let pool = PgPoolOptions::new()
        .max_connections(10)
        .connect_with(app.db_options.clone())
        .await
        .unwrap();
    let insert = "INSERT INTO events (org_id, type, subject_id, data) \
                  VALUES ($1, 'case.assigned', $2, jsonb_build_object('case_id', $2, 'referent_id', $2)) \
                  RETURNING id";

    // A transaction that began first commits last: the feed waits for it.
    let mut first = pool.begin().await.unwrap();
    let early: Uuid = sqlx::query_scalar(insert)
        .bind(org)
        .bind(Uuid::now_v7())
        .fetch_one(&mut *first)
        .await
        .unwrap();
    let mut second = pool.begin().await.unwrap();
    let late: Uuid = sqlx::query_scalar(insert)
        .bind(org)
        .bind(Uuid::now_v7())
        .fetch_one(&mut *second)
        .await
        .unwrap();
    second.commit().await.unwrap();
    let (seen, cursor) = read_all(&app, &sam, None).await;
    assert!(
        seen.is_empty(),
        "nothing shows while an older transaction runs"
    );
    first.commit().await.unwrap();
    let (seen, cursor) = read_at_least(&app, &sam, cursor.as_deref(), 2).await;
    let ids: Vec<String> = seen
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, [early.to_string(), late.to_string()]);

    // Many writers committing in any order while a reader polls: each event read exactly once.
    let writers: Vec<_> = (0..6)
        .map(|w| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let mut written = Vec::new();
                for i in 0..15u64 {
                    let mut tx = pool.begin().await.unwrap();
                    for _ in 0..2 {
                        let id: Uuid = sqlx::query_scalar(insert)
                            .bind(org)
                            .bind(Uuid::now_v7())
                            .fetch_one(&mut *tx)
                            .await
                            .unwrap();
                        written.push(id.to_string());
                    }
                    tokio::time::sleep(Duration::from_millis((w * 7 + i * 3) % 20)).await;
                    tx.commit().await.unwrap();
                }
                written
            })
        })
        .collect();
    let mut read = Vec::new();
    let mut cursor = cursor;
    while !writers.iter().all(|w| w.is_finished()) {
        let (page, next) = read_all(&app, &sam, cursor.as_deref()).await;
        read.extend(page.iter().map(|e| e["id"].as_str().unwrap().to_owned()));
        cursor = next;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut written = Vec::new();
    for w in writers {
        written.extend(w.await.unwrap());
    }
    let missing = written.len().saturating_sub(read.len());
    let (rest, _) = read_at_least(&app, &sam, cursor.as_deref(), missing).await;
    read.extend(rest.iter().map(|e| e["id"].as_str().unwrap().to_owned()));
    let unique: HashSet<&String> = read.iter().collect();
    assert_eq!(unique.len(), read.len(), "an event was read twice");
    assert_eq!(
        unique,
        written.iter().collect::<HashSet<_>>(),
        "an event was skipped"
    );
    // Each transaction's events come together, in their order.
    for pair in written.chunks(2) {
        let at = read.iter().position(|id| *id == pair[0]).unwrap();
        assert_eq!(read[at + 1], pair[1]);
    }
}

#[tokio::test]
async fn only_supervisors_and_administrators_read_the_feed_and_bad_parameters_are_pointed_at() {
    let app = TestApp::spawn().await;
    for role in ["worker", "reception", "dpo"] {
        let token = app.token(role, "someone");
        assert_problem(app.get("/v1/events", &token).await, 403, "forbidden").await;
    }
    let sam = app.token("supervisor", "sam");
    for (query, parameter) in [
        ("after=not-a-cursor", "after"),
        ("types=case.closed", "types"),
        ("types=case.opened,nothing", "types"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=many", "limit"),
    ] {
        let response = app.get(&format!("/v1/events?{query}"), &sam).await;
        assert_eq!(response.status(), 400, "{query}");
        let problem = problem(response).await;
        assert_eq!(problem["code"], "invalid_parameter", "{query}");
        assert_eq!(pointers(&problem), [format!("/{parameter}")], "{query}");
    }
    assert_eq!(
        app.get("/v1/events?types=&after=", &sam).await.status(),
        200
    );
}
