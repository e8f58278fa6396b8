//! A letter as printable HTML or as PDF (content negotiation on `Accept`), in French: the
//! letter as it was sent, reprinted from what was stored.

use actix_web::{HttpRequest, HttpResponse, get, web};
use relais_domain::AuditAction;
use relais_store::letters::LetterRecord;

use super::{LetterPath, letter_of};
use crate::context::{CaseReadParams, Ctx};
use crate::documents::letter::{self, LetterDocument, LetterRecipient, LetterSender};
use crate::documents::letterhead::{Letterhead, LogoBytes};
use crate::error::{ApiError, Problem};
use crate::extract::Query;
use crate::printed::{self, PRINTED, document_response};
use crate::responses::ReadErrors;

/// The printed letter, from the stored one and the organisation's logo as it is now.
fn printable(letter: LetterRecord, logo: Option<LogoBytes>) -> LetterDocument {
    LetterDocument {
        letterhead: Letterhead::from_sent(letter.letterhead, logo),
        title: letter.template_name,
        sender: LetterSender {
            name: letter.sender.name,
            role: letter.sender.role,
            email: letter.sender.email,
            phone: letter.sender.phone,
        },
        recipient: letter.recipient.map(|r| LetterRecipient {
            name: r.name,
            address: r.address,
        }),
        date: letter.written_on,
        subject: letter.subject,
        body: letter.body,
    }
}

/// A letter of a case, printed in French: `text/html` (printable; the default, also for `*/*`)
/// or `application/pdf`, as the `Accept` header asks. 406 for any other media type.
///
/// Workers on the case's team and supervisors (403 for other roles, 404 for a case the caller may
/// not see or a letter of another case). The letter as it was sent, on A4: the organisation's
/// letterhead, the sender's block (name, role, phone, e-mail), the recipient's (name and
/// address; none for an attestation), the date, `Objet : …`, the body's paragraphs and the
/// signature. Every value is escaped in the HTML. Sent with `Cache-Control: private, no-store`.
/// An archived case's letter is printed only with a `reason` (400 `reason_required` without
/// it). Audited as a `download` of `case.letter`.
#[utoipa::path(
    tag = "letters",
    operation_id = "letter_document",
    params(LetterPath, CaseReadParams),
    responses(
        (status = 200, description = "The letter as sent: letterhead, sender, recipient, date, subject, body and signature",
            content((String = "text/html"), (crate::printed::PdfFile = "application/pdf")),
            headers(("Content-Disposition" = String, description = "PDF only: `inline; filename=\"courrier-<YYYY-MM-DD>.pdf\"`"), ("Vary" = String))),
        (status = 406, description = "The Accept header allows neither text/html nor application/pdf", body = Problem, content_type = "application/problem+json"),
        ReadErrors
    ),
    security(("bearer" = []))
)]
#[get("/{id}/letters/{lid}/document")]
pub async fn document(
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<LetterPath>,
    params: Query<CaseReadParams>,
) -> Result<HttpResponse, ApiError> {
    let format = printed::format(&req, &PRINTED)?;
    let (mut work, stored) = letter_of(&ctx, &path, &params, AuditAction::Download).await?;
    // The letter keeps its letterhead's text; only the logo is read now (one query).
    let logo = relais_store::profiles::logo(&mut work.tx)
        .await?
        .and_then(LogoBytes::from_file);
    let filename = format!("courrier-{}.pdf", stored.written_on);
    // The work commits the answer, so the PDF is rendered first: one that fails to render
    // records no download.
    let response = document_response(
        format,
        printable(stored, logo),
        letter::html,
        letter::pdf,
        &filename,
    )
    .await?;
    work.commit(response).await
}
