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

use std::ffi::OsString;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rand::Rng;
use sqlx::postgres::{PgConnectOptions, PgSslMode};
use sqlx::{Connection, PgConnection};
use tokio::io::AsyncReadExt;
use tokio::process::{Child, ChildStdin, Command};

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

/// Supervises an ephemeral postgres; run as `sh -c WATCHDOG relais-pg-watchdog <dir> <postgres> <args…>`.
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
    #[error("the path {} is not valid UTF-8; choose another data directory (RELAIS_DATA_DIR)", path.display())]
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
            tracing::info!(data_dir = %pg.data_dir.display(), "reusing the running embedded PostgreSQL");
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
                tracing::warn!(error = %stop_err, "could not stop the embedded PostgreSQL after a failed start");
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
        let pg = match prepared {
            Ok(pg) => pg,
            Err(err) => {
                // No watchdog runs yet to clean up after us.
                if let Err(rm_err) = fs::remove_dir_all(&dir) {
                    tracing::warn!(dir = %dir.display(), error = %rm_err, "could not remove the ephemeral PostgreSQL directory");
                }
                return Err(err);
            }
        };
        let mut pg = pg;
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

/// Paths inside a data directory.
struct Layout {
    data_dir: PathBuf,
    pgdata: PathBuf,
    socket_dir: PathBuf,
    log_file: PathBuf,
}

impl Layout {
    /// `data_dir` must be absolute: postgres and the socket path need it.
    fn new(data_dir: PathBuf) -> Result<Self, EmbeddedError> {
        utf8(&data_dir)?;
        let socket_dir = data_dir.join("run");
        let socket = socket_dir.join(format!(".s.PGSQL.{PORT}"));
        let len = socket.as_os_str().len();
        if len > SOCKET_PATH_MAX {
            return Err(EmbeddedError::SocketPathTooLong { path: socket, len });
        }
        Ok(Self {
            pgdata: data_dir.join("pgdata"),
            log_file: data_dir.join("postgres.log"),
            socket_dir,
            data_dir,
        })
    }

    /// Creates the cluster and socket directories with the modes postgres requires, owned by
    /// the account that runs it.
    fn prepare(&self, run_as: Option<&RunAs>) -> Result<(), EmbeddedError> {
        if let Some(user) = run_as {
            check_traversable(&self.data_dir, user)?;
        }
        if self.pgdata.is_dir() {
            let has_cluster = self.pgdata.join("PG_VERSION").is_file();
            let empty = fs::read_dir(&self.pgdata)
                .map_err(EmbeddedError::io(format!(
                    "reading {}",
                    self.pgdata.display()
                )))?
                .next()
                .is_none();
            if !has_cluster && !empty {
                return Err(EmbeddedError::NotACluster {
                    pgdata: self.pgdata.clone(),
                });
            }
        } else {
            // postgres refuses a data directory readable by others.
            create_private_dir(&self.pgdata)?;
        }
        if !self.socket_dir.is_dir() {
            create_private_dir(&self.socket_dir)?;
        }
        // Trust authentication is safe only while nobody else can reach the socket.
        fs::set_permissions(&self.socket_dir, fs::Permissions::from_mode(0o700)).map_err(
            EmbeddedError::io(format!("restricting {}", self.socket_dir.display())),
        )?;
        if let Some(user) = run_as {
            chown(&self.pgdata, user)?;
            chown(&self.socket_dir, user)?;
        }
        Ok(())
    }
}

fn create_private_dir(dir: &Path) -> Result<(), EmbeddedError> {
    DirBuilder::new()
        .mode(0o700)
        .create(dir)
        .map_err(EmbeddedError::io(format!("creating {}", dir.display())))
}

/// Makes `/tmp/relais-pg-XXXXXXXX` (or the same under `TMPDIR` when short enough for a socket).
fn create_ephemeral_dir() -> Result<PathBuf, EmbeddedError> {
    let mut bases = vec![std::env::temp_dir(), PathBuf::from("/tmp")];
    bases.dedup();
    let mut last_error = None;
    for base in bases {
        // macOS's TMPDIR is a symlink; postgres and the socket limit want the real path.
        let Ok(base) = fs::canonicalize(&base) else {
            continue;
        };
        let probe = base.join("relais-pg-XXXXXXXX");
        if Layout::new(probe).is_err() {
            continue;
        }
        for _ in 0..16 {
            let suffix: String = rand::thread_rng()
                .sample_iter(&rand::distributions::Alphanumeric)
                .take(8)
                .map(char::from)
                .collect();
            let dir = base.join(format!("relais-pg-{suffix}"));
            match DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => return Ok(dir),
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(err) => {
                    last_error = Some(err);
                    break;
                }
            }
        }
    }
    Err(EmbeddedError::Io {
        context: "creating a temporary directory for PostgreSQL under $TMPDIR or /tmp".to_owned(),
        source: last_error.unwrap_or_else(|| {
            io::Error::other("no usable temporary directory with a short enough path")
        }),
    })
}

fn utf8(path: &Path) -> Result<&str, EmbeddedError> {
    path.to_str().ok_or_else(|| EmbeddedError::NonUtf8Path {
        path: path.to_owned(),
    })
}

/// Quotes a directory for a PostgreSQL list setting (`unix_socket_directories`) when it
/// contains characters the list syntax would split or trim on.
fn quote_list_element(value: &str) -> String {
    if value.contains([',', '"']) || value.chars().any(char::is_whitespace) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters (and `/` if `keep_slash`).
fn percent_encode(value: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'.' | b'_' | b'~')
            || (keep_slash && byte == b'/')
        {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The last `lines` lines of a (possibly large, possibly missing) log file, from byte `from` on.
fn tail_of_file(path: &Path, lines: usize, from: u64) -> String {
    const WINDOW: u64 = 16 * 1024;
    let read = || -> io::Result<String> {
        let mut file = File::open(path)?;
        let len = file.metadata()?.len();
        let start = len.saturating_sub(WINDOW).max(from);
        file.seek(SeekFrom::Start(start))?;
        let mut buf = Vec::new();
        file.read_to_end(&mut buf)?;
        let text = String::from_utf8_lossy(&buf);
        let all: Vec<&str> = text.lines().collect();
        // When reading from the middle of what was asked for, the first line is a fragment.
        let skip = usize::from(start > from);
        let first = all.len().saturating_sub(lines).max(skip.min(all.len()));
        Ok(all[first..].join("\n"))
    };
    read().unwrap_or_default()
}

async fn read_child_stderr(child: &mut Child) -> String {
    let mut text = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut text).await;
    }
    text.trim_end().to_owned()
}

/// The three programs, from one directory so that they are of one version.
#[derive(Debug, Clone)]
struct PgBinaries {
    initdb: PathBuf,
    pg_ctl: PathBuf,
    postgres: PathBuf,
}

/// Where to look for the binaries: only [`BIN_DIR_ENV`] when set; else `PATH`, then the usual
/// package locations, highest version first.
fn search_dirs() -> Vec<PathBuf> {
    if let Some(dir) = std::env::var_os(BIN_DIR_ENV).filter(|d| !d.is_empty()) {
        return vec![PathBuf::from(dir)];
    }
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    // Debian/Ubuntu.
    dirs.extend(versioned_dirs(Path::new("/usr/lib/postgresql"), "", "bin"));
    // PGDG packages for Fedora/RHEL.
    dirs.extend(versioned_dirs(Path::new("/usr"), "pgsql-", "bin"));
    // Source builds.
    dirs.push(PathBuf::from("/usr/local/pgsql/bin"));
    // Homebrew (Apple silicon, Intel) and Postgres.app.
    dirs.extend(versioned_dirs(
        Path::new("/opt/homebrew/opt"),
        "postgresql@",
        "bin",
    ));
    dirs.extend(versioned_dirs(
        Path::new("/usr/local/opt"),
        "postgresql@",
        "bin",
    ));
    dirs.push(PathBuf::from(
        "/Applications/Postgres.app/Contents/Versions/latest/bin",
    ));
    let mut seen = std::collections::HashSet::new();
    dirs.retain(|d| !d.as_os_str().is_empty() && seen.insert(d.clone()));
    dirs
}

/// `<parent>/<prefix><version>/<sub>` for each version present, highest first.
fn versioned_dirs(parent: &Path, prefix: &str, sub: &str) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut found: Vec<(Vec<u32>, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name();
            let version = parse_version(name.to_str()?.strip_prefix(prefix)?)?;
            Some((version, entry.path().join(sub)))
        })
        .collect();
    found.sort_by(|a, b| b.0.cmp(&a.0));
    found.into_iter().map(|(_, dir)| dir).collect()
}

/// `"15"` → `[15]`, `"9.6"` → `[9, 6]`; anything else is not a version directory.
fn parse_version(text: &str) -> Option<Vec<u32>> {
    text.split('.').map(|part| part.parse().ok()).collect()
}

/// Every directory of `dirs` holding all three programs, in order, without duplicates (a
/// `PATH` entry of symlinks and the directory they point to count once).
fn find_binaries(dirs: &[PathBuf]) -> Result<Vec<PgBinaries>, EmbeddedError> {
    let mut seen = std::collections::HashSet::new();
    let mut found = Vec::new();
    for dir in dirs {
        let [initdb, pg_ctl, postgres] = ["initdb", "pg_ctl", "postgres"].map(|n| dir.join(n));
        if !(is_executable(&initdb) && is_executable(&pg_ctl) && is_executable(&postgres)) {
            continue;
        }
        let identity = fs::canonicalize(&postgres).unwrap_or_else(|_| postgres.clone());
        if seen.insert(identity) {
            found.push(PgBinaries {
                initdb,
                pg_ctl,
                postgres,
            });
        }
    }
    if found.is_empty() {
        return Err(EmbeddedError::BinariesNotFound {
            searched: dirs.to_vec(),
        });
    }
    Ok(found)
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The first candidate, or for an existing cluster the first of its major version.
async fn choose_binaries(
    candidates: Vec<PgBinaries>,
    pgdata: &Path,
) -> Result<PgBinaries, EmbeddedError> {
    let Ok(cluster) = fs::read_to_string(pgdata.join("PG_VERSION")) else {
        return candidates
            .into_iter()
            .next()
            .ok_or_else(|| EmbeddedError::BinariesNotFound { searched: vec![] });
    };
    let cluster = cluster.trim().to_owned();
    let mut found = Vec::new();
    for bins in candidates {
        let output = Command::new(&bins.postgres)
            .arg("--version")
            .output()
            .await
            .map_err(EmbeddedError::io(format!(
                "running {} --version",
                bins.postgres.display()
            )))?;
        let version = server_version(&String::from_utf8_lossy(&output.stdout));
        if version_matches(&version, &cluster) {
            return Ok(bins);
        }
        found.push(version);
    }
    Err(EmbeddedError::VersionMismatch {
        pgdata: pgdata.to_owned(),
        cluster,
        found,
    })
}

/// `"postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"` → `"15.18"`.
fn server_version(output: &str) -> String {
    let text = output.trim();
    text.split_once("(PostgreSQL)")
        .map_or(text, |(_, rest)| rest)
        .split_whitespace()
        .next()
        .unwrap_or(text)
        .to_owned()
}

/// Whether server version `15.18` (or `9.6.24`) serves a cluster whose PG_VERSION is `15` (`9.6`).
fn version_matches(server: &str, cluster: &str) -> bool {
    !cluster.is_empty()
        && server
            .strip_prefix(cluster)
            .is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_digit()))
}

/// The account PostgreSQL runs as when this process is root.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RunAs {
    name: String,
    uid: u32,
    gid: u32,
}

/// `None` when not root; else the owner of an existing cluster (postgres insists on running as
/// its data directory's owner), else `postgres`, else `nobody`.
async fn run_as_for(pgdata: &Path) -> Result<Option<RunAs>, EmbeddedError> {
    if effective_uid().await? != 0 {
        return Ok(None);
    }
    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    if let Ok(meta) = fs::metadata(pgdata)
        && meta.uid() != 0
    {
        let name = passwd_entries(&passwd)
            .find(|e| e.uid == meta.uid())
            .map_or_else(|| format!("uid {}", meta.uid()), |e| e.name);
        return Ok(Some(RunAs {
            name,
            uid: meta.uid(),
            gid: meta.gid(),
        }));
    }
    ["postgres", "nobody"]
        .iter()
        .find_map(|wanted| passwd_entries(&passwd).find(|e| e.name == *wanted))
        .map(Some)
        .ok_or(EmbeddedError::NoUnprivilegedUser)
}

/// The effective uid, from `/proc/self/status` (Linux) or else `id -u`: no libc, no unsafe.
async fn effective_uid() -> Result<u32, EmbeddedError> {
    if let Some(uid) = fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| euid_from_proc_status(&status))
    {
        return Ok(uid);
    }
    let output = Command::new("id")
        .arg("-u")
        .output()
        .await
        .map_err(EmbeddedError::io("running `id -u`"))?;
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .map_err(|_| EmbeddedError::Io {
            context: "running `id -u`".to_owned(),
            source: io::Error::other("unexpected output"),
        })
}

/// The second field of the `Uid:` line (real, effective, saved, file-system).
fn euid_from_proc_status(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn passwd_entries(passwd: &str) -> impl Iterator<Item = RunAs> + '_ {
    passwd.lines().filter_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let _password = fields.next()?;
        let uid = fields.next()?.parse().ok()?;
        let gid = fields.next()?.parse().ok()?;
        Some(RunAs {
            name: name.to_owned(),
            uid,
            gid,
        })
    })
}

fn chown(path: &Path, user: &RunAs) -> Result<(), EmbeddedError> {
    std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid)).map_err(EmbeddedError::io(
        format!("handing {} over to user {}", path.display(), user.name),
    ))
}

/// Checks that `user` may enter `dir` and each directory above it (postgres resolves absolute
/// paths). Only mode bits are consulted; the child process has no supplementary groups.
fn check_traversable(dir: &Path, user: &RunAs) -> Result<(), EmbeddedError> {
    for ancestor in dir.ancestors() {
        let meta = fs::metadata(ancestor).map_err(EmbeddedError::io(format!(
            "inspecting {}",
            ancestor.display()
        )))?;
        let mode = meta.permissions().mode();
        let allowed = if meta.uid() == user.uid {
            mode & 0o100 != 0
        } else if meta.gid() == user.gid {
            mode & 0o010 != 0
        } else {
            mode & 0o001 != 0
        };
        if !allowed {
            return Err(EmbeddedError::NotTraversable {
                dir: ancestor.to_owned(),
                user: user.name.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Row;

    #[tokio::test]
    async fn ephemeral_cluster_answers_and_removes_itself() {
        let pg = EmbeddedPostgres::start_ephemeral()
            .await
            .expect("start ephemeral");
        let dir = pg.data_dir().to_owned();
        let mut conn = PgConnection::connect_with(&pg.connect_options("postgres"))
            .await
            .expect("connect");
        let one: i32 = sqlx::query_scalar("SELECT 1")
            .fetch_one(&mut conn)
            .await
            .expect("select");
        assert_eq!(one, 1);
        let fsync: String = sqlx::query_scalar("SHOW fsync")
            .fetch_one(&mut conn)
            .await
            .expect("show fsync");
        assert_eq!(fsync, "off");
        let listen: String = sqlx::query_scalar("SHOW listen_addresses")
            .fetch_one(&mut conn)
            .await
            .expect("show listen_addresses");
        assert_eq!(listen, "");
        // The URL form reaches the same server.
        let from_url: PgConnectOptions = pg.url("postgres").parse().expect("parse url");
        let mut conn2 = PgConnection::connect_with(&from_url)
            .await
            .expect("connect by url");
        sqlx::query("SELECT 1")
            .execute(&mut conn2)
            .await
            .expect("select by url");
        conn2.close().await.expect("close");
        conn.close().await.expect("close");
        pg.stop().await.expect("stop");
        assert!(!dir.exists(), "{} should have been removed", dir.display());
    }

    #[tokio::test]
    async fn dropped_ephemeral_cluster_cleans_up_by_itself() {
        let pg = EmbeddedPostgres::start_ephemeral()
            .await
            .expect("start ephemeral");
        let dir = pg.data_dir().to_owned();
        drop(pg);
        let deadline = Instant::now() + Duration::from_secs(30);
        while dir.exists() && Instant::now() < deadline {
            tokio::time::sleep(POLL_INTERVAL).await;
        }
        assert!(!dir.exists(), "{} should have been removed", dir.display());
    }

    #[tokio::test]
    async fn second_start_finds_the_same_data() {
        let tmp = tempfile::tempdir().expect("tempdir");
        // tempdir makes 0700 directories; as root, the `postgres` account must pass through.
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
        let opts = EmbeddedOptions::new(tmp.path().join("relais"), "relais");

        let started = Instant::now();
        let pg = EmbeddedPostgres::start(opts.clone())
            .await
            .expect("first start");
        eprintln!("first start (initdb + start): {:?}", started.elapsed());
        assert!(!pg.reused_running_server());
        assert!(pg.log_file().is_file());
        let mut conn = PgConnection::connect_with(&pg.connect_options("postgres"))
            .await
            .expect("connect");
        sqlx::query("CREATE TABLE marker (note text)")
            .execute(&mut conn)
            .await
            .expect("create");
        sqlx::query("INSERT INTO marker VALUES ('first start')")
            .execute(&mut conn)
            .await
            .expect("insert");
        let fsync: String = sqlx::query_scalar("SHOW fsync")
            .fetch_one(&mut conn)
            .await
            .expect("show fsync");
        assert_eq!(fsync, "on");
        conn.close().await.expect("close");

        // A second start while the first server runs reuses it.
        let again = EmbeddedPostgres::start(opts.clone())
            .await
            .expect("start while running");
        assert!(again.reused_running_server());
        drop(again);

        let started = Instant::now();
        pg.stop().await.expect("stop");
        eprintln!("stop: {:?}", started.elapsed());

        let started = Instant::now();
        let pg = EmbeddedPostgres::start(opts.clone())
            .await
            .expect("second start");
        eprintln!("second start: {:?}", started.elapsed());
        assert!(!pg.reused_running_server());
        let mut conn = PgConnection::connect_with(&pg.connect_options("postgres"))
            .await
            .expect("reconnect");
        let row = sqlx::query("SELECT note FROM marker")
            .fetch_one(&mut conn)
            .await
            .expect("marker survives");
        assert_eq!(row.get::<String, _>("note"), "first start");
        conn.close().await.expect("close");

        // A crash (SIGKILL, stale postmaster.pid) must not block the next start.
        let mut pg = pg;
        if let Process::Server { child, .. } = &mut pg.process {
            let mut child = child.take().expect("we started this one");
            child.kill().await.expect("kill postgres");
        }
        assert!(pg.pgdata.join("postmaster.pid").exists());
        drop(pg);
        let started = Instant::now();
        let pg = EmbeddedPostgres::start(opts)
            .await
            .expect("start after crash");
        eprintln!("start after crash: {:?}", started.elapsed());
        let mut conn = PgConnection::connect_with(&pg.connect_options("postgres"))
            .await
            .expect("reconnect after crash");
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM marker")
            .fetch_one(&mut conn)
            .await
            .expect("marker survives the crash");
        assert_eq!(count, 1);
        conn.close().await.expect("close");
        pg.stop().await.expect("final stop");
    }

    #[test]
    fn missing_binaries_name_the_package() {
        let empty = tempfile::tempdir().expect("tempdir");
        let err = find_binaries(&[empty.path().to_owned()]).expect_err("nothing to find");
        assert!(
            matches!(&err, EmbeddedError::BinariesNotFound { searched } if searched.len() == 1)
        );
        let message = err.to_string();
        assert!(message.contains("apt-get install postgresql"), "{message}");
        assert!(
            message.contains("dnf install postgresql-server"),
            "{message}"
        );
        assert!(
            message.contains(&empty.path().display().to_string()),
            "{message}"
        );
    }

    #[test]
    fn too_long_socket_path_names_the_setting() {
        let long = PathBuf::from("/tmp").join("x".repeat(100));
        let err = Layout::new(long).err().expect("too long");
        assert!(matches!(err, EmbeddedError::SocketPathTooLong { .. }));
        assert!(err.to_string().contains("RELAIS_DATA_DIR"));
        assert!(Layout::new(PathBuf::from("/tmp/relais-pg-abcdefgh")).is_ok());
    }

    #[test]
    fn versions_match_by_major() {
        let v = server_version("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n");
        assert_eq!(v, "15.18");
        assert!(version_matches(&v, "15"));
        assert!(!version_matches(&v, "1"));
        assert!(!version_matches("16.2", "15"));
        assert!(version_matches("9.6.24", "9.6"));
        assert!(version_matches("17beta1", "17"));
        assert_eq!(parse_version("9.6"), Some(vec![9, 6]));
        assert_eq!(parse_version("main"), None);
    }

    #[test]
    fn parses_uid_and_passwd() {
        let status = "Name:\tx\nUid:\t1000\t0\t0\t0\nGid:\t5\t5\t5\t5\n";
        assert_eq!(euid_from_proc_status(status), Some(0));
        let passwd = "root:x:0:0:root:/root:/bin/bash\n# comment\npostgres:x:101:104::/var/lib/postgresql:/bin/bash\n";
        let users: Vec<RunAs> = passwd_entries(passwd).collect();
        assert_eq!(users.len(), 2);
        assert_eq!(
            users[1],
            RunAs {
                name: "postgres".into(),
                uid: 101,
                gid: 104
            }
        );
    }

    #[test]
    fn url_round_trips_through_sqlx() {
        let pg = EmbeddedPostgres {
            bins: PgBinaries {
                initdb: "initdb".into(),
                pg_ctl: "pg_ctl".into(),
                postgres: "postgres".into(),
            },
            data_dir: "/tmp/a b".into(),
            pgdata: "/tmp/a b/pgdata".into(),
            socket_dir: "/tmp/a b/run".into(),
            log_file: "/tmp/a b/postgres.log".into(),
            log_offset: 0,
            superuser: "relais".into(),
            run_as: None,
            process: Process::Server {
                child: None,
                reused: false,
            },
        };
        let url = pg.url("my db");
        assert_eq!(
            url,
            "postgres:///my%20db?host=/tmp/a%20b/run&user=relais&port=5432&sslmode=disable"
        );
        let parsed: PgConnectOptions = url.parse().expect("sqlx parses it");
        assert_eq!(parsed.get_socket(), Some(&PathBuf::from("/tmp/a b/run")));
        assert_eq!(parsed.get_username(), "relais");
        assert_eq!(parsed.get_database(), Some("my db"));
        assert_eq!(parsed.get_port(), 5432);
        assert_eq!(quote_list_element("/tmp/a b/run"), "\"/tmp/a b/run\"");
        assert_eq!(quote_list_element("/tmp/ab/run"), "/tmp/ab/run");
    }

    #[test]
    fn log_tail_keeps_the_last_lines() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("log");
        let text: String = (0..5000).map(|i| format!("line {i}\n")).collect();
        fs::write(&path, text).expect("write");
        let tail = tail_of_file(&path, 3, 0);
        assert_eq!(tail, "line 4997\nline 4998\nline 4999");
        let offset = u64::try_from("line 0\nline 1\n".len()).expect("small");
        fs::write(&path, "line 0\nline 1\nline 2\n").expect("write");
        assert_eq!(tail_of_file(&path, 3, offset), "line 2");
        assert_eq!(tail_of_file(&tmp.path().join("missing"), 3, 0), "");
    }
}
