//! Civility, the legal protection measure with its representative, and the disability: written,
//! merged, refused, kept in the history, hidden from reception (health data), and erased.

use relais_tests::{TestApp, assert_problem, invalid_at};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::person::CreatedPerson;

fn protected() -> Value {
    json!({
        "first_name": "Gérard",
        "last_name": "Baudin",
        "birth_date": "1958-02-11",
        "civility": "m",
        "legal_protection": {
            "kind": "curatelle",
            "representative": {
                "name": "  Karine Lefort ",
                "organisation": "UDAF du Rhône",
                "phone": "04 72 00 00 00",
                "email": "k.lefort@udaf69.example"
            }
        },
        "disability": {"recognised": "yes", "rate": "80_or_more"}
    })
}

impl CreatedPerson {
    async fn correct(&self, token: &str, body: Value) -> reqwest::Response {
        let current = self.app.get_json(&self.path(""), &self.token).await;
        let version = current["version"].as_i64().unwrap();
        self.patch_as(token, version, &body).await
    }
}

#[tokio::test]
async fn a_person_is_created_with_civility_measure_and_disability_and_reads_them_back() {
    let p = CreatedPerson::new(protected()).await;
    for body in [
        p.created.clone(),
        p.app.get_json(&p.path(""), &p.token).await,
    ] {
        assert_eq!(body["civility"], "m");
        assert_eq!(body["legal_protection"]["kind"], "curatelle");
        let representative = &body["legal_protection"]["representative"];
        assert_eq!(representative["name"], "Karine Lefort", "trimmed");
        assert_eq!(representative["organisation"], "UDAF du Rhône");
        assert_eq!(representative["phone"], "04 72 00 00 00");
        assert_eq!(representative["email"], "k.lefort@udaf69.example");
        assert_eq!(
            body["disability"],
            json!({"recognised": "yes", "rate": "80_or_more"})
        );
    }
    let plain = p
        .app
        .create_person(&p.token, json!({"first_name": "Ana", "last_name": "Lopes"}))
        .await;
    assert_eq!(plain["civility"], Value::Null);
    assert_eq!(plain["legal_protection"], Value::Null);
    assert_eq!(plain["disability"], Value::Null);
}

#[tokio::test]
async fn a_patch_merges_the_measure_and_the_disability_and_keeps_each_change_in_the_history() {
    let p = CreatedPerson::new(protected()).await;
    let response = p
        .correct(
            &p.token,
            json!({
                "legal_protection": {"kind": "tutelle", "representative": {"phone": null}},
                "disability": {"recognised": "pending"},
                "civility": null
            }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["civility"], Value::Null);
    assert_eq!(body["legal_protection"]["kind"], "tutelle");
    let representative = &body["legal_protection"]["representative"];
    assert_eq!(representative["name"], "Karine Lefort", "kept");
    assert_eq!(representative["phone"], Value::Null, "cleared");
    assert_eq!(
        body["disability"],
        json!({"recognised": "pending", "rate": null}),
        "a rate goes with a recognised disability only"
    );

    let history = p.app.get_json(&p.path("/history"), &p.token).await;
    let changes: Vec<(String, Value, Value)> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["field"].as_str().unwrap().to_owned(),
                c["before"].clone(),
                c["after"].clone(),
            )
        })
        .collect();
    for expected in [
        ("civility", json!("m"), Value::Null),
        (
            "legal_protection.kind",
            json!("curatelle"),
            json!("tutelle"),
        ),
        (
            "legal_protection.representative.phone",
            json!("04 72 00 00 00"),
            Value::Null,
        ),
        ("disability.recognised", json!("yes"), json!("pending")),
        ("disability.rate", json!("80_or_more"), Value::Null),
    ] {
        let expected = (expected.0.to_owned(), expected.1, expected.2);
        assert!(changes.contains(&expected), "{expected:?} in {changes:?}");
    }

    // `null` ends the record of the measure, its representative with it.
    let ended = p.correct(&p.token, json!({"legal_protection": null})).await;
    assert_eq!(ended.status(), 200);
    let ended: Value = ended.json().await.unwrap();
    assert_eq!(ended["legal_protection"], Value::Null);
    let stored: (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT legal_protection, representative_name FROM persons WHERE id = $1::uuid",
    )
    .bind(&p.id)
    .fetch_one(&p.app.sql)
    .await
    .unwrap();
    assert_eq!(stored, (None, None));
}

#[tokio::test]
async fn refused_measures_and_disabilities_point_at_their_field() {
    let p = CreatedPerson::new(json!({"first_name": "Ana", "last_name": "Lopes"})).await;
    let create = |body: Value| {
        let app = &p.app;
        let token = p.token.clone();
        async move { app.post("/v1/persons", &token, &body).await }
    };
    let base = json!({"first_name": "Léa", "last_name": "Roux"});
    let with = |field: &str, value: Value| {
        let mut body = base.clone();
        body[field] = value;
        body
    };
    assert_eq!(
        invalid_at(
            create(with(
                "disability",
                json!({"recognised": "pending", "rate": "50_to_79"})
            ))
            .await,
            "/disability/rate"
        )
        .await,
        "rate_without_recognition"
    );
    assert_eq!(
        invalid_at(
            create(with(
                "legal_protection",
                json!({"kind": "tutelle", "representative": {"phone": "0600000000"}})
            ))
            .await,
            "/legal_protection/representative/name"
        )
        .await,
        "representative_unnamed"
    );
    let unknown = create(with("legal_protection", json!({"kind": "tutorship"}))).await;
    assert_eq!(unknown.status(), 422);
    let problem = relais_tests::problem(unknown).await;
    assert_eq!(
        relais_tests::pointers(&problem),
        ["/legal_protection/kind"],
        "{problem}"
    );
    let bad_email = create(with(
        "legal_protection",
        json!({"kind": "tutelle", "representative": {"name": "X", "email": "nope"}}),
    ))
    .await;
    invalid_at(bad_email, "/legal_protection/representative/email").await;
    let bad_civility = create(with("civility", json!("mlle"))).await;
    assert_eq!(bad_civility.status(), 422);
    assert_eq!(
        relais_tests::pointers(&relais_tests::problem(bad_civility).await),
        ["/civility"]
    );

    // A measure cannot be patched into existence without its kind.
    assert_eq!(
        invalid_at(
            p.correct(
                &p.token,
                json!({"legal_protection": {"representative": {"name": "UDAF"}}})
            )
            .await,
            "/legal_protection/kind"
        )
        .await,
        "required"
    );
    assert_eq!(
        invalid_at(
            p.correct(&p.token, json!({"disability": {"rate": "below_50"}}))
                .await,
            "/disability/rate"
        )
        .await,
        "rate_without_recognition"
    );
    let kept = p.app.get_json(&p.path(""), &p.token).await;
    assert_eq!(kept["version"], 1, "nothing was written");
}

#[tokio::test]
async fn reception_sees_the_measure_but_neither_reads_nor_writes_the_disability() {
    let p = CreatedPerson::new(protected()).await;
    let rita = p.app.token("reception", "rita");
    let seen = p.app.get_json(&p.path(""), &rita).await;
    assert_eq!(seen["restricted"], false);
    assert_eq!(seen["legal_protection"]["kind"], "curatelle");
    assert_eq!(seen["disability"], Value::Null, "health data");

    assert_problem(
        p.correct(&rita, json!({"disability": {"recognised": "no"}}))
            .await,
        403,
        "forbidden",
    )
    .await;
    let mut body = protected();
    body["first_name"] = json!("Paul");
    assert_problem(
        p.app.post("/v1/persons", &rita, &body).await,
        403,
        "forbidden",
    )
    .await;
    body.as_object_mut().unwrap().remove("disability");
    let created = p.app.post("/v1/persons", &rita, &body).await;
    assert_eq!(created.status(), 201);

    // Reception corrects the representative; the history it reads leaves the disability out.
    let corrected = p
        .correct(
            &rita,
            json!({"legal_protection": {"representative": {"phone": "04 78 11 22 33"}}}),
        )
        .await;
    assert_eq!(corrected.status(), 200);
    let corrected: Value = corrected.json().await.unwrap();
    assert_eq!(corrected["disability"], Value::Null);
    p.correct(&p.token, json!({"disability": {"recognised": "no"}}))
        .await;
    let fields = |history: Value| -> Vec<String> {
        history["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["field"].as_str().unwrap().to_owned())
            .collect()
    };
    let for_reception = fields(p.app.get_json(&p.path("/history"), &rita).await);
    assert_eq!(for_reception, ["legal_protection.representative.phone"]);
    let for_worker = fields(p.app.get_json(&p.path("/history"), &p.token).await);
    assert!(for_worker.contains(&"disability.recognised".to_owned()));
}

#[tokio::test]
async fn the_access_document_and_the_erasure_know_the_measure() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let person = app.create_person(&alice, protected()).await;
    let id = person["id"].as_str().unwrap();

    let dpo = app.token("dpo", "dora");
    let pdf = app
        .request(Method::GET, &format!("/v1/persons/{id}/export"), &dpo)
        .header("Accept", "application/pdf")
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), 200);
    let text = relais_tests::pdf_text(&pdf.bytes().await.unwrap());
    for expected in [
        "Civilité",
        "Monsieur",
        "Mesure de protection",
        "Curatelle",
        "UDAF du Rhône",
        "Reconnu (taux : 80 % ou plus)",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }

    let erased = app
        .post(
            &format!("/v1/persons/{id}/erasure"),
            &dpo,
            &json!({"reason": "Demande d'effacement reçue le 28/11/2026"}),
        )
        .await;
    assert!(erased.status().is_success(), "{}", erased.status());
    let row: (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    ) = sqlx::query_as(
        "SELECT civility, representative_name, representative_organisation, legal_protection \
         FROM persons WHERE id = $1",
    )
    .bind(id.parse::<Uuid>().unwrap())
    .fetch_one(&app.sql)
    .await
    .unwrap();
    assert_eq!(
        row,
        (None, None, None, Some("curatelle".to_owned())),
        "the representative is erased, the measure stays as a code"
    );
}
