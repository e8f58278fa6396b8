//! Agents' notifications (migration 37): written by the database with the events that concern
//! an agent (and their delegations); read here, one agent's only, and marked read.

use chrono::{DateTime, Utc};
use relais_domain::NotificationKind;
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::code::Code;
use crate::error::single;
use crate::page::{Page, PageRequest};

/// A notification as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationRecord {
    pub id: Uuid,
    pub kind: NotificationKind,
    /// The event it reports (none for a delegation).
    pub event_id: Option<Uuid>,
    pub subject_id: Uuid,
    pub case_id: Option<Uuid>,
    /// Identifiers, codes and dates: the event's `data`.
    pub data: Value,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// The unread notifications are counted up to this many (a badge says "999+" past it), so that
/// an inbox nobody reads does not make every read slower.
pub const UNREAD_COUNTED: i64 = 1000;

/// A page of an agent's notifications, and how many are unread in all.
#[derive(Debug, Clone)]
pub struct Inbox {
    pub page: Page<NotificationRecord>,
    pub unread: i64,
}

/// The notifications of `agent_id`, newest first, the unread ones only when `unread_only`, with
/// the count of the unread ones (at most [`UNREAD_COUNTED`]): two queries, each on an index of
/// the agent's notifications.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn list(
    conn: &mut PgConnection,
    agent_id: Uuid,
    unread_only: bool,
    page: PageRequest,
) -> Result<Inbox, StoreError> {
    let rows = read(
        conn,
        agent_id,
        None,
        unread_only,
        page.after,
        page.fetch_limit(),
    )
    .await?;
    let unread = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM (
               SELECT 1 FROM notifications
                WHERE agent_id = $1 AND read_at IS NULL
                LIMIT $2) AS u"#,
        agent_id,
        UNREAD_COUNTED,
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(Inbox {
        page: Page::from_rows(rows, page.limit, |n| n.id),
        unread,
    })
}

/// Marks one of `agent_id`'s notifications read (the first mark stays), and answers it.
///
/// # Errors
/// [`StoreError::NotFound`] for another agent's notification or one that does not exist.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn mark_read(
    conn: &mut PgConnection,
    agent_id: Uuid,
    id: Uuid,
) -> Result<NotificationRecord, StoreError> {
    let marked = sqlx::query!(
        r#"UPDATE notifications SET read_at = now()
            WHERE id = $1 AND agent_id = $2 AND read_at IS NULL"#,
        id,
        agent_id
    )
    .execute(&mut *conn)
    .await?;
    tracing::debug!(marked = marked.rows_affected(), "notification read mark");
    single(read(conn, agent_id, Some(id), false, None, 1).await?)
}

/// The one read of an agent's notifications: newest first, before `before`, at most `limit`, or
/// only `id`.
async fn read(
    conn: &mut PgConnection,
    agent_id: Uuid,
    id: Option<Uuid>,
    unread_only: bool,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<NotificationRecord>, StoreError> {
    Ok(sqlx::query_as!(
        NotificationRecord,
        r#"SELECT id, kind AS "kind: Code<NotificationKind>", event_id, subject_id, case_id,
                  data, created_at, read_at
             FROM notifications
            WHERE agent_id = $1
              AND ($2::uuid IS NULL OR id = $2)
              AND (NOT $3 OR read_at IS NULL)
              AND ($4::uuid IS NULL OR id < $4)
            ORDER BY id DESC
            LIMIT $5"#,
        agent_id,
        id,
        unread_only,
        before,
        limit,
    )
    .fetch_all(conn)
    .await?)
}
