//! The per-user daemon lock, both sides of it: the daemon that holds it
//! ([`DaemonLock::acquire`]) and the clients that only look at it
//! ([`DaemonLock::holder`]).
//!
//! The protocol: the daemon takes an exclusive `flock` on
//! `<runtime dir>/dctx.lock` (made 0600, never through a symlink) and holds
//! it for its lifetime, then writes its pid into the file. Racing starts
//! end with exactly one daemon: the losers find the lock taken and exit
//! with [`ALREADY_RUNNING_EXIT`]. Clients never lock the file, not even
//! for an instant (a client holding a shared lock while a daemon starts
//! would make that daemon believe another one runs): they read the pid
//! and check that it is a live `dctx daemon run`.

use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::path::Path;
use std::time::Duration;

/// The exit status of a `dctx daemon run` that found the lock taken by
/// another daemon. `dctx daemon start` reads it from the child it started:
/// a racing start won, and its daemon is just as good.
pub const ALREADY_RUNNING_EXIT: u8 = 75;

/// How many times a busy lock is tried before it counts as another
/// daemon's, and how long apart: 100 ms in all. Clients take no lock, so
/// the holder is a daemon; the one case where waiting helps is a daemon of
/// another build that a prompt just asked to shut down (after an upgrade,
/// `dctx_prompt`'s `recover`) and that is still exiting when the prompt
/// starts this build's (`tests/integration/daemon.rs`,
/// `a_daemon_of_another_build_is_replaced_by_the_next_prompt`).
const TRIES: u32 = 50;
const TRY_INTERVAL: Duration = Duration::from_millis(2);

/// Why the lock could not be taken; `dctx daemon run` branches on it (the
/// exit status), the rest only say it.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another daemon holds it: the pid it wrote there, when it had.
    #[error("another dctx daemon is already running{}", pid.map(|p| format!(" (pid {p})")).unwrap_or_default())]
    AlreadyRunning { pid: Option<u32> },
    /// The file could not be opened, locked or written.
    /// The OS error is its source: shown with the chain (`{:#}`), once.
    #[error("could not {what} {path}")]
    Io {
        what: &'static str,
        path: String,
        source: io::Error,
    },
}

/// The lock, held for as long as this value lives.
#[derive(Debug)]
pub struct DaemonLock {
    file: File,
}

impl DaemonLock {
    /// Takes the lock at `path` (see [`crate::paths::lock_path`]) and
    /// writes this process's pid in it, or says which daemon holds it.
    pub fn acquire(path: &Path) -> Result<DaemonLock, LockError> {
        use std::os::unix::fs::OpenOptionsExt;
        let io = |what| {
            move |source| LockError::Io {
                what,
                path: path.display().to_string(),
                source,
            }
        };
        let mut file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(path)
            .map_err(io("open"))?;
        let mut tries = 0;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if tries < TRIES => {
                    tries += 1;
                    std::thread::sleep(TRY_INTERVAL);
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    let mut pid = String::new();
                    let _ = file.read_to_string(&mut pid);
                    return Err(LockError::AlreadyRunning {
                        pid: pid.trim().parse().ok(),
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(io("lock")(e)),
            }
        }
        let write = |file: &mut File| {
            file.set_len(0)?;
            file.rewind()?;
            write!(file, "{}", std::process::id())
        };
        write(&mut file).map_err(io("write"))?;
        Ok(DaemonLock { file })
    }

    /// The file this daemon holds (device and inode): removing or
    /// replacing it lets another daemon lock a new one, so a daemon whose
    /// file changed is no longer the one clients find.
    pub fn inode(&self) -> Option<(u64, u64)> {
        use std::os::unix::fs::MetadataExt;
        let m = self.file.metadata().ok()?;
        Some((m.dev(), m.ino()))
    }

    /// The pid of the daemon holding the lock at `path` (running or
    /// starting), judged by the pid it wrote there and without taking the
    /// lock (see the module's doc). The file is read like Docker's
    /// (non-blocking, regular files only, bounded): a FIFO planted there
    /// must not hang a prompt.
    pub fn holder(path: &Path) -> Option<u32> {
        use dctx_core::FileSystem;
        let text = dctx_core::RealFs.read(path).ok()?;
        let pid = std::str::from_utf8(&text)
            .ok()?
            .trim()
            .parse::<u32>()
            .ok()?;
        // A pid outlives its process: it must still be a dctx daemon.
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let mut args = cmdline.split(|&b| b == 0);
        let daemon = args.any(|a| a == b"daemon") && args.any(|a| a == b"run");
        (crate::process::alive(pid) && daemon).then_some(pid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_lock_names_its_holder_and_a_free_one_is_taken_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dctx.lock");
        let held = DaemonLock::acquire(&path).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            std::process::id().to_string()
        );
        // flock locks belong to an open file: a second open is another holder.
        match DaemonLock::acquire(&path) {
            Err(LockError::AlreadyRunning { pid }) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("{other:?}"),
        }
        drop(held);
        DaemonLock::acquire(&path).expect("free once dropped");
    }

    #[test]
    fn a_lock_through_a_symlink_is_an_error_not_a_daemon() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dctx.lock");
        std::os::unix::fs::symlink(dir.path().join("elsewhere"), &path).unwrap();
        assert!(matches!(
            DaemonLock::acquire(&path),
            Err(LockError::Io { what: "open", .. })
        ));
    }

    #[test]
    fn an_io_error_names_its_cause_once() {
        // Shown with its chain (`{:#}`: the daemon's log, its readiness
        // line, `dctx daemon start`), the OS error must not read twice.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dctx.lock");
        std::fs::create_dir(&path).unwrap();
        let err = DaemonLock::acquire(&path).unwrap_err();
        let cause = std::error::Error::source(&err)
            .expect("an I/O error keeps its cause")
            .to_string();
        let mut chain = err.to_string();
        let mut next = std::error::Error::source(&err);
        while let Some(e) = next {
            chain = format!("{chain}: {e}");
            next = e.source();
        }
        assert_eq!(chain.matches(&cause).count(), 1, "{chain}");
        assert!(chain.contains(&path.display().to_string()), "{chain}");
    }

    #[test]
    fn the_holder_must_be_a_live_dctx_daemon() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dctx.lock");
        assert_eq!(DaemonLock::holder(&path), None, "no file");
        // A process whose command line is `… daemon run`, as dctx's is.
        let mut daemon = std::process::Command::new("sh")
            .args(["-c", "echo up; read -r _", "sh", "daemon", "run"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Until it has exec'd sh, the child's command line is this test's.
        let mut up = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(daemon.stdout.as_mut().unwrap()),
            &mut up,
        )
        .unwrap();
        assert_eq!(up, "up\n");
        std::fs::write(&path, format!("{}\n", daemon.id())).unwrap();
        assert_eq!(DaemonLock::holder(&path), Some(daemon.id()));
        // This test process is alive but no daemon.
        std::fs::write(&path, std::process::id().to_string()).unwrap();
        assert_eq!(DaemonLock::holder(&path), None);
        drop(daemon.stdin.take());
        daemon.wait().unwrap();
        std::fs::write(&path, daemon.id().to_string()).unwrap();
        assert_eq!(DaemonLock::holder(&path), None, "gone");
        std::fs::remove_file(&path).unwrap();
        let status = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(status.success());
        assert_eq!(
            DaemonLock::holder(&path),
            None,
            "a FIFO neither hangs nor counts"
        );
    }
}
