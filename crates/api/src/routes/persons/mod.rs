//! Persons: search, create, read (NIR masked unless revealed with a reason), correct.
//!
//! The handlers and their query parameters live here; the request and response types and their
//! validation are in `model`.

mod duplicates;
pub mod merge;
mod model;

use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::need_to_know;
use relais_domain::{
    AuditAction, AuditResource, Nir, Permission, PersonPart, PersonTies, PersonView,
};
use relais_store::audit::NewAuditEvent;
use relais_store::db::Access;
use relais_store::persons::{self, Corrector, HistoryRecord, PersonSearch};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::conditional::{IfMatch, created, ok_with_etag, with_etag};
use crate::context::Ctx;
use crate::error::{ApiError, Code, FieldError};
use crate::extract::{Json, Query};
use crate::pagination::{PageParams, into_views};
use crate::responses::{CreateErrors, ReadErrors, WriteErrors};

pub(crate) use duplicates::{Creation, create_unless_known};
pub use duplicates::{DuplicateCandidate, DuplicateProblem, MatchedBy};
pub use merge::{MergeRequest, MergedCounts, MergedSituation, PersonMerge};
use model::patched;
pub(crate) use model::person_data;
pub use model::{
    Address, AddressPatch, Informed, InformedView, KnownView, NewPerson, Person, PersonList,
    PersonPatch, PersonSearchView, SeenPerson,
};

/// A 403 unless a caller with `view` of a person sees their health data, and so may write it.
fn health_writer(view: PersonView) -> Result<(), ApiError> {
    if need_to_know::sees_health(view) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// An access to the person `id`'s record.
fn person_event(action: AuditAction, id: Uuid) -> NewAuditEvent {
    NewAuditEvent::new(action, AuditResource::Person, id).about(id)
}

/// Search parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Beginnings of words of the names (first, last or birth name), accent- and
    /// case-insensitive; every word given must match.
    #[param(max_length = 200)]
    pub q: Option<String>,
    pub birth_date: Option<NaiveDate>,
    /// Exact NIR (with its key; spaces allowed).
    #[param(schema_with = crate::schema::nir)]
    pub nir: Option<String>,
}

/// Searches persons by name, birth date or NIR.
///
/// Reception, workers and supervisors. `q` matches the first, last or birth name: each of its
/// words, accent- and case-insensitive, must begin a word of the names (`mar dur` finds Marie
/// Durand; hyphens and apostrophes separate words), `birth_date` exactly, `nir` exactly
/// (a malformed NIR is a 400); criteria combine, and without any every person is listed. Each
/// result is what the caller may see of the person (need to know): the record, its NIR masked, for
/// a supervisor, reception, and a worker on the team of one of the person's open cases (or who
/// created the person before any case); the minimal search view (`restricted: true`: names, birth
/// date, whether a case is open and its referent's name) for any other worker, so that nobody
/// creates a duplicate. Every person on the page is audited as a `search` of `person`.
#[utoipa::path(
    operation_id = "search_persons",
    tag = "persons",
    params(SearchParams, PageParams),
    responses((status = 200, description = "Matching persons, newest first", body = PersonList), ReadErrors),
    security(("bearer" = []))
)]
#[get("")]
pub async fn search(
    ctx: Ctx,
    params: Query<SearchParams>,
    page: Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::PersonRead)?;
    let page = page.request()?;
    let q = params.q.as_deref().unwrap_or("");
    if q.chars().count() > 200 {
        return Err(ApiError::bad_query("q", "q is at most 200 characters"));
    }
    let nir = match params.nir.as_deref() {
        Some(value) => Some(Nir::parse(value).map_err(|e| ApiError::bad_query_refused("nir", &e))?),
        None => None,
    };
    let criteria = PersonSearch {
        words: relais_domain::text::fold(q)
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        birth_date: params.birth_date,
        nir,
    };
    let mut work = ctx.work(Access::Read).await?;
    let found = persons::search(&mut work.tx, &criteria, &ctx.state.vault, page).await?;
    let ids: Vec<Uuid> = found.items.iter().map(|p| p.id).collect();
    let mut sights = persons::sights(&mut work.tx, &ids, work.actor.agent_id).await?;
    work.audit_all(ids.iter().map(|id| person_event(AuditAction::Search, *id)));
    let roles = &ctx.principal.roles;
    let (items, next_cursor) = into_views(found, |record| {
        let sight = sights.remove(&record.id).unwrap_or_default();
        // The caller's role reads persons, so every person has a view.
        let view = need_to_know::person_view(roles, sight.ties).unwrap_or(PersonView::Search);
        SeenPerson::of(record, view, sight.known)
    });
    work.commit(HttpResponse::Ok().json(PersonList { items, next_cursor }))
        .await
}

/// Creates a person.
///
/// Reception, workers and supervisors. The names must not be blank, the birth date is after 1890
/// and not in the future, the NIR is checked with its key (`nir_wrong_key`…), and `informed` (when,
/// how and with which notice the person was informed of the processing of their data) cannot be in
/// the future: each fails as a 422 pointing at the field. A person the organisation may already
/// know is not created twice: a NIR another person of the organisation already has is a 409
/// `duplicate_nir`, and persons with the same names and birth date (accents, case, hyphens and
/// apostrophes aside; a last name matching a birth name; first and last names swapped) are a 409
/// `possible_duplicate`; both list the `candidates` (the search view of each, and `matched_by`),
/// each audited as a `search` of `person`. After checking that the candidates are other persons,
/// send the creation again with `confirm_distinct: true` (not possible for the same NIR).
/// Merged and anonymised persons are never candidates. The answer masks the NIR. Audited as a
/// `create` of `person`.
#[utoipa::path(
    operation_id = "create_person",
    tag = "persons",
    request_body = NewPerson,
    params(crate::responses::IdempotencyKeyHeader),
    responses(
        (status = 201, description = "Created", body = Person, headers(("Location" = String), ("ETag" = String))),
        CreateErrors,
        (status = 409, description = "`possible_duplicate`: persons with the same names and birth date exist (send again with `confirm_distinct: true` if this is another person); `duplicate_nir`: a person has this NIR. Both with the `candidates`; or the Idempotency-Key is in flight", body = DuplicateProblem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("")]
pub async fn create(ctx: Ctx, body: Json<NewPerson>) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::PersonWrite)?;
    // The creator sees the person they create as their roles let them see a person of theirs.
    let view = need_to_know::person_view(
        &ctx.principal.roles,
        PersonTies {
            on_team: false,
            created_without_case: true,
        },
    )
    .unwrap_or(PersonView::Reception);
    if body.disability.is_some() {
        health_writer(view)?;
    }
    let data = person_data(&body, "")?;
    let mut work = ctx.work(Access::Write).await?;
    let person =
        match create_unless_known(&mut work, &ctx, &data, body.confirm_distinct, "").await? {
            Creation::Created(person) => *person,
            Creation::Known(answer) => return work.commit(answer).await,
        };
    work.commit(created(
        format!("/v1/persons/{}", person.id),
        person.version,
        Person::build(person, None, view),
    ))
    .await
}

/// Options of a person read.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReadParams {
    /// `nir` to unmask the NIR (worker or supervisor; needs `reason`; audited).
    #[param(pattern = "^nir$")]
    pub reveal: Option<String>,
    /// Why the NIR is needed (5 to 500 characters, spaces around it aside); recorded in the
    /// audit log.
    #[param(
        min_length = 5,
        max_length = 500,
        pattern = "^\\s*[^\\s\\u0000][^\\u0000]{3,}[^\\s\\u0000]\\s*$"
    )]
    pub reason: Option<String>,
}

/// Reads a person.
///
/// Reception, workers and supervisors, as need to know allows: the record, its NIR masked, for a
/// supervisor, reception, and a worker on the team of one of the person's open cases (or who
/// created the person before any case); any other worker gets the minimal search view
/// (`restricted: true`, no `ETag`). With `reveal=nir` the NIR is in clear: only for those who see
/// the whole record (403 for reception, 404 for a worker with the search view), with a `reason` of
/// 5 to 500 characters (400 `reason_required` without one); that answer is sent with
/// `Cache-Control: no-store`. Audited as a `read` of `person`, and a reveal as a `reveal` of
/// `person.nir` with its reason (only when the person has a NIR); a refused reveal leaves an
/// `access_denied` of `person.nir`, a refusal by role one of `person`.
#[utoipa::path(
    operation_id = "read_person",
    tag = "persons",
    params(("id" = Uuid, Path, description = "Person id"), ReadParams),
    responses((status = 200, description = "The person, or the minimal search view when the record is out of the caller's need to know", body = SeenPerson, headers(("ETag" = String, description = "The record's version; absent from the search view"))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}")]
pub async fn read(
    ctx: Ctx,
    id: web::Path<Uuid>,
    params: Query<ReadParams>,
) -> Result<HttpResponse, ApiError> {
    let reveal = match params.reveal.as_deref() {
        None => false,
        Some("nir") => true,
        Some(_) => return Err(ApiError::bad_query("reveal", "reveal accepts only `nir`")),
    };
    let reason = crate::work::given_reason(params.reason.as_deref())?;
    if reveal {
        match reason {
            Some(_) => {}
            None => {
                return Err(ApiError::new(
                    Code::ReasonRequired,
                    "unmasking the NIR needs a reason of 5 to 500 characters",
                )
                .at(FieldError::query(
                    "reason",
                    "reason_required",
                    "give the reason the NIR is needed",
                )));
            }
        }
    }
    let (part, resource) = if reveal {
        (PersonPart::RevealNir, AuditResource::PersonNir)
    } else {
        (PersonPart::Read, AuditResource::Person)
    };
    let (mut work, seen) = ctx.person(*id, part, resource).await?;
    let person = persons::get(&mut work.tx, *id).await?;
    work.audit(person_event(AuditAction::Read, person.id));
    if seen.view == PersonView::Search {
        let restricted = SeenPerson::of(person, seen.view, seen.known);
        return work.commit(HttpResponse::Ok().json(restricted)).await;
    }
    let revealed = if reveal {
        person.nir(&ctx.state.vault)
    } else {
        None
    };
    if reveal && person.nir_ciphertext.is_some() {
        work.audit(
            NewAuditEvent::new(AuditAction::Reveal, AuditResource::PersonNir, person.id)
                .about(person.id)
                .because(reason),
        );
    }
    let mut response = HttpResponse::Ok();
    with_etag(&mut response, person.version);
    if reveal {
        response.insert_header((header::CACHE_CONTROL, "no-store"));
    }
    work.commit(response.json(SeenPerson::Record(Box::new(Person::build(
        person, revealed, seen.view,
    )))))
    .await
}

/// Corrects a person (JSON merge patch, `If-Match` required).
///
/// Reception, workers and supervisors; a worker only on a person whose record they see (404 and
/// an `access_denied` otherwise, see the read). Absent fields keep their value, `null` clears one
/// (not the names, which may be changed but not cleared); `address` is merged field by field. The result is
/// validated with the rules of a creation (422), a NIR already held by another person is a 409
/// `duplicate_nir`, and `If-Match` must carry the current `ETag` (428 without it, 412 when stale).
/// Each changed field keeps its previous value in the rectification history
/// (`GET /v1/persons/{id}/history`). Audited as an `update` of `person`.
#[utoipa::path(
    operation_id = "update_person",
    tag = "persons",
    params(("id" = Uuid, Path, description = "Person id"), crate::responses::IfMatchHeader),
    request_body = PersonPatch,
    responses((status = 200, description = "The corrected person", body = Person, headers(("ETag" = String))), WriteErrors),
    security(("bearer" = []))
)]
#[patch("/{id}")]
pub async fn update(
    ctx: Ctx,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<PersonPatch>,
) -> Result<HttpResponse, ApiError> {
    let (mut work, seen) = ctx
        .person(*id, PersonPart::Correct, AuditResource::Person)
        .await?;
    if body.disability.is_some() {
        health_writer(seen.view)?;
    }
    let current = persons::get(&mut work.tx, *id).await?;
    if_match.check(current.version)?;
    let data = patched(current.clone(), &body)?;
    let by = Corrector {
        org_id: work.actor.org.id,
        agent_id: work.actor.agent_id,
    };
    let person = persons::update(&mut work.tx, &current, &data, &ctx.state.vault, by).await?;
    work.audit(person_event(AuditAction::Update, person.id));
    work.commit(ok_with_etag(
        person.version,
        Person::build(person, None, seen.view),
    ))
    .await
}

/// One change of the rectification history.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldChange {
    pub id: Uuid,
    /// The field as the API names it: `first_name`, `last_name`, `birth_name`, `birth_date`,
    /// `nir`, `caf_number`, `marital_status`, `address.line1`, `address.line2`,
    /// `address.postcode`, `address.city`, `address.country`, `phone`, `email`, `informed.at`,
    /// `informed.channel`, `informed.notice_version`, `civility`, `legal_protection.kind`,
    /// `legal_protection.representative.name` (`.organisation`, `.phone`, `.email`),
    /// `disability.recognised`, `disability.rate` (the last two only for those who see health
    /// data, not reception); a merge (`POST …/merge`) adds
    /// `merge.duplicate` (the duplicate's identity as it was, as JSON, and the kept id),
    /// `merge.household` and `merge.budget` (the duplicate's, as JSON: in `after` when it was
    /// taken, in `before` when the kept record's stayed).
    #[schema(example = "address.city")]
    pub field: String,
    /// The value replaced, as the API showed it (the NIR masked); null when it was empty.
    #[schema(example = "Paris")]
    pub before: Option<String>,
    /// The value written (the NIR masked); null when the field was cleared.
    #[schema(example = "Montreuil")]
    pub after: Option<String>,
    pub changed_at: DateTime<Utc>,
    /// The agent who made the change.
    pub changed_by: Option<Uuid>,
}

crate::routes::view_from!(HistoryRecord as r => FieldChange {
    id, field, before, after, changed_at, changed_by;
});

/// A page of a person's rectification history.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldChangeList {
    /// Newest first.
    pub items: Vec<FieldChange>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Reads a person's rectification history (GDPR article 16).
///
/// Reception, workers and supervisors who see the person's record (a worker with only the search
/// view gets 404 and leaves an `access_denied`). Every change of an identity or contact field, newest
/// first: the field, the value it replaced and the value written (the NIR masked on both sides),
/// when and by whom. The history is also part of the right-of-access export. Audited as a `read`
/// of `person.history`.
#[utoipa::path(
    operation_id = "read_person_history",
    tag = "persons",
    params(("id" = Uuid, Path, description = "Person id"), PageParams),
    responses((status = 200, description = "The changes, newest first", body = FieldChangeList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}/history")]
pub async fn history(
    ctx: Ctx,
    id: web::Path<Uuid>,
    page: Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = page.request()?;
    let (mut work, seen) = ctx
        .person(*id, PersonPart::ReadHistory, AuditResource::PersonHistory)
        .await?;
    let with_health = need_to_know::sees_health(seen.view);
    let found = persons::history(&mut work.tx, *id, with_health, page).await?;
    work.audit(NewAuditEvent::new(AuditAction::Read, AuditResource::PersonHistory, *id).about(*id));
    let (items, next_cursor) = into_views(found, FieldChange::from);
    work.commit(HttpResponse::Ok().json(FieldChangeList { items, next_cursor }))
        .await
}
