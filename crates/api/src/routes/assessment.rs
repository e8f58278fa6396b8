//! The assessment of a case (analyse de la situation / diagnostic): per domain, the situation,
//! whether action is needed and its priority. Read and replaced whole.
//!
//! The assessment holds health and family details under professional secrecy: only the
//! workers of the case team and supervisors read or write it. Reception (which opens cases at
//! intake), administrators and the DPO get 403, whatever the case.

use actix_web::{HttpResponse, get, put, web};
use chrono::{DateTime, Utc};
use relais_domain::assessment::{self, DomainAssessment};
use relais_domain::{AuditAction, AuditResource, Domain, NeedsAction, Permission, Priority};
use relais_store::assessments::{self, AssessedDomain, AssessmentRecord};
use relais_store::audit::NewAuditEvent;
use relais_store::cases::CaseRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::conditional::{IfMatch, ok_with_etag};
use crate::context::{CaseReadParams, Ctx};
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, Query};
use crate::responses::{ReadErrors, WriteErrors};
use crate::work::CaseUse;

/// One domain of an assessment, as written.
// `Serialize` only because the list's length rule echoes the value in its error.
/// A domain that needs action needs a priority (`relais_domain::assessment`'s
/// `priority_required`), stated in the document as a `oneOf` on `needs_action`.
pub const NEEDS_ACTION_FIELDS: crate::openapi::Variants = crate::openapi::Variants {
    schema: "AssessmentDomainEntry",
    on: "needs_action",
    cases: &[
        ("yes", &["priority"], &[]),
        ("no", &[], &[]),
        ("to_evaluate", &[], &[]),
    ],
};

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentDomainEntry {
    /// At most one entry per domain.
    #[schema(schema_with = crate::schema::domain)]
    pub domain: Domain,
    /// The situation in this domain, in the worker's words (surrounding spaces are trimmed).
    #[validate(length(max = 10000))]
    #[schema(
        max_length = 10000,
        example = "Impayés de loyer depuis trois mois, procédure d'expulsion engagée par le bailleur."
    )]
    pub situation: String,
    #[schema(schema_with = crate::schema::needs_action)]
    pub needs_action: NeedsAction,
    /// How urgent the action is; required when `needs_action` is `yes`.
    #[serde(default)]
    #[schema(schema_with = crate::schema::priority_nullable)]
    pub priority: Option<Priority>,
}

/// The whole assessment: the domains assessed, each at most once. Domains left out are removed.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentReplacement {
    #[validate(length(max = 10), nested)]
    #[schema(max_items = 10)]
    pub domains: Vec<AssessmentDomainEntry>,
}

/// One assessed domain, with who assessed it and when.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentDomain {
    #[schema(schema_with = crate::schema::domain)]
    pub domain: &'static str,
    #[schema(
        example = "Impayés de loyer depuis trois mois, procédure d'expulsion engagée par le bailleur."
    )]
    pub situation: String,
    #[schema(schema_with = crate::schema::needs_action)]
    pub needs_action: &'static str,
    #[schema(schema_with = crate::schema::priority_nullable)]
    pub priority: Option<&'static str>,
    /// The agent who last changed this domain's content.
    pub assessed_by: Option<Uuid>,
    /// When this domain's content last changed (an unchanged domain keeps its date).
    pub assessed_at: DateTime<Utc>,
}

impl From<AssessedDomain> for AssessmentDomain {
    fn from(d: AssessedDomain) -> Self {
        Self {
            domain: d.entry.domain.code(),
            situation: d.entry.situation,
            needs_action: d.entry.needs_action.code(),
            priority: d.entry.priority.map(Priority::code),
            assessed_by: d.assessed_by,
            assessed_at: d.assessed_at,
        }
    }
}

/// The assessment of a case; `version` 0 (and no domain) until it is first written.
#[derive(Debug, Serialize, ToSchema)]
pub struct Assessment {
    pub case_id: Uuid,
    /// The assessed domains, in the order of the `domain` code list.
    pub domains: Vec<AssessmentDomain>,
    /// How many domains need action; `planning` needs at least one.
    #[schema(example = 2)]
    pub domains_needing_action: usize,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<Uuid>,
    #[schema(example = 3)]
    pub version: i32,
}

impl From<AssessmentRecord> for Assessment {
    fn from(r: AssessmentRecord) -> Self {
        let domains_needing_action =
            assessment::domains_needing_action(r.domains.iter().map(|d| d.entry.needs_action));
        Self {
            case_id: r.case_id,
            domains: r.domains.into_iter().map(AssessmentDomain::from).collect(),
            domains_needing_action,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
            version: r.version,
        }
    }
}

fn event(action: AuditAction, case: &CaseRecord) -> NewAuditEvent {
    NewAuditEvent::new(action, AuditResource::CaseAssessment, case.id).about(case.person_id)
}

/// The entries as the domain sees them, or every problem pointed at its field.
fn entries(body: &AssessmentReplacement) -> Result<Vec<DomainAssessment>, ApiError> {
    let entries: Vec<DomainAssessment> = body
        .domains
        .iter()
        .map(|d| DomainAssessment {
            domain: d.domain,
            situation: d.situation.trim().to_owned(),
            needs_action: d.needs_action,
            priority: d.priority,
        })
        .collect();
    let errors: Vec<FieldError> = assessment::check(&entries)
        .into_iter()
        .map(|e| FieldError::refused(format!("/domains/{}/{}", e.index(), e.field()), &e))
        .collect();
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Reads the assessment of a case (workers of its team and supervisors; never reception).
///
/// The *diagnostic*: for each assessed domain, the situation, whether action is needed, the
/// priority, and who last changed it and when. Workers on the case's team and supervisors (403 for
/// reception, admin, dpo and partners; 404 for a case the caller may not see). An archived case's
/// assessment is read only with a `reason` (400 `reason_required` without it). Audited as a `read`
/// of `case.assessment`.
#[utoipa::path(
    tag = "cases",
    operation_id = "read_assessment",
    params(("id" = Uuid, Path, description = "Case id"), CaseReadParams),
    responses((status = 200, description = "The assessment (version 0 and no domain before the first PUT)", body = Assessment, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}/assessment")]
pub async fn read(
    ctx: Ctx,
    id: web::Path<Uuid>,
    params: Query<CaseReadParams>,
) -> Result<HttpResponse, ApiError> {
    let (mut work, case) = ctx.case(*id, params.case_use()).await?;
    let found = assessments::get(&mut work.tx, case.id).await?;
    work.audit(event(AuditAction::Read, &case));
    work.commit(ok_with_etag(found.version, Assessment::from(found)))
        .await
}

/// Replaces the assessment of an open case (`If-Match` required; `"0"` before the first one).
///
/// Workers on the case's team and supervisors. The whole assessment is written: domains left out
/// are removed, and a domain whose content did not change keeps its author and date. Each domain at
/// most once (`duplicate_domain`), a situation of at most 10 000 characters, a `priority` when
/// `needs_action` is `yes` (`priority_required`): 422 pointing at the entry. A closed or archived
/// case answers 409 `case_closed`. `If-Match` carries the version read; `"0"` or `*` writes the
/// first assessment (428 without it, 412 when stale). Moving the case to `planning` later needs a
/// domain that needs action. Audited as an `update` of `case.assessment`.
#[utoipa::path(
    tag = "cases",
    operation_id = "replace_assessment",
    params(("id" = Uuid, Path, description = "Case id"), crate::responses::IfMatchHeader),
    request_body(content = AssessmentReplacement, example = json!({"domains": [
        {"domain": "housing", "situation": "Impayés de loyer depuis trois mois.", "needs_action": "yes", "priority": "high"},
        {"domain": "health", "situation": "Suivi médical régulier, droits ouverts.", "needs_action": "no"},
        {"domain": "finances", "situation": "Budget à reprendre avec la personne.", "needs_action": "to_evaluate"}
    ]})),
    responses((status = 200, description = "The assessment as replaced", body = Assessment, headers(("ETag" = String))), WriteErrors),
    security(("bearer" = []))
)]
#[put("/{id}/assessment")]
pub async fn replace(
    ctx: Ctx,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<AssessmentReplacement>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseWrite)?;
    let entries = entries(&body)?;
    // The store checks the case is open again under its lock, as a transition waits for it.
    let (mut work, case) = ctx.case(*id, CaseUse::Plan).await?;
    let written = assessments::replace(
        &mut work.tx,
        work.actor.org.id,
        work.actor.agent_id,
        case.id,
        if_match.expected(),
        &entries,
    )
    .await?;
    work.audit(event(AuditAction::Update, &case));
    work.commit(ok_with_etag(written.version, Assessment::from(written)))
        .await
}
