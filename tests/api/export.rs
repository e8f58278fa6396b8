//! `GET /v1/persons/{id}/export`: the right of access. The dpo gets everything held on the
//! person — identity with the NIR in clear, consents, every case with its timeline,
//! assessment, plan, proposals, contacts (private notes included) and liaisons, and who
//! accessed the data — as an audited, uncached attachment.

mod readable;
mod situation;

use chrono::{Days, Utc};
use relais_tests::{TestApp, nir, problem};
use reqwest::{Method, Response};
use serde_json::{Value, json};

const NIR_DIGITS: &str = "2800269123456";
const NOTE: &str = "Semble épuisée ; évoquer une aide à domicile.";

struct Fixture {
    app: TestApp,
    alice: String,
    dpo: String,
    person_id: String,
    case_id: String,
}

impl Fixture {
    fn export_path(&self) -> String {
        format!("/v1/persons/{}/export", self.person_id)
    }

    fn case_path(&self, rest: &str) -> String {
        format!("/v1/cases/{}{rest}", self.case_id)
    }

    async fn export_as(&self, token: &str) -> Response {
        self.app.get(&self.export_path(), token).await
    }

    /// The export by the dpo, expected 200.
    async fn export(&self) -> Value {
        let response = self.export_as(&self.dpo).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    async fn created(&self, path: &str, body: Value) -> Value {
        let response = self.app.post(path, &self.alice, &body).await;
        assert_eq!(response.status(), 201, "POST {path} {body}");
        response.json().await.unwrap()
    }

    /// A request with `If-Match: *` as alice, expected 200.
    async fn put_or_post_any(&self, method: Method, path: &str, body: Value) {
        let response = self
            .app
            .request(method, path, &self.alice)
            .header("If-Match", "*")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path} {body}");
    }
}

/// A person (with a NIR) whose case of alice has an assessment, a plan item, an accepted
/// proposal with an observation, a contact with alice's private note, a consent and a liaison.
async fn fixture() -> Fixture {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let dpo = app.token("dpo", "diane");
    let person = app
        .create_person(
            &alice,
            json!({"first_name": "Camille", "last_name": "Lefèvre", "birth_date": "1980-02-03",
                   "nir": nir(NIR_DIGITS),
                   "informed": {"at": "2026-01-05", "channel": "in_person", "notice_version": "2026-01"}}),
        )
        .await;
    let person_id = person["id"].as_str().unwrap().to_owned();
    let case = app.open_case_for(&alice, &person_id).await;
    let f = Fixture {
        case_id: case["id"].as_str().unwrap().to_owned(),
        app,
        alice,
        dpo,
        person_id,
    };
    f.put_or_post_any(
        Method::POST,
        &f.case_path("/transitions"),
        json!({"to": "assessment"}),
    )
    .await;
    f.put_or_post_any(
        Method::PUT,
        &f.case_path("/assessment"),
        json!({"domains": [{"domain": "housing", "situation": "Impayés de loyer depuis trois mois.",
                            "needs_action": "yes", "priority": "high"}]}),
    )
    .await;
    let due_on = (Utc::now().date_naive() + Days::new(30)).to_string();
    f.created(
        &f.case_path("/plan/items"),
        json!({"party": "worker", "category": "orientation", "domain": "housing",
               "title": "Demander le FSL", "due_on": due_on}),
    )
    .await;
    f.created(&f.case_path("/plan/proposals"), json!({})).await;
    let response = f
        .app
        .post(
            &f.case_path("/plan/proposals/1/decision"),
            &f.alice,
            &json!({"outcome": "accepted", "channel": "in_person", "notes": "D'accord sur tout."}),
        )
        .await;
    assert_eq!(response.status(), 200);
    f.created(
        &f.case_path("/plan/proposals/1/observations"),
        json!({"text": "Je n'avais pas compris le délai.", "channel": "post"}),
    )
    .await;
    let at = (Utc::now() - chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    f.created(
        &f.case_path("/contacts"),
        json!({"kind": "interview", "occurred_at": at, "summary": "Point logement",
               "private_note": NOTE}),
    )
    .await;
    f.created(
        &format!("/v1/persons/{}/consents", f.person_id),
        json!({"scope": "share_with_named_institution", "channel": "signed_paper",
               "given_at": "2026-03-01"}),
    )
    .await;
    f.created(
        &f.case_path("/liaisons"),
        json!({"destination": {"name": "CAF du Rhône", "contact": "Mme Durand, 04 72 00 00 00"},
               "purpose": "Ouverture des droits au RSA.", "content": ["identity"],
               "legal_basis": "shared_secrecy"}),
    )
    .await;
    f
}

fn only(list: &Value) -> &Value {
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    &items[0]
}

#[tokio::test]
async fn the_dpo_exports_everything_held_on_the_person() {
    let f = fixture().await;
    let response = f.export_as(&f.dpo).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-disposition"],
        format!(
            "attachment; filename=\"relais-export-{}.json\"",
            f.person_id
        )
        .as_str()
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    let export: Value = response.json().await.unwrap();
    relais_tests::assert_conforms("PersonExport", &export);

    assert_eq!(export["person"]["id"], f.person_id.as_str());
    assert_eq!(export["person"]["last_name"], "Lefèvre");
    assert_eq!(export["person"]["nir"], nir(NIR_DIGITS).as_str());
    assert_eq!(export["person"]["nir_revealed"], true);
    assert_eq!(
        only(&export["consents"])["scope"],
        "share_with_named_institution"
    );

    let case = only(&export["cases"]);
    assert_eq!(case["id"], f.case_id.as_str());
    assert_eq!(case["reason"], "Impayés de loyer depuis trois mois");
    assert!(!case["timeline"].as_array().unwrap().is_empty());
    let domain = only(&case["assessment"]);
    assert_eq!(domain["domain"], "housing");
    assert_eq!(domain["situation"], "Impayés de loyer depuis trois mois.");
    assert_eq!(only(&case["plan_items"])["title"], "Demander le FSL");
    let proposal = only(&case["proposals"]);
    assert_eq!(proposal["number"], 1);
    assert_eq!(proposal["outcome"], "accepted");
    assert_eq!(proposal["notes"], "D'accord sur tout.");
    assert_eq!(proposal["items"][0]["title"], "Demander le FSL");
    assert_eq!(
        only(&proposal["observations"])["text"],
        "Je n'avais pas compris le délai."
    );
    let contact = only(&case["contacts"]);
    assert_eq!(contact["summary"], "Point logement");
    assert_eq!(
        contact["private_note"],
        Value::Null,
        "the workers' private notes only when the DPO asks"
    );
    let with_notes = f
        .app
        .get(
            &format!("{}?include_private_notes=true", f.export_path()),
            &f.dpo,
        )
        .await;
    assert_eq!(with_notes.status(), 200);
    let with_notes: Value = with_notes.json().await.unwrap();
    assert_eq!(
        only(&only(&with_notes["cases"])["contacts"])["private_note"],
        NOTE
    );
    let bad = f
        .app
        .get(
            &format!("{}?include_private_notes=maybe", f.export_path()),
            &f.dpo,
        )
        .await;
    assert_eq!(bad.status(), 400);
    let liaison = only(&case["liaisons"]);
    assert_eq!(liaison["destination_name"], "CAF du Rhône");
    assert_eq!(liaison["content"], json!(["identity"]));
    assert!(!export["audit_events"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_export_is_audited_with_the_reveal_of_the_nir() {
    let f = fixture().await;
    let before = f.app.audit_actions(&f.person_id).await.len();
    f.export().await;
    let after = f.app.audit_actions(&f.person_id).await;
    assert_eq!(
        after[before..],
        [
            ("export".to_owned(), "person.export".to_owned()),
            ("reveal".to_owned(), "person.nir".to_owned()),
        ]
    );
    let subject: String = sqlx::query_scalar(
        "SELECT actor_subject FROM audit_events WHERE person_id = $1::uuid AND action = 'export'",
    )
    .bind(&f.person_id)
    .fetch_one(&f.app.sql)
    .await
    .unwrap();
    assert_eq!(subject, "diane");
}

#[tokio::test]
async fn the_audit_events_tell_who_accessed_the_data_earlier() {
    let f = fixture().await;
    let bob = f.app.token("supervisor", "bob");
    let response = f
        .app
        .get(&format!("/v1/persons/{}", f.person_id), &bob)
        .await;
    assert_eq!(response.status(), 200);
    f.export().await;
    let export = f.export().await;
    let events = export["audit_events"].as_array().unwrap();
    let has = |subject: &str, action: &str, resource: &str| {
        events.iter().any(|e| {
            e["actor_subject"] == subject && e["action"] == action && e["resource_type"] == resource
        })
    };
    assert!(has("bob", "read", "person"), "{events:?}");
    assert!(has("alice", "create", "person"));
    assert!(has("diane", "export", "person.export"), "the first export");
}

#[tokio::test]
async fn an_archived_cases_data_is_included() {
    let f = fixture().await;
    sqlx::query("UPDATE cases SET status = 'archived' WHERE id = $1::uuid")
        .bind(&f.case_id)
        .execute(&f.app.sql)
        .await
        .unwrap();
    let export = f.export().await;
    let case = only(&export["cases"]);
    assert_eq!(case["status"], "archived");
    assert_eq!(only(&case["contacts"])["summary"], "Point logement");
}

#[tokio::test]
async fn a_person_without_case_or_nir_exports_an_empty_file_and_no_reveal() {
    let app = TestApp::spawn().await;
    let alice = app.token("worker", "alice");
    let person = app
        .create_person(&alice, json!({"first_name": "Jean", "last_name": "Seul"}))
        .await;
    let id = person["id"].as_str().unwrap();
    let response = app
        .get(
            &format!("/v1/persons/{id}/export"),
            &app.token("dpo", "diane"),
        )
        .await;
    assert_eq!(response.status(), 200);
    let export: Value = response.json().await.unwrap();
    assert_eq!(export["person"]["nir"], Value::Null);
    assert_eq!(export["cases"], json!([]));
    assert_eq!(export["consents"], json!([]));
    let actions = app.audit_actions(id).await;
    assert!(actions.contains(&("export".to_owned(), "person.export".to_owned())));
    assert!(!actions.iter().any(|(a, _)| a == "reveal"));
}

#[tokio::test]
async fn another_organisations_dpo_and_an_unknown_person_get_404() {
    let f = fixture().await;
    let other = f.app.token_for("other", &["dpo"], "olga");
    let response = f.export_as(&other).await;
    assert_eq!(response.status(), 404);
    problem(response).await;
    let unknown = "/v1/persons/00000000-0000-4000-8000-000000000001/export";
    assert_eq!(f.app.get(unknown, &f.dpo).await.status(), 404);
    let bad = f.app.get("/v1/persons/not-an-id/export", &f.dpo).await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn only_the_dpo_may_export() {
    let f = fixture().await;
    for role in ["worker", "supervisor", "reception", "admin"] {
        let token = f.app.token(role, "someone");
        let response = f.export_as(&token).await;
        assert_eq!(response.status(), 403, "{role}");
        problem(response).await;
    }
    let before = f.app.audit_actions(&f.person_id).await;
    assert!(!before.iter().any(|(a, _)| a == "export"));
    let response = f
        .app
        .request(Method::GET, &f.export_path(), "")
        .send()
        .await;
    assert_eq!(response.unwrap().status(), 401);
}

#[tokio::test]
async fn the_export_of_a_person_met_through_a_referral_holds_the_referral_as_posted() {
    let r = crate::support::referrals::Referrals::new().await;
    let posted = r.posted(&crate::support::referrals::referral()).await;
    let decided = r.decided(&posted, &json!({"outcome": "accepted"})).await;
    let person_id = decided["person_id"].as_str().unwrap();
    let dpo = r.app.token("dpo", "diane");
    let response = r
        .app
        .get(&format!("/v1/persons/{person_id}/export"), &dpo)
        .await;
    assert_eq!(response.status(), 200);
    let export: Value = response.json().await.unwrap();
    relais_tests::assert_conforms("PersonExport", &export);
    let referral = only(&export["referrals"]);
    assert_eq!(referral["id"], posted["id"]);
    assert_eq!(referral["status"], "accepted");
    assert_eq!(referral["domains"], json!(["housing", "finances"]));
    assert_eq!(referral["case_id"], decided["case_id"]);
}
