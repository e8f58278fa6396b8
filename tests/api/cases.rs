//! Cases over HTTP: opening, visibility by role and team, assignment, list filters, the
//! lifecycle, the timeline, archived cases and other organisations' cases.

use chrono::{Days, Months, NaiveDate};
use relais_tests::{TestApp, assert_problem, header, pointers, problem, today};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::closure::assert_closure_cleared;

fn date(value: &Value) -> NaiveDate {
    value.as_str().unwrap().parse().unwrap()
}

fn ids(list: &Value) -> Vec<String> {
    let items = list["items"].as_array().unwrap();
    items
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

/// GET that must answer 200; the body.
async fn read(app: &TestApp, path: &str, token: &str) -> Value {
    let response = app.get(path, token).await;
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.unwrap()
}

async fn listed(app: &TestApp, query: &str, token: &str) -> Vec<String> {
    ids(&read(app, &format!("/v1/cases?{query}"), token).await)
}

/// Opens a case (with a new person) and returns its id.
async fn new_case(app: &TestApp, token: &str) -> String {
    app.create_case(token).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn new_person(app: &TestApp, token: &str) -> Value {
    let body = json!({"first_name": "Yanis", "last_name": "Roux"});
    app.create_person(token, body).await["id"].clone()
}

async fn open(app: &TestApp, token: &str, extra: Value) -> Response {
    let mut body = json!({"reason": "Impayés de loyer", "origin": "self"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    app.post("/v1/cases", token, &body).await
}

async fn transition(app: &TestApp, token: &str, id: &str, version: i64, body: Value) -> Response {
    app.request(Method::POST, &format!("/v1/cases/{id}/transitions"), token)
        .header("If-Match", format!("\"{version}\""))
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Whether `token` may read the case (200) rather than not see it at all (404).
async fn sees(app: &TestApp, id: &str, token: &str) -> bool {
    match app
        .get(&format!("/v1/cases/{id}"), token)
        .await
        .status()
        .as_u16()
    {
        200 => true,
        404 => false,
        other => panic!("reading a case answered {other}"),
    }
}

fn assert_state(case: &Value, status: &str, version: i64) {
    assert_eq!(case["status"], status, "{case}");
    assert_eq!(case["version"], version, "{case}");
}

/// A transition that must succeed; the case after it.
async fn moved(app: &TestApp, token: &str, id: &str, version: i64, body: Value) -> Value {
    let response = transition(app, token, id, version, body.clone()).await;
    assert_eq!(response.status(), 200, "{body}");
    response.json().await.unwrap()
}

/// Asserts a 422 validation problem with one error at `pointer`; returns that error's code.
async fn assert_invalid(response: Response, pointer: &str) -> String {
    assert_eq!(response.status(), 422, "expected 422 at {pointer}");
    let problem = problem(response).await;
    assert_eq!(problem["code"], "validation_failed");
    assert_eq!(pointers(&problem), [pointer]);
    problem["errors"][0]["code"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_worker_opens_a_case_with_a_new_person_and_becomes_its_referent() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let alice_id = app.agent_id(&alice).await.to_string();
    let person = json!({"person": {"first_name": "Inès", "last_name": "Moreau"}});
    let response = open(&app, &alice, person).await;
    assert_eq!(response.status(), 201);
    assert_eq!(header(&response, "etag"), "\"1\"");
    let location = header(&response, "location");
    let case: Value = response.json().await.unwrap();
    assert_eq!(
        location,
        format!("/v1/cases/{}", case["id"].as_str().unwrap())
    );
    assert_state(&case, "intake", 1);
    let opened_on = date(&case["opened_on"]);
    assert_eq!(opened_on, today());
    assert_eq!(date(&case["target_end_on"]), opened_on + Months::new(6));
    assert_eq!(case["referent_id"], alice_id.as_str());
    assert_eq!(case["team_ids"], json!([alice_id]));
    assert_eq!(case["person"]["first_name"], "Inès");
    assert_eq!(case["person"]["id"], case["person_id"]);
    let again = app.get(&location, &alice).await;
    assert_eq!(header(&again, "etag"), "\"1\"");
    assert_eq!(again.json::<Value>().await.unwrap()["id"], case["id"]);
}

#[tokio::test]
async fn a_case_opens_for_an_existing_person_without_creating_another() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let person_id = new_person(&app, &alice).await;
    let later = today() + Days::new(90);
    let body = json!({"person_id": person_id, "target_end_on": later});
    let response = open(&app, &alice, body).await;
    assert_eq!(response.status(), 201);
    let case: Value = response.json().await.unwrap();
    assert_eq!(case["person_id"], person_id);
    assert_eq!(date(&case["target_end_on"]), later);
    assert!(case["person"].is_null(), "no person was created: {case}");
    assert_eq!(app.count("SELECT count(*) FROM persons").await, 1);
}

#[tokio::test]
async fn an_opening_with_a_bad_person_origin_or_target_date_is_refused_at_that_field() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let person_id = new_person(&app, &alice).await;
    // A person of another organisation does not exist here.
    let foreign = new_person(&app, &app.token_for("other", &["worker"], "zoe")).await;
    let inline = json!({"first_name": "A", "last_name": "B"});
    let refused = [
        (
            json!({"person_id": person_id, "person": inline}),
            "/person_id",
        ),
        (json!({}), "/person_id"),
        (json!({"person_id": Uuid::now_v7()}), "/person_id"),
        (json!({"person_id": foreign}), "/person_id"),
        (
            json!({"person_id": person_id, "origin": "walk_in"}),
            "/origin",
        ),
        (
            json!({"person_id": person_id, "target_end_on": today()}),
            "/target_end_on",
        ),
        (
            json!({"person_id": person_id, "target_end_on": today() - Days::new(1)}),
            "/target_end_on",
        ),
    ];
    for (body, pointer) in refused {
        assert_invalid(open(&app, &alice, body).await, pointer).await;
    }
    assert_eq!(app.count("SELECT count(*) FROM cases").await, 0);
}

#[tokio::test]
async fn an_existing_case_is_entered_as_it_stands_with_its_opening_date() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let person_id = new_person(&app, &alice).await;
    let opened_on = today() - Months::new(10);
    let body = json!({"person_id": person_id, "opened_on": opened_on});
    let response = open(&app, &alice, body).await;
    assert_eq!(response.status(), 201);
    let case: Value = response.json().await.unwrap();
    let id = case["id"].as_str().unwrap();
    assert_eq!(date(&case["opened_on"]), opened_on);
    assert_eq!(date(&case["target_end_on"]), opened_on + Months::new(6));
    assert_eq!(case["indicators"]["past_target"], true, "{case}");
    let days = (today() - opened_on).num_days();
    assert_eq!(case["indicators"]["days_open"], days);
    // A step of the paper file, due three months ago, is accepted and shows as overdue.
    let due = today() - Months::new(3);
    let step = json!({"party": "person", "category": "paperwork", "domain": "housing",
                      "title": "Déposer le dossier FSL", "due_on": due});
    let response = app
        .post(&format!("/v1/cases/{id}/plan/items"), &alice, &step)
        .await;
    assert_eq!(response.status(), 201);
    let item: Value = response.json().await.unwrap();
    assert_eq!(item["overdue"], true);
    let before = json!({"party": "person", "category": "paperwork", "domain": "housing",
                        "title": "Trop tôt", "due_on": opened_on - Days::new(1)});
    let response = app
        .post(&format!("/v1/cases/{id}/plan/items"), &alice, &before)
        .await;
    assert_invalid(response, "/due_on").await;
    // A contact held at the first interview, months ago.
    let held = (chrono::Utc::now() - chrono::Duration::days(290)).to_rfc3339();
    let response = app
        .post(
            &format!("/v1/cases/{id}/contacts"),
            &alice,
            &json!({"kind": "first_interview", "occurred_at": held}),
        )
        .await;
    assert_eq!(response.status(), 201);
    // Reception lists what it recorded today, whatever the opening date.
    let desk = app.token("reception", "desk");
    let body = json!({"person_id": person_id, "reason": "Dossier papier", "origin": "self",
                      "opened_on": today() - Days::new(40)});
    let response = app.post("/v1/cases", &desk, &body).await;
    assert_eq!(response.status(), 201);
    let listed = app.get_json("/v1/cases/opened-today", &desk).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");

    for (opened_on, code) in [
        (today() + Days::new(1), "in_future"),
        (today() - Months::new(24) - Days::new(1), "out_of_range"),
    ] {
        let body = json!({"person_id": person_id, "opened_on": opened_on});
        let problem =
            assert_problem(open(&app, &alice, body).await, 422, "validation_failed").await;
        assert_eq!(pointers(&problem), ["/opened_on"]);
        assert_eq!(problem["errors"][0]["code"], code);
    }
    let body = json!({"person_id": person_id, "opened_on": today() - Months::new(8),
                      "target_end_on": today() - Months::new(9)});
    assert_invalid(open(&app, &alice, body).await, "/target_end_on").await;
    assert_eq!(app.count("SELECT count(*) FROM cases").await, 2);
}

#[tokio::test]
async fn team_members_and_referents_must_be_agents_of_the_organisation() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let foreigner = app
        .agent_id(&app.token_for("other", &["worker"], "zoe"))
        .await;
    let person_id = new_person(&app, &alice).await;
    for stranger in [Uuid::now_v7(), foreigner] {
        let body = json!({"person_id": person_id, "team_ids": [stranger]});
        assert_invalid(open(&app, &alice, body).await, "/team_ids").await;
        let body = json!({"person_id": person_id, "referent_id": stranger});
        assert_invalid(open(&app, &alice, body).await, "/referent_id").await;
    }
    assert_eq!(app.count("SELECT count(*) FROM cases").await, 0);
}

#[tokio::test]
async fn reception_opens_a_case_without_referent_but_cannot_read_it() {
    let app = TestApp::spawn().await;
    let desk = app.token("reception", "desk");
    let case = app.create_case(&desk).await;
    assert!(case["referent_id"].is_null());
    assert_eq!(case["team_ids"], json!([]));
    let path = format!("/v1/cases/{}", case["id"].as_str().unwrap());
    assert_problem(app.get(&path, &desk).await, 403, "forbidden").await;
    assert_problem(app.get("/v1/cases", &desk).await, 403, "forbidden").await;
    let supervisor = app.token("supervisor", "sam");
    assert!(sees(&app, case["id"].as_str().unwrap(), &supervisor).await);
}

#[tokio::test]
async fn a_worker_sees_only_the_cases_of_their_team_and_a_supervisor_sees_all() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (app.token("worker", "alice"), app.token("worker", "bob"));
    let mine = new_case(&app, &alice).await;
    let theirs = new_case(&app, &bob).await;
    assert!(sees(&app, &mine, &alice).await);
    let hidden = app.get(&format!("/v1/cases/{theirs}"), &alice).await;
    assert_problem(hidden, 404, "not_found").await;
    assert_eq!(listed(&app, "", &alice).await, [mine.as_str()]);
    let supervisor = app.token("supervisor", "sam");
    let all = listed(&app, "", &supervisor).await;
    assert_eq!(all, [theirs.clone(), mine], "newest first");
    assert!(sees(&app, &theirs, &supervisor).await);
}

#[tokio::test]
async fn a_supervisor_assigns_the_referent_and_team_and_the_new_worker_then_sees_the_case() {
    let app = TestApp::spawn().await;
    let [alice, bob, carol] = ["alice", "bob", "carol"].map(|s| app.token("worker", s));
    let (bob_id, carol_id) = (app.agent_id(&bob).await, app.agent_id(&carol).await);
    let id = new_case(&app, &alice).await;
    let path = format!("/v1/cases/{id}");
    assert!(!sees(&app, &id, &bob).await);
    let supervisor = app.token("supervisor", "sam");
    let body = json!({"referent_id": bob_id});
    let response = app.patch(&path, &supervisor, 1, &body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "etag"), "\"2\"");
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["referent_id"], json!(bob_id));
    assert_eq!(updated["version"], 2);
    let team = updated["team_ids"].as_array().unwrap();
    assert!(team.contains(&json!(bob_id)), "{updated}");
    assert!(sees(&app, &id, &bob).await);
    // The team is replaced as a whole, and always keeps the referent.
    let body = json!({"team_ids": [carol_id]});
    let updated: Value = app
        .patch(&path, &supervisor, 2, &body)
        .await
        .json()
        .await
        .unwrap();
    let mut expected = [bob_id, carol_id];
    expected.sort();
    assert_eq!(updated["team_ids"], json!(expected));
    assert!(sees(&app, &id, &carol).await);
    assert!(!sees(&app, &id, &alice).await, "alice left the team");
    for (field, pointer) in [("team_ids", "/team_ids"), ("referent_id", "/referent_id")] {
        let stranger = Uuid::now_v7();
        let body = if field == "team_ids" {
            json!({"team_ids": [stranger]})
        } else {
            json!({"referent_id": stranger})
        };
        assert_invalid(app.patch(&path, &supervisor, 3, &body).await, pointer).await;
    }
}

#[tokio::test]
async fn only_a_supervisor_changes_the_assignment_but_a_team_worker_moves_the_target_date() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (app.token("worker", "alice"), app.token("worker", "bob"));
    let bob_id = app.agent_id(&bob).await;
    let path = format!("/v1/cases/{}", new_case(&app, &alice).await);
    let assignments = [
        json!({"referent_id": bob_id}),
        json!({"team_ids": [bob_id]}),
    ];
    for body in assignments {
        assert_problem(app.patch(&path, &alice, 1, &body).await, 403, "forbidden").await;
    }
    let target = today() + Days::new(30);
    let body = json!({"target_end_on": target});
    let response = app.patch(&path, &alice, 1, &body).await;
    assert_eq!(response.status(), 200);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(date(&updated["target_end_on"]), target);
    assert_eq!(updated["version"], 2);
    let past = json!({"target_end_on": today() - Days::new(1)});
    assert_invalid(app.patch(&path, &alice, 2, &past).await, "/target_end_on").await;
    // A worker off the team does not even learn that the case exists.
    let body = json!({"target_end_on": target});
    assert_problem(app.patch(&path, &bob, 2, &body).await, 404, "not_found").await;
}

#[tokio::test]
async fn changes_and_transitions_need_a_current_if_match() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let case = app.create_case(&alice).await;
    let id = case["id"].as_str().unwrap();
    let path = format!("/v1/cases/{id}");
    let body = json!({"target_end_on": today() + Days::new(30)});
    let missing = app.request(Method::PATCH, &path, &alice).json(&body);
    assert_problem(missing.send().await.unwrap(), 428, "precondition_required").await;
    let stale = app.patch(&path, &alice, 7, &body).await;
    assert_problem(stale, 412, "version_mismatch").await;
    let to = json!({"to": "assessment"});
    let missing = app.request(Method::POST, &format!("{path}/transitions"), &alice);
    let missing = missing.json(&to).send().await.unwrap();
    assert_problem(missing, 428, "precondition_required").await;
    let stale = transition(&app, &alice, id, 2, to).await;
    assert_problem(stale, 412, "version_mismatch").await;
    let current = read(&app, &path, &alice).await;
    assert_state(&current, "intake", 1);
    assert_eq!(current["target_end_on"], case["target_end_on"]);
}

#[tokio::test]
async fn the_list_filters_by_status_referent_and_person() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (app.token("worker", "alice"), app.token("worker", "bob"));
    let supervisor = app.token("supervisor", "sam");
    let intake = app.create_case(&alice).await;
    let intake_id = intake["id"].as_str().unwrap().to_owned();
    let assessed = new_case(&app, &alice).await;
    let closed = new_case(&app, &bob).await;
    moved(&app, &alice, &assessed, 1, json!({"to": "assessment"})).await;
    let body = json!({"to": "closed", "closure_reason": "goals_met"});
    moved(&app, &bob, &closed, 1, body).await;
    let by = |query: String| {
        let (app, supervisor) = (&app, &supervisor);
        async move { listed(app, &query, supervisor).await }
    };
    assert_eq!(by("status=intake".into()).await, [intake_id.as_str()]);
    let open = by("status=intake,%20assessment".into()).await;
    assert_eq!(open, [assessed.clone(), intake_id.clone()]);
    assert_eq!(by("status=closed".into()).await, [closed.as_str()]);
    let bob_id = app.agent_id(&bob).await;
    assert_eq!(by(format!("referent={bob_id}")).await, [closed]);
    let person = intake["person_id"].as_str().unwrap();
    assert_eq!(by(format!("person_id={person}")).await, [intake_id]);
    let none = by(format!("person_id={person}&status=closed")).await;
    assert!(none.is_empty());
}

#[tokio::test]
async fn past_target_lists_only_open_cases_past_their_target_and_flags_them() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let late = new_case(&app, &alice).await;
    let on_time = new_case(&app, &alice).await;
    let late_but_closed = new_case(&app, &alice).await;
    let body = json!({"to": "closed", "closure_reason": "unreachable"});
    moved(&app, &alice, &late_but_closed, 1, body).await;
    let past: Vec<Uuid> = [&late, &late_but_closed]
        .map(|id| id.parse().unwrap())
        .into();
    sqlx::query("UPDATE cases SET target_end_on = $1 WHERE id = ANY($2)")
        .bind(today() - Days::new(3))
        .bind(past)
        .execute(&app.sql)
        .await
        .unwrap();
    let list = read(&app, "/v1/cases?past_target=true", &alice).await;
    assert_eq!(ids(&list), [late.as_str()]);
    assert_eq!(list["items"][0]["indicators"]["past_target"], true);
    assert_eq!(list["items"][0]["indicators"]["days_remaining"], -3);
    let late = read(&app, &format!("/v1/cases/{late}"), &alice).await;
    assert_eq!(late["indicators"]["past_target"], true);
    let on_time = read(&app, &format!("/v1/cases/{on_time}"), &alice).await;
    assert_eq!(on_time["indicators"]["past_target"], false);
    assert_eq!(listed(&app, "past_target=false", &alice).await.len(), 3);
}

#[tokio::test]
async fn bad_list_filters_are_400s_pointing_at_the_parameter() {
    let app = TestApp::spawn().await;
    let supervisor = app.token("supervisor", "sam");
    for (query, pointer) in [
        ("status=intake,opened", "/status"),
        ("referent=alice", "/referent"),
        ("person_id=42", "/person_id"),
        ("limit=0", "/limit"),
        ("cursor=zzz", "/cursor"),
    ] {
        let response = app.get(&format!("/v1/cases?{query}"), &supervisor).await;
        assert_eq!(response.status(), 400, "{query}");
        let problem = problem(response).await;
        assert_eq!(pointers(&problem), [pointer], "{query}");
        assert_eq!(problem["errors"][0]["in"], "query");
    }
}

#[tokio::test]
async fn the_list_pages_with_limit_and_cursor() {
    let app = TestApp::spawn().await;
    let supervisor = app.token("supervisor", "sam");
    let mut created = Vec::new();
    for _ in 0..5 {
        created.insert(0, new_case(&app, &supervisor).await);
    }
    let (mut seen, mut cursor) = (Vec::new(), None::<String>);
    for expected_len in [2, 2, 1] {
        let after = cursor.map(|c| format!("&cursor={c}")).unwrap_or_default();
        let page = read(&app, &format!("/v1/cases?limit=2{after}"), &supervisor).await;
        assert_eq!(ids(&page).len(), expected_len);
        seen.extend(ids(&page));
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    assert!(cursor.is_none(), "the last page has no cursor");
    assert_eq!(seen, created, "every case once, newest first");
}

#[tokio::test]
async fn a_workers_list_pages_through_their_teams_cases_only_with_filters_applied() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (app.token("worker", "alice"), app.token("worker", "bob"));
    // Interleaved, so that the cases of another team fall between alice's in id order.
    let mut mine = Vec::new();
    let mut theirs = Vec::new();
    for _ in 0..5 {
        mine.insert(0, new_case(&app, &alice).await);
        theirs.push(new_case(&app, &bob).await);
    }
    let (mut seen, mut cursor) = (Vec::new(), None::<String>);
    for expected_len in [2, 2, 1] {
        let after = cursor.map(|c| format!("&cursor={c}")).unwrap_or_default();
        let page = read(&app, &format!("/v1/cases?limit=2{after}"), &alice).await;
        assert_eq!(ids(&page).len(), expected_len, "{page}");
        seen.extend(ids(&page));
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    assert!(cursor.is_none(), "the last page has no cursor");
    assert_eq!(
        seen, mine,
        "each of alice's cases once, newest first, none of bob's"
    );

    // The filters apply within the team: one of alice's cases moves on.
    let moved_id = mine[2].clone();
    moved(&app, &alice, &moved_id, 1, json!({"to": "assessment"})).await;
    assert_eq!(
        listed(&app, "status=assessment", &alice).await,
        std::slice::from_ref(&moved_id)
    );
    assert!(listed(&app, "status=assessment", &bob).await.is_empty());
    let intake = listed(&app, "status=intake&limit=100", &alice).await;
    assert_eq!(intake.len(), 4);
    assert!(!intake.contains(&moved_id));
    assert!(listed(&app, "past_target=true", &alice).await.is_empty());
}

#[tokio::test]
async fn a_case_moves_from_intake_to_assessment_and_refuses_planning_and_active() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let id = new_case(&app, &alice).await;
    let response = transition(&app, &alice, &id, 1, json!({"to": "assessment"})).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "etag"), "\"2\"");
    assert_state(&response.json().await.unwrap(), "assessment", 2);
    let refused = [
        ("planning", "assessment_needs_action"),
        ("active", "invalid_transition"),
        ("assessment", "invalid_transition"),
        ("intake", "invalid_transition"),
    ];
    for (to, code) in refused {
        let response = transition(&app, &alice, &id, 2, json!({"to": to})).await;
        assert_problem(response, 409, code).await;
    }
    assert_state(
        &read(&app, &format!("/v1/cases/{id}"), &alice).await,
        "assessment",
        2,
    );
}

#[tokio::test]
async fn closing_needs_a_closure_reason_and_sets_the_closure_and_review_dates() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let id = new_case(&app, &alice).await;
    let bare = transition(&app, &alice, &id, 1, json!({"to": "closed"})).await;
    let code = assert_invalid(bare, "/closure_reason").await;
    assert_eq!(code, "closure_reason_required");
    let body = json!({"to": "closed", "closure_reason": "goals_met", "orientation": "Suivi CAF"});
    let case = moved(&app, &alice, &id, 1, body).await;
    assert_state(&case, "closed", 2);
    assert_eq!(case["closure_reason"], "goals_met");
    assert_eq!(case["orientation"], "Suivi CAF");
    assert_eq!(date(&case["closed_on"]), today());
    assert_eq!(date(&case["review_due_on"]), today() + Days::new(28));
    assert_eq!(case["indicators"]["past_target"], false);
}

#[tokio::test]
async fn reopening_needs_a_reason_and_clears_the_closure_but_archiving_is_for_the_system() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let id = new_case(&app, &alice).await;
    let archive = json!({"to": "archived"});
    let response = transition(&app, &alice, &id, 1, archive.clone()).await;
    assert_problem(response, 409, "invalid_transition").await;
    let body = json!({"to": "closed", "closure_reason": "person_withdrew", "orientation": "CCAS"});
    moved(&app, &alice, &id, 1, body).await;
    let response = transition(&app, &alice, &id, 2, archive).await;
    assert_problem(response, 409, "system_only").await;
    let unexplained = [
        json!({"to": "assessment"}),
        json!({"to": "assessment", "reason": " "}),
    ];
    for body in unexplained {
        let response = transition(&app, &alice, &id, 2, body).await;
        assert_eq!(assert_invalid(response, "/reason").await, "reason_required");
    }
    let body = json!({"to": "assessment", "reason": "La personne revient"});
    let case = moved(&app, &alice, &id, 2, body).await;
    assert_state(&case, "assessment", 3);
    assert_closure_cleared(&case);
}

#[tokio::test]
async fn the_timeline_lists_creation_and_transitions_in_order() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let alice_id = app.agent_id(&alice).await.to_string();
    let id = new_case(&app, &alice).await;
    let steps = [
        json!({"to": "assessment"}),
        json!({"to": "closed", "closure_reason": "redirected", "orientation": "Mission locale"}),
        json!({"to": "assessment", "reason": "Nouvelle demande"}),
    ];
    for (version, step) in (1..).zip(steps) {
        moved(&app, &alice, &id, version, step).await;
    }
    let timeline = read(&app, &format!("/v1/cases/{id}/timeline"), &alice).await;
    let items = timeline["items"].as_array().unwrap();
    assert!(items.iter().all(|e| e["actor_id"] == alice_id.as_str()));
    let events: Vec<_> = items
        .iter()
        .map(|e| [&e["kind"], &e["from_status"], &e["to_status"], &e["reason"]])
        .collect();
    let expected = [
        json!(["created", null, "intake", null]),
        json!(["transition", "intake", "assessment", null]),
        json!(["transition", "assessment", "closed", null]),
        json!(["transition", "closed", "assessment", "Nouvelle demande"]),
    ];
    assert_eq!(json!(events), json!(expected));
    assert_eq!(items[2]["data"]["closure_reason"], "redirected");
    assert_eq!(items[2]["data"]["orientation"], "Mission locale");
    let page = read(&app, &format!("/v1/cases/{id}/timeline?limit=3"), &alice).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    let cursor = page["next_cursor"].as_str().unwrap();
    let next = format!("/v1/cases/{id}/timeline?cursor={cursor}");
    let rest = read(&app, &next, &alice).await;
    assert_eq!(rest["items"][0]["reason"], "Nouvelle demande");
}

#[tokio::test]
async fn an_archived_case_is_hidden_from_lists_and_read_only_with_a_reason() {
    let app = TestApp::spawn().await;
    let supervisor = app.token("supervisor", "sam");
    let id = new_case(&app, &supervisor).await;
    let kept = new_case(&app, &supervisor).await;
    sqlx::query("UPDATE cases SET status = 'archived' WHERE id = $1")
        .bind(Uuid::parse_str(&id).unwrap())
        .execute(&app.sql)
        .await
        .unwrap();
    assert_eq!(listed(&app, "", &supervisor).await, [kept]);
    let archived = listed(&app, "status=archived", &supervisor).await;
    assert_eq!(archived, [id.as_str()]);
    for query in ["", "?reason=abc"] {
        let path = format!("/v1/cases/{id}{query}");
        let refused = app.get(&path, &supervisor).await;
        assert_eq!(refused.status(), 400, "{path}");
        let problem = problem(refused).await;
        assert_eq!(pointers(&problem), ["/reason"]);
        assert_eq!(problem["errors"][0]["in"], "query");
    }
    let path = format!("/v1/cases/{id}?reason=Demande%20d%27acc%C3%A8s");
    assert_eq!(read(&app, &path, &supervisor).await["status"], "archived");
    let reason: Option<String> = sqlx::query_scalar(
        "SELECT reason FROM audit_events WHERE resource_id = $1 AND reason IS NOT NULL",
    )
    .bind(Uuid::parse_str(&id).unwrap())
    .fetch_one(&app.sql)
    .await
    .unwrap();
    assert_eq!(reason.as_deref(), Some("Demande d'accès"));
    let body = json!({"target_end_on": today() + Days::new(10)});
    let path = format!("/v1/cases/{id}");
    assert_problem(
        app.patch(&path, &supervisor, 1, &body).await,
        409,
        "case_archived",
    )
    .await;
}

#[tokio::test]
async fn another_organisations_case_answers_404_everywhere() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let id = new_case(&app, &alice).await;
    let outsider = app.token_for("other", &["supervisor"], "olga");
    let path = format!("/v1/cases/{id}");
    let body = json!({"target_end_on": today() + Days::new(10)});
    let responses = [
        app.get(&path, &outsider).await,
        app.patch(&path, &outsider, 1, &body).await,
        transition(&app, &outsider, &id, 1, json!({"to": "assessment"})).await,
        app.get(&format!("{path}/timeline"), &outsider).await,
    ];
    for response in responses {
        assert_problem(response, 404, "not_found").await;
    }
    assert!(listed(&app, "", &outsider).await.is_empty());
    assert_state(&read(&app, &path, &alice).await, "intake", 1);
}

#[tokio::test]
async fn admin_and_dpo_cannot_touch_cases() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let case = app.create_case(&alice).await;
    let id = case["id"].as_str().unwrap();
    let path = format!("/v1/cases/{id}");
    for role in ["admin", "dpo"] {
        let token = app.token(role, role);
        let responses = [
            app.get("/v1/cases", &token).await,
            app.get(&path, &token).await,
            app.get(&format!("{path}/timeline"), &token).await,
            open(&app, &token, json!({"person_id": case["person_id"]})).await,
            app.patch(&path, &token, 1, &json!({})).await,
            transition(&app, &token, id, 1, json!({"to": "assessment"})).await,
        ];
        for response in responses {
            assert_problem(response, 403, "forbidden").await;
        }
    }
    assert_eq!(app.count("SELECT count(*) FROM cases").await, 1);
}

#[tokio::test]
async fn a_person_created_with_a_case_is_refused_at_pointers_inside_person() {
    let app = TestApp::spawn().await;
    let token = app.token("worker", "alice");
    let body = json!({"person": {
        "first_name": "Inès", "last_name": "Moreau",
        "birth_date": "2999-01-01",
        "informed": {"at": "2999-01-01T10:00:00Z", "channel": "in_person", "notice_version": "2026-01"}
    }});
    let doc = assert_problem(open(&app, &token, body).await, 422, "validation_failed").await;
    assert_eq!(
        pointers(&doc),
        ["/person/birth_date", "/person/informed/at"]
    );
}
