//! The liaisons a registered partner received: those addressed to it that have left draft.
//! A draft, a liaison addressed to anyone else, and (through row-level security) another
//! organisation's are all simply not found.

use relais_domain::LiaisonStatus;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{Filter, LiaisonRecord, lock_one, page, read_one};
use crate::StoreError;
use crate::page::{Page, PageRequest};

/// The partner's liaisons, newest first, optionally of one status.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn list(
    conn: &mut PgConnection,
    partner_id: Uuid,
    status: Option<LiaisonStatus>,
    page_request: PageRequest,
) -> Result<Page<LiaisonRecord>, StoreError> {
    let filter = Filter {
        partner_id: Some(partner_id),
        status,
        ..Filter::default()
    };
    page(conn, filter, page_request).await
}

/// One liaison the partner received.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(
    conn: &mut PgConnection,
    partner_id: Uuid,
    id: Uuid,
) -> Result<LiaisonRecord, StoreError> {
    read_one(conn, Filter::one(id, None, Some(partner_id))).await
}

/// One liaison the partner received, locked until the transaction ends (before answering it).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn lock(
    conn: &mut PgConnection,
    partner_id: Uuid,
    id: Uuid,
) -> Result<LiaisonRecord, StoreError> {
    lock_one(conn, Filter::one(id, None, Some(partner_id))).await
}
