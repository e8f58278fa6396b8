//! `GET /v1/agenda`: the caller's deadlines — interventions, préconisations and partner steps
//! of the open cases whose team they are on — in a date range, with every overdue item whatever
//! the range; pages, bad input, roles, tenancy and audit. The calendar feed is in
//! `agenda::feed`.

mod feed;

use crate::support::agenda::{
    Case, add_item, day, entries_drift, open_case, open_case_with, set_case_status,
    set_item_status, step_written_waits_for,
};
use relais_tests::{TestApp, pointers, problem, today};
use serde_json::{Value, json};

async fn agenda(app: &TestApp, token: &str, query: &str) -> Value {
    let response = app.get(&format!("/v1/agenda?{query}"), token).await;
    assert_eq!(response.status(), 200, "reading the agenda ?{query}");
    response.json().await.unwrap()
}

fn titles(agenda: &Value) -> Vec<String> {
    agenda["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_owned())
        .collect()
}

/// alice's case (Camille Lefèvre) and bob's case (Jean Dupont), each with a plan.
struct Teams {
    app: TestApp,
    alice: String,
    bob: String,
    camille: Case,
    jean: Case,
}

async fn teams() -> Teams {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let bob = app.token("worker", "bob");
    let camille = open_case(&app, &alice, "Camille", "Lefèvre").await;
    let jean = open_case(&app, &bob, "Jean", "Dupont").await;
    Teams {
        app,
        alice,
        bob,
        camille,
        jean,
    }
}

#[tokio::test]
async fn a_worker_sees_the_deadlines_of_their_cases_and_not_of_other_teams() {
    let t = teams().await;
    let (app, alice) = (&t.app, &t.alice);
    let call = add_item(app, alice, &t.camille, "worker", "Appeler la CAF", day(5)).await;
    add_item(
        app,
        alice,
        &t.camille,
        "person",
        "Déposer le dossier FSL",
        day(10),
    )
    .await;
    add_item(
        app,
        alice,
        &t.camille,
        "partner",
        "Réponse du bailleur",
        day(12),
    )
    .await;
    let done = add_item(
        app,
        alice,
        &t.camille,
        "worker",
        "Écrire au bailleur",
        day(3),
    )
    .await;
    set_item_status(app, &done, "done").await;
    add_item(app, alice, &t.camille, "worker", "Bilan", day(45)).await;
    add_item(app, &t.bob, &t.jean, "worker", "Visite à domicile", day(2)).await;

    let body = agenda(app, alice, "").await;
    assert_eq!(body["from"], today().to_string());
    assert_eq!(body["to"], day(30).to_string(), "30 days by default");
    assert_eq!(
        titles(&body),
        [
            "Appeler la CAF",
            "Déposer le dossier FSL",
            "Réponse du bailleur"
        ],
        "pending items of alice's cases due in the range, by due date"
    );
    assert_eq!(body["next_cursor"], Value::Null);
    let first = &body["items"][0];
    assert_eq!(first["item_id"], call.as_str());
    assert_eq!(first["case_id"], t.camille.id.as_str());
    assert_eq!(first["person_id"], t.camille.person_id.as_str());
    assert_eq!(first["person_name"], "Camille Lefèvre");
    assert_eq!(first["party"], "worker");
    assert_eq!(first["kind"], "intervention");
    assert_eq!(first["due_on"], day(5).to_string());
    assert_eq!(first["status"], "planned");
    assert_eq!(first["overdue"], false);
    assert_eq!(body["items"][1]["kind"], "recommendation");
    assert_eq!(body["items"][2]["kind"], "partner_step");

    assert_eq!(
        titles(&agenda(app, &t.bob, "").await),
        ["Visite à domicile"]
    );
}

#[tokio::test]
async fn overdue_items_are_listed_whatever_the_range() {
    let t = teams().await;
    let (app, alice) = (&t.app, &t.alice);
    let late = add_item(
        app,
        alice,
        &t.camille,
        "person",
        "Fournir l'avis d'imposition",
        day(-20),
    )
    .await;
    let blocked = add_item(
        app,
        alice,
        &t.camille,
        "worker",
        "Relancer la CPAM",
        day(-3),
    )
    .await;
    set_item_status(app, &blocked, "blocked").await;
    let cancelled = add_item(app, alice, &t.camille, "worker", "Abandonné", day(-5)).await;
    set_item_status(app, &cancelled, "cancelled").await;
    add_item(
        app,
        alice,
        &t.camille,
        "worker",
        "Dans la période",
        day(100),
    )
    .await;
    add_item(
        app,
        alice,
        &t.camille,
        "worker",
        "Après la période",
        day(111),
    )
    .await;

    let query = format!("from={}&to={}", day(100), day(110));
    let body = agenda(app, alice, &query).await;
    assert_eq!(
        titles(&body),
        [
            "Fournir l'avis d'imposition",
            "Relancer la CPAM",
            "Dans la période"
        ]
    );
    let overdue: Vec<bool> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["overdue"].as_bool().unwrap())
        .collect();
    assert_eq!(overdue, [true, true, false]);
    assert_eq!(body["items"][0]["item_id"], late.as_str());
    assert_eq!(body["items"][1]["status"], "blocked");

    // A range in the past lists what was due then and is still pending: overdue too.
    let query = format!("from={}&to={}", day(-25), day(-10));
    assert_eq!(
        titles(&agenda(app, alice, &query).await),
        ["Fournir l'avis d'imposition", "Relancer la CPAM"]
    );
}

#[tokio::test]
async fn a_date_range_includes_both_of_its_ends() {
    let t = teams().await;
    let (app, alice) = (&t.app, &t.alice);
    for (title, offset) in [
        ("avant", 9),
        ("début", 10),
        ("milieu", 15),
        ("fin", 20),
        ("après", 21),
    ] {
        add_item(app, alice, &t.camille, "worker", title, day(offset)).await;
    }
    let body = agenda(app, alice, &format!("from={}&to={}", day(10), day(20))).await;
    assert_eq!(titles(&body), ["début", "milieu", "fin"]);
    assert_eq!(body["from"], day(10).to_string());
    assert_eq!(body["to"], day(20).to_string());
    let body = agenda(app, alice, &format!("from={}", day(10))).await;
    assert_eq!(
        body["to"],
        day(40).to_string(),
        "to defaults to from + 30 days"
    );
    assert_eq!(titles(&body), ["début", "milieu", "fin", "après"]);
}

#[tokio::test]
async fn the_agenda_is_paged_by_due_date_without_gaps_or_repeats() {
    let t = teams().await;
    let (app, alice) = (&t.app, &t.alice);
    let other = open_case(app, alice, "Lina", "Benali").await;
    let mut expected = Vec::new();
    for n in 0..5u8 {
        // Two items share each due date, on two cases: the id breaks the tie.
        let due = day(i64::from(n / 2) + 1);
        let case = if n % 2 == 0 { &t.camille } else { &other };
        add_item(app, alice, case, "worker", &format!("étape {n}"), due).await;
        expected.push(format!("étape {n}"));
    }
    add_item(app, alice, &t.camille, "person", "en retard", day(-1)).await;
    expected.insert(0, "en retard".into());

    let mut seen = Vec::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let body = agenda(app, alice, &format!("limit=2&cursor={cursor}")).await;
        pages += 1;
        assert!(body["items"].as_array().unwrap().len() <= 2);
        seen.extend(titles(&body));
        match body["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 6, "no repeats: {seen:?}");
    assert_eq!(seen[0], "en retard", "overdue first: earliest due date");
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    assert_eq!(sorted, expected_sorted);
}

#[tokio::test]
async fn bad_ranges_and_paging_are_refused_with_pointers() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let cases = [
        ("from=yesterday".to_owned(), "/from"),
        ("to=2026-13-01".to_owned(), "/to"),
        (format!("from={}&to={}", day(10), day(9)), "/to"),
        (format!("from={}&to={}", day(0), day(367)), "/to"),
        ("limit=0".to_owned(), "/limit"),
        ("limit=201".to_owned(), "/limit"),
        ("cursor=not-a-cursor".to_owned(), "/cursor"),
    ];
    for (query, pointer) in cases {
        let response = app.get(&format!("/v1/agenda?{query}"), &alice).await;
        assert_eq!(response.status(), 400, "?{query}");
        let problem = problem(response).await;
        assert_eq!(problem["code"], "invalid_parameter", "?{query}");
        assert_eq!(pointers(&problem), [pointer], "?{query}");
    }
    // The rules across `from` and `to` say which one with their own codes.
    for (query, code) in [
        (format!("from={}&to={}", day(10), day(9)), "range_reversed"),
        (format!("from={}&to={}", day(0), day(367)), "range_too_long"),
    ] {
        let problem = problem(app.get(&format!("/v1/agenda?{query}"), &alice).await).await;
        assert_eq!(problem["errors"][0]["code"], code, "?{query}");
    }
    let longest = format!("from={}&to={}", day(0), day(366));
    agenda(&app, &alice, &longest).await;
}

#[tokio::test]
async fn only_workers_and_supervisors_have_an_agenda() {
    let app = TestApp::spawn().await;
    for role in ["reception", "admin", "dpo"] {
        let token = app.token(role, &format!("{role}-1"));
        let response = app.get("/v1/agenda", &token).await;
        assert_eq!(response.status(), 403, "{role}");
        assert_eq!(problem(response).await["code"], "forbidden");
    }
    let response = app.client.get(app.url("/v1/agenda")).send().await.unwrap();
    assert_eq!(response.status(), 401);
    agenda(&app, &app.token("supervisor", "sam"), "").await;
}

#[tokio::test]
async fn a_supervisor_sees_only_the_cases_whose_team_they_are_on() {
    let t = teams().await;
    let app = &t.app;
    let sam = app.token("supervisor", "sam");
    let sam_id = app.agent_id(&sam).await;
    let alice_id = app.agent_id(&t.alice).await;
    let shared = open_case_with(
        app,
        &sam,
        "Lina",
        "Benali",
        json!({"referent_id": alice_id, "team_ids": [sam_id]}),
    )
    .await;
    add_item(app, &sam, &shared, "worker", "Synthèse partagée", day(4)).await;
    add_item(
        app,
        &t.alice,
        &t.camille,
        "worker",
        "Appeler la CAF",
        day(2),
    )
    .await;

    assert_eq!(titles(&agenda(app, &sam, "").await), ["Synthèse partagée"]);
    assert_eq!(
        titles(&agenda(app, &t.alice, "").await),
        ["Appeler la CAF", "Synthèse partagée"],
        "alice is the referent, so on the team"
    );
}

#[tokio::test]
async fn the_items_of_a_closed_case_leave_the_agenda() {
    let t = teams().await;
    let (app, alice) = (&t.app, &t.alice);
    add_item(app, alice, &t.camille, "worker", "Appeler la CAF", day(-2)).await;
    assert_eq!(titles(&agenda(app, alice, "").await).len(), 1);
    set_case_status(app, &t.camille, "closed").await;
    assert!(titles(&agenda(app, alice, "").await).is_empty());
}

#[tokio::test]
async fn another_organisation_sees_nothing_of_this_agenda() {
    let t = teams().await;
    add_item(
        &t.app,
        &t.alice,
        &t.camille,
        "worker",
        "Appeler la CAF",
        day(-2),
    )
    .await;
    // Same subject, other organisation: another agent with no case.
    let stranger = t.app.token_for("other", &["worker"], "alice");
    assert!(titles(&agenda(&t.app, &stranger, "").await).is_empty());
    let stranger_sup = t.app.token_for("other", &["supervisor"], "sam");
    assert!(titles(&agenda(&t.app, &stranger_sup, "").await).is_empty());
}

#[tokio::test]
async fn reading_the_agenda_is_audited_once_and_once_per_person_named() {
    let t = teams().await;
    let (app, alice) = (&t.app, &t.alice);
    let lina = open_case(app, alice, "Lina", "Benali").await;
    add_item(app, alice, &t.camille, "worker", "Appeler la CAF", day(2)).await;
    add_item(
        app,
        alice,
        &t.camille,
        "person",
        "Déposer le dossier",
        day(3),
    )
    .await;
    add_item(app, alice, &lina, "worker", "Visite", day(4)).await;
    let alice_id = app.agent_id(alice).await;
    agenda(app, alice, "").await;

    let events: Vec<(String, Option<String>, Option<uuid::Uuid>)> = sqlx::query_as(
        "SELECT action, person_id::text, actor_id FROM audit_events WHERE resource_type = \
         'agenda' ORDER BY id",
    )
    .fetch_all(&t.app.sql)
    .await
    .unwrap();
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(
        events
            .iter()
            .all(|(action, _, actor)| action == "read" && *actor == Some(alice_id))
    );
    let mut persons: Vec<Option<String>> = events.into_iter().map(|(_, p, _)| p).collect();
    persons.sort();
    let mut expected = vec![
        None,
        Some(t.camille.person_id.clone()),
        Some(lina.person_id.clone()),
    ];
    expected.sort();
    assert_eq!(persons, expected);
    assert!(
        app.audit_actions(&t.jean.person_id)
            .await
            .iter()
            .all(|(_, r)| r != "agenda")
    );
}

#[tokio::test]
async fn the_agendas_table_follows_every_change_of_steps_contacts_teams_and_cases() {
    let t = teams().await;
    let app = &t.app;
    let bob_id = app.agent_id(&t.bob).await;
    add_item(
        app,
        &t.alice,
        &t.camille,
        "worker",
        "Appeler la CAF",
        day(-2),
    )
    .await;
    let later = add_item(app, &t.alice, &t.camille, "person", "Dossier", day(5)).await;
    add_item(app, &t.bob, &t.jean, "worker", "Relancer", day(1)).await;
    for (token, case) in [(&t.alice, &t.camille), (&t.bob, &t.jean)] {
        let path = format!("/v1/cases/{}/contacts", case.id);
        let at = (chrono::Utc::now() + chrono::Duration::hours(30)).to_rfc3339();
        let response = app
            .post(
                &path,
                token,
                &json!({"kind": "interview", "scheduled_at": at}),
            )
            .await;
        assert_eq!(response.status(), 201);
    }
    assert_eq!(entries_drift(app).await, Vec::<String>::new(), "as built");
    // Writing a step writes its own entries only: the case's others stay as they were, so the
    // cost does not grow with the plan.
    let versions = "SELECT string_agg(entry_id::text || ':' || xmin::text, ',' ORDER BY entry_id)
                      FROM agenda_entries";
    let untouched: String = sqlx::query_scalar(versions)
        .fetch_one(&app.sql)
        .await
        .unwrap();
    let extra = add_item(app, &t.alice, &t.camille, "worker", "Relancer", day(9)).await;
    sqlx::query("DELETE FROM plan_items WHERE id = $1::uuid")
        .bind(&extra)
        .execute(&app.sql)
        .await
        .unwrap();
    let after_step: String = sqlx::query_scalar(versions)
        .fetch_one(&app.sql)
        .await
        .unwrap();
    assert_eq!(after_step, untouched);
    let before = agenda(app, &t.alice, "").await;
    assert_eq!(before["items"].as_array().unwrap().len(), 3);

    let statements: [String; 12] = [
        // bob joins alice's case: her entries appear in his agenda too.
        format!(
            "INSERT INTO case_team (case_id, agent_id, org_id)
             SELECT id, '{bob_id}', org_id FROM cases WHERE id = '{}'",
            t.camille.id
        ),
        "UPDATE plan_items SET due_on = due_on + 3".into(),
        format!(
            "UPDATE plan_items SET status = 'done', done_on = current_date WHERE id = '{later}'"
        ),
        "UPDATE contacts SET occurred_at = scheduled_at, status = 'held'
          WHERE id = (SELECT id FROM contacts LIMIT 1)"
            .into(),
        // A contact cancelled leaves the agenda; planned again (the service never does), it
        // comes back.
        "UPDATE contacts SET status = 'cancelled' WHERE status = 'planned'".into(),
        "UPDATE contacts SET status = 'planned' WHERE status = 'cancelled'".into(),
        format!(
            "UPDATE cases SET status = 'closed', closed_on = current_date,
                   closure_reason = 'goals_met' WHERE id = '{}'",
            t.jean.id
        ),
        format!(
            "DELETE FROM case_team WHERE agent_id = '{bob_id}' AND case_id = '{}'",
            t.camille.id
        ),
        // A step moved to another case (the service never does) leaves the first one's agenda
        // (the other case is closed by now).
        format!(
            "UPDATE plan_items SET case_id = '{}' WHERE title = 'Appeler la CAF'",
            t.jean.id
        ),
        "DELETE FROM plan_items WHERE title = 'Appeler la CAF'".into(),
        "UPDATE cases SET status = 'active', closed_on = NULL, closure_reason = NULL".into(),
        "UPDATE cases SET status = 'archived', closed_on = current_date,
                          closure_reason = 'goals_met'"
            .into(),
    ];
    for sql in &statements {
        // The test's own statements, with ids it made.
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.as_str()))
            .execute(&app.sql)
            .await
            .unwrap();
        assert_eq!(entries_drift(app).await, Vec::<String>::new(), "{sql}");
    }
    let after = agenda(app, &t.alice, "").await;
    assert_eq!(after["items"], json!([]), "an archived case has no agenda");

    // Writes that bypassed the triggers are mended by writing the entries again.
    sqlx::raw_sql(
        "SET session_replication_role = replica;
         UPDATE cases SET status = 'active', closed_on = NULL, closure_reason = NULL;
         SET session_replication_role = origin;",
    )
    .execute(&app.sql)
    .await
    .unwrap();
    assert_ne!(entries_drift(app).await, Vec::<String>::new(), "stale");
    sqlx::query("SELECT relais_agenda_rebuild()")
        .execute(&app.sql)
        .await
        .unwrap();
    assert_eq!(entries_drift(app).await, Vec::<String>::new(), "rebuilt");
}

#[tokio::test]
async fn a_step_written_while_a_member_joins_the_team_reaches_their_agenda() {
    let t = teams().await;
    let app = &t.app;
    let bob_id = app.agent_id(&t.bob).await;
    add_item(app, &t.alice, &t.camille, "worker", "Appeler", day(2)).await;
    // bob joins the team in one transaction; meanwhile a step is written in another.
    let mut joining = app.sql.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO case_team (case_id, agent_id, org_id)
         SELECT id, $2, org_id FROM cases WHERE id = $1::uuid",
    )
    .bind(&t.camille.id)
    .bind(bob_id)
    .execute(&mut *joining)
    .await
    .unwrap();
    let waited = step_written_waits_for(app, joining, &t.camille.id, 1).await;
    assert!(waited, "the step waited for the team");
    assert_eq!(entries_drift(app).await, Vec::<String>::new());
    assert_eq!(
        titles(&agenda(app, &t.bob, "").await),
        ["Appeler", "Relancer"],
        "bob's agenda has both of the case's steps"
    );
}
