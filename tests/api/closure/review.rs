//! The review list over HTTP: closed cases whose post-closure review is due and not yet held
//! (`GET /v1/cases?review_due=…`), the case's `review_due` indicator, and a worker's own scope.
//! Closing itself is in `closure`.

use crate::support::closure::{close, moved, new_case, read};
use relais_tests::{TestApp, pointers, problem};
use serde_json::json;
use uuid::Uuid;

/// Closes a case and sets its closure and review dates in the past.
async fn closed_since(app: &TestApp, token: &str, closed_ago: u64, due_ago: i64) -> String {
    let (id, _) = new_case(app, token).await;
    moved(app, token, &id, 1, &close()).await;
    sqlx::query(
        "UPDATE cases SET closed_on = current_date - $2::int, review_due_on = current_date - \
         $3::int WHERE id = $1::uuid",
    )
    .bind(&id)
    .bind(i32::try_from(closed_ago).unwrap())
    .bind(i32::try_from(due_ago).unwrap())
    .execute(&app.sql)
    .await
    .unwrap();
    id
}

/// Records a held contact of `kind` on the case, `days_ago` days ago.
async fn held(app: &TestApp, token: &str, case: &str, kind: &str, days_ago: i32) {
    let author = app.agent_id(token).await;
    sqlx::query(
        "INSERT INTO contacts (id, org_id, case_id, kind, occurred_at, status, author_id) SELECT \
         $1, org_id, id, $3, now() - make_interval(days => $4), 'held', $5 FROM cases WHERE id = \
         $2::uuid",
    )
    .bind(Uuid::now_v7())
    .bind(case)
    .bind(kind)
    .bind(days_ago)
    .bind(author)
    .execute(&app.sql)
    .await
    .unwrap();
}

#[tokio::test]
async fn the_review_list_shows_closed_cases_whose_review_is_due_and_not_yet_held() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let due = closed_since(&app, &alice, 40, 12).await;
    let due_today = closed_since(&app, &alice, 28, 0).await;
    let later = closed_since(&app, &alice, 3, -25).await;
    let reviewed = closed_since(&app, &alice, 40, 12).await;
    held(&app, &alice, &reviewed, "post_closure_review", 2).await;
    let reviewed_before = closed_since(&app, &alice, 40, 12).await;
    held(&app, &alice, &reviewed_before, "post_closure_review", 50).await;
    let other_contact = closed_since(&app, &alice, 40, 12).await;
    held(&app, &alice, &other_contact, "phone_call", 2).await;
    let (open, _) = new_case(&app, &alice).await;
    sqlx::query("UPDATE cases SET review_due_on = current_date - 5 WHERE id = $1::uuid")
        .bind(&open)
        .execute(&app.sql)
        .await
        .unwrap();
    let list = read(&app, "/v1/cases?review_due=true", &alice).await;
    let mut ids: Vec<_> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort_unstable();
    let mut expected = vec![due.clone(), due_today, reviewed_before, other_contact];
    expected.sort_unstable();
    assert_eq!(ids, expected);
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["indicators"]["review_due"] == true)
    );
    let all = read(&app, "/v1/cases?review_due=false", &alice).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 7);
    for (id, shown) in [
        (due, true),
        (later, false),
        (reviewed, false),
        (open, false),
    ] {
        let case = read(&app, &format!("/v1/cases/{id}"), &alice).await;
        assert_eq!(case["indicators"]["review_due"], shown, "{case}");
    }
    let bad = app.get("/v1/cases?review_due=soon", &alice).await;
    assert_eq!(bad.status(), 400);
    assert_eq!(pointers(&problem(bad).await), ["/review_due"]);
    let bob = app.token("worker", "bob");
    let theirs = read(&app, "/v1/cases?review_due=true", &bob).await;
    assert_eq!(
        theirs["items"],
        json!([]),
        "a worker sees only their teams' cases"
    );
}
