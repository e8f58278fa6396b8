//! Shared by the partner registry tests (`partners` and `partners::access`): an app with an
//! administrator of `acme`, and short ways to register partners and call the registry.

use relais_server::config::Settings;
use relais_tests::{TestApp, test_settings};
use reqwest::{Method, Response};
use serde_json::{Value, json};

/// A complete registration body.
pub fn full_partner() -> Value {
    json!({
        "name": "CAF du Rhône",
        "siret": "534 083 665 00016",
        "contact": {
            "name": "Service action sociale",
            "email": "action.sociale@caf.example",
            "phone": "04 72 00 00 00"
        },
        "webhook_url": "https://integration.caf.example/relais/webhooks"
    })
}

pub struct Registry {
    pub app: TestApp,
    pub admin: String,
}

impl Registry {
    /// A server whose webhook targets may (or may not) be on loopback.
    pub async fn with_loopback(allow: bool) -> Registry {
        let mut settings: Settings = test_settings();
        settings.webhooks.allow_loopback = allow;
        let app = TestApp::spawn_with(settings).await;
        let admin = app.token("admin", "ada");
        Registry { app, admin }
    }

    pub async fn new() -> Registry {
        Self::with_loopback(true).await
    }

    pub fn path(id: &str) -> String {
        format!("/v1/partners/{id}")
    }

    /// POST /v1/partners as the administrator.
    pub async fn create(&self, body: &Value) -> Response {
        self.app.post("/v1/partners", &self.admin, body).await
    }

    /// Registers a partner and answers the creation's body.
    pub async fn register(&self, body: &Value) -> Value {
        let response = self.create(body).await;
        assert_eq!(response.status(), 201, "registering a partner");
        response.json().await.unwrap()
    }

    /// PATCH as `token` at `version`.
    pub async fn patch_as(&self, token: &str, id: &str, version: i64, body: &Value) -> Response {
        self.app.patch(&Self::path(id), token, version, body).await
    }

    /// POST …/{id}/{what} (a rotation) as `token`, with If-Match when `version` is given.
    pub async fn rotate(
        &self,
        token: &str,
        id: &str,
        what: &str,
        version: Option<i64>,
    ) -> Response {
        let mut request =
            self.app
                .request(Method::POST, &format!("{}/{what}", Self::path(id)), token);
        if let Some(version) = version {
            request = request.header("If-Match", format!("\"{version}\""));
        }
        request.send().await.unwrap()
    }

    /// The partner's audit events: (action, reason) in order.
    pub async fn audit(&self, id: &str) -> Vec<(String, Option<String>)> {
        sqlx::query_as::<_, (String, Option<String>)>(
            "SELECT action, reason FROM audit_events WHERE resource_type = 'partner' AND \
             resource_id = $1::uuid AND person_id IS NULL ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.app.sql)
        .await
        .unwrap()
    }

    /// How many rows of the whole database contain `needle`, as text or as bytes (a `bytea`
    /// column prints as hex).
    pub async fn rows_containing(&self, needle: &str) -> i64 {
        let tables: Vec<String> =
            sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'")
                .fetch_all(&self.app.sql)
                .await
                .unwrap();
        let mut found = 0;
        for table in tables {
            let sql = format!(
                "SELECT count(*) FROM \"{table}\" t WHERE strpos(t::text, $1) > 0 OR \
                 strpos(t::text, encode(convert_to($1, 'UTF8'), 'hex')) > 0"
            );
            let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(needle)
                .fetch_one(&self.app.sql)
                .await
                .unwrap();
            found += n;
        }
        found
    }
}

/// Lower-case hex of bytes, as PostgreSQL prints a `bytea`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
