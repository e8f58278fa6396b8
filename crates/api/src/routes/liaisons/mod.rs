//! Liaison sheets (*fiches de liaison*) of a case: prepared as drafts, sent once under a legal
//! basis, then acknowledged or declined by the destination; printed in French.
//!
//! The caller must see the case (404 otherwise: workers see their teams' cases, supervisors
//! all); reception, administrators and the DPO get 403. Creating a draft checks what can never
//! change: the destination, the content against the legal basis, and the consent attached
//! (the person's, of the right scope, not withdrawn) — a 422 pointing at the field. Sending
//! checks the whole sharing rule (`relais_domain::liaison::check_send`) again, against the
//! current consent and person: a 409 whose code says what is missing (`person_not_informed`,
//! `consent_withdrawn`, …). Reads are audited as `read`, the creation as `create`, every
//! status change and every download of the sheet as `share`, all with the case's person.
//!
//! A liaison to a registered partner must name an enabled partner of the organisation (422 at
//! `/destination/partner_id`), and is refused at send time when the partner was disabled since
//! (409 `partner_disabled`). Sending it queues the `liaison.sent` webhook, and any answer
//! (recorded here, or given by the partner itself at `/v1/liaisons/{id}/acknowledgement`)
//! `liaison.acknowledged`, in the same transaction: ids and statuses only.

pub(crate) mod content;
pub(crate) mod model;
mod rules;
mod sheet;

use actix_web::{HttpResponse, get, post, web};
use relais_domain::{
    AuditAction, AuditResource, LiaisonContent, LiaisonStatus, Permission, WebhookEvent,
};
use relais_store::audit::NewAuditEvent;
use relais_store::cases::CaseRecord;
use relais_store::db::Tx;
use relais_store::liaisons::{self as store, LiaisonRecord};
use relais_store::outbox;
use serde_json::json;
use uuid::Uuid;

use self::rules::{check_draft, destination};
use crate::conditional::{IfMatch, created, ok_with_etag};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::extract::{Json, Query};
use crate::pagination::{PageParams, into_views};
use crate::responses::{CreateErrors, ReadErrors, WriteErrors};
use crate::routes::paths::LiaisonPath;
use crate::work::CaseUse;

pub use model::{
    DestinationInput, Liaison, LiaisonDestination, LiaisonList, NewLiaison, NewLiaisonStatus,
};
pub(crate) use rules::{SharingStopped, sharing_allowed, sharing_stopped};
pub use sheet::document;

fn location(case_id: Uuid, id: Uuid) -> String {
    format!("/v1/cases/{case_id}/liaisons/{id}")
}

fn event(action: AuditAction, resource_id: Uuid, case: &CaseRecord) -> NewAuditEvent {
    NewAuditEvent::new(action, AuditResource::Liaison, resource_id).about(case.person_id)
}

/// Lists a case's liaison sheets, newest first.
///
/// Workers on the case's team and supervisors (403 for reception, admin, dpo and partners, 404 for
/// a case the caller may not see). Each sheet's destination, purpose, legal basis, content chosen
/// and status. Unlike the case's other content, the liaisons of an archived case are read without a
/// `reason` (the operation takes none). Audited once as a `read` of `case.liaisons`.
#[utoipa::path(
    tag = "liaisons",
    operation_id = "list_liaisons",
    params(("id" = Uuid, Path, description = "Case id"), PageParams),
    responses((status = 200, description = "Liaisons, newest first", body = LiaisonList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}/liaisons")]
pub async fn list(
    ctx: Ctx,
    id: web::Path<Uuid>,
    page: Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    ctx.require_case_read()?;
    let page = page.request()?;
    // Not `CaseUse::Read`: liaisons have always been read without the reason an archived
    // case's other content asks for, and this keeps that answer.
    let (mut work, case) = ctx
        .case_list(*id, CaseUse::Visible, AuditResource::CaseLiaisons)
        .await?;
    let found = store::list(&mut work.tx, case.id, page).await?;
    let (items, next_cursor) = into_views(found, Liaison::from);
    work.commit(HttpResponse::Ok().json(LiaisonList { items, next_cursor }))
        .await
}

/// Prepares a liaison sheet (a draft).
///
/// Workers on the case's team and supervisors; an archived case answers 409 `case_archived`, a
/// closed one still takes liaisons. The destination is either an enabled partner of the
/// organisation (`partner_id`) or a named institution with a contact (422 `invalid_destination`,
/// `unknown_partner`, `partner_disabled`). The content is chosen from the whitelist, each item
/// once, and the legal basis must allow it: the NIR only under a legal obligation, health details
/// only with consent or under shared secrecy. Under `consent`, `consent_id` must name a consent of
/// the person, not withdrawn, whose scope covers the destination; under another basis no consent is
/// attached. Each rule fails as a 422 pointing at its field. Audited as a `create` of `liaison`.
#[utoipa::path(
    tag = "liaisons",
    operation_id = "create_liaison",
    params(("id" = Uuid, Path, description = "Case id"), crate::responses::IdempotencyKeyHeader),
    request_body = NewLiaison,
    responses((status = 201, description = "The draft", body = Liaison, headers(("Location" = String), ("ETag" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/{id}/liaisons")]
pub async fn create(
    ctx: Ctx,
    id: web::Path<Uuid>,
    body: Json<NewLiaison>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseWrite)?;
    let destination = destination(&body.destination)?;
    let purpose = body.purpose.trim();
    if purpose.is_empty() {
        return Err(ApiError::invalid(
            "/purpose",
            "blank",
            "say why the person is oriented to the destination",
        ));
    }
    let (mut work, case) = ctx.case(*id, CaseUse::Write).await?;
    check_draft(&mut work.tx, &case, &body, &destination).await?;
    let liaison = store::create(
        &mut work.tx,
        work.actor.org.id,
        work.actor.agent_id,
        case.id,
        &store::NewLiaison {
            destination: &destination,
            purpose,
            content: &body.content,
            legal_basis: body.legal_basis,
            consent_id: body.consent_id,
        },
    )
    .await?;
    work.audit(event(AuditAction::Create, liaison.id, &case));
    work.commit(created(
        location(case.id, liaison.id),
        liaison.version,
        Liaison::from(liaison),
    ))
    .await
}

/// Reads a liaison sheet.
///
/// Workers on the case's team and supervisors (403 for other roles, 404 for a case the caller may
/// not see or a liaison of another case). Like the list, it is read without a `reason` even when
/// the case is archived. Audited as a `read` of `liaison`.
#[utoipa::path(
    tag = "liaisons",
    operation_id = "read_liaison",
    params(LiaisonPath),
    responses((status = 200, description = "The liaison", body = Liaison, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}/liaisons/{lid}")]
pub async fn read(ctx: Ctx, path: web::Path<LiaisonPath>) -> Result<HttpResponse, ApiError> {
    ctx.require_case_read()?;
    let (mut work, case) = ctx.case(path.id, CaseUse::Visible).await?;
    let liaison = store::get(&mut work.tx, case.id, path.lid).await?;
    work.audit(event(AuditAction::Read, liaison.id, &case));
    work.commit(ok_with_etag(liaison.version, Liaison::from(liaison)))
        .await
}

/// Locks the liaison, checks the version and the lifecycle, and records the change.
async fn change(
    ctx: &Ctx,
    path: &LiaisonPath,
    if_match: IfMatch,
    to: LiaisonStatus,
) -> Result<HttpResponse, ApiError> {
    let (mut work, case) = ctx.case(path.id, CaseUse::Write).await?;
    let current = store::lock(&mut work.tx, case.id, path.lid).await?;
    let version = if_match.check(current.version)?;
    current.status.transition(to)?;
    if to == LiaisonStatus::Sent {
        sharing_allowed(&mut work.tx, &case, &current).await?;
    }
    let changed = store::change_status(
        &mut work.tx,
        work.actor.org.id,
        work.actor.agent_id,
        &current,
        version,
        to,
        None,
    )
    .await?;
    notify(&mut work.tx, work.actor.org.id, &changed).await?;
    work.audit(event(AuditAction::Share, changed.id, &case));
    work.commit(ok_with_etag(changed.version, Liaison::from(changed)))
        .await
}

/// Sends a draft liaison: checks the legal basis, the consent and that the person was informed.
///
/// Workers on the case's team and supervisors; no body. Only a draft is sent (409
/// `invalid_liaison_transition` otherwise). The whole sharing rule is checked again on the current
/// data, each refusal a 409 with its code: `partner_disabled`, `person_not_informed` (the person
/// has no `informed` record), `consent_missing`, `consent_withdrawn`, `consent_scope_mismatch`,
/// `nir_not_allowed`, `health_not_allowed`. A liaison to a registered partner queues its
/// `liaison.sent` webhook in the same transaction. An archived case answers 409 `case_archived`;
/// `If-Match` is required (428, 412). Audited as a `share` of `liaison`; the timeline records it.
#[utoipa::path(
    tag = "liaisons",
    operation_id = "send_liaison",
    params(LiaisonPath, crate::responses::IfMatchHeader, crate::responses::IdempotencyKeyHeader),
    responses(
        (status = 200, description = "Sent", body = Liaison, headers(("ETag" = String))),
        WriteErrors
    ),
    security(("bearer" = []))
)]
#[post("/{id}/liaisons/{lid}/send")]
pub async fn send(
    ctx: Ctx,
    path: web::Path<LiaisonPath>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseWrite)?;
    change(&ctx, &path, if_match, LiaisonStatus::Sent).await
}

/// Records the destination's answer to a sent liaison: acknowledged or declined.
///
/// Workers on the case's team and supervisors record the answer the destination gave them; `status`
/// is `acknowledged` or `declined` (422 otherwise). Only a sent liaison takes an answer, once (409
/// `invalid_liaison_transition`); a registered partner may give it itself at `POST
/// /v1/liaisons/{id}/acknowledgement`. A liaison to a registered partner queues its
/// `liaison.acknowledged` webhook. An archived case answers 409 `case_archived`; `If-Match` is
/// required (428, 412). Audited as a `share` of `liaison`; the timeline records it.
#[utoipa::path(
    tag = "liaisons",
    operation_id = "answer_liaison",
    params(LiaisonPath, crate::responses::IfMatchHeader, crate::responses::IdempotencyKeyHeader),
    request_body = NewLiaisonStatus,
    responses(
        (status = 200, description = "Answer recorded", body = Liaison, headers(("ETag" = String))),
        WriteErrors
    ),
    security(("bearer" = []))
)]
#[post("/{id}/liaisons/{lid}/status")]
pub async fn answer(
    ctx: Ctx,
    path: web::Path<LiaisonPath>,
    if_match: IfMatch,
    body: Json<NewLiaisonStatus>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseWrite)?;
    if !crate::routes::partner_liaisons::model::ANSWERS.contains(&body.status) {
        return Err(ApiError::invalid(
            "/status",
            "invalid_value",
            "the answer is `acknowledged` or `declined` (send a draft with …/send)",
        ));
    }
    change(&ctx, &path, if_match, body.status).await
}

/// Queues the webhook of a liaison's new status for its registered partner, if it has one
/// (and the partner is enabled with a webhook URL): `liaison.sent` once sent,
/// `liaison.acknowledged` once answered, either way. The data is ids and statuses only.
pub(crate) async fn notify(
    tx: &mut Tx,
    org_id: Uuid,
    liaison: &LiaisonRecord,
) -> Result<(), ApiError> {
    let Some(partner_id) = liaison.partner_id() else {
        return Ok(());
    };
    let event = match liaison.status {
        LiaisonStatus::Draft => return Ok(()),
        LiaisonStatus::Sent => WebhookEvent::LiaisonSent,
        LiaisonStatus::Acknowledged | LiaisonStatus::Declined => WebhookEvent::LiaisonAcknowledged,
    };
    let data = json!({"liaison_id": liaison.id, "status": liaison.status.code()});
    outbox::enqueue(tx, org_id, partner_id, event, data).await?;
    Ok(())
}

/// Whether `content` was chosen and may be printed under the liaison's basis.
fn printed(liaison: &LiaisonRecord, content: LiaisonContent) -> bool {
    liaison.shares(content) && relais_domain::liaison::basis_allows(liaison.legal_basis, content)
}
