//! The liaison sheet as printable HTML or as PDF (content negotiation on `Accept`), in French,
//! filled with the chosen content only (gathered by [`super::content`]).

use actix_web::{HttpRequest, HttpResponse, get, web};
use relais_domain::AuditAction;
use relais_store::liaisons as store;

use super::content;
use crate::context::Ctx;
use crate::error::{ApiError, Problem};
use crate::printed::{self, PRINTED};
use crate::responses::ReadErrors;
use crate::routes::paths::LiaisonPath;
use crate::work::CaseUse;

/// The liaison sheet, in French: `text/html` (printable; the default, also for `*/*`) or
/// `application/pdf`, as the `Accept` header asks. 406 for any other media type.
///
/// Workers on the case's team and supervisors (403 for other roles, 404 for a case the caller may
/// not see). The sheet shows the destination, purpose, legal basis and date, and only the content
/// chosen, read from the case as it is now, whatever the sheet's status. No `reason` is asked, even
/// for an archived case. Every download is audited as a `share` of `liaison`, and as a `reveal` of
/// `person.nir` when the NIR is printed in clear.
#[utoipa::path(
    tag = "liaisons",
    operation_id = "liaison_document",
    params(
        LiaisonPath
    ),
    responses(
        (status = 200, description = "The liaison sheet: destination, purpose, legal basis and date, and only the content chosen from the whitelist",
            content((String = "text/html"), (crate::printed::PdfFile = "application/pdf")),
            headers(("Content-Disposition" = String, description = "PDF only: `inline; filename=\"fiche-de-liaison.pdf\"`"), ("Vary" = String))),
        (status = 406, description = "The Accept header allows neither text/html nor application/pdf", body = Problem, content_type = "application/problem+json"),
        ReadErrors
    ),
    security(("bearer" = []))
)]
#[get("/{id}/liaisons/{lid}/document")]
pub async fn document(
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<LiaisonPath>,
) -> Result<HttpResponse, ApiError> {
    ctx.require_case_read()?;
    let format = printed::format(&req, &PRINTED)?;
    let (mut work, case) = ctx.case(path.id, CaseUse::Visible).await?;
    let liaison = store::get(&mut work.tx, case.id, path.lid).await?;
    let gathered = content::gather(&mut work.tx, &ctx.state.vault, &case, &liaison).await?;
    work.audit_all(content::events(AuditAction::Share, &liaison, &gathered));
    let letterhead = printed::letterhead(&mut work.tx).await?;
    let sheet = content::sheet(letterhead, &liaison, gathered);
    let response = content::respond(format, sheet).await?;
    work.commit(response).await
}
