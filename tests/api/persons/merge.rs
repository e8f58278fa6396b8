//! Merging two records of the same person (`POST /v1/persons/{id}/merge`): what moves, what is
//! filled, what the history and the audit log keep, the tombstone's 404 `person_merged`, and the
//! refusals.

use relais_tests::{TestApp, assert_conforms, assert_problem, nir, pointers};
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::support::documents::{PDF, file, form};

/// The kept record's NIR (the API documentation's example).
const KEPT_NIR: &str = "269054958815780";

fn kept_person() -> Value {
    json!({
        "first_name": "Éloïse",
        "last_name": "Martin",
        "birth_date": "1969-05-12",
        "nir": KEPT_NIR,
        "phone": "0601020304",
        "address": {"line1": "3 rue des Lilas", "postcode": "75011", "city": "Paris"}
    })
}

fn duplicate_person() -> Value {
    json!({
        "first_name": "Eloise",
        "last_name": "Martin",
        "birth_name": "Durand",
        "phone": "0700000000",
        "email": "eloise.durand@example.org",
        "caf_number": "1234567",
        "address": {"line1": "8 avenue Foch", "city": "Lyon"}
    })
}

struct Merge {
    app: TestApp,
    worker: String,
    supervisor: String,
    kept: String,
    duplicate: String,
}

impl Merge {
    async fn new() -> Merge {
        Self::with(kept_person(), duplicate_person()).await
    }

    async fn with(kept: Value, duplicate: Value) -> Merge {
        let app = TestApp::spawn().await;
        let worker = app.token("worker", "alice");
        let supervisor = app.token("supervisor", "sam");
        let kept = app.create_person(&worker, kept).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let duplicate = app.create_person(&worker, duplicate).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        Merge {
            app,
            worker,
            supervisor,
            kept,
            duplicate,
        }
    }

    async fn version(&self, person: &str) -> i64 {
        self.app
            .get_json(&format!("/v1/persons/{person}"), &self.supervisor)
            .await["version"]
            .as_i64()
            .unwrap()
    }

    /// The merge of `duplicate` into `kept` as `token`, with `If-Match` when given.
    async fn post_as(
        &self,
        token: &str,
        kept: &str,
        if_match: Option<&str>,
        body: &Value,
    ) -> Response {
        let mut request =
            self.app
                .request(Method::POST, &format!("/v1/persons/{kept}/merge"), token);
        if let Some(tag) = if_match {
            request = request.header("If-Match", tag);
        }
        request.json(body).send().await.unwrap()
    }

    /// The supervisor's merge of the duplicate into the kept record, at its current version.
    async fn merge(&self) -> Response {
        let tag = format!("\"{}\"", self.version(&self.kept).await);
        self.post_as(
            &self.supervisor,
            &self.kept,
            Some(&tag),
            &json!({"duplicate_id": self.duplicate, "reason": "Même personne, saisie deux fois"}),
        )
        .await
    }

    async fn put(&self, person: &str, what: &str, body: Value) {
        let response = self
            .app
            .put(
                &format!("/v1/persons/{person}/{what}"),
                &self.worker,
                Some("*"),
                &body,
            )
            .await;
        assert_eq!(response.status(), 200, "PUT {what}");
    }

    async fn consent(&self, person: &str, scope: &str) {
        let response = self
            .app
            .post(
                &format!("/v1/persons/{person}/consents"),
                &self.worker,
                &json!({"scope": scope, "channel": "in_person", "given_at": "2026-01-05"}),
            )
            .await;
        assert_eq!(response.status(), 201, "consent");
    }

    async fn upload(&self, case_id: &str) -> String {
        let boundary = "relais-test-boundary";
        let response = self
            .app
            .request(
                Method::POST,
                &format!("/v1/cases/{case_id}/documents"),
                &self.worker,
            )
            .header(
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(form(boundary, &[file("avis.pdf", "application/pdf", PDF)]))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "upload");
        let doc: Value = response.json().await.unwrap();
        doc["id"].as_str().unwrap().to_owned()
    }
}

fn household(housing: &str, child_born: &str) -> Value {
    json!({
        "housing": housing,
        "employment": "job_seeker",
        "members": [{"relationship": "child", "birth_date": child_born, "dependent": true}]
    })
}

fn budget(rent: i64) -> Value {
    json!({
        "resources": [{"kind": "rsa", "amount_cents": 60000}],
        "charges": [{"kind": "rent", "amount_cents": rent, "label": "Loyer"}],
        "debts": [{"kind": "rent_arrears", "creditor": "Bailleur", "amount_owed_cents": rent * 3,
                   "monthly_repayment_cents": 5000}]
    })
}

fn field_changes(page: &Value) -> Vec<(String, Value, Value)> {
    page["items"]
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
        .collect()
}

#[tokio::test]
async fn both_records_with_cases_consents_documents_household_and_budget_become_one() {
    let m = Merge::new().await;
    let app = &m.app;
    let kept_case = app.open_case_for(&m.worker, &m.kept).await;
    let dup_case = app.open_case_for(&m.worker, &m.duplicate).await;
    let dup_case_id = dup_case["id"].as_str().unwrap();
    let document = m.upload(dup_case_id).await;
    m.consent(&m.kept, "data_processing").await;
    m.consent(&m.duplicate, "contact_by_sms").await;
    m.put(&m.kept, "household", household("tenant", "2015-06-01"))
        .await;
    m.put(&m.duplicate, "household", household("hosted", "2012-01-20"))
        .await;
    m.put(&m.kept, "budget", budget(70000)).await;
    m.put(&m.duplicate, "budget", budget(45000)).await;
    // A correction of the duplicate, whose history moves with it.
    let dup_version = m.version(&m.duplicate).await;
    let corrected = app
        .patch(
            &format!("/v1/persons/{}", m.duplicate),
            &m.worker,
            dup_version,
            &json!({"phone": "0711111111"}),
        )
        .await;
    assert_eq!(corrected.status(), 200);

    let response = m.merge().await;
    assert_eq!(response.status(), 200);
    let version = m.version(&m.kept).await;
    assert_eq!(
        response.headers()["etag"].to_str().unwrap(),
        format!("\"{version}\"")
    );
    let merged: Value = response.json().await.unwrap();
    assert_conforms("PersonMerge", &merged);
    assert_eq!(merged["duplicate_id"], m.duplicate.as_str());
    assert_eq!(
        merged["moved"],
        json!({"cases": 1, "consents": 1, "referrals": 0, "restrictions": 0, "history": 1})
    );
    assert_eq!(merged["household"], "recorded");
    assert_eq!(merged["budget"], "recorded");
    // Only the empty fields took the duplicate's values; the address (set) stays whole.
    assert_eq!(
        merged["filled"],
        json!(["birth_name", "caf_number", "email"])
    );
    let person = &merged["person"];
    assert_eq!(person["id"], m.kept.as_str());
    assert_eq!(person["phone"], "0601020304");
    assert_eq!(person["email"], "eloise.durand@example.org");
    assert_eq!(person["birth_name"], "Durand");
    assert_eq!(person["address"]["city"], "Paris");
    assert_eq!(person["address"]["line1"], "3 rue des Lilas");

    // Both cases, the documents in them, and both consents are the kept person's.
    let case = app
        .get_json(&format!("/v1/cases/{dup_case_id}"), &m.worker)
        .await;
    assert_eq!(case["person_id"], m.kept.as_str());
    let docs = app
        .get_json(&format!("/v1/cases/{dup_case_id}/documents"), &m.worker)
        .await;
    assert_eq!(docs["items"][0]["id"], document.as_str());
    let cases = app
        .get_json(&format!("/v1/cases?person_id={}", m.kept), &m.supervisor)
        .await;
    let mut ids: Vec<&str> = cases["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    let mut expected = vec![kept_case["id"].as_str().unwrap(), dup_case_id];
    expected.sort_unstable();
    assert_eq!(ids, expected);
    let consents = app
        .get_json(&format!("/v1/persons/{}/consents", m.kept), &m.supervisor)
        .await;
    assert_eq!(consents["items"].as_array().unwrap().len(), 2, "{consents}");

    // The kept household and budget stay as they were; the duplicate's are in the history.
    let kept_household = app
        .get_json(&format!("/v1/persons/{}/household", m.kept), &m.supervisor)
        .await;
    assert_eq!(kept_household["housing"], "tenant");
    assert_eq!(kept_household["members"].as_array().unwrap().len(), 1);
    let kept_budget = app
        .get_json(&format!("/v1/persons/{}/budget", m.kept), &m.supervisor)
        .await;
    assert_eq!(kept_budget["charges"][0]["amount_cents"], 70000);

    let history = app
        .get_json(&format!("/v1/persons/{}/history", m.kept), &m.supervisor)
        .await;
    let changes = field_changes(&history);
    let fields: Vec<&str> = changes.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(
        fields,
        [
            "merge.duplicate",
            "merge.household",
            "merge.budget",
            "birth_name",
            "caf_number",
            "email",
            // The duplicate's own correction, moved with it.
            "phone"
        ],
        "{history}"
    );
    let identity: Value = serde_json::from_str(changes[0].1.as_str().unwrap()).unwrap();
    assert_eq!(identity["id"], m.duplicate.as_str());
    assert_eq!(identity["first_name"], "Eloise");
    assert_eq!(identity["address.city"], "Lyon");
    assert_eq!(identity["phone"], "0711111111");
    assert_eq!(changes[0].2, json!(m.kept));
    let dup_household: Value = serde_json::from_str(changes[1].1.as_str().unwrap()).unwrap();
    assert_eq!(dup_household["housing"], "hosted");
    assert_eq!(dup_household["members"][0]["birth_date"], "2012-01-20");
    assert_eq!(changes[1].2, Value::Null);
    let dup_budget: Value = serde_json::from_str(changes[2].1.as_str().unwrap()).unwrap();
    assert_eq!(dup_budget["budget_lines"][0]["amount_cents"], 45000);
    assert_eq!(dup_budget["budget_debts"][0]["amount_owed_cents"], 135000);
    assert_eq!(
        changes[5],
        (
            "email".into(),
            Value::Null,
            json!("eloise.durand@example.org")
        )
    );

    // The tombstone keeps nothing personal; its rows are gone from it.
    let left: i64 = app
        .count(
            "SELECT count(*) FROM persons WHERE merged_into IS NOT NULL AND \
             (birth_name IS NOT NULL OR phone IS NOT NULL OR email IS NOT NULL \
              OR address_city IS NOT NULL OR caf_number IS NOT NULL OR search_name <> '')",
        )
        .await;
    assert_eq!(left, 0);
    let rows: i64 = app
        .count(
            "SELECT (SELECT count(*) FROM household_members m JOIN persons p ON p.id = m.person_id \
                     WHERE p.merged_into IS NOT NULL) \
                  + (SELECT count(*) FROM budget_lines l JOIN persons p ON p.id = l.person_id \
                     WHERE p.merged_into IS NOT NULL) \
                  + (SELECT count(*) FROM budget_debts d JOIN persons p ON p.id = d.person_id \
                     WHERE p.merged_into IS NOT NULL) \
                  + (SELECT count(*) FROM person_name_words w JOIN persons p ON p.id = w.person_id \
                     WHERE p.merged_into IS NOT NULL)",
        )
        .await;
    assert_eq!(rows, 0);

    // Audited on both records, with the reason.
    let audited: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT person_id::text, resource_type, reason FROM audit_events \
         WHERE action = 'merge' ORDER BY person_id",
    )
    .fetch_all(&app.sql)
    .await
    .unwrap();
    let mut expected = vec![m.kept.clone(), m.duplicate.clone()];
    expected.sort();
    assert_eq!(
        audited,
        expected
            .into_iter()
            .map(|p| (
                p,
                "person".to_owned(),
                Some("Même personne, saisie deux fois".to_owned())
            ))
            .collect::<Vec<_>>()
    );
    // The moved cases and household kept the activity ledger true.
    app.assert_activity_ledger_recounts().await;
}

#[tokio::test]
async fn the_duplicate_answers_person_merged_everywhere_and_no_search_finds_it() {
    let m = Merge::new().await;
    let app = &m.app;
    assert_eq!(m.merge().await.status(), 200);
    for rest in [
        "",
        "/history",
        "/consents",
        "/household",
        "/budget",
        "/restrictions",
    ] {
        let response = app
            .get(&format!("/v1/persons/{}{rest}", m.duplicate), &m.supervisor)
            .await;
        let problem = assert_problem(response, 404, "person_merged").await;
        assert_eq!(problem["merged_into"], m.kept.as_str(), "{rest}");
    }
    // A worker who would only have the search view learns where the record went, too.
    let bob = app.token("worker", "bob");
    let problem = assert_problem(
        app.get(&format!("/v1/persons/{}", m.duplicate), &bob).await,
        404,
        "person_merged",
    )
    .await;
    assert_eq!(problem["merged_into"], m.kept.as_str());
    let patch = app
        .patch(
            &format!("/v1/persons/{}", m.duplicate),
            &m.worker,
            1,
            &json!({"phone": "0600000000"}),
        )
        .await;
    assert_problem(patch, 404, "person_merged").await;
    let dpo = app.token("dpo", "dora");
    let export = app
        .get(&format!("/v1/persons/{}/export", m.duplicate), &dpo)
        .await;
    assert_problem(export, 404, "person_merged").await;
    // No case opens on the tombstone.
    let case = app
        .post(
            "/v1/cases",
            &m.worker,
            &json!({"person_id": m.duplicate, "reason": "Loyer", "origin": "self"}),
        )
        .await;
    assert_eq!(
        pointers(&assert_problem(case, 422, "validation_failed").await),
        ["/person_id"]
    );

    // Searches find the kept record only, by any of the names it now has.
    for query in ["q=martin", "q=durand", "", "birth_date=1969-05-12"] {
        let found = app
            .get_json(&format!("/v1/persons?{query}"), &m.supervisor)
            .await;
        let ids: Vec<&str> = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [m.kept.as_str()], "{query}");
    }
}

#[tokio::test]
async fn a_record_without_household_budget_or_nir_takes_the_duplicates() {
    let m = Merge::with(
        json!({"first_name": "Paul", "last_name": "Bernard", "birth_date": "1975-03-04"}),
        json!({"first_name": "Paul", "last_name": "Bernard", "nir": KEPT_NIR,
               "address": {"postcode": "69003", "city": "Lyon"}}),
    )
    .await;
    let app = &m.app;
    m.put(&m.duplicate, "household", household("hosted", "2012-01-20"))
        .await;
    m.put(&m.duplicate, "budget", budget(45000)).await;
    let restriction = app
        .post(
            &format!("/v1/persons/{}/restrictions", m.duplicate),
            &m.supervisor,
            &json!({"kind": "objection", "reason": "Opposition reçue par courrier",
                    "requested_on": "2026-01-05"}),
        )
        .await;
    assert_eq!(restriction.status(), 201);

    let response = m.merge().await;
    assert_eq!(response.status(), 200);
    let merged: Value = response.json().await.unwrap();
    assert_eq!(merged["household"], "moved");
    assert_eq!(merged["budget"], "moved");
    assert_eq!(merged["moved"]["restrictions"], 1);
    assert_eq!(
        merged["filled"],
        json!(["nir", "address.postcode", "address.city"])
    );
    assert_eq!(merged["person"]["nir"], "2 69 05 ** *** *** 80");
    assert_eq!(merged["person"]["processing_restricted"], true);
    // The NIR now finds the kept record.
    let found = app
        .get_json(&format!("/v1/persons?nir={KEPT_NIR}"), &m.supervisor)
        .await;
    assert_eq!(found["items"][0]["id"], m.kept.as_str());
    assert_eq!(found["items"].as_array().unwrap().len(), 1);

    let household = app
        .get_json(&format!("/v1/persons/{}/household", m.kept), &m.supervisor)
        .await;
    assert_eq!(household["housing"], "hosted");
    assert_eq!(household["members"][0]["birth_date"], "2012-01-20");
    let budget = app
        .get_json(&format!("/v1/persons/{}/budget", m.kept), &m.supervisor)
        .await;
    assert_eq!(budget["charges"][0]["amount_cents"], 45000);
    assert_eq!(budget["charges"][0]["label"], "Loyer");
    assert_eq!(
        budget["debts"][0]["amount_owed_cents"], 135000,
        "the debts move too"
    );
    assert_eq!(budget["derived"]["total_debt_cents"], 135000);
    let history = app
        .get_json(&format!("/v1/persons/{}/history", m.kept), &m.supervisor)
        .await;
    let changes = field_changes(&history);
    assert_eq!(changes[1].0, "merge.household");
    assert_eq!(changes[1].1, Value::Null);
    assert!(changes[1].2.as_str().unwrap().contains("hosted"));
}

#[tokio::test]
async fn refusals_point_at_the_duplicate_and_change_nothing() {
    let other_nir = nir("1850775123456");
    let m = Merge::with(
        kept_person(),
        json!({"first_name": "Eloise", "last_name": "Martin", "nir": other_nir}),
    )
    .await;
    let app = &m.app;
    let tag = format!("\"{}\"", m.version(&m.kept).await);
    let body = |dup: &str| json!({"duplicate_id": dup, "reason": "Doublon"});

    // Not a supervisor.
    let worker = m
        .post_as(&m.worker, &m.kept, Some(&tag), &body(&m.duplicate))
        .await;
    assert_problem(worker, 403, "forbidden").await;
    // The same record, an unknown one, another organisation's.
    let same = m
        .post_as(&m.supervisor, &m.kept, Some(&tag), &body(&m.kept))
        .await;
    let problem = assert_problem(same, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["pointer"], "/duplicate_id");
    assert_eq!(problem["errors"][0]["code"], "same_person");
    let unknown = m
        .post_as(
            &m.supervisor,
            &m.kept,
            Some(&tag),
            &body("0192f0c1-7a3b-7c44-9d2e-5f6a7b8c9d0e"),
        )
        .await;
    let problem = assert_problem(unknown, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "unknown_reference");
    let elsewhere = app.token_for("other", &["worker"], "olga");
    let theirs = app.create_person(&elsewhere, kept_person()).await;
    let theirs = theirs["id"].as_str().unwrap();
    let foreign = m
        .post_as(&m.supervisor, &m.kept, Some(&tag), &body(theirs))
        .await;
    assert_eq!(
        pointers(&assert_problem(foreign, 422, "validation_failed").await),
        ["/duplicate_id"]
    );
    let other_sup = app.token_for("other", &["supervisor"], "oscar");
    let invisible = m
        .post_as(
            &other_sup,
            &m.kept,
            Some("*"),
            &json!({"duplicate_id": theirs, "reason": "x"}),
        )
        .await;
    assert_problem(invisible, 404, "not_found").await;
    // A blank reason, a missing or stale If-Match.
    let blank = m
        .post_as(
            &m.supervisor,
            &m.kept,
            Some(&tag),
            &json!({"duplicate_id": m.duplicate, "reason": "  "}),
        )
        .await;
    assert_eq!(
        pointers(&assert_problem(blank, 422, "validation_failed").await),
        ["/reason"]
    );
    let missing = m
        .post_as(&m.supervisor, &m.kept, None, &body(&m.duplicate))
        .await;
    assert_eq!(missing.status(), 428);
    // Two different NIRs: two persons.
    let conflict = m
        .post_as(&m.supervisor, &m.kept, Some(&tag), &body(&m.duplicate))
        .await;
    let problem = assert_problem(conflict, 409, "nir_conflict").await;
    assert_eq!(pointers(&problem), ["/duplicate_id"]);
    let stale = m
        .post_as(&m.supervisor, &m.kept, Some("\"99\""), &body(&m.duplicate))
        .await;
    assert_eq!(stale.status(), 409, "the NIRs are checked first");

    // Nothing moved, nothing was recorded.
    let merged: i64 = app
        .count("SELECT count(*) FROM persons WHERE merged_into IS NOT NULL")
        .await;
    assert_eq!(merged, 0);
    let history: i64 = app.count("SELECT count(*) FROM person_history").await;
    assert_eq!(history, 0);
    let audited: i64 = app
        .count("SELECT count(*) FROM audit_events WHERE action = 'merge'")
        .await;
    assert_eq!(audited, 0);
}

#[tokio::test]
async fn a_merged_or_anonymised_record_is_merged_no_more() {
    let m = Merge::new().await;
    let app = &m.app;
    let third = app
        .create_person(
            &m.worker,
            json!({"first_name": "Éloïse", "last_name": "Martin"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(m.merge().await.status(), 200);
    let tag = format!("\"{}\"", m.version(&m.kept).await);
    // The duplicate again: already merged.
    let again = m
        .post_as(
            &m.supervisor,
            &m.kept,
            Some(&tag),
            &json!({"duplicate_id": m.duplicate, "reason": "Doublon"}),
        )
        .await;
    let problem = assert_problem(again, 409, "already_merged").await;
    assert_eq!(pointers(&problem), ["/duplicate_id"]);
    // Into the tombstone: it answers where it went.
    let into_tombstone = m
        .post_as(
            &m.supervisor,
            &m.duplicate,
            Some("*"),
            &json!({"duplicate_id": third, "reason": "Doublon"}),
        )
        .await;
    let problem = assert_problem(into_tombstone, 404, "person_merged").await;
    assert_eq!(problem["merged_into"], m.kept.as_str());
    // An anonymised record.
    let dpo = app.token("dpo", "dora");
    let erased = app
        .post(
            &format!("/v1/persons/{third}/erasure"),
            &dpo,
            &json!({"reason": "Demande d'effacement"}),
        )
        .await;
    assert_eq!(erased.status(), 200);
    let anonymised = m
        .post_as(
            &m.supervisor,
            &m.kept,
            Some(&tag),
            &json!({"duplicate_id": third, "reason": "Doublon"}),
        )
        .await;
    assert_problem(anonymised, 409, "person_anonymised").await;
}
