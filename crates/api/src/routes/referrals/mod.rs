//! Referrals (*orientations entrantes*) posted by partners: the partner posts (`create`), the
//! organisation's agents read the inbox and decide (`decision`), unanswered ones expire (the
//! background sweep of `relais_store::referrals::expire_due`).
//!
//! Who sees what: a partner (a token from `POST /v1/oauth/token`) sees only the referrals it
//! posted — another partner's, or another organisation's, answer 404. Agents with
//! `ReferralRead` (reception, workers, supervisors) see the whole inbox; workers and supervisors
//! (`ReferralDecide`) decide and download attachments. Administrators and the DPO get 403.
//! Every read is audited (`referral`, with the linked person once accepted), every download of
//! an attachment as a `download`.

pub(crate) mod decision;
mod model;
mod posting;

use actix_web::http::header::{
    self, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::{HttpResponse, get, web};
use relais_domain::restriction::check_sharing;
use relais_domain::{AuditAction, AuditResource, Permission, ReferralStatus};
use relais_store::audit::NewAuditEvent;
use relais_store::db::Access;
use relais_store::referrals::{self as store, ReferralFilter, ReferralRecord, Viewer};
use relais_store::restrictions;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::conditional::ok_with_etag;
use crate::context::Ctx;
use crate::error::ApiError;
use crate::extract::{Query, coded_list};
use crate::pagination::{PageParams, into_views};
use crate::responses::ReadErrors;

pub use decision::decide;
pub use model::{
    Attachment, AttachmentFile, ConsentProof, ConsentProofView, NewAttachment, NewReferral,
    NewReferralDecision, RedirectedTo, Referral, ReferralList, ReferredPerson, ReferredPersonView,
    Referrer,
};
pub use posting::{ReferralBody, ReferralRule, create};

fn location(id: Uuid) -> String {
    format!("/v1/referrals/{id}")
}

/// Whose referrals the caller sees: a partner its own, an agent allowed to the inbox.
fn viewer(ctx: &Ctx) -> Result<Viewer, ApiError> {
    match ctx.principal.partner_id {
        Some(partner) => Ok(Viewer::Partner(partner)),
        None => {
            ctx.require(Permission::ReferralRead)?;
            Ok(Viewer::Organisation)
        }
    }
}

fn read_event(referral: &ReferralRecord) -> NewAuditEvent {
    NewAuditEvent::new(AuditAction::Read, AuditResource::Referral, referral.id)
        .about(referral.person_id)
}

/// Filters of the list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Comma-separated `referral_status` codes, e.g. `received`; every status by default.
    #[param(schema_with = crate::schema::referral_status_list)]
    pub status: Option<String>,
}

/// Lists the organisation's inbox of referrals, or a partner's own referrals, newest first.
///
/// Reception, workers and supervisors see the organisation's whole inbox; a partner token sees only
/// the referrals it posted; admin and dpo get 403. Filter by `status` (a comma-separated list of
/// `received`, `accepted`, `declined`, `redirected`, `expired`). The NIR is masked; a partner does
/// not learn which of the organisation's persons a referral was linked to, nor who decided. Each
/// referral listed is audited as a `read` of `referral`.
#[utoipa::path(
    tag = "referrals",
    operation_id = "list_referrals",
    params(ListParams, PageParams),
    responses((status = 200, description = "Referrals, newest first", body = ReferralList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/referrals")]
pub async fn list(
    ctx: Ctx,
    params: Query<ListParams>,
    page: Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let viewer = viewer(&ctx)?;
    let page = page.request()?;
    let statuses: Vec<ReferralStatus> = coded_list("status", "status", params.status.as_deref())?;
    let statuses = statuses.iter().map(|s| s.code().to_owned()).collect();
    let mut work = ctx.work(Access::Read).await?;
    let found = store::list(&mut work.tx, &ReferralFilter { statuses }, viewer, page).await?;
    work.audit_all(found.items.iter().map(read_event));
    let (items, next_cursor) = into_views(found, |r| Referral::view(r, viewer));
    work.commit(HttpResponse::Ok().json(ReferralList { items, next_cursor }))
        .await
}

/// Reads a referral (an agent: of the organisation; a partner: one it posted).
///
/// Reception, workers and supervisors read any referral of the organisation; a partner token only
/// the referrals it posted (404 otherwise); admin and dpo get 403. The NIR is masked. Once
/// accepted, an agent sees the person it was linked to and who decided; a partner sees the decision
/// and the case id, not the person nor the agent, and while the person has an active restriction
/// or objection gets 409 `processing_restricted` instead. Audited as a `read` of `referral`.
#[utoipa::path(
    tag = "referrals",
    operation_id = "read_referral",
    params(("id" = Uuid, Path, description = "Referral id")),
    responses((status = 200, description = "The referral", body = Referral, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/referrals/{id}")]
pub async fn read(ctx: Ctx, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let viewer = viewer(&ctx)?;
    let mut work = ctx.work(Access::Read).await?;
    let referral = store::get(&mut work.tx, *id, viewer).await?;
    // A partner's answer about a person who restricted the processing of their data is refused.
    if let (Viewer::Partner(_), Some(person_id)) = (viewer, referral.person_id) {
        check_sharing(restrictions::active(&mut work.tx, person_id).await?)?;
    }
    work.audit(read_event(&referral));
    work.commit(ok_with_etag(
        referral.version,
        Referral::view(referral, viewer),
    ))
    .await
}

/// The `Content-Disposition` of a download: an ASCII fallback and the UTF-8 name (RFC 6266).
fn disposition(filename: &str) -> ContentDisposition {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(ascii),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: filename.as_bytes().to_vec(),
            }),
        ],
    }
}

/// Downloads an attachment of a referral (workers and supervisors; audited as a download).
///
/// Workers and supervisors only (403 for reception, which sees the inbox but not the attachments,
/// and for admin, dpo and partners); 404 for a referral or attachment the organisation does not
/// have. The file is sent as an attachment with `Cache-Control: private, no-store` and
/// `X-Content-Type-Options: nosniff`. Audited as a `download` of `referral.attachment`.
#[utoipa::path(
    tag = "referrals",
    operation_id = "referral_attachment_content",
    params(
        ("id" = Uuid, Path, description = "Referral id"),
        ("aid" = Uuid, Path, description = "Attachment id")
    ),
    responses(
        (status = 200, description = "The file, as a download, of the type recognised from its content",
            content((AttachmentFile = "application/pdf"), (AttachmentFile = "image/png"), (AttachmentFile = "image/jpeg")),
            headers(("Content-Disposition" = String, description = "`attachment; filename=\"…\"`"))),
        ReadErrors
    ),
    security(("bearer" = []))
)]
#[get("/referrals/{id}/attachments/{aid}/content")]
pub async fn attachment(ctx: Ctx, path: web::Path<(Uuid, Uuid)>) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::ReferralDecide)?;
    let (referral_id, attachment_id) = path.into_inner();
    let mut work = ctx.work(Access::Read).await?;
    let referral = store::get(&mut work.tx, referral_id, Viewer::Organisation).await?;
    let file = store::attachment(&mut work.tx, referral.id, attachment_id).await?;
    work.audit(
        NewAuditEvent::new(
            AuditAction::Download,
            AuditResource::ReferralAttachment,
            attachment_id,
        )
        .about(referral.person_id),
    );
    work.commit(
        HttpResponse::Ok()
            .content_type(file.content_type)
            .insert_header(disposition(&file.filename))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .body(file.content),
    )
    .await
}
