//! Contacts of a case (`/v1/cases/{id}/contacts`) and group sessions (`/v1/group-sessions`,
//! in [`sessions`]).
//!
//! The caller must see the case (404 otherwise: workers see their teams' cases, supervisors
//! all); reception, administrators and the DPO get 403. A contact is planned (`scheduled_at`)
//! or held (`occurred_at`); a planned one later takes its outcome — held, cancelled or missed
//! (`…/outcome`). A held one moves the case's and the person's `last_contact_at`, and a held
//! first interview moves an `intake` case to `assessment`, all in one transaction; a cancelled
//! or missed one moves nothing and leaves the agenda. A closed case takes the post-closure
//! review and late answers only, an archived one nothing (409). The private note is returned to
//! its author only — `has_private_note` tells everyone else that one exists — and only the
//! author may change a contact (a supervisor neither: the contact is the author's record);
//! whoever follows the case records its outcome. Every read and write is audited with the
//! case's person.

mod model;
mod sessions;

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::Utc;
use relais_domain::contact::{ContactTime, check_kind, contact_time, held_at, status_after_held};
use relais_domain::{
    AuditAction, AuditResource, ContactKind, ContactOutcome, ContactStatus, Outcome, Permission,
};
use relais_store::audit::NewAuditEvent;
use relais_store::cases::CaseRecord;
use relais_store::contacts::NewContact as StoreContact;
use relais_store::contacts::{self, ContactFilter, ContactRecord, ContactUpdate, OutcomeChange};
use relais_store::db::Tx;
use relais_store::page::Page;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::conditional::{IfMatch, created, ok_with_etag};
use crate::context::{Actor, CaseReadParams, Ctx};
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, Query, coded_list, coded_param};
use crate::pagination::{PageParams, into_views};
use crate::patch::apply;
use crate::responses::{CreateErrors, ReadErrors, WriteErrors};
use crate::routes::paths::ContactPath;
use crate::work::{CaseUse, Work};

pub use model::{
    Contact, ContactGroupSession, ContactList, ContactPatch, GroupSession, NewContact,
    NewContactOutcome, NewGroupSession, OUTCOME_FIELDS, SessionParticipant, outcome_rules,
};
pub use sessions::create_group_session;

fn contact_event(action: AuditAction, case: &CaseRecord, contact_id: Uuid) -> NewAuditEvent {
    NewAuditEvent::new(action, AuditResource::Contact, contact_id).about(case.person_id)
}

fn location(case_id: Uuid, contact_id: Uuid) -> String {
    format!("/v1/cases/{case_id}/contacts/{contact_id}")
}

/// After a contact is held at `at`: the retention clock moves, and a first interview moves an
/// intake case to assessment.
async fn on_held(
    tx: &mut Tx,
    actor: &Actor,
    case: &CaseRecord,
    contact_id: Uuid,
    kind: ContactKind,
    at: chrono::DateTime<Utc>,
) -> Result<(), ApiError> {
    contacts::touch_last_contact(tx, case.id, at).await?;
    if let Some(to) = status_after_held(case.status(), kind) {
        contacts::move_to_assessment(tx, actor.org.id, actor.agent_id, case.id, contact_id, to)
            .await?;
    }
    Ok(())
}

/// Commits the work with the contact as the caller sees it, and its ETag.
async fn answer(work: Work, contact: ContactRecord) -> Result<HttpResponse, ApiError> {
    let reader = work.actor.agent_id;
    work.commit(ok_with_etag(
        contact.version,
        Contact::for_reader(contact, reader),
    ))
    .await
}

/// Records a contact of a case, planned or held.
///
/// Workers on the case's team and supervisors (403 for other roles, 404 for a case the caller may
/// not see). Give `scheduled_at` for a planned contact or `occurred_at` for a held one, not both; a
/// held time cannot be in the future (422). A closed case takes only a `post_closure_review`, a
/// `phone_call`, an `email` or `other` (409 `contact_kind_not_allowed_when_closed`), and a
/// `post_closure_review` needs a closed case (409 `case_not_closed`); an archived case takes none
/// (409 `case_archived`). A held contact moves the case's and the person's `last_contact_at`, and a
/// held `first_interview` moves an `intake` case to `assessment`. Audited as a `create` of
/// `contact`.
#[utoipa::path(
    tag = "contacts",
    operation_id = "create_contact",
    params(("id" = Uuid, Path, description = "Case id"), crate::responses::IdempotencyKeyHeader),
    request_body = NewContact,
    responses((status = 201, description = "Recorded", body = Contact, headers(("Location" = String), ("ETag" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/{id}/contacts")]
pub async fn create(
    ctx: Ctx,
    id: web::Path<Uuid>,
    body: Json<NewContact>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseWrite)?;
    let mut errors = Vec::new();
    let time = contact_time(body.scheduled_at, body.occurred_at, Utc::now())
        .map_err(|e| errors.push(FieldError::refused(e.pointer(), &e)))
        .ok();
    let participants =
        model::participants(body.participants.as_deref().unwrap_or(&[]), &mut errors);
    let summary = model::text(body.summary.as_deref());
    let private_note = model::text(body.private_note.as_deref());
    let outcome = model::text(body.outcome.as_deref());
    let Some(time) = time.filter(|_| errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let (mut work, case) = ctx.case(*id, CaseUse::Write).await?;
    // An archived case was refused above; a closed one takes only some kinds.
    check_kind(case.status(), body.kind)?;
    let (scheduled_at, occurred_at) = match time {
        ContactTime::Planned(at) => (Some(at), None),
        ContactTime::Held(at) => (None, Some(at)),
    };
    let contact = contacts::create(
        &mut work.tx,
        work.actor.org.id,
        work.actor.agent_id,
        case.id,
        &StoreContact {
            kind: body.kind,
            scheduled_at,
            occurred_at,
            participants: &participants,
            summary: summary.as_deref(),
            private_note: private_note.as_deref(),
            outcome: outcome.as_deref(),
        },
    )
    .await?;
    if let Some(at) = occurred_at {
        on_held(&mut work.tx, &work.actor, &case, contact.id, body.kind, at).await?;
    }
    work.audit(contact_event(AuditAction::Create, &case, contact.id));
    let reader = work.actor.agent_id;
    work.commit(created(
        location(case.id, contact.id),
        contact.version,
        Contact::for_reader(contact, reader),
    ))
    .await
}

/// Filters of a case's contacts.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only contacts of this kind.
    #[param(schema_with = crate::schema::contact_kind)]
    pub kind: Option<String>,
    /// Only contacts with one of these statuses (comma-separated, e.g. `cancelled,no_show`).
    #[param(schema_with = crate::schema::contact_status_list)]
    pub status: Option<String>,
    /// `true`: planned contacts only (`status=planned`); `false`: held ones only
    /// (`status=held`); absent: every status. Combined with `status`, both apply.
    pub planned: Option<bool>,
}

/// The statuses a list keeps (empty: every one): those of `status`, narrowed by `planned`
/// (`true`: planned, `false`: held); `None` when the two exclude each other.
fn wanted_statuses(
    listed: Vec<ContactStatus>,
    planned: Option<bool>,
) -> Option<Vec<ContactStatus>> {
    let Some(planned) = planned else {
        return Some(listed);
    };
    let only = if planned {
        ContactStatus::Planned
    } else {
        ContactStatus::Held
    };
    (listed.is_empty() || listed.contains(&only)).then(|| vec![only])
}

/// Lists a case's contacts, newest first (held time, else planned time).
///
/// Workers on the case's team and supervisors (403 for other roles, 404 for a case the caller may
/// not see). Filter by `kind`, by `status` (a comma-separated list of `planned`, `held`,
/// `cancelled`, `no_show`), and by `planned` (`true`: planned only, `false`: held only; both
/// filters apply when both are given). The private note is shown to its author only;
/// `has_private_note` tells the others that one exists.
/// An archived case's contacts are read only with a `reason` (400 `reason_required` without it).
/// Audited once as a `read` of `case.contacts`.
#[utoipa::path(
    tag = "contacts",
    operation_id = "list_contacts",
    params(("id" = Uuid, Path, description = "Case id"), ListParams, PageParams, CaseReadParams),
    responses((status = 200, description = "Contacts, newest first", body = ContactList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}/contacts")]
pub async fn list(
    ctx: Ctx,
    id: web::Path<Uuid>,
    filter: Query<ListParams>,
    page: Query<PageParams>,
    reason: Query<CaseReadParams>,
) -> Result<HttpResponse, ApiError> {
    let statuses = wanted_statuses(
        coded_list("status", "contact status", filter.status.as_deref())?,
        filter.planned,
    );
    let kind = coded_param("kind", "contact kind", filter.kind.as_deref())?;
    let page = page.request()?;
    let (mut work, case) = ctx
        .case_list(*id, reason.case_use(), AuditResource::CaseContacts)
        .await?;
    let found = match statuses {
        Some(statuses) => {
            let filter = ContactFilter { kind, statuses };
            contacts::list(&mut work.tx, case.id, &filter, page).await?
        }
        None => Page {
            items: Vec::new(),
            next_after: None,
        },
    };
    let reader = work.actor.agent_id;
    let (items, next_cursor) = into_views(found, |c| Contact::for_reader(c, reader));
    work.commit(HttpResponse::Ok().json(ContactList { items, next_cursor }))
        .await
}

/// Reads one contact, with its ETag.
///
/// Workers on the case's team and supervisors (403 for other roles, 404 for a case the caller may
/// not see or a contact of another case). The private note is shown to its author only. An archived
/// case's contact is read only with a `reason` (400 `reason_required` without it). Audited as a
/// `read` of `contact`.
#[utoipa::path(
    tag = "contacts",
    operation_id = "read_contact",
    params(ContactPath, CaseReadParams),
    responses((status = 200, description = "The contact", body = Contact, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}/contacts/{contact_id}")]
pub async fn read(
    ctx: Ctx,
    path: web::Path<ContactPath>,
    params: Query<CaseReadParams>,
) -> Result<HttpResponse, ApiError> {
    let (mut work, case) = ctx.case(path.id, params.case_use()).await?;
    let contact = contacts::get(&mut work.tx, case.id, path.contact_id).await?;
    work.audit(contact_event(AuditAction::Read, &case, contact.id));
    answer(work, contact).await
}

/// Changes a contact (its author only, `If-Match`): record a planned contact as held, fix the
/// summary, the outcome, the participants or the private note.
///
/// Only the contact's author may change it (403 for anyone else), while they are on the case's team
/// or a supervisor. Absent fields keep their value and `null` clears one, but `occurred_at` cannot
/// be cleared: a held contact stays held, and its time cannot be in the future (422). Recording a
/// planned contact as held has the effects of a held contact (`last_contact_at`, a
/// `first_interview` moving an `intake` case to `assessment`) and sets its `status` to `held`
/// (as `POST …/outcome` does); a cancelled or missed contact cannot be recorded as held (409
/// `contact_not_planned`). An archived case answers 409 `case_archived`; `If-Match` is required
/// (428, 412). Audited as an `update` of `contact`.
#[utoipa::path(
    tag = "contacts",
    operation_id = "update_contact",
    params(ContactPath, crate::responses::IfMatchHeader),
    request_body = ContactPatch,
    responses((status = 200, description = "The contact after the change", body = Contact, headers(("ETag" = String))), WriteErrors),
    security(("bearer" = []))
)]
#[patch("/{id}/contacts/{contact_id}")]
pub async fn update(
    ctx: Ctx,
    path: web::Path<ContactPath>,
    if_match: IfMatch,
    body: Json<ContactPatch>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseWrite)?;
    let (mut work, case) = ctx.case(path.id, CaseUse::Write).await?;
    let current = contacts::get(&mut work.tx, case.id, path.contact_id).await?;
    if current.author_id != work.actor.agent_id {
        return Err(ApiError::Forbidden);
    }
    let version = if_match.check(current.version)?;
    let mut errors = Vec::new();
    let occurred_at = match body.occurred_at {
        None => current.occurred_at,
        Some(None) => {
            errors.push(FieldError::body(
                "/occurred_at",
                "not_nullable",
                "a held contact stays held: occurred_at cannot be cleared",
            ));
            None
        }
        Some(Some(at)) => match held_at(at, Utc::now()) {
            // A planned contact becomes held; a cancelled or missed one cannot (409).
            Ok(at) if current.status == ContactStatus::Held => Some(at),
            Ok(at) => {
                current.status.transition(Outcome::Held)?;
                Some(at)
            }
            Err(e) => {
                errors.push(FieldError::refused(e.pointer(), &e));
                None
            }
        },
    };
    let participants = match &body.participants {
        None => current.participants.clone(),
        Some(None) => Vec::new(),
        Some(Some(names)) => model::participants(names, &mut errors),
    };
    let merge = |current: &Option<String>, change: &Option<Option<String>>| {
        apply(
            current.clone(),
            change.as_ref().map(|c| model::text(c.as_deref())),
        )
    };
    let summary = merge(&current.summary, &body.summary);
    let private_note = merge(&current.private_note, &body.private_note);
    let outcome = merge(&current.outcome, &body.outcome);
    model::check_texts(
        summary.as_deref(),
        private_note.as_deref(),
        outcome.as_deref(),
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let newly_held = current.is_planned() && occurred_at.is_some();
    let contact = contacts::update(
        &mut work.tx,
        work.actor.org.id,
        work.actor.agent_id,
        case.id,
        path.contact_id,
        version,
        &ContactUpdate {
            status: if occurred_at.is_some() {
                ContactStatus::Held
            } else {
                current.status
            },
            occurred_at,
            participants: &participants,
            summary: summary.as_deref(),
            private_note: private_note.as_deref(),
            outcome: outcome.as_deref(),
        },
    )
    .await?;
    if let Some(at) = contact
        .occurred_at
        .filter(|_| occurred_at != current.occurred_at)
    {
        if newly_held {
            on_held(
                &mut work.tx,
                &work.actor,
                &case,
                contact.id,
                contact.kind,
                at,
            )
            .await?;
        } else {
            contacts::touch_last_contact(&mut work.tx, case.id, at).await?;
        }
    }
    work.audit(contact_event(AuditAction::Update, &case, contact.id));
    answer(work, contact).await
}

/// Records a planned contact's outcome: held, cancelled or missed (`If-Match`).
///
/// Any worker on the case's team and supervisors record it (a colleague covering an absence
/// cancels an appointment); only the contact's author may give a `summary` with it (403 for
/// anyone else). Another organisation's case or contact answers 404. Only a `planned` contact takes an outcome, once (409 `contact_not_planned`). `status` is
/// `held`, `cancelled` or `no_show` (`planned` is no outcome: 422 `not_an_outcome` at `/status`).
/// `held` takes `occurred_at` (default now; not in the future: 422 `in_future`) and has the
/// effects of a held contact: the case's and the person's `last_contact_at`, a `first_interview`
/// moving an `intake` case to `assessment`. `cancelled` and `no_show` keep `scheduled_at`, take
/// an optional `reason` (trimmed, 1 to 500 characters: 422 `blank`, `too_long`), never move
/// `last_contact_at`, and take the contact out of the agenda and its calendar feed. `reason` with
/// `held`, or `occurred_at` with another status, is 422 `not_allowed`. `summary`, when given,
/// replaces the contact's. An archived case answers 409 `case_archived`; `If-Match` is required
/// (428, 412). A `contact_outcome` event joins the case's timeline. Audited as an `update` of
/// `contact`.
#[utoipa::path(
    tag = "contacts",
    operation_id = "record_contact_outcome",
    params(ContactPath, crate::responses::IfMatchHeader, crate::responses::IdempotencyKeyHeader),
    request_body = NewContactOutcome,
    responses((status = 200, description = "The contact with its outcome", body = Contact, headers(("ETag" = String))), WriteErrors),
    security(("bearer" = []))
)]
#[post("/{id}/contacts/{contact_id}/outcome")]
pub async fn record_outcome(
    ctx: Ctx,
    path: web::Path<ContactPath>,
    if_match: IfMatch,
    body: Json<NewContactOutcome>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseWrite)?;
    let (mut work, case) = ctx.case(path.id, CaseUse::Write).await?;
    let current = contacts::get(&mut work.tx, case.id, path.contact_id).await?;
    let version = if_match.check(current.version)?;
    // Whoever follows the case records what became of an appointment (a colleague covering an
    // absence cancels it); the summary stays its author's.
    if body.summary.is_some() && current.author_id != work.actor.agent_id {
        return Err(ApiError::Forbidden);
    }
    let outcome = ContactOutcome::parse(
        body.status,
        body.occurred_at,
        body.reason.as_deref(),
        Utc::now(),
    )
    .map_err(|errors| {
        ApiError::validation(
            errors
                .iter()
                .map(|e| FieldError::refused(e.pointer(), e))
                .collect(),
        )
    })?;
    let summary = body.summary.as_deref().map(|s| model::text(Some(s)));
    let status = current.status.transition(outcome.kind())?;
    let contact = contacts::record_outcome(
        &mut work.tx,
        work.actor.org.id,
        work.actor.agent_id,
        case.id,
        current.id,
        version,
        &OutcomeChange {
            status,
            occurred_at: outcome.occurred_at(),
            reason: outcome.reason(),
            summary: summary.as_ref().map(Option::as_deref),
        },
    )
    .await?;
    if let Some(at) = contact.occurred_at {
        on_held(
            &mut work.tx,
            &work.actor,
            &case,
            contact.id,
            contact.kind,
            at,
        )
        .await?;
    }
    work.audit(contact_event(AuditAction::Update, &case, contact.id));
    answer(work, contact).await
}
