//! Restrictions of processing and objections of persons: recorded, listed, lifted; whether one
//! is active is asked by every sharing and every statistic.

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::RestrictionKind;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::code::Code;

/// A restriction or objection as stored.
#[derive(Debug, Clone)]
pub struct RestrictionRecord {
    pub id: Uuid,
    pub person_id: Uuid,
    pub kind: Code<RestrictionKind>,
    pub reason: String,
    pub requested_on: NaiveDate,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
    pub lifted_at: Option<DateTime<Utc>>,
    pub lifted_by: Option<Uuid>,
    pub lift_reason: Option<String>,
}

/// A restriction to record.
#[derive(Debug, Clone)]
pub struct NewRestriction<'a> {
    pub org_id: Uuid,
    pub person_id: Uuid,
    pub kind: RestrictionKind,
    pub reason: &'a str,
    pub requested_on: NaiveDate,
    pub created_by: Uuid,
}

/// Records a restriction or an objection.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    conn: &mut PgConnection,
    new: &NewRestriction<'_>,
) -> Result<RestrictionRecord, StoreError> {
    Ok(sqlx::query_as!(
        RestrictionRecord,
        r#"
        INSERT INTO person_restrictions (id, org_id, person_id, kind, reason, requested_on,
                                         created_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        RETURNING id, person_id, kind AS "kind: Code<RestrictionKind>", reason, requested_on,
                  created_at, created_by, lifted_at, lifted_by, lift_reason
        "#,
        Uuid::now_v7(),
        new.org_id,
        new.person_id,
        new.kind.code(),
        new.reason,
        new.requested_on,
        new.created_by
    )
    .fetch_one(conn)
    .await?)
}

/// The person's restrictions, oldest first (a handful), or only `restriction_id`.
async fn read(
    conn: &mut PgConnection,
    person_id: Uuid,
    restriction_id: Option<Uuid>,
) -> Result<Vec<RestrictionRecord>, StoreError> {
    Ok(sqlx::query_as!(
        RestrictionRecord,
        r#"
        SELECT id, person_id, kind AS "kind: Code<RestrictionKind>", reason, requested_on,
               created_at, created_by, lifted_at, lifted_by, lift_reason
        FROM person_restrictions
        WHERE person_id = $1 AND ($2::uuid IS NULL OR id = $2)
        ORDER BY id
        "#,
        person_id,
        restriction_id
    )
    .fetch_all(conn)
    .await?)
}

/// The person's restrictions, oldest first, lifted ones included.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn list(
    conn: &mut PgConnection,
    person_id: Uuid,
) -> Result<Vec<RestrictionRecord>, StoreError> {
    read(conn, person_id, None).await
}

/// A restriction of the person, if it is one of theirs (lifted or not).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(
    conn: &mut PgConnection,
    person_id: Uuid,
    restriction_id: Uuid,
) -> Result<Option<RestrictionRecord>, StoreError> {
    Ok(read(conn, person_id, Some(restriction_id)).await?.pop())
}

/// Lifts an active restriction of the person (check it with
/// [`relais_domain::restriction::check_lift`] first); `None` when it is not one of theirs or is
/// no longer active.
#[tracing::instrument(level = "debug", skip(conn, reason))]
pub async fn lift(
    conn: &mut PgConnection,
    person_id: Uuid,
    restriction_id: Uuid,
    reason: &str,
    lifted_by: Uuid,
) -> Result<Option<RestrictionRecord>, StoreError> {
    Ok(sqlx::query_as!(
        RestrictionRecord,
        r#"
        UPDATE person_restrictions
        SET lifted_at = now(), lifted_by = $4, lift_reason = $3
        WHERE id = $2 AND person_id = $1 AND lifted_at IS NULL
        RETURNING id, person_id, kind AS "kind: Code<RestrictionKind>", reason, requested_on,
                  created_at, created_by, lifted_at, lifted_by, lift_reason
        "#,
        person_id,
        restriction_id,
        reason,
        lifted_by
    )
    .fetch_optional(conn)
    .await?)
}

/// Whether a restriction or an objection of the person is active.
pub async fn active(conn: &mut PgConnection, person_id: Uuid) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM person_restrictions
                          WHERE person_id = $1 AND lifted_at IS NULL) AS "active!""#,
        person_id
    )
    .fetch_one(conn)
    .await?)
}

/// Whether a person of the organisation with this NIR (by its search hash) has an active
/// restriction or objection: asked of a referral's person before anything about them is shared.
pub async fn active_for_nir_hash(
    conn: &mut PgConnection,
    nir_hash: &[u8],
) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (
               SELECT 1 FROM persons p
               JOIN person_restrictions r ON r.person_id = p.id AND r.lifted_at IS NULL
               WHERE p.nir_hash = $1
           ) AS "active!""#,
        nir_hash
    )
    .fetch_one(conn)
    .await?)
}
