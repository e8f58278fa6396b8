//! The monthly budget of a person's household: resources and charges by kind, in cents, the
//! household's debts, and the figures the domain derives from them with the household (reste à
//! vivre, per day, per consumption unit, CAF quotient familial, total owed). Read and replaced
//! whole, debts included, under one version.
//!
//! Who may see it is the household's rule (see [`super::household`]): those who see the person's
//! whole record (need to know); 403 for other roles. Every read and write is audited.

use actix_web::{HttpResponse, get, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::budget::{self, BudgetLine};
use relais_domain::{AuditAction, AuditResource, ChargeKind, DebtKind, PersonPart, ResourceKind};
use relais_store::budgets::{self, BudgetRecord, DebtsWritten};
use relais_store::households;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::household::person_part_event;
use crate::conditional::{IfMatch, ok_with_etag};
use crate::context::Ctx;
use crate::error::{ApiError, FieldError};
use crate::extract::Json;
use crate::responses::{ReadErrors, WriteErrors};
use crate::routes::today;

/// One monthly resource.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceLine {
    #[schema(schema_with = crate::schema::resource_kind)]
    pub kind: ResourceKind,
    /// Monthly amount in cents, 0 to 10 000 000 (100 000 €).
    #[validate(range(min = 0, max = 10_000_000))]
    #[schema(minimum = 0, maximum = 10_000_000, example = 165000)]
    pub amount_cents: i64,
    /// Who or what, in the worker's words.
    #[serde(default)]
    #[validate(length(max = 200))]
    #[schema(max_length = 200, example = "Salaire de M.")]
    pub label: Option<String>,
}

/// One monthly charge.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChargeLine {
    #[schema(schema_with = crate::schema::charge_kind)]
    pub kind: ChargeKind,
    /// Monthly amount in cents, 0 to 10 000 000 (100 000 €).
    #[validate(range(min = 0, max = 10_000_000))]
    #[schema(minimum = 0, maximum = 10_000_000, example = 72000)]
    pub amount_cents: i64,
    /// Who or what, in the worker's words.
    #[serde(default)]
    #[validate(length(max = 200))]
    #[schema(max_length = 200, example = "Loyer résiduel")]
    pub label: Option<String>,
}

/// One debt of the household. Its monthly repayment is what was agreed; what the household
/// actually pays each month is a charge line (`debt_repayments`, or `loans` for a consumer
/// credit), counted once in the reste à vivre.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DebtLine {
    #[schema(schema_with = crate::schema::debt_kind)]
    pub kind: DebtKind,
    /// To whom, in the worker's words (erased when the person is anonymised).
    #[serde(default)]
    #[validate(length(max = 200))]
    #[schema(max_length = 200, example = "Office HLM")]
    pub creditor: Option<String>,
    /// What is still owed, in cents, 0 to 10 000 000 (100 000 €).
    #[validate(range(min = 0, max = 10_000_000))]
    #[schema(minimum = 0, maximum = 10_000_000, example = 180000)]
    pub amount_owed_cents: i64,
    /// The agreed monthly repayment in cents, 0 to 10 000 000; 0 (the default) without a plan.
    #[serde(default)]
    #[validate(range(min = 0, max = 10_000_000))]
    #[schema(minimum = 0, maximum = 10_000_000, default = 0, example = 15000)]
    pub monthly_repayment_cents: i64,
}

/// The whole budget: lines and debts left out are removed (an absent `debts` keeps the
/// recorded ones). Several lines may share a kind.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetReplacement {
    /// Monthly resources of the household, at most 30.
    #[validate(length(max = 30), nested)]
    #[schema(max_items = 30)]
    pub resources: Vec<ResourceLine>,
    /// Monthly charges of the household, at most 30.
    #[validate(length(max = 30), nested)]
    #[schema(max_items = 30)]
    pub charges: Vec<ChargeLine>,
    /// Debts of the household, at most 30 (`[]`: none). Left out, the recorded debts stay as
    /// they are, so that a client that does not know them never erases them.
    #[validate(length(max = 30), nested)]
    #[schema(max_items = 30)]
    pub debts: Option<Vec<DebtLine>>,
}

/// The figures derived from the budget and the household, computed today. Every division
/// rounds down (toward negative infinity): a figure never shows more money than there is.
#[derive(Debug, Serialize, ToSchema)]
pub struct BudgetDerived {
    #[schema(example = 220552)]
    pub total_resources_cents: i64,
    #[schema(example = 109740)]
    pub total_charges_cents: i64,
    /// Reste à vivre: resources − charges, a month; negative when charges exceed resources.
    #[schema(example = 110812)]
    pub remaining_cents: i64,
    /// `remaining_cents / 30` (a month counts 30 days), rounded down.
    #[schema(example = 3693)]
    pub remaining_per_day_cents: i64,
    /// The household's consumption units (OECD-modified scale), exact to the tenth; 1 when no
    /// household is recorded.
    #[schema(example = 2.3)]
    pub consumption_units: f64,
    /// `remaining_cents / consumption_units`, rounded down.
    #[schema(example = 48179)]
    pub remaining_per_unit_cents: i64,
    /// `remaining_cents / consumption_units / 30`, rounded down once.
    #[schema(example = 1605)]
    pub remaining_per_unit_per_day_cents: i64,
    /// `total_resources_cents / consumption_units` (niveau de vie), rounded down.
    #[schema(example = 95892)]
    pub resources_per_unit_cents: i64,
    /// Parts of the CAF quotient familial (see the household); 1 when none is recorded.
    #[schema(example = 3.0)]
    pub quotient_familial_parts: f64,
    /// Estimated CAF quotient familial: every monthly resource of the budget (standing for the
    /// taxable income / 12 plus the monthly benefits the CAF adds) divided by the parts,
    /// rounded down. The figure on the person's CAF account prevails.
    #[schema(example = 73517)]
    pub quotient_familial_cents: i64,
    /// Whether a household is recorded; false: the person counts alone (1 unit, 1 part).
    pub household_recorded: bool,
    /// Sum of the amounts still owed on the debts (not monthly). The debts' repayments are not
    /// subtracted from the reste à vivre: they are in the charges (`debt_repayments`, `loans`).
    #[schema(example = 222050)]
    pub total_debt_cents: i64,
}

/// The budget of a person; `version` 0 (and no line) until it is first written.
#[derive(Debug, Serialize, ToSchema)]
pub struct Budget {
    pub person_id: Uuid,
    pub resources: Vec<ResourceLine>,
    pub charges: Vec<ChargeLine>,
    pub debts: Vec<DebtLine>,
    pub derived: BudgetDerived,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<Uuid>,
    /// The budget's own version (its lines); the derived figures also follow the household.
    #[schema(example = 1)]
    pub version: i32,
}

impl Budget {
    /// The view of `record` (`None`: nothing recorded yet) with `household`, on `today`.
    fn of(
        person_id: Uuid,
        record: Option<BudgetRecord>,
        household: Option<&relais_domain::Household>,
        today: NaiveDate,
    ) -> Self {
        let (lines, updated_at, updated_by, version) = match record {
            Some(r) => (r.budget, Some(r.updated_at), r.updated_by, r.version),
            None => (budget::Budget::default(), None, None, 0),
        };
        let d = budget::derive(&lines, household, today);
        Self {
            person_id,
            derived: BudgetDerived {
                total_resources_cents: d.total_resources_cents,
                total_charges_cents: d.total_charges_cents,
                remaining_cents: d.remaining_cents,
                remaining_per_day_cents: d.remaining_per_day_cents,
                consumption_units: d.consumption_units.as_f64(),
                remaining_per_unit_cents: d.remaining_per_unit_cents,
                remaining_per_unit_per_day_cents: d.remaining_per_unit_per_day_cents,
                resources_per_unit_cents: d.resources_per_unit_cents,
                quotient_familial_parts: d.quotient_familial_parts.as_f64(),
                quotient_familial_cents: d.quotient_familial_cents,
                household_recorded: household.is_some(),
                total_debt_cents: d.total_debt_cents,
            },
            resources: lines
                .resources
                .into_iter()
                .map(|l| ResourceLine {
                    kind: l.kind,
                    amount_cents: l.amount_cents,
                    label: l.label,
                })
                .collect(),
            charges: lines
                .charges
                .into_iter()
                .map(|l| ChargeLine {
                    kind: l.kind,
                    amount_cents: l.amount_cents,
                    label: l.label,
                })
                .collect(),
            debts: lines
                .debts
                .into_iter()
                .map(|d| DebtLine {
                    kind: d.kind,
                    creditor: d.creditor,
                    amount_owed_cents: d.amount_owed_cents,
                    monthly_repayment_cents: d.monthly_repayment_cents,
                })
                .collect(),
            updated_at,
            updated_by,
            version,
        }
    }
}

/// A label (or a creditor) of spaces says nothing: it is dropped; others are trimmed.
fn label(label: Option<&String>) -> Option<String> {
    label.map(|l| l.trim().to_owned()).filter(|l| !l.is_empty())
}

/// The lines of one side of the budget (kind, amount, label) as the domain sees them.
fn domain_lines<'a, K>(
    lines: impl Iterator<Item = (K, i64, Option<&'a String>)>,
) -> Vec<BudgetLine<K>> {
    lines
        .map(|(kind, amount_cents, text)| BudgetLine {
            kind,
            amount_cents,
            label: label(text),
        })
        .collect()
}

/// The budget as the domain sees it, or every problem pointed at its field.
fn parsed(body: &BudgetReplacement) -> Result<budget::Budget, ApiError> {
    let lines = budget::Budget {
        resources: domain_lines(
            body.resources
                .iter()
                .map(|l| (l.kind, l.amount_cents, l.label.as_ref())),
        ),
        charges: domain_lines(
            body.charges
                .iter()
                .map(|l| (l.kind, l.amount_cents, l.label.as_ref())),
        ),
        debts: body
            .debts
            .iter()
            .flatten()
            .map(|d| budget::Debt {
                kind: d.kind,
                creditor: label(d.creditor.as_ref()),
                amount_owed_cents: d.amount_owed_cents,
                monthly_repayment_cents: d.monthly_repayment_cents,
            })
            .collect(),
    };
    let errors: Vec<FieldError> = budget::check(&lines)
        .into_iter()
        .map(|e| FieldError::refused(e.pointer(), &e))
        .collect();
    if errors.is_empty() {
        Ok(lines)
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Reads the budget of a person with its derived figures (supervisors, and workers of one of
/// the person's cases).
///
/// Workers and supervisors (403 for other roles), on the persons they may see as for the household
/// (a worker: on the team of one of the person's cases that is not archived; 404 otherwise).
/// Amounts are monthly, in cents. The derived figures (*reste à vivre* per month, per day and per
/// consumption unit, resources per unit, an estimated CAF *quotient familial*) use the recorded
/// household, or count the person alone when none is recorded; `total_debt_cents` sums what the
/// debts still owe (their monthly repayments are in the charges, not subtracted twice). Audited
/// as a `read` of `person.budget`.
#[utoipa::path(
    tag = "persons",
    operation_id = "read_budget",
    params(("id" = Uuid, Path, description = "Person id")),
    responses((status = 200, description = "The budget and its derived figures (version 0 and no line before the first PUT)", body = Budget, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}/budget")]
pub async fn read(ctx: Ctx, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let (mut work, _) = ctx
        .person(*id, PersonPart::ReadSituation, AuditResource::PersonBudget)
        .await?;
    let found = budgets::get(&mut work.tx, *id).await?;
    let household = households::get(&mut work.tx, *id).await?;
    work.audit(person_part_event(
        AuditAction::Read,
        AuditResource::PersonBudget,
        *id,
    ));
    let version = found.as_ref().map_or(0, |r| r.version);
    let household = household.map(|h| h.household);
    work.commit(ok_with_etag(
        version,
        Budget::of(*id, found, household.as_ref(), today()),
    ))
    .await
}

/// Replaces the budget of a person (`If-Match` required: `"0"` or `*` before the first one).
///
/// Workers and supervisors, on the persons they may see (404 otherwise). The whole budget is
/// written: lines and debts left out are removed (`debts` itself may be left out: the recorded
/// debts then stay as they are, so that a client that does not know them never erases them); at most 30
/// resources, 30 charges and 30 debts, each amount of 0 to 100 000 euros, blank labels and
/// creditors dropped. `If-Match` carries the version read; `"0"` or `*` writes the first
/// budget (428 without the header, 412 when stale). Answers the budget with its derived figures.
/// Audited as an `update` of `person.budget`.
#[utoipa::path(
    tag = "persons",
    operation_id = "replace_budget",
    params(("id" = Uuid, Path, description = "Person id"), crate::responses::IfMatchHeader),
    request_body(content = BudgetReplacement, example = json!({
        "resources": [
            {"kind": "salary", "amount_cents": 165000, "label": "Salaire de M."},
            {"kind": "family_allowances", "amount_cents": 14852},
            {"kind": "housing_allowance", "amount_cents": 31200},
            {"kind": "prime_activite", "amount_cents": 9500}
        ],
        "charges": [
            {"kind": "rent", "amount_cents": 72000},
            {"kind": "energy", "amount_cents": 13540},
            {"kind": "insurance", "amount_cents": 6200},
            {"kind": "loans", "amount_cents": 18000, "label": "Crédit auto"},
            {"kind": "debt_repayments", "amount_cents": 15000, "label": "Plan d'apurement loyer"}
        ],
        "debts": [
            {"kind": "rent_arrears", "creditor": "Office HLM", "amount_owed_cents": 180000,
             "monthly_repayment_cents": 15000},
            {"kind": "energy", "creditor": "Fournisseur d'électricité", "amount_owed_cents": 42050}
        ]
    })),
    responses((status = 200, description = "The budget as replaced, with its derived figures", body = Budget, headers(("ETag" = String))), WriteErrors),
    security(("bearer" = []))
)]
#[put("/{id}/budget")]
pub async fn replace(
    ctx: Ctx,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<BudgetReplacement>,
) -> Result<HttpResponse, ApiError> {
    let (mut work, _) = ctx
        .person(*id, PersonPart::WriteSituation, AuditResource::PersonBudget)
        .await?;
    let lines = parsed(&body)?;
    let written = budgets::replace(
        &mut work.tx,
        work.actor.org.id,
        work.actor.agent_id,
        *id,
        if_match.expected(),
        &lines,
        if body.debts.is_some() {
            DebtsWritten::Replaced
        } else {
            DebtsWritten::Kept
        },
    )
    .await?;
    let household = households::get(&mut work.tx, *id).await?;
    work.audit(person_part_event(
        AuditAction::Update,
        AuditResource::PersonBudget,
        *id,
    ));
    let household = household.map(|h| h.household);
    work.commit(ok_with_etag(
        written.version,
        Budget::of(*id, Some(written), household.as_ref(), today()),
    ))
    .await
}
