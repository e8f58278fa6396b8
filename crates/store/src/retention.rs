//! Retention: the organisation's settings, the candidates of each step of a run (found with the
//! dates `relais_domain::retention::Cutoffs` gives), and the steps themselves, each a bounded
//! batch. What the application may not rewrite or delete is erased through the functions of the
//! `relais_retention` role (migration `retention`).

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use relais_domain::retention::{Cutoffs, RetentionSettings};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreError;

/// The subject the retention run's audit events are recorded under.
pub const SUBJECT: &str = "relais-retention";
/// The settings as stored; the defaults at version 0 until first written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsRecord {
    pub settings: RetentionSettings,
    pub version: i32,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<Uuid>,
}

fn to_i32(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

fn to_u32(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

/// The organisation's retention settings.
pub async fn settings(conn: &mut PgConnection) -> Result<SettingsRecord, StoreError> {
    let row = sqlx::query!(
        r#"
        SELECT archive_after_months, purge_after_archive_months, applications_granted_years,
               applications_other_years, referral_attachments_months, audit_months, version,
               updated_at, updated_by
        FROM retention_settings
        "#
    )
    .fetch_optional(conn)
    .await?;
    Ok(match row {
        None => SettingsRecord {
            settings: RetentionSettings::default(),
            version: 0,
            updated_at: None,
            updated_by: None,
        },
        Some(r) => SettingsRecord {
            settings: RetentionSettings {
                archive_after_months: to_u32(r.archive_after_months),
                purge_after_archive_months: to_u32(r.purge_after_archive_months),
                applications_granted_years: to_u32(r.applications_granted_years),
                applications_other_years: to_u32(r.applications_other_years),
                referral_attachments_months: to_u32(r.referral_attachments_months),
                audit_months: to_u32(r.audit_months),
            },
            version: r.version,
            updated_at: Some(r.updated_at),
            updated_by: r.updated_by,
        },
    })
}

/// Replaces the settings when the stored version is `expected_version` (0: none written yet;
/// `None`: whatever it is).
pub async fn put_settings(
    conn: &mut PgConnection,
    org_id: Uuid,
    expected_version: Option<i32>,
    settings: &RetentionSettings,
    updated_by: Uuid,
) -> Result<SettingsRecord, StoreError> {
    let values = [
        settings.archive_after_months,
        settings.purge_after_archive_months,
        settings.applications_granted_years,
        settings.applications_other_years,
        settings.referral_attachments_months,
        settings.audit_months,
    ]
    .map(to_i32);
    let inserted = if matches!(expected_version, None | Some(0)) {
        sqlx::query_scalar!(
            r#"
            INSERT INTO retention_settings (org_id, archive_after_months,
                purge_after_archive_months, applications_granted_years,
                applications_other_years, referral_attachments_months, audit_months, version,
                updated_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8)
            ON CONFLICT (org_id) DO NOTHING
            RETURNING version
            "#,
            org_id,
            values[0],
            values[1],
            values[2],
            values[3],
            values[4],
            values[5],
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
            UPDATE retention_settings
            SET archive_after_months = $2, purge_after_archive_months = $3,
                applications_granted_years = $4, applications_other_years = $5,
                referral_attachments_months = $6, audit_months = $7,
                version = version + 1, updated_at = now(), updated_by = $8
            WHERE $1::int IS NULL OR version = $1
            RETURNING version
            "#,
            expected_version,
            values[0],
            values[1],
            values[2],
            values[3],
            values[4],
            values[5],
            updated_by
        )
        .fetch_optional(&mut *conn)
        .await?;
        if updated.is_none() {
            return Err(StoreError::VersionMismatch);
        }
    }
    self::settings(conn).await
}

/// The start of the day after `day`, UTC: "on or before `day`" for a timestamp.
fn end_of(day: NaiveDate) -> DateTime<Utc> {
    day.checked_add_days(Days::new(1))
        .unwrap_or(NaiveDate::MAX)
        .and_time(NaiveTime::MIN)
        .and_utc()
}

/// The start of `day`, UTC: "before `day`" for a timestamp.
fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN).and_utc()
}

/// Closed cases whose closure and last contact are both before `cutoffs.archive_before`, at
/// most `limit`, oldest closure first.
pub async fn cases_to_archive(
    conn: &mut PgConnection,
    cutoffs: &Cutoffs,
    limit: i64,
) -> Result<Vec<Uuid>, StoreError> {
    Ok(sqlx::query_scalar!(
        r#"
        SELECT id FROM cases
        WHERE status = 'closed' AND closed_on < $1
          AND (last_contact_at IS NULL OR last_contact_at < $2)
        ORDER BY closed_on, id
        LIMIT $3
        "#,
        cutoffs.archive_before,
        start_of(cutoffs.archive_before),
        limit
    )
    .fetch_all(conn)
    .await?)
}

/// Archives the closed cases `ids` (a timeline event by the system each); answers how many.
pub async fn archive(conn: &mut PgConnection, ids: &[Uuid]) -> Result<u64, StoreError> {
    let event_ids: Vec<Uuid> = ids.iter().map(|_| Uuid::now_v7()).collect();
    let archived = sqlx::query_scalar!(
        r#"
        WITH a AS (
            UPDATE cases
            SET status = 'archived', archived_at = now(), updated_at = now(),
                version = version + 1
            WHERE id = ANY ($1) AND status = 'closed'
            RETURNING id, org_id
        ),
        e AS (
            INSERT INTO case_events (id, org_id, case_id, actor_id, kind, from_status,
                                     to_status, reason, data)
            SELECT u.event_id, a.org_id, a.id, NULL, 'transition', 'closed', 'archived',
                   'Fin de la durée de conservation',
                   '{"closure_reason": null, "orientation": null}'::jsonb
            FROM a JOIN UNNEST($1::uuid[], $2::uuid[]) AS u(case_id, event_id)
                   ON u.case_id = a.id
        )
        SELECT count(*) AS "n!" FROM a
        "#,
        ids,
        &event_ids
    )
    .fetch_one(conn)
    .await?;
    Ok(u64::try_from(archived).unwrap_or(0))
}

/// A window of the purge's walk over the persons not anonymised yet, in id order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeWindow {
    /// The persons of the window due for the purge.
    pub due: Vec<Uuid>,
    /// The window's last person: where the next window starts. `None` when the window was
    /// empty (the walk is over).
    pub last: Option<Uuid>,
}

/// The persons due for the purge among the next `window` persons not anonymised yet after
/// `after` (`Uuid::nil()` first), in id order: with at least one case, every case archived on
/// or before `cutoffs.purge_archived_before` (or closed, due for the archive, when no delay
/// follows it), and no application still within its retention.
///
/// A run walks the persons once, window after window, so that each query reads a bounded
/// number of persons (however many are held by an application or still followed) and none
/// twice.
pub async fn persons_to_purge(
    conn: &mut PgConnection,
    cutoffs: &Cutoffs,
    after: Uuid,
    window: i64,
) -> Result<PurgeWindow, StoreError> {
    let rows = sqlx::query!(
        r#"
        WITH w AS (
            SELECT id FROM persons
            WHERE anonymised_at IS NULL AND id > $7
            ORDER BY id
            LIMIT $6
        )
        SELECT w.id AS "id!",
               EXISTS (SELECT 1 FROM cases c WHERE c.person_id = w.id)
               AND NOT EXISTS (
                   SELECT 1 FROM cases o
                   WHERE o.person_id = w.id
                     AND NOT ((o.status = 'archived' AND o.archived_at < $1)
                              OR (o.status = 'closed' AND o.closed_on < $2
                                  AND (o.last_contact_at IS NULL OR o.last_contact_at < $3)
                                  AND now() < $1)))
               AND NOT EXISTS (
                   SELECT 1 FROM applications a JOIN cases c ON c.id = a.case_id
                   WHERE c.person_id = w.id AND a.content_erased_at IS NULL
                     AND ((a.decision IN ('granted', 'partially_granted') AND a.decided_on > $4)
                          OR (a.decision = 'refused' AND a.decided_on > $5)
                          OR a.withdrawn_on > $5)) AS "due!"
        FROM w
        ORDER BY w.id
        "#,
        end_of(cutoffs.purge_archived_before),
        cutoffs.archive_before,
        start_of(cutoffs.archive_before),
        cutoffs.granted_decided_before,
        cutoffs.other_ended_before,
        window,
        after
    )
    .fetch_all(conn)
    .await?;
    Ok(PurgeWindow {
        last: rows.last().map(|r| r.id),
        due: rows.into_iter().filter(|r| r.due).map(|r| r.id).collect(),
    })
}

/// Anonymises the persons `ids` (and everything of theirs); answers how many were.
pub async fn anonymise(conn: &mut PgConnection, ids: &[Uuid]) -> Result<u64, StoreError> {
    let n = sqlx::query_scalar!(r#"SELECT relais_anonymise_persons($1) AS "n!""#, ids)
        .fetch_one(conn)
        .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Applications whose retention ended: granted (or partially) ones decided on or before
/// `granted_decided_before`, others decided or withdrawn on or before `other_ended_before`.
pub async fn applications_to_erase(
    conn: &mut PgConnection,
    cutoffs: &Cutoffs,
    limit: i64,
) -> Result<Vec<Uuid>, StoreError> {
    Ok(sqlx::query_scalar!(
        r#"
        SELECT id FROM applications
        WHERE content_erased_at IS NULL
          AND ((decision IN ('granted', 'partially_granted') AND decided_on <= $1)
               OR (decision = 'refused' AND decided_on <= $2)
               OR withdrawn_on <= $2)
        ORDER BY id
        LIMIT $3
        "#,
        cutoffs.granted_decided_before,
        cutoffs.other_ended_before,
        limit
    )
    .fetch_all(conn)
    .await?)
}

/// Erases the content of the applications `ids`; answers how many.
pub async fn erase_applications(conn: &mut PgConnection, ids: &[Uuid]) -> Result<u64, StoreError> {
    let n = sqlx::query_scalar!(r#"SELECT relais_erase_applications($1) AS "n!""#, ids)
        .fetch_one(conn)
        .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Referrals with attachments whose case closed, or which were declined, redirected or
/// expired, before `attachments_ended_before`.
pub async fn referrals_with_attachments_due(
    conn: &mut PgConnection,
    cutoffs: &Cutoffs,
    limit: i64,
) -> Result<Vec<Uuid>, StoreError> {
    Ok(sqlx::query_scalar!(
        r#"
        SELECT r.id FROM referrals r
        WHERE EXISTS (SELECT 1 FROM referral_attachments a WHERE a.referral_id = r.id)
          AND ((r.status IN ('declined', 'redirected', 'expired') AND r.decided_at < $2)
               OR (r.status = 'accepted' AND EXISTS (
                       SELECT 1 FROM cases c
                       WHERE c.id = r.case_id AND c.closed_on < $1)))
        ORDER BY r.id
        LIMIT $3
        "#,
        cutoffs.attachments_ended_before,
        start_of(cutoffs.attachments_ended_before),
        limit
    )
    .fetch_all(conn)
    .await?)
}

/// Deletes the attachments of the referrals `ids`; answers how many referrals lost theirs.
async fn delete_attachments_of(conn: &mut PgConnection, ids: &[Uuid]) -> Result<u64, StoreError> {
    delete_referral_attachments(conn, ids).await?;
    Ok(u64::try_from(ids.len()).unwrap_or(0))
}

/// Deletes the attachments of the referrals `ids`; answers how many.
pub async fn delete_referral_attachments(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<u64, StoreError> {
    let n = sqlx::query_scalar!(
        r#"SELECT relais_delete_referral_attachments($1) AS "n!""#,
        ids
    )
    .fetch_one(conn)
    .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// How many audit events are older than `cutoffs.audit_before`.
pub async fn audit_events_due(
    conn: &mut PgConnection,
    cutoffs: &Cutoffs,
) -> Result<u64, StoreError> {
    let n = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM audit_events WHERE at < $1"#,
        start_of(cutoffs.audit_before)
    )
    .fetch_one(conn)
    .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Deletes at most `limit` audit events older than `cutoffs.audit_before`, through the
/// retention role's function; answers how many.
pub async fn expire_audit(
    conn: &mut PgConnection,
    cutoffs: &Cutoffs,
    limit: i32,
) -> Result<u64, StoreError> {
    let n = sqlx::query_scalar!(
        r#"SELECT relais_expire_audit($1, $2) AS "n!""#,
        start_of(cutoffs.audit_before),
        limit
    )
    .fetch_one(conn)
    .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// How many events, notifications of no event and finished webhook deliveries are older than
/// `cutoffs.audit_before` (the traces that follow the audit period).
pub async fn events_due(conn: &mut PgConnection, cutoffs: &Cutoffs) -> Result<u64, StoreError> {
    let n = sqlx::query_scalar!(
        r#"SELECT (SELECT count(*) FROM events WHERE occurred_at < $1)
                + (SELECT count(*) FROM notifications
                    WHERE created_at < $1 AND event_id IS NULL)
                + (SELECT count(*) FROM webhook_messages
                    WHERE created_at < $1 AND status <> 'pending') AS "n!""#,
        start_of(cutoffs.audit_before)
    )
    .fetch_one(conn)
    .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Deletes at most `limit` of each: events older than `cutoffs.audit_before` (with their
/// notifications), notifications of no event, finished webhook deliveries (with their
/// attempts), through the retention role's function; answers how many rows in all.
pub async fn expire_events(
    conn: &mut PgConnection,
    cutoffs: &Cutoffs,
    limit: i32,
) -> Result<u64, StoreError> {
    let n = sqlx::query_scalar!(
        r#"SELECT relais_expire_events($1, $2) AS "n!""#,
        start_of(cutoffs.audit_before),
        limit
    )
    .fetch_one(conn)
    .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// An application of a person, for the obligations an erasure must respect.
#[derive(Debug, Clone)]
pub struct HeldApplication {
    pub id: Uuid,
    pub granted: bool,
    /// The day it was decided or withdrawn; `None` while under way.
    pub ended_on: Option<NaiveDate>,
}

/// The applications of the person's cases whose content is not erased yet.
pub async fn applications_of_person(
    conn: &mut PgConnection,
    person_id: Uuid,
) -> Result<Vec<HeldApplication>, StoreError> {
    Ok(sqlx::query_as!(
        HeldApplication,
        r#"
        SELECT a.id,
               coalesce(a.decision IN ('granted', 'partially_granted'), false) AS "granted!",
               coalesce(a.decided_on, a.withdrawn_on) AS ended_on
        FROM applications a JOIN cases c ON c.id = a.case_id
        WHERE c.person_id = $1 AND a.content_erased_at IS NULL
        ORDER BY a.id
        "#,
        person_id
    )
    .fetch_all(conn)
    .await?)
}

/// What one step of a run would do, or did: how many records, and the first of their ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Step {
    pub count: u64,
    /// At most [`REPORT_IDS`] of them (cases, persons, applications, referrals).
    pub ids: Vec<Uuid>,
}

/// The most ids a report lists per step.
pub const REPORT_IDS: i64 = 1000;

/// What a run on a day would do, or did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RunReport {
    /// Closed cases archived.
    pub archived_cases: Step,
    /// Persons anonymised (the purge).
    pub anonymised_persons: Step,
    /// Applications whose content was erased.
    pub erased_applications: Step,
    /// Referrals whose attachments were deleted.
    pub referral_attachments: Step,
    /// Audit events deleted (counted; no ids).
    pub expired_audit_events: u64,
    /// Events of the change feed, notifications and finished webhook deliveries deleted, past
    /// the same period as the audit events (counted; no ids).
    pub expired_events: u64,
}

impl RunReport {
    /// The counts, as the run's own audit event records them.
    pub fn summary(&self) -> String {
        format!(
            "archived_cases={} anonymised_persons={} erased_applications={} \
             referral_attachments={} expired_audit_events={} expired_events={}",
            self.archived_cases.count,
            self.anonymised_persons.count,
            self.erased_applications.count,
            self.referral_attachments.count,
            self.expired_audit_events,
            self.expired_events
        )
    }
}

/// Every candidate counted, the first [`REPORT_IDS`] listed.
fn step(mut ids: Vec<Uuid>) -> Step {
    let count = u64::try_from(ids.len()).unwrap_or(u64::MAX);
    ids.truncate(usize::try_from(REPORT_IDS).unwrap_or(usize::MAX));
    Step { count, ids }
}

/// What a run with `cutoffs` would do now, changing nothing: every candidate counted, at most
/// [`REPORT_IDS`] listed per step; a purge counts the persons whose cases the same run would
/// archive first. The candidates' ids are read whole (16 bytes each) so that the counts are
/// those of the run, found by the same queries.
pub async fn report(conn: &mut PgConnection, cutoffs: &Cutoffs) -> Result<RunReport, StoreError> {
    let all = i64::MAX;
    Ok(RunReport {
        archived_cases: step(cases_to_archive(conn, cutoffs, all).await?),
        anonymised_persons: step(persons_to_purge(conn, cutoffs, Uuid::nil(), all).await?.due),
        erased_applications: step(applications_to_erase(conn, cutoffs, all).await?),
        referral_attachments: step(referrals_with_attachments_due(conn, cutoffs, all).await?),
        expired_audit_events: audit_events_due(conn, cutoffs).await?,
        expired_events: events_due(conn, cutoffs).await?,
    })
}

/// Records a step's batch in the report.
fn add(step: &mut Step, ids: &[Uuid], done: u64) {
    step.count += done;
    let room = usize::try_from(REPORT_IDS)
        .unwrap_or(usize::MAX)
        .saturating_sub(step.ids.len());
    step.ids.extend(ids.iter().take(room));
}

/// How long the lease of a run lasts: far longer than a run (three minutes at a million cases),
/// so that it is given back, not taken over; a replica that dies mid-run leaves it to expire.
const RUN_LEASE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Runs the retention of the organisation `org_id` on the day `as_of` with `settings`: archive,
/// purge, applications, referral attachments, audit events, the event log (events,
/// notifications, webhook deliveries), each in transactions of at most
/// `batch` records (no long lock), then appends the run's audit event with its counts. Call it
/// under the job's lease ([`run_locked`]).
pub async fn run(
    db: &crate::Db,
    org_id: Uuid,
    cutoffs: &Cutoffs,
    batch: i64,
) -> Result<RunReport, StoreError> {
    use crate::db::{Access, commit};
    let mut report = RunReport::default();
    // Each step in transactions of at most `batch` records, until a batch comes back short (or
    // changes nothing): archived cases, erased applications and referrals without attachments
    // leave their step's candidates, so each batch is the first of what remains.
    macro_rules! in_batches {
        ($step:expr, $find:path, $act:path) => {
            loop {
                let mut tx = db.tenant(org_id, Access::Write).await?;
                let ids = $find(&mut tx, cutoffs, batch).await?;
                let done = $act(&mut tx, &ids).await?;
                commit(tx).await?;
                add(&mut $step, &ids, done);
                if i64::try_from(ids.len()).unwrap_or(i64::MAX) < batch || done == 0 {
                    break;
                }
            }
        };
    }
    // Archive first: a person whose cases it archives is purged by the same run.
    in_batches!(report.archived_cases, cases_to_archive, archive);
    // The purge walks the persons once, a window of `batch` at a time: those it leaves (held
    // by an application, still followed) stay behind it.
    let mut after = Uuid::nil();
    loop {
        let mut tx = db.tenant(org_id, Access::Write).await?;
        let window = persons_to_purge(&mut tx, cutoffs, after, batch).await?;
        let done = if window.due.is_empty() {
            0
        } else {
            anonymise(&mut tx, &window.due).await?
        };
        commit(tx).await?;
        add(&mut report.anonymised_persons, &window.due, done);
        match window.last {
            Some(last) => after = last,
            None => break,
        }
    }
    in_batches!(
        report.erased_applications,
        applications_to_erase,
        erase_applications
    );
    in_batches!(
        report.referral_attachments,
        referrals_with_attachments_due,
        delete_attachments_of
    );
    let audit_batch = i32::try_from(batch).unwrap_or(i32::MAX);
    loop {
        let mut tx = db.tenant(org_id, Access::Write).await?;
        let done = expire_audit(&mut tx, cutoffs, audit_batch).await?;
        commit(tx).await?;
        report.expired_audit_events += done;
        if done < u64::try_from(audit_batch).unwrap_or(0) {
            break;
        }
    }
    // Each call deletes up to a batch of each of the three kinds: go on while any is left.
    loop {
        let mut tx = db.tenant(org_id, Access::Write).await?;
        let done = expire_events(&mut tx, cutoffs, audit_batch).await?;
        commit(tx).await?;
        report.expired_events += done;
        if done == 0 {
            break;
        }
    }
    let mut tx = db.tenant(org_id, Access::Write).await?;
    let actor = crate::audit::AuditActor {
        org_id,
        agent_id: None,
        subject: SUBJECT,
        request_id: None,
    };
    let event = crate::audit::NewAuditEvent::new(
        relais_domain::AuditAction::Retention,
        relais_domain::AuditResource::RetentionRun,
        org_id,
    )
    .because(Some(&report.summary()));
    crate::audit::record(&mut tx, &actor, &[event]).await?;
    commit(tx).await?;
    Ok(report)
}

/// [`run`] under the lease of the retention job (one replica, or hand-run, at a time): `None`
/// when another holds it. The lease records the run's success or failure for the metrics.
pub async fn run_locked(
    db: &crate::Db,
    org_id: Uuid,
    cutoffs: &Cutoffs,
    batch: i64,
) -> Result<Option<RunReport>, StoreError> {
    let Some(lease) = crate::jobs::try_lease(db, crate::jobs::Job::Retention, RUN_LEASE).await?
    else {
        return Ok(None);
    };
    let ran = run(db, org_id, cutoffs, batch).await;
    if let Err(e) = lease.release(db, ran.is_ok()).await {
        tracing::warn!(error = %e, "could not give back the retention run's lease");
    }
    ran.map(Some)
}
