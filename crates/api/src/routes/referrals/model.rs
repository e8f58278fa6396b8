//! Request and response types of referrals.

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::referral::{MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, MAX_DOMAINS};
use relais_domain::{DeclineReason, Domain, InformedChannel, ReferralOutcome, Urgency};
use relais_store::referrals::{AttachmentMeta, ReferralRecord, Viewer};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::ArrayBuilder;
use utoipa::openapi::{RefOr, Schema};
use uuid::Uuid;
use validator::Validate;

use crate::routes::persons::Address;
use crate::routes::view_from;

/// Longest base64 text of an attachment: 4 characters per 3 bytes of the largest one.
pub const MAX_BASE64_LEN: usize = MAX_ATTACHMENT_BYTES.div_ceil(3) * 4;

/// Schema of the domains of a referral: 1 to 6 distinct codes.
fn domain_codes() -> RefOr<Schema> {
    RefOr::T(Schema::Array(
        ArrayBuilder::new()
            .items(crate::schema::codes_ref::<Domain>())
            .min_items(Some(1))
            .max_items(Some(MAX_DOMAINS))
            .unique_items(true)
            .description(Some(
                "The domains concerned (`domain` codes), 1 to 6, each once.",
            ))
            .build(),
    ))
}

/// The person referred: the minimum identity the organisation needs to take them on.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferredPerson {
    #[validate(length(min = 1, max = 100))]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$",
        example = "Camille"
    )]
    pub first_name: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$",
        example = "Lefèvre"
    )]
    pub last_name: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub birth_name: Option<String>,
    pub birth_date: NaiveDate,
    /// The NIR (numéro de sécurité sociale), 15 characters with its key; spaces allowed. Stored
    /// encrypted and always answered masked.
    #[schema(schema_with = crate::schema::nir_nullable)]
    pub nir: Option<String>,
    #[validate(length(min = 3, max = 30))]
    #[schema(min_length = 3, max_length = 30)]
    pub phone: Option<String>,
    #[validate(email, length(max = 254))]
    #[schema(max_length = 254, format = Email)]
    pub email: Option<String>,
    #[validate(nested)]
    pub address: Option<Address>,
}

/// Who to reach at the partner about this referral.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Referrer {
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$",
        example = "Mme Durand"
    )]
    pub name: String,
    /// Their position, e.g. `Assistante sociale, service des urgences`.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub role: Option<String>,
    #[validate(length(min = 3, max = 30))]
    #[schema(min_length = 3, max_length = 30)]
    pub phone: Option<String>,
    #[validate(email, length(max = 254))]
    #[schema(max_length = 254, format = Email)]
    pub email: Option<String>,
}

/// The proof that the person was informed of the referral and consented to it: without it
/// (or with `consented: false`, or a date to come) the referral is refused with 422.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentProof {
    /// The day the person was informed (today or before).
    pub informed_on: NaiveDate,
    /// How they were informed.
    #[schema(schema_with = crate::schema::informed_channel)]
    pub channel: InformedChannel,
    /// Must be `true`.
    #[schema(schema_with = crate::schema::must_be_true)]
    pub consented: bool,
}

/// A file sent with the referral: a PDF, PNG or JPEG of 512 KiB at most, recognised by its
/// content; the name's extension must agree with it.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAttachment {
    #[validate(length(min = 1, max = 255))]
    #[schema(schema_with = crate::schema::filename)]
    pub filename: String,
    /// The content in standard base64 (RFC 4648 §4, padded).
    #[validate(length(min = 1, max = 699_052))]
    #[schema(min_length = 1, max_length = 699_052, format = Byte)]
    pub content_base64: String,
}

/// A referral posted by a partner.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "person": {"first_name": "Camille", "last_name": "Lefèvre", "birth_date": "1980-02-03",
               "phone": "06 12 34 56 78", "address": {"city": "Lyon", "postcode": "69003"}},
    "reason": "Impayés de loyer depuis trois mois, procédure d'expulsion engagée.",
    "domains": ["housing", "finances"],
    "urgency": "priority",
    "referrer": {"name": "Mme Durand", "role": "Conseillère CAF", "phone": "04 72 00 00 00"},
    "consent": {"informed_on": "2026-11-20", "channel": "in_person", "consented": true}
}))]
pub struct NewReferral {
    #[validate(nested)]
    pub person: ReferredPerson,
    /// Why the person is referred.
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub reason: String,
    #[validate(length(min = 1, max = 6))]
    #[schema(schema_with = domain_codes)]
    pub domains: Vec<Domain>,
    #[schema(schema_with = crate::schema::referral_urgency)]
    pub urgency: Urgency,
    #[validate(nested)]
    pub referrer: Referrer,
    #[validate(nested)]
    pub consent: ConsentProof,
    /// Up to 3 files.
    #[validate(length(max = 3), nested)]
    #[schema(max_items = 3)]
    pub attachments: Option<Vec<NewAttachment>>,
}

/// The organisation's decision on a received referral.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"outcome": "declined", "reason_code": "out_of_area",
    "message": "La personne réside hors de notre secteur : orientez-la vers le CCAS de sa commune."}))]
pub struct NewReferralDecision {
    #[schema(schema_with = crate::schema::referral_outcome)]
    pub outcome: ReferralOutcome,
    /// Why it is declined: required with `declined`, refused otherwise.
    #[schema(schema_with = crate::schema::referral_decline_reason_nullable)]
    pub reason_code: Option<DeclineReason>,
    /// A message for the partner.
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub message: Option<String>,
    /// The slug of the organisation of the deployment the partner should address instead:
    /// required with `redirected`, refused otherwise.
    #[validate(length(min = 1, max = 63))]
    #[schema(min_length = 1, max_length = 63, example = "ccas-lyon")]
    pub redirected_to: Option<String>,
    /// With `accepted` only: the existing person to link, when the match by NIR or by names and
    /// birth date is ambiguous (409 `ambiguous_person`) or should be overridden.
    pub person_id: Option<Uuid>,
}

/// The person as the partner gave them; the NIR masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferredPersonView {
    pub first_name: String,
    pub last_name: String,
    pub birth_name: Option<String>,
    pub birth_date: NaiveDate,
    /// Masked, e.g. `"2 69 05 ** *** *** 80"`.
    pub nir: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<Address>,
}

/// The proof of information and consent, as received.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentProofView {
    pub informed_on: NaiveDate,
    #[schema(schema_with = crate::schema::informed_channel)]
    pub channel: &'static str,
    pub consented: bool,
}

/// An attachment's description; agents download it from
/// `/v1/referrals/{id}/attachments/{attachment_id}/content`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Attachment {
    pub id: Uuid,
    pub filename: String,
    /// `application/pdf`, `image/png` or `image/jpeg`, from the content.
    pub content_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
}

view_from!(AttachmentMeta => Attachment {
    id, filename, content_type, size_bytes, sha256,
});

/// Another organisation of the deployment, which the partner should address instead.
#[derive(Debug, Serialize, ToSchema)]
pub struct RedirectedTo {
    pub slug: String,
    pub name: String,
}

/// Where the support of an accepted referral's person stands: all its partner learns of the
/// case.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferralSupport {
    /// `in_progress` while the case is open, `completed` once it is closed.
    #[schema(schema_with = crate::schema::referral_support_status)]
    pub status: &'static str,
    /// Why the case closed (`closure_reason` code), once completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, schema_with = crate::schema::closure_reason)]
    pub closure_reason: Option<&'static str>,
}

/// A referral.
#[derive(Debug, Serialize, ToSchema)]
pub struct Referral {
    pub id: Uuid,
    /// The partner who posted it.
    pub partner_id: Uuid,
    #[schema(schema_with = crate::schema::referral_status)]
    pub status: &'static str,
    pub person: ReferredPersonView,
    pub reason: String,
    #[schema(schema_with = domain_codes)]
    pub domains: Vec<&'static str>,
    #[schema(schema_with = crate::schema::referral_urgency)]
    pub urgency: &'static str,
    pub referrer: Referrer,
    pub consent: ConsentProofView,
    pub attachments: Vec<Attachment>,
    pub received_at: DateTime<Utc>,
    /// Unanswered by then, it expires (the organisation's `referral_expiry_days`, 30 by default).
    pub expires_at: DateTime<Utc>,
    /// When it was decided, or expired.
    pub decided_at: Option<DateTime<Utc>>,
    /// The agent who decided (null for partners).
    pub decided_by: Option<Uuid>,
    #[schema(schema_with = crate::schema::referral_decline_reason_nullable)]
    pub decline_reason: Option<&'static str>,
    /// The organisation's message to the partner.
    pub decision_message: Option<String>,
    /// Where to post the referral again when it was redirected.
    pub redirected_to: Option<RedirectedTo>,
    /// The case opened on acceptance.
    pub case_id: Option<Uuid>,
    /// The person the case is for (null for partners).
    pub person_id: Option<Uuid>,
    /// Once accepted, where the support stands (null otherwise); a `referral.outcome` webhook
    /// tells the partner when it changes.
    pub support: Option<ReferralSupport>,
    pub updated_at: DateTime<Utc>,
    /// The version, also sent as the `ETag`.
    pub version: i32,
}

impl Referral {
    /// The referral as `viewer` sees it: a partner does not learn which of the organisation's
    /// persons it concerns, nor which agent decided.
    pub fn view(r: ReferralRecord, viewer: Viewer) -> Self {
        let agent = viewer == Viewer::Organisation;
        let has_address = [
            &r.address_line1,
            &r.address_line2,
            &r.address_postcode,
            &r.address_city,
            &r.address_country,
        ]
        .iter()
        .any(|f| f.is_some());
        Self {
            id: r.id,
            partner_id: r.partner_id,
            status: r.status.code(),
            person: ReferredPersonView {
                first_name: r.first_name,
                last_name: r.last_name,
                birth_name: r.birth_name,
                birth_date: r.birth_date,
                nir: r.nir_masked,
                phone: r.phone,
                email: r.email,
                address: has_address.then_some(Address {
                    line1: r.address_line1,
                    line2: r.address_line2,
                    postcode: r.address_postcode,
                    city: r.address_city,
                    country: r.address_country,
                }),
            },
            reason: r.reason,
            domains: r.domains.iter().map(|d| d.code()).collect(),
            urgency: r.urgency.code(),
            referrer: Referrer {
                name: r.referrer_name,
                role: r.referrer_role,
                phone: r.referrer_phone,
                email: r.referrer_email,
            },
            consent: ConsentProofView {
                informed_on: r.informed_on,
                channel: r.informed_channel.code(),
                consented: true,
            },
            attachments: r.attachments.into_iter().map(Attachment::from).collect(),
            received_at: r.received_at,
            expires_at: r.expires_at,
            decided_at: r.decided_at,
            decided_by: r.decided_by.filter(|_| agent),
            decline_reason: r.decline_reason.map(|d| d.code()),
            decision_message: r.decision_message,
            redirected_to: r.redirected_to.map(|o| RedirectedTo {
                slug: o.slug,
                name: o.name,
            }),
            case_id: r.case_id,
            person_id: r.person_id.filter(|_| agent),
            support: r.support.map(|s| ReferralSupport {
                status: s.status.code(),
                closure_reason: s.closure_reason.map(|c| c.code()),
            }),
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

/// A page of referrals, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferralList {
    pub items: Vec<Referral>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The attachment's bytes.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct AttachmentFile(Vec<u8>);

// The limits of the schema are the domain's.
const _: () = assert!(MAX_BASE64_LEN == 699_052 && MAX_ATTACHMENTS == 3 && MAX_DOMAINS == 6);
