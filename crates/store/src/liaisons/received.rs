//! The liaisons a registered partner received: those addressed to it that have left draft.
//! A draft, a liaison addressed to anyone else, and (through row-level security) another
//! organisation's are all simply not found.

use relais_domain::LiaisonStatus;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{LiaisonRecord, Row};
use crate::StoreError;
use crate::page::{Page, PageRequest};

/// The partner's liaisons, newest first, optionally of one status.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn list(
    conn: &mut PgConnection,
    partner_id: Uuid,
    status: Option<LiaisonStatus>,
    page: PageRequest,
) -> Result<Page<LiaisonRecord>, StoreError> {
    let rows = sqlx::query_as!(
        Row,
        r#"
        SELECT l.id, l.case_id, c.person_id, l.destination_partner_id,
               p.name AS "destination_partner_name?", l.destination_name, l.destination_contact,
               l.purpose, l.content, l.legal_basis, l.consent_id, l.status, l.sent_at, l.sent_by,
               l.answered_at, l.answered_by, l.answer_message, l.created_at, l.created_by,
               l.updated_at, l.version
        FROM liaisons l
        JOIN cases c ON c.id = l.case_id
        LEFT JOIN partners p ON p.id = l.destination_partner_id
        WHERE l.destination_partner_id = $1
          AND l.status <> 'draft'
          AND ($2::text IS NULL OR l.status = $2)
          AND ($3::uuid IS NULL OR l.id < $3)
        ORDER BY l.id DESC
        LIMIT $4
        "#,
        partner_id,
        status.map(|s| s.code()),
        page.after,
        page.fetch_limit()
    )
    .fetch_all(conn)
    .await?;
    let records = rows
        .into_iter()
        .map(LiaisonRecord::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(records, page.limit, |l| l.id))
}

/// One liaison the partner received.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(
    conn: &mut PgConnection,
    partner_id: Uuid,
    id: Uuid,
) -> Result<LiaisonRecord, StoreError> {
    sqlx::query_as!(
        Row,
        r#"
        SELECT l.id, l.case_id, c.person_id, l.destination_partner_id,
               p.name AS "destination_partner_name?", l.destination_name, l.destination_contact,
               l.purpose, l.content, l.legal_basis, l.consent_id, l.status, l.sent_at, l.sent_by,
               l.answered_at, l.answered_by, l.answer_message, l.created_at, l.created_by,
               l.updated_at, l.version
        FROM liaisons l
        JOIN cases c ON c.id = l.case_id
        LEFT JOIN partners p ON p.id = l.destination_partner_id
        WHERE l.id = $1 AND l.destination_partner_id = $2 AND l.status <> 'draft'
        "#,
        id,
        partner_id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)?
    .try_into()
}

/// One liaison the partner received, locked until the transaction ends (before answering it).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn lock(
    conn: &mut PgConnection,
    partner_id: Uuid,
    id: Uuid,
) -> Result<LiaisonRecord, StoreError> {
    sqlx::query_as!(
        Row,
        r#"
        SELECT l.id, l.case_id, c.person_id, l.destination_partner_id,
               p.name AS "destination_partner_name?", l.destination_name, l.destination_contact,
               l.purpose, l.content, l.legal_basis, l.consent_id, l.status, l.sent_at, l.sent_by,
               l.answered_at, l.answered_by, l.answer_message, l.created_at, l.created_by,
               l.updated_at, l.version
        FROM liaisons l
        JOIN cases c ON c.id = l.case_id
        LEFT JOIN partners p ON p.id = l.destination_partner_id
        WHERE l.id = $1 AND l.destination_partner_id = $2 AND l.status <> 'draft'
        FOR NO KEY UPDATE OF l
        "#,
        id,
        partner_id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)?
    .try_into()
}
