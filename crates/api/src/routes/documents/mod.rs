//! Case documents (*pièces justificatives*): files uploaded to a case, kept in PostgreSQL, listed
//! and downloaded by the case team.
//!
//! Who: workers of the case team and supervisors upload (`CaseWrite`); whoever may read the
//! case lists, reads and downloads. Reception, administrators, the DPO and partners get 403; a
//! case (or a document of a case) the caller cannot see, or of another organisation, 404. An
//! archived case takes no upload (409 `case_archived`), and its documents are read only with a
//! `reason` (5 characters or more), recorded in the audit log, as for the case itself.
//!
//! Audit: the upload is a `create`, the list and a metadata read are `read`s, and every
//! download is a `download`, all of resource type `document` (`case.documents` for the list)
//! with the case's person. Documents never change and are never deleted by the application.

mod model;
mod uploading;

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use relais_domain::{AuditAction, AuditResource};
use relais_store::StoreError;
use relais_store::db::Access;
use relais_store::documents::{self as store, DocumentRecord};
use uuid::Uuid;

use crate::conditional::ok_with_etag;
use crate::context::{CaseReadParams, Ctx};
use crate::error::ApiError;
use crate::extract::Query;
use crate::pagination::{PageParams, into_views};
use crate::responses::ReadErrors;
use crate::work::{CaseUse, Work, case_event};

pub use model::{Document, DocumentFile, DocumentList, UploadErrors, UploadForm};
pub use uploading::upload;

/// The resource type of the audit events of documents.
const RESOURCE: AuditResource = AuditResource::Document;

fn location(id: Uuid) -> String {
    format!("/v1/documents/{id}")
}

/// Opens the work that reads the document `id`, audited as `action` with its case's person.
/// The path names the document: its case is loaded, and guarded, once the document gives it. A
/// refusal of a document that exists (403 for a role that reads no case content, 404 for a case
/// out of the caller's scope) is recorded as an `access_denied` of the document.
async fn document_work(
    ctx: &Ctx,
    id: Uuid,
    reason: Option<&str>,
    action: AuditAction,
) -> Result<(Work, DocumentRecord), ApiError> {
    let mut work = ctx.work(Access::Read).await?;
    let document = match store::get(&mut work.tx, id).await {
        Err(StoreError::NotFound) => {
            ctx.require_case_read()?;
            return Err(ApiError::NotFound);
        }
        found => found?,
    };
    match work.case(document.case_id, CaseUse::Read(reason)).await {
        Ok(case) => {
            work.audit(case_event(&case, action, RESOURCE, document.id));
            Ok((work, document))
        }
        Err(refusal @ (ApiError::NotFound | ApiError::Forbidden)) => Err(work
            .refuse_on_case(refusal, document.case_id, RESOURCE, document.id)
            .await),
        Err(err) => Err(err),
    }
}

/// Lists a case's documents, newest first (metadata only).
///
/// Workers on the case's team and supervisors (403 for reception, admin, dpo and partners, 404 for
/// a case the caller may not see). Each document's name, type, size, SHA-256, description, author
/// and `content_url`; the content itself is downloaded one document at a time. An archived case's
/// documents are listed only with a `reason` (400 `reason_required` without it). Audited once as a
/// `read` of `case.documents`.
#[utoipa::path(
    tag = "documents",
    operation_id = "list_documents",
    params(("id" = Uuid, Path, description = "Case id"), PageParams, CaseReadParams),
    responses((status = 200, description = "Documents, newest first", body = DocumentList), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}/documents")]
pub async fn list(
    ctx: Ctx,
    id: web::Path<Uuid>,
    page: Query<PageParams>,
    reason: Query<CaseReadParams>,
) -> Result<HttpResponse, ApiError> {
    let page = page.request()?;
    let (mut work, case) = ctx
        .case_list(*id, reason.case_use(), AuditResource::CaseDocuments)
        .await?;
    let found = store::list_for_case(&mut work.tx, case.id, page).await?;
    let (items, next_cursor) = into_views(found, Document::from);
    work.commit(HttpResponse::Ok().json(DocumentList { items, next_cursor }))
        .await
}

/// Reads a document's metadata.
///
/// Workers on the team of the document's case and supervisors (403 for other roles, 404 for a
/// document of a case the caller may not see). A document of an archived case is read only with a
/// `reason` (400 `reason_required` without it). Audited as a `read` of `document`.
#[utoipa::path(
    tag = "documents",
    operation_id = "read_document",
    params(("id" = Uuid, Path, description = "Document id"), CaseReadParams),
    responses((status = 200, description = "The document's metadata", body = Document, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/documents/{id}")]
pub async fn read(
    ctx: Ctx,
    id: web::Path<Uuid>,
    params: Query<CaseReadParams>,
) -> Result<HttpResponse, ApiError> {
    let (work, document) =
        document_work(&ctx, *id, params.reason.as_deref(), AuditAction::Read).await?;
    work.commit(ok_with_etag(document.version, Document::from(document)))
        .await
}

/// The `Content-Disposition` of a download (RFC 6266): `attachment`, an ASCII fallback name, and
/// the exact name in `filename*` (RFC 8187, UTF-8, percent-encoded outside `attr-char`).
fn disposition(filename: &str) -> String {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() && c != '"' && c != '\\' && c != '%') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::with_capacity(filename.len() * 3);
    for byte in filename.bytes() {
        let attr_char = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            );
        if attr_char {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Downloads a document's content (audited as a download).
///
/// Workers on the team of the document's case and supervisors (403 for reception, admin, dpo and
/// partners, 404 for a document of a case the caller may not see). A document of an archived case
/// is downloaded only with a `reason` (400 `reason_required` without it). The file comes as an
/// attachment under its upload name, with the type recognised at upload, its SHA-256 as the `ETag`,
/// `X-Content-Type-Options: nosniff` and `Cache-Control: private, no-store`. Audited as a
/// `download` of `document`.
///
/// The bytes are read from PostgreSQL in one query and sent whole: documents are at most the
/// upload limit (10 MiB by default, 64 MiB at most), so no streaming from the database is needed.
#[utoipa::path(
    tag = "documents",
    operation_id = "document_content",
    params(("id" = Uuid, Path, description = "Document id"), CaseReadParams),
    responses(
        (status = 200, description = "The file, as a download, of the type recognised from its content",
            content((DocumentFile = "application/pdf"), (DocumentFile = "image/png"), (DocumentFile = "image/jpeg")),
            headers(
                ("Content-Disposition" = String, description = "`attachment; filename=\"…\"; filename*=UTF-8''…` (RFC 6266)"),
                ("ETag" = String, description = "The SHA-256 of the content, in hexadecimal, quoted"),
                ("X-Content-Type-Options" = String, description = "`nosniff`"),
                ("Cache-Control" = String, description = "`private, no-store`")
            )),
        ReadErrors
    ),
    security(("bearer" = []))
)]
#[get("/documents/{id}/content")]
pub async fn content(
    ctx: Ctx,
    id: web::Path<Uuid>,
    params: Query<CaseReadParams>,
) -> Result<HttpResponse, ApiError> {
    let (mut work, document) =
        document_work(&ctx, *id, params.reason.as_deref(), AuditAction::Download).await?;
    let file = store::content(&mut work.tx, document.id).await?;
    work.commit(
        HttpResponse::Ok()
            .content_type(file.content_type)
            .insert_header((header::CONTENT_DISPOSITION, disposition(&file.filename)))
            .insert_header((header::ETAG, format!("\"{}\"", hex::encode(&file.sha256))))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .body(file.content),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::disposition;

    #[test]
    fn a_download_names_the_file_in_ascii_and_exactly_in_utf8() {
        assert_eq!(
            disposition("avis.pdf"),
            "attachment; filename=\"avis.pdf\"; filename*=UTF-8''avis.pdf"
        );
        assert_eq!(
            disposition("Relevé CAF \"mai\" 50%.pdf"),
            "attachment; filename=\"Relev_ CAF _mai_ 50_.pdf\"; \
             filename*=UTF-8''Relev%C3%A9%20CAF%20%22mai%22%2050%25.pdf"
        );
        assert_eq!(
            disposition("a=b@c;d.png"),
            "attachment; filename=\"a=b@c;d.png\"; filename*=UTF-8''a%3Db%40c%3Bd.png"
        );
    }
}
