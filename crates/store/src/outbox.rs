//! The webhook outbox: messages written in the same transaction as the change they report.
//!
//! [`enqueue`] is all a change needs; the dispatcher (in `webhooks`) claims, delivers and
//! records them.

use chrono::{DateTime, Utc};
use relais_domain::WebhookEvent;
use serde_json::{Value, json};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;

/// Queues `event` for `partner_id`, in the caller's transaction, when the partner is enabled
/// and has a webhook URL; answers the message id, or `None` when nothing is to be delivered.
///
/// The payload is the Standard Webhooks structure `{type, timestamp, data}`; `data` must hold
/// identifiers and statuses only, never personal data.
pub async fn enqueue(
    conn: &mut PgConnection,
    org_id: Uuid,
    partner_id: Uuid,
    event: WebhookEvent,
    data: Value,
) -> Result<Option<Uuid>, StoreError> {
    let id = Uuid::now_v7();
    let at: DateTime<Utc> = Utc::now();
    let payload = json!({
        "type": event.code(),
        "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": data,
    });
    let queued = sqlx::query_scalar!(
        r#"INSERT INTO webhook_messages (id, org_id, partner_id, event_type, payload, created_at,
                                         next_attempt_at, give_up_at)
           SELECT $1, $2, p.id, $4, $5, $6::timestamptz, $6, $6 + interval '3 days'
             FROM partners p
            WHERE p.id = $3 AND p.org_id = $2 AND p.enabled AND p.webhook_url IS NOT NULL
           RETURNING id"#,
        id,
        org_id,
        partner_id,
        event.code(),
        payload,
        at,
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(queued)
}
