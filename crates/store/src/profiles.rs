//! The organisation's letterhead: its profile (name, address, phone, e-mail, website) and its
//! logo, as every printed document carries them. Until an administrator writes the profile, the
//! organisation's registered name stands in at version 0.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;

/// What the profile says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    /// The street lines, at most three.
    pub address_lines: Vec<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
}

/// The profile as stored, with its version (0 until first written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileRecord {
    pub profile: Profile,
    pub version: i32,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<Uuid>,
}

/// What is known of the logo without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoInfo {
    /// `image/png` or `image/jpeg`.
    pub media_type: String,
    pub width: i32,
    pub height: i32,
    /// Hex SHA-256 of the file.
    pub sha256: String,
    pub updated_at: DateTime<Utc>,
}

/// The logo's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoFile {
    pub media_type: String,
    pub content: Vec<u8>,
    pub sha256: String,
}

/// The logo to store, already checked by the caller.
#[derive(Debug, Clone, Copy)]
pub struct NewLogo<'a> {
    pub media_type: &'a str,
    pub content: &'a [u8],
    pub width: i32,
    pub height: i32,
    pub sha256: &'a str,
}

/// The profile of the current organisation, with what is known of its logo, in one round trip.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn profile(
    conn: &mut PgConnection,
) -> Result<(ProfileRecord, Option<LogoInfo>), StoreError> {
    let row = sqlx::query!(
        r#"
        SELECT COALESCE(p.name, o.name) AS "name!", COALESCE(p.address_lines, '{}') AS "address_lines!",
               p.postcode AS "postcode?", p.city AS "city?", p.phone AS "phone?",
               p.email AS "email?", p.website AS "website?", COALESCE(p.version, 0) AS "version!",
               p.updated_at AS "updated_at?", p.updated_by AS "updated_by?",
               l.media_type AS "logo_type?", l.width AS "logo_width?",
               l.height AS "logo_height?", l.sha256 AS "logo_sha256?",
               l.updated_at AS "logo_updated_at?"
        FROM organisations o
        LEFT JOIN organisation_profiles p ON p.org_id = o.id
        LEFT JOIN organisation_logos l ON l.org_id = o.id
        WHERE o.id = relais_current_org()
        "#
    )
    .fetch_one(conn)
    .await?;
    let logo = match (
        row.logo_type,
        row.logo_width,
        row.logo_height,
        row.logo_sha256,
        row.logo_updated_at,
    ) {
        (Some(media_type), Some(width), Some(height), Some(sha256), Some(updated_at)) => {
            Some(LogoInfo {
                media_type,
                width,
                height,
                sha256,
                updated_at,
            })
        }
        _ => None,
    };
    Ok((
        ProfileRecord {
            profile: Profile {
                name: row.name,
                address_lines: row.address_lines,
                postcode: row.postcode,
                city: row.city,
                phone: row.phone,
                email: row.email,
                website: row.website,
            },
            version: row.version,
            updated_at: row.updated_at,
            updated_by: row.updated_by,
        },
        logo,
    ))
}

/// The profile and the logo's file of the current organisation, as documents print them (two
/// round trips: the profile's one read, then the image).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn letterhead(
    conn: &mut PgConnection,
) -> Result<(Profile, Option<LogoFile>), StoreError> {
    let (record, logo) = profile(&mut *conn).await?;
    let file = match logo {
        Some(_) => self::logo(conn).await?,
        None => None,
    };
    Ok((record.profile, file))
}

/// Replaces the profile when its version is `expected_version` (0: never written; `None`:
/// whatever it is); answers it as written.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn put_profile(
    conn: &mut PgConnection,
    org_id: Uuid,
    expected_version: Option<i32>,
    profile: &Profile,
    updated_by: Uuid,
) -> Result<(ProfileRecord, Option<LogoInfo>), StoreError> {
    let inserted = if matches!(expected_version, None | Some(0)) {
        sqlx::query_scalar!(
            r#"
            INSERT INTO organisation_profiles (org_id, name, address_lines, postcode, city,
                phone, email, website, version, updated_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9)
            ON CONFLICT (org_id) DO NOTHING
            RETURNING version
            "#,
            org_id,
            profile.name,
            &profile.address_lines,
            profile.postcode,
            profile.city,
            profile.phone,
            profile.email,
            profile.website,
            updated_by
        )
        .fetch_optional(&mut *conn)
        .await?
    } else {
        None
    };
    if inserted.is_none() {
        let updated = sqlx::query_scalar!(
            r#"
            UPDATE organisation_profiles
            SET name = $2, address_lines = $3, postcode = $4, city = $5, phone = $6,
                email = $7, website = $8, version = version + 1, updated_at = now(),
                updated_by = $9
            WHERE $1::int IS NULL OR version = $1
            RETURNING version
            "#,
            expected_version,
            profile.name,
            &profile.address_lines,
            profile.postcode,
            profile.city,
            profile.phone,
            profile.email,
            profile.website,
            updated_by
        )
        .fetch_optional(&mut *conn)
        .await?;
        if updated.is_none() {
            return Err(StoreError::VersionMismatch);
        }
    }
    self::profile(conn).await
}

/// The logo's file of the current organisation, if it has one.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn logo(conn: &mut PgConnection) -> Result<Option<LogoFile>, StoreError> {
    Ok(sqlx::query_as!(
        LogoFile,
        "SELECT media_type, content, sha256 FROM organisation_logos"
    )
    .fetch_optional(conn)
    .await?)
}

/// Replaces the organisation's logo.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn put_logo(
    conn: &mut PgConnection,
    org_id: Uuid,
    logo: NewLogo<'_>,
    updated_by: Uuid,
) -> Result<LogoInfo, StoreError> {
    Ok(sqlx::query_as!(
        LogoInfo,
        r#"
        INSERT INTO organisation_logos (org_id, media_type, content, width, height, sha256,
            updated_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (org_id) DO UPDATE
        SET media_type = EXCLUDED.media_type, content = EXCLUDED.content,
            width = EXCLUDED.width, height = EXCLUDED.height, sha256 = EXCLUDED.sha256,
            updated_at = now(), updated_by = EXCLUDED.updated_by
        RETURNING media_type, width, height, sha256, updated_at
        "#,
        org_id,
        logo.media_type,
        logo.content,
        logo.width,
        logo.height,
        logo.sha256,
        updated_by
    )
    .fetch_one(conn)
    .await?)
}

/// Removes the organisation's logo; whether there was one.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete_logo(conn: &mut PgConnection) -> Result<bool, StoreError> {
    let deleted = sqlx::query!("DELETE FROM organisation_logos")
        .execute(conn)
        .await?;
    Ok(deleted.rows_affected() > 0)
}
