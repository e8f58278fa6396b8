//! Statistics for supervisors: aggregates only, never a person's data.

use actix_web::{HttpResponse, get};
use relais_domain::{AuditAction, AuditResource, Permission};
use relais_store::audit::NewAuditEvent;
use relais_store::db::Access;
use relais_store::stats::{self, AgentCaseload, CaseloadFigures};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::ApiError;
use crate::extract::{Query, parse_uuid_param};
use crate::responses::ReadErrors;
use crate::routes::today;

/// Cases counted by status.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct CasesByStatus {
    #[schema(example = 2)]
    pub intake: i64,
    #[schema(example = 3)]
    pub assessment: i64,
    #[schema(example = 4)]
    pub planning: i64,
    #[schema(example = 21)]
    pub active: i64,
    #[schema(example = 9)]
    pub closed: i64,
    #[schema(example = 0)]
    pub archived: i64,
}

/// A caseload's figures.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct CaseloadTotals {
    pub cases_by_status: CasesByStatus,
    /// Cases not closed or archived.
    #[schema(example = 30)]
    pub open_cases: i64,
    /// Plan items of open cases still planned, in progress or blocked after their due date.
    #[schema(example = 5)]
    pub overdue_items: i64,
    /// Open cases past their target end date.
    #[schema(example = 2)]
    pub cases_past_target: i64,
}

impl From<CaseloadFigures> for CaseloadTotals {
    fn from(f: CaseloadFigures) -> Self {
        Self {
            cases_by_status: CasesByStatus {
                intake: f.intake,
                assessment: f.assessment,
                planning: f.planning,
                active: f.active,
                closed: f.closed,
                archived: f.archived,
            },
            open_cases: f.open_cases,
            overdue_items: f.overdue_items,
            cases_past_target: f.cases_past_target,
        }
    }
}

/// One referent's caseload: the cases they are the referent of.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentCaseloadView {
    pub agent_id: Uuid,
    /// The agent's display name, or their token subject when none is known.
    #[schema(example = "Alice Martin")]
    pub name: String,
    /// The agent's token subject.
    #[schema(example = "alice")]
    pub subject: String,
    pub cases_by_status: CasesByStatus,
    #[schema(example = 12)]
    pub open_cases: i64,
    #[schema(example = 3)]
    pub overdue_items: i64,
    #[schema(example = 1)]
    pub cases_past_target: i64,
}

impl From<AgentCaseload> for AgentCaseloadView {
    fn from(a: AgentCaseload) -> Self {
        let totals = CaseloadTotals::from(a.figures);
        Self {
            agent_id: a.agent_id,
            name: a.display_name.unwrap_or_else(|| a.subject.clone()),
            subject: a.subject,
            cases_by_status: totals.cases_by_status,
            open_cases: totals.open_cases,
            overdue_items: totals.overdue_items,
            cases_past_target: totals.cases_past_target,
        }
    }
}

/// The organisation's caseload, per referent and in total.
#[derive(Debug, Serialize, ToSchema)]
pub struct Caseload {
    /// Every agent who is the referent of at least one case (or only the one asked for), by
    /// name.
    pub agents: Vec<AgentCaseloadView>,
    /// Every case of the organisation, with or without a referent, whatever the filter.
    pub totals: CaseloadTotals,
}

/// Filter of the caseload.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseloadParams {
    /// Only this referent's row (an agent id); the totals stay the organisation's.
    #[param(value_type = Option<Uuid>)]
    pub referent: Option<String>,
}

/// Supervisors: each worker's cases by status, overdue items and cases past their target date.
///
/// Supervisors only (the role that sees every case); 403 for anyone else. One row per agent who is
/// the referent of at least one case, and the organisation's totals over every case, with or
/// without a referent. `referent` (an agent id) keeps only that agent's row; the totals stay the
/// organisation's. Overdue items are the pending items (planned, in progress, blocked) of open
/// cases past their due date. Only counts, never a person's data; the read is audited as a `read`
/// of `stats.caseload`.
#[utoipa::path(
    tag = "stats",
    operation_id = "read_caseload",
    params(CaseloadParams),
    responses((status = 200, description = "The caseload per referent and in total", body = Caseload), ReadErrors),
    security(("bearer" = []))
)]
#[get("/stats/caseload")]
pub async fn caseload(ctx: Ctx, params: Query<CaseloadParams>) -> Result<HttpResponse, ApiError> {
    // Statistics are the supervisor's: the role that sees every case.
    ctx.require(Permission::CaseReadAll)?;
    let referent: Option<Uuid> = params
        .referent
        .as_deref()
        .map(|v| parse_uuid_param("referent", v))
        .transpose()?;
    let today = today();
    let mut work = ctx.work(Access::Read).await?;
    let caseload = stats::caseload(&mut work.tx, today, referent).await?;
    work.audit(NewAuditEvent::new(
        AuditAction::Read,
        AuditResource::StatsCaseload,
        None,
    ));
    work.commit(
        HttpResponse::Ok().json(Caseload {
            agents: caseload
                .agents
                .into_iter()
                .map(AgentCaseloadView::from)
                .collect(),
            totals: caseload.totals.into(),
        }),
    )
    .await
}
