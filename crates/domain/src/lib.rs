//! Relais business types and rules: pure, no I/O.
//!
//! This crate holds what the service *means*, independent of how it is stored or served:
//! the coded enumerations of the API with their French and English labels ([`codes`],
//! [`reference`](mod@reference)), roles and permissions ([`role`]), the NIR ([`nir`]), text
//! folding for name search ([`text`]), the case lifecycle ([`case`]), the assessment
//! ([`assessment`]), the help plan ([`plan`]) and its negotiation ([`proposal`]), and the
//! [`Refusal`] every error of a rule implements: its stable code and its sentence. Types are
//! parsed, not validated: once a value of one of these types exists, it is valid. It depends on
//! no database, web framework or runtime, so every rule here is unit-tested on its own.

pub mod activity;
pub mod agent;
pub mod application;
pub mod assessment;
pub mod audit;
pub mod budget;
pub mod case;
pub mod catalogue;
pub mod clock;
pub mod codes;
pub mod contact;
pub mod document;
pub mod eligibility;
pub mod event;
pub mod household;
pub mod letter;
pub mod liaison;
pub mod merge;
pub mod need_to_know;
pub mod nir;
pub mod number;
pub mod partner;
pub mod person;
pub mod plan;
pub mod proposal;
pub mod reference;
pub mod referral;
pub mod refusal;
pub mod restriction;
pub mod retention;
pub mod role;
pub mod scheme;
pub mod statistics;
pub mod text;
pub mod webhook;

pub use agent::{
    AbsencePeriod, AbsenceRefused, Civility, HandoverRefused, check_handover, check_handover_case,
};
pub use application::{
    ApplicationDecision, ApplicationStatus, ApplicationTransitionError, DocumentStatus,
    FunderStatus, FundingTotals,
};
pub use assessment::{
    AssessmentError, DomainAssessment, MAX_SITUATION_CHARS, NeedsAction, Priority,
    domains_needing_action,
};
pub use audit::AuditResource;
pub use budget::{
    Budget, BudgetError, BudgetLine, ChargeKind, ChargeLine, Debt, DebtKind, Derived, ResourceKind,
    ResourceLine,
};
pub use case::{
    Actor, CaseLocked, CaseOrigin, CaseStatus, ClosureReason, DEFAULT_REVIEW_DAYS,
    DEFAULT_TARGET_MONTHS, TransitionError, TransitionFacts, TransitionRequest, default_target_end,
    review_due_on,
};
pub use catalogue::catalogue;
pub use codes::{CodeEntry, CodeList, Coded, UnknownCode};
pub use contact::{
    ContactKind, ContactOutcome, ContactOutcomeRefused, ContactRefused, ContactStatus, ContactTime,
    ContactTimeError, Outcome, OutcomeError, attendance_status, check_kind, contact_time, held_at,
    status_after_held,
};
pub use eligibility::{
    Ceiling, Criterion, CriterionKind, CriterionOutcome, CriterionResult, HouseholdFacts, Issue,
    Match, MatchResult, ResourceFacts, ResourcesBasis, Rule, Scale, Situation, SituationData,
    evaluate,
};
pub use event::{EventType, NotificationKind};
pub use household::{
    ConsumptionUnits, EmploymentStatus, Household, HouseholdError, HouseholdMember, HousingStatus,
    QfParts, Relationship,
};
pub use letter::{Addressee, FieldValue, LetterField, LetterFieldKind};
pub use liaison::{
    ConsentFacts, DestinationKind, LiaisonContent, LiaisonStatus, LiaisonTransitionError,
    PersonFacts, SendRefusal, check_send,
};
pub use merge::{MergeRefused, Merging, NirMerge, SituationMerge, check_merge, situation_merge};
pub use need_to_know::{Denial, PersonPart, PersonTies, PersonView};
pub use nir::{Nir, NirError};
pub use partner::WebhookEvent;
pub use partner::{Siret, SiretError};
pub use person::{
    Disability, DisabilityRate, DisabilityRecognition, LegalProtection, LegalProtectionKind,
    PersonRefused, Representative,
};
pub use plan::{
    DoneOnError, ItemCategory, ItemFacts, ItemKind, ItemStatus, ItemTransitionError, Party,
    PartyBreakdown, PartyIndicators, PlanIndicators, PlanItemTitle, PlanItemTitleError,
    StatusCounts, categories_for, indicators, is_overdue, settle_done_on,
};
pub use proposal::{
    DecisionChannel, DecisionOutcome, FieldChange, ItemChange, ItemRef, PlanChanges, ProposalItem,
    content_hash, diff,
};
pub use reference::{
    AuditAction, ConsentChannel, ConsentScope, Domain, InformedChannel, LegalBasis, MaritalStatus,
};
pub use referral::{
    DeclineReason, PersonMatch, ReferralOutcome, ReferralStatus, ReferralTransitionError,
    SupportOutcome, SupportStatus, Urgency,
};
pub use refusal::Refusal;
pub use restriction::{AlreadyLifted, ProcessingRestricted, RestrictionKind};
pub use role::{Permission, Role, Roles};
pub use scheme::{DocumentProvider, RequiredDocument};
pub use webhook::{AttemptOutcome, DeliveryStatus, after_attempt, retry_delay};

/// What [`coded_enum!`] expands to needs, reachable from other crates through `$crate`.
#[doc(hidden)]
pub mod __private {
    pub use serde;
}
