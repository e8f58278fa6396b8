//! A case matched against the scheme catalogue over HTTP: each active scheme is eligible,
//! to_check (naming the missing data) or not_eligible, with each criterion's values compared,
//! from the person's age and postcode and the household and budget recorded through their
//! endpoints; inactive schemes are left out; only the case's readers may ask, and every read is
//! audited under the person.

use relais_tests::TestApp;
use serde_json::{Value, json};

/// A worker with a case for a person born on 1980-02-03 living in Lyon (69003), and a
/// catalogue of four active schemes and an inactive one.
struct Fixture {
    app: TestApp,
    worker: String,
    case_id: String,
    person_id: String,
}

fn catalogue() -> Value {
    json!({"schemes": [
        {"name": "Minimum social", "domain": "finances", "provider": "Département",
         "criteria": [
            {"kind": "age", "min": 25, "max": null},
            {"kind": "resources_ceiling", "basis": "total",
             "max_cents_by_household_size": [64652, 96978], "additional_member_cents": 25861},
            {"kind": "postcode_prefix", "prefixes": ["69", "01"]}
         ]},
        {"name": "Aide aux seniors", "domain": "old_age", "provider": "Département",
         "criteria": [{"kind": "age", "min": 60, "max": null}]},
        {"name": "Aide au loyer", "domain": "housing", "provider": "CAF",
         "criteria": [{"kind": "housing", "any_of": ["tenant"]}], "notes": "Simuler sur caf.fr"},
        {"name": "Aide aux familles", "domain": "family", "provider": "CCAS",
         "criteria": [
            {"kind": "household", "min_dependent_children": 1},
            {"kind": "resources_ceiling", "basis": "quotient_familial", "max_cents": 40000}
         ]},
        {"name": "Ancienne aide", "domain": "other", "provider": "CCAS", "active": false,
         "criteria": []}
    ]})
}

impl Fixture {
    async fn new() -> Self {
        let app = TestApp::spawn().await;
        let admin = app.token("admin", "adele");
        let imported = app.post("/v1/schemes/import", &admin, &catalogue()).await;
        assert_eq!(imported.status(), 200);
        let worker = app.token("worker", "wanda");
        let body = json!({
            "person": {"first_name": "Camille", "last_name": "Lefèvre", "birth_date": "1980-02-03",
                       "address": {"line1": "3 rue Garibaldi", "postcode": "69003", "city": "Lyon",
                                   "country": "FR"}},
            "reason": "Difficultés pour payer le loyer",
            "origin": "self"
        });
        let response = app.post("/v1/cases", &worker, &body).await;
        assert_eq!(response.status(), 201);
        let case: Value = response.json().await.unwrap();
        Self {
            case_id: case["id"].as_str().unwrap().to_owned(),
            person_id: case["person_id"].as_str().unwrap().to_owned(),
            app,
            worker,
        }
    }

    fn path(&self) -> String {
        format!("/v1/cases/{}/scheme-matches", self.case_id)
    }

    async fn matches(&self, query: &str) -> Value {
        let response = self
            .app
            .get(&format!("{}{query}", self.path()), &self.worker)
            .await;
        assert_eq!(response.status(), 200);
        let matches: Value = response.json().await.unwrap();
        // What each criterion expected and compared is what the document says.
        relais_tests::assert_conforms("SchemeMatches", &matches);
        matches
    }

    /// Records the household or the budget (first write: If-Match "0").
    async fn put(&self, what: &str, body: Value) {
        let path = format!("/v1/persons/{}/{what}", self.person_id);
        let response = self
            .app
            .put(&path, &self.worker, Some("\"0\""), &body)
            .await;
        assert_eq!(response.status(), 200, "PUT {what}");
    }
}

/// The match of the scheme named `name`.
fn scheme<'a>(matches: &'a Value, name: &str) -> &'a Value {
    matches["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("{name} missing from {matches}"))
}

fn results(m: &Value) -> Vec<&str> {
    m["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["result"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn without_household_or_budget_the_missing_data_are_named() {
    let f = Fixture::new().await;
    let matches = f.matches("").await;
    assert_eq!(matches["case_id"], f.case_id.as_str());
    let names: Vec<&str> = matches["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Aide au loyer",
            "Aide aux familles",
            "Aide aux seniors",
            "Minimum social"
        ],
        "active schemes by name; the inactive one is left out"
    );

    let social = scheme(&matches, "Minimum social");
    assert_eq!(social["result"], "to_check");
    assert_eq!(social["missing"], json!(["household", "budget"]));
    assert_eq!(results(social), ["met", "unknown", "met"]);
    let age = &social["criteria"][0];
    assert_eq!(
        age["criterion"],
        json!({"kind": "age", "min": 25, "max": null})
    );
    assert_eq!(age["expected"], json!({"min": 25, "max": null}));
    assert!(age["actual"].as_u64().unwrap() >= 46);
    assert_eq!(social["criteria"][2]["actual"], "69003");
    assert_eq!(social["criteria"][1]["actual"], Value::Null);

    let seniors = scheme(&matches, "Aide aux seniors");
    assert_eq!(seniors["result"], "not_eligible");
    assert_eq!(seniors["missing"], json!([]));
    let rent = scheme(&matches, "Aide au loyer");
    assert_eq!(rent["result"], "to_check");
    assert_eq!(rent["missing"], json!(["housing_status"]));
    assert_eq!(rent["notes"], "Simuler sur caf.fr");
}

#[tokio::test]
async fn a_known_situation_is_eligible_or_not_with_the_values_compared() {
    let f = Fixture::new().await;
    // A single parent with one dependent child: 2 persons, 1.3 units, 2.5 CAF parts.
    f.put(
        "household",
        json!({"housing": "tenant", "employment": "job_seeker", "members": [
            {"relationship": "child", "birth_date": "2015-06-01", "dependent": true}
        ]}),
    )
    .await;
    f.put(
        "budget",
        json!({"resources": [
            {"kind": "rsa", "amount_cents": 60000},
            {"kind": "family_allowances", "amount_cents": 30000}
        ], "charges": [{"kind": "rent", "amount_cents": 45000}]}),
    )
    .await;
    let matches = f.matches("").await;

    let social = scheme(&matches, "Minimum social");
    assert_eq!(social["result"], "eligible");
    assert_eq!(social["missing"], json!([]));
    let ceiling = &social["criteria"][1];
    assert_eq!(ceiling["result"], "met");
    assert_eq!(
        ceiling["expected"],
        json!({"basis": "total", "max_cents": 96978, "household_size": 2})
    );
    assert_eq!(ceiling["actual"], 90000);

    assert_eq!(scheme(&matches, "Aide au loyer")["result"], "eligible");
    // 900 € over 2.5 parts is 360 €: under the 400 € quotient.
    let families = scheme(&matches, "Aide aux familles");
    assert_eq!(families["result"], "eligible");
    assert_eq!(families["criteria"][1]["actual"], 36000);
    assert_eq!(
        families["criteria"][0]["actual"],
        json!({"members": 2, "dependent_children": 1})
    );
    assert_eq!(
        scheme(&matches, "Aide aux seniors")["result"],
        "not_eligible"
    );

    // Filtered by result.
    let eligible = f.matches("?result=eligible").await;
    assert_eq!(eligible["items"].as_array().unwrap().len(), 3);
    let not = f.matches("?result=not_eligible").await;
    assert_eq!(not["items"][0]["name"], "Aide aux seniors");
    let bad = f
        .app
        .get(&format!("{}?result=maybe", f.path()), &f.worker)
        .await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn resources_above_the_ceiling_make_the_scheme_not_eligible() {
    let f = Fixture::new().await;
    f.put("household", json!({"housing": "owner", "members": []}))
        .await;
    f.put(
        "budget",
        json!({"resources": [{"kind": "salary", "amount_cents": 64653}], "charges": []}),
    )
    .await;
    let matches = f.matches("").await;
    let social = scheme(&matches, "Minimum social");
    assert_eq!(social["result"], "not_eligible");
    assert_eq!(results(social), ["met", "unmet", "met"]);
    assert_eq!(social["criteria"][1]["expected"]["max_cents"], 64652);
    let rent = scheme(&matches, "Aide au loyer");
    assert_eq!(rent["result"], "not_eligible");
    assert_eq!(rent["criteria"][0]["actual"], "owner");
    let families = scheme(&matches, "Aide aux familles");
    assert_eq!(families["result"], "not_eligible", "no dependent child");
}

#[tokio::test]
async fn deactivating_a_scheme_takes_it_out_of_the_matches() {
    let f = Fixture::new().await;
    let admin = f.app.token("admin", "adele");
    let list: Value = f
        .app
        .get_json("/v1/schemes?active=true&domain=old_age", &admin)
        .await;
    let id = list["items"][0]["id"].as_str().unwrap();
    let patched = f
        .app
        .patch(
            &format!("/v1/schemes/{id}"),
            &admin,
            1,
            &json!({"active": false}),
        )
        .await;
    assert_eq!(patched.status(), 200);
    let matches = f.matches("").await;
    assert!(
        matches["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["name"] != "Aide aux seniors")
    );
}

#[tokio::test]
async fn only_the_case_readers_get_matches_and_each_read_is_audited() {
    let f = Fixture::new().await;
    let path = f.path();
    for role in ["reception", "admin", "dpo"] {
        let token = f.app.token(role, role);
        assert_eq!(f.app.get(&path, &token).await.status(), 403, "{role}");
    }
    let partner = f.app.partner("CAF du Rhône", None).await;
    assert_eq!(f.app.get(&path, &partner.token).await.status(), 403);
    let stranger = f.app.token("worker", "not-on-the-team");
    assert_eq!(f.app.get(&path, &stranger).await.status(), 404);
    let other = f.app.token_for("other", &["supervisor"], "x");
    assert_eq!(f.app.get(&path, &other).await.status(), 404);
    let supervisor = f.app.token("supervisor", "sam");
    assert_eq!(f.app.get(&path, &supervisor).await.status(), 200);
    f.matches("").await;

    let reads = f
        .app
        .audit_actions(&f.person_id)
        .await
        .into_iter()
        .filter(|(_, resource)| resource == "case.scheme_matches")
        .collect::<Vec<_>>();
    assert_eq!(
        reads,
        vec![("read".to_owned(), "case.scheme_matches".to_owned()); 2],
        "the supervisor's and the worker's reads"
    );
}
