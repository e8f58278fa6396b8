//! Plan items' request and response types (a new item, its merge patch, the item as shown, a
//! page of items), the merge of a patch into a stored item, and the list cursor.

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::plan::TEXT_MAX_CHARS;
use relais_domain::{Domain, ItemCategory, ItemStatus, Party, PlanItemTitle, settle_done_on};
use relais_store::plan_items::PlanItemRecord;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::error::{ApiError, FieldError};
use crate::patch::{apply, nullable};

/// The categories a step may have by its party (`relais_domain::plan::categories_for`), as
/// rules of the document on `NewPlanItem`.
pub fn category_rules() -> (&'static str, Vec<serde_json::Value>) {
    use relais_domain::Coded;
    let rules = Party::ALL
        .iter()
        .map(|party| {
            let allowed: Vec<&str> = relais_domain::plan::categories_for(*party)
                .iter()
                .map(|category| category.code())
                .collect();
            serde_json::json!({
                "if": {"required": ["party"], "properties": {"party": {"const": party.code()}}},
                "then": {"properties": {"category": {"enum": allowed}}},
            })
        })
        .collect();
    ("NewPlanItem", rules)
}

/// A new step of the plan; it starts `planned`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlanItem {
    /// Who acts: the worker (an intervention), the person (a préconisation) or a partner.
    /// Fixed once the item exists.
    #[schema(schema_with = crate::schema::party)]
    pub party: Party,
    /// One of the party's categories (`GET /v1/reference`, list `item_category`): worker —
    /// orientation, investigation, partner_consultation, social_report, correspondence;
    /// person — paperwork, orientation, calls_and_visits; partner — orientation,
    /// investigation, partner_consultation, correspondence, paperwork.
    #[schema(schema_with = crate::schema::item_category)]
    pub category: ItemCategory,
    /// The domain of social protection the step serves.
    #[schema(schema_with = crate::schema::domain)]
    pub domain: Domain,
    /// What is to be done (surrounding spaces are trimmed; not blank).
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        example = "Constituer le dossier de demande d'aide au FSL"
    )]
    pub title: String,
    /// How, with whom, what to bring.
    #[validate(length(max = 5000))]
    #[schema(
        max_length = 5000,
        example = "Rassembler les trois dernières quittances et l'avis d'imposition."
    )]
    pub details: Option<String>,
    /// The deadline; not before the case's opening date.
    #[schema(example = "2026-12-15")]
    pub due_on: NaiveDate,
    /// The scheme (dispositif) the step is about, if any.
    pub scheme_id: Option<Uuid>,
    /// The application (dossier de demande) the step is about, if any.
    pub application_id: Option<Uuid>,
}

/// Changes to a plan item (JSON merge patch): an absent field keeps its value, `null` clears
/// an optional one. `party` is fixed at creation (sending it answers 422 `immutable`).
/// Status changes follow the item lifecycle (409 `invalid_item_transition` otherwise):
/// planned, in_progress and blocked move to any other status; done only back to in_progress;
/// cancelled only back to planned. Moving to `done` sets `done_on` to the date given (not in
/// the future) or today; leaving `done` clears it.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanItemPatch {
    /// Refused when present: the party of an item never changes.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(ignore)]
    pub party: Option<Option<serde_json::Value>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(schema_with = crate::schema::item_category)]
    pub category: Option<ItemCategory>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(schema_with = crate::schema::domain)]
    pub domain: Option<Domain>,
    #[serde(default, deserialize_with = "not_null")]
    #[validate(length(min = 1, max = 200))]
    #[schema(nullable = false,
        value_type = String,
        min_length = 1,
        max_length = 200,
        example = "Déposer le dossier FSL"
    )]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 5000)]
    pub details: Option<Option<String>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = NaiveDate, example = "2027-01-15")]
    pub due_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(schema_with = crate::schema::item_status)]
    pub status: Option<ItemStatus>,
    /// The day the step was done: only for a done item, not in the future.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>, example = "2026-11-20")]
    pub done_on: Option<Option<NaiveDate>>,
    /// What came of the step.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(
        value_type = Option<String>,
        max_length = 5000,
        example = "Dossier déposé, passage en commission le 12 décembre."
    )]
    pub outcome: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub scheme_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub application_id: Option<Option<Uuid>>,
}

/// A merge-patch field that may be absent but not `null`: a required field cannot be cleared,
/// and silently keeping it would hide the client's mistake.
fn not_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// A step of the help plan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanItem {
    pub id: Uuid,
    pub case_id: Uuid,
    #[schema(schema_with = crate::schema::party)]
    pub party: &'static str,
    /// Derived from `party`: `intervention` (worker), `recommendation` (person, préconisation)
    /// or `partner_step`.
    #[schema(schema_with = crate::schema::item_kind)]
    pub kind: &'static str,
    #[schema(schema_with = crate::schema::item_category)]
    pub category: &'static str,
    #[schema(schema_with = crate::schema::domain)]
    pub domain: &'static str,
    #[schema(example = "Constituer le dossier de demande d'aide au FSL")]
    pub title: String,
    pub details: Option<String>,
    pub due_on: NaiveDate,
    #[schema(schema_with = crate::schema::item_status)]
    pub status: &'static str,
    pub done_on: Option<NaiveDate>,
    pub outcome: Option<String>,
    pub scheme_id: Option<Uuid>,
    pub application_id: Option<Uuid>,
    /// The due date has passed and the step is still planned, in progress or blocked.
    pub overdue: bool,
    pub created_at: DateTime<Utc>,
    pub created_by: Uuid,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Uuid,
    pub version: i32,
}

impl PlanItem {
    /// The item as shown on `today` (which decides `overdue`; none: not overdue, a closed
    /// case's step).
    pub fn from_record(r: PlanItemRecord, today: impl Into<Option<NaiveDate>>) -> Self {
        Self {
            overdue: r.is_overdue(today.into()),
            id: r.id,
            case_id: r.case_id,
            party: r.party.code(),
            kind: r.party.kind().code(),
            category: r.category.code(),
            domain: r.domain.code(),
            title: r.title,
            details: r.details,
            due_on: r.due_on,
            status: r.status.code(),
            done_on: r.done_on,
            outcome: r.outcome,
            scheme_id: r.scheme_id,
            application_id: r.application_id,
            created_at: r.created_at,
            created_by: r.created_by,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
            version: r.version,
        }
    }
}

/// A page of a case's plan items, by due date then id.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanItemList {
    pub items: Vec<PlanItem>,
    pub next_cursor: Option<String>,
}

/// Trims an optional text; blank becomes absent.
pub(super) use crate::routes::trimmed as text;

fn check_text(value: Option<&str>, pointer: &str, errors: &mut Vec<FieldError>) {
    if value.is_some_and(|v| v.chars().count() > TEXT_MAX_CHARS) {
        errors.push(FieldError::body(
            pointer,
            "length",
            format!("length must be at most {TEXT_MAX_CHARS}"),
        ));
    }
}

/// The title, or the field error at `/title`.
pub(super) fn title(raw: &str) -> Result<PlanItemTitle, FieldError> {
    PlanItemTitle::parse(raw).map_err(|e| FieldError::refused("/title", &e))
}

/// The error of a category that the party cannot carry out.
pub(super) fn category_mismatch(category: ItemCategory, party: Party) -> FieldError {
    FieldError::body(
        "/category",
        "category_not_allowed_for_party",
        format!(
            "a {} item cannot be of category {}; allowed: {}",
            party.code(),
            category.code(),
            relais_domain::categories_for(party)
                .iter()
                .map(|c| c.code())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
}

/// The error of a due date before the case was opened.
pub(super) fn due_before_opening(opened_on: NaiveDate) -> FieldError {
    FieldError::body(
        "/due_on",
        "out_of_range",
        format!("the due date cannot be before the case's opening date ({opened_on})"),
    )
}

/// An item's state after a patch, and which fields changed.
pub(super) struct Merged {
    pub category: ItemCategory,
    pub domain: Domain,
    pub title: String,
    pub details: Option<String>,
    pub scheme_id: Option<Uuid>,
    pub application_id: Option<Uuid>,
    pub due_on: NaiveDate,
    pub status: ItemStatus,
    pub done_on: Option<NaiveDate>,
    pub outcome: Option<String>,
    pub changed: Vec<&'static str>,
}

/// Merges `patch` into `current`, applying the plan's rules: the party's categories, a
/// non-blank title, texts' lengths, a due date not before `opened_on`, the item lifecycle and
/// the done date.
///
/// # Errors
/// 422 with every field error found, or 409 `invalid_item_transition`.
pub(super) fn merge(
    current: &PlanItemRecord,
    patch: &PlanItemPatch,
    opened_on: NaiveDate,
    today: NaiveDate,
) -> Result<Merged, ApiError> {
    let mut errors = Vec::new();
    if patch.party.is_some() {
        errors.push(FieldError::body(
            "/party",
            "immutable",
            "the party of an item cannot change: remove it and add another",
        ));
    }
    let category = patch.category.unwrap_or(current.category);
    if patch.category.is_some() && !category.allowed_for(current.party) {
        errors.push(category_mismatch(category, current.party));
    }
    let new_title = match patch.title.as_deref().map(title).transpose() {
        Ok(t) => t.map(|t| t.as_str().to_owned()),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let details = patch.details.as_ref().map(|d| text(d.as_deref()));
    let outcome = patch.outcome.as_ref().map(|o| text(o.as_deref()));
    check_text(
        details.clone().flatten().as_deref(),
        "/details",
        &mut errors,
    );
    check_text(
        outcome.clone().flatten().as_deref(),
        "/outcome",
        &mut errors,
    );
    if let Some(due) = patch.due_on
        && due < opened_on
    {
        errors.push(due_before_opening(opened_on));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let status = match patch.status {
        Some(next) if next != current.status => current.status.transition(next)?,
        _ => current.status,
    };
    let done_on = settle_done_on(
        current.status,
        current.done_on,
        status,
        patch.done_on,
        today,
    )
    .map_err(|e| ApiError::refused_at("/done_on", &e))?;
    let merged = Merged {
        category,
        domain: patch.domain.unwrap_or(current.domain),
        title: new_title.unwrap_or_else(|| current.title.clone()),
        details: apply(current.details.clone(), details),
        scheme_id: apply(current.scheme_id, patch.scheme_id),
        application_id: apply(current.application_id, patch.application_id),
        due_on: patch.due_on.unwrap_or(current.due_on),
        status,
        done_on,
        outcome: apply(current.outcome.clone(), outcome),
        changed: Vec::new(),
    };
    Ok(with_changes(current, merged))
}

/// Fills `changed` with the names of the fields whose value differs from `current`.
fn with_changes(current: &PlanItemRecord, mut m: Merged) -> Merged {
    let checks = [
        ("category", m.category != current.category),
        ("domain", m.domain != current.domain),
        ("title", m.title != current.title),
        ("details", m.details != current.details),
        ("due_on", m.due_on != current.due_on),
        ("status", m.status != current.status),
        ("done_on", m.done_on != current.done_on),
        ("outcome", m.outcome != current.outcome),
        ("scheme_id", m.scheme_id != current.scheme_id),
        ("application_id", m.application_id != current.application_id),
    ];
    m.changed = checks
        .into_iter()
        .filter(|(_, differs)| *differs)
        .map(|(name, _)| name)
        .collect();
    m
}
