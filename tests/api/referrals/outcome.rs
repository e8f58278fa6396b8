//! The referral outcome loop: once the organisation accepted a referral, its partner sees where
//! the support stands (`support`: `in_progress`, then `completed` with the closure reason) and
//! gets a signed `referral.outcome` webhook when it changes; nothing else of the case.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::referrals::{Referrals, referral};
use crate::support::webhooks::Receiver;
use relais_tests::{TestApp, assert_conforms};

/// Moves the case as `token`, with `If-Match: *`.
async fn transition(app: &TestApp, token: &str, case_id: &str, body: Value) {
    let response = app
        .request(
            Method::POST,
            &format!("/v1/cases/{case_id}/transitions"),
            token,
        )
        .header("If-Match", "*")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{body}");
}

#[tokio::test]
async fn the_partner_learns_how_the_support_it_asked_for_goes_and_ends() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start(vec![]);
    let r = Referrals::on(app).await;
    let partner = r.app.partner("Hôpital Nord", Some(&receiver.url)).await;
    let r = Referrals { partner, ..r };
    let posted = r.posted(&referral()).await;
    let id = posted["id"].as_str().unwrap();
    assert_eq!(posted["support"], Value::Null, "not accepted yet");

    let decided = r.decided(&posted, &json!({"outcome": "accepted"})).await;
    let case_id = decided["case_id"].as_str().unwrap().to_owned();
    // The acceptance's own webhook.
    let received = receiver.wait_for(1).await;
    assert_eq!(received[0].json()["type"], "referral.status_changed");
    let seen: Value = r.read(&r.partner.token, id).await.json().await.unwrap();
    assert_conforms("Referral", &seen);
    assert_eq!(seen["support"], json!({"status": "in_progress"}));

    // A move within the support says nothing; the closure tells the partner, with the reason.
    transition(&r.app, &r.worker, &case_id, json!({"to": "assessment"})).await;
    r.app.close_case(&r.worker, &case_id).await;
    let received = receiver.wait_for(2).await;
    let verifier = standardwebhooks::Webhook::new(&r.partner.webhook_secret).unwrap();
    verifier
        .verify(&received[1].body, &received[1].headers)
        .unwrap();
    let body = received[1].json();
    assert_conforms("ReferralOutcomeWebhook", &body);
    assert_eq!(
        body["data"],
        json!({"referral_id": id, "case_id": case_id, "status": "completed",
               "closure_reason": "goals_met"})
    );
    let seen: Value = r.read(&r.partner.token, id).await.json().await.unwrap();
    assert_eq!(
        seen["support"],
        json!({"status": "completed", "closure_reason": "goals_met"})
    );
    // Nothing of the case beyond that: no person, no decider, no text of the closure.
    assert_eq!(seen["person_id"], Value::Null);
    assert_eq!(seen["decided_by"], Value::Null);

    // Reopened: the support goes on again, and the partner is told.
    transition(
        &r.app,
        &r.worker,
        &case_id,
        json!({"to": "assessment", "reason": "La personne revient"}),
    )
    .await;
    let received = receiver.wait_for(3).await;
    assert_eq!(
        received[2].json()["data"],
        json!({"referral_id": id, "case_id": case_id, "status": "in_progress"})
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 3, "one message per change");
    // The organisation's own view says the same.
    let inbox: Value = r.read(&r.supervisor, id).await.json().await.unwrap();
    assert_eq!(inbox["support"], json!({"status": "in_progress"}));
    // A case opened by hand has no partner to tell.
    let case = r.app.create_case(&r.worker).await;
    r.app
        .close_case(&r.worker, case["id"].as_str().unwrap())
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 3);
}

#[tokio::test]
async fn nothing_of_the_support_goes_to_the_partner_while_the_person_restricts_it() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start(vec![]);
    let r = Referrals::on(app).await;
    let partner = r.app.partner("Hôpital Nord", Some(&receiver.url)).await;
    let r = Referrals { partner, ..r };
    let posted = r.posted(&referral()).await;
    let id = posted["id"].as_str().unwrap();
    let decided = r.decided(&posted, &json!({"outcome": "accepted"})).await;
    let case_id = decided["case_id"].as_str().unwrap().to_owned();
    receiver.wait_for(1).await;
    let dpo = r.app.token("dpo", "dora");
    let response = r
        .app
        .post(
            &format!(
                "/v1/persons/{}/restrictions",
                decided["person_id"].as_str().unwrap()
            ),
            &dpo,
            &json!({"kind": "objection", "reason": "Opposition reçue par courrier",
                    "requested_on": relais_tests::today()}),
        )
        .await;
    assert_eq!(response.status(), 201);
    r.app.close_case(&r.worker, &case_id).await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(receiver.received().len(), 1, "no referral.outcome");
    let list = r.app.get_json("/v1/referrals", &r.partner.token).await;
    let mine = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap();
    assert_eq!(mine["support"], Value::Null);
    // The organisation itself still sees it.
    let inbox: Value = r.read(&r.supervisor, id).await.json().await.unwrap();
    assert_eq!(inbox["support"]["status"], "completed");
}
