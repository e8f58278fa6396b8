//! Response types of the delivery log.

use chrono::{DateTime, Utc};
use relais_store::webhooks::{AttemptRecord, Delivery as DeliveryRecord};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::{RefOr, Schema};
use uuid::Uuid;

use super::payloads::WebhookPayload;
use crate::routes::events::EventWebhook;
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

/// Declares the view of a delivery to one kind of owner: its owner's id field, the codes of its
/// event types and the schema of its payload; the rest is the same for every owner.
macro_rules! delivery_view {
    (
        $(#[doc = $doc:literal])*
        $view:ident { $owner:ident, event_types: $types:path, $types_doc:literal, payload: $payload:ty }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Serialize, ToSchema)]
        pub struct $view {
            /// The message id; the `webhook-id` header is `msg_` + its 32 hex digits.
            pub id: Uuid,
            pub $owner: Uuid,
            #[doc = $types_doc]
            #[schema(schema_with = $types)]
            pub event_type: String,
            /// `pending` (waiting for an attempt), `delivered` (2xx) or `failed` (gave up after
            /// the 3-day window; a redelivery starts again).
            #[schema(schema_with = crate::schema::webhook_delivery_status)]
            pub status: &'static str,
            /// Attempts made so far.
            pub attempts: i32,
            pub created_at: DateTime<Utc>,
            /// When the next attempt is due (while pending).
            pub next_attempt_at: DateTime<Utc>,
            pub last_attempt_at: Option<DateTime<Utc>>,
            pub delivered_at: Option<DateTime<Utc>>,
            /// Retries stop after this instant: 3 days after the message was queued or
            /// redelivered.
            pub give_up_at: DateTime<Utc>,
            /// The body sent, exactly as the receiver gets it.
            #[schema(value_type = $payload)]
            pub payload: Value,
            /// The latest attempts (at most 20; `attempts` counts them all), oldest first.
            pub attempts_log: Vec<DeliveryAttempt>,
        }

        view_from!(DeliveryRecord as d => $view {
            id, event_type, attempts, created_at, next_attempt_at, last_attempt_at,
            delivered_at, give_up_at, payload;
            $owner: d.owner.id(),
            status: d.status.code(),
            attempts_log: d.attempts_log.into_iter().map(Into::into).collect(),
        });
    };
}

/// Schema of the organisation's event types.
fn subscription_event_types() -> RefOr<Schema> {
    crate::schema::codes_ref::<relais_domain::EventType>().into()
}

delivery_view! {
    /// A webhook message to a partner and its delivery attempts.
    Delivery {
        partner_id,
        event_types: event_types,
        "`referral.status_changed`, `liaison.sent`, `liaison.acknowledged` or `referral.outcome`.",
        payload: WebhookPayload
    }
}

delivery_view! {
    /// A webhook message to one of the organisation's subscriptions and its delivery attempts.
    SubscriptionDelivery {
        subscription_id,
        event_types: subscription_event_types,
        "The event's type (`case.opened`, `referral.received`…).",
        payload: EventWebhook
    }
}

/// A page of a partner's deliveries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    pub items: Vec<Delivery>,
    pub next_cursor: Option<String>,
}

/// A page of a subscription's deliveries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionDeliveryList {
    pub items: Vec<SubscriptionDelivery>,
    pub next_cursor: Option<String>,
}
