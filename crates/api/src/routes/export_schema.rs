//! The schemas of the right-of-access export's sections (`GET /v1/persons/{id}/export`).
//!
//! The export is written from the store's rows (`relais_store::export`), several of them whole
//! (`to_jsonb` of the row, less the organisation), so that it holds everything kept on the
//! person even when a column is added. These types only describe it for the document: they are
//! never built. A test exports a person with every section filled and checks the answer
//! against them, and another that each table's columns are all described, so that neither a
//! new column nor a changed shape goes unpublished.
#![allow(dead_code)]

use chrono::{DateTime, NaiveDate, Utc};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::routes::cases::TimelineEvent;

/// One case of the person, with everything recorded in it.
#[derive(ToSchema)]
pub struct ExportedCase {
    pub id: Uuid,
    #[schema(schema_with = crate::schema::case_status)]
    pub status: String,
    pub reason: String,
    #[schema(schema_with = crate::schema::case_origin)]
    pub origin: String,
    pub referent_id: Option<Uuid>,
    pub team_ids: Vec<Uuid>,
    pub opened_on: NaiveDate,
    pub target_end_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    #[schema(schema_with = crate::schema::closure_reason_nullable)]
    pub closure_reason: Option<String>,
    pub orientation: Option<String>,
    pub review_due_on: Option<NaiveDate>,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Every event of the case, oldest first.
    pub timeline: Vec<TimelineEvent>,
    /// The assessment, domain by domain.
    pub assessment: Vec<ExportedAssessmentDomain>,
    pub plan_items: Vec<ExportedPlanItem>,
    /// The proposals of the plan, with the person's decision and observations.
    pub proposals: Vec<ExportedProposal>,
    /// The contacts, private notes included.
    pub contacts: Vec<ExportedContact>,
    pub liaisons: Vec<ExportedLiaison>,
    /// The applications for aid, each with its checklist, social reports and funding plan.
    pub applications: Vec<ExportedApplication>,
    /// The uploaded documents' metadata (the files are downloaded one by one).
    pub documents: Vec<ExportedDocument>,
    /// The letters written in the case, as sent.
    pub letters: Vec<ExportedLetter>,
}

/// One domain of the assessment.
#[derive(ToSchema)]
pub struct ExportedAssessmentDomain {
    #[schema(schema_with = crate::schema::domain)]
    pub domain: String,
    pub situation: String,
    #[schema(schema_with = crate::schema::needs_action)]
    pub needs_action: String,
    #[schema(schema_with = crate::schema::priority_nullable)]
    pub priority: Option<String>,
    pub assessed_by: Option<Uuid>,
    pub assessed_at: DateTime<Utc>,
}

/// A step of the help plan.
#[derive(ToSchema)]
pub struct ExportedPlanItem {
    pub id: Uuid,
    #[schema(schema_with = crate::schema::party)]
    pub party: String,
    #[schema(schema_with = crate::schema::item_category)]
    pub category: String,
    #[schema(schema_with = crate::schema::domain)]
    pub domain: String,
    pub title: String,
    pub details: Option<String>,
    pub due_on: NaiveDate,
    #[schema(schema_with = crate::schema::item_status)]
    pub status: String,
    pub done_on: Option<NaiveDate>,
    pub outcome: Option<String>,
    pub scheme_id: Option<Uuid>,
    pub application_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A proposal of the plan: its frozen items, the decision, the observations.
#[derive(ToSchema)]
pub struct ExportedProposal {
    pub id: Uuid,
    pub number: i32,
    /// The items as they were proposed, as stored.
    pub items: Vec<ExportedFrozenItem>,
    pub content_hash: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Uuid,
    #[schema(schema_with = crate::schema::decision_outcome_nullable)]
    pub outcome: Option<String>,
    #[schema(schema_with = crate::schema::decision_channel_nullable)]
    pub channel: Option<String>,
    pub notes: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub recorded_by: Option<Uuid>,
    pub observations: Vec<ExportedObservation>,
}

/// A step of the plan as a proposal froze it (the stored form: without the `kind` the API's
/// `ProposalItem` derives from the party).
#[derive(ToSchema)]
pub struct ExportedFrozenItem {
    pub id: Uuid,
    #[schema(schema_with = crate::schema::party)]
    pub party: String,
    #[schema(schema_with = crate::schema::item_category)]
    pub category: String,
    #[schema(schema_with = crate::schema::domain)]
    pub domain: String,
    pub title: String,
    pub details: Option<String>,
    pub due_on: NaiveDate,
    #[schema(schema_with = crate::schema::item_status)]
    pub status: String,
    pub done_on: Option<NaiveDate>,
    pub outcome: Option<String>,
    pub scheme_id: Option<Uuid>,
    pub application_id: Option<Uuid>,
}

/// An observation of the person on a proposal.
#[derive(ToSchema)]
pub struct ExportedObservation {
    pub id: Uuid,
    pub text: String,
    #[schema(schema_with = crate::schema::decision_channel)]
    pub channel: String,
    pub at: DateTime<Utc>,
    pub recorded_by: Uuid,
}

/// A contact, planned or held.
#[derive(ToSchema)]
pub struct ExportedContact {
    pub id: Uuid,
    #[schema(schema_with = crate::schema::contact_kind)]
    pub kind: String,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub participants: Vec<String>,
    pub summary: Option<String>,
    /// The worker's private note: null unless the export asked `include_private_notes=true`.
    pub private_note: Option<String>,
    pub author_id: Uuid,
    pub outcome: Option<String>,
    pub group_session_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[schema(schema_with = crate::schema::contact_status)]
    pub status: String,
    /// Why a cancelled or missed contact did not take place, when given.
    pub outcome_reason: Option<String>,
}

/// A liaison sheet.
#[derive(ToSchema)]
pub struct ExportedLiaison {
    pub id: Uuid,
    pub destination_partner_id: Option<Uuid>,
    pub destination_name: Option<String>,
    pub destination_contact: Option<String>,
    pub purpose: String,
    #[schema(schema_with = crate::schema::liaison_contents)]
    pub content: Vec<String>,
    #[schema(schema_with = crate::schema::legal_basis)]
    pub legal_basis: String,
    pub consent_id: Option<Uuid>,
    #[schema(schema_with = crate::schema::liaison_status)]
    pub status: String,
    pub sent_at: Option<DateTime<Utc>>,
    pub sent_by: Option<Uuid>,
    pub answered_at: Option<DateTime<Utc>>,
    pub answered_by: Option<Uuid>,
    pub answer_message: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: Uuid,
}

/// An application for aid, whole.
#[derive(ToSchema)]
pub struct ExportedApplication {
    pub id: Uuid,
    pub case_id: Uuid,
    pub scheme_id: Uuid,
    #[schema(schema_with = crate::schema::application_status)]
    pub status: String,
    pub notes: Option<String>,
    pub submitted_on: Option<NaiveDate>,
    pub submitted_to: Option<String>,
    #[schema(schema_with = crate::schema::application_decision_nullable)]
    pub decision: Option<String>,
    pub decided_on: Option<NaiveDate>,
    pub amount_granted_cents: Option<i64>,
    pub decision_reason: Option<String>,
    pub withdrawn_on: Option<NaiveDate>,
    pub withdrawal_reason: Option<String>,
    pub status_changed_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub created_by: Uuid,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Uuid,
    pub version: i32,
    /// When the retention run erased its documents, social reports and notes, if it did.
    pub content_erased_at: Option<DateTime<Utc>>,
    /// The supporting documents checklist.
    pub documents: Vec<ExportedChecklistLine>,
    /// Every version of the social report, oldest first.
    pub social_reports: Vec<ExportedSocialReport>,
    /// The funding plan, once written.
    pub funding_plan: Option<ExportedFundingPlan>,
}

/// A line of an application's supporting documents checklist.
#[derive(ToSchema)]
pub struct ExportedChecklistLine {
    pub id: Uuid,
    pub application_id: Uuid,
    pub position: i32,
    pub code: String,
    pub label: String,
    pub required: bool,
    #[schema(schema_with = crate::schema::document_provider)]
    pub provider: String,
    #[schema(schema_with = crate::schema::application_document_status)]
    pub status: String,
    pub document_id: Option<Uuid>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: Uuid,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Uuid,
    pub version: i32,
}

/// A version of an application's social report.
#[derive(ToSchema)]
pub struct ExportedSocialReport {
    pub id: Uuid,
    pub application_id: Uuid,
    pub version_no: i32,
    pub text: String,
    pub author_id: Uuid,
    pub created_at: DateTime<Utc>,
}

/// An application's funding plan: the need and its funders.
#[derive(ToSchema)]
pub struct ExportedFundingPlan {
    pub application_id: Uuid,
    pub need_cents: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Uuid,
    pub version: i32,
    pub funders: Vec<ExportedFunder>,
}

/// A funder of a funding plan.
#[derive(ToSchema)]
pub struct ExportedFunder {
    pub id: Uuid,
    pub application_id: Uuid,
    pub position: i32,
    pub name: String,
    pub requested_cents: i64,
    #[schema(schema_with = crate::schema::funder_status)]
    pub status: String,
    pub granted_cents: Option<i64>,
}

/// An uploaded document's metadata.
#[derive(ToSchema)]
pub struct ExportedDocument {
    pub id: Uuid,
    pub case_id: Uuid,
    pub filename: String,
    #[schema(example = "application/pdf")]
    pub content_type: String,
    pub size_bytes: i32,
    /// The SHA-256 of the file, as PostgreSQL writes bytes in JSON (`\x` and hexadecimal).
    #[schema(pattern = r"^\\x[0-9a-f]{64}$")]
    pub sha256: String,
    pub description: Option<String>,
    pub uploaded_by: Uuid,
    pub uploaded_at: DateTime<Utc>,
    pub version: i32,
}

/// The letterhead's text printed on a letter, as it was when the letter was sent.
#[derive(ToSchema)]
pub struct ExportedLetterhead {
    pub name: String,
    /// The postal address, one line each.
    pub address: Vec<String>,
    /// Phone, e-mail, website.
    pub contact: Vec<String>,
    /// The city letters are dated from.
    pub city: Option<String>,
}

/// A letter of the case, as sent (the store's row).
#[derive(ToSchema)]
pub struct ExportedLetter {
    pub id: Uuid,
    pub case_id: Uuid,
    pub template_id: Uuid,
    pub template_name: String,
    #[schema(schema_with = crate::schema::letter_addressee)]
    pub addressee: String,
    pub subject: String,
    pub body: String,
    /// The values given, by field name.
    #[schema(schema_with = crate::routes::letters::given_values_schema)]
    pub field_values: String,
    /// The letterhead's text as printed.
    pub letterhead: ExportedLetterhead,
    pub sender_name: String,
    pub sender_role: String,
    pub sender_email: Option<String>,
    pub sender_phone: Option<String>,
    /// Null for a letter to nobody (an attestation).
    pub recipient_name: Option<String>,
    /// The recipient's address, one line per line.
    pub recipient_address: Option<String>,
    pub written_on: NaiveDate,
    pub author_id: Uuid,
    pub created_at: DateTime<Utc>,
}

/// A partner's referral about the person, as posted (the NIR masked), with its decision.
#[derive(ToSchema)]
pub struct ExportedReferral {
    pub id: Uuid,
    pub partner_id: Uuid,
    #[schema(schema_with = crate::schema::referral_status)]
    pub status: String,
    pub first_name: String,
    pub last_name: String,
    pub birth_name: Option<String>,
    pub birth_date: NaiveDate,
    pub nir_masked: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub reason: String,
    #[schema(schema_with = crate::schema::domain_list)]
    pub domains: Vec<String>,
    #[schema(schema_with = crate::schema::referral_urgency)]
    pub urgency: String,
    pub referrer_name: String,
    pub referrer_role: Option<String>,
    pub referrer_phone: Option<String>,
    pub referrer_email: Option<String>,
    pub informed_on: NaiveDate,
    #[schema(schema_with = crate::schema::informed_channel)]
    pub informed_channel: String,
    pub received_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<Uuid>,
    pub decision_message: Option<String>,
    pub case_id: Option<Uuid>,
}

/// The household as stored: housing, employment and the members.
#[derive(ToSchema)]
pub struct ExportedHousehold {
    pub person_id: Uuid,
    #[schema(schema_with = crate::schema::housing_status_nullable)]
    pub housing: Option<String>,
    #[schema(schema_with = crate::schema::employment_status_nullable)]
    pub employment: Option<String>,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<Uuid>,
    pub members: Vec<ExportedHouseholdMember>,
}

/// A member of the household.
#[derive(ToSchema)]
pub struct ExportedHouseholdMember {
    pub position: i32,
    #[schema(schema_with = crate::schema::household_relationship)]
    pub relationship: String,
    pub birth_date: NaiveDate,
    pub dependent: bool,
}

/// The budget as stored, with its lines and debts.
#[derive(ToSchema)]
pub struct ExportedBudget {
    pub person_id: Uuid,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<Uuid>,
    pub lines: Vec<ExportedBudgetLine>,
    pub debts: Vec<ExportedBudgetDebt>,
}

/// A debt of the household, in the order given.
#[derive(ToSchema)]
pub struct ExportedBudgetDebt {
    pub position: i32,
    #[schema(schema_with = crate::schema::debt_kind)]
    pub kind: String,
    pub creditor: Option<String>,
    pub amount_owed_cents: i64,
    pub monthly_repayment_cents: i64,
}

/// A line of the budget: a resource or a charge (`kind` is of the side's list).
#[derive(ToSchema)]
pub struct ExportedBudgetLine {
    #[schema(inline)]
    pub side: BudgetSide,
    pub position: i32,
    /// A code of `resource_kind` (side `resource`) or `charge_kind` (side `charge`).
    pub kind: String,
    pub amount_cents: i64,
    pub label: Option<String>,
}

/// The side of a budget line.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum BudgetSide {
    Resource,
    Charge,
}
