//! Sending liaison sheets: the sharing rule checked at send time against the current person and
//! consent (409 with what is missing), the lifecycle draft → sent → acknowledged | declined,
//! If-Match on every change, and a `share` audit event for each.

use crate::support::liaisons::{Liaisons, named};
use relais_tests::{assert_problem, header};
use serde_json::{Value, json};

#[tokio::test]
async fn a_liaison_under_shared_secrecy_is_sent_once() {
    let l = Liaisons::new().await;
    let draft = l
        .draft(&named(&["identity", "reason"], "shared_secrecy"))
        .await;
    let response = l.send(&draft).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "etag"), "\"2\"");
    let sent: Value = response.json().await.unwrap();
    assert_eq!(sent["status"], "sent");
    assert!(sent["sent_at"].is_string());
    assert_eq!(
        sent["sent_by"],
        json!(l.app.agent_id(&l.alice).await.to_string())
    );
    let again = l.send(&sent).await;
    assert_problem(again, 409, "invalid_liaison_transition").await;
}

#[tokio::test]
async fn a_person_never_informed_blocks_the_send() {
    let l = Liaisons::with(false).await;
    let draft = l.draft(&named(&["identity"], "shared_secrecy")).await;
    assert_problem(l.send(&draft).await, 409, "person_not_informed").await;
    // Once informed, it goes.
    let response = l
        .app
        .patch(
            &format!("/v1/persons/{}", l.person_id),
            &l.alice,
            1,
            &json!({"informed": {"at": "2026-03-02", "channel": "phone", "notice_version": "2026-01"}}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(l.send(&draft).await.status(), 200);
}

#[tokio::test]
async fn a_liaison_relying_on_consent_goes_until_the_consent_is_withdrawn() {
    let l = Liaisons::new().await;
    let consent = l.consent("share_with_named_institution").await;
    let mut body = named(&["identity", "health"], "consent");
    body["consent_id"] = json!(consent);
    let first = l.draft(&body).await;
    let second = l.draft(&body).await;
    assert_eq!(l.send(&first).await.status(), 200);
    l.withdraw(&consent).await;
    assert_problem(l.send(&second).await, 409, "consent_withdrawn").await;
    let still: Value = l
        .app
        .get_json(&l.liaison(second["id"].as_str().unwrap()), &l.alice)
        .await;
    assert_eq!(still["status"], "draft");
}

#[tokio::test]
async fn a_partner_needs_a_consent_to_share_with_partners() {
    let l = Liaisons::new().await;
    let consent = l.consent("share_with_partners").await;
    let partner_id = l.partner_row(l.app.org.id, "Mission locale", true).await;
    let body = json!({
        "destination": {"partner_id": partner_id},
        "purpose": "Suivi emploi.",
        "content": ["identity", "steps_pending"],
        "legal_basis": "consent",
        "consent_id": consent,
    });
    let draft = l.draft(&body).await;
    assert_eq!(l.send(&draft).await.status(), 200);
}

#[tokio::test]
async fn the_destination_answer_is_acknowledged_or_declined_once() {
    let l = Liaisons::new().await;
    let draft = l.draft(&named(&["identity"], "shared_secrecy")).await;
    assert_problem(
        l.answer(&draft, "acknowledged").await,
        409,
        "invalid_liaison_transition",
    )
    .await;
    let sent: Value = l.send(&draft).await.json().await.unwrap();
    assert_problem(l.answer(&sent, "sent").await, 422, "validation_failed").await;
    assert_problem(l.answer(&sent, "later").await, 422, "validation_failed").await;
    let response = l.answer(&sent, "acknowledged").await;
    assert_eq!(response.status(), 200);
    let acknowledged: Value = response.json().await.unwrap();
    assert_eq!(acknowledged["status"], "acknowledged");
    assert!(acknowledged["answered_at"].is_string());
    assert_problem(
        l.answer(&acknowledged, "declined").await,
        409,
        "invalid_liaison_transition",
    )
    .await;

    let other = l.draft(&named(&["identity"], "shared_secrecy")).await;
    let sent: Value = l.send(&other).await.json().await.unwrap();
    let declined: Value = l.answer(&sent, "declined").await.json().await.unwrap();
    assert_eq!(declined["status"], "declined");
}

#[tokio::test]
async fn changes_need_the_current_etag() {
    let l = Liaisons::new().await;
    let draft = l.draft(&named(&["identity"], "shared_secrecy")).await;
    let id = draft["id"].as_str().unwrap();
    assert_problem(
        l.send_as(&l.alice, id, None).await,
        428,
        "precondition_required",
    )
    .await;
    assert_problem(
        l.send_as(&l.alice, id, Some("\"7\"")).await,
        412,
        "version_mismatch",
    )
    .await;
    let sent: Value = l.send(&draft).await.json().await.unwrap();
    assert_problem(l.answer(&draft, "declined").await, 412, "version_mismatch").await;
    assert_eq!(l.answer(&sent, "declined").await.status(), 200);
}

#[tokio::test]
async fn every_status_change_is_audited_as_a_share_and_written_in_the_timeline() {
    let l = Liaisons::new().await;
    let draft = l.draft(&named(&["identity"], "shared_secrecy")).await;
    let sent: Value = l.send(&draft).await.json().await.unwrap();
    l.answer(&sent, "acknowledged").await;
    let shares = l.audited("share", "liaison").await;
    assert_eq!(shares, 2);
    let timeline: Value = l
        .app
        .get_json(&format!("/v1/cases/{}/timeline", l.case_id), &l.alice)
        .await;
    let kinds: Vec<_> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .filter(|k| k.starts_with("liaison_"))
        .collect();
    let mut kinds = kinds;
    kinds.sort();
    assert_eq!(
        kinds,
        ["liaison_acknowledged", "liaison_created", "liaison_sent"]
    );
}
