//! Group sessions (`POST /v1/group-sessions`) with attendance and place, contacts on closed and
//! archived cases, and planned contacts in the agenda (`GET /v1/agenda`) and its calendar feed.

use crate::support::contacts::{
    Case, add_contact, archive, at, audit_of, close, contact_path, contacts_path, open_case, plan,
    read_case, stamp, time,
};
use ical::parser::ical::component::IcalEvent;
use relais_tests::{TestApp, assert_problem, pointers, problem};
use serde_json::{Value, json};

async fn session(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    app.post("/v1/group-sessions", token, body).await
}

#[tokio::test]
async fn a_group_session_shows_in_each_case_and_moves_each_last_contact() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let cases = [open_case(&app, &alice).await, open_case(&app, &alice).await];
    let when = at(-3);
    let body = json!({
        "case_ids": [cases[0].id, cases[1].id],
        "occurred_at": when,
        "topic": "Atelier budget",
        "summary": "Les aides à l'énergie"
    });
    let response = session(&app, &alice, &body).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["case_ids"], json!([cases[0].id, cases[1].id]));
    assert_eq!(created["topic"], "Atelier budget");
    assert_eq!(created["summary"], "Les aides à l'énergie");
    assert_eq!(time(&created["occurred_at"]), time(&json!(when)));
    for case in &cases {
        let list: Value = app.get_json(&contacts_path(case), &alice).await;
        let contact = &list["items"][0];
        assert_eq!(contact["kind"], "group_session");
        assert_eq!(contact["group_session_id"], created["id"]);
        assert_eq!(contact["planned"], false);
        assert_eq!(contact["summary"], "Les aides à l'énergie");
        let case_json = read_case(&app, &alice, case).await;
        assert_eq!(time(&case_json["last_contact_at"]), time(&json!(when)));
        let audited = audit_of(&app, &case.person_id, "group_session").await;
        assert_eq!(
            audited,
            [(
                "create".to_owned(),
                Some(created["id"].as_str().unwrap().to_owned())
            )]
        );
    }
}

#[tokio::test]
async fn a_group_session_needs_visible_open_cases_and_valid_fields() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let bob = app.token("worker", "bob");
    let mine = open_case(&app, &alice).await;
    let bobs = open_case(&app, &bob).await;
    let archived = open_case(&app, &alice).await;
    archive(&app, &archived).await;
    let response = session(
        &app,
        &alice,
        &json!({"case_ids": [mine.id, bobs.id, archived.id, mine.id],
                "occurred_at": at(-1), "topic": "Atelier"}),
    )
    .await;
    assert_eq!(response.status(), 422);
    assert_eq!(pointers(&problem(response).await), ["/case_ids/3"]);
    let response = session(
        &app,
        &alice,
        &json!({"case_ids": [mine.id, bobs.id, archived.id],
                "occurred_at": at(-1), "topic": "Atelier"}),
    )
    .await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        pointers(&problem(response).await),
        ["/case_ids/1", "/case_ids/2"]
    );
    for (body, expected) in [
        (
            json!({"case_ids": [], "occurred_at": at(-1), "topic": "Atelier"}),
            "/case_ids",
        ),
        (
            json!({"case_ids": [mine.id], "occurred_at": at(3), "topic": "Atelier"}),
            "/occurred_at",
        ),
        (
            json!({"case_ids": [mine.id], "occurred_at": at(-1), "topic": "  "}),
            "/topic",
        ),
    ] {
        let response = session(&app, &alice, &body).await;
        assert_eq!(response.status(), 422, "{body}");
        assert_eq!(pointers(&problem(response).await), [expected], "{body}");
    }
    let too_many: Vec<String> = (0..31).map(|_| mine.id.clone()).collect();
    let response = session(
        &app,
        &alice,
        &json!({"case_ids": too_many, "occurred_at": at(-1), "topic": "Atelier"}),
    )
    .await;
    assert_eq!(response.status(), 422);
    let list: Value = app.get_json(&contacts_path(&mine), &alice).await;
    assert_eq!(list["items"], json!([]), "nothing was recorded");

    for role in ["reception", "admin", "dpo"] {
        let token = app.token(role, "someone");
        let body = json!({"case_ids": [mine.id], "occurred_at": at(-1), "topic": "Atelier"});
        assert_eq!(session(&app, &token, &body).await.status(), 403, "{role}");
    }
    let other = app.token_for("other", &["supervisor"], "x");
    let body = json!({"case_ids": [mine.id], "occurred_at": at(-1), "topic": "Atelier"});
    let response = session(&app, &other, &body).await;
    assert_eq!(pointers(&problem(response).await), ["/case_ids/0"]);
}

#[tokio::test]
async fn a_group_session_records_who_attended_and_where_and_each_case_shows_it() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let cases = [
        open_case(&app, &alice).await,
        open_case(&app, &alice).await,
        open_case(&app, &alice).await,
    ];
    let when = at(-2);
    let body = json!({
        "participants": [
            {"case_id": cases[0].id, "attended": true},
            {"case_id": cases[1].id, "attended": false},
            {"case_id": cases[2].id, "attended": true},
        ],
        "occurred_at": when,
        "topic": "Atelier budget",
        "place": "  Salle 2, CCAS  ",
    });
    let response = session(&app, &alice, &body).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["place"], "Salle 2, CCAS");
    assert_eq!(created["topic"], "Atelier budget");
    assert_eq!(
        created["participants"],
        json!([
            {"case_id": cases[0].id, "attended": true},
            {"case_id": cases[1].id, "attended": false},
            {"case_id": cases[2].id, "attended": true},
        ])
    );
    assert_eq!(
        created["case_ids"],
        json!([cases[0].id, cases[1].id, cases[2].id])
    );
    for (case, attended) in [(&cases[0], true), (&cases[1], false), (&cases[2], true)] {
        let list: Value = app.get_json(&contacts_path(case), &alice).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        let contact = &list["items"][0];
        assert_eq!(contact["kind"], "group_session");
        assert_eq!(
            contact["group_session"],
            json!({"id": created["id"], "topic": "Atelier budget", "place": "Salle 2, CCAS"})
        );
        assert_eq!(contact["group_session_id"], created["id"]);
        let case_json = read_case(&app, &alice, case).await;
        if attended {
            assert_eq!(contact["status"], "held");
            assert_eq!(time(&contact["occurred_at"]), time(&json!(when)));
            assert_eq!(time(&case_json["last_contact_at"]), time(&json!(when)));
        } else {
            // The absence shows in the case; it moves nothing.
            assert_eq!(contact["status"], "no_show");
            assert_eq!(contact["occurred_at"], Value::Null);
            assert_eq!(time(&contact["scheduled_at"]), time(&json!(when)));
            assert_eq!(case_json["last_contact_at"], Value::Null);
        }
        // The single contact reads the same.
        let read: Value = app.get_json(&contact_path(case, contact), &alice).await;
        assert_eq!(&read, contact);
        let audited = audit_of(&app, &case.person_id, "group_session").await;
        assert_eq!(audited.len(), 1, "{audited:?}");
        let timeline: Value = app
            .get_json(&format!("/v1/cases/{}/timeline", case.id), &alice)
            .await;
        let event = timeline["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "contact_created")
            .unwrap();
        assert_eq!(event["data"]["status"], contact["status"]);
        assert_eq!(event["data"]["group_session_id"], created["id"]);
    }
    let missed: Value = app
        .get_json(
            &format!("{}?status=no_show", contacts_path(&cases[1])),
            &alice,
        )
        .await;
    assert_eq!(missed["items"].as_array().unwrap().len(), 1);
    // Without a place, it is null.
    let response = session(
        &app,
        &alice,
        &json!({"participants": [{"case_id": cases[0].id, "attended": true}],
                "occurred_at": at(-1), "topic": "Atelier logement"}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["place"], Value::Null);
    let list: Value = app.get_json(&contacts_path(&cases[0]), &alice).await;
    assert_eq!(
        list["items"][0]["group_session"]["topic"],
        "Atelier logement"
    );
    assert_eq!(list["items"][0]["group_session"]["place"], Value::Null);
}

#[tokio::test]
async fn a_group_session_takes_participants_or_case_ids_and_points_at_each_entry() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let bob = app.token("worker", "bob");
    let mine = open_case(&app, &alice).await;
    let bobs = open_case(&app, &bob).await;
    let archived = open_case(&app, &alice).await;
    archive(&app, &archived).await;
    let entry = |case: &Case, attended: bool| json!({"case_id": case.id, "attended": attended});
    let response = session(
        &app,
        &alice,
        &json!({"participants": [entry(&mine, true), entry(&bobs, true), entry(&archived, false),
                                 entry(&mine, false)],
                "occurred_at": at(-1), "topic": "Atelier"}),
    )
    .await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        pointers(&problem(response).await),
        ["/participants/3/case_id"]
    );
    let response = session(
        &app,
        &alice,
        &json!({"participants": [entry(&mine, true), entry(&bobs, true), entry(&archived, false)],
                "occurred_at": at(-1), "topic": "Atelier"}),
    )
    .await;
    assert_eq!(response.status(), 422);
    let refused = problem(response).await;
    assert_eq!(
        pointers(&refused),
        ["/participants/1/case_id", "/participants/2/case_id"]
    );
    assert_eq!(refused["errors"][0]["code"], "unknown_reference");
    assert_eq!(refused["errors"][1]["code"], "case_archived");
    for (body, expected) in [
        (
            json!({"participants": [entry(&mine, true)], "case_ids": [mine.id],
                   "occurred_at": at(-1), "topic": "Atelier"}),
            "/participants",
        ),
        (
            json!({"occurred_at": at(-1), "topic": "Atelier"}),
            "/participants",
        ),
        (
            json!({"participants": [], "occurred_at": at(-1), "topic": "Atelier"}),
            "/participants",
        ),
        (
            json!({"participants": [entry(&mine, true)], "occurred_at": at(-1),
                   "topic": "Atelier", "place": "   "}),
            "/place",
        ),
        (
            json!({"participants": [entry(&mine, true)], "occurred_at": at(-1),
                   "topic": "Atelier", "place": "x".repeat(201)}),
            "/place",
        ),
        (
            json!({"participants": [{"case_id": mine.id}], "occurred_at": at(-1),
                   "topic": "Atelier"}),
            "/participants/0/attended",
        ),
    ] {
        let response = session(&app, &alice, &body).await;
        assert_eq!(response.status(), 422, "{body}");
        assert_eq!(pointers(&problem(response).await), [expected], "{body}");
    }
    let list: Value = app.get_json(&contacts_path(&mine), &alice).await;
    assert_eq!(list["items"], json!([]), "nothing was recorded");
    // `case_ids` still means every case attended.
    let response = session(
        &app,
        &alice,
        &json!({"case_ids": [mine.id], "occurred_at": at(-1), "topic": "Atelier"}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(
        created["participants"],
        json!([{"case_id": mine.id, "attended": true}])
    );
}

#[tokio::test]
async fn a_closed_case_takes_a_post_closure_review_but_not_an_interview() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let open = open_case(&app, &alice).await;
    let response = app
        .post(
            &contacts_path(&open),
            &alice,
            &json!({"kind": "post_closure_review", "occurred_at": at(-1)}),
        )
        .await;
    assert_problem(response, 409, "case_not_closed").await;

    let case = open_case(&app, &alice).await;
    close(&app, &alice, &case).await;
    let response = app
        .post(
            &contacts_path(&case),
            &alice,
            &json!({"kind": "interview", "occurred_at": at(-1)}),
        )
        .await;
    assert_eq!(response.status(), 409);
    assert_eq!(
        problem(response).await["code"],
        "contact_kind_not_allowed_when_closed"
    );
    let review = add_contact(
        &app,
        &alice,
        &case,
        json!({"kind": "post_closure_review", "occurred_at": at(-1),
               "outcome": "Orientation vers la mission locale suivie"}),
    )
    .await;
    assert_eq!(
        review["outcome"],
        "Orientation vers la mission locale suivie"
    );
    add_contact(
        &app,
        &alice,
        &case,
        // An hour before the review: the review stays the last contact, whatever the clock.
        json!({"kind": "phone_call", "occurred_at": at(-2), "summary": "Réponse CAF reçue"}),
    )
    .await;
    let after = read_case(&app, &alice, &case).await;
    assert_eq!(after["status"], "closed", "not reopened");
    assert_eq!(
        time(&after["last_contact_at"]),
        time(&review["occurred_at"])
    );
}

#[tokio::test]
async fn an_archived_case_takes_no_contact_and_its_contacts_no_change() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let case = open_case(&app, &alice).await;
    let contact = plan(&app, &alice, &case, "interview", 2).await;
    archive(&app, &case).await;
    let response = app
        .post(
            &contacts_path(&case),
            &alice,
            &json!({"kind": "phone_call", "occurred_at": at(-1)}),
        )
        .await;
    assert_problem(response, 409, "case_archived").await;
    let path = contact_path(&case, &contact);
    let response = app.patch(&path, &alice, 1, &json!({"summary": "x"})).await;
    assert_problem(response, 409, "case_archived").await;
    // Reading an archived case's contacts needs a reason.
    assert_eq!(app.get(&path, &alice).await.status(), 400);
    let reason = app
        .get(&format!("{path}?reason=Demande%20d'acc%C3%A8s"), &alice)
        .await;
    assert_eq!(reason.status(), 200);
}

async fn agenda(app: &TestApp, token: &str, query: &str) -> Value {
    let response = app.get(&format!("/v1/agenda?{query}"), token).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn contact_entries(agenda: &Value) -> Vec<Value> {
    agenda["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["type"] == "contact")
        .cloned()
        .collect()
}

/// alice plans an interview in two days and a visit in 60 days; a held call is no event.
async fn planned(app: &TestApp, alice: &str) -> (Case, Value) {
    let case = open_case(app, alice).await;
    let soon = plan(app, alice, &case, "interview", 48).await;
    plan(app, alice, &case, "home_visit", 24 * 60).await;
    add_contact(
        app,
        alice,
        &case,
        json!({"kind": "phone_call", "occurred_at": at(-1)}),
    )
    .await;
    (case, soon)
}

#[tokio::test]
async fn planned_contacts_in_the_range_appear_in_the_agenda_of_the_team() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let bob = app.token("worker", "bob");
    let (case, soon) = planned(&app, &alice).await;
    let body = agenda(&app, &alice, "").await;
    let entries = contact_entries(&body);
    assert_eq!(entries.len(), 1, "{body}");
    let entry = &entries[0];
    assert_eq!(entry["contact_id"], soon["id"]);
    assert_eq!(entry["item_id"], Value::Null);
    assert_eq!(entry["case_id"], case.id.as_str());
    assert_eq!(entry["kind"], "interview");
    assert_eq!(entry["title"], "Entretien");
    assert_eq!(time(&entry["scheduled_at"]), time(&soon["scheduled_at"]));
    assert_eq!(
        entry["due_on"],
        time(&soon["scheduled_at"]).date_naive().to_string()
    );
    assert_eq!(entry["person_name"], "Camille Lefèvre");

    let to = (chrono::Utc::now() + chrono::Duration::days(90)).date_naive();
    let wide = agenda(&app, &alice, &format!("to={to}")).await;
    assert_eq!(contact_entries(&wide).len(), 2);
    assert!(contact_entries(&agenda(&app, &bob, "").await).is_empty());

    // Once held, it leaves the agenda.
    let path = contact_path(&case, &soon);
    let response = app
        .patch(
            &path,
            &alice,
            1,
            &json!({"occurred_at": stamp(chrono::Utc::now())}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(contact_entries(&agenda(&app, &alice, "").await).is_empty());
}

#[tokio::test]
async fn deadlines_carry_their_type_and_a_closed_cases_review_stays_in_the_agenda() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let case = open_case(&app, &alice).await;
    let due = (chrono::Utc::now() + chrono::Duration::days(3)).date_naive();
    let response = app
        .post(
            &format!("/v1/cases/{}/plan/items", case.id),
            &alice,
            &json!({"party": "worker", "category": "investigation", "domain": "housing",
                    "title": "Appeler le bailleur", "due_on": due}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let body = agenda(&app, &alice, "").await;
    assert_eq!(body["items"][0]["type"], "deadline");
    assert_eq!(body["items"][0]["contact_id"], Value::Null);

    let closed = open_case(&app, &alice).await;
    close(&app, &alice, &closed).await;
    plan(&app, &alice, &closed, "post_closure_review", 24).await;
    let entries = contact_entries(&agenda(&app, &alice, "").await);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["kind"], "post_closure_review");
}

#[tokio::test]
async fn the_calendar_feed_has_a_timed_event_per_planned_contact() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let (_, soon) = planned(&app, &alice).await;
    let created: Value = app
        .post("/v1/agenda/feed-token", &alice, &Value::Null)
        .await
        .json()
        .await
        .unwrap();
    let url = created["feed_url"].as_str().unwrap();
    let text = reqwest::get(url).await.unwrap().text().await.unwrap();
    let mut parser = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()));
    let calendar = parser.next().unwrap().unwrap();
    let value = |e: &IcalEvent, name: &str| -> String {
        e.properties
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
            .unwrap_or_default()
    };
    let uid = format!("{}@relais", soon["id"].as_str().unwrap());
    let event = calendar
        .events
        .iter()
        .find(|e| value(e, "UID") == uid)
        .expect("the planned interview is an event");
    let start = time(&soon["scheduled_at"]);
    assert_eq!(
        value(event, "DTSTART"),
        start.format("%Y%m%dT%H%M%SZ").to_string()
    );
    let end = start + chrono::Duration::hours(1);
    assert_eq!(
        value(event, "DTEND"),
        end.format("%Y%m%dT%H%M%SZ").to_string()
    );
    assert_eq!(value(event, "SUMMARY"), "Entretien — Camille L.");
    assert_eq!(
        calendar.events.len(),
        2,
        "the visit in 60 days too, not the call"
    );
}
