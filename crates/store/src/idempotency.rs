//! Idempotency-Key records: a retried POST gets the first response back.
//!
//! A key is claimed in its own short transaction before the request runs, so that a
//! concurrent retry sees it in flight; the response is stored once the request finishes.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;

/// The stored first response.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredResponse {
    pub status: i16,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub etag: Option<String>,
    pub body: Vec<u8>,
}

/// The outcome of claiming a key.
#[derive(Debug, Clone)]
pub enum Claim {
    /// First use: run the request, then [`complete`] or [`release`].
    New,
    /// Same key, same request, finished: replay this response.
    Replay(StoredResponse),
    /// Same key, the first request is still running.
    InFlight,
    /// Same key, another request body.
    Mismatch,
}

#[derive(sqlx::FromRow)]
struct Row {
    request_hash: Vec<u8>,
    status: Option<i16>,
    content_type: Option<String>,
    location: Option<String>,
    etag: Option<String>,
    body: Option<Vec<u8>>,
}

/// Claims `key` for the request whose fingerprint is `hash`. Keys older than 24 h are reused.
#[tracing::instrument(skip_all)]
pub async fn claim(
    conn: &mut PgConnection,
    org_id: Uuid,
    principal: &str,
    key: &str,
    hash: &[u8],
) -> Result<Claim, StoreError> {
    let claimed = sqlx::query_scalar!(
        "INSERT INTO idempotency_keys (org_id, principal, key, request_hash) VALUES ($1, $2, $3, \
         $4) ON CONFLICT (org_id, principal, key) DO UPDATE SET request_hash = \
         EXCLUDED.request_hash, status = NULL, content_type = NULL, location = NULL, etag = NULL, \
         body = NULL, created_at = now() WHERE idempotency_keys.created_at < now() - interval '24 \
         hours' RETURNING true",
        org_id,
        principal,
        key,
        hash
    )
    .fetch_optional(&mut *conn)
    .await?;
    if claimed.is_some() {
        return Ok(Claim::New);
    }
    let row = sqlx::query_as!(
        Row,
        "SELECT request_hash, status, content_type, location, etag, body FROM idempotency_keys \
         WHERE org_id = $1 AND principal = $2 AND key = $3",
        org_id,
        principal,
        key
    )
    .fetch_optional(conn)
    .await?;
    Ok(match row {
        // Released between our two statements: treat as in flight, the client retries.
        None => Claim::InFlight,
        Some(row) if row.request_hash != hash => Claim::Mismatch,
        Some(Row {
            status: Some(status),
            content_type,
            location,
            etag,
            body,
            ..
        }) => Claim::Replay(StoredResponse {
            status,
            content_type,
            location,
            etag,
            body: body.unwrap_or_default(),
        }),
        Some(_) => Claim::InFlight,
    })
}

/// Stores the first response for replay.
pub async fn complete(
    conn: &mut PgConnection,
    org_id: Uuid,
    principal: &str,
    key: &str,
    response: &StoredResponse,
) -> Result<(), StoreError> {
    sqlx::query!(
        "UPDATE idempotency_keys SET status = $4, content_type = $5, location = $6, etag = $7, \
         body = $8 WHERE org_id = $1 AND principal = $2 AND key = $3",
        org_id,
        principal,
        key,
        response.status,
        response.content_type.as_deref(),
        response.location.as_deref(),
        response.etag.as_deref(),
        &response.body
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets a claim whose request failed on the server side, so that a retry runs it again.
pub async fn release(
    conn: &mut PgConnection,
    org_id: Uuid,
    principal: &str,
    key: &str,
) -> Result<(), StoreError> {
    sqlx::query!(
        "DELETE FROM idempotency_keys WHERE org_id = $1 AND principal = $2 AND key = $3 AND \
         status IS NULL",
        org_id,
        principal,
        key
    )
    .execute(conn)
    .await?;
    Ok(())
}
