//! The funding plan of an application: the need and its funders, replaced whole with a version
//! (`0` before the first one, as for the assessment). The caller locks the application first
//! and checks the plan with `relais_domain::application::check_funding_plan`.

use chrono::{DateTime, Utc};
use relais_domain::FunderStatus;
use relais_domain::application::Funder;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::code::Code;

/// A funding plan as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundingPlanRecord {
    pub application_id: Uuid,
    pub need_cents: i64,
    /// In the order given.
    pub funders: Vec<Funder>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Uuid,
    pub version: i32,
}

struct FunderRow {
    application_id: Uuid,
    name: String,
    requested_cents: i64,
    status: FunderStatus,
    granted_cents: Option<i64>,
}

impl From<FunderRow> for Funder {
    fn from(r: FunderRow) -> Self {
        Funder {
            name: r.name,
            requested_cents: r.requested_cents,
            status: r.status,
            granted_cents: r.granted_cents,
        }
    }
}

/// The funding plans of several applications (one page of a list, or one), with their funders.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn for_applications(
    conn: &mut PgConnection,
    application_ids: &[Uuid],
) -> Result<Vec<FundingPlanRecord>, StoreError> {
    let plans = sqlx::query!(
        r#"
        SELECT application_id, need_cents, updated_at, updated_by, version
        FROM funding_plans
        WHERE application_id = ANY($1)
        "#,
        application_ids
    )
    .fetch_all(&mut *conn)
    .await?;
    let funders = sqlx::query_as!(
        FunderRow,
        r#"
        SELECT application_id, name, requested_cents, status AS "status: Code<FunderStatus>",
               granted_cents
        FROM funding_plan_funders
        WHERE application_id = ANY($1)
        ORDER BY application_id, position
        "#,
        application_ids
    )
    .fetch_all(&mut *conn)
    .await?;
    let funders: Vec<(Uuid, Funder)> = funders
        .into_iter()
        .map(|r| (r.application_id, Funder::from(r)))
        .collect();
    let mut out = Vec::with_capacity(plans.len());
    for plan in plans {
        let mine = funders
            .iter()
            .filter(|(id, _)| *id == plan.application_id)
            .map(|(_, f)| f.clone())
            .collect();
        out.push(FundingPlanRecord {
            application_id: plan.application_id,
            need_cents: plan.need_cents,
            funders: mine,
            updated_at: plan.updated_at,
            updated_by: plan.updated_by,
            version: plan.version,
        });
    }
    Ok(out)
}

/// The funding plan of an application, if one was written.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(
    conn: &mut PgConnection,
    application_id: Uuid,
) -> Result<Option<FundingPlanRecord>, StoreError> {
    Ok(for_applications(conn, &[application_id]).await?.pop())
}

/// Replaces the funding plan of a locked application when its version is `expected_version`
/// (`Some(0)`: none written yet; `None`: whatever it is).
///
/// # Errors
/// [`StoreError::VersionMismatch`] when the plan's version is another.
#[tracing::instrument(level = "debug", skip_all, fields(application_id = %application_id))]
pub async fn replace(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor_id: Uuid,
    application_id: Uuid,
    expected_version: Option<i32>,
    need_cents: i64,
    funders: &[Funder],
) -> Result<FundingPlanRecord, StoreError> {
    // One statement checks the version and bumps it (the first plan inserts the row).
    let written = sqlx::query!(
        r#"
        INSERT INTO funding_plans AS f (application_id, org_id, need_cents, updated_by)
        SELECT $1, $2, $3, $4
        WHERE coalesce($5, 0) = 0
           OR EXISTS (SELECT 1 FROM funding_plans WHERE application_id = $1)
        ON CONFLICT (application_id) DO UPDATE
        SET need_cents = EXCLUDED.need_cents, updated_at = now(),
            updated_by = EXCLUDED.updated_by, version = f.version + 1
        WHERE f.version = coalesce($5, f.version)
        RETURNING updated_at, version
        "#,
        application_id,
        org_id,
        need_cents,
        actor_id,
        expected_version
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::VersionMismatch)?;
    sqlx::query!(
        "DELETE FROM funding_plan_funders WHERE application_id = $1",
        application_id
    )
    .execute(&mut *conn)
    .await?;
    let ids: Vec<Uuid> = funders.iter().map(|_| Uuid::now_v7()).collect();
    let positions: Vec<i32> = (1..).take(funders.len()).collect();
    let names: Vec<String> = funders.iter().map(|f| f.name.clone()).collect();
    let requested: Vec<i64> = funders.iter().map(|f| f.requested_cents).collect();
    let statuses: Vec<String> = funders.iter().map(|f| f.status.code().to_owned()).collect();
    let granted: Vec<Option<i64>> = funders.iter().map(|f| f.granted_cents).collect();
    sqlx::query!(
        r#"
        INSERT INTO funding_plan_funders (id, org_id, application_id, position, name,
                                          requested_cents, status, granted_cents)
        SELECT f.id, $1, $2, f.position, f.name, f.requested, f.status, f.granted
        FROM UNNEST($3::uuid[], $4::int[], $5::text[], $6::bigint[], $7::text[], $8::bigint[])
             AS f(id, position, name, requested, status, granted)
        "#,
        org_id,
        application_id,
        &ids,
        &positions,
        &names,
        &requested,
        &statuses,
        &granted as &[Option<i64>]
    )
    .execute(conn)
    .await?;
    Ok(FundingPlanRecord {
        application_id,
        need_cents,
        funders: funders.to_vec(),
        updated_at: written.updated_at,
        updated_by: actor_id,
        version: written.version,
    })
}
