//! Cases: open (from a person or with a new one), list, read, assign, move through the
//! lifecycle, and the timeline.
//!
//! The handlers, their query parameters and helpers live here; the request and response types
//! are in `model`.

mod events;
pub(crate) mod model;

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::NaiveDate;
use relais_domain::case::{
    Actor as TransitionActor, closure_review_due, default_target_end, opening_date,
};
use relais_domain::{
    AuditAction, AuditResource, CaseStatus, Permission, Role, TransitionError, TransitionRequest,
};
use relais_store::StoreError;
use relais_store::absences::{self, SyncScope};
use relais_store::audit::NewAuditEvent;
use relais_store::cases::CaseScope;
use relais_store::cases::{
    self, CaseFilter, CasePatch as StorePatch, CaseRecord, ClosureOptions, NewCase as StoreNewCase,
    Transition,
};
use relais_store::db::Access;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::conditional::{IfMatch, created, ok_with_etag};
use crate::context::{Actor, CaseReadParams, Ctx};
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, Query, coded_list, parse_uuid_param};
use crate::pagination::{PageParams, into_views};
use crate::responses::{CreateErrors, ReadErrors, WriteErrors};
use crate::routes::persons::{Creation, Person, create_unless_known, person_data};
use crate::routes::today;
use crate::work::{self, CaseUse, Work};

pub use events::TimelineEvent;
pub use model::{
    Case, CaseIndicators, CaseList, CasePatch, CreatedCase, NewCase, NewTransition, OpenedCase,
    OpenedCaseList, PendingItemsProblem, PendingPlanItem, Timeline,
};

fn case_event(action: AuditAction, case: &CaseRecord) -> NewAuditEvent {
    work::case_event(case, action, AuditResource::Case, case.id)
}

/// Opens a case in `intake`.
///
/// Reception, workers and supervisors. Give exactly one of `person_id` (an existing person) and
/// `person` (a new person, validated and checked for duplicates as by `POST /v1/persons`: 409
/// `possible_duplicate` or `duplicate_nir` with the `candidates`; 422 `one_of` otherwise). The
/// referent defaults to the caller when the caller is a worker, and always joins the team; the
/// referent and `team_ids` must be agents of the organisation (422 `unknown_reference`), still
/// at work. `opened_on` enters an existing case as it stands (back-entry): today or up to 24
/// months back (422 `in_future`, `out_of_range`), today by default; steps due and contacts held
/// since then are accepted, so its overdue steps show as overdue. `target_end_on` must be after
/// the opening date and defaults to it plus the organisation's case length (6 months unless it
/// sets another). The answer carries the new person, NIR masked, when one was created.
/// Audited as a `create` of `case`, and of `person` for a new person.
#[utoipa::path(
    tag = "cases",
    operation_id = "create_case",
    params(crate::responses::IdempotencyKeyHeader),
    request_body = NewCase,
    responses(
        (status = 201, description = "Opened", body = CreatedCase, headers(("Location" = String), ("ETag" = String))),
        CreateErrors,
        (status = 409, description = "The new `person` may already be known: `possible_duplicate` (send again with `person.confirm_distinct: true` if this is another person, or open the case with a candidate's `person_id`) or `duplicate_nir`, with the `candidates`; or the Idempotency-Key is in flight", body = crate::routes::persons::DuplicateProblem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("")]
pub async fn create(ctx: Ctx, body: Json<NewCase>) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseCreate)?;
    let inline = match (&body.person_id, &body.person) {
        (Some(_), None) => None,
        (None, Some(person)) => {
            ctx.require(Permission::PersonWrite)?;
            Some(person_data(person, "/person")?)
        }
        _ => {
            return Err(ApiError::validation(vec![FieldError::body(
                "/person_id",
                "one_of",
                "give either person_id or person, not both",
            )]));
        }
    };
    let today = today();
    let opened_on = opening(&body, today)?;
    let mut work = ctx.work(Access::Write).await?;
    let created_person = match (inline, &body.person) {
        (Some(data), Some(person)) => {
            let confirmed = person.confirm_distinct;
            match create_unless_known(&mut work, &ctx, &data, confirmed, "/person").await? {
                Creation::Created(person) => Some(*person),
                Creation::Known(answer) => return work.commit(answer).await,
            }
        }
        _ => None,
    };
    let person_id = created_person
        .as_ref()
        .map(|p| p.id)
        .or(body.person_id)
        .unwrap_or_default();
    let referent_id = referent_or_caller(body.referent_id, &work.actor);
    let months = case_months(&work.actor);
    let case = cases::create(
        &mut work.tx,
        work.actor.org.id,
        work.actor.agent_id,
        &StoreNewCase {
            person_id,
            reason: body.reason.trim(),
            origin: body.origin,
            referent_id,
            team_ids: body.team_ids.clone().unwrap_or_default(),
            opened_on,
            target_end_on: body
                .target_end_on
                .unwrap_or_else(|| default_target_end(opened_on, months)),
        },
    )
    .await?;
    // A case given to an absent referent has their delegate at once.
    if referent_id.is_some_and(|r| r != work.actor.agent_id) {
        absences::sync(&mut work.tx, today, SyncScope::Cases(&[case.id])).await?;
    }
    work.audit(case_event(AuditAction::Create, &case));
    work.commit(created(
        format!("/v1/cases/{}", case.id),
        case.version,
        CreatedCase {
            case: Case::from_record(case, today),
            person: created_person.map(Person::masked),
        },
    ))
    .await
}

/// The opening date of a new case: `opened_on` (back-entry: today or up to 24 months back),
/// today by default; a `target_end_on` given must come after it. Shared with the import.
pub(crate) fn opening(body: &NewCase, today: NaiveDate) -> Result<NaiveDate, ApiError> {
    let opened_on =
        opening_date(body.opened_on, today).map_err(|e| ApiError::refused_at("/opened_on", &e))?;
    if let Some(target) = body.target_end_on
        && target <= opened_on
    {
        return Err(ApiError::invalid(
            "/target_end_on",
            "out_of_range",
            "the target end date must be after the opening date",
        ));
    }
    Ok(opened_on)
}

/// The referent of a new case: the one given, else the caller when the caller is a worker.
pub(crate) fn referent_or_caller(given: Option<Uuid>, actor: &Actor) -> Option<Uuid> {
    given.or_else(|| actor.has_role(Role::Worker).then_some(actor.agent_id))
}

/// The organisation's case length in months, which sets a new case's default target end date.
pub(crate) fn case_months(actor: &Actor) -> u32 {
    u32::try_from(actor.org.case_target_months).unwrap_or(6)
}

/// Filters of the case list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Comma-separated statuses; by default every status but `archived`.
    #[param(schema_with = crate::schema::case_status_list)]
    pub status: Option<String>,
    /// The referent's agent id, or `none`: the cases waiting for a referent (opened by
    /// reception, say).
    #[param(schema_with = crate::schema::referent_filter)]
    pub referent: Option<String>,
    /// The person's id.
    #[param(value_type = Option<Uuid>)]
    pub person_id: Option<String>,
    /// Only open cases past their target end date.
    pub past_target: Option<bool>,
    /// Only closed cases whose post-closure review is due: the review date has come and no
    /// review was held since the closure.
    pub review_due: Option<bool>,
}

/// Lists the cases the caller may see (a worker: their teams'; a supervisor: all).
///
/// Workers and supervisors; 403 for other roles (reception lists what it opened today with
/// `GET /v1/cases/opened-today`). By default every status but `archived`; `status` takes a
/// comma-separated list of statuses. Further filters: `referent` (an agent id, or `none` for the
/// cases waiting for a referent: the supervisor's intake queue, 403 for others), `person_id`,
/// `past_target` (open cases past their target end date) and `review_due` (closed cases whose
/// post-closure review date has come with no review held since the closure). Each case on the page
/// is audited as a `read` of `case`.
#[utoipa::path(
    tag = "cases",
    operation_id = "list_cases",
    params(ListParams, PageParams),
    responses((status = 200, description = "Cases, newest first", body = CaseList), ReadErrors),
    security(("bearer" = []))
)]
#[get("")]
pub async fn list(
    ctx: Ctx,
    params: Query<ListParams>,
    page: Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    ctx.require_case_read()?;
    if params.referent.as_deref() == Some("none") {
        ctx.require(Permission::CaseAssign)?;
    }
    let page = page.request()?;
    let statuses: Vec<CaseStatus> = coded_list("status", "status", params.status.as_deref())?;
    let filter = CaseFilter {
        statuses: statuses.iter().map(|s| s.code().to_owned()).collect(),
        referent_id: params
            .referent
            .as_deref()
            .filter(|v| *v != "none")
            .map(|v| parse_uuid_param("referent", v))
            .transpose()?,
        unassigned: params.referent.as_deref() == Some("none"),
        person_id: params
            .person_id
            .as_deref()
            .map(|v| parse_uuid_param("person_id", v))
            .transpose()?,
        past_target_on: params.past_target.unwrap_or(false).then(today),
        review_due_on: params.review_due.unwrap_or(false).then(today),
    };
    let mut work = ctx.work(Access::Read).await?;
    let found = cases::list(&mut work.tx, &filter, work.actor.case_scope(), page).await?;
    work.audit_all(found.items.iter().map(|c| case_event(AuditAction::Read, c)));
    let today = today();
    let (items, next_cursor) = into_views(found, |c| Case::from_record(c, today));
    work.commit(HttpResponse::Ok().json(CaseList { items, next_cursor }))
        .await
}

/// The cases the caller opened today, as reception sees them: where each stands, no content.
///
/// Reception, workers and supervisors (403 for other roles). Only the cases the caller recorded
/// today (UTC; a case entered with an earlier `opened_on` included), newest first: id, person, status, origin, referent (null while the case waits for
/// one) — enough for the front desk to tell a visitor that their request is recorded and who will
/// follow it, and nothing of the case's content. Each case listed is audited as a `read` of
/// `case`.
#[utoipa::path(
    tag = "cases",
    operation_id = "list_cases_opened_today",
    params(PageParams),
    responses((status = 200, description = "The caller's cases of today, newest first", body = OpenedCaseList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/opened-today")]
pub async fn opened_today(ctx: Ctx, page: Query<PageParams>) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseCreate)?;
    let page = page.request()?;
    let mut work = ctx.work(Access::Read).await?;
    let found = cases::opened_by(&mut work.tx, work.actor.agent_id, today(), page).await?;
    work.audit_all(found.items.iter().map(|c| {
        NewAuditEvent::new(AuditAction::Read, AuditResource::Case, c.id).about(c.person_id)
    }));
    let (items, next_cursor) = into_views(found, OpenedCase::from);
    work.commit(HttpResponse::Ok().json(OpenedCaseList { items, next_cursor }))
        .await
}

/// Reads a case with its indicators.
///
/// Workers on the case's team and supervisors; 403 for reception, admin, dpo and partners, 404 for
/// a case the caller may not see. An archived case is read only with a `reason` of 5 characters or
/// more (400 `reason_required` without it), recorded with the audit event. The indicators (days
/// open, days remaining, past target, review due) are computed for today. Audited as a `read` of
/// `case`.
#[utoipa::path(
    tag = "cases",
    operation_id = "read_case",
    params(("id" = Uuid, Path, description = "Case id"), CaseReadParams),
    responses((status = 200, description = "The case", body = Case, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}")]
pub async fn read(
    ctx: Ctx,
    id: web::Path<Uuid>,
    params: Query<CaseReadParams>,
) -> Result<HttpResponse, ApiError> {
    let (mut work, case) = ctx.case(*id, params.case_use()).await?;
    work.audit(case_event(AuditAction::Read, &case));
    work.commit(ok_with_etag(case.version, Case::from_record(case, today())))
        .await
}

/// Changes the referent, the team (supervisor) or the target end date.
///
/// Workers on the case's team and supervisors may move `target_end_on` (after the opening date);
/// only a supervisor may change `referent_id` (`null` removes it) or `team_ids` (the whole team;
/// the referent always stays in it): 403 otherwise. Agents must be of the organisation (422
/// `unknown_reference`). An archived case answers 409 `case_archived`. `If-Match` is required (428,
/// 412). The change is added to the timeline and audited as an `update` of `case`.
#[utoipa::path(
    tag = "cases",
    operation_id = "update_case",
    params(("id" = Uuid, Path, description = "Case id"), crate::responses::IfMatchHeader),
    request_body = CasePatch,
    responses((status = 200, description = "The updated case", body = Case, headers(("ETag" = String))), WriteErrors),
    security(("bearer" = []))
)]
#[patch("/{id}")]
pub async fn update(
    ctx: Ctx,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<CasePatch>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseWrite)?;
    let assigning = body.referent_id.is_some() || body.team_ids.is_some();
    if assigning && !ctx.principal.roles.contains(Role::Supervisor) {
        return Err(ApiError::Forbidden);
    }
    let (mut work, current) = ctx.case(*id, CaseUse::Write).await?;
    if let Some(target) = body.target_end_on
        && target <= current.opened_on
    {
        return Err(ApiError::invalid(
            "/target_end_on",
            "out_of_range",
            "the target end date must be after the opening date",
        ));
    }
    let patch = StorePatch {
        referent_id: body.referent_id,
        team_ids: body.team_ids.clone(),
        target_end_on: body.target_end_on,
    };
    let case = cases::update(
        &mut work.tx,
        work.actor.org.id,
        work.actor.agent_id,
        *id,
        if_match.check(current.version)?,
        &patch,
    )
    .await?;
    // The delegations follow the referent: the previous one's delegate leaves, the new one's
    // (if away) joins. The case is locked by the update.
    let case = if case.referent_id == current.referent_id {
        case
    } else {
        absences::sync(&mut work.tx, today(), SyncScope::Cases(&[case.id])).await?;
        cases::get(&mut work.tx, case.id, CaseScope::All).await?
    };
    work.audit(case_event(AuditAction::Update, &case));
    work.commit(ok_with_etag(case.version, Case::from_record(case, today())))
        .await
}

/// Moves a case through its lifecycle (`If-Match` required).
///
/// Closing records the closure date, the orientation and the review date (by default the
/// organisation's review delay after the closure; none when the person withdrew, could not be
/// reached, moved away or died, unless `review_due_on` asks for one); over pending plan
/// items it needs `force: true` (otherwise 409 `pending_plan_items` lists them). Reopening
/// needs a reason and clears the closure, which stays in the timeline.
///
/// Workers on the case's team and supervisors (403 for other roles, 404 for a case the caller may
/// not see). The lifecycle is intake → assessment → planning → active → closed; any open status may
/// close, and a closed case reopens to `assessment` or `active`; any other move is a 409
/// `invalid_transition`. Planning needs an assessed domain that needs action (409
/// `assessment_needs_action`), active a proposal the person accepted (409
/// `accepted_proposal_required`); closing needs a `closure_reason`, and a `review_due_on` after the
/// closure date (422). Only the retention job archives a case (409 `system_only`). Audited as a
/// `transition` of `case` with its reason; a closure refused over pending items is audited as a
/// `read` of `case.plan`, since it lists them.
#[utoipa::path(
    tag = "cases",
    operation_id = "transition_case",
    params(("id" = Uuid, Path, description = "Case id"), crate::responses::IfMatchHeader, crate::responses::IdempotencyKeyHeader),
    request_body = NewTransition,
    responses(
        (status = 200, description = "The case in its new state", body = Case, headers(("ETag" = String))),
        WriteErrors,
        (status = 409, description = "Conflict with the case's state (`invalid_transition`, `assessment_needs_action`, `accepted_proposal_required`, `system_only`), or `pending_plan_items`: closing over pending plan items without `force`, with the `items` pending", body = PendingItemsProblem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/{id}/transitions")]
pub async fn transition(
    ctx: Ctx,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<NewTransition>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseTransition)?;
    // The lifecycle itself refuses what a status forbids (an archived case has no transition,
    // a closed one is reopened here), with its own codes.
    let (mut work, current) = ctx.case(*id, CaseUse::Lifecycle).await?;
    let version = if_match.check(current.version)?;
    let reason = body
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let today = today();
    let review_delay_days = u32::try_from(work.actor.org.review_delay_days).unwrap_or(28);
    let closing = body.to == CaseStatus::Closed;
    let review_due_on = if closing {
        closure_review_due(
            today,
            body.review_due_on,
            body.closure_reason,
            review_delay_days,
        )
        .map_err(|e| ApiError::refused_at("/review_due_on", &e))?
    } else {
        None
    };
    let change = Transition {
        request: TransitionRequest {
            to: body.to,
            reason,
            closure_reason: body.closure_reason,
            actor: TransitionActor::Agent,
        },
        orientation: body
            .orientation
            .as_deref()
            .map(str::trim)
            .filter(|o| !o.is_empty()),
        today,
    };
    let options = ClosureOptions {
        force: body.force,
        review_due_on,
    };
    let moved = cases::transition_with(
        &mut work.tx,
        work.actor.org.id,
        work.actor.agent_id,
        *id,
        version,
        &change,
        options,
    )
    .await;
    let case = match moved {
        Ok(case) => case,
        Err(StoreError::Transition(refused @ TransitionError::PendingPlanItems { .. })) => {
            return pending_items_refusal(work, &current, refused).await;
        }
        Err(other) => return Err(other.into()),
    };
    // A case closing or reopening loses or gets its absent referent's delegate now.
    let case = if case.status().is_open() == current.status().is_open() {
        case
    } else {
        absences::sync(&mut work.tx, today, SyncScope::Cases(&[case.id])).await?;
        cases::get(&mut work.tx, case.id, CaseScope::All).await?
    };
    work.audit(case_event(AuditAction::Transition, &case).because(reason));
    work.commit(ok_with_etag(case.version, Case::from_record(case, today)))
        .await
}

/// The 409 of a closure over pending plan items, with the items (a read of the plan: audited).
/// The refusal is committed with its audit event, as an answer of the work (kept for replay).
async fn pending_items_refusal(
    mut work: Work,
    case: &CaseRecord,
    refused: TransitionError,
) -> Result<HttpResponse, ApiError> {
    let items = cases::pending_plan_items(&mut work.tx, case.id).await?;
    work.audit(work::case_event(
        case,
        AuditAction::Read,
        AuditResource::CasePlan,
        case.id,
    ));
    let error = ApiError::from(refused);
    let body = PendingItemsProblem {
        problem: error.problem(None, None),
        items: items.into_iter().map(PendingPlanItem::from).collect(),
    };
    work.commit(crate::error::problem_answer(&error, &body)?)
        .await
}

/// The case's events, oldest first: creation, changes, transitions.
///
/// Workers on the case's team and supervisors (403 for other roles, 404 for a case the caller may
/// not see). Every event of the case with its actor, statuses, reason and details: its creation,
/// changes of assignment, transitions, and the events of its assessment, plan, proposals, contacts,
/// liaisons, documents and applications. Unlike the case's other content, the timeline of an
/// archived case is read without a `reason`. Audited as a `read` of `case.timeline`.
#[utoipa::path(
    tag = "cases",
    operation_id = "case_timeline",
    params(("id" = Uuid, Path, description = "Case id"), PageParams),
    responses((status = 200, description = "Events, oldest first", body = Timeline), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}/timeline")]
pub async fn timeline(
    ctx: Ctx,
    id: web::Path<Uuid>,
    page: Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    ctx.require_case_read()?;
    let page = page.request()?;
    // Not `CaseUse::Read`: the timeline has always been read without the archived case's
    // reason (it takes no `reason` parameter), and this move does not change that.
    let (mut work, case) = ctx
        .case_list(*id, CaseUse::Visible, AuditResource::CaseTimeline)
        .await?;
    let events = cases::timeline(&mut work.tx, case.id, page).await?;
    let (items, next_cursor) = into_views(events, TimelineEvent::try_from);
    let items = items.into_iter().collect::<Result<_, _>>()?;
    work.commit(HttpResponse::Ok().json(Timeline { items, next_cursor }))
        .await
}
