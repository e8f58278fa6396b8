//! Applications (dossiers de demande) of a case to a scheme of the catalogue: created from the
//! scheme (its required documents start the checklist, and the plan can get the steps the
//! application needs), listed and read here; corrected and moved through their lifecycle
//! (`lifecycle`); their checklist (`documents`), funding plan (`funding`) and social report
//! (`reports`, printed by `report_document`). The request and response types are in `model`.
//!
//! The caller must see the case (404 otherwise: workers see their teams' cases, supervisors
//! all); reception, administrators, the DPO and partners get 403. An archived case is
//! read-only (409 `case_archived`) and read with a reason; a closed case keeps its applications
//! going (decisions often arrive after the support ended). Every read and write is audited with
//! the case's person; creations and status changes are events of the case timeline.
//!
//! Lifecycle (`relais_domain::application`): `preparing` and `complete` follow the checklist —
//! complete when every required document is received or validated, back to preparing when one
//! stops being so before submission —; the worker asks for `under_review`, `submitted` (date and
//! recipient), `decided` (decision, date, amount or reason) or `withdrawn` with `If-Match`.

mod documents;
pub(crate) mod funding;
mod lifecycle;
mod model;
mod report_document;
mod reports;

use actix_web::{HttpResponse, get, post, web};
use chrono::Days;
use relais_domain::application::{ProposalLine, optional_text, proposed_items};
use relais_domain::{AuditAction, AuditResource, DocumentProvider, Permission, PlanItemTitle};
use relais_store::StoreError;
use relais_store::applications::{
    self as store, ApplicationRecord, NewApplication as StoreNew, NewChecklistLine,
};
use relais_store::applications::{checklist, funding as store_funding, reports as store_reports};
use relais_store::cases::CaseRecord;
use relais_store::db::Access;
use relais_store::db::Tx;
use relais_store::plan_items::{self, NewPlanItem};
use relais_store::schemes::{self, SchemeRecord};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::conditional::{created, ok_with_etag};
use crate::context::{Actor, CaseReadParams, Ctx};
use crate::error::{ApiError, Code};
use crate::extract::{Json, Query, coded_param};
use crate::pagination::{PageParams, next_cursor};
use crate::responses::{CreateErrors, ReadErrors};
use crate::routes::paths::ApplicationPath;
use crate::routes::today;
use crate::work::{CaseUse, Work, case_event};

pub use documents::{
    ApplicationDocumentPatch, ChecklistChange, NewApplicationDocument, add_document, read_document,
    update_document,
};
pub use funding::{FunderInput, FundingPlanReplacement, read_funding_plan, replace_funding_plan};
pub use lifecycle::{transition, update};
pub use model::{
    Application, ApplicationDocument, ApplicationList, ApplicationPatch, ApplicationTransition,
    FunderView, FundingPlan, NewApplication, SocialReport, SocialReportList, SocialReportSummary,
};
pub use report_document::social_report_document;
pub use reports::{NewSocialReport, add_social_report, list_social_reports, read_social_report};

/// The audit resource type of an application.
const RESOURCE: AuditResource = AuditResource::Application;

fn location(case_id: Uuid, id: Uuid) -> String {
    format!("/v1/cases/{case_id}/applications/{id}")
}

/// Opens the work on the application `app_id` of the case `case_id`, after the case's guard
/// `use_`: a read gets it, a change locks it.
async fn on_application(
    ctx: &Ctx,
    case_id: Uuid,
    app_id: Uuid,
    use_: CaseUse<'_>,
) -> Result<(Work, CaseRecord, ApplicationRecord), ApiError> {
    let (mut work, case) = ctx.case(case_id, use_).await?;
    let application = match use_.access() {
        Access::Read => store::get(&mut work.tx, case.id, app_id).await?,
        Access::Write => store::lock(&mut work.tx, case.id, app_id).await?,
    };
    Ok((work, case, application))
}

/// A decided or withdrawn application's checklist and social report are what was sent: frozen.
fn not_final(application: &ApplicationRecord) -> Result<(), ApiError> {
    if application.status.is_final() {
        return Err(ApiError::new(
            Code::ApplicationFinal,
            format!(
                "the application is {}: its checklist and social report no longer change",
                application.status
            ),
        ));
    }
    Ok(())
}

/// The applications with their checklists, funding plans and latest social reports, in three
/// queries whatever their number.
async fn views(tx: &mut Tx, records: Vec<ApplicationRecord>) -> Result<Vec<Application>, ApiError> {
    let ids: Vec<Uuid> = records.iter().map(|r| r.id).collect();
    let mut lines = checklist::for_applications(tx, &ids).await?;
    let mut plans = store_funding::for_applications(tx, &ids).await?;
    let mut latest = store_reports::latest(tx, &ids).await?;
    Ok(records
        .into_iter()
        .map(|r| {
            let (mine, rest) = lines.drain(..).partition(|l| l.application_id == r.id);
            lines = rest;
            let plan = plans
                .iter()
                .position(|p| p.application_id == r.id)
                .map(|i| plans.swap_remove(i));
            let report = latest
                .iter()
                .position(|l| l.application_id == r.id)
                .map(|i| latest.swap_remove(i));
            Application::new(r, mine, plan, report)
        })
        .collect())
}

/// One application with its parts.
async fn view(tx: &mut Tx, record: ApplicationRecord) -> Result<Application, ApiError> {
    views(tx, vec![record])
        .await?
        .pop()
        .ok_or(ApiError::NotFound)
}

/// Filters of a case's applications.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only the applications in this status.
    #[param(schema_with = crate::schema::application_status)]
    pub status: Option<String>,
}

/// Lists a case's applications, newest first, with their checklists.
///
/// Workers on the case's team and supervisors (403 for reception, admin, dpo and partners, 404 for
/// a case the caller may not see). Filter by `status`. Each application comes with its checklist,
/// its funding plan and its latest social report. An archived case's applications are read only
/// with a `reason` (400 `reason_required` without it). Audited once as a `read` of
/// `case.applications`.
#[utoipa::path(
    tag = "applications",
    operation_id = "list_applications",
    params(("id" = Uuid, Path, description = "Case id"), ListParams, PageParams, CaseReadParams),
    responses((status = 200, description = "Applications, newest first", body = ApplicationList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}/applications")]
pub async fn list(
    ctx: Ctx,
    id: web::Path<Uuid>,
    filter: Query<ListParams>,
    page: Query<PageParams>,
    reason: Query<CaseReadParams>,
) -> Result<HttpResponse, ApiError> {
    let status = coded_param("status", "application status", filter.status.as_deref())?;
    let page = page.request()?;
    let (mut work, case) = ctx
        .case_list(*id, reason.case_use(), AuditResource::CaseApplications)
        .await?;
    let found = store::list(&mut work.tx, case.id, status, page).await?;
    let next_cursor = next_cursor(&found);
    let items = views(&mut work.tx, found.items).await?;
    work.commit(HttpResponse::Ok().json(ApplicationList { items, next_cursor }))
        .await
}

/// The scheme an application is made to: an active scheme of the organisation (422 at
/// `/scheme_id` otherwise).
async fn scheme_to_apply_to(tx: &mut Tx, id: Uuid) -> Result<SchemeRecord, ApiError> {
    let scheme = match schemes::get(tx, id).await {
        Err(StoreError::NotFound) => {
            return Err(ApiError::invalid(
                "/scheme_id",
                "unknown_reference",
                format!("no scheme {id} in the organisation's catalogue"),
            ));
        }
        other => other?,
    };
    if !scheme.active {
        return Err(ApiError::invalid(
            "/scheme_id",
            "scheme_inactive",
            "the scheme was withdrawn from the catalogue: no new application can be made to it",
        ));
    }
    Ok(scheme)
}

/// Adds to the plan of an open case the steps an application needs (see
/// [`NewApplication::propose_plan_items`]), through the plan items' own store and rules;
/// answers the new items' ids.
async fn propose_plan_items(
    tx: &mut Tx,
    actor: &Actor,
    case: &CaseRecord,
    scheme: &SchemeRecord,
    application_id: Uuid,
) -> Result<Vec<Uuid>, ApiError> {
    let lines: Vec<ProposalLine<'_>> = scheme
        .required_documents
        .iter()
        .map(|d| ProposalLine {
            label: &d.label,
            by_person: d.provider == DocumentProvider::Person,
        })
        .collect();
    let today = today();
    let mut ids = Vec::new();
    for item in proposed_items(&scheme.name, &lines) {
        let title = PlanItemTitle::parse(&item.title)
            .map_err(|e| ApiError::internal(std::io::Error::other(e.to_string())))?;
        let due_on = today
            .checked_add_days(Days::new(item.due_in_days))
            .unwrap_or(today)
            .max(case.opened_on);
        let created = plan_items::create(
            tx,
            actor.org.id,
            actor.agent_id,
            case.id,
            &NewPlanItem {
                party: item.party,
                category: item.category,
                domain: scheme.domain,
                title: title.as_str(),
                details: item.details.as_deref(),
                scheme_id: Some(scheme.id),
                application_id: Some(application_id),
                due_on,
            },
        )
        .await?;
        ids.push(created.id);
    }
    Ok(ids)
}

/// Creates an application of the case to a scheme, its checklist copied from the scheme's
/// required documents; optionally proposes the plan items it needs.
///
/// Workers on the case's team and supervisors (403 for other roles, 404 for a case the caller may
/// not see). The scheme must be an active scheme of the catalogue (422 `unknown_reference` or
/// `scheme_inactive` at `/scheme_id`), and the case may have only one application in progress
/// (neither decided nor withdrawn) per scheme (409 `application_in_progress`). Every required
/// document of the scheme becomes a `requested` line of the checklist. With `propose_plan_items:
/// true` the plan gets the steps the application needs (the person's *préconisation* to gather
/// their documents, the worker's interventions to obtain the others and to write the social
/// report), which needs an open case (409 `case_closed`); without it a closed case still takes
/// applications, an archived one none (409 `case_archived`). Audited as a `create` of `application`
/// (and of each `plan_item` added); the timeline records it.
#[utoipa::path(
    tag = "applications",
    operation_id = "create_application",
    params(("id" = Uuid, Path, description = "Case id"), crate::responses::IdempotencyKeyHeader),
    request_body = NewApplication,
    responses((status = 201, description = "Created: `preparing`, or `complete` when the scheme requires no document", body = Application, headers(("Location" = String), ("ETag" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/{id}/applications")]
pub async fn create(
    ctx: Ctx,
    id: web::Path<Uuid>,
    body: Json<NewApplication>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseWrite)?;
    let notes =
        optional_text(body.notes.as_deref(), "notes", 5000).map_err(|p| model::invalid(vec![p]))?;
    // A closed case keeps its applications going; only proposing plan items needs it open.
    // (Not `CaseUse::Plan`: an archived case must still answer `case_archived`.)
    let (mut work, case) = ctx.case(*id, CaseUse::Write).await?;
    if body.propose_plan_items {
        case.status().plan_open()?;
    }
    let scheme = scheme_to_apply_to(&mut work.tx, body.scheme_id).await?;
    let lines: Vec<NewChecklistLine<'_>> = scheme
        .required_documents
        .iter()
        .map(|d| NewChecklistLine {
            code: &d.code,
            label: &d.label,
            required: true,
            provider: d.provider,
        })
        .collect();
    let application = store::create(
        &mut work.tx,
        work.actor.org.id,
        work.actor.agent_id,
        case.id,
        &StoreNew {
            scheme_id: scheme.id,
            notes: notes.as_deref(),
            documents: &lines,
        },
    )
    .await?;
    work.audit(case_event(
        &case,
        AuditAction::Create,
        RESOURCE,
        application.id,
    ));
    if body.propose_plan_items {
        let items =
            propose_plan_items(&mut work.tx, &work.actor, &case, &scheme, application.id).await?;
        work.audit_all(
            items
                .into_iter()
                .map(|item| case_event(&case, AuditAction::Create, AuditResource::PlanItem, item)),
        );
    }
    let version = application.version;
    let body = view(&mut work.tx, application).await?;
    work.commit(created(location(case.id, body.id), version, body))
        .await
}

/// Reads an application with its checklist, funding plan and latest social report.
///
/// Workers on the case's team and supervisors (403 for reception, admin, dpo and partners, 404 for
/// a case the caller may not see or an application of another case). An archived case's
/// applications are read only with a `reason` (400 `reason_required` without it). Audited as a
/// `read` of `application`.
#[utoipa::path(
    tag = "applications",
    operation_id = "read_application",
    params(ApplicationPath, CaseReadParams),
    responses((status = 200, description = "The application", body = Application, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}/applications/{app_id}")]
pub async fn read(
    ctx: Ctx,
    path: web::Path<ApplicationPath>,
    params: Query<CaseReadParams>,
) -> Result<HttpResponse, ApiError> {
    let (mut work, case, application) =
        on_application(&ctx, path.id, path.app_id, params.case_use()).await?;
    work.audit(case_event(
        &case,
        AuditAction::Read,
        RESOURCE,
        application.id,
    ));
    let version = application.version;
    let body = view(&mut work.tx, application).await?;
    work.commit(ok_with_etag(version, body)).await
}
