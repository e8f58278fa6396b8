//! Response types of the delivery log.

use chrono::{DateTime, Utc};
use relais_domain::WebhookEvent;
use relais_store::webhooks::{AttemptRecord, Delivery as DeliveryRecord};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::{RefOr, Schema};
use uuid::Uuid;

use super::payloads::WebhookPayload;
use crate::routes::view_from;

/// Schema of the event type codes.
fn event_types() -> RefOr<Schema> {
    crate::schema::codes_ref::<relais_domain::WebhookEvent>().into()
}

/// One attempt to deliver a webhook.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryAttempt {
    /// 1 for the first attempt; numbering goes on across redeliveries.
    pub attempt: i32,
    pub started_at: DateTime<Utc>,
    /// From the request to the end of the answer (or the failure).
    pub latency_ms: i32,
    /// The partner's HTTP status, or null when no answer came (timeout, refused connection…).
    pub status_code: Option<i32>,
    /// Whether the partner answered 2xx.
    pub succeeded: bool,
    /// Why the attempt failed, when the status does not say it all (timeout, connection,
    /// redirect not followed, refused address).
    pub error: Option<String>,
    /// The first 1000 characters of the partner's answer.
    pub response_excerpt: Option<String>,
}

view_from!(AttemptRecord => DeliveryAttempt {
    attempt, started_at, latency_ms, status_code, succeeded, error, response_excerpt,
});

/// A webhook message to a partner and its delivery attempts.
#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    /// The message id; the `webhook-id` header is `msg_` + its 32 hex digits.
    pub id: Uuid,
    pub partner_id: Uuid,
    /// `referral.status_changed`, `liaison.sent` or `liaison.acknowledged`.
    #[schema(schema_with = event_types)]
    pub event_type: WebhookEvent,
    /// `pending` (waiting for an attempt), `delivered` (2xx) or `failed` (gave up after the
    /// 3-day window; a redelivery starts again).
    #[schema(schema_with = crate::schema::webhook_delivery_status)]
    pub status: &'static str,
    /// Attempts made so far.
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    /// When the next attempt is due (while pending).
    pub next_attempt_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Retries stop after this instant: 3 days after the message was queued or redelivered.
    pub give_up_at: DateTime<Utc>,
    /// The body sent, exactly as the partner receives it.
    #[schema(value_type = WebhookPayload)]
    pub payload: Value,
    /// The latest attempts (at most 20; `attempts` counts them all), oldest first.
    pub attempts_log: Vec<DeliveryAttempt>,
}

view_from!(DeliveryRecord as d => Delivery {
    id, partner_id, event_type, attempts, created_at, next_attempt_at, last_attempt_at,
    delivered_at, give_up_at, payload;
    status: d.status.code(),
    attempts_log: d.attempts_log.into_iter().map(Into::into).collect(),
});

/// A page of a partner's deliveries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    pub items: Vec<Delivery>,
    pub next_cursor: Option<String>,
}
