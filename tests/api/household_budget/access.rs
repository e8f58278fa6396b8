//! Who may read and write a person's household and budget (supervisors, and workers of one of
//! the person's cases; never reception, admin, the DPO or a partner; 404 across organisations),
//! and how bad input is pointed at.

use relais_tests::{TestApp, assert_problem, pointers, problem};
use reqwest::Response;
use serde_json::{Value, json};

async fn put(app: &TestApp, token: &str, person: &str, what: &str, body: &Value) -> Response {
    app.put(
        &format!("/v1/persons/{person}/{what}"),
        token,
        Some("*"),
        body,
    )
    .await
}

async fn get(app: &TestApp, token: &str, person: &str, what: &str) -> Response {
    app.get(&format!("/v1/persons/{person}/{what}"), token)
        .await
}

/// A 422 whose field errors are exactly `expected` (pointer, code), in order.
async fn assert_invalid(response: Response, expected: &[(&str, &str)]) {
    let problem = assert_problem(response, 422, "validation_failed").await;
    let found: Vec<(String, String)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let field = |k: &str| e[k].as_str().unwrap().to_owned();
            (field("pointer"), field("code"))
        })
        .collect();
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(p, c)| ((*p).to_owned(), (*c).to_owned()))
        .collect();
    assert_eq!(found, expected);
}

fn household() -> Value {
    json!({"housing": "hosted", "members": [
        {"relationship": "child", "birth_date": "2018-06-01", "dependent": true}
    ]})
}

fn budget() -> Value {
    json!({"resources": [{"kind": "rsa", "amount_cents": 63540}], "charges": []})
}

const WHATS: [&str; 2] = ["household", "budget"];

fn body(what: &str) -> Value {
    if what == "household" {
        household()
    } else {
        budget()
    }
}

#[tokio::test]
async fn reception_admin_dpo_and_partners_never_see_a_household_or_a_budget() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let person = app.create_case(&alice).await["person_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let partner = app.partner("Mission locale", None).await;
    let mut tokens: Vec<String> = ["reception", "admin", "dpo"]
        .iter()
        .map(|r| app.token(r, r))
        .collect();
    tokens.push(partner.token);
    for token in &tokens {
        for what in WHATS {
            assert_problem(get(&app, token, &person, what).await, 403, "forbidden").await;
            let response = put(&app, token, &person, what, &body(what)).await;
            assert_problem(response, 403, "forbidden").await;
        }
    }
    for what in WHATS {
        let read: Value = get(&app, &alice, &person, what).await.json().await.unwrap();
        assert_eq!(read["version"], 0, "{what} untouched");
    }
}

#[tokio::test]
async fn a_worker_on_no_case_of_the_person_finds_nothing_until_added_to_the_team() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let bruno = app.token("worker", "bruno");
    let sam = app.token("supervisor", "sam");
    let case = app.create_case(&alice).await;
    let person = case["person_id"].as_str().unwrap();
    for what in WHATS {
        assert_problem(get(&app, &bruno, person, what).await, 404, "not_found").await;
        let response = put(&app, &bruno, person, what, &body(what)).await;
        assert_problem(response, 404, "not_found").await;
        // The supervisor sees every person of the organisation.
        assert_eq!(
            put(&app, &sam, person, what, &body(what)).await.status(),
            200
        );
    }
    let alice_id = app.agent_id(&alice).await;
    let bruno_id = app.agent_id(&bruno).await;
    let path = format!("/v1/cases/{}", case["id"].as_str().unwrap());
    let team = json!({"team_ids": [alice_id, bruno_id]});
    let patched = app
        .patch(&path, &sam, case["version"].as_i64().unwrap(), &team)
        .await;
    assert_eq!(patched.status(), 200);
    for what in WHATS {
        let response = get(&app, &bruno, person, what).await;
        assert_eq!(response.status(), 200, "{what}");
        let read: Value = response.json().await.unwrap();
        assert_eq!(read["version"], 1);
    }
}

#[tokio::test]
async fn a_refusal_by_need_to_know_leaves_an_access_denied_event_for_the_dpo() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let bruno = app.token("worker", "bruno");
    let dpo = app.token("dpo", "dominique");
    let person = app.create_case(&alice).await["person_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app
        .request(
            reqwest::Method::GET,
            &format!("/v1/persons/{person}/household"),
            &bruno,
        )
        .header("X-Request-Id", "need-to-know-1")
        .send()
        .await
        .unwrap();
    assert_problem(response, 404, "not_found").await;
    let response = app
        .request(
            reqwest::Method::PUT,
            &format!("/v1/persons/{person}/budget"),
            &bruno,
        )
        .header("If-Match", "*")
        .header("Idempotency-Key", "bruno-budget-1")
        .json(&body("budget"))
        .send()
        .await
        .unwrap();
    assert_problem(response, 404, "not_found").await;
    // Nothing but the trail was written: the budget is still the empty one.
    let sam = app.token("supervisor", "sam");
    let budget: Value = get(&app, &sam, &person, "budget")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(budget["version"], 0);
    // A person who does not exist leaves no trail (there is nothing to protect).
    let unknown = uuid::Uuid::now_v7().to_string();
    assert_problem(
        get(&app, &bruno, &unknown, "household").await,
        404,
        "not_found",
    )
    .await;

    let denied = app
        .get_json("/v1/audit-events?action=access_denied", &dpo)
        .await;
    let events = denied["items"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{denied}");
    let bruno_id = app.agent_id(&bruno).await.to_string();
    for event in events {
        assert_eq!(event["action"], "access_denied");
        assert_eq!(event["actor_id"], bruno_id.as_str());
        assert_eq!(event["person_id"], person.as_str());
        relais_tests::assert_conforms("AuditEvent", event);
    }
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["resource_type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["person.budget", "person.household"]);
    assert_eq!(events[1]["request_id"], "need-to-know-1");
    // The filter is a code of the list.
    let response = app.get("/v1/audit-events?action=denied", &dpo).await;
    let doc = assert_problem(response, 400, "invalid_parameter").await;
    assert_eq!(pointers(&doc), ["/action"]);
}

#[tokio::test]
async fn another_organisation_finds_no_household_nor_budget() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let person = app.create_case(&alice).await["person_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let outsiders = [
        app.token_for("other", &["worker"], "x"),
        app.token_for("other", &["supervisor"], "olga"),
    ];
    for token in &outsiders {
        for what in WHATS {
            assert_problem(get(&app, token, &person, what).await, 404, "not_found").await;
            let response = put(&app, token, &person, what, &body(what)).await;
            assert_problem(response, 404, "not_found").await;
        }
    }
    let unknown = uuid::Uuid::now_v7().to_string();
    let sam = app.token("supervisor", "sam");
    for what in WHATS {
        assert_problem(get(&app, &sam, &unknown, what).await, 404, "not_found").await;
    }
}

#[tokio::test]
async fn bad_members_are_pointed_at() {
    let app = TestApp::spawn().await;
    let sam = app.token("supervisor", "sam");
    let person = app.create_case(&sam).await["person_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let future = (chrono::Utc::now().date_naive() + chrono::Days::new(2)).to_string();
    let body = json!({"members": [
        {"relationship": "spouse_or_partner", "birth_date": "1980-01-01", "dependent": false},
        {"relationship": "child", "birth_date": future, "dependent": true},
        {"relationship": "spouse_or_partner", "birth_date": "1889-12-31", "dependent": false}
    ]});
    assert_invalid(
        put(&app, &sam, &person, "household", &body).await,
        &[
            ("/members/1/birth_date", "out_of_range"),
            ("/members/2/birth_date", "out_of_range"),
            ("/members/2/relationship", "second_partner"),
        ],
    )
    .await;
    let body = json!({"members": [{"relationship": "cousin", "birth_date": "2000-01-01", "dependent": false}]});
    let response = put(&app, &sam, &person, "household", &body).await;
    assert_eq!(
        pointers(&problem(response).await),
        ["/members/0/relationship"]
    );
    let body = json!({"housing": "castle", "members": []});
    let response = put(&app, &sam, &person, "household", &body).await;
    assert_eq!(pointers(&problem(response).await), ["/housing"]);
    let body = json!({"members": [{"relationship": "child", "birth_date": "2000-01-01"}]});
    assert_invalid(
        put(&app, &sam, &person, "household", &body).await,
        &[("/members/0/dependent", "required")],
    )
    .await;
    let member = json!({"relationship": "child", "birth_date": "2015-01-01", "dependent": true});
    let crowd = json!({"members": vec![member; 21]});
    assert_invalid(
        put(&app, &sam, &person, "household", &crowd).await,
        &[("/members", "length")],
    )
    .await;
    let body = json!({"members": [], "composition": "famille"});
    let response = put(&app, &sam, &person, "household", &body).await;
    assert_problem(response, 400, "unknown_field").await;
    let read: Value = get(&app, &sam, &person, "household")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read["version"], 0, "nothing was written");
}

#[tokio::test]
async fn bad_budget_lines_are_pointed_at() {
    let app = TestApp::spawn().await;
    let sam = app.token("supervisor", "sam");
    let person = app.create_case(&sam).await["person_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = json!({
        "resources": [
            {"kind": "salary", "amount_cents": -1},
            {"kind": "pension", "amount_cents": 10000001}
        ],
        "charges": [{"kind": "rent", "amount_cents": 100, "label": "x".repeat(201)}]
    });
    assert_invalid(
        put(&app, &sam, &person, "budget", &body).await,
        &[
            ("/charges/0/label", "length"),
            ("/resources/0/amount_cents", "range"),
            ("/resources/1/amount_cents", "range"),
        ],
    )
    .await;
    // A resource kind is not a charge kind, and the other way round.
    let body = json!({"resources": [], "charges": [{"kind": "salary", "amount_cents": 1}]});
    let response = put(&app, &sam, &person, "budget", &body).await;
    assert_eq!(response.status(), 422);
    assert_eq!(pointers(&problem(response).await), ["/charges/0/kind"]);
    let body = json!({"resources": [{"kind": "rent", "amount_cents": 1}], "charges": []});
    let response = put(&app, &sam, &person, "budget", &body).await;
    assert_eq!(pointers(&problem(response).await), ["/resources/0/kind"]);
    let body = json!({"resources": [{"kind": "rsa", "amount_cents": 12.5}], "charges": []});
    let response = put(&app, &sam, &person, "budget", &body).await;
    assert_eq!(
        pointers(&problem(response).await),
        ["/resources/0/amount_cents"]
    );
    let line = json!({"kind": "other", "amount_cents": 1});
    let many = json!({"resources": vec![line; 31], "charges": []});
    assert_invalid(
        put(&app, &sam, &person, "budget", &many).await,
        &[("/resources", "length")],
    )
    .await;
    let body = json!({"resources": []});
    assert_invalid(
        put(&app, &sam, &person, "budget", &body).await,
        &[("/charges", "required")],
    )
    .await;
    // Debts: an unknown kind, a charge kind, negative or huge amounts, a long creditor, too many.
    let body = json!({"resources": [], "charges": [], "debts": [{"kind": "gambling", "amount_owed_cents": 1}]});
    let response = put(&app, &sam, &person, "budget", &body).await;
    assert_eq!(response.status(), 422);
    assert_eq!(pointers(&problem(response).await), ["/debts/0/kind"]);
    let body = json!({"resources": [], "charges": [], "debts": [
        {"kind": "energy", "amount_owed_cents": 1},
        {"kind": "rent", "amount_owed_cents": 1}
    ]});
    let response = put(&app, &sam, &person, "budget", &body).await;
    assert_eq!(pointers(&problem(response).await), ["/debts/1/kind"]);
    let body = json!({"resources": [], "charges": [], "debts": [
        {"kind": "tax", "amount_owed_cents": -1},
        {"kind": "fines", "amount_owed_cents": 100, "monthly_repayment_cents": -5},
        {"kind": "health", "amount_owed_cents": 10000001, "creditor": "x".repeat(201)}
    ]});
    assert_invalid(
        put(&app, &sam, &person, "budget", &body).await,
        &[
            ("/debts/0/amount_owed_cents", "range"),
            ("/debts/1/monthly_repayment_cents", "range"),
            ("/debts/2/amount_owed_cents", "range"),
            ("/debts/2/creditor", "length"),
        ],
    )
    .await;
    let body = json!({"resources": [], "charges": [], "debts": [{"kind": "water"}]});
    assert_invalid(
        put(&app, &sam, &person, "budget", &body).await,
        &[("/debts/0/amount_owed_cents", "required")],
    )
    .await;
    let debt = json!({"kind": "other", "amount_owed_cents": 1});
    let many = json!({"resources": [], "charges": [], "debts": vec![debt; 31]});
    assert_invalid(
        put(&app, &sam, &person, "budget", &many).await,
        &[("/debts", "length")],
    )
    .await;
    let body = json!({"resources": [], "charges": [], "debts": [
        {"kind": "other", "amount_owed_cents": 1, "label": "x"}
    ]});
    let response = put(&app, &sam, &person, "budget", &body).await;
    assert_problem(response, 400, "unknown_field").await;
    let body = json!({"resources": [], "charges": [], "derived": {}});
    let response = put(&app, &sam, &person, "budget", &body).await;
    assert_problem(response, 400, "unknown_field").await;
    let read: Value = get(&app, &sam, &person, "budget")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read["version"], 0, "nothing was written");
}
