//! The case timeline's events, typed by kind: each kind says which statuses it moves and what
//! its `data` holds, so that a generated client reads `data` as a type instead of a loose map.
//!
//! The store keeps each event's `data` as JSON written by the operation that happened
//! (`relais_store::cases`, `contacts`, `plan_items`…); an event is read back through these
//! types, which refuse a field they do not know: a writer that changes its shape without its
//! type here fails the timeline's tests instead of publishing what the document does not say.

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::{
    ApplicationDecision, ApplicationStatus, CaseStatus, ClosureReason, ContactKind,
    DecisionChannel, DecisionOutcome, Domain, ItemCategory, ItemStatus, LegalBasis, LiaisonStatus,
    Party,
};
use relais_store::cases::CaseEvent;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiError;

/// One event of the timeline: when, who, and what happened (`kind`, with the statuses it moved
/// and its `data`).
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEvent {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// The agent who acted (null for the system).
    pub actor_id: Option<Uuid>,
    /// The reason given, where the operation takes one (a reopening, a withdrawal…).
    pub reason: Option<String>,
    #[serde(flatten)]
    pub what: EventKind,
}

/// What happened, by `kind`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// The case was opened.
    Created(Created),
    /// Its referent, team or target end date changed.
    Updated(Updated),
    /// Its status changed.
    Transition(Transition),
    /// The assessment by domain was replaced.
    AssessmentUpdated(Unmoved<AssessmentUpdated>),
    /// A step was added to the help plan.
    PlanItemAdded(Unmoved<PlanItemAdded>),
    /// A step of the plan changed.
    PlanItemUpdated(Unmoved<PlanItemUpdated>),
    /// A step was removed from the plan.
    PlanItemRemoved(Unmoved<PlanItemRemoved>),
    /// The plan was proposed to the person (a numbered proposal).
    PlanProposed(Unmoved<PlanProposed>),
    /// The person decided on a proposal.
    PlanDecision(Unmoved<PlanDecision>),
    /// The person made an observation on a proposal.
    PlanObservation(Unmoved<PlanObservation>),
    /// A contact was recorded, planned or held.
    ContactCreated(Unmoved<ContactCreated>),
    /// A contact changed.
    ContactUpdated(Unmoved<ContactUpdated>),
    /// A liaison sheet was drafted.
    LiaisonCreated(Unmoved<LiaisonCreated>),
    /// A liaison sheet was sent.
    LiaisonSent(Unmoved<LiaisonMoved>),
    /// The destination acknowledged a liaison sheet.
    LiaisonAcknowledged(Unmoved<LiaisonMoved>),
    /// The destination declined a liaison sheet.
    LiaisonDeclined(Unmoved<LiaisonMoved>),
    /// A document was uploaded to the case.
    DocumentUploaded(Unmoved<DocumentUploaded>),
    /// An application to a scheme was started.
    ApplicationCreated(ApplicationCreated),
    /// An application's status changed.
    ApplicationStatusChanged(ApplicationStatusChanged),
    /// A version of an application's social report was written.
    SocialReportWritten(Unmoved<SocialReportWritten>),
}

/// An event that moves no status: `from_status` and `to_status` are null.
///
/// The kinds' wrappers take no `deny_unknown_fields`: they are read from what
/// [`TimelineEvent::try_from`] builds, and their schemas are combined (`allOf`) with the
/// event's own fields. Their `data` refuses what it does not know.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Unmoved<T> {
    /// Always null.
    #[schema(schema_with = crate::schema::always_null)]
    pub from_status: Option<Never>,
    /// Always null.
    #[schema(schema_with = crate::schema::always_null)]
    pub to_status: Option<Never>,
    pub data: T,
}

/// A value that never exists: the statuses an event does not move are always null.
#[derive(Debug, Serialize, Deserialize)]
pub enum Never {}

/// Nothing more: `{}`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoData {}

/// `created`: the case opened in `to_status`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Created {
    /// Always null.
    #[schema(schema_with = crate::schema::always_null)]
    pub from_status: Option<Never>,
    #[schema(schema_with = crate::schema::case_status)]
    pub to_status: CaseStatus,
    pub data: NoData,
}

/// `updated`: the case's assignment or target after the change (a field not changed is null).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Updated {
    /// Always null.
    #[schema(schema_with = crate::schema::always_null)]
    pub from_status: Option<Never>,
    /// Always null.
    #[schema(schema_with = crate::schema::always_null)]
    pub to_status: Option<Never>,
    pub data: UpdatedData,
}

/// What an `updated` event set.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatedData {
    pub referent_id: Option<Uuid>,
    pub team_ids: Option<Vec<Uuid>>,
    pub target_end_on: Option<NaiveDate>,
}

/// `transition`: the case moved from `from_status` to `to_status`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Transition {
    #[schema(schema_with = crate::schema::case_status)]
    pub from_status: CaseStatus,
    #[schema(schema_with = crate::schema::case_status)]
    pub to_status: CaseStatus,
    pub data: TransitionData,
}

/// What a transition records, by the kind of move.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum TransitionData {
    /// A closure.
    Closure(Closure),
    /// A reopening of a closed case.
    Reopening(Reopening),
    /// The first interview held moved the case from `intake` to `assessment`.
    FirstInterview(FirstInterview),
    /// Any other move.
    Other(OtherMove),
}

/// A closure's reason, orientation and review, and the plan items it was forced over.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Closure {
    #[schema(schema_with = crate::schema::closure_reason_nullable)]
    pub closure_reason: Option<ClosureReason>,
    pub orientation: Option<String>,
    pub review_due_on: Option<NaiveDate>,
    /// Whether the closure was forced over pending plan items.
    pub forced: bool,
    /// The plan items still pending at the closure.
    pub pending_items: Vec<super::model::PendingPlanItem>,
}

/// A reopening: the closure it undid.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reopening {
    pub previous_closure: PreviousClosure,
}

/// The closure a reopening undid.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviousClosure {
    pub closed_on: Option<NaiveDate>,
    #[schema(schema_with = crate::schema::closure_reason_nullable)]
    pub closure_reason: Option<ClosureReason>,
    pub orientation: Option<String>,
    pub review_due_on: Option<NaiveDate>,
}

/// The contact whose holding moved the case.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FirstInterview {
    pub contact_id: Uuid,
}

/// Another move: no closure to record (both null).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OtherMove {
    /// Always null.
    #[schema(schema_with = crate::schema::always_null)]
    pub closure_reason: Option<Never>,
    /// Always null.
    #[schema(schema_with = crate::schema::always_null)]
    pub orientation: Option<Never>,
}

/// The assessment after a change.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentUpdated {
    /// The domains needing action after the change.
    #[schema(schema_with = crate::schema::domain_list)]
    pub domains_needing_action: Vec<Domain>,
    /// The domains (re)assessed by the change.
    #[schema(schema_with = crate::schema::domain_list)]
    pub assessed: Vec<Domain>,
    /// The domains the change removed.
    #[schema(schema_with = crate::schema::domain_list)]
    pub removed: Vec<Domain>,
}

/// A step added to the plan.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanItemAdded {
    pub item_id: Uuid,
    pub title: String,
    #[schema(schema_with = crate::schema::party)]
    pub party: Party,
    #[schema(schema_with = crate::schema::item_category)]
    pub category: ItemCategory,
    pub due_on: NaiveDate,
}

/// A step of the plan that changed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanItemUpdated {
    pub item_id: Uuid,
    pub title: String,
    /// The fields that changed.
    #[schema(schema_with = crate::schema::plan_item_fields)]
    pub changed: Vec<String>,
    #[schema(schema_with = crate::schema::item_status)]
    pub status: ItemStatus,
}

/// A step removed from the plan.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanItemRemoved {
    pub item_id: Uuid,
    pub title: String,
}

/// A proposal of the plan.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanProposed {
    pub number: i32,
    /// The SHA-256 of the proposal's content, printed on the written plan.
    pub content_hash: String,
    /// How many steps it holds.
    pub items: i32,
}

/// The person's decision on a proposal.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanDecision {
    pub number: i32,
    #[schema(schema_with = crate::schema::decision_outcome)]
    pub outcome: DecisionOutcome,
    #[schema(schema_with = crate::schema::decision_channel)]
    pub channel: DecisionChannel,
}

/// An observation of the person on a proposal.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanObservation {
    pub number: i32,
    #[schema(schema_with = crate::schema::decision_channel)]
    pub channel: DecisionChannel,
}

/// A contact recorded.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactCreated {
    pub contact_id: Uuid,
    #[schema(schema_with = crate::schema::contact_kind)]
    pub contact_kind: ContactKind,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub group_session_id: Option<Uuid>,
}

/// A contact changed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactUpdated {
    pub contact_id: Uuid,
    #[schema(schema_with = crate::schema::contact_kind)]
    pub contact_kind: ContactKind,
    pub occurred_at: Option<DateTime<Utc>>,
}

/// Where a liaison sheet goes: a registered partner, or a named institution.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum LiaisonDestination {
    Partner(PartnerDestination),
    Named(NamedDestination),
}

/// A registered partner.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerDestination {
    pub partner_id: Uuid,
}

/// An institution that is not a registered partner.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NamedDestination {
    pub name: String,
}

/// A liaison sheet drafted.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiaisonCreated {
    pub liaison_id: Uuid,
    pub destination: LiaisonDestination,
    #[schema(schema_with = crate::schema::legal_basis)]
    pub legal_basis: LegalBasis,
}

/// A liaison sheet's status change (sent, acknowledged, declined).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiaisonMoved {
    pub liaison_id: Uuid,
    pub destination: LiaisonDestination,
    #[schema(schema_with = crate::schema::liaison_status)]
    pub from: LiaisonStatus,
    #[schema(schema_with = crate::schema::liaison_status)]
    pub to: LiaisonStatus,
}

/// A document uploaded (its metadata; never its bytes).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentUploaded {
    pub document_id: Uuid,
    pub filename: String,
    #[schema(example = "application/pdf")]
    pub content_type: String,
    pub size_bytes: i64,
}

/// `application_created`: an application started in `to_status` (an application status).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApplicationCreated {
    /// Always null.
    #[schema(schema_with = crate::schema::always_null)]
    pub from_status: Option<Never>,
    #[schema(schema_with = crate::schema::application_status)]
    pub to_status: ApplicationStatus,
    pub data: ApplicationCreatedData,
}

/// The application started, and its scheme.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationCreatedData {
    pub application_id: Uuid,
    pub scheme_id: Uuid,
}

/// `application_status_changed`: an application moved between application statuses.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApplicationStatusChanged {
    #[schema(schema_with = crate::schema::application_status)]
    pub from_status: ApplicationStatus,
    #[schema(schema_with = crate::schema::application_status)]
    pub to_status: ApplicationStatus,
    pub data: ApplicationMove,
}

/// The application moved; with the decision when it was decided, or the count of required
/// documents still missing when the checklist moved it by itself.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationMove {
    pub application_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = crate::schema::application_decision)]
    pub decision: Option<ApplicationDecision>,
    /// Present (true) when the checklist moved the application by itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automatic: Option<bool>,
    /// With `automatic`: the required documents still missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing_required: Option<i64>,
}

/// A version of an application's social report.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SocialReportWritten {
    pub application_id: Uuid,
    pub version_no: i32,
}

impl TryFrom<CaseEvent> for TimelineEvent {
    type Error = ApiError;

    /// Reads the stored event through its kind's type; a shape the type does not know is a
    /// server error (logged with the event), never a loose object passed on.
    fn try_from(e: CaseEvent) -> Result<Self, ApiError> {
        let what = serde_json::json!({
            "kind": e.kind,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "data": e.data,
        });
        let what = EventKind::deserialize(what).map_err(|error| {
            ApiError::internal(std::io::Error::other(format!(
                "timeline event {} ({}) of unknown shape: {error}",
                e.id, e.kind
            )))
        })?;
        Ok(Self {
            id: e.id,
            at: e.at,
            actor_id: e.actor_id,
            reason: e.reason,
            what,
        })
    }
}
