//! The household of a person (composition familiale): the members living with them, the
//! housing and the person's employment status. Read and replaced whole.
//!
//! The household is as sensitive as the case file: only those who see the person's whole record
//! (need to know: supervisors, the workers on the team of one of the person's cases that is not
//! archived, the worker who created the person before any case) read or write it; reception,
//! administrators, the DPO and partners get 403. Any other worker gets 404, as for the cases
//! themselves; both refusals leave an `access_denied`. Every read and write is audited under the
//! person.

use actix_web::{HttpResponse, get, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::household;
use relais_domain::{
    AuditAction, AuditResource, EmploymentStatus, HousingStatus, PersonPart, Relationship,
};
use relais_store::audit::NewAuditEvent;
use relais_store::households::{self, HouseholdRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::conditional::{IfMatch, ok_with_etag};
use crate::context::Ctx;
use crate::error::{ApiError, FieldError};
use crate::extract::Json;
use crate::responses::{ReadErrors, WriteErrors};
use crate::routes::today;

/// One person living with the person, as written.
// `Serialize` only because the list's length rule echoes the value in its error.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HouseholdMemberEntry {
    /// At most one `spouse_or_partner`.
    #[schema(schema_with = crate::schema::household_relationship)]
    pub relationship: Relationship,
    /// Between 1890-01-01 and today.
    #[schema(example = "2012-05-10")]
    pub birth_date: NaiveDate,
    /// Whether the person (or their couple) has this member in charge (*à charge*). Dependent
    /// children add parts to the CAF quotient familial.
    pub dependent: bool,
}

/// The whole household: members left out are removed.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HouseholdReplacement {
    /// Where the household lives; null when unknown.
    #[serde(default)]
    #[schema(schema_with = crate::schema::housing_status_nullable)]
    pub housing: Option<HousingStatus>,
    /// The person's own employment status; null when unknown.
    #[serde(default)]
    #[schema(schema_with = crate::schema::employment_status_nullable)]
    pub employment: Option<EmploymentStatus>,
    /// The other people living with the person (not the person), at most 20.
    #[validate(length(max = 20), nested)]
    #[schema(max_items = 20)]
    pub members: Vec<HouseholdMemberEntry>,
}

/// One member of the household, with their age today.
#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdMember {
    #[schema(schema_with = crate::schema::household_relationship)]
    pub relationship: &'static str,
    #[schema(example = "2012-05-10")]
    pub birth_date: NaiveDate,
    pub dependent: bool,
    /// Age in full years today.
    #[schema(example = 14)]
    pub age: u32,
}

/// The household of a person; `version` 0 (and no member) until it is first written.
#[derive(Debug, Serialize, ToSchema)]
pub struct Household {
    pub person_id: Uuid,
    #[schema(schema_with = crate::schema::housing_status_nullable)]
    pub housing: Option<&'static str>,
    #[schema(schema_with = crate::schema::employment_status_nullable)]
    pub employment: Option<&'static str>,
    /// The other people living with the person, in the order written.
    pub members: Vec<HouseholdMember>,
    /// OECD-modified scale, today: 1 for the person, 0.5 per member aged 14 or more, 0.3 per
    /// member under 14. Exact to the tenth.
    #[schema(example = 2.3)]
    pub consumption_units: f64,
    /// Parts of the CAF quotient familial: 2 for a couple or a single parent (1 alone without
    /// a dependent child), +0.5 for each of the first two dependent children, +1 for the
    /// third, +0.5 for each one after.
    #[schema(example = 3.0)]
    pub quotient_familial_parts: f64,
    /// Members that are dependent children.
    #[schema(example = 2)]
    pub dependent_children: usize,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<Uuid>,
    #[schema(example = 1)]
    pub version: i32,
}

impl Household {
    /// The view of `record` (`None`: nothing recorded yet) on `today`.
    fn of(person_id: Uuid, record: Option<HouseholdRecord>, today: NaiveDate) -> Self {
        let (household, updated_at, updated_by, version) = match record {
            Some(r) => (r.household, Some(r.updated_at), r.updated_by, r.version),
            None => (household::Household::default(), None, None, 0),
        };
        Self {
            person_id,
            housing: household.housing.map(HousingStatus::code),
            employment: household.employment.map(EmploymentStatus::code),
            consumption_units: household::consumption_units(&household.members, today).as_f64(),
            quotient_familial_parts: household::caf_parts(&household).as_f64(),
            dependent_children: household.dependent_children(),
            members: household
                .members
                .iter()
                .map(|m| HouseholdMember {
                    relationship: m.relationship.code(),
                    birth_date: m.birth_date,
                    dependent: m.dependent,
                    age: household::age_on(m.birth_date, today),
                })
                .collect(),
            updated_at,
            updated_by,
            version,
        }
    }
}

/// The household as the domain sees it, or every problem pointed at its field.
fn parsed(body: &HouseholdReplacement, today: NaiveDate) -> Result<household::Household, ApiError> {
    let household = household::Household {
        housing: body.housing,
        employment: body.employment,
        members: body
            .members
            .iter()
            .map(|m| household::HouseholdMember {
                relationship: m.relationship,
                birth_date: m.birth_date,
                dependent: m.dependent,
            })
            .collect(),
    };
    let errors: Vec<FieldError> = household::check(&household, today)
        .into_iter()
        .map(|e| FieldError::refused(e.pointer(), &e))
        .collect();
    if errors.is_empty() {
        Ok(household)
    } else {
        Err(ApiError::validation(errors))
    }
}

/// An access to a part of the person `person_id`'s record (household, budget).
pub(crate) fn person_part_event(
    action: AuditAction,
    part: AuditResource,
    person_id: Uuid,
) -> NewAuditEvent {
    NewAuditEvent::new(action, part, person_id).about(person_id)
}

/// Reads the household of a person (supervisors, and workers of one of the person's cases).
///
/// Workers and supervisors (403 for other roles). A worker sees it only while on the team of one of
/// the person's cases that is not archived (404 otherwise, as for the cases themselves). Answers
/// the housing, the person's employment, the members with their age today, and the derived
/// consumption units (OECD-modified scale) and parts of the CAF *quotient familial*. Audited as a
/// `read` of `person.household`.
#[utoipa::path(
    tag = "persons",
    operation_id = "read_household",
    params(("id" = Uuid, Path, description = "Person id")),
    responses((status = 200, description = "The household (version 0 and no member before the first PUT)", body = Household, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}/household")]
pub async fn read(ctx: Ctx, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let (mut work, _) = ctx
        .person(
            *id,
            PersonPart::ReadSituation,
            AuditResource::PersonHousehold,
        )
        .await?;
    let found = households::get(&mut work.tx, *id).await?;
    work.audit(person_part_event(
        AuditAction::Read,
        AuditResource::PersonHousehold,
        *id,
    ));
    let version = found.as_ref().map_or(0, |r| r.version);
    work.commit(ok_with_etag(version, Household::of(*id, found, today())))
        .await
}

/// Replaces the household of a person (`If-Match` required: `"0"` or `*` before the first one).
///
/// Workers and supervisors, on the persons they may see (as for the read: 404 otherwise). The whole
/// household is written: members left out are removed. At most 20 members, one spouse or partner,
/// birth dates between 1890-01-01 and today (422 pointing at each member at fault). `If-Match`
/// carries the version read; `"0"` or `*` writes the first household (428 without the header, 412
/// when stale). Audited as an `update` of `person.household`.
#[utoipa::path(
    tag = "persons",
    operation_id = "replace_household",
    params(("id" = Uuid, Path, description = "Person id"), crate::responses::IfMatchHeader),
    request_body(content = HouseholdReplacement, example = json!({
        "housing": "tenant",
        "employment": "job_seeker",
        "members": [
            {"relationship": "spouse_or_partner", "birth_date": "1987-04-02", "dependent": false},
            {"relationship": "child", "birth_date": "2010-03-15", "dependent": true},
            {"relationship": "child", "birth_date": "2019-09-01", "dependent": true}
        ]
    })),
    responses((status = 200, description = "The household as replaced", body = Household, headers(("ETag" = String))), WriteErrors),
    security(("bearer" = []))
)]
#[put("/{id}/household")]
pub async fn replace(
    ctx: Ctx,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<HouseholdReplacement>,
) -> Result<HttpResponse, ApiError> {
    let (mut work, _) = ctx
        .person(
            *id,
            PersonPart::WriteSituation,
            AuditResource::PersonHousehold,
        )
        .await?;
    let today = today();
    let household = parsed(&body, today)?;
    let written = households::replace(
        &mut work.tx,
        work.actor.org.id,
        work.actor.agent_id,
        *id,
        if_match.expected(),
        &household,
    )
    .await?;
    work.audit(person_part_event(
        AuditAction::Update,
        AuditResource::PersonHousehold,
        *id,
    ));
    work.commit(ok_with_etag(
        written.version,
        Household::of(*id, Some(written), today),
    ))
    .await
}
