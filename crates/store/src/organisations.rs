//! Organisations: the tenants. Created by operators (`relais org create`), read by everyone.

use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use crate::error::on_constraint;
use crate::{StoreError, letter_templates};

/// An organisation and its per-organisation settings.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Organisation {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    /// Default length of a case, in months, for its target end date.
    pub case_target_months: i32,
    /// Days between closure and the post-closure review.
    pub review_delay_days: i32,
}

/// Finds an organisation by its slug (the token's organisation claim).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn find_by_slug(
    conn: &mut PgConnection,
    slug: &str,
) -> Result<Option<Organisation>, StoreError> {
    Ok(sqlx::query_as!(
        Organisation,
        r#"
        SELECT id, slug, name, case_target_months, review_delay_days
        FROM organisations
        WHERE slug = $1
        "#,
        slug
    )
    .fetch_optional(conn)
    .await?)
}

/// Every organisation, by slug (for work done for each: the retention run).
pub async fn all(conn: &mut PgConnection) -> Result<Vec<Organisation>, StoreError> {
    Ok(sqlx::query_as!(
        Organisation,
        r#"
        SELECT id, slug, name, case_target_months, review_delay_days
        FROM organisations
        ORDER BY slug
        "#
    )
    .fetch_all(conn)
    .await?)
}

/// Per-organisation settings chosen at creation; `None` keeps the default (6 months, 28 days,
/// 30 days).
#[derive(Debug, Clone, Copy, Default)]
pub struct OrgSettings {
    /// Default length of a case, in months (1 to 60).
    pub case_target_months: Option<i32>,
    /// Days between closure and the post-closure review (1 to 365).
    pub review_delay_days: Option<i32>,
    /// Days an unanswered referral waits before it expires (1 to 365; default 30).
    pub referral_expiry_days: Option<i32>,
}

/// Creates an organisation with the default settings; `organisation_exists` when the slug is
/// taken.
pub async fn create(
    conn: &mut PgConnection,
    slug: &str,
    name: &str,
) -> Result<Organisation, StoreError> {
    create_with(conn, slug, name, OrgSettings::default()).await
}

/// Creates an organisation with its settings and the starter set of letter templates, in one
/// transaction; `organisation_exists` when the slug is taken.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn create_with(
    conn: &mut PgConnection,
    slug: &str,
    name: &str,
    settings: OrgSettings,
) -> Result<Organisation, StoreError> {
    let mut tx = conn.begin().await?;
    let org = insert(&mut tx, slug, name, settings).await?;
    // The templates are the organisation's rows: written under its tenant policy (which binds
    // an owner that is not a superuser as well), as the application writes them.
    sqlx::query!(
        "SELECT set_config('relais.org_id', $1, true)",
        org.id.to_string()
    )
    .fetch_one(&mut *tx)
    .await?;
    letter_templates::add_starters(&mut tx, org.id).await?;
    tx.commit().await?;
    Ok(org)
}

async fn insert(
    conn: &mut PgConnection,
    slug: &str,
    name: &str,
    settings: OrgSettings,
) -> Result<Organisation, StoreError> {
    sqlx::query_as!(
        Organisation,
        r#"
        INSERT INTO organisations (id, slug, name, case_target_months, review_delay_days,
                                   referral_expiry_days)
        VALUES ($1, $2, $3, coalesce($4, 6), coalesce($5, 28), coalesce($6, 30))
        RETURNING id, slug, name, case_target_months, review_delay_days
        "#,
        Uuid::now_v7(),
        slug,
        name,
        settings.case_target_months,
        settings.review_delay_days,
        settings.referral_expiry_days
    )
    .fetch_one(conn)
    .await
    .map_err(on_constraint("organisations_slug_key", || {
        StoreError::Conflict {
            code: "organisation_exists",
            message: format!("an organisation with the slug {slug:?} already exists"),
        }
    }))
}

/// Creates the organisation unless it exists; returns it either way.
pub async fn ensure(
    conn: &mut PgConnection,
    slug: &str,
    name: &str,
) -> Result<Organisation, StoreError> {
    if let Some(org) = find_by_slug(conn, slug).await? {
        return Ok(org);
    }
    create(conn, slug, name).await
}
