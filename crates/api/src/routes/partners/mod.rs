//! The partner registry: the organisations (CAF, hospitals, associations…) that integrate
//! with Relais, their OAuth 2.0 client credentials and their webhook target.
//!
//! Administrators register, change, disable partners and rotate their secrets. Every agent of
//! the organisation may list and read them (workers address liaisons to partners by id), but
//! only administrators see the technical fields (`webhook_url`, `client_id`,
//! `credentials_issued_at`); a partner's own token gets 403 here. Secrets — the client secret
//! and the webhook signing secret — are answered once, with `Cache-Control: no-store` (which
//! also keeps them out of the idempotency store), and never again: the database holds the
//! client secret's SHA-256 and the webhook key's salt only.
//!
//! Every write is audited (`create` or `update`, resource type `partner`, no person). Reads are
//! not: the registry describes organisations, not the persons supported, so reading it is no
//! access to their personal data.

mod model;

use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use relais_domain::{AuditAction, AuditResource, Permission, Role};
use relais_store::audit::NewAuditEvent;
use relais_store::db::Access;
use relais_store::partners::{self as store, PartnerRecord};
use uuid::Uuid;

use crate::conditional::{IfMatch, showing_secret, with_etag};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::extract::{Json, Query};
use crate::pagination::{PageParams, into_views};
use crate::responses::{CreateErrors, ReadErrors, WriteErrors};
use crate::work::Work;

pub use model::{
    CreatedPartner, NewPartner, Partner, PartnerContact, PartnerContactPatch, PartnerList,
    PartnerPatch, RotatedClientSecret, RotatedWebhookSecret,
};

fn location(id: Uuid) -> String {
    format!("/v1/partners/{id}")
}

/// Readers of the registry: any agent of the organisation, never a partner. Answers whether
/// the caller is an administrator (who sees the technical fields).
fn require_reader(ctx: &Ctx) -> Result<bool, ApiError> {
    let agent = ctx.principal.roles.iter().any(|role| role != Role::Partner);
    if ctx.principal.partner_id.is_some() || !agent {
        return Err(ApiError::Forbidden);
    }
    Ok(ctx.allows(Permission::OrganisationAdmin))
}

/// The audit event of a write to the partner `id` (about no person).
fn write_event(action: AuditAction, id: Uuid) -> NewAuditEvent {
    NewAuditEvent::new(action, AuditResource::Partner, id)
}

/// Opens an administrator's change of the partner `id`: the work, the partner, and the version
/// `If-Match` allows writing against.
async fn change(
    ctx: &Ctx,
    id: Uuid,
    if_match: IfMatch,
) -> Result<(Work, PartnerRecord, i32), ApiError> {
    ctx.require(Permission::OrganisationAdmin)?;
    let mut work = ctx.work(Access::Write).await?;
    let current = store::get(&mut work.tx, id).await?;
    let version = if_match.check(current.version)?;
    Ok((work, current, version))
}

/// Commits the rotation of one of `partner`'s secrets (`what`, as audited): the answer shows
/// the new secret once, in the body `show` makes of the partner.
async fn rotated<T: serde::Serialize>(
    mut work: Work,
    partner: PartnerRecord,
    what: &str,
    show: impl FnOnce(Partner) -> T,
) -> Result<HttpResponse, ApiError> {
    work.audit(write_event(AuditAction::Update, partner.id).because(Some(what)));
    let version = partner.version;
    let body = show(Partner::admin(partner));
    work.commit(showing_secret(&mut HttpResponse::Ok(), version, body))
        .await
}

/// Lists the organisation's partners, oldest first.
///
/// Every agent of the organisation (workers address liaisons to partners by id); a partner's token
/// gets 403. Only administrators see the technical fields (`webhook_url`, `client_id`,
/// `credentials_issued_at`); secrets are never shown. The registry describes organisations, not
/// persons: reading it is not audited.
#[utoipa::path(
    tag = "partners",
    operation_id = "list_partners",
    params(PageParams),
    responses((status = 200, description = "Partners, oldest first", body = PartnerList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/partners")]
pub async fn list(ctx: Ctx, page: Query<PageParams>) -> Result<HttpResponse, ApiError> {
    let admin = require_reader(&ctx)?;
    let page = page.request()?;
    let mut work = ctx.work(Access::Read).await?;
    let found = store::list(&mut work.tx, page).await?;
    let view = if admin {
        Partner::admin
    } else {
        Partner::summary
    };
    let (items, next_cursor) = into_views(found, view);
    work.commit(HttpResponse::Ok().json(PartnerList { items, next_cursor }))
        .await
}

/// Reads a partner.
///
/// Every agent of the organisation; a partner's token gets 403. Only administrators see the
/// technical fields (`webhook_url`, `client_id`, `credentials_issued_at`); secrets are never shown.
/// Not audited.
#[utoipa::path(
    tag = "partners",
    operation_id = "read_partner",
    params(("id" = Uuid, Path, description = "Partner id")),
    responses((status = 200, description = "The partner", body = Partner, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/partners/{id}")]
pub async fn read(ctx: Ctx, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let admin = require_reader(&ctx)?;
    let mut work = ctx.work(Access::Read).await?;
    let partner = store::get(&mut work.tx, *id).await?;
    let version = partner.version;
    let body = if admin {
        Partner::admin(partner)
    } else {
        Partner::summary(partner)
    };
    let mut response = HttpResponse::Ok();
    with_etag(&mut response, version);
    work.commit(response.json(body)).await
}

/// Registers a partner; answers its client credentials and webhook secret, once.
///
/// Administrators only. The SIRET is checked (14 digits, valid check digit) and the webhook URL
/// must be `https` on a public address, without credentials or fragment (422). The answer carries
/// the `client_id`, the `client_secret` and the webhook signing secret, shown this once with
/// `Cache-Control: no-store`: neither secret can be read again, only rotated. Such an answer is not
/// kept for an `Idempotency-Key` replay: a retry with the same key registers the partner again.
/// Audited as a `create` of `partner`.
#[utoipa::path(
    tag = "partners",
    operation_id = "create_partner",
    params(crate::responses::IdempotencyKeyHeader),
    request_body = NewPartner,
    responses(
        (status = 201, description = "The partner and its secrets, shown this once (`Cache-Control: no-store`)", body = CreatedPartner, headers(("Location" = String), ("ETag" = String))),
        CreateErrors
    ),
    security(("bearer" = []))
)]
#[post("/partners")]
pub async fn create(ctx: Ctx, body: Json<NewPartner>) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::OrganisationAdmin)?;
    let data = model::partner_data(&body, true, ctx.state.settings.webhooks_allow_loopback)?;
    let mut work = ctx.work(Access::Write).await?;
    let (partner, secrets) = store::create(
        &mut work.tx,
        &ctx.state.vault,
        work.actor.org.id,
        work.actor.agent_id,
        &data,
    )
    .await?;
    work.audit(write_event(AuditAction::Create, partner.id));
    let (id, version) = (partner.id, partner.version);
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, location(id)));
    work.commit(showing_secret(
        &mut response,
        version,
        CreatedPartner {
            partner: Partner::admin(partner),
            client_secret: secrets.client_secret.expose().to_owned(),
            webhook_secret: secrets.webhook_secret.expose().to_owned(),
        },
    ))
    .await
}

/// Changes a partner: name, SIRET, contact, webhook URL, or enabled (false refuses its tokens).
///
/// Administrators only; a merge patch (absent keeps, `null` clears; the contact is merged field by
/// field), checked as a registration (422). `enabled: false` refuses the partner's tokens at once
/// (401), and its webhooks are not delivered while it is disabled. `If-Match` is required (428,
/// 412). Audited as an `update` of `partner`.
#[utoipa::path(
    tag = "partners",
    operation_id = "update_partner",
    params(("id" = Uuid, Path, description = "Partner id"), crate::responses::IfMatchHeader),
    request_body = PartnerPatch,
    responses((status = 200, description = "The changed partner", body = Partner, headers(("ETag" = String))), WriteErrors),
    security(("bearer" = []))
)]
#[patch("/partners/{id}")]
pub async fn update(
    ctx: Ctx,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<PartnerPatch>,
) -> Result<HttpResponse, ApiError> {
    let (mut work, current, version) = change(&ctx, *id, if_match).await?;
    let data = model::patched(&current, &body, ctx.state.settings.webhooks_allow_loopback)?;
    let changed = store::update(&mut work.tx, current.id, version, &data).await?;
    work.audit(write_event(AuditAction::Update, changed.id));
    let version = changed.version;
    let mut response = HttpResponse::Ok();
    with_etag(&mut response, version);
    work.commit(response.json(Partner::admin(changed))).await
}

/// Issues a new client secret, answered once; the previous one and its tokens stop working.
///
/// Administrators only; no body, `If-Match` required (428, 412). The new secret is answered once,
/// with `Cache-Control: no-store`, and not kept for an `Idempotency-Key` replay. Tokens issued
/// before the rotation are refused (401) from now on, and the old secret gets no new token. Audited
/// as an `update` of `partner` with the reason `client secret rotated`.
#[utoipa::path(
    tag = "partners",
    operation_id = "rotate_partner_client_secret",
    params(
        ("id" = Uuid, Path, description = "Partner id"),
        crate::responses::IfMatchHeader,
        crate::responses::IdempotencyKeyHeader
    ),
    responses(
        (status = 200, description = "The partner and its new client secret, shown this once (`Cache-Control: no-store`)", body = RotatedClientSecret, headers(("ETag" = String))),
        WriteErrors
    ),
    security(("bearer" = []))
)]
#[post("/partners/{id}/client-secret")]
pub async fn rotate_client_secret(
    ctx: Ctx,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (mut work, current, version) = change(&ctx, *id, if_match).await?;
    let (partner, secret) = store::rotate_client_secret(&mut work.tx, current.id, version).await?;
    rotated(work, partner, "client secret rotated", |partner| {
        RotatedClientSecret {
            partner,
            client_secret: secret.expose().to_owned(),
        }
    })
    .await
}

/// Issues a new webhook signing secret, answered once; deliveries from now on use it.
///
/// Administrators only; no body, `If-Match` required (428, 412). The new secret is answered once,
/// with `Cache-Control: no-store`, and not kept for an `Idempotency-Key` replay; every delivery
/// attempt from now on is signed with it. Audited as an `update` of `partner` with the reason
/// `webhook secret rotated`.
#[utoipa::path(
    tag = "partners",
    operation_id = "rotate_partner_webhook_secret",
    params(
        ("id" = Uuid, Path, description = "Partner id"),
        crate::responses::IfMatchHeader,
        crate::responses::IdempotencyKeyHeader
    ),
    responses(
        (status = 200, description = "The partner and its new webhook secret, shown this once (`Cache-Control: no-store`)", body = RotatedWebhookSecret, headers(("ETag" = String))),
        WriteErrors
    ),
    security(("bearer" = []))
)]
#[post("/partners/{id}/webhook-secret")]
pub async fn rotate_webhook_secret(
    ctx: Ctx,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (mut work, current, version) = change(&ctx, *id, if_match).await?;
    let (partner, secret) =
        store::rotate_webhook_secret(&mut work.tx, &ctx.state.vault, current.id, version).await?;
    rotated(work, partner, "webhook secret rotated", |partner| {
        RotatedWebhookSecret {
            partner,
            webhook_secret: secret.expose().to_owned(),
        }
    })
    .await
}
