//! The timeline's events are typed by kind: every kind the service writes reads back through
//! the API with the statuses and `data` its schema states (a shape its type does not know would
//! answer 500), and the document lists exactly these kinds, told apart by `kind`.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::support::applications::Apps;
use crate::support::case::WorkerCase;
use crate::support::liaisons::{Liaisons, named};
use crate::support::plan::{letter, receipts};
use crate::support::proposals::Negotiation;

/// The kinds of a case's timeline as the API answers it, the answer checked against the
/// document's `Timeline` (each event against its kind's schema, told by `kind`).
async fn kinds(case: &WorkerCase) -> Vec<String> {
    let timeline = case
        .app
        .get_json(&case.case_path("/timeline?limit=200"), &case.alice)
        .await;
    relais_tests::assert_conforms("Timeline", &timeline);
    timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// The kinds the document's `TimelineEvent` lists (its discriminator's mapping), each to an
/// event schema whose `kind` is that one text.
fn documented_kinds() -> BTreeSet<String> {
    let doc = serde_json::to_value(relais_api::openapi()).unwrap();
    let schemas = &doc["components"]["schemas"];
    let event = &schemas["TimelineEvent"];
    assert_eq!(event["discriminator"]["propertyName"], "kind");
    let mapping = event["discriminator"]["mapping"].as_object().unwrap();
    assert_eq!(mapping.len(), event["oneOf"].as_array().unwrap().len());
    mapping
        .iter()
        .map(|(kind, reference)| {
            let name = reference
                .as_str()
                .unwrap()
                .trim_start_matches("#/components/schemas/");
            assert_eq!(
                schemas[name]["properties"]["kind"]["enum"],
                json!([kind]),
                "{name}"
            );
            kind.clone()
        })
        .collect()
}

#[tokio::test]
async fn every_kind_of_event_reads_back_typed_and_is_documented() {
    let mut seen = BTreeSet::new();

    // The plan and its negotiation, then a closure forced over a pending step, a reopening.
    let n = Negotiation::new().await;
    let kept = n.add(receipts()).await;
    let dropped = n.add(letter(15)).await;
    n.change(&kept, json!({"due_on": relais_tests::in_days(12)}))
        .await;
    n.remove(&dropped).await;
    let proposal = n.proposed().await;
    let number = proposal["number"].as_i64().unwrap();
    n.decided(number, "accepted").await;
    let observed = n
        .observe_as(
            &n.alice,
            number,
            &json!({"text": "Je préfère le mardi.", "channel": "phone"}),
        )
        .await;
    assert_eq!(observed.status(), 201);
    let version = n.read_case().await["version"].as_i64().unwrap();
    let patched = n
        .app
        .patch(
            &n.case_path(""),
            &n.alice,
            version,
            &json!({"target_end_on": relais_tests::in_days(200)}),
        )
        .await;
    assert_eq!(patched.status(), 200);
    // Handed over to a supervisor, alice staying on the team.
    let sam = n.app.token("supervisor", "sam");
    let sam_id = n.app.agent_id(&sam).await;
    let alice_id = n.app.agent_id(&n.alice).await;
    let handover = n
        .app
        .post(
            "/v1/cases/reassignments",
            &sam,
            &json!({"from_agent_id": alice_id, "to_agent_id": sam_id,
                    "keep_previous_in_team": true}),
        )
        .await;
    assert_eq!(handover.status(), 200);
    n.close().await;
    n.transition("assessment", Some(json!({"reason": "La personne revient"})))
        .await;
    seen.extend(kinds(&n).await);

    // A first interview held moves the case out of intake; the contact changes afterwards.
    let c = WorkerCase::new().await;
    let contact = c
        .app
        .post(
            &c.case_path("/contacts"),
            &c.alice,
            &json!({"kind": "first_interview", "occurred_at": chrono::Utc::now().to_rfc3339()}),
        )
        .await;
    assert_eq!(contact.status(), 201);
    let contact: Value = contact.json().await.unwrap();
    let path = c.case_path(&format!("/contacts/{}", contact["id"].as_str().unwrap()));
    let changed = c
        .app
        .patch(
            &path,
            &c.alice,
            1,
            &json!({"summary": "Premier entretien tenu"}),
        )
        .await;
    assert_eq!(changed.status(), 200);
    // A planned interview is then cancelled: its outcome.
    let planned = c
        .app
        .post(
            &c.case_path("/contacts"),
            &c.alice,
            &json!({"kind": "interview",
                    "scheduled_at": (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339()}),
        )
        .await;
    assert_eq!(planned.status(), 201);
    let planned: Value = planned.json().await.unwrap();
    let outcome = c
        .app
        .request(
            reqwest::Method::POST,
            &c.case_path(&format!(
                "/contacts/{}/outcome",
                planned["id"].as_str().unwrap()
            )),
            &c.alice,
        )
        .header("If-Match", "\"1\"")
        .json(&json!({"status": "cancelled", "reason": "La personne est hospitalisée"}))
        .send()
        .await
        .unwrap();
    assert_eq!(outcome.status(), 200);
    // A letter written from a template.
    let templates = c.app.get_json("/v1/letter-templates", &c.alice).await;
    let attestation = templates["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["starter"] == "attestation_suivi")
        .unwrap()["id"]
        .clone();
    let letter = c
        .app
        .post(
            &c.case_path("/letters"),
            &c.alice,
            &json!({"template_id": attestation}),
        )
        .await;
    assert_eq!(letter.status(), 201);
    seen.extend(kinds(&c).await);

    // Liaison sheets: drafted, sent, then acknowledged or declined by the institution.
    let l = Liaisons::new().await;
    for answer in ["acknowledged", "declined"] {
        let draft = l.draft(&named(&["identity"], "shared_secrecy")).await;
        let sent = l.send(&draft).await;
        assert_eq!(sent.status(), 200);
        let sent: Value = sent.json().await.unwrap();
        assert_eq!(l.answer(&sent, answer).await.status(), 200, "{answer}");
    }
    seen.extend(kinds(&l).await);

    // An application: its checklist moves it, a document is uploaded, a social report written,
    // then it goes on to a decision.
    let a = Apps::new().await;
    let application = a.fsl_application().await;
    a.upload(&a.case_id).await;
    let report = a
        .app
        .post(
            &format!("{}/social-reports", a.of(&application)),
            &a.alice,
            &json!({"text": "Situation de Mme Lefèvre : impayés de loyer."}),
        )
        .await;
    assert_eq!(report.status(), 201);
    let withdrawn = a
        .transition(
            &application,
            &json!({"to": "withdrawn", "reason": "La personne renonce"}),
        )
        .await;
    assert_eq!(withdrawn.status(), 200);
    seen.extend(kinds(&a).await);

    let documented = documented_kinds();
    assert_eq!(documented.len(), 23, "{documented:?}");
    let missing: Vec<_> = documented.difference(&seen).collect();
    assert!(missing.is_empty(), "kinds not exercised here: {missing:?}");
    let undocumented: Vec<_> = seen.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "kinds the document does not list: {undocumented:?}"
    );
}
