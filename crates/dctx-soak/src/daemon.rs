//! Controlling the daemon under test the way a user does (`dctx daemon
//! start|stop`), killing it the way a crash does, and reading its size.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use dctx_ipc::client::Client;
use dctx_ipc::protocol::{DaemonStatus, Request, Response};
use dctx_testkit::procfs;

use crate::world::World;

/// A daemon's resident memory and open descriptors at one moment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Size {
    pub rss_kib: u64,
    pub fds: usize,
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "RSS {:.1} MiB, {} fds",
            self.rss_kib as f64 / 1024.0,
            self.fds
        )
    }
}

pub fn size(pid: u32) -> Size {
    Size {
        rss_kib: procfs::rss_kib(pid).unwrap_or(0),
        fds: procfs::fd_count(pid),
    }
}

pub fn status(world: &World) -> anyhow::Result<DaemonStatus> {
    let mut client = Client::connect(&world.socket(), Duration::from_secs(2), "dctx-soak")
        .context("could not connect to the daemon")?;
    match client.call(&Request::Status)? {
        Response::Status(status) => Ok(status),
        other => bail!("unexpected reply to status: {other:?}"),
    }
}

/// `dctx daemon start`, which returns once the daemon answers; its pid.
pub fn start(world: &World) -> anyhow::Result<u32> {
    let out = world
        .command(&world.dctx)
        .args(["daemon", "start"])
        .output()
        .with_context(|| format!("could not run {}", world.dctx.display()))?;
    if !out.status.success() {
        bail!(
            "dctx daemon start failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(status(world)?.pid)
}

/// `dctx daemon stop`, which must end the daemon and remove its socket.
pub fn stop(world: &World) -> anyhow::Result<()> {
    let out = world
        .command(&world.dctx)
        .args(["daemon", "stop"])
        .output()
        .with_context(|| format!("could not run {}", world.dctx.display()))?;
    if !out.status.success() {
        bail!(
            "dctx daemon stop failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    if world.socket().exists() {
        bail!("dctx daemon stop left {} behind", world.socket().display());
    }
    Ok(())
}

/// SIGKILL, then waits until the process is gone (or a zombie nobody reaps).
pub fn kill9(pid: u32) -> anyhow::Result<()> {
    if !procfs::signal(pid, rustix::process::Signal::KILL) {
        bail!("could not kill the daemon (pid {pid})");
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // The state follows the parenthesised command name.
        let gone = state
            .rsplit_once(')')
            .is_none_or(|(_, rest)| rest.trim_start().starts_with('Z'));
        if gone {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the daemon (pid {pid}) survived SIGKILL for 5s");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}
