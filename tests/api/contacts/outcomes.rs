//! `POST /v1/cases/{id}/contacts/{contact_id}/outcome`: a planned contact held, cancelled or
//! missed; its effects on the case, the agenda and the calendar feed; the `status` filter of the
//! list; bad input, If-Match, roles, tenancy, audit and the timeline.

use crate::support::agenda::entries_drift;
use crate::support::contacts::{
    add_contact, archive, at, audit_of, contact_path, contacts_path, feed_uids, open_case, outcome,
    plan, read_case, record_outcome, time,
};
use chrono::Utc;
use relais_tests::{TestApp, assert_problem, invalid_at, pointers, problem};
use serde_json::{Value, json};

fn ids(list: &Value) -> Vec<Value> {
    let mut ids: Vec<Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    ids.sort_by_key(|v| v.as_str().unwrap_or_default().to_owned());
    ids
}

fn sorted(mut values: Vec<Value>) -> Vec<Value> {
    values.sort_by_key(|v| v.as_str().unwrap_or_default().to_owned());
    values
}

#[tokio::test]
async fn a_planned_contact_is_held_with_the_effects_of_a_held_contact() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let case = open_case(&app, &alice).await;
    let first = plan(&app, &alice, &case, "first_interview", 1).await;
    assert_eq!(first["status"], "planned");
    assert_eq!(first["outcome_reason"], Value::Null);
    let before = Utc::now();
    let response = record_outcome(
        &app,
        &alice,
        &case,
        &first,
        Some(1),
        &json!({"status": "held", "summary": "  Premier entretien tenu  "}),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["etag"], "\"2\"");
    let held: Value = response.json().await.unwrap();
    assert_eq!(held["status"], "held");
    assert_eq!(held["planned"], false);
    assert_eq!(held["summary"], "Premier entretien tenu");
    assert_eq!(held["scheduled_at"], first["scheduled_at"], "kept");
    let occurred = time(&held["occurred_at"]);
    assert!(occurred >= before - chrono::Duration::seconds(1) && occurred <= Utc::now());
    let after = read_case(&app, &alice, &case).await;
    assert_eq!(after["status"], "assessment", "a first interview held");
    assert_eq!(time(&after["last_contact_at"]), occurred);

    // Held at a given time in the past.
    let call = plan(&app, &alice, &case, "phone_call", 2).await;
    let earlier = at(-3);
    let held = outcome(
        &app,
        &alice,
        &case,
        &call,
        json!({"status": "held", "occurred_at": earlier}),
    )
    .await;
    assert_eq!(time(&held["occurred_at"]), time(&json!(earlier)));
    assert_eq!(
        time(&read_case(&app, &alice, &case).await["last_contact_at"]),
        occurred,
        "never moved back"
    );
    let read: Value = app.get_json(&contact_path(&case, &held), &alice).await;
    assert_eq!(read, held);
}

#[tokio::test]
async fn a_cancelled_or_missed_contact_keeps_its_time_and_reason_and_moves_nothing() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let case = open_case(&app, &alice).await;
    let first = plan(&app, &alice, &case, "first_interview", 24).await;
    let visit = plan(&app, &alice, &case, "home_visit", 48).await;
    let cancelled = outcome(
        &app,
        &alice,
        &case,
        &first,
        json!({"status": "cancelled", "reason": "  La personne est hospitalisée  "}),
    )
    .await;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["planned"], false);
    assert_eq!(cancelled["outcome_reason"], "La personne est hospitalisée");
    assert_eq!(cancelled["scheduled_at"], first["scheduled_at"]);
    assert_eq!(cancelled["occurred_at"], Value::Null);
    assert_eq!(cancelled["version"], 2);
    let missed = outcome(
        &app,
        &alice,
        &case,
        &visit,
        json!({"status": "no_show", "summary": "Porte close, avis de passage laissé"}),
    )
    .await;
    assert_eq!(missed["status"], "no_show");
    assert_eq!(missed["outcome_reason"], Value::Null);
    assert_eq!(missed["summary"], "Porte close, avis de passage laissé");
    assert_eq!(missed["occurred_at"], Value::Null);

    let after = read_case(&app, &alice, &case).await;
    assert_eq!(
        after["status"], "intake",
        "a cancelled first interview moves nothing"
    );
    assert_eq!(after["last_contact_at"], Value::Null);

    // The timeline says what became of each, with the reason; the audit log records updates.
    let timeline: Value = app
        .get_json(&format!("/v1/cases/{}/timeline", case.id), &alice)
        .await;
    let outcomes: Vec<(Value, Value, Value)> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "contact_outcome")
        .map(|e| {
            (
                e["data"]["contact_id"].clone(),
                e["data"]["status"].clone(),
                e["reason"].clone(),
            )
        })
        .collect();
    assert_eq!(outcomes.len(), 2, "{timeline}");
    assert!(outcomes.contains(&(
        first["id"].clone(),
        json!("cancelled"),
        json!("La personne est hospitalisée")
    )));
    assert!(outcomes.contains(&(visit["id"].clone(), json!("no_show"), Value::Null)));
    let audited = audit_of(&app, &case.person_id, "contact").await;
    for contact in [&first, &visit] {
        let id = contact["id"].as_str().unwrap().to_owned();
        assert!(
            audited.contains(&("update".to_owned(), Some(id))),
            "{audited:?}"
        );
    }
}

#[tokio::test]
async fn the_list_filters_by_status() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let case = open_case(&app, &alice).await;
    let planned = plan(&app, &alice, &case, "interview", 24).await;
    let cancelled = plan(&app, &alice, &case, "interview", 48).await;
    outcome(
        &app,
        &alice,
        &case,
        &cancelled,
        json!({"status": "cancelled"}),
    )
    .await;
    let missed = plan(&app, &alice, &case, "home_visit", 72).await;
    outcome(&app, &alice, &case, &missed, json!({"status": "no_show"})).await;
    let held = add_contact(
        &app,
        &alice,
        &case,
        json!({"kind": "phone_call", "occurred_at": at(-1)}),
    )
    .await;
    assert_eq!(held["status"], "held");
    for (query, expected) in [
        ("status=planned", vec![planned["id"].clone()]),
        ("status=held", vec![held["id"].clone()]),
        (
            "status=cancelled,%20no_show",
            vec![cancelled["id"].clone(), missed["id"].clone()],
        ),
        ("planned=true", vec![planned["id"].clone()]),
        ("planned=false", vec![held["id"].clone()]),
        (
            "planned=true&status=planned,held",
            vec![planned["id"].clone()],
        ),
        ("planned=true&status=cancelled", vec![]),
        (
            "kind=interview&status=cancelled",
            vec![cancelled["id"].clone()],
        ),
    ] {
        let page: Value = app
            .get_json(&format!("{}?{query}", contacts_path(&case)), &alice)
            .await;
        assert_eq!(ids(&page), sorted(expected), "{query}");
    }
    let response = app
        .get(
            &format!("{}?status=held,done", contacts_path(&case)),
            &alice,
        )
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(pointers(&problem(response).await), ["/status"]);
}

#[tokio::test]
async fn a_cancelled_or_missed_contact_leaves_the_agenda_and_the_calendar_feed() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let case = open_case(&app, &alice).await;
    let kept = plan(&app, &alice, &case, "interview", 24).await;
    let cancelled = plan(&app, &alice, &case, "home_visit", 30).await;
    let missed = plan(&app, &alice, &case, "phone_call", 36).await;
    let agenda_contacts = |agenda: Value| -> Vec<Value> {
        let mut ids: Vec<Value> = agenda["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["type"] == "contact")
            .map(|i| i["contact_id"].clone())
            .collect();
        ids.sort_by_key(|v| v.as_str().unwrap_or_default().to_owned());
        ids
    };
    let all = sorted(vec![
        kept["id"].clone(),
        cancelled["id"].clone(),
        missed["id"].clone(),
    ]);
    assert_eq!(
        agenda_contacts(app.get_json("/v1/agenda", &alice).await),
        all
    );
    let uid = |c: &Value| c["id"].as_str().unwrap().to_owned();
    let uids = feed_uids(&app, &alice).await;
    assert!(uids.contains(&uid(&cancelled)) && uids.contains(&uid(&missed)));

    outcome(
        &app,
        &alice,
        &case,
        &cancelled,
        json!({"status": "cancelled", "reason": "Reporté à la demande de la personne"}),
    )
    .await;
    outcome(&app, &alice, &case, &missed, json!({"status": "no_show"})).await;
    assert_eq!(
        agenda_contacts(app.get_json("/v1/agenda", &alice).await),
        [kept["id"].clone()]
    );
    let uids = feed_uids(&app, &alice).await;
    assert!(uids.contains(&uid(&kept)), "{uids:?}");
    assert!(!uids.contains(&uid(&cancelled)), "{uids:?}");
    assert!(!uids.contains(&uid(&missed)), "{uids:?}");
    assert_eq!(entries_drift(&app).await, Vec::<String>::new());

    // Held, the last one leaves too; the table still equals a recount.
    outcome(&app, &alice, &case, &kept, json!({"status": "held"})).await;
    assert_eq!(
        agenda_contacts(app.get_json("/v1/agenda", &alice).await),
        Vec::<Value>::new()
    );
    assert_eq!(entries_drift(&app).await, Vec::<String>::new());
}

#[tokio::test]
async fn bad_outcomes_are_refused_with_pointers() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let case = open_case(&app, &alice).await;
    let contact = plan(&app, &alice, &case, "interview", 24).await;
    let long = "x".repeat(501);
    let cases = [
        (json!({"status": "postponed"}), "/status", "invalid_value"),
        (json!({"status": "planned"}), "/status", "not_an_outcome"),
        (
            json!({"status": "cancelled", "reason": "   "}),
            "/reason",
            "blank",
        ),
        (
            json!({"status": "no_show", "reason": long}),
            "/reason",
            "length",
        ),
        (
            json!({"status": "held", "occurred_at": at(2)}),
            "/occurred_at",
            "in_future",
        ),
        (
            json!({"status": "held", "reason": "Venue"}),
            "/reason",
            "not_allowed",
        ),
        (
            json!({"status": "cancelled", "occurred_at": at(-1)}),
            "/occurred_at",
            "not_allowed",
        ),
    ];
    for (body, pointer, code) in cases {
        let response = record_outcome(&app, &alice, &case, &contact, Some(1), &body).await;
        assert_eq!(invalid_at(response, pointer).await, code, "{body}");
    }
    let response = record_outcome(
        &app,
        &alice,
        &case,
        &contact,
        Some(1),
        &json!({"status": "held", "mood": "ok"}),
    )
    .await;
    assert_eq!(response.status(), 400);

    // If-Match: required, and current.
    let body = json!({"status": "cancelled"});
    let response = record_outcome(&app, &alice, &case, &contact, None, &body).await;
    assert_eq!(response.status(), 428);
    let response = record_outcome(&app, &alice, &case, &contact, Some(7), &body).await;
    assert_eq!(response.status(), 412);
    let read: Value = app.get_json(&contact_path(&case, &contact), &alice).await;
    assert_eq!(read["status"], "planned", "nothing was recorded");
    assert_eq!(read["version"], 1);

    // Once its outcome is recorded, a contact takes no other, nor a held time.
    outcome(&app, &alice, &case, &contact, body.clone()).await;
    let again = record_outcome(
        &app,
        &alice,
        &case,
        &contact,
        Some(2),
        &json!({"status": "held"}),
    )
    .await;
    let refused = assert_problem(again, 409, "contact_not_planned").await;
    assert!(refused["detail"].as_str().unwrap().contains("cancelled"));
    let patched = app
        .patch(
            &contact_path(&case, &contact),
            &alice,
            2,
            &json!({"occurred_at": at(-1)}),
        )
        .await;
    assert_problem(patched, 409, "contact_not_planned").await;
    let held = add_contact(
        &app,
        &alice,
        &case,
        json!({"kind": "email", "occurred_at": at(-1)}),
    )
    .await;
    let response = record_outcome(
        &app,
        &alice,
        &case,
        &held,
        Some(1),
        &json!({"status": "no_show"}),
    )
    .await;
    assert_problem(response, 409, "contact_not_planned").await;
    // The summary of a cancelled contact can still be fixed.
    let fixed = app
        .patch(
            &contact_path(&case, &contact),
            &alice,
            2,
            &json!({"summary": "Rappeler en janvier"}),
        )
        .await;
    assert_eq!(fixed.status(), 200);
    let fixed: Value = fixed.json().await.unwrap();
    assert_eq!(fixed["status"], "cancelled");
}

#[tokio::test]
async fn whoever_follows_the_case_records_an_outcome_and_other_organisations_see_nothing() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let case = open_case(&app, &alice).await;
    let contact = plan(&app, &alice, &case, "interview", 24).await;
    let body = json!({"status": "cancelled"});
    for role in ["reception", "admin", "dpo"] {
        let token = app.token(role, "someone");
        let response = record_outcome(&app, &token, &case, &contact, Some(1), &body).await;
        assert_eq!(response.status(), 403, "{role}");
    }
    // A supervisor records the outcome, but the summary is alice's.
    let sue = app.token("supervisor", "sue");
    let with_summary = json!({"status": "cancelled", "summary": "Annulé par téléphone"});
    let response = record_outcome(&app, &sue, &case, &contact, Some(1), &with_summary).await;
    assert_problem(response, 403, "forbidden").await;
    // bob is not on the case's team: it does not exist for him.
    let bob = app.token("worker", "bob");
    let response = record_outcome(&app, &bob, &case, &contact, Some(1), &body).await;
    assert_eq!(response.status(), 404);
    // Another organisation's supervisor: 404 for the case and the contact.
    let other = app.token_for("other", &["supervisor"], "x");
    let response = record_outcome(&app, &other, &case, &contact, Some(1), &body).await;
    assert_eq!(response.status(), 404);
    // A contact of another case of alice's, under this case's path: 404.
    let elsewhere = open_case(&app, &alice).await;
    let foreign = plan(&app, &alice, &elsewhere, "interview", 24).await;
    let response = record_outcome(&app, &alice, &case, &foreign, Some(1), &body).await;
    assert_eq!(response.status(), 404);
    let read: Value = app.get_json(&contact_path(&case, &contact), &alice).await;
    assert_eq!(read["status"], "planned");
    assert!(
        audit_of(&app, &case.person_id, "contact")
            .await
            .iter()
            .all(|(action, _)| action != "update")
    );
    let response = record_outcome(&app, &sue, &case, &contact, Some(1), &body).await;
    assert_eq!(
        response.status(),
        200,
        "a supervisor cancels alice's appointment"
    );

    // An archived case is read-only.
    archive(&app, &case).await;
    let response = record_outcome(&app, &alice, &case, &contact, Some(1), &body).await;
    assert_problem(response, 409, "case_archived").await;
}
