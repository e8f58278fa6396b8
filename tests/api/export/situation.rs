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
                "charges": [{"kind": "rent", "amount_cents": 60000}],
                "debts": [{"kind": "rent_arrears", "creditor": "Office HLM",
                           "amount_owed_cents": 180000, "monthly_repayment_cents": 15000}]}),
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
    a.fund(&application).await;
    let document = a.upload(&a.case_id).await;

    let dpo = a.app.token("dpo", "dora");
    let response = a
        .app
        .get(&format!("/v1/persons/{}/export", a.person_id), &dpo)
        .await;
    assert_eq!(response.status(), 200);
    let export: Value = response.json().await.unwrap();
    relais_tests::assert_conforms("PersonExport", &export);

    assert_eq!(export["household"]["housing"], "tenant");
    assert_eq!(export["household"]["members"][0]["relationship"], "child");
    let lines = export["budget"]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "rent" && l["amount_cents"] == 60000)
    );

    assert_eq!(
        export["budget"]["debts"],
        json!([{"position": 0, "kind": "rent_arrears", "creditor": "Office HLM",
                "amount_owed_cents": 180000, "monthly_repayment_cents": 15000}])
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
    assert_eq!(
        exported["funding_plan"]["funders"][0]["status"],
        "requested"
    );
}

/// The sections written whole from their rows, each with the columns the export leaves out.
const WHOLE_ROWS: &[(&str, &str, &[&str])] = &[
    ("households", "ExportedHousehold", &["org_id"]),
    (
        "household_members",
        "ExportedHouseholdMember",
        &["org_id", "person_id"],
    ),
    ("budgets", "ExportedBudget", &["org_id"]),
    (
        "budget_lines",
        "ExportedBudgetLine",
        &["org_id", "person_id"],
    ),
    (
        "budget_debts",
        "ExportedBudgetDebt",
        &["org_id", "person_id"],
    ),
    ("applications", "ExportedApplication", &["org_id"]),
    (
        "application_documents",
        "ExportedChecklistLine",
        &["org_id"],
    ),
    ("social_reports", "ExportedSocialReport", &["org_id"]),
    ("funding_plans", "ExportedFundingPlan", &["org_id"]),
    ("funding_plan_funders", "ExportedFunder", &["org_id"]),
    ("documents", "ExportedDocument", &["org_id"]),
    ("letters", "ExportedLetter", &["org_id"]),
];

#[tokio::test]
async fn every_column_of_a_section_written_whole_is_in_its_schema() {
    let a = Apps::new().await;
    let document = serde_json::to_value(relais_api::openapi()).unwrap();
    let mut undocumented = Vec::new();
    for (table, schema, left_out) in WHOLE_ROWS {
        let columns: Vec<String> = sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = $1",
        )
        .bind(table)
        .fetch_all(&a.app.sql)
        .await
        .unwrap();
        assert!(!columns.is_empty(), "{table} has columns");
        let properties = document["components"]["schemas"][schema]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{schema} is a schema with properties"));
        for column in columns {
            if !left_out.contains(&column.as_str()) && !properties.contains_key(&column) {
                undocumented.push(format!("{table}.{column} (schema {schema})"));
            }
        }
    }
    assert!(
        undocumented.is_empty(),
        "columns the export writes but its schemas do not describe: {undocumented:#?}"
    );
}
