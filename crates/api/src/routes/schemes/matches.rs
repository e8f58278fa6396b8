//! `GET /v1/cases/{id}/scheme-matches`: each active scheme of the catalogue against the
//! situation of the case's person, as `eligible`, `to_check` (the data missing are named) or
//! `not_eligible`, with each criterion's result and the values compared.
//!
//! The situation comes from the person (age today from the birth date, the address postcode,
//! the recognition of a disability and its rate, the legal protection measure), the household
//! (its size with the person, dependent children, housing and employment status) and the budget
//! (total monthly resources, per consumption unit and the CAF quotient familial, derived by
//! `relais_domain::budget::derive`, and the kinds of its debts). A fixed number of queries reads
//! it, whatever the size of the household or of the catalogue. What is not recorded stays
//! unknown: a criterion that needs it is `unknown` and its scheme `to_check`, never `eligible`.
//! The rules are `relais_domain::eligibility`.
//!
//! This reads case content: workers of the case team and supervisors only (reception,
//! administrators, the DPO and partners get 403; another team's case 404), and every read is
//! audited (`read`, resource type `case.scheme_matches`, with the person).

use actix_web::{HttpResponse, get, web};
use chrono::NaiveDate;
use relais_domain::budget::{self, DebtKind};
use relais_domain::eligibility::{
    CriterionOutcome, HouseholdFacts, Match, MatchResult, ResourceFacts, Situation, SituationData,
    evaluate,
};
use relais_domain::household::age_on;
use relais_domain::{AuditAction, AuditResource, Coded, Criterion, Domain};
use relais_store::households::HouseholdRecord;
use relais_store::schemes::PersonFacts;
use relais_store::{budgets, households, schemes};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::model::CriterionSchema;
use crate::context::{CaseReadParams, Ctx};
use crate::error::ApiError;
use crate::extract::Query;
use crate::responses::ReadErrors;
use crate::routes::today;
use crate::work::case_event;

/// Options of the matching.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MatchParams {
    /// Only the schemes with this result.
    #[param(schema_with = crate::schema::match_result)]
    pub result: Option<MatchResult>,
}

/// One criterion of a scheme, evaluated.
#[derive(Debug, Serialize, ToSchema)]
pub struct CriterionMatch {
    /// The criterion, as in the catalogue.
    #[schema(value_type = CriterionSchema)]
    pub criterion: Criterion,
    #[schema(schema_with = crate::schema::criterion_result)]
    pub result: &'static str,
    /// What the criterion requires, resolved for this household (e.g. `{"basis": "total",
    /// "max_cents": 96978, "household_size": 2}`; ages in years, amounts in cents a month).
    #[schema(value_type = CriterionExpected, example = json!({"min": 25, "max": null}))]
    pub expected: Value,
    /// The person's value compared (a number, a code, or `{"members", "dependent_children"}`),
    /// null when unknown.
    #[schema(value_type = Option<CriterionActual>, example = json!(34))]
    pub actual: Value,
    /// The data to collect when the result is `unknown`.
    #[schema(schema_with = crate::schema::situation_data_list)]
    pub missing: Vec<&'static str>,
}

/// What a criterion requires, by its kind (schema only: the domain's evaluation writes it,
/// `relais_domain::eligibility::evaluate_one`; the match tests check answers against it).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum CriterionExpected {
    /// `age`: the bounds, in years.
    Age(ExpectedAge),
    /// `household`: the bounds of the household's size and dependent children.
    Household(ExpectedHousehold),
    /// `resources_ceiling`: the ceiling on `basis`, for this household when it is known, else
    /// the table.
    Resources(ExpectedResources),
    /// `postcode_prefix`: the prefixes.
    Postcode(ExpectedPostcode),
    /// `housing`, `employment`, `debt_kinds`, `legal_protection`: the codes accepted.
    Codes(ExpectedCodes),
    /// `disability_recognised`: the recognition required (`yes`).
    Recognition(ExpectedRecognition),
    /// `disability_rate_min`: the minimum rate, in percent.
    Rate(ExpectedRate),
}

/// The recognition a criterion requires.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ExpectedRecognition {
    #[schema(schema_with = crate::schema::disability_recognition)]
    recognised: String,
}

/// The minimum rate of incapacity, in percent, compared with the lowest rate of the band.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ExpectedRate {
    #[schema(minimum = 1, maximum = 100)]
    min_percent: u32,
}

/// The age bounds, in years.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ExpectedAge {
    min: Option<u32>,
    max: Option<u32>,
}

/// The household bounds.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ExpectedHousehold {
    min_members: Option<u32>,
    max_members: Option<u32>,
    min_dependent_children: Option<u32>,
    max_dependent_children: Option<u32>,
}

/// A resources ceiling, in cents a month: `max_cents` (with the household figure it was read
/// for), or, the household unknown, the criterion's table.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ExpectedResources {
    #[schema(schema_with = crate::schema::resources_basis)]
    basis: String,
    max_cents: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    household_size: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dependent_children: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_cents_by_household_size: Option<Vec<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    additional_member_cents: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_cents_by_dependent_children: Option<Vec<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    additional_child_cents: Option<i64>,
}

/// The postcode prefixes.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ExpectedPostcode {
    prefixes: Vec<String>,
}

/// The codes accepted (of `housing_status`, `employment_status`, `debt_kind` or
/// `legal_protection_kind`).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ExpectedCodes {
    any_of: Vec<String>,
}

/// The person's value a criterion compared: an age in years or an amount in cents a month, a
/// postcode or a code, the household's figures, the kinds of the budget's debts, or the
/// recognition of a disability with its rate.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum CriterionActual {
    Number(i64),
    Text(String),
    Household(ActualHousehold),
    /// `debt_kinds`: the kinds of the debts still owed (`debt_kind` codes), possibly none.
    Codes(Vec<String>),
    Disability(ActualDisability),
}

/// The recognition of a disability as recorded, and its rate band.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ActualDisability {
    #[schema(schema_with = crate::schema::disability_recognition)]
    recognised: String,
    #[schema(schema_with = crate::schema::disability_rate_nullable)]
    rate: Option<String>,
}

/// The household's figures.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ActualHousehold {
    members: u32,
    dependent_children: u32,
}

/// A scheme evaluated against the person's situation.
#[derive(Debug, Serialize, ToSchema)]
pub struct SchemeMatch {
    pub scheme_id: Uuid,
    #[schema(example = "Revenu de solidarité active (RSA)")]
    pub name: String,
    #[schema(schema_with = crate::schema::domain)]
    pub domain: Domain,
    pub provider: String,
    /// `not_eligible` when a criterion is unmet; else `to_check` when data is missing; else
    /// `eligible`.
    #[schema(schema_with = crate::schema::match_result)]
    pub result: &'static str,
    pub criteria: Vec<CriterionMatch>,
    /// The data to collect to decide (for `to_check`), without repeats.
    #[schema(schema_with = crate::schema::situation_data_list)]
    pub missing: Vec<&'static str>,
    /// Notes of the catalogue for the worker (local figures, simplifications).
    pub notes: Option<String>,
}

/// The catalogue matched against a case's person.
#[derive(Debug, Serialize, ToSchema)]
pub struct SchemeMatches {
    pub case_id: Uuid,
    pub person_id: Uuid,
    /// The day ages and the budget's derived figures were taken on.
    pub evaluated_on: NaiveDate,
    /// Active schemes by name (filtered by `result` when given).
    pub items: Vec<SchemeMatch>,
}

fn codes(data: &[SituationData]) -> Vec<&'static str> {
    data.iter().map(|d| d.code()).collect()
}

fn criterion_match(o: CriterionOutcome) -> CriterionMatch {
    CriterionMatch {
        result: o.result.code(),
        missing: codes(&o.missing),
        criterion: o.criterion,
        expected: o.expected,
        actual: o.actual,
    }
}

/// The kinds of the debts still owed, in reference order without repeats.
fn debt_kinds(recorded: &budget::Budget) -> Vec<DebtKind> {
    DebtKind::ALL
        .iter()
        .copied()
        .filter(|kind| {
            recorded
                .debts
                .iter()
                .any(|d| d.kind == *kind && d.amount_owed_cents > 0)
        })
        .collect()
}

/// The situation as the criteria see it, from what is recorded on `today`.
fn situation(
    person: &PersonFacts,
    household: Option<&HouseholdRecord>,
    recorded_budget: Option<&budget::Budget>,
    today: NaiveDate,
) -> Situation {
    let household = household.map(|h| &h.household);
    let resources = recorded_budget.map(|b| {
        let derived = budget::derive(b, household, today);
        // Without a recorded household the derived figures count the person alone: the
        // criteria per unit or by quotient then ask for the household (see `evaluate`).
        ResourceFacts {
            total_cents: derived.total_resources_cents,
            per_consumption_unit_cents: Some(derived.resources_per_unit_cents),
            quotient_familial_cents: Some(derived.quotient_familial_cents),
        }
    });
    Situation {
        age_years: person.birth_date.map(|b| age_on(b, today)),
        household: household.map(|h| HouseholdFacts {
            members: u32::try_from(h.members.len())
                .unwrap_or(u32::MAX)
                .saturating_add(1),
            dependent_children: u32::try_from(h.dependent_children()).unwrap_or(u32::MAX),
        }),
        resources,
        postcode: person
            .address_postcode
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned),
        housing: household.and_then(|h| h.housing),
        employment: household.and_then(|h| h.employment),
        disability: person.disability,
        // A recorded budget lists its debts (none is a fact); no budget, no fact.
        debt_kinds: recorded_budget.map(debt_kinds),
        legal_protection: person.legal_protection,
    }
}

/// Matches the case's person against every active scheme of the catalogue.
///
/// Workers on the case's team and supervisors (403 for reception, admin, dpo and partners, 404 for
/// a case the caller may not see). The situation is read from the person (age today, postcode,
/// disability recognition and rate, legal protection measure), their household (size, dependent
/// children, housing, employment) and their budget (resources, per consumption unit, CAF
/// *quotient familial*, kinds of debts). A criterion whose fact is not recorded is `unknown`
/// (a legal protection not recorded included: its absence is no proof). Each active scheme is `eligible`, `to_check` (the
/// data to collect are named in `missing`) or `not_eligible`, with each criterion's result and the
/// values compared; `result` keeps one of them. An archived case is matched only with a `reason`
/// (400 `reason_required` without it). Audited as a `read` of `case.scheme_matches`.
#[utoipa::path(
    tag = "schemes",
    operation_id = "list_scheme_matches",
    params(("id" = Uuid, Path, description = "Case id"), MatchParams, CaseReadParams),
    responses((status = 200, description = "Each active scheme with its result", body = SchemeMatches), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}/scheme-matches")]
pub async fn list(
    ctx: Ctx,
    id: web::Path<Uuid>,
    params: Query<MatchParams>,
    reason: Query<CaseReadParams>,
) -> Result<HttpResponse, ApiError> {
    let today = today();
    let (mut work, case) = ctx.case(*id, reason.case_use()).await?;
    let person = schemes::person_facts(&mut work.tx, case.person_id).await?;
    let household = households::get(&mut work.tx, case.person_id).await?;
    let recorded_budget = budgets::get(&mut work.tx, case.person_id).await?;
    let catalogue = schemes::list_active(&mut work.tx).await?;
    work.audit(case_event(
        &case,
        AuditAction::Read,
        AuditResource::CaseSchemeMatches,
        case.id,
    ));

    let situation = situation(
        &person,
        household.as_ref(),
        recorded_budget.as_ref().map(|b| &b.budget),
        today,
    );
    let items = catalogue
        .into_iter()
        .filter_map(|scheme| {
            let Match {
                result,
                criteria,
                missing,
            } = evaluate(&scheme.criteria, &situation);
            if params.result.is_some_and(|wanted| wanted != result) {
                return None;
            }
            Some(SchemeMatch {
                scheme_id: scheme.id,
                name: scheme.name,
                domain: scheme.domain,
                provider: scheme.provider,
                result: result.code(),
                criteria: criteria.into_iter().map(criterion_match).collect(),
                missing: codes(&missing),
                notes: scheme.notes,
            })
        })
        .collect();
    work.commit(HttpResponse::Ok().json(SchemeMatches {
        case_id: case.id,
        person_id: case.person_id,
        evaluated_on: today,
        items,
    }))
    .await
}
