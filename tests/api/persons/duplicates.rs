//! A person the organisation may already know is not created twice: 409 `possible_duplicate`
//! (names and birth date) or `duplicate_nir`, with the candidates, until the caller confirms.

use relais_tests::{TestApp, assert_problem, nir, pointers};
use serde_json::{Value, json};

fn sandrine() -> Value {
    json!({
        "first_name": "Sandrine",
        "last_name": "Dupont",
        "birth_name": "Morel",
        "birth_date": "1984-03-02"
    })
}

fn candidate_ids(problem: &Value) -> Vec<String> {
    problem["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_same_names_and_birth_date_are_a_possible_duplicate_until_confirmed() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let first = app.create_person(&alice, sandrine()).await;
    let first_id = first["id"].as_str().unwrap().to_owned();
    app.open_case_for(&alice, &first_id).await;

    // Another worker meets her at the desk under her birth name, written her own way.
    let bob = app.token("worker", "bob");
    let again = json!({"first_name": "SANDRINE", "last_name": "morel", "birth_date": "1984-03-02"});
    let problem = assert_problem(
        app.post("/v1/persons", &bob, &again).await,
        409,
        "possible_duplicate",
    )
    .await;
    assert_eq!(pointers(&problem), ["/confirm_distinct"]);
    assert_eq!(candidate_ids(&problem), [first_id.as_str()]);
    let candidate = &problem["candidates"][0];
    assert_eq!(candidate["matched_by"], "names");
    assert_eq!(candidate["restricted"], true, "the search view only");
    assert_eq!(candidate["last_name"], "Dupont");
    assert_eq!(candidate["known"]["open_case"], true);
    assert!(candidate.get("phone").is_none());
    let searched: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE person_id = $1::uuid AND action = 'search'",
    )
    .bind(&first_id)
    .fetch_one(&app.sql)
    .await
    .unwrap();
    assert_eq!(searched, 1, "the candidate shown is audited");

    // Swapped names are caught too; another birth date is another person.
    let swapped =
        json!({"first_name": "Dupont", "last_name": "Sandrine", "birth_date": "1984-03-02"});
    assert_problem(
        app.post("/v1/persons", &bob, &swapped).await,
        409,
        "possible_duplicate",
    )
    .await;
    let other_day =
        json!({"first_name": "Sandrine", "last_name": "Morel", "birth_date": "1984-03-03"});
    assert_eq!(
        app.post("/v1/persons", &bob, &other_day).await.status(),
        201
    );

    // She is another Sandrine Morel: confirmed, she is created.
    let mut confirmed = again.clone();
    confirmed["confirm_distinct"] = json!(true);
    let created = app.post("/v1/persons", &bob, &confirmed).await;
    assert_eq!(created.status(), 201);
    assert_eq!(
        app.count("SELECT count(*) FROM persons WHERE birth_date = '1984-03-02'")
            .await,
        2
    );
}

#[tokio::test]
async fn the_same_nir_cannot_be_confirmed_away() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let mut body = sandrine();
    body["nir"] = json!(nir("2840375123456"));
    let first = app.create_person(&alice, body.clone()).await;

    let mut again = json!({"first_name": "Paul", "last_name": "Durand", "nir": body["nir"], "confirm_distinct": true});
    let problem = assert_problem(
        app.post("/v1/persons", &alice, &again).await,
        409,
        "duplicate_nir",
    )
    .await;
    assert_eq!(pointers(&problem), ["/nir"]);
    assert_eq!(candidate_ids(&problem), [first["id"].as_str().unwrap()]);
    assert_eq!(problem["candidates"][0]["matched_by"], "nir");

    // Two different NIRs are two persons, whatever the names.
    again = sandrine();
    again["nir"] = json!(nir("2840375123457"));
    assert_eq!(app.post("/v1/persons", &alice, &again).await.status(), 201);
}

#[tokio::test]
async fn a_new_case_for_a_known_person_asks_before_creating_her() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let first = app.create_person(&alice, sandrine()).await;
    let body = json!({
        "person": {"first_name": "Sandrine", "last_name": "Dupont", "birth_date": "1984-03-02"},
        "reason": "Demande d'aide au logement",
        "origin": "self"
    });
    let problem = assert_problem(
        app.post("/v1/cases", &alice, &body).await,
        409,
        "possible_duplicate",
    )
    .await;
    assert_eq!(pointers(&problem), ["/person/confirm_distinct"]);
    assert_eq!(candidate_ids(&problem), [first["id"].as_str().unwrap()]);
    assert_eq!(app.count("SELECT count(*) FROM cases").await, 0);

    // With the candidate's id the case opens for her.
    let opened = app
        .post(
            "/v1/cases",
            &alice,
            &json!({"person_id": first["id"], "reason": "Demande d'aide au logement", "origin": "self"}),
        )
        .await;
    assert_eq!(opened.status(), 201);

    // A person of another organisation is never a candidate.
    let other = app.token_for("other", &["worker"], "olga");
    let elsewhere = app.post("/v1/persons", &other, &sandrine()).await;
    assert_eq!(elsewhere.status(), 201);
}
