//! The webhook payloads and headers, for the OpenAPI document: component schemas and the
//! OpenAPI 3.1 `webhooks` section.

use chrono::{DateTime, Utc};
use relais_domain::LiaisonStatus;
use serde::Serialize;
use serde_json::json;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{Modify, PartialSchema, ToSchema};
use uuid::Uuid;

/// Schema of a constant string (the `type` of one event).
fn constant(value: &'static str) -> RefOr<Schema> {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some([value]))
        .build()
        .into()
}

fn referral_status_changed_type() -> RefOr<Schema> {
    constant("referral.status_changed")
}

fn liaison_sent_type() -> RefOr<Schema> {
    constant("liaison.sent")
}

fn liaison_acknowledged_type() -> RefOr<Schema> {
    constant("liaison.acknowledged")
}

fn referral_outcome_type() -> RefOr<Schema> {
    constant("referral.outcome")
}

fn support_status() -> RefOr<Schema> {
    crate::schema::codes_ref::<relais_domain::SupportStatus>().into()
}

fn closure_reason() -> RefOr<Schema> {
    crate::schema::codes_ref::<relais_domain::ClosureReason>().into()
}

fn referral_status() -> RefOr<Schema> {
    crate::schema::codes_ref::<relais_domain::ReferralStatus>().into()
}

fn liaison_status() -> RefOr<Schema> {
    crate::schema::codes_ref::<LiaisonStatus>().into()
}

/// The organisation a referral was redirected to.
#[allow(dead_code)]
#[derive(Serialize, ToSchema)]
pub struct WebhookRedirectedTo {
    pub slug: String,
    pub name: String,
}

/// `data` of `referral.status_changed`.
#[allow(dead_code)]
#[derive(Serialize, ToSchema)]
pub struct ReferralStatusChangedData {
    pub referral_id: Uuid,
    /// The new status: `accepted`, `declined`, `redirected` or `expired`.
    #[schema(schema_with = referral_status)]
    pub status: String,
    /// The status before the change (`received`).
    #[schema(schema_with = referral_status)]
    pub previous_status: String,
    /// The case opened when the referral was accepted (absent otherwise).
    #[schema(required = false)]
    pub case_id: Option<Uuid>,
    /// Where a redirected referral went (absent otherwise).
    #[schema(required = false)]
    pub redirected_to: Option<WebhookRedirectedTo>,
}

/// `data` of `liaison.sent` and `liaison.acknowledged`.
#[allow(dead_code)]
#[derive(Serialize, ToSchema)]
pub struct LiaisonWebhookData {
    pub liaison_id: Uuid,
    /// `sent`, then `acknowledged` or `declined`.
    #[schema(schema_with = liaison_status)]
    pub status: String,
}

/// A referral the partner posted was accepted, declined, redirected or expired. Read it with
/// `GET /v1/referrals/{referral_id}`.
#[allow(dead_code)]
#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "type": "referral.status_changed",
    "timestamp": "2026-11-22T10:15:30.123Z",
    "data": {"referral_id": "0192f5e4-7b7a-7c3e-9d2a-1b2c3d4e5f60", "status": "accepted",
             "previous_status": "received", "case_id": "0192f5e4-9a10-7c3e-8d2a-1b2c3d4e5f61"}
}))]
pub struct ReferralStatusChangedWebhook {
    #[schema(schema_with = referral_status_changed_type)]
    pub r#type: String,
    /// When the change happened.
    pub timestamp: DateTime<Utc>,
    pub data: ReferralStatusChangedData,
}

/// A liaison sheet addressed to the partner was sent. Read it with the partner's liaison
/// endpoints, and acknowledge or decline it.
#[allow(dead_code)]
#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "type": "liaison.sent",
    "timestamp": "2026-11-22T10:15:30.123Z",
    "data": {"liaison_id": "0192f5e4-7b7a-7c3e-9d2a-1b2c3d4e5f60", "status": "sent"}
}))]
pub struct LiaisonSentWebhook {
    #[schema(schema_with = liaison_sent_type)]
    pub r#type: String,
    pub timestamp: DateTime<Utc>,
    pub data: LiaisonWebhookData,
}

/// A liaison sheet addressed to the partner was acknowledged or declined.
#[allow(dead_code)]
#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "type": "liaison.acknowledged",
    "timestamp": "2026-11-22T10:15:30.123Z",
    "data": {"liaison_id": "0192f5e4-7b7a-7c3e-9d2a-1b2c3d4e5f60", "status": "acknowledged"}
}))]
pub struct LiaisonAcknowledgedWebhook {
    #[schema(schema_with = liaison_acknowledged_type)]
    pub r#type: String,
    pub timestamp: DateTime<Utc>,
    pub data: LiaisonWebhookData,
}

/// `data` of `referral.outcome`.
#[allow(dead_code)]
#[derive(Serialize, ToSchema)]
pub struct ReferralOutcomeData {
    pub referral_id: Uuid,
    /// The case opened when the referral was accepted.
    pub case_id: Uuid,
    /// `completed` when the case closed, `in_progress` when it was reopened.
    #[schema(schema_with = support_status)]
    pub status: String,
    /// Why the case closed (`closure_reason` code; present when completed).
    #[schema(required = false, schema_with = closure_reason)]
    pub closure_reason: Option<String>,
}

/// The support of a person the partner referred ended (or started again): all the partner
/// learns of the case. The referral's `support` says the same.
#[allow(dead_code)]
#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "type": "referral.outcome",
    "timestamp": "2027-05-22T10:15:30.123Z",
    "data": {"referral_id": "0192f5e4-7b7a-7c3e-9d2a-1b2c3d4e5f60",
             "case_id": "0192f5e4-9a10-7c3e-8d2a-1b2c3d4e5f61",
             "status": "completed", "closure_reason": "goals_met"}
}))]
pub struct ReferralOutcomeWebhook {
    #[schema(schema_with = referral_outcome_type)]
    pub r#type: String,
    /// When the case closed (or reopened).
    pub timestamp: DateTime<Utc>,
    pub data: ReferralOutcomeData,
}

/// The body of a webhook (Standard Webhooks structure `{type, timestamp, data}`): identifiers
/// and statuses only, never personal data — read the record through the API with a partner
/// token.
#[allow(dead_code)]
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum WebhookPayload {
    ReferralStatusChanged(ReferralStatusChangedWebhook),
    LiaisonSent(LiaisonSentWebhook),
    LiaisonAcknowledged(LiaisonAcknowledgedWebhook),
    ReferralOutcome(ReferralOutcomeWebhook),
}

/// How a partner checks a webhook, shared by every event's description.
const VERIFY: &str = "Relais sends a `POST` with `content-type: application/json` and the \
    Standard Webhooks headers (https://www.standardwebhooks.com): `webhook-id` (`msg_` + the \
    delivery id; the same on every retry, so a receiver drops duplicates with it), \
    `webhook-timestamp` (unix seconds of the attempt) and `webhook-signature` (`v1,` + base64 \
    of HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the base64-decoded \
    part of the `whsec_…` secret of the partner or of the subscription). Verify the signature over the raw body, with a \
    constant-time comparison, and refuse timestamps more than 5 minutes away from now. Answer \
    2xx quickly: any other status, a redirect (never followed) or no answer within the timeout \
    is retried with exponential backoff and jitter for 3 days.";

/// Adds the OpenAPI 3.1 `webhooks` section (utoipa 5 has no field for it: it goes in as an
/// extension at the document's top level) and the payload schemas.
pub struct WebhookDocs;

impl Modify for WebhookDocs {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, schema) in [
            ("WebhookPayload", WebhookPayload::schema()),
            (
                "ReferralStatusChangedWebhook",
                ReferralStatusChangedWebhook::schema(),
            ),
            ("LiaisonSentWebhook", LiaisonSentWebhook::schema()),
            (
                "LiaisonAcknowledgedWebhook",
                LiaisonAcknowledgedWebhook::schema(),
            ),
            (
                "ReferralStatusChangedData",
                ReferralStatusChangedData::schema(),
            ),
            ("LiaisonWebhookData", LiaisonWebhookData::schema()),
            ("ReferralOutcomeWebhook", ReferralOutcomeWebhook::schema()),
            ("ReferralOutcomeData", ReferralOutcomeData::schema()),
            ("WebhookRedirectedTo", WebhookRedirectedTo::schema()),
        ] {
            components.schemas.insert(name.to_owned(), schema);
        }
        for (name, schema) in crate::routes::events::event_webhook_schemas() {
            components.schemas.insert(name, schema);
        }
        let header = |name: &str, description: &str, example: &str| {
            json!({
                "name": name,
                "in": "header",
                "required": true,
                "description": description,
                "schema": {"type": "string"},
                "example": example,
            })
        };
        let parameters = json!([
            header(
                "webhook-id",
                "`msg_` + the delivery id: the same on every retry of one message.",
                "msg_0192f5e47b7a7c3e9d2a1b2c3d4e5f60"
            ),
            header(
                "webhook-timestamp",
                "Unix seconds of this attempt.",
                "1795342530"
            ),
            header(
                "webhook-signature",
                "`v1,` + base64(HMAC-SHA256(key, \"{webhook-id}.{webhook-timestamp}.{body}\")).",
                "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
            ),
        ]);
        let event = |id: &str, summary: &str, schema: &str| {
            json!({
                "post": {
                    "tags": ["webhooks"],
                    "operationId": id,
                    "summary": summary,
                    "description": VERIFY,
                    // No credentials: the receiver checks the signature headers.
                    "security": [],
                    "parameters": parameters,
                    "requestBody": {
                        "required": true,
                        "content": {"application/json": {
                            "schema": {"$ref": format!("#/components/schemas/{schema}")}
                        }}
                    },
                    "responses": {
                        "2XX": {"description": "Received: the delivery is done."},
                        "default": {"description": "Any other answer, or none within the timeout: retried later."}
                    }
                }
            })
        };
        let mut webhooks = json!({
            "referral.status_changed": event(
                "webhook_referral_status_changed",
                "A referral the partner posted changed status",
                "ReferralStatusChangedWebhook"
            ),
            "liaison.sent": event(
                "webhook_liaison_sent",
                "A liaison sheet addressed to the partner was sent",
                "LiaisonSentWebhook"
            ),
            "liaison.acknowledged": event(
                "webhook_liaison_acknowledged",
                "A liaison sheet addressed to the partner was answered",
                "LiaisonAcknowledgedWebhook"
            ),
            "referral.outcome": event(
                "webhook_referral_outcome",
                "The support of a person the partner referred ended, or started again",
                "ReferralOutcomeWebhook"
            ),
        });
        // The organisation's own subscriptions: one entry per event type, named
        // `organisation.` + the type (the partners' `liaison.acknowledged` is another body).
        if let Some(map) = webhooks.as_object_mut() {
            for (code, schema, summary) in crate::routes::events::EVENT_WEBHOOKS {
                let id = format!("webhook_organisation_{}", code.replace('.', "_"));
                map.insert(
                    format!("organisation.{code}"),
                    event(
                        &id,
                        &format!("To a subscription: {}", summary.trim()),
                        schema,
                    ),
                );
            }
        }
        openapi
            .extensions
            .get_or_insert_with(Default::default)
            .insert("webhooks".to_owned(), webhooks);
        let tags = openapi.tags.get_or_insert_with(Vec::new);
        if !tags.iter().any(|t| t.name == "webhooks") {
            tags.push(
                utoipa::openapi::tag::TagBuilder::new()
                    .name("webhooks")
                    .description(Some(format!(
                        "What Relais sends to a partner's webhook URL and to the organisation's \
                         webhook subscriptions (see the document's `webhooks` section). {VERIFY}"
                    )))
                    .build(),
            );
        }
    }
}
