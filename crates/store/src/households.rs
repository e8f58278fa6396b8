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
use crate::cases::CaseScope;
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

/// How a caller sees the person `person_id` of the organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonSight {
    /// No such person in the organisation.
    Absent,
    /// The person exists, but the caller's need to know does not reach them.
    Hidden,
    /// The caller may read and write the person's household and budget.
    Visible,
}

/// Whether the caller may read and write the household and budget of `person_id`: the person
/// exists in the organisation and, for a worker (`CaseScope::Team`), the worker is on the team
/// of one of the person's cases that is not archived. A supervisor (`CaseScope::All`) sees every
/// person of the organisation. One round trip.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn person_sight(
    conn: &mut PgConnection,
    person_id: Uuid,
    scope: CaseScope,
) -> Result<PersonSight, StoreError> {
    let agent = match scope {
        CaseScope::All => None,
        CaseScope::Team(agent) => Some(agent),
    };
    let row = sqlx::query!(
        r#"
        SELECT
            EXISTS (SELECT 1 FROM persons WHERE id = $1) AS "exists!",
            ($2::uuid IS NULL OR EXISTS (
                SELECT 1
                FROM cases c
                JOIN case_team t ON t.case_id = c.id
                WHERE c.person_id = $1 AND c.status <> 'archived' AND t.agent_id = $2
            )) AS "reached!"
        "#,
        person_id,
        agent
    )
    .fetch_one(conn)
    .await?;
    Ok(match (row.exists, row.reached) {
        (false, _) => PersonSight::Absent,
        (true, false) => PersonSight::Hidden,
        (true, true) => PersonSight::Visible,
    })
}

/// The recorded household of a person the caller may see (check with [`person_sight`]
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
