//! Request and response types of the partner registry, and the checks that turn a request
//! into the store's data.

use chrono::{DateTime, Utc};
use relais_domain::Siret;
use relais_store::partners::{PartnerData, PartnerRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::error::{ApiError, FieldError};
use crate::patch::{apply, not_null, nullable};
use crate::routes::trimmed;
use crate::webhook_target;

/// Whom to reach at the partner.
#[derive(Debug, Clone, Default, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerContact {
    /// A person or a service, e.g. `Service action sociale`.
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$",
        example = "Mme Durand, service action sociale"
    )]
    pub name: Option<String>,
    #[validate(email, length(min = 3, max = 254))]
    #[schema(
        format = Email,
        min_length = 3,
        max_length = 254,
        example = "action.sociale@caf.example"
    )]
    pub email: Option<String>,
    #[validate(length(min = 3, max = 30))]
    #[schema(
        min_length = 3,
        max_length = 30,
        pattern = "^\\s*[^\\s\\u0000][^\\u0000]+[^\\s\\u0000]\\s*$",
        example = "04 72 00 00 00"
    )]
    pub phone: Option<String>,
}

/// A partner to register. The answer carries its client credentials and webhook secret,
/// once.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "CAF du Rhône",
    "siret": "534 083 665 00016",
    "contact": {"name": "Service action sociale", "email": "action.sociale@caf.example", "phone": "04 72 00 00 00"},
    "webhook_url": "https://integration.caf.example/relais/webhooks"
}))]
pub struct NewPartner {
    /// The partner's name, as agents see it.
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub name: String,
    #[schema(schema_with = crate::schema::siret_nullable)]
    pub siret: Option<String>,
    #[validate(nested)]
    pub contact: Option<PartnerContact>,
    /// Where webhooks are delivered: an `https` URL (at most 2000 characters) on a public
    /// address, without credentials or fragment.
    #[schema(
        min_length = 8,
        max_length = 2000,
        format = "uri",
        pattern = "^https://[^/?#@\\s]+([/?][^#\\s]*)?$"
    )]
    pub webhook_url: Option<String>,
    /// Whether the partner may get tokens and receives webhooks (default true).
    pub enabled: Option<bool>,
}

/// Changes to a contact, merged into the current one (absent keeps, `null` clears).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerContactPatch {
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, min_length = 3, max_length = 254, format = Email)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, min_length = 3, max_length = 30, pattern = "^\\s*[^\\s\\u0000][^\\u0000]+[^\\s\\u0000]\\s*$")]
    pub phone: Option<Option<String>>,
}

/// Changes to a partner (JSON merge patch: absent keeps, `null` clears). `enabled: false`
/// disables it: its tokens stop working and its webhooks are no longer delivered.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"webhook_url": null, "contact": {"phone": "04 72 00 00 01"}, "enabled": false}))]
pub struct PartnerPatch {
    // Required on a partner: may be changed, not cleared (`null` is refused).
    #[serde(default, deserialize_with = "not_null")]
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = crate::schema::siret_nullable)]
    pub siret: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<PartnerContactPatch>)]
    pub contact: Option<Option<PartnerContactPatch>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(
        value_type = Option<String>,
        min_length = 8,
        max_length = 2000,
        format = "uri",
        pattern = "^https://[^/?#@\\s]+([/?][^#\\s]*)?$"
    )]
    pub webhook_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub enabled: Option<bool>,
}

/// A registered partner. Its secrets are never shown again after creation or rotation.
/// `webhook_url`, `client_id` and `credentials_issued_at` are shown to administrators only
/// (absent for other roles).
#[derive(Debug, Serialize, ToSchema)]
pub struct Partner {
    pub id: Uuid,
    #[schema(example = "CAF du Rhône")]
    pub name: String,
    /// 14 digits, without spaces.
    #[schema(example = "53408366500016")]
    pub siret: Option<String>,
    pub contact: PartnerContact,
    /// Disabled partners get no token and receive no webhook.
    pub enabled: bool,
    /// Where webhooks are delivered (administrators only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub webhook_url: Option<Option<String>>,
    /// The OAuth 2.0 client id of `POST /v1/oauth/token` (administrators only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "rp_3f9a0c1e7b2d4a6f8e0c1b2a")]
    pub client_id: Option<String>,
    /// When the current client secret was issued; tokens issued before are refused
    /// (administrators only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials_issued_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl Partner {
    /// What an administrator sees: everything but the secrets.
    pub fn admin(r: PartnerRecord) -> Self {
        let mut partner = Self::summary(r.clone());
        partner.webhook_url = Some(r.webhook_url);
        partner.client_id = Some(r.client_id);
        partner.credentials_issued_at = Some(r.credentials_issued_at);
        partner
    }

    /// What the other agents see: who the partner is and how to reach it.
    pub fn summary(r: PartnerRecord) -> Self {
        Self {
            id: r.id,
            name: r.name,
            siret: r.siret,
            contact: PartnerContact {
                name: r.contact_name,
                email: r.contact_email,
                phone: r.contact_phone,
            },
            enabled: r.enabled,
            webhook_url: None,
            client_id: None,
            credentials_issued_at: None,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

/// A new partner with its secrets, shown this once: store them now.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedPartner {
    #[serde(flatten)]
    pub partner: Partner,
    /// The OAuth 2.0 client secret (`rs_` + 43 characters), for `POST /v1/oauth/token`.
    #[schema(example = "rs_q0vH3x8cQmY3mJ4b1sV2nA6Zr5kT9wPfLdE7uGiOhXc")]
    pub client_secret: String,
    /// The Standard Webhooks signing secret (`whsec_` + base64 of 32 bytes).
    #[schema(example = "whsec_1v1CsWObeC7Ef0uNep/OTk0z/Fd8Ymtbs6OzmDb8r8I=")]
    pub webhook_secret: String,
}

/// A partner with its new client secret, shown this once; the previous secret and the tokens
/// it obtained no longer work.
#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedClientSecret {
    #[serde(flatten)]
    pub partner: Partner,
    /// The new OAuth 2.0 client secret.
    pub client_secret: String,
}

/// A partner with its new webhook signing secret, shown this once; deliveries from now on are
/// signed with it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedWebhookSecret {
    #[serde(flatten)]
    pub partner: Partner,
    /// The new Standard Webhooks signing secret (`whsec_` + base64).
    pub webhook_secret: String,
}

/// A page of partners, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerList {
    pub items: Vec<Partner>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Refuses a text made of spaces only (it passes the length check but says nothing).
fn check_not_blank(value: Option<&str>, pointer: &str, errors: &mut Vec<FieldError>) {
    if value.is_some_and(|v| !v.is_empty() && v.trim().is_empty()) {
        errors.push(FieldError::body(pointer, "blank", "must not be blank"));
    }
}

/// Refuses a value whose trimmed form is shorter than `min` characters (a blank one is already
/// refused as `blank`).
fn check_trimmed_min(value: Option<&str>, min: usize, pointer: &str, errors: &mut Vec<FieldError>) {
    if let Some(trimmed) = value.map(str::trim).filter(|v| !v.is_empty())
        && trimmed.chars().count() < min
    {
        errors.push(FieldError::body(
            pointer,
            "length",
            format!("must have at least {min} characters besides spaces"),
        ));
    }
}

/// Checks a validated request (or a patch merged into the current partner) beyond its length
/// rules, and converts it into the store's data. The webhook URL is checked only when
/// `check_url` (it is new): a stored one was checked when it was written.
pub(super) fn partner_data(
    input: &NewPartner,
    check_url: bool,
    allow_loopback: bool,
) -> Result<PartnerData, ApiError> {
    let mut errors = Vec::new();
    let contact = input.contact.clone().unwrap_or_default();
    check_not_blank(Some(&input.name), "/name", &mut errors);
    check_not_blank(contact.name.as_deref(), "/contact/name", &mut errors);
    check_not_blank(contact.phone.as_deref(), "/contact/phone", &mut errors);
    // Values are stored trimmed: the minimum lengths hold for the trimmed value.
    check_trimmed_min(contact.phone.as_deref(), 3, "/contact/phone", &mut errors);
    check_trimmed_min(contact.email.as_deref(), 3, "/contact/email", &mut errors);
    let siret = match input.siret.as_deref() {
        None => None,
        Some(value) => match Siret::parse(value) {
            Ok(siret) => Some(siret.as_str().to_owned()),
            Err(e) => {
                errors.push(FieldError::refused("/siret", &e));
                None
            }
        },
    };
    let webhook_url = match input.webhook_url.as_deref() {
        Some(url) if check_url => match webhook_target::validate(url, allow_loopback) {
            Ok(url) => Some(url.to_string()),
            Err(e) => {
                errors.push(FieldError::body("/webhook_url", e.code, e.message));
                None
            }
        },
        other => other.map(str::to_owned),
    };
    if !errors.is_empty() {
        errors.sort_by(|a, b| a.pointer.cmp(&b.pointer));
        return Err(ApiError::validation(errors));
    }
    Ok(PartnerData {
        name: input.name.trim().to_owned(),
        siret,
        contact_name: trimmed(contact.name.as_deref()),
        contact_email: trimmed(contact.email.as_deref()),
        contact_phone: trimmed(contact.phone.as_deref()),
        webhook_url,
        enabled: input.enabled.unwrap_or(true),
    })
}

/// Merges a patch into the current partner and checks the result with exactly the rules of a
/// creation, so PATCH can never store what POST refuses.
pub(super) fn patched(
    current: &PartnerRecord,
    patch: &PartnerPatch,
    allow_loopback: bool,
) -> Result<PartnerData, ApiError> {
    let contact = match &patch.contact {
        None => Some(PartnerContact {
            name: current.contact_name.clone(),
            email: current.contact_email.clone(),
            phone: current.contact_phone.clone(),
        }),
        Some(None) => None,
        Some(Some(c)) => Some(PartnerContact {
            name: apply(current.contact_name.clone(), c.name.clone()),
            email: apply(current.contact_email.clone(), c.email.clone()),
            phone: apply(current.contact_phone.clone(), c.phone.clone()),
        }),
    };
    let merged = NewPartner {
        name: patch.name.clone().unwrap_or_else(|| current.name.clone()),
        siret: apply(current.siret.clone(), patch.siret.clone()),
        contact,
        webhook_url: apply(current.webhook_url.clone(), patch.webhook_url.clone()),
        enabled: Some(patch.enabled.unwrap_or(current.enabled)),
    };
    merged
        .validate()
        .map_err(|e| ApiError::validation(crate::extract::validation_errors(&e)))?;
    let url_changed = matches!(patch.webhook_url, Some(Some(_)));
    partner_data(&merged, url_changed, allow_loopback)
}
