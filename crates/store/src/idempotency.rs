//! Idempotency-Key records: a retried POST gets the first response back.
//!
//! A key is claimed **inside the transaction of the work it guards** ([`claim`]), and the
//! response is stored in that same transaction before it commits ([`complete`]): a crash at
//! any point leaves the work and its stored response, or neither, so no key ever stays "in
//! flight". A concurrent retry with the same key waits on the key's row (its unique index)
//! until the first transaction ends, then replays what it stored. Answers that never reached
//! the work (a body that failed validation) are kept afterwards with [`keep`].

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
    /// First use: do the work, then [`complete`] or [`release`] in the same transaction.
    New,
    /// Same key, same request, finished: replay this response.
    Replay(StoredResponse),
    /// Same key, another request.
    Mismatch,
}

/// Whose key it is: keys are scoped to the caller within an organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOwner {
    pub org_id: Uuid,
    pub principal: String,
    pub key: String,
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

/// Claims `owner`'s key for the request whose fingerprint is `hash`, in the caller's
/// transaction. Waits while another transaction holds the same key. A key older than 24 hours,
/// or one left without a response by an earlier version of the service, is taken over.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn claim(
    conn: &mut PgConnection,
    owner: &KeyOwner,
    hash: &[u8],
) -> Result<Claim, StoreError> {
    write(conn, owner, hash, None).await
}

/// Writes `owner`'s key for the request fingerprinted `hash`, with its response when it is
/// known already, unless the key has a record that is neither expired nor left without a
/// response; that record then says what to do.
async fn write(
    conn: &mut PgConnection,
    owner: &KeyOwner,
    hash: &[u8],
    response: Option<&StoredResponse>,
) -> Result<Claim, StoreError> {
    let written = sqlx::query_scalar!(
        r#"
        INSERT INTO idempotency_keys (org_id, principal, key, request_hash, status,
                                      content_type, location, etag, body)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (org_id, principal, key) DO UPDATE
        SET request_hash = EXCLUDED.request_hash, status = EXCLUDED.status,
            content_type = EXCLUDED.content_type, location = EXCLUDED.location,
            etag = EXCLUDED.etag, body = EXCLUDED.body, created_at = now()
        WHERE idempotency_keys.created_at < now() - interval '24 hours'
           OR idempotency_keys.status IS NULL
        RETURNING true
        "#,
        owner.org_id,
        owner.principal,
        owner.key,
        hash,
        response.map(|r| r.status),
        response.and_then(|r| r.content_type.as_deref()),
        response.and_then(|r| r.location.as_deref()),
        response.and_then(|r| r.etag.as_deref()),
        response.map(|r| &r.body[..])
    )
    .fetch_optional(&mut *conn)
    .await?;
    if written.is_some() {
        return Ok(Claim::New);
    }
    existing(conn, owner, hash).await
}

/// What the committed record of `owner`'s key says to a request fingerprinted `hash`.
async fn existing(
    conn: &mut PgConnection,
    owner: &KeyOwner,
    hash: &[u8],
) -> Result<Claim, StoreError> {
    let row = sqlx::query_as!(
        Row,
        r#"
        SELECT request_hash, status, content_type, location, etag, body
        FROM idempotency_keys
        WHERE org_id = $1 AND principal = $2 AND key = $3
        "#,
        owner.org_id,
        owner.principal,
        owner.key
    )
    .fetch_one(conn)
    .await?;
    Ok(match row {
        row if row.request_hash != hash => Claim::Mismatch,
        Row {
            status: Some(status),
            content_type,
            location,
            etag,
            body,
            ..
        } => Claim::Replay(StoredResponse {
            status,
            content_type,
            location,
            etag,
            body: body.unwrap_or_default(),
        }),
        // Only a row committed by an earlier version of the service lacks its response; the
        // claim above takes it over, so this is a race with such a takeover: a mismatch would
        // be wrong, a replay impossible. Ask the client to retry.
        Row { status: None, .. } => {
            return Err(StoreError::Conflict {
                code: "idempotency_key_in_flight",
                message: "a request with this Idempotency-Key is still being processed; retry"
                    .into(),
            });
        }
    })
}

/// Stores the response of the work that claimed `owner`'s key, in the work's transaction.
pub async fn complete(
    conn: &mut PgConnection,
    owner: &KeyOwner,
    response: &StoredResponse,
) -> Result<(), StoreError> {
    sqlx::query!(
        r#"
        UPDATE idempotency_keys
        SET status = $4, content_type = $5, location = $6, etag = $7, body = $8
        WHERE org_id = $1 AND principal = $2 AND key = $3
        "#,
        owner.org_id,
        owner.principal,
        owner.key,
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

/// Gives the key back, in the work's transaction, when its answer must not be kept (a secret
/// shown once): a retry then runs again.
pub async fn release(conn: &mut PgConnection, owner: &KeyOwner) -> Result<(), StoreError> {
    sqlx::query!(
        r#"
        DELETE FROM idempotency_keys
        WHERE org_id = $1 AND principal = $2 AND key = $3
        "#,
        owner.org_id,
        owner.principal,
        owner.key
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Keeps an answer given without doing any work (the request was refused before it reached
/// its transaction, e.g. a body that failed validation), so that a retry gets it again. When
/// the key already has a record, says what that record means for this request instead.
pub async fn keep(
    conn: &mut PgConnection,
    owner: &KeyOwner,
    hash: &[u8],
    response: &StoredResponse,
) -> Result<Claim, StoreError> {
    write(conn, owner, hash, Some(response)).await
}
