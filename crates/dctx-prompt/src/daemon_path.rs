//! Asking the daemon, with a hard time budget, and starting it when absent.
//!
//! The whole exchange is bounded (connect 10 ms, each reply 15 ms), so a
//! missing, dead or wedged daemon costs a prompt at most ~40 ms before the
//! direct resolution takes over.

use std::os::fd::AsFd;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use dctx_core::Env;
use dctx_ipc::client::{shutdown, Client, ClientError};
use dctx_ipc::lock::DaemonLock;
use dctx_ipc::paths::{ensure_private_dir, lock_path, socket_path, spawn_stamp_path};
use dctx_ipc::protocol::{Caller, Render, Request, Response, Segment};
use dctx_ipc::spawn::{sibling, spawn_daemon};
use dctx_ipc::Vars;

pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(10);
pub const REPLY_TIMEOUT: Duration = Duration::from_millis(15);
/// A daemon that keeps dying is restarted at most this often.
const RESPAWN_INTERVAL: Duration = Duration::from_secs(5);
/// How long a replaced daemon is given to let go of the lock.
const LOCK_RELEASE_WAIT: Duration = Duration::from_millis(15);

/// The shell this prompt is for: our parent unless told otherwise.
pub fn caller(pid: Option<u32>, vars: &Vars) -> Caller {
    let parent = || rustix::process::getppid().map_or(0, |p| p.as_raw_pid() as u32);
    let pid = pid.unwrap_or_else(parent);
    Caller {
        pid,
        tty: tty_name().or_else(|| tty_of(pid)),
        tmux: vars.get("TMUX").map(|t| t.to_string_lossy().into_owned()),
        probe_env: vars.probe_env(),
    }
}

/// The terminal of stdin, else of stderr (stdout is the prompt's pipe).
fn tty_name() -> Option<String> {
    // rustix's ttyname is ttyname_r's: no shared static buffer.
    let name = |fd: std::os::fd::BorrowedFd<'_>| {
        let name = rustix::termios::ttyname(fd, Vec::new()).ok()?;
        Some(name.to_string_lossy().into_owned())
    };
    name(std::io::stdin().as_fd()).or_else(|| name(std::io::stderr().as_fd()))
}

pub fn ask(runtime_dir: &Path, request: &Request) -> Result<Segment, ClientError> {
    let mut client = Client::connect(&socket_path(runtime_dir), CONNECT_TIMEOUT, "dctx-prompt")?;
    client.set_timeout(REPLY_TIMEOUT)?;
    match client.call(request)? {
        Response::Segment(segment) => Ok(segment),
        other => Err(ClientError::Protocol(format!("unexpected reply {other:?}"))),
    }
}

pub fn query(env: &Env, caller: Caller, render: Render) -> Request {
    Request::Query {
        env: env.clone(),
        caller: Some(caller),
        render,
    }
}

/// After asking the daemon failed with `error`: a daemon of another build
/// (left running by an upgrade) is stopped and this build's started in its
/// place; a missing one is started. Neither when the user opted out with
/// `DCTX_NO_AUTOSTART`, as whoever runs the daemon then decides.
pub fn recover(runtime_dir: &Path, error: &ClientError, autostart_off: bool) {
    if autostart_off {
        return;
    }
    if let ClientError::Untrusted(_) = error {
        // Someone else's dir: nothing is started in it.
        return;
    }
    if let ClientError::OtherBuild(_) = error {
        // A reply that misses the budget may still have been obeyed; if
        // not, the lock is still held and nothing is started.
        let _ = shutdown(&socket_path(runtime_dir), REPLY_TIMEOUT);
        let deadline = Instant::now() + LOCK_RELEASE_WAIT;
        while DaemonLock::holder(&lock_path(runtime_dir)).is_some() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    autostart(runtime_dir, false);
}

/// Starts a daemon for next time, unless one is starting or running, one
/// was started moments ago, or the user opted out with `DCTX_NO_AUTOSTART`.
pub fn autostart(runtime_dir: &Path, autostart_off: bool) {
    if autostart_off {
        return;
    }
    if ensure_private_dir(runtime_dir).is_err()
        || DaemonLock::holder(&lock_path(runtime_dir)).is_some()
    {
        return;
    }
    let stamp = spawn_stamp_path(runtime_dir);
    let recent = std::fs::metadata(&stamp)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .is_some_and(|age| age < RESPAWN_INTERVAL);
    if recent || std::fs::write(&stamp, b"").is_err() {
        return;
    }
    if let Ok((mut child, _)) = spawn_daemon(&sibling("dctx"), None, false) {
        // Reaped here, so a long-lived helper leaves no zombie behind; a
        // one-shot prompt exits first and the daemon is reparented.
        std::thread::spawn(move || child.wait());
    }
}

/// The terminal of process `pid`'s stdin, e.g. `/dev/pts/3`: how the helper,
/// whose own stdin is a pipe, learns its shell's tty.
pub fn tty_of(pid: u32) -> Option<String> {
    let target = std::fs::read_link(format!("/proc/{pid}/fd/0")).ok()?;
    let text = target.to_string_lossy().into_owned();
    (text.starts_with("/dev/pts/") || text.starts_with("/dev/tty")).then_some(text)
}
