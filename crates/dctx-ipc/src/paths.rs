//! Where dctx keeps its own runtime files: never in the Docker config dir.
//!
//! Every dir dctx writes in, or trusts a socket in, must belong to the
//! user dctx runs as: the fallback under the shared temp dir is a name any
//! local user can take first, and an inherited `XDG_RUNTIME_DIR` (`sudo -E`,
//! plain `su`) may be someone else's.

use std::ffi::OsString;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The effective uid: whose files these are, and whom a daemon serves.
pub fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// `$XDG_RUNTIME_DIR/dctx` when that is an absolute dir owned by `uid`,
/// else `<tmp>/dctx-<uid>`. `owner` says who owns a path (`None`: no such
/// dir); a runtime dir of another user is never used, or created in.
pub fn runtime_dir(
    xdg_runtime_dir: Option<OsString>,
    tmp: PathBuf,
    uid: u32,
    owner: impl Fn(&Path) -> Option<u32>,
) -> PathBuf {
    match xdg_runtime_dir.filter(|d| !d.is_empty()).map(PathBuf::from) {
        Some(dir) if dir.is_absolute() && owner(&dir) == Some(uid) => dir.join("dctx"),
        _ => tmp.join(format!("dctx-{uid}")),
    }
}

/// The owner of the directory at `path` (followed, as the runtime dir is
/// often a mount point), if it is one.
pub fn dir_owner(path: &Path) -> Option<u32> {
    std::fs::metadata(path)
        .ok()
        .filter(|m| m.is_dir())
        .map(|m| m.uid())
}

pub fn socket_path(runtime_dir: &Path) -> PathBuf {
    runtime_dir.join("dctx.sock")
}

pub fn lock_path(runtime_dir: &Path) -> PathBuf {
    runtime_dir.join("dctx.lock")
}

/// Touched by clients when they start a daemon, so a crashing daemon is not
/// restarted by every prompt.
pub fn spawn_stamp_path(runtime_dir: &Path) -> PathBuf {
    runtime_dir.join("spawned")
}

/// The file the daemon replaces with a new one whenever an answer it gave
/// may have changed (a watched file changed, watches were re-placed, the
/// daemon started); a shell holding a hard link to the old one can tell
/// with `[[ mark -ef link ]]`.
pub fn change_mark_path(runtime_dir: &Path) -> PathBuf {
    runtime_dir.join("changed")
}

/// The files one shell's prompt hook checks instead of asking (see
/// `stamps.rs`).
pub fn shell_stamps_dir(runtime_dir: &Path, shell_pid: u32) -> PathBuf {
    shells_dir(runtime_dir).join(shell_pid.to_string())
}

/// The running probes' process groups, one file each (see `probe.rs`),
/// so a daemon started after a crash can kill what the last one left.
pub fn probe_groups_dir(runtime_dir: &Path) -> PathBuf {
    runtime_dir.join("probes")
}

/// Where the daemon keeps its shell table across restarts.
pub fn shell_table_path(runtime_dir: &Path) -> PathBuf {
    runtime_dir.join("shells.json")
}

pub fn shells_dir(runtime_dir: &Path) -> PathBuf {
    runtime_dir.join("shells")
}

/// `$XDG_STATE_HOME/dctx`, else `~/.local/state/dctx`: the daemon's log.
pub fn state_dir(xdg_state_home: Option<OsString>, home: Option<&Path>) -> Option<PathBuf> {
    let base = xdg_state_home
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .filter(|d| d.is_absolute())
        .or_else(|| home.map(|h| h.join(".local").join("state")))?;
    Some(base.join("dctx"))
}

/// Opens the log at `path` (in a private dir) for appending, creating it
/// mode 0600: never through a symlink, never blocking on a FIFO, and only
/// when it is a regular file of this user's. Every log dctx writes (the
/// daemon's, the guard's audit trail) is opened here.
pub fn open_log(path: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::File::options()
        .append(true)
        .create(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC | libc::O_NOCTTY)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() || meta.uid() != euid() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{} is not a regular file of this user", path.display()),
        ));
    }
    Ok(file)
}

/// Checks, without creating or changing anything, that `dir` is a real
/// directory (not a symlink) owned by this user that nobody else can enter:
/// what a client requires before it trusts a socket or a lock in it.
pub fn check_private_dir(dir: &Path) -> io::Result<()> {
    let meta = std::fs::symlink_metadata(dir)?;
    let uid = euid();
    if !meta.is_dir() || meta.uid() != uid {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "refusing to use {}: it is not a directory owned by uid {uid}",
                dir.display()
            ),
        ));
    }
    if meta.mode() & 0o077 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "refusing to use {}: other users can enter it (mode {:o})",
                dir.display(),
                meta.mode() & 0o7777
            ),
        ));
    }
    Ok(())
}

/// Creates `dir` (mode 0700) if needed and checks that it is a real
/// directory owned by this user that nobody else can enter, tightening the
/// mode if this user owns it. Refuses anything else (a symlink, another
/// user's dir), so another user cannot squat the socket path under the
/// shared temp dir or choose where the log goes.
pub fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    match std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
    {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(io::Error::new(
                e.kind(),
                format!("could not create {}: {e}", dir.display()),
            ))
        }
    }
    let meta = std::fs::symlink_metadata(dir)?;
    if meta.is_dir() && meta.uid() == euid() && meta.mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    check_private_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_dir_is_created_0700_and_tightened() {
        use std::os::unix::fs::PermissionsExt;
        let base = std::env::temp_dir().join(format!("dctx-paths-{}", std::process::id()));
        let dir = base.join("dctx");
        ensure_private_dir(&dir).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        ensure_private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let file = base.join("file");
        std::fs::write(&file, "").unwrap();
        assert!(ensure_private_dir(&file).is_err());
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn runtime_dir_prefers_an_absolute_xdg_runtime_dir_of_the_same_user() {
        let owned_by = |uid| move |_: &Path| Some(uid);
        assert_eq!(
            runtime_dir(Some("/run/user/7".into()), "/tmp".into(), 7, owned_by(7)),
            PathBuf::from("/run/user/7/dctx")
        );
        let fallback = PathBuf::from("/tmp/dctx-7");
        assert_eq!(
            runtime_dir(Some("relative".into()), "/tmp".into(), 7, owned_by(7)),
            fallback
        );
        assert_eq!(runtime_dir(None, "/tmp".into(), 7, owned_by(7)), fallback);
        assert_eq!(
            runtime_dir(
                Some("/run/user/1000".into()),
                "/tmp".into(),
                7,
                owned_by(1000)
            ),
            fallback,
            "root under sudo -E must not create a dir in the user's runtime dir"
        );
        assert_eq!(
            runtime_dir(Some("/run/user/7".into()), "/tmp".into(), 7, |_: &Path| {
                None
            }),
            fallback,
            "a runtime dir that is not there"
        );
    }

    #[test]
    fn a_symlink_or_an_open_dir_is_not_private() {
        let base = tempfile::tempdir().unwrap();
        let real = base.path().join("real");
        ensure_private_dir(&real).unwrap();
        check_private_dir(&real).unwrap();
        let link = base.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(check_private_dir(&link).is_err());
        assert!(ensure_private_dir(&link).is_err(), "never followed");
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(check_private_dir(&real).is_err(), "check changes nothing");
        ensure_private_dir(&real).unwrap();
        check_private_dir(&real).unwrap();
    }
}
