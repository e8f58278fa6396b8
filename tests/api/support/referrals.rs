//! Shared by the referral tests (`referrals` and its submodules): a service with a partner of
//! `acme` that has a webhook URL, agents of each role, and short ways to post, read and decide
//! referrals.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use relais_tests::{TestApp, TestPartner};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use uuid::Uuid;

/// The partner's webhook receiver: nothing listens there, deliveries just fail.
pub const WEBHOOK_URL: &str = "http://127.0.0.1:9/hooks";
pub const NIR_DIGITS: &str = "1800269123456";

/// The first bytes of files of each kind, enough for their type to be recognised.
pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n";
pub const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, b'I', b'H', b'D', b'R', 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0,
];
pub const JPEG: &[u8] = &[
    0xff, 0xd8, 0xff, 0xe0, 0, 0x10, b'J', b'F', b'I', b'F', 0, 1,
];
/// A Windows executable (`MZ` header).
pub const EXE: &[u8] = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8\x00\x00\x00\x00\x00\x00\x00@\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x00\x00\x00PE\x00\x00";

pub fn base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

pub fn attachment(filename: &str, bytes: &[u8]) -> Value {
    json!({"filename": filename, "content_base64": base64(bytes)})
}

/// A complete referral (no NIR, no attachment).
pub fn referral() -> Value {
    json!({
        "person": {
            "first_name": "Camille",
            "last_name": "Lefèvre",
            "birth_date": "1980-02-03",
            "phone": "06 12 34 56 78",
            "address": {"line1": "3 rue des Lilas", "postcode": "69003", "city": "Lyon", "country": "fr"}
        },
        "reason": "Impayés de loyer depuis trois mois, procédure d'expulsion engagée.",
        "domains": ["housing", "finances"],
        "urgency": "priority",
        "referrer": {"name": "Mme Durand", "role": "Conseillère CAF", "email": "durand@caf.example.org"},
        "consent": {"informed_on": "2026-01-05", "channel": "in_person", "consented": true}
    })
}

pub struct Referrals {
    pub app: TestApp,
    pub partner: TestPartner,
    pub worker: String,
    pub reception: String,
    pub supervisor: String,
}

impl Referrals {
    /// A partner of `acme` with a webhook URL.
    pub async fn new() -> Referrals {
        Self::on(TestApp::spawn().await).await
    }

    /// The same on a service started with its own settings.
    pub async fn on(app: TestApp) -> Referrals {
        let partner = app.partner("CAF du Rhône", Some(WEBHOOK_URL)).await;
        Referrals {
            worker: app.token("worker", "alice"),
            reception: app.token("reception", "rita"),
            supervisor: app.token("supervisor", "sam"),
            partner,
            app,
        }
    }

    /// Posts `body` as `token` with an Idempotency-Key (a fresh one unless given).
    pub async fn post_as(&self, token: &str, body: &Value, key: Option<&str>) -> Response {
        let key = key.map_or_else(|| Uuid::now_v7().to_string(), str::to_owned);
        self.app
            .request(Method::POST, "/v1/referrals", token)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Posts `body` as the partner.
    pub async fn post(&self, body: &Value) -> Response {
        self.post_as(&self.partner.token, body, None).await
    }

    /// Posts `body` as the partner; the created referral.
    pub async fn posted(&self, body: &Value) -> Value {
        let response = self.post(body).await;
        assert_eq!(response.status(), 201, "posting a referral");
        response.json().await.unwrap()
    }

    pub async fn read(&self, token: &str, id: &str) -> Response {
        self.app.get(&format!("/v1/referrals/{id}"), token).await
    }

    /// Decides on `referral` as `token`, with the If-Match of its version.
    pub async fn decide_as(&self, token: &str, referral: &Value, body: &Value) -> Response {
        let tag = format!("\"{}\"", referral["version"]);
        self.decide_with(token, referral["id"].as_str().unwrap(), Some(&tag), body)
            .await
    }

    pub async fn decide_with(
        &self,
        token: &str,
        id: &str,
        if_match: Option<&str>,
        body: &Value,
    ) -> Response {
        let mut request =
            self.app
                .request(Method::POST, &format!("/v1/referrals/{id}/decision"), token);
        if let Some(tag) = if_match {
            request = request.header("If-Match", tag);
        }
        request.json(body).send().await.unwrap()
    }

    /// Decides as the worker and expects 200; the decided referral.
    pub async fn decided(&self, referral: &Value, body: &Value) -> Value {
        let response = self.decide_as(&self.worker, referral, body).await;
        let status = response.status();
        let answer: Value = response.json().await.unwrap();
        assert_eq!(status, 200, "deciding: {answer}");
        answer
    }

    /// The outbox messages queued for the partner: (event type, payload).
    pub async fn outbox(&self) -> Vec<(String, Value)> {
        sqlx::query_as(
            "SELECT event_type, payload FROM webhook_messages WHERE partner_id = $1::uuid \
             ORDER BY id",
        )
        .bind(&self.partner.id)
        .fetch_all(&self.app.sql)
        .await
        .unwrap()
    }

    /// Audit events of a resource: (action, resource type, person id).
    pub async fn audit_of(&self, resource_id: &str) -> Vec<(String, String, Option<Uuid>)> {
        sqlx::query_as(
            "SELECT action, resource_type, person_id FROM audit_events \
             WHERE resource_id = $1::uuid ORDER BY id",
        )
        .bind(resource_id)
        .fetch_all(&self.app.sql)
        .await
        .unwrap()
    }
}

/// Lets the referral `id` expire now, as the worker's sweep does when nobody answered it in
/// time (its expiry moved to a second after its reception).
pub async fn expire_now(app: &TestApp, id: &str) {
    sqlx::query(
        "UPDATE referrals SET expires_at = received_at + interval '1 second' WHERE id = $1::uuid",
    )
    .bind(id)
    .execute(&app.sql)
    .await
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let db = relais_store::db::Db::connect_lazy(app.db_options.clone(), &relais_tests::test_pool());
    let mut tx = db.background().await.unwrap();
    relais_store::referrals::expire_due(&mut tx, chrono::Utc::now())
        .await
        .unwrap();
    relais_store::db::commit(tx).await.unwrap();
}
