//! The organisation's events (migration 34): written by the database's triggers in the
//! transaction of each change, read here in order by the change feed.
//!
//! A position in the feed is the event's transaction id and its place in that transaction
//! ([`Position`]); the feed shows only the events of transactions older than every one still
//! running, so a position, once passed, never sees an earlier event commit behind it.

use chrono::{DateTime, Utc};
use relais_domain::EventType;
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::code::Code;

/// Where an event stands in the feed: its transaction (a 64-bit transaction id) and its order
/// in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    pub tx: i64,
    pub seq: i64,
}

/// One event of the feed.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: Uuid,
    pub position: Position,
    pub event_type: EventType,
    pub occurred_at: DateTime<Utc>,
    /// Identifiers, codes and dates (the shape of each type is the API's).
    pub data: Value,
}

struct Row {
    id: Uuid,
    tx: i64,
    seq: i64,
    event_type: EventType,
    occurred_at: DateTime<Utc>,
    data: Value,
}

impl From<Row> for Event {
    fn from(r: Row) -> Self {
        Event {
            id: r.id,
            position: Position {
                tx: r.tx,
                seq: r.seq,
            },
            event_type: r.event_type,
            occurred_at: r.occurred_at,
            data: r.data,
        }
    }
}

/// At most `limit` events of the transaction's organisation after `after` (from the start when
/// `None`), of `types` only when some are given, in feed order: one round trip, one index range
/// per type.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn feed(
    conn: &mut PgConnection,
    after: Option<Position>,
    types: &[EventType],
    limit: u32,
) -> Result<Vec<Event>, StoreError> {
    let after = after.unwrap_or_default();
    let codes: Vec<&str> = types.iter().map(|t| t.code()).collect();
    let rows = if codes.is_empty() {
        sqlx::query_as!(
            Row,
            r#"SELECT id, tx::text::bigint AS "tx!", seq,
                      type AS "event_type: Code<EventType>", occurred_at, data
                 FROM events
                WHERE (tx, seq) > ($1::bigint::text::xid8, $2::bigint)
                  AND tx < pg_snapshot_xmin(pg_current_snapshot())
                ORDER BY tx, seq
                LIMIT $3"#,
            after.tx,
            after.seq,
            i64::from(limit),
        )
        .fetch_all(&mut *conn)
        .await?
    } else {
        sqlx::query_as!(
            Row,
            r#"SELECT e.id AS "id!", e.tx_n AS "tx!", e.seq AS "seq!",
                      e.type AS "event_type!: Code<EventType>", e.occurred_at AS "occurred_at!",
                      e.data AS "data!"
                 FROM unnest($3::text[]) AS t (type)
                CROSS JOIN LATERAL (
                      SELECT id, tx::text::bigint AS tx_n, seq, type, occurred_at, data
                        FROM events
                       WHERE type = t.type
                         AND (tx, seq) > ($1::bigint::text::xid8, $2::bigint)
                         AND tx < pg_snapshot_xmin(pg_current_snapshot())
                       ORDER BY tx, seq
                       LIMIT $4) AS e
                ORDER BY e.tx_n, e.seq
                LIMIT $4"#,
            after.tx,
            after.seq,
            &codes as &[&str],
            i64::from(limit),
        )
        .fetch_all(&mut *conn)
        .await?
    };
    Ok(rows.into_iter().map(Event::from).collect())
}

/// Most time-based events one call of [`emit_due`] writes (one transaction).
pub const DUE_BATCH: u32 = 1000;

/// Writes at most `max` of the time-based events due at `at` and not written yet (steps overdue
/// the day after their due date, reviews due, planned contacts within 24 hours), across
/// organisations, in a `Db::background()` transaction; answers how many. Each is written once
/// whoever calls it and however often: call it again while it answers `max`.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn emit_due(
    conn: &mut PgConnection,
    at: DateTime<Utc>,
    max: u32,
) -> Result<u32, StoreError> {
    let emitted = sqlx::query_scalar!(
        r#"SELECT relais_emit_due($1, $2) AS "emitted!""#,
        at,
        i32::try_from(max).unwrap_or(i32::MAX),
    )
    .fetch_one(conn)
    .await?;
    Ok(u32::try_from(emitted).unwrap_or(0))
}
