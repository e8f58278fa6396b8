//! Plan items over HTTP: adding interventions, préconisations and partner steps, reading them
//! with their ETag, listing (order, filters, pages), removing them, bad input with pointers and
//! concurrency. The status lifecycle, done dates and the overdue flag are in
//! `plan::item_status`; roles, tenancy, closed cases and audit in `plan::item_access`.

use chrono::Days;
use relais_tests::{assert_problem, header, in_days, invalid_at, pointers, problem, today};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::plan::{Plan, step, titles};

impl Plan {
    /// The plan items' events of the case's timeline: (kind, data), oldest first.
    async fn timeline_kinds(&self) -> Vec<(String, Value)> {
        self.timeline()
            .await
            .into_iter()
            .map(|e| (e["kind"].as_str().unwrap().to_owned(), e["data"].clone()))
            .filter(|(kind, _)| kind.starts_with("plan_item"))
            .collect()
    }
}

#[tokio::test]
async fn a_worker_adds_an_intervention_and_reads_it_back_with_its_etag() {
    let plan = Plan::new().await;
    let body = json!({
        "party": "worker",
        "category": "social_report",
        "domain": "housing",
        "title": "  Rédiger le rapport social pour le FSL ",
        "details": "Joindre les trois dernières quittances.",
        "due_on": in_days(14),
    });
    let response = plan.add_as(&plan.alice, &body).await;
    assert_eq!(response.status(), 201);
    assert_eq!(header(&response, "etag"), "\"1\"");
    let location = header(&response, "location");
    let item: Value = response.json().await.unwrap();
    let id = item["id"].as_str().unwrap();
    assert_eq!(location, plan.item(id));
    assert_eq!(item["case_id"], plan.case_id.as_str());
    assert_eq!(item["party"], "worker");
    assert_eq!(item["kind"], "intervention");
    assert_eq!(item["category"], "social_report");
    assert_eq!(item["domain"], "housing");
    assert_eq!(item["title"], "Rédiger le rapport social pour le FSL");
    assert_eq!(item["details"], "Joindre les trois dernières quittances.");
    assert_eq!(item["due_on"], in_days(14));
    assert_eq!(item["status"], "planned");
    assert_eq!(item["done_on"], Value::Null);
    assert_eq!(item["outcome"], Value::Null);
    assert_eq!(item["scheme_id"], Value::Null);
    assert_eq!(item["application_id"], Value::Null);
    assert_eq!(item["overdue"], false);
    assert_eq!(item["version"], 1);
    let alice_id = plan.app.agent_id(&plan.alice).await.to_string();
    assert_eq!(item["created_by"], alice_id.as_str());
    assert_eq!(item["updated_by"], alice_id.as_str());
    let again = plan.app.get(&location, &plan.alice).await;
    assert_eq!(again.status(), 200);
    assert_eq!(header(&again, "etag"), "\"1\"");
    assert_eq!(again.json::<Value>().await.unwrap(), item);
}

#[tokio::test]
async fn recommendations_and_partner_steps_are_named_by_their_kind() {
    let plan = Plan::new().await;
    // A link names a scheme of the organisation's catalogue.
    let admin = plan.app.token("admin", "catalogue-admin");
    let scheme = json!({"name": "FSL", "domain": "housing", "provider": "Conseil départemental"});
    let response = plan.app.post("/v1/schemes", &admin, &scheme).await;
    let scheme = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut body = step("person", "paperwork", "Réunir les justificatifs", 7);
    body["scheme_id"] = json!(scheme);
    let recommendation = plan.added(body).await;
    assert_eq!(recommendation["kind"], "recommendation");
    assert_eq!(recommendation["scheme_id"], scheme.as_str());
    let partner = plan
        .added(step("partner", "correspondence", "Courrier du bailleur", 7))
        .await;
    assert_eq!(partner["kind"], "partner_step");
}

#[tokio::test]
async fn a_category_that_does_not_fit_the_party_is_refused_at_category() {
    let plan = Plan::new().await;
    for (party, category) in [
        ("person", "social_report"),
        ("worker", "calls_and_visits"),
        ("worker", "paperwork"),
        ("partner", "calls_and_visits"),
    ] {
        let response = plan
            .add_as(&plan.alice, &step(party, category, "Étape", 3))
            .await;
        let code = invalid_at(response, "/category").await;
        assert_eq!(code, "category_not_allowed_for_party", "{party} {category}");
    }
    let item = plan
        .added(step("person", "orientation", "Aller à la CAF", 3))
        .await;
    let response = plan
        .app
        .patch(
            &plan.item(item["id"].as_str().unwrap()),
            &plan.alice,
            1,
            &json!({"category": "correspondence"}),
        )
        .await;
    let code = invalid_at(response, "/category").await;
    assert_eq!(code, "category_not_allowed_for_party");
}

#[tokio::test]
async fn bad_input_is_refused_at_the_field_that_holds_it() {
    let plan = Plan::new().await;
    let base = step("worker", "investigation", "Rechercher un logement", 3);
    let with = |key: &str, value: Value| {
        let mut body = base.clone();
        body[key] = value;
        body
    };
    let without = |key: &str| {
        let mut body = base.clone();
        body.as_object_mut().unwrap().remove(key);
        body
    };
    let refused = [
        (without("title"), "/title", "required"),
        (with("title", json!("   ")), "/title", "blank"),
        (with("title", json!("x".repeat(201))), "/title", "length"),
        (
            with("details", json!("x".repeat(5001))),
            "/details",
            "length",
        ),
        (with("party", json!("family")), "/party", "invalid_value"),
        (with("domain", json!("weather")), "/domain", "invalid_value"),
        (
            with("due_on", json!("15/12/2026")),
            "/due_on",
            "invalid_value",
        ),
        (without("due_on"), "/due_on", "required"),
        (
            with("due_on", json!((today() - Days::new(1)).to_string())),
            "/due_on",
            "out_of_range",
        ),
        (
            with("scheme_id", json!("abc")),
            "/scheme_id",
            "invalid_value",
        ),
    ];
    for (body, pointer, code) in refused {
        let response = plan.add_as(&plan.alice, &body).await;
        assert_eq!(invalid_at(response, pointer).await, code, "{body}");
    }
    let response = plan
        .add_as(&plan.alice, &with("status", json!("done")))
        .await;
    assert_problem(response, 400, "unknown_field").await;
    assert!(plan.list("").await["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_plan_lists_by_due_date_then_id_in_pages_that_miss_nothing() {
    let plan = Plan::new().await;
    // Added out of order; two share a due date.
    for (title, days) in [("C", 20), ("A", 5), ("B1", 10), ("B2", 10), ("D", 30)] {
        plan.added(step("worker", "correspondence", title, days))
            .await;
    }
    assert_eq!(plan.titles("").await, ["A", "B1", "B2", "C", "D"]);
    let mut seen = Vec::new();
    let mut query = "limit=2".to_owned();
    loop {
        let page = plan.list(&query).await;
        assert!(page["items"].as_array().unwrap().len() <= 2);
        seen.extend(titles(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => query = format!("limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, ["A", "B1", "B2", "C", "D"]);
}

#[tokio::test]
async fn the_plan_filters_by_party_status_and_overdue() {
    let plan = Plan::new().await;
    let first = plan
        .added(step("worker", "investigation", "Rechercher", 5))
        .await;
    plan.added(step("person", "calls_and_visits", "Appeler", 6))
        .await;
    plan.added(step("partner", "orientation", "Recevoir", 7))
        .await;
    let id = first["id"].as_str().unwrap();
    let response = plan
        .app
        .patch(
            &plan.item(id),
            &plan.alice,
            1,
            &json!({"status": "blocked"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(plan.titles("party=person").await, ["Appeler"]);
    assert_eq!(plan.titles("status=blocked").await, ["Rechercher"]);
    assert_eq!(
        plan.titles("status=planned,blocked&party=partner").await,
        ["Recevoir"]
    );
    assert!(plan.titles("overdue=true").await.is_empty());
    assert_eq!(plan.titles("overdue=false").await.len(), 3);
    // A week later, the worker's blocked step is overdue.
    sqlx::query("UPDATE plan_items SET due_on = current_date - 2 WHERE id = $1::uuid")
        .bind(id)
        .execute(&plan.app.sql)
        .await
        .unwrap();
    let overdue = plan.list("overdue=true").await;
    assert_eq!(titles(&overdue), ["Rechercher"]);
    assert_eq!(overdue["items"][0]["overdue"], true);
}

#[tokio::test]
async fn bad_list_parameters_are_refused_by_name() {
    let plan = Plan::new().await;
    for (query, name) in [
        ("party=family", "/party"),
        ("status=finished", "/status"),
        ("overdue=maybe", "/overdue"),
        ("limit=0", "/limit"),
        ("limit=201", "/limit"),
        ("cursor=nonsense", "/cursor"),
    ] {
        let response = plan
            .app
            .get(&format!("{}?{query}", plan.items()), &plan.alice)
            .await;
        assert_eq!(response.status(), 400, "{query}");
        let problem = problem(response).await;
        assert_eq!(problem["code"], "invalid_parameter");
        assert_eq!(pointers(&problem), [name], "{query}");
    }
}

#[tokio::test]
async fn changes_and_removals_need_the_current_etag() {
    let plan = Plan::new().await;
    let item = plan
        .added(step("worker", "orientation", "Orienter vers l'ADIL", 9))
        .await;
    let id = item["id"].as_str().unwrap();
    let without = plan
        .app
        .request(Method::PATCH, &plan.item(id), &plan.alice)
        .json(&json!({"title": "Autre"}))
        .send()
        .await
        .unwrap();
    assert_problem(without, 428, "precondition_required").await;
    let stale = plan
        .app
        .patch(&plan.item(id), &plan.alice, 7, &json!({"title": "Autre"}))
        .await;
    assert_problem(stale, 412, "version_mismatch").await;
    assert_problem(
        plan.delete(&plan.alice, id, None).await,
        428,
        "precondition_required",
    )
    .await;
    assert_problem(
        plan.delete(&plan.alice, id, Some(2)).await,
        412,
        "version_mismatch",
    )
    .await;
    let read: Value = plan.app.get_json(&plan.item(id), &plan.alice).await;
    assert_eq!(read["title"], "Orienter vers l'ADIL");
    assert_eq!(read["version"], 1);
}

#[tokio::test]
async fn a_removed_item_leaves_the_plan_and_the_timeline_says_so() {
    let plan = Plan::new().await;
    let item = plan
        .added(step("person", "paperwork", "Remplir le dossier", 9))
        .await;
    let id = item["id"].as_str().unwrap();
    let response = plan.delete(&plan.alice, id, Some(1)).await;
    assert_eq!(response.status(), 204);
    assert_eq!(response.text().await.unwrap(), "");
    assert_eq!(
        plan.app.get(&plan.item(id), &plan.alice).await.status(),
        404
    );
    assert!(plan.titles("").await.is_empty());
    assert_problem(
        plan.delete(&plan.alice, id, Some(1)).await,
        404,
        "not_found",
    )
    .await;
    let events = plan.timeline_kinds().await;
    let kinds: Vec<_> = events.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["plan_item_added", "plan_item_removed"]);
    assert_eq!(events[0].1["item_id"], id);
    assert_eq!(events[0].1["title"], "Remplir le dossier");
    assert_eq!(events[1].1["item_id"], id);
    assert_eq!(events[1].1["title"], "Remplir le dossier");
}
