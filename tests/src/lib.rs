//! Test harness: a real PostgreSQL (the embedded cluster, or `DATABASE_URL`), one fresh
//! database per test cloned from a migrated template, and the real HTTP server on a free port.
//!
//! The cluster is started once per test process, on a thread of its own so that it outlives
//! every test's runtime, and it stops by itself when the process exits. All the black-box tests
//! share that one process, so the thread also drops each test's database once the test is done,
//! rather than letting hundreds of them pile up until the end.

#![allow(clippy::unwrap_used)]

use std::str::FromStr;
use std::sync::OnceLock;

use base64::Engine;
use relais_server::config::Settings;
use relais_server::tokens::{TokenRequest, issue};
use relais_store::embedded::EmbeddedPostgres;
use relais_store::organisations::{self, Organisation};
use relais_store::{Db, PoolSettings};
use reqwest::{Method, RequestBuilder, Response};
use secrecy::SecretString;
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use uuid::Uuid;

/// The development secret every test server trusts.
pub const DEV_SECRET: &str = "test-secret-that-is-long-enough-for-hs256";
/// Issuer and audience of test tokens.
pub const ISSUER: &str = "relais-test";
pub const AUDIENCE: &str = "relais";

struct Cluster {
    admin: PgConnectOptions,
    template: String,
    /// Databases of finished tests, for the cluster's thread to drop.
    finished: tokio::sync::mpsc::UnboundedSender<String>,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();

fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let (admin, keep) = match std::env::var("DATABASE_URL") {
                    Ok(url) => (
                        PgConnectOptions::from_str(&url).expect("DATABASE_URL"),
                        None,
                    ),
                    Err(_) => {
                        let pg = EmbeddedPostgres::start_ephemeral()
                            .await
                            .expect("embedded PostgreSQL");
                        (pg.connect_options("postgres"), Some(pg))
                    }
                };
                if keep.is_none() {
                    drop_stale_databases(&admin).await;
                }
                let template = format!("relais_tpl_{}", Uuid::now_v7().simple());
                create_database(&admin, &template, None).await;
                let db = Db::connect_lazy(admin.clone().database(&template), &test_pool());
                db.migrate().await.expect("migrations");
                db.pool().close().await;
                let (finished, mut to_drop) = tokio::sync::mpsc::unbounded_channel();
                sender
                    .send(Cluster {
                        admin: admin.clone(),
                        template,
                        finished,
                    })
                    .unwrap();
                // Keep the cluster (and this runtime) alive for the whole test process; the
                // sender lives in the static, so this loop only ends with the process.
                let _keep = keep;
                while let Some(name) = to_drop.recv().await {
                    drop_database(&admin, &name).await;
                }
                std::future::pending::<()>().await;
            });
        });
        receiver.recv().expect("test cluster")
    })
}

/// On a shared server (`DATABASE_URL`), removes the databases earlier test runs left behind:
/// their names carry a UUIDv7, so those older than an hour belong to finished runs.
async fn drop_stale_databases(admin: &PgConnectOptions) {
    let mut conn = PgConnection::connect_with(admin)
        .await
        .expect("admin connection");
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE datname ~ '^relais_(t|tpl)_[0-9a-f]{32}$'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap_or_default();
    let hour_ago = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs().saturating_sub(3600))
        .unwrap_or(0);
    for name in names {
        let Some(id) = name
            .rsplit('_')
            .next()
            .and_then(|h| Uuid::parse_str(h).ok())
        else {
            continue;
        };
        let created = id
            .get_timestamp()
            .map(|t| t.to_unix().0)
            .unwrap_or(u64::MAX);
        if created < hour_ago {
            let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            let _ = sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await;
        }
    }
    conn.close().await.ok();
}

/// Drops a finished test's database; best effort: a database left over goes with the embedded
/// cluster, or with a later run's sweep on a shared server.
async fn drop_database(admin: &PgConnectOptions, name: &str) {
    let Ok(mut conn) = PgConnection::connect_with(admin).await else {
        return;
    };
    // FORCE: the test's own pools may still be closing their connections.
    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    let _ = sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await;
    conn.close().await.ok();
}

async fn create_database(admin: &PgConnectOptions, name: &str, template: Option<&str>) {
    let mut conn = PgConnection::connect_with(admin)
        .await
        .expect("admin connection");
    let sql = match template {
        Some(t) => format!("CREATE DATABASE \"{name}\" TEMPLATE \"{t}\""),
        None => format!("CREATE DATABASE \"{name}\""),
    };
    sqlx::raw_sql(AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .expect("create database");
    conn.close().await.ok();
}

/// A running service on its own database.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    /// Superuser pool on the test database, for setup and direct checks.
    pub sql: PgPool,
    /// Connection options of the test database.
    pub db_options: PgConnectOptions,
    /// The organisation most tests work in (`acme`), and another one (`other`).
    pub org: Organisation,
    pub other_org: Organisation,
    pub settings: Settings,
    /// The background worker (webhook dispatcher, expiry sweep) started with the server.
    worker: std::sync::Mutex<Option<relais_server::worker::WorkerHandle>>,
    /// The test's database in the shared cluster, dropped with this value (see `Drop`).
    database: Option<String>,
}

impl Drop for TestApp {
    /// The test is over: its database is dropped in the background, unless the test failed
    /// (kept, to look into on a shared server).
    fn drop(&mut self) {
        if let Some(name) = self.database.take()
            && !std::thread::panicking()
        {
            let _ = cluster().finished.send(name);
        }
    }
}

/// The partner-token signing key (PKCS#8 PEM) of every test server: one per test process.
pub fn test_signing_key() -> &'static str {
    static KEY: OnceLock<String> = OnceLock::new();
    KEY.get_or_init(|| relais_api::oauth::ServiceKeys::generate_pem().unwrap())
}

/// Settings of a test server.
/// The pool of a test's own connections (another replica's worker, a transaction opened as
/// the application opens one): the service's settings but for the wait for a connection, long
/// enough for a fresh connection on a machine running hundreds of tests at once (the service's
/// 2 s once failed such a test in CI; what the tests check is never that wait).
pub fn test_pool() -> PoolSettings {
    PoolSettings {
        acquire_timeout: std::time::Duration::from_secs(30),
        ..PoolSettings::default()
    }
}

pub fn test_settings() -> Settings {
    let defaults = Settings::default();
    Settings {
        listen: "127.0.0.1:0".into(),
        nir_key: Some(SecretString::from(
            base64::engine::general_purpose::STANDARD.encode([42u8; 32]),
        )),
        db_acquire_timeout_ms: 1500,
        // Two workers of two connections each, whatever the machine: tests run side by side.
        http_workers: 2,
        db_max_connections: 4,
        auth: relais_server::config::AuthConfig {
            dev_secret: Some(SecretString::from(DEV_SECRET)),
            issuer: ISSUER.into(),
            audience: AUDIENCE.into(),
            ..defaults.auth.clone()
        },
        oauth: relais_server::config::OAuthConfig {
            signing_key: Some(SecretString::from(test_signing_key())),
            ..defaults.oauth.clone()
        },
        // Webhooks go to receivers on 127.0.0.1, retried within milliseconds.
        webhooks: relais_server::config::WebhooksConfig {
            allow_loopback: true,
            retry_base: std::time::Duration::from_millis(100),
            poll_interval: std::time::Duration::from_millis(50),
            timeout: std::time::Duration::from_secs(2),
            ..defaults.webhooks.clone()
        },
        // The tests call as fast as they can with a handful of tokens: no budgets but in the
        // tests of the budgets themselves.
        rate_limit_per_minute: 0,
        token_failures_per_minute: 0,
        ..defaults
    }
}

impl TestApp {
    /// Starts a server on a fresh database with the organisations `acme` and `other`.
    /// A service that publishes every count of its statistics (`stats_min_count` 1), for tests
    /// that check the figures themselves rather than their suppression.
    pub async fn spawn_unsuppressed() -> TestApp {
        let mut settings = test_settings();
        settings.stats_min_count = 1;
        TestApp::spawn_with(settings).await
    }

    pub async fn spawn() -> TestApp {
        Self::spawn_with(test_settings()).await
    }

    /// The same with custom settings.
    pub async fn spawn_with(settings: Settings) -> TestApp {
        let cluster = cluster();
        let name = format!("relais_t_{}", Uuid::now_v7().simple());
        create_database(&cluster.admin, &name, Some(&cluster.template)).await;
        let mut app = Self::spawn_on(settings, cluster.admin.clone().database(&name)).await;
        app.database = Some(name);
        app
    }

    /// Starts a server on an existing, migrated database that the test controls (e.g. on a
    /// private cluster it stops and restarts), creating the organisations `acme` and `other`.
    pub async fn spawn_on(settings: Settings, db_options: PgConnectOptions) -> TestApp {
        let sql = PgPoolOptions::new()
            .max_connections(2)
            .connect_with(db_options.clone())
            .await
            .expect("pool");
        let mut conn = sql.acquire().await.unwrap();
        let org = organisations::create(&mut conn, "acme", "CCAS d'Acme")
            .await
            .unwrap();
        let other_org = organisations::create(&mut conn, "other", "Association Autre")
            .await
            .unwrap();
        drop(conn);
        let db = Db::connect_lazy(
            db_options.clone(),
            &PoolSettings {
                max_connections: 5,
                acquire_timeout: std::time::Duration::from_millis(settings.db_acquire_timeout_ms),
            },
        );
        Self::start(settings, db, sql, db_options, org, other_org)
    }

    fn start(
        settings: Settings,
        db: Db,
        sql: PgPool,
        db_options: PgConnectOptions,
        org: Organisation,
        other_org: Organisation,
    ) -> TestApp {
        let vault = relais_server::nir_vault(&settings).unwrap();
        let worker =
            relais_server::worker::spawn_for_role(&settings, db.clone(), vault.clone()).unwrap();
        let server = relais_server::http_server(&settings, db, vault).unwrap();
        let base = format!("http://{}", server.addr);
        tokio::spawn(server.server);
        TestApp {
            base,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            sql,
            db_options,
            org,
            other_org,
            settings,
            worker: std::sync::Mutex::new(worker),
            database: None,
        }
    }

    /// Stops the background worker started with the server (deliveries under way finish).
    pub async fn stop_worker(&self) {
        let worker = self.worker.lock().unwrap().take();
        if let Some(worker) = worker {
            worker.shutdown().await;
        }
    }

    /// Starts the background worker again after [`TestApp::stop_worker`] (a restart).
    pub fn start_worker(&self) {
        let mut worker = self.worker.lock().unwrap();
        if worker.is_none() {
            *worker = Some(self.spawn_worker());
        }
    }

    /// Another background worker on the same database, with its own pool, as another replica
    /// of the service would run; the test stops it with `shutdown`.
    pub fn spawn_worker(&self) -> relais_server::worker::WorkerHandle {
        self.spawn_worker_with(&self.settings)
    }

    /// The same with other settings (e.g. another timeout).
    pub fn spawn_worker_with(&self, settings: &Settings) -> relais_server::worker::WorkerHandle {
        let db = Db::connect_lazy(self.db_options.clone(), &test_pool());
        let vault = relais_server::nir_vault(settings).unwrap();
        relais_server::worker::spawn_worker(settings, db, vault).unwrap()
    }

    /// A token for `sub` with `role` in the `acme` organisation.
    pub fn token(&self, role: &str, sub: &str) -> String {
        self.token_for("acme", &[role], sub)
    }

    /// A token for any organisation and roles.
    pub fn token_for(&self, org: &str, roles: &[&str], sub: &str) -> String {
        sign(org, roles, sub, None)
    }

    /// A token for `sub` with `role` in `acme` that also gives the bearer's name.
    pub fn token_named(&self, role: &str, sub: &str, name: &str) -> String {
        sign("acme", &[role], sub, Some(name))
    }

    /// The full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A request with a bearer token.
    pub fn request(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
    }

    /// GET with a token.
    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, token).send().await.unwrap()
    }

    /// POST JSON with a token.
    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Response {
        self.request(Method::POST, path, token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// PATCH JSON with a token and an If-Match version.
    pub async fn patch(&self, path: &str, token: &str, version: i64, body: &Value) -> Response {
        self.request(Method::PATCH, path, token)
            .header("If-Match", format!("\"{version}\""))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// PUT JSON with a token and, when given, an `If-Match` tag (`"3"`, `*`).
    pub async fn put(
        &self,
        path: &str,
        token: &str,
        if_match: Option<&str>,
        body: &Value,
    ) -> Response {
        let mut request = self.request(Method::PUT, path, token);
        if let Some(tag) = if_match {
            request = request.header("If-Match", tag);
        }
        request.json(body).send().await.unwrap()
    }

    /// Creates a person as `token` and returns its JSON.
    pub async fn create_person(&self, token: &str, body: Value) -> Value {
        let response = self.post("/v1/persons", token, &body).await;
        assert_eq!(response.status(), 201, "creating a person");
        response.json().await.unwrap()
    }

    /// Opens a case (with an inline person) as `token` and returns its JSON. Each call creates
    /// a new namesake (`confirm_distinct`), so that a test can open several cases.
    pub async fn create_case(&self, token: &str) -> Value {
        let body = serde_json::json!({
            "person": {"first_name": "Camille", "last_name": "Lefèvre", "birth_date": "1980-02-03",
                       "confirm_distinct": true},
            "reason": "Difficultés pour payer le loyer",
            "origin": "self"
        });
        let response = self.post("/v1/cases", token, &body).await;
        assert_eq!(response.status(), 201, "opening a case");
        response.json().await.unwrap()
    }

    /// Opens a case of the person `person_id` as `token` and returns its JSON.
    pub async fn open_case_for(&self, token: &str, person_id: &str) -> Value {
        let body = serde_json::json!({
            "person_id": person_id,
            "reason": "Impayés de loyer depuis trois mois",
            "origin": "self"
        });
        let response = self.post("/v1/cases", token, &body).await;
        assert_eq!(response.status(), 201, "opening a case");
        response.json().await.unwrap()
    }

    /// Closes the case `case_id` as `token` (`goals_met`, any version), which must succeed.
    pub async fn close_case(&self, token: &str, case_id: &str) {
        let response = self
            .request(
                reqwest::Method::POST,
                &format!("/v1/cases/{case_id}/transitions"),
                token,
            )
            .header("If-Match", "*")
            .json(&serde_json::json!({"to": "closed", "closure_reason": "goals_met"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "closing the case");
    }

    /// Makes `referent_id` the referent of `case` (as read, its version in `If-Match`) as
    /// `token`, which must succeed.
    pub async fn assign_referent(&self, token: &str, case: &Value, referent_id: &str) {
        let response = self
            .patch(
                &format!("/v1/cases/{}", case["id"].as_str().unwrap_or_default()),
                token,
                case["version"].as_i64().unwrap_or_default(),
                &serde_json::json!({"referent_id": referent_id}),
            )
            .await;
        assert_eq!(response.status(), 200, "assigning the referent");
    }

    /// Asserts that the activity ledger the triggers kept (migration 33) is what a recount from
    /// the rows gives, key by key, then leaves the recount in place.
    pub async fn assert_activity_ledger_recounts(&self) {
        const LEDGER: &str = "SELECT org_id::text, referent_id::text, measure, dimension, \
             day::text, sum(n)::bigint, sum(amount)::bigint FROM activity_counts \
             GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0 OR sum(amount) <> 0 ORDER BY 1, 2, 3, 4, 5";
        type Row = (String, String, String, String, String, i64, i64);
        let kept: Vec<Row> = sqlx::query_as(LEDGER).fetch_all(&self.sql).await.unwrap();
        sqlx::query("SELECT relais_activity_rebuild()")
            .execute(&self.sql)
            .await
            .unwrap();
        let recounted: Vec<Row> = sqlx::query_as(LEDGER).fetch_all(&self.sql).await.unwrap();
        assert!(!recounted.is_empty(), "the history counts something");
        assert_eq!(
            kept, recounted,
            "the ledger kept as rows were written, then recounted"
        );
    }

    /// The agent id of a subject (provisions it through /v1/me).
    pub async fn agent_id(&self, token: &str) -> Uuid {
        let me: Value = self.get("/v1/me", token).await.json().await.unwrap();
        Uuid::parse_str(me["agent_id"].as_str().unwrap()).unwrap()
    }

    /// Registers a partner of `acme` through the admin API and gets it a token.
    pub async fn partner(&self, name: &str, webhook_url: Option<&str>) -> TestPartner {
        self.partner_of("acme", name, webhook_url).await
    }

    /// Registers a partner of organisation `org` (`acme` or `other`) and gets it a token.
    pub async fn partner_of(
        &self,
        org: &str,
        name: &str,
        webhook_url: Option<&str>,
    ) -> TestPartner {
        let admin = self.token_for(org, &["admin"], &format!("admin-of-{org}"));
        let mut body = serde_json::json!({ "name": name });
        if let Some(url) = webhook_url {
            body["webhook_url"] = Value::from(url);
        }
        let response = self.post("/v1/partners", &admin, &body).await;
        assert_eq!(response.status(), 201, "registering a partner");
        let created: Value = response.json().await.unwrap();
        let field = |name: &str| created[name].as_str().unwrap().to_owned();
        let (client_id, client_secret) = (field("client_id"), field("client_secret"));
        let token = self.partner_token(&client_id, &client_secret).await;
        TestPartner {
            id: field("id"),
            client_id,
            client_secret,
            webhook_secret: field("webhook_secret"),
            token,
        }
    }

    /// A partner token from `POST /v1/oauth/token` (client credentials in the form body).
    pub async fn partner_token(&self, client_id: &str, client_secret: &str) -> String {
        let response = self
            .client
            .post(self.url("/v1/oauth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", client_secret),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "getting a partner token");
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// GET as `token`, expecting a success: the JSON body.
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        let response = self.get(path, token).await;
        assert!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }

    /// The number a `SELECT count(*) …` (or any one-bigint query) answers, read directly.
    pub async fn count(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.sql).await.unwrap()
    }

    /// Audit events recorded for `person_id`, read directly from the table.
    pub async fn audit_actions(&self, person_id: &str) -> Vec<(String, String)> {
        sqlx::query_as::<_, (String, String)>(
            "SELECT action, resource_type FROM audit_events WHERE person_id = $1::uuid ORDER BY id",
        )
        .bind(person_id)
        .fetch_all(&self.sql)
        .await
        .unwrap()
    }
}

/// A registered partner with its credentials (shown once at registration) and a fresh token.
#[derive(Debug, Clone)]
pub struct TestPartner {
    pub id: String,
    pub client_id: String,
    pub client_secret: String,
    /// `whsec_` + base64 of the signing key.
    pub webhook_secret: String,
    pub token: String,
}

/// Sends a request built by hand and reads its JSON answer, whatever its status.
pub trait SendJson {
    fn send_json(self) -> impl std::future::Future<Output = Value>;
}

impl SendJson for RequestBuilder {
    async fn send_json(self) -> Value {
        self.send().await.unwrap().json().await.unwrap()
    }
}

/// Reads a problem document and checks its media type.
pub async fn problem(response: Response) -> Value {
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert_eq!(
        content_type, "application/problem+json",
        "errors are problem documents"
    );
    response.json().await.unwrap()
}

/// Asserts a problem document with this status and code; answers the document.
pub async fn assert_problem(response: Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status(), status, "expected {status} {code}");
    let problem = problem(response).await;
    assert_eq!(problem["code"], code, "{problem}");
    problem
}

/// Asserts a 422 with exactly one field error, at `pointer`; answers that error's code.
pub async fn invalid_at(response: Response, pointer: &str) -> String {
    assert_eq!(response.status(), 422, "expected 422 at {pointer}");
    let problem = problem(response).await;
    assert_eq!(problem["code"], "validation_failed");
    assert_eq!(pointers(&problem), [pointer], "{problem}");
    problem["errors"][0]["code"].as_str().unwrap().to_owned()
}

/// The field errors of a problem as (pointer, code) pairs.
pub fn field_codes(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["pointer"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A (pointer, code) pair, as [`field_codes`] gives them.
pub fn pair(pointer: &str, code: &str) -> (String, String) {
    (pointer.to_owned(), code.to_owned())
}

/// A response header as text, or "" when absent.
pub fn header(response: &Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Today's date (UTC), as the service dates what happens today.
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// The date `days` from today, as JSON writes it (`2030-01-15`).
pub fn in_days(days: u64) -> String {
    (today() + chrono::Days::new(days)).to_string()
}

/// The text of a PDF, as `pdftotext` extracts it (poppler-utils; CI installs it).
pub fn pdf_text(pdf: &[u8]) -> String {
    let path = std::env::temp_dir().join(format!(
        "relais-test-{}-{}.pdf",
        std::process::id(),
        Uuid::now_v7().simple()
    ));
    std::fs::write(&path, pdf).unwrap();
    let output = std::process::Command::new("pdftotext")
        .arg(&path)
        .args(["-enc", "UTF-8", "-"])
        .output()
        .unwrap_or_else(|e| panic!("pdftotext ({e}): install poppler-utils"));
    std::fs::remove_file(&path).unwrap();
    assert!(output.status.success(), "{:?}", output);
    String::from_utf8(output.stdout).unwrap()
}

/// The pointers of a problem's field errors.
pub fn pointers(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["pointer"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A valid NIR with its key, built from the first 13 characters (Corsica: 2A/2B).
pub fn nir(first13: &str) -> String {
    let numeric = first13.replace("2A", "19").replace("2B", "18");
    let n: u64 = numeric.parse().unwrap();
    format!("{first13}{:02}", 97 - n % 97)
}

/// A development token, signed as the test servers expect.
fn sign(org: &str, roles: &[&str], sub: &str, name: Option<&str>) -> String {
    let roles: Vec<String> = roles.iter().map(|r| (*r).to_owned()).collect();
    let request = TokenRequest {
        org,
        roles: &roles,
        subject: sub,
        name,
        ttl: chrono::Duration::hours(1),
    };
    issue(
        &SecretString::from(DEV_SECRET),
        ISSUER,
        AUDIENCE,
        "org",
        "roles",
        &request,
    )
    .unwrap()
}

/// Panics unless `value` is what the schema `name` of the OpenAPI document says (JSON Schema
/// 2020-12, formats checked): for answers whose shape the document promises.
pub fn assert_conforms(name: &str, value: &Value) {
    let errors = conformance_errors(name, value);
    assert!(
        errors.is_empty(),
        "not a {name} as the document says:\n{}",
        errors.join("\n")
    );
}

/// Why `value` is not a `name` as the served document says (empty when it is one).
pub fn conformance_errors(name: &str, value: &Value) -> Vec<String> {
    static COMPONENTS: OnceLock<Value> = OnceLock::new();
    let components = COMPONENTS.get_or_init(|| {
        let document = serde_json::to_value(relais_api::openapi()).expect("the document");
        document["components"].clone()
    });
    let schema = serde_json::json!({
        "$ref": format!("#/components/schemas/{name}"),
        "components": components,
    });
    let validator = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("the schema {name} does not compile: {e}"));
    validator
        .iter_errors(value)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// The images a PDF embeds, as `pdfimages -list` lists them (poppler-utils): one line each,
/// `(width, height, colour space)`, soft masks apart.
pub fn pdf_images(pdf: &[u8]) -> Vec<(u32, u32, String)> {
    let path = std::env::temp_dir().join(format!(
        "relais-test-{}-{}.pdf",
        std::process::id(),
        Uuid::now_v7().simple()
    ));
    std::fs::write(&path, pdf).unwrap();
    let output = std::process::Command::new("pdfimages")
        .arg("-list")
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("pdfimages ({e}): install poppler-utils"));
    std::fs::remove_file(&path).unwrap();
    assert!(output.status.success(), "{:?}", output);
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .skip(2)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            // page num type width height color …
            (cols.len() > 5 && cols[2] == "image").then(|| {
                (
                    cols[3].parse().unwrap(),
                    cols[4].parse().unwrap(),
                    cols[5].to_owned(),
                )
            })
        })
        .collect()
}
