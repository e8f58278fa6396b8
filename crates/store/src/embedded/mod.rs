//! A private PostgreSQL cluster run from the installed PostgreSQL server binaries.
//!
//! When no `DATABASE_URL` is configured, `relais serve` and the test suites start their own
//! cluster instead of asking the developer to set one up:
//!
//! - [`EmbeddedPostgres::start`] keeps a persistent cluster in `<data_dir>/pgdata` (created by
//!   `initdb` on first use, reused afterwards, even while a server from an earlier run is still
//!   up), logging to `<data_dir>/postgres.log`.
//! - [`EmbeddedPostgres::start_ephemeral`] creates a throw-away cluster in a fresh temporary
//!   directory, tuned for speed rather than durability, which stops and deletes itself when the
//!   owning process exits, however it exits.
//!
//! The server never listens on TCP: its only entry point is a Unix socket in
//! `<data_dir>/run`, a directory of mode 0700. That is why the cluster can use `trust`
//! authentication: only the operating-system user owning the cluster (and root) can reach the
//! socket at all.
//!
//! PostgreSQL refuses to run as root. When this process is root, `initdb` and `postgres` run as
//! an unprivileged account instead (the owner of an existing cluster, else `postgres`, else
//! `nobody`); the directories they need are handed over to that account, and root, which may
//! open any socket, still connects.

mod binaries;
mod privileges;
mod supervisor;
mod util;

pub use supervisor::{ClusterStatus, Supervisor};

use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgSslMode};
use sqlx::{Connection, PgConnection};
use tokio::process::{Child, ChildStdin, Command};

use binaries::{PgBinaries, choose_binaries, find_binaries, search_dirs};
use privileges::{RunAs, chown, run_as_for};
use supervisor::Liveness;
use util::{
    Layout, create_ephemeral_dir, percent_encode, quote_list_element, read_child_stderr,
    tail_of_file, utf8,
};

/// Environment variable naming the directory that holds `initdb`, `pg_ctl` and `postgres`; when
/// set, it is the only place searched.
pub const BIN_DIR_ENV: &str = "RELAIS_PG_BIN_DIR";

/// The superuser role of clusters made by [`EmbeddedPostgres::start_ephemeral`].
pub const EPHEMERAL_SUPERUSER: &str = "relais";

/// Only used to name the socket file (`.s.PGSQL.5432`): there is no TCP listener, so clusters in
/// different directories never clash.
const PORT: u16 = 5432;
/// `sizeof(sockaddr_un.sun_path)` is 108 on Linux, including the terminating NUL.
const SOCKET_PATH_MAX: usize = 107;
const READY_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_TIMEOUT: Duration = Duration::from_secs(60);
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// A single connection attempt should fail fast on a Unix socket; this only guards against a
/// server that accepts but never answers.
const CONNECT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
const LOG_TAIL_LINES: usize = 30;
/// How often a reused server is checked for still being alive while waiting for it.
const STATUS_RECHECK: Duration = Duration::from_secs(1);

/// Supervises an ephemeral postgres; run as
/// `sh -c WATCHDOG relais-pg-watchdog <dir> <postgres> <args…>`.
///
/// Its stdin is a pipe whose write end only the Relais process holds, so it reaches end-of-file
/// exactly when that process drops it or dies, even by SIGKILL, which no destructor survives.
/// The background reader then asks postgres for a fast shutdown (SIGINT), and the main shell,
/// which waits for postgres, deletes the directory. Hang-ups and Ctrl-C are ignored because the
/// owning process decides when the cluster ends; SIGTERM also means "shut down and clean up".
/// The log tail is captured before the directory goes, and printed after, so that a dead reader
/// of our stderr cannot stop the cleanup.
const WATCHDOG: &str = r#"trap '' HUP INT PIPE
dir=$1
shift
"$@" </dev/null >"$dir/postgres.log" 2>&1 &
pg=$!
trap 'kill -INT "$pg" 2>/dev/null' TERM
exec 3<&0 0</dev/null
{
  while read -r line; do :; done
  kill -INT "$pg" 2>/dev/null
} <&3 3<&- &
reader=$!
exec 3<&-
wait "$pg"
status=$?
while kill -0 "$pg" 2>/dev/null; do
  wait "$pg"
  status=$?
done
kill "$reader" 2>/dev/null
log=$(tail -n 30 "$dir/postgres.log" 2>/dev/null)
rm -rf -- "$dir"
if [ "$status" -ne 0 ]; then printf '%s\n' "$log" >&2; fi
exit "$status"
"#;

/// Where and as whom [`EmbeddedPostgres::start`] keeps its cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedOptions {
    /// Directory holding everything: the cluster in `pgdata/`, the socket in `run/`, and
    /// `postgres.log`. Created if missing; a relative path is resolved against the current
    /// directory once, at start.
    pub data_dir: PathBuf,
    /// Role name of the cluster's superuser, created by `initdb`.
    pub superuser: String,
}

impl EmbeddedOptions {
    /// Options for a cluster in `data_dir` whose superuser is `superuser`.
    pub fn new(data_dir: impl Into<PathBuf>, superuser: impl Into<String>) -> Self {
        Self {
            data_dir: data_dir.into(),
            superuser: superuser.into(),
        }
    }
}

/// What can go wrong while setting up, starting or stopping the embedded cluster.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    /// No directory holds all of `initdb`, `pg_ctl` and `postgres`.
    #[error(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found; searched: {}. \
         Install the PostgreSQL server, e.g. `apt-get install postgresql` (Debian/Ubuntu) or \
         `dnf install postgresql-server` (Fedora/RHEL), or set {BIN_DIR_ENV} to the directory \
         that holds them",
        display_paths(searched)
    )]
    BinariesNotFound {
        /// Every directory that was looked at, in order.
        searched: Vec<PathBuf>,
    },
    /// A file-system or process operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, naming the path or program.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A PostgreSQL program exited unsuccessfully.
    #[error("`{}` failed ({status}): {}", program.display(), stderr.trim())]
    Command {
        /// The program that was run.
        program: PathBuf,
        /// How it exited.
        status: ExitStatus,
        /// What it printed on standard error.
        stderr: String,
    },
    /// The server did not reach the expected state in time.
    #[error("PostgreSQL did not {action} within {}s: {detail}", waited.as_secs())]
    Timeout {
        /// What was awaited, e.g. "accept connections on /x/run".
        action: String,
        /// How long was waited.
        waited: Duration,
        /// The last connection error and the tail of the server log, when known.
        detail: String,
    },
    /// The server process ended while it was expected to start.
    #[error("PostgreSQL exited during startup ({status}); end of its log:\n{log}")]
    ServerExited {
        /// How postgres (or its watchdog) exited.
        status: ExitStatus,
        /// The last lines of the server log.
        log: String,
    },
    /// The socket file path would exceed the operating system's limit.
    #[error(
        "the PostgreSQL socket path {} is {len} bytes long, more than the {SOCKET_PATH_MAX} \
         bytes Unix sockets allow; choose a shorter data directory (RELAIS_DATA_DIR)",
        path.display()
    )]
    SocketPathTooLong {
        /// The socket file path that is too long.
        path: PathBuf,
        /// Its length in bytes.
        len: usize,
    },
    /// A path cannot be passed to PostgreSQL or sqlx, which need UTF-8.
    #[error(
        "the path {} is not valid UTF-8; choose another data directory (RELAIS_DATA_DIR)",
        path.display()
    )]
    NonUtf8Path {
        /// The offending path.
        path: PathBuf,
    },
    /// The cluster directory exists, is not empty, but holds no cluster.
    #[error(
        "{} is not empty but holds no PostgreSQL cluster (no PG_VERSION file), perhaps after an \
         interrupted initdb; remove it to let a new cluster be created",
        pgdata.display()
    )]
    NotACluster {
        /// The cluster directory.
        pgdata: PathBuf,
    },
    /// The existing cluster was made by a PostgreSQL major version none of the found binaries has.
    #[error(
        "the cluster in {} was created by PostgreSQL {cluster}, but the server binaries found \
         are version {}; install the PostgreSQL {cluster} server, set {BIN_DIR_ENV}, or move \
         the data directory away to start afresh",
        pgdata.display(),
        found.join(", ")
    )]
    VersionMismatch {
        /// The cluster directory.
        pgdata: PathBuf,
        /// Contents of its `PG_VERSION` file.
        cluster: String,
        /// `postgres --version` of each candidate found.
        found: Vec<String>,
    },
    /// Running as root, with no unprivileged account to run PostgreSQL as.
    #[error(
        "running as root, which PostgreSQL refuses, and neither a `postgres` nor a `nobody` \
         user exists in /etc/passwd to run it as; create one or run Relais as a normal user"
    )]
    NoUnprivilegedUser,
    /// Running as root, and the account running PostgreSQL cannot reach the data directory.
    #[error(
        "PostgreSQL refuses to run as root and runs as `{user}`, who cannot enter {}; allow it \
         with `chmod o+x {}` or choose a data directory elsewhere (RELAIS_DATA_DIR)",
        dir.display(),
        dir.display()
    )]
    NotTraversable {
        /// The first directory on the way that the account may not enter.
        dir: PathBuf,
        /// The account PostgreSQL runs as.
        user: String,
    },
}

impl EmbeddedError {
    fn io(context: impl Into<String>) -> impl FnOnce(io::Error) -> Self {
        let context = context.into();
        move |source| Self::Io { context, source }
    }
}

fn display_paths(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "nothing".to_owned();
    }
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A running PostgreSQL cluster owned (or reused) by this process.
///
/// Dropping it does not stop a persistent server (the next [`EmbeddedPostgres::start`] reuses
/// it); call [`EmbeddedPostgres::stop`] for that. Dropping an ephemeral one stops and deletes it.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    bins: PgBinaries,
    data_dir: PathBuf,
    pgdata: PathBuf,
    socket_dir: PathBuf,
    log_file: PathBuf,
    /// Length of the log before the last postgres we spawned, whose messages follow it.
    log_offset: u64,
    superuser: String,
    run_as: Option<RunAs>,
    process: Process,
}

#[derive(Debug)]
enum Process {
    /// A persistent cluster; `child` is the postmaster when this process spawned it, `None`
    /// when a server that was already running was reused.
    Server { child: Option<Child>, reused: bool },
    /// A temporary cluster supervised by the [`WATCHDOG`] shell; `lifeline` is the write end of
    /// its stdin: closing it shuts the cluster down.
    Ephemeral {
        watchdog: Child,
        lifeline: Option<ChildStdin>,
    },
}

impl EmbeddedPostgres {
    /// Finds the binaries, runs `initdb` once (an existing cluster is reused), starts the server
    /// listening only on a Unix socket in `<data_dir>/run`, and waits until it accepts
    /// connections (at most 30 s).
    ///
    /// A server already running on this data directory, e.g. left by a killed earlier run, is
    /// reused rather than started twice; a stale `postmaster.pid` from a crash does not block.
    pub async fn start(opts: EmbeddedOptions) -> Result<Self, EmbeddedError> {
        let candidates = find_binaries(&search_dirs())?;
        // Refuse a too long socket path before leaving directories behind.
        let absolute = std::path::absolute(&opts.data_dir).map_err(EmbeddedError::io(format!(
            "resolving the data directory {}",
            opts.data_dir.display()
        )))?;
        Layout::new(absolute)?;
        fs::create_dir_all(&opts.data_dir).map_err(EmbeddedError::io(format!(
            "creating the data directory {}",
            opts.data_dir.display()
        )))?;
        let data_dir = fs::canonicalize(&opts.data_dir).map_err(EmbeddedError::io(format!(
            "resolving the data directory {}",
            opts.data_dir.display()
        )))?;
        let layout = Layout::new(data_dir)?;
        let run_as = run_as_for(&layout.pgdata).await?;
        let bins = choose_binaries(candidates, &layout.pgdata).await?;
        layout.prepare(run_as.as_ref())?;

        let mut pg = Self {
            bins,
            data_dir: layout.data_dir,
            pgdata: layout.pgdata,
            socket_dir: layout.socket_dir,
            log_file: layout.log_file,
            log_offset: 0,
            superuser: opts.superuser,
            run_as,
            process: Process::Server {
                child: None,
                reused: false,
            },
        };
        if !pg.pgdata.join("PG_VERSION").is_file() {
            pg.initdb(true).await?;
        }
        if pg.server_running().await? {
            tracing::info!(
                data_dir = %pg.data_dir.display(),
                "reusing the running embedded PostgreSQL"
            );
            pg.process = Process::Server {
                child: None,
                reused: true,
            };
        } else {
            pg.spawn_server()?;
        }
        if let Err(err) = pg.wait_until_ready().await {
            // A server we started but cannot use would otherwise linger unseen in the background.
            if matches!(pg.process, Process::Server { child: Some(_), .. })
                && let Err(stop_err) = pg.stop_server().await
            {
                tracing::warn!(
                    error = %stop_err,
                    "could not stop the embedded PostgreSQL after a failed start"
                );
            }
            return Err(err);
        }
        Ok(pg)
    }

    /// Like [`EmbeddedPostgres::start`], but in a fresh temporary directory (superuser
    /// [`EPHEMERAL_SUPERUSER`]), with durability traded for speed (`fsync=off`), for tests.
    ///
    /// The cluster stops and its directory is deleted when this value is dropped or stopped, or
    /// when this process exits in any way, including being killed: test processes run no
    /// destructors at exit, so a watchdog shell notices instead that our end of its stdin pipe
    /// has closed.
    pub async fn start_ephemeral() -> Result<Self, EmbeddedError> {
        let candidates = find_binaries(&search_dirs())?;
        let bins = candidates
            .into_iter()
            .next()
            .ok_or_else(|| EmbeddedError::BinariesNotFound { searched: vec![] })?;
        let dir = create_ephemeral_dir()?;
        let prepared = async {
            let layout = Layout::new(dir.clone())?;
            let run_as = run_as_for(&layout.pgdata).await?;
            if let Some(user) = &run_as {
                // The watchdog, running as this user, deletes the directory at the end.
                chown(&layout.data_dir, user)?;
            }
            layout.prepare(run_as.as_ref())?;
            let mut pg = Self {
                bins,
                data_dir: layout.data_dir,
                pgdata: layout.pgdata,
                socket_dir: layout.socket_dir,
                log_file: layout.log_file,
                log_offset: 0,
                superuser: EPHEMERAL_SUPERUSER.to_owned(),
                run_as,
                process: Process::Server {
                    child: None,
                    reused: false,
                },
            };
            pg.initdb(false).await?;
            pg.process = pg.spawn_watchdog()?;
            Ok::<_, EmbeddedError>(pg)
        }
        .await;
        let mut pg = match prepared {
            Ok(pg) => pg,
            Err(err) => {
                // No watchdog runs yet to clean up after us.
                if let Err(rm_err) = fs::remove_dir_all(&dir) {
                    tracing::warn!(
                        dir = %dir.display(),
                        error = %rm_err,
                        "could not remove the ephemeral PostgreSQL directory"
                    );
                }
                return Err(err);
            }
        };
        // On failure, dropping `pg` closes the lifeline and the watchdog cleans up.
        pg.wait_until_ready().await?;
        Ok(pg)
    }

    /// Connection options for `database` of this cluster, as the superuser, through the Unix
    /// socket. Set explicitly, so `PGHOST`, `PGPORT`, `PGUSER` or `PGSSLMODE` in the
    /// environment do not redirect them.
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new_without_pgpass()
            .socket(&self.socket_dir)
            .port(PORT)
            .username(&self.superuser)
            .database(database)
            // TLS over a local socket buys nothing; "prefer" would cost a round trip.
            .ssl_mode(PgSslMode::Disable)
    }

    /// The same as [`EmbeddedPostgres::connect_options`] as a URL
    /// (`postgres:///database?host=/socket/dir&user=name&port=5432&sslmode=disable`), for
    /// display and `DATABASE_URL`-style configuration; psql and libpq accept it too.
    ///
    /// The user travels as a parameter because sqlx rejects `postgres://user@/database`
    /// (credentials with an empty host).
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres:///{}?host={}&user={}&port={PORT}&sslmode=disable",
            percent_encode(database, false),
            percent_encode(&self.socket_dir.to_string_lossy(), true),
            percent_encode(&self.superuser, false),
        )
    }

    /// The directory holding the server's Unix socket (`.s.PGSQL.5432`).
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// The directory holding the cluster, the socket directory and the log.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The server log (`<data_dir>/postgres.log`).
    pub fn log_file(&self) -> &Path {
        &self.log_file
    }

    /// Whether [`EmbeddedPostgres::start`] found the server already running and reused it.
    pub fn reused_running_server(&self) -> bool {
        matches!(self.process, Process::Server { reused: true, .. })
    }

    /// Stops the server cleanly (`pg_ctl stop -m fast`: open transactions are rolled back,
    /// connections closed), also when it was a reused one. An ephemeral cluster is deleted.
    pub async fn stop(mut self) -> Result<(), EmbeddedError> {
        match &mut self.process {
            Process::Server { .. } => self.stop_server().await,
            Process::Ephemeral { watchdog, lifeline } => {
                drop(lifeline.take());
                let status = tokio::time::timeout(STOP_TIMEOUT, watchdog.wait())
                    .await
                    .map_err(|_| EmbeddedError::Timeout {
                        action: "shut down".to_owned(),
                        waited: STOP_TIMEOUT,
                        detail: format!(
                            "the watchdog of {} is still running",
                            self.data_dir.display()
                        ),
                    })?
                    .map_err(EmbeddedError::io("waiting for the PostgreSQL watchdog"))?;
                if status.success() {
                    Ok(())
                } else {
                    Err(EmbeddedError::Command {
                        program: PathBuf::from("sh"),
                        status,
                        stderr: read_child_stderr(watchdog).await,
                    })
                }
            }
        }
    }

    async fn stop_server(&mut self) -> Result<(), EmbeddedError> {
        let mut cmd = self.pg_command(&self.bins.pg_ctl);
        cmd.arg("stop")
            .arg("-D")
            .arg(&self.pgdata)
            .args(["-m", "fast", "-w", "-t"])
            .arg(STOP_TIMEOUT.as_secs().to_string());
        let output = cmd.output().await.map_err(EmbeddedError::io(format!(
            "running {}",
            self.bins.pg_ctl.display()
        )))?;
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        // "PID file … does not exist / Is server running?": already stopped is what we want.
        if !output.status.success() && !stderr.contains("Is server running?") {
            return Err(EmbeddedError::Command {
                program: self.bins.pg_ctl.clone(),
                status: output.status,
                stderr,
            });
        }
        if let Process::Server { child, .. } = &mut self.process
            && let Some(mut child) = child.take()
        {
            // Reap the postmaster so it does not stay a zombie of this process.
            let _ = tokio::time::timeout(STOP_TIMEOUT, child.wait()).await;
        }
        tracing::info!(data_dir = %self.data_dir.display(), "stopped the embedded PostgreSQL");
        Ok(())
    }

    /// Whether the server still runs: the postmaster this process started is asked without
    /// blocking (and reaped if it ended); a reused one, or an ephemeral cluster's watchdog, is
    /// looked up.
    async fn liveness(&mut self) -> Result<Liveness, EmbeddedError> {
        match &mut self.process {
            Process::Server {
                child: Some(child), ..
            } => match child
                .try_wait()
                .map_err(EmbeddedError::io("checking on postgres"))?
            {
                None => Ok(Liveness::Up),
                Some(status) => {
                    self.process = Process::Server {
                        child: None,
                        reused: false,
                    };
                    Ok(Liveness::Down(format!("postgres exited ({status})")))
                }
            },
            Process::Server { child: None, .. } => Ok(if self.server_running().await? {
                Liveness::Up
            } else {
                Liveness::Down("the server is no longer running".to_owned())
            }),
            Process::Ephemeral { watchdog, .. } => match watchdog
                .try_wait()
                .map_err(EmbeddedError::io("checking on the PostgreSQL watchdog"))?
            {
                None => Ok(Liveness::Up),
                Some(status) => Ok(Liveness::Down(format!("the watchdog exited ({status})"))),
            },
        }
    }

    /// Brings a stopped server up again and waits until it accepts connections: a server still
    /// starting (ours, from an attempt that timed out, or another process's) is waited for,
    /// otherwise a stale `postmaster.pid` is removed and postgres started. An ephemeral cluster
    /// cannot be restarted: its watchdog deleted it.
    async fn restart(&mut self) -> Result<(), EmbeddedError> {
        if let Process::Ephemeral { watchdog, .. } = &mut self.process {
            let status = watchdog
                .wait()
                .await
                .map_err(EmbeddedError::io("waiting for the PostgreSQL watchdog"))?;
            return Err(EmbeddedError::ServerExited {
                status,
                log: read_child_stderr(watchdog).await,
            });
        }
        if let Liveness::Down(_) = self.liveness().await? {
            self.remove_stale_pid_file();
            self.spawn_server()?;
        }
        self.wait_until_ready().await
    }

    /// The last lines the server logged since this process last started it.
    fn log_tail(&self) -> String {
        tail_of_file(&self.log_file, LOG_TAIL_LINES, self.log_offset)
    }

    /// Removes `postmaster.pid` when it names no live postgres process. Postgres removes a
    /// lock file whose process is gone by itself, but not one whose pid now belongs to another
    /// program (pids are reused, notably in containers): it then refuses to start. Only where
    /// `/proc` tells what a process is; elsewhere postgres decides alone.
    fn remove_stale_pid_file(&self) {
        let file = self.pgdata.join("postmaster.pid");
        let Ok(text) = fs::read_to_string(&file) else {
            return;
        };
        let Some(pid) = text
            .lines()
            .next()
            .and_then(|l| l.trim().parse::<u32>().ok())
        else {
            return;
        };
        let proc = Path::new("/proc");
        if !proc.join("self").exists() {
            return;
        }
        let program = fs::read_to_string(proc.join(pid.to_string()).join("comm"));
        if program.is_ok_and(|name| name.trim() == "postgres") {
            return;
        }
        match fs::remove_file(&file) {
            Ok(()) => tracing::warn!(
                pid,
                file = %file.display(),
                "removed a stale postmaster.pid naming no live postgres"
            ),
            Err(err) => tracing::warn!(
                file = %file.display(),
                error = %err,
                "could not remove a stale postmaster.pid"
            ),
        }
    }

    /// A command for a PostgreSQL program, as the unprivileged account when we are root.
    fn pg_command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(&self.data_dir)
            .env("PGDATA", &self.pgdata)
            .stdin(Stdio::null())
            .kill_on_drop(false);
        if let Some(user) = &self.run_as {
            // Root's HOME (often 0700) is useless to the account; the data directory is its own.
            cmd.uid(user.uid)
                .gid(user.gid)
                .env("HOME", &self.data_dir)
                .env("USER", &user.name)
                .env("LOGNAME", &user.name);
        }
        cmd
    }

    async fn initdb(&self, sync: bool) -> Result<(), EmbeddedError> {
        let started = Instant::now();
        tracing::info!(pgdata = %self.pgdata.display(), "initialising a PostgreSQL cluster");
        let mut result = self.run_initdb(sync, &["--locale=C.UTF-8"]).await;
        if let Err(EmbeddedError::Command { stderr, .. }) = &result
            && stderr.contains("locale")
        {
            // Minimal systems may lack C.UTF-8; initdb has emptied pgdata again.
            tracing::info!("C.UTF-8 locale unavailable, initialising with --no-locale");
            result = self.run_initdb(sync, &["--no-locale"]).await;
        }
        result?;
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "initdb done"
        );
        Ok(())
    }

    async fn run_initdb(&self, sync: bool, locale: &[&str]) -> Result<(), EmbeddedError> {
        let mut cmd = self.pg_command(&self.bins.initdb);
        cmd.arg("-D")
            .arg(&self.pgdata)
            .arg("-U")
            .arg(&self.superuser)
            // Only the 0700 socket directory leads in, so local trust means owner-only. TCP
            // ("host") connections are rejected even if someone enables listen_addresses.
            .args([
                "--auth-local=trust",
                "--auth-host=reject",
                "--encoding=UTF8",
            ])
            .args(locale);
        if !sync {
            cmd.arg("--no-sync");
        }
        let output = cmd.output().await.map_err(EmbeddedError::io(format!(
            "running {}",
            self.bins.initdb.display()
        )))?;
        tracing::debug!(stdout = %String::from_utf8_lossy(&output.stdout), "initdb output");
        if output.status.success() {
            Ok(())
        } else {
            Err(EmbeddedError::Command {
                program: self.bins.initdb.clone(),
                status: output.status,
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            })
        }
    }

    /// `pg_ctl status`: is a live postmaster recorded in `postmaster.pid`?
    async fn server_running(&self) -> Result<bool, EmbeddedError> {
        let mut cmd = self.pg_command(&self.bins.pg_ctl);
        cmd.arg("status").arg("-D").arg(&self.pgdata);
        let output = cmd.output().await.map_err(EmbeddedError::io(format!(
            "running {}",
            self.bins.pg_ctl.display()
        )))?;
        // 0: running; 3: not running; 4: no accessible data directory.
        Ok(output.status.success())
    }

    /// Arguments after `postgres`: where the cluster is and how it must run.
    fn server_args(&self, ephemeral: bool) -> Result<Vec<OsString>, EmbeddedError> {
        let socket_dir = utf8(&self.socket_dir)?;
        let mut settings = vec![
            ("listen_addresses", String::new()),
            ("port", PORT.to_string()),
            ("unix_socket_directories", quote_list_element(socket_dir)),
            ("unix_socket_permissions", "0700".to_owned()),
            ("max_connections", "300".to_owned()),
            ("shared_buffers", "128MB".to_owned()),
        ];
        if ephemeral {
            for name in ["fsync", "synchronous_commit", "full_page_writes"] {
                settings.push((name, "off".to_owned()));
            }
        }
        let mut args = vec![OsString::from("-D"), self.pgdata.clone().into_os_string()];
        for (name, value) in settings {
            args.push("-c".into());
            args.push(format!("{name}={value}").into());
        }
        Ok(args)
    }

    /// Starts postgres in the background and records it as this cluster's process.
    fn spawn_server(&mut self) -> Result<(), EmbeddedError> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&self.log_file)
            .map_err(EmbeddedError::io(format!(
                "opening {}",
                self.log_file.display()
            )))?;
        if let Some(user) = &self.run_as {
            chown(&self.log_file, user)?;
        }
        // Where this attempt's messages start, to report only those if it fails.
        self.log_offset = log
            .metadata()
            .map_err(EmbeddedError::io(format!(
                "inspecting {}",
                self.log_file.display()
            )))?
            .len();
        let log_err = log.try_clone().map_err(EmbeddedError::io(format!(
            "opening {}",
            self.log_file.display()
        )))?;
        let mut cmd = self.pg_command(&self.bins.postgres);
        cmd.args(self.server_args(false)?)
            .stdout(log)
            .stderr(log_err)
            // Its own process group: Ctrl-C in the terminal reaches `relais serve`, which then
            // stops the server cleanly, instead of killing postgres behind its back.
            .process_group(0);
        let child = cmd.spawn().map_err(EmbeddedError::io(format!(
            "starting {}{}",
            self.bins.postgres.display(),
            self.run_as_suffix()
        )))?;
        tracing::info!(data_dir = %self.data_dir.display(), "started the embedded PostgreSQL");
        self.process = Process::Server {
            child: Some(child),
            reused: false,
        };
        Ok(())
    }

    fn spawn_watchdog(&self) -> Result<Process, EmbeddedError> {
        let mut cmd = self.pg_command(Path::new("/bin/sh"));
        cmd.arg("-c")
            .arg(WATCHDOG)
            .arg("relais-pg-watchdog")
            .arg(&self.data_dir)
            .arg(&self.bins.postgres)
            .args(self.server_args(true)?)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            // Out of the terminal's process group, so Ctrl-C on the test run ends only the
            // tests; their exit then closes the pipe and the watchdog cleans up.
            .process_group(0);
        let mut watchdog = cmd.spawn().map_err(EmbeddedError::io(format!(
            "starting the PostgreSQL watchdog shell{}",
            self.run_as_suffix()
        )))?;
        let lifeline = watchdog.stdin.take();
        Ok(Process::Ephemeral { watchdog, lifeline })
    }

    fn run_as_suffix(&self) -> String {
        self.run_as
            .as_ref()
            .map(|u| format!(" as user {}", u.name))
            .unwrap_or_default()
    }

    /// Polls with real connections until the server accepts one, failing early if it exits.
    async fn wait_until_ready(&mut self) -> Result<(), EmbeddedError> {
        let started = Instant::now();
        let options = self.connect_options("postgres");
        let mut watch = StartupWatch {
            respawns: 0,
            next_status_check: started + STATUS_RECHECK,
        };
        loop {
            self.check_still_starting(&mut watch).await?;
            let last_error = match tokio::time::timeout(
                CONNECT_ATTEMPT_TIMEOUT,
                PgConnection::connect_with(&options),
            )
            .await
            {
                Ok(Ok(conn)) => {
                    let _ = conn.close().await;
                    tracing::info!(
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        socket_dir = %self.socket_dir.display(),
                        "embedded PostgreSQL accepts connections"
                    );
                    return Ok(());
                }
                Ok(Err(err)) => err.to_string(),
                Err(_) => "a connection attempt timed out".to_owned(),
            };
            if started.elapsed() >= READY_TIMEOUT {
                let mut detail = format!("last error: {last_error}");
                let log = tail_of_file(&self.log_file, LOG_TAIL_LINES, 0);
                if !log.is_empty() {
                    detail.push_str(&format!("\nend of {}:\n{log}", self.log_file.display()));
                }
                return Err(EmbeddedError::Timeout {
                    action: format!("accept connections on {}", self.socket_dir.display()),
                    waited: started.elapsed(),
                    detail,
                });
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Fails if the server cannot come up any more; copes with the benign reasons for a
    /// postgres exiting early or a reused one vanishing.
    async fn check_still_starting(
        &mut self,
        watch: &mut StartupWatch,
    ) -> Result<(), EmbeddedError> {
        match &mut self.process {
            Process::Server { child: None, .. } => {
                // A reused server may be a dead one whose zombie still answers `kill -0` (its
                // parent died with it and init has not reaped it yet): look again now and then.
                if Instant::now() < watch.next_status_check {
                    return Ok(());
                }
                watch.next_status_check = Instant::now() + STATUS_RECHECK;
                if !self.server_running().await? {
                    tracing::info!("the PostgreSQL server that was running is gone; starting one");
                    self.spawn_server()?;
                }
                Ok(())
            }
            Process::Server {
                child: Some(running),
                ..
            } => {
                let Some(status) = running
                    .try_wait()
                    .map_err(EmbeddedError::io("checking on postgres"))?
                else {
                    return Ok(());
                };
                self.process = Process::Server {
                    child: None,
                    reused: true,
                };
                if self.server_running().await? {
                    // Another process started the same cluster first and ours bowed out, or the
                    // previous postmaster is not quite gone; the branch above keeps watching.
                    watch.next_status_check = Instant::now() + STATUS_RECHECK;
                    return Ok(());
                }
                let log = tail_of_file(&self.log_file, LOG_TAIL_LINES, self.log_offset);
                // After a crash, backends of the dead postmaster may hold its shared memory for
                // a moment longer; postgres refuses to start until they have gone.
                if log.contains("pre-existing shared memory block") && watch.respawns < 20 {
                    watch.respawns += 1;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    self.spawn_server()?;
                    return Ok(());
                }
                Err(EmbeddedError::ServerExited { status, log })
            }
            Process::Ephemeral { watchdog, .. } => {
                match watchdog
                    .try_wait()
                    .map_err(EmbeddedError::io("checking on the PostgreSQL watchdog"))?
                {
                    None => Ok(()),
                    Some(status) => Err(EmbeddedError::ServerExited {
                        status,
                        log: read_child_stderr(watchdog).await,
                    }),
                }
            }
        }
    }
}

/// Book-keeping of [`EmbeddedPostgres::wait_until_ready`].
struct StartupWatch {
    respawns: u32,
    next_status_check: Instant,
}

#[cfg(test)]
mod tests;
