//! Retention (PROTECTION.md): the organisation's periods (administrators and the DPO), the
//! DPO's report of what a run on a day would do, and the erasure of a person on request.

use actix_web::{HttpResponse, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::retention::{
    Obligation, RetentionSettings, application_kept_until, check_erasure,
};
use relais_domain::{AuditAction, AuditResource, Permission, PersonPart, Refusal};
use relais_store::audit::NewAuditEvent;
use relais_store::db::Access;
use relais_store::retention::{self, SettingsRecord, Step};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::conditional::{IfMatch, ok_with_etag};
use crate::context::Ctx;
use crate::error::{ApiError, Code, FieldError};
use crate::extract::{Json, Query};
use crate::responses::{CreateErrors, ReadErrors, WriteErrors};
use crate::routes::{not_blank, today};

/// The retention periods of the organisation (the référentiel's defaults until changed).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"archive_after_months": 24, "purge_after_archive_months": 0, "applications_granted_years": 10, "applications_other_years": 2, "referral_attachments_months": 6, "audit_months": 12}))]
pub struct RetentionPeriods {
    /// A closed case whose closure and last contact are older is archived (1 to 60).
    #[schema(minimum = 1, maximum = 60)]
    pub archive_after_months: u32,
    /// A person all of whose cases have been archived this long is anonymised; 0 at once (0 to
    /// 120).
    #[schema(minimum = 0, maximum = 120)]
    pub purge_after_archive_months: u32,
    /// A granted or partially granted application is kept this long after its decision (1 to
    /// 30).
    #[schema(minimum = 1, maximum = 30)]
    pub applications_granted_years: u32,
    /// Any other application is kept this long after its decision or withdrawal (1 to 30).
    #[schema(minimum = 1, maximum = 30)]
    pub applications_other_years: u32,
    /// A referral's attachments are kept this long after its case closes, or after it is
    /// declined, redirected or expired (1 to 60).
    #[schema(minimum = 1, maximum = 60)]
    pub referral_attachments_months: u32,
    /// Audit events are kept this long (6 to 120).
    #[schema(minimum = 6, maximum = 120)]
    pub audit_months: u32,
}

impl From<RetentionPeriods> for RetentionSettings {
    fn from(p: RetentionPeriods) -> Self {
        RetentionSettings {
            archive_after_months: p.archive_after_months,
            purge_after_archive_months: p.purge_after_archive_months,
            applications_granted_years: p.applications_granted_years,
            applications_other_years: p.applications_other_years,
            referral_attachments_months: p.referral_attachments_months,
            audit_months: p.audit_months,
        }
    }
}

impl From<RetentionSettings> for RetentionPeriods {
    fn from(s: RetentionSettings) -> Self {
        RetentionPeriods {
            archive_after_months: s.archive_after_months,
            purge_after_archive_months: s.purge_after_archive_months,
            applications_granted_years: s.applications_granted_years,
            applications_other_years: s.applications_other_years,
            referral_attachments_months: s.referral_attachments_months,
            audit_months: s.audit_months,
        }
    }
}

/// The organisation's retention settings: the periods (see `RetentionPeriods`) and their version.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetentionSettingsView {
    pub archive_after_months: u32,
    pub purge_after_archive_months: u32,
    pub applications_granted_years: u32,
    pub applications_other_years: u32,
    pub referral_attachments_months: u32,
    pub audit_months: u32,
    /// 0 until first written (the defaults).
    pub version: i32,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<Uuid>,
}

impl From<SettingsRecord> for RetentionSettingsView {
    fn from(r: SettingsRecord) -> Self {
        let s = r.settings;
        RetentionSettingsView {
            archive_after_months: s.archive_after_months,
            purge_after_archive_months: s.purge_after_archive_months,
            applications_granted_years: s.applications_granted_years,
            applications_other_years: s.applications_other_years,
            referral_attachments_months: s.referral_attachments_months,
            audit_months: s.audit_months,
            version: r.version,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
        }
    }
}

fn settings_event(action: AuditAction, org_id: Uuid) -> NewAuditEvent {
    NewAuditEvent::new(action, AuditResource::RetentionRun, org_id)
}

/// Reads the organisation's retention periods.
///
/// Administrators and the DPO (403 otherwise). The référentiel's defaults (version 0) until they
/// are first written.
#[utoipa::path(
    tag = "retention",
    operation_id = "read_retention_settings",
    responses((status = 200, description = "The periods", body = RetentionSettingsView, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/organisation/retention")]
pub async fn read_settings(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::RetentionSettings)?;
    let mut work = ctx.work(Access::Read).await?;
    let record = retention::settings(&mut work.tx).await?;
    let version = record.version;
    work.commit(ok_with_etag(version, RetentionSettingsView::from(record)))
        .await
}

/// Replaces the organisation's retention periods (`If-Match` required: `"0"` or `*` first).
///
/// Administrators and the DPO (403 otherwise). Each period within its bounds (422 pointing at it):
/// an archive later than 60 months or an audit log kept less than 6 months is refused. The next
/// retention run applies them. Audited as an `update` of `retention_run`.
#[utoipa::path(
    tag = "retention",
    operation_id = "replace_retention_settings",
    params(crate::responses::IfMatchHeader),
    request_body = RetentionPeriods,
    responses((status = 200, description = "The periods as written", body = RetentionSettingsView, headers(("ETag" = String))), WriteErrors),
    security(("bearer" = []))
)]
#[put("/organisation/retention")]
pub async fn replace_settings(
    ctx: Ctx,
    if_match: IfMatch,
    body: Json<RetentionPeriods>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::RetentionSettings)?;
    let settings = RetentionSettings::from(*body);
    let errors: Vec<FieldError> = settings
        .check()
        .iter()
        .map(|e| FieldError::refused(format!("/{}", e.field), e))
        .collect();
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let mut work = ctx.work(Access::Write).await?;
    let written = retention::put_settings(
        &mut work.tx,
        work.actor.org.id,
        if_match.expected(),
        &settings,
        work.actor.agent_id,
    )
    .await?;
    work.audit(settings_event(AuditAction::Update, work.actor.org.id));
    let version = written.version;
    work.commit(ok_with_etag(version, RetentionSettingsView::from(written)))
        .await
}

/// The day a report counts from.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// The day of the run to foresee (YYYY-MM-DD); today by default.
    pub as_of: Option<NaiveDate>,
}

/// One step of a run: how many records, and their ids.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportStep {
    /// Every record of the step.
    pub count: u64,
    /// The first 1000 of them (all when `count` is 1000 or fewer).
    pub ids: Vec<Uuid>,
}

impl From<Step> for ReportStep {
    fn from(s: Step) -> Self {
        ReportStep {
            count: s.count,
            ids: s.ids,
        }
    }
}

/// What a retention run on `as_of` would do, changing nothing.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetentionReport {
    /// The day of the run foreseen (`as_of`).
    pub run_on: NaiveDate,
    pub periods: RetentionPeriods,
    /// Closed cases it would archive (case ids).
    pub archived_cases: ReportStep,
    /// Persons it would anonymise (person ids), counting those whose cases it archives first.
    pub anonymised_persons: ReportStep,
    /// Applications whose documents, social reports and notes it would erase.
    pub erased_applications: ReportStep,
    /// Referrals whose attachments it would delete.
    pub referral_attachments: ReportStep,
    /// Audit events it would delete.
    pub expired_audit_events: u64,
    /// Events of the change feed, notifications and finished webhook deliveries it would
    /// delete (the same period as the audit events).
    pub expired_events: u64,
}

/// Reports what a retention run on a day would do (DPO).
///
/// The DPO only (403 otherwise). With the organisation's periods, the closed cases a run on
/// `as_of` (today by default; a later day shows the rules at work without waiting years) would
/// archive, the persons it would anonymise, the applications whose content it would erase, the
/// referrals whose attachments it would delete, how many audit events it would delete, and how
/// many events, notifications and webhook deliveries (kept as long as the audit events) —
/// counts and ids, nothing changed. Audited as a `read` of `retention_run`.
#[utoipa::path(
    tag = "retention",
    operation_id = "read_retention_report",
    params(ReportParams),
    responses((status = 200, description = "What a run would do", body = RetentionReport), ReadErrors),
    security(("bearer" = []))
)]
#[get("/retention/report")]
pub async fn report(ctx: Ctx, params: Query<ReportParams>) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::PersonErase)?;
    let as_of = params.as_of.unwrap_or_else(today);
    let mut work = ctx.work(Access::Read).await?;
    let settings = retention::settings(&mut work.tx).await?.settings;
    let found = retention::report(&mut work.tx, &settings.cutoffs(as_of)).await?;
    work.audit(settings_event(AuditAction::Read, work.actor.org.id));
    work.commit(HttpResponse::Ok().json(RetentionReport {
        run_on: as_of,
        periods: settings.into(),
        archived_cases: found.archived_cases.into(),
        anonymised_persons: found.anonymised_persons.into(),
        erased_applications: found.erased_applications.into(),
        referral_attachments: found.referral_attachments.into(),
        expired_audit_events: found.expired_audit_events,
        expired_events: found.expired_events,
    }))
    .await
}

/// Why a person is erased.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Demande d'effacement reçue par courrier le 28/11/2026"}))]
pub struct ErasureRequest {
    /// The person's request (1 to 2000 characters, not blank); recorded in the audit log.
    #[validate(length(min = 1, max = 2000))]
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub reason: String,
}

/// A person erased.
#[derive(Debug, Serialize, ToSchema)]
pub struct Erasure {
    pub person_id: Uuid,
    /// Always true once answered.
    pub anonymised: bool,
}

/// Erases a person on their request (GDPR article 17; DPO).
///
/// The DPO only (403 otherwise). When no retention obligation holds, anonymises the person now,
/// as the purge does: names become `Personne anonymisée`, the birth date keeps its year, the NIR,
/// address, phone, e-mail and CAF number are erased, so are the free texts of their cases and
/// applications, their documents and referral attachments; codes, dates and amounts stay. While
/// an application is within its retention (a granted one 10 years after its decision by
/// default), 409 `retention_obligation` names the applications and the day the last obligation
/// ends. Erasing twice is harmless. Audited as a `delete` of `person` with the reason.
#[utoipa::path(
    tag = "persons",
    operation_id = "erase_person",
    params(("id" = Uuid, Path, description = "Person id"), crate::responses::IdempotencyKeyHeader),
    request_body = ErasureRequest,
    responses((status = 200, description = "Anonymised", body = Erasure), CreateErrors),
    security(("bearer" = []))
)]
#[post("/{id}/erasure")]
pub async fn erase(
    ctx: Ctx,
    id: web::Path<Uuid>,
    body: Json<ErasureRequest>,
) -> Result<HttpResponse, ApiError> {
    let (mut work, _) = ctx
        .person(*id, PersonPart::Erase, AuditResource::Person)
        .await?;
    not_blank(&body.reason, "/reason")?;
    let settings = retention::settings(&mut work.tx).await?.settings;
    let obligations: Vec<Obligation> = retention::applications_of_person(&mut work.tx, *id)
        .await?
        .into_iter()
        .filter_map(|a| {
            a.ended_on.map(|ended_on| Obligation {
                application_id: a.id,
                kept_until: application_kept_until(&settings, a.granted, ended_on),
            })
        })
        .collect();
    if let Err(refusal) = check_erasure(obligations, today()) {
        let held: Vec<String> = refusal
            .obligations
            .iter()
            .map(|o| format!("application {} until {}", o.application_id, o.kept_until))
            .collect();
        return Err(ApiError::new(
            Code::RetentionObligation,
            format!("{refusal}: {}", held.join(", ")),
        )
        .with_detail_fr(format!("{} : {}", refusal.sentence_fr(), held.join(", "))));
    }
    retention::anonymise(&mut work.tx, &[*id]).await?;
    work.audit(
        NewAuditEvent::new(AuditAction::Delete, AuditResource::Person, *id)
            .about(*id)
            .because(Some(body.reason.trim())),
    );
    work.commit(HttpResponse::Ok().json(Erasure {
        person_id: *id,
        anonymised: true,
    }))
    .await
}
