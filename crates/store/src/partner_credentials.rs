//! Partner client credentials, as the OAuth token endpoint and the per-request check read them.
//!
//! The token endpoint looks a client up before it knows its organisation, so [`find_client`]
//! runs in a [`crate::Db::background`] transaction (the `relais_worker` role may read partners
//! and organisations across tenants, nothing more). [`status`] runs in the caller's tenant
//! transaction, on every request a partner token makes.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;

/// A partner's client, as the token endpoint needs it.
#[derive(Debug, Clone)]
pub struct PartnerClient {
    pub partner_id: Uuid,
    pub org_id: Uuid,
    pub org_slug: String,
    pub name: String,
    pub enabled: bool,
    /// SHA-256 of the client secret (see [`crate::partners::client_secret_digest`]).
    pub client_secret_sha256: Vec<u8>,
    /// When the current credentials were issued: tokens issued earlier are refused.
    pub credentials_issued_at: DateTime<Utc>,
}

/// The client with this `client_id`, in any organisation. Run it in a `Db::background()`
/// transaction.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_client(
    conn: &mut PgConnection,
    client_id: &str,
) -> Result<Option<PartnerClient>, StoreError> {
    Ok(sqlx::query_as!(
        PartnerClient,
        r#"
        SELECT p.id AS partner_id, p.org_id, o.slug AS org_slug, p.name, p.enabled,
               p.client_secret_sha256, p.credentials_issued_at
        FROM partners p
        JOIN organisations o ON o.id = p.org_id
        WHERE p.client_id = $1
        "#,
        client_id
    )
    .fetch_optional(conn)
    .await?)
}

/// What a request with a partner token checks about its partner.
#[derive(Debug, Clone)]
pub struct PartnerStatus {
    pub enabled: bool,
    pub credentials_issued_at: DateTime<Utc>,
    /// The partner's current name (its agent row's display name).
    pub name: String,
}

/// The partner's status, when it exists in the transaction's organisation (row-level security
/// hides the others).
pub async fn status(
    conn: &mut PgConnection,
    partner_id: Uuid,
) -> Result<Option<PartnerStatus>, StoreError> {
    Ok(sqlx::query_as!(
        PartnerStatus,
        "SELECT enabled, credentials_issued_at, name FROM partners WHERE id = $1",
        partner_id
    )
    .fetch_optional(conn)
    .await?)
}
