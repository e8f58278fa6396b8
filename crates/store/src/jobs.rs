//! The periodic jobs shared by the replicas (OPERATIONS.md, "Several replicas on one
//! PostgreSQL"): a job that must run on one replica at a time takes a lease in `job_runs`, and
//! every job records when it last succeeded, which `/metrics` reports as its lag.
//!
//! A lease is a row, taken and given back in short transactions of their own: it works through
//! a pooler in transaction mode (PgBouncer), where a session's advisory lock stays with whichever
//! server connection took it. A replica that dies holding one leaves it to expire.

use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::db::commit;
use crate::{Db, StoreError};

/// A periodic job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// The retention run (one replica at a time, under a lease).
    Retention,
    /// The referral expiry sweep (every replica; each referral's row lock makes it expire once).
    ReferralExpiry,
    /// The folding of the caseload counts of past days (every replica; each row's lock makes it
    /// fold once).
    CaseloadCompaction,
    /// The start and end of absences' delegations (one replica at a time, under a lease).
    AbsenceDelegation,
    /// The time-based events: steps overdue, reviews due, contacts within 24 hours (every
    /// replica; a unique index makes each event once).
    DueEvents,
}

impl Job {
    /// Every job, for the metrics.
    pub const ALL: [Job; 5] = [
        Job::Retention,
        Job::ReferralExpiry,
        Job::CaseloadCompaction,
        Job::AbsenceDelegation,
        Job::DueEvents,
    ];

    /// Its name in `job_runs` and in the metrics.
    pub fn name(self) -> &'static str {
        match self {
            Job::Retention => "retention",
            Job::ReferralExpiry => "referral_expiry",
            Job::CaseloadCompaction => "caseload_compaction",
            Job::AbsenceDelegation => "absence_delegation",
            Job::DueEvents => "due_events",
        }
    }
}

/// A job's lease, held by this process until [`Lease::release`] (or until it expires).
#[derive(Debug)]
#[must_use = "a lease is given back with `release`"]
pub struct Lease {
    job: Job,
    holder: Uuid,
}

/// Takes the lease of `job` for `ttl`, unless another holder's lease is still running: `None`
/// then.
pub async fn try_lease(db: &Db, job: Job, ttl: Duration) -> Result<Option<Lease>, StoreError> {
    let holder = Uuid::now_v7();
    let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
    let mut tx = db.background().await?;
    let taken = sqlx::query_scalar!(
        r#"
        INSERT INTO job_runs (job, holder, leased_until, last_started_at)
        VALUES ($1, $2, now() + make_interval(secs => $3::bigint / 1000.0), now())
        ON CONFLICT (job) DO UPDATE
            SET holder = EXCLUDED.holder, leased_until = EXCLUDED.leased_until,
                last_started_at = EXCLUDED.last_started_at
            WHERE job_runs.leased_until IS NULL OR job_runs.leased_until < now()
        RETURNING holder AS "holder!"
        "#,
        job.name(),
        holder,
        ttl_ms
    )
    .fetch_optional(&mut *tx)
    .await?;
    commit(tx).await?;
    Ok(taken.map(|holder| Lease { job, holder }))
}

impl Lease {
    /// Gives the lease back, recording whether the work succeeded.
    pub async fn release(self, db: &Db, succeeded: bool) -> Result<(), StoreError> {
        let mut tx = db.background().await?;
        sqlx::query!(
            r#"
            UPDATE job_runs
            SET holder = NULL, leased_until = NULL,
                last_succeeded_at = CASE WHEN $3 THEN now() ELSE last_succeeded_at END,
                last_failed_at = CASE WHEN $3 THEN last_failed_at ELSE now() END
            WHERE job = $1 AND holder = $2
            "#,
            self.job.name(),
            self.holder,
            succeeded
        )
        .execute(&mut *tx)
        .await?;
        commit(tx).await
    }
}

/// Records that `job` (one needing no lease) just succeeded.
pub async fn record_success(db: &Db, job: Job) -> Result<(), StoreError> {
    let mut tx = db.background().await?;
    sqlx::query!(
        r#"
        INSERT INTO job_runs (job, last_started_at, last_succeeded_at) VALUES ($1, now(), now())
        ON CONFLICT (job) DO UPDATE
            SET last_started_at = now(), last_succeeded_at = now()
        "#,
        job.name()
    )
    .execute(&mut *tx)
    .await?;
    commit(tx).await
}

/// What the metrics say of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobState {
    pub job: String,
    pub last_succeeded_at: Option<DateTime<Utc>>,
    /// Whether a replica holds its lease now.
    pub running: bool,
}

/// Every job that ran at least once, by name.
pub async fn states(conn: &mut sqlx::PgConnection) -> Result<Vec<JobState>, StoreError> {
    Ok(sqlx::query_as!(
        JobState,
        r#"
        SELECT job, last_succeeded_at, coalesce(leased_until > now(), false) AS "running!"
        FROM job_runs
        ORDER BY job
        "#
    )
    .fetch_all(conn)
    .await?)
}
