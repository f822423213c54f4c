//! The daemon under test: `dctx daemon run` as a child, known to be up
//! once it answers a handshake, stopped (SIGTERM, then SIGKILL) on drop.

use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use crate::conn::Conn;
use crate::procfs::signal;

/// A running `dctx daemon run`; stopped on drop.
pub struct Daemon {
    child: Option<Child>,
    pub socket: PathBuf,
}

impl Daemon {
    /// Spawns `cmd` (a `dctx daemon run` of some world) and waits until it
    /// answers on `socket`: an error if it exits first or stays silent for
    /// `limit`.
    pub fn spawn(mut cmd: Command, socket: PathBuf, limit: Duration) -> std::io::Result<Daemon> {
        let child = cmd.spawn()?;
        let mut daemon = Daemon {
            child: Some(child),
            socket,
        };
        let start = Instant::now();
        while Conn::open(&daemon.socket).is_err() {
            let child = daemon.child.as_mut().expect("spawned");
            if let Some(status) = child.try_wait()? {
                daemon.child = None;
                return Err(std::io::Error::other(format!(
                    "the daemon exited before it answered ({status})"
                )));
            }
            if start.elapsed() > limit {
                return Err(std::io::Error::other(format!(
                    "the daemon did not answer within {limit:?}"
                )));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        Ok(daemon)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, |c| c.id())
    }

    /// Waits for the daemon to exit by itself, failing the test after
    /// `limit`; returns its exit status.
    pub fn wait_exit(&mut self, what: &str, limit: Duration) -> ExitStatus {
        let child = self.child.as_mut().expect("a running daemon");
        let mut status = None;
        crate::wait_for(what, limit, || {
            status = child.try_wait().expect("wait");
            status.is_some()
        });
        self.child = None;
        status.expect("exited")
    }

    /// Stops the daemon (SIGSTOP) until the guard is dropped: meanwhile it
    /// can neither answer nor tell anyone of a change.
    pub fn freeze(&self) -> Frozen<'_> {
        // Our own child, not reaped yet: the pid is still the daemon's.
        signal(self.pid(), rustix::process::Signal::STOP);
        Frozen(self)
    }

    /// Kills the daemon with SIGKILL and reaps it, leaving its socket behind.
    pub fn kill9(mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // Our own child, not reaped yet: the pid is still the daemon's.
        signal(child.id(), rustix::process::Signal::TERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// A [`Daemon`] stopped by [`Daemon::freeze`]; continued on drop.
pub struct Frozen<'a>(&'a Daemon);

impl Drop for Frozen<'_> {
    fn drop(&mut self) {
        // As in freeze.
        signal(self.0.pid(), rustix::process::Signal::CONT);
    }
}
