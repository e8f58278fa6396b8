//! Webhook delivery: the dispatcher's claim and record (across organisations, in
//! `Db::background()` transactions), and the delivery log of a partner or of one of the
//! organisation's own subscriptions (in a tenant transaction).
//!
//! A dispatcher [`claim_due`]s a batch and commits at once: the claim pushes each message's
//! `next_attempt_at` forward by a lease, so another dispatcher (`FOR UPDATE SKIP LOCKED` while
//! the claim runs, the lease afterwards) does not take it while it is being delivered, and a
//! dispatcher that dies mid-delivery leaves it to another one when the lease ends. The attempt
//! is then [`record_attempt`]ed with its outcome in one transaction; its number is the claimed
//! `attempts + 1`, unique per message, so the same attempt can never be recorded twice.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use relais_domain::{AttemptOutcome, DeliveryStatus};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::code::Code;
use crate::error::single;
use crate::page::{Page, PageRequest};

/// Whom a message goes to: a partner, or one of the organisation's subscriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Partner(Uuid),
    Subscription(Uuid),
}

impl Owner {
    /// The partner's or the subscription's id (the two never share one).
    pub fn id(self) -> Uuid {
        match self {
            Owner::Partner(id) | Owner::Subscription(id) => id,
        }
    }

    /// The owner of a stored message (exactly one of the two is set: a constraint says so).
    fn of(partner_id: Option<Uuid>, subscription_id: Option<Uuid>) -> Self {
        match partner_id {
            Some(id) => Owner::Partner(id),
            None => Owner::Subscription(subscription_id.unwrap_or_default()),
        }
    }
}

/// A message claimed for delivery, with where and how to deliver it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: Uuid,
    pub org_id: Uuid,
    pub owner: Owner,
    /// The code of the event (a partner's `WebhookEvent` or an `EventType`).
    pub event_type: String,
    /// The Standard Webhooks payload `{type, timestamp, data}`.
    pub payload: Value,
    /// Attempts recorded so far; this delivery is attempt `attempts + 1`.
    pub attempts: i32,
    /// Failed attempts since the current delivery window opened (at queueing, or at the last
    /// manual redelivery): what the retry delay grows with.
    pub window_failures: i32,
    pub give_up_at: DateTime<Utc>,
    /// The owner's current webhook URL.
    pub webhook_url: String,
    /// The salt its signing key derives from (`partners::webhook_signing_key`).
    pub webhook_secret_salt: Vec<u8>,
}

struct ClaimedRow {
    id: Uuid,
    org_id: Uuid,
    partner_id: Option<Uuid>,
    subscription_id: Option<Uuid>,
    event_type: String,
    payload: Value,
    attempts: i32,
    window_failures: i32,
    give_up_at: DateTime<Utc>,
    webhook_url: String,
    webhook_secret_salt: Vec<u8>,
}

/// Claims up to `batch` due messages of enabled partners with a webhook URL and of enabled,
/// undeleted subscriptions, oldest due first, leasing them for `lease`. Run it in its own
/// `Db::background()` transaction and commit before delivering.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn claim_due(
    conn: &mut PgConnection,
    batch: u32,
    lease: std::time::Duration,
) -> Result<Vec<Claimed>, StoreError> {
    let rows = sqlx::query_as!(
        ClaimedRow,
        r#"WITH due AS (
               SELECT m.id, coalesce(p.webhook_url, s.url) AS url,
                      coalesce(p.webhook_secret_salt, s.secret_salt) AS salt
                 FROM webhook_messages m
                 LEFT JOIN partners p ON p.id = m.partner_id
                 LEFT JOIN webhook_subscriptions s ON s.id = m.subscription_id
                WHERE m.status = 'pending' AND m.next_attempt_at <= now()
                  AND ((p.enabled AND p.webhook_url IS NOT NULL)
                       OR (s.enabled AND s.deleted_at IS NULL))
                ORDER BY m.next_attempt_at
                LIMIT $1
                  FOR UPDATE OF m SKIP LOCKED)
           UPDATE webhook_messages m
              SET next_attempt_at = now() + make_interval(secs => $2)
             FROM due
            WHERE m.id = due.id
        RETURNING m.id, m.org_id, m.partner_id, m.subscription_id, m.event_type, m.payload,
                  m.attempts,
                  (SELECT count(*) FROM webhook_attempts a
                    WHERE a.message_id = m.id AND NOT a.succeeded
                      AND a.started_at >= m.give_up_at - interval '3 days')::int
                      AS "window_failures!",
                  m.give_up_at, due.url AS "webhook_url!", due.salt AS "webhook_secret_salt!""#,
        i64::from(batch),
        lease.as_secs_f64(),
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Claimed {
            id: r.id,
            org_id: r.org_id,
            owner: Owner::of(r.partner_id, r.subscription_id),
            event_type: r.event_type,
            payload: r.payload,
            attempts: r.attempts,
            window_failures: r.window_failures,
            give_up_at: r.give_up_at,
            webhook_url: r.webhook_url,
            webhook_secret_salt: r.webhook_secret_salt,
        })
        .collect())
}

/// What one attempt gave.
#[derive(Debug, Clone)]
pub struct NewAttempt<'a> {
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub latency_ms: i32,
    /// The HTTP status, or `None` when no answer came.
    pub status_code: Option<i32>,
    pub succeeded: bool,
    /// Why it failed, without any secret (at most 500 characters are kept).
    pub error: Option<&'a str>,
    /// The start of the answer's body (at most 1000 characters are kept).
    pub response_excerpt: Option<&'a str>,
}

/// Whether [`record_attempt`] recorded the attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// The attempt and the message's new state are stored.
    Recorded,
    /// Another dispatcher already recorded this attempt number (its lease had run out):
    /// nothing was changed.
    Superseded,
}

fn truncate(text: Option<&str>, max: usize) -> Option<String> {
    text.map(|t| t.chars().take(max).collect())
}

/// Records attempt `claimed.attempts + 1` of a message and applies `outcome` (delivered, retry
/// at, or failed), in the caller's transaction. A message given up while it was in flight (its
/// subscription deleted) gets its attempt logged and stays `failed`.
#[tracing::instrument(level = "debug", skip_all, fields(message_id = %claimed.id, attempt = claimed.attempts + 1))]
pub async fn record_attempt(
    conn: &mut PgConnection,
    claimed: &Claimed,
    attempt: &NewAttempt<'_>,
    outcome: AttemptOutcome,
) -> Result<Recorded, StoreError> {
    let number = claimed.attempts + 1;
    let inserted = sqlx::query_scalar!(
        r#"INSERT INTO webhook_attempts (id, org_id, message_id, attempt, started_at, latency_ms,
                                          status_code, succeeded, error, response_excerpt)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (message_id, attempt) DO NOTHING
           RETURNING id"#,
        Uuid::now_v7(),
        claimed.org_id,
        claimed.id,
        number,
        attempt.started_at,
        attempt.latency_ms.max(0),
        attempt.status_code,
        attempt.succeeded,
        truncate(attempt.error, 500),
        truncate(attempt.response_excerpt, 1000),
    )
    .fetch_optional(&mut *conn)
    .await?;
    if inserted.is_none() {
        return Ok(Recorded::Superseded);
    }
    let next = match outcome {
        AttemptOutcome::RetryAt(at) => Some(at),
        AttemptOutcome::Delivered | AttemptOutcome::GiveUp => None,
    };
    let status = outcome.status();
    let updated = sqlx::query!(
        r#"UPDATE webhook_messages
              SET attempts = $2,
                  last_attempt_at = $3::timestamptz,
                  -- Given up while in flight (its subscription was deleted): it stays so.
                  status = CASE WHEN status = 'failed' THEN 'failed' ELSE $4::text END,
                  delivered_at = CASE WHEN status <> 'failed' AND $4::text = 'delivered'
                                      THEN $3::timestamptz END,
                  next_attempt_at = COALESCE($5, next_attempt_at)
            WHERE id = $1 AND attempts = $2 - 1"#,
        claimed.id,
        number,
        attempt.finished_at,
        status.code(),
        next,
    )
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        // Cannot happen while the attempt numbers are unique; the caller rolls back.
        return Ok(Recorded::Superseded);
    }
    Ok(Recorded::Recorded)
}

/// One attempt of the delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    pub message_id: Uuid,
    pub attempt: i32,
    pub started_at: DateTime<Utc>,
    pub latency_ms: i32,
    pub status_code: Option<i32>,
    pub succeeded: bool,
    pub error: Option<String>,
    pub response_excerpt: Option<String>,
}

/// A message of the delivery log, with its attempts (oldest first).
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: Uuid,
    pub owner: Owner,
    /// The code of the event (a partner's `WebhookEvent` or an `EventType`).
    pub event_type: String,
    pub payload: Value,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub give_up_at: DateTime<Utc>,
    pub attempts_log: Vec<AttemptRecord>,
}

/// A message as read, before its attempts are attached.
struct MessageRow {
    id: Uuid,
    partner_id: Option<Uuid>,
    subscription_id: Option<Uuid>,
    event_type: String,
    payload: Value,
    status: DeliveryStatus,
    attempts: i32,
    created_at: DateTime<Utc>,
    next_attempt_at: DateTime<Utc>,
    last_attempt_at: Option<DateTime<Utc>>,
    delivered_at: Option<DateTime<Utc>>,
    give_up_at: DateTime<Utc>,
}

impl MessageRow {
    fn into_delivery(self, attempts_log: Vec<AttemptRecord>) -> Delivery {
        Delivery {
            id: self.id,
            owner: Owner::of(self.partner_id, self.subscription_id),
            event_type: self.event_type,
            payload: self.payload,
            status: self.status,
            attempts: self.attempts,
            created_at: self.created_at,
            next_attempt_at: self.next_attempt_at,
            last_attempt_at: self.last_attempt_at,
            delivered_at: self.delivered_at,
            give_up_at: self.give_up_at,
            attempts_log,
        }
    }
}

/// Whether the partner, or the undeleted subscription, exists in the transaction's
/// organisation.
pub async fn owner_exists(conn: &mut PgConnection, owner: Owner) -> Result<bool, StoreError> {
    let (partner, subscription) = match owner {
        Owner::Partner(id) => (Some(id), None),
        Owner::Subscription(id) => (None, Some(id)),
    };
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM partners WHERE id = $1)
                  OR EXISTS (SELECT 1 FROM webhook_subscriptions
                              WHERE id = $2 AND deleted_at IS NULL) AS "exists!""#,
        partner,
        subscription,
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(exists)
}

/// The attempts of `messages`, in two queries for any page: message order, then attempt order.
/// How many attempts of a delivery the log shows (the latest ones; `attempts` counts them all).
/// A message retried for 3 days makes about 80: a page of 200 deliveries stays bounded.
pub const ATTEMPTS_SHOWN: i64 = 20;

async fn attach_attempts(
    conn: &mut PgConnection,
    rows: Vec<MessageRow>,
) -> Result<Vec<Delivery>, StoreError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut attempts = sqlx::query_as!(
        AttemptRecord,
        r#"SELECT a.message_id AS "message_id!", a.attempt AS "attempt!",
                  a.started_at AS "started_at!", a.latency_ms AS "latency_ms!", a.status_code,
                  a.succeeded AS "succeeded!", a.error, a.response_excerpt
             FROM unnest($1::uuid[]) AS m (id)
            CROSS JOIN LATERAL (
                   SELECT * FROM webhook_attempts w
                    WHERE w.message_id = m.id
                    ORDER BY w.attempt DESC
                    LIMIT $2) a
            ORDER BY a.message_id, a.attempt"#,
        &ids,
        ATTEMPTS_SHOWN,
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut by_message: HashMap<Uuid, Vec<AttemptRecord>> = HashMap::new();
    for a in attempts.drain(..) {
        by_message.entry(a.message_id).or_default().push(a);
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let log = by_message.remove(&r.id).unwrap_or_default();
            r.into_delivery(log)
        })
        .collect())
}

/// A page of a partner's or a subscription's deliveries, newest first, optionally of one
/// status, each with its attempts. Run in a tenant transaction: another organisation's messages
/// are invisible.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn list_deliveries(
    conn: &mut PgConnection,
    owner: Owner,
    status: Option<DeliveryStatus>,
    page: PageRequest,
) -> Result<Page<Delivery>, StoreError> {
    let rows = read_messages(conn, owner, None, status, page.after, page.fetch_limit()).await?;
    let page = Page::from_rows(rows, page.limit, |r| r.id);
    let next_after = page.next_after;
    let items = attach_attempts(conn, page.items).await?;
    Ok(Page { items, next_after })
}

/// One delivery of a partner or a subscription, with its attempts.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get_delivery(
    conn: &mut PgConnection,
    owner: Owner,
    id: Uuid,
) -> Result<Delivery, StoreError> {
    let rows = read_messages(conn, owner, Some(id), None, None, 1).await?;
    single(attach_attempts(conn, rows).await?)
}

/// The one read of an owner's messages, newest first: of one status, after the message
/// `after`, at most `limit` of them, or only the message `id`.
async fn read_messages(
    conn: &mut PgConnection,
    owner: Owner,
    id: Option<Uuid>,
    status: Option<DeliveryStatus>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<MessageRow>, StoreError> {
    Ok(sqlx::query_as!(
        MessageRow,
        r#"SELECT id, partner_id, subscription_id, event_type, payload,
                  status AS "status: Code<DeliveryStatus>", attempts, created_at,
                  next_attempt_at, last_attempt_at, delivered_at, give_up_at
             FROM webhook_messages
            WHERE coalesce(partner_id, subscription_id) = $1
              AND ($2::uuid IS NULL OR id = $2)
              AND ($3::text IS NULL OR status = $3)
              AND ($4::uuid IS NULL OR id < $4)
            ORDER BY id DESC
            LIMIT $5"#,
        owner.id(),
        id,
        status.map(DeliveryStatus::code),
        after,
        limit,
    )
    .fetch_all(conn)
    .await?)
}

/// Queues a delivered or failed delivery again: pending, due now, with a new 3-day window.
/// The attempts already made stay in the log (numbering goes on). A disabled partner's or
/// subscription's message waits until it is enabled again.
///
/// A pending delivery is refused (`Conflict`, `delivery_pending`): it may be in a dispatcher's
/// hands right now (its lease is its `next_attempt_at`), and making it due again would let a
/// second dispatcher send the same attempt.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn redeliver(
    conn: &mut PgConnection,
    owner: Owner,
    id: Uuid,
) -> Result<Delivery, StoreError> {
    let updated = sqlx::query_as!(
        MessageRow,
        r#"UPDATE webhook_messages
              SET status = 'pending', delivered_at = NULL, next_attempt_at = now(),
                  give_up_at = now() + interval '3 days'
            WHERE id = $1 AND coalesce(partner_id, subscription_id) = $2 AND status <> 'pending'
        RETURNING id, partner_id, subscription_id, event_type, payload,
                  status AS "status: Code<DeliveryStatus>", attempts, created_at,
                  next_attempt_at, last_attempt_at, delivered_at, give_up_at"#,
        id,
        owner.id(),
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(updated) = updated else {
        // Missing (NotFound from the read), or pending.
        let existing = get_delivery(conn, owner, id).await?;
        return Err(StoreError::Conflict {
            code: "delivery_pending",
            message: format!(
                "this delivery is still pending; its next attempt is due at {}",
                existing.next_attempt_at.to_rfc3339()
            ),
        });
    };
    single(attach_attempts(conn, vec![updated]).await?)
}

/// Gives up the deliveries still pending to deleted subscriptions; answers how many. Across
/// organisations in a `Db::background()` transaction (the worker's sweep, which catches a message
/// queued by a transaction that committed beside a deletion), or the organisation's own in a
/// tenant transaction (the deletion itself).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn give_up_deleted(conn: &mut PgConnection) -> Result<u64, StoreError> {
    let done = sqlx::query!(
        r#"UPDATE webhook_messages m
              SET status = 'failed'
             FROM webhook_subscriptions s
            WHERE m.subscription_id = s.id AND s.deleted_at IS NOT NULL
              AND m.status = 'pending'"#
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// The webhook outbox as an operator watches it: messages waiting to be delivered, and how long
/// the oldest of those already due has waited (0 when none is due).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct OutboxState {
    pub pending: i64,
    pub lag_seconds: f64,
}

/// The outbox's state across organisations (a `Db::background()` transaction), from the
/// index of pending messages.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn outbox_state(conn: &mut PgConnection) -> Result<OutboxState, StoreError> {
    let row = sqlx::query!(
        r#"SELECT count(*) AS "pending!",
                  COALESCE(EXTRACT(epoch FROM now() - min(next_attempt_at)
                                   FILTER (WHERE next_attempt_at <= now())), 0)::float8
                      AS "lag_seconds!"
             FROM webhook_messages
            WHERE status = 'pending'"#
    )
    .fetch_one(conn)
    .await?;
    Ok(OutboxState {
        pending: row.pending,
        lag_seconds: row.lag_seconds,
    })
}
