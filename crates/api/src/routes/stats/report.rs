//! The activity report (DAILY.md, "Activity report"): the figures of a period for the
//! organisation, a team or a referent, as JSON, CSV or an XLSX workbook.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get};
use chrono::{Datelike, NaiveDate};
use relais_domain::activity::{self as figures, Figure, Indicator, Value};
use relais_domain::{AuditAction, AuditResource, Permission};
use relais_store::activity::{self as store, Scope};
use relais_store::audit::NewAuditEvent;
use relais_store::db::Access;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::sheet;
use crate::context::Ctx;
use crate::error::{ApiError, Problem};
use crate::extract::{Query, parse_uuid_param};
use crate::printed::{self, Format};
use crate::responses::ReadErrors;
use crate::routes::today;

/// The formats of the report, JSON first (the default).
const FORMATS: [Format; 3] = [Format::Json, Format::Csv, Format::Xlsx];

/// The longest period: ten years and a few days.
pub const MAX_DAYS: i64 = 3660;

/// The most agents of a team.
pub const MAX_TEAM: usize = 50;

/// The period and whose figures.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityParams {
    /// First day of the period (default 1 January of the year of `to`; from 1900 to 2199).
    #[param(example = "2026-01-01")]
    pub from: Option<NaiveDate>,
    /// Last day of the period, included (default today; at most 3,660 days after `from`; from
    /// 1900 to 2199).
    #[param(example = "2026-12-31")]
    pub to: Option<NaiveDate>,
    /// One referent's figures (an agent id). A worker gets their own whatever they ask.
    #[param(value_type = Option<Uuid>)]
    pub referent: Option<String>,
    /// A team's figures: its agents' ids, comma-separated (at most 50), counted together.
    /// Not with `referent`.
    #[param(
        example = "0190a0c4-5d6e-7f80-9a1b-2c3d4e5f6a7b,0190a0c4-5d6e-7f80-9a1b-2c3d4e5f6a7c",
        pattern = "^ *[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12} *(, *[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12} *)*$"
    )]
    pub team: Option<String>,
}

/// Why a period or a scope is refused: rules across parameters, which the document's parameter
/// schemas cannot state (the operation's description does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ActivityRefused {
    #[error("to must not be before from")]
    Reversed,
    #[error("the period is at most {MAX_DAYS} days: to must be within {MAX_DAYS} days of from")]
    TooLong,
    #[error("a team lists from 1 to {MAX_TEAM} agent ids, comma-separated")]
    TeamSize,
    #[error("give referent or team, not both")]
    ReferentAndTeam,
    #[error("a day of the period is from 1900-01-01 to 2199-12-31")]
    OutOfRange,
}

impl relais_domain::Refusal for ActivityRefused {
    fn code(&self) -> &'static str {
        match self {
            ActivityRefused::Reversed => "range_reversed",
            ActivityRefused::TooLong => "range_too_long",
            ActivityRefused::TeamSize => "team_size",
            ActivityRefused::ReferentAndTeam => "referent_and_team",
            ActivityRefused::OutOfRange => "out_of_range",
        }
    }

    fn sentence_fr(&self) -> String {
        match self {
            ActivityRefused::Reversed => "to ne peut pas précéder from".to_owned(),
            ActivityRefused::TooLong => format!(
                "la période couvre au plus {MAX_DAYS} jours : to tombe au plus {MAX_DAYS} jours \
                 après from"
            ),
            ActivityRefused::TeamSize => format!(
                "une équipe compte de 1 à {MAX_TEAM} identifiants d'agents, séparés par des \
                 virgules"
            ),
            ActivityRefused::ReferentAndTeam => {
                "indiquez referent ou team, pas les deux".to_owned()
            }
            ActivityRefused::OutOfRange => {
                "un jour de la période est compris entre le 01/01/1900 et le 31/12/2199".to_owned()
            }
        }
    }
}

/// Whose figures a report gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScopeKind {
    /// Every case and all the work of the organisation.
    Organisation,
    /// One referent's.
    Referent,
    /// A team's: its agents' together.
    Team,
}

/// The report's period and scope.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActivityScope {
    pub kind: ScopeKind,
    /// The agents counted (none for the organisation).
    pub agent_ids: Vec<Uuid>,
}

/// One figure: an indicator, what it is counted by, its value.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FigureView {
    /// Which figure (see the `ActivityIndicator` list for what each counts).
    #[schema(schema_with = crate::schema::activity_indicator)]
    pub indicator: String,
    /// What the figure is counted by: a code of the breakdown's list (an origin, a reason, an
    /// age band…), or a scheme's or partner's name; `null` for a total.
    #[schema(example = "partner_referral")]
    pub dimension: Option<String>,
    /// The count, amount (cents), days or percentage; `null` when suppressed or when there is
    /// nothing to measure (a median over no case).
    #[schema(value_type = Option<f64>, example = 42)]
    pub value: Option<serde_json::Number>,
    #[schema(schema_with = crate::schema::figure_unit)]
    pub unit: figures::Unit,
    /// Whether the value is withheld because it counts too few persons (or would give such a
    /// count away).
    pub suppressed: bool,
}

impl From<&Figure> for FigureView {
    fn from(f: &Figure) -> Self {
        Self {
            indicator: f.indicator.code().to_owned(),
            dimension: f.dimension.clone(),
            value: f.value.and_then(number),
            unit: f.indicator.unit(),
            suppressed: f.suppressed,
        }
    }
}

/// A value as a JSON number: whole, or with its one decimal.
fn number(v: Value) -> Option<serde_json::Number> {
    match v {
        Value::Whole(n) => Some(n.into()),
        Value::Decimal(d) => serde_json::Number::from_f64(d),
    }
}

/// The activity report of a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityReport {
    /// First day of the period.
    pub from_on: NaiveDate,
    /// Last day of the period, included.
    pub to_on: NaiveDate,
    pub scope: ActivityScope,
    /// Counts of persons from 1 to `min_count - 1` are suppressed (`RELAIS_STATS_MIN_COUNT`).
    #[schema(example = 5)]
    pub min_count: u32,
    /// Every figure, in a fixed order: totals before their breakdowns, every code of a
    /// breakdown's list (zeros too), schemes and partners that count in the period.
    pub figures: Vec<FigureView>,
}

impl ActivityParams {
    fn period(&self, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), ApiError> {
        // Days PostgreSQL and the ledger hold, far beyond any service's history.
        let range = NaiveDate::from_ymd_opt(1900, 1, 1)..NaiveDate::from_ymd_opt(2200, 1, 1);
        for (name, day) in [("from", self.from), ("to", self.to)] {
            if let (Some(day), Some(first), Some(end)) = (day, range.start, range.end)
                && !(first..end).contains(&day)
            {
                return Err(ApiError::bad_query_refused(
                    name,
                    &ActivityRefused::OutOfRange,
                ));
            }
        }
        let to = self.to.unwrap_or(today);
        let from = self
            .from
            .unwrap_or_else(|| NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to));
        let refused = if to < from {
            Some(ActivityRefused::Reversed)
        } else if (to - from).num_days() > MAX_DAYS {
            Some(ActivityRefused::TooLong)
        } else {
            None
        };
        match refused {
            Some(refusal) => Err(ApiError::bad_query_refused("to", &refusal)),
            None => Ok((from, to)),
        }
    }

    /// The scope asked for: a referent, a team, or (neither) the organisation.
    fn scope(&self) -> Result<(ScopeKind, Vec<Uuid>), ApiError> {
        match (&self.referent, &self.team) {
            (Some(_), Some(_)) => Err(ApiError::bad_query_refused(
                "team",
                &ActivityRefused::ReferentAndTeam,
            )),
            (Some(r), None) => Ok((ScopeKind::Referent, vec![parse_uuid_param("referent", r)?])),
            (None, Some(team)) => {
                let mut ids = team
                    .split(',')
                    .map(|id| parse_uuid_param("team", id.trim()))
                    .collect::<Result<Vec<Uuid>, _>>()?;
                ids.sort_unstable();
                ids.dedup();
                if ids.is_empty() || ids.len() > MAX_TEAM {
                    return Err(ApiError::bad_query_refused(
                        "team",
                        &ActivityRefused::TeamSize,
                    ));
                }
                Ok((ScopeKind::Team, ids))
            }
            (None, None) => Ok((ScopeKind::Organisation, Vec::new())),
        }
    }
}

/// The activity report: the figures a service owes its board and funders, over a period.
///
/// Supervisors: the organisation's figures, one referent's (`referent`) or a team's (`team`: its
/// agents' ids, counted together). Workers get their own figures, whatever they ask; 403 for
/// other roles. The period runs from `from` (default 1 January of this year) to `to` (default
/// today), both included, at most 3,660 days (422 `range_reversed` / `range_too_long` at `to`).
///
/// As JSON (the default), as CSV (`Accept: text/csv`: one row per figure,
/// `indicator;dimension;value;suppressed`, UTF-8, decimals with a point, for programs), or
/// as an XLSX workbook
/// (`Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`: the figures
/// with their French labels, then the definitions). 406 for any other media type.
///
/// Each figure is an indicator of the `ActivityIndicator` list (its description says what each
/// counts), optionally by a dimension. Flows count what happened in the period (cases opened
/// and closed, contacts, steps due, applications decided, referrals received, liaisons sent);
/// stocks what ran during it (cases active, persons supported). Cases and persons count under
/// their case's referent; contacts, assessments and sessions under the agent who held or wrote
/// them; steps and applications under their author; agreements under the agent who recorded
/// them; liaisons under their sender; referrals under their decider.
///
/// Only aggregates, never a person's data: a count of persons, cases, needs, applications,
/// referrals or liaisons from 1 to `RELAIS_STATS_MIN_COUNT - 1` (5 by default) is `null` with
/// `suppressed: true`, and so is a second count wherever a total would give it away; an
/// amount, a median or a percentile is suppressed with the count it is taken over. The persons
/// who restricted the processing are left out. Each read is audited as a `read` of
/// `stats.activity`. Answered from counts the database keeps as rows are written: the same time
/// whatever the period and the number of cases.
#[utoipa::path(
    tag = "stats",
    operation_id = "read_activity_report",
    params(ActivityParams),
    responses(
        (status = 200, description = "The figures of the period",
            content((ActivityReport = "application/json"), (String = "text/csv"),
                    (crate::printed::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")),
            headers(("Content-Disposition" = String, description = "CSV and XLSX: `attachment; filename=\"rapport-activite-<from>-<to>.csv\"` (or `.xlsx`)"), ("Vary" = String))),
        (status = 406, description = "The Accept header allows none of JSON, CSV and XLSX", body = Problem, content_type = "application/problem+json"),
        ReadErrors
    ),
    security(("bearer" = []))
)]
#[get("/stats/activity")]
pub async fn activity(
    ctx: Ctx,
    req: HttpRequest,
    params: Query<ActivityParams>,
) -> Result<HttpResponse, ApiError> {
    // Supervisors read anyone's figures; workers their own.
    let everyone = ctx.allows(Permission::CaseReadAll);
    if !everyone {
        ctx.require(Permission::CaseReadTeam)?;
    }
    let format = printed::format(&req, &FORMATS)?;
    let today = today();
    let (from, to) = params.period(today)?;
    let (kind, agents) = params.scope()?;
    let mut work = ctx.work(Access::Read).await?;
    let (kind, agents) = if everyone {
        (kind, agents)
    } else {
        (ScopeKind::Referent, vec![work.actor.agent_id])
    };
    let scope = match kind {
        ScopeKind::Organisation => Scope::Organisation,
        ScopeKind::Referent | ScopeKind::Team => Scope::Agents(agents.clone()),
    };
    let ledger = store::ledger(&mut work.tx, from, to, today, &scope).await?;
    work.audit(NewAuditEvent::new(
        AuditAction::Read,
        AuditResource::StatsActivity,
        None,
    ));
    let min_count = ctx.state.settings.stats_min_count;
    let figures = figures::report(&ledger, min_count);
    let report = ActivityReport {
        from_on: from,
        to_on: to,
        scope: ActivityScope {
            kind,
            agent_ids: agents,
        },
        min_count,
        figures: figures.iter().map(FigureView::from).collect(),
    };
    let filename = format!("rapport-activite-{from}-{to}");
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::VARY, "Accept"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"));
    let response = match format {
        Format::Csv => response
            .content_type("text/csv; charset=utf-8")
            .insert_header(attachment(&filename, "csv"))
            .body(sheet::csv(&figures)?),
        Format::Xlsx => {
            let bytes = printed::off_thread(move || sheet::xlsx(&report, &figures)).await?;
            response
                .content_type(printed::XLSX)
                .insert_header(attachment(&filename, "xlsx"))
                .body(bytes)
        }
        _ => response.json(report),
    };
    work.commit(response).await
}

fn attachment(name: &str, extension: &str) -> (header::HeaderName, String) {
    (
        header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"{name}.{extension}\""),
    )
}

/// Every indicator, for the document: code, unit and definition.
pub fn indicators_table() -> String {
    <Indicator as relais_domain::Coded>::ALL
        .iter()
        .map(|i| format!("- `{}` ({}): {}", i.code(), i.unit().code(), i.definition()))
        .collect::<Vec<_>>()
        .join("\n")
}
