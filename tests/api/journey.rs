//! A realistic accompaniment, end to end: intake, first interview, assessment, a plan of
//! interventions and préconisations, a proposal the person wants changed, a second one they
//! accept, the steps carried out, and the end-of-support signal.

use relais_tests::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

async fn json_of(response: reqwest::Response, expected: u16, what: &str) -> Value {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(status, expected, "{what}: {body}");
    body
}

async fn transition(app: &TestApp, token: &str, case: &Value, body: Value) -> Value {
    let id = case["id"].as_str().unwrap();
    let response = app
        .request(Method::POST, &format!("/v1/cases/{id}/transitions"), token)
        .header("If-Match", format!("\"{}\"", case["version"]))
        .json(&body)
        .send()
        .await
        .unwrap();
    json_of(response, 200, "transition").await
}

async fn add_item(app: &TestApp, token: &str, case_id: &str, item: Value) -> Value {
    let response = app
        .post(&format!("/v1/cases/{case_id}/plan/items"), token, &item)
        .await;
    json_of(response, 201, "adding a plan item").await
}

async fn patch_item(app: &TestApp, token: &str, case_id: &str, item: &Value, body: Value) -> Value {
    let path = format!(
        "/v1/cases/{case_id}/plan/items/{}",
        item["id"].as_str().unwrap()
    );
    let version = item["version"].as_i64().unwrap();
    json_of(
        app.patch(&path, token, version, &body).await,
        200,
        "patching an item",
    )
    .await
}

async fn plan(app: &TestApp, token: &str, case_id: &str) -> Value {
    json_of(
        app.get(&format!("/v1/cases/{case_id}/plan"), token).await,
        200,
        "the plan",
    )
    .await
}

#[tokio::test]
async fn an_accompaniment_from_intake_to_the_end_of_support_signal() {
    let app = TestApp::spawn().await;
    let reception = app.token("reception", "rachid");
    let alice = app.token("worker", "alice");
    let alice_id = app.agent_id(&alice).await;

    // Intake at the front desk: the person and the reason for contact; Alice is the referent.
    let created = app
        .post(
            "/v1/cases",
            &reception,
            &json!({
                "person": {"first_name": "Éloïse", "last_name": "Lefèvre", "birth_date": "1984-03-02"},
                "reason": "Loyers impayés depuis trois mois, risque d'expulsion",
                "origin": "self",
                "referent_id": alice_id,
            }),
        )
        .await;
    let case = json_of(created, 201, "intake").await;
    let case_id = case["id"].as_str().unwrap().to_owned();
    assert_eq!(case["status"], "intake");

    // The first interview is held: analysis of the situation by domain.
    let case = transition(&app, &alice, &case, json!({"to": "assessment"})).await;
    let response = app
        .put(
            &format!("/v1/cases/{case_id}/assessment"),
            &alice,
            Some("\"0\""),
            &json!({"domains": [
            {"domain": "housing", "situation": "Dette locative de 2 400 €", "needs_action": "yes", "priority": "high"},
            {"domain": "finances", "situation": "Ressources irrégulières", "needs_action": "yes", "priority": "medium"},
            {"domain": "health", "situation": "Pas de difficulté signalée", "needs_action": "no"}
        ]}),
        )
        .await;
    json_of(response, 200, "assessment").await;

    // The plan: the worker's interventions and the person's préconisations, with deadlines.
    let fsl = add_item(
        &app,
        &alice,
        &case_id,
        json!({
            "party": "worker", "category": "social_report", "domain": "housing",
            "title": "Rédiger le rapport social pour le FSL", "due_on": "2030-01-15"
        }),
    )
    .await;
    let documents = add_item(
        &app,
        &alice,
        &case_id,
        json!({
            "party": "person", "category": "paperwork", "domain": "housing",
            "title": "Réunir les justificatifs de ressources", "due_on": "2030-01-10"
        }),
    )
    .await;

    // First proposal: the person asks for a change.
    let first = app
        .post(
            &format!("/v1/cases/{case_id}/plan/proposals"),
            &alice,
            &json!({}),
        )
        .await;
    let first = json_of(first, 201, "first proposal").await;
    assert_eq!(first["number"], 1);
    let case_now: Value = app.get_json(&format!("/v1/cases/{case_id}"), &alice).await;
    assert_eq!(
        case_now["status"], "planning",
        "a proposal puts the case in planning"
    );
    let decision = app
        .post(
            &format!("/v1/cases/{case_id}/plan/proposals/1/decision"),
            &alice,
            &json!({"outcome": "changes_requested", "channel": "in_person",
                    "notes": "Souhaite un rendez-vous avec le bailleur"}),
        )
        .await;
    json_of(decision, 200, "changes requested").await;

    // The plan is renegotiated: a step with the landlord is added, then proposed again.
    let landlord = add_item(
        &app,
        &alice,
        &case_id,
        json!({
            "party": "person", "category": "calls_and_visits", "domain": "housing",
            "title": "Appeler le bailleur pour un échéancier", "due_on": "2030-01-05"
        }),
    )
    .await;
    let second = app
        .post(
            &format!("/v1/cases/{case_id}/plan/proposals"),
            &alice,
            &json!({}),
        )
        .await;
    let second = json_of(second, 201, "second proposal").await;
    assert_eq!(second["number"], 2);
    assert_ne!(second["content_hash"], first["content_hash"]);
    let accepted = app
        .post(
            &format!("/v1/cases/{case_id}/plan/proposals/2/decision"),
            &alice,
            &json!({"outcome": "accepted", "channel": "signed_paper"}),
        )
        .await;
    json_of(accepted, 200, "accepted").await;
    let case_now: Value = app.get_json(&format!("/v1/cases/{case_id}"), &alice).await;
    assert_eq!(
        case_now["status"], "active",
        "an accepted proposal makes the case active"
    );

    // The written plan can be printed.
    let document = app
        .request(
            Method::GET,
            &format!("/v1/cases/{case_id}/plan/proposals/2/document"),
            &alice,
        )
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(document.status(), 200);
    let html = document.text().await.unwrap();
    assert!(
        html.contains("Appeler le bailleur pour un échéancier")
            || html.contains("Appeler le bailleur pour un &#")
    );
    assert!(html.contains(second["content_hash"].as_str().unwrap()));

    // The steps are carried out; the plan says support can end.
    let view = plan(&app, &alice, &case_id).await;
    assert_eq!(view["indicators"]["end_of_support"], false);
    assert_eq!(view["needs_new_agreement"], false);
    for item in [&fsl, &documents, &landlord] {
        patch_item(
            &app,
            &alice,
            &case_id,
            item,
            json!({"status": "done", "outcome": "Fait"}),
        )
        .await;
    }
    let view = plan(&app, &alice, &case_id).await;
    assert_eq!(view["indicators"]["percent_done"], 100);
    assert_eq!(view["indicators"]["overdue"], 0);
    assert_eq!(view["indicators"]["end_of_support"], true);

    // Everything the worker did with the person's file left its trace.
    let person_id = case["person_id"].as_str().unwrap();
    let actions = app.audit_actions(person_id).await;
    for resource in [
        "case",
        "case.assessment",
        "plan_item",
        "plan.proposal",
        "plan.decision",
    ] {
        assert!(
            actions.iter().any(|(_, r)| r == resource),
            "an audit event on {resource} (got {actions:?})"
        );
    }
    // Every step of the journey kept the activity ledger true.
    app.assert_activity_ledger_recounts().await;
}
