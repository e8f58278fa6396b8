//! The social report (rapport de situation sociale) of an application: each `POST` writes a new
//! version with its author and date; versions are never edited. Once the application is
//! decided or withdrawn, the report is what was sent (409 `application_final`).

use actix_web::{HttpResponse, get, post, web};
use relais_domain::application::social_report_text;
use relais_domain::{AuditAction, AuditResource, Permission};
use relais_store::applications::reports as store_reports;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::model::{SocialReport, SocialReportList, invalid};
use super::{not_final, on_application};
use crate::context::{CaseReadParams, Ctx};
use crate::error::ApiError;
use crate::extract::{Json, Query};
use crate::pagination::{PageParams, into_views};
use crate::responses::{CreateErrors, ReadErrors};
use crate::routes::paths::{ApplicationPath, SocialReportPath};
use crate::work::{CaseUse, case_event};

/// The audit resource type of a social report.
const RESOURCE: AuditResource = AuditResource::ApplicationSocialReport;

fn location(case_id: Uuid, app_id: Uuid, version_no: i32) -> String {
    format!("/v1/cases/{case_id}/applications/{app_id}/social-reports/{version_no}")
}

/// A new version of the social report.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "text": "Madame L., 46 ans, vit seule avec ses deux enfants. Suite à une baisse de ses heures de travail, elle n'a pu régler ses loyers de septembre à novembre. Elle a repris un emploi à temps plein en décembre ; une aide du FSL permettrait d'éviter la procédure d'expulsion."
}))]
pub struct NewSocialReport {
    /// The whole text of this version (surrounding spaces are trimmed; not blank).
    #[validate(length(min = 1, max = 20000))]
    #[schema(min_length = 1, max_length = 20000)]
    pub text: String,
}

/// Lists the versions of an application's social report, newest first.
///
/// Workers on the case's team and supervisors (403 for reception, admin, dpo and partners, 404 for
/// a case the caller may not see or an application of another case). Every version with its text,
/// author and date. An archived case's reports are read only with a `reason` (400 `reason_required`
/// without it). Audited once as a `read` of `application.social_report`.
#[utoipa::path(
    tag = "applications",
    operation_id = "list_social_reports",
    params(ApplicationPath, PageParams, CaseReadParams),
    responses((status = 200, description = "Versions, newest first", body = SocialReportList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}/applications/{app_id}/social-reports")]
pub async fn list_social_reports(
    ctx: Ctx,
    path: web::Path<ApplicationPath>,
    page: Query<PageParams>,
    reason: Query<CaseReadParams>,
) -> Result<HttpResponse, ApiError> {
    let page = page.request()?;
    let (mut work, case, application) =
        on_application(&ctx, path.id, path.app_id, reason.case_use()).await?;
    let found = store_reports::list(&mut work.tx, application.id, page).await?;
    work.audit(case_event(
        &case,
        AuditAction::Read,
        RESOURCE,
        application.id,
    ));
    let (items, next_cursor) = into_views(found, SocialReport::from);
    work.commit(HttpResponse::Ok().json(SocialReportList { items, next_cursor }))
        .await
}

/// Reads one version of an application's social report.
///
/// Workers on the case's team and supervisors (403 for reception, admin, dpo and partners, 404 for
/// a case the caller may not see or an application of another case). 404 for a version the
/// application does not have. An archived case's reports are read only with a `reason` (400
/// `reason_required` without it). Audited as a `read` of `application.social_report`.
#[utoipa::path(
    tag = "applications",
    operation_id = "read_social_report",
    params(SocialReportPath, CaseReadParams),
    responses((status = 200, description = "The version", body = SocialReport), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}/applications/{app_id}/social-reports/{version_no}")]
pub async fn read_social_report(
    ctx: Ctx,
    path: web::Path<SocialReportPath>,
    params: Query<CaseReadParams>,
) -> Result<HttpResponse, ApiError> {
    let (mut work, case, application) =
        on_application(&ctx, path.id, path.app_id, params.case_use()).await?;
    let report = store_reports::get(&mut work.tx, application.id, path.version_no).await?;
    work.audit(case_event(&case, AuditAction::Read, RESOURCE, report.id));
    work.commit(HttpResponse::Ok().json(SocialReport::from(report)))
        .await
}

/// Writes a new version of an application's social report, authored by the caller.
///
/// Workers on the case's team and supervisors. Each call writes the next version (the whole text,
/// trimmed, 1 to 20 000 characters); versions are never edited. Once the application is decided or
/// withdrawn the report is what was sent (409 `application_final`); an archived case answers 409
/// `case_archived`. Audited as a `create` of `application.social_report`; the timeline records it.
#[utoipa::path(
    tag = "applications",
    operation_id = "add_social_report",
    params(ApplicationPath, crate::responses::IdempotencyKeyHeader),
    request_body = NewSocialReport,
    responses((status = 201, description = "The new version", body = SocialReport, headers(("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/{id}/applications/{app_id}/social-reports")]
pub async fn add_social_report(
    ctx: Ctx,
    path: web::Path<ApplicationPath>,
    body: Json<NewSocialReport>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseWrite)?;
    let text = social_report_text(&body.text).map_err(|p| invalid(vec![p]))?;
    let (mut work, case, application) =
        on_application(&ctx, path.id, path.app_id, CaseUse::Write).await?;
    not_final(&application)?;
    let report = store_reports::add(
        &mut work.tx,
        work.actor.org.id,
        work.actor.agent_id,
        case.id,
        application.id,
        &text,
    )
    .await?;
    work.audit(case_event(&case, AuditAction::Create, RESOURCE, report.id));
    work.commit(
        HttpResponse::Created()
            .insert_header((
                actix_web::http::header::LOCATION,
                location(case.id, application.id, report.version_no),
            ))
            .json(SocialReport::from(report)),
    )
    .await
}
