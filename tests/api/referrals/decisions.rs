//! Decisions on referrals: accepting opens a case for the right person (by NIR, by names and
//! birth date, or a new one; the decider chooses when it is ambiguous), declining needs a
//! reason, redirecting names another organisation; each once, under If-Match, audited and
//! notified to the partner by an outbox message without personal data.

use crate::support::referrals::{NIR_DIGITS, Referrals, referral};
use relais_tests::{assert_problem, header, nir, pointers};
use serde_json::{Value, json};

fn with_nir(digits: &str) -> Value {
    let mut body = referral();
    body["person"]["nir"] = json!(nir(digits));
    body
}

/// A person of `acme` created by the worker; its id.
async fn person(
    r: &Referrals,
    first: &str,
    last: &str,
    birth: &str,
    nir: Option<String>,
) -> String {
    // Namesakes are made on purpose here: each is confirmed another person.
    let mut body = json!({"first_name": first, "last_name": last, "birth_date": birth,
                          "confirm_distinct": true});
    if let Some(nir) = nir {
        body["nir"] = json!(nir);
    }
    let person = r.app.create_person(&r.worker, body).await;
    person["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn accepting_opens_a_case_in_intake_for_a_new_person_made_from_the_referral() {
    let r = Referrals::new().await;
    let posted = r.posted(&with_nir(NIR_DIGITS)).await;
    let alice = r.app.agent_id(&r.worker).await;
    let response = r
        .decide_as(
            &r.worker,
            &posted,
            &json!({"outcome": "accepted", "message": "Rendez-vous proposé le 3 décembre."}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "etag"), "\"2\"");
    let decided: Value = response.json().await.unwrap();
    assert_eq!(decided["status"], "accepted");
    assert_eq!(decided["decided_by"], alice.to_string());
    assert_eq!(
        decided["decision_message"],
        "Rendez-vous proposé le 3 décembre."
    );
    let case_id = decided["case_id"].as_str().unwrap();
    let person_id = decided["person_id"].as_str().unwrap();

    let case: Value = r
        .app
        .get_json(&format!("/v1/cases/{case_id}"), &r.worker)
        .await;
    assert_eq!(case["status"], "intake");
    assert_eq!(case["origin"], "partner_referral");
    assert_eq!(case["person_id"], person_id);
    assert_eq!(case["reason"], posted["reason"]);
    assert_eq!(case["referent_id"], alice.to_string());
    assert_eq!(case["team_ids"], json!([alice]));
    let person: Value = r
        .app
        .get_json(&format!("/v1/persons/{person_id}"), &r.worker)
        .await;
    assert_eq!(person["last_name"], "Lefèvre");
    assert_eq!(person["nir"], posted["person"]["nir"]);
    assert_eq!(person["informed"]["at"], "2026-01-05T00:00:00Z");
    assert_eq!(person["informed"]["channel"], "in_person");
    assert_eq!(person["informed"]["notice_version"], Value::Null);
    assert_eq!(person["address"]["city"], "Lyon");
    // Informed by the partner, with no notice version of this organisation: the person can
    // still be corrected, and what they were told is kept.
    let corrected = r
        .app
        .patch(
            &format!("/v1/persons/{person_id}"),
            &r.worker,
            person["version"].as_i64().unwrap(),
            &json!({"phone": "06 12 34 56 78"}),
        )
        .await;
    assert_eq!(corrected.status(), 200);
    let corrected: Value = corrected.json().await.unwrap();
    assert_eq!(corrected["phone"], "06 12 34 56 78");
    assert_eq!(corrected["informed"], person["informed"]);

    // The partner is told by webhook: ids and statuses only.
    let outbox = r.outbox().await;
    assert_eq!(outbox.len(), 1);
    let (event, payload) = &outbox[0];
    assert_eq!(event, "referral.status_changed");
    assert_eq!(payload["type"], "referral.status_changed");
    assert_eq!(
        payload["data"],
        json!({"referral_id": posted["id"], "status": "accepted", "previous_status": "received", "case_id": case_id})
    );
    let text = payload.to_string();
    for secret in ["Camille", "Lefèvre", "Lef\\u00e8vre", NIR_DIGITS, "loyer"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let events = r.app.audit_actions(person_id).await;
    for expected in [
        ("create", "person"),
        ("create", "case"),
        ("transition", "referral"),
    ] {
        assert!(
            events.contains(&(expected.0.into(), expected.1.into())),
            "{events:?}"
        );
    }
    // The partner sees the outcome, not which person of the organisation it is.
    let seen: Value = r
        .read(&r.partner.token, posted["id"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["status"], "accepted");
    assert_eq!(seen["case_id"], case_id);
    assert_eq!(seen["person_id"], Value::Null);
    assert_eq!(seen["decided_by"], Value::Null);
    // The activity ledger stayed true through every write.
    r.app.assert_activity_ledger_recounts().await;
}

#[tokio::test]
async fn accepting_links_the_person_with_the_same_nir_whatever_the_names() {
    let r = Referrals::new().await;
    let known = person(
        &r,
        "Kamil",
        "Lefevre-Martin",
        "1979-12-31",
        Some(nir(NIR_DIGITS)),
    )
    .await;
    let posted = r.posted(&with_nir(NIR_DIGITS)).await;
    let decided = r.decided(&posted, &json!({"outcome": "accepted"})).await;
    assert_eq!(decided["person_id"], known.as_str());
    assert_eq!(r.app.count("SELECT count(*) FROM persons").await, 1);
}

#[tokio::test]
async fn accepting_links_the_only_person_with_the_same_names_and_birth_date() {
    let r = Referrals::new().await;
    let known = person(&r, "CAMILLE", "lefevre", "1980-02-03", None).await;
    person(&r, "Camille", "Lefèvre", "1981-02-03", None).await;
    let posted = r.posted(&referral()).await;
    let decided = r.decided(&posted, &json!({"outcome": "accepted"})).await;
    assert_eq!(decided["person_id"], known.as_str());

    // Same names and birth date but another NIR than the referral's: another person, left
    // out; the one without a NIR still matches.
    person(
        &r,
        "Camille",
        "Lefèvre",
        "1980-02-03",
        Some(nir("2800269999999")),
    )
    .await;
    let posted = r.posted(&with_nir(NIR_DIGITS)).await;
    let decided = r.decided(&posted, &json!({"outcome": "accepted"})).await;
    assert_eq!(decided["person_id"], known.as_str());
    assert_eq!(r.app.count("SELECT count(*) FROM persons").await, 3);
}

#[tokio::test]
async fn accepting_finds_the_person_under_her_married_name_and_never_a_merged_record() {
    let r = Referrals::new().await;
    let body = json!({"first_name": "Camille", "last_name": "Martin", "birth_name": "Lefèvre",
                      "birth_date": "1980-02-03"});
    let married = r.app.create_person(&r.worker, body).await;
    let posted = r.posted(&referral()).await;
    let decided = r.decided(&posted, &json!({"outcome": "accepted"})).await;
    assert_eq!(
        decided["person_id"], married["id"],
        "the referral names her birth name"
    );

    // A record merged into another is a tombstone: never the person a referral is about.
    let other = r
        .app
        .create_person(
            &r.worker,
            json!({"first_name": "Jules", "last_name": "Roy"}),
        )
        .await;
    sqlx::query("UPDATE persons SET merged_into = $2::uuid, merged_at = now() WHERE id = $1::uuid")
        .bind(married["id"].as_str().unwrap())
        .bind(other["id"].as_str().unwrap())
        .execute(&r.app.sql)
        .await
        .unwrap();
    let posted = r.posted(&referral()).await;
    let decided = r.decided(&posted, &json!({"outcome": "accepted"})).await;
    assert_ne!(decided["person_id"], married["id"]);
    assert_eq!(
        r.app.count("SELECT count(*) FROM persons").await,
        3,
        "a new person"
    );
}

#[tokio::test]
async fn several_persons_with_the_same_names_make_the_decider_choose() {
    let r = Referrals::new().await;
    let one = person(&r, "Camille", "Lefèvre", "1980-02-03", None).await;
    let two = person(&r, "Camille", "LEFEVRE", "1980-02-03", None).await;
    let posted = r.posted(&referral()).await;
    let p = assert_problem(
        r.decide_as(&r.worker, &posted, &json!({"outcome": "accepted"}))
            .await,
        409,
        "ambiguous_person",
    )
    .await;
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains(&one) && detail.contains(&two) && detail.contains("person_id"));
    assert_eq!(r.app.count("SELECT count(*) FROM cases").await, 0);

    let unknown = json!({"outcome": "accepted", "person_id": posted["id"]});
    let p = assert_problem(
        r.decide_as(&r.worker, &posted, &unknown).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(pointers(&p), ["/person_id"]);
    assert_eq!(p["errors"][0]["code"], "unknown_reference");
    let wrong = json!({"outcome": "declined", "reason_code": "other", "person_id": two});
    let p = assert_problem(
        r.decide_as(&r.worker, &posted, &wrong).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(pointers(&p), ["/person_id"]);

    let decided = r
        .decided(&posted, &json!({"outcome": "accepted", "person_id": two}))
        .await;
    assert_eq!(decided["person_id"], two.as_str());
    // A chosen person whose NIR is not the referral's is refused.
    let known = person(
        &r,
        "Jules",
        "Martin",
        "1970-01-01",
        Some(nir("1700175123456")),
    )
    .await;
    let posted = r.posted(&with_nir(NIR_DIGITS)).await;
    let p = assert_problem(
        r.decide_as(
            &r.worker,
            &posted,
            &json!({"outcome": "accepted", "person_id": known}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["errors"][0]["code"], "nir_mismatch");
}

#[tokio::test]
async fn declining_needs_a_reason_code_and_tells_the_partner() {
    let r = Referrals::new().await;
    let posted = r.posted(&referral()).await;
    let p = assert_problem(
        r.decide_as(&r.worker, &posted, &json!({"outcome": "declined"}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(pointers(&p), ["/reason_code"]);
    assert_eq!(p["errors"][0]["code"], "required");
    for body in [
        json!({"outcome": "accepted", "reason_code": "other"}),
        json!({"outcome": "declined", "reason_code": "bored"}),
    ] {
        let p = assert_problem(
            r.decide_as(&r.worker, &posted, &body).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(pointers(&p), ["/reason_code"]);
    }
    let message = "Hors secteur : la personne relève du CCAS de Villeurbanne.";
    let decided = r
        .decided(
            &posted,
            &json!({"outcome": "declined", "reason_code": "out_of_area", "message": message}),
        )
        .await;
    assert_eq!(decided["status"], "declined");
    let seen: Value = r
        .read(&r.partner.token, posted["id"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["decline_reason"], "out_of_area");
    assert_eq!(seen["decision_message"], message);
    assert_eq!(seen["case_id"], Value::Null);
    assert_eq!(r.app.count("SELECT count(*) FROM cases").await, 0);
    let outbox = r.outbox().await;
    assert_eq!(
        outbox[0].1["data"],
        json!({"referral_id": posted["id"], "status": "declined", "previous_status": "received"})
    );
    let events = r.audit_of(posted["id"].as_str().unwrap()).await;
    assert!(
        events.contains(&("transition".into(), "referral".into(), None)),
        "{events:?}"
    );
}

#[tokio::test]
async fn redirecting_names_another_organisation_and_copies_nothing_there() {
    let r = Referrals::new().await;
    let posted = r.posted(&with_nir(NIR_DIGITS)).await;
    for (slug, code) in [
        (None, "required"),
        (Some("nowhere"), "unknown_organisation"),
        (Some("acme"), "same_organisation"),
    ] {
        let mut body = json!({"outcome": "redirected"});
        if let Some(slug) = slug {
            body["redirected_to"] = json!(slug);
        }
        let p = assert_problem(
            r.decide_as(&r.worker, &posted, &body).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(pointers(&p), ["/redirected_to"]);
        assert_eq!(p["errors"][0]["code"], code);
    }
    let decided = r
        .decided(
            &posted,
            &json!({"outcome": "redirected", "redirected_to": "other"}),
        )
        .await;
    assert_eq!(decided["status"], "redirected");
    assert_eq!(
        decided["redirected_to"],
        json!({"slug": "other", "name": "Association Autre"})
    );
    let seen: Value = r
        .read(&r.partner.token, posted["id"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["redirected_to"]["slug"], "other");
    let other = r.app.other_org.id;
    let copied: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM referrals WHERE org_id = $1) + (SELECT count(*) FROM persons)",
    )
    .bind(other)
    .fetch_one(&r.app.sql)
    .await
    .unwrap();
    assert_eq!(copied, 0);
    assert_eq!(
        r.outbox().await[0].1["data"]["redirected_to"],
        json!({"slug": "other", "name": "Association Autre"})
    );
}

#[tokio::test]
async fn a_referral_is_decided_once_under_if_match_by_workers_and_supervisors_only() {
    let r = Referrals::new().await;
    let posted = r.posted(&referral()).await;
    let id = posted["id"].as_str().unwrap();
    let decline = json!({"outcome": "declined", "reason_code": "no_capacity"});
    assert_problem(
        r.decide_with(&r.worker, id, None, &decline).await,
        428,
        "precondition_required",
    )
    .await;
    assert_problem(
        r.decide_with(&r.worker, id, Some("\"7\""), &decline).await,
        412,
        "version_mismatch",
    )
    .await;
    for role in ["reception", "admin", "dpo"] {
        let token = r.app.token(role, &format!("{role}-1"));
        assert_problem(
            r.decide_as(&token, &posted, &decline).await,
            403,
            "forbidden",
        )
        .await;
    }
    let other_worker = r.app.token_for("other", &["worker"], "olga");
    assert_problem(
        r.decide_as(&other_worker, &posted, &decline).await,
        404,
        "not_found",
    )
    .await;

    let decided = r
        .decide_as(&r.supervisor, &posted, &json!({"outcome": "accepted"}))
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        decided["decided_by"],
        r.app.agent_id(&r.supervisor).await.to_string()
    );
    let p = assert_problem(
        r.decide_as(&r.worker, &decided, &decline).await,
        409,
        "invalid_transition",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("accepted"));
    assert_eq!(r.app.count("SELECT count(*) FROM cases").await, 1);
    assert_eq!(r.outbox().await.len(), 1);
}

#[tokio::test]
async fn no_webhook_is_queued_for_a_partner_without_a_url() {
    let r = Referrals::new().await;
    let quiet = r.app.partner("Association Quiète", None).await;
    let posted: Value = r
        .post_as(&quiet.token, &referral(), None)
        .await
        .json()
        .await
        .unwrap();
    r.decided(
        &posted,
        &json!({"outcome": "declined", "reason_code": "incomplete"}),
    )
    .await;
    assert_eq!(
        r.app.count("SELECT count(*) FROM webhook_messages").await,
        0
    );
}

#[tokio::test]
async fn the_right_of_access_export_includes_the_accepted_referral_with_its_nir_masked() {
    let r = Referrals::new().await;
    let posted = r.posted(&with_nir(NIR_DIGITS)).await;
    let decided = r.decided(&posted, &json!({"outcome": "accepted"})).await;
    let person_id = decided["person_id"].as_str().unwrap();
    let dpo = r.app.token("dpo", "dora");
    let response = r
        .app
        .get(&format!("/v1/persons/{person_id}/export"), &dpo)
        .await;
    assert_eq!(response.status(), 200);
    let export: Value = response.json().await.unwrap();
    let referrals = export["referrals"].as_array().unwrap();
    assert_eq!(referrals.len(), 1);
    assert_eq!(referrals[0]["id"], posted["id"]);
    assert_eq!(referrals[0]["status"], "accepted");
    assert_eq!(referrals[0]["case_id"], decided["case_id"]);
    assert_eq!(referrals[0]["reason"], posted["reason"]);
    let masked = referrals[0]["nir_masked"].as_str().unwrap();
    assert!(masked.contains('*'), "the NIR stays masked: {masked}");
}
