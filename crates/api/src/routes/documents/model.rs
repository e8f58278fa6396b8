//! Request and response types of case documents.

use chrono::{DateTime, Utc};
use relais_store::documents::DocumentRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::responses::problem_responses;

/// The multipart form of an upload (`multipart/form-data`): the file in the part `file`, with
/// its name (`filename` of the part's `Content-Disposition`, `filename*` honoured), and an
/// optional `description` part. No other part is accepted.
// `Deserialize` only so that `deny_unknown_fields` closes the schema (no other part); the
// form is read part by part by the handler.
#[allow(dead_code)]
#[derive(ToSchema, Deserialize)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "file": "(the bytes of avis-imposition-2026.pdf)",
    "description": "Avis d'imposition 2026 (revenus 2025)"
}))]
pub struct UploadForm {
    /// The file: a PDF, PNG or JPEG, recognised from its content, at most the upload limit (10
    /// MiB by default). Its name must end in an extension of that type (`.pdf`, `.png`, `.jpg`
    /// or `.jpeg`), have no path and no control character, and be 1 to 255 characters; the
    /// part's `Content-Type`, if not `application/octet-stream`, must be that type.
    #[schema(value_type = String, format = Binary, min_length = 1)]
    file: Vec<u8>,
    /// What the document is, for the case team (blank means none).
    #[schema(
        nullable = false,
        max_length = 500,
        example = "Avis d'imposition 2026 (revenus 2025)"
    )]
    description: Option<String>,
}

/// A document's metadata (never its content: see `content_url`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Document {
    pub id: Uuid,
    pub case_id: Uuid,
    /// The name given at upload (trimmed), used for the download.
    #[schema(example = "avis-imposition-2026.pdf")]
    pub filename: String,
    /// The type recognised from the content: `application/pdf`, `image/png` or `image/jpeg`.
    #[schema(example = "application/pdf")]
    pub content_type: String,
    #[schema(example = 48213)]
    pub size_bytes: i32,
    /// SHA-256 of the content, in lowercase hexadecimal (also the download's `ETag`).
    #[schema(
        example = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        pattern = "^[0-9a-f]{64}$"
    )]
    pub sha256: String,
    #[schema(example = "Avis d'imposition 2026 (revenus 2025)")]
    pub description: Option<String>,
    /// The agent who uploaded it.
    pub uploaded_by: Uuid,
    pub uploaded_at: DateTime<Utc>,
    /// Where to download the content.
    #[schema(example = "/v1/documents/01935b8e-7c4d-7a51-9f0e-2d4c8b6a1e3f/content")]
    pub content_url: String,
    /// Documents never change: always 1.
    pub version: i32,
}

impl From<DocumentRecord> for Document {
    fn from(d: DocumentRecord) -> Self {
        Self {
            content_url: format!("/v1/documents/{}/content", d.id),
            id: d.id,
            case_id: d.case_id,
            filename: d.filename,
            content_type: d.content_type,
            size_bytes: d.size_bytes,
            sha256: hex::encode(&d.sha256),
            description: d.description,
            uploaded_by: d.uploaded_by,
            uploaded_at: d.uploaded_at,
            version: d.version,
        }
    }
}

/// A page of a case's documents, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentList {
    pub items: Vec<Document>,
    pub next_cursor: Option<String>,
}

/// The bytes of a document (the schema of the download's body).
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct DocumentFile(Vec<u8>);

problem_responses! {
    /// Errors of an upload.
    UploadErrors with token {
        BadRequest = 400: "Malformed multipart body, or a part other than `file` and `description`",
        NotFound = 404: "No such case visible to the caller",
        Conflict = 409: "The case is archived (`case_archived`), or the Idempotency-Key is in flight",
        TooLarge = 413: "The file is larger than the upload limit (`payload_too_large`)",
        UnsupportedMediaType = 415: "Content-Type is not multipart/form-data",
        Unprocessable = 422: "No `file` part, a type other than PDF, PNG or JPEG, a name or declared \
            type that disagrees with the content (pointer `/file`), a description too long \
            (`/description`), or the Idempotency-Key reused with another upload",
    }
}
