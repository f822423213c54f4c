//! `dctx daemon …`: run, start, stop and report on the per-user daemon.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use dctx_ipc::build_id::{BUILD_ID, VERSION};
use dctx_ipc::client::{shutdown, Client, ClientError};
use dctx_ipc::lock::{LockError, ALREADY_RUNNING_EXIT};
use dctx_ipc::paths::{ensure_private_dir, socket_path};
use dctx_ipc::protocol::{DaemonStatus, Request, Response};
use dctx_ipc::spawn::{sibling, spawn_daemon, READY_FD_VAR, READY_LINE};
use dctx_ipc::Vars;

const READY_TIMEOUT: Duration = Duration::from_secs(3);

fn connect(socket: &Path) -> Result<Client, ClientError> {
    Client::connect(socket, Duration::from_millis(500), "dctx")
}

fn daemon_status(socket: &Path) -> Result<DaemonStatus, ClientError> {
    match connect(socket)?.call(&Request::Status)? {
        Response::Status(status) => Ok(status),
        other => Err(ClientError::Protocol(format!("unexpected reply {other:?}"))),
    }
}

/// One line for `dctx status`: is the daemon serving prompts?
pub fn one_line_status(vars: &Vars) -> String {
    let socket = socket_path(&vars.runtime_dir());
    match Client::connect(&socket, Duration::from_millis(100), "dctx")
        .and_then(|mut c| c.call(&Request::Status))
    {
        Ok(Response::Status(s)) => format!(
            "daemon:      running (pid {}, {} queries served)\n",
            s.pid, s.queries
        ),
        Err(e @ ClientError::OtherBuild(_)) => {
            format!("daemon:      {e}; prompts resolve directly and replace it\n")
        }
        Err(e @ ClientError::Untrusted(_)) => {
            format!("daemon:      not used: {e}; prompts resolve directly\n")
        }
        _ => "daemon:      not running (prompts resolve directly and start it)\n".to_string(),
    }
}

/// The descriptor `dctx daemon start` passed for the readiness report
/// (see `spawn_daemon`), if it is a pipe. What the daemon runs (tmux)
/// inherits the variable but not the descriptor, which is close-on-exec.
fn take_ready_pipe(vars: &Vars) -> Option<std::fs::File> {
    use std::os::fd::FromRawFd;
    let fd: i32 = vars.get(READY_FD_VAR)?.to_str()?.parse().ok()?;
    // Through /proc, which stats the descriptor itself; a closed one fails.
    use std::os::unix::fs::FileTypeExt;
    let is_pipe = fd > 2
        && std::fs::metadata(format!("/proc/self/fd/{fd}")).is_ok_and(|m| m.file_type().is_fifo());
    // SAFETY: the starter handed this pipe to us alone.
    is_pipe.then(|| unsafe { std::fs::File::from_raw_fd(fd) })
}

/// Runs the daemon here until it is stopped. Another daemon holding the
/// lock is said on stderr and is exit status [`ALREADY_RUNNING_EXIT`]:
/// `dctx daemon start` tells a lost race from a failure by it.
pub fn run(vars: &Vars, background: bool) -> anyhow::Result<ExitCode> {
    let ready = take_ready_pipe(vars);
    let level = vars.get("DCTX_LOG").and_then(|l| l.to_str());
    if background {
        // A log dir that is not private to this user (a symlink, someone
        // else's) is not written to; the daemon runs without a log.
        let logged = vars
            .state_dir()
            .map(|dir| dctx_daemon::log::to_file(&dir, level));
        if !matches!(logged, Some(Ok(()))) {
            dctx_daemon::log::to_stderr(level);
        }
    } else {
        dctx_daemon::log::to_stderr(level);
    }
    let result = dctx_daemon::lifecycle::run(vars.runtime_dir(), ready, vars);
    if let (true, Err(e)) = (background, &result) {
        // In the background nobody sees stderr; the log is where to look.
        tracing::error!("{e:#}");
    }
    match result {
        Err(e) if matches!(e.downcast_ref(), Some(LockError::AlreadyRunning { .. })) => {
            eprintln!("dctx: {e:#}");
            Ok(ExitCode::from(ALREADY_RUNNING_EXIT))
        }
        other => other.map(|()| ExitCode::SUCCESS),
    }
}

/// Waits at most `timeout` for the daemon's one-line readiness report;
/// `None` when it closed the pipe without one (it died) or never wrote.
fn read_ready(pipe: std::fs::File, timeout: Duration) -> Option<String> {
    use std::io::Read;
    let deadline = Instant::now() + timeout;
    let mut text = Vec::new();
    let mut pipe = pipe;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut fds = [rustix::event::PollFd::new(
            &pipe,
            rustix::event::PollFlags::IN,
        )];
        let timeout = rustix::event::Timespec::try_from(left).ok();
        match rustix::event::poll(&mut fds, Some(&timeout?)) {
            Err(rustix::io::Errno::INTR) => continue,
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        let mut buf = [0; 512];
        match pipe.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(k) => text.extend_from_slice(&buf[..k]),
        }
        if text.contains(&b'\n') {
            break;
        }
    }
    let text = String::from_utf8_lossy(&text).trim().to_string();
    (!text.is_empty()).then_some(text)
}

pub fn start(vars: &Vars) -> anyhow::Result<()> {
    let runtime = vars.runtime_dir();
    let socket = socket_path(&runtime);
    match daemon_status(&socket) {
        Ok(status) => {
            println!("dctx daemon is already running (pid {})", status.pid);
            return Ok(());
        }
        Err(ClientError::OtherBuild(other)) => {
            stop_and_wait(&socket, other.pid)?;
            println!(
                "replaced dctx daemon {} (pid {}) with dctx {VERSION} build {BUILD_ID}",
                other.version, other.pid
            );
        }
        Err(_) => {}
    }
    ensure_private_dir(&runtime)?;
    let log_dir = vars.state_dir();
    let log = match log_dir.map(|d| ensure_private_dir(&d).map(|()| d.join("daemon.log"))) {
        Some(Ok(log)) => Some(log),
        Some(Err(e)) => {
            eprintln!("dctx: warning: the daemon runs without a log: {e}");
            None
        }
        None => None,
    };
    let (mut child, pipe) = spawn_daemon(&sibling("dctx"), log.as_deref(), true)
        .context("could not start the daemon")?;
    let report = pipe.and_then(|p| read_ready(p, READY_TIMEOUT));
    let hint = log
        .map(|l| format!("; see {}", l.display()))
        .unwrap_or_default();
    match report.as_deref() {
        Some(READY_LINE) => {
            println!("dctx daemon started (pid {})", child.id());
            Ok(())
        }
        Some(error) => {
            let lost_race = child
                .wait()
                .is_ok_and(|s| s.code() == Some(ALREADY_RUNNING_EXIT.into()));
            let why = error.strip_prefix("error: ").unwrap_or(error);
            // A racing start won the lock; its daemon is just as good, once
            // it serves (it reports that to its own starter, not to us).
            if lost_race {
                let deadline = Instant::now() + READY_TIMEOUT;
                while Instant::now() < deadline {
                    if let Ok(status) = daemon_status(&socket) {
                        println!("dctx daemon is already running (pid {})", status.pid);
                        return Ok(());
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
            bail!("the daemon could not start: {why}")
        }
        None => {
            let _ = child.try_wait();
            bail!(
                "the daemon did not report ready on {} within {READY_TIMEOUT:?}{hint}",
                socket.display()
            )
        }
    }
}

pub fn stop(vars: &Vars) -> anyhow::Result<()> {
    let socket = socket_path(&vars.runtime_dir());
    let pid = match daemon_status(&socket) {
        Ok(status) => status.pid,
        Err(ClientError::OtherBuild(other)) => other.pid,
        Err(_) if connect(&socket).is_err() => {
            println!("dctx daemon is not running");
            return Ok(());
        }
        Err(_) => 0,
    };
    stop_and_wait(&socket, pid)?;
    println!("dctx daemon stopped (pid {pid})");
    Ok(())
}

/// Asks the daemon on `socket` (of any build) to exit and waits until
/// nothing answers there any more.
fn stop_and_wait(socket: &Path, pid: u32) -> anyhow::Result<()> {
    shutdown(socket, Duration::from_millis(500))
        .with_context(|| format!("could not ask the daemon (pid {pid}) to stop"))?;
    let deadline = Instant::now() + READY_TIMEOUT;
    while connect(socket).is_ok() {
        if Instant::now() > deadline {
            bail!("the daemon (pid {pid}) did not stop within {READY_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}

pub fn status(vars: &Vars) -> anyhow::Result<ExitCode> {
    let socket = socket_path(&vars.runtime_dir());
    let status = match daemon_status(&socket) {
        Ok(status) => status,
        Err(e @ ClientError::OtherBuild(_)) => {
            println!("{e}; prompts replace it as they ask, `dctx daemon start` does it now");
            return Ok(ExitCode::from(3));
        }
        Err(e) => {
            let why = match &e {
                ClientError::Io(io) if io.kind() == std::io::ErrorKind::NotFound => {
                    "no socket".to_string()
                }
                ClientError::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
                    "a stale socket, nobody listening".into()
                }
                ClientError::Untrusted(why) => why.clone(),
                _ => format!("no answer: {e}"),
            };
            println!("dctx daemon is not running ({why} at {})", socket.display());
            return Ok(ExitCode::from(3));
        }
    };
    let up = status.uptime_secs;
    let mut out = format!(
        "pid:      {}\nversion:  {} build {} (protocol {})\nuptime:   {}h {}m {}s\nsocket:   {}\nqueries:  {}\nshells:   {}\n",
        status.pid,
        status.version,
        status.build,
        status.protocol,
        up / 3600,
        up / 60 % 60,
        up % 60,
        status.socket.display(),
        status.queries,
        status.shells
    );
    out.push_str(&format!(
        "probes:   {} run, {} running\n",
        status.probes, status.probes_running
    ));
    if status.watched.is_empty() {
        out.push_str("watching: nothing yet (no queries)\n");
    }
    for w in &status.watched {
        out.push_str(&format!("watching: {} ({})\n", w.dir.display(), w.mode));
    }
    std::io::stdout()
        .lock()
        .write_all(out.as_bytes())
        .context("could not write to stdout")?;
    Ok(ExitCode::SUCCESS)
}
