//! `POST /v1/group-sessions`: one held group session shared by several cases, with each
//! person's attendance and the session's place.

use std::collections::{HashMap, HashSet};

use actix_web::{HttpResponse, post};
use chrono::Utc;
use relais_domain::contact::{PLACE_MAX_CHARS, check_kind, held_at};
use relais_domain::{AuditAction, AuditResource, ContactKind, Permission};
use relais_store::audit::NewAuditEvent;
use relais_store::cases;
use relais_store::contacts::{self, NewGroupSession as StoreSession, SessionCase};
use relais_store::db::Access;
use uuid::Uuid;

use super::model::{self, GroupSession, NewGroupSession};
use crate::context::Ctx;
use crate::error::{ApiError, FieldError};
use crate::extract::Json;

/// The cases of the request, each with its attendance and the pointer of its entry:
/// `participants` as given, or `case_ids` all attending; exactly one of the two.
fn participants(body: &NewGroupSession) -> Result<Vec<(SessionCase, String)>, FieldError> {
    match (&body.participants, &body.case_ids) {
        (Some(list), None) => Ok(list
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let case = SessionCase {
                    case_id: p.case_id,
                    attended: p.attended,
                };
                (case, format!("/participants/{i}/case_id"))
            })
            .collect()),
        (None, Some(ids)) => Ok(ids
            .iter()
            .enumerate()
            .map(|(i, &case_id)| {
                let case = SessionCase {
                    case_id,
                    attended: true,
                };
                (case, format!("/case_ids/{i}"))
            })
            .collect()),
        _ => Err(FieldError::body(
            "/participants",
            "one_of",
            "give either participants or case_ids, not both",
        )),
    }
}

/// Records one held group session shared by several cases: a `group_session` contact in each.
///
/// Workers and supervisors. Give `participants` (each case with `attended`) or `case_ids` (every
/// case attended), exactly one (422 `one_of`): 1 to 30 distinct cases the caller may see. A case
/// the caller cannot see (`unknown_reference`) or that does not take a group session (a closed or
/// archived case) is refused as a 422 pointing at its entry (`/participants/3/case_id`,
/// `/case_ids/3`), and then nothing is recorded. The session is held (`occurred_at` not in the
/// future), with its `topic` and optional `place` (1 to 200 characters, not blank). Each attending
/// case gets a held contact, which moves its and its person's `last_contact_at`; each case whose
/// person did not attend gets a `no_show` contact (its `scheduled_at` the session's time), which
/// moves nothing. Each contact shows the session's topic and place (`group_session`). Audited as
/// a `create` of `group_session` about each case's person.
#[utoipa::path(
    tag = "contacts",
    operation_id = "create_group_session",
    params(crate::responses::IdempotencyKeyHeader),
    request_body = NewGroupSession,
    responses((status = 201, description = "Recorded, with a contact in each case", body = GroupSession), crate::responses::CreateErrors),
    security(("bearer" = []))
)]
#[post("/group-sessions")]
pub async fn create_group_session(
    ctx: Ctx,
    body: Json<NewGroupSession>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseWrite)?;
    let mut errors = Vec::new();
    let entries = participants(&body)
        .map_err(|e| errors.push(e))
        .unwrap_or_default();
    if let Err(e) = held_at(body.occurred_at, Utc::now()) {
        errors.push(FieldError::refused(e.pointer(), &e));
    }
    let topic = body.topic.trim();
    if topic.is_empty() {
        errors.push(FieldError::body(
            "/topic",
            "blank",
            "the topic cannot be blank",
        ));
    }
    let place = body.place.as_deref().map(str::trim);
    if place.is_some_and(str::is_empty) {
        errors.push(FieldError::body(
            "/place",
            "blank",
            "the place cannot be blank",
        ));
    }
    model::check_length(place, "/place", PLACE_MAX_CHARS, &mut errors);
    let summary = model::text(body.summary.as_deref());
    let mut seen = HashSet::new();
    for (entry, pointer) in &entries {
        if !seen.insert(entry.case_id) {
            errors.push(FieldError::body(
                pointer.clone(),
                "duplicate",
                format!("case {} is listed twice", entry.case_id),
            ));
        }
    }
    if entries.len() > model::GROUP_CASES {
        let list = if body.participants.is_some() {
            "/participants"
        } else {
            "/case_ids"
        };
        errors.push(FieldError::body(
            list,
            "length",
            format!("at most {} cases", model::GROUP_CASES),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let mut work = ctx.work(Access::Write).await?;
    // Every case in one read, then each entry checked in the request's order.
    let ids: Vec<Uuid> = entries.iter().map(|(e, _)| e.case_id).collect();
    let found: HashMap<Uuid, cases::CaseRecord> =
        cases::get_many(&mut work.tx, &ids, work.actor.case_scope())
            .await?
            .into_iter()
            .map(|case| (case.id, case))
            .collect();
    for (entry, pointer) in &entries {
        match found.get(&entry.case_id) {
            Some(case) => {
                if let Err(r) = check_kind(case.status(), ContactKind::GroupSession) {
                    errors.push(FieldError::refused(pointer.clone(), &r));
                }
            }
            None => errors.push(FieldError::body(
                pointer.clone(),
                "unknown_reference",
                format!("no case {} that you can see", entry.case_id),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let linked: Vec<SessionCase> = entries.iter().map(|(e, _)| *e).collect();
    let session = contacts::create_group_session(
        &mut work.tx,
        work.actor.org.id,
        work.actor.agent_id,
        &StoreSession {
            topic,
            place,
            occurred_at: body.occurred_at,
            summary: summary.as_deref(),
            participants: &linked,
        },
    )
    .await?;
    work.audit_all(ids.iter().filter_map(|id| found.get(id)).map(|case| {
        NewAuditEvent::new(AuditAction::Create, AuditResource::GroupSession, session.id)
            .about(case.person_id)
    }));
    work.commit(HttpResponse::Created().json(GroupSession::from(session)))
        .await
}
