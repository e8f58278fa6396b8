//! Matching never says `eligible` on data that is not recorded: the disability, the debts and
//! the legal protection of a person are compared when recorded, and a criterion that needs one
//! that is not is `unknown`, its scheme `to_check` with the data named. The disability and the
//! measure are set in the database directly until the person API carries them.

use chrono::Datelike;
use relais_tests::{TestApp, field_codes, pair};
use serde_json::{Value, json};

fn catalogue() -> Value {
    json!({"schemes": [
        {"name": "Aide handicap", "domain": "health", "provider": "Département",
         "criteria": [{"kind": "age", "min": 20, "max": null}, {"kind": "disability_recognised"}]},
        {"name": "Allocation taux", "domain": "health", "provider": "CAF",
         "criteria": [{"kind": "disability_rate_min", "min_percent": 80}]},
        {"name": "Impayés", "domain": "housing", "provider": "FSL",
         "criteria": [{"kind": "debt_kinds", "any_of": ["rent_arrears", "energy"]}]},
        {"name": "Majeurs protégés", "domain": "administrative", "provider": "CCAS",
         "criteria": [{"kind": "legal_protection", "any_of": ["tutelle", "curatelle"]}]}
    ]})
}

struct Person {
    id: String,
    case_id: String,
}

struct Fixture {
    app: TestApp,
    worker: String,
}

impl Fixture {
    async fn new() -> Self {
        let app = TestApp::spawn().await;
        let admin = app.token("admin", "adele");
        let imported = app.post("/v1/schemes/import", &admin, &catalogue()).await;
        assert_eq!(imported.status(), 200, "{}", imported.text().await.unwrap());
        let worker = app.token("worker", "wanda");
        Self { app, worker }
    }

    /// A person of `age` (born on 1 January) with an open case.
    async fn person(&self, age: i32) -> Person {
        let born = format!("{}-01-01", chrono::Utc::now().year() - age);
        let person = self
            .app
            .create_person(
                &self.worker,
                json!({"first_name": "Jeanne", "last_name": format!("Âgée de {age}"),
                       "birth_date": born}),
            )
            .await;
        let id = person["id"].as_str().unwrap().to_owned();
        let case = self.app.open_case_for(&self.worker, &id).await;
        Person {
            case_id: case["id"].as_str().unwrap().to_owned(),
            id,
        }
    }

    /// Sets the person's disability and measure (the person API does not carry them yet).
    async fn set(
        &self,
        person: &Person,
        recognised: Option<&str>,
        rate: Option<&str>,
        measure: Option<&str>,
    ) {
        sqlx::query(
            "UPDATE persons SET disability_recognised = $2, disability_rate = $3, \
             legal_protection = $4 WHERE id = $1::uuid",
        )
        .bind(&person.id)
        .bind(recognised)
        .bind(rate)
        .bind(measure)
        .execute(&self.app.sql)
        .await
        .unwrap();
    }

    /// The match of the scheme `name` for `person`.
    async fn matched(&self, person: &Person, name: &str) -> Value {
        let matches = self
            .app
            .get_json(
                &format!("/v1/cases/{}/scheme-matches", person.case_id),
                &self.worker,
            )
            .await;
        relais_tests::assert_conforms("SchemeMatches", &matches);
        matches["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing from {matches}"))
            .clone()
    }

    async fn budget(&self, person: &Person, if_match: &str, debts: Value) {
        let body = json!({"resources": [], "charges": [], "debts": debts});
        let response = self
            .app
            .put(
                &format!("/v1/persons/{}/budget", person.id),
                &self.worker,
                Some(if_match),
                &body,
            )
            .await;
        assert_eq!(response.status(), 200);
    }
}

/// The example: a scheme for a recognised disability, at 35 and at 85, the disability
/// unknown: to check, never eligible.
#[tokio::test]
async fn a_disability_scheme_is_to_check_at_35_and_85_while_the_disability_is_unknown() {
    let f = Fixture::new().await;
    for age in [35, 85] {
        let person = f.person(age).await;
        for unsure in [None, Some("unknown"), Some("pending")] {
            f.set(&person, unsure, None, None).await;
            let m = f.matched(&person, "Aide handicap").await;
            assert_eq!(m["result"], "to_check", "{age} {unsure:?}: {m}");
            assert_eq!(m["missing"], json!(["disability"]));
            assert_eq!(m["criteria"][0]["result"], "met");
            assert_eq!(m["criteria"][1]["result"], "unknown");
            assert_eq!(m["criteria"][1]["expected"], json!({"recognised": "yes"}));
            let actual = unsure.map_or(Value::Null, |r| json!({"recognised": r, "rate": null}));
            assert_eq!(m["criteria"][1]["actual"], actual);
        }
        f.set(&person, Some("no"), None, None).await;
        assert_eq!(
            f.matched(&person, "Aide handicap").await["result"],
            "not_eligible"
        );
        f.set(&person, Some("yes"), None, None).await;
        let m = f.matched(&person, "Aide handicap").await;
        assert_eq!(m["result"], "eligible", "{age}");
        assert_eq!(m["missing"], json!([]));
    }
}

#[tokio::test]
async fn a_minimum_rate_is_compared_with_the_recorded_band() {
    let f = Fixture::new().await;
    let person = f.person(40).await;
    let result = |m: Value| m["result"].as_str().unwrap().to_owned();
    assert_eq!(
        result(f.matched(&person, "Allocation taux").await),
        "to_check"
    );
    f.set(&person, Some("yes"), None, None).await;
    let m = f.matched(&person, "Allocation taux").await;
    assert_eq!(m["result"], "to_check", "recognised without a rate");
    assert_eq!(m["missing"], json!(["disability"]));
    f.set(&person, Some("yes"), Some("50_to_79"), None).await;
    let m = f.matched(&person, "Allocation taux").await;
    assert_eq!(m["result"], "not_eligible");
    assert_eq!(m["criteria"][0]["expected"], json!({"min_percent": 80}));
    assert_eq!(
        m["criteria"][0]["actual"],
        json!({"recognised": "yes", "rate": "50_to_79"})
    );
    f.set(&person, Some("yes"), Some("80_or_more"), None).await;
    assert_eq!(
        result(f.matched(&person, "Allocation taux").await),
        "eligible"
    );
    f.set(&person, Some("pending"), None, None).await;
    assert_eq!(
        result(f.matched(&person, "Allocation taux").await),
        "to_check"
    );
}

#[tokio::test]
async fn debts_are_unknown_without_a_budget_and_compared_with_one() {
    let f = Fixture::new().await;
    let person = f.person(40).await;
    let m = f.matched(&person, "Impayés").await;
    assert_eq!(m["result"], "to_check");
    assert_eq!(m["missing"], json!(["debts"]));
    assert_eq!(m["criteria"][0]["actual"], Value::Null);

    // A recorded budget without debts: no debt is a fact.
    f.budget(&person, "\"0\"", json!([])).await;
    let m = f.matched(&person, "Impayés").await;
    assert_eq!(m["result"], "not_eligible");
    assert_eq!(m["criteria"][0]["actual"], json!([]));
    // A settled energy debt (nothing owed) does not count; an owed one does.
    f.budget(
        &person,
        "\"1\"",
        json!([{"kind": "energy", "amount_owed_cents": 0},
               {"kind": "tax", "amount_owed_cents": 5000}]),
    )
    .await;
    assert_eq!(
        f.matched(&person, "Impayés").await["result"],
        "not_eligible"
    );
    f.budget(
        &person,
        "\"2\"",
        json!([{"kind": "tax", "amount_owed_cents": 5000},
               {"kind": "energy", "creditor": "Fournisseur", "amount_owed_cents": 42050}]),
    )
    .await;
    let m = f.matched(&person, "Impayés").await;
    assert_eq!(m["result"], "eligible");
    assert_eq!(m["criteria"][0]["actual"], json!(["energy", "tax"]));
    assert_eq!(
        m["criteria"][0]["expected"],
        json!({"any_of": ["rent_arrears", "energy"]})
    );
}

#[tokio::test]
async fn a_measure_not_recorded_is_to_check_not_unmet() {
    let f = Fixture::new().await;
    let person = f.person(50).await;
    let m = f.matched(&person, "Majeurs protégés").await;
    assert_eq!(m["result"], "to_check");
    assert_eq!(m["missing"], json!(["legal_protection"]));
    f.set(&person, None, None, Some("curatelle")).await;
    let m = f.matched(&person, "Majeurs protégés").await;
    assert_eq!(m["result"], "eligible");
    assert_eq!(m["criteria"][0]["actual"], "curatelle");
    f.set(&person, None, None, Some("sauvegarde_de_justice"))
        .await;
    assert_eq!(
        f.matched(&person, "Majeurs protégés").await["result"],
        "not_eligible"
    );
}

#[tokio::test]
async fn bad_new_criteria_are_pointed_at() {
    let f = Fixture::new().await;
    let admin = f.app.token("admin", "adele");
    let scheme = |criteria: Value| json!({"name": "Essai", "domain": "health", "provider": "MDPH", "criteria": criteria});
    let cases = [
        (
            json!([{"kind": "disability_rate_min"}]),
            vec![pair("/criteria/0/min_percent", "required")],
        ),
        (
            json!([{"kind": "age", "min": 20}, {"kind": "disability_rate_min", "min_percent": 0}]),
            vec![pair("/criteria/1/min_percent", "out_of_range")],
        ),
        (
            json!([{"kind": "disability_rate_min", "min_percent": 120}]),
            vec![pair("/criteria/0/min_percent", "out_of_range")],
        ),
        (
            json!([{"kind": "disability_recognised", "min_percent": 50}]),
            vec![pair("/criteria/0/min_percent", "unknown_field")],
        ),
        (
            json!([{"kind": "debt_kinds", "any_of": ["rent", "energy", "energy"]}]),
            vec![
                pair("/criteria/0/any_of/0", "unknown_code"),
                pair("/criteria/0/any_of/2", "duplicate"),
            ],
        ),
        (
            json!([{"kind": "debt_kinds", "any_of": []}]),
            vec![pair("/criteria/0/any_of", "length")],
        ),
        (
            json!([{"kind": "legal_protection", "any_of": ["none"]}]),
            vec![pair("/criteria/0/any_of/0", "unknown_code")],
        ),
        (
            json!([{"kind": "legal_protection"}]),
            vec![pair("/criteria/0/any_of", "required")],
        ),
    ];
    for (criteria, expected) in cases {
        let response = f
            .app
            .post("/v1/schemes", &admin, &scheme(criteria.clone()))
            .await;
        assert_eq!(response.status(), 422, "{criteria}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(field_codes(&problem), expected, "{criteria}");
    }
}
