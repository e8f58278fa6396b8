//! The funding plan and the social report of an application over HTTP, and the plan items'
//! links to schemes and applications.

use crate::support::applications::{Apps, fsl};
use relais_tests::{assert_problem, header, pointers, today};
use reqwest::Method;
use serde_json::{Value, json};

fn plan() -> Value {
    json!({
        "need_cents": 150000,
        "funders": [
            {"name": "Fonds de solidarité logement", "requested_cents": 80000, "status": "granted"},
            {"name": "CCAS", "requested_cents": 40000, "status": "partially_granted", "granted_cents": 25000},
            {"name": "Caisse de retraite", "requested_cents": 20000, "status": "requested"}
        ]
    })
}

async fn put_plan(
    a: &Apps,
    application: &Value,
    if_match: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let path = format!("{}/funding-plan", a.of(application));
    a.app.put(&path, &a.alice, if_match, body).await
}

#[tokio::test]
async fn the_funding_plan_answers_with_its_remaining_gap() {
    let a = Apps::new().await;
    let application = a.fsl_application().await;
    let path = format!("{}/funding-plan", a.of(&application));
    assert_problem(a.app.get(&path, &a.alice).await, 404, "not_found").await;
    assert_problem(
        put_plan(&a, &application, None, &plan()).await,
        428,
        "precondition_required",
    )
    .await;
    assert_problem(
        put_plan(&a, &application, Some("\"1\""), &plan()).await,
        412,
        "version_mismatch",
    )
    .await;

    let response = put_plan(&a, &application, Some("\"0\""), &plan()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "etag"), "\"1\"");
    let written: Value = response.json().await.unwrap();
    assert_eq!(written["need_cents"], 150000);
    assert_eq!(written["requested_cents"], 140000);
    assert_eq!(written["granted_cents"], 105000);
    assert_eq!(written["pending_cents"], 20000);
    assert_eq!(written["gap_cents"], 45000);
    assert_eq!(written["excess_cents"], 0);
    assert_eq!(written["unrequested_cents"], 10000);
    assert_eq!(
        written["funders"][0]["granted_cents"], 80000,
        "granted: as requested"
    );
    assert_eq!(written["funders"][2]["granted_cents"], Value::Null);

    let response = a.app.get(&path, &a.alice).await;
    assert_eq!(header(&response, "etag"), "\"1\"");
    let read: Value = response.json().await.unwrap();
    assert_eq!(read, written);
    assert_eq!(a.read(&application).await["funding_plan"], written);

    // The pending funder answers after the application is withdrawn: the plan still changes.
    a.moved(&application, &json!({"to": "withdrawn"})).await;
    let mut answered = plan();
    answered["funders"][2] = json!({"name": "Caisse de retraite", "requested_cents": 20000, "status": "granted", "granted_cents": 20000});
    let response = put_plan(&a, &application, Some("\"1\""), &answered).await;
    assert_eq!(response.status(), 200);
    let covered: Value = response.json().await.unwrap();
    assert_eq!(covered["version"], 2);
    assert_eq!(covered["gap_cents"], 25000);
    assert_eq!(covered["pending_cents"], 0);
    let response = put_plan(
        &a,
        &application,
        Some("*"),
        &json!({"need_cents": 100000, "funders": []}),
    )
    .await;
    let emptied: Value = response.json().await.unwrap();
    assert_eq!(emptied["funders"], json!([]));
    assert_eq!(emptied["gap_cents"], 100000);
    assert_eq!(emptied["unrequested_cents"], 100000);
}

#[tokio::test]
async fn a_bad_funding_plan_points_at_each_funder_field() {
    let a = Apps::new().await;
    let application = a.fsl_application().await;
    let body = json!({
        "need_cents": 150000,
        "funders": [
            {"name": "FSL", "requested_cents": 80000, "status": "granted", "granted_cents": 70000},
            {"name": " fsl ", "requested_cents": 40000, "status": "partially_granted"},
            {"name": "CCAS", "requested_cents": 20000, "status": "refused", "granted_cents": 100}
        ]
    });
    let p = assert_problem(
        put_plan(&a, &application, Some("\"0\""), &body).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        pointers(&p),
        [
            "/funders/0/granted_cents",
            "/funders/1/name",
            "/funders/1/granted_cents",
            "/funders/2/granted_cents"
        ]
    );
    let p = assert_problem(
        put_plan(
            &a,
            &application,
            Some("\"0\""),
            &json!({"need_cents": 0, "funders": []}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(pointers(&p), ["/need_cents"]);
    let p = assert_problem(
        put_plan(&a, &application, Some("\"0\""), &json!({"need_cents": 10, "funders": [{"name": "FSL", "requested_cents": 5, "status": "maybe"}]})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(pointers(&p), ["/funders/0/status"]);
    let stranger = a.app.token_for("other", &["worker"], "x");
    let response = a
        .app
        .request(
            Method::PUT,
            &format!("{}/funding-plan", a.of(&application)),
            &stranger,
        )
        .header("If-Match", "\"0\"")
        .json(&plan())
        .send()
        .await
        .unwrap();
    assert_problem(response, 404, "not_found").await;
}

#[tokio::test]
async fn each_social_report_is_a_new_version_with_its_author_and_date() {
    let a = Apps::new().await;
    let application = a.fsl_application().await;
    let path = format!("{}/social-reports", a.of(&application));
    let alice_id = a.app.agent_id(&a.alice).await.to_string();
    let response = a
        .app
        .post(
            &path,
            &a.alice,
            &json!({"text": "  Madame L. vit seule avec ses deux enfants.  "}),
        )
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(header(&response, "location"), format!("{path}/1"));
    let first: Value = response.json().await.unwrap();
    assert_eq!(first["version_no"], 1);
    assert_eq!(first["text"], "Madame L. vit seule avec ses deux enfants.");
    assert_eq!(first["author_id"], json!(alice_id));
    let boss = a.app.token("supervisor", "sophie");
    let response = a
        .app
        .post(
            &path,
            &boss,
            &json!({"text": "Madame L. a repris un emploi en décembre."}),
        )
        .await;
    let second: Value = response.json().await.unwrap();
    assert_eq!(second["version_no"], 2);
    assert_ne!(second["author_id"], first["author_id"]);

    let list: Value = a.app.get_json(&path, &a.alice).await;
    let versions: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["version_no"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [2, 1]);
    let page: Value = a.app.get_json(&format!("{path}?limit=1"), &a.alice).await;
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest: Value = a
        .app
        .get_json(&format!("{path}?limit=1&cursor={cursor}"), &a.alice)
        .await;
    assert_eq!(rest["items"][0]["version_no"], 1);
    let one: Value = a.app.get_json(&format!("{path}/1"), &a.alice).await;
    assert_eq!(one, first);
    assert_problem(
        a.app.get(&format!("{path}/3"), &a.alice).await,
        404,
        "not_found",
    )
    .await;
    let latest = &a.read(&application).await["social_report"];
    assert_eq!(latest["version_no"], 2);
    assert_eq!(latest["author_id"], second["author_id"]);
    assert!(
        a.timeline_kinds()
            .await
            .contains(&"social_report_written".to_owned())
    );

    let p = assert_problem(
        a.app.post(&path, &a.alice, &json!({"text": " \n "})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(pointers(&p), ["/text"]);
    let p = assert_problem(
        a.app
            .post(&path, &a.alice, &json!({"text": "é".repeat(20001)}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(pointers(&p), ["/text"]);
    let reception = a.app.token("reception", "front-desk");
    assert_problem(a.app.get(&path, &reception).await, 403, "forbidden").await;
    assert_problem(
        a.app.post(&path, &reception, &json!({"text": "x"})).await,
        403,
        "forbidden",
    )
    .await;

    let events = a.audit().await;
    assert!(events.contains(&("create".into(), "application.social_report".into())));
    assert!(events.contains(&("read".into(), "application.social_report".into())));
}

#[tokio::test]
async fn plan_items_link_only_schemes_of_the_organisation_and_applications_of_the_case() {
    let a = Apps::new().await;
    let scheme = a.fsl().await;
    let application = a.apply(&scheme, false).await;
    let other_case = a.app.create_case(&a.alice).await;
    let elsewhere = a
        .app
        .post(
            &format!(
                "/v1/cases/{}/applications",
                other_case["id"].as_str().unwrap()
            ),
            &a.alice,
            &json!({"scheme_id": scheme}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    let foreign_scheme = a.scheme_in("other", &fsl()).await;
    let items = format!("/v1/cases/{}/plan/items", a.case_id);
    let item = |scheme_id: &str, application_id: &str| {
        json!({
            "party": "person", "category": "paperwork", "domain": "housing",
            "title": "Déposer le dossier FSL", "due_on": today(),
            "scheme_id": scheme_id, "application_id": application_id
        })
    };
    let p = assert_problem(
        a.app
            .post(
                &items,
                &a.alice,
                &item(&foreign_scheme, elsewhere["id"].as_str().unwrap()),
            )
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(pointers(&p), ["/scheme_id", "/application_id"]);
    let response = a
        .app
        .post(
            &items,
            &a.alice,
            &item(&scheme, application["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["application_id"], application["id"]);
    let path = format!("{items}/{}", created["id"].as_str().unwrap());
    let p = assert_problem(
        a.app
            .patch(
                &path,
                &a.alice,
                1,
                &json!({"application_id": "0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b"}),
            )
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(pointers(&p), ["/application_id"]);
    let cleared = a
        .app
        .patch(
            &path,
            &a.alice,
            1,
            &json!({"application_id": null, "title": "Déposer le dossier"}),
        )
        .await;
    assert_eq!(cleared.status(), 200);
}
