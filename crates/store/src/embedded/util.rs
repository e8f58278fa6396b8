//! Helpers without a better home: the paths inside a data directory and the creation of its
//! directories, the temporary directory of an ephemeral cluster, quoting for PostgreSQL settings
//! and percent-encoding for URLs, and reading the end of a log or of a child's stderr.

use std::fs::{self, DirBuilder, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rand::Rng;
use tokio::io::AsyncReadExt;
use tokio::process::Child;

use super::privileges::{RunAs, check_traversable, chown};
use super::{EmbeddedError, PORT, SOCKET_PATH_MAX};

/// Paths inside a data directory.
pub(super) struct Layout {
    pub(super) data_dir: PathBuf,
    pub(super) pgdata: PathBuf,
    pub(super) socket_dir: PathBuf,
    pub(super) log_file: PathBuf,
}

impl Layout {
    /// `data_dir` must be absolute: postgres and the socket path need it.
    pub(super) fn new(data_dir: PathBuf) -> Result<Self, EmbeddedError> {
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
    pub(super) fn prepare(&self, run_as: Option<&RunAs>) -> Result<(), EmbeddedError> {
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
pub(super) fn create_ephemeral_dir() -> Result<PathBuf, EmbeddedError> {
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

pub(super) fn utf8(path: &Path) -> Result<&str, EmbeddedError> {
    path.to_str().ok_or_else(|| EmbeddedError::NonUtf8Path {
        path: path.to_owned(),
    })
}

/// Quotes a directory for a PostgreSQL list setting (`unix_socket_directories`) when it
/// contains characters the list syntax would split or trim on.
pub(super) fn quote_list_element(value: &str) -> String {
    if value.contains([',', '"']) || value.chars().any(char::is_whitespace) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters (and `/` if `keep_slash`).
pub(super) fn percent_encode(value: &str, keep_slash: bool) -> String {
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
pub(super) fn tail_of_file(path: &Path, lines: usize, from: u64) -> String {
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

pub(super) async fn read_child_stderr(child: &mut Child) -> String {
    let mut text = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut text).await;
    }
    text.trim_end().to_owned()
}
