//! Need to know on persons (PROTECTION.md): the full record for supervisors and for the workers
//! tied to the person, identity for reception, the minimal search view for every other worker,
//! 404 on their writes, and an `access_denied` for every refusal of a person who exists.

use relais_tests::{TestApp, assert_conforms, assert_problem, header};
use serde_json::{Value, json};

use super::eloise;
use crate::support::person::CreatedPerson;

/// The keys of the minimal search view, and nothing else.
const SEARCH_VIEW: [&str; 7] = [
    "birth_date",
    "birth_name",
    "first_name",
    "id",
    "known",
    "last_name",
    "restricted",
];

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// The `access_denied` events about `person_id`, as (resource, actor) pairs, oldest first.
async fn denials(app: &TestApp, person_id: &str) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT resource_type, actor_subject FROM audit_events \
         WHERE person_id = $1::uuid AND action = 'access_denied' ORDER BY id",
    )
    .bind(person_id)
    .fetch_all(&app.sql)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_worker_with_no_tie_sees_the_search_view_and_finds_whom_to_ask() {
    let p = CreatedPerson::by("reception", "rita", eloise()).await;
    let app = &p.app;
    let bob = app.token("worker", "bob");

    let response = app.get(&p.path(""), &bob).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "etag"),
        "",
        "the search view has no version"
    );
    let view: Value = response.json().await.unwrap();
    assert_eq!(keys(&view), SEARCH_VIEW, "{view}");
    assert_eq!(view["restricted"], true);
    assert_eq!(view["last_name"], "Martin");
    assert_eq!(
        view["known"],
        json!({"open_case": false, "referent_name": null})
    );
    assert_conforms("SeenPerson", &view);

    // Once Claire opens a case, Bob learns whom to ask, and still nothing of the record.
    let claire = app.token_named("worker", "claire", "Claire Dubois");
    app.open_case_for(&claire, &p.id).await;
    let view = app.get_json(&p.path(""), &bob).await;
    assert_eq!(keys(&view), SEARCH_VIEW);
    assert_eq!(
        view["known"],
        json!({"open_case": true, "referent_name": "Claire Dubois"})
    );
    // Claire, on the case, sees the whole record.
    let record = app.get_json(&p.path(""), &claire).await;
    assert_eq!(record["restricted"], false);
    assert_eq!(record["phone"], "0601020304");
    assert_conforms("SeenPerson", &record);
    // The minimal view is still an access to personal data: audited as a read.
    let reads: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE person_id = $1::uuid \
         AND action = 'read' AND actor_subject = 'bob'",
    )
    .bind(&p.id)
    .fetch_one(&app.sql)
    .await
    .unwrap();
    assert_eq!(reads, 2);
}

#[tokio::test]
async fn every_write_of_a_worker_with_no_tie_is_a_404_recorded_as_access_denied() {
    let p = CreatedPerson::by("reception", "rita", eloise()).await;
    let app = &p.app;
    let bob = app.token("worker", "bob");
    let consent =
        json!({"scope": "data_processing", "channel": "signed_paper", "given_at": "2026-01-05"});
    let consent_id: String = app
        .post(&p.path("/consents"), &p.token, &consent)
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let refused = [
        p.patch_as(&bob, 1, &json!({"phone": "0700000000"})).await,
        app.get(&p.path("/consents"), &bob).await,
        app.post(&p.path("/consents"), &bob, &consent).await,
        app.post(
            &p.path(&format!("/consents/{consent_id}/withdrawal")),
            &bob,
            &json!({"channel": "phone"}),
        )
        .await,
        app.get(&p.path("/household"), &bob).await,
        app.put(
            &p.path("/budget"),
            &bob,
            Some("*"),
            &json!({"resources": [], "charges": []}),
        )
        .await,
        app.get(
            &p.path("?reveal=nir&reason=Dossier%20CSS%20en%20cours"),
            &bob,
        )
        .await,
    ];
    for response in refused {
        assert_problem(response, 404, "not_found").await;
    }
    let resources: Vec<String> = denials(app, &p.id)
        .await
        .into_iter()
        .map(|(resource, actor)| {
            assert_eq!(actor, "bob");
            resource
        })
        .collect();
    assert_eq!(
        resources,
        [
            "person",
            "person.consents",
            "person.consents",
            "person.consents",
            "person.household",
            "person.budget",
            "person.nir",
        ]
    );
    // Nothing was changed: the phone, the consent and the versions are as they were.
    let record = app.get_json(&p.path(""), &p.token).await;
    assert_eq!(record["phone"], "0601020304");
    assert_eq!(record["version"], 1);
    let consents = app.get_json(&p.path("/consents"), &p.token).await;
    assert_eq!(consents["items"][0]["active"], true);

    // The DPO finds every refusal in the audit log.
    let dpo = app.token("dpo", "dora");
    let listed = app
        .get_json("/v1/audit-events?action=access_denied", &dpo)
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 7, "{listed}");
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["person_id"] == p.id.as_str() && e["action"] == "access_denied")
    );
}

#[tokio::test]
async fn the_creator_sees_the_whole_record_until_a_case_of_someone_else_exists() {
    let p = CreatedPerson::by("worker", "bob", eloise()).await;
    let app = &p.app;
    let record = app.get_json(&p.path(""), &p.token).await;
    assert_eq!(record["restricted"], false);
    let household = app.get(&p.path("/household"), &p.token).await;
    assert_eq!(household.status(), 200, "the creator records the situation");

    let alice = app.token("worker", "alice");
    app.open_case_for(&alice, &p.id).await;
    let view = app.get_json(&p.path(""), &p.token).await;
    assert_eq!(view["restricted"], true, "{view}");
    assert_problem(
        app.get(&p.path("/household"), &p.token).await,
        404,
        "not_found",
    )
    .await;
    // A supervisor sees every person whole.
    let sam = app.token("supervisor", "sam");
    assert_eq!(app.get_json(&p.path(""), &sam).await["restricted"], false);
    assert_eq!(app.get(&p.path("/budget"), &sam).await.status(), 200);
}

#[tokio::test]
async fn reception_keeps_identity_and_consents_and_is_refused_the_situation_with_a_trace() {
    let p = CreatedPerson::by("worker", "alice", eloise()).await;
    let app = &p.app;
    let rita = app.token("reception", "rita");
    let record = app.get_json(&p.path(""), &rita).await;
    assert_eq!(record["restricted"], false);
    assert_eq!(record["nir"], "2 69 05 ** *** *** 80");
    let corrected = p.patch_as(&rita, 1, &json!({"phone": "0611223344"})).await;
    assert_eq!(corrected.status(), 200);
    assert_eq!(app.get(&p.path("/consents"), &rita).await.status(), 200);

    assert_problem(
        app.get(&p.path("/household"), &rita).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.get(
            &p.path("?reveal=nir&reason=Dossier%20CSS%20en%20cours"),
            &rita,
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    assert_eq!(
        denials(app, &p.id).await,
        [
            ("person.household".to_owned(), "rita".to_owned()),
            ("person.nir".to_owned(), "rita".to_owned()),
        ]
    );
}

#[tokio::test]
async fn search_answers_each_person_as_the_caller_may_see_them() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let rita = app.token("reception", "rita");
    let mine = app
        .create_person(&rita, json!({"first_name": "Inès", "last_name": "Garnier"}))
        .await;
    let mine = mine["id"].as_str().unwrap();
    app.open_case_for(&alice, mine).await;
    let other = app
        .create_person(&rita, json!({"first_name": "Hugo", "last_name": "Garnier"}))
        .await;
    let other = other["id"].as_str().unwrap();

    let page = app.get_json("/v1/persons?q=garnier", &alice).await;
    assert_conforms("PersonList", &page);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let seen = |id: &str| items.iter().find(|i| i["id"] == id).unwrap().clone();
    assert_eq!(seen(mine)["restricted"], false);
    assert_eq!(keys(&seen(other)), SEARCH_VIEW);
    assert_eq!(seen(other)["known"]["open_case"], false);

    for token in [&rita, &app.token("supervisor", "sam")] {
        let page = app.get_json("/v1/persons?q=garnier", token).await;
        assert!(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i["restricted"] == false),
            "{page}"
        );
    }
    // The search view is not a refusal: no access_denied.
    assert!(denials(&app, other).await.is_empty());
}

#[tokio::test]
async fn an_unknown_person_is_a_404_for_a_worker_and_a_403_for_a_role_without_persons() {
    let app = TestApp::spawn().await;
    let path = "/v1/persons/0190f0e0-0000-7000-8000-000000000001";
    assert_problem(
        app.get(path, &app.token("worker", "bob")).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get(path, &app.token("dpo", "dora")).await,
        403,
        "forbidden",
    )
    .await;
    let events = app
        .count("SELECT count(*) FROM audit_events WHERE action = 'access_denied'")
        .await;
    assert_eq!(events, 0, "no record, nobody to be about");
}
