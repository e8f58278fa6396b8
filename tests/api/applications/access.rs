//! Who reaches applications over HTTP: the case team and supervisors only (403 for the other
//! roles, 404 for other workers and organisations), archived cases read with a reason and
//! never changed, and the audit log of every read and write.

use crate::support::applications::Apps;
use relais_tests::assert_problem;
use serde_json::json;

#[tokio::test]
async fn only_the_case_team_and_supervisors_reach_applications() {
    let a = Apps::new().await;
    let scheme = a.fsl().await;
    let application = a.apply(&scheme, false).await;
    for role in ["reception", "admin", "dpo"] {
        let token = a.app.token(role, &format!("{role}-1"));
        assert_problem(a.app.get(&a.path(), &token).await, 403, "forbidden").await;
        assert_problem(
            a.create_as(&token, &json!({"scheme_id": scheme})).await,
            403,
            "forbidden",
        )
        .await;
        assert_problem(
            a.transition_as(&token, &application, &json!({"to": "withdrawn"}))
                .await,
            403,
            "forbidden",
        )
        .await;
    }
    let partner = a.app.partner("Mission locale", None).await;
    assert_problem(
        a.app.get(&a.of(&application), &partner.token).await,
        403,
        "forbidden",
    )
    .await;

    let bob = a.app.token("worker", "bob");
    assert_problem(a.app.get(&a.of(&application), &bob).await, 404, "not_found").await;
    assert_problem(
        a.transition_as(&bob, &application, &json!({"to": "withdrawn"}))
            .await,
        404,
        "not_found",
    )
    .await;
    let stranger = a.app.token_for("other", &["supervisor"], "zoe");
    assert_problem(a.app.get(&a.path(), &stranger).await, 404, "not_found").await;
    assert_problem(
        a.app.get(&a.of(&application), &stranger).await,
        404,
        "not_found",
    )
    .await;

    let boss = a.app.token("supervisor", "sophie");
    let response = a.app.get(&a.of(&application), &boss).await;
    assert_eq!(response.status(), 200);
    let withdrawn = a
        .transition_as(&boss, &application, &json!({"to": "withdrawn"}))
        .await;
    assert_eq!(withdrawn.status(), 200);
}

#[tokio::test]
async fn every_read_and_write_is_audited_with_the_person() {
    let a = Apps::new().await;
    let scheme = a.fsl().await;
    let before = a.audit().await.len();
    let application = a.apply(&scheme, true).await;
    a.app.get(&a.path(), &a.alice).await;
    a.read(&application).await;
    a.moved(&application, &json!({"to": "withdrawn"})).await;
    let events: Vec<(String, String)> = a.audit().await.split_off(before);
    let expected: Vec<(String, String)> = [
        ("create", "application"),
        ("create", "plan_item"),
        ("create", "plan_item"),
        ("create", "plan_item"),
        ("read", "case.applications"),
        ("read", "application"),
        ("transition", "application"),
    ]
    .iter()
    .map(|(x, y)| ((*x).to_owned(), (*y).to_owned()))
    .collect();
    assert_eq!(events, expected);
}

#[tokio::test]
async fn an_archived_case_is_read_with_a_reason_and_its_applications_no_longer_change() {
    let a = Apps::new().await;
    let scheme = a.fsl().await;
    let application = a.apply(&scheme, false).await;
    a.force_case_status("closed").await;
    // Decisions arrive after the support ended: a closed case keeps its applications going…
    let response = a
        .create_as(
            &a.alice,
            &json!({"scheme_id": scheme, "propose_plan_items": true}),
        )
        .await;
    // …but its plan no longer changes.
    assert_problem(response, 409, "case_closed").await;
    a.force_case_status("archived").await;
    assert_problem(
        a.app.get(&a.of(&application), &a.alice).await,
        400,
        "reason_required",
    )
    .await;
    let response = a
        .app
        .get(
            &format!("{}?reason=Contrôle%20du%20dossier", a.of(&application)),
            &a.alice,
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_problem(
        a.transition(&application, &json!({"to": "withdrawn"}))
            .await,
        409,
        "case_archived",
    )
    .await;
}
