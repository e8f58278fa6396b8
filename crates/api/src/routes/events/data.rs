//! What each event's `data` holds: identifiers, codes and dates, never a name or a free text.
//!
//! The database writes `data` (migrations 34 and 36, fields without a value left out); an event is read
//! back through these types, which refuse a field they do not know, so a trigger that changes a
//! shape without its type here fails the tests instead of publishing what the document does not
//! say.

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::{
    ApplicationDecision, CaseOrigin, CaseStatus, ClosureReason, ContactKind, Domain, ItemCategory,
    ItemStatus, LiaisonStatus, Party, Urgency,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::schema;

/// `case.opened`: a case was opened, in intake (by a worker, an import, or a referral accepted).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseOpenedData {
    pub case_id: Uuid,
    pub person_id: Uuid,
    #[schema(schema_with = schema::case_status)]
    pub status: CaseStatus,
    #[schema(schema_with = schema::case_origin)]
    pub origin: CaseOrigin,
    /// Its referent, when it has one from the start (a `case.assigned` follows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub referent_id: Option<Uuid>,
    pub opened_on: NaiveDate,
    pub target_end_on: NaiveDate,
}

/// `case.assigned`: a case got a referent (at its opening, in a handover, a reassignment).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseAssignedData {
    pub case_id: Uuid,
    pub referent_id: Uuid,
    /// The referent before (absent at the opening, or when it had none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub previous_referent_id: Option<Uuid>,
}

/// `case.status_changed`: a case moved to another status.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseStatusChangedData {
    pub case_id: Uuid,
    #[schema(schema_with = schema::case_status)]
    pub status: CaseStatus,
    #[schema(schema_with = schema::case_status)]
    pub previous_status: CaseStatus,
    /// Why it closed (present when `status` is `closed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(required = false, schema_with = schema::closure_reason)]
    pub closure_reason: Option<ClosureReason>,
    /// When the post-closure review is due (present when closed with one planned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub review_due_on: Option<NaiveDate>,
}

/// `referral.received`: a partner posted a referral to the organisation's inbox.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferralReceivedData {
    pub referral_id: Uuid,
    pub partner_id: Uuid,
    #[schema(schema_with = schema::referral_urgency)]
    pub urgency: Urgency,
    #[schema(schema_with = schema::domain_list)]
    pub domains: Vec<Domain>,
    pub received_at: DateTime<Utc>,
    /// When it expires if nobody decides.
    pub expires_at: DateTime<Utc>,
}

/// `referral.expired`: nobody decided on a referral before its expiry.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferralExpiredData {
    pub referral_id: Uuid,
    pub partner_id: Uuid,
    pub expired_at: DateTime<Utc>,
}

/// `liaison.acknowledged` and `liaison.declined`: the destination of a liaison sheet answered.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiaisonAnsweredData {
    pub liaison_id: Uuid,
    pub case_id: Uuid,
    /// `acknowledged` or `declined`.
    #[schema(schema_with = schema::liaison_status)]
    pub status: LiaisonStatus,
    /// The registered partner it was addressed to (absent for a named institution).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub partner_id: Option<Uuid>,
    /// The agent who sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub sent_by: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub answered_at: Option<DateTime<Utc>>,
}

/// `application.decided`: an application for aid was granted, partially granted or refused.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationDecidedData {
    pub application_id: Uuid,
    pub case_id: Uuid,
    pub scheme_id: Uuid,
    #[schema(schema_with = schema::application_decision)]
    pub decision: ApplicationDecision,
    pub decided_on: NaiveDate,
    /// The amount granted, in euro cents (absent when refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub amount_granted_cents: Option<i64>,
}

/// `plan_item.overdue`: a step of a followed case was not done by its due date (written once,
/// the day after it; again if its due date moves and passes).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanItemOverdueData {
    pub plan_item_id: Uuid,
    pub case_id: Uuid,
    /// Who carries the step out (`worker`, `person`, `partner`).
    #[schema(schema_with = schema::party)]
    pub party: Party,
    #[schema(schema_with = schema::item_category)]
    pub category: ItemCategory,
    /// Its status when it became overdue (`planned`, `in_progress` or `blocked`).
    #[schema(schema_with = schema::item_status)]
    pub status: ItemStatus,
    pub due_on: NaiveDate,
}

/// `review.due`: the post-closure review of a closed case is due (written once, on its date).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewDueData {
    pub case_id: Uuid,
    pub review_due_on: NaiveDate,
    pub closed_on: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(required = false, schema_with = schema::closure_reason)]
    pub closure_reason: Option<ClosureReason>,
}

/// `contact.upcoming`: a planned contact is within 24 hours (written once per planned time).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactUpcomingData {
    pub contact_id: Uuid,
    pub case_id: Uuid,
    #[schema(schema_with = schema::contact_kind)]
    pub kind: ContactKind,
    pub scheduled_at: DateTime<Utc>,
    /// The agent who planned it.
    pub author_id: Uuid,
}
