//! Request and response types of the liaison sheets.

use chrono::{DateTime, Utc};
use relais_domain::{LegalBasis, LiaisonContent, LiaisonStatus};
use relais_store::liaisons::{Destination as StoreDestination, LiaisonRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::ArrayBuilder;
use utoipa::openapi::{RefOr, Schema};
use uuid::Uuid;
use validator::Validate;

/// What a liaison's legal basis allows (`relais_domain::liaison::basis_allows`) and asks (a
/// consent attached under `consent`, and only then), as rules of the document on `NewLiaison`.
pub fn legal_basis_rules() -> (&'static str, Vec<serde_json::Value>) {
    use relais_domain::Coded;
    let rules = LegalBasis::ALL
        .iter()
        .map(|basis| {
            let allowed: Vec<&str> = LiaisonContent::ALL
                .iter()
                .filter(|content| relais_domain::liaison::basis_allows(*basis, **content))
                .map(|content| content.code())
                .collect();
            let consent = if *basis == LegalBasis::Consent {
                serde_json::json!({"not": {"type": "null"}})
            } else {
                serde_json::json!({"type": "null"})
            };
            let mut then = serde_json::json!({"properties": {
                "content": {"items": {"enum": allowed}},
                "consent_id": consent,
            }});
            if *basis == LegalBasis::Consent {
                then["required"] = serde_json::json!(["consent_id"]);
            }
            serde_json::json!({
                "if": {
                    "required": ["legal_basis"],
                    "properties": {"legal_basis": {"const": basis.code()}},
                },
                "then": then,
            })
        })
        .collect();
    ("NewLiaison", rules)
}

/// Most content codes a liaison can carry: the whole whitelist, once each.
pub const MAX_CONTENT: usize = 10;

/// Schema of the chosen content: 1 to 10 distinct codes of the whitelist.
fn content_codes() -> RefOr<Schema> {
    RefOr::T(Schema::Array(
        ArrayBuilder::new()
            .items(crate::schema::codes_ref::<LiaisonContent>())
            .min_items(Some(1))
            .max_items(Some(MAX_CONTENT))
            .unique_items(true)
            .description(Some(
                "What is shared, chosen from the whitelist (`liaison_content`); private notes \
                 are never part of it. `nir` only under `legal_obligation`; `health` only under \
                 `consent` or `shared_secrecy`.",
            ))
            .build(),
    ))
}

/// Where a liaison goes: `{partner_id}` (a registered partner) or `{name, contact}` (a named
/// institution), never both.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DestinationInput {
    /// A registered partner of the organisation.
    pub partner_id: Option<Uuid>,
    /// The institution's name, e.g. `CAF du Rhône`.
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub name: Option<String>,
    /// Who to reach there and how (a person, a phone, an address).
    #[validate(length(min = 1, max = 500))]
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub contact: Option<String>,
}

/// A liaison sheet to prepare (a draft; nothing leaves the organisation until it is sent).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "destination": {"name": "CAF du Rhône", "contact": "Mme Durand, service action sociale, 04 72 00 00 00"},
    "purpose": "Ouverture des droits au RSA et suivi du dossier d'aide au logement.",
    "content": ["identity", "reason", "steps_pending", "referent_contact"],
    "legal_basis": "shared_secrecy"
}))]
pub struct NewLiaison {
    #[validate(nested)]
    pub destination: DestinationInput,
    /// Why the person is oriented to the destination.
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub purpose: String,
    #[validate(length(min = 1, max = 10))]
    #[schema(schema_with = content_codes)]
    pub content: Vec<LiaisonContent>,
    #[schema(schema_with = crate::schema::legal_basis)]
    pub legal_basis: LegalBasis,
    /// The person's consent the sharing relies on: required with `legal_basis: consent`, not
    /// allowed otherwise. Its scope must be `share_with_partners` for a registered partner and
    /// `share_with_named_institution` for a named institution.
    pub consent_id: Option<Uuid>,
}

/// The destination's answer, recorded by the worker.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "acknowledged"}))]
pub struct NewLiaisonStatus {
    /// `acknowledged` or `declined` (a sent liaison only).
    #[schema(schema_with = crate::routes::partner_liaisons::model::answer_outcome)]
    pub status: LiaisonStatus,
}

/// Where a liaison goes, as stored: `partner_id` (with the partner's name), or `name` and
/// `contact`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LiaisonDestination {
    pub partner_id: Option<Uuid>,
    /// The registered partner's name (null for a named institution).
    pub partner_name: Option<String>,
    pub name: Option<String>,
    pub contact: Option<String>,
}

/// A liaison sheet.
#[derive(Debug, Serialize, ToSchema)]
pub struct Liaison {
    pub id: Uuid,
    pub case_id: Uuid,
    pub destination: LiaisonDestination,
    pub purpose: String,
    #[schema(schema_with = content_codes)]
    pub content: Vec<&'static str>,
    #[schema(schema_with = crate::schema::legal_basis)]
    pub legal_basis: &'static str,
    pub consent_id: Option<Uuid>,
    #[schema(schema_with = crate::schema::liaison_status)]
    pub status: &'static str,
    pub sent_at: Option<DateTime<Utc>>,
    /// The agent who sent it.
    pub sent_by: Option<Uuid>,
    /// When the destination's answer (acknowledged or declined) was recorded.
    pub answered_at: Option<DateTime<Utc>>,
    /// The agent who recorded the answer (a registered partner answering itself has its own
    /// agent id).
    pub answered_by: Option<Uuid>,
    /// What the destination wrote with its answer, if anything.
    pub answer_message: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: Uuid,
    pub version: i32,
}

impl From<LiaisonRecord> for Liaison {
    fn from(r: LiaisonRecord) -> Self {
        let destination = match r.destination {
            StoreDestination::Partner(id) => LiaisonDestination {
                partner_id: Some(id),
                partner_name: r.partner_name,
                name: None,
                contact: None,
            },
            StoreDestination::Named { name, contact } => LiaisonDestination {
                partner_id: None,
                partner_name: None,
                name: Some(name),
                contact: Some(contact),
            },
        };
        Self {
            id: r.id,
            case_id: r.case_id,
            destination,
            purpose: r.purpose,
            content: r.content.iter().map(|c| c.code()).collect(),
            legal_basis: r.legal_basis.code(),
            consent_id: r.consent_id,
            status: r.status.code(),
            sent_at: r.sent_at,
            sent_by: r.sent_by,
            answered_at: r.answered_at,
            answered_by: r.answered_by,
            answer_message: r.answer_message,
            created_at: r.created_at,
            created_by: r.created_by,
            version: r.version,
        }
    }
}

/// A page of a case's liaisons, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct LiaisonList {
    pub items: Vec<Liaison>,
    pub next_cursor: Option<String>,
}
