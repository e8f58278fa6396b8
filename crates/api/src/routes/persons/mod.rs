//! Persons: search, create, read (NIR masked unless revealed with a reason), correct.
//!
//! The handlers and their query parameters live here; the request and response types and their
//! validation are in `model`.

mod model;

use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::NaiveDate;
use relais_domain::{AuditAction, AuditResource, Nir, Permission};
use relais_store::audit::NewAuditEvent;
use relais_store::db::Access;
use relais_store::persons::{self, PersonSearch};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::conditional::{IfMatch, created, ok_with_etag, with_etag};
use crate::context::Ctx;
use crate::error::{ApiError, Code, FieldError};
use crate::extract::{Json, Query};
use crate::pagination::{PageParams, into_views};
use crate::responses::{CreateErrors, ReadErrors, WriteErrors};

use model::patched;
pub(crate) use model::person_data;
pub use model::{
    Address, AddressPatch, Informed, InformedView, NewPerson, Person, PersonList, PersonPatch,
};

/// An access to the person `id`'s record.
fn person_event(action: AuditAction, id: Uuid) -> NewAuditEvent {
    NewAuditEvent::new(action, AuditResource::Person, id).about(id)
}

/// Search parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words of the names (first, last or birth name), accent- and case-insensitive.
    #[param(max_length = 200)]
    pub q: Option<String>,
    pub birth_date: Option<NaiveDate>,
    /// Exact NIR (with its key; spaces allowed).
    #[param(schema_with = crate::schema::nir)]
    pub nir: Option<String>,
}

/// Searches persons by name, birth date or NIR.
///
/// Reception, workers and supervisors. `q` matches words of the first, last or birth name (each
/// word, accent- and case-insensitive, anywhere in the names), `birth_date` exactly, `nir` exactly
/// (a malformed NIR is a 400); criteria combine, and without any every person is listed. The NIR of
/// each result is masked. Every person on the page is audited as a `search` of `person`.
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
    work.audit_all(
        found
            .items
            .iter()
            .map(|p| person_event(AuditAction::Search, p.id)),
    );
    let (items, next_cursor) = into_views(found, Person::masked);
    work.commit(HttpResponse::Ok().json(PersonList { items, next_cursor }))
        .await
}

/// Creates a person.
///
/// Reception, workers and supervisors. The names must not be blank, the birth date is after 1890
/// and not in the future, the NIR is checked with its key (`nir_wrong_key`…), and `informed` (when,
/// how and with which notice the person was informed of the processing of their data) cannot be in
/// the future: each fails as a 422 pointing at the field. A NIR another person of the organisation
/// already has is a 409 `duplicate_nir`. The answer masks the NIR. Audited as a `create` of
/// `person`.
#[utoipa::path(
    operation_id = "create_person",
    tag = "persons",
    request_body = NewPerson,
    params(crate::responses::IdempotencyKeyHeader),
    responses((status = 201, description = "Created", body = Person, headers(("Location" = String), ("ETag" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("")]
pub async fn create(ctx: Ctx, body: Json<NewPerson>) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::PersonWrite)?;
    let data = person_data(&body, "")?;
    let mut work = ctx.work(Access::Write).await?;
    let person = persons::create(
        &mut work.tx,
        work.actor.org.id,
        work.actor.agent_id,
        &data,
        &ctx.state.vault,
    )
    .await?;
    work.audit(person_event(AuditAction::Create, person.id));
    work.commit(created(
        format!("/v1/persons/{}", person.id),
        person.version,
        Person::masked(person),
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
/// Reception, workers and supervisors; the NIR is masked. With `reveal=nir` it is in clear: only
/// workers and supervisors may ask (403 otherwise), with a `reason` of 5 to 500 characters (400
/// `reason_required` without one); that answer is sent with `Cache-Control: no-store`. Audited as a
/// `read` of `person`, and a reveal as a `reveal` of `person.nir` with its reason (only when the
/// person has a NIR).
#[utoipa::path(
    operation_id = "read_person",
    tag = "persons",
    params(("id" = Uuid, Path, description = "Person id"), ReadParams),
    responses((status = 200, description = "The person", body = Person, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}")]
pub async fn read(
    ctx: Ctx,
    id: web::Path<Uuid>,
    params: Query<ReadParams>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::PersonRead)?;
    let reveal = match params.reveal.as_deref() {
        None => false,
        Some("nir") => true,
        Some(_) => return Err(ApiError::bad_query("reveal", "reveal accepts only `nir`")),
    };
    let reason = crate::work::given_reason(params.reason.as_deref())?;
    if reveal {
        ctx.require(Permission::PersonRevealNir)?;
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
    let mut work = ctx.work(Access::Read).await?;
    let person = persons::get(&mut work.tx, *id).await?;
    work.audit(person_event(AuditAction::Read, person.id));
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
    work.commit(response.json(Person::build(person, revealed)))
        .await
}

/// Corrects a person (JSON merge patch, `If-Match` required).
///
/// Reception, workers and supervisors. Absent fields keep their value, `null` clears one (not the
/// names, which may be changed but not cleared); `address` is merged field by field. The result is
/// validated with the rules of a creation (422), a NIR already held by another person is a 409
/// `duplicate_nir`, and `If-Match` must carry the current `ETag` (428 without it, 412 when stale).
/// Audited as an `update` of `person`.
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
    ctx.require(Permission::PersonWrite)?;
    let mut work = ctx.work(Access::Write).await?;
    let current = persons::get(&mut work.tx, *id).await?;
    let version = if_match.check(current.version)?;
    let data = patched(current, &body)?;
    let person = persons::update(&mut work.tx, *id, version, &data, &ctx.state.vault).await?;
    work.audit(person_event(AuditAction::Update, person.id));
    work.commit(ok_with_etag(person.version, Person::masked(person)))
        .await
}
