//! Applications over HTTP: created from a scheme (with the plan items they need), their whole
//! life to a decision or a withdrawal, the transitions refused, corrections and concurrency.
//! Permissions, other organisations, archived cases and the audit log are in
//! `applications::access`.

mod access;
mod documents;
mod funding;
mod report_document;

use crate::support::applications::{Apps, fsl};
use relais_tests::{assert_problem, header, pointers, today};
use serde_json::{Value, json};

#[tokio::test]
async fn an_application_lives_from_its_scheme_to_a_granted_decision() {
    let a = Apps::new().await;
    let scheme_id = a.fsl().await;
    let response = a
        .create_as(
            &a.alice,
            &json!({"scheme_id": scheme_id, "propose_plan_items": true, "notes": " Commission de décembre. "}),
        )
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(header(&response, "etag"), "\"1\"");
    let location = header(&response, "location");
    let created: Value = response.json().await.unwrap();
    assert_eq!(location, a.of(&created));
    assert_eq!(created["status"], "preparing");
    assert_eq!(
        created["scheme_name"],
        "Fonds de solidarité logement (FSL) — maintien"
    );
    assert_eq!(created["notes"], "Commission de décembre.");
    assert_eq!(created["missing_required"], 3);
    let lines: Vec<(&str, &str, &str)> = created["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert_eq!(d["status"], "requested");
            assert_eq!(d["required"], true);
            (
                d["code"].as_str().unwrap(),
                d["provider"].as_str().unwrap(),
                d["label"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("identity_document", "person", "Pièce d'identité"),
            (
                "rent_receipts",
                "person",
                "Trois dernières quittances de loyer"
            ),
            (
                "employer_certificate",
                "worker",
                "Attestation de l'employeur"
            ),
        ]
    );
    assert_eq!(created["funding_plan"], Value::Null);
    assert_eq!(created["social_report"], Value::Null);

    // The plan got the person's préconisation and the worker's two interventions.
    let plan: Value = a
        .app
        .get_json(&format!("/v1/cases/{}/plan/items", a.case_id), &a.alice)
        .await;
    let mut items: Vec<(String, String, String)> = plan["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            assert_eq!(i["application_id"], created["id"]);
            assert_eq!(i["scheme_id"], json!(scheme_id));
            assert_eq!(i["domain"], "housing");
            (
                i["party"].as_str().unwrap().to_owned(),
                i["category"].as_str().unwrap().to_owned(),
                i["title"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    items.sort();
    let suffix = " (Fonds de solidarité logement (FSL) — maintien)";
    assert_eq!(
        items,
        [
            (
                "person".into(),
                "paperwork".into(),
                format!("Rassembler les pièces justificatives{suffix}")
            ),
            (
                "worker".into(),
                "partner_consultation".into(),
                format!("Obtenir les pièces auprès des employeurs et institutions{suffix}")
            ),
            (
                "worker".into(),
                "social_report".into(),
                format!("Rédiger le rapport de situation sociale{suffix}")
            ),
        ]
    );
    let paperwork = plan["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["category"] == "paperwork")
        .unwrap();
    assert_eq!(
        paperwork["details"],
        "Pièces à fournir :\n– Pièce d'identité\n– Trois dernières quittances de loyer"
    );

    // The checklist completes the application by itself.
    a.mark(&created, "identity_document", "received").await;
    a.mark(&created, "rent_receipts", "validated").await;
    let last = a.mark(&created, "employer_certificate", "received").await;
    assert_eq!(last["application_status"], "complete");
    let complete = a.read(&created).await;
    assert_eq!(complete["status"], "complete");
    assert_eq!(complete["missing_required"], 0);

    let reviewed = a.moved(&complete, &json!({"to": "under_review"})).await;
    assert_eq!(reviewed["status"], "under_review");
    let submitted = a
        .moved(
            &reviewed,
            &json!({"to": "submitted", "submitted_on": today(), "submitted_to": "Commission FSL du Rhône"}),
        )
        .await;
    assert_eq!(submitted["status"], "submitted");
    assert_eq!(submitted["submitted_on"], today().to_string());
    assert_eq!(submitted["submitted_to"], "Commission FSL du Rhône");
    let response = a
        .transition(
            &submitted,
            &json!({"to": "decided", "decision": "granted", "decided_on": today(), "amount_granted_cents": 120000}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let version = submitted["version"].as_i64().unwrap() + 1;
    assert_eq!(header(&response, "etag"), format!("\"{version}\""));
    let decided: Value = response.json().await.unwrap();
    assert_eq!(decided["status"], "decided");
    assert_eq!(decided["decision"], "granted");
    assert_eq!(decided["decided_on"], today().to_string());
    assert_eq!(decided["amount_granted_cents"], 120000);
    assert_eq!(decided["decision_reason"], Value::Null);

    let kinds = a.timeline_kinds().await;
    let changes = kinds
        .iter()
        .filter(|k| *k == "application_status_changed")
        .count();
    assert!(kinds.contains(&"application_created".to_owned()));
    assert_eq!(
        changes, 4,
        "complete, under_review, submitted, decided: {kinds:?}"
    );
}

#[tokio::test]
async fn bad_applications_are_refused_with_a_pointer() {
    let a = Apps::new().await;
    let fsl_id = a.fsl().await;
    let missing = "0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b";
    let p = assert_problem(
        a.create_as(&a.alice, &json!({"scheme_id": missing})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(pointers(&p), ["/scheme_id"]);
    let elsewhere = a.scheme_in("other", &fsl()).await;
    let p = assert_problem(
        a.create_as(&a.alice, &json!({"scheme_id": elsewhere}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["errors"][0]["code"], "unknown_reference");
    let mut inactive = fsl();
    inactive["name"] = json!("Ancienne aide");
    inactive["active"] = json!(false);
    let retired = a.scheme_in("acme", &inactive).await;
    let p = assert_problem(
        a.create_as(&a.alice, &json!({"scheme_id": retired})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["errors"][0]["code"], "scheme_inactive");
    assert_problem(
        a.create_as(&a.alice, &json!({"scheme_id": fsl_id, "priority": "high"}))
            .await,
        400,
        "unknown_field",
    )
    .await;

    a.apply(&fsl_id, false).await;
    assert_problem(
        a.create_as(&a.alice, &json!({"scheme_id": fsl_id})).await,
        409,
        "application_in_progress",
    )
    .await;
}

#[tokio::test]
async fn transitions_follow_the_lifecycle() {
    let a = Apps::new().await;
    let application = a.fsl_application().await;
    let p = assert_problem(
        a.transition(&application, &json!({"to": "under_review"}))
            .await,
        409,
        "application_incomplete",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains('3'));
    assert_problem(
        a.transition(
            &application,
            &json!({"to": "submitted", "submitted_on": today(), "submitted_to": "CAF"}),
        )
        .await,
        409,
        "invalid_application_transition",
    )
    .await;
    let p = assert_problem(
        a.transition(&application, &json!({"to": "complete"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(pointers(&p), ["/to"]);
    assert_eq!(p["errors"][0]["code"], "automatic_status");

    for code in ["identity_document", "rent_receipts", "employer_certificate"] {
        a.mark(&application, code, "received").await;
    }
    let complete = a.read(&application).await;
    let reviewed = a.moved(&complete, &json!({"to": "under_review"})).await;
    let p = assert_problem(
        a.transition(
            &reviewed,
            &json!({"to": "submitted", "submitted_on": "2999-01-01", "decision": "granted"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        pointers(&p),
        ["/decision", "/submitted_on", "/submitted_to"]
    );
    let submitted = a
        .moved(
            &reviewed,
            &json!({"to": "submitted", "submitted_on": today(), "submitted_to": "CCAS"}),
        )
        .await;
    let p = assert_problem(
        a.transition(
            &submitted,
            &json!({"to": "decided", "decision": "refused", "decided_on": today()}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(pointers(&p), ["/reason"]);
    let p = assert_problem(
        a.transition(&submitted, &json!({"to": "decided", "decision": "partially_granted", "decided_on": today(), "amount_granted_cents": 0}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(pointers(&p), ["/amount_granted_cents"]);
    let refused = a
        .moved(
            &submitted,
            &json!({"to": "decided", "decision": "refused", "decided_on": today(), "reason": "Ressources supérieures au plafond."}),
        )
        .await;
    assert_eq!(
        refused["decision_reason"],
        "Ressources supérieures au plafond."
    );
    assert_eq!(refused["amount_granted_cents"], Value::Null);
    assert_problem(
        a.transition(&refused, &json!({"to": "withdrawn"})).await,
        409,
        "invalid_application_transition",
    )
    .await;
}

#[tokio::test]
async fn a_withdrawn_application_keeps_its_reason_and_freezes_its_checklist() {
    let a = Apps::new().await;
    let scheme = a.fsl().await;
    let application = a.apply(&scheme, false).await;
    let withdrawn = a
        .moved(
            &application,
            &json!({"to": "withdrawn", "reason": "La personne a retrouvé un emploi."}),
        )
        .await;
    assert_eq!(withdrawn["status"], "withdrawn");
    assert_eq!(withdrawn["withdrawn_on"], today().to_string());
    assert_eq!(
        withdrawn["withdrawal_reason"],
        "La personne a retrouvé un emploi."
    );
    let line = Apps::line(&withdrawn, "rent_receipts");
    assert_problem(
        a.patch_line(&withdrawn, &line, &json!({"status": "received"}))
            .await,
        409,
        "application_final",
    )
    .await;
    assert_problem(
        a.app
            .post(
                &format!("{}/social-reports", a.of(&withdrawn)),
                &a.alice,
                &json!({"text": "x"}),
            )
            .await,
        409,
        "application_final",
    )
    .await;
    // A new application to the same scheme can start now.
    a.apply(&scheme, false).await;
}

#[tokio::test]
async fn changes_need_the_current_etag_and_corrections_fit_the_status() {
    let a = Apps::new().await;
    let application = a.fsl_application().await;
    let path = format!("{}/transitions", a.of(&application));
    let response = a
        .app
        .post(&path, &a.alice, &json!({"to": "withdrawn"}))
        .await;
    assert_problem(response, 428, "precondition_required").await;
    let stale = a.patch(&application, 7, &json!({"notes": "x"})).await;
    assert_problem(stale, 412, "version_mismatch").await;

    let response = a
        .patch(
            &application,
            1,
            &json!({"notes": "Voir avec la CAF.", "submitted_to": "CAF"}),
        )
        .await;
    let p = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(pointers(&p), ["/submitted_to"]);
    let response = a
        .patch(&application, 1, &json!({"notes": "Voir avec la CAF."}))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "etag"), "\"2\"");
    let noted: Value = response.json().await.unwrap();
    assert_eq!(noted["notes"], "Voir avec la CAF.");
    let same = a
        .patch(&application, 2, &json!({"notes": "Voir avec la CAF."}))
        .await;
    assert_eq!(
        header(&same, "etag"),
        "\"2\"",
        "nothing changed, no new version"
    );

    for code in ["identity_document", "rent_receipts", "employer_certificate"] {
        a.mark(&application, code, "validated").await;
    }
    let reviewed = a
        .moved(&a.read(&application).await, &json!({"to": "under_review"}))
        .await;
    let submitted = a
        .moved(
            &reviewed,
            &json!({"to": "submitted", "submitted_on": today(), "submitted_to": "CAF"}),
        )
        .await;
    let decided = a
        .moved(
            &submitted,
            &json!({"to": "decided", "decision": "granted", "decided_on": today(), "amount_granted_cents": 50000}),
        )
        .await;
    let version = decided["version"].as_i64().unwrap();
    let response = a.patch(&decided, version, &json!({"submitted_to": "CAF du Rhône", "decision": "partially_granted", "amount_granted_cents": 30000})).await;
    assert_eq!(response.status(), 200);
    let corrected: Value = response.json().await.unwrap();
    assert_eq!(corrected["submitted_to"], "CAF du Rhône");
    assert_eq!(corrected["decision"], "partially_granted");
    assert_eq!(corrected["amount_granted_cents"], 30000);
    let response = a
        .patch(
            &decided,
            version + 1,
            &json!({"decision": "refused", "amount_granted_cents": null}),
        )
        .await;
    let p = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(pointers(&p), ["/decision_reason"]);
}
