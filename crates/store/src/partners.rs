//! Partner organisations and their credentials.
//!
//! Administrators register partners ([`create`]), change them ([`update`]) and rotate their
//! secrets ([`rotate_client_secret`], [`rotate_webhook_secret`]); the secrets are answered once
//! as [`IssuedSecret`]s and never stored in clear.
//!
//! The client secret is stored as its SHA-256 (256 random bits need no slow hash); the webhook
//! signing key is derived from the master key and a stored salt, never stored itself.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::crypto::NirVault;
use crate::error::single;
use crate::page::{Page, PageRequest};
use crate::version::{Versioned, stale_or_missing};

/// Purpose label of the webhook signing key derivation.
const WEBHOOK_KEY_PURPOSE: &str = "webhook-signing-key";

/// The 32-byte key that signs a partner's webhooks (Standard Webhooks HMAC-SHA256), from its
/// stored salt. The partner holds it as `whsec_` + base64 of these bytes.
pub fn webhook_signing_key(vault: &NirVault, salt: &[u8]) -> [u8; 32] {
    vault.derive_secret(WEBHOOK_KEY_PURPOSE, salt)
}

/// The SHA-256 of a client secret, as stored.
pub fn client_secret_digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// `n` random bytes (salts, secrets).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}

/// A partner as stored, without its secrets (the client secret's digest and the webhook key's
/// salt never leave the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerRecord {
    pub id: Uuid,
    pub name: String,
    /// 14 digits, checked by `relais_domain::Siret` before it is stored.
    pub siret: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    /// Checked by the API (`webhook_target::validate`) before it is stored, normalised.
    pub webhook_url: Option<String>,
    /// A disabled partner's tokens are refused and its webhooks are not delivered.
    pub enabled: bool,
    /// The OAuth 2.0 client id (`rp_…`), public.
    pub client_id: String,
    /// When the current client secret was issued: tokens issued before are refused.
    pub credentials_issued_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub created_by: Uuid,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// What an administrator sets on a partner; validated by the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartnerData {
    pub name: String,
    pub siret: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub webhook_url: Option<String>,
    pub enabled: bool,
}

impl PartnerRecord {
    /// The record's editable fields, to merge a change into.
    pub fn data(&self) -> PartnerData {
        PartnerData {
            name: self.name.clone(),
            siret: self.siret.clone(),
            contact_name: self.contact_name.clone(),
            contact_email: self.contact_email.clone(),
            contact_phone: self.contact_phone.clone(),
            webhook_url: self.webhook_url.clone(),
            enabled: self.enabled,
        }
    }
}

/// A secret issued to a partner, shown once to the administrator and never stored in clear.
/// Its `Debug` does not print it.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedSecret(String);

impl IssuedSecret {
    /// The secret itself, to answer once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for IssuedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IssuedSecret(…)")
    }
}

/// The secrets of a new partner.
#[derive(Debug, Clone)]
pub struct PartnerSecrets {
    /// `rs_` + base64url of 32 random bytes; stored as its SHA-256.
    pub client_secret: IssuedSecret,
    /// `whsec_` + base64 of the signing key derived from the stored salt (Standard Webhooks).
    pub webhook_secret: IssuedSecret,
}

/// A new client id: `rp_` and 24 lowercase hex characters (96 random bits).
fn new_client_id() -> String {
    format!("rp_{}", hex::encode(random_bytes::<12>()))
}

/// A new client secret: `rs_` and 43 characters, base64url of 32 random bytes.
fn new_client_secret() -> IssuedSecret {
    IssuedSecret(format!(
        "rs_{}",
        URL_SAFE_NO_PAD.encode(random_bytes::<32>())
    ))
}

/// A new webhook key salt, and the secret the partner verifies signatures with.
pub(crate) fn new_webhook_secret(vault: &NirVault) -> ([u8; 32], IssuedSecret) {
    let salt = random_bytes::<32>();
    let key = webhook_signing_key(vault, &salt);
    (
        salt,
        IssuedSecret(format!("whsec_{}", STANDARD.encode(key))),
    )
}

/// Registers a partner of the organisation with fresh credentials, answered once.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    conn: &mut PgConnection,
    vault: &NirVault,
    org_id: Uuid,
    created_by: Uuid,
    data: &PartnerData,
) -> Result<(PartnerRecord, PartnerSecrets), StoreError> {
    let client_secret = new_client_secret();
    let (salt, webhook_secret) = new_webhook_secret(vault);
    let record = sqlx::query_as!(
        PartnerRecord,
        r#"
        INSERT INTO partners (id, org_id, name, siret, contact_name, contact_email, contact_phone,
                              webhook_url, enabled, client_id, client_secret_sha256,
                              webhook_secret_salt, created_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
        RETURNING id, name, siret, contact_name, contact_email, contact_phone, webhook_url,
                  enabled, client_id, credentials_issued_at, created_at, created_by, updated_at,
                  version
        "#,
        Uuid::now_v7(),
        org_id,
        data.name,
        data.siret,
        data.contact_name,
        data.contact_email,
        data.contact_phone,
        data.webhook_url,
        data.enabled,
        new_client_id(),
        &client_secret_digest(client_secret.expose())[..],
        &salt[..],
        created_by,
    )
    .fetch_one(conn)
    .await?;
    Ok((
        record,
        PartnerSecrets {
            client_secret,
            webhook_secret,
        },
    ))
}

/// One partner of the organisation.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<PartnerRecord, StoreError> {
    single(read(conn, Some(id), None, 1).await?)
}

/// The organisation's partners, oldest first (by id).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn list(
    conn: &mut PgConnection,
    page: PageRequest,
) -> Result<Page<PartnerRecord>, StoreError> {
    let rows = read(conn, None, page.after, page.fetch_limit()).await?;
    Ok(Page::from_rows(rows, page.limit, |p| p.id))
}

/// The one read of partners: oldest first, after the partner `after`, at most `limit` of them,
/// or only the partner `id`.
async fn read(
    conn: &mut PgConnection,
    id: Option<Uuid>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<PartnerRecord>, StoreError> {
    Ok(sqlx::query_as!(
        PartnerRecord,
        r#"
        SELECT id, name, siret, contact_name, contact_email, contact_phone, webhook_url, enabled,
               client_id, credentials_issued_at, created_at, created_by, updated_at, version
        FROM partners
        WHERE ($1::uuid IS NULL OR id = $1) AND ($2::uuid IS NULL OR id > $2)
        ORDER BY id
        LIMIT $3
        "#,
        id,
        after,
        limit
    )
    .fetch_all(conn)
    .await?)
}

/// Replaces a partner's editable fields, at `expected_version`.
///
/// # Errors
/// [`StoreError::VersionMismatch`] when the version moved on, [`StoreError::NotFound`].
#[tracing::instrument(level = "debug", skip(conn, data))]
pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    expected_version: i32,
    data: &PartnerData,
) -> Result<PartnerRecord, StoreError> {
    let updated = sqlx::query_as!(
        PartnerRecord,
        r#"
        UPDATE partners
        SET name = $3, siret = $4, contact_name = $5, contact_email = $6, contact_phone = $7,
            webhook_url = $8, enabled = $9, updated_at = now(), version = version + 1
        WHERE id = $1 AND version = $2
        RETURNING id, name, siret, contact_name, contact_email, contact_phone, webhook_url,
                  enabled, client_id, credentials_issued_at, created_at, created_by, updated_at,
                  version
        "#,
        id,
        expected_version,
        data.name,
        data.siret,
        data.contact_name,
        data.contact_email,
        data.contact_phone,
        data.webhook_url,
        data.enabled,
    )
    .fetch_optional(&mut *conn)
    .await?;
    match updated {
        Some(record) => Ok(record),
        None => Err(stale_or_missing(conn, Versioned::Partner(id)).await),
    }
}

/// Issues a new client secret at `expected_version`: the old secret stops working at once, and
/// so do the tokens issued with it (`credentials_issued_at` moves to now).
///
/// # Errors
/// [`StoreError::VersionMismatch`] when the version moved on, [`StoreError::NotFound`].
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn rotate_client_secret(
    conn: &mut PgConnection,
    id: Uuid,
    expected_version: i32,
) -> Result<(PartnerRecord, IssuedSecret), StoreError> {
    let secret = new_client_secret();
    let digest = client_secret_digest(secret.expose());
    let record = write_secret(conn, id, expected_version, Some(&digest), None).await?;
    Ok((record, secret))
}

/// Issues a new webhook signing secret at `expected_version` (a new salt): deliveries from now
/// on, retries of earlier messages included, are signed with it.
///
/// # Errors
/// [`StoreError::VersionMismatch`] when the version moved on, [`StoreError::NotFound`].
#[tracing::instrument(level = "debug", skip(conn, vault))]
pub async fn rotate_webhook_secret(
    conn: &mut PgConnection,
    vault: &NirVault,
    id: Uuid,
    expected_version: i32,
) -> Result<(PartnerRecord, IssuedSecret), StoreError> {
    let (salt, secret) = new_webhook_secret(vault);
    let record = write_secret(conn, id, expected_version, None, Some(&salt)).await?;
    Ok((record, secret))
}

/// Stores a new client secret digest (which moves `credentials_issued_at` to now) or a new
/// webhook key salt, at `expected_version`.
async fn write_secret(
    conn: &mut PgConnection,
    id: Uuid,
    expected_version: i32,
    client_secret_sha256: Option<&[u8]>,
    webhook_secret_salt: Option<&[u8]>,
) -> Result<PartnerRecord, StoreError> {
    let updated = sqlx::query_as!(
        PartnerRecord,
        r#"
        UPDATE partners
        SET client_secret_sha256 = coalesce($3, client_secret_sha256),
            credentials_issued_at = CASE WHEN $3 IS NULL THEN credentials_issued_at ELSE now() END,
            webhook_secret_salt = coalesce($4, webhook_secret_salt),
            updated_at = now(),
            version = version + 1
        WHERE id = $1 AND version = $2
        RETURNING id, name, siret, contact_name, contact_email, contact_phone, webhook_url,
                  enabled, client_id, credentials_issued_at, created_at, created_by, updated_at,
                  version
        "#,
        id,
        expected_version,
        client_secret_sha256,
        webhook_secret_salt
    )
    .fetch_optional(&mut *conn)
    .await?;
    match updated {
        Some(record) => Ok(record),
        None => Err(stale_or_missing(conn, Versioned::Partner(id)).await),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn client_ids_and_secrets_have_the_documented_forms() {
        let id = new_client_id();
        assert_eq!(id.len(), 27);
        assert!(id.starts_with("rp_"));
        assert!(
            id[3..]
                .chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
        );
        let secret = new_client_secret();
        assert_eq!(secret.expose().len(), 46);
        assert!(secret.expose().starts_with("rs_"));
        assert_eq!(
            URL_SAFE_NO_PAD.decode(&secret.expose()[3..]).unwrap().len(),
            32
        );
        assert_ne!(new_client_secret(), secret);
        assert_eq!(format!("{secret:?}"), "IssuedSecret(…)");
    }

    #[test]
    fn the_webhook_secret_is_the_derived_key_of_its_salt() {
        let vault = NirVault::new(&[7u8; 32]).unwrap();
        let (salt, secret) = new_webhook_secret(&vault);
        let key = STANDARD
            .decode(secret.expose().strip_prefix("whsec_").unwrap())
            .unwrap();
        assert_eq!(key, webhook_signing_key(&vault, &salt));
        let (other_salt, other) = new_webhook_secret(&vault);
        assert_ne!(salt, other_salt);
        assert_ne!(secret, other);
    }
}
