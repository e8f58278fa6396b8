//! The caller's agenda: the deadlines of the plans of the cases whose team they are on, and
//! the contacts planned on those cases (`type: "contact"`; closed cases included for their
//! post-closure review, archived ones not), as JSON pages (`GET /v1/agenda`) and as a calendar
//! feed (`GET /v1/agenda.ics`, in `ics`) opened by a per-agent secret token that
//! `POST /v1/agenda/feed-token` rotates.
//!
//! The agenda holds the pending items (planned, in progress, blocked) of the caller's open
//! cases: the worker's interventions, the person's préconisations and partners' steps, due in
//! the range asked, and every overdue one whatever the range. It is the caller's own even for a
//! supervisor (the cases whose team they are on, not every case). Reading it records one audit
//! event for the agenda and one per person it names.

mod ics;

use std::collections::BTreeSet;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, post};
use chrono::{DateTime, Days, NaiveDate, Utc};
use relais_domain::{
    AuditAction, AuditResource, Coded, ContactKind, ItemKind, Permission, is_overdue,
};
use relais_store::agenda::{self, AgendaEntry, AgendaEvent, AgendaRange};
use relais_store::audit::NewAuditEvent;
use relais_store::db::Access;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::ApiError;
use crate::extract::Query;
use crate::pagination::{Cursor, DuePageParams};
use crate::responses::{CreateErrors, ReadErrors};
use crate::routes::today;

pub use ics::{FeedParams, feed};

/// Days shown after `from` when `to` is not given.
pub const DEFAULT_DAYS: u64 = 30;
/// Longest range: `to` at most this many days after `from`.
pub const MAX_DAYS: i64 = 366;

/// The range and paging of an agenda read.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgendaParams {
    /// First day of the range (default today).
    #[param(example = "2026-12-01")]
    pub from: Option<NaiveDate>,
    /// Last day of the range, included (default `from` + 30 days; at most 366 days after
    /// `from`). Overdue items are listed whatever the range.
    #[param(example = "2026-12-31")]
    pub to: Option<NaiveDate>,
}

/// Why a range of days is refused: a rule across `from` and `to`, which the document's
/// parameter schemas cannot state (the operation's description does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("to must not be before from")]
    Reversed,
    #[error("the range is at most {MAX_DAYS} days: to must be within {MAX_DAYS} days of from")]
    TooLong,
}

impl relais_domain::Refusal for RangeError {
    fn code(&self) -> &'static str {
        match self {
            RangeError::Reversed => "range_reversed",
            RangeError::TooLong => "range_too_long",
        }
    }

    fn sentence_fr(&self) -> String {
        match self {
            RangeError::Reversed => "to ne peut pas précéder from".to_owned(),
            RangeError::TooLong => format!(
                "la période couvre au plus {MAX_DAYS} jours : to tombe au plus {MAX_DAYS} jours \
                 après from"
            ),
        }
    }
}

impl AgendaParams {
    fn range(&self, today: NaiveDate) -> Result<AgendaRange, ApiError> {
        let from = self.from.unwrap_or(today);
        let to = match self.to {
            Some(to) => to,
            None => from
                .checked_add_days(Days::new(DEFAULT_DAYS))
                .ok_or_else(|| ApiError::bad_query("from", "from is too far in the future"))?,
        };
        let refused = if to < from {
            Some(RangeError::Reversed)
        } else if (to - from).num_days() > MAX_DAYS {
            Some(RangeError::TooLong)
        } else {
            None
        };
        if let Some(refusal) = refused {
            return Err(ApiError::bad_query_refused("to", &refusal));
        }
        Ok(AgendaRange { from, to, today })
    }
}

/// One entry of the caller's agenda: a deadline (a pending plan item) or a planned contact.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgendaItem {
    /// `deadline` (a plan item) or `contact` (a planned contact).
    #[serde(rename = "type")]
    #[schema(rename = "type", schema_with = entry_type)]
    pub entry_type: &'static str,
    /// The plan item (`GET /v1/cases/{case_id}/plan/items/{item_id}`); null for a contact.
    pub item_id: Option<Uuid>,
    /// The planned contact (`GET /v1/cases/{case_id}/contacts/{contact_id}`); null for a
    /// deadline.
    pub contact_id: Option<Uuid>,
    pub case_id: Uuid,
    /// The person supported.
    pub person_id: Uuid,
    /// First and last name of the person supported.
    #[schema(example = "Camille Lefèvre")]
    pub person_name: String,
    /// Who acts, for a deadline; null for a contact.
    #[schema(schema_with = crate::schema::party_nullable)]
    pub party: Option<&'static str>,
    /// A deadline: `intervention` (worker), `recommendation` (person, préconisation) or
    /// `partner_step`. A contact: its kind (`contact_kind` list, e.g. `interview`).
    #[schema(schema_with = entry_kind)]
    pub kind: &'static str,
    /// The step's title; for a contact, the French label of its kind.
    #[schema(example = "Constituer le dossier de demande d'aide au FSL")]
    pub title: String,
    /// The due date; for a contact, the (UTC) day it is scheduled.
    #[schema(example = "2026-12-15")]
    pub due_on: NaiveDate,
    /// When a planned contact is scheduled; null for a deadline.
    #[schema(example = "2026-12-03T09:30:00Z")]
    pub scheduled_at: Option<DateTime<Utc>>,
    /// A deadline's status: `planned`, `in_progress` or `blocked` (done and cancelled items are
    /// not deadlines); null for a contact.
    #[schema(schema_with = crate::schema::item_status_nullable)]
    pub status: Option<&'static str>,
    /// The due date has passed: listed whatever the range (always false for a contact).
    pub overdue: bool,
}

/// Schema of an agenda entry's type.
fn entry_type() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["deadline", "contact"]))
        .into()
}

/// Schema of an agenda entry's kind: an item kind or a contact kind.
fn entry_kind() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    let codes = ItemKind::ALL
        .iter()
        .map(|k| k.code())
        .chain(ContactKind::ALL.iter().map(|k| k.code()));
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(codes))
        .description(Some(
            "A code of the `item_kind` list for a deadline, of the `contact_kind` list for a \
             contact (see GET /v1/reference).",
        ))
        .into()
}

impl AgendaItem {
    fn from_event(event: AgendaEvent, today: NaiveDate) -> Self {
        match event {
            AgendaEvent::Deadline(e) => Self::from_entry(e, today),
            AgendaEvent::Contact(c) => Self {
                entry_type: "contact",
                item_id: None,
                contact_id: Some(c.contact_id),
                case_id: c.case_id,
                person_id: c.person_id,
                person_name: format!("{} {}", c.first_name, c.last_name),
                party: None,
                kind: c.kind.code(),
                title: c.kind.label_fr().to_owned(),
                due_on: c.scheduled_at.date_naive(),
                scheduled_at: Some(c.scheduled_at),
                status: None,
                overdue: false,
            },
        }
    }

    fn from_entry(e: AgendaEntry, today: NaiveDate) -> Self {
        Self {
            entry_type: "deadline",
            item_id: Some(e.item_id),
            contact_id: None,
            case_id: e.case_id,
            person_id: e.person_id,
            person_name: format!("{} {}", e.first_name, e.last_name),
            party: Some(e.party.code()),
            kind: e.party.kind().code(),
            title: e.title,
            due_on: e.due_on,
            scheduled_at: None,
            status: Some(e.status.code()),
            overdue: is_overdue(e.due_on, e.status, today),
        }
    }
}

/// A page of the caller's agenda, earliest deadline first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Agenda {
    /// The range read (with its defaults applied).
    #[schema(example = "2026-12-01")]
    pub from: NaiveDate,
    #[schema(example = "2026-12-31")]
    pub to: NaiveDate,
    /// Items due in the range, overdue items and contacts planned in the range, by day then
    /// id.
    pub items: Vec<AgendaItem>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// What a read of the agenda is audited as.
const AGENDA_READ: AuditResource = AuditResource::Agenda;
/// What a read of the calendar feed is audited as.
const FEED_READ: AuditResource = AuditResource::AgendaFeed;

/// The audit events of an agenda read: one for the agenda, one per person it names.
fn audit_events(resource: AuditResource, entries: &[AgendaEvent]) -> Vec<NewAuditEvent> {
    let mut seen = BTreeSet::new();
    let persons = entries
        .iter()
        .filter(|e| seen.insert(e.person_id()))
        .map(|e| Some(e.person_id()));
    std::iter::once(None)
        .chain(persons)
        .map(|person_id| NewAuditEvent::new(AuditAction::Read, resource, None).about(person_id))
        .collect()
}

fn agenda_permission(ctx: &Ctx) -> Result<(), ApiError> {
    // Workers and supervisors: the roles that are on case teams.
    ctx.require(Permission::CaseReadTeam)
}

/// The caller's deadlines and planned contacts in a date range, and every overdue deadline.
///
/// Workers and supervisors (403 for other roles). The caller's own agenda, even for a supervisor:
/// the cases whose team they are on. The pending plan items (planned, in progress, blocked) of
/// their open cases due in the range, every overdue one whatever the range, and the contacts
/// planned in the range (closed cases included, for the post-closure review; archived ones never).
/// The range is `from` (default today) to `to` (default 30 days later, at most 366; 400 when
/// reversed or longer). Audited as a `read` of `agenda`, plus one about each person the page names.
#[utoipa::path(
    tag = "agenda",
    operation_id = "read_agenda",
    params(AgendaParams, DuePageParams),
    responses((status = 200, description = "A page of the caller's agenda", body = Agenda), ReadErrors),
    security(("bearer" = []))
)]
#[get("/agenda")]
pub async fn list(
    ctx: Ctx,
    params: Query<AgendaParams>,
    page: Query<DuePageParams>,
) -> Result<HttpResponse, ApiError> {
    agenda_permission(&ctx)?;
    let today = today();
    let range = params.range(today)?;
    let page = page.paging();
    let (limit, after) = (page.limit()?, page.after()?);
    let mut work = ctx.work(Access::Read).await?;
    let page = agenda::list(&mut work.tx, work.actor.agent_id, range, after, limit).await?;
    work.audit_all(audit_events(AGENDA_READ, &page.items));
    let next_cursor = agenda::next_cursor(&page).as_ref().map(Cursor::encode);
    work.commit(
        HttpResponse::Ok().json(Agenda {
            from: range.from,
            to: range.to,
            items: page
                .items
                .into_iter()
                .map(|e| AgendaItem::from_event(e, today))
                .collect(),
            next_cursor,
        }),
    )
    .await
}

/// A new feed token, shown with its URL.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedTokenCreated {
    /// The calendar URL to subscribe to (the token is its credential: keep it secret).
    #[schema(
        example = "https://relais.example/v1/agenda.ics?token=q1v5x2kFh0dJ9cXo0TQmJ2n0S9rj3v0xU0e6g0bJbXo"
    )]
    pub feed_url: String,
    /// The token alone.
    #[schema(example = "q1v5x2kFh0dJ9cXo0TQmJ2n0S9rj3v0xU0e6g0bJbXo")]
    pub token: String,
    pub created_at: DateTime<Utc>,
}

/// The URL of the calendar feed of `token`, on the host the caller reached.
pub(crate) fn feed_url(req: &HttpRequest, token: &str) -> String {
    format!("{}/v1/agenda.ics?token={token}", base_url(req))
}

/// Scheme and host the caller reached (behind a proxy: its `Forwarded` headers).
fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// Gives the caller a new calendar feed URL; the previous one stops working.
///
/// The URL is shown again by `GET /v1/me` (`agenda_feed_url`). The feed carries deadlines and
/// the persons' first names and last initials outside Relais: rotate the token whenever the
/// URL may have leaked, or `DELETE` it to stop the feed.
///
/// Workers and supervisors (403 for other roles). The answer is sent with `Cache-Control: no-store`
/// and not kept for an `Idempotency-Key` replay: a retry makes another token. Audited as a `create`
/// of `agenda.feed_token`.
#[utoipa::path(
    tag = "agenda",
    operation_id = "rotate_agenda_feed_token",
    params(crate::responses::IdempotencyKeyHeader),
    responses((status = 200, description = "The new feed URL and token", body = FeedTokenCreated), CreateErrors),
    security(("bearer" = []))
)]
#[post("/agenda/feed-token")]
pub async fn rotate_feed_token(ctx: Ctx, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    agenda_permission(&ctx)?;
    let mut work = ctx.work(Access::Write).await?;
    let agent_id = work.actor.agent_id;
    let token =
        agenda::rotate_feed_token(&mut work.tx, &ctx.state.vault, work.actor.org.id, agent_id)
            .await?;
    work.audit(NewAuditEvent::new(
        AuditAction::Create,
        AuditResource::AgendaFeedToken,
        agent_id,
    ));
    // `no-store`: the token is shown once, so the work gives the request's key back rather
    // than keeping this answer for a replay.
    work.commit(
        HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(FeedTokenCreated {
                feed_url: feed_url(&req, &token.token),
                token: token.token,
                created_at: token.created_at,
            }),
    )
    .await
}

/// Stops the caller's calendar feed: its URL answers 401 from now on.
///
/// Workers and supervisors (403 for other roles). Answers 204 whether or not a feed existed; `GET
/// /v1/me` then shows no `agenda_feed_url`, and a new URL needs `POST /v1/agenda/feed-token`.
/// Audited as a `delete` of `agenda.feed_token` when there was one.
#[utoipa::path(
    tag = "agenda",
    operation_id = "revoke_agenda_feed_token",
    responses((status = 204, description = "No feed token any more (also when there was none)"), ReadErrors),
    security(("bearer" = []))
)]
#[delete("/agenda/feed-token")]
pub async fn revoke_feed_token(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    agenda_permission(&ctx)?;
    let mut work = ctx.work(Access::Write).await?;
    let agent_id = work.actor.agent_id;
    if agenda::revoke_feed_token(&mut work.tx, agent_id).await? {
        work.audit(NewAuditEvent::new(
            AuditAction::Delete,
            AuditResource::AgendaFeedToken,
            agent_id,
        ));
    }
    work.commit(HttpResponse::NoContent().finish()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    fn params(from: Option<NaiveDate>, to: Option<NaiveDate>) -> AgendaParams {
        AgendaParams { from, to }
    }

    #[test]
    fn the_range_defaults_to_thirty_days_from_today() {
        let today = date(2026, 12, 1);
        let range = params(None, None).range(today).ok();
        assert_eq!(
            range.map(|r| (r.from, r.to)),
            Some((today, date(2026, 12, 31)))
        );
    }

    #[test]
    fn a_range_longer_than_366_days_or_reversed_is_refused() {
        let today = date(2026, 1, 1);
        assert!(
            params(Some(today), Some(date(2027, 1, 2)))
                .range(today)
                .is_ok()
        );
        assert!(
            params(Some(today), Some(date(2027, 1, 3)))
                .range(today)
                .is_err()
        );
        assert!(
            params(Some(today), Some(date(2025, 12, 31)))
                .range(today)
                .is_err()
        );
    }
}
