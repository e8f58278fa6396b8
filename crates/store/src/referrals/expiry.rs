//! The expiry sweep: referrals left unanswered past their `expires_at` become `expired`, and the
//! partner is told by webhook, in one background transaction across organisations.

use chrono::{DateTime, SecondsFormat, Utc};
use relais_domain::{ReferralStatus, WebhookEvent};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;

/// Most referrals the expiry sweep settles in one call; the rest wait for the next sweep, so
/// every statement stays bounded.
pub const EXPIRY_BATCH: i64 = 500;

/// The background sweep: due `received` referrals of every organisation become `expired`
/// (at most [`EXPIRY_BATCH`] per call) and their webhooks are queued, all in the caller's
/// transaction (opened with `Db::background()`). Answers how many expired.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn expire_due(conn: &mut PgConnection, now: DateTime<Utc>) -> Result<u64, StoreError> {
    // Rows a decision holds are skipped: the decision wins, or they expire next time.
    let expired = sqlx::query!(
        r#"
        UPDATE referrals
        SET status = 'expired', decided_at = $1, updated_at = $1, version = version + 1
        WHERE id IN (
            SELECT id
            FROM referrals
            WHERE status = 'received' AND expires_at <= $1
            ORDER BY expires_at
            LIMIT $2
            FOR UPDATE SKIP LOCKED
        )
        RETURNING id, org_id, partner_id
        "#,
        now,
        EXPIRY_BATCH
    )
    .fetch_all(&mut *conn)
    .await?;
    if expired.is_empty() {
        return Ok(0);
    }
    // The same Standard Webhooks payload as `outbox::enqueue`, for every row in one statement.
    let event = WebhookEvent::ReferralStatusChanged;
    let timestamp = now.to_rfc3339_opts(SecondsFormat::Millis, true);
    let mut ids = Vec::with_capacity(expired.len());
    let mut orgs = Vec::with_capacity(expired.len());
    let mut partners = Vec::with_capacity(expired.len());
    let mut payloads = Vec::with_capacity(expired.len());
    for row in &expired {
        ids.push(Uuid::now_v7());
        orgs.push(row.org_id);
        partners.push(row.partner_id);
        payloads.push(json!({
            "type": event.code(),
            "timestamp": timestamp,
            "data": {
                "referral_id": row.id,
                "status": ReferralStatus::Expired.code(),
                "previous_status": ReferralStatus::Received.code(),
            },
        }));
    }
    sqlx::query!(
        r#"
        INSERT INTO webhook_messages (id, org_id, partner_id, event_type, payload, created_at,
                                      next_attempt_at, give_up_at)
        SELECT m.id, m.org_id, p.id, $5, m.payload, $6::timestamptz, $6, $6 + interval '3 days'
        FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::jsonb[])
             AS m (id, org_id, partner_id, payload)
        JOIN partners p ON p.id = m.partner_id AND p.org_id = m.org_id
        WHERE p.enabled AND p.webhook_url IS NOT NULL
        "#,
        &ids,
        &orgs,
        &partners,
        &payloads,
        event.code(),
        now
    )
    .execute(&mut *conn)
    .await?;
    Ok(expired.len() as u64)
}
