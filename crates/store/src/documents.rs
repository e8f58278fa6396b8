//! Case documents (uploaded files): metadata in `documents`, bytes in `document_contents`.
//!
//! Documents are written once ([`create`], with the `document_uploaded` timeline event, in one
//! statement) and never changed or deleted by the application. Listing and reading the
//! metadata never touch the bytes; [`content`] reads them in one query.
//!
//! Large files: the content is a `bytea` of at most the upload limit (10 MiB by default, 64 MiB
//! at most, see `relais_domain::document`). It is written as one parameter and read back whole
//! into memory: at these sizes one round trip is simpler and faster than large objects or
//! chunked reads, and the memory per download is bounded by the limit.
//!
//! Callers check that the case is visible (and writable, for an upload) first; row-level
//! security keeps every query inside the organisation.

use chrono::{DateTime, Utc};
use relais_domain::document::DocumentType;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::error::single;
use crate::page::{Page, PageRequest};

/// A document's metadata, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRecord {
    pub id: Uuid,
    pub case_id: Uuid,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i32,
    /// The SHA-256 of the content (32 bytes).
    pub sha256: Vec<u8>,
    pub description: Option<String>,
    pub uploaded_by: Uuid,
    pub uploaded_at: DateTime<Utc>,
    pub version: i32,
}

/// A new document, checked by the caller (type recognised from the content, name agreeing).
#[derive(Debug, Clone)]
pub struct NewDocument<'a> {
    pub filename: &'a str,
    pub kind: DocumentType,
    pub description: Option<&'a str>,
    pub content: &'a [u8],
    pub sha256: &'a [u8; 32],
}

/// A document's bytes, with what a download needs to serve them.
#[derive(Debug, Clone)]
pub struct DocumentContent {
    pub filename: String,
    pub content_type: String,
    pub sha256: Vec<u8>,
    pub content: Vec<u8>,
}

/// Stores a document of a case with its content and its `document_uploaded` timeline event
/// (which names the document, never its content).
#[tracing::instrument(level = "debug", skip_all, fields(case_id = %case_id))]
pub async fn create(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor_id: Uuid,
    case_id: Uuid,
    new: &NewDocument<'_>,
) -> Result<DocumentRecord, StoreError> {
    let id = Uuid::now_v7();
    let size = i32::try_from(new.content.len()).map_err(|_| StoreError::Conflict {
        code: "document_too_large",
        message: "the document is too large to be stored".into(),
    })?;
    let event = serde_json::json!({
        "document_id": id,
        "filename": new.filename,
        "content_type": new.kind.mime(),
        "size_bytes": size,
    });
    sqlx::query_as!(
        DocumentRecord,
        r#"
        WITH d AS (
            INSERT INTO documents (id, org_id, case_id, filename, content_type, size_bytes, sha256,
                                   description, uploaded_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            RETURNING id, case_id, filename, content_type, size_bytes, sha256, description,
                      uploaded_by, uploaded_at, version
        ),
        c AS (
            INSERT INTO document_contents (document_id, org_id, content)
            SELECT d.id, $2, $10
            FROM d
        ),
        e AS (
            INSERT INTO case_events (id, org_id, case_id, actor_id, kind, data)
            SELECT $11, $2, d.case_id, $9, 'document_uploaded', $12
            FROM d
        )
        SELECT id AS "id!", case_id AS "case_id!", filename AS "filename!",
               content_type AS "content_type!", size_bytes AS "size_bytes!", sha256 AS "sha256!",
               description, uploaded_by AS "uploaded_by!", uploaded_at AS "uploaded_at!",
               version AS "version!"
        FROM d
        "#,
        id,
        org_id,
        case_id,
        new.filename,
        new.kind.mime(),
        size,
        &new.sha256[..],
        new.description,
        actor_id,
        new.content,
        Uuid::now_v7(),
        event
    )
    .fetch_one(conn)
    .await
    .map_err(StoreError::from)
}

/// A document's metadata (of the organisation; the caller checks that its case is visible).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<DocumentRecord, StoreError> {
    single(read(conn, Some(id), None, None, 1).await?)
}

/// A page of a case's documents, newest first (metadata only).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn list_for_case(
    conn: &mut PgConnection,
    case_id: Uuid,
    page: PageRequest,
) -> Result<Page<DocumentRecord>, StoreError> {
    let rows = read(conn, None, Some(case_id), page.after, page.fetch_limit()).await?;
    Ok(Page::from_rows(rows, page.limit, |d| d.id))
}

/// The one read of documents' metadata, newest first: a case's, after the document `after`, at
/// most `limit` of them, or only the document `id`.
async fn read(
    conn: &mut PgConnection,
    id: Option<Uuid>,
    case_id: Option<Uuid>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<DocumentRecord>, StoreError> {
    Ok(sqlx::query_as!(
        DocumentRecord,
        r#"
        SELECT id, case_id, filename, content_type, size_bytes, sha256, description, uploaded_by,
               uploaded_at, version
        FROM documents
        WHERE ($1::uuid IS NULL OR id = $1)
          AND ($2::uuid IS NULL OR case_id = $2)
          AND ($3::uuid IS NULL OR id < $3)
        ORDER BY id DESC
        LIMIT $4
        "#,
        id,
        case_id,
        after,
        limit
    )
    .fetch_all(conn)
    .await?)
}

/// The names of a case's documents, in the order they were uploaded (at most `limit`), without
/// their bytes: for the liaison sheet.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn names_for_case(
    conn: &mut PgConnection,
    case_id: Uuid,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar!(
        "SELECT filename FROM documents WHERE case_id = $1 ORDER BY id LIMIT $2",
        case_id,
        limit
    )
    .fetch_all(conn)
    .await?)
}

/// A document's bytes, in one query (see the module's note on sizes).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn content(conn: &mut PgConnection, id: Uuid) -> Result<DocumentContent, StoreError> {
    sqlx::query_as!(
        DocumentContent,
        r#"
        SELECT d.filename, d.content_type, d.sha256, c.content
        FROM documents d
        JOIN document_contents c ON c.document_id = d.id
        WHERE d.id = $1
        "#,
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)
}

/// Whether the document `id` exists and belongs to the case `case_id` (of the organisation),
/// e.g. to check a link from an application's checklist.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn exists_in_case(
    conn: &mut PgConnection,
    case_id: Uuid,
    id: Uuid,
) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM documents WHERE id = $1 AND case_id = $2) AS \"exists!\"",
        id,
        case_id
    )
    .fetch_one(conn)
    .await?)
}
