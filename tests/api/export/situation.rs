//! The right-of-access export covers the person's situation and dossiers too: household,
//! budget, applications (checklist, social reports, funding plan) and documents' metadata —
//! never the files' bytes, which are downloaded one by one (and audited).

use crate::support::applications::Apps;
use serde_json::{Value, json};

async fn put(a: &Apps, what: &str, body: &Value) {
    let path = format!("/v1/persons/{}/{what}", a.person_id);
    let response = a.app.put(&path, &a.alice, Some("\"0\""), body).await;
    assert_eq!(response.status(), 200, "putting the {what}");
}

#[tokio::test]
async fn the_export_holds_the_household_budget_applications_and_document_metadata() {
    let a = Apps::new().await;
    put(
        &a,
        "household",
        &json!({"housing": "tenant", "members": [
            {"relationship": "child", "birth_date": "2015-05-01", "dependent": true}
        ]}),
    )
    .await;
    put(
        &a,
        "budget",
        &json!({"resources": [{"kind": "salary", "amount_cents": 140000}],
                "charges": [{"kind": "rent", "amount_cents": 60000}]}),
    )
    .await;
    let scheme = a.fsl().await;
    let application = a.apply(&scheme, false).await;
    let report = a
        .app
        .post(
            &format!("{}/social-reports", a.of(&application)),
            &a.alice,
            &json!({"text": "Madame fait face à des impayés de loyer depuis trois mois."}),
        )
        .await;
    assert_eq!(report.status(), 201);
    let document = a.upload(&a.case_id).await;

    let dpo = a.app.token("dpo", "dora");
    let response = a
        .app
        .get(&format!("/v1/persons/{}/export", a.person_id), &dpo)
        .await;
    assert_eq!(response.status(), 200);
    let export: Value = response.json().await.unwrap();

    assert_eq!(export["household"]["housing"], "tenant");
    assert_eq!(export["household"]["members"][0]["relationship"], "child");
    let lines = export["budget"]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "rent" && l["amount_cents"] == 60000)
    );

    let case = &export["cases"][0];
    let exported = &case["applications"][0];
    assert_eq!(exported["id"], application["id"]);
    assert_eq!(exported["scheme_id"], scheme);
    assert!(!exported["documents"].as_array().unwrap().is_empty());
    assert_eq!(
        exported["social_reports"][0]["text"],
        "Madame fait face à des impayés de loyer depuis trois mois."
    );
    let files = case["documents"].as_array().unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["id"], document);
    assert_eq!(files[0]["filename"], "quittances.pdf");
    assert!(files[0].get("content").is_none(), "never the bytes");
    assert!(export.get("org_id").is_none() && exported.get("org_id").is_none());
}
