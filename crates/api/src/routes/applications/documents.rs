//! The supporting documents checklist of an application: add a line, read one, change one
//! (`If-Match` with the line's ETag). Each change settles the application's status: the
//! answer says where the application stands afterwards.
//!
//! A line may link an uploaded file of the same case (`document_id`, 422 otherwise); linking a
//! file to a line still requested or missing marks it received, unless the change gives a
//! status. The checklist of a decided or withdrawn application is frozen (409
//! `application_final`).

use actix_web::{HttpResponse, get, patch, post, web};
use relais_domain::application::optional_text;
use relais_domain::scheme::{MAX_DOCUMENT_LABEL_CHARS, is_document_code};
use relais_domain::{AuditAction, AuditResource, DocumentProvider, DocumentStatus, Permission};
use relais_store::applications::checklist::{self, AddedLine, ChecklistRecord, LineUpdate};
use relais_store::applications::{self as store, NewChecklistLine};
use relais_store::db::Tx;
use relais_store::documents;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::model::ApplicationDocument;
use super::{not_final, on_application};
use crate::conditional::{IfMatch, ok_with_etag, with_etag};
use crate::context::{CaseReadParams, Ctx};
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, Query};
use crate::patch::{not_null, nullable};
use crate::responses::{CreateErrors, ReadErrors, WriteErrors};
use crate::routes::paths::{ApplicationPath, ChecklistLinePath};
use crate::work::{CaseUse, case_event};

/// The audit resource type of a checklist line.
const RESOURCE: AuditResource = AuditResource::ApplicationDocument;

/// Longest note of a checklist line, in characters.
const NOTES_MAX_CHARS: usize = 2000;

fn location(case_id: Uuid, app_id: Uuid, id: Uuid) -> String {
    format!("/v1/cases/{case_id}/applications/{app_id}/documents/{id}")
}

/// A line added to the checklist.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "code": "debt_schedule",
    "label": "Échéancier de la dette locative",
    "provider": "worker",
    "notes": "À demander au bailleur social."
}))]
pub struct NewApplicationDocument {
    /// `snake_case` (a lowercase letter, then lowercase letters, digits or `_`), unique within
    /// the application; fixed once added.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64, pattern = "^[a-z][a-z0-9_]{0,63}$")]
    pub code: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub label: String,
    /// Whether the application is complete only once it is in hand (default true).
    #[serde(default = "yes")]
    pub required: bool,
    #[schema(schema_with = crate::schema::document_provider)]
    pub provider: DocumentProvider,
    /// Default `requested` (`received` when a file is linked).
    #[serde(default)]
    #[schema(schema_with = crate::schema::application_document_status_nullable)]
    pub status: Option<DocumentStatus>,
    /// An uploaded file of the same case.
    pub document_id: Option<Uuid>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
}

fn yes() -> bool {
    true
}

/// Changes to a checklist line (JSON merge patch); `code` is fixed (422 `immutable`).
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "received", "document_id": "0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b"}))]
pub struct ApplicationDocumentPatch {
    /// Refused when present: a line's code never changes.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(ignore)]
    pub code: Option<Option<serde_json::Value>>,
    #[serde(default, deserialize_with = "not_null")]
    #[validate(length(min = 1, max = 200))]
    #[schema(
        value_type = String,
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub label: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = bool)]
    pub required: Option<bool>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(schema_with = crate::schema::document_provider)]
    pub provider: Option<DocumentProvider>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(schema_with = crate::schema::application_document_status)]
    pub status: Option<DocumentStatus>,
    /// An uploaded file of the same case, or `null` to unlink.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub document_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub notes: Option<Option<String>>,
}

/// A checklist line after a change, with where its application stands afterwards (the
/// checklist may have completed it, or sent it back to `preparing`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ChecklistChange {
    pub document: ApplicationDocument,
    #[schema(schema_with = crate::schema::application_status)]
    pub application_status: &'static str,
    /// The application's version (ETag) after the change.
    pub application_version: i32,
}

/// 422 at `/document_id` unless `id` is an uploaded file of the case.
async fn check_link(tx: &mut Tx, case_id: Uuid, id: Option<Uuid>) -> Result<(), ApiError> {
    if let Some(id) = id
        && !documents::exists_in_case(tx, case_id, id).await?
    {
        return Err(ApiError::invalid(
            "/document_id",
            "unknown_reference",
            format!("no uploaded document {id} in this case"),
        ));
    }
    Ok(())
}

fn label(raw: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let label = raw.trim();
    if label.is_empty() {
        errors.push(FieldError::body(
            "/label",
            "blank",
            "the label must not be blank",
        ));
        None
    } else if label.chars().count() > MAX_DOCUMENT_LABEL_CHARS {
        errors.push(FieldError::body(
            "/label",
            "too_long",
            format!("at most {MAX_DOCUMENT_LABEL_CHARS} characters"),
        ));
        None
    } else {
        Some(label.to_owned())
    }
}

fn notes(raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<String> {
    optional_text(raw, "notes", NOTES_MAX_CHARS)
        .map_err(|p| errors.push(FieldError::body(p.pointer, p.code, p.message)))
        .ok()
        .flatten()
}

fn changed(
    response: &mut actix_web::HttpResponseBuilder,
    line: ChecklistRecord,
    application: &store::ApplicationRecord,
) -> HttpResponse {
    with_etag(response, line.version);
    response.json(ChecklistChange {
        document: ApplicationDocument::from(line),
        application_status: application.status.code(),
        application_version: application.version,
    })
}

/// Adds a line to an application's checklist.
///
/// Workers on the case's team and supervisors. `code` is `snake_case` and unique within the
/// application (409 `duplicate_document_code`); the line is `requested` unless a status is given,
/// or `received` when it links an uploaded file, which must be a document of the same case (422
/// `unknown_reference`). The answer gives the line and where the application stands afterwards: a
/// required line not in hand sends a `complete` or `under_review` application back to `preparing`.
/// A decided or withdrawn application's checklist is frozen (409 `application_final`), an archived
/// case answers 409 `case_archived`. Audited as a `create` of `application.document`.
#[utoipa::path(
    tag = "applications",
    operation_id = "add_application_document",
    params(ApplicationPath, crate::responses::IdempotencyKeyHeader),
    request_body = NewApplicationDocument,
    responses((status = 201, description = "Added; the ETag is the line's", body = ChecklistChange, headers(("Location" = String), ("ETag" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/{id}/applications/{app_id}/documents")]
pub async fn add_document(
    ctx: Ctx,
    path: web::Path<ApplicationPath>,
    body: Json<NewApplicationDocument>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseWrite)?;
    let mut errors = Vec::new();
    if !is_document_code(&body.code) {
        errors.push(FieldError::body(
            "/code",
            "invalid_format",
            "expected snake_case: a lowercase letter, then lowercase letters, digits or `_`",
        ));
    }
    let label = label(&body.label, &mut errors);
    let notes = notes(body.notes.as_deref(), &mut errors);
    let Some(label) = label.filter(|_| errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let (mut work, case, application) =
        on_application(&ctx, path.id, path.app_id, CaseUse::Write).await?;
    not_final(&application)?;
    check_link(&mut work.tx, case.id, body.document_id).await?;
    let status = DocumentStatus::Requested.after_change(body.status, body.document_id.is_some());
    let line = checklist::add(
        &mut work.tx,
        work.actor.org.id,
        work.actor.agent_id,
        application.id,
        &AddedLine {
            line: NewChecklistLine {
                code: &body.code,
                label: &label,
                required: body.required,
                provider: body.provider,
            },
            status,
            document_id: body.document_id,
            notes: notes.as_deref(),
        },
    )
    .await?;
    let application = store::settle(&mut work.tx, work.actor.agent_id, application).await?;
    work.audit(case_event(&case, AuditAction::Create, RESOURCE, line.id));
    let mut response = HttpResponse::Created();
    response.insert_header((
        actix_web::http::header::LOCATION,
        location(case.id, application.id, line.id),
    ));
    work.commit(changed(&mut response, line, &application))
        .await
}

/// Reads a line of an application's checklist, with its ETag.
///
/// Workers on the case's team and supervisors (403 for reception, admin, dpo and partners, 404 for
/// a case the caller may not see or an application of another case). An archived case's checklist
/// lines are read only with a `reason` (400 `reason_required` without it). Audited as a `read` of
/// `application.document`.
#[utoipa::path(
    tag = "applications",
    operation_id = "read_application_document",
    params(ChecklistLinePath, CaseReadParams),
    responses((status = 200, description = "The line", body = ApplicationDocument, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/{id}/applications/{app_id}/documents/{doc_id}")]
pub async fn read_document(
    ctx: Ctx,
    path: web::Path<ChecklistLinePath>,
    params: Query<CaseReadParams>,
) -> Result<HttpResponse, ApiError> {
    let (mut work, case, application) =
        on_application(&ctx, path.id, path.app_id, params.case_use()).await?;
    let line = checklist::get(&mut work.tx, application.id, path.doc_id).await?;
    work.audit(case_event(&case, AuditAction::Read, RESOURCE, line.id));
    work.commit(ok_with_etag(line.version, ApplicationDocument::from(line)))
        .await
}

/// Changes a line of an application's checklist (`If-Match` with the line's ETag): its status,
/// who obtains it, whether it is required, the uploaded file it links, its label and notes.
///
/// Workers on the case's team and supervisors; a merge patch (`code` never changes: 422
/// `immutable`). Linking an uploaded file of the same case (422 `unknown_reference` otherwise) to a
/// line still requested or missing marks it `received`, unless the patch gives a status. The answer
/// gives the line and where the application stands afterwards: it becomes `complete` once every
/// required line is received or validated, and goes back to `preparing` when one stops being so
/// before submission. A decided or withdrawn application's checklist is frozen (409
/// `application_final`); an archived case answers 409 `case_archived`; `If-Match` is required (428,
/// 412). Audited as an `update` of `application.document`.
#[utoipa::path(
    tag = "applications",
    operation_id = "update_application_document",
    params(ChecklistLinePath, crate::responses::IfMatchHeader),
    request_body = ApplicationDocumentPatch,
    responses((status = 200, description = "The line after the change; the ETag is the line's", body = ChecklistChange, headers(("ETag" = String))), WriteErrors),
    security(("bearer" = []))
)]
#[patch("/{id}/applications/{app_id}/documents/{doc_id}")]
pub async fn update_document(
    ctx: Ctx,
    path: web::Path<ChecklistLinePath>,
    if_match: IfMatch,
    body: Json<ApplicationDocumentPatch>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(Permission::CaseWrite)?;
    let mut errors = Vec::new();
    if body.code.is_some() {
        errors.push(FieldError::body(
            "/code",
            "immutable",
            "the code of a line cannot change: add another line",
        ));
    }
    let new_label = body.label.as_deref().and_then(|l| label(l, &mut errors));
    let new_notes = body
        .notes
        .as_ref()
        .map(|n| notes(n.as_deref(), &mut errors));
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let (mut work, case, application) =
        on_application(&ctx, path.id, path.app_id, CaseUse::Write).await?;
    let current = checklist::get(&mut work.tx, application.id, path.doc_id).await?;
    let version = if_match.check(current.version)?;
    not_final(&application)?;
    let document_id = crate::patch::apply(current.document_id, body.document_id);
    let newly_linked = document_id.is_some() && document_id != current.document_id;
    if newly_linked {
        check_link(&mut work.tx, case.id, document_id).await?;
    }
    let next = LineUpdate {
        label: new_label.as_deref().unwrap_or(&current.label),
        required: body.required.unwrap_or(current.required),
        provider: body.provider.unwrap_or(current.provider),
        status: current.status.after_change(body.status, newly_linked),
        document_id,
        notes: match &new_notes {
            Some(n) => n.as_deref(),
            None => current.notes.as_deref(),
        },
    };
    let unchanged = next.label == current.label
        && next.required == current.required
        && next.provider == current.provider
        && next.status == current.status
        && next.document_id == current.document_id
        && next.notes == current.notes.as_deref();
    let (line, application) = if unchanged {
        // Nothing differs: no new version.
        (current, application)
    } else {
        let line =
            checklist::update(&mut work.tx, work.actor.agent_id, &current, version, &next).await?;
        let application = store::settle(&mut work.tx, work.actor.agent_id, application).await?;
        (line, application)
    };
    work.audit(case_event(&case, AuditAction::Update, RESOURCE, line.id));
    work.commit(changed(&mut HttpResponse::Ok(), line, &application))
        .await
}
