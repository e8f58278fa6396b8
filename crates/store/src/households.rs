//! The household of a person: housing, the person's employment status and the members living
//! with them; and who may read a person's household and budget ([`person_visible`]).
//!
//! A household is replaced whole ([`replace`]) under its own version, which starts at 0 (none
//! recorded: [`get`] answers `None`) and grows with each replacement.

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::{EmploymentStatus, Household, HouseholdMember, HousingStatus, Relationship};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::code::Code;

/// A person's recorded household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdRecord {
    pub person_id: Uuid,
    /// Housing, employment and the members, in the order the worker gave them.
    pub household: Household,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<Uuid>,
    /// 1 after the first replacement.
    pub version: i32,
}

/// The recorded household of a person the caller may see (check with [`crate::persons::sight`]
/// first); `None` when none was recorded yet.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(
    conn: &mut PgConnection,
    person_id: Uuid,
) -> Result<Option<HouseholdRecord>, StoreError> {
    let head = sqlx::query!(
        r#"
        SELECT housing AS "housing: Code<HousingStatus>",
               employment AS "employment: Code<EmploymentStatus>", version, updated_at,
               updated_by
        FROM households
        WHERE person_id = $1
        "#,
        person_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(head) = head else {
        return Ok(None);
    };
    let members = sqlx::query_as!(
        HouseholdMember,
        r#"
        SELECT relationship AS "relationship: Code<Relationship>", birth_date, dependent
        FROM household_members
        WHERE person_id = $1
        ORDER BY position
        "#,
        person_id
    )
    .fetch_all(conn)
    .await?;
    Ok(Some(HouseholdRecord {
        person_id,
        household: Household {
            housing: head.housing.map(Code::into_inner),
            employment: head.employment.map(Code::into_inner),
            members,
        },
        updated_at: head.updated_at,
        updated_by: head.updated_by,
        version: head.version,
    }))
}

/// Replaces the whole household of `person_id` when its version is `expected_version` (0: none
/// recorded yet; `None`: whatever it is), in a fixed number of statements.
///
/// The household must have passed [`relais_domain::household::check`].
///
/// # Errors
/// `VersionMismatch` when the version moved on (or a concurrent first replacement won).
#[tracing::instrument(level = "debug", skip_all, fields(person_id = %person_id, members = household.members.len()))]
pub async fn replace(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor_id: Uuid,
    person_id: Uuid,
    expected_version: Option<i32>,
    household: &Household,
) -> Result<HouseholdRecord, StoreError> {
    // One statement checks the version and bumps it (the first replacement inserts the row).
    let written = sqlx::query!(
        r#"
        INSERT INTO households AS h (person_id, org_id, housing, employment, version,
                                     updated_at, updated_by)
        SELECT $1, $2, $3, $4, 1, now(), $5
        WHERE coalesce($6, 0) = 0 OR EXISTS (SELECT 1 FROM households WHERE person_id = $1)
        ON CONFLICT (person_id) DO UPDATE
        SET housing = EXCLUDED.housing, employment = EXCLUDED.employment,
            version = h.version + 1, updated_at = now(), updated_by = EXCLUDED.updated_by
        WHERE h.version = coalesce($6, h.version)
        RETURNING version, updated_at
        "#,
        person_id,
        org_id,
        household.housing.map(HousingStatus::code),
        household.employment.map(EmploymentStatus::code),
        actor_id,
        expected_version
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::VersionMismatch)?;

    let members = &household.members;
    let positions: Vec<i16> = (0..members.len())
        .map(|i| i16::try_from(i).unwrap_or(i16::MAX))
        .collect();
    let relationships: Vec<&str> = members.iter().map(|m| m.relationship.code()).collect();
    let birth_dates: Vec<NaiveDate> = members.iter().map(|m| m.birth_date).collect();
    let dependents: Vec<bool> = members.iter().map(|m| m.dependent).collect();
    sqlx::query!(
        "DELETE FROM household_members WHERE person_id = $1",
        person_id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"
        INSERT INTO household_members (person_id, org_id, position, relationship, birth_date,
                                       dependent)
        SELECT $1, $2, m.position, m.relationship, m.birth_date, m.dependent
        FROM unnest($3::smallint[], $4::text[], $5::date[], $6::boolean[])
             AS m(position, relationship, birth_date, dependent)
        "#,
        person_id,
        org_id,
        &positions,
        &relationships as &[&str],
        &birth_dates,
        &dependents
    )
    .execute(conn)
    .await?;
    Ok(HouseholdRecord {
        person_id,
        household: household.clone(),
        updated_at: written.updated_at,
        updated_by: Some(actor_id),
        version: written.version,
    })
}
