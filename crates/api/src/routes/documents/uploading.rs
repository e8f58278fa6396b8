//! `POST /v1/cases/{id}/documents`: a `multipart/form-data` upload, streamed.
//!
//! The body is read part by part and the file's bytes are kept only up to the upload limit
//! (`RELAIS_UPLOAD_LIMIT_BYTES`, 10 MiB by default): one byte more and the answer is a 413, so no
//! more than the limit is ever held. A `Content-Length` that cannot fit is refused before
//! anything is read. The case is checked (visible, not archived) before the body is read, in a
//! transaction closed at once so that no database connection waits on a slow upload, and again
//! in the transaction that stores the document.
//!
//! The type comes from the content (the `infer` crate reads the magic numbers): PDF, PNG or
//! JPEG. HEIC and WebP (phone photos) are left out on purpose: the institutions the documents
//! go to expect PDF or JPEG, and not every browser or viewer opens them. The name's extension
//! and the declared media type of the part must agree with the content (422 at `/file`).
//!
//! With an `Idempotency-Key`, the idempotency layer buffers the body before this handler (up
//! to the upload limit plus the other parts) and fingerprints it without its multipart
//! boundary, so a client that rebuilds the form for its retry (with a new random boundary)
//! gets the first answer replayed.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, post, web};
use futures_util::StreamExt;
use relais_domain::document::{
    DocumentType, FileRefusal, MAX_DESCRIPTION_CHARS, check_filename, declared_type_agrees,
};
use relais_domain::{AuditAction, Permission};
use relais_store::audit::NewAuditEvent;
use relais_store::db::{self, Access};
use relais_store::documents::{self as store, NewDocument};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::model::{Document, UploadErrors, UploadForm};
use super::{RESOURCE, location};
use crate::conditional::created;
use crate::context::Ctx;
use crate::error::{ApiError, Code, FieldError};
use crate::extract::media_type;
use crate::work::CaseUse;

/// Room for everything around the file in the body: boundaries, part headers, the description.
const OVERHEAD: usize = 64 * 1024;

/// What the form carried, before any check of the file.
#[derive(Default)]
struct Form {
    file: Option<FilePart>,
    description: Option<String>,
}

struct FilePart {
    filename: Option<String>,
    declared_type: Option<String>,
    content: Vec<u8>,
}

fn malformed(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        Code::MalformedBody,
        format!("the multipart body could not be read: {e}"),
    )
}

fn duplicate(name: &str) -> ApiError {
    ApiError::invalid(
        &format!("/{name}"),
        "duplicate",
        format!("send one `{name}` part"),
    )
}

/// The part's file name: `filename*` (RFC 5987, UTF-8) when given, else `filename`.
fn filename(field: &actix_multipart::Field) -> Option<String> {
    let disposition = field.content_disposition()?;
    if let Some(ext) = disposition.get_filename_ext() {
        return String::from_utf8(ext.value.clone()).ok();
    }
    disposition.get_filename().map(str::to_owned)
}

/// Refuses a body that is not `multipart/form-data`, or announces more than can be accepted.
fn check_headers(req: &HttpRequest, limit: usize) -> Result<(), ApiError> {
    if media_type(req) != "multipart/form-data" {
        return Err(ApiError::UnsupportedMediaType(
            "send Content-Type: multipart/form-data with the file in the part `file`".into(),
        ));
    }
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|n| n > limit.saturating_add(OVERHEAD)) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    Ok(())
}

/// Reads the form, keeping at most `limit` bytes of the file.
async fn read_form(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<Form, ApiError> {
    let mut multipart = Multipart::new(req.headers(), payload);
    let mut form = Form::default();
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(malformed)?;
        match field.name().unwrap_or_default() {
            "file" => {
                if form.file.is_some() {
                    return Err(duplicate("file"));
                }
                let filename = filename(&field);
                let declared_type = field
                    .headers()
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let mut content = Vec::new();
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(malformed)?;
                    if content.len() + chunk.len() > limit {
                        return Err(ApiError::PayloadTooLarge { limit });
                    }
                    content.extend_from_slice(&chunk);
                }
                form.file = Some(FilePart {
                    filename,
                    declared_type,
                    content,
                });
            }
            "description" => {
                if form.description.is_some() {
                    return Err(duplicate("description"));
                }
                // Four bytes per character at most in UTF-8.
                let max_bytes = MAX_DESCRIPTION_CHARS * 4;
                let mut bytes = Vec::new();
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(malformed)?;
                    if bytes.len() + chunk.len() > max_bytes {
                        return Err(too_long_description());
                    }
                    bytes.extend_from_slice(&chunk);
                }
                let text = String::from_utf8(bytes).map_err(|_| {
                    ApiError::invalid("/description", "invalid_value", "the text is not UTF-8")
                })?;
                if text.contains('\0') {
                    return Err(ApiError::invalid(
                        "/description",
                        "invalid_character",
                        "must not contain a NUL character (U+0000)",
                    ));
                }
                form.description = Some(text);
            }
            other => {
                return Err(
                    ApiError::new(Code::UnknownField, format!("unknown part {other:?}")).at(
                        FieldError::body(
                            format!("/{}", relais_domain::text::pointer_token(other)),
                            "unknown_field",
                            "the form has only the parts `file` and `description`",
                        ),
                    ),
                );
            }
        }
    }
    Ok(form)
}

fn too_long_description() -> ApiError {
    ApiError::invalid(
        "/description",
        "too_long",
        format!("at most {MAX_DESCRIPTION_CHARS} characters"),
    )
}

/// The checked document: its type from the content, its name and declared type agreeing.
struct Checked {
    kind: DocumentType,
    filename: String,
    description: Option<String>,
    content: Vec<u8>,
}

fn file_error(code: &str, message: impl Into<String>) -> FieldError {
    FieldError::body("/file", code, message)
}

fn refusal(refusal: FileRefusal) -> FieldError {
    FieldError::refused("/file", &refusal)
}

/// Every check of the form, all reported at once with pointers.
fn check(form: Form) -> Result<Checked, ApiError> {
    let mut errors = Vec::new();
    let description = form
        .description
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    if description
        .as_ref()
        .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_CHARS)
    {
        return Err(too_long_description());
    }
    let Some(file) = form.file else {
        return Err(ApiError::invalid(
            "/file",
            "required",
            "send the file in the multipart part `file`",
        ));
    };
    if file.content.is_empty() {
        errors.push(file_error("empty", "the file is empty"));
        return Err(ApiError::validation(errors));
    }
    let detected = infer::get(&file.content);
    let Some(kind) = detected.and_then(|t| DocumentType::from_mime(t.mime_type())) else {
        return Err(ApiError::validation(vec![file_error(
            "unsupported_type",
            format!(
                "the content is {}: only PDF, PNG and JPEG files are accepted",
                detected.map_or("of an unknown type", |t| t.mime_type())
            ),
        )]));
    };
    let filename = match file.filename.as_deref() {
        None => {
            errors.push(refusal(FileRefusal::MissingName));
            None
        }
        Some(name) => match check_filename(name, kind) {
            Ok(name) => Some(name.to_owned()),
            Err(e) => {
                errors.push(refusal(e));
                None
            }
        },
    };
    if !declared_type_agrees(file.declared_type.as_deref(), kind) {
        errors.push(refusal(FileRefusal::DeclaredTypeMismatch(kind)));
    }
    match filename {
        Some(filename) if errors.is_empty() => Ok(Checked {
            kind,
            filename,
            description,
            content: file.content,
        }),
        _ => Err(ApiError::validation(errors)),
    }
}

/// Uploads a document to a case (`multipart/form-data`, the file in the part `file`).
///
/// Workers on the case's team and supervisors (403 for other roles, 404 for a case the caller may
/// not see); an archived case takes no upload (409 `case_archived`), a closed one does. The type is
/// recognised from the content: PDF, PNG or JPEG only, and the file name's extension and the part's
/// declared type must agree with it (422 at `/file`); the optional `description` has at most 500
/// characters. A file over the upload limit (10 MiB by default) is a 413. With an
/// `Idempotency-Key`, a retry rebuilt with a new multipart boundary is still the same request.
/// Documents are never changed or deleted through the API. Audited as a `create` of `document`.
#[utoipa::path(
    tag = "documents",
    operation_id = "upload_document",
    params(("id" = Uuid, Path, description = "Case id"), crate::responses::IdempotencyKeyHeader),
    request_body(content = UploadForm, content_type = "multipart/form-data",
        description = "The file (part `file`) and an optional `description`"),
    responses((status = 201, description = "Stored; the metadata (the content is at `content_url`)", body = Document, headers(("Location" = String), ("ETag" = String))), UploadErrors),
    security(("bearer" = []))
)]
#[post("/{id}/documents")]
pub async fn upload(
    ctx: Ctx,
    id: web::Path<Uuid>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseWrite)?;
    let limit = ctx.state.settings.upload_limit;
    check_headers(&req, limit)?;
    // Refuse early, without holding a connection while the body arrives. Outside the seam on
    // purpose: a work would claim the request's key in a transaction that ends before the
    // document is stored; the work below claims it.
    {
        let (mut tx, actor) = ctx.begin(Access::Read).await?;
        let case = match actor.visible_case(&mut tx, *id).await {
            Err(ApiError::NotFound) => {
                drop(tx);
                // The refusal goes through the seam, which records it when the case exists
                // (a worker not on its team).
                return Err(match ctx.case(*id, CaseUse::Write).await {
                    Err(refusal) => refusal,
                    Ok(_) => ApiError::NotFound,
                });
            }
            found => found?,
        };
        case.status().writable()?;
        db::commit(tx).await?;
    }
    let checked = check(read_form(&req, payload, limit).await?)?;
    let sha256: [u8; 32] = Sha256::digest(&checked.content).into();
    let (mut work, case) = ctx.case(*id, CaseUse::Write).await?;
    let document = store::create(
        &mut work.tx,
        work.actor.org.id,
        work.actor.agent_id,
        case.id,
        &NewDocument {
            filename: &checked.filename,
            kind: checked.kind,
            description: checked.description.as_deref(),
            content: &checked.content,
            sha256: &sha256,
        },
    )
    .await?;
    work.audit(
        NewAuditEvent::new(AuditAction::Create, RESOURCE, document.id).about(case.person_id),
    );
    work.commit(created(
        location(document.id),
        document.version,
        Document::from(document),
    ))
    .await
}
