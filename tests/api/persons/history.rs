//! The rectification history (GDPR art. 16): every change of an identity or contact field keeps
//! the value it replaced, the NIR masked on both sides; read by those who see the record, part
//! of the access export.

use relais_tests::{assert_conforms, assert_problem, nir, pointers, problem};
use serde_json::{Value, json};

use super::eloise;
use crate::support::person::CreatedPerson;

/// The (field, before, after) of each change of a history page, in its order.
fn changes(page: &Value) -> Vec<(String, Value, Value)> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["field"].as_str().unwrap().to_owned(),
                c["before"].clone(),
                c["after"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn every_corrected_field_keeps_the_value_it_replaced_newest_first() {
    let p = CreatedPerson::new(eloise()).await;
    let app = &p.app;
    let history = p.path("/history");
    let empty = app.get_json(&history, &p.token).await;
    assert_eq!(empty, json!({"items": [], "next_cursor": null}));

    let new_nir = nir("1850775123456");
    let first = p
        .patch_as(
            &p.token,
            1,
            &json!({
                "phone": "0611223344",
                "address": {"city": "Montreuil", "postcode": null},
                "nir": new_nir,
                "birth_name": "Durand",
            }),
        )
        .await;
    assert_eq!(first.status(), 200);
    let second = p
        .patch_as(&p.token, 2, &json!({"last_name": "Martin-Durand"}))
        .await;
    assert_eq!(second.status(), 200);

    let page = app.get_json(&history, &p.token).await;
    assert_conforms("FieldChangeList", &page);
    let masked = format!("1 85 07 ** *** *** {}", &new_nir[13..]);
    assert_eq!(
        changes(&page),
        [
            ("last_name".into(), json!("Martin"), json!("Martin-Durand")),
            ("birth_name".into(), Value::Null, json!("Durand")),
            ("nir".into(), json!("2 69 05 ** *** *** 80"), json!(masked)),
            ("address.postcode".into(), json!("75011"), Value::Null),
            ("address.city".into(), json!("Paris"), json!("Montreuil")),
            ("phone".into(), json!("0601020304"), json!("0611223344")),
        ],
        "{page}"
    );
    let alice = app.agent_id(&p.token).await.to_string();
    for change in page["items"].as_array().unwrap() {
        assert_eq!(change["changed_by"], alice.as_str());
        assert!(change["changed_at"].as_str().is_some());
    }
    // Nothing of the NIR in clear anywhere in the history.
    let stored: i64 = app
        .count("SELECT count(*) FROM person_history WHERE before LIKE '%549588157%' OR after LIKE '%75123456%'")
        .await;
    assert_eq!(stored, 0);

    // Pages of one.
    let one = app.get_json(&format!("{history}?limit=1"), &p.token).await;
    assert_eq!(one["items"].as_array().unwrap().len(), 1);
    let cursor = one["next_cursor"].as_str().unwrap();
    let next = app
        .get_json(&format!("{history}?limit=1&cursor={cursor}"), &p.token)
        .await;
    assert_eq!(next["items"][0]["field"], "birth_name");
}

#[tokio::test]
async fn a_correction_that_changes_nothing_or_is_refused_keeps_no_history() {
    let p = CreatedPerson::new(eloise()).await;
    let app = &p.app;
    let same = p
        .patch_as(&p.token, 1, &json!({"phone": "0601020304"}))
        .await;
    assert_eq!(same.status(), 200);
    let stale = p
        .patch_as(&p.token, 1, &json!({"phone": "0700000000"}))
        .await;
    assert_eq!(stale.status(), 412);
    let invalid = p
        .patch_as(&p.token, 2, &json!({"birth_date": "2999-01-01"}))
        .await;
    assert_eq!(invalid.status(), 422);
    let page = app.get_json(&p.path("/history"), &p.token).await;
    assert_eq!(page["items"], json!([]));
    // The NIR written again as it was is no change either.
    let again = p
        .patch_as(&p.token, 2, &json!({"nir": "2 69 05 49 588 157 80"}))
        .await;
    assert_eq!(again.status(), 200);
    assert_eq!(
        app.get_json(&p.path("/history"), &p.token).await["items"],
        json!([])
    );
}

#[tokio::test]
async fn the_history_is_read_as_the_record_is_and_exported_with_it() {
    let p = CreatedPerson::new(eloise()).await;
    let app = &p.app;
    let corrected = p.patch_as(&p.token, 1, &json!({"email": null})).await;
    assert_eq!(corrected.status(), 200);
    let history = p.path("/history");

    assert_eq!(
        app.get(&history, &app.token("reception", "rita"))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.get(&history, &app.token("supervisor", "sam"))
            .await
            .status(),
        200
    );
    assert_problem(
        app.get(&history, &app.token("worker", "bob")).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get(&history, &app.token("admin", "adam")).await,
        403,
        "forbidden",
    )
    .await;
    let other = app.token_for("other", &["supervisor"], "olga");
    assert_problem(app.get(&history, &other).await, 404, "not_found").await;
    let denied = app
        .count("SELECT count(*) FROM audit_events WHERE action = 'access_denied' AND resource_type = 'person.history'")
        .await;
    assert_eq!(
        denied, 2,
        "bob's 404 and the admin's 403; nothing for another organisation"
    );
    let reads = app
        .count("SELECT count(*) FROM audit_events WHERE action = 'read' AND resource_type = 'person.history'")
        .await;
    assert_eq!(reads, 2);

    let export = app
        .get_json(&p.path("/export"), &app.token("dpo", "dora"))
        .await;
    assert_eq!(export["history"].as_array().unwrap().len(), 1, "{export}");
    assert_eq!(export["history"][0]["field"], "email");
    assert_eq!(export["history"][0]["before"], "eloise.martin@example.org");
    assert_eq!(export["history"][0]["after"], Value::Null);
}

#[tokio::test]
async fn bad_paging_of_the_history_is_a_400_at_the_parameter() {
    let p = CreatedPerson::new(eloise()).await;
    let app = &p.app;
    for (query, pointer) in [
        ("?limit=0", "limit"),
        ("?limit=abc", "limit"),
        ("?cursor=%%%", "cursor"),
        ("?field=phone", "field"),
    ] {
        let response = app
            .get(&p.path(&format!("/history{query}")), &p.token)
            .await;
        assert_eq!(response.status(), 400, "{query}");
        let problem = problem(response).await;
        assert!(
            pointers(&problem).iter().any(|p| p.contains(pointer)),
            "{query}: {problem}"
        );
    }
    let bad_id = app.get("/v1/persons/not-a-uuid/history", &p.token).await;
    assert_eq!(bad_id.status(), 400);
}

#[tokio::test]
async fn the_application_cannot_rewrite_or_remove_a_correction() {
    let p = CreatedPerson::new(eloise()).await;
    let app = &p.app;
    assert_eq!(
        p.patch_as(&p.token, 1, &json!({"phone": "0699999999"}))
            .await
            .status(),
        200
    );
    for statement in [
        "UPDATE person_history SET before = 'x'",
        "DELETE FROM person_history",
    ] {
        let mut tx = app.sql.begin().await.unwrap();
        sqlx::query("SET LOCAL ROLE relais_app")
            .execute(&mut *tx)
            .await
            .unwrap();
        let refused = sqlx::query(statement).execute(&mut *tx).await;
        assert!(
            refused
                .unwrap_err()
                .to_string()
                .contains("permission denied"),
            "{statement}"
        );
    }
}
