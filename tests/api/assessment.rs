//! The assessment of a case over HTTP: reading before and after the first replacement, who
//! assessed each domain, concurrency, validation, who may see it (never reception), closed and
//! foreign cases, the audit trail, the timeline and the `planning` guard it feeds.

use relais_tests::{TestApp, assert_problem, pointers, problem};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use uuid::Uuid;

fn etag(response: &Response) -> String {
    response.headers()["etag"].to_str().unwrap().to_owned()
}

/// PUT of an assessment with an optional If-Match header.
async fn put(
    app: &TestApp,
    token: &str,
    case: &str,
    if_match: Option<&str>,
    body: &Value,
) -> Response {
    app.put(
        &format!("/v1/cases/{case}/assessment"),
        token,
        if_match,
        body,
    )
    .await
}

/// A replacement that must succeed; the assessment it answers.
async fn replaced(app: &TestApp, token: &str, case: &str, if_match: &str, body: &Value) -> Value {
    let response = put(app, token, case, Some(if_match), body).await;
    assert_eq!(response.status(), 200, "PUT {body}");
    response.json().await.unwrap()
}

async fn read(app: &TestApp, token: &str, case: &str) -> Value {
    let response = app
        .get(&format!("/v1/cases/{case}/assessment"), token)
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn transition(app: &TestApp, token: &str, case: &str, version: i64, to: &str) -> Response {
    app.request(
        Method::POST,
        &format!("/v1/cases/{case}/transitions"),
        token,
    )
    .header("If-Match", format!("\"{version}\""))
    .json(&json!({"to": to}))
    .send()
    .await
    .unwrap()
}

/// Opens a case as `token`; its id and its person's id.
async fn new_case(app: &TestApp, token: &str) -> (String, String) {
    let case = app.create_case(token).await;
    let id = case["id"].as_str().unwrap().to_owned();
    (id, case["person_id"].as_str().unwrap().to_owned())
}

fn housing_and_health() -> Value {
    json!({"domains": [
        {"domain": "housing", "situation": "Impayés de loyer depuis trois mois.", "needs_action": "yes", "priority": "high"},
        {"domain": "health", "situation": "Suivi médical régulier.", "needs_action": "no"}
    ]})
}

fn codes(assessment: &Value) -> Vec<&str> {
    let domains = assessment["domains"].as_array().unwrap();
    domains
        .iter()
        .map(|d| d["domain"].as_str().unwrap())
        .collect()
}

fn domain<'a>(assessment: &'a Value, code: &str) -> &'a Value {
    let domains = assessment["domains"].as_array().unwrap();
    domains.iter().find(|d| d["domain"] == code).unwrap()
}

#[tokio::test]
async fn a_case_never_assessed_reads_as_an_empty_assessment_at_version_0() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let (id, _) = new_case(&app, &alice).await;
    let response = app.get(&format!("/v1/cases/{id}/assessment"), &alice).await;
    assert_eq!(response.status(), 200);
    assert_eq!(etag(&response), "\"0\"");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"case_id": id, "domains": [], "domains_needing_action": 0,
               "updated_at": null, "updated_by": null, "version": 0})
    );
}

#[tokio::test]
async fn a_worker_writes_the_assessment_and_reads_it_back_in_domain_order() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let alice_id = app.agent_id(&alice).await.to_string();
    let (id, _) = new_case(&app, &alice).await;
    let response = put(&app, &alice, &id, Some("\"0\""), &housing_and_health()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(etag(&response), "\"1\"");
    let written: Value = response.json().await.unwrap();
    assert_eq!(codes(&written), ["health", "housing"], "reference order");
    assert_eq!(written["version"], 1);
    assert_eq!(written["domains_needing_action"], 1);
    assert_eq!(written["updated_by"], alice_id.as_str());
    let housing = domain(&written, "housing");
    assert_eq!(housing["situation"], "Impayés de loyer depuis trois mois.");
    assert_eq!(housing["needs_action"], "yes");
    assert_eq!(housing["priority"], "high");
    assert_eq!(housing["assessed_by"], alice_id.as_str());
    assert_eq!(domain(&written, "health")["priority"], Value::Null);
    let response = app.get(&format!("/v1/cases/{id}/assessment"), &alice).await;
    assert_eq!(etag(&response), "\"1\"");
    assert_eq!(response.json::<Value>().await.unwrap(), written);

    let timeline = app.get(&format!("/v1/cases/{id}/timeline"), &alice).await;
    let timeline: Value = timeline.json().await.unwrap();
    let event = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "assessment_updated")
        .expect("an assessment_updated event");
    assert_eq!(event["actor_id"], alice_id.as_str());
    assert_eq!(event["data"]["domains_needing_action"], json!(["housing"]));
}

#[tokio::test]
async fn an_unchanged_domain_keeps_who_assessed_it_and_when() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let sam = app.token("supervisor", "sam");
    let alice_id = app.agent_id(&alice).await.to_string();
    let sam_id = app.agent_id(&sam).await.to_string();
    let (id, _) = new_case(&app, &alice).await;
    let mut body = housing_and_health();
    body["domains"].as_array_mut().unwrap().push(
        json!({"domain": "mobility", "situation": "Pas de permis.", "needs_action": "to_evaluate"}),
    );
    let first = replaced(&app, &alice, &id, "\"0\"", &body).await;
    let body = json!({"domains": [
        {"domain": "health", "situation": "Suivi médical régulier.", "needs_action": "no"},
        {"domain": "housing", "situation": "Impayés de loyer depuis trois mois.", "needs_action": "yes", "priority": "medium"},
        {"domain": "family", "situation": "Deux enfants à charge.", "needs_action": "no", "priority": null}
    ]});
    let second = replaced(&app, &sam, &id, "\"1\"", &body).await;
    assert_eq!(
        codes(&second),
        ["health", "housing", "family"],
        "mobility removed"
    );
    assert_eq!(second["version"], 2);
    assert_eq!(second["updated_by"], sam_id.as_str());
    let kept = domain(&second, "health");
    assert_eq!(kept["assessed_by"], alice_id.as_str());
    assert_eq!(kept["assessed_at"], domain(&first, "health")["assessed_at"]);
    for changed in ["housing", "family"] {
        assert_eq!(
            domain(&second, changed)["assessed_by"],
            sam_id.as_str(),
            "{changed}"
        );
    }
    assert_ne!(
        domain(&second, "housing")["assessed_at"],
        domain(&first, "housing")["assessed_at"]
    );
    let events: Vec<Value> = sqlx::query_scalar(
        "SELECT data FROM case_events WHERE case_id = $1 AND kind = 'assessment_updated' ORDER BY id",
    )
    .bind(Uuid::parse_str(&id).unwrap())
    .fetch_all(&app.sql)
    .await
    .unwrap();
    assert_eq!(events.len(), 2, "one timeline event per replacement");
    assert_eq!(events[1]["assessed"], json!(["housing", "family"]));
    assert_eq!(events[1]["removed"], json!(["mobility"]));
}

#[tokio::test]
async fn a_replacement_needs_a_current_if_match_and_accepts_a_star() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let (id, _) = new_case(&app, &alice).await;
    let body = housing_and_health();
    assert_problem(
        put(&app, &alice, &id, None, &body).await,
        428,
        "precondition_required",
    )
    .await;
    assert_problem(
        put(&app, &alice, &id, Some("\"1\""), &body).await,
        412,
        "version_mismatch",
    )
    .await;
    replaced(&app, &alice, &id, "\"0\"", &body).await;
    assert_problem(
        put(&app, &alice, &id, Some("\"0\""), &body).await,
        412,
        "version_mismatch",
    )
    .await;
    let response = put(&app, &alice, &id, Some("*"), &json!({"domains": []})).await;
    assert_eq!(response.status(), 200);
    assert_eq!(etag(&response), "\"2\"");
    let emptied: Value = response.json().await.unwrap();
    assert_eq!(emptied["domains"], json!([]));
    assert_eq!(read(&app, &alice, &id).await["version"], 2);
}

#[tokio::test]
async fn bad_entries_are_refused_at_their_field_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let (id, _) = new_case(&app, &alice).await;
    let entry = |domain: &str, needs: &str| json!({"domain": domain, "situation": "Texte", "needs_action": needs});
    let long = "é".repeat(10_001);
    let eleven: Vec<Value> = (0..11).map(|_| entry("other", "no")).collect();
    let cases = [
        (
            json!([entry("health", "no"), entry("health", "no")]),
            "/domains/1/domain",
            "duplicate_domain",
        ),
        (
            json!([entry("housing", "maybe")]),
            "/domains/0/needs_action",
            "invalid_value",
        ),
        (
            json!([entry("weather", "no")]),
            "/domains/0/domain",
            "invalid_value",
        ),
        (
            json!([entry("health", "no"), entry("housing", "yes")]),
            "/domains/1/priority",
            "priority_required",
        ),
        (
            json!([{"domain": "housing", "situation": "x", "needs_action": "yes", "priority": "urgent"}]),
            "/domains/0/priority",
            "invalid_value",
        ),
        (
            json!([{"domain": "family", "situation": long, "needs_action": "no"}]),
            "/domains/0/situation",
            "length",
        ),
        (
            json!([{"domain": "family", "needs_action": "no"}]),
            "/domains/0/situation",
            "required",
        ),
        (json!(eleven), "/domains", "length"),
    ];
    for (domains, pointer, code) in cases {
        let response = put(
            &app,
            &alice,
            &id,
            Some("\"0\""),
            &json!({"domains": domains}),
        )
        .await;
        assert_eq!(response.status(), 422, "{pointer}");
        let problem = problem(response).await;
        assert_eq!(problem["code"], "validation_failed");
        assert_eq!(pointers(&problem), [pointer]);
        assert_eq!(problem["errors"][0]["code"], code, "{pointer}");
    }
    let unknown = json!({"domains": [{"domain": "family", "situation": "x", "needs_action": "no", "notes": "?"}]});
    let response = put(&app, &alice, &id, Some("\"0\""), &unknown).await;
    let problem = assert_problem(response, 400, "unknown_field").await;
    assert_eq!(pointers(&problem), ["/domains/0/notes"]);
    assert_eq!(read(&app, &alice, &id).await["version"], 0);
}

#[tokio::test]
async fn reception_admin_and_dpo_never_see_the_assessment_and_its_health_details() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let (id, _) = new_case(&app, &alice).await;
    replaced(&app, &alice, &id, "\"0\"", &housing_and_health()).await;
    for role in ["reception", "admin", "dpo"] {
        let token = app.token(role, role);
        let path = format!("/v1/cases/{id}/assessment");
        assert_problem(app.get(&path, &token).await, 403, "forbidden").await;
        let response = put(&app, &token, &id, Some("*"), &json!({"domains": []})).await;
        assert_problem(response, 403, "forbidden").await;
    }
    assert_eq!(read(&app, &alice, &id).await["version"], 1);
}

#[tokio::test]
async fn a_worker_off_the_team_and_another_organisation_find_no_assessment() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let (id, _) = new_case(&app, &alice).await;
    let outsiders = [
        app.token("worker", "bruno"),
        app.token_for("other", &["worker"], "x"),
        app.token_for("other", &["supervisor"], "olga"),
    ];
    for token in &outsiders {
        let path = format!("/v1/cases/{id}/assessment");
        assert_problem(app.get(&path, token).await, 404, "not_found").await;
        let response = put(&app, token, &id, Some("*"), &housing_and_health()).await;
        assert_problem(response, 404, "not_found").await;
    }
    assert_eq!(read(&app, &alice, &id).await["version"], 0);
}

#[tokio::test]
async fn a_closed_case_keeps_its_assessment_read_only() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let (id, _) = new_case(&app, &alice).await;
    replaced(&app, &alice, &id, "\"0\"", &housing_and_health()).await;
    let close = json!({"to": "closed", "closure_reason": "person_withdrew"});
    let response = app
        .request(Method::POST, &format!("/v1/cases/{id}/transitions"), &alice)
        .header("If-Match", "\"1\"")
        .json(&close)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = put(&app, &alice, &id, Some("\"1\""), &json!({"domains": []})).await;
    assert_problem(response, 409, "case_closed").await;
    assert_eq!(codes(&read(&app, &alice, &id).await), ["health", "housing"]);

    sqlx::query("UPDATE cases SET status = 'archived' WHERE id = $1")
        .bind(Uuid::parse_str(&id).unwrap())
        .execute(&app.sql)
        .await
        .unwrap();
    let path = format!("/v1/cases/{id}/assessment");
    let refused = app.get(&path, &alice).await;
    assert_eq!(refused.status(), 400);
    assert_eq!(pointers(&problem(refused).await), ["/reason"]);
    let with_reason = app
        .get(&format!("{path}?reason=Demande%20du%20juge"), &alice)
        .await;
    assert_eq!(with_reason.status(), 200);
    let response = put(&app, &alice, &id, Some("*"), &json!({"domains": []})).await;
    assert_problem(response, 409, "case_closed").await;
}

#[tokio::test]
async fn reads_and_replacements_are_audited_against_the_person() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let (id, person) = new_case(&app, &alice).await;
    read(&app, &alice, &id).await;
    replaced(&app, &alice, &id, "\"0\"", &housing_and_health()).await;
    let refused = put(&app, &alice, &id, Some("\"0\""), &housing_and_health()).await;
    assert_eq!(refused.status(), 412);
    let ours: Vec<(String, String)> = app
        .audit_actions(&person)
        .await
        .into_iter()
        .filter(|(_, resource)| resource == "case.assessment")
        .collect();
    let expected = [("read", "case.assessment"), ("update", "case.assessment")];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, r)| ((*a).into(), (*r).into()))
        .collect();
    assert_eq!(ours, expected, "a refused change is not an access");
    let resource: Uuid = sqlx::query_scalar(
        "SELECT resource_id FROM audit_events WHERE resource_type = 'case.assessment' LIMIT 1",
    )
    .fetch_one(&app.sql)
    .await
    .unwrap();
    assert_eq!(resource.to_string(), id);
}

#[tokio::test]
async fn planning_opens_only_once_a_domain_needs_action() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let (id, _) = new_case(&app, &alice).await;
    assert_eq!(
        transition(&app, &alice, &id, 1, "assessment")
            .await
            .status(),
        200
    );
    let nothing_to_do = json!({"domains": [
        {"domain": "health", "situation": "RAS", "needs_action": "no"},
        {"domain": "finances", "situation": "À revoir", "needs_action": "to_evaluate", "priority": "low"}
    ]});
    let written = replaced(&app, &alice, &id, "\"0\"", &nothing_to_do).await;
    assert_eq!(written["domains_needing_action"], 0);
    let refused = transition(&app, &alice, &id, 2, "planning").await;
    assert_problem(refused, 409, "assessment_needs_action").await;

    let written = replaced(&app, &alice, &id, "\"1\"", &housing_and_health()).await;
    assert_eq!(written["domains_needing_action"], 1);
    let response = transition(&app, &alice, &id, 2, "planning").await;
    assert_eq!(response.status(), 200);
    let case: Value = response.json().await.unwrap();
    assert_eq!(case["status"], "planning");
    // The plan is being negotiated: the assessment can still be refined.
    replaced(&app, &alice, &id, "\"2\"", &housing_and_health()).await;
}
