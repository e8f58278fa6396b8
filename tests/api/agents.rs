//! People at work over HTTP: the agents' directory and profile (here), absences covered by a
//! delegate (`agents::absences`), the handover of a caseload and the intake queue
//! (`agents::handover`).

mod absences;
mod handover;

use relais_tests::{TestApp, assert_problem, header, invalid_at, pointers};
use reqwest::Method;
use serde_json::{Value, json};

/// A team of `acme`: a supervisor, two workers, reception, an administrator, each provisioned.
pub struct Staff {
    pub app: TestApp,
    pub sam: String,
    pub alice: String,
    pub bob: String,
    pub reception: String,
    pub admin: String,
    pub sam_id: String,
    pub alice_id: String,
    pub bob_id: String,
    pub reception_id: String,
}

pub async fn staff() -> Staff {
    let app = TestApp::spawn().await;
    let sam = app.token("supervisor", "sam");
    let alice = app.token_named("worker", "alice", "Alice Martin");
    let bob = app.token("worker", "bob");
    let reception = app.token("reception", "rita");
    let admin = app.token("admin", "ada");
    let id = |u: uuid::Uuid| u.to_string();
    let sam_id = id(app.agent_id(&sam).await);
    let alice_id = id(app.agent_id(&alice).await);
    let bob_id = id(app.agent_id(&bob).await);
    let reception_id = id(app.agent_id(&reception).await);
    app.agent_id(&admin).await;
    Staff {
        app,
        sam,
        alice,
        bob,
        reception,
        admin,
        sam_id,
        alice_id,
        bob_id,
        reception_id,
    }
}

/// The caller's profile and its version (the ETag of `GET /v1/me`).
pub async fn my_profile(app: &TestApp, token: &str) -> (Value, i64) {
    let response = app.get("/v1/me", token).await;
    assert_eq!(response.status(), 200);
    let etag = header(&response, "etag");
    let me: Value = response.json().await.unwrap();
    let version = me["profile"]["version"].as_i64().unwrap();
    assert_eq!(
        etag,
        format!("\"{version}\""),
        "the ETag is the profile's version"
    );
    (me["profile"].clone(), version)
}

fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_directory_lists_every_agent_and_shows_contacts_to_supervisors_only() {
    let s = staff().await;
    let app = &s.app;
    let (_, version) = my_profile(app, &s.alice).await;
    let response = app
        .patch(
            "/v1/me",
            &s.alice,
            version,
            &json!({"job_title": " Assistante de service social ", "civility": "mme",
                    "email": "alice.martin@ccas.example", "phone": "04 72 00 00 00"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "etag"), format!("\"{}\"", version + 1));
    let written: Value = response.json().await.unwrap();
    assert_eq!(written["job_title"], "Assistante de service social");
    assert_eq!(written["display_name"], "Alice Martin");

    let all = app.get_json("/v1/agents", &s.bob).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 5, "{all}");
    let alice = |list: &Value| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == s.alice_id.as_str())
            .cloned()
            .unwrap()
    };
    let seen_by_bob = alice(&all);
    assert_eq!(seen_by_bob["job_title"], "Assistante de service social");
    assert_eq!(seen_by_bob["civility"], "mme");
    assert_eq!(seen_by_bob["roles"], json!(["worker"]));
    assert_eq!(seen_by_bob["active"], true);
    assert!(seen_by_bob["email"].is_null() && seen_by_bob["phone"].is_null());
    assert!(seen_by_bob["last_seen_at"].is_null());
    for token in [&s.sam, &s.admin, &s.alice] {
        let seen = alice(&app.get_json("/v1/agents", token).await);
        assert_eq!(seen["email"], "alice.martin@ccas.example");
        assert_eq!(seen["phone"], "04 72 00 00 00");
        assert!(seen["last_seen_at"].is_string());
    }
    let one = app
        .get(&format!("/v1/agents/{}", s.alice_id), &s.reception)
        .await;
    assert_eq!(one.status(), 200);
    assert_eq!(header(&one, "etag"), format!("\"{}\"", version + 1));

    let workers = app.get_json("/v1/agents?role=worker", &s.sam).await;
    let mut expected = vec![s.alice_id.clone(), s.bob_id.clone()];
    expected.sort();
    assert_eq!(ids(&workers), expected);
    let page = app.get_json("/v1/agents?limit=2", &s.sam).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = app
        .get_json(&format!("/v1/agents?limit=2&cursor={cursor}"), &s.sam)
        .await;
    assert!(ids(&rest).iter().all(|id| !ids(&page).contains(id)));
    let bad = app.get("/v1/agents?role=chef", &s.sam).await;
    let problem = assert_problem(bad, 400, "invalid_parameter").await;
    assert_eq!(problem["errors"][0]["pointer"], "/role", "{problem}");
}

#[tokio::test]
async fn the_profile_is_checked_field_by_field_and_needs_its_version() {
    let s = staff().await;
    let app = &s.app;
    let (profile, version) = my_profile(app, &s.bob).await;
    assert!(profile["job_title"].is_null());
    let no_version = app
        .request(Method::PATCH, "/v1/me", &s.bob)
        .json(&json!({"job_title": "CESF"}))
        .send()
        .await
        .unwrap();
    assert_problem(no_version, 428, "precondition_required").await;
    let stale = app
        .patch("/v1/me", &s.bob, version + 7, &json!({"job_title": "CESF"}))
        .await;
    assert_problem(stale, 412, "version_mismatch").await;
    for (body, pointer, code) in [
        (
            json!({"email": "pas une adresse"}),
            "/email",
            "invalid_email",
        ),
        (json!({"phone": "appelez-moi"}), "/phone", "invalid_phone"),
        (
            json!({"job_title": "x".repeat(121)}),
            "/job_title",
            "too_long",
        ),
        (
            json!({"display_name": "y".repeat(201)}),
            "/display_name",
            "too_long",
        ),
    ] {
        let response = app.patch("/v1/me", &s.bob, version, &body).await;
        assert_eq!(invalid_at(response, pointer).await, code, "{body}");
    }
    let response = app
        .patch("/v1/me", &s.bob, version, &json!({"civility": "mlle"}))
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(pointers(&problem), ["/civility"], "{problem}");
    let response = app
        .patch("/v1/me", &s.bob, version, &json!({"title": "CESF"}))
        .await;
    assert!(response.status().is_client_error());
    // Nothing was written by the refusals.
    let (_, unchanged) = my_profile(app, &s.bob).await;
    assert_eq!(unchanged, version);

    let response = app
        .patch(
            "/v1/me",
            &s.bob,
            version,
            &json!({"display_name": "Bruno Petit", "civility": "m", "job_title": "CESF"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    // A token with another name no longer overwrites the name the agent chose.
    let renamed = app.token_named("worker", "bob", "B. PETIT (compte AD)");
    let (profile, later) = my_profile(app, &renamed).await;
    assert_eq!(profile["display_name"], "Bruno Petit");
    assert_eq!(later, version + 1);
    // Clearing a field with null.
    let response = app
        .patch("/v1/me", &s.bob, later, &json!({"job_title": null}))
        .await;
    assert_eq!(response.status(), 200);
    let cleared: Value = response.json().await.unwrap();
    assert!(cleared["job_title"].is_null());
    assert_eq!(cleared["civility"], "m");
    let audited = app
        .count(
            "SELECT count(*) FROM audit_events WHERE resource_type = 'agent' AND action = 'update'",
        )
        .await;
    assert_eq!(audited, 2, "each profile write is audited");
}

#[tokio::test]
async fn partners_get_no_directory_and_other_organisations_agents_are_invisible() {
    let s = staff().await;
    let app = &s.app;
    let partner = app.partner("CAF du Rhône", None).await;
    for path in [
        "/v1/agents".to_owned(),
        format!("/v1/agents/{}", s.alice_id),
    ] {
        assert_problem(app.get(&path, &partner.token).await, 403, "forbidden").await;
    }
    let (_, version) = my_profile(app, &s.alice).await;
    let response = app
        .patch(
            "/v1/me",
            &partner.token,
            version,
            &json!({"job_title": "x"}),
        )
        .await;
    assert_problem(response, 403, "forbidden").await;
    let stranger = app.token_for("other", &["worker"], "olga");
    let olga = app.agent_id(&stranger).await.to_string();
    let response = app.get(&format!("/v1/agents/{olga}"), &s.sam).await;
    assert_problem(response, 404, "not_found").await;
    let all = app.get_json("/v1/agents", &s.sam).await;
    assert!(!ids(&all).contains(&olga));
    let theirs = app.get_json("/v1/agents", &stranger).await;
    assert_eq!(ids(&theirs), [olga]);
    let malformed = app.get("/v1/agents/pas-un-id", &s.sam).await;
    assert!(malformed.status().is_client_error());
}

#[tokio::test]
async fn an_agent_who_left_is_kept_but_can_no_longer_be_given_cases() {
    let s = staff().await;
    let app = &s.app;
    let path = format!("/v1/agents/{}", s.bob_id);
    let bob: Value = app.get_json(&path, &s.admin).await;
    let version = bob["version"].as_i64().unwrap();
    let by_supervisor = app
        .patch(&path, &s.sam, version, &json!({"active": false}))
        .await;
    assert_problem(by_supervisor, 403, "forbidden").await;
    let response = app
        .patch(&path, &s.admin, version, &json!({"active": false}))
        .await;
    assert_eq!(response.status(), 200);
    let gone: Value = response.json().await.unwrap();
    assert_eq!(gone["active"], false);
    let stale = app
        .patch(&path, &s.admin, version, &json!({"active": true}))
        .await;
    assert_problem(stale, 412, "version_mismatch").await;
    let left = app.get_json("/v1/agents?active=false", &s.sam).await;
    assert_eq!(ids(&left), std::slice::from_ref(&s.bob_id));
    let at_work = app.get_json("/v1/agents?active=true", &s.sam).await;
    assert!(!ids(&at_work).contains(&s.bob_id));

    // Neither referent nor team member of a new case, nor of an existing one.
    let body = json!({
        "person": {"first_name": "Léa", "last_name": "Roux", "birth_date": "1990-01-01"},
        "reason": "Accès aux droits", "origin": "self", "referent_id": s.bob_id
    });
    let response = app.post("/v1/cases", &s.sam, &body).await;
    assert_eq!(
        invalid_at(response, "/referent_id").await,
        "unknown_reference"
    );
    let case = app.create_case(&s.alice).await;
    let case_path = format!("/v1/cases/{}", case["id"].as_str().unwrap());
    let response = app
        .patch(&case_path, &s.sam, 1, &json!({"team_ids": [s.bob_id]}))
        .await;
    assert_eq!(invalid_at(response, "/team_ids").await, "unknown_reference");
    let audited = app
        .count("SELECT count(*) FROM audit_events WHERE resource_type = 'agent'")
        .await;
    assert_eq!(audited, 1);
}

/// Writes the profile of the caller `token` (which must succeed).
pub async fn set_profile(app: &TestApp, token: &str, profile: Value) {
    let (_, version) = my_profile(app, token).await;
    let response = app.patch("/v1/me", token, version, &profile).await;
    assert_eq!(response.status(), 200, "writing the profile");
}
