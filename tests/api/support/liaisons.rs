//! Shared by the liaison tests (`liaisons` and its submodules): a case of the worker `alice` for a
//! person with contact details, a NIR and (unless asked otherwise) the information notice given,
//! and short ways to prepare, send and answer liaison sheets.

use std::ops::Deref;

use relais_tests::{TestApp, nir};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use uuid::Uuid;

use super::case::WorkerCase;

pub const PHONE: &str = "06 12 34 56 78";
pub const EMAIL: &str = "camille.lefevre@example.org";
pub const NIR_DIGITS: &str = "2800269123456";

/// A liaison body to a named institution.
pub fn named(content: &[&str], basis: &str) -> Value {
    json!({
        "destination": {"name": "CAF du Rhône", "contact": "Mme Durand, 04 72 00 00 00"},
        "purpose": "Ouverture des droits au RSA.",
        "content": content,
        "legal_basis": basis,
    })
}

pub struct Liaisons {
    base: WorkerCase,
}

impl Deref for Liaisons {
    type Target = WorkerCase;
    fn deref(&self) -> &WorkerCase {
        &self.base
    }
}

impl Liaisons {
    /// A case for an informed person.
    pub async fn new() -> Liaisons {
        Self::with(true).await
    }

    /// A case for a person who was (or was not) informed.
    pub async fn with(informed: bool) -> Liaisons {
        let app = TestApp::spawn().await;
        let alice = app.token("worker", "alice");
        let mut person = json!({
            "first_name": "Camille",
            "last_name": "Lefèvre",
            "birth_date": "1980-02-03",
            "phone": PHONE,
            "email": EMAIL,
            "nir": nir(NIR_DIGITS),
        });
        if informed {
            person["informed"] =
                json!({"at": "2026-01-05", "channel": "in_person", "notice_version": "2026-01"});
        }
        let person = app.create_person(&alice, person).await;
        let person_id = person["id"].as_str().unwrap().to_owned();
        Liaisons {
            base: WorkerCase::of_person(app, alice, person_id).await,
        }
    }

    pub fn path(&self) -> String {
        format!("/v1/cases/{}/liaisons", self.case_id)
    }

    pub fn liaison(&self, id: &str) -> String {
        format!("{}/{id}", self.path())
    }

    pub async fn create_as(&self, token: &str, body: &Value) -> Response {
        self.app.post(&self.path(), token, body).await
    }

    pub async fn create(&self, body: &Value) -> Response {
        self.create_as(&self.alice, body).await
    }

    /// A draft; its JSON.
    pub async fn draft(&self, body: &Value) -> Value {
        let response = self.create(body).await;
        assert_eq!(response.status(), 201, "preparing a liaison");
        response.json().await.unwrap()
    }

    pub async fn send_as(&self, token: &str, id: &str, if_match: Option<&str>) -> Response {
        let mut request =
            self.app
                .request(Method::POST, &format!("{}/send", self.liaison(id)), token);
        if let Some(tag) = if_match {
            request = request.header("If-Match", tag);
        }
        request.send().await.unwrap()
    }

    pub async fn send(&self, liaison: &Value) -> Response {
        let tag = format!("\"{}\"", liaison["version"]);
        self.send_as(&self.alice, liaison["id"].as_str().unwrap(), Some(&tag))
            .await
    }

    pub async fn answer(&self, liaison: &Value, status: &str) -> Response {
        self.app
            .request(
                Method::POST,
                &format!("{}/status", self.liaison(liaison["id"].as_str().unwrap())),
                &self.alice,
            )
            .header("If-Match", format!("\"{}\"", liaison["version"]))
            .json(&json!({"status": status}))
            .send()
            .await
            .unwrap()
    }

    /// Records a consent of the person; its id.
    pub async fn consent(&self, scope: &str) -> String {
        let response = self
            .app
            .post(
                &format!("/v1/persons/{}/consents", self.person_id),
                &self.alice,
                &json!({"scope": scope, "channel": "signed_paper", "given_at": "2026-03-01"}),
            )
            .await;
        assert_eq!(response.status(), 201, "recording a consent");
        let consent: Value = response.json().await.unwrap();
        consent["id"].as_str().unwrap().to_owned()
    }

    pub async fn withdraw(&self, consent_id: &str) {
        let response = self
            .app
            .post(
                &format!(
                    "/v1/persons/{}/consents/{consent_id}/withdrawal",
                    self.person_id
                ),
                &self.alice,
                &json!({"channel": "phone"}),
            )
            .await;
        assert_eq!(response.status(), 200, "withdrawing a consent");
    }

    /// A partner of `org_id` written straight into the table (no credentials in use): its id.
    pub async fn partner_row(&self, org_id: Uuid, name: &str, enabled: bool) -> String {
        let creator = self.app.agent_id(&self.alice).await;
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO partners (id, org_id, name, enabled, client_id, client_secret_sha256, \
             webhook_secret_salt, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(org_id)
        .bind(name)
        .bind(enabled)
        .bind(format!("rp_{}", id.simple()))
        .bind(vec![0u8; 32])
        .bind(vec![0u8; 16])
        .bind(creator)
        .execute(&self.app.sql)
        .await
        .unwrap();
        id.to_string()
    }

    /// The (action, resource type) audit events about the person.
    pub async fn audit(&self) -> Vec<(String, String)> {
        self.app.audit_actions(&self.person_id).await
    }

    /// How many audit events about the person are `action` on `resource`.
    pub async fn audited(&self, action: &str, resource: &str) -> usize {
        self.audit()
            .await
            .into_iter()
            .filter(|(a, r)| a == action && r == resource)
            .count()
    }
}
