//! Shared by the application tests (`applications` and its submodules, `export::situation`): a case
//! of the worker `alice`, schemes created by an administrator through `/v1/schemes`, and short ways
//! to create applications, move them, change their checklist and upload a file to link.

use std::ops::Deref;

use reqwest::{Method, Response};
use serde_json::{Value, json};

use super::case::WorkerCase;

pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n";

/// The FSL scheme: two documents the person brings, one the worker obtains from the employer.
pub fn fsl() -> Value {
    json!({
        "name": "Fonds de solidarité logement (FSL) — maintien",
        "domain": "housing",
        "provider": "Conseil départemental",
        "required_documents": [
            {"code": "identity_document", "label": "Pièce d'identité", "provider": "person"},
            {"code": "rent_receipts", "label": "Trois dernières quittances de loyer", "provider": "person"},
            {"code": "employer_certificate", "label": "Attestation de l'employeur", "provider": "worker"}
        ]
    })
}

pub struct Apps {
    base: WorkerCase,
}

impl Deref for Apps {
    type Target = WorkerCase;
    fn deref(&self) -> &WorkerCase {
        &self.base
    }
}

impl Apps {
    /// A case opened by `alice` (a worker, so on its team).
    pub async fn new() -> Apps {
        Apps {
            base: WorkerCase::new().await,
        }
    }

    /// A scheme of `org` created by its administrator; its id.
    pub async fn scheme_in(&self, org: &str, body: &Value) -> String {
        let admin = self.app.token_for(org, &["admin"], "catalogue-admin");
        let response = self.app.post("/v1/schemes", &admin, body).await;
        assert_eq!(response.status(), 201, "creating a scheme");
        let scheme: Value = response.json().await.unwrap();
        scheme["id"].as_str().unwrap().to_owned()
    }

    /// The FSL scheme in `acme`.
    pub async fn fsl(&self) -> String {
        self.scheme_in("acme", &fsl()).await
    }

    pub fn path(&self) -> String {
        format!("/v1/cases/{}/applications", self.case_id)
    }

    pub fn of(&self, application: &Value) -> String {
        format!("{}/{}", self.path(), application["id"].as_str().unwrap())
    }

    /// Puts a funding plan on `application`: a need of 1,500 € and the FSL asked for 800 €.
    pub async fn fund(&self, application: &Value) {
        let response = self
            .app
            .put(
                &format!("{}/funding-plan", self.of(application)),
                &self.alice,
                Some("*"),
                &json!({"need_cents": 150000, "funders": [
                    {"name": "Fonds de solidarité logement", "requested_cents": 80000,
                     "status": "requested"}
                ]}),
            )
            .await;
        assert_eq!(response.status(), 200, "putting the funding plan");
    }

    pub async fn create_as(&self, token: &str, body: &Value) -> Response {
        self.app.post(&self.path(), token, body).await
    }

    /// An application of the case to `scheme_id`; its JSON.
    pub async fn apply(&self, scheme_id: &str, propose: bool) -> Value {
        let response = self
            .create_as(
                &self.alice,
                &json!({"scheme_id": scheme_id, "propose_plan_items": propose}),
            )
            .await;
        assert_eq!(response.status(), 201, "creating an application");
        response.json().await.unwrap()
    }

    /// An application of the case to the FSL scheme (without proposed plan items); its JSON.
    pub async fn fsl_application(&self) -> Value {
        let scheme = self.fsl().await;
        self.apply(&scheme, false).await
    }

    /// Changes the application at `version`.
    pub async fn patch(&self, application: &Value, version: i64, body: &Value) -> Response {
        self.app
            .patch(&self.of(application), &self.alice, version, body)
            .await
    }

    /// An FSL application with its supporting documents received, reviewed and submitted
    /// today; its JSON, ready for a decision.
    pub async fn submitted_fsl(&self) -> Value {
        let created = self.fsl_application().await;
        for code in ["identity_document", "rent_receipts", "employer_certificate"] {
            self.mark(&created, code, "received").await;
        }
        let complete = self.read(&created).await;
        let reviewed = self.moved(&complete, &json!({"to": "under_review"})).await;
        self.moved(
            &reviewed,
            &json!({"to": "submitted", "submitted_on": relais_tests::today(),
                    "submitted_to": "Commission FSL"}),
        )
        .await
    }

    /// The application as it is now.
    pub async fn read(&self, application: &Value) -> Value {
        let response = self.app.get(&self.of(application), &self.alice).await;
        assert_eq!(response.status(), 200, "reading an application");
        response.json().await.unwrap()
    }

    /// A transition with the application's current version as `If-Match`.
    pub async fn transition(&self, application: &Value, body: &Value) -> Response {
        self.transition_as(&self.alice, application, body).await
    }

    pub async fn transition_as(&self, token: &str, application: &Value, body: &Value) -> Response {
        self.app
            .request(
                Method::POST,
                &format!("{}/transitions", self.of(application)),
                token,
            )
            .header("If-Match", format!("\"{}\"", application["version"]))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// A transition that must succeed; the application after it.
    pub async fn moved(&self, application: &Value, body: &Value) -> Value {
        let response = self.transition(application, body).await;
        assert_eq!(response.status(), 200, "transition {body}");
        response.json().await.unwrap()
    }

    /// The checklist line of `code` in `application`.
    pub fn line(application: &Value, code: &str) -> Value {
        application["documents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["code"] == code)
            .cloned()
            .unwrap_or_else(|| panic!("no line {code} in {application}"))
    }

    pub fn line_path(&self, application: &Value, line: &Value) -> String {
        format!(
            "{}/documents/{}",
            self.of(application),
            line["id"].as_str().unwrap()
        )
    }

    /// Changes a checklist line at its version.
    pub async fn patch_line(&self, application: &Value, line: &Value, body: &Value) -> Response {
        let version = line["version"].as_i64().unwrap();
        self.app
            .patch(
                &self.line_path(application, line),
                &self.alice,
                version,
                body,
            )
            .await
    }

    /// Sets the status of the line `code`; the change's JSON.
    pub async fn mark(&self, application: &Value, code: &str, status: &str) -> Value {
        let current = self.read(application).await;
        let line = Self::line(&current, code);
        let response = self
            .patch_line(application, &line, &json!({"status": status}))
            .await;
        assert_eq!(response.status(), 200, "marking {code} {status}");
        response.json().await.unwrap()
    }

    /// Uploads a PDF to the case through `POST /v1/cases/{id}/documents`; its id.
    pub async fn upload(&self, case_id: &str) -> String {
        let boundary = "relais-applications";
        let mut body = Vec::new();
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; \
                 filename=\"quittances.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(PDF);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let response = self
            .app
            .request(
                Method::POST,
                &format!("/v1/cases/{case_id}/documents"),
                &self.alice,
            )
            .header(
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "uploading a document");
        let document: Value = response.json().await.unwrap();
        document["id"].as_str().unwrap().to_owned()
    }

    /// Puts the case in `status` directly in the table (closed, archived…).
    pub async fn force_case_status(&self, status: &str) {
        sqlx::query("UPDATE cases SET status = $1 WHERE id = $2::uuid")
            .bind(status)
            .bind(&self.case_id)
            .execute(&self.app.sql)
            .await
            .unwrap();
    }

    /// The (action, resource type) audit events of the person.
    pub async fn audit(&self) -> Vec<(String, String)> {
        self.app.audit_actions(&self.person_id).await
    }

    /// The kinds of the case's timeline events.
    pub async fn timeline_kinds(&self) -> Vec<String> {
        sqlx::query_scalar("SELECT kind FROM case_events WHERE case_id = $1::uuid ORDER BY id")
            .bind(&self.case_id)
            .fetch_all(&self.app.sql)
            .await
            .unwrap()
    }
}
