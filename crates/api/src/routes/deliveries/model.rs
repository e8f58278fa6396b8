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

/// Schema of the event type codes.
fn event_types() -> RefOr<Schema> {
    crate::schema::codes::<relais_domain::WebhookEvent>().into()
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

impl From<AttemptRecord> for DeliveryAttempt {
    fn from(a: AttemptRecord) -> Self {
        Self {
            attempt: a.attempt,
            started_at: a.started_at,
            latency_ms: a.latency_ms,
            status_code: a.status_code,
            succeeded: a.succeeded,
            error: a.error,
            response_excerpt: a.response_excerpt,
        }
    }
}

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

impl From<DeliveryRecord> for Delivery {
    fn from(d: DeliveryRecord) -> Self {
        Self {
            id: d.id,
            partner_id: d.partner_id,
            event_type: d.event_type,
            status: d.status.code(),
            attempts: d.attempts,
            created_at: d.created_at,
            next_attempt_at: d.next_attempt_at,
            last_attempt_at: d.last_attempt_at,
            delivered_at: d.delivered_at,
            give_up_at: d.give_up_at,
            payload: d.payload,
            attempts_log: d.attempts_log.into_iter().map(Into::into).collect(),
        }
    }
}

/// A page of a partner's deliveries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    pub items: Vec<Delivery>,
    pub next_cursor: Option<String>,
}
