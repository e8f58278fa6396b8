//! Operations endpoints: liveness, readiness, metrics.

use actix_web::{HttpResponse, get, web};
use relais_store::db::Readiness;
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

/// A health answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, `ready`, `database_unreachable` or `migrations_pending`.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness: the process answers.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Alive", body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Readiness: the database is reachable and every migration is applied.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "Not ready: database unreachable or migrations pending", body = Health)
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.db.readiness().await {
        Readiness::Ready => HttpResponse::Ok().json(Health { status: "ready" }),
        Readiness::DatabaseUnreachable => HttpResponse::ServiceUnavailable().json(Health {
            status: "database_unreachable",
        }),
        Readiness::MigrationsPending => HttpResponse::ServiceUnavailable().json(Health {
            status: "migrations_pending",
        }),
    }
}

/// Prometheus metrics: requests by route and status, latency, pool usage.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain", body = String))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let (in_use, idle) = state.db.pool_usage();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render(in_use, idle))
}
