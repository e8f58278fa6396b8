//! Proposals of the plan: make one (freeze the items), list and read them, record the person's
//! decision once, and append their observations.
//!
//! The first proposal of a case in `assessment` moves it to `planning`; an accepted proposal
//! moves a `planning` case to `active`. Both go through the case state machine in the same
//! transaction as the proposal or the decision, with their timeline events, so its guards
//! (a domain needing action; an accepted proposal) decide.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use relais_domain::case::Actor as TransitionActor;
use relais_domain::{
    AuditAction, AuditResource, CaseStatus, DecisionOutcome, Permission, TransitionRequest,
};
use relais_store::cases::{self, CaseRecord, Transition};
use relais_store::plan_items;
use relais_store::proposals::{self as store, LockedCase, NewDecision as StoreDecision};
use uuid::Uuid;

use super::model::{NewObservation, NewPlanDecision, NewProposal, Proposal, ProposalList};
use super::today;
use crate::conditional::{created, ok_with_etag};
use crate::context::{CaseReadParams, Ctx};
use crate::error::{ApiError, Code, FieldError};
use crate::extract::{Json, Query, is_json, json_limit, media_type, parse_json, read_body};
use crate::pagination::{PageParams, into_views};
use crate::responses::{CreateErrors, ReadErrors};
use crate::routes::paths::ProposalPath;
use crate::work::{CaseUse, Work, case_event};

fn location(case_id: Uuid, number: i32) -> String {
    format!("/v1/cases/{case_id}/plan/proposals/{number}")
}

/// The body of a proposal: nothing, `null`, or a JSON object without fields (at most the
/// configured JSON size).
async fn empty_body(req: &HttpRequest, payload: web::Payload) -> Result<(), ApiError> {
    let body = read_body(payload, json_limit(req)).await?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    let essence = media_type(req);
    if !is_json(&essence) {
        return Err(ApiError::UnsupportedMediaType(format!(
            "{essence:?}; send application/json, or no body"
        )));
    }
    // The document allows `null` as well as `{}`.
    parse_json::<Option<NewProposal>>(&body).map(|_| ())
}

/// Opens the work on the plan of the case `id`, and locks the case: a transition may have
/// closed it since it was read, so its plan must still be open under the lock.
async fn lock_plan(ctx: &Ctx, id: Uuid) -> Result<(Work, CaseRecord, LockedCase), ApiError> {
    let (mut work, case) = ctx.case(id, CaseUse::Plan).await?;
    let locked = store::lock_case(&mut work.tx, case.id).await?;
    locked.status.plan_open()?;
    Ok((work, case, locked))
}

/// Moves the case through its state machine as a consequence of the negotiation (audited).
async fn move_case(
    work: &mut Work,
    case: &CaseRecord,
    locked: LockedCase,
    to: CaseStatus,
    reason: &str,
) -> Result<(), ApiError> {
    let change = Transition {
        request: TransitionRequest {
            to,
            reason: Some(reason),
            closure_reason: None,
            actor: TransitionActor::Agent,
        },
        orientation: None,
        today: today(),
    };
    cases::transition(
        &mut work.tx,
        work.actor.org.id,
        work.actor.agent_id,
        case.id,
        locked.version,
        &change,
    )
    .await?;
    work.audit(case_event(
        case,
        AuditAction::Transition,
        AuditResource::Case,
        case.id,
    ));
    Ok(())
}

/// Freezes the plan as it stands into the case's next proposal (no body, or `{}`).
///
/// A case in `assessment` moves to `planning` (409 `assessment_needs_action` when no domain
/// needs action). 409 `empty_plan` without items, `case_closed` on a closed or archived case,
/// `invalid_case_status` in `intake`. A new proposal supersedes an undecided one.
///
/// Workers on the case's team and supervisors (403 for other roles, 404 for a case the caller may
/// not see). Proposals are numbered in sequence; each freezes the items with a content hash, which
/// the written plan prints. Audited as a `create` of `plan.proposal`, and as a `transition` of
/// `case` when the case moves to `planning`; the timeline records both.
#[utoipa::path(
    tag = "plan",
    operation_id = "create_plan_proposal",
    params(("id" = Uuid, Path, description = "Case id"), crate::responses::IdempotencyKeyHeader),
    request_body(content = Option<NewProposal>, description = "No body, `{}` or `null`", content_type = "application/json"),
    responses((status = 201, description = "Proposal made", body = Proposal, headers(("Location" = String), ("ETag" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/{id}/plan/proposals")]
pub async fn create(
    ctx: Ctx,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseWrite)?;
    empty_body(&req, body).await?;
    let (mut work, case, locked) = lock_plan(&ctx, *id).await?;
    if locked.status == CaseStatus::Intake {
        return Err(ApiError::new(
            Code::InvalidCaseStatus,
            "the case is still in intake: assess the situation before proposing a plan",
        ));
    }
    let items = plan_items::all_for_case(&mut work.tx, case.id).await?;
    let snapshot: Vec<_> = items.iter().map(store::snapshot).collect();
    let proposal = store::create(
        &mut work.tx,
        work.actor.org.id,
        work.actor.agent_id,
        case.id,
        &snapshot,
    )
    .await?;
    work.audit(case_event(
        &case,
        AuditAction::Create,
        AuditResource::PlanProposal,
        proposal.id,
    ));
    if locked.status == CaseStatus::Assessment {
        let reason = format!("Proposition n° {} du plan d'aide", proposal.number);
        move_case(&mut work, &case, locked, CaseStatus::Planning, &reason).await?;
    }
    work.commit(created(
        location(case.id, proposal.number),
        proposal.version(),
        Proposal::new(proposal, Vec::new()),
    ))
    .await
}

/// Lists a case's proposals, newest first, with their decisions (without their items).
///
/// Workers on the case's team and supervisors (403 for other roles, 404 for a case the caller may
/// not see). Each proposal with its number, content hash and decision, if any; read one for its
/// frozen items and observations. An archived case's proposals are read only with a `reason` (400
/// `reason_required` without it). Audited once as a `read` of `plan.proposals`.
#[utoipa::path(
    tag = "plan",
    operation_id = "list_plan_proposals",
    params(("id" = Uuid, Path, description = "Case id"), PageParams, CaseReadParams),
    responses((status = 200, description = "Proposals, newest first", body = ProposalList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}/plan/proposals")]
pub async fn list(
    ctx: Ctx,
    id: web::Path<Uuid>,
    page: Query<PageParams>,
    reason: Query<CaseReadParams>,
) -> Result<HttpResponse, ApiError> {
    let page = page.request()?;
    let (mut work, case) = ctx
        .case_list(*id, reason.case_use(), AuditResource::PlanProposals)
        .await?;
    let found = store::list(&mut work.tx, case.id, page).await?;
    let (items, next_cursor) = into_views(found, Into::into);
    work.commit(HttpResponse::Ok().json(ProposalList { items, next_cursor }))
        .await
}

/// Reads a proposal: its frozen items, content hash, decision and observations, with its ETag.
///
/// Workers on the case's team and supervisors (403 for other roles, 404 for a case the caller may
/// not see or a number it does not have). The items are as the proposal froze them, whatever
/// happened to the plan since. An archived case's proposal is read only with a `reason` (400
/// `reason_required` without it). Audited as a `read` of `plan.proposal`.
#[utoipa::path(
    tag = "plan",
    operation_id = "read_plan_proposal",
    params(ProposalPath, CaseReadParams),
    responses((status = 200, description = "The proposal", body = Proposal, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}/plan/proposals/{number}")]
pub async fn read(
    ctx: Ctx,
    path: web::Path<ProposalPath>,
    params: Query<CaseReadParams>,
) -> Result<HttpResponse, ApiError> {
    let (mut work, case) = ctx.case(path.id, params.case_use()).await?;
    let proposal = store::get(&mut work.tx, case.id, path.number).await?;
    let observations = store::observations(&mut work.tx, proposal.id).await?;
    work.audit(case_event(
        &case,
        AuditAction::Read,
        AuditResource::PlanProposal,
        proposal.id,
    ));
    work.commit(ok_with_etag(
        proposal.version(),
        Proposal::new(proposal, observations),
    ))
    .await
}

/// Trims an optional text; blank becomes absent.
fn text(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// Records the person's answer to the latest proposal, once.
///
/// `accepted` moves a `planning` case to `active`. 409 `already_decided` for a second answer,
/// `superseded` for a proposal that is not the latest, `case_closed` on a closed case.
///
/// Workers on the case's team and supervisors record the answer the person gave (403 for other
/// roles, 404 for a case the caller may not see or a proposal it does not have); no `If-Match` is
/// needed. `changes_requested` and `refused` leave the case where it is; the `channel` says how the
/// person answered. An archived case also answers 409 `case_closed`. Audited as a `create` of
/// `plan.decision`, and as a `transition` of `case` when the case becomes `active`; the timeline
/// records both.
#[utoipa::path(
    tag = "plan",
    operation_id = "decide_plan_proposal",
    params(ProposalPath, crate::responses::IdempotencyKeyHeader),
    request_body(content = NewPlanDecision, example = json!({"outcome": "accepted", "channel": "in_person", "notes": "Accord en entretien."})),
    responses((status = 200, description = "The proposal with its decision", body = Proposal, headers(("ETag" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/{id}/plan/proposals/{number}/decision")]
pub async fn decide(
    ctx: Ctx,
    path: web::Path<ProposalPath>,
    body: Json<NewPlanDecision>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseWrite)?;
    let (mut work, case, locked) = lock_plan(&ctx, path.id).await?;
    let decision = StoreDecision {
        outcome: body.outcome,
        channel: body.channel,
        notes: text(body.notes.as_deref()),
    };
    let proposal = store::decide(
        &mut work.tx,
        work.actor.agent_id,
        case.id,
        path.number,
        &decision,
    )
    .await?;
    work.audit(case_event(
        &case,
        AuditAction::Create,
        AuditResource::PlanDecision,
        proposal.id,
    ));
    if body.outcome == DecisionOutcome::Accepted && locked.status == CaseStatus::Planning {
        let reason = format!("Proposition n° {} acceptée par la personne", path.number);
        move_case(&mut work, &case, locked, CaseStatus::Active, &reason).await?;
    }
    let observations = store::observations(&mut work.tx, proposal.id).await?;
    work.commit(ok_with_etag(
        proposal.version(),
        Proposal::new(proposal, observations),
    ))
    .await
}

/// Appends the person's observation to a proposal; observations are never edited.
///
/// Allowed on any proposal, decided or not, also once the case is closed (a late remark);
/// 409 `case_archived` on an archived case.
///
/// Workers on the case's team and supervisors record the person's words (403 for other roles, 404
/// for a case the caller may not see or a proposal it does not have); the text must not be blank
/// (422). The answer is the proposal with every observation, its version moved on. Audited as a
/// `create` of `plan.observation`; the timeline records it.
#[utoipa::path(
    tag = "plan",
    operation_id = "observe_plan_proposal",
    params(ProposalPath, crate::responses::IdempotencyKeyHeader),
    request_body = NewObservation,
    responses((status = 201, description = "Appended; the proposal with its observations", body = Proposal, headers(("Location" = String), ("ETag" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/{id}/plan/proposals/{number}/observations")]
pub async fn observe(
    ctx: Ctx,
    path: web::Path<ProposalPath>,
    body: Json<NewObservation>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseWrite)?;
    let Some(observation) = text(Some(&body.text)) else {
        return Err(ApiError::validation(vec![FieldError::body(
            "/text",
            "blank",
            "the observation must not be blank",
        )]));
    };
    let (mut work, case) = ctx.case(path.id, CaseUse::Write).await?;
    let proposal = store::get(&mut work.tx, case.id, path.number).await?;
    let added = store::observe(
        &mut work.tx,
        work.actor.org.id,
        work.actor.agent_id,
        &proposal,
        observation,
        body.channel,
    )
    .await?;
    let proposal = store::get(&mut work.tx, case.id, path.number).await?;
    let observations = store::observations(&mut work.tx, proposal.id).await?;
    work.audit(case_event(
        &case,
        AuditAction::Create,
        AuditResource::PlanObservation,
        added.id,
    ));
    work.commit(created(
        location(case.id, path.number),
        proposal.version(),
        Proposal::new(proposal, observations),
    ))
    .await
}
