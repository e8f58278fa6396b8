//! A sent sheet is read live from its case, so a partner reads it only while sharing it is
//! still allowed: after the person withdraws the consent it relies on, or once the case is
//! archived, the partner gets 409 `no_longer_shared` instead of the case's current content.

use crate::support::liaisons::Liaisons;
use relais_tests::{TestPartner, assert_problem};
use serde_json::{Value, json};

/// A sheet sent to a new partner under the person's consent: (partner, liaison id, consent id).
async fn sent_under_consent(l: &Liaisons) -> (TestPartner, String, String) {
    let partner = l.app.partner("Mission locale", None).await;
    let consent = l.consent("share_with_partners").await;
    let draft = l
        .draft(&json!({
            "destination": {"partner_id": partner.id},
            "purpose": "Accompagnement vers l'emploi.",
            "content": ["identity", "reason"],
            "legal_basis": "consent",
            "consent_id": consent,
        }))
        .await;
    let response = l.send(&draft).await;
    assert_eq!(response.status(), 200, "sending the liaison");
    let id = draft["id"].as_str().unwrap().to_owned();
    (partner, id, consent)
}

#[tokio::test]
async fn a_withdrawn_consent_stops_the_partner_reading_the_sheet_and_its_document() {
    let l = Liaisons::new().await;
    let (partner, id, consent) = sent_under_consent(&l).await;
    let path = format!("/v1/liaisons/{id}");
    let before = l.app.get(&path, &partner.token).await;
    assert_eq!(before.status(), 200, "readable while the consent holds");

    l.withdraw(&consent).await;
    let after = l.app.get(&path, &partner.token).await;
    let problem: Value = assert_problem(after, 409, "no_longer_shared").await;
    assert!(
        !problem.to_string().contains("Camille"),
        "the refusal carries no personal data: {problem}"
    );
    let document = l.app.get(&format!("{path}/document"), &partner.token).await;
    assert_problem(document, 409, "no_longer_shared").await;
}

#[tokio::test]
async fn an_archived_case_stops_the_partner_reading_the_sheet() {
    let l = Liaisons::new().await;
    let (partner, id, _) = sent_under_consent(&l).await;
    sqlx::query("UPDATE cases SET status = 'archived' WHERE id = $1::uuid")
        .bind(&l.case_id)
        .execute(&l.app.sql)
        .await
        .unwrap();
    let response = l
        .app
        .get(&format!("/v1/liaisons/{id}"), &partner.token)
        .await;
    assert_problem(response, 409, "no_longer_shared").await;
}
