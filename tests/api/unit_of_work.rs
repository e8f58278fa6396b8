//! The request seam: one transaction per request holds the work, its audit events and its
//! idempotency key. A crash anywhere leaves all or nothing (no key stuck "in flight"),
//! concurrent retries wait and replay, and the caller is resolved without writing or locking
//! their agent row.

use std::time::Duration;

use relais_tests::TestApp;

use crate::support::plan::{Plan, step};
use reqwest::{Method, Response};
use serde_json::Value;

const REPLAYED: &str = "idempotent-replayed";

/// Keyed additions to a worker's plan, and the database under them.
impl Plan {
    fn add_step(&self, key: &str) -> reqwest::RequestBuilder {
        self.add_step_as(&self.alice, key)
    }

    fn add_step_as(&self, token: &str, key: &str) -> reqwest::RequestBuilder {
        self.app
            .request(Method::POST, &self.items(), token)
            .header("Idempotency-Key", key)
            .json(&step("worker", "orientation", "Contacter le bailleur", 10))
    }

    /// Makes every insert of a plan item sleep `seconds` first (until the trigger
    /// `slow_items` is dropped).
    async fn slow_inserts(&self, seconds: u32) {
        self.exec(&format!(
            "CREATE FUNCTION slow_items() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN PERFORM pg_sleep({seconds}); RETURN NEW; END $$; \
             CREATE TRIGGER slow_items BEFORE INSERT ON plan_items FOR EACH ROW \
             EXECUTE FUNCTION slow_items();"
        ))
        .await;
    }

    async fn exec(&self, sql: &str) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&self.app.sql)
            .await
            .unwrap();
    }
}

fn replayed(response: &Response) -> bool {
    response.headers().get(REPLAYED).is_some()
}

#[tokio::test]
async fn a_failure_after_the_key_was_claimed_leaves_no_key_and_the_retry_runs() {
    let plan = Plan::new().await;
    // The audit events are the last thing the work writes before storing its answer.
    plan.exec(
        "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN IF NEW.resource_type = 'plan_item' THEN RAISE EXCEPTION 'disk on fire'; END IF; \
         RETURN NEW; END $$; \
         CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW \
         EXECUTE FUNCTION refuse_audit();",
    )
    .await;
    let failed = plan.add_step("step-1").send().await.unwrap();
    assert_eq!(failed.status(), 500);
    assert_eq!(
        plan.app
            .count("SELECT count(*) FROM idempotency_keys WHERE key = 'step-1'")
            .await,
        0,
        "nothing of the failed work was kept, its key neither"
    );
    assert_eq!(plan.app.count("SELECT count(*) FROM plan_items").await, 0);
    plan.exec("DROP TRIGGER refuse_audit ON audit_events").await;
    let retry = plan.add_step("step-1").send().await.unwrap();
    assert_eq!(retry.status(), 201);
    assert!(!replayed(&retry), "the retry ran");
    assert_eq!(plan.app.count("SELECT count(*) FROM plan_items").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_killed_in_the_middle_of_the_work_leaves_no_stuck_key() {
    let plan = Plan::new().await;
    // The insert of the step sleeps, so the test can kill the connection while the key is
    // claimed and the step written, before the commit.
    plan.slow_inserts(30).await;
    let request = plan.add_step("killed");
    let pending = tokio::spawn(async move { request.send().await.unwrap() });
    let mut killed = 0;
    // Only in this test's database: the cluster is shared with the tests running beside it.
    for _ in 0..100 {
        killed = plan
            .app
            .count(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE query LIKE '%INSERT INTO plan_items%' AND state = 'active' \
                 AND datname = current_database() AND pid <> pg_backend_pid()) AS k",
            )
            .await;
        if killed > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(killed, 1, "the request's connection was found and killed");
    let answer = pending.await.unwrap();
    assert!(answer.status().is_server_error(), "{}", answer.status());
    plan.exec("DROP TRIGGER slow_items ON plan_items").await;
    assert_eq!(
        plan.app
            .count("SELECT count(*) FROM idempotency_keys")
            .await,
        0,
        "no key stays in flight"
    );
    let retry = plan.add_step("killed").send().await.unwrap();
    assert_eq!(retry.status(), 201);
    assert!(!replayed(&retry));
    assert_eq!(plan.app.count("SELECT count(*) FROM plan_items").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_identical_keyed_posts_create_one_step_and_all_get_its_answer() {
    let plan = Plan::new().await;
    let requests: Vec<_> = (0..8)
        .map(|_| {
            let request = plan.add_step("burst");
            tokio::spawn(async move { request.send().await.unwrap() })
        })
        .collect();
    let mut ids = Vec::new();
    let mut first_runs = 0;
    for handle in requests {
        let response = handle.await.unwrap();
        assert_eq!(response.status(), 201, "every retry waits, then replays");
        if !replayed(&response) {
            first_runs += 1;
        }
        let body: Value = response.json().await.unwrap();
        ids.push(body["id"].clone());
    }
    assert_eq!(first_runs, 1, "one request ran, the others were replays");
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(plan.app.count("SELECT count(*) FROM plan_items").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_while_the_first_request_runs_waits_for_it_then_replays_it() {
    let plan = Plan::new().await;
    plan.slow_inserts(1).await;
    let first = plan.add_step("slow");
    let first = tokio::spawn(async move { first.send().await.unwrap() });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let retry = plan.add_step("slow").send().await.unwrap();
    let first = first.await.unwrap();
    assert_eq!(first.status(), 201);
    assert!(!replayed(&first));
    assert_eq!(retry.status(), 201, "no 409: the retry waited");
    assert!(replayed(&retry));
    let (first, retry): (Value, Value) = (first.json().await.unwrap(), retry.json().await.unwrap());
    assert_eq!(first, retry);
    assert_eq!(plan.app.count("SELECT count(*) FROM plan_items").await, 1);
}

/// The agent row's version (its `xmin`): it changes whenever the row is written.
async fn agent_row_version(app: &TestApp, subject: &str) -> String {
    sqlx::query_scalar("SELECT xmin::text FROM agents WHERE subject = $1")
        .bind(subject)
        .fetch_one(&app.sql)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_unchanged_agent_is_read_not_written() {
    let plan = Plan::new().await;
    let case = format!("/v1/cases/{}", plan.case_id);
    let before = agent_row_version(&plan.app, "alice").await;
    for _ in 0..3 {
        assert_eq!(plan.app.get(&case, &plan.alice).await.status(), 200);
        assert_eq!(
            plan.add_step(&uuid::Uuid::now_v7().to_string())
                .send()
                .await
                .unwrap()
                .status(),
            201
        );
    }
    assert_eq!(
        agent_row_version(&plan.app, "alice").await,
        before,
        "reads and writes by an unchanged agent do not rewrite their row"
    );
    // New roles in the token: the agent is refreshed.
    let promoted = plan.app.token("supervisor", "alice");
    assert_eq!(plan.app.get(&case, &promoted).await.status(), 200);
    assert_ne!(agent_row_version(&plan.app, "alice").await, before);
    let roles: Vec<String> = sqlx::query_scalar("SELECT roles FROM agents WHERE subject = 'alice'")
        .fetch_one(&plan.app.sql)
        .await
        .unwrap();
    assert_eq!(roles, ["supervisor"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_held_on_the_agent_row_does_not_block_that_agents_requests() {
    let plan = Plan::new().await;
    // A token that says something new of alice (her name): her next request refreshes her row.
    let renamed = plan.app.token_named("worker", "alice", "Alice Martin");
    // The lock a write of the agent row takes (a profile change, another request refreshing
    // it): the agent's requests do not wait for it, and skip their own refresh meanwhile.
    let mut holder = plan.app.sql.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM agents WHERE subject = 'alice' FOR NO KEY UPDATE")
        .execute(&mut *holder)
        .await
        .unwrap();
    let case = format!("/v1/cases/{}", plan.case_id);
    let read = tokio::time::timeout(Duration::from_secs(5), plan.app.get(&case, &renamed))
        .await
        .expect("the read does not wait for the lock");
    assert_eq!(read.status(), 200);
    let step = tokio::time::timeout(
        Duration::from_secs(5),
        plan.add_step_as(&renamed, "locked").send(),
    )
    .await
    .expect("a write does not wait for the lock either")
    .unwrap();
    assert_eq!(step.status(), 201);
    holder.rollback().await.unwrap();
    // Once the row is free, the next request writes what the token says.
    assert_eq!(plan.app.get(&case, &renamed).await.status(), 200);
    assert_eq!(display_name(&plan.app, "alice").await, "Alice Martin");
}

#[tokio::test]
async fn a_caller_resolved_lately_is_not_read_again_and_a_stale_sighting_is_refreshed() {
    let plan = Plan::new().await;
    let case = format!("/v1/cases/{}", plan.case_id);
    // Her first request (opening the case) created her row; the next finds it unchanged.
    assert_eq!(plan.app.get(&case, &plan.alice).await.status(), 200);
    let seen_lately = |app: &TestApp| {
        let sql = app.sql.clone();
        async move {
            sqlx::query_scalar::<_, bool>(
                "SELECT last_seen_at > now() - interval '1 minute' FROM agents \
                 WHERE subject = 'alice'",
            )
            .fetch_one(&sql)
            .await
            .unwrap()
        }
    };
    sqlx::query(
        "UPDATE agents SET last_seen_at = now() - interval '1 hour' WHERE subject = 'alice'",
    )
    .execute(&plan.app.sql)
    .await
    .unwrap();
    // The server found alice unchanged a moment ago: for a minute it trusts that, so her row
    // is not read, and the stale sighting stays as it is.
    assert_eq!(plan.app.get(&case, &plan.alice).await.status(), 200);
    assert!(!seen_lately(&plan.app).await);
    // A token the server has not resolved yet, which says what her row says: the row is read,
    // its sighting found stale, and refreshed.
    sqlx::query("UPDATE agents SET display_name = 'Alice Martin' WHERE subject = 'alice'")
        .execute(&plan.app.sql)
        .await
        .unwrap();
    let named = plan.app.token_named("worker", "alice", "Alice Martin");
    assert_eq!(plan.app.get(&case, &named).await.status(), 200);
    assert!(seen_lately(&plan.app).await);
}

async fn display_name(app: &TestApp, subject: &str) -> String {
    sqlx::query_scalar("SELECT display_name FROM agents WHERE subject = $1")
        .bind(subject)
        .fetch_one(&app.sql)
        .await
        .unwrap()
}
