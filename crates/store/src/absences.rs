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
    pub version: i32,
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
        RETURNING id, agent_id, delegate_id, starts_on, ends_on, created_by, created_at, version
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
        sync(conn, today, SyncScope::Absence(absence.id)).await?;
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
        SELECT id, agent_id, delegate_id, starts_on, ends_on, created_by, created_at, version
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

/// One absence of `agent_id`.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn get(
    conn: &mut PgConnection,
    agent_id: Uuid,
    id: Uuid,
) -> Result<AbsenceRecord, StoreError> {
    sqlx::query_as!(
        AbsenceRecord,
        r#"
        SELECT id, agent_id, delegate_id, starts_on, ends_on, created_by, created_at, version
        FROM agent_absences
        WHERE id = $1 AND agent_id = $2
        "#,
        id,
        agent_id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)
}

/// What became of a cancelled absence.
#[derive(Debug, Clone)]
pub enum Cancelled {
    /// It had not begun before today: deleted.
    Deleted(AbsenceRecord),
    /// It had begun: it ended yesterday, and stays on record (it is why the delegate read the
    /// cases meanwhile).
    Ended(AbsenceRecord),
}

/// Cancels the absence `absence` (as read in this transaction) when its version is still
/// `expected_version`: deleted when it had not begun before today, else ended yesterday. Either
/// way its delegations end now, after its cases are locked in id order (the order of every
/// writer of cases).
#[tracing::instrument(level = "debug", skip(conn, absence), fields(absence_id = %absence.id))]
pub async fn cancel(
    conn: &mut PgConnection,
    absence: &AbsenceRecord,
    expected_version: i32,
    today: NaiveDate,
) -> Result<Cancelled, StoreError> {
    if absence.version != expected_version {
        return Err(StoreError::VersionMismatch);
    }
    lock_cases(conn, today, SyncScope::Absence(absence.id)).await?;
    if absence.starts_on >= today {
        let deleted = sqlx::query_as!(
            AbsenceRecord,
            r#"
            DELETE FROM agent_absences
            WHERE id = $1 AND version = $2
            RETURNING id, agent_id, delegate_id, starts_on, ends_on, created_by, created_at,
                      version
            "#,
            absence.id,
            expected_version
        )
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::VersionMismatch)?;
        return Ok(Cancelled::Deleted(deleted));
    }
    let ended = sqlx::query_as!(
        AbsenceRecord,
        r#"
        UPDATE agent_absences
        SET ends_on = LEAST(ends_on, $3::date - 1), version = version + 1
        WHERE id = $1 AND version = $2
        RETURNING id, agent_id, delegate_id, starts_on, ends_on, created_by, created_at, version
        "#,
        absence.id,
        expected_version,
        today
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::VersionMismatch)?;
    sync(conn, today, SyncScope::Absence(absence.id)).await?;
    Ok(Cancelled::Ended(ended))
}

/// Which delegations a [`sync`] makes right.
#[derive(Debug, Clone, Copy)]
pub enum SyncScope<'a> {
    /// Every one of the organisation (the periodic job).
    All,
    /// Those of these cases, whose rows the caller has locked already (a handover, a change of
    /// referent or of status).
    Cases(&'a [Uuid]),
    /// Those of this absence (recorded, cancelled).
    Absence(Uuid),
}

impl SyncScope<'_> {
    fn cases(self) -> Option<Vec<Uuid>> {
        match self {
            SyncScope::Cases(ids) => Some(ids.to_vec()),
            _ => None,
        }
    }

    fn absence(self) -> Option<Uuid> {
        match self {
            SyncScope::Absence(id) => Some(id),
            _ => None,
        }
    }
}

/// Locks, in id order, the cases whose delegations a sync of `scope` may write: those with a
/// delegation row, and the open cases of the agents absent on `today`. A writer of cases locks
/// its case before its team rows; so does the sync, and the two never wait on each other in a
/// circle.
async fn lock_cases(
    conn: &mut PgConnection,
    today: NaiveDate,
    scope: SyncScope<'_>,
) -> Result<(), StoreError> {
    sqlx::query!(
        r#"
        SELECT c.id
        FROM cases c
        WHERE c.id IN (
                SELECT t.case_id
                FROM case_team t
                JOIN agent_absences a ON a.id = t.absence_id
                WHERE a.org_id = relais_current_org() AND ($2::uuid IS NULL OR a.id = $2)
                UNION
                SELECT o.id
                FROM agent_absences a
                JOIN cases o ON o.referent_id = a.agent_id
                WHERE a.org_id = relais_current_org() AND ($2::uuid IS NULL OR a.id = $2)
                  AND a.starts_on <= $1 AND a.ends_on >= $1
                  AND o.status NOT IN ('closed', 'archived'))
        ORDER BY c.id
        FOR NO KEY UPDATE
        "#,
        today,
        scope.absence()
    )
    .fetch_all(conn)
    .await?;
    Ok(())
}

/// Makes the delegations of `scope` match the absences running on `today`: ends those whose
/// absence is not running, whose case is no longer an open case of the absent agent, or whose
/// delegate left the organisation, and starts the missing ones. The cases are locked first
/// (unless the caller holds them); then two statements, so that a delegation that ends and one
/// that starts on the same team row never meet in one snapshot.
#[tracing::instrument(level = "debug", skip(conn))]
pub async fn sync(
    conn: &mut PgConnection,
    today: NaiveDate,
    scope: SyncScope<'_>,
) -> Result<Synced, StoreError> {
    if !matches!(scope, SyncScope::Cases(_)) {
        lock_cases(conn, today, scope).await?;
    }
    let (cases, absence) = (scope.cases(), scope.absence());
    let left = sqlx::query!(
        r#"
        DELETE FROM case_team t
        USING agent_absences a, cases c, agents d
        WHERE t.absence_id = a.id
          AND c.id = t.case_id
          AND d.id = a.delegate_id
          AND a.org_id = relais_current_org()
          AND ($2::uuid[] IS NULL OR t.case_id = ANY ($2))
          AND ($3::uuid IS NULL OR a.id = $3)
          AND (a.starts_on > $1 OR a.ends_on < $1
               OR c.referent_id IS DISTINCT FROM a.agent_id
               OR c.status IN ('closed', 'archived')
               OR NOT d.active)
        "#,
        today,
        cases.as_deref(),
        absence
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let joined = sqlx::query!(
        r#"
        INSERT INTO case_team (case_id, agent_id, org_id, absence_id)
        SELECT c.id, a.delegate_id, a.org_id, a.id
        FROM agent_absences a
        JOIN agents d ON d.id = a.delegate_id AND d.active
        JOIN cases c ON c.referent_id = a.agent_id
        WHERE a.org_id = relais_current_org()
          AND ($2::uuid[] IS NULL OR c.id = ANY ($2))
          AND ($3::uuid IS NULL OR a.id = $3)
          AND a.ends_on >= $1 AND a.starts_on <= $1
          AND c.status NOT IN ('closed', 'archived')
        ORDER BY c.id
        ON CONFLICT (case_id, agent_id) DO NOTHING
        "#,
        today,
        cases.as_deref(),
        absence
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
        let mut failed = None;
        // One organisation's failure does not hold the others' delegations back.
        for org in orgs {
            let synced = async {
                let mut tx = db.tenant(org.id, crate::db::Access::Write).await?;
                let synced = sync(&mut tx, today, SyncScope::All).await?;
                crate::db::commit(tx).await?;
                Ok::<_, StoreError>(synced)
            }
            .await;
            match synced {
                Ok(synced) => {
                    total.joined += synced.joined;
                    total.left += synced.left;
                }
                Err(e) => {
                    tracing::warn!(organisation = %org.slug, error = %e,
                        "the absence delegations of an organisation failed");
                    failed = Some(e);
                }
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok::<_, StoreError>(total),
        }
    }
    .await;
    if let Err(e) = lease.release(db, ran.is_ok()).await {
        tracing::warn!(error = %e, "could not give back the absence job's lease");
    }
    ran.map(Some)
}
