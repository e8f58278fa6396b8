//! A person's restrictions of processing (GDPR art. 18) and objections (art. 21): recorded by
//! the DPO or a supervisor, listed, lifted with a reason, never deleted. While one is active the
//! person's data is kept but not shared (409 `processing_restricted` on a liaison sent or read
//! by a partner, a referral redirected, a partner's read of the referral) and the person is left
//! out of statistics.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::restriction::check_lift;
use relais_domain::{AuditAction, AuditResource, PersonPart, RestrictionKind};
use relais_store::Code;
use relais_store::audit::NewAuditEvent;
use relais_store::restrictions::{self, NewRestriction, RestrictionRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::context::Ctx;
use crate::error::{ApiError, FieldError};
use crate::extract::Json;
use crate::responses::{CreateErrors, ReadErrors};
use crate::routes::{not_blank, today, view_from};

/// A restriction or objection to record.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "restriction", "reason": "Conteste l'exactitude de l'adresse enregistrée", "requested_on": "2026-11-30"}))]
pub struct NewRestrictionBody {
    #[schema(schema_with = crate::schema::restriction_kind)]
    pub kind: RestrictionKind,
    /// What the person asked, and why (1 to 2000 characters, not blank).
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub reason: String,
    /// When the person asked (not in the future).
    #[schema(example = "2026-11-30")]
    pub requested_on: NaiveDate,
}

/// Why a restriction is lifted.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Adresse vérifiée et corrigée avec la personne"}))]
pub struct RestrictionLift {
    /// 1 to 2000 characters, not blank.
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub reason: String,
}

/// A restriction of processing or an objection.
#[derive(Debug, Serialize, ToSchema)]
pub struct Restriction {
    pub id: Uuid,
    pub person_id: Uuid,
    #[schema(schema_with = crate::schema::restriction_kind)]
    pub kind: RestrictionKind,
    pub reason: String,
    pub requested_on: NaiveDate,
    pub created_at: DateTime<Utc>,
    /// The agent who recorded it.
    pub created_by: Option<Uuid>,
    /// True until lifted: the person's data is not shared meanwhile.
    pub active: bool,
    pub lifted_at: Option<DateTime<Utc>>,
    pub lifted_by: Option<Uuid>,
    pub lift_reason: Option<String>,
}

view_from!(RestrictionRecord as r => Restriction {
    id, person_id, reason, requested_on, created_at, created_by, lifted_at, lifted_by,
    lift_reason;
    active: r.lifted_at.is_none(),
    kind: Code::into_inner(r.kind),
});

/// The restrictions and objections of a person.
#[derive(Debug, Serialize, ToSchema)]
pub struct RestrictionList {
    /// Oldest first, lifted ones included.
    pub items: Vec<Restriction>,
    /// Always null: a person has a handful.
    pub next_cursor: Option<String>,
}

/// An access to the restrictions of `person_id` (`resource_id`: one of them, or the person).
fn event(action: AuditAction, resource_id: Uuid, person_id: Uuid) -> NewAuditEvent {
    NewAuditEvent::new(action, AuditResource::PersonRestriction, resource_id).about(person_id)
}

/// Records a restriction of processing or an objection of a person.
///
/// The DPO and supervisors (403 for other roles, recorded as an `access_denied` when the person
/// exists). `kind` is `restriction` (GDPR art. 18) or `objection` (art. 21); `reason` says what the
/// person asked (not blank); `requested_on` is when, not in the future (422). From now on, and
/// until it is lifted, the person's data is kept but not shared: a liaison is not sent nor read by
/// its partner, a referral of the person is not redirected nor read by the partner that posted it
/// (409 `processing_restricted`), and the person is left out of statistics. Audited as a `create`
/// of `person.restriction`.
#[utoipa::path(
    tag = "persons",
    operation_id = "create_restriction",
    params(("id" = Uuid, Path, description = "Person id"), crate::responses::IdempotencyKeyHeader),
    request_body = NewRestrictionBody,
    responses((status = 201, description = "Recorded", body = Restriction, headers(("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/{id}/restrictions")]
pub async fn create(
    ctx: Ctx,
    id: web::Path<Uuid>,
    body: Json<NewRestrictionBody>,
) -> Result<HttpResponse, ApiError> {
    let (mut work, _) = ctx
        .person(
            *id,
            PersonPart::Restrictions,
            AuditResource::PersonRestriction,
        )
        .await?;
    not_blank(&body.reason, "/reason")?;
    if body.requested_on > today() {
        return Err(ApiError::validation(vec![FieldError::body(
            "/requested_on",
            "out_of_range",
            "a request cannot be made in the future",
        )]));
    }
    let restriction = restrictions::create(
        &mut work.tx,
        &NewRestriction {
            org_id: work.actor.org.id,
            person_id: *id,
            kind: body.kind,
            reason: body.reason.trim(),
            requested_on: body.requested_on,
            created_by: work.actor.agent_id,
        },
    )
    .await?;
    work.audit(event(AuditAction::Create, restriction.id, *id));
    work.commit(
        HttpResponse::Created()
            .insert_header((
                header::LOCATION,
                format!("/v1/persons/{id}/restrictions/{}", restriction.id),
            ))
            .json(Restriction::from(restriction)),
    )
    .await
}

/// Lists the restrictions and objections of a person.
///
/// The DPO and supervisors (403 otherwise). Every restriction and objection of the person, lifted
/// ones included (`active: false`, with when, by whom and why), oldest first, in one page. Audited
/// as a `read` of `person.restriction`.
#[utoipa::path(
    tag = "persons",
    operation_id = "list_restrictions",
    params(("id" = Uuid, Path, description = "Person id")),
    responses((status = 200, description = "Restrictions, oldest first", body = RestrictionList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}/restrictions")]
pub async fn list(ctx: Ctx, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let (mut work, _) = ctx
        .person(
            *id,
            PersonPart::Restrictions,
            AuditResource::PersonRestriction,
        )
        .await?;
    let items = restrictions::list(&mut work.tx, *id).await?;
    work.audit(event(AuditAction::Read, *id, *id));
    work.commit(HttpResponse::Ok().json(RestrictionList {
        items: items.into_iter().map(Restriction::from).collect(),
        next_cursor: None,
    }))
    .await
}

/// Reads one restriction or objection of a person.
///
/// The DPO and supervisors (403 otherwise); 404 for a restriction of another person. Audited as a
/// `read` of `person.restriction`.
#[utoipa::path(
    tag = "persons",
    operation_id = "read_restriction",
    params(("id" = Uuid, Path, description = "Person id"), ("rid" = Uuid, Path, description = "Restriction id")),
    responses((status = 200, description = "The restriction", body = Restriction), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}/restrictions/{rid}")]
pub async fn read(ctx: Ctx, path: web::Path<(Uuid, Uuid)>) -> Result<HttpResponse, ApiError> {
    let (person_id, restriction_id) = path.into_inner();
    let (mut work, _) = ctx
        .person(
            person_id,
            PersonPart::Restrictions,
            AuditResource::PersonRestriction,
        )
        .await?;
    let restriction = restrictions::get(&mut work.tx, person_id, restriction_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    work.audit(event(AuditAction::Read, restriction.id, person_id));
    work.commit(HttpResponse::Ok().json(Restriction::from(restriction)))
        .await
}

/// Lifts a restriction or an objection (it stays in the record, lifted).
///
/// The DPO and supervisors (403 otherwise). `reason` says why (not blank). The person's data is
/// shared again once no other restriction of theirs is active. A second lift is a 409
/// `restriction_already_lifted`; a restriction of another person is a 404. Audited as an `update`
/// of `person.restriction`.
#[utoipa::path(
    tag = "persons",
    operation_id = "lift_restriction",
    params(
        ("id" = Uuid, Path, description = "Person id"),
        ("rid" = Uuid, Path, description = "Restriction id"),
        crate::responses::IdempotencyKeyHeader
    ),
    request_body = RestrictionLift,
    responses((status = 200, description = "Lifted", body = Restriction), CreateErrors),
    security(("bearer" = []))
)]
#[post("/{id}/restrictions/{rid}/lift")]
pub async fn lift(
    ctx: Ctx,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<RestrictionLift>,
) -> Result<HttpResponse, ApiError> {
    let (person_id, restriction_id) = path.into_inner();
    let (mut work, _) = ctx
        .person(
            person_id,
            PersonPart::Restrictions,
            AuditResource::PersonRestriction,
        )
        .await?;
    not_blank(&body.reason, "/reason")?;
    let current = restrictions::get(&mut work.tx, person_id, restriction_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    check_lift(current.lifted_at.is_some())?;
    let lifted = restrictions::lift(
        &mut work.tx,
        person_id,
        restriction_id,
        body.reason.trim(),
        work.actor.agent_id,
    )
    .await?
    // Lifted by a concurrent request since it was read.
    .ok_or(relais_domain::AlreadyLifted)?;
    work.audit(event(AuditAction::Update, lifted.id, person_id));
    work.commit(HttpResponse::Ok().json(Restriction::from(lifted)))
        .await
}
