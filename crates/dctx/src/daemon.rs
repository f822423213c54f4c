//! `dctx daemon …`: run, start, stop and report on the per-user daemon.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use dctx_core::client::{shutdown, sibling_dctx, spawn_daemon, Client, OtherBuild, VERSION};
use dctx_core::paths::{current_runtime_dir, ensure_private_dir, socket_path, state_dir};
use dctx_core::protocol::{DaemonStatus, Request, Response};

const READY_TIMEOUT: Duration = Duration::from_secs(3);

fn log_dir() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    state_dir(std::env::var_os("XDG_STATE_HOME"), home.as_deref())
}

fn connect(socket: &Path) -> std::io::Result<Client> {
    Client::connect(socket, Duration::from_millis(500), "dctx")
}

fn daemon_status(socket: &Path) -> std::io::Result<DaemonStatus> {
    match connect(socket)?.call(&Request::Status)? {
        Response::Status(status) => Ok(status),
        other => Err(std::io::Error::other(format!("unexpected reply {other:?}"))),
    }
}

/// One line for `dctx status`: is the daemon serving prompts?
pub fn one_line_status() -> String {
    let socket = socket_path(&current_runtime_dir());
    match Client::connect(&socket, Duration::from_millis(100), "dctx")
        .and_then(|mut c| c.call(&Request::Status))
    {
        Ok(Response::Status(s)) => format!(
            "daemon:      running (pid {}, {} queries served)\n",
            s.pid, s.queries
        ),
        Err(e) if OtherBuild::of(&e).is_some() => {
            format!("daemon:      {e}; prompts resolve directly and replace it\n")
        }
        _ => "daemon:      not running (prompts resolve directly and start it)\n".to_string(),
    }
}

pub fn run(background: bool) -> anyhow::Result<()> {
    if background {
        let dir = log_dir().context("no home directory to keep the daemon log in")?;
        dctx_daemon::log::to_file(&dir)?;
    } else {
        dctx_daemon::log::to_stderr();
    }
    let result = dctx_daemon::lifecycle::run(current_runtime_dir());
    if let (true, Err(e)) = (background, &result) {
        // In the background nobody sees stderr; the log is where to look.
        tracing::error!("{e:#}");
    }
    result
}

pub fn start() -> anyhow::Result<()> {
    let runtime = current_runtime_dir();
    let socket = socket_path(&runtime);
    match daemon_status(&socket) {
        Ok(status) => {
            println!("dctx daemon is already running (pid {})", status.pid);
            return Ok(());
        }
        Err(e) => {
            if let Some(other) = OtherBuild::of(&e) {
                stop_and_wait(&socket, other.pid)?;
                println!(
                    "replaced dctx daemon {} (pid {}) with dctx {VERSION}",
                    other.version, other.pid
                );
            }
        }
    }
    ensure_private_dir(&runtime)?;
    let log = log_dir().map(|d| {
        let _ = ensure_private_dir(&d);
        d.join("daemon.log")
    });
    let mut child =
        spawn_daemon(&sibling_dctx(), log.as_deref()).context("could not start the daemon")?;
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if let Ok(status) = daemon_status(&socket) {
            println!("dctx daemon started (pid {})", status.pid);
            return Ok(());
        }
        // A racing start may have won the lock; its daemon is just as good.
        if let Ok(Some(exit)) = child.try_wait() {
            if !exit.success() && daemon_status(&socket).is_err() && Instant::now() > deadline {
                break;
            }
        }
        if Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.try_wait();
    let hint = log
        .map(|l| format!("; see {}", l.display()))
        .unwrap_or_default();
    bail!(
        "the daemon did not answer on {} within {:?}{hint}",
        socket.display(),
        READY_TIMEOUT
    )
}

pub fn stop() -> anyhow::Result<()> {
    let socket = socket_path(&current_runtime_dir());
    let pid = match daemon_status(&socket) {
        Ok(status) => status.pid,
        Err(e) => match OtherBuild::of(&e) {
            Some(other) => other.pid,
            None if connect(&socket).is_err() => {
                println!("dctx daemon is not running");
                return Ok(());
            }
            None => 0,
        },
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

pub fn status() -> anyhow::Result<ExitCode> {
    let socket = socket_path(&current_runtime_dir());
    let status = match daemon_status(&socket) {
        Ok(status) => status,
        Err(e) if OtherBuild::of(&e).is_some() => {
            println!("{e}; prompts replace it as they ask, `dctx daemon start` does it now");
            return Ok(ExitCode::from(3));
        }
        Err(e) => {
            let why = match e.kind() {
                std::io::ErrorKind::NotFound => "no socket".to_string(),
                std::io::ErrorKind::ConnectionRefused => "a stale socket, nobody listening".into(),
                _ => format!("no answer: {e}"),
            };
            println!("dctx daemon is not running ({why} at {})", socket.display());
            return Ok(ExitCode::from(3));
        }
    };
    let up = status.uptime_secs;
    let mut out = format!(
        "pid:      {}\nversion:  {} (protocol {})\nuptime:   {}h {}m {}s\nsocket:   {}\nqueries:  {}\nshells:   {}\n",
        status.pid,
        status.version,
        status.protocol,
        up / 3600,
        up / 60 % 60,
        up % 60,
        status.socket.display(),
        status.queries,
        status.shells
    );
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
