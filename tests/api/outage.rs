//! Database outages: the service answers 503 quickly while PostgreSQL is down, reports it on
//! `/readyz`, and recovers by itself when PostgreSQL comes back, with its data intact.
//!
//! The test runs its own cluster in a temporary directory (not the shared test cluster), so it
//! can stop and restart it.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use relais_store::Db;
use relais_store::embedded::{EmbeddedOptions, EmbeddedPostgres};
use relais_tests::{TestApp, problem, test_settings};
use reqwest::Response;
use serde_json::{Value, json};

const DATABASE: &str = "relais_outage";
/// A request during the outage must be answered within this.
const FAST_FAILURE: Duration = Duration::from_secs(3);
/// How long the service may take to notice PostgreSQL is back.
const RECOVERY: Duration = Duration::from_secs(10);

type Slot = Arc<Mutex<Option<EmbeddedPostgres>>>;

async fn start_cluster(dir: &PathBuf) -> EmbeddedPostgres {
    EmbeddedPostgres::start(EmbeddedOptions::new(dir, "relais"))
        .await
        .expect("private PostgreSQL cluster")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_answers_503_during_a_database_outage_and_recovers_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    // When the tests run as root, PostgreSQL runs as an unprivileged user that must be able to
    // enter the directory (its own subdirectories stay private).
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let slot: Slot = Arc::new(Mutex::new(None));

    let outcome = tokio::spawn(scenario(dir.path().to_path_buf(), slot.clone())).await;

    // Whatever happened, do not leave a server running on the directory about to be deleted.
    let cluster = slot.lock().unwrap().take();
    if let Some(cluster) = cluster {
        cluster.stop().await.unwrap();
    }
    if let Err(err) = outcome {
        std::panic::resume_unwind(err.into_panic());
    }
}

async fn scenario(dir: PathBuf, slot: Slot) {
    let cluster = start_cluster(&dir).await;
    let admin = cluster.connect_options("postgres");
    let db_options = cluster.connect_options(DATABASE);
    *slot.lock().unwrap() = Some(cluster);

    relais_server::create_database_if_missing(admin, DATABASE)
        .await
        .unwrap();
    let db = Db::connect_lazy(db_options.clone(), &relais_tests::test_pool());
    db.migrate().await.expect("migrations");
    db.pool().close().await;

    let settings = test_settings();
    assert!(settings.db_acquire_timeout_ms < 3000);
    let app = TestApp::spawn_on(settings, db_options).await;
    let worker = app.token("worker", "wendy");
    let reception = app.token("reception", "rachel");

    // Before: everything works, and some data is written.
    assert_eq!(app.get("/v1/me", &worker).await.status(), 200);
    assert_eq!(ready(&app).await.0, 200);
    let person = app
        .create_person(
            &reception,
            json!({"first_name": "Yasmine", "last_name": "Benali", "birth_date": "1991-07-14"}),
        )
        .await;
    let person_path = format!("/v1/persons/{}", person["id"].as_str().unwrap());
    assert_eq!(app.get(&person_path, &reception).await.status(), 200);

    // The outage.
    let cluster = slot.lock().unwrap().take().unwrap();
    cluster.stop().await.unwrap();

    let started = Instant::now();
    let response = app.get("/v1/me", &worker).await;
    let elapsed = started.elapsed();
    assert_unavailable(response, "GET /v1/me").await;
    assert!(
        elapsed < FAST_FAILURE,
        "a request during an outage must fail fast, took {elapsed:?}"
    );

    let started = Instant::now();
    assert_unavailable(app.get(&person_path, &reception).await, "GET a person").await;
    let response = app
        .post(
            "/v1/persons",
            &reception,
            &json!({"first_name": "Léa", "last_name": "Martin", "birth_date": "1985-01-01"}),
        )
        .await;
    assert_unavailable(response, "POST /v1/persons").await;
    assert!(started.elapsed() < 2 * FAST_FAILURE);

    let started = Instant::now();
    let (status, body) = ready(&app).await;
    assert_eq!(status, 503, "/readyz during the outage: {body}");
    assert_eq!(body["status"], "database_unreachable");
    assert!(started.elapsed() < FAST_FAILURE, "/readyz must fail fast");
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200, "the process itself is alive");

    // PostgreSQL comes back on the same directory; the HTTP server is not restarted.
    let cluster = start_cluster(&dir).await;
    *slot.lock().unwrap() = Some(cluster);

    let deadline = Instant::now() + RECOVERY;
    loop {
        let (status, _) = ready(&app).await;
        let me = app.get("/v1/me", &worker).await.status();
        if status == 200 && me == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not recovered {RECOVERY:?} after PostgreSQL came back: /readyz {status}, /v1/me {me}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The data written before the outage is still there, and writes work again.
    let response = app.get(&person_path, &reception).await;
    assert_eq!(response.status(), 200);
    let found: Value = response.json().await.unwrap();
    assert_eq!(found["id"], person["id"]);
    assert_eq!(found["last_name"], "Benali");
    let again = app
        .create_person(
            &reception,
            json!({"first_name": "Léa", "last_name": "Martin", "birth_date": "1985-01-01"}),
        )
        .await;
    assert!(again["id"].is_string());

    app.sql.close().await;
}

async fn ready(app: &TestApp) -> (u16, Value) {
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    let status = response.status().as_u16();
    if status == 503 {
        assert_eq!(
            response.headers()["retry-after"],
            "2",
            "a 503 says when to ask again"
        );
    }
    (status, response.json().await.unwrap())
}

async fn assert_unavailable(response: Response, what: &str) {
    assert_eq!(response.status(), 503, "{what} during the outage");
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let seconds: Option<u64> = retry_after.as_deref().and_then(|v| v.parse().ok());
    assert!(
        seconds.is_some_and(|s| s > 0),
        "{what}: a 503 says when to retry, got Retry-After {retry_after:?}"
    );
    let body = problem(response).await;
    assert_eq!(body["code"], "service_unavailable", "{what}: {body}");
    assert_eq!(body["status"], 503);
    assert!(body["request_id"].is_string(), "{what}: {body}");
}
