//! The organisation's letterhead (DAILY.md, "Documents"): its profile — name, address, phone,
//! e-mail, website — and its logo, printed at the top of every document Relais produces.
//! Every agent reads them (the intranet shows them); administrators write them.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, put, web};
use chrono::{DateTime, Utc};
use relais_domain::{AuditAction, AuditResource, Permission, Refusal};
use relais_store::audit::NewAuditEvent;
use relais_store::db::Access;
use relais_store::profiles::{self, LogoInfo, NewLogo, Profile, ProfileRecord};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::{Validate, ValidateEmail, ValidateUrl};

use crate::conditional::{IfMatch, ok_with_etag};
use crate::context::Ctx;
use crate::documents::logo::{self, LogoRefused};
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, media_type, read_body};
use crate::responses::{ReadErrors, WriteErrors, problem_responses};

/// The organisation's profile, as written by an administrator.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Centre communal d'action sociale de Villeurbanne",
    "address_lines": ["Hôtel de ville", "Place Lazare-Goujon"],
    "postcode": "69100",
    "city": "Villeurbanne",
    "phone": "04 72 65 80 00",
    "email": "ccas@mairie-villeurbanne.example",
    "website": "https://www.villeurbanne.example/ccas"
}))]
pub struct ProfileBody {
    /// The name printed at the top of documents (1 to 200 characters, not blank).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub name: String,
    /// The street lines, in order (at most 3, each 1 to 120 characters, not blank).
    #[serde(default)]
    #[schema(schema_with = street_lines_schema)]
    pub address_lines: Vec<String>,
    /// The postcode (1 to 10 characters).
    #[schema(
        min_length = 1,
        max_length = 10,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub postcode: Option<String>,
    /// The city; letters are dated from it (`À Villeurbanne, le …`). 1 to 100 characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub city: Option<String>,
    /// The switchboard's number (digits, spaces, `+`, `.`, `-`, parentheses; 1 to 30
    /// characters).
    #[schema(
        min_length = 1,
        max_length = 30,
        pattern = r"^[0-9 +().-]*[0-9][0-9 +().-]*$"
    )]
    pub phone: Option<String>,
    /// The service's e-mail address.
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    /// The website (`https://…` or `http://…`, at most 200 characters).
    #[schema(
        format = "uri",
        max_length = 200,
        pattern = "^[Hh][Tt][Tt][Pp][Ss]?://"
    )]
    pub website: Option<String>,
}

fn street_lines_schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    crate::schema::printed_lines(
        3,
        120,
        "The street lines, in order (at most 3, each 1 to 120 characters, not blank).",
    )
}

/// What is known of the logo (the image itself is at `GET /v1/organisation/logo`).
#[derive(Debug, Serialize, ToSchema)]
pub struct LogoView {
    /// `image/png` or `image/jpeg`, as recognised from the content.
    pub media_type: String,
    /// In pixels.
    pub width: i32,
    pub height: i32,
    /// The SHA-256 of the file, in hexadecimal (the image's `ETag`).
    pub sha256: String,
    pub updated_at: DateTime<Utc>,
}

impl From<LogoInfo> for LogoView {
    fn from(l: LogoInfo) -> Self {
        Self {
            media_type: l.media_type,
            width: l.width,
            height: l.height,
            sha256: l.sha256,
            updated_at: l.updated_at,
        }
    }
}

/// The organisation's profile and logo, as every document prints them.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "name": "Centre communal d'action sociale de Villeurbanne",
    "address_lines": ["Hôtel de ville", "Place Lazare-Goujon"],
    "postcode": "69100",
    "city": "Villeurbanne",
    "phone": "04 72 65 80 00",
    "email": "ccas@mairie-villeurbanne.example",
    "website": "https://www.villeurbanne.example/ccas",
    "logo": {"media_type": "image/png", "width": 600, "height": 200, "sha256": "9f2c5d0e7a1b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5", "updated_at": "2027-03-01T09:30:00Z"},
    "version": 2,
    "updated_at": "2027-03-01T09:28:00Z",
    "updated_by": "01950000-0000-7000-8000-000000000001"
}))]
pub struct ProfileView {
    /// The organisation's registered name until the profile is first written.
    pub name: String,
    pub address_lines: Vec<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    /// The logo, if one was uploaded.
    pub logo: Option<LogoView>,
    /// 0 until the profile is first written.
    pub version: i32,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<Uuid>,
}

impl ProfileView {
    fn new((record, logo): (ProfileRecord, Option<LogoInfo>)) -> Self {
        let p = record.profile;
        Self {
            name: p.name,
            address_lines: p.address_lines,
            postcode: p.postcode,
            city: p.city,
            phone: p.phone,
            email: p.email,
            website: p.website,
            logo: logo.map(LogoView::from),
            version: record.version,
            updated_at: record.updated_at,
            updated_by: record.updated_by,
        }
    }
}

/// The logo's bytes (the schema of the image's body).
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct ImageFile(Vec<u8>);

problem_responses! {
    /// Errors of a logo upload.
    LogoErrors with token {
        BadRequest = 400: "The body could not be read",
        TooLarge = 413: "The image is larger than 512 KiB (`payload_too_large`)",
        UnsupportedMediaType = 415: "Content-Type is not image/png or image/jpeg",
        Unprocessable = 422: "The content is not a PNG or JPEG image that decodes, disagrees with \
            its Content-Type, is more than 4096 pixels a side (or 4 million pixels), or is a CMYK \
            JPEG (pointer `\"\"`, the whole body)",
    }
}

fn profile_event(action: AuditAction, org_id: Uuid) -> NewAuditEvent {
    NewAuditEvent::new(action, AuditResource::OrganisationProfile, org_id)
}

/// A text of the profile, trimmed: blank or longer than `max` characters is a fault at
/// `pointer`.
fn text(value: &str, pointer: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    let value = value.trim();
    let chars = value.chars().count();
    if chars == 0 {
        errors.push(FieldError::body(pointer, "blank", "must not be blank"));
    } else if chars > max {
        errors.push(FieldError::body(
            pointer,
            "length",
            format!("at most {max} characters"),
        ));
    }
    value.to_owned()
}

/// The profile as stored: trimmed, optional fields absent when not sent, every fault reported
/// at once with its pointer.
fn profile_of(body: &ProfileBody) -> Result<Profile, ApiError> {
    let mut errors = Vec::new();
    let name = text(&body.name, "/name", 200, &mut errors);
    if body.address_lines.len() > 3 {
        errors.push(FieldError::body(
            "/address_lines",
            "length",
            "at most 3 lines",
        ));
    }
    let address_lines = body
        .address_lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let pointer = format!("/address_lines/{i}");
            if line.chars().any(char::is_control) {
                errors.push(FieldError::body(
                    pointer.as_str(),
                    "invalid_character",
                    "one line of text: no line break or control character",
                ));
            }
            text(line, &pointer, 120, &mut errors)
        })
        .collect();
    let mut optional = |value: &Option<String>, pointer: &str, max: usize| {
        value.as_deref().map(|v| text(v, pointer, max, &mut errors))
    };
    let postcode = optional(&body.postcode, "/postcode", 10);
    let city = optional(&body.city, "/city", 100);
    let phone = optional(&body.phone, "/phone", 30);
    let email = optional(&body.email, "/email", 254);
    let website = optional(&body.website, "/website", 200);
    if let Some(phone) = &phone
        && !phone.is_empty()
        && !(phone.chars().any(|c| c.is_ascii_digit())
            && phone
                .chars()
                .all(|c| c.is_ascii_digit() || " +().-".contains(c)))
    {
        errors.push(FieldError::body(
            "/phone",
            "invalid_phone",
            "digits, spaces, `+`, `.`, `-` and parentheses only",
        ));
    }
    if let Some(email) = &email
        && !email.is_empty()
        && !email.validate_email()
    {
        errors.push(FieldError::body(
            "/email",
            "email",
            "not a valid e-mail address",
        ));
    }
    if let Some(site) = &website
        && !site.is_empty()
    {
        let lower = site.to_ascii_lowercase();
        if !((lower.starts_with("https://") || lower.starts_with("http://")) && site.validate_url())
        {
            errors.push(FieldError::body(
                "/website",
                "invalid_url",
                "must be an https:// or http:// address",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(Profile {
        name,
        address_lines,
        postcode,
        city,
        phone,
        email,
        website,
    })
}

/// Reads the organisation's profile and what is known of its logo.
///
/// Every agent of the organisation (403 for partners). Until an administrator writes it, the
/// organisation's registered name at version 0. Not personal data: not audited.
#[utoipa::path(
    tag = "organisation",
    operation_id = "read_organisation_profile",
    responses((status = 200, description = "The profile", body = ProfileView, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/organisation/profile")]
pub async fn read_profile(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::AgentRead)?;
    let mut work = ctx.work(Access::Read).await?;
    let view = ProfileView::new(profiles::profile(&mut work.tx).await?);
    let version = view.version;
    work.commit(ok_with_etag(version, view)).await
}

/// Replaces the organisation's profile (`If-Match` required: `"0"` or `*` the first time).
///
/// Administrators (403 otherwise). The name is required; every other field is optional and
/// absent when not sent. Each fault is reported at its field (422): a blank value, an address of
/// more than three lines, a phone number with letters, an e-mail or website that is not one.
/// Every document printed afterwards carries it. Audited as an `update` of
/// `organisation.profile`.
#[utoipa::path(
    tag = "organisation",
    operation_id = "replace_organisation_profile",
    params(crate::responses::IfMatchHeader),
    request_body = ProfileBody,
    responses((status = 200, description = "The profile as written", body = ProfileView, headers(("ETag" = String))), WriteErrors),
    security(("bearer" = []))
)]
#[put("/organisation/profile")]
pub async fn replace_profile(
    ctx: Ctx,
    if_match: IfMatch,
    body: Json<ProfileBody>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::OrganisationAdmin)?;
    let profile = profile_of(&body)?;
    let mut work = ctx.work(Access::Write).await?;
    let written = profiles::put_profile(
        &mut work.tx,
        work.actor.org.id,
        if_match.expected(),
        &profile,
        work.actor.agent_id,
    )
    .await?;
    work.audit(profile_event(AuditAction::Update, work.actor.org.id));
    let view = ProfileView::new(written);
    let version = view.version;
    work.commit(ok_with_etag(version, view)).await
}

/// Downloads the organisation's logo.
///
/// Every agent of the organisation (403 for partners); 404 when there is none. The image as
/// uploaded, its SHA-256 as the `ETag`.
#[utoipa::path(
    tag = "organisation",
    operation_id = "read_organisation_logo",
    responses(
        (status = 200, description = "The image",
            content((ImageFile = "image/png"), (ImageFile = "image/jpeg")),
            headers(("ETag" = String, description = "The SHA-256 of the image, in hexadecimal, quoted"))),
        ReadErrors
    ),
    security(("bearer" = []))
)]
#[get("/organisation/logo")]
pub async fn read_logo(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::AgentRead)?;
    let mut work = ctx.work(Access::Read).await?;
    let Some(file) = profiles::logo(&mut work.tx).await? else {
        return Err(ApiError::NotFound);
    };
    work.commit(
        HttpResponse::Ok()
            .content_type(file.media_type)
            .insert_header((header::ETAG, format!("\"{}\"", file.sha256)))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((header::CACHE_CONTROL, "private, no-cache"))
            .body(file.content),
    )
    .await
}

impl Refusal for LogoRefused {
    fn code(&self) -> &'static str {
        LogoRefused::code(self)
    }

    fn sentence_fr(&self) -> String {
        match self {
            LogoRefused::NotAnImage(kind) => {
                format!("le fichier est {kind} : seules les images PNG et JPEG sont acceptées")
            }
            LogoRefused::Unreadable(why) => format!("l'image ne peut pas être lue : {why}"),
            LogoRefused::TooLarge { width, height } => format!(
                "l'image mesure {width}×{height} pixels : {} pixels de côté et 4 millions de \
                 pixels au plus",
                logo::MAX_SIDE
            ),
            LogoRefused::Cmyk => {
                "le JPEG est en CMJN : enregistrez-le en RVB ou en niveaux de gris".to_owned()
            }
        }
    }
}

/// Uploads the organisation's logo (the body is the image: `Content-Type: image/png` or
/// `image/jpeg`), replacing any previous one (no `If-Match`: the image is replaced whole).
///
/// Administrators (403 otherwise). At most 512 KiB (413); the content must be the PNG or JPEG
/// image its `Content-Type` says, that decodes whole, at most 4096 pixels a side and 4 million
/// pixels, and a JPEG in RGB or greyscale (422 at `""`, the whole body, otherwise, with `unsupported_type`,
/// `media_type_mismatch`, `unreadable_image`, `image_too_large` or `unsupported_color_space`).
/// Every document printed afterwards shows it, at most 19 mm high. Audited as an `update` of
/// `organisation.profile`.
#[utoipa::path(
    tag = "organisation",
    operation_id = "replace_organisation_logo",
    request_body(content((ImageFile = "image/png"), (ImageFile = "image/jpeg")), description = "The image"),
    responses((status = 200, description = "The logo as stored", body = LogoView), LogoErrors),
    security(("bearer" = []))
)]
#[put("/organisation/logo")]
pub async fn replace_logo(
    ctx: Ctx,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::OrganisationAdmin)?;
    let declared = media_type(&req);
    let Some(declared) = logo::ImageKind::from_media_type(&declared) else {
        return Err(ApiError::UnsupportedMediaType(
            "send the image with Content-Type: image/png or image/jpeg".into(),
        ));
    };
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|n| n > logo::MAX_BYTES) {
        return Err(ApiError::PayloadTooLarge {
            limit: logo::MAX_BYTES,
        });
    }
    let bytes = read_body(payload, logo::MAX_BYTES).await?;
    let checked = crate::printed::off_thread({
        let bytes = bytes.clone().freeze();
        move || {
            logo::check(&bytes).map_err(|r| ApiError::validation(vec![FieldError::refused("", &r)]))
        }
    })
    .await?;
    if checked.kind != declared {
        return Err(ApiError::validation(vec![FieldError::body(
            "",
            "media_type_mismatch",
            format!(
                "the content is {} while Content-Type says {}",
                checked.kind.media_type(),
                declared.media_type()
            ),
        )]));
    }
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let mut work = ctx.work(Access::Write).await?;
    let stored = profiles::put_logo(
        &mut work.tx,
        work.actor.org.id,
        NewLogo {
            media_type: checked.kind.media_type(),
            content: &bytes,
            width: i32::try_from(checked.width).unwrap_or(i32::MAX),
            height: i32::try_from(checked.height).unwrap_or(i32::MAX),
            sha256: &sha256,
        },
        work.actor.agent_id,
    )
    .await?;
    work.audit(profile_event(AuditAction::Update, work.actor.org.id));
    work.commit(HttpResponse::Ok().json(LogoView::from(stored)))
        .await
}

/// Removes the organisation's logo.
///
/// Administrators (403 otherwise); 404 when there is none. Documents printed afterwards carry
/// the profile without a logo. Audited as a `delete` of `organisation.profile`.
#[utoipa::path(
    tag = "organisation",
    operation_id = "delete_organisation_logo",
    responses((status = 204, description = "Removed"), ReadErrors),
    security(("bearer" = []))
)]
#[delete("/organisation/logo")]
pub async fn delete_logo(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::OrganisationAdmin)?;
    let mut work = ctx.work(Access::Write).await?;
    if !profiles::delete_logo(&mut work.tx).await? {
        return Err(ApiError::NotFound);
    }
    work.audit(profile_event(AuditAction::Delete, work.actor.org.id));
    work.commit(HttpResponse::NoContent().finish()).await
}
