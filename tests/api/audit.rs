//! The audit trail: every case access leaves its event, the dpo reads and filters the log,
//! the table is append-only, and a write commits with its event or not at all.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use relais_tests::{TestApp, assert_problem, pointers, problem};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use uuid::Uuid;

/// What the audit table holds for one request: (action, resource type, person, subject, agent).
type Row = (String, String, Option<Uuid>, String, Option<Uuid>);

async fn events_of_request(app: &TestApp, request_id: &str) -> Vec<Row> {
    sqlx::query_as(
        "SELECT action, resource_type, person_id, actor_subject, actor_id FROM audit_events \
         WHERE request_id = $1 ORDER BY id",
    )
    .bind(request_id)
    .fetch_all(&app.sql)
    .await
    .unwrap()
}

fn request_id(response: &Response) -> String {
    response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// `GET /v1/audit-events` with query parameters, as the dpo; the body.
async fn audit_log(app: &TestApp, query: &[(&str, String)]) -> Value {
    let dpo = app.token("dpo", "dora");
    let response = app
        .request(Method::GET, "/v1/audit-events", &dpo)
        .query(query)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{query:?}");
    response.json().await.unwrap()
}

fn ids(list: &Value) -> Vec<String> {
    let items = list["items"].as_array().unwrap();
    items
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_case_access_leaves_an_event_naming_the_request_and_the_actor() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let agent = app.agent_id(&alice).await;
    let body = json!({
        "person": {"first_name": "Inès", "last_name": "Moreau"},
        "reason": "Impayés", "origin": "self"
    });
    let created = app.post("/v1/cases", &alice, &body).await;
    assert_eq!(created.status(), 201);
    let mut steps = vec![(
        request_id(&created),
        vec![("create", "person"), ("create", "case")],
    )];
    let case: Value = created.json().await.unwrap();
    let id = case["id"].as_str().unwrap();
    let person: Uuid = case["person_id"].as_str().unwrap().parse().unwrap();
    let path = format!("/v1/cases/{id}");

    // A request id sent by the client is the one recorded.
    let read = app
        .request(Method::GET, &path, &alice)
        .header("X-Request-Id", "trace-42");
    let read = read.send().await.unwrap();
    assert_eq!(
        (read.status().as_u16(), request_id(&read)),
        (200, "trace-42".to_owned())
    );
    steps.push(("trace-42".to_owned(), vec![("read", "case")]));
    let list = app.get("/v1/cases", &alice).await;
    steps.push((request_id(&list), vec![("read", "case")]));
    let target = Utc::now().date_naive() + chrono::Days::new(30);
    let patched = app
        .patch(&path, &alice, 1, &json!({"target_end_on": target}))
        .await;
    assert_eq!(patched.status(), 200);
    steps.push((request_id(&patched), vec![("update", "case")]));
    let moved = app
        .request(Method::POST, &format!("{path}/transitions"), &alice)
        .header("If-Match", "\"2\"")
        .json(&json!({"to": "assessment"}))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 200);
    steps.push((request_id(&moved), vec![("transition", "case")]));
    let timeline = app.get(&format!("{path}/timeline"), &alice).await;
    assert_eq!(timeline.status(), 200);
    steps.push((request_id(&timeline), vec![("read", "case.timeline")]));

    for (request, expected) in steps {
        let recorded = events_of_request(&app, &request).await;
        let expected: Vec<Row> = expected
            .into_iter()
            .map(|(action, resource)| {
                let who = ("alice".to_owned(), Some(agent));
                (
                    action.to_owned(),
                    resource.to_owned(),
                    Some(person),
                    who.0,
                    who.1,
                )
            })
            .collect();
        assert_eq!(recorded, expected, "request {request}");
    }
    let total = app.count("SELECT count(*) FROM audit_events").await;
    assert_eq!(total, 7, "no other event was recorded");
}

#[tokio::test]
async fn the_dpo_filters_the_log_by_person_and_by_actor_id_or_subject() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (app.token("worker", "alice"), app.token("worker", "bob"));
    let alice_id = app.agent_id(&alice).await;
    let mine = app.create_case(&alice).await;
    app.create_case(&bob).await;
    let path = format!("/v1/cases/{}", mine["id"].as_str().unwrap());
    assert_eq!(app.get(&path, &alice).await.status(), 200);
    // Another organisation's activity never shows in this log.
    app.create_case(&app.token_for("other", &["worker"], "alice"))
        .await;

    let everything = audit_log(&app, &[]).await;
    let acme = app
        .count(
            "SELECT count(*) FROM audit_events a JOIN organisations o \
        ON o.id = a.org_id WHERE o.slug = 'acme'",
        )
        .await;
    assert_eq!(ids(&everything).len() as i64, acme);
    let mut sorted = ids(&everything);
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(ids(&everything), sorted, "newest first");

    let person = mine["person_id"].as_str().unwrap().to_owned();
    let by_person = audit_log(&app, &[("person_id", person.clone())]).await;
    let items = by_person["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "person create, case create, case read");
    assert!(items.iter().all(|e| e["person_id"] == person.as_str()));

    let by_agent = audit_log(&app, &[("actor", alice_id.to_string())]).await;
    let by_subject = audit_log(&app, &[("actor", "alice".to_owned())]).await;
    assert_eq!(ids(&by_agent), ids(&by_subject));
    assert_eq!(ids(&by_agent).len(), 3);
    let items = by_agent["items"].as_array().unwrap();
    assert!(items.iter().all(|e| e["actor_subject"] == "alice"));
    assert!(items.iter().all(|e| e["actor_id"] == alice_id.to_string()));
    let nobody = audit_log(&app, &[("actor", "nobody".to_owned())]).await;
    assert!(ids(&nobody).is_empty());
}

#[tokio::test]
async fn the_log_filters_by_time_range_and_refuses_an_empty_range() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let id = app.create_case(&alice).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..3 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        assert_eq!(
            app.get(&format!("/v1/cases/{id}"), &alice).await.status(),
            200
        );
    }
    let all = audit_log(&app, &[]).await;
    let at = |e: &Value| e["at"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
    let items = all["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    let boundary = at(&items[2]);
    let stamp = boundary.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let select = |keep: &dyn Fn(DateTime<Utc>) -> bool| -> HashSet<String> {
        let kept = items.iter().filter(|e| keep(at(e)));
        kept.map(|e| e["id"].as_str().unwrap().to_owned()).collect()
    };
    let from = audit_log(&app, &[("from", stamp.clone())]).await;
    let later = select(&|t| t >= boundary);
    assert_eq!(ids(&from).into_iter().collect::<HashSet<_>>(), later);
    let to = audit_log(&app, &[("to", stamp.clone())]).await;
    let earlier = select(&|t| t < boundary);
    assert_eq!(ids(&to).into_iter().collect::<HashSet<_>>(), earlier);
    assert!(!later.is_empty() && !earlier.is_empty());

    let dpo = app.token("dpo", "dora");
    let first = at(&items[4]).to_rfc3339();
    for (from, to) in [(stamp.clone(), stamp.clone()), (stamp, first)] {
        let response = app
            .request(Method::GET, "/v1/audit-events", &dpo)
            .query(&[("from", from), ("to", to)])
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 400, "invalid_parameter").await;
        assert_eq!(pointers(&problem), ["/to"]);
    }
}

#[tokio::test]
async fn the_log_pages_with_limit_and_cursor() {
    let app = TestApp::spawn().await;
    let supervisor = app.token("supervisor", "sam");
    for _ in 0..2 {
        app.create_case(&supervisor).await;
    }
    let all = ids(&audit_log(&app, &[]).await);
    assert_eq!(all.len(), 4);
    let (mut seen, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let mut query = vec![("limit", "3".to_owned())];
        query.extend(cursor.map(|c| ("cursor", c)));
        let page = audit_log(&app, &query).await;
        assert!(ids(&page).len() <= 3);
        seen.extend(ids(&page));
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen, all);
}

#[tokio::test]
async fn only_the_dpo_reads_the_audit_log() {
    let app = TestApp::spawn().await;
    for role in ["worker", "supervisor", "reception", "admin"] {
        let response = app
            .get("/v1/audit-events", &app.token(role, "someone"))
            .await;
        assert_eq!(response.status(), 403, "{role}");
        assert_eq!(problem(response).await["code"], "forbidden");
    }
    assert_eq!(
        app.get("/v1/audit-events", &app.token("dpo", "dora"))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn the_audit_table_refuses_updates_and_deletes_even_from_a_superuser() {
    let app = TestApp::spawn().await;
    app.create_case(&app.token("worker", "alice")).await;
    let before = app.count("SELECT count(*) FROM audit_events").await;
    assert!(before > 0);
    for sql in [
        "UPDATE audit_events SET reason = 'tampered'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ] {
        let err = sqlx::query(sql).execute(&app.sql).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(app.count("SELECT count(*) FROM audit_events").await, before);
    let tampered = "SELECT count(*) FROM audit_events WHERE reason = 'tampered'";
    assert_eq!(app.count(tampered).await, 0);
}

#[tokio::test]
async fn the_app_role_cannot_update_or_delete_audit_events_of_its_own_organisation() {
    let app = TestApp::spawn().await;
    app.create_case(&app.token("worker", "alice")).await;
    let before = app.count("SELECT count(*) FROM audit_events").await;
    for sql in [
        "UPDATE audit_events SET reason = 'tampered'",
        "DELETE FROM audit_events",
    ] {
        let mut tx = app.sql.begin().await.unwrap();
        sqlx::query("SET LOCAL ROLE relais_app")
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query("SELECT set_config('relais.org_id', $1, true)")
            .bind(app.org.id.to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
        let visible: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_events")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(visible, before, "the role sees its organisation's events");
        let err = sqlx::query(sql).execute(&mut *tx).await.unwrap_err();
        let code = err.as_database_error().and_then(|e| e.code()).unwrap();
        assert_eq!(code, "42501", "{sql}: {err}");
        tx.rollback().await.unwrap();
    }
    assert_eq!(app.count("SELECT count(*) FROM audit_events").await, before);
}

#[tokio::test]
async fn a_refused_write_leaves_no_audit_event() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let case = app.create_case(&alice).await;
    let person = case["person_id"].as_str().unwrap();
    let path = format!("/v1/cases/{}", case["id"].as_str().unwrap());
    let body = json!({"target_end_on": Utc::now().date_naive() + chrono::Days::new(30)});
    assert_eq!(app.patch(&path, &alice, 5, &body).await.status(), 412);
    let refused = app
        .request(Method::POST, &format!("{path}/transitions"), &alice)
        .header("If-Match", "\"1\"")
        .json(&json!({"to": "planning"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 409);
    let actions = app.audit_actions(person).await;
    let writes = |action: &str| actions.iter().filter(|(a, _)| a == action).count();
    assert_eq!(
        (writes("update"), writes("transition")),
        (0, 0),
        "{actions:?}"
    );
    assert_eq!(app.patch(&path, &alice, 1, &body).await.status(), 200);
    let actions = app.audit_actions(person).await;
    assert_eq!(actions.iter().filter(|(a, _)| a == "update").count(), 1);
}

#[tokio::test]
async fn a_change_whose_audit_event_cannot_be_written_is_rolled_back() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let case = app.create_case(&alice).await;
    let path = format!("/v1/cases/{}", case["id"].as_str().unwrap());
    sqlx::raw_sql(
        "CREATE FUNCTION refuse_update_events() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN RAISE EXCEPTION 'audit store is broken'; END $$; \
         CREATE TRIGGER refuse_update_events BEFORE INSERT ON audit_events FOR EACH ROW \
         WHEN (NEW.action = 'update') EXECUTE FUNCTION refuse_update_events();",
    )
    .execute(&app.sql)
    .await
    .unwrap();
    let body = json!({"target_end_on": Utc::now().date_naive() + chrono::Days::new(30)});
    let response = app.patch(&path, &alice, 1, &body).await;
    assert_eq!(response.status(), 500);
    let problem = problem(response).await;
    assert!(
        !problem["detail"].as_str().unwrap().contains("audit store"),
        "{problem}"
    );
    let current: Value = app.get_json(&path, &alice).await;
    assert_eq!(
        current["version"], 1,
        "the change was rolled back with its event"
    );
    assert_eq!(current["target_end_on"], case["target_end_on"]);
    let updates = "SELECT count(*) FROM case_events WHERE kind = 'updated'";
    assert_eq!(app.count(updates).await, 0);
}

#[tokio::test]
async fn a_case_a_worker_is_not_on_is_a_404_recorded_as_access_denied() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let bruno = app.token("worker", "bruno");
    let dpo = app.token("dpo", "dominique");
    let case = app.create_case(&alice).await;
    let id = case["id"].as_str().unwrap();
    let person = case["person_id"].as_str().unwrap();
    for path in [
        format!("/v1/cases/{id}"),
        format!("/v1/cases/{id}/contacts"),
    ] {
        let response = app.get(&path, &bruno).await;
        assert_eq!(response.status(), 404, "{path}");
    }
    // A change too: a transition asked by a worker not on the team.
    let transition = app
        .request(Method::POST, &format!("/v1/cases/{id}/transitions"), &bruno)
        .header("If-Match", "\"1\"")
        .json(&json!({"to": "assessment"}))
        .send()
        .await
        .unwrap();
    assert_eq!(transition.status(), 404);
    // A case that does not exist, or another organisation's, leaves no trail.
    let unknown = uuid::Uuid::now_v7();
    assert_eq!(
        app.get(&format!("/v1/cases/{unknown}"), &bruno)
            .await
            .status(),
        404
    );
    let outsider = app.token_for("other", &["worker"], "x");
    assert_eq!(
        app.get(&format!("/v1/cases/{id}"), &outsider)
            .await
            .status(),
        404
    );

    let denied = app
        .get_json("/v1/audit-events?action=access_denied", &dpo)
        .await;
    let events = denied["items"].as_array().unwrap();
    assert_eq!(events.len(), 3, "{denied}");
    for event in events {
        assert_eq!(event["resource_type"], "case");
        assert_eq!(event["resource_id"], id);
        assert_eq!(event["person_id"], person);
        assert_eq!(event["actor_subject"], "bruno");
    }
    // The person's own trail shows them too.
    let about = app
        .get_json(
            &format!("/v1/audit-events?person_id={person}&action=access_denied"),
            &dpo,
        )
        .await;
    assert_eq!(about["items"].as_array().unwrap().len(), 3);
    // Nothing else was written: the case is where it was.
    let sam = app.token("supervisor", "sam");
    let read = app.get_json(&format!("/v1/cases/{id}"), &sam).await;
    assert_eq!(read["status"], case["status"]);
    assert_eq!(read["version"], case["version"]);
}
