//! The social report (*rapport de situation sociale*) of an application as printed: one version
//! of the worker's evaluation with what a commission reads alongside it — the person, their
//! household and its budget, the request and its funding plan — as printable HTML or as PDF
//! (content negotiation on `Accept`), in French.

use actix_web::{HttpRequest, HttpResponse, get, web};
use relais_domain::{AuditAction, AuditResource};
use relais_store::applications::{funding as store_funding, reports as store_reports};
use relais_store::{agents, budgets, households, persons, schemes};

use super::on_application;
use crate::context::{CaseReadParams, Ctx};
use crate::documents::{
    DocumentReferent, PrintedApplication, ReportBudget, ReportPerson, SocialReport,
    social_report_html, social_report_pdf,
};
use crate::error::{ApiError, Problem};
use crate::extract::Query;
use crate::printed::{self, PRINTED, document_response};
use crate::responses::ReadErrors;
use crate::routes::household::person_part_event;
use crate::routes::paths::SocialReportPath;
use crate::routes::today;
use crate::work::case_event;

/// One version of an application's social report, printed in French: `text/html` (printable; the
/// default, also for `*/*`) or `application/pdf`, as the `Accept` header asks. 406 for any other
/// media type.
///
/// Workers on the case's team and supervisors (403 for reception, admin, dpo and partners, 404 for
/// a case the caller may not see, an application of another case or a version the application
/// does not have). The report shows the organisation, the person (identity, address and contact,
/// CAF number), the household's composition (members with their relationship and age), the budget
/// summary (total resources and charges, reste à vivre a month, a day and per consumption unit,
/// the lines and debts), the request (scheme, status, submission or decision) and its funding
/// plan (need, each funder with its answer, amounts requested and granted, remaining gap), the
/// version's text, its date and author (name and title from their profile), and room for the
/// signature. Sent with `Cache-Control: private, no-store`. An archived case's reports are printed
/// only with a `reason` (400 `reason_required` without it). Audited as a `download` of
/// `application.social_report`, and as a `read` of `person.household` and of `person.budget`,
/// which it prints.
#[utoipa::path(
    tag = "applications",
    operation_id = "social_report_document",
    params(SocialReportPath, CaseReadParams),
    responses(
        (status = 200, description = "The social report: person, household and budget summary, the request and its funding plan, the evaluation, its date, author and signature",
            content((String = "text/html"), (crate::printed::PdfFile = "application/pdf")),
            headers(("Content-Disposition" = String, description = "PDF only: `inline; filename=\"rapport-social-<version_no>.pdf\"`"), ("Vary" = String))),
        (status = 406, description = "The Accept header allows neither text/html nor application/pdf", body = Problem, content_type = "application/problem+json"),
        ReadErrors
    ),
    security(("bearer" = []))
)]
#[get("/{id}/applications/{app_id}/social-reports/{version_no}/document")]
pub async fn social_report_document(
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<SocialReportPath>,
    params: Query<CaseReadParams>,
) -> Result<HttpResponse, ApiError> {
    let format = printed::format(&req, &PRINTED)?;
    let (mut work, case, application) =
        on_application(&ctx, path.id, path.app_id, params.case_use()).await?;
    let report = store_reports::get(&mut work.tx, application.id, path.version_no).await?;
    let person = persons::get(&mut work.tx, case.person_id).await?;
    let household = households::get(&mut work.tx, case.person_id)
        .await?
        .map(|h| h.household);
    let lines = budgets::get(&mut work.tx, case.person_id)
        .await?
        .map(|b| b.budget);
    let funding = store_funding::get(&mut work.tx, application.id).await?;
    let scheme = schemes::get(&mut work.tx, application.scheme_id).await?;
    let author = agents::profiles(&mut work.tx, &[report.author_id])
        .await?
        .remove(&report.author_id)
        .map_or_else(
            || DocumentReferent {
                name: "Auteur non identifié".to_owned(),
                job_title: None,
                civility: None,
                email: None,
                phone: None,
            },
            DocumentReferent::from,
        );
    work.audit(case_event(
        &case,
        AuditAction::Download,
        AuditResource::ApplicationSocialReport,
        report.id,
    ));
    // The household and the budget are parts of the person's record: printing them reads them.
    for part in [AuditResource::PersonHousehold, AuditResource::PersonBudget] {
        work.audit(person_part_event(AuditAction::Read, part, case.person_id));
    }

    let today = today();
    let letterhead = crate::printed::letterhead(&mut work.tx).await?;
    let printed = SocialReport {
        letterhead,
        document_on: today,
        person: ReportPerson::from(&person),
        budget: lines.map(|lines| ReportBudget::new(lines, household.as_ref(), today)),
        household,
        request: PrintedApplication::of(&application, funding.as_ref()),
        provider: Some(scheme.provider),
        version_no: report.version_no,
        written_on: report.created_at.date_naive(),
        text: report.text,
        author,
    };
    // The work commits the answer, so the PDF is rendered first: one that fails to render
    // records no download.
    let filename = format!("rapport-social-{}.pdf", report.version_no);
    let response = document_response(
        format,
        printed,
        social_report_html,
        social_report_pdf,
        &filename,
    )
    .await?;
    work.commit(response).await
}
