//! Finding the PostgreSQL server binaries (`initdb`, `pg_ctl`, `postgres`) on this machine and
//! choosing the ones whose major version matches an existing cluster.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tokio::process::Command;

use super::{BIN_DIR_ENV, EmbeddedError};

/// The three programs, from one directory so that they are of one version.
#[derive(Debug, Clone)]
pub(super) struct PgBinaries {
    pub(super) initdb: PathBuf,
    pub(super) pg_ctl: PathBuf,
    pub(super) postgres: PathBuf,
}

/// Where to look for the binaries: only [`BIN_DIR_ENV`] when set; else `PATH`, then the usual
/// package locations, highest version first.
pub(super) fn search_dirs() -> Vec<PathBuf> {
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
pub(super) fn parse_version(text: &str) -> Option<Vec<u32>> {
    text.split('.').map(|part| part.parse().ok()).collect()
}

/// Every directory of `dirs` holding all three programs, in order, without duplicates (a
/// `PATH` entry of symlinks and the directory they point to count once).
pub(super) fn find_binaries(dirs: &[PathBuf]) -> Result<Vec<PgBinaries>, EmbeddedError> {
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
pub(super) async fn choose_binaries(
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
pub(super) fn server_version(output: &str) -> String {
    let text = output.trim();
    text.split_once("(PostgreSQL)")
        .map_or(text, |(_, rest)| rest)
        .split_whitespace()
        .next()
        .unwrap_or(text)
        .to_owned()
}

/// Whether server version `15.18` (or `9.6.24`) serves a cluster whose PG_VERSION is `15` (`9.6`).
pub(super) fn version_matches(server: &str, cluster: &str) -> bool {
    !cluster.is_empty()
        && server
            .strip_prefix(cluster)
            .is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_digit()))
}
