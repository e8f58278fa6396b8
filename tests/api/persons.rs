//! Persons: creation, validation, the protected NIR, reading, roles and tenancy.

mod duplicates;
mod history;
mod merge;
mod need_to_know;
mod protection;
mod restrictions;
mod search;
mod updates;
mod validation;

use relais_tests::{TestApp, assert_problem, header, nir, pointers, problem};
use serde_json::{Value, json};

use crate::support::person::CreatedPerson;

/// The NIR of the API documentation's example, `2 69 05 49 588 157 80`.
const EXAMPLE_NIR: &str = "269054958815780";

fn eloise() -> Value {
    json!({
        "first_name": "Éloïse",
        "last_name": "Martin",
        "birth_date": "1969-05-12",
        "nir": EXAMPLE_NIR,
        "phone": "0601020304",
        "email": "eloise.martin@example.org",
        "marital_status": "single",
        "address": {"line1": "3 rue des Lilas", "postcode": "75011", "city": "Paris", "country": "fr"},
        "informed": {"at": "2026-01-05", "channel": "in_person", "notice_version": "2026-01"}
    })
}

/// Posts a person and returns the problem document after checking the status.
async fn refused(app: &TestApp, token: &str, body: Value, status: u16) -> Value {
    let response = app.post("/v1/persons", token, &body).await;
    assert_eq!(response.status(), status, "body: {body}");
    problem(response).await
}

#[tokio::test]
async fn creating_a_person_answers_201_with_location_etag_and_a_masked_nir() {
    let app = TestApp::spawn().await;
    let token = app.token("reception", "rita");
    let response = app.post("/v1/persons", &token, &eloise()).await;
    assert_eq!(response.status(), 201);
    assert_eq!(header(&response, "etag"), "\"1\"");
    let location = header(&response, "location");
    let person: Value = response.json().await.unwrap();
    let id = person["id"].as_str().unwrap();
    assert_eq!(location, format!("/v1/persons/{id}"));
    assert_eq!(person["nir"], "2 69 05 ** *** *** 80");
    assert_eq!(person["nir_revealed"], false);
    assert_eq!(person["first_name"], "Éloïse");
    assert_eq!(person["last_name"], "Martin");
    assert_eq!(person["birth_date"], "1969-05-12");
    assert_eq!(
        person["address"]["country"], "FR",
        "country codes are upper-cased"
    );
    assert_eq!(person["address"]["city"], "Paris");
    assert_eq!(person["informed"]["channel"], "in_person");
    assert_eq!(person["version"], 1);

    // The Location leads to the same person.
    let read = app.get(&location, &token).await;
    assert_eq!(read.status(), 200);
    assert_eq!(header(&read, "etag"), "\"1\"");
    let read: Value = read.json().await.unwrap();
    assert_eq!(read["id"], person["id"]);
    assert_eq!(read["nir"], "2 69 05 ** *** *** 80");
    assert_eq!(read["nir_revealed"], false);
    assert_eq!(read["phone"], "0601020304");
    assert_eq!(read["email"], "eloise.martin@example.org");
}

#[tokio::test]
async fn a_person_without_optional_fields_has_nulls_and_no_address() {
    let p = CreatedPerson::new(json!({"first_name": "Jean", "last_name": "Dupont"})).await;
    let person = &p.created;
    assert_eq!(person["nir"], Value::Null);
    assert_eq!(person["nir_revealed"], false);
    assert_eq!(person["birth_date"], Value::Null);
    assert_eq!(person["address"], Value::Null);
    assert_eq!(person["informed"], Value::Null);
}

#[tokio::test]
async fn the_nir_is_stored_encrypted_with_only_its_masked_form_in_clear() {
    let app = TestApp::spawn().await;
    let token = app.token("reception", "rita");
    let person = app.create_person(&token, eloise()).await;
    let (cipher, masked, hash): (Vec<u8>, String, Vec<u8>) = sqlx::query_as(
        "SELECT nir_ciphertext, nir_masked, nir_hash FROM persons WHERE id = $1::uuid",
    )
    .bind(person["id"].as_str().unwrap())
    .fetch_one(&app.sql)
    .await
    .unwrap();
    assert_eq!(masked, "2 69 05 ** *** *** 80");
    for stored in [&cipher, &hash] {
        let lossy = String::from_utf8_lossy(stored);
        assert!(
            !lossy.contains(EXAMPLE_NIR),
            "the NIR is not stored in clear"
        );
        assert!(!lossy.contains("4958815"), "not even its hidden digits");
        let hex: String = stored.iter().map(|b| format!("{b:02x}")).collect();
        assert!(!hex.contains(EXAMPLE_NIR));
    }
    assert!(
        cipher.len() > EXAMPLE_NIR.len(),
        "ciphertext carries nonce and tag"
    );
    // No other column of the row holds the NIR in clear either.
    let row: String =
        sqlx::query_scalar("SELECT row_to_json(p)::text FROM persons p WHERE id = $1::uuid")
            .bind(person["id"].as_str().unwrap())
            .fetch_one(&app.sql)
            .await
            .unwrap();
    assert!(!row.contains(EXAMPLE_NIR));
}

#[tokio::test]
async fn corsican_nirs_with_2a_and_2b_are_accepted() {
    let app = TestApp::spawn().await;
    let token = app.token("worker", "alice");
    for (first13, name) in [("269052A588157", "Ajaccio"), ("185052B123456", "Bastia")] {
        let number = nir(first13);
        let person = app
            .create_person(
                &token,
                json!({"first_name": "Ange", "last_name": name, "nir": number.to_lowercase()}),
            )
            .await;
        let masked = person["nir"].as_str().unwrap();
        assert!(masked.contains("** *** ***"), "{masked}");
        assert!(masked.ends_with(&number[13..]), "{masked} keeps the key");
        let id = person["id"].as_str().unwrap();
        let revealed: Value = app
            .get_json(
                &format!("/v1/persons/{id}?reveal=nir&reason=Dossier%20CPAM"),
                &token,
            )
            .await;
        assert_eq!(revealed["nir"], number, "kept in canonical upper case");
    }
}

#[tokio::test]
async fn a_duplicate_nir_conflicts_in_the_same_organisation_only() {
    let app = TestApp::spawn().await;
    let acme = app.token("reception", "rita");
    app.create_person(&acme, eloise()).await;
    // The same number written with spaces is the same NIR.
    let mut again = eloise();
    again["nir"] = json!("2 69 05 49 588 157 80");
    let doc = refused(&app, &acme, again, 409).await;
    assert_eq!(doc["code"], "duplicate_nir");
    assert_eq!(doc["status"], 409);

    let other = app.token_for("other", &["reception"], "olga");
    let response = app.post("/v1/persons", &other, &eloise()).await;
    assert_eq!(
        response.status(),
        201,
        "another organisation may hold the same NIR"
    );
}

#[tokio::test]
async fn a_worker_reveals_the_nir_with_a_reason_and_the_reveal_is_audited() {
    let p = CreatedPerson::by("reception", "rita", eloise()).await;
    let (app, id) = (&p.app, p.id.as_str());
    let token = app.token("worker", "alice");
    // Need to know: Alice opens the person's case, so she sees the whole record.
    app.open_case_for(&token, id).await;
    let reason = "Demande de CSS auprès de la CPAM";
    let response = app
        .request(reqwest::Method::GET, &p.path(""), &token)
        .query(&[("reveal", "nir"), ("reason", reason)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "cache-control"), "no-store");
    assert_eq!(header(&response, "etag"), "\"1\"");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["nir"], EXAMPLE_NIR);
    assert_eq!(body["nir_revealed"], true);

    let (actor, stored_reason, resource): (String, Option<String>, String) = sqlx::query_as(
        "SELECT actor_subject, reason, resource_type FROM audit_events \
         WHERE person_id = $1::uuid AND action = 'reveal'",
    )
    .bind(id)
    .fetch_one(&app.sql)
    .await
    .unwrap();
    assert_eq!(actor, "alice");
    assert_eq!(stored_reason.as_deref(), Some(reason));
    assert_eq!(resource, "person.nir");

    // An ordinary read right after is masked again (and, holding personal data, not stored
    // either).
    let plain = app.get(&p.path(""), &token).await;
    assert_eq!(header(&plain, "cache-control"), "no-store");
    let plain: Value = plain.json().await.unwrap();
    assert_eq!(plain["nir"], "2 69 05 ** *** *** 80");
    assert_eq!(plain["nir_revealed"], false);
}

#[tokio::test]
async fn revealing_without_a_reason_is_refused_at_reason() {
    let p = CreatedPerson::by("reception", "rita", eloise()).await;
    let app = &p.app;
    let token = app.token("worker", "alice");
    for query in [
        "reveal=nir",
        "reveal=nir&reason=",
        "reveal=nir&reason=%20%20ab%20",
    ] {
        let response = app.get(&p.path(&format!("?{query}")), &token).await;
        assert_eq!(response.status(), 400, "{query}");
        let doc = problem(response).await;
        assert_eq!(pointers(&doc), ["/reason"], "{query}");
        assert_eq!(doc["errors"][0]["in"], "query");
    }
    let reveals: i64 = app
        .count("SELECT count(*) FROM audit_events WHERE action = 'reveal'")
        .await;
    assert_eq!(reveals, 0);
}

#[tokio::test]
async fn a_reason_over_500_characters_is_refused() {
    let p = CreatedPerson::by("reception", "rita", eloise()).await;
    let app = &p.app;
    let token = app.token("supervisor", "sam");
    let long = "x".repeat(501);
    let response = app
        .request(reqwest::Method::GET, &p.path(""), &token)
        .query(&[("reveal", "nir"), ("reason", long.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(pointers(&problem(response).await), ["/reason"]);
    let ok = app
        .request(reqwest::Method::GET, &p.path(""), &token)
        .query(&[("reveal", "nir"), ("reason", "x".repeat(500).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200, "a supervisor may reveal too");
    assert_eq!(ok.json::<Value>().await.unwrap()["nir_revealed"], true);
}

#[tokio::test]
async fn revealing_a_person_without_a_nir_reveals_nothing_and_logs_no_reveal() {
    let p = CreatedPerson::new(json!({"first_name": "Jean", "last_name": "Dupont"})).await;
    let (app, token) = (&p.app, &p.token);
    let id = p.id.as_str();
    let response = app
        .get(&p.path("?reveal=nir&reason=Dossier%20CAF"), token)
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["nir"], Value::Null);
    assert_eq!(body["nir_revealed"], false);
    assert_eq!(
        app.audit_actions(id).await,
        [
            ("create".to_owned(), "person".to_owned()),
            ("read".to_owned(), "person".to_owned())
        ]
    );
}

#[tokio::test]
async fn only_the_nir_is_revealed_and_never_to_reception() {
    let p = CreatedPerson::by("reception", "rita", eloise()).await;
    let reception = p.path("?reveal=nir&reason=Curiosit%C3%A9%20pure");
    assert_problem(p.app.get(&reception, &p.token).await, 403, "forbidden").await;
    let worker = p.app.token("worker", "alice");
    let phone = p.path("?reveal=phone&reason=Appeler%20la%20personne");
    let phone = p.app.get(&phone, &worker).await;
    assert_eq!(phone.status(), 400);
    assert_eq!(pointers(&problem(phone).await), ["/reveal"]);
}

#[tokio::test]
async fn another_organisations_person_is_not_found_on_read_and_update() {
    let p = CreatedPerson::by("worker", "alice", eloise()).await;
    let (app, id) = (&p.app, p.id.as_str());
    let stranger = app.token_for("other", &["supervisor"], "olga");

    let read = app.get(&p.path(""), &stranger).await;
    assert_problem(read, 404, "not_found").await;

    let revealed = app
        .get(&p.path("?reveal=nir&reason=Juste%20voir"), &stranger)
        .await;
    assert_eq!(revealed.status(), 404);

    let patch = p
        .patch_as(&stranger, 1, &json!({"first_name": "Volé"}))
        .await;
    assert_problem(patch, 404, "not_found").await;

    let search: Value = app.get_json("/v1/persons?q=martin", &stranger).await;
    assert_eq!(search["items"], json!([]));

    // Nothing changed, and nothing of the stranger's was written against this person.
    let first_name: String =
        sqlx::query_scalar("SELECT first_name FROM persons WHERE id = $1::uuid")
            .bind(id)
            .fetch_one(&app.sql)
            .await
            .unwrap();
    assert_eq!(first_name, "Éloïse");
    let foreign: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE person_id = $1::uuid AND org_id = $2",
    )
    .bind(id)
    .bind(app.other_org.id)
    .fetch_one(&app.sql)
    .await
    .unwrap();
    assert_eq!(foreign, 0);
}

#[tokio::test]
async fn admin_and_dpo_may_not_touch_persons() {
    let p = CreatedPerson::by("worker", "alice", eloise()).await;
    let app = &p.app;
    for role in ["admin", "dpo"] {
        let token = app.token(role, &format!("{role}-1"));
        let search = app.get("/v1/persons", &token).await;
        assert_eq!(search.status(), 403, "{role} search");
        assert_eq!(problem(search).await["code"], "forbidden");
        let read = app.get(&p.path(""), &token).await;
        assert_eq!(read.status(), 403, "{role} read");
        let create = app
            .post(
                "/v1/persons",
                &token,
                &json!({"first_name": "A", "last_name": "B"}),
            )
            .await;
        assert_eq!(create.status(), 403, "{role} create");
        let patch = p.patch_as(&token, 1, &json!({"first_name": "X"})).await;
        assert_eq!(patch.status(), 403, "{role} update");
    }
    let count: i64 = app.count("SELECT count(*) FROM persons").await;
    assert_eq!(count, 1);
}

#[tokio::test]
async fn reading_an_unknown_person_is_not_found() {
    let app = TestApp::spawn().await;
    let token = app.token("worker", "alice");
    let response = app
        .get(&format!("/v1/persons/{}", uuid::Uuid::now_v7()), &token)
        .await;
    assert_problem(response, 404, "not_found").await;
}

#[tokio::test]
async fn every_read_search_create_and_update_is_audited() {
    let p = CreatedPerson::by("worker", "alice", eloise()).await;
    let (app, token, id) = (&p.app, &p.token, p.id.as_str());
    assert_eq!(
        app.audit_actions(id).await,
        [("create".into(), "person".into())]
    );

    assert_eq!(app.get(&p.path(""), token).await.status(), 200);
    assert_eq!(app.get("/v1/persons?q=eloise", token).await.status(), 200);
    let patch = p.patch_as(token, 1, &json!({"phone": "0700000000"})).await;
    assert_eq!(patch.status(), 200);
    let actions: Vec<(String, String)> = app.audit_actions(id).await;
    let expected: Vec<(String, String)> = [
        ("create", "person"),
        ("read", "person"),
        ("search", "person"),
        ("update", "person"),
    ]
    .iter()
    .map(|(a, r)| ((*a).to_owned(), (*r).to_owned()))
    .collect();
    assert_eq!(actions, expected);

    // Every event names the actor, its agent and the request.
    let agent = app.agent_id(token).await;
    let rows: Vec<(String, Option<uuid::Uuid>, Option<String>)> = sqlx::query_as(
        "SELECT actor_subject, actor_id, request_id FROM audit_events WHERE person_id = $1::uuid",
    )
    .bind(id)
    .fetch_all(&app.sql)
    .await
    .unwrap();
    assert_eq!(rows.len(), 4);
    for (subject, actor_id, request_id) in rows {
        assert_eq!(subject, "alice");
        assert_eq!(actor_id, Some(agent));
        assert!(request_id.is_some_and(|r| !r.is_empty()));
    }
}

#[tokio::test]
async fn a_stale_write_leaves_no_audit_event_and_a_refused_role_an_access_denied() {
    let p = CreatedPerson::by("worker", "alice", eloise()).await;
    let (app, token, id) = (&p.app, &p.token, p.id.as_str());
    let stale = p.patch_as(token, 7, &json!({"phone": "0700000000"})).await;
    assert_eq!(stale.status(), 412);
    assert_eq!(app.audit_actions(id).await.len(), 1, "only the creation");
    let forbidden = app.get(&p.path(""), &app.token("admin", "adam")).await;
    assert_eq!(forbidden.status(), 403);
    let actions = app.audit_actions(id).await;
    assert_eq!(actions.len(), 2, "{actions:?}");
    assert!(
        actions.contains(&("access_denied".into(), "person".into())),
        "{actions:?}"
    );
}
