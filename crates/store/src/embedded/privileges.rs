//! Running PostgreSQL, which refuses to run as root, as an unprivileged account when this
//! process is root: which account ([`RunAs`]), how the effective uid and `/etc/passwd` are read,
//! and handing directories over to the account and checking that it can reach them.

use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use tokio::process::Command;

use super::EmbeddedError;

/// The account PostgreSQL runs as when this process is root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RunAs {
    pub(super) name: String,
    pub(super) uid: u32,
    pub(super) gid: u32,
}

/// `None` when not root; else the owner of an existing cluster (postgres insists on running as
/// its data directory's owner), else `postgres`, else `nobody`.
pub(super) async fn run_as_for(pgdata: &Path) -> Result<Option<RunAs>, EmbeddedError> {
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
pub(super) fn euid_from_proc_status(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

pub(super) fn passwd_entries(passwd: &str) -> impl Iterator<Item = RunAs> + '_ {
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

pub(super) fn chown(path: &Path, user: &RunAs) -> Result<(), EmbeddedError> {
    std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid)).map_err(EmbeddedError::io(
        format!("handing {} over to user {}", path.display(), user.name),
    ))
}

/// Checks that `user` may enter `dir` and each directory above it (postgres resolves absolute
/// paths). Only mode bits are consulted; the child process has no supplementary groups.
pub(super) fn check_traversable(dir: &Path, user: &RunAs) -> Result<(), EmbeddedError> {
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
