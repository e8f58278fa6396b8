//! Request and response types of the liaison sheets a partner receives.

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::{LiaisonContent, LiaisonStatus};
use relais_store::liaisons::LiaisonRecord;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::routes::liaisons::content::{Gathered, SharedContent};

/// The statuses a partner sees: a liaison reaches it once sent.
pub(super) const RECEIVED: [LiaisonStatus; 3] = [
    LiaisonStatus::Sent,
    LiaisonStatus::Acknowledged,
    LiaisonStatus::Declined,
];

/// The answers a liaison takes, given by a partner or recorded by the organisation.
pub(crate) const ANSWERS: [LiaisonStatus; 2] =
    [LiaisonStatus::Acknowledged, LiaisonStatus::Declined];

fn status_schema(statuses: &[LiaisonStatus], description: &str) -> RefOr<Schema> {
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(statuses.iter().map(|s| s.code())))
            .description(Some(description))
            .build(),
    ))
}

/// Schema of the status of a received liaison.
fn received_status() -> RefOr<Schema> {
    status_schema(
        &RECEIVED,
        "A code of the `liaison_status` list: `sent` (waiting for your answer), `acknowledged` \
         or `declined`.",
    )
}

/// Schema of an answer to a liaison.
pub(crate) fn answer_outcome() -> RefOr<Schema> {
    status_schema(
        &ANSWERS,
        "`acknowledged` (you take the person on) or `declined`.",
    )
}

/// Schema of the content codes of a received liaison.
fn content_codes() -> RefOr<Schema> {
    RefOr::T(Schema::Array(
        utoipa::openapi::schema::ArrayBuilder::new()
            .items(crate::schema::codes_ref::<LiaisonContent>())
            .description(Some(
                "What the sheet shares, chosen from the whitelist (`liaison_content`).",
            ))
            .build(),
    ))
}

/// Filters of the partner's inbox.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReceivedListParams {
    /// Only the liaisons in this status: `sent`, `acknowledged` or `declined`.
    #[param(schema_with = received_status)]
    pub status: Option<String>,
}

/// A liaison sheet addressed to the partner (its content is read with
/// `GET /v1/liaisons/{id}`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceivedLiaison {
    pub id: Uuid,
    /// The organisation that sent it.
    pub organisation_name: String,
    /// Why the person is oriented to you.
    pub purpose: String,
    #[schema(schema_with = content_codes)]
    pub content: Vec<&'static str>,
    #[schema(schema_with = crate::schema::legal_basis)]
    pub legal_basis: &'static str,
    #[schema(schema_with = received_status)]
    pub status: &'static str,
    pub sent_at: Option<DateTime<Utc>>,
    /// When the answer (yours, or recorded by the organisation) was given.
    pub answered_at: Option<DateTime<Utc>>,
    /// The message given with the answer, if any.
    pub answer_message: Option<String>,
    /// The version, also the `ETag`: send it in `If-Match` to answer.
    pub version: i32,
}

impl ReceivedLiaison {
    pub fn new(organisation_name: &str, r: &LiaisonRecord) -> Self {
        Self {
            id: r.id,
            organisation_name: organisation_name.to_owned(),
            purpose: r.purpose.clone(),
            content: r.content.iter().map(|c| c.code()).collect(),
            legal_basis: r.legal_basis.code(),
            status: r.status.code(),
            sent_at: r.sent_at,
            answered_at: r.answered_at,
            answer_message: r.answer_message.clone(),
            version: r.version,
        }
    }
}

/// A liaison sheet addressed to the partner, with what it shares: exactly the content chosen
/// for it (and allowed by its legal basis), the same as its printed document.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceivedLiaisonSheet {
    #[serde(flatten)]
    pub liaison: ReceivedLiaison,
    /// The day the person's consent was given, when the legal basis is consent.
    pub consent_given_on: Option<NaiveDate>,
    /// The shared content, one member per chosen code.
    pub shared: SharedContent,
}

impl ReceivedLiaisonSheet {
    pub fn new(organisation_name: &str, r: &LiaisonRecord, gathered: Gathered) -> Self {
        Self {
            liaison: ReceivedLiaison::new(organisation_name, r),
            consent_given_on: gathered.consent_given_on,
            shared: gathered.content,
        }
    }
}

/// A page of the partner's liaisons, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceivedLiaisonList {
    pub items: Vec<ReceivedLiaison>,
    pub next_cursor: Option<String>,
}

/// The partner's answer to a liaison sheet.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "outcome": "acknowledged",
    "message": "Premier rendez-vous fixé le 12 avril avec Mme Martin, conseillère."
}))]
pub struct NewAcknowledgement {
    #[schema(schema_with = answer_outcome)]
    pub outcome: LiaisonStatus,
    /// A message for the organisation (who takes the person on, why it is declined…).
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub message: Option<String>,
}
