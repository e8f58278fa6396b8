//! Cases' request and response types (a new case, its changes, a transition, the case with its
//! indicators, the timeline) and their conversion from the store's records.

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::case::{figures_day, is_review_due};
use relais_domain::{CaseOrigin, CaseStatus, ClosureReason, ItemStatus, Party};
use relais_store::Code;
use relais_store::cases::{CaseRecord, PendingItem};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::error::Problem;
use crate::patch::nullable;
use crate::routes::persons::{NewPerson, Person};
use crate::routes::view_from;

/// A new case: for an existing person (`person_id`) or a new one (`person`).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    pub person_id: Option<Uuid>,
    #[validate(nested)]
    pub person: Option<NewPerson>,
    /// The reason for contact (motif), in the person's words where possible.
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    #[schema(example = "Impayés de loyer depuis trois mois")]
    pub reason: String,
    #[schema(schema_with = crate::schema::case_origin)]
    pub origin: CaseOrigin,
    /// The referent worker; defaults to the caller when the caller is a worker.
    pub referent_id: Option<Uuid>,
    /// Other agents of the case team.
    #[validate(length(max = 20))]
    #[schema(max_items = 20)]
    pub team_ids: Option<Vec<Uuid>>,
    /// The opening date, for a case entered as it stands (back-entry from the paper file):
    /// today or up to 24 months back; today by default. Steps due and contacts held since then
    /// are accepted.
    #[schema(example = "2026-03-02")]
    pub opened_on: Option<NaiveDate>,
    /// After the opening date. Defaults to the opening date plus the organisation's case length
    /// (6 months).
    pub target_end_on: Option<NaiveDate>,
}

/// Assignment and planning changes (JSON merge patch).
#[derive(Debug, Deserialize, Validate, ToSchema, Default)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"target_end_on": "2027-06-30"}))]
pub struct CasePatch {
    /// The referent (supervisor only); `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub referent_id: Option<Option<Uuid>>,
    /// The whole team (supervisor only); the referent is always part of it.
    #[validate(length(max = 20))]
    #[schema(max_items = 20)]
    pub team_ids: Option<Vec<Uuid>>,
    pub target_end_on: Option<NaiveDate>,
}

/// Closing a case needs a closure reason (`relais_domain::case`'s `closure_reason_required`),
/// stated in the document on `to`.
pub const TRANSITION_FIELDS: crate::openapi::Variants = crate::openapi::Variants {
    schema: "NewTransition",
    on: "to",
    cases: &[
        ("intake", &[], &[]),
        ("assessment", &[], &[]),
        ("planning", &[], &[]),
        ("active", &[], &[]),
        ("closed", &["closure_reason"], &[]),
        ("archived", &[], &[]),
    ],
};

/// A lifecycle change.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"to": "closed", "closure_reason": "goals_met", "orientation": "Suivi par le CCAS de Lyon 3e", "review_due_on": "2027-01-15", "force": false}))]
pub struct NewTransition {
    #[schema(schema_with = crate::schema::case_status)]
    pub to: CaseStatus,
    /// Why (required to reopen a closed case).
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: Option<String>,
    /// Required to close.
    #[schema(schema_with = crate::schema::closure_reason_nullable)]
    pub closure_reason: Option<ClosureReason>,
    /// Where the person goes next (on closure).
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub orientation: Option<String>,
    /// On closure: the date of the post-closure review, after the closure date. By default the
    /// closure date plus the organisation's review delay (28 days), or no review at all for a
    /// closure as `person_withdrew`, `unreachable`, `moved_away` or `deceased`.
    pub review_due_on: Option<NaiveDate>,
    /// On closure: close even though plan items are still planned, in progress or blocked
    /// (without it, such a closure answers 409 `pending_plan_items` with the list).
    #[serde(default)]
    pub force: bool,
}

/// A plan item still pending when a closure was asked for.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PendingPlanItem {
    pub id: Uuid,
    pub title: String,
    #[schema(schema_with = crate::schema::party)]
    pub party: Party,
    pub due_on: NaiveDate,
    #[schema(schema_with = crate::schema::item_status)]
    pub status: ItemStatus,
}

view_from!(PendingItem => PendingPlanItem {
    id, title, party, due_on, status,
});

/// 409 `pending_plan_items`: the problem document and the plan items still pending; send the
/// transition again with `force: true` to close anyway.
#[derive(Debug, Serialize, ToSchema)]
pub struct PendingItemsProblem {
    #[serde(flatten)]
    pub problem: Problem,
    /// With `pending_plan_items` only: the pending items, by due date.
    #[schema(required = false)]
    pub items: Vec<PendingPlanItem>,
}

/// Figures about a case.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseIndicators {
    /// Days since opening (until closure for a closed case).
    pub days_open: i64,
    /// Days planned from opening to the target end date.
    pub target_days: i64,
    /// Days left before the target end date (negative when past it); for a closed or archived
    /// case, as they stood at its closure.
    pub days_remaining: i64,
    /// Still open after the target end date.
    pub past_target: bool,
    /// Closed, the post-closure review date has come and no review contact was held since the
    /// closure.
    pub review_due: bool,
}

/// A case.
#[derive(Debug, Serialize, ToSchema)]
pub struct Case {
    pub id: Uuid,
    pub person_id: Uuid,
    #[schema(schema_with = crate::schema::case_status)]
    pub status: &'static str,
    pub reason: String,
    #[schema(schema_with = crate::schema::case_origin)]
    pub origin: CaseOrigin,
    pub referent_id: Option<Uuid>,
    /// The team's members in their own right, the referent among them (what `PATCH` sets).
    pub team_ids: Vec<Uuid>,
    /// Agents on the team while the referent is away: the delegates of their running absences
    /// (`/v1/agents/{id}/absences`); they leave when the absence ends.
    pub delegate_ids: Vec<Uuid>,
    pub opened_on: NaiveDate,
    pub target_end_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    #[schema(schema_with = crate::schema::closure_reason_nullable)]
    pub closure_reason: Option<ClosureReason>,
    pub orientation: Option<String>,
    pub review_due_on: Option<NaiveDate>,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub indicators: CaseIndicators,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl Case {
    pub(super) fn from_record(r: CaseRecord, today: NaiveDate) -> Self {
        let status = r.status();
        let open = status.is_open();
        // A closed case's figures freeze at its closure.
        let day = figures_day(status, r.closed_on, today);
        let indicators = CaseIndicators {
            days_open: (day - r.opened_on).num_days(),
            target_days: (r.target_end_on - r.opened_on).num_days(),
            days_remaining: (r.target_end_on - day).num_days(),
            past_target: open && today > r.target_end_on,
            review_due: is_review_due(status, r.review_due_on, r.review_held, today),
        };
        Self {
            id: r.id,
            person_id: r.person_id,
            status: status.code(),
            reason: r.reason,
            origin: r.origin,
            referent_id: r.referent_id,
            team_ids: r.team_ids,
            delegate_ids: r.delegate_ids,
            opened_on: r.opened_on,
            target_end_on: r.target_end_on,
            closed_on: r.closed_on,
            closure_reason: r.closure_reason.map(Code::into_inner),
            orientation: r.orientation,
            review_due_on: r.review_due_on,
            last_contact_at: r.last_contact_at,
            indicators,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

/// A new case, with the person when it was created inline.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedCase {
    #[serde(flatten)]
    pub case: Case,
    /// The person created with the case, if any.
    pub person: Option<Person>,
}

/// A page of cases.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseList {
    pub items: Vec<Case>,
    pub next_cursor: Option<String>,
}

/// A page of the timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct Timeline {
    pub items: Vec<super::events::TimelineEvent>,
    pub next_cursor: Option<String>,
}

/// A case as the agent who opened it today sees it at the front desk: no content.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenedCase {
    pub id: Uuid,
    pub person_id: Uuid,
    #[schema(schema_with = crate::schema::case_status)]
    pub status: &'static str,
    #[schema(schema_with = crate::schema::case_origin)]
    pub origin: CaseOrigin,
    /// Null while the case waits for a referent.
    pub referent_id: Option<Uuid>,
    pub opened_on: NaiveDate,
    pub created_at: DateTime<Utc>,
}

view_from!(relais_store::cases::OpenedCase as r => OpenedCase {
    id, person_id, origin, referent_id, opened_on, created_at;
    status: r.status.code(),
});

/// A page of the cases opened today.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenedCaseList {
    pub items: Vec<OpenedCase>,
    pub next_cursor: Option<String>,
}
