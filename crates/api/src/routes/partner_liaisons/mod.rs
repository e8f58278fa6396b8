//! The partner's side of liaison sheets: a registered partner, with its own token, lists and
//! reads the sheets addressed to it, downloads their document, and acknowledges or declines
//! them.
//!
//! Only a partner token reaches these routes (403 for anyone else: agents use the case
//! routes). A partner sees the liaisons addressed to it once sent; a draft, a liaison for
//! anyone else, and another organisation's answer 404. What a sheet shows is gathered exactly
//! as for its printed document ([`crate::routes::liaisons::content`]): only the content chosen
//! from the whitelist and allowed by the legal basis, never private notes. Every read is
//! audited with the case's person (`read` per liaison listed or read, `download` for the
//! document, `reveal` of the NIR when it is shown), and so is the answer (`transition`).
//!
//! The answer needs `If-Match` (the liaison's `ETag`; 428 without it, 412 when stale) and an
//! `Idempotency-Key` (400 without it). It is given once (409 `invalid_liaison_transition`
//! afterwards), is recorded with the partner's own agent id as `answered_by`, and queues the
//! `liaison.acknowledged` webhook in the same transaction.

mod model;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use relais_domain::{AuditAction, CaseStatus, Coded, LiaisonStatus};
use relais_store::audit::NewAuditEvent;
use relais_store::cases::{self, CaseRecord, CaseScope};
use relais_store::db::{self, Access, Tx};
use relais_store::liaisons::{self as store, LiaisonRecord, received};
use uuid::Uuid;

use crate::conditional::{IfMatch, ok_with_etag};
use crate::context::Ctx;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Query};
use crate::idempotency::require_key;
use crate::pagination::{next_cursor, page_request};
use crate::responses::{ReadErrors, WriteErrors};
use crate::routes::liaisons::{RESOURCE, accept, content, notify, sharing_allowed, writable};
use crate::routes::plan::written::negotiate;

use model::{ANSWERS, RECEIVED};
pub use model::{
    NewAcknowledgement, ReceivedLiaison, ReceivedLiaisonList, ReceivedLiaisonSheet,
    ReceivedListParams,
};

/// Lists the liaison sheets addressed to the calling partner, newest first.
#[utoipa::path(
    tag = "liaisons",
    operation_id = "list_received_liaisons",
    params(ReceivedListParams),
    responses((status = 200, description = "The partner's liaisons, newest first (drafts are never shown)", body = ReceivedLiaisonList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/liaisons")]
pub async fn list(ctx: Ctx, params: Query<ReceivedListParams>) -> Result<HttpResponse, ApiError> {
    let partner = ctx.require_partner()?;
    let page = page_request(params.limit, params.cursor.as_deref())?;
    let status = match params.status.as_deref() {
        None => None,
        Some(code) => Some(
            LiaisonStatus::parse(code)
                .filter(|s| RECEIVED.contains(s))
                .ok_or_else(|| {
                    ApiError::bad_query(
                        "status",
                        format!("unknown status {code:?}: sent, acknowledged or declined"),
                    )
                })?,
        ),
    };
    let (mut tx, actor) = ctx.begin(Access::Read).await?;
    let found = received::list(&mut tx, partner, status, page).await?;
    let events: Vec<_> = found
        .items
        .iter()
        .map(|l| NewAuditEvent {
            action: AuditAction::Read,
            resource_type: RESOURCE,
            resource_id: Some(l.id),
            person_id: Some(l.person_id),
            reason: None,
        })
        .collect();
    actor.audit(&mut tx, &events).await?;
    db::commit(tx).await?;
    let next = next_cursor(&found);
    Ok(HttpResponse::Ok().json(ReceivedLiaisonList {
        items: found
            .items
            .iter()
            .map(|l| ReceivedLiaison::new(&actor.org.name, l))
            .collect(),
        next_cursor: next,
    }))
}

/// Reads a liaison sheet addressed to the calling partner, with its shared content.
#[utoipa::path(
    tag = "liaisons",
    operation_id = "read_received_liaison",
    params(("id" = Uuid, Path, description = "Liaison id")),
    responses(
        (status = 200, description = "The liaison and exactly the content it shares", body = ReceivedLiaisonSheet, headers(("ETag" = String))),
        (status = 409, description = "`no_longer_shared`: the sheet is read live from the case, and sharing it is no longer allowed (consent withdrawn, case archived…)", body = Problem, content_type = "application/problem+json"),
        ReadErrors
    ),
    security(("bearer" = []))
)]
#[get("/liaisons/{id}")]
pub async fn read(ctx: Ctx, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let partner = ctx.require_partner()?;
    let (mut tx, actor) = ctx.begin(Access::Read).await?;
    let liaison = received::get(&mut tx, partner, *id).await?;
    let case = cases::get(&mut tx, liaison.case_id, CaseScope::All).await?;
    still_shared(&mut tx, &case, &liaison).await?;
    let gathered = content::gather(&mut tx, &ctx.state.vault, &case, &liaison).await?;
    actor
        .audit(
            &mut tx,
            &content::events(AuditAction::Read, &liaison, &gathered),
        )
        .await?;
    db::commit(tx).await?;
    Ok(ok_with_etag(
        liaison.version,
        ReceivedLiaisonSheet::new(&actor.org.name, &liaison, gathered),
    ))
}

/// The liaison sheet addressed to the calling partner, in French: `text/html` (the default) or
/// `application/pdf` after the `Accept` header; 406 for any other media type.
#[utoipa::path(
    tag = "liaisons",
    operation_id = "received_liaison_document",
    params(
        ("id" = Uuid, Path, description = "Liaison id"),
        ("Accept" = Option<String>, Header, description = "`text/html` (default) or `application/pdf`")
    ),
    responses(
        (status = 200, description = "The liaison sheet, with only the content chosen from the whitelist",
            content((String = "text/html"), (crate::routes::plan::written::PdfFile = "application/pdf")),
            headers(("Content-Disposition" = String, description = "PDF only: `inline; filename=\"fiche-de-liaison.pdf\"`"), ("Vary" = String))),
        (status = 406, description = "The Accept header allows neither text/html nor application/pdf", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`no_longer_shared`: sharing this sheet is no longer allowed (consent withdrawn, case archived…)", body = Problem, content_type = "application/problem+json"),
        ReadErrors
    ),
    security(("bearer" = []))
)]
#[get("/liaisons/{id}/document")]
pub async fn document(
    ctx: Ctx,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let partner = ctx.require_partner()?;
    let format = negotiate(accept(&req)).ok_or(ApiError::NotAcceptable)?;
    let (mut tx, actor) = ctx.begin(Access::Read).await?;
    let liaison = received::get(&mut tx, partner, *id).await?;
    let case = cases::get(&mut tx, liaison.case_id, CaseScope::All).await?;
    still_shared(&mut tx, &case, &liaison).await?;
    let gathered = content::gather(&mut tx, &ctx.state.vault, &case, &liaison).await?;
    actor
        .audit(
            &mut tx,
            &content::events(AuditAction::Download, &liaison, &gathered),
        )
        .await?;
    db::commit(tx).await?;
    content::respond(format, content::sheet(&actor.org.name, &liaison, gathered)).await
}

/// Acknowledges or declines a liaison sheet addressed to the calling partner, once.
#[utoipa::path(
    tag = "liaisons",
    operation_id = "acknowledge_liaison",
    params(
        ("id" = Uuid, Path, description = "Liaison id"),
        crate::responses::IfMatchHeader,
        ("Idempotency-Key" = String, Header, description = "Required: a unique key (e.g. a UUID), reused when you retry; a retry with the same key and body replays the first response for 24 hours")
    ),
    request_body = NewAcknowledgement,
    responses(
        (status = 200, description = "Answer recorded", body = ReceivedLiaison, headers(("ETag" = String))),
        WriteErrors
    ),
    security(("bearer" = []))
)]
#[post("/liaisons/{id}/acknowledgement")]
pub async fn acknowledge(
    ctx: Ctx,
    req: HttpRequest,
    id: web::Path<Uuid>,
    if_match: Result<IfMatch, ApiError>,
    body: Result<Json<NewAcknowledgement>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let partner = ctx.require_partner()?;
    require_key(&req)?;
    let if_match = if_match?;
    let body = body?;
    if !ANSWERS.contains(&body.outcome) {
        return Err(ApiError::invalid(
            "/outcome",
            "invalid_value",
            "the answer is `acknowledged` or `declined`",
        ));
    }
    let message = match body.message.as_deref().map(str::trim) {
        Some("") => {
            return Err(ApiError::invalid(
                "/message",
                "blank",
                "leave the message out, or write something in it",
            ));
        }
        other => other,
    };
    let (mut tx, actor) = ctx.begin(Access::Write).await?;
    let current = received::lock(&mut tx, partner, *id).await?;
    let version = if_match.check(current.version)?;
    current
        .status
        .transition(body.outcome)
        .map_err(|err| ApiError::Conflict {
            code: err.code(),
            detail: err.to_string(),
        })?;
    let case = cases::get(&mut tx, current.case_id, CaseScope::All).await?;
    writable(&case)?;
    let changed = store::change_status(
        &mut tx,
        actor.org.id,
        actor.agent_id,
        &current,
        version,
        body.outcome,
        message,
    )
    .await?;
    notify(&mut tx, actor.org.id, &changed).await?;
    actor
        .audit_one(
            &mut tx,
            AuditAction::Transition,
            RESOURCE,
            Some(changed.id),
            Some(changed.person_id),
            None,
        )
        .await?;
    db::commit(tx).await?;
    Ok(ok_with_etag(
        changed.version,
        ReceivedLiaison::new(&actor.org.name, &changed),
    ))
}

/// A sent sheet is read live from its case, so it stays readable only while sharing it is still
/// allowed: the sending rule holds again today (consent in scope and not withdrawn, person
/// informed, partner enabled) and the case is not archived. Otherwise 409 `no_longer_shared`.
async fn still_shared(
    tx: &mut Tx,
    case: &CaseRecord,
    liaison: &LiaisonRecord,
) -> Result<(), ApiError> {
    let stopped = |detail: String| ApiError::Conflict {
        code: "no_longer_shared",
        detail,
    };
    if case.status == CaseStatus::Archived.code() {
        return Err(stopped(
            "this sheet is no longer shared: the case is archived".into(),
        ));
    }
    match sharing_allowed(tx, case, liaison).await {
        Err(ApiError::Conflict { detail, .. }) => {
            Err(stopped(format!("this sheet is no longer shared: {detail}")))
        }
        other => other,
    }
}
