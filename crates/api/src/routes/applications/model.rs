//! Applications' request and response types: a new application, its patch and transitions,
//! the application as shown with its checklist, funding plan and latest social report.

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::application::{FieldProblem, FundingTotals, funding_totals};
use relais_domain::{ApplicationDecision, ApplicationStatus};
use relais_store::applications::ApplicationRecord;
use relais_store::applications::checklist::ChecklistRecord;
use relais_store::applications::funding::FundingPlanRecord;
use relais_store::applications::reports::{LatestReport, SocialReportRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::error::{ApiError, FieldError};
use crate::patch::{not_null, nullable};
use crate::routes::view_from;

/// The 422 of the domain's field problems.
pub(super) fn invalid(problems: Vec<FieldProblem>) -> ApiError {
    ApiError::validation(problems.into_iter().map(FieldError::from).collect())
}

/// A new application of the case to a scheme of the catalogue.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "scheme_id": "0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b",
    "propose_plan_items": true,
    "notes": "Dossier à présenter à la commission de décembre."
}))]
pub struct NewApplication {
    /// An active scheme of the organisation's catalogue; its required documents start the
    /// checklist (all `requested`, all required).
    pub scheme_id: Uuid,
    /// Also add to the plan (open cases only) the steps the application needs: the person's
    /// préconisation to gather the documents they provide (`paperwork`, due in 14 days), the
    /// worker's intervention to obtain the others from employers and institutions
    /// (`partner_consultation`, 14 days) and to write the social report (`social_report`, 21
    /// days), all linked to the application and the scheme.
    #[serde(default)]
    pub propose_plan_items: bool,
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub notes: Option<String>,
}

/// Corrections to an application (JSON merge patch): `notes` at any time; the submission's
/// `submitted_on` and `submitted_to` once submitted; the decision's fields once decided (checked
/// again as a whole). Status changes go through `…/transitions`.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"notes": "Commission reportée au 12 janvier.", "submitted_to": "Commission FSL du Rhône"}))]
pub struct ApplicationPatch {
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 5000)]
    pub notes: Option<Option<String>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = NaiveDate)]
    pub submitted_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "not_null")]
    #[validate(length(min = 1, max = 200))]
    #[schema(value_type = String, min_length = 1, max_length = 200)]
    pub submitted_to: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(schema_with = crate::schema::application_decision)]
    pub decision: Option<ApplicationDecision>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = NaiveDate)]
    pub decided_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 1_000_000_000)]
    pub amount_granted_cents: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub decision_reason: Option<Option<String>>,
}

/// A status change: `under_review` (a complete application), `submitted` (with `submitted_on`
/// and `submitted_to`), `decided` (with `decision` and `decided_on`; `amount_granted_cents`
/// when granted or partially granted; `reason` when refused) or `withdrawn` (with an optional
/// `reason`). `preparing` and `complete` follow the checklist and are never asked for.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "to": "decided",
    "decision": "partially_granted",
    "decided_on": "2026-12-12",
    "amount_granted_cents": 45000,
    "reason": "Prise en charge de trois mois d'impayés sur cinq."
}))]
pub struct ApplicationTransition {
    #[schema(schema_with = crate::schema::requested_application_status)]
    pub to: ApplicationStatus,
    /// `submitted`: the day the dossier was sent (not in the future).
    pub submitted_on: Option<NaiveDate>,
    /// `submitted`: the body or commission it was sent to.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub submitted_to: Option<String>,
    #[serde(default)]
    #[schema(schema_with = crate::schema::application_decision_nullable)]
    pub decision: Option<ApplicationDecision>,
    /// `decided`: the day of the decision (not before the submission, not in the future).
    pub decided_on: Option<NaiveDate>,
    /// `decided` with `granted` or `partially_granted`: the amount granted, in cents.
    #[validate(range(min = 1, max = 1_000_000_000))]
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub amount_granted_cents: Option<i64>,
    /// `decided`: the decision's reason (required when refused); `withdrawn`: why.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
}

/// A line of the supporting documents checklist.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationDocument {
    pub id: Uuid,
    pub application_id: Uuid,
    /// `snake_case`, unique within the application (the scheme's code for its documents).
    #[schema(example = "proof_of_address")]
    pub code: String,
    #[schema(example = "Justificatif de domicile de moins de 3 mois")]
    pub label: String,
    /// Whether the application is complete only once this document is in hand.
    pub required: bool,
    /// Who obtains it: the person, the worker (from an employer or an institution), or the
    /// issuing institution.
    #[schema(schema_with = crate::schema::document_provider)]
    pub provider: &'static str,
    #[schema(schema_with = crate::schema::application_document_status)]
    pub status: &'static str,
    /// The uploaded file of the case that is this document.
    pub document_id: Option<Uuid>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: Uuid,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Uuid,
    pub version: i32,
}

view_from!(ChecklistRecord as r => ApplicationDocument {
    id, application_id, code, label, required, document_id, notes, created_at, created_by,
    updated_at, updated_by, version;
    provider: r.provider.code(),
    status: r.status.code(),
});

/// One funder of the funding plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct FunderView {
    #[schema(example = "Fonds de solidarité logement")]
    pub name: String,
    pub requested_cents: i64,
    #[schema(schema_with = crate::schema::funder_status)]
    pub status: &'static str,
    /// What was granted: the amount requested when `granted`, less when `partially_granted`,
    /// null otherwise.
    pub granted_cents: Option<i64>,
}

/// The funding plan (plan de financement), with its totals in cents.
#[derive(Debug, Serialize, ToSchema)]
pub struct FundingPlan {
    pub application_id: Uuid,
    pub need_cents: i64,
    pub funders: Vec<FunderView>,
    /// Σ of the funders' requests.
    pub requested_cents: i64,
    /// Σ of what was granted (whole and partial grants).
    pub granted_cents: i64,
    /// Σ of the requests still awaiting an answer.
    pub pending_cents: i64,
    /// The remaining gap: need − granted, 0 once the grants cover the need.
    pub gap_cents: i64,
    /// What the grants exceed the need by (0 when they do not).
    pub excess_cents: i64,
    /// What is asked of no funder yet: need − requested, or 0.
    pub unrequested_cents: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Uuid,
    pub version: i32,
}

impl From<FundingPlanRecord> for FundingPlan {
    fn from(r: FundingPlanRecord) -> Self {
        let FundingTotals {
            requested_cents,
            granted_cents,
            pending_cents,
            gap_cents,
            excess_cents,
            unrequested_cents,
            ..
        } = funding_totals(r.need_cents, &r.funders);
        Self {
            application_id: r.application_id,
            need_cents: r.need_cents,
            funders: r
                .funders
                .into_iter()
                .map(|f| FunderView {
                    name: f.name,
                    requested_cents: f.requested_cents,
                    status: f.status.code(),
                    granted_cents: f.granted_cents,
                })
                .collect(),
            requested_cents,
            granted_cents,
            pending_cents,
            gap_cents,
            excess_cents,
            unrequested_cents,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
            version: r.version,
        }
    }
}

/// The latest version of the social report: who wrote it and when (its text is read with
/// `GET …/social-reports`).
#[derive(Debug, Serialize, ToSchema)]
pub struct SocialReportSummary {
    pub version_no: i32,
    pub author_id: Uuid,
    pub created_at: DateTime<Utc>,
}

/// One version of the social report (rapport de situation sociale).
#[derive(Debug, Serialize, ToSchema)]
pub struct SocialReport {
    pub id: Uuid,
    pub application_id: Uuid,
    /// 1, 2, 3… within the application.
    pub version_no: i32,
    pub text: String,
    pub author_id: Uuid,
    pub created_at: DateTime<Utc>,
}

view_from!(SocialReportRecord => SocialReport {
    id, application_id, version_no, text, author_id, created_at,
});

/// An application (dossier de demande) to a scheme.
#[derive(Debug, Serialize, ToSchema)]
pub struct Application {
    pub id: Uuid,
    pub case_id: Uuid,
    pub scheme_id: Uuid,
    /// The scheme's current name in the catalogue.
    #[schema(example = "Fonds de solidarité logement (FSL) — maintien")]
    pub scheme_name: String,
    #[schema(schema_with = crate::schema::application_status)]
    pub status: &'static str,
    pub notes: Option<String>,
    /// The supporting documents checklist, in order.
    pub documents: Vec<ApplicationDocument>,
    /// Required documents not in hand yet (0: the checklist is complete).
    pub missing_required: u32,
    pub submitted_on: Option<NaiveDate>,
    pub submitted_to: Option<String>,
    #[schema(schema_with = crate::schema::application_decision_nullable)]
    pub decision: Option<&'static str>,
    pub decided_on: Option<NaiveDate>,
    pub amount_granted_cents: Option<i64>,
    pub decision_reason: Option<String>,
    pub withdrawn_on: Option<NaiveDate>,
    pub withdrawal_reason: Option<String>,
    /// The funding plan, once written.
    pub funding_plan: Option<FundingPlan>,
    /// The latest version of the social report, once written.
    pub social_report: Option<SocialReportSummary>,
    pub status_changed_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub created_by: Uuid,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Uuid,
    pub version: i32,
}

impl Application {
    /// The application with its parts.
    pub fn new(
        r: ApplicationRecord,
        documents: Vec<ChecklistRecord>,
        funding_plan: Option<FundingPlanRecord>,
        social_report: Option<LatestReport>,
    ) -> Self {
        let missing = relais_domain::application::missing_required(
            documents.iter().map(ChecklistRecord::line),
        );
        Self {
            id: r.id,
            case_id: r.case_id,
            scheme_id: r.scheme_id,
            scheme_name: r.scheme_name,
            status: r.status.code(),
            notes: r.notes,
            documents: documents
                .into_iter()
                .map(ApplicationDocument::from)
                .collect(),
            missing_required: u32::try_from(missing).unwrap_or(u32::MAX),
            submitted_on: r.submitted_on,
            submitted_to: r.submitted_to,
            decision: r.decision.map(|d| d.code()),
            decided_on: r.decided_on,
            amount_granted_cents: r.amount_granted_cents,
            decision_reason: r.decision_reason,
            withdrawn_on: r.withdrawn_on,
            withdrawal_reason: r.withdrawal_reason,
            funding_plan: funding_plan.map(FundingPlan::from),
            social_report: social_report.map(|l| SocialReportSummary {
                version_no: l.version_no,
                author_id: l.author_id,
                created_at: l.created_at,
            }),
            status_changed_at: r.status_changed_at,
            created_at: r.created_at,
            created_by: r.created_by,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
            version: r.version,
        }
    }
}

/// A page of a case's applications, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationList {
    pub items: Vec<Application>,
    pub next_cursor: Option<String>,
}

/// A page of a social report's versions, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SocialReportList {
    pub items: Vec<SocialReport>,
    pub next_cursor: Option<String>,
}
