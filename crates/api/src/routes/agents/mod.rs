//! People at work (DAILY.md): the directory of the organisation's agents (`/v1/agents`), the
//! caller's own profile (`PATCH /v1/me`), absences covered by a delegate, and the handover of a
//! caseload (`POST /v1/cases/reassignments`).
//!
//! The directory describes staff, not the persons supported: reading it is not audited; every
//! write is (`update` of `agent`, `create`/`delete` of `agent.absence`, an `update` of each
//! `case` handed over). Partners get 403 everywhere here.

mod model;

use actix_web::{HttpResponse, delete, get, patch, post, web};
use relais_domain::{
    AbsencePeriod, AuditAction, AuditResource, Permission, Role, check_handover,
    check_handover_case,
};
use relais_store::absences::{self, Cancelled, SyncScope};
use relais_store::agents::{self as store, AgentFilter, AgentRecord, ProfileUpdate};
use relais_store::audit::NewAuditEvent;
use relais_store::cases::{self, Handover};
use relais_store::db::Access;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::conditional::{IfMatch, created, ok_with_etag};
use crate::context::Ctx;
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, Query, coded_param};
use crate::pagination::{PageParams, into_views};
use crate::patch::apply;
use crate::responses::{CreateErrors, ReadErrors, WriteErrors};
use crate::routes::paths::AbsencePath;
use crate::routes::today;
use crate::work::Work;

pub use model::{
    Absence, AbsenceList, Agent, AgentList, AgentPatch, NewAbsence, NewReassignment, ProfilePatch,
    Reassignment,
};

/// The audit event of a write to the agent `id`.
fn agent_event(id: Uuid) -> NewAuditEvent {
    NewAuditEvent::new(AuditAction::Update, AuditResource::Agent, id)
}

/// The caller's view of an agent, with contact details when their role allows it.
fn view(work: &Work, ctx: &Ctx, agent: AgentRecord) -> Agent {
    Agent::seen_by(
        agent,
        work.actor.agent_id,
        ctx.allows(Permission::AgentContactRead),
    )
}

/// Filters of the directory.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only the agents with this role.
    #[param(schema_with = crate::schema::role)]
    pub role: Option<String>,
    /// `true`: only the agents still at work; `false`: only those who left. Both by default.
    pub active: Option<bool>,
}

/// Lists the organisation's agents, in id order.
///
/// Reception, workers, supervisors, administrators and the DPO; a partner gets 403. Filter by
/// `role` and by `active`. Names, job titles, civility, roles and whether each agent is still at
/// work; the e-mail and phone only for supervisors and administrators (null for others, but for
/// the caller's own). Staff, not persons supported: not audited.
#[utoipa::path(
    tag = "agents",
    operation_id = "list_agents",
    params(ListParams, PageParams),
    responses((status = 200, description = "Agents, in id order", body = AgentList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/agents")]
pub async fn list(
    ctx: Ctx,
    params: Query<ListParams>,
    page: Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::AgentRead)?;
    let page = page.request()?;
    let role: Option<Role> = coded_param("role", "role", params.role.as_deref())?;
    let filter = AgentFilter {
        role: role.map(|r| r.to_string()),
        active: params.active,
    };
    let mut work = ctx.work(Access::Read).await?;
    let found = store::list(&mut work.tx, &filter, page).await?;
    let (items, next_cursor) = into_views(found, |a| view(&work, &ctx, a));
    work.commit(HttpResponse::Ok().json(AgentList { items, next_cursor }))
        .await
}

/// Reads an agent of the organisation.
///
/// As `GET /v1/agents`: every role but partners (403); 404 for an id that is not an agent of
/// the organisation. Contact details for supervisors, administrators and the agent themself.
/// Not audited.
#[utoipa::path(
    tag = "agents",
    operation_id = "read_agent",
    params(("id" = Uuid, Path, description = "Agent id")),
    responses((status = 200, description = "The agent", body = Agent, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/agents/{id}")]
pub async fn read(ctx: Ctx, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::AgentRead)?;
    let mut work = ctx.work(Access::Read).await?;
    let agent = store::get(&mut work.tx, *id).await?;
    let version = agent.version;
    let body = view(&work, &ctx, agent);
    work.commit(ok_with_etag(version, body)).await
}

/// Marks an agent as gone or back at work (administrators).
///
/// Administrators only (403 otherwise); 404 for an id that is not an agent of the
/// organisation; `If-Match` required (428, 412). An agent marked `active: false` can no longer
/// be named referent, team member, delegate or handover recipient (422 at the field that names
/// them); what they wrote keeps their name, and the cases they follow stay theirs until handed
/// over (`POST /v1/cases/reassignments`). Audited as an `update` of `agent`.
#[utoipa::path(
    tag = "agents",
    operation_id = "update_agent",
    params(("id" = Uuid, Path, description = "Agent id"), crate::responses::IfMatchHeader),
    request_body = AgentPatch,
    responses((status = 200, description = "The agent", body = Agent, headers(("ETag" = String))), WriteErrors),
    security(("bearer" = []))
)]
#[patch("/agents/{id}")]
pub async fn update(
    ctx: Ctx,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<AgentPatch>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::OrganisationAdmin)?;
    let mut work = ctx.work(Access::Write).await?;
    let current = store::get(&mut work.tx, *id).await?;
    let version = if_match.check(current.version)?;
    let agent = match body.active {
        Some(active) if active != current.active => {
            let agent = store::set_active(&mut work.tx, *id, version, active).await?;
            work.audit(agent_event(agent.id).because(Some(if active {
                "back at work"
            } else {
                "left the organisation"
            })));
            agent
        }
        _ => current,
    };
    let version = agent.version;
    let body = view(&work, &ctx, agent);
    work.commit(ok_with_etag(version, body)).await
}

/// Writes the caller's own profile, as documents print it (`If-Match` with the version of
/// `GET /v1/me`'s `profile`).
///
/// Every agent, partners excepted (403). `display_name`, `job_title` (e.g. "Assistante de
/// service social"), `civility` (`mme`, `m` or null), `email` and `phone`, as a JSON merge patch:
/// an absent field keeps its value, `null` clears it; texts are trimmed. The written plan, the
/// liaison sheet and letters print the referent's name, title and contact details from it, and
/// never a masculine "travailleur social" when the title is known. Once written, the token's
/// name and e-mail no longer overwrite the profile. 422 with a pointer for a text too long, an
/// e-mail or phone that is not one. Audited as an `update` of `agent`.
#[utoipa::path(
    tag = "me",
    operation_id = "update_me",
    params(crate::responses::IfMatchHeader),
    request_body = ProfilePatch,
    responses((status = 200, description = "The caller's profile", body = Agent, headers(("ETag" = String))), WriteErrors),
    security(("bearer" = []))
)]
#[patch("/me")]
pub async fn update_me(
    ctx: Ctx,
    if_match: IfMatch,
    body: Json<ProfilePatch>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::AgentRead)?;
    let mut work = ctx.work(Access::Write).await?;
    let current = store::get(&mut work.tx, work.actor.agent_id).await?;
    let version = if_match.check(current.version)?;
    let mut errors = Vec::new();
    let merged =
        |now: &Option<String>, change: &Option<Option<String>>| apply(now.clone(), change.clone());
    let [display_name, job_title, email, phone] = model::checked_texts(
        merged(&current.display_name, &body.display_name).as_deref(),
        merged(&current.job_title, &body.job_title).as_deref(),
        merged(&current.email, &body.email).as_deref(),
        merged(&current.phone, &body.phone).as_deref(),
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let civility = apply(
        current.civility.map(relais_store::Code::into_inner),
        body.civility,
    );
    let agent = store::update_profile(
        &mut work.tx,
        current.id,
        version,
        &ProfileUpdate {
            display_name: display_name.as_deref(),
            job_title: job_title.as_deref(),
            civility,
            email: email.as_deref(),
            phone: phone.as_deref(),
        },
    )
    .await?;
    work.audit(agent_event(agent.id).because(Some("profile")));
    let version = agent.version;
    let body = view(&work, &ctx, agent);
    work.commit(ok_with_etag(version, body)).await
}

/// May the caller see and change the absences of `agent_id`: their own (a worker or
/// supervisor), or anyone's (a supervisor).
fn require_absences_of(ctx: &Ctx, work: &Work, agent_id: Uuid) -> Result<(), ApiError> {
    let own = agent_id == work.actor.agent_id && ctx.allows(Permission::CaseReadTeam);
    if own || ctx.allows(Permission::CaseAssign) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// Records an absence of an agent, covered by a delegate.
///
/// A supervisor for anyone, a worker for themself (403 otherwise); 404 for an agent who is not
/// of the organisation. From `from` to `to` (both included; `to` today or later, not before
/// `from`: 422 at `/to`), the delegate — another agent of the organisation, still at work, with the
/// worker or supervisor role (422 at `/delegate_id`) — is on the team of every open case the absent
/// agent is referent of: they see the cases, their agenda shows their steps and appointments. The
/// delegation ends by itself after `to` (the periodic job of the worker replicas, within its sweep
/// interval); an absence that starts later begins by itself too. Two absences of one agent cannot
/// share a day (409 `absence_overlaps`). Audited as a `create` of `agent.absence`.
#[utoipa::path(
    tag = "agents",
    operation_id = "create_absence",
    params(("id" = Uuid, Path, description = "Agent id"), crate::responses::IdempotencyKeyHeader),
    request_body = NewAbsence,
    responses((status = 201, description = "Recorded", body = Absence, headers(("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/agents/{id}/absences")]
pub async fn create_absence(
    ctx: Ctx,
    id: web::Path<Uuid>,
    body: Json<NewAbsence>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::AgentRead)?;
    let mut work = ctx.work(Access::Write).await?;
    require_absences_of(&ctx, &work, *id)?;
    // An agent the organisation does not have is a 404 before anything about the absence.
    let agent = store::get(&mut work.tx, *id).await?;
    let today = today();
    let period = AbsencePeriod::new(body.from, body.to, agent.id, body.delegate_id, today)
        .map_err(|e| ApiError::refused_at(e.pointer(), &e))?;
    case_holder(&mut work, body.delegate_id, "/delegate_id").await?;
    let absence = absences::create(
        &mut work.tx,
        work.actor.org.id,
        work.actor.agent_id,
        agent.id,
        body.delegate_id,
        period,
        today,
    )
    .await?;
    work.audit(NewAuditEvent::new(
        AuditAction::Create,
        AuditResource::AgentAbsence,
        absence.id,
    ));
    let location = format!("/v1/agents/{}/absences/{}", agent.id, absence.id);
    let version = absence.version;
    work.commit(created(location, version, Absence::from(absence)))
        .await
}

/// Reads an absence of an agent.
///
/// A supervisor for anyone, a worker for themself (403 otherwise); 404 for an absence that is not
/// the agent's. Not audited (staff, not persons supported).
#[utoipa::path(
    tag = "agents",
    operation_id = "read_absence",
    params(AbsencePath),
    responses((status = 200, description = "The absence", body = Absence, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/agents/{id}/absences/{absence_id}")]
pub async fn read_absence(
    ctx: Ctx,
    path: web::Path<AbsencePath>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::AgentRead)?;
    let mut work = ctx.work(Access::Read).await?;
    require_absences_of(&ctx, &work, path.id)?;
    let absence = absences::get(&mut work.tx, path.id, path.absence_id).await?;
    let version = absence.version;
    work.commit(ok_with_etag(version, Absence::from(absence)))
        .await
}

/// The agent `id` named at `pointer` to hold cases (a delegate, a handover's recipient): an
/// agent of the organisation, still at work, with the worker or supervisor role; a 422 field
/// error at `pointer` otherwise.
async fn case_holder(work: &mut Work, id: Uuid, pointer: &str) -> Result<(), ApiError> {
    let refused = |code: &str, message: String| {
        ApiError::validation(vec![FieldError::body(pointer, code, message)])
    };
    let agent = match store::get(&mut work.tx, id).await {
        Ok(agent) => agent,
        Err(relais_store::StoreError::NotFound) => {
            return Err(refused(
                "unknown_reference",
                format!("no agent {id} in this organisation"),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    if !agent.active {
        return Err(refused(
            "agent_inactive",
            format!("agent {id} is no longer active in this organisation"),
        ));
    }
    let holds_cases = agent.roles.iter().any(|r| {
        [Role::Worker, Role::Supervisor]
            .iter()
            .any(|h| h.code() == r)
    });
    if !holds_cases {
        return Err(refused(
            "not_a_worker",
            format!("agent {id} is neither a worker nor a supervisor"),
        ));
    }
    Ok(())
}

/// Lists an agent's absences, latest recorded first.
///
/// A supervisor for anyone, a worker for themself (403 otherwise); 404 for an agent who is not
/// of the organisation. Not audited (staff, not persons supported).
#[utoipa::path(
    tag = "agents",
    operation_id = "list_absences",
    params(("id" = Uuid, Path, description = "Agent id"), PageParams),
    responses((status = 200, description = "Absences, latest first", body = AbsenceList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/agents/{id}/absences")]
pub async fn list_absences(
    ctx: Ctx,
    id: web::Path<Uuid>,
    page: Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::AgentRead)?;
    let page = page.request()?;
    let mut work = ctx.work(Access::Read).await?;
    require_absences_of(&ctx, &work, *id)?;
    let agent = store::get(&mut work.tx, *id).await?;
    let found = absences::list(&mut work.tx, agent.id, page).await?;
    let (items, next_cursor) = into_views(found, Absence::from);
    work.commit(HttpResponse::Ok().json(AbsenceList { items, next_cursor }))
        .await
}

/// Cancels an absence (`If-Match`): the delegate leaves the teams it put them on, at once.
///
/// A supervisor for anyone, a worker for themself (403 otherwise); 404 for an absence that is not
/// the agent's; `If-Match` required (428, 412). An absence that had not begun before today is
/// deleted (audited as a `delete` of `agent.absence`); one that had begun ends yesterday and stays
/// on record, since it is why the delegate read the cases meanwhile (audited as an `update`). To
/// shorten an absence, cancel it and record the shorter one.
#[utoipa::path(
    tag = "agents",
    operation_id = "delete_absence",
    params(AbsencePath, crate::responses::IfMatchHeader),
    responses((status = 204, description = "Cancelled"), WriteErrors),
    security(("bearer" = []))
)]
#[delete("/agents/{id}/absences/{absence_id}")]
pub async fn delete_absence(
    ctx: Ctx,
    path: web::Path<AbsencePath>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::AgentRead)?;
    let mut work = ctx.work(Access::Write).await?;
    require_absences_of(&ctx, &work, path.id)?;
    let absence = absences::get(&mut work.tx, path.id, path.absence_id).await?;
    let version = if_match.check(absence.version)?;
    let (action, cancelled) =
        match absences::cancel(&mut work.tx, &absence, version, today()).await? {
            Cancelled::Deleted(gone) => (AuditAction::Delete, gone),
            Cancelled::Ended(ended) => (AuditAction::Update, ended),
        };
    work.audit(
        NewAuditEvent::new(action, AuditResource::AgentAbsence, cancelled.id)
            .because(Some("cancelled")),
    );
    work.commit(HttpResponse::NoContent().finish()).await
}

/// Hands cases over from one referent to another, in one transaction (supervisors).
///
/// Supervisors only (403 otherwise). Moves every open case whose referent is `from_agent_id`, or
/// only `case_ids` (1 to 1,000, each open and followed by `from_agent_id`: 422 at
/// `/case_ids/{i}` otherwise, `unknown_reference` for a case the organisation does not have), to
/// `to_agent_id` — another agent of the organisation (422 `same_agent`), still at work, with the
/// worker or supervisor role (422 at `/to_agent_id`). The new referent joins each team; the
/// previous one leaves it unless `keep_previous_in_team`. Each case gets a `reassigned` timeline
/// event and an `update` audit event; the answer gives the count and the ids. Nothing moves when
/// anything is refused.
#[utoipa::path(
    tag = "cases",
    operation_id = "reassign_cases",
    params(crate::responses::IdempotencyKeyHeader),
    request_body = NewReassignment,
    responses((status = 200, description = "The cases handed over", body = Reassignment), CreateErrors),
    security(("bearer" = []))
)]
#[post("/reassignments")]
pub async fn reassign(ctx: Ctx, body: Json<NewReassignment>) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseAssign)?;
    check_handover(body.from_agent_id, body.to_agent_id)
        .map_err(|e| ApiError::refused_at("/to_agent_id", &e))?;
    if let Some(ids) = &body.case_ids {
        let mut seen = std::collections::HashSet::new();
        let errors: Vec<_> = ids
            .iter()
            .enumerate()
            .filter(|(_, id)| !seen.insert(**id))
            .map(|(i, id)| {
                FieldError::body(
                    format!("/case_ids/{i}"),
                    "duplicate",
                    format!("case {id} is listed twice"),
                )
            })
            .collect();
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
    }
    let mut work = ctx.work(Access::Write).await?;
    if store::existing(&mut work.tx, &[body.from_agent_id])
        .await?
        .is_empty()
    {
        return Err(ApiError::invalid(
            "/from_agent_id",
            "unknown_reference",
            "no such agent in this organisation",
        ));
    }
    case_holder(&mut work, body.to_agent_id, "/to_agent_id").await?;
    let found =
        cases::lock_for_handover(&mut work.tx, body.from_agent_id, body.case_ids.as_deref())
            .await?;
    if let Some(ids) = &body.case_ids {
        let mut errors = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            let pointer = format!("/case_ids/{i}");
            match found.iter().find(|c| c.id == *id) {
                None => errors.push(FieldError::body(
                    pointer,
                    "unknown_reference",
                    format!("no case {id} in this organisation"),
                )),
                Some(case) => {
                    if let Err(e) =
                        check_handover_case(case.status, case.referent_id, body.from_agent_id)
                    {
                        errors.push(FieldError::refused(pointer, &e));
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
    }
    let ids: Vec<Uuid> = found.iter().map(|c| c.id).collect();
    let moved = cases::reassign(
        &mut work.tx,
        work.actor.org.id,
        work.actor.agent_id,
        &Handover {
            from: body.from_agent_id,
            to: body.to_agent_id,
            case_ids: &ids,
            keep_previous_in_team: body.keep_previous_in_team,
        },
    )
    .await?;
    // Absences follow the cases: the previous referent's delegate leaves them, the new one's
    // (if away) joins.
    absences::sync(&mut work.tx, today(), SyncScope::Cases(&ids)).await?;
    work.audit_all(moved.iter().map(|case| {
        NewAuditEvent::new(AuditAction::Update, AuditResource::Case, case.id)
            .about(case.person_id)
            .because(Some("reassignment"))
    }));
    let case_ids: Vec<Uuid> = moved.iter().map(|c| c.id).collect();
    work.commit(HttpResponse::Ok().json(Reassignment {
        count: case_ids.len(),
        case_ids,
    }))
    .await
}
