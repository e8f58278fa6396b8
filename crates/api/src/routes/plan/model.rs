//! The negotiated plan's request and response types: proposals with their frozen items,
//! decisions and observations, and the plan view with its indicators and the changes since
//! the last agreement.

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::proposal::{FieldChange, ItemChange, ItemRef};
use relais_domain::{DecisionChannel, DecisionOutcome, ProposalItem as DomainItem};
use relais_store::proposals::{DecisionRecord, ObservationRecord, ProposalRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::routes::plan_items::{PlanIndicators, PlanItem};
use crate::routes::view_from;

/// A new proposal: the body is empty or `{}` — the proposal freezes the plan as it stands.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProposal {}

/// The person's answer to a proposal.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlanDecision {
    /// `accepted` makes it the negotiated plan (a `planning` case becomes `active`);
    /// `changes_requested` and `refused` leave the case where it is.
    #[schema(schema_with = crate::schema::decision_outcome)]
    pub outcome: DecisionOutcome,
    /// How the person answered.
    #[schema(schema_with = crate::schema::decision_channel)]
    pub channel: DecisionChannel,
    /// What the person said (surrounding spaces are trimmed; blank is absent).
    #[validate(length(max = 5000))]
    #[schema(
        max_length = 5000,
        example = "Accord de Mme Lefèvre en entretien ; elle souhaite être accompagnée à la CAF."
    )]
    pub notes: Option<String>,
}

/// An observation the person makes on a proposal, after the fact.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewObservation {
    /// The person's remark, in their words (surrounding spaces are trimmed; not blank).
    #[validate(length(min = 1, max = 5000))]
    #[schema(
        min_length = 1,
        max_length = 5000,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$",
        example = "Le délai pour la CAF est trop court : je ne pourrai pas avoir l'avis d'imposition avant le 20."
    )]
    pub text: String,
    /// How the observation reached the service.
    #[schema(schema_with = crate::schema::decision_channel)]
    pub channel: DecisionChannel,
}

/// A step of the plan as the proposal froze it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProposalItem {
    /// The plan item's id (the item may since have changed or been removed).
    pub id: Uuid,
    #[schema(schema_with = crate::schema::party)]
    pub party: &'static str,
    /// Derived from `party`: `intervention`, `recommendation` (préconisation) or
    /// `partner_step`.
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
}

view_from!(DomainItem as i => ProposalItem {
    id, title, details, due_on, done_on, outcome, scheme_id, application_id;
    party: i.party.code(),
    kind: i.party.kind().code(),
    category: i.category.code(),
    domain: i.domain.code(),
    status: i.status.code(),
});

/// The person's answer, as recorded.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProposalDecision {
    #[schema(schema_with = crate::schema::decision_outcome)]
    pub outcome: &'static str,
    #[schema(schema_with = crate::schema::decision_channel)]
    pub channel: &'static str,
    pub notes: Option<String>,
    pub decided_at: DateTime<Utc>,
    /// The agent who recorded the answer.
    pub recorded_by: Uuid,
}

view_from!(DecisionRecord as d => ProposalDecision {
    notes, decided_at, recorded_by;
    outcome: d.outcome.code(),
    channel: d.channel.code(),
});

/// An observation the person made on the proposal; never edited.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProposalObservation {
    pub id: Uuid,
    pub text: String,
    #[schema(schema_with = crate::schema::decision_channel)]
    pub channel: &'static str,
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// The agent who recorded it.
    pub recorded_by: Uuid,
}

view_from!(ObservationRecord as o => ProposalObservation {
    id, text, at, recorded_by;
    channel: o.channel.code(),
});

/// A proposal of the plan: an immutable, numbered snapshot of its items, the person's answer
/// and their observations.
#[derive(Debug, Serialize, ToSchema)]
pub struct Proposal {
    pub case_id: Uuid,
    /// 1, 2, 3… within the case.
    #[schema(minimum = 1, example = 1)]
    pub number: i32,
    /// The items as they were when the proposal was made, in due-date order.
    pub items: Vec<ProposalItem>,
    /// Hex SHA-256 of the items' canonical JSON (sorted by id, fields in a fixed order): the
    /// same plan always has the same hash, and the written plan prints it.
    #[schema(
        pattern = "^[0-9a-f]{64}$",
        example = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    )]
    pub content_hash: String,
    pub created_at: DateTime<Utc>,
    /// The agent who made the proposal.
    pub created_by: Uuid,
    /// The person's answer; null until recorded.
    pub decision: Option<ProposalDecision>,
    /// Observations, oldest first.
    pub observations: Vec<ProposalObservation>,
    /// A later proposal exists: this one can no longer be decided.
    pub superseded: bool,
    /// Grows with each decision, observation or later proposal (the ETag).
    pub version: i32,
}

impl Proposal {
    pub(super) fn new(record: ProposalRecord, observations: Vec<ObservationRecord>) -> Self {
        let version = record.version();
        Self {
            case_id: record.case_id,
            number: record.number,
            items: record.items.into_iter().map(ProposalItem::from).collect(),
            content_hash: record.content_hash,
            created_at: record.created_at,
            created_by: record.created_by,
            decision: record.decision.map(ProposalDecision::from),
            observations: observations
                .into_iter()
                .map(ProposalObservation::from)
                .collect(),
            superseded: record.superseded,
            version,
        }
    }
}

/// A proposal in a list: its answer and counts, without its items.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalSummary {
    #[schema(minimum = 1, example = 1)]
    pub number: i32,
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub content_hash: String,
    pub item_count: usize,
    pub created_at: DateTime<Utc>,
    pub created_by: Uuid,
    pub decision: Option<ProposalDecision>,
    pub observation_count: i64,
    pub superseded: bool,
    pub version: i32,
}

view_from!(ProposalRecord as r => ProposalSummary {
    number, content_hash, created_at, created_by, observation_count, superseded;
    version: r.version(),
    item_count: r.items.len(),
    decision: r.decision.map(ProposalDecision::from),
});

/// A page of a case's proposals, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalList {
    pub items: Vec<ProposalSummary>,
    pub next_cursor: Option<String>,
}

/// The last proposal the person accepted.
#[derive(Debug, Serialize, ToSchema)]
pub struct LastAgreement {
    #[schema(minimum = 1, example = 2)]
    pub number: i32,
    pub decided_at: DateTime<Utc>,
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub content_hash: String,
}

/// An item added to or removed from the plan since the agreement.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanItemRef {
    pub item_id: Uuid,
    #[schema(schema_with = crate::schema::party)]
    pub party: &'static str,
    pub title: String,
}

impl From<ItemRef> for PlanItemRef {
    fn from(r: ItemRef) -> Self {
        Self {
            item_id: r.item_id,
            party: r.party.code(),
            title: r.title,
        }
    }
}

/// One field of an item that differs from the agreement, as JSON values (dates as
/// `YYYY-MM-DD`, codes as codes, absent as null).
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanFieldChange {
    #[schema(schema_with = crate::schema::plan_item_field, example = "due_on")]
    pub field: &'static str,
    /// The agreed value: a text, a date, a code or an id (null when absent).
    #[schema(value_type = Option<String>, example = "2027-03-12")]
    pub before: serde_json::Value,
    /// The value now, likewise.
    #[schema(value_type = Option<String>, example = "2027-03-26")]
    pub after: serde_json::Value,
    /// Whether the change alters what was agreed; progress (status, done date, outcome) does
    /// not, except cancelling or restoring a step.
    pub alters_agreement: bool,
}

view_from!(FieldChange as f => PlanFieldChange {
    field, before, after;
    alters_agreement: f.alters_agreement(),
});

/// An item of both the agreement and the plan now, with the fields that differ.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanItemChange {
    pub item_id: Uuid,
    /// The current title.
    pub title: String,
    pub fields: Vec<PlanFieldChange>,
}

impl From<ItemChange> for PlanItemChange {
    fn from(c: ItemChange) -> Self {
        Self {
            item_id: c.item_id,
            title: c.title,
            fields: c.fields.into_iter().map(PlanFieldChange::from).collect(),
        }
    }
}

/// What changed in the plan since the last agreement.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanChanges {
    /// Items added since, in the plan's order.
    pub added: Vec<PlanItemRef>,
    /// Items of the agreement no longer in the plan.
    pub removed: Vec<PlanItemRef>,
    /// Items whose fields changed, field by field.
    pub changed: Vec<PlanItemChange>,
}

impl From<relais_domain::PlanChanges> for PlanChanges {
    fn from(c: relais_domain::PlanChanges) -> Self {
        Self {
            added: c.added.into_iter().map(PlanItemRef::from).collect(),
            removed: c.removed.into_iter().map(PlanItemRef::from).collect(),
            changed: c.changed.into_iter().map(PlanItemChange::from).collect(),
        }
    }
}

/// The plan's figures, with the case's durations.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanViewIndicators {
    #[serde(flatten)]
    pub plan: PlanIndicators,
    /// Days since the case was opened (until its closure for a closed case).
    pub days_open: i64,
    /// Days planned from opening to the target end date.
    pub target_days: i64,
    /// Days from the case's opening (the first contact) to the first accepted proposal; null
    /// until one is accepted.
    pub days_to_agreement: Option<i64>,
}

/// The plan of a case: its items, indicators, and how it stands against the last agreement.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanView {
    pub case_id: Uuid,
    /// Every item, by due date then id.
    pub items: Vec<PlanItem>,
    pub indicators: PlanViewIndicators,
    /// The last accepted proposal; null when none was accepted.
    pub last_agreement: Option<LastAgreement>,
    /// The changes since the last agreement; null when none was accepted.
    pub changes_since_agreement: Option<PlanChanges>,
    /// The plan as it stands is not agreed: it has items and no proposal was accepted, or it
    /// changed since the last agreement in more than its progress (see `alters_agreement`).
    pub needs_new_agreement: bool,
}
