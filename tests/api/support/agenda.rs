//! Cases and plan items for the agenda and statistics tests: opened over HTTP, then moved in
//! time or status directly in the database where the API cannot go (past due dates, statuses
//! that need a proposal).

use chrono::{Days, NaiveDate};
use relais_tests::{TestApp, today};
use serde_json::{Value, json};

/// Today plus `offset` days (negative: in the past).
pub fn day(offset: i64) -> NaiveDate {
    let days = Days::new(offset.unsigned_abs());
    if offset >= 0 {
        today() + days
    } else {
        today() - days
    }
}

/// A case and its person.
#[derive(Debug, Clone)]
pub struct Case {
    pub id: String,
    pub person_id: String,
}

/// Opens a case for a new person as `token` (a worker becomes its referent and team), with
/// `extra` fields merged into the request (e.g. `team_ids`, `referent_id`).
pub async fn open_case_with(
    app: &TestApp,
    token: &str,
    first: &str,
    last: &str,
    extra: Value,
) -> Case {
    let mut body = json!({
        "person": {"first_name": first, "last_name": last, "birth_date": "1980-02-03"},
        "reason": "Difficultés pour payer le loyer",
        "origin": "self"
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let response = app.post("/v1/cases", token, &body).await;
    assert_eq!(response.status(), 201, "opening a case");
    let case: Value = response.json().await.unwrap();
    Case {
        id: case["id"].as_str().unwrap().to_owned(),
        person_id: case["person_id"].as_str().unwrap().to_owned(),
    }
}

/// Opens a case for a new person as `token`.
pub async fn open_case(app: &TestApp, token: &str, first: &str, last: &str) -> Case {
    open_case_with(app, token, first, last, json!({})).await
}

fn category(party: &str) -> &'static str {
    match party {
        "worker" => "investigation",
        "person" => "paperwork",
        _ => "orientation",
    }
}

/// Adds an item of `party` due on `due` (a past date is set in the database: the API refuses
/// deadlines before the case's opening) and returns its id.
pub async fn add_item(
    app: &TestApp,
    token: &str,
    case: &Case,
    party: &str,
    title: &str,
    due: NaiveDate,
) -> String {
    let body = json!({
        "party": party,
        "category": category(party),
        "domain": "housing",
        "title": title,
        "due_on": due.max(today()),
    });
    let response = app
        .post(&format!("/v1/cases/{}/plan/items", case.id), token, &body)
        .await;
    assert_eq!(response.status(), 201, "adding {body}");
    let item: Value = response.json().await.unwrap();
    let id = item["id"].as_str().unwrap().to_owned();
    if due < today() {
        set_due(app, &id, due).await;
    }
    id
}

/// Moves an item's deadline.
pub async fn set_due(app: &TestApp, item_id: &str, due: NaiveDate) {
    sqlx::query("UPDATE plan_items SET due_on = $2 WHERE id = $1::uuid")
        .bind(item_id)
        .bind(due)
        .execute(&app.sql)
        .await
        .unwrap();
}

/// Sets an item's status (`done` gets today as its done date).
pub async fn set_item_status(app: &TestApp, item_id: &str, status: &str) {
    sqlx::query(
        "UPDATE plan_items SET status = $2, done_on = CASE WHEN $2 = 'done' THEN current_date END \
         WHERE id = $1::uuid",
    )
    .bind(item_id)
    .bind(status)
    .execute(&app.sql)
    .await
    .unwrap();
}

/// Sets a case's status directly (`planning` and `active` need proposals over the API).
pub async fn set_case_status(app: &TestApp, case: &Case, status: &str) {
    sqlx::query(
        "UPDATE cases SET status = $2, closed_on = CASE WHEN $2 IN ('closed', 'archived') THEN \
         current_date END, closure_reason = CASE WHEN $2 IN ('closed', 'archived') THEN \
         'goals_met' END WHERE id = $1::uuid",
    )
    .bind(&case.id)
    .bind(status)
    .execute(&app.sql)
    .await
    .unwrap();
}

/// Moves a case's target end date.
pub async fn set_target(app: &TestApp, case: &Case, target: NaiveDate) {
    sqlx::query("UPDATE cases SET target_end_on = $2 WHERE id = $1::uuid")
        .bind(&case.id)
        .bind(target)
        .execute(&app.sql)
        .await
        .unwrap();
}

/// Copies the steps of the case `case_id` straight into the table (no application lock in
/// between), titled "Relancer" and due `shift` days from the originals, while `holder` keeps its
/// transaction open for 300 ms and then commits it. Whether the copy waited for that commit.
pub async fn step_written_waits_for(
    app: &TestApp,
    holder: sqlx::Transaction<'_, sqlx::Postgres>,
    case_id: &str,
    shift: i32,
) -> bool {
    let written = std::sync::atomic::AtomicBool::new(false);
    let write = async {
        sqlx::query(
            "INSERT INTO plan_items (id, org_id, case_id, party, category, domain, title, due_on,
                                     created_by, updated_by)
             SELECT gen_random_uuid(), org_id, case_id, party, category, domain, 'Relancer',
                    due_on + $2, created_by, updated_by
               FROM plan_items WHERE case_id = $1::uuid",
        )
        .bind(case_id)
        .bind(shift)
        .execute(&app.sql)
        .await
        .unwrap();
        written.store(true, std::sync::atomic::Ordering::SeqCst);
    };
    let commit = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let waited = !written.load(std::sync::atomic::Ordering::SeqCst);
        holder.commit().await.unwrap();
        waited
    };
    let ((), waited) = tokio::join!(write, commit);
    waited
}

/// The rows of `agenda_entries` missing or in excess against the steps, contacts, teams and
/// statuses themselves (empty when the agenda's table is right).
pub async fn entries_drift(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar(
        "WITH actual AS (
           SELECT c.org_id, t.agent_id, 'deadline' AS kind, p.due_on AS day, p.id AS entry_id,
                  c.id AS case_id
             FROM cases c JOIN case_team t ON t.case_id = c.id
             JOIN plan_items p ON p.case_id = c.id
            WHERE c.status NOT IN ('closed', 'archived')
              AND p.status IN ('planned', 'in_progress', 'blocked')
           UNION ALL
           SELECT c.org_id, t.agent_id, 'contact', (k.scheduled_at AT TIME ZONE 'UTC')::date,
                  k.id, c.id
             FROM cases c JOIN case_team t ON t.case_id = c.id
             JOIN contacts k ON k.case_id = c.id
            WHERE c.status <> 'archived' AND k.status = 'planned'
              AND k.scheduled_at IS NOT NULL
         )
         SELECT format('%s %s %s %s', coalesce(a.kind, e.kind), coalesce(a.entry_id, e.entry_id),
                       coalesce(a.agent_id, e.agent_id),
                       CASE WHEN a.entry_id IS NULL THEN 'in excess' ELSE 'missing' END)
           FROM actual a
           FULL JOIN agenda_entries e
             ON e.org_id = a.org_id AND e.agent_id = a.agent_id AND e.kind = a.kind
            AND e.day = a.day AND e.entry_id = a.entry_id AND e.case_id = a.case_id
          WHERE a.entry_id IS NULL OR e.entry_id IS NULL
          ORDER BY 1",
    )
    .fetch_all(&app.sql)
    .await
    .unwrap()
}
