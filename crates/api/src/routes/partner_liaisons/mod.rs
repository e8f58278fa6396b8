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

pub(crate) mod model;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use relais_domain::{AuditAction, AuditResource, CaseStatus, Coded, LiaisonStatus, SendRefusal};
use relais_store::audit::NewAuditEvent;
use relais_store::cases::{self, CaseRecord, CaseScope};
use relais_store::db::{Access, Tx};
use relais_store::liaisons::{self as store, LiaisonRecord, received};
use uuid::Uuid;

use crate::conditional::{IfMatch, ok_with_etag};
use crate::context::Ctx;
use crate::error::{ApiError, Code, Problem};
use crate::extract::{Json, Query};
use crate::idempotency::require_key;
use crate::pagination::{PageParams, into_views};
use crate::printed::{self, PRINTED};
use crate::responses::{ReadErrors, WriteErrors};
use crate::routes::liaisons::{SharingStopped, content, notify, sharing_stopped};

use model::{ANSWERS, RECEIVED};
pub use model::{
    NewAcknowledgement, ReceivedLiaison, ReceivedLiaisonList, ReceivedLiaisonSheet,
    ReceivedListParams,
};

/// Lists the liaison sheets addressed to the calling partner, newest first.
///
/// Partner tokens only (403 for agents, who use the case routes). The sheets addressed to the
/// calling partner once sent (never a draft), with their purpose, the kinds of content they share,
/// the legal basis, status and answer; filter by `status` (`sent`, `acknowledged`, `declined`). The
/// content itself is read one sheet at a time. Each sheet listed is audited as a `read` of
/// `liaison` with the case's person.
#[utoipa::path(
    tag = "liaisons",
    operation_id = "list_received_liaisons",
    params(ReceivedListParams, PageParams),
    responses((status = 200, description = "The partner's liaisons, newest first (drafts are never shown)", body = ReceivedLiaisonList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/liaisons")]
pub async fn list(
    ctx: Ctx,
    params: Query<ReceivedListParams>,
    page: Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let partner = ctx.require_partner()?;
    let page = page.request()?;
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
    let mut work = ctx.work(Access::Read).await?;
    let found = received::list(&mut work.tx, partner, status, page).await?;
    work.audit_all(found.items.iter().map(|l| {
        NewAuditEvent::new(AuditAction::Read, AuditResource::Liaison, l.id).about(l.person_id)
    }));
    let organisation = &work.actor.org.name;
    let (items, next_cursor) = into_views(found, |l| ReceivedLiaison::new(organisation, &l));
    let list = ReceivedLiaisonList { items, next_cursor };
    work.commit(HttpResponse::Ok().json(list)).await
}

/// Reads a liaison sheet addressed to the calling partner, with its shared content.
///
/// Partner tokens only (403 for agents). 404 for a draft, a sheet addressed to anyone else or of
/// another organisation. The content is read live from the case, only what the sheet chose and its
/// legal basis allows, never private notes; so it stays readable only while sharing is still
/// allowed: a case archived, a consent withdrawn or out of scope, a person no longer informed or
/// the partner disabled answer 409 `no_longer_shared`. Audited as a `read` of `liaison`, and as a
/// `reveal` of `person.nir` when the NIR is shown.
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
    let mut work = ctx.work(Access::Read).await?;
    let (liaison, case) = shared(&mut work.tx, partner, *id).await?;
    let gathered = content::gather(&mut work.tx, &ctx.state.vault, &case, &liaison).await?;
    work.audit_all(content::events(AuditAction::Read, &liaison, &gathered));
    let sheet = ReceivedLiaisonSheet::new(&work.actor.org.name, &liaison, gathered);
    work.commit(ok_with_etag(liaison.version, sheet)).await
}

/// The liaison sheet addressed to the calling partner, in French: `text/html` (the default) or
/// `application/pdf`, as the `Accept` header asks; 406 for any other media type.
///
/// Partner tokens only (403 for agents); the same sheet and the same rules as `GET
/// /v1/liaisons/{id}` (404 for a sheet not addressed to the partner, 409 `no_longer_shared` once
/// sharing it is no longer allowed), printed; PDF with `Content-Disposition: inline`. Audited as a
/// `download` of `liaison`, and as a `reveal` of `person.nir` when the NIR is printed.
#[utoipa::path(
    tag = "liaisons",
    operation_id = "received_liaison_document",
    params(
        ("id" = Uuid, Path, description = "Liaison id")
    ),
    responses(
        (status = 200, description = "The liaison sheet, with only the content chosen from the whitelist",
            content((String = "text/html"), (crate::printed::PdfFile = "application/pdf")),
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
    let format = printed::format(&req, &PRINTED)?;
    let mut work = ctx.work(Access::Read).await?;
    let (liaison, case) = shared(&mut work.tx, partner, *id).await?;
    let gathered = content::gather(&mut work.tx, &ctx.state.vault, &case, &liaison).await?;
    work.audit_all(content::events(AuditAction::Download, &liaison, &gathered));
    let letterhead = printed::letterhead(&mut work.tx).await?;
    let sheet = content::sheet(letterhead, &liaison, gathered);
    let response = content::respond(format, sheet).await?;
    work.commit(response).await
}

/// Acknowledges or declines a liaison sheet addressed to the calling partner, once.
///
/// Partner tokens only (403 for agents). `outcome` is `acknowledged` (the partner takes the person
/// on) or `declined`, with an optional `message`. Needs `If-Match` with the liaison's `ETag` (428,
/// 412) and an `Idempotency-Key` (400 `idempotency_key_required` without it). Only a sent sheet
/// takes an answer, once (409 `invalid_liaison_transition` afterwards, also when the organisation
/// recorded one); an archived case answers 409 `case_archived`. The answer is recorded under the
/// partner's own agent and queues the `liaison.acknowledged` webhook. Audited as a `transition` of
/// `liaison`.
#[utoipa::path(
    tag = "liaisons",
    operation_id = "acknowledge_liaison",
    params(
        ("id" = Uuid, Path, description = "Liaison id"),
        crate::responses::IfMatchHeader,
        crate::responses::RequiredIdempotencyKeyHeader
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
    let mut work = ctx.work(Access::Write).await?;
    let current = received::lock(&mut work.tx, partner, *id).await?;
    let version = if_match.check(current.version)?;
    current.status.transition(body.outcome)?;
    // The partner is no member of the case's team: the case is read as the liaison names it.
    let case = cases::get(&mut work.tx, current.case_id, CaseScope::All).await?;
    case.status().writable()?;
    let changed = store::change_status(
        &mut work.tx,
        work.actor.org.id,
        work.actor.agent_id,
        &current,
        version,
        body.outcome,
        message,
    )
    .await?;
    notify(&mut work.tx, work.actor.org.id, &changed).await?;
    work.audit(
        NewAuditEvent::new(AuditAction::Transition, AuditResource::Liaison, changed.id)
            .about(changed.person_id),
    );
    let answered = ReceivedLiaison::new(&work.actor.org.name, &changed);
    work.commit(ok_with_etag(changed.version, answered)).await
}

/// The liaison `id` addressed to `partner` (404 otherwise) and its case, while still shared.
/// The partner is no member of the case's team: the case is read as the liaison names it.
async fn shared(
    tx: &mut Tx,
    partner: Uuid,
    id: Uuid,
) -> Result<(LiaisonRecord, CaseRecord), ApiError> {
    let liaison = received::get(tx, partner, id).await?;
    let case = cases::get(tx, liaison.case_id, CaseScope::All).await?;
    still_shared(tx, &case, &liaison).await?;
    Ok((liaison, case))
}

/// A sent sheet is read live from its case, so it stays readable only while sharing it is still
/// allowed: the sending rule holds again today (consent in scope and not withdrawn, person
/// informed, partner enabled) and the case is not archived. Otherwise 409 `no_longer_shared`.
async fn still_shared(
    tx: &mut Tx,
    case: &CaseRecord,
    liaison: &LiaisonRecord,
) -> Result<(), ApiError> {
    let stopped = |why: &dyn std::fmt::Display| {
        Err(ApiError::new(
            Code::NoLongerShared,
            format!("this sheet is no longer shared: {why}"),
        ))
    };
    if case.status() == CaseStatus::Archived {
        return stopped(&"the case is archived");
    }
    match sharing_stopped(tx, case, liaison).await? {
        // The person's own request, said as such: the same code as every refused sharing.
        Some(SharingStopped::Refused(SendRefusal::ProcessingRestricted)) => {
            Err(SendRefusal::ProcessingRestricted.into())
        }
        Some(why) => stopped(&why),
        None => Ok(()),
    }
}
