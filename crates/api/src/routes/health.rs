//! Operations endpoints: liveness, readiness, metrics.

use actix_web::{HttpResponse, get, web};
use relais_store::db::Readiness;
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

/// A health answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, `ready`, `database_unreachable`, `database_restarting` (the embedded PostgreSQL
    /// stopped and Relais is starting it again) or `migrations_pending`.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness: the process answers.
///
/// Answers `200` with `{"status": "ok"}` as long as the process serves requests; it does not touch
/// the database. Use it as the liveness probe. Public: it takes no token.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Alive", body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Readiness: the database is reachable and every migration is applied.
///
/// Asks PostgreSQL which migrations are applied: `200` with `ready` when every migration of this
/// version is, otherwise `503` with `database_unreachable`, `database_restarting` (embedded mode:
/// the private PostgreSQL stopped and is being started again, with no operator needed) or
/// `migrations_pending`. The body is
/// this small status document in both cases, not a problem document. Use it as the readiness probe;
/// public: it takes no token.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "Not ready: database unreachable or restarting, or migrations pending", body = Health)
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    // Not ready: ask again shortly (every 503 says when, as the document declares).
    let not_ready = |status| {
        HttpResponse::ServiceUnavailable()
            .insert_header((actix_web::http::header::RETRY_AFTER, "2"))
            .json(Health { status })
    };
    match state.db.readiness().await {
        Readiness::Ready => HttpResponse::Ok().json(Health { status: "ready" }),
        Readiness::DatabaseUnreachable => not_ready("database_unreachable"),
        Readiness::DatabaseRestarting => not_ready("database_restarting"),
        Readiness::MigrationsPending => not_ready("migrations_pending"),
    }
}

/// Prometheus metrics: requests by route and status, latency, pool usage.
///
/// The Prometheus text exposition: `relais_http_requests_total` by `route`, `method` and `status`,
/// the histogram `relais_http_request_duration_seconds` by `route` and `method`, and
/// `relais_db_pool_connections` by `state` (`in_use`, `idle`, read at each scrape), and the
/// webhook outbox across organisations, read at each scrape: `relais_webhook_outbox_pending`
/// (messages waiting) and `relais_webhook_outbox_lag_seconds` (how long the oldest message due
/// has waited; a growing lag means deliveries fall behind); the pool's waits:
/// `relais_db_transactions_begun_total`, `relais_db_begin_wait_seconds_total` (their quotient is
/// the mean wait for a connection) and `relais_db_pool_timeouts_total`; and the periodic jobs, read
/// across replicas: `relais_job_last_success_age_seconds` and `relais_job_running` by `job`
/// (`retention`, `referral_expiry`). Public: it takes no token and is served to whoever reaches the
/// port, so restrict it at the reverse proxy if needed.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain", body = String))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let (in_use, idle) = state.db.pool_usage();
    // The outbox and the jobs across organisations and replicas, read at each scrape (two
    // small queries in one transaction).
    let read = async {
        let mut tx = state.db.background().await.ok()?;
        let outbox = relais_store::webhooks::outbox_state(&mut tx).await.ok();
        let jobs = relais_store::jobs::states(&mut tx).await.ok();
        let _ = tx.rollback().await;
        Some((outbox, jobs))
    }
    .await;
    let (outbox, jobs) = read.unwrap_or((None, None));
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render(crate::observability::Scrape {
            in_use,
            idle,
            begins: state.db.begin_stats(),
            outbox,
            jobs,
        }))
}
