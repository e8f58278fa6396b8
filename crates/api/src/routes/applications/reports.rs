//! The social report (rapport de situation sociale) of an application: each `POST` writes a new
//! version with its author and date; versions are never edited. Once the application is
//! decided or withdrawn, the report is what was sent (409 `application_final`).

use actix_web::{HttpResponse, get, post, web};
use relais_domain::application::social_report_text;
use relais_domain::{AuditAction, AuditResource, Permission};
use relais_store::applications::{self as store, reports as store_reports};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::model::{SocialReport, SocialReportList, invalid};
use super::{event, not_final};
use crate::context::{CaseReadParams, Ctx};
use crate::error::ApiError;
use crate::extract::{Json, Query};
use crate::pagination::{next_cursor, page_request};
use crate::responses::{CreateErrors, ReadErrors};
use crate::work::CaseUse;

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

/// Paging of the versions, with the reason to read an archived case.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportListParams {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Required when the case is archived; recorded in the audit log.
    #[param(min_length = 5, max_length = 500)]
    pub reason: Option<String>,
}

/// Lists the versions of an application's social report, newest first.
#[utoipa::path(
    tag = "applications",
    operation_id = "list_social_reports",
    params(("id" = Uuid, Path, description = "Case id"), ("app_id" = Uuid, Path, description = "Application id"), ReportListParams),
    responses((status = 200, description = "Versions, newest first", body = SocialReportList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/cases/{id}/applications/{app_id}/social-reports")]
pub async fn list_social_reports(
    ctx: Ctx,
    path: web::Path<(Uuid, Uuid)>,
    params: Query<ReportListParams>,
) -> Result<HttpResponse, ApiError> {
    let page = page_request(params.limit, params.cursor.as_deref())?;
    let (case_id, app_id) = path.into_inner();
    let (mut work, case) = ctx
        .case(case_id, CaseUse::Read(params.reason.as_deref()))
        .await?;
    let application = store::get(&mut work.tx, case.id, app_id).await?;
    let found = store_reports::list(&mut work.tx, application.id, page).await?;
    work.audit(event(AuditAction::Read, RESOURCE, application.id, &case));
    let next = next_cursor(&found);
    work.commit(HttpResponse::Ok().json(SocialReportList {
        items: found.items.into_iter().map(SocialReport::from).collect(),
        next_cursor: next,
    }))
    .await
}

/// Reads one version of an application's social report.
#[utoipa::path(
    tag = "applications",
    operation_id = "read_social_report",
    params(
        ("id" = Uuid, Path, description = "Case id"),
        ("app_id" = Uuid, Path, description = "Application id"),
        ("version_no" = i32, Path, description = "Version number (1, 2, 3…)"),
        CaseReadParams
    ),
    responses((status = 200, description = "The version", body = SocialReport), ReadErrors),
    security(("bearer" = []))
)]
#[get("/cases/{id}/applications/{app_id}/social-reports/{version_no}")]
pub async fn read_social_report(
    ctx: Ctx,
    path: web::Path<(Uuid, Uuid, i32)>,
    params: Query<CaseReadParams>,
) -> Result<HttpResponse, ApiError> {
    let (case_id, app_id, version_no) = path.into_inner();
    let (mut work, case) = ctx
        .case(case_id, CaseUse::Read(params.reason.as_deref()))
        .await?;
    let application = store::get(&mut work.tx, case.id, app_id).await?;
    let report = store_reports::get(&mut work.tx, application.id, version_no).await?;
    work.audit(event(AuditAction::Read, RESOURCE, report.id, &case));
    work.commit(HttpResponse::Ok().json(SocialReport::from(report)))
        .await
}

/// Writes a new version of an application's social report, authored by the caller.
#[utoipa::path(
    tag = "applications",
    operation_id = "add_social_report",
    params(("id" = Uuid, Path, description = "Case id"), ("app_id" = Uuid, Path, description = "Application id"), crate::responses::IdempotencyKeyHeader),
    request_body = NewSocialReport,
    responses((status = 201, description = "The new version", body = SocialReport, headers(("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/cases/{id}/applications/{app_id}/social-reports")]
pub async fn add_social_report(
    ctx: Ctx,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<NewSocialReport>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseWrite)?;
    let text = social_report_text(&body.text).map_err(|p| invalid(vec![p]))?;
    let (case_id, app_id) = path.into_inner();
    let (mut work, case) = ctx.case(case_id, CaseUse::Write).await?;
    let application = store::lock(&mut work.tx, case.id, app_id).await?;
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
    work.audit(event(AuditAction::Create, RESOURCE, report.id, &case));
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
