//! Proposals over HTTP: freezing the plan into numbered, immutable snapshots with a content
//! hash, the move from `assessment` to `planning`, the states that refuse a proposal, reading
//! and listing them, retries, and the database's own refusal to rewrite a snapshot. Decisions
//! and observations are in `proposals::decisions`, access and audit in `proposals::access`.

mod access;
mod decisions;
mod document;

use crate::support::proposals::{Negotiation, letter, receipts, social_report, step};
use relais_domain::{ProposalItem, content_hash};
use relais_tests::{assert_problem, header, in_days, pointers};
use reqwest::Method;
use serde_json::{Value, json};

fn titles(proposal: &Value) -> Vec<&str> {
    proposal["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_first_proposal_freezes_the_items_and_moves_the_case_to_planning() {
    let n = Negotiation::new().await;
    let report = n.add(social_report()).await;
    n.add(receipts()).await;
    let response = n.propose_as(&n.alice).await;
    assert_eq!(response.status(), 201);
    assert_eq!(header(&response, "location"), n.proposal(1));
    assert_eq!(header(&response, "etag"), "\"1\"");
    let proposal: Value = response.json().await.unwrap();
    assert_eq!(proposal["number"], 1);
    assert_eq!(proposal["case_id"], n.case_id.as_str());
    assert_eq!(
        titles(&proposal),
        ["Réunir les quittances", "Rédiger le rapport social"],
        "in due-date order"
    );
    let frozen = &proposal["items"][1];
    assert_eq!(frozen["id"], report["id"]);
    for field in [
        "party",
        "kind",
        "category",
        "domain",
        "title",
        "details",
        "due_on",
        "status",
        "done_on",
        "outcome",
        "scheme_id",
        "application_id",
    ] {
        assert_eq!(frozen[field], report[field], "{field}");
    }
    assert_eq!(proposal["decision"], Value::Null);
    assert_eq!(proposal["observations"], json!([]));
    assert_eq!(proposal["superseded"], false);
    let alice = n.app.agent_id(&n.alice).await.to_string();
    assert_eq!(proposal["created_by"], alice.as_str());
    assert_eq!(n.status().await, "planning");

    let kinds: Vec<String> = n.timeline().await.into_iter().map(|(k, _)| k).collect();
    let tail = &kinds[kinds.len() - 2..];
    assert_eq!(tail, ["plan_proposed", "transition"]);
    let events = n.timeline().await;
    let (_, transition) = events.last().unwrap();
    assert_eq!(transition["from_status"], "assessment");
    assert_eq!(transition["to_status"], "planning");
    assert_eq!(transition["reason"], "Proposition n° 1 du plan d'aide");
    let (_, proposed) = &events[events.len() - 2];
    assert_eq!(proposed["data"]["number"], 1);
    assert_eq!(proposed["data"]["items"], 2);
    assert_eq!(proposed["data"]["content_hash"], proposal["content_hash"]);
}

#[tokio::test]
async fn the_content_hash_is_the_sha256_of_the_canonical_snapshot() {
    let n = Negotiation::new().await;
    n.add(step("worker", "investigation", "Rechercher les aides", 5))
        .await;
    n.add(step("partner", "correspondence", "Courrier du bailleur", 6))
        .await;
    let proposal = n.proposed().await;
    let hash = proposal["content_hash"].as_str().unwrap();
    assert_eq!(hash.len(), 64);
    let items: Vec<ProposalItem> = proposal["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let mut i = i.clone();
            i.as_object_mut().unwrap().remove("kind");
            serde_json::from_value(i).unwrap()
        })
        .collect();
    assert_eq!(content_hash(&items), hash);

    // The same plan proposed again has the same hash; any change gives another.
    let again = n.proposed().await;
    assert_eq!(again["number"], 2);
    assert_eq!(again["content_hash"], hash);
    let item = &proposal["items"][0];
    let fresh = n.read_item(item["id"].as_str().unwrap()).await;
    n.change(&fresh, json!({"due_on": in_days(7)})).await;
    let changed = n.proposed().await;
    assert_eq!(changed["number"], 3);
    assert_ne!(changed["content_hash"], hash);
}

#[tokio::test]
async fn a_snapshot_does_not_follow_the_plan_once_made() {
    let n = Negotiation::new().await;
    let item = n.add(receipts()).await;
    let gone = n.add(letter(12)).await;
    let first = n.proposed().await;
    n.change(
        &item,
        json!({"title": "Réunir toutes les quittances", "status": "in_progress"}),
    )
    .await;
    n.remove(&gone).await;
    n.add(step("person", "calls_and_visits", "Appeler la CAF", 3))
        .await;

    let response = n.read(1).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "etag"), "\"1\"");
    let read: Value = response.json().await.unwrap();
    assert_eq!(read["items"], first["items"]);
    assert_eq!(read["content_hash"], first["content_hash"]);
    assert_eq!(
        titles(&read),
        ["Réunir les quittances", "Écrire au bailleur"]
    );
    let second = n.proposed().await;
    assert_eq!(
        titles(&second),
        ["Appeler la CAF", "Réunir toutes les quittances"]
    );
    assert_eq!(second["items"][1]["status"], "in_progress");
}

#[tokio::test]
async fn proposals_are_numbered_per_case_and_a_new_one_supersedes_the_last() {
    let n = Negotiation::new().await;
    n.add(receipts()).await;
    for expected in 1..=3 {
        assert_eq!(n.proposed().await["number"], expected);
    }
    // Another case starts again at 1.
    let other = n.app.create_case(&n.alice).await;
    let other_id = other["id"].as_str().unwrap();
    sqlx::query("UPDATE cases SET status = 'planning' WHERE id = $1::uuid")
        .bind(other_id)
        .execute(&n.app.sql)
        .await
        .unwrap();
    let path = format!("/v1/cases/{other_id}/plan/items");
    let added = n
        .app
        .post(
            &path,
            &n.alice,
            &step("worker", "investigation", "Chercher", 3),
        )
        .await;
    assert_eq!(added.status(), 201);
    let response = n
        .app
        .post(
            &format!("/v1/cases/{other_id}/plan/proposals"),
            &n.alice,
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.json::<Value>().await.unwrap()["number"], 1);

    let read: Value = n.read(2).await.json().await.unwrap();
    assert_eq!(read["superseded"], true);
    let latest: Value = n.read(3).await.json().await.unwrap();
    assert_eq!(latest["superseded"], false);
    assert_eq!(n.read(4).await.status(), 404);
    assert_eq!(n.read(0).await.status(), 404);
    let bad = n.app.get(&format!("{}/x", n.proposals()), &n.alice).await;
    assert_problem(bad, 400, "invalid_path_parameter").await;
}

#[tokio::test]
async fn the_list_shows_the_newest_first_in_pages_without_the_items() {
    let n = Negotiation::new().await;
    n.add(receipts()).await;
    for _ in 0..3 {
        n.proposed().await;
    }
    n.decided(3, "accepted").await;
    let first: Value = n
        .app
        .get_json(&format!("{}?limit=2", n.proposals()), &n.alice)
        .await;
    let numbers = |page: &Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["number"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(numbers(&first), [3, 2]);
    let top = &first["items"][0];
    assert_eq!(top["item_count"], 1);
    assert_eq!(top["decision"]["outcome"], "accepted");
    assert_eq!(top["observation_count"], 0);
    assert!(top.get("items").is_none());
    assert_eq!(first["items"][1]["superseded"], true);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second: Value = n
        .app
        .get_json(
            &format!("{}?limit=2&cursor={cursor}", n.proposals()),
            &n.alice,
        )
        .await;
    assert_eq!(numbers(&second), [1]);
    assert_eq!(second["next_cursor"], Value::Null);
    for query in ["limit=0", "limit=201", "cursor=%%%"] {
        let response = n
            .app
            .get(&format!("{}?{query}", n.proposals()), &n.alice)
            .await;
        assert_problem(response, 400, "invalid_parameter").await;
    }
}

#[tokio::test]
async fn an_empty_plan_an_intake_case_and_a_closed_case_cannot_be_proposed() {
    let n = Negotiation::new().await;
    assert_problem(n.propose_as(&n.alice).await, 409, "empty_plan").await;
    assert_eq!(n.status().await, "assessment");

    let intake = Negotiation::in_intake().await;
    assert_problem(
        intake.propose_as(&intake.alice).await,
        409,
        "invalid_case_status",
    )
    .await;

    n.add(receipts()).await;
    n.close().await;
    assert_problem(n.propose_as(&n.alice).await, 409, "case_closed").await;
    let count: i64 = n.app.count("SELECT count(*) FROM plan_proposals").await;
    assert_eq!(count, 0);
}

#[tokio::test]
async fn without_a_domain_needing_action_the_first_proposal_is_refused_and_nothing_is_kept() {
    let n = Negotiation::new().await;
    n.assess(json!({"domains": [
        {"domain": "health", "situation": "RAS", "needs_action": "no"}
    ]}))
    .await;
    n.add(receipts()).await;
    assert_problem(n.propose_as(&n.alice).await, 409, "assessment_needs_action").await;
    assert_eq!(n.status().await, "assessment");
    assert_eq!(n.read(1).await.status(), 404);
    let kinds: Vec<String> = n.timeline().await.into_iter().map(|(k, _)| k).collect();
    assert!(!kinds.contains(&"plan_proposed".to_owned()), "{kinds:?}");
}

#[tokio::test]
async fn the_body_is_empty_an_empty_object_or_null_and_nothing_else() {
    let n = Negotiation::new().await;
    n.add(receipts()).await;
    for body in ["{}", "null", " "] {
        let response = n
            .app
            .request(Method::POST, &n.proposals(), &n.alice)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "body {body:?}");
    }
    let unknown = n
        .app
        .post(&n.proposals(), &n.alice, &json!({"items": []}))
        .await;
    let unknown = assert_problem(unknown, 400, "unknown_field").await;
    assert_eq!(pointers(&unknown), ["/items"]);
    let malformed = n
        .app
        .request(Method::POST, &n.proposals(), &n.alice)
        .header("Content-Type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_problem(malformed, 400, "malformed_json").await;
    let text = n
        .app
        .request(Method::POST, &n.proposals(), &n.alice)
        .header("Content-Type", "text/plain")
        .body("go")
        .send()
        .await
        .unwrap();
    assert_problem(text, 415, "unsupported_media_type").await;
    let huge = n
        .app
        .request(Method::POST, &n.proposals(), &n.alice)
        .header("Content-Type", "application/json")
        .body(format!("{{\"x\": \"{}\"}}", "a".repeat(2 << 20)))
        .send()
        .await
        .unwrap();
    assert_problem(huge, 413, "payload_too_large").await;
    assert_eq!(n.proposal_count().await, 3);
}

#[tokio::test]
async fn a_retried_proposal_with_the_same_idempotency_key_is_made_once() {
    let n = Negotiation::new().await;
    n.add(receipts()).await;
    let send = || {
        n.app
            .request(Method::POST, &n.proposals(), &n.alice)
            .header("Idempotency-Key", "proposal-1")
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let retry = send().await.unwrap();
    assert_eq!(retry.status(), 201);
    assert_eq!(header(&retry, "idempotent-replayed"), "true");
    assert_eq!(retry.json::<Value>().await.unwrap(), first);
    assert_eq!(n.proposal_count().await, 1);
}

#[tokio::test]
async fn the_database_refuses_to_rewrite_or_delete_a_proposal_even_for_its_owner() {
    let n = Negotiation::new().await;
    n.add(receipts()).await;
    let proposal = n.proposed().await;
    n.decided(1, "accepted").await;
    for statement in [
        "UPDATE plan_proposals SET items = '[]'::jsonb",
        "UPDATE plan_proposals SET content_hash = repeat('0', 64)",
        "UPDATE plan_proposals SET number = 7",
        "UPDATE plan_proposals SET notes = 'après coup'",
        "UPDATE plan_proposals SET outcome = 'refused'",
        "DELETE FROM plan_proposals",
        "TRUNCATE plan_proposals CASCADE",
    ] {
        let refused = sqlx::query(statement).execute(&n.app.sql).await;
        assert!(refused.is_err(), "{statement} was allowed");
    }
    let read: Value = n.read(1).await.json().await.unwrap();
    assert_eq!(read["items"], proposal["items"]);
    assert_eq!(read["content_hash"], proposal["content_hash"]);
    assert_eq!(read["decision"]["outcome"], "accepted");
}
