//! The organisation's webhook subscriptions (migration 35): a URL of its own systems and the
//! event types it takes.
//!
//! Administrators create ([`create`]), change ([`update`]), re-key ([`rotate_secret`]) and
//! delete ([`delete`]) them; every event of a subscribed type is queued for the subscription by
//! the database in the event's transaction, and delivered by the webhook dispatcher. The signing
//! secret is answered once as an [`IssuedSecret`]: the database holds only the salt its key is
//! derived from (as for partners, `partners::webhook_signing_key`).

use chrono::{DateTime, Utc};
use relais_domain::{Coded, EventType};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::crypto::NirVault;
use crate::error::single;
use crate::page::{Page, PageRequest};
use crate::partners::{IssuedSecret, new_webhook_secret};
use crate::version::{Versioned, stale_or_missing};

/// A subscription as stored, without its salt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRecord {
    pub id: Uuid,
    pub url: String,
    /// The types delivered, in the events' order.
    pub events: Vec<EventType>,
    pub description: Option<String>,
    pub enabled: bool,
    /// When the current signing secret was issued.
    pub secret_issued_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub created_by: Uuid,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// What an administrator sets on a subscription (checked by the API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionData {
    pub url: String,
    pub events: Vec<EventType>,
    pub description: Option<String>,
    pub enabled: bool,
}

impl SubscriptionData {
    /// The types as stored: each once, in the events' order.
    fn event_codes(&self) -> Vec<String> {
        EventType::ALL
            .iter()
            .filter(|t| self.events.contains(t))
            .map(|t| t.code().to_owned())
            .collect()
    }
}

struct Row {
    id: Uuid,
    url: String,
    events: Vec<String>,
    description: Option<String>,
    enabled: bool,
    secret_issued_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    created_by: Uuid,
    updated_at: DateTime<Utc>,
    version: i32,
}

impl From<Row> for SubscriptionRecord {
    fn from(r: Row) -> Self {
        SubscriptionRecord {
            id: r.id,
            url: r.url,
            // The table's constraint admits the events' codes only.
            events: r
                .events
                .iter()
                .filter_map(|code| EventType::parse(code))
                .collect(),
            description: r.description,
            enabled: r.enabled,
            secret_issued_at: r.secret_issued_at,
            created_at: r.created_at,
            created_by: r.created_by,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

/// Creates a subscription of the organisation with a fresh signing secret, answered once.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    conn: &mut PgConnection,
    vault: &NirVault,
    org_id: Uuid,
    created_by: Uuid,
    data: &SubscriptionData,
) -> Result<(SubscriptionRecord, IssuedSecret), StoreError> {
    let (salt, secret) = new_webhook_secret(vault);
    let row = sqlx::query_as!(
        Row,
        r#"INSERT INTO webhook_subscriptions (id, org_id, url, events, description, enabled,
                                              secret_salt, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           RETURNING id, url, events, description, enabled, secret_issued_at, created_at,
                     created_by, updated_at, version"#,
        Uuid::now_v7(),
        org_id,
        data.url,
        &data.event_codes(),
        data.description,
        data.enabled,
        &salt[..],
        created_by,
    )
    .fetch_one(conn)
    .await?;
    Ok((row.into(), secret))
}

/// One subscription of the organisation (a deleted one is not found).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<SubscriptionRecord, StoreError> {
    single(read(conn, Some(id), None, 1).await?)
}

/// The organisation's subscriptions, oldest first.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn list(
    conn: &mut PgConnection,
    page: PageRequest,
) -> Result<Page<SubscriptionRecord>, StoreError> {
    let rows = read(conn, None, page.after, page.fetch_limit()).await?;
    Ok(Page::from_rows(rows, page.limit, |s| s.id))
}

/// The one read of subscriptions: oldest first, after `after`, at most `limit`, or only `id`.
async fn read(
    conn: &mut PgConnection,
    id: Option<Uuid>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<SubscriptionRecord>, StoreError> {
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT id, url, events, description, enabled, secret_issued_at, created_at,
                  created_by, updated_at, version
             FROM webhook_subscriptions
            WHERE deleted_at IS NULL
              AND ($1::uuid IS NULL OR id = $1) AND ($2::uuid IS NULL OR id > $2)
            ORDER BY id
            LIMIT $3"#,
        id,
        after,
        limit,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Replaces a subscription's settings at `expected_version`.
///
/// # Errors
/// [`StoreError::VersionMismatch`] when the version moved on, [`StoreError::NotFound`].
#[tracing::instrument(level = "debug", skip(conn, data))]
pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    expected_version: i32,
    data: &SubscriptionData,
) -> Result<SubscriptionRecord, StoreError> {
    let row = sqlx::query_as!(
        Row,
        r#"UPDATE webhook_subscriptions
              SET url = $3, events = $4, description = $5, enabled = $6, updated_at = now(),
                  version = version + 1
            WHERE id = $1 AND version = $2 AND deleted_at IS NULL
        RETURNING id, url, events, description, enabled, secret_issued_at, created_at,
                  created_by, updated_at, version"#,
        id,
        expected_version,
        data.url,
        &data.event_codes(),
        data.description,
        data.enabled,
    )
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => Ok(row.into()),
        None => Err(stale_or_missing(conn, Versioned::WebhookSubscription(id)).await),
    }
}

/// Issues a new signing secret at `expected_version` (a new salt): every attempt from now on,
/// retries of earlier messages included, is signed with it.
///
/// # Errors
/// [`StoreError::VersionMismatch`] when the version moved on, [`StoreError::NotFound`].
#[tracing::instrument(level = "debug", skip(conn, vault))]
pub async fn rotate_secret(
    conn: &mut PgConnection,
    vault: &NirVault,
    id: Uuid,
    expected_version: i32,
) -> Result<(SubscriptionRecord, IssuedSecret), StoreError> {
    let (salt, secret) = new_webhook_secret(vault);
    let row = sqlx::query_as!(
        Row,
        r#"UPDATE webhook_subscriptions
              SET secret_salt = $3, secret_issued_at = now(), updated_at = now(),
                  version = version + 1
            WHERE id = $1 AND version = $2 AND deleted_at IS NULL
        RETURNING id, url, events, description, enabled, secret_issued_at, created_at,
                  created_by, updated_at, version"#,
        id,
        expected_version,
        &salt[..],
    )
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => Ok((row.into(), secret)),
        None => Err(stale_or_missing(conn, Versioned::WebhookSubscription(id)).await),
    }
}

/// Deletes a subscription at `expected_version`: it is kept, marked deleted, for its delivery
/// log; no event is queued for it any more, and its pending messages are given up (`failed`) by
/// the same statement as the worker's sweep (`webhooks::give_up_deleted`, here under the
/// organisation's tenant policy), which catches later any message queued beside the deletion.
///
/// # Errors
/// [`StoreError::VersionMismatch`] when the version moved on, [`StoreError::NotFound`].
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn delete(
    conn: &mut PgConnection,
    id: Uuid,
    expected_version: i32,
    deleted_by: Uuid,
) -> Result<(), StoreError> {
    let deleted = sqlx::query_scalar!(
        r#"UPDATE webhook_subscriptions
              SET deleted_at = now(), deleted_by = $3, enabled = false, updated_at = now(),
                  version = version + 1
            WHERE id = $1 AND version = $2 AND deleted_at IS NULL
        RETURNING id"#,
        id,
        expected_version,
        deleted_by,
    )
    .fetch_optional(&mut *conn)
    .await?;
    if deleted.is_none() {
        return Err(stale_or_missing(conn, Versioned::WebhookSubscription(id)).await);
    }
    crate::webhooks::give_up_deleted(conn).await?;
    Ok(())
}
