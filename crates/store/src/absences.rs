//! Absences: while an agent is away, a delegate is on the team of every open case the absent
//! agent is referent of, and leaves those teams when the absence ends (DAILY.md, "People at
//! work").
//!
//! The delegations are team rows marked with their absence (`case_team.absence_id`), so that
//! everything that reads a team (need to know, lists, the agenda kept by the database) covers
//! the delegate without knowing about absences. [`sync`] makes the rows match the absences
//! running on a day: the absence's own writes call it, and the worker's periodic job calls it
//! for every organisation, which ends absences by themselves, starts the ones recorded ahead,
//! and follows cases that changed referent or closed in between.

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::AbsencePeriod;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;
use crate::page::{Page, PageRequest};

/// An absence as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AbsenceRecord {
    pub id: Uuid,
    pub agent_id: Uuid,
    pub delegate_id: Uuid,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
}

/// What a [`sync`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Synced {
    /// Delegations that began (a delegate joined a case's team).
    pub joined: u64,
    /// Delegations that ended (a delegate left a case's team).
    pub left: u64,
}

/// Records an absence of `agent_id` covered by `delegate_id`, and starts its delegations when
/// it runs on `today`. The agent's row is locked first, so that two absences of one agent are
/// recorded one after the other and never overlap (409 `absence_overlaps`).
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn create(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor_id: Uuid,
    agent_id: Uuid,
    delegate_id: Uuid,
    period: AbsencePeriod,
    today: NaiveDate,
) -> Result<AbsenceRecord, StoreError> {
    let overlapping = sqlx::query_scalar!(
        r#"
        WITH agent AS (SELECT id FROM agents WHERE id = $1 FOR NO KEY UPDATE)
        SELECT a.id
        FROM agent_absences a, agent
        WHERE a.agent_id = agent.id AND a.starts_on <= $3 AND a.ends_on >= $2
        LIMIT 1
        "#,
        agent_id,
        period.from,
        period.to
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(other) = overlapping {
        return Err(StoreError::Conflict {
            code: "absence_overlaps",
            message: format!("the agent's absence {other} already covers some of these days"),
        });
    }
    let absence = sqlx::query_as!(
        AbsenceRecord,
        r#"
        INSERT INTO agent_absences (id, org_id, agent_id, delegate_id, starts_on, ends_on,
                                    created_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        RETURNING id, agent_id, delegate_id, starts_on, ends_on, created_by, created_at
        "#,
        Uuid::now_v7(),
        org_id,
        agent_id,
        delegate_id,
        period.from,
        period.to,
        actor_id
    )
    .fetch_one(&mut *conn)
    .await?;
    if period.runs_on(today) {
        sync(conn, today).await?;
    }
    Ok(absence)
}

/// The absences of `agent_id`, latest first.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn list(
    conn: &mut PgConnection,
    agent_id: Uuid,
    page: PageRequest,
) -> Result<Page<AbsenceRecord>, StoreError> {
    // Ordered by id (time-ordered ids: latest recorded first), for the keyset cursor.
    let rows = sqlx::query_as!(
        AbsenceRecord,
        r#"
        SELECT id, agent_id, delegate_id, starts_on, ends_on, created_by, created_at
        FROM agent_absences
        WHERE agent_id = $1 AND id < $2
        ORDER BY id DESC
        LIMIT $3
        "#,
        agent_id,
        page.after.unwrap_or(Uuid::max()),
        page.fetch_limit()
    )
    .fetch_all(conn)
    .await?;
    Ok(Page::from_rows(rows, page.limit, |a| a.id))
}

/// Cancels an absence of `agent_id`: it is deleted, and its delegations with it.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn delete(
    conn: &mut PgConnection,
    agent_id: Uuid,
    id: Uuid,
) -> Result<AbsenceRecord, StoreError> {
    sqlx::query_as!(
        AbsenceRecord,
        r#"
        DELETE FROM agent_absences
        WHERE id = $1 AND agent_id = $2
        RETURNING id, agent_id, delegate_id, starts_on, ends_on, created_by, created_at
        "#,
        id,
        agent_id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)
}

/// Makes the delegations of the organisation match the absences running on `today`: ends the
/// ones whose absence is not running or whose case is no longer an open case of the absent
/// agent, and starts the missing ones. Two statements: a delegation that ends and one that
/// starts on the same team row never meet in one snapshot.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn sync(conn: &mut PgConnection, today: NaiveDate) -> Result<Synced, StoreError> {
    let left = sqlx::query!(
        r#"
        DELETE FROM case_team t
        USING agent_absences a, cases c
        WHERE t.absence_id = a.id
          AND c.id = t.case_id
          AND a.org_id = relais_current_org()
          AND (a.starts_on > $1 OR a.ends_on < $1
               OR c.referent_id IS DISTINCT FROM a.agent_id
               OR c.status IN ('closed', 'archived'))
        "#,
        today
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let joined = sqlx::query!(
        r#"
        INSERT INTO case_team (case_id, agent_id, org_id, absence_id)
        SELECT c.id, a.delegate_id, a.org_id, a.id
        FROM agent_absences a
        JOIN cases c ON c.referent_id = a.agent_id
        WHERE a.org_id = relais_current_org()
          AND a.ends_on >= $1 AND a.starts_on <= $1
          AND c.status NOT IN ('closed', 'archived')
        ORDER BY c.id
        ON CONFLICT (case_id, agent_id) DO NOTHING
        "#,
        today
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(Synced { joined, left })
}

/// How long the lease of a run over every organisation lasts: far longer than a run.
const SYNC_LEASE: std::time::Duration = std::time::Duration::from_secs(600);

/// The periodic job: [`sync`] for every organisation on `today`, one organisation per
/// transaction, under the job's lease (one replica at a time); `None` when another replica
/// holds it. The lease records the run's success or failure for the metrics.
pub async fn sync_all(db: &crate::Db, today: NaiveDate) -> Result<Option<Synced>, StoreError> {
    use crate::jobs::{Job, try_lease};
    let Some(lease) = try_lease(db, Job::AbsenceDelegation, SYNC_LEASE).await? else {
        return Ok(None);
    };
    let ran = async {
        let orgs = {
            let mut conn = db.pool().acquire().await?;
            crate::organisations::all(&mut conn).await?
        };
        let mut total = Synced::default();
        for org in orgs {
            let mut tx = db.tenant(org.id, crate::db::Access::Write).await?;
            let synced = sync(&mut tx, today).await?;
            crate::db::commit(tx).await?;
            total.joined += synced.joined;
            total.left += synced.left;
        }
        Ok::<_, StoreError>(total)
    }
    .await;
    if let Err(e) = lease.release(db, ran.is_ok()).await {
        tracing::warn!(error = %e, "could not give back the absence job's lease");
    }
    ran.map(Some)
}
