//! A contact's private note is readable only by its author: not by another worker of the team,
//! not by a supervisor, not through the list or the case timeline — everyone else sees
//! `private_note: null` and `has_private_note: true`. Other roles get 403 anyway.

use crate::support::contacts::{
    Case, add_contact, at, contact_path, contacts_path, open_case, read_case,
};
use relais_tests::TestApp;
use serde_json::{Value, json};

const NOTE: &str = "Semble épuisée ; évoque des violences, à creuser seule à seule.";

/// alice's case, with bob on its team; alice writes a contact with a private note.
struct Fixture {
    app: TestApp,
    alice: String,
    bob: String,
    supervisor: String,
    case: Case,
    contact: Value,
}

async fn fixture() -> Fixture {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let bob = app.token("worker", "bob");
    let supervisor = app.token("supervisor", "sam");
    let case = open_case(&app, &alice).await;
    let team = [app.agent_id(&alice).await, app.agent_id(&bob).await];
    let version = read_case(&app, &alice, &case).await["version"]
        .as_i64()
        .unwrap();
    let response = app
        .patch(
            &format!("/v1/cases/{}", case.id),
            &supervisor,
            version,
            &json!({"team_ids": team}),
        )
        .await;
    assert_eq!(response.status(), 200, "bob joins the team");
    let contact = add_contact(
        &app,
        &alice,
        &case,
        json!({"kind": "interview", "occurred_at": at(-1), "summary": "Point logement",
               "private_note": NOTE}),
    )
    .await;
    Fixture {
        app,
        alice,
        bob,
        supervisor,
        case,
        contact,
    }
}

async fn read(f: &Fixture, token: &str) -> Value {
    let response = f.app.get(&contact_path(&f.case, &f.contact), token).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn listed(f: &Fixture, token: &str) -> Value {
    let response = f.app.get(&contacts_path(&f.case), token).await;
    assert_eq!(response.status(), 200);
    let list: Value = response.json().await.unwrap();
    list["items"][0].clone()
}

#[tokio::test]
async fn the_author_reads_their_private_note_on_creation_read_and_list() {
    let f = fixture().await;
    assert_eq!(f.contact["private_note"], NOTE);
    assert_eq!(f.contact["has_private_note"], true);
    assert_eq!(read(&f, &f.alice).await["private_note"], NOTE);
    assert_eq!(listed(&f, &f.alice).await["private_note"], NOTE);
}

#[tokio::test]
async fn another_worker_of_the_team_and_a_supervisor_never_see_the_note() {
    let f = fixture().await;
    for token in [&f.bob, &f.supervisor] {
        for contact in [read(&f, token).await, listed(&f, token).await] {
            assert_eq!(contact["private_note"], Value::Null);
            assert_eq!(contact["has_private_note"], true);
            assert_eq!(
                contact["summary"], "Point logement",
                "the summary is shared"
            );
            assert!(!contact.to_string().contains("violences"));
        }
    }
}

#[tokio::test]
async fn a_supervisor_who_is_also_worker_still_does_not_see_it() {
    let f = fixture().await;
    let both = f.app.token_for("acme", &["worker", "supervisor"], "zoe");
    let contact = read(&f, &both).await;
    assert_eq!(contact["private_note"], Value::Null);
}

#[tokio::test]
async fn other_roles_cannot_read_the_contact_at_all() {
    let f = fixture().await;
    for role in ["reception", "admin", "dpo"] {
        let token = f.app.token(role, &format!("{role}-1"));
        let response = f.app.get(&contact_path(&f.case, &f.contact), &token).await;
        assert_eq!(response.status(), 403, "{role}");
        assert!(!response.text().await.unwrap().contains("violences"));
    }
}

#[tokio::test]
async fn the_timeline_never_carries_the_note_nor_the_summary() {
    let f = fixture().await;
    for token in [&f.alice, &f.bob, &f.supervisor] {
        let response = f
            .app
            .get(&format!("/v1/cases/{}/timeline", f.case.id), token)
            .await;
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        assert!(text.contains("contact_created"), "{text}");
        assert!(!text.contains("violences"));
        assert!(!text.contains("Point logement"));
    }
}

#[tokio::test]
async fn a_contact_without_a_note_says_so_and_the_author_can_clear_theirs() {
    let f = fixture().await;
    let plain = add_contact(
        &f.app,
        &f.alice,
        &f.case,
        json!({"kind": "email", "occurred_at": at(-1)}),
    )
    .await;
    assert_eq!(plain["has_private_note"], false);
    let response = f
        .app
        .patch(
            &contact_path(&f.case, &f.contact),
            &f.alice,
            1,
            &json!({"private_note": null}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(read(&f, &f.bob).await["has_private_note"], false);
}

#[tokio::test]
async fn a_team_member_cannot_overwrite_the_authors_note() {
    let f = fixture().await;
    let response = f
        .app
        .patch(
            &contact_path(&f.case, &f.contact),
            &f.bob,
            1,
            &json!({"private_note": "remplacée"}),
        )
        .await;
    assert_eq!(response.status(), 403);
    assert_eq!(read(&f, &f.alice).await["private_note"], NOTE);
}
