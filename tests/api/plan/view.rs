//! The plan view (`GET /v1/cases/{id}/plan`): the items, the indicators with the case's
//! durations, the last agreement, what changed since (added, removed, changed field by field)
//! and whether the plan must be agreed again.

use crate::support::proposals::{Negotiation, letter, receipts, social_report, step};
use chrono::Days;
use relais_tests::{in_days, today};
use serde_json::{Value, json};

fn titles(plan: &Value) -> Vec<&str> {
    plan["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect()
}

/// The (field, before, after, alters_agreement) of the change of item `id`.
fn fields_of(plan: &Value, id: &Value) -> Vec<(String, Value, Value, bool)> {
    let changed = plan["changes_since_agreement"]["changed"]
        .as_array()
        .unwrap();
    let change = changed.iter().find(|c| c["item_id"] == *id).unwrap();
    change["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().to_owned(),
                f["before"].clone(),
                f["after"].clone(),
                f["alters_agreement"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_plan_never_agreed_shows_its_items_and_needs_an_agreement() {
    let n = Negotiation::new().await;
    let empty = n.plan().await;
    assert_eq!(empty["case_id"], n.case_id.as_str());
    assert_eq!(empty["items"], json!([]));
    assert_eq!(empty["needs_new_agreement"], false);
    assert_eq!(empty["indicators"]["total"], 0);
    assert_eq!(empty["indicators"]["end_of_support"], false);

    n.add(social_report()).await;
    n.add(receipts()).await;
    n.proposed().await;
    n.decided(1, "changes_requested").await;
    let plan = n.plan().await;
    assert_eq!(
        titles(&plan),
        ["Réunir les quittances", "Rédiger le rapport social"]
    );
    assert_eq!(plan["items"][0]["kind"], "recommendation");
    assert_eq!(plan["items"][0]["overdue"], false);
    assert!(plan["items"][0]["version"].is_number());
    assert_eq!(plan["last_agreement"], Value::Null);
    assert_eq!(plan["changes_since_agreement"], Value::Null);
    assert_eq!(plan["needs_new_agreement"], true);
    assert_eq!(plan["indicators"]["days_to_agreement"], Value::Null);
}

#[tokio::test]
async fn right_after_an_agreement_nothing_changed() {
    let n = Negotiation::new().await;
    n.add(receipts()).await;
    let proposal = n.proposed().await;
    let decided = n.decided(1, "accepted").await;
    let plan = n.plan().await;
    let agreement = &plan["last_agreement"];
    assert_eq!(agreement["number"], 1);
    assert_eq!(agreement["content_hash"], proposal["content_hash"]);
    assert_eq!(agreement["decided_at"], decided["decision"]["decided_at"]);
    assert_eq!(
        plan["changes_since_agreement"],
        json!({"added": [], "removed": [], "changed": []})
    );
    assert_eq!(plan["needs_new_agreement"], false);
}

#[tokio::test]
async fn added_removed_and_changed_items_are_shown_field_by_field() {
    let n = Negotiation::new().await;
    let kept = n.add(receipts()).await;
    let dropped = n.add(letter(12)).await;
    n.proposed().await;
    n.decided(1, "accepted").await;

    n.change(
        &kept,
        json!({"title": "Réunir toutes les quittances", "due_on": in_days(15), "details": "Depuis janvier"}),
    )
    .await;
    n.remove(&dropped).await;
    let added = n
        .add(step(
            "partner",
            "investigation",
            "Instruire la demande FSL",
            30,
        ))
        .await;
    let plan = n.plan().await;
    let changes = &plan["changes_since_agreement"];
    assert_eq!(
        changes["added"],
        json!([{"item_id": added["id"], "party": "partner", "title": "Instruire la demande FSL"}])
    );
    assert_eq!(
        changes["removed"],
        json!([{"item_id": dropped["id"], "party": "worker", "title": "Écrire au bailleur"}])
    );
    assert_eq!(changes["changed"].as_array().unwrap().len(), 1);
    assert_eq!(
        changes["changed"][0]["title"],
        "Réunir toutes les quittances"
    );
    assert_eq!(
        fields_of(&plan, &kept["id"]),
        [
            (
                "title".to_owned(),
                json!("Réunir les quittances"),
                json!("Réunir toutes les quittances"),
                true
            ),
            (
                "details".to_owned(),
                Value::Null,
                json!("Depuis janvier"),
                true
            ),
            (
                "due_on".to_owned(),
                json!(in_days(10)),
                json!(in_days(15)),
                true
            ),
        ]
    );
    assert_eq!(plan["needs_new_agreement"], true);

    // A new agreement on the plan as it stands clears the changes.
    n.proposed().await;
    n.decided(2, "accepted").await;
    let plan = n.plan().await;
    assert_eq!(plan["last_agreement"]["number"], 2);
    assert_eq!(plan["needs_new_agreement"], false);
    assert_eq!(plan["changes_since_agreement"]["changed"], json!([]));
}

#[tokio::test]
async fn progress_is_shown_but_only_a_cancelled_step_calls_for_a_new_agreement() {
    let n = Negotiation::new().await;
    let done = n.add(receipts()).await;
    let cancelled = n
        .add(step("worker", "investigation", "Rechercher les aides", 12))
        .await;
    n.proposed().await;
    n.decided(1, "accepted").await;
    n.change(&done, json!({"status": "done", "outcome": "Toutes reçues"}))
        .await;
    let plan = n.plan().await;
    assert_eq!(
        fields_of(&plan, &done["id"]),
        [
            ("status".to_owned(), json!("planned"), json!("done"), false),
            (
                "done_on".to_owned(),
                Value::Null,
                json!(today().to_string()),
                false
            ),
            (
                "outcome".to_owned(),
                Value::Null,
                json!("Toutes reçues"),
                false
            ),
        ]
    );
    assert_eq!(plan["needs_new_agreement"], false);

    n.change(&cancelled, json!({"status": "cancelled"})).await;
    let plan = n.plan().await;
    assert_eq!(
        fields_of(&plan, &cancelled["id"]),
        [(
            "status".to_owned(),
            json!("planned"),
            json!("cancelled"),
            true
        )]
    );
    assert_eq!(plan["needs_new_agreement"], true);
}

#[tokio::test]
async fn the_indicators_count_progress_lateness_and_the_end_of_support() {
    let n = Negotiation::new().await;
    let late = n.add(receipts()).await;
    let done = n.add(letter(5)).await;
    let dropped = n
        .add(step("worker", "investigation", "Rechercher les aides", 6))
        .await;
    let pending = n
        .add(step("partner", "investigation", "Instruire la demande", 30))
        .await;
    // The case opened ten days ago; one step was due three days ago.
    let opened = today() - Days::new(10);
    sqlx::query("UPDATE cases SET opened_on = $2, target_end_on = $2 + 183 WHERE id = $1::uuid")
        .bind(&n.case_id)
        .bind(opened)
        .execute(&n.app.sql)
        .await
        .unwrap();
    sqlx::query("UPDATE plan_items SET due_on = $2 WHERE id = $1::uuid")
        .bind(late["id"].as_str().unwrap())
        .bind(today() - Days::new(3))
        .execute(&n.app.sql)
        .await
        .unwrap();
    n.change(&done, json!({"status": "done"})).await;
    n.change(&dropped, json!({"status": "cancelled"})).await;
    n.proposed().await;
    n.decided(1, "accepted").await;

    let plan = n.plan().await;
    let indicators = &plan["indicators"];
    assert_eq!(indicators["total"], 4);
    assert_eq!(indicators["done"], 1);
    assert_eq!(indicators["cancelled"], 1);
    assert_eq!(indicators["percent_done"], 33, "1 done out of 3 that count");
    assert_eq!(indicators["overdue"], 1);
    assert_eq!(indicators["by_party"]["person"]["overdue"], 1);
    assert_eq!(indicators["by_party"]["worker"]["by_status"]["done"], 1);
    assert_eq!(indicators["by_party"]["partner"]["total"], 1);
    assert_eq!(indicators["by_status"]["planned"], 2);
    assert_eq!(indicators["end_of_support"], false);
    assert_eq!(indicators["days_open"], 10);
    assert_eq!(indicators["target_days"], 183);
    assert_eq!(indicators["days_to_agreement"], 10);
    let late_item = plan["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == late["id"])
        .unwrap();
    assert_eq!(late_item["overdue"], true);

    // Every step done or cancelled: support can end.
    let late = n.read_item(late["id"].as_str().unwrap()).await;
    n.change(&late, json!({"status": "done"})).await;
    n.change(&pending, json!({"status": "done"})).await;
    let indicators = &n.plan().await["indicators"];
    assert_eq!(indicators["percent_done"], 100);
    assert_eq!(indicators["overdue"], 0);
    assert_eq!(indicators["end_of_support"], true);
}

#[tokio::test]
async fn days_to_agreement_counts_to_the_first_acceptance() {
    let n = Negotiation::new().await;
    let item = n.add(receipts()).await;
    n.proposed().await;
    n.decided(1, "accepted").await;
    sqlx::query("UPDATE cases SET opened_on = opened_on - 20 WHERE id = $1::uuid")
        .bind(&n.case_id)
        .execute(&n.app.sql)
        .await
        .unwrap();
    n.change(&item, json!({"title": "Réunir toutes les quittances"}))
        .await;
    n.proposed().await;
    n.decided(2, "accepted").await;
    let plan = n.plan().await;
    assert_eq!(plan["last_agreement"]["number"], 2);
    assert_eq!(plan["indicators"]["days_to_agreement"], 20);
    // A closed case counts its days until closure.
    n.close().await;
    let plan = n.plan().await;
    assert_eq!(plan["indicators"]["days_open"], 20);
}
