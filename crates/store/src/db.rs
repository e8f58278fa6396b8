//! The connection pool, migrations, and tenant transactions.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::StoreError;
use crate::embedded::ClusterStatus;

/// The migrations of `migrations/`, embedded in the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

/// How the pool behaves; the defaults fail fast when PostgreSQL is down.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_connections: u32,
    /// How long a request waits for a connection before it is answered 503.
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(2),
        }
    }
}

/// How long a connection may stay idle in the pool.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// No JIT compilation in the application's transactions: its queries are index-driven and
/// short, and a generic plan whose estimates crossed the JIT thresholds spent 180 ms compiling
/// a 0.4 ms scan (measured at a million cases). A setting of the transaction, not of the role:
/// `SET ROLE` does not apply a role's settings, and a connection option would not pass every
/// pooler.
const NO_JIT: &str = "set_config('jit', 'off', true)";

/// A tenant transaction: row-level security restricts every statement to one organisation.
pub type Tx = Transaction<'static, Postgres>;

/// Whether a transaction only reads personal data (its audit events need not wait for a
/// disk flush) or changes it (the change and its audit event commit durably together).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// The database handle: the pool of start-up and background work, or one HTTP worker's own
/// ([`Db::for_worker`]).
#[derive(Debug, Clone)]
pub struct Db {
    pool: PgPool,
    /// Every pool made from the same first one, for usage figures and closing.
    family: Arc<Mutex<Vec<PgPool>>>,
    /// The supervised embedded cluster's state, when the database is one.
    cluster: Option<ClusterStatus>,
    /// How transactions began, across the family, for the metrics.
    begins: Arc<BeginCounters>,
}

/// Counters of the transactions begun through a [`Db`] and every pool made from it: how many,
/// how long they waited for a connection and their `BEGIN`, how many gave up waiting.
#[derive(Debug, Default)]
struct BeginCounters {
    begun: AtomicU64,
    waited_micros: AtomicU64,
    timed_out: AtomicU64,
}

/// What [`Db::begin_stats`] reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BeginStats {
    /// Transactions begun.
    pub begun: u64,
    /// Seconds they waited in all, for a pooled connection and their `BEGIN` (about 0.1 ms each
    /// when no request waits for a connection).
    pub waited_seconds: f64,
    /// Requests that waited the whole acquire timeout for a connection and were answered 503.
    pub timed_out: u64,
}

impl Db {
    /// Builds the pool lazily: connections are opened on demand, so the service starts (and
    /// answers 503 and `/readyz` false) even while PostgreSQL is down, and recovers by itself.
    pub fn connect_lazy(options: PgConnectOptions, settings: &PoolSettings) -> Self {
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .min_connections(0)
            .acquire_timeout(settings.acquire_timeout)
            // No ping before every checkout (a round trip per request): idle connections are
            // closed after a minute instead, and a transaction that finds its connection
            // broken (the server restarted) is begun once more on a new one.
            .test_before_acquire(false)
            .idle_timeout(IDLE_TIMEOUT)
            .connect_lazy_with(options);
        Self {
            family: Arc::new(Mutex::new(vec![pool.clone()])),
            pool,
            cluster: None,
            begins: Arc::default(),
        }
    }

    /// The same handle, reporting the embedded cluster's restarts in its readiness.
    pub fn with_cluster(mut self, cluster: ClusterStatus) -> Self {
        self.cluster = Some(cluster);
        self
    }

    /// A pool of its own for one HTTP worker, with the same settings and at most
    /// `max_connections`. Its connections are opened by the worker's requests, on the worker's
    /// thread, so their round trips are served by the worker's own event loop: a connection
    /// opened on another thread wakes that thread first on every round trip, then this one.
    /// Usage and closing go through every pool made from this one.
    pub fn for_worker(&self, max_connections: u32) -> Self {
        let pool = self
            .pool
            .options()
            .clone()
            .max_connections(max_connections.max(1))
            .connect_lazy_with((*self.pool.connect_options()).clone());
        self.family().push(pool.clone());
        Self {
            pool,
            family: self.family.clone(),
            cluster: self.cluster.clone(),
            begins: self.begins.clone(),
        }
    }

    fn family(&self) -> std::sync::MutexGuard<'_, Vec<PgPool>> {
        // A panic while pushing leaves the list whole: its guard is safe to take back.
        self.family
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Closes this pool and every pool made from it, waiting for their connections to end.
    pub async fn close(&self) {
        let pools = self.family().clone();
        for pool in pools {
            pool.close().await;
        }
    }

    /// The underlying pool, for administrative work outside any tenant.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Applies the pending migrations.
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        MIGRATOR.run(&self.pool).await
    }

    /// Opens a transaction bound to `org_id`: it runs as the `relais_app` role, so the
    /// row-level security policies apply whoever the connecting user is.
    ///
    /// `BEGIN` and the transaction's settings (the role, the organisation, the durability of
    /// the commit) travel as one simple query: one round trip. Every value in it is ours, not
    /// the caller's: a UUID's canonical text and a fixed word.
    pub async fn tenant(&self, org_id: Uuid, access: Access) -> Result<Tx, StoreError> {
        let sync = match access {
            Access::Read => "off",
            Access::Write => "on",
        };
        let begin = format!(
            "BEGIN; SELECT set_config('role', 'relais_app', true), \
             set_config('relais.org_id', '{org_id}', true), \
             set_config('synchronous_commit', '{sync}', true), {NO_JIT}"
        );
        self.begin_with(begin).await
    }

    /// Opens a transaction for background work across organisations (the webhook dispatcher,
    /// the referral expiry sweep, the token endpoint's client lookup). It runs as the
    /// `relais_worker` role, whose policies and grants cover only that work.
    pub async fn background(&self) -> Result<Tx, StoreError> {
        self.begin_with(format!(
            "BEGIN; SELECT set_config('role', 'relais_worker', true), {NO_JIT}"
        ))
        .await
    }

    /// Begins a transaction on a pooled connection with `begin` (a `BEGIN` and the settings of
    /// the transaction, as one simple query). A connection that broke while idle (its server
    /// restarted, a proxy dropped it) fails there: the pool discards it, and the transaction
    /// is begun again on another. After a restart every idle connection is broken, so as many
    /// tries as the pool holds connections, and one more on a new connection, are allowed.
    async fn begin_with(&self, begin: String) -> Result<Tx, StoreError> {
        let started = Instant::now();
        let mut tries = self.pool.size().max(1) + 1;
        let begun = loop {
            match self.pool.begin_with(AssertSqlSafe(begin.clone())).await {
                Err(err) if is_broken(&err) && tries > 1 => {
                    tries -= 1;
                    tracing::debug!(error = %err, "a pooled connection was broken; beginning again");
                }
                begun => break begun,
            }
        };
        let counters = &self.begins;
        match &begun {
            Ok(_) => {
                let waited = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                counters.begun.fetch_add(1, Ordering::Relaxed);
                counters.waited_micros.fetch_add(waited, Ordering::Relaxed);
            }
            Err(sqlx::Error::PoolTimedOut) => {
                counters.timed_out.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {}
        }
        Ok(begun?)
    }

    /// How transactions began so far, through this handle and every pool made from it.
    pub fn begin_stats(&self) -> BeginStats {
        let counters = &self.begins;
        BeginStats {
            begun: counters.begun.load(Ordering::Relaxed),
            waited_seconds: counters.waited_micros.load(Ordering::Relaxed) as f64 / 1e6,
            timed_out: counters.timed_out.load(Ordering::Relaxed),
        }
    }

    /// Readiness: the database answers and every embedded migration is applied.
    pub async fn readiness(&self) -> Readiness {
        if self.cluster.as_ref().is_some_and(ClusterStatus::restarting) {
            return Readiness::DatabaseRestarting;
        }
        let applied: Result<Vec<i64>, sqlx::Error> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(&self.pool)
                .await;
        match applied {
            Err(sqlx::Error::Database(_)) => Readiness::MigrationsPending,
            Err(_) => Readiness::DatabaseUnreachable,
            Ok(applied) => {
                let all = MIGRATOR
                    .iter()
                    .filter(|m| m.migration_type.is_up_migration())
                    .all(|m| applied.contains(&m.version));
                if all {
                    Readiness::Ready
                } else {
                    Readiness::MigrationsPending
                }
            }
        }
    }

    /// Connections in use and idle in this pool and every pool made from it, for the metrics.
    pub fn pool_usage(&self) -> (u32, u32) {
        self.family().iter().fold((0, 0), |(in_use, idle), pool| {
            let size = pool.size();
            let free = u32::try_from(pool.num_idle()).unwrap_or(u32::MAX);
            (
                in_use.saturating_add(size.saturating_sub(free)),
                idle.saturating_add(free),
            )
        })
    }
}

/// What `/readyz` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    DatabaseUnreachable,
    /// The embedded cluster stopped and its supervisor is starting it again.
    DatabaseRestarting,
    MigrationsPending,
}

/// Whether a failure to begin came from a connection that broke while idle in the pool (its
/// server restarted, a proxy dropped it): the pool discards it, and a new one may work.
fn is_broken(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Io(_) | sqlx::Error::Protocol(_))
        || matches!(err, sqlx::Error::Database(db) if db.code().is_some_and(|c| c.starts_with("57P")))
}

/// Plans the transaction's next statements for their parameters' values (a custom plan each
/// time) rather than with PostgreSQL's cached generic plan. For the lists whose optional filters
/// one statement covers (`$2 IS NULL OR …`): a generic plan must suit every combination at once
/// and cannot know that a filter keeps few rows, so it walks the table in list order (a million
/// cases for a filter matching none); planned for the values, the filters not given drop out and
/// a rare one is answered from its index. Planning costs a fraction of a millisecond, and this
/// call a round trip: it is for the lists, not the hot paths.
pub async fn plan_for_values(conn: &mut sqlx::PgConnection) -> Result<(), StoreError> {
    sqlx::query_scalar!("SELECT set_config('plan_cache_mode', 'force_custom_plan', true)")
        .fetch_one(conn)
        .await?;
    Ok(())
}

/// Commits a transaction, classifying a failure like any other store error.
pub async fn commit(tx: Tx) -> Result<(), StoreError> {
    Ok(tx.commit().await?)
}
