//! Liaison sheets over HTTP: prepared as drafts (with pointers on bad input), listed and read
//! with an ETag, within the caller's cases and organisation only, and audited.

mod document;
mod partner;
mod partner_sharing;
mod sending;

use crate::support::liaisons::{Liaisons, named};
use relais_tests::{assert_problem, header, pointers, problem};
use serde_json::{Value, json};

#[tokio::test]
async fn a_draft_is_created_listed_and_read_with_its_etag() {
    let l = Liaisons::new().await;
    let response = l
        .create(&named(&["identity", "reason"], "shared_secrecy"))
        .await;
    assert_eq!(response.status(), 201);
    let location = header(&response, "location");
    assert_eq!(header(&response, "etag"), "\"1\"");
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["status"], "draft");
    assert_eq!(created["content"], json!(["identity", "reason"]));
    assert_eq!(created["legal_basis"], "shared_secrecy");
    assert_eq!(created["destination"]["name"], "CAF du Rhône");
    assert_eq!(created["destination"]["partner_id"], Value::Null);
    assert_eq!(created["sent_at"], Value::Null);
    assert_eq!(location, l.liaison(created["id"].as_str().unwrap()));

    let response = l.app.get(&location, &l.alice).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "etag"), "\"1\"");
    let read: Value = response.json().await.unwrap();
    assert_eq!(read, created);

    let partner_id = l.partner_row(l.app.org.id, "Mission locale", true).await;
    let partner = json!({
        "destination": {"partner_id": partner_id},
        "purpose": "Suivi emploi.",
        "content": ["identity"],
        "legal_basis": "shared_secrecy"
    });
    let second = l.draft(&partner).await;
    assert_eq!(second["destination"]["partner_id"], json!(partner_id));
    assert_eq!(second["destination"]["partner_name"], "Mission locale");
    let page: Value = l
        .app
        .get_json(&format!("{}?limit=1", l.path()), &l.alice)
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["id"], second["id"], "newest first");
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest: Value = l
        .app
        .get_json(&format!("{}?limit=1&cursor={cursor}", l.path()), &l.alice)
        .await;
    assert_eq!(rest["items"][0]["id"], created["id"]);
    assert_eq!(rest["next_cursor"], Value::Null);
}

#[tokio::test]
async fn bad_drafts_point_at_the_field() {
    let l = Liaisons::new().await;
    let mut body = named(&["identity", "private_note"], "shared_secrecy");
    let p = assert_problem(l.create(&body).await, 422, "validation_failed").await;
    assert_eq!(pointers(&p), ["/content/1"]);

    body = named(&["identity"], "shared_secrecy");
    body["destination"] = json!({"name": "CAF"});
    let p = assert_problem(l.create(&body).await, 422, "validation_failed").await;
    assert_eq!(pointers(&p), ["/destination"]);
    body["destination"] = json!({"partner_id": "0190b5a0-0000-7000-8000-000000000001", "name": "CAF", "contact": "x"});
    let p = assert_problem(l.create(&body).await, 422, "validation_failed").await;
    assert_eq!(pointers(&p), ["/destination"]);
    body["destination"] = json!({"email": "x@example.org"});
    assert_problem(l.create(&body).await, 400, "unknown_field").await;

    let mut body = named(&["identity"], "shared_secrecy");
    body["purpose"] = json!("");
    let p = assert_problem(l.create(&body).await, 422, "validation_failed").await;
    assert_eq!(pointers(&p), ["/purpose"]);
    body["purpose"] = json!("x".repeat(2001));
    let p = assert_problem(l.create(&body).await, 422, "validation_failed").await;
    assert_eq!(pointers(&p), ["/purpose"]);

    let body = named(&[], "shared_secrecy");
    let p = assert_problem(l.create(&body).await, 422, "validation_failed").await;
    assert_eq!(pointers(&p), ["/content"]);
    let body = named(&["identity", "identity"], "shared_secrecy");
    let p = assert_problem(l.create(&body).await, 422, "validation_failed").await;
    assert_eq!(pointers(&p), ["/content/1"]);
    let body = named(&["identity"], "friendship");
    let p = assert_problem(l.create(&body).await, 422, "validation_failed").await;
    assert_eq!(pointers(&p), ["/legal_basis"]);
}

#[tokio::test]
async fn the_nir_and_health_are_refused_under_a_basis_that_does_not_allow_them() {
    let l = Liaisons::new().await;
    let p = assert_problem(
        l.create(&named(&["identity", "nir"], "shared_secrecy"))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(pointers(&p), ["/content/1"]);
    assert_eq!(p["errors"][0]["code"], "nir_not_allowed");
    let p = assert_problem(
        l.create(&named(&["health"], "legal_obligation")).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(pointers(&p), ["/content/0"]);
    assert_eq!(p["errors"][0]["code"], "health_not_allowed");
    assert_eq!(
        l.create(&named(&["identity", "nir"], "legal_obligation"))
            .await
            .status(),
        201
    );
}

#[tokio::test]
async fn the_consent_must_fit_the_basis_the_person_and_the_destination() {
    let l = Liaisons::new().await;
    let p = assert_problem(
        l.create(&named(&["identity"], "consent")).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(pointers(&p), ["/consent_id"]);
    assert_eq!(p["errors"][0]["code"], "consent_missing");

    let named_scope = l.consent("share_with_named_institution").await;
    let mut body = named(&["identity"], "shared_secrecy");
    body["consent_id"] = json!(named_scope);
    let p = assert_problem(l.create(&body).await, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["code"], "consent_not_applicable");

    let partners_scope = l.consent("share_with_partners").await;
    let mut body = named(&["identity"], "consent");
    body["consent_id"] = json!(partners_scope);
    let p = assert_problem(l.create(&body).await, 422, "validation_failed").await;
    assert_eq!(pointers(&p), ["/consent_id"]);
    assert_eq!(p["errors"][0]["code"], "consent_scope_mismatch");

    // Another person's consent.
    let other = l
        .app
        .create_person(
            &l.alice,
            json!({"first_name": "Jean", "last_name": "Autre"}),
        )
        .await;
    let response = l
        .app
        .post(
            &format!("/v1/persons/{}/consents", other["id"].as_str().unwrap()),
            &l.alice,
            &json!({"scope": "share_with_named_institution", "channel": "in_person", "given_at": "2026-03-01"}),
        )
        .await;
    let foreign: Value = response.json().await.unwrap();
    body["consent_id"] = foreign["id"].clone();
    let p = assert_problem(l.create(&body).await, 422, "validation_failed").await;
    assert_eq!(pointers(&p), ["/consent_id"]);
    assert_eq!(p["errors"][0]["code"], "unknown_consent");

    body["consent_id"] = json!(named_scope);
    let created = l.draft(&body).await;
    assert_eq!(created["consent_id"], json!(named_scope));
}

#[tokio::test]
async fn reception_admin_and_dpo_may_not_touch_liaisons() {
    let l = Liaisons::new().await;
    let draft = l.draft(&named(&["identity"], "shared_secrecy")).await;
    let id = draft["id"].as_str().unwrap();
    for role in ["reception", "admin", "dpo"] {
        let token = l.app.token(role, &format!("{role}-1"));
        assert_problem(l.app.get(&l.path(), &token).await, 403, "forbidden").await;
        assert_problem(l.app.get(&l.liaison(id), &token).await, 403, "forbidden").await;
        assert_problem(
            l.app
                .get(&format!("{}/document", l.liaison(id)), &token)
                .await,
            403,
            "forbidden",
        )
        .await;
        assert_problem(
            l.create_as(&token, &named(&["identity"], "shared_secrecy"))
                .await,
            403,
            "forbidden",
        )
        .await;
        assert_problem(l.send_as(&token, id, Some("\"1\"")).await, 403, "forbidden").await;
    }
}

#[tokio::test]
async fn another_team_or_organisation_sees_nothing() {
    let l = Liaisons::new().await;
    let draft = l.draft(&named(&["identity"], "shared_secrecy")).await;
    let id = draft["id"].as_str().unwrap();
    for token in [
        l.app.token("worker", "bob"),
        l.app.token_for("other", &["supervisor"], "x"),
    ] {
        assert_problem(l.app.get(&l.path(), &token).await, 404, "not_found").await;
        assert_problem(l.app.get(&l.liaison(id), &token).await, 404, "not_found").await;
        assert_problem(
            l.create_as(&token, &named(&["identity"], "shared_secrecy"))
                .await,
            404,
            "not_found",
        )
        .await;
        assert_problem(l.send_as(&token, id, Some("\"1\"")).await, 404, "not_found").await;
    }
    // A supervisor of the organisation sees it.
    let boss = l.app.token("supervisor", "boss");
    assert_eq!(l.app.get(&l.liaison(id), &boss).await.status(), 200);
    // An unknown liaison of a visible case.
    let missing = l
        .app
        .get(&l.liaison("0190b5a0-0000-7000-8000-000000000009"), &l.alice)
        .await;
    assert_problem(missing, 404, "not_found").await;
}

#[tokio::test]
async fn creation_and_reads_are_audited_against_the_person() {
    let l = Liaisons::new().await;
    let draft = l.draft(&named(&["identity"], "shared_secrecy")).await;
    l.app
        .get(&l.liaison(draft["id"].as_str().unwrap()), &l.alice)
        .await;
    l.app.get(&l.path(), &l.alice).await;
    let events: Vec<_> = l
        .audit()
        .await
        .into_iter()
        .filter(|(_, resource)| resource.contains("liaison"))
        .collect();
    let expected = [
        ("create", "liaison"),
        ("read", "liaison"),
        ("read", "case.liaisons"),
    ];
    assert_eq!(
        events,
        expected
            .iter()
            .map(|(a, r)| ((*a).to_owned(), (*r).to_owned()))
            .collect::<Vec<_>>()
    );
    let detail = problem(l.app.get(&l.liaison("nope"), &l.alice).await).await;
    assert_eq!(detail["code"], "invalid_path_parameter");
}
