//! The household and budget of a person over HTTP: reading before the first write, the whole
//! flow with the derived figures of a known family, the debts and alimony, concurrency, and the
//! audit trail. Access rules and validation are in `household_budget::access`.

mod access;

use relais_tests::{TestApp, assert_problem};
use reqwest::Response;
use serde_json::{Value, json};

fn etag(response: &Response) -> String {
    response.headers()["etag"].to_str().unwrap().to_owned()
}

/// PUT of `what` (`household` or `budget`) with an optional If-Match header.
async fn put(
    app: &TestApp,
    token: &str,
    person: &str,
    what: &str,
    if_match: Option<&str>,
    body: &Value,
) -> Response {
    app.put(
        &format!("/v1/persons/{person}/{what}"),
        token,
        if_match,
        body,
    )
    .await
}

/// A replacement that must succeed; the document it answers.
async fn replaced(
    app: &TestApp,
    token: &str,
    person: &str,
    what: &str,
    if_match: &str,
    body: &Value,
) -> Value {
    let response = put(app, token, person, what, Some(if_match), body).await;
    assert_eq!(response.status(), 200, "PUT {what} {body}");
    response.json().await.unwrap()
}

async fn read(app: &TestApp, token: &str, person: &str, what: &str) -> Value {
    let response = app
        .get(&format!("/v1/persons/{person}/{what}"), token)
        .await;
    assert_eq!(response.status(), 200, "GET {what}");
    response.json().await.unwrap()
}

/// Opens a case as `token`; its person's id.
async fn person_of_new_case(app: &TestApp, token: &str) -> String {
    let case = app.create_case(token).await;
    case["person_id"].as_str().unwrap().to_owned()
}

/// A couple with a teenager (born 2010) and a young child (born 2019): 2.3 units and 3 parts
/// until 2033.
fn family() -> Value {
    json!({
        "housing": "tenant",
        "employment": "employed",
        "members": [
            {"relationship": "spouse_or_partner", "birth_date": "1987-04-02", "dependent": false},
            {"relationship": "child", "birth_date": "2010-03-15", "dependent": true},
            {"relationship": "child", "birth_date": "2019-09-01", "dependent": true}
        ]
    })
}

fn family_budget() -> Value {
    json!({
        "resources": [
            {"kind": "salary", "amount_cents": 165000, "label": "Salaire de M."},
            {"kind": "family_allowances", "amount_cents": 14852},
            {"kind": "housing_allowance", "amount_cents": 31200},
            {"kind": "prime_activite", "amount_cents": 9500}
        ],
        "charges": [
            {"kind": "rent", "amount_cents": 72000},
            {"kind": "energy", "amount_cents": 13540},
            {"kind": "insurance", "amount_cents": 6200},
            {"kind": "loans", "amount_cents": 18000, "label": "  Crédit auto  "}
        ]
    })
}

#[tokio::test]
async fn a_person_never_recorded_has_an_empty_household_and_budget_at_version_0() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let person = person_of_new_case(&app, &alice).await;

    let response = app
        .get(&format!("/v1/persons/{person}/household"), &alice)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(etag(&response), "\"0\"");
    let household: Value = response.json().await.unwrap();
    assert_eq!(
        household,
        json!({"person_id": person, "housing": null, "employment": null, "members": [],
               "consumption_units": 1.0, "quotient_familial_parts": 1.0,
               "dependent_children": 0, "updated_at": null, "updated_by": null, "version": 0})
    );

    let response = app
        .get(&format!("/v1/persons/{person}/budget"), &alice)
        .await;
    assert_eq!(etag(&response), "\"0\"");
    let budget: Value = response.json().await.unwrap();
    assert_eq!(budget["resources"], json!([]));
    assert_eq!(budget["charges"], json!([]));
    assert_eq!(budget["version"], 0);
    assert_eq!(
        budget["derived"],
        json!({"total_resources_cents": 0, "total_charges_cents": 0, "remaining_cents": 0,
               "remaining_per_day_cents": 0, "consumption_units": 1.0,
               "remaining_per_unit_cents": 0, "remaining_per_unit_per_day_cents": 0,
               "resources_per_unit_cents": 0, "quotient_familial_parts": 1.0,
               "quotient_familial_cents": 0, "household_recorded": false,
               "total_debt_cents": 0})
    );
    assert_eq!(budget["debts"], json!([]));
}

#[tokio::test]
async fn a_worker_records_a_family_and_its_budget_and_reads_the_exact_derived_figures() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let alice_id = app.agent_id(&alice).await.to_string();
    let person = person_of_new_case(&app, &alice).await;

    let response = put(&app, &alice, &person, "household", Some("\"0\""), &family()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(etag(&response), "\"1\"");
    let household: Value = response.json().await.unwrap();
    assert_eq!(household["housing"], "tenant");
    assert_eq!(household["employment"], "employed");
    assert_eq!(household["consumption_units"], 2.3);
    assert_eq!(household["quotient_familial_parts"], 3.0);
    assert_eq!(household["dependent_children"], 2);
    assert_eq!(household["updated_by"], alice_id.as_str());
    assert_eq!(household["version"], 1);
    let members = household["members"].as_array().unwrap();
    assert_eq!(members.len(), 3, "in the order written");
    assert_eq!(members[1]["relationship"], "child");
    assert_eq!(members[1]["birth_date"], "2010-03-15");
    assert_eq!(members[1]["dependent"], true);
    assert!(members[1]["age"].as_u64().unwrap() >= 16);
    assert_eq!(read(&app, &alice, &person, "household").await, household);

    let response = put(
        &app,
        &alice,
        &person,
        "budget",
        Some("\"0\""),
        &family_budget(),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(etag(&response), "\"1\"");
    let budget: Value = response.json().await.unwrap();
    // 2 205,52 € of resources, 1 097,40 € of charges; every division rounds down.
    assert_eq!(
        budget["derived"],
        json!({"total_resources_cents": 220552, "total_charges_cents": 109740,
               "remaining_cents": 110812, "remaining_per_day_cents": 3693,
               "consumption_units": 2.3, "remaining_per_unit_cents": 48179,
               "remaining_per_unit_per_day_cents": 1605, "resources_per_unit_cents": 95892,
               "quotient_familial_parts": 3.0, "quotient_familial_cents": 73517,
               "household_recorded": true, "total_debt_cents": 0})
    );
    assert_eq!(
        budget["resources"][0],
        json!({"kind": "salary", "amount_cents": 165000, "label": "Salaire de M."})
    );
    assert_eq!(budget["resources"][1]["label"], Value::Null);
    assert_eq!(budget["charges"][3]["label"], "Crédit auto", "trimmed");
    assert_eq!(budget["charges"].as_array().unwrap().len(), 4);
    assert_eq!(budget["updated_by"], alice_id.as_str());
    let response = app
        .get(&format!("/v1/persons/{person}/budget"), &alice)
        .await;
    assert_eq!(etag(&response), "\"1\"");
    assert_eq!(response.json::<Value>().await.unwrap(), budget);
    // The activity ledger stayed true through every write.
    app.assert_activity_ledger_recounts().await;
}

#[tokio::test]
async fn the_budget_figures_follow_the_household_and_a_deficit_rounds_down() {
    let app = TestApp::spawn().await;
    let sam = app.token("supervisor", "sam");
    let person = person_of_new_case(&app, &sam).await;
    let deficit = json!({
        "resources": [{"kind": "aah", "amount_cents": 90000}],
        "charges": [{"kind": "rent", "amount_cents": 60000}, {"kind": "debt_repayments", "amount_cents": 40001}]
    });
    let budget = replaced(&app, &sam, &person, "budget", "\"0\"", &deficit).await;
    assert_eq!(budget["derived"]["remaining_cents"], -10001);
    // −10 001 / 30 = −333.36… → −334: never a smaller deficit than the real one.
    assert_eq!(budget["derived"]["remaining_per_day_cents"], -334);
    assert_eq!(budget["derived"]["household_recorded"], false);

    // A single parent with one young child: 1.3 units, 2.5 parts.
    let single_parent = json!({"members": [
        {"relationship": "child", "birth_date": "2020-01-31", "dependent": true}
    ]});
    let household = replaced(&app, &sam, &person, "household", "*", &single_parent).await;
    assert_eq!(household["housing"], Value::Null);
    assert_eq!(household["consumption_units"], 1.3);
    assert_eq!(household["quotient_familial_parts"], 2.5);
    let response = app.get(&format!("/v1/persons/{person}/budget"), &sam).await;
    assert_eq!(
        etag(&response),
        "\"1\"",
        "the budget's own version did not move"
    );
    let derived = response.json::<Value>().await.unwrap()["derived"].clone();
    assert_eq!(derived["consumption_units"], 1.3);
    // −100 010 / 13 = −7 693.07… → −7 694.
    assert_eq!(derived["remaining_per_unit_cents"], -7694);
    // 90 000 × 2 / 5 = 36 000.
    assert_eq!(derived["quotient_familial_cents"], 36000);
    assert_eq!(derived["household_recorded"], true);

    // Emptied again: lines and members removed, versions move on.
    let empty = replaced(
        &app,
        &sam,
        &person,
        "budget",
        "\"1\"",
        &json!({"resources": [], "charges": []}),
    )
    .await;
    assert_eq!(empty["version"], 2);
    assert_eq!(empty["derived"]["total_charges_cents"], 0);
    let alone = replaced(
        &app,
        &sam,
        &person,
        "household",
        "\"1\"",
        &json!({"members": []}),
    )
    .await;
    assert_eq!(alone["version"], 2);
    assert_eq!(alone["consumption_units"], 1.0);
}

#[tokio::test]
async fn a_replacement_needs_a_current_if_match_and_accepts_a_star() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let person = person_of_new_case(&app, &alice).await;
    for (what, body) in [("household", family()), ("budget", family_budget())] {
        assert_problem(
            put(&app, &alice, &person, what, None, &body).await,
            428,
            "precondition_required",
        )
        .await;
        assert_problem(
            put(&app, &alice, &person, what, Some("\"1\""), &body).await,
            412,
            "version_mismatch",
        )
        .await;
        replaced(&app, &alice, &person, what, "\"0\"", &body).await;
        assert_problem(
            put(&app, &alice, &person, what, Some("\"0\""), &body).await,
            412,
            "version_mismatch",
        )
        .await;
        assert_problem(
            put(&app, &alice, &person, what, Some("W/\"7\""), &body).await,
            412,
            "version_mismatch",
        )
        .await;
        let again = replaced(&app, &alice, &person, what, "*", &body).await;
        assert_eq!(again["version"], 2, "{what}");
        let stale = put(&app, &alice, &person, what, Some("\"1\""), &body).await;
        assert_problem(stale, 412, "version_mismatch").await;
        assert_eq!(read(&app, &alice, &person, what).await["version"], 2);
    }
}

#[tokio::test]
async fn two_first_replacements_at_once_leave_one_winner() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let person = person_of_new_case(&app, &alice).await;
    let body = family_budget();
    let (a, b) = tokio::join!(
        put(&app, &alice, &person, "budget", Some("\"0\""), &body),
        put(&app, &alice, &person, "budget", Some("\"0\""), &body)
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412]);
    assert_eq!(read(&app, &alice, &person, "budget").await["version"], 1);
}

#[tokio::test]
async fn every_read_and_write_is_audited_under_the_person() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let person = person_of_new_case(&app, &alice).await;
    let before = app.audit_actions(&person).await.len();
    read(&app, &alice, &person, "household").await;
    replaced(&app, &alice, &person, "household", "\"0\"", &family()).await;
    read(&app, &alice, &person, "budget").await;
    replaced(&app, &alice, &person, "budget", "\"0\"", &family_budget()).await;
    // A refused write leaves no event.
    put(&app, &alice, &person, "budget", None, &family_budget()).await;
    let events = app.audit_actions(&person).await;
    let pair = |a: &str, r: &str| (a.to_owned(), r.to_owned());
    assert_eq!(
        events[before..],
        [
            pair("read", "person.household"),
            pair("update", "person.household"),
            pair("read", "person.budget"),
            pair("update", "person.budget"),
        ]
    );
    let (resource_id, actor): (String, String) = sqlx::query_as(
        "SELECT resource_id::text, actor_subject FROM audit_events WHERE person_id = $1::uuid AND \
         resource_type = 'person.budget' ORDER BY id DESC LIMIT 1",
    )
    .bind(&person)
    .fetch_one(&app.sql)
    .await
    .unwrap();
    assert_eq!(resource_id, person);
    assert_eq!(actor, "alice");
}

/// A single parent receiving alimony, paying a rent arrears plan (a `debt_repayments` charge)
/// and owing an energy bill: the debts come back in order, add up in `total_debt_cents`, and
/// their repayments are not subtracted from the reste à vivre a second time.
fn indebted_budget() -> Value {
    json!({
        "resources": [
            {"kind": "rsa", "amount_cents": 63540},
            {"kind": "alimony_received", "amount_cents": 15000, "label": "Pension du père"}
        ],
        "charges": [
            {"kind": "rent", "amount_cents": 40000},
            {"kind": "debt_repayments", "amount_cents": 15000, "label": "Plan d'apurement"},
            {"kind": "alimony_paid", "amount_cents": 5000}
        ],
        "debts": [
            {"kind": "rent_arrears", "creditor": "  Office HLM  ", "amount_owed_cents": 180000,
             "monthly_repayment_cents": 15000},
            {"kind": "energy", "creditor": "   ", "amount_owed_cents": 42050}
        ]
    })
}

#[tokio::test]
async fn debts_and_alimony_are_recorded_versioned_and_summed_once() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let person = person_of_new_case(&app, &alice).await;
    let budget = replaced(&app, &alice, &person, "budget", "\"0\"", &indebted_budget()).await;
    assert_eq!(
        budget["debts"],
        json!([
            {"kind": "rent_arrears", "creditor": "Office HLM", "amount_owed_cents": 180000,
             "monthly_repayment_cents": 15000},
            {"kind": "energy", "creditor": null, "amount_owed_cents": 42050,
             "monthly_repayment_cents": 0}
        ]),
        "creditors trimmed, a blank one dropped, no plan is 0"
    );
    assert_eq!(budget["resources"][1]["kind"], "alimony_received");
    assert_eq!(budget["charges"][2]["kind"], "alimony_paid");
    let derived = &budget["derived"];
    assert_eq!(derived["total_resources_cents"], 78540);
    assert_eq!(derived["total_charges_cents"], 60000);
    assert_eq!(
        derived["remaining_cents"], 18540,
        "the 150 € plan counts once"
    );
    assert_eq!(derived["total_debt_cents"], 222050);
    assert_eq!(read(&app, &alice, &person, "budget").await, budget);

    // Debts are replaced with the lines, under the same version: a change of a debt alone
    // moves the ETag; leaving `debts` out keeps them (a client that does not know debts never
    // erases them), and `[]` removes them.
    let mut paid = indebted_budget();
    paid["debts"][1]["amount_owed_cents"] = json!(0);
    let response = put(&app, &alice, &person, "budget", Some("\"1\""), &paid).await;
    assert_eq!(response.status(), 200);
    assert_eq!(etag(&response), "\"2\"");
    let budget: Value = response.json().await.unwrap();
    assert_eq!(budget["derived"]["total_debt_cents"], 180000);
    let stale = put(&app, &alice, &person, "budget", Some("\"1\""), &paid).await;
    assert_problem(stale, 412, "version_mismatch").await;
    let mut unaware = indebted_budget();
    unaware.as_object_mut().unwrap().remove("debts");
    unaware["charges"][0]["amount_cents"] = json!(70000);
    let budget = replaced(&app, &alice, &person, "budget", "\"2\"", &unaware).await;
    assert_eq!(budget["debts"].as_array().unwrap().len(), 2, "kept");
    assert_eq!(budget["derived"]["total_debt_cents"], 180000);
    assert_eq!(
        read(&app, &alice, &person, "budget").await["debts"],
        budget["debts"]
    );
    let mut cleared = indebted_budget();
    cleared["debts"] = json!([]);
    let budget = replaced(&app, &alice, &person, "budget", "\"3\"", &cleared).await;
    assert_eq!(budget["debts"], json!([]));
    assert_eq!(budget["derived"]["total_debt_cents"], 0);
    assert_eq!(budget["version"], 4);
    let rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM budget_debts WHERE person_id = $1::uuid")
            .bind(&person)
            .fetch_one(&app.sql)
            .await
            .unwrap();
    assert_eq!(rows, 0);
    let events = app.audit_actions(&person).await;
    let updates = events
        .iter()
        .filter(|(a, r)| a == "update" && r == "person.budget")
        .count();
    assert_eq!(
        updates, 4,
        "every write of debts is audited as the budget's"
    );
}
