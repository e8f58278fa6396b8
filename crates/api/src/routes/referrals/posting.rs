//! `POST /v1/referrals`: a partner posts a referral, with the proof of consent and up to three
//! attachments.
//!
//! Attachments travel base64-encoded in the JSON body, so this body may exceed the JSON limit
//! by the size of three attachments ([`ReferralBody`]). Their type is recognised from the
//! content (the `infer` crate), never from the name or a declared type; the name's extension
//! must agree with it, so a file always opens as what it is.

use actix_web::{HttpRequest, HttpResponse, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::NaiveDate;
use relais_domain::document::{extensions, unsafe_in_filename};
use relais_domain::referral::{
    AttachmentType, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, check_consent_proof, repeated_domain,
};
use relais_domain::{AuditAction, AuditResource, Nir};
use relais_store::audit::NewAuditEvent;
use relais_store::db::Access;
use relais_store::referrals::{self as store, NewAttachment as StoreAttachment, Viewer};

use super::location;
use super::model::{MAX_BASE64_LEN, NewAttachment, NewReferral, Referral};
use crate::conditional::created;
use crate::context::Ctx;
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, JsonRule};
use crate::idempotency::require_key;
use crate::responses::CreateErrors;
use crate::routes::today;

/// How a referral's body is received: `application/json` only, at most the JSON limit plus room
/// for the largest attachments; otherwise like any [`crate::extract::Json`] (unknown fields,
/// validation with pointers).
#[derive(Debug)]
pub struct ReferralRule;

impl JsonRule for ReferralRule {
    const EXTRA_BYTES: usize = MAX_ATTACHMENTS * MAX_BASE64_LEN;

    fn accept(essence: &str) -> Result<(), ApiError> {
        if essence == "application/json" {
            Ok(())
        } else {
            Err(ApiError::UnsupportedMediaType(
                "send Content-Type: application/json".into(),
            ))
        }
    }
}

/// A referral's JSON body.
pub type ReferralBody<T> = Json<T, ReferralRule>;

/// A trimmed optional text; blank is absent.
fn text(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// What the checks of a new referral produce.
struct Checked {
    nir: Option<Nir>,
    attachments: Vec<StoreAttachment>,
}

/// Decodes an attachment and recognises its type from the content.
fn attachment(i: usize, a: &NewAttachment) -> Result<StoreAttachment, FieldError> {
    let filename = a.filename.trim();
    let name_error = |code: &str, message: &str| {
        FieldError::body(format!("/attachments/{i}/filename"), code, message)
    };
    if filename.is_empty() {
        return Err(name_error("blank", "must not be blank"));
    }
    if filename.chars().any(unsafe_in_filename) {
        return Err(name_error(
            "invalid_filename",
            "a file name has no path and no control character",
        ));
    }
    let content_error = |code: &str, message: String| {
        FieldError::body(format!("/attachments/{i}/content_base64"), code, message)
    };
    let content = STANDARD.decode(a.content_base64.as_bytes()).map_err(|_| {
        content_error(
            "invalid_base64",
            "not standard base64 (RFC 4648 §4, padded)".into(),
        )
    })?;
    if content.is_empty() {
        return Err(content_error("empty", "the file is empty".into()));
    }
    if content.len() > MAX_ATTACHMENT_BYTES {
        return Err(content_error(
            "too_large",
            format!(
                "the file has {} bytes; at most {MAX_ATTACHMENT_BYTES} (512 KiB)",
                content.len()
            ),
        ));
    }
    let detected = infer::get(&content);
    let Some(kind) = detected.and_then(|t| AttachmentType::from_mime(t.mime_type())) else {
        return Err(content_error(
            "unsupported_type",
            format!(
                "the content is {}: only PDF, PNG and JPEG files are accepted",
                detected.map_or("of an unknown type", |t| t.mime_type())
            ),
        ));
    };
    let extension = filename
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    if !extensions(kind).contains(&extension.as_str()) {
        return Err(content_error(
            "type_mismatch",
            format!(
                "the content is {} but the name {filename:?} does not end in .{}",
                kind.mime(),
                extensions(kind).join(" or .")
            ),
        ));
    }
    Ok(StoreAttachment {
        filename: filename.to_owned(),
        kind,
        content,
    })
}

/// The checks beyond the schema's, all reported at once with pointers.
fn check(body: &NewReferral) -> Result<Checked, ApiError> {
    let mut errors = Vec::new();
    let today = today();
    let person = &body.person;
    for (field, value) in [
        ("first_name", Some(&person.first_name)),
        ("last_name", Some(&person.last_name)),
        ("birth_name", person.birth_name.as_ref()),
    ] {
        if value.is_some_and(|v| v.trim().is_empty()) {
            errors.push(FieldError::body(
                format!("/person/{field}"),
                "blank",
                "must not be blank",
            ));
        }
    }
    let oldest = NaiveDate::from_ymd_opt(1890, 1, 1).unwrap_or(NaiveDate::MIN);
    if person.birth_date > today || person.birth_date < oldest {
        errors.push(FieldError::body(
            "/person/birth_date",
            "out_of_range",
            "the birth date must be in the past, after 1890",
        ));
    }
    if let Some(country) = person.address.as_ref().and_then(|a| a.country.as_deref())
        && !country.chars().all(|c| c.is_ascii_alphabetic())
    {
        errors.push(FieldError::body(
            "/person/address/country",
            "invalid_value",
            "an ISO 3166-1 alpha-2 country code, e.g. FR",
        ));
    }
    let nir = match person.nir.as_deref() {
        None => None,
        Some(value) => match Nir::parse(value) {
            Ok(nir) => Some(nir),
            Err(e) => {
                errors.push(FieldError::refused("/person/nir", &e));
                None
            }
        },
    };
    if body.reason.trim().is_empty() {
        errors.push(FieldError::body(
            "/reason",
            "blank",
            "say why the person is referred",
        ));
    }
    if let Some(i) = repeated_domain(&body.domains) {
        errors.push(FieldError::body(
            format!("/domains/{i}"),
            "duplicate",
            format!("{} is named twice", body.domains[i].code()),
        ));
    }
    if body.referrer.name.trim().is_empty() {
        errors.push(FieldError::body(
            "/referrer/name",
            "blank",
            "must not be blank",
        ));
    }
    if let Err(refusals) =
        check_consent_proof(body.consent.informed_on, body.consent.consented, today)
    {
        for refusal in refusals {
            errors.push(FieldError::refused(
                format!("/consent/{}", refusal.field()),
                &refusal,
            ));
        }
    }
    let mut attachments = Vec::new();
    for (i, a) in body.attachments.iter().flatten().enumerate() {
        match attachment(i, a) {
            Ok(a) => attachments.push(a),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(Checked { nir, attachments })
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Posts a referral (partners only; `Idempotency-Key` required).
///
/// Partner tokens only (403 for agents), with an `Idempotency-Key` (400 `idempotency_key_required`
/// without it). The person's identity (names not blank, a birth date after 1890, a NIR checked with
/// its key), the reason, the domains (each once), the referrer, and the proof that the person was
/// informed and consented are required. Up to three attachments travel base64-encoded in the JSON,
/// each at most 512 KiB, a PDF, PNG or JPEG recognised from its content, its name's extension
/// agreeing. Each problem is a 422 pointing at its field. The referral is `received` and expires
/// unanswered at `expires_at`, after the organisation's delay. Audited as a `create` of `referral`.
#[utoipa::path(
    tag = "referrals",
    operation_id = "create_referral",
    params(crate::responses::RequiredIdempotencyKeyHeader),
    request_body = NewReferral,
    responses((status = 201, description = "Received; it expires unanswered at `expires_at`", body = Referral, headers(("Location" = String), ("ETag" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/referrals")]
pub async fn create(
    ctx: Ctx,
    req: HttpRequest,
    body: ReferralBody<NewReferral>,
) -> Result<HttpResponse, ApiError> {
    let partner_id = ctx.require_partner()?;
    require_key(&req)?;
    let checked = check(&body)?;
    let person = &body.person;
    let address = person.address.clone().unwrap_or_default();
    let country = address.country.as_deref().map(str::to_ascii_uppercase);
    let new = store::NewReferral {
        first_name: person.first_name.trim(),
        last_name: person.last_name.trim(),
        birth_name: text(&person.birth_name),
        birth_date: person.birth_date,
        nir: checked.nir.as_ref(),
        phone: person.phone.as_deref(),
        email: person.email.as_deref(),
        address_line1: text(&address.line1),
        address_line2: text(&address.line2),
        address_postcode: text(&address.postcode),
        address_city: text(&address.city),
        address_country: country.as_deref(),
        reason: body.reason.trim(),
        domains: &body.domains,
        urgency: body.urgency,
        referrer_name: body.referrer.name.trim(),
        referrer_role: text(&body.referrer.role),
        referrer_phone: body.referrer.phone.as_deref(),
        referrer_email: body.referrer.email.as_deref(),
        informed_on: body.consent.informed_on,
        informed_channel: body.consent.channel,
        attachments: &checked.attachments,
    };
    let mut work = ctx.work(Access::Write).await?;
    let referral = store::create(
        &mut work.tx,
        work.actor.org.id,
        partner_id,
        &new,
        &ctx.state.vault,
    )
    .await?;
    work.audit(NewAuditEvent::new(
        AuditAction::Create,
        AuditResource::Referral,
        referral.id,
    ));
    work.commit(created(
        location(referral.id),
        referral.version,
        Referral::view(referral, Viewer::Partner(partner_id)),
    ))
    .await
}
