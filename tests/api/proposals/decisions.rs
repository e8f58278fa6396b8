//! The person's answer to a proposal and their observations, over HTTP: recorded once, only on
//! the latest proposal; acceptance moves a `planning` case to `active`; observations are
//! appended and change the proposal's ETag; bad input points at its field; the database
//! refuses to edit an observation.

use crate::support::proposals::{Negotiation, letter, receipts};
use relais_tests::{assert_problem, header, invalid_at, pointers, problem};
use serde_json::{Value, json};

/// A case in `planning` with one step and its first proposal.
async fn proposed() -> Negotiation {
    let n = Negotiation::new().await;
    n.add(receipts()).await;
    n.proposed().await;
    n
}

#[tokio::test]
async fn an_accepted_proposal_makes_the_case_active() {
    let n = proposed().await;
    assert_eq!(n.status().await, "planning");
    let body = json!({"outcome": "accepted", "channel": "signed_paper", "notes": "  Signé en entretien. "});
    let response = n.decide_as(&n.alice, 1, &body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "etag"), "\"2\"");
    let proposal: Value = response.json().await.unwrap();
    let decision = &proposal["decision"];
    assert_eq!(decision["outcome"], "accepted");
    assert_eq!(decision["channel"], "signed_paper");
    assert_eq!(decision["notes"], "Signé en entretien.");
    let alice = n.app.agent_id(&n.alice).await.to_string();
    assert_eq!(decision["recorded_by"], alice.as_str());
    assert!(decision["decided_at"].is_string());
    assert_eq!(proposal["version"], 2);
    assert_eq!(n.status().await, "active");

    let events = n.timeline().await;
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(&kinds[kinds.len() - 2..], ["plan_decision", "transition"]);
    let (_, decided) = &events[events.len() - 2];
    assert_eq!(decided["data"]["outcome"], "accepted");
    assert_eq!(decided["data"]["channel"], "signed_paper");
    let (_, transition) = events.last().unwrap();
    assert_eq!(transition["from_status"], "planning");
    assert_eq!(transition["to_status"], "active");
    assert_eq!(
        transition["reason"],
        "Proposition n° 1 acceptée par la personne"
    );
    // The GET shows the same answer.
    let read = n.read(1).await;
    assert_eq!(header(&read, "etag"), "\"2\"");
    assert_eq!(read.json::<Value>().await.unwrap(), proposal);
}

#[tokio::test]
async fn changes_requested_or_refused_leave_the_case_in_planning() {
    let n = proposed().await;
    let changes = n.decided(1, "changes_requested").await;
    assert_eq!(changes["decision"]["notes"], Value::Null);
    assert_eq!(n.status().await, "planning");
    n.proposed().await;
    n.decided(2, "refused").await;
    assert_eq!(n.status().await, "planning");
    // The manual transition still needs an accepted proposal.
    let response = n.transition_response("active", None).await;
    assert_problem(response, 409, "accepted_proposal_required").await;
    n.proposed().await;
    n.decided(3, "accepted").await;
    assert_eq!(n.status().await, "active");
}

#[tokio::test]
async fn a_decision_is_recorded_once() {
    let n = proposed().await;
    n.decided(1, "changes_requested").await;
    let again = json!({"outcome": "accepted", "channel": "phone"});
    let response = n.decide_as(&n.alice, 1, &again).await;
    assert_problem(response, 409, "already_decided").await;
    let read: Value = n.read(1).await.json().await.unwrap();
    assert_eq!(read["decision"]["outcome"], "changes_requested");
    assert_eq!(n.status().await, "planning");
}

#[tokio::test]
async fn only_the_latest_proposal_can_be_decided() {
    let n = proposed().await;
    n.proposed().await;
    let body = json!({"outcome": "accepted", "channel": "in_person"});
    let response = n.decide_as(&n.alice, 1, &body).await;
    assert_problem(response, 409, "superseded").await;
    assert_eq!(n.status().await, "planning");
    assert_problem(n.decide_as(&n.alice, 3, &body).await, 404, "not_found").await;
    n.decided(2, "accepted").await;
    assert_eq!(n.status().await, "active");
}

#[tokio::test]
async fn an_active_case_agrees_again_and_stays_active() {
    let n = proposed().await;
    n.decided(1, "accepted").await;
    n.add(letter(12)).await;
    n.proposed().await;
    n.decided(2, "accepted").await;
    assert_eq!(n.status().await, "active");
    let transitions = n
        .timeline()
        .await
        .into_iter()
        .filter(|(k, _)| k == "transition")
        .count();
    assert_eq!(transitions, 3, "assessment, planning, active; no more");
}

#[tokio::test]
async fn a_closed_case_takes_no_decision_but_still_takes_observations() {
    let n = proposed().await;
    n.close().await;
    let body = json!({"outcome": "accepted", "channel": "in_person"});
    assert_problem(n.decide_as(&n.alice, 1, &body).await, 409, "case_closed").await;
    let observation = json!({"text": "Je n'avais pas compris le délai.", "channel": "post"});
    let response = n.observe_as(&n.alice, 1, &observation).await;
    assert_eq!(response.status(), 201);
    sqlx::query("UPDATE cases SET status = 'archived' WHERE id = $1::uuid")
        .bind(&n.case_id)
        .execute(&n.app.sql)
        .await
        .unwrap();
    let response = n.observe_as(&n.alice, 1, &observation).await;
    assert_problem(response, 409, "case_archived").await;
}

#[tokio::test]
async fn bad_decisions_are_refused_at_their_field() {
    let n = proposed().await;
    let cases = [
        (json!({"outcome": "maybe", "channel": "phone"}), "/outcome"),
        (
            json!({"outcome": "accepted", "channel": "pigeon"}),
            "/channel",
        ),
        (json!({"channel": "phone"}), "/outcome"),
        (json!({"outcome": "accepted"}), "/channel"),
        (
            json!({"outcome": "accepted", "channel": "phone", "notes": "x".repeat(5001)}),
            "/notes",
        ),
    ];
    for (body, pointer) in cases {
        invalid_at(n.decide_as(&n.alice, 1, &body).await, pointer).await;
    }
    let unknown = n
        .decide_as(
            &n.alice,
            1,
            &json!({"outcome": "accepted", "channel": "phone", "signed": true}),
        )
        .await;
    assert_eq!(unknown.status(), 400);
    assert_eq!(pointers(&problem(unknown).await), ["/signed"]);
    let read: Value = n.read(1).await.json().await.unwrap();
    assert_eq!(read["decision"], Value::Null);
}

#[tokio::test]
async fn observations_are_appended_in_order_and_change_the_etag() {
    let n = proposed().await;
    let first = json!({"text": "  Le délai pour la CAF est trop court. ", "channel": "phone"});
    let response = n.observe_as(&n.alice, 1, &first).await;
    assert_eq!(response.status(), 201);
    assert_eq!(header(&response, "location"), n.proposal(1));
    assert_eq!(header(&response, "etag"), "\"2\"");
    let proposal: Value = response.json().await.unwrap();
    let observation = &proposal["observations"][0];
    assert_eq!(observation["text"], "Le délai pour la CAF est trop court.");
    assert_eq!(observation["channel"], "phone");
    assert!(observation["at"].is_string());
    let alice = n.app.agent_id(&n.alice).await.to_string();
    assert_eq!(observation["recorded_by"], alice.as_str());

    n.decided(1, "accepted").await;
    let second = json!({"text": "Finalement d'accord.", "channel": "email"});
    let response = n.observe_as(&n.alice, 1, &second).await;
    assert_eq!(response.status(), 201);
    assert_eq!(header(&response, "etag"), "\"4\"");
    let read = n.read(1).await;
    assert_eq!(header(&read, "etag"), "\"4\"");
    let read: Value = read.json().await.unwrap();
    let texts: Vec<&str> = read["observations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "Le délai pour la CAF est trop court.",
            "Finalement d'accord."
        ]
    );
    let list: Value = n.app.get_json(&n.proposals(), &n.alice).await;
    assert_eq!(list["items"][0]["observation_count"], 2);
    let kinds: Vec<String> = n.timeline().await.into_iter().map(|(k, _)| k).collect();
    assert_eq!(kinds.iter().filter(|k| *k == "plan_observation").count(), 2);
    assert_problem(n.observe_as(&n.alice, 9, &second).await, 404, "not_found").await;
}

#[tokio::test]
async fn bad_observations_are_refused_at_their_field() {
    let n = proposed().await;
    let cases = [
        (json!({"text": "", "channel": "phone"}), "/text"),
        (json!({"text": "   ", "channel": "phone"}), "/text"),
        (
            json!({"text": "x".repeat(5001), "channel": "phone"}),
            "/text",
        ),
        (json!({"text": "Bien reçu", "channel": "fax"}), "/channel"),
        (json!({"channel": "phone"}), "/text"),
    ];
    for (body, pointer) in cases {
        invalid_at(n.observe_as(&n.alice, 1, &body).await, pointer).await;
    }
    let read: Value = n.read(1).await.json().await.unwrap();
    assert_eq!(read["observations"], json!([]));
}

#[tokio::test]
async fn observations_cannot_be_edited_or_removed_even_in_the_database() {
    let n = proposed().await;
    let body = json!({"text": "Remarque", "channel": "in_person"});
    assert_eq!(n.observe_as(&n.alice, 1, &body).await.status(), 201);
    for statement in [
        "UPDATE proposal_observations SET text = 'Autre chose'",
        "DELETE FROM proposal_observations",
        "TRUNCATE proposal_observations",
    ] {
        let refused = sqlx::query(statement).execute(&n.app.sql).await;
        assert!(refused.is_err(), "{statement} was allowed");
    }
    // No route edits or removes one either.
    for method in [reqwest::Method::PATCH, reqwest::Method::DELETE] {
        let response = n
            .app
            .request(
                method.clone(),
                &format!("{}/observations", n.proposal(1)),
                &n.alice,
            )
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert!(
            [404, 405].contains(&response.status().as_u16()),
            "{method} answered {}",
            response.status()
        );
    }
    let read: Value = n.read(1).await.json().await.unwrap();
    assert_eq!(read["observations"][0]["text"], "Remarque");
}
