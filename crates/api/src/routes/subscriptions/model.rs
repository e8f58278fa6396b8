//! Request and response types of the webhook subscriptions, and the checks that turn a request
//! into the store's data.

use chrono::{DateTime, Utc};
use relais_domain::codes::first_repeat;
use relais_domain::{Coded, EventType};
use relais_store::subscriptions::{SubscriptionData, SubscriptionRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::ArrayBuilder;
use utoipa::openapi::{RefOr, Schema};
use uuid::Uuid;
use validator::Validate;

use crate::error::{ApiError, FieldError};
use crate::patch::{apply, not_null, nullable};
use crate::routes::trimmed;
use crate::webhook_target;

/// Schema of the subscribed event types: 1 to all of them, each once.
fn event_types() -> RefOr<Schema> {
    RefOr::T(Schema::Array(
        ArrayBuilder::new()
            .items(crate::schema::codes_ref::<EventType>())
            .min_items(Some(1))
            .max_items(Some(EventType::ALL.len()))
            .unique_items(true)
            .description(Some(
                "The event types delivered (`event_type` codes), at least one, each once.",
            ))
            .build(),
    ))
}

/// Schema of the event types a subscription shows.
fn listed_event_types() -> RefOr<Schema> {
    crate::schema::code_array::<EventType>()
}

/// A subscription to create. The answer carries its signing secret, once.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "url": "https://intranet.departement.example/relais/events",
    "events": ["case.opened", "case.status_changed", "referral.received"],
    "description": "Intranet du département : tableau de bord des accompagnements"
}))]
pub struct NewWebhookSubscription {
    /// Where the events are delivered: an `https` URL (at most 2000 characters) on a public
    /// address, without credentials or fragment.
    #[schema(
        min_length = 8,
        max_length = 2000,
        format = "uri",
        pattern = "^https://[^/?#@\\s]+([/?][^#\\s]*)?$"
    )]
    pub url: String,
    #[validate(length(min = 1, max = 11))]
    #[schema(schema_with = event_types)]
    pub events: Vec<EventType>,
    /// What the subscription is for (at most 500 characters).
    #[validate(length(min = 1, max = 500))]
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub description: Option<String>,
    /// Whether events are delivered (default true).
    pub enabled: Option<bool>,
}

/// Changes to a subscription (JSON merge patch: absent keeps, `null` clears the description).
/// `enabled: false` stops new deliveries; the queued ones wait until it is enabled again.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"events": ["case.opened", "case.assigned"], "enabled": false}))]
pub struct WebhookSubscriptionPatch {
    #[serde(default, deserialize_with = "not_null")]
    #[schema(
        nullable = false,
        min_length = 8,
        max_length = 2000,
        format = "uri",
        pattern = "^https://[^/?#@\\s]+([/?][^#\\s]*)?$"
    )]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(schema_with = event_types)]
    pub events: Option<Vec<EventType>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(
        value_type = Option<String>,
        min_length = 1,
        max_length = 500,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub enabled: Option<bool>,
}

/// A webhook subscription of the organisation. Its secret is never shown again after creation
/// or rotation.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookSubscription {
    pub id: Uuid,
    #[schema(example = "https://intranet.departement.example/relais/events")]
    pub url: String,
    /// The event types delivered, in the list's order.
    #[schema(schema_with = listed_event_types)]
    pub events: Vec<&'static str>,
    pub description: Option<String>,
    /// A disabled subscription gets no new delivery.
    pub enabled: bool,
    /// When the current signing secret was issued.
    pub secret_issued_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl From<SubscriptionRecord> for WebhookSubscription {
    fn from(r: SubscriptionRecord) -> Self {
        Self {
            id: r.id,
            url: r.url,
            events: r.events.iter().map(|t| t.code()).collect(),
            description: r.description,
            enabled: r.enabled,
            secret_issued_at: r.secret_issued_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

/// A new subscription with its signing secret, shown this once: store it now.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhookSubscription {
    #[serde(flatten)]
    pub subscription: WebhookSubscription,
    /// The Standard Webhooks signing secret (`whsec_` + base64 of 32 bytes).
    #[schema(example = "whsec_1v1CsWObeC7Ef0uNep/OTk0z/Fd8Ymtbs6OzmDb8r8I=")]
    pub secret: String,
}

/// A page of subscriptions, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookSubscriptionList {
    pub items: Vec<WebhookSubscription>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Checks a validated request (or a patch merged into the current subscription) beyond its
/// length rules, and converts it into the store's data. The URL is checked only when
/// `check_url` (it is new): a stored one was checked when it was written.
pub(super) fn subscription_data(
    input: &NewWebhookSubscription,
    check_url: bool,
    allow_loopback: bool,
) -> Result<SubscriptionData, ApiError> {
    let mut errors = Vec::new();
    let url = if check_url {
        match webhook_target::validate(&input.url, allow_loopback) {
            Ok(url) => url.to_string(),
            Err(e) => {
                errors.push(FieldError::body("/url", e.code, e.message));
                String::new()
            }
        }
    } else {
        input.url.clone()
    };
    if let Some(i) = first_repeat(&input.events) {
        errors.push(FieldError::body(
            format!("/events/{i}"),
            "duplicate",
            format!("{} is named twice", input.events[i].code()),
        ));
    }
    if input
        .description
        .as_deref()
        .is_some_and(|d| d.trim().is_empty())
    {
        errors.push(FieldError::body(
            "/description",
            "blank",
            "must not be blank",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(SubscriptionData {
        url,
        events: input.events.clone(),
        description: trimmed(input.description.as_deref()),
        enabled: input.enabled.unwrap_or(true),
    })
}

/// Merges a patch into the current subscription and checks the result with exactly the rules of
/// a creation, so PATCH can never store what POST refuses.
pub(super) fn patched(
    current: &SubscriptionRecord,
    patch: &WebhookSubscriptionPatch,
    allow_loopback: bool,
) -> Result<SubscriptionData, ApiError> {
    let merged = NewWebhookSubscription {
        url: patch.url.clone().unwrap_or_else(|| current.url.clone()),
        events: patch
            .events
            .clone()
            .unwrap_or_else(|| current.events.clone()),
        description: apply(current.description.clone(), patch.description.clone()),
        enabled: Some(patch.enabled.unwrap_or(current.enabled)),
    };
    merged
        .validate()
        .map_err(|e| ApiError::validation(crate::extract::validation_errors(&e)))?;
    subscription_data(&merged, patch.url.is_some(), allow_loopback)
}
