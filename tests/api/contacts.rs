//! `GET/POST /v1/cases/{id}/contacts` and `GET/PATCH …/{contact_id}`: planned and held
//! contacts, validation pointers, the first interview's transition, the retention clock, the
//! author-only PATCH with If-Match, roles, tenancy and audit. The private note is in
//! `contacts::privacy`; outcomes (held, cancelled, missed) in `contacts::outcomes`; group
//! sessions, closed cases and the agenda in `contacts::sessions`.

mod outcomes;
mod privacy;
mod sessions;

use crate::support::contacts::{
    add_contact, at, audit_of, contact_path, contacts_path, open_case, plan, read_case, time,
};
use relais_tests::{TestApp, assert_problem, pointers, problem};
use serde_json::{Value, json};

#[tokio::test]
async fn a_worker_records_a_planned_and_a_held_contact() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let case = open_case(&app, &alice).await;
    let response = app
        .post(
            &contacts_path(&case),
            &alice,
            &json!({"kind": "home_visit", "scheduled_at": at(48),
                    "participants": ["Camille Lefèvre", " Mme Roux, CAF "]}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(response.headers()["etag"], "\"1\"");
    let planned: Value = response.json().await.unwrap();
    assert_eq!(location, contact_path(&case, &planned));
    assert_eq!(planned["kind"], "home_visit");
    assert_eq!(planned["planned"], true);
    assert_eq!(planned["occurred_at"], Value::Null);
    assert_eq!(
        planned["participants"],
        json!(["Camille Lefèvre", "Mme Roux, CAF"])
    );
    assert_eq!(
        planned["author_id"],
        app.agent_id(&alice).await.to_string().as_str()
    );

    let held = add_contact(
        &app,
        &alice,
        &case,
        json!({"kind": "phone_call", "occurred_at": at(-2), "summary": "Point sur le FSL",
               "outcome": "Dossier à compléter"}),
    )
    .await;
    assert_eq!(held["planned"], false);
    assert_eq!(held["summary"], "Point sur le FSL");
    assert_eq!(held["outcome"], "Dossier à compléter");

    let read = app.get(&contact_path(&case, &held), &alice).await;
    assert_eq!(read.status(), 200);
    assert_eq!(read.headers()["etag"], "\"1\"");
    let read: Value = read.json().await.unwrap();
    assert_eq!(read, held);
}

#[tokio::test]
async fn the_list_is_newest_first_paged_and_filtered_by_kind_and_planned() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let case = open_case(&app, &alice).await;
    let old = add_contact(
        &app,
        &alice,
        &case,
        json!({"kind": "email", "occurred_at": at(-72)}),
    )
    .await;
    let future = plan(&app, &alice, &case, "interview", 24).await;
    let recent = add_contact(
        &app,
        &alice,
        &case,
        json!({"kind": "phone_call", "occurred_at": at(-1)}),
    )
    .await;
    let ids = |v: &Value| -> Vec<Value> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].clone())
            .collect()
    };
    let all: Value = app.get_json(&contacts_path(&case), &alice).await;
    assert_eq!(
        ids(&all),
        [
            future["id"].clone(),
            recent["id"].clone(),
            old["id"].clone()
        ]
    );

    let first: Value = app
        .get_json(&format!("{}?limit=2", contacts_path(&case)), &alice)
        .await;
    assert_eq!(ids(&first).len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second: Value = app
        .get_json(
            &format!("{}?limit=2&cursor={cursor}", contacts_path(&case)),
            &alice,
        )
        .await;
    assert_eq!(ids(&second), [old["id"].clone()]);
    assert_eq!(second["next_cursor"], Value::Null);

    for (query, expected) in [
        ("planned=true", vec![future["id"].clone()]),
        (
            "planned=false",
            vec![recent["id"].clone(), old["id"].clone()],
        ),
        ("kind=email", vec![old["id"].clone()]),
    ] {
        let page: Value = app
            .get_json(&format!("{}?{query}", contacts_path(&case)), &alice)
            .await;
        assert_eq!(ids(&page), expected, "{query}");
    }
    let response = app
        .get(&format!("{}?kind=visit", contacts_path(&case)), &alice)
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(pointers(&problem(response).await), ["/kind"]);
}

#[tokio::test]
async fn bad_contacts_are_refused_with_pointers() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let case = open_case(&app, &alice).await;
    let long = "x".repeat(10_001);
    let cases = [
        (json!({"kind": "interview"}), 422, vec!["/scheduled_at"]),
        (
            json!({"kind": "interview", "scheduled_at": at(1), "occurred_at": at(-1)}),
            422,
            vec!["/scheduled_at"],
        ),
        (
            json!({"kind": "interview", "occurred_at": at(2)}),
            422,
            vec!["/occurred_at"],
        ),
        (
            json!({"kind": "interview", "occurred_at": at(-1), "summary": long}),
            422,
            vec!["/summary"],
        ),
        (
            json!({"kind": "interview", "occurred_at": at(-1), "participants": ["ok", " "]}),
            422,
            vec!["/participants/1"],
        ),
        (
            json!({"kind": "interview", "occurred_at": at(-1),
                   "participants": vec!["p"; 21]}),
            422,
            vec!["/participants"],
        ),
        (
            json!({"kind": "visit", "occurred_at": at(-1)}),
            422,
            vec!["/kind"],
        ),
        (
            json!({"kind": "interview", "occurred_at": at(-1), "mood": "ok"}),
            400,
            vec!["/mood"],
        ),
    ];
    for (body, status, expected) in cases {
        let response = app.post(&contacts_path(&case), &alice, &body).await;
        assert_eq!(response.status(), status, "{body}");
        assert_eq!(pointers(&problem(response).await), expected, "{body}");
    }
    let list: Value = app.get_json(&contacts_path(&case), &alice).await;
    assert_eq!(list["items"], json!([]), "nothing was recorded");
}

#[tokio::test]
async fn a_held_first_interview_moves_an_intake_case_to_assessment() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let case = open_case(&app, &alice).await;
    // Planned: nothing moves yet.
    let planned = plan(&app, &alice, &case, "first_interview", 2).await;
    assert_eq!(read_case(&app, &alice, &case).await["status"], "intake");

    let response = app
        .patch(
            &contact_path(&case, &planned),
            &alice,
            1,
            &json!({"occurred_at": at(0), "summary": "Premier entretien tenu"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["etag"], "\"2\"");
    let held: Value = response.json().await.unwrap();
    assert_eq!(held["planned"], false);
    assert_eq!(held["scheduled_at"], planned["scheduled_at"], "kept");
    let after = read_case(&app, &alice, &case).await;
    assert_eq!(after["status"], "assessment");
    assert_eq!(time(&after["last_contact_at"]), time(&held["occurred_at"]));

    let timeline: Value = app
        .get_json(&format!("/v1/cases/{}/timeline", case.id), &alice)
        .await;
    let transition = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "transition")
        .unwrap();
    assert_eq!(transition["from_status"], "intake");
    assert_eq!(transition["to_status"], "assessment");

    // Another first interview on a case already in assessment changes nothing.
    add_contact(
        &app,
        &alice,
        &case,
        json!({"kind": "first_interview", "occurred_at": at(0)}),
    )
    .await;
    assert_eq!(read_case(&app, &alice, &case).await["status"], "assessment");
}

#[tokio::test]
async fn a_held_interview_of_another_kind_leaves_the_case_in_intake() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let case = open_case(&app, &alice).await;
    add_contact(
        &app,
        &alice,
        &case,
        json!({"kind": "interview", "occurred_at": at(-1)}),
    )
    .await;
    assert_eq!(read_case(&app, &alice, &case).await["status"], "intake");
}

#[tokio::test]
async fn held_contacts_move_the_case_and_person_last_contact_forward_only() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let case = open_case(&app, &alice).await;
    assert_eq!(
        read_case(&app, &alice, &case).await["last_contact_at"],
        Value::Null
    );
    plan(&app, &alice, &case, "interview", 5).await;
    assert_eq!(
        read_case(&app, &alice, &case).await["last_contact_at"],
        Value::Null,
        "a planned contact is not a contact yet"
    );
    let recent = add_contact(
        &app,
        &alice,
        &case,
        json!({"kind": "phone_call", "occurred_at": at(-1)}),
    )
    .await;
    add_contact(
        &app,
        &alice,
        &case,
        json!({"kind": "email", "occurred_at": at(-30)}),
    )
    .await;
    let case_last = time(&read_case(&app, &alice, &case).await["last_contact_at"]);
    assert_eq!(case_last, time(&recent["occurred_at"]));
    let person_last: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT last_contact_at FROM persons WHERE id = $1::uuid")
            .bind(&case.person_id)
            .fetch_one(&app.sql)
            .await
            .unwrap();
    assert_eq!(person_last, case_last);
}

#[tokio::test]
async fn only_the_author_may_change_a_contact_and_only_with_the_current_etag() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let bob = app.token("worker", "bob");
    let bob_id = app.agent_id(&bob).await;
    let case = open_case(&app, &alice).await;
    // bob joins the team: he sees the case but did not write the contact.
    let version = read_case(&app, &alice, &case).await["version"]
        .as_i64()
        .unwrap();
    let supervisor = app.token("supervisor", "sam");
    let alice_id = app.agent_id(&alice).await;
    let response = app
        .patch(
            &format!("/v1/cases/{}", case.id),
            &supervisor,
            version,
            &json!({"team_ids": [alice_id, bob_id]}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let contact = plan(&app, &alice, &case, "interview", 3).await;
    let path = contact_path(&case, &contact);

    for token in [&bob, &supervisor] {
        let response = app
            .patch(&path, token, 1, &json!({"summary": "réécrit"}))
            .await;
        assert_eq!(response.status(), 403);
    }
    let response = app
        .request(reqwest::Method::PATCH, &path, &alice)
        .json(&json!({"summary": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 428);
    let response = app.patch(&path, &alice, 7, &json!({"summary": "x"})).await;
    assert_problem(response, 412, "version_mismatch").await;

    let response = app
        .patch(
            &path,
            &alice,
            1,
            &json!({"occurred_at": null, "outcome": "y".repeat(5001)}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let mut found = pointers(&problem(response).await);
    found.sort();
    assert_eq!(found, ["/occurred_at", "/outcome"]);
    let response = app
        .patch(&path, &alice, 1, &json!({"occurred_at": at(3)}))
        .await;
    assert_eq!(pointers(&problem(response).await), ["/occurred_at"]);

    let response = app
        .patch(&path, &alice, 1, &json!({"summary": "Entretien reporté"}))
        .await;
    assert_eq!(response.status(), 200);
    let changed: Value = response.json().await.unwrap();
    assert_eq!(changed["summary"], "Entretien reporté");
    assert_eq!(changed["planned"], true);
    assert_eq!(changed["version"], 2);
}

#[tokio::test]
async fn reception_admin_and_dpo_may_not_touch_contacts() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let case = open_case(&app, &alice).await;
    let contact = plan(&app, &alice, &case, "interview", 3).await;
    for role in ["reception", "admin", "dpo"] {
        let token = app.token(role, &format!("{role}-1"));
        let list = app.get(&contacts_path(&case), &token).await;
        assert_eq!(list.status(), 403, "{role} lists");
        let read = app.get(&contact_path(&case, &contact), &token).await;
        assert_eq!(read.status(), 403, "{role} reads");
        let body = json!({"kind": "interview", "occurred_at": at(-1)});
        let add = app.post(&contacts_path(&case), &token, &body).await;
        assert_eq!(add.status(), 403, "{role} adds");
        let change = app
            .patch(&contact_path(&case, &contact), &token, 1, &json!({}))
            .await;
        assert_eq!(change.status(), 403, "{role} changes");
    }
}

#[tokio::test]
async fn another_team_and_another_organisation_get_404() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let case = open_case(&app, &alice).await;
    let contact = plan(&app, &alice, &case, "interview", 3).await;
    let carol = app.token("worker", "carol");
    let other = app.token_for("other", &["worker"], "x");
    let other_supervisor = app.token_for("other", &["supervisor"], "y");
    for token in [&carol, &other, &other_supervisor] {
        assert_eq!(app.get(&contacts_path(&case), token).await.status(), 404);
        let read = app.get(&contact_path(&case, &contact), token).await;
        assert_eq!(read.status(), 404);
        let body = json!({"kind": "interview", "occurred_at": at(-1)});
        let add = app.post(&contacts_path(&case), token, &body).await;
        assert_eq!(add.status(), 404);
        let change = app
            .patch(&contact_path(&case, &contact), token, 1, &json!({}))
            .await;
        assert_eq!(change.status(), 404);
    }
    // A contact id under another case of the same caller is not found either.
    let other_case = open_case(&app, &alice).await;
    let path = format!(
        "/v1/cases/{}/contacts/{}",
        other_case.id,
        contact["id"].as_str().unwrap()
    );
    assert_eq!(app.get(&path, &alice).await.status(), 404);
}

#[tokio::test]
async fn every_read_and_write_of_a_contact_is_audited_with_the_person() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let case = open_case(&app, &alice).await;
    let contact = plan(&app, &alice, &case, "interview", 3).await;
    app.get(&contacts_path(&case), &alice).await;
    app.get(&contact_path(&case, &contact), &alice).await;
    app.patch(
        &contact_path(&case, &contact),
        &alice,
        1,
        &json!({"summary": "s"}),
    )
    .await;
    let id = contact["id"].as_str().unwrap().to_owned();
    let contact_events = audit_of(&app, &case.person_id, "contact").await;
    assert_eq!(
        contact_events,
        [
            ("create".to_owned(), Some(id.clone())),
            ("read".to_owned(), Some(id.clone())),
            ("update".to_owned(), Some(id)),
        ]
    );
    let list_events = audit_of(&app, &case.person_id, "case.contacts").await;
    assert_eq!(list_events, [("read".to_owned(), Some(case.id.clone()))]);
}
