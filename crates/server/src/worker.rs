//! The background loop: the webhook dispatcher, polling every `webhooks.poll_interval` (at
//! once again while it finds full batches), and every `expiry_sweep_interval` the referral
//! expiry sweep, the folding of past caseload counts and of the activity ledger, the absences'
//! delegations and the time-based events.
//!
//! Every replica of the service runs one unless its role is `api` (`RELAIS_ROLE`): claims use `FOR UPDATE SKIP LOCKED` and a lease, so
//! they share the work without delivering an attempt twice. Errors are logged (without secrets
//! or payloads) and never stop the loop: a database outage only delays the work.

use std::time::Duration;

use relais_store::Db;
use relais_store::crypto::NirVault;
use relais_store::jobs::{self, Job};
use relais_store::referrals;
use sqlx::PgConnection;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::config::Settings;
use crate::webhooks::{DispatchSettings, Dispatcher};

/// The pause after a full batch, before claiming the next one.
const BUSY_PAUSE: Duration = Duration::from_millis(5);

/// A running background loop; [`WorkerHandle::shutdown`] stops it. Dropping the handle stops
/// it too, at its next pause.
pub struct WorkerHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl WorkerHandle {
    /// Stops the loop and waits for it: the deliveries under way finish (within the webhook
    /// timeout) and are recorded, so nothing stays claimed.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the background worker ended abnormally");
        }
    }
}

/// Starts the background loop unless this replica's role is `api` (`RELAIS_ROLE`).
pub fn spawn_for_role(
    settings: &Settings,
    db: Db,
    vault: NirVault,
) -> anyhow::Result<Option<WorkerHandle>> {
    if !settings.role.runs_jobs() {
        tracing::info!("RELAIS_ROLE=api: no background jobs on this replica");
        return Ok(None);
    }
    spawn_worker(settings, db, vault).map(Some)
}

/// Starts the background loop on the current tokio runtime.
pub fn spawn_worker(settings: &Settings, db: Db, vault: NirVault) -> anyhow::Result<WorkerHandle> {
    let dispatcher = Dispatcher::new(
        DispatchSettings::from_config(&settings.webhooks),
        db.clone(),
        vault,
    )?;
    // A zero interval would spin: poll at most every 10 ms.
    let poll = settings
        .webhooks
        .poll_interval
        .max(Duration::from_millis(10));
    let sweep_every = settings.expiry_sweep_interval;
    let retention = Retention {
        every: settings.retention_interval,
        batch: settings.retention_batch,
    };
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(run(dispatcher, db, poll, sweep_every, retention, stopped));
    Ok(WorkerHandle { stop, task })
}

/// When and how the worker runs the retention.
#[derive(Debug, Clone, Copy)]
struct Retention {
    every: Duration,
    batch: u32,
}

async fn run(
    dispatcher: Dispatcher,
    db: Db,
    poll: Duration,
    sweep_every: Duration,
    retention: Retention,
    mut stopped: watch::Receiver<bool>,
) {
    tracing::info!(
        poll_ms = u64::try_from(poll.as_millis()).unwrap_or(u64::MAX),
        batch = dispatcher.settings().batch,
        "background worker started"
    );
    let batch = usize::try_from(dispatcher.settings().batch).unwrap_or(usize::MAX);
    let mut next_sweep = Instant::now();
    // Not at start: a replica restarting often would run it often.
    let mut next_retention = Instant::now() + retention.every;
    loop {
        if *stopped.borrow() {
            break;
        }
        // In a task of its own, so that even a panic only costs one round.
        let round = dispatcher.clone();
        let claimed = match tokio::spawn(async move { round.run_once().await }).await {
            Ok(Ok(claimed)) => claimed,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "webhook dispatch failed; trying again later");
                0
            }
            Err(e) => {
                tracing::error!(error = %e, "webhook dispatch panicked; trying again later");
                0
            }
        };
        if Instant::now() >= next_sweep {
            sweep(&db).await;
            compact_counts(&db).await;
            delegate_absences(&db).await;
            emit_due_events(&db).await;
            give_up_deleted_subscriptions(&db).await;
            next_sweep = Instant::now() + sweep_every;
        }
        if Instant::now() >= next_retention {
            let today = chrono::Utc::now().date_naive();
            // One replica at a time: the others find the lock taken and skip their turn.
            if let Err(e) = crate::retention::run(&db, None, today, false, retention.batch).await {
                tracing::warn!(error = %e, "the retention run failed; trying again next time");
            }
            next_retention = Instant::now() + retention.every;
        }
        let pause = if claimed >= batch { BUSY_PAUSE } else { poll };
        tokio::select! {
            changed = stopped.changed() => {
                if changed.is_err() || *stopped.borrow() {
                    break;
                }
            }
            () = tokio::time::sleep(pause) => {}
        }
    }
    tracing::info!("background worker stopped");
}

/// Folds the caseload counts of past days (OPERATIONS.md: the statistics at a million cases),
/// on the sweep's schedule: a day back from UTC's today, so that no reader's today precedes it;
/// then the rows the activity ledger gained since the last folding, one per key.
async fn compact_counts(db: &Db) {
    let before = chrono::Utc::now().date_naive() - chrono::Days::new(1);
    let folded = async {
        let mut tx = db.background().await?;
        let folded = relais_store::stats::compact_caseload_counts(&mut tx, before).await?;
        relais_store::db::commit(tx).await?;
        let mut tx = db.background().await?;
        let activity = relais_store::activity::compact(&mut tx).await?;
        relais_store::db::commit(tx).await?;
        Ok::<_, relais_store::StoreError>((folded, activity))
    }
    .await;
    match folded {
        Ok((folded, activity)) => {
            if folded > 0 {
                tracing::info!(folded, "caseload counts of past days folded");
            }
            if activity > 0 {
                tracing::info!(folded = activity, "activity ledger rows folded");
            }
            if let Err(e) = jobs::record_success(db, Job::CaseloadCompaction).await {
                tracing::warn!(error = %e, "could not record the caseload compaction");
            }
        }
        Err(e) => tracing::warn!(error = %e, "the caseload compaction failed; trying again later"),
    }
}

/// Starts and ends the delegations of absences (DAILY.md, "People at work"), on the sweep's
/// schedule, one replica at a time: an absence ends by itself after its last day.
async fn delegate_absences(db: &Db) {
    let today = chrono::Utc::now().date_naive();
    match relais_store::absences::sync_all(db, today).await {
        Ok(Some(synced)) if synced.joined + synced.left > 0 => tracing::info!(
            joined = synced.joined,
            left = synced.left,
            "absence delegations started and ended"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "the absence delegations failed; trying again later"),
    }
}

/// Writes the time-based events (steps overdue, reviews due, contacts within 24 hours), on the
/// sweep's schedule; every replica may: each event is written once.
async fn emit_due_events(db: &Db) {
    in_batches(
        db,
        Job::DueEvents,
        u64::from(relais_store::events::DUE_BATCH),
        ("the time-based events", "time-based events written"),
        async |tx: &mut PgConnection| {
            let emitted = relais_store::events::emit_due(
                tx,
                chrono::Utc::now(),
                relais_store::events::DUE_BATCH,
            )
            .await?;
            Ok(u64::from(emitted))
        },
    )
    .await;
}

/// Gives up what is still pending to deleted webhook subscriptions, on the sweep's schedule.
async fn give_up_deleted_subscriptions(db: &Db) {
    let given_up = async {
        let mut tx = db.background().await?;
        let done = relais_store::webhooks::give_up_deleted(&mut tx).await?;
        relais_store::db::commit(tx).await?;
        Ok::<_, relais_store::StoreError>(done)
    }
    .await;
    match given_up {
        Ok(0) => {}
        Ok(done) => tracing::info!(
            given_up = done,
            "deliveries to deleted subscriptions given up"
        ),
        Err(e) => {
            tracing::warn!(error = %e, "could not give up deliveries to deleted subscriptions")
        }
    }
}

/// Most sweep transactions in a row, while each one finds a full batch.
const SWEEP_ROUNDS: u32 = 20;

/// Marks the referrals nobody answered in time as expired (their webhooks are queued in the
/// same transaction), a bounded batch per transaction.
async fn sweep(db: &Db) {
    in_batches(
        db,
        Job::ReferralExpiry,
        u64::try_from(referrals::EXPIRY_BATCH).unwrap_or(u64::MAX),
        ("the referral expiry sweep", "unanswered referrals expired"),
        async |tx: &mut PgConnection| referrals::expire_due(tx, chrono::Utc::now()).await,
    )
    .await;
}

/// Runs `step` in background transactions of its own, again while each one does a full `batch`
/// (at most [`SWEEP_ROUNDS`] in a row), then records the success of `job`. `names` are the job
/// as its failure is logged, and what its count is of.
async fn in_batches(
    db: &Db,
    job: Job,
    batch: u64,
    names: (&str, &str),
    step: impl AsyncFn(&mut PgConnection) -> Result<u64, relais_store::StoreError>,
) {
    let (job_name, done_name) = names;
    let mut total = 0u64;
    let mut completed = true;
    for _ in 0..SWEEP_ROUNDS {
        let round = async {
            let mut tx = db.background().await?;
            let done = step(&mut tx).await?;
            relais_store::db::commit(tx).await?;
            Ok::<_, relais_store::StoreError>(done)
        }
        .await;
        match round {
            Ok(done) => {
                total += done;
                if done < batch {
                    break;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "{job_name} failed; trying again later");
                completed = false;
                break;
            }
        }
    }
    if total > 0 {
        tracing::info!(count = total, "{done_name}");
    }
    if completed && let Err(e) = jobs::record_success(db, job).await {
        tracing::warn!(error = %e, "could not record {job_name}");
    }
}
