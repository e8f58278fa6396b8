//! The caller's notifications (`/v1/me/notifications`): a referral in the inbox (reception,
//! supervisors), a case assigned to me or an absent colleague's cases I cover, a liaison sheet I
//! sent answered, a step of my cases overdue, a review of my cases due, an application of my
//! cases decided.
//!
//! Every agent reads their own, and only their own; a partner's token gets 403. A notification
//! carries its event's identifiers, codes and dates, never a name or a free text: reading it is
//! not audited (reading the record it names is), nor is the read mark, the agent's own state.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use relais_domain::Permission;
use relais_store::db::Access;
use relais_store::notifications::{self as store, NotificationRecord};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::ApiError;
use crate::extract::Query;
use crate::pagination::{PageParams, into_views};
use crate::responses::{CreateErrors, ReadErrors};

/// A notification of the caller.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a1d2-0c4e-7a10-9b2c-3d4e5f6a7b8c",
    "kind": "case.assigned",
    "event_id": "6f1c0c8e-2d7b-4a57-9a53-3c2f0f1b9b21",
    "subject_id": "0193a1c4-5d6e-7f80-9a1b-2c3d4e5f6a7b",
    "case_id": "0193a1c4-5d6e-7f80-9a1b-2c3d4e5f6a7b",
    "data": {"case_id": "0193a1c4-5d6e-7f80-9a1b-2c3d4e5f6a7b",
             "referent_id": "0193a1c0-0000-7000-8000-000000000002",
             "previous_referent_id": "0193a1c0-0000-7000-8000-000000000001"},
    "created_at": "2026-12-06T09:14:03.512Z",
    "read_at": null
}))]
pub struct Notification {
    pub id: Uuid,
    /// What happened: an event's type, or `absence.delegated`.
    #[schema(schema_with = crate::schema::notification_kind)]
    pub kind: &'static str,
    /// The event of the change feed it reports (absent for `absence.delegated`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub event_id: Option<Uuid>,
    /// The record it is about: the referral, case, absence, liaison sheet, step or application.
    pub subject_id: Uuid,
    /// Its case, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub case_id: Option<Uuid>,
    /// Identifiers, codes and dates: the event's `data`, as the change feed describes it for its
    /// type (`FeedEvent`); for `absence.delegated`, `absence_id`, `absent_agent_id`,
    /// `starts_on`, `ends_on`.
    #[schema(value_type = Object)]
    pub data: Value,
    pub created_at: DateTime<Utc>,
    /// When the caller marked it read (null while unread).
    pub read_at: Option<DateTime<Utc>>,
}

impl From<NotificationRecord> for Notification {
    fn from(r: NotificationRecord) -> Self {
        Self {
            id: r.id,
            kind: r.kind.code(),
            event_id: r.event_id,
            subject_id: r.subject_id,
            case_id: r.case_id,
            data: r.data,
            created_at: r.created_at,
            read_at: r.read_at,
        }
    }
}

/// A page of the caller's notifications, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    pub items: Vec<Notification>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// How many of the caller's notifications are unread, in all, counted up to 1000 (1000
    /// means 1000 or more).
    #[schema(maximum = 1000)]
    pub unread_count: i64,
}

/// Which notifications to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationParams {
    /// `true`: only the unread ones.
    pub unread: Option<bool>,
}

/// The caller's notifications, newest first, with how many are unread.
///
/// Every agent, for themselves (a partner's token gets 403). `unread=true` keeps the unread ones.
/// Each carries the identifiers, codes and dates of what happened, never a name or a free text:
/// not audited. Kinds: `referral.received` (reception and supervisors), `case.assigned` (the new
/// referent, unless they opened the case for themselves), `absence.delegated` (once per absence
/// the caller covers), `liaison.acknowledged` and `liaison.declined` (who sent the sheet),
/// `plan_item.overdue`, `review.due` and `application.decided` (the case's referent).
#[utoipa::path(
    tag = "me",
    operation_id = "list_my_notifications",
    params(NotificationParams, PageParams),
    responses((status = 200, description = "The caller's notifications, newest first", body = NotificationList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/me/notifications")]
pub async fn list(
    ctx: Ctx,
    params: Query<NotificationParams>,
    page: Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::AgentRead)?;
    let page = page.request()?;
    let mut work = ctx.work(Access::Read).await?;
    let inbox = store::list(
        &mut work.tx,
        work.actor.agent_id,
        params.unread.unwrap_or(false),
        page,
    )
    .await?;
    let (items, next_cursor) = into_views(inbox.page, Notification::from);
    work.commit(HttpResponse::Ok().json(NotificationList {
        items,
        next_cursor,
        unread_count: inbox.unread,
    }))
    .await
}

/// Marks one of the caller's notifications read.
///
/// Every agent, for their own notifications (another's answers 404). Marking again keeps the
/// first `read_at`. No body.
#[utoipa::path(
    tag = "me",
    operation_id = "read_my_notification",
    params(
        ("id" = Uuid, Path, description = "Notification id"),
        crate::responses::IdempotencyKeyHeader
    ),
    responses((status = 200, description = "The notification, read", body = Notification), CreateErrors),
    security(("bearer" = []))
)]
#[post("/me/notifications/{id}/read")]
pub async fn mark_read(ctx: Ctx, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::AgentRead)?;
    let mut work = ctx.work(Access::Write).await?;
    let notification = store::mark_read(&mut work.tx, work.actor.agent_id, *id).await?;
    work.commit(HttpResponse::Ok().json(Notification::from(notification)))
        .await
}
