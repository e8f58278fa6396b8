//! Who may negotiate a plan: roles without case content get 403, a worker off the team and
//! another organisation get 404 on every negotiation endpoint; a supervisor negotiates any
//! plan; archived cases are read with a reason; every read and write is audited with the
//! person.

use crate::support::proposals::{Negotiation, receipts};
use relais_tests::{assert_problem, pointers, problem};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use uuid::Uuid;

/// A case in `planning` with one step and its first proposal.
async fn proposed() -> Negotiation {
    let n = Negotiation::new().await;
    n.add(receipts()).await;
    n.proposed().await;
    n
}

/// Every negotiation endpoint, called as `token`; their responses.
async fn every_endpoint(n: &Negotiation, token: &str) -> Vec<(String, Response)> {
    let decision = json!({"outcome": "accepted", "channel": "phone"});
    let observation = json!({"text": "Remarque", "channel": "phone"});
    let document = format!("{}/document", n.proposal(1));
    vec![
        ("view".into(), n.app.get(&n.plan_path(), token).await),
        ("list".into(), n.app.get(&n.proposals(), token).await),
        ("read".into(), n.app.get(&n.proposal(1), token).await),
        ("document".into(), n.app.get(&document, token).await),
        ("propose".into(), n.propose_as(token).await),
        ("decide".into(), n.decide_as(token, 1, &decision).await),
        ("observe".into(), n.observe_as(token, 1, &observation).await),
    ]
}

async fn assert_untouched(n: &Negotiation) {
    assert_eq!(n.proposal_count().await, 1);
    let read: Value = n.read(1).await.json().await.unwrap();
    assert_eq!(read["decision"], Value::Null);
    assert_eq!(read["observations"], json!([]));
}

#[tokio::test]
async fn reception_admin_and_dpo_may_not_negotiate_nor_read_the_plan() {
    let n = proposed().await;
    for role in ["reception", "admin", "dpo"] {
        let token = n.app.token(role, &format!("{role}-1"));
        for (endpoint, response) in every_endpoint(&n, &token).await {
            assert_eq!(response.status(), 403, "{role}: {endpoint}");
            assert_eq!(problem(response).await["code"], "forbidden");
        }
    }
    assert_untouched(&n).await;
}

#[tokio::test]
async fn a_worker_off_the_team_and_another_organisation_find_nothing() {
    let n = proposed().await;
    let bob = n.app.token("worker", "bob");
    let foreign = n.app.token_for("other", &["supervisor"], "zoe");
    for token in [&bob, &foreign] {
        for (endpoint, response) in every_endpoint(&n, token).await {
            assert_eq!(response.status(), 404, "{endpoint}");
            assert_eq!(problem(response).await["code"], "not_found", "{endpoint}");
        }
    }
    assert_untouched(&n).await;
    // A proposal number of this case does not resolve under another case.
    let other = n.app.create_case(&n.alice).await;
    let elsewhere = format!(
        "/v1/cases/{}/plan/proposals/1",
        other["id"].as_str().unwrap()
    );
    assert_eq!(n.app.get(&elsewhere, &n.alice).await.status(), 404);
    let unknown = format!("/v1/cases/{}/plan", Uuid::now_v7());
    assert_eq!(n.app.get(&unknown, &n.alice).await.status(), 404);
}

#[tokio::test]
async fn a_supervisor_negotiates_any_plan_of_the_organisation() {
    let n = proposed().await;
    let sam = n.app.token("supervisor", "sam");
    assert_eq!(n.app.get(&n.plan_path(), &sam).await.status(), 200);
    let second = n.propose_as(&sam).await;
    assert_eq!(second.status(), 201);
    let body = json!({"outcome": "accepted", "channel": "email"});
    let decided = n.decide_as(&sam, 2, &body).await;
    assert_eq!(decided.status(), 200);
    let decided: Value = decided.json().await.unwrap();
    let sam_id = n.app.agent_id(&sam).await.to_string();
    assert_eq!(decided["decision"]["recorded_by"], sam_id.as_str());
    assert_eq!(decided["created_by"], sam_id.as_str());
    assert_eq!(n.status().await, "active");
}

#[tokio::test]
async fn an_archived_case_is_negotiated_no_more_and_read_only_with_a_reason() {
    let n = proposed().await;
    sqlx::query("UPDATE cases SET status = 'archived' WHERE id = $1::uuid")
        .bind(&n.case_id)
        .execute(&n.app.sql)
        .await
        .unwrap();
    let document = format!("{}/document", n.proposal(1));
    for path in [n.plan_path(), n.proposals(), n.proposal(1), document] {
        let response = n.app.get(&path, &n.alice).await;
        let problem = assert_problem(response, 400, "reason_required").await;
        assert_eq!(pointers(&problem), ["/reason"]);
        let with_reason = format!("{path}?reason=Demande%20du%20juge");
        let response = n.app.get(&with_reason, &n.alice).await;
        assert_eq!(response.status(), 200, "{with_reason}");
    }
    let reasons: Vec<(String, String)> = sqlx::query_as(
        "SELECT resource_type, reason FROM audit_events WHERE person_id = $1::uuid AND reason \
         IS NOT NULL ORDER BY id",
    )
    .bind(&n.person_id)
    .fetch_all(&n.app.sql)
    .await
    .unwrap();
    let types: Vec<&str> = reasons.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        types,
        ["plan", "plan.proposals", "plan.proposal", "plan.document"]
    );
    assert!(reasons.iter().all(|(_, r)| r == "Demande du juge"));
    assert_problem(n.propose_as(&n.alice).await, 409, "case_closed").await;
    let body = json!({"outcome": "accepted", "channel": "email"});
    assert_problem(n.decide_as(&n.alice, 1, &body).await, 409, "case_closed").await;
}

#[tokio::test]
async fn every_read_and_write_of_the_negotiation_is_audited_with_the_person() {
    let n = Negotiation::new().await;
    n.add(receipts()).await;
    let before = n.plan_audit().await.len();
    let proposal = n.proposed().await;
    n.read(1).await;
    n.app.get(&n.proposals(), &n.alice).await;
    let observed = n
        .observe_as(
            &n.alice,
            1,
            &json!({"text": "Remarque", "channel": "phone"}),
        )
        .await;
    assert_eq!(observed.status(), 201);
    let observed: Value = observed.json().await.unwrap();
    n.decided(1, "accepted").await;
    n.plan().await;
    let document = n
        .app
        .request(
            Method::GET,
            &format!("{}/document", n.proposal(1)),
            &n.alice,
        )
        .header("Accept", "application/pdf")
        .send()
        .await
        .unwrap();
    assert_eq!(document.status(), 200);
    let audit = n.plan_audit().await;
    let ours: Vec<(&str, &str)> = audit[before..]
        .iter()
        .map(|(a, r)| (a.as_str(), r.as_str()))
        .collect();
    assert_eq!(
        ours,
        [
            ("create", "plan.proposal"),
            ("transition", "case"),
            ("read", "plan.proposal"),
            ("read", "plan.proposals"),
            ("create", "plan.observation"),
            ("create", "plan.decision"),
            ("transition", "case"),
            ("read", "plan"),
            ("download", "plan.document"),
        ]
    );
    // Each event names what it is about.
    let resources: Vec<(String, Option<Uuid>)> = sqlx::query_as(
        "SELECT resource_type, resource_id FROM audit_events WHERE resource_type LIKE 'plan%' \
         AND resource_type NOT LIKE 'plan_item%' ORDER BY id",
    )
    .fetch_all(&n.app.sql)
    .await
    .unwrap();
    let proposal_id: Uuid = sqlx::query_scalar("SELECT id FROM plan_proposals WHERE number = 1")
        .fetch_one(&n.app.sql)
        .await
        .unwrap();
    let case_id = Uuid::parse_str(&n.case_id).unwrap();
    let observation_id = Uuid::parse_str(observed["observations"][0]["id"].as_str().unwrap());
    for (resource_type, resource_id) in resources {
        let expected = match resource_type.as_str() {
            "plan" | "plan.proposals" => case_id,
            "plan.observation" => *observation_id.as_ref().unwrap(),
            _ => proposal_id,
        };
        assert_eq!(resource_id, Some(expected), "{resource_type}");
    }
    assert_eq!(proposal["number"], 1);
}
