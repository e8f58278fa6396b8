//! Statistics for supervisors: aggregates only, never a person's data.

mod report;
mod sheet;

pub use report::{ActivityReport, activity, indicators_table};

use actix_web::{HttpResponse, get};
use relais_domain::statistics::{Sum, suppressed};
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

/// Cases counted by status; a count below the threshold is null (see `suppressed`).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct CasesByStatus {
    #[schema(example = 2)]
    pub intake: Option<i64>,
    #[schema(example = 3)]
    pub assessment: Option<i64>,
    #[schema(example = 4)]
    pub planning: Option<i64>,
    #[schema(example = 21)]
    pub active: Option<i64>,
    #[schema(example = 9)]
    pub closed: Option<i64>,
    #[schema(example = 0)]
    pub archived: Option<i64>,
}

/// A caseload's figures. Counts of cases below the threshold (`RELAIS_STATS_MIN_COUNT`, 5 by
/// default) are null, and so is a second count wherever a published sum would give a null one
/// away; `suppressed` says so.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct CaseloadTotals {
    pub cases_by_status: CasesByStatus,
    /// Cases not closed or archived.
    #[schema(example = 30)]
    pub open_cases: Option<i64>,
    /// Plan items of open cases still planned, in progress or blocked after their due date
    /// (items, not persons: never suppressed).
    #[schema(example = 5)]
    pub overdue_items: i64,
    /// Open cases past their target end date.
    #[schema(example = 2)]
    pub cases_past_target: Option<i64>,
    /// Whether any count of these figures is suppressed (null).
    pub suppressed: bool,
}

/// The counts of cases of one row of the caseload, in the order of [`ROW_SUM`] and the table.
const CELLS: usize = 8;

/// Open cases (cell 6) are the sum of the first four statuses.
const ROW_SUM: ([usize; 4], usize) = ([0, 1, 2, 3], 6);

fn cells_of(f: &CaseloadFigures) -> [i64; CELLS] {
    [
        f.intake,
        f.assessment,
        f.planning,
        f.active,
        f.closed,
        f.archived,
        f.open_cases,
        f.cases_past_target,
    ]
}

impl CaseloadTotals {
    /// The figures `f`, with the counts `hidden` flags published as null.
    fn published(f: &CaseloadFigures, hidden: &[bool]) -> Self {
        let cells = cells_of(f);
        let cell = |i: usize| (!hidden[i]).then_some(cells[i]);
        Self {
            cases_by_status: CasesByStatus {
                intake: cell(0),
                assessment: cell(1),
                planning: cell(2),
                active: cell(3),
                closed: cell(4),
                archived: cell(5),
            },
            open_cases: cell(6),
            overdue_items: f.overdue_items,
            cases_past_target: cell(7),
            suppressed: hidden.iter().any(|&h| h),
        }
    }
}

/// Which counts of the rows (the agents', then the totals, last) to suppress: each row's open
/// cases add up its first four statuses, and, when `every_row_shown` and every case has a
/// referent (the agents' rows add up to the totals), each column adds up to the totals.
fn suppression(rows: &[&CaseloadFigures], every_row_shown: bool, min_count: u32) -> Vec<Vec<bool>> {
    let cells: Vec<i64> = rows.iter().flat_map(|f| cells_of(f)).collect();
    let n = rows.len();
    let column = |c: usize| (0..n - 1).map(move |r| r * CELLS + c);
    let columns_add_up = every_row_shown
        && (0..CELLS)
            .all(|c| column(c).map(|i| cells[i]).sum::<i64>() == cells[(n - 1) * CELLS + c]);
    let mut sums: Vec<Sum> = (0..n)
        .map(|r| Sum {
            parts: ROW_SUM.0.iter().map(|c| r * CELLS + c).collect(),
            total: r * CELLS + ROW_SUM.1,
        })
        .collect();
    if columns_add_up && n > 1 {
        for c in 0..CELLS {
            sums.push(Sum {
                parts: column(c).collect(),
                total: (n - 1) * CELLS + c,
            });
        }
    }
    suppressed(&cells, &sums, min_count)
        .chunks(CELLS)
        .map(<[bool]>::to_vec)
        .collect()
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
    #[serde(flatten)]
    pub figures: CaseloadTotals,
}

impl AgentCaseloadView {
    fn published(a: AgentCaseload, hidden: &[bool]) -> Self {
        Self {
            agent_id: a.agent_id,
            figures: CaseloadTotals::published(&a.figures, hidden),
            name: a.display_name.unwrap_or_else(|| a.subject.clone()),
            subject: a.subject,
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
/// cases past their due date. Only counts, never a person's data: a count of cases from 1 to
/// `RELAIS_STATS_MIN_COUNT - 1` (5 by default) is null, and so is a second count wherever a
/// row's open cases or a column's total would give it away; such a row says `suppressed: true`.
/// The cases of persons who restricted the processing are left out. The read is audited as a
/// `read` of `stats.caseload`.
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
    let rows: Vec<&CaseloadFigures> = caseload
        .agents
        .iter()
        .map(|a| &a.figures)
        .chain([&caseload.totals])
        .collect();
    let hidden = suppression(
        &rows,
        referent.is_none(),
        ctx.state.settings.stats_min_count,
    );
    let totals = CaseloadTotals::published(&caseload.totals, &hidden[hidden.len() - 1]);
    let agents = caseload
        .agents
        .into_iter()
        .zip(&hidden)
        .map(|(a, h)| AgentCaseloadView::published(a, h))
        .collect();
    work.commit(HttpResponse::Ok().json(Caseload { agents, totals }))
        .await
}
