//! The case timeline's events, typed by kind: each kind says which statuses it moves and what
//! its `data` holds, so that a generated client reads `data` as a type instead of a loose map.
//!
//! The store keeps each event's `data` as JSON written by the operation that happened
//! (`relais_store::cases`, `contacts`, `plan_items`…); an event is read back through these
//! types, which refuse a field they do not know: a writer that changes its shape without its
//! type here fails the timeline's tests instead of publishing what the document does not say.

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::{
    ApplicationDecision, ApplicationStatus, CaseStatus, ClosureReason, ContactKind, ContactStatus,
    DecisionChannel, DecisionOutcome, Domain, ItemCategory, ItemStatus, LegalBasis, LiaisonStatus,
    Party,
};
use relais_store::cases::CaseEvent;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiError;

/// Declares [`TimelineEvent`], one variant per kind, and each kind's event: the common fields
/// (`id`, `at`, `actor_id`, `reason`), its `kind` (a one-value code, the discriminator), the
/// statuses it moves (or `null`) and its `data`.
macro_rules! timeline_events {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident($event:ident, $kind_code:ident = $kind:literal) {
            from_status: $from:ty => $from_schema:path,
            to_status: $to:ty => $to_schema:path,
            data: $data:ty,
        }
    )*) => {
        /// One event of the timeline, by `kind`: when, who, the statuses it moved, and what its
        /// `data` holds.
        #[derive(Debug, Serialize, Deserialize, ToSchema)]
        #[serde(untagged)]
        #[schema(discriminator(property_name = "kind", mapping(
            $(($kind = concat!("#/components/schemas/", stringify!($event))),)*
        )))]
        pub enum TimelineEvent {
            $($(#[doc = $doc])* $variant($event),)*
        }

        impl TimelineEvent {
            /// Every kind, as `kind` names it.
            pub const KINDS: &[&str] = &[$($kind),*];
        }

        $(
            crate::schema::constant_code! {
                #[doc = concat!("The `kind` of a `", $kind, "` event: that text only.")]
                $kind_code = $kind
            }

            $(#[doc = $doc])*
            #[derive(Debug, Serialize, Deserialize, ToSchema)]
            #[serde(deny_unknown_fields)]
            pub struct $event {
                pub id: Uuid,
                pub at: DateTime<Utc>,
                /// The agent who acted (null for the system).
                pub actor_id: Option<Uuid>,
                #[schema(inline)]
                pub kind: $kind_code,
                #[schema(schema_with = $from_schema)]
                pub from_status: $from,
                #[schema(schema_with = $to_schema)]
                pub to_status: $to,
                /// The reason given, where the operation takes one (a reopening, a
                /// withdrawal…).
                pub reason: Option<String>,
                pub data: $data,
            }
        )*
    };
}

use crate::schema::{always_null as null, application_status, case_status};

timeline_events! {
    /// The case was opened.
    Created(CreatedEvent, CreatedKind = "created") {
        from_status: Option<Never> => null,
        to_status: CaseStatus => case_status,
        data: NoData,
    }
    /// Its referent, team or target end date changed.
    Updated(UpdatedEvent, UpdatedKind = "updated") {
        from_status: Option<Never> => null,
        to_status: Option<Never> => null,
        data: UpdatedData,
    }
    /// Its referent changed in a handover of cases (`POST /v1/cases/reassignments`).
    Reassigned(ReassignedEvent, ReassignedKind = "reassigned") {
        from_status: Option<Never> => null,
        to_status: Option<Never> => null,
        data: ReassignedData,
    }
    /// Its status changed.
    Transition(TransitionEvent, TransitionKind = "transition") {
        from_status: CaseStatus => case_status,
        to_status: CaseStatus => case_status,
        data: TransitionData,
    }
    /// The assessment by domain was replaced.
    AssessmentUpdated(AssessmentUpdatedEvent, AssessmentUpdatedKind = "assessment_updated") {
        from_status: Option<Never> => null,
        to_status: Option<Never> => null,
        data: AssessmentUpdated,
    }
    /// A step was added to the help plan.
    PlanItemAdded(PlanItemAddedEvent, PlanItemAddedKind = "plan_item_added") {
        from_status: Option<Never> => null,
        to_status: Option<Never> => null,
        data: PlanItemAdded,
    }
    /// A step of the plan changed.
    PlanItemUpdated(PlanItemUpdatedEvent, PlanItemUpdatedKind = "plan_item_updated") {
        from_status: Option<Never> => null,
        to_status: Option<Never> => null,
        data: PlanItemUpdated,
    }
    /// A step was removed from the plan.
    PlanItemRemoved(PlanItemRemovedEvent, PlanItemRemovedKind = "plan_item_removed") {
        from_status: Option<Never> => null,
        to_status: Option<Never> => null,
        data: PlanItemRemoved,
    }
    /// The plan was proposed to the person (a numbered proposal).
    PlanProposed(PlanProposedEvent, PlanProposedKind = "plan_proposed") {
        from_status: Option<Never> => null,
        to_status: Option<Never> => null,
        data: PlanProposed,
    }
    /// The person decided on a proposal.
    PlanDecision(PlanDecisionEvent, PlanDecisionKind = "plan_decision") {
        from_status: Option<Never> => null,
        to_status: Option<Never> => null,
        data: PlanDecision,
    }
    /// The person made an observation on a proposal.
    PlanObservation(PlanObservationEvent, PlanObservationKind = "plan_observation") {
        from_status: Option<Never> => null,
        to_status: Option<Never> => null,
        data: PlanObservation,
    }
    /// A contact was recorded, planned or held.
    ContactCreated(ContactCreatedEvent, ContactCreatedKind = "contact_created") {
        from_status: Option<Never> => null,
        to_status: Option<Never> => null,
        data: ContactCreated,
    }
    /// A contact changed.
    ContactUpdated(ContactUpdatedEvent, ContactUpdatedKind = "contact_updated") {
        from_status: Option<Never> => null,
        to_status: Option<Never> => null,
        data: ContactUpdated,
    }
    /// A planned contact's outcome was recorded: held, cancelled or missed (`reason`: why it did
    /// not take place, when given).
    ContactOutcome(ContactOutcomeEvent, ContactOutcomeKind = "contact_outcome") {
        from_status: Option<Never> => null,
        to_status: Option<Never> => null,
        data: ContactOutcomeData,
    }
    /// A liaison sheet was drafted.
    LiaisonCreated(LiaisonCreatedEvent, LiaisonCreatedKind = "liaison_created") {
        from_status: Option<Never> => null,
        to_status: Option<Never> => null,
        data: LiaisonCreated,
    }
    /// A liaison sheet was sent.
    LiaisonSent(LiaisonSentEvent, LiaisonSentKind = "liaison_sent") {
        from_status: Option<Never> => null,
        to_status: Option<Never> => null,
        data: LiaisonMoved,
    }
    /// The destination acknowledged a liaison sheet.
    LiaisonAcknowledged(LiaisonAcknowledgedEvent, LiaisonAcknowledgedKind = "liaison_acknowledged") {
        from_status: Option<Never> => null,
        to_status: Option<Never> => null,
        data: LiaisonMoved,
    }
    /// The destination declined a liaison sheet.
    LiaisonDeclined(LiaisonDeclinedEvent, LiaisonDeclinedKind = "liaison_declined") {
        from_status: Option<Never> => null,
        to_status: Option<Never> => null,
        data: LiaisonMoved,
    }
    /// A document was uploaded to the case.
    DocumentUploaded(DocumentUploadedEvent, DocumentUploadedKind = "document_uploaded") {
        from_status: Option<Never> => null,
        to_status: Option<Never> => null,
        data: DocumentUploaded,
    }
    /// A letter was written from a template (its text is the letter's, not the timeline's).
    LetterSent(LetterSentEvent, LetterSentKind = "letter_sent") {
        from_status: Option<Never> => null,
        to_status: Option<Never> => null,
        data: LetterSent,
    }
    /// An application to a scheme was started, in `to_status` (an application status).
    ApplicationCreated(ApplicationCreatedEvent, ApplicationCreatedKind = "application_created") {
        from_status: Option<Never> => null,
        to_status: ApplicationStatus => application_status,
        data: ApplicationCreatedData,
    }
    /// An application moved between application statuses.
    ApplicationStatusChanged(
        ApplicationStatusChangedEvent,
        ApplicationStatusChangedKind = "application_status_changed"
    ) {
        from_status: ApplicationStatus => application_status,
        to_status: ApplicationStatus => application_status,
        data: ApplicationMove,
    }
    /// A version of an application's social report was written.
    SocialReportWritten(SocialReportWrittenEvent, SocialReportWrittenKind = "social_report_written") {
        from_status: Option<Never> => null,
        to_status: Option<Never> => null,
        data: SocialReportWritten,
    }
}

/// A value that never exists: the statuses an event does not move are always null.
#[derive(Debug, Serialize, Deserialize)]
pub enum Never {}

/// Nothing more: `{}`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoData {}

/// What an `updated` event set.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatedData {
    pub referent_id: Option<Uuid>,
    pub team_ids: Option<Vec<Uuid>>,
    pub target_end_on: Option<NaiveDate>,
}

/// Who a handover moved the case from and to.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReassignedData {
    pub previous_referent_id: Uuid,
    pub referent_id: Uuid,
    /// Whether the previous referent stayed on the team.
    pub previous_kept_in_team: bool,
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
    /// `planned` or `held`; `no_show` for a group session the person missed. Null for the
    /// contacts recorded before contacts had a status (held when `occurred_at` is set).
    #[serde(default)]
    #[schema(schema_with = crate::schema::contact_status_nullable)]
    pub status: Option<ContactStatus>,
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

/// The outcome of a planned contact.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactOutcomeData {
    pub contact_id: Uuid,
    #[schema(schema_with = crate::schema::contact_kind)]
    pub contact_kind: ContactKind,
    /// `held`, `cancelled` or `no_show`.
    #[schema(schema_with = crate::schema::contact_status)]
    pub status: ContactStatus,
    pub scheduled_at: Option<DateTime<Utc>>,
    /// When a held contact took place; null otherwise.
    pub occurred_at: Option<DateTime<Utc>>,
    pub group_session_id: Option<Uuid>,
}

/// Where a liaison sheet goes: a registered partner, or a named institution.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum LiaisonEventDestination {
    Partner(LiaisonEventPartner),
    Named(LiaisonEventInstitution),
}

/// A registered partner.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiaisonEventPartner {
    pub partner_id: Uuid,
}

/// An institution that is not a registered partner.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiaisonEventInstitution {
    pub name: String,
}

/// A liaison sheet drafted.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiaisonCreated {
    pub liaison_id: Uuid,
    pub destination: LiaisonEventDestination,
    #[schema(schema_with = crate::schema::legal_basis)]
    pub legal_basis: LegalBasis,
}

/// A liaison sheet's status change (sent, acknowledged, declined).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiaisonMoved {
    pub liaison_id: Uuid,
    pub destination: LiaisonEventDestination,
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

/// A letter written, and the template it was written from.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LetterSent {
    pub letter_id: Uuid,
    pub template_id: Uuid,
}

/// The application started, and its scheme.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationCreatedData {
    pub application_id: Uuid,
    pub scheme_id: Uuid,
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
    /// server error, never a loose object passed on.
    fn try_from(e: CaseEvent) -> Result<Self, ApiError> {
        let event = serde_json::json!({
            "id": e.id,
            "at": e.at,
            "actor_id": e.actor_id,
            "kind": e.kind,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "reason": e.reason,
            "data": e.data,
        });
        TimelineEvent::deserialize(event).map_err(|error| {
            ApiError::internal(std::io::Error::other(format!(
                "timeline event {} ({}) of unknown shape: {error}",
                e.id, e.kind
            )))
        })
    }
}
