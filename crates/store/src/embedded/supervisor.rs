//! Keeping the embedded cluster up while the service runs.
//!
//! [`EmbeddedPostgres::supervise`] hands the cluster to a task that looks at it every second:
//! the postmaster this process started is reaped as soon as it ends (a dead child left unreaped
//! keeps its pid alive, and its `postmaster.pid` then blocks any other start), and a server that
//! stopped — killed, out of memory, crashed — is started again with a growing delay between
//! failed attempts, logging why. Meanwhile [`ClusterStatus::restarting`] is true, which
//! readiness reports as `database_restarting`; requests are answered 503 as for any database
//! outage. No operator is needed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::EmbeddedPostgres;

/// How often the supervisor looks at the cluster.
const CHECK_INTERVAL: Duration = Duration::from_secs(1);
/// The wait after the first failed restart, doubled after each further one up to
/// [`MAX_RETRY_DELAY`].
const FIRST_RETRY_DELAY: Duration = Duration::from_secs(1);
const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);

/// Whether the supervised cluster is being restarted; shared with whoever reports readiness.
#[derive(Debug, Clone, Default)]
pub struct ClusterStatus(Arc<AtomicBool>);

impl ClusterStatus {
    /// True from the moment the server was found stopped until it accepts connections again.
    pub fn restarting(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn set_restarting(&self, restarting: bool) {
        self.0.store(restarting, Ordering::Relaxed);
    }
}

/// What the supervisor found when it looked.
pub(super) enum Liveness {
    Up,
    /// The server is gone; how it ended, when known.
    Down(String),
}

/// The cluster under supervision; [`Supervisor::into_inner`] ends it and gives the cluster back.
#[derive(Debug)]
pub struct Supervisor {
    status: ClusterStatus,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<EmbeddedPostgres>,
}

impl Supervisor {
    /// The restart state, for readiness.
    pub fn status(&self) -> ClusterStatus {
        self.status.clone()
    }

    /// Ends the supervision (an attempt to restart under way is abandoned) and answers the
    /// cluster, to stop or to leave running.
    pub async fn into_inner(mut self) -> Option<EmbeddedPostgres> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(cluster) => Some(cluster),
            Err(err) => {
                tracing::error!(error = %err, "the supervisor of the embedded PostgreSQL failed");
                None
            }
        }
    }
}

impl EmbeddedPostgres {
    /// Hands the cluster to a supervising task, which restarts it whenever it stops (see the
    /// module documentation). Needs a Tokio runtime.
    pub fn supervise(self) -> Supervisor {
        let status = ClusterStatus::default();
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(watch(self, status.clone(), stopped));
        Supervisor {
            status,
            stop: Some(stop),
            task,
        }
    }
}

async fn watch(
    mut cluster: EmbeddedPostgres,
    status: ClusterStatus,
    mut stop: oneshot::Receiver<()>,
) -> EmbeddedPostgres {
    loop {
        tokio::select! {
            _ = &mut stop => return cluster,
            () = tokio::time::sleep(CHECK_INTERVAL) => {}
        }
        let how = match cluster.liveness().await {
            Ok(Liveness::Up) => continue,
            Ok(Liveness::Down(how)) => how,
            Err(err) => {
                tracing::warn!(error = %err, "could not check on the embedded PostgreSQL");
                continue;
            }
        };
        status.set_restarting(true);
        tracing::error!(
            data_dir = %cluster.data_dir().display(),
            ended = %how,
            log = %cluster.log_tail(),
            "the embedded PostgreSQL stopped; restarting it"
        );
        let mut delay = FIRST_RETRY_DELAY;
        let mut attempt = 1u32;
        loop {
            let restarted = tokio::select! {
                _ = &mut stop => None,
                restarted = cluster.restart() => Some(restarted),
            };
            match restarted {
                None => return cluster,
                Some(Ok(())) => {
                    status.set_restarting(false);
                    tracing::warn!(attempt, "restarted the embedded PostgreSQL");
                    break;
                }
                Some(Err(err)) => {
                    tracing::error!(
                        error = %err,
                        attempt,
                        retry_in_s = delay.as_secs(),
                        "could not restart the embedded PostgreSQL"
                    );
                    tokio::select! {
                        _ = &mut stop => return cluster,
                        () = tokio::time::sleep(delay) => {}
                    }
                    delay = (delay * 2).min(MAX_RETRY_DELAY);
                    attempt += 1;
                }
            }
        }
    }
}
