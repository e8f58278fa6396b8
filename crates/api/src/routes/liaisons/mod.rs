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

mod model;
mod sheet;

use actix_web::{HttpResponse, get, post, web};
use relais_domain::liaison::{ConsentFacts, DestinationKind, content_refusal};
use relais_domain::{
    AuditAction, CaseStatus, Coded, ConsentScope, LegalBasis, LiaisonContent, LiaisonStatus,
    Permission, SendRefusal, check_send,
};
use relais_store::audit::NewAuditEvent;
use relais_store::cases::CaseRecord;
use relais_store::db::{self, Access, Tx};
use relais_store::liaisons::{self as store, Destination, LiaisonRecord};
use relais_store::persons::{self, ConsentRecord};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::conditional::{IfMatch, created, ok_with_etag};
use crate::context::Ctx;
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, Query};
use crate::pagination::{next_cursor, page_request};
use crate::responses::{CreateErrors, ReadErrors, WriteErrors};

pub use model::{
    DestinationInput, Liaison, LiaisonDestination, LiaisonList, NewLiaison, NewLiaisonStatus,
};
pub use sheet::document;

/// The resource type of every audit event here.
const RESOURCE: &str = "liaison";

fn location(case_id: Uuid, id: Uuid) -> String {
    format!("/v1/cases/{case_id}/liaisons/{id}")
}

/// An archived case is read-only: nothing more is shared from it.
fn writable(case: &CaseRecord) -> Result<(), ApiError> {
    if case.status == CaseStatus::Archived.code() {
        return Err(ApiError::Conflict {
            code: "case_archived",
            detail: "the case is archived: nothing can be shared from it any more".into(),
        });
    }
    Ok(())
}

fn event(action: AuditAction, resource_id: Uuid, case: &CaseRecord) -> NewAuditEvent<'static> {
    NewAuditEvent {
        action,
        resource_type: RESOURCE,
        resource_id: Some(resource_id),
        person_id: Some(case.person_id),
        reason: None,
    }
}

/// The destination of a request: a partner id alone, or a name with a contact.
fn destination(input: &DestinationInput) -> Result<Destination, ApiError> {
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    match (input.partner_id, text(&input.name), text(&input.contact)) {
        (Some(partner), None, None) => Ok(Destination::Partner(partner)),
        (None, Some(name), Some(contact)) => Ok(Destination::Named { name, contact }),
        _ => Err(ApiError::invalid(
            "/destination",
            "invalid_destination",
            "give either {partner_id} (a registered partner) or {name, contact} (a named \
             institution and who to reach there)",
        )),
    }
}

fn destination_kind(destination: &Destination) -> DestinationKind {
    match destination {
        Destination::Partner(_) => DestinationKind::RegisteredPartner,
        Destination::Named { .. } => DestinationKind::NamedInstitution,
    }
}

/// What the sharing rule needs of a stored consent.
fn consent_facts(consent: &ConsentRecord) -> Result<ConsentFacts, ApiError> {
    let scope = ConsentScope::parse(&consent.scope).ok_or_else(|| {
        ApiError::internal(std::io::Error::other(format!(
            "unknown consent scope {:?}",
            consent.scope
        )))
    })?;
    Ok(ConsentFacts {
        scope,
        withdrawn: consent.withdrawn_at.is_some(),
    })
}

/// The checks of a new draft on what can never change afterwards; 422 with pointers.
async fn check_draft(
    tx: &mut Tx,
    case: &CaseRecord,
    body: &NewLiaison,
    destination: &Destination,
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    for (i, c) in body.content.iter().enumerate() {
        if body.content[..i].contains(c) {
            errors.push(FieldError::body(
                format!("/content/{i}"),
                "duplicate",
                format!("{} is chosen twice", c.code()),
            ));
        }
    }
    if let Some((i, refusal)) = content_refusal(body.legal_basis, &body.content) {
        errors.push(FieldError::body(
            format!("/content/{i}"),
            refusal.code(),
            refusal.to_string(),
        ));
    }
    match (body.legal_basis, body.consent_id) {
        (LegalBasis::Consent, None) => errors.push(FieldError::body(
            "/consent_id",
            SendRefusal::ConsentMissing.code(),
            SendRefusal::ConsentMissing.to_string(),
        )),
        (LegalBasis::Consent, Some(id)) => {
            match store::person_consent(tx, case.person_id, id).await? {
                None => errors.push(FieldError::body(
                    "/consent_id",
                    "unknown_consent",
                    "no consent with this id was given by the person of this case",
                )),
                Some(consent) => {
                    let facts = consent_facts(&consent)?;
                    // Only the consent's own refusals: the person may still be informed later.
                    if let Err(refusal) = check_send(
                        LegalBasis::Consent,
                        destination_kind(destination),
                        &[],
                        Some(facts),
                        true,
                    ) {
                        errors.push(FieldError::body(
                            "/consent_id",
                            refusal.code(),
                            refusal.to_string(),
                        ));
                    }
                }
            }
        }
        (_, Some(_)) => errors.push(FieldError::body(
            "/consent_id",
            "consent_not_applicable",
            "a consent is only attached when the legal basis is consent",
        )),
        (_, None) => {}
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Options of a list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Lists a case's liaison sheets, newest first.
#[utoipa::path(
    tag = "liaisons",
    operation_id = "list_liaisons",
    params(("id" = Uuid, Path, description = "Case id"), ListParams),
    responses((status = 200, description = "Liaisons, newest first", body = LiaisonList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/cases/{id}/liaisons")]
pub async fn list(
    ctx: Ctx,
    id: web::Path<Uuid>,
    params: Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    ctx.require_case_read()?;
    let page = page_request(params.limit, params.cursor.as_deref())?;
    let (mut tx, actor) = ctx.begin(Access::Read).await?;
    let case = actor.visible_case(&mut tx, *id).await?;
    let found = store::list(&mut tx, case.id, page).await?;
    actor
        .audit(
            &mut tx,
            &[NewAuditEvent {
                action: AuditAction::Read,
                resource_type: "case.liaisons",
                resource_id: Some(case.id),
                person_id: Some(case.person_id),
                reason: None,
            }],
        )
        .await?;
    db::commit(tx).await?;
    let next = next_cursor(&found);
    Ok(HttpResponse::Ok().json(LiaisonList {
        items: found.items.into_iter().map(Liaison::from).collect(),
        next_cursor: next,
    }))
}

/// Prepares a liaison sheet (a draft).
#[utoipa::path(
    tag = "liaisons",
    operation_id = "create_liaison",
    params(("id" = Uuid, Path, description = "Case id"), crate::responses::IdempotencyKeyHeader),
    request_body = NewLiaison,
    responses((status = 201, description = "The draft", body = Liaison, headers(("Location" = String), ("ETag" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/cases/{id}/liaisons")]
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
    let (mut tx, actor) = ctx.begin(Access::Write).await?;
    let case = actor.visible_case(&mut tx, *id).await?;
    writable(&case)?;
    check_draft(&mut tx, &case, &body, &destination).await?;
    let liaison = store::create(
        &mut tx,
        actor.org.id,
        actor.agent_id,
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
    actor
        .audit(&mut tx, &[event(AuditAction::Create, liaison.id, &case)])
        .await?;
    db::commit(tx).await?;
    Ok(created(
        location(case.id, liaison.id),
        liaison.version,
        Liaison::from(liaison),
    ))
}

/// Reads a liaison sheet.
#[utoipa::path(
    tag = "liaisons",
    operation_id = "read_liaison",
    params(("id" = Uuid, Path, description = "Case id"), ("lid" = Uuid, Path, description = "Liaison id")),
    responses((status = 200, description = "The liaison", body = Liaison, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/cases/{id}/liaisons/{lid}")]
pub async fn read(ctx: Ctx, path: web::Path<(Uuid, Uuid)>) -> Result<HttpResponse, ApiError> {
    ctx.require_case_read()?;
    let (case_id, liaison_id) = path.into_inner();
    let (mut tx, actor) = ctx.begin(Access::Read).await?;
    let case = actor.visible_case(&mut tx, case_id).await?;
    let liaison = store::get(&mut tx, case.id, liaison_id).await?;
    actor
        .audit(&mut tx, &[event(AuditAction::Read, liaison.id, &case)])
        .await?;
    db::commit(tx).await?;
    Ok(ok_with_etag(liaison.version, Liaison::from(liaison)))
}

/// Locks the liaison, checks the version and the lifecycle, and records the change.
async fn change(
    ctx: &Ctx,
    path: (Uuid, Uuid),
    if_match: IfMatch,
    to: LiaisonStatus,
) -> Result<HttpResponse, ApiError> {
    let (case_id, liaison_id) = path;
    let (mut tx, actor) = ctx.begin(Access::Write).await?;
    let case = actor.visible_case(&mut tx, case_id).await?;
    writable(&case)?;
    let current = store::lock(&mut tx, case.id, liaison_id).await?;
    let version = if_match.check(current.version)?;
    current
        .status
        .transition(to)
        .map_err(|err| ApiError::Conflict {
            code: err.code(),
            detail: err.to_string(),
        })?;
    if to == LiaisonStatus::Sent {
        sharing_allowed(&mut tx, &case, &current).await?;
    }
    let changed =
        store::change_status(&mut tx, actor.org.id, actor.agent_id, &current, version, to).await?;
    actor
        .audit(&mut tx, &[event(AuditAction::Share, changed.id, &case)])
        .await?;
    db::commit(tx).await?;
    Ok(ok_with_etag(changed.version, Liaison::from(changed)))
}

/// The sharing rule at send time, on the current person and consent: 409 with its code.
async fn sharing_allowed(
    tx: &mut Tx,
    case: &CaseRecord,
    liaison: &LiaisonRecord,
) -> Result<(), ApiError> {
    let person = persons::get(tx, case.person_id).await?;
    let consent = match liaison.consent_id {
        Some(id) => match store::person_consent(tx, case.person_id, id).await? {
            Some(consent) => Some(consent_facts(&consent)?),
            None => None,
        },
        None => None,
    };
    check_send(
        liaison.legal_basis,
        destination_kind(&liaison.destination),
        &liaison.content,
        consent,
        person.informed_at.is_some(),
    )
    .map_err(|refusal| ApiError::Conflict {
        code: refusal.code(),
        detail: refusal.to_string(),
    })
}

/// Sends a draft liaison: checks the legal basis, the consent and that the person was informed.
#[utoipa::path(
    tag = "liaisons",
    operation_id = "send_liaison",
    params(
        ("id" = Uuid, Path, description = "Case id"),
        ("lid" = Uuid, Path, description = "Liaison id"),
        crate::responses::IfMatchHeader,
        crate::responses::IdempotencyKeyHeader
    ),
    responses(
        (status = 200, description = "Sent", body = Liaison, headers(("ETag" = String))),
        WriteErrors
    ),
    security(("bearer" = []))
)]
#[post("/cases/{id}/liaisons/{lid}/send")]
pub async fn send(
    ctx: Ctx,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseWrite)?;
    change(&ctx, path.into_inner(), if_match, LiaisonStatus::Sent).await
}

/// Records the destination's answer to a sent liaison: acknowledged or declined.
#[utoipa::path(
    tag = "liaisons",
    operation_id = "answer_liaison",
    params(
        ("id" = Uuid, Path, description = "Case id"),
        ("lid" = Uuid, Path, description = "Liaison id"),
        crate::responses::IfMatchHeader,
        crate::responses::IdempotencyKeyHeader
    ),
    request_body = NewLiaisonStatus,
    responses(
        (status = 200, description = "Answer recorded", body = Liaison, headers(("ETag" = String))),
        WriteErrors
    ),
    security(("bearer" = []))
)]
#[post("/cases/{id}/liaisons/{lid}/status")]
pub async fn answer(
    ctx: Ctx,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
    body: Json<NewLiaisonStatus>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseWrite)?;
    if !matches!(
        body.status,
        LiaisonStatus::Acknowledged | LiaisonStatus::Declined
    ) {
        return Err(ApiError::invalid(
            "/status",
            "invalid_value",
            "the answer is `acknowledged` or `declined` (send a draft with …/send)",
        ));
    }
    change(&ctx, path.into_inner(), if_match, body.status).await
}

/// Whether `content` was chosen and may be printed under the liaison's basis.
fn printed(liaison: &LiaisonRecord, content: LiaisonContent) -> bool {
    liaison.shares(content) && relais_domain::liaison::basis_allows(liaison.legal_basis, content)
}
