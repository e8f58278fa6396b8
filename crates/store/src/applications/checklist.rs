//! The supporting documents checklist of an application: lines copied from the scheme at
//! creation, lines added by the worker, each changed with its own version. The caller locks the
//! application first (`applications::lock`) and settles its status afterwards
//! (`applications::settle`).

use chrono::{DateTime, Utc};
use relais_domain::application::ChecklistLine;
use relais_domain::{DocumentProvider, DocumentStatus};
use sqlx::PgConnection;
use uuid::Uuid;

use super::NewChecklistLine;
use crate::StoreError;
use crate::code::Code;
use crate::error::{on_constraint, single};

/// A checklist line as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistRecord {
    pub id: Uuid,
    pub application_id: Uuid,
    pub position: i32,
    pub code: String,
    pub label: String,
    pub required: bool,
    pub provider: DocumentProvider,
    pub status: DocumentStatus,
    /// The uploaded file of the case that is this document, if linked.
    pub document_id: Option<Uuid>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: Uuid,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Uuid,
    pub version: i32,
}

impl ChecklistRecord {
    /// What the completeness rule needs of this line.
    pub fn line(&self) -> ChecklistLine {
        ChecklistLine {
            required: self.required,
            status: self.status,
        }
    }
}

fn duplicate_code() -> StoreError {
    StoreError::Conflict {
        code: "duplicate_document_code",
        message: "the checklist already has a line with this code".into(),
    }
}

/// Writes the first lines of a new application's checklist, in order, all `requested`.
pub(super) async fn insert_all(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor_id: Uuid,
    application_id: Uuid,
    lines: &[NewChecklistLine<'_>],
) -> Result<(), StoreError> {
    if lines.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = lines.iter().map(|_| Uuid::now_v7()).collect();
    let positions: Vec<i32> = (1..).take(lines.len()).collect();
    let codes: Vec<String> = lines.iter().map(|l| l.code.to_owned()).collect();
    let labels: Vec<String> = lines.iter().map(|l| l.label.to_owned()).collect();
    let required: Vec<bool> = lines.iter().map(|l| l.required).collect();
    let providers: Vec<String> = lines.iter().map(|l| l.provider.code().to_owned()).collect();
    sqlx::query!(
        r#"
        INSERT INTO application_documents (id, org_id, application_id, position, code, label,
                                           required, provider, created_by, updated_by)
        SELECT l.id, $1, $2, l.position, l.code, l.label, l.required, l.provider, $3, $3
        FROM UNNEST($4::uuid[], $5::int[], $6::text[], $7::text[], $8::bool[], $9::text[])
             AS l(id, position, code, label, required, provider)
        "#,
        org_id,
        application_id,
        actor_id,
        &ids,
        &positions,
        &codes,
        &labels,
        &required,
        &providers
    )
    .execute(&mut *conn)
    .await
    .map_err(on_constraint(
        "application_documents_code_key",
        duplicate_code,
    ))?;
    Ok(())
}

/// A line the worker adds to a checklist.
#[derive(Debug, Clone)]
pub struct AddedLine<'a> {
    pub line: NewChecklistLine<'a>,
    pub status: DocumentStatus,
    pub document_id: Option<Uuid>,
    pub notes: Option<&'a str>,
}

/// Adds a line at the end of an application's checklist.
///
/// # Errors
/// [`StoreError::Conflict`] `duplicate_document_code` when the code is already listed.
#[tracing::instrument(level = "debug", skip_all, fields(application_id = %application_id))]
pub async fn add(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor_id: Uuid,
    application_id: Uuid,
    added: &AddedLine<'_>,
) -> Result<ChecklistRecord, StoreError> {
    sqlx::query_as!(
        ChecklistRecord,
        r#"
        INSERT INTO application_documents (id, org_id, application_id, position, code, label,
                                           required, provider, status, document_id, notes,
                                           created_by, updated_by)
        SELECT $1, $2, $3, coalesce(max(position), 0) + 1, $4, $5, $6, $7, $8, $9, $10, $11, $11
        FROM application_documents
        WHERE application_id = $3
        RETURNING id, application_id, position, code, label, required,
                  provider AS "provider: Code<DocumentProvider>",
                  status AS "status: Code<DocumentStatus>", document_id, notes, created_at,
                  created_by, updated_at, updated_by, version
        "#,
        Uuid::now_v7(),
        org_id,
        application_id,
        added.line.code,
        added.line.label,
        added.line.required,
        added.line.provider.code(),
        added.status.code(),
        added.document_id,
        added.notes,
        actor_id
    )
    .fetch_one(conn)
    .await
    .map_err(on_constraint(
        "application_documents_code_key",
        duplicate_code,
    ))
}

/// Every line of the checklists of several applications (a page of a list), in order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn for_applications(
    conn: &mut PgConnection,
    application_ids: &[Uuid],
) -> Result<Vec<ChecklistRecord>, StoreError> {
    read(conn, application_ids, None).await
}

/// One line of an application's checklist.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(
    conn: &mut PgConnection,
    application_id: Uuid,
    id: Uuid,
) -> Result<ChecklistRecord, StoreError> {
    single(read(conn, &[application_id], Some(id)).await?)
}

/// The one read of checklist lines: those of the applications, in order, or only the line `id`.
async fn read(
    conn: &mut PgConnection,
    application_ids: &[Uuid],
    id: Option<Uuid>,
) -> Result<Vec<ChecklistRecord>, StoreError> {
    Ok(sqlx::query_as!(
        ChecklistRecord,
        r#"
        SELECT id, application_id, position, code, label, required,
               provider AS "provider: Code<DocumentProvider>",
               status AS "status: Code<DocumentStatus>", document_id, notes, created_at,
               created_by, updated_at, updated_by, version
        FROM application_documents
        WHERE application_id = ANY($1) AND ($2::uuid IS NULL OR id = $2)
        ORDER BY application_id, position
        "#,
        application_ids,
        id
    )
    .fetch_all(conn)
    .await?)
}

/// How many required lines of an application's checklist are not in hand.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn missing_required(
    conn: &mut PgConnection,
    application_id: Uuid,
) -> Result<usize, StoreError> {
    let in_hand: Vec<String> = [DocumentStatus::Received, DocumentStatus::Validated]
        .iter()
        .map(|s| s.code().to_owned())
        .collect();
    let count = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM application_documents WHERE application_id = $1 AND
           required AND NOT status = ANY($2)"#,
        application_id,
        &in_hand
    )
    .fetch_one(conn)
    .await?;
    Ok(usize::try_from(count).unwrap_or(usize::MAX))
}

/// The whole new state of a line after a `PATCH`, merged and checked by the caller.
#[derive(Debug, Clone)]
pub struct LineUpdate<'a> {
    pub label: &'a str,
    pub required: bool,
    pub provider: DocumentProvider,
    pub status: DocumentStatus,
    pub document_id: Option<Uuid>,
    pub notes: Option<&'a str>,
}

/// Writes a line's new state at `expected_version`.
///
/// # Errors
/// [`StoreError::VersionMismatch`] when the line changed meanwhile.
#[tracing::instrument(level = "debug", skip_all, fields(line_id = %current.id))]
pub async fn update(
    conn: &mut PgConnection,
    actor_id: Uuid,
    current: &ChecklistRecord,
    expected_version: i32,
    change: &LineUpdate<'_>,
) -> Result<ChecklistRecord, StoreError> {
    sqlx::query_as!(
        ChecklistRecord,
        r#"
        UPDATE application_documents
        SET label = $4, required = $5, provider = $6, status = $7, document_id = $8, notes = $9,
            updated_at = now(), updated_by = $10, version = version + 1
        WHERE id = $1 AND application_id = $2 AND version = $3
        RETURNING id, application_id, position, code, label, required,
                  provider AS "provider: Code<DocumentProvider>",
                  status AS "status: Code<DocumentStatus>", document_id, notes, created_at,
                  created_by, updated_at, updated_by, version
        "#,
        current.id,
        current.application_id,
        expected_version,
        change.label,
        change.required,
        change.provider.code(),
        change.status.code(),
        change.document_id,
        change.notes,
        actor_id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::VersionMismatch)
}
