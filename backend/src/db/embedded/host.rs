//! The machine around the embedded PostgreSQL: where its programs are,
//! and, as root, the unprivileged `postgres` user they run as — its ids, the
//! folders it must be able to enter, and the files it must own.

use super::EmbeddedError;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The folder holding initdb, pg_ctl and postgres.
pub fn find_binaries(explicit: Option<&Path>) -> Option<PathBuf> {
    let has_all = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|p| dir.join(p).is_file())
    };
    if let Some(dir) = explicit {
        return has_all(dir).then(|| dir.to_path_buf());
    }
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, dir)| has_all(dir))
        .collect();
    versioned.sort();
    if let Some((_, dir)) = versioned.pop() {
        return Some(dir);
    }
    std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|dir| has_all(dir))
}

pub(super) fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// uid and gid of the `postgres` system user, from /etc/passwd.
pub(super) fn unprivileged_user() -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.len() > 3 && fields[0] == "postgres")
            .then(|| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
            .flatten()
    })
}

pub(super) fn prepare_dir(dir: &Path) -> Result<PathBuf, EmbeddedError> {
    let err = |source| EmbeddedError::DataDir {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(err)?;
    dir.canonicalize().map_err(err)
}

/// Every folder from `/` down to `dir` must be enterable by `user`, or
/// PostgreSQL fails later with a far less helpful message.
pub(super) fn ensure_reachable(dir: &Path, (uid, gid): (u32, u32)) -> Result<(), EmbeddedError> {
    use std::os::unix::fs::MetadataExt;
    for ancestor in dir.ancestors() {
        let meta = std::fs::metadata(ancestor).map_err(io_err(ancestor))?;
        let mode = meta.mode();
        let can_enter = if meta.uid() == uid {
            mode & 0o100 != 0
        } else if meta.gid() == gid {
            mode & 0o010 != 0
        } else {
            mode & 0o001 != 0
        };
        if !can_enter {
            return Err(EmbeddedError::Unreachable {
                path: ancestor.to_path_buf(),
            });
        }
    }
    Ok(())
}

pub(super) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> EmbeddedError + '_ {
    move |source| EmbeddedError::DataDir {
        path: path.to_path_buf(),
        source,
    }
}

pub(super) fn chown(path: &Path, run_as: Option<(u32, u32)>) -> Result<(), EmbeddedError> {
    if let Some((uid, gid)) = run_as {
        std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(io_err(path))?;
    }
    Ok(())
}

pub(super) fn write_private(
    path: &Path,
    text: &str,
    run_as: Option<(u32, u32)>,
) -> Result<(), EmbeddedError> {
    std::fs::write(path, text).map_err(io_err(path))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io_err(path))?;
    chown(path, run_as)
}
