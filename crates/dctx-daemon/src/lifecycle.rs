//! Starting and stopping the one daemon per user: the private runtime dir,
//! the lock that makes racing starts end with exactly one daemon (its
//! protocol is `dctx_ipc::lock`'s), stale socket recovery, systemd socket
//! activation, and signal handling.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context as _};
use dctx_core::fs::FileId;
use dctx_ipc::build_id::{BUILD_ID, VERSION};
use dctx_ipc::lock::DaemonLock;
use dctx_ipc::paths::{change_mark_path, ensure_private_dir, lock_path, socket_path};
use dctx_ipc::spawn::READY_LINE;
use dctx_ipc::Vars;
use tokio::signal::unix::{signal, SignalKind};
use tracing::{info, warn};

use crate::listener::Listener;
use crate::server::{serve, Shared};
use crate::state::State;

/// Removes a socket file nobody listens on (connection refused). A live
/// listener's socket is left alone.
pub fn remove_stale_socket(socket: &Path) -> anyhow::Result<()> {
    match std::os::unix::net::UnixStream::connect(socket) {
        Ok(_) => bail!(
            "a daemon without the lock is serving {}; stop it first",
            socket.display()
        ),
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
            warn!(socket = %socket.display(), "removing a stale socket left by a daemon that died");
            std::fs::remove_file(socket)
                .with_context(|| format!("could not remove {}", socket.display()))
        }
        Err(_) => {
            // Not a socket or not there: only ever remove a socket file.
            if std::fs::symlink_metadata(socket).is_ok_and(|m| {
                use std::os::unix::fs::FileTypeExt;
                m.file_type().is_socket()
            }) {
                std::fs::remove_file(socket)?;
            }
            Ok(())
        }
    }
}

/// The listening socket systemd passed us (`LISTEN_FDS`), if any.
fn activated_fd(vars: &Vars) -> anyhow::Result<Option<OwnedFd>> {
    let number = |k: &str| vars.get(k)?.to_str()?.parse::<u32>().ok();
    // LISTEN_PID is what tells the processes the daemon runs (which inherit
    // the variables, not the socket: it is close-on-exec) that it is not
    // theirs.
    let for_us = number("LISTEN_PID") == Some(std::process::id());
    if !for_us || number("LISTEN_FDS").unwrap_or(0) == 0 {
        return Ok(None);
    }
    // Adopting an fd that is not open would abort on close, so check first
    // (through /proc, which stats the descriptor itself).
    use std::os::unix::fs::FileTypeExt;
    let is_socket = std::fs::metadata("/proc/self/fd/3").is_ok_and(|m| m.file_type().is_socket());
    if !is_socket {
        bail!("LISTEN_FDS is set but fd 3 is not a socket");
    }
    // SAFETY: systemd passes the listening socket as fd 3 (SD_LISTEN_FDS_START),
    // it is open (checked above), and this process owns it from here on.
    Ok(Some(unsafe { OwnedFd::from_raw_fd(3) }))
}

/// Wraps an inherited listening socket; needs the runtime's reactor.
fn adopt(fd: OwnedFd) -> anyhow::Result<Listener> {
    Listener::adopt(fd).context("could not use the socket passed by systemd")
}

pub(crate) fn bind(socket: &Path) -> anyhow::Result<Listener> {
    Listener::bind(socket).with_context(|| format!("could not listen on {}", socket.display()))
}

/// Runs the daemon in this process until SIGTERM, SIGINT, a Shutdown
/// request, or until its socket, lock or runtime dir is removed (logind
/// removes the runtime dir at logout, tmp cleaners delete old files): a
/// daemon nobody can reach must not keep the lock.
///
/// `ready`, from whoever started it, gets [`READY_LINE`] once it serves,
/// or the reason it could not start.
pub fn run(runtime_dir: PathBuf, ready: Option<File>, vars: &Vars) -> anyhow::Result<()> {
    let mut ready = ready;
    let result = serve_until_stopped(&runtime_dir, &mut ready, vars);
    if let (Some(mut pipe), Err(e)) = (ready, &result) {
        let _ = writeln!(pipe, "error: {e:#}");
    }
    result
}

fn serve_until_stopped(
    runtime_dir: &Path,
    ready: &mut Option<File>,
    vars: &Vars,
) -> anyhow::Result<()> {
    ensure_private_dir(runtime_dir)?;
    // Typed: `dctx daemon run` exits with `lock::ALREADY_RUNNING_EXIT`
    // when another daemon holds it.
    let lock = DaemonLock::acquire(&lock_path(runtime_dir))?;
    // A daemon killed before it could stop its probes left them running:
    // only the lock holder may judge and kill them.
    let probe_records = dctx_ipc::paths::probe_groups_dir(runtime_dir);
    let killed = dctx_ipc::probe::kill_leftovers(&probe_records);
    if killed > 0 {
        warn!(killed, "killed probes a previous daemon left running");
    }
    let socket = socket_path(runtime_dir);
    // Every shell's helper keeps a connection.
    dctx_ipc::process::raise_fd_limit();
    let activated = activated_fd(vars)?;
    // Two workers: measured faster than a current-thread runtime on 2 cores
    // (see the benchmark), and one slow client never stalls the others.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("dctx-daemon")
        .build()
        .context("could not start the async runtime")?;
    runtime.block_on(async {
        let bound_here = activated.is_none();
        let listener = match activated {
            Some(fd) => {
                info!("using the socket passed by systemd");
                adopt(fd)?
            }
            None => {
                remove_stale_socket(&socket)?;
                bind(&socket)?
            }
        };
        // What must stay in place for clients to reach this daemon: the
        // lock always, the socket when this daemon made it.
        let inode = |path: &Path| FileId::of(path).map(|id| id.inode());
        let mut kept = vec![(lock_path(runtime_dir), lock.inode())];
        if let Some(id) = inode(&socket).filter(|_| bound_here) {
            kept.push((socket.clone(), Some(id)));
        }
        let (gone_tx, mut gone_rx) = tokio::sync::mpsc::unbounded_channel();
        let _guard = watch_runtime_dir(runtime_dir, gone_tx);
        let (watch_tx, watch_rx) = tokio::sync::mpsc::unbounded_channel();
        let (redraw_tx, redraw_rx) = tokio::sync::mpsc::unbounded_channel();
        let mark = crate::change_mark::ChangeMark::create(&change_mark_path(runtime_dir));
        let (exits_tx, exits_rx) = tokio::sync::mpsc::unbounded_channel();
        let (saves_tx, saves_rx) = tokio::sync::mpsc::unbounded_channel();
        let table_path = dctx_ipc::paths::shell_table_path(runtime_dir);
        // The one real file system: everything below reads through it.
        let fs: crate::Fs = Arc::new(dctx_core::RealFs);
        let table = crate::shells::load(&*fs, &table_path);
        let known = table.len();
        let state = Arc::new(
            State::new(fs, watch_tx, Some(redraw_tx), mark)
                .with_state_dir(vars.state_dir())
                .with_shells(table, exits_tx, saves_tx),
        );
        tokio::spawn(crate::shells::watch_exits(state.clone(), exits_rx));
        tokio::spawn(crate::shells::keep_saved(state.clone(), table_path, saves_rx));
        if known > 0 {
            info!(shells = known, "shells known before a restart");
            // Bars drawn while no daemon ran showed tmux's own view.
            state.request_redraw();
        }
        tokio::spawn(crate::watch::run(state.clone(), watch_rx));
        tokio::spawn(crate::probe::run(state.clone(), Some(probe_records)));
        tokio::spawn(crate::tmux::run(state.clone(), redraw_rx));
        let uid = dctx_ipc::paths::euid();
        let shared = Arc::new(Shared::new(state, uid, socket.clone()));
        info!(socket = %socket.display(), pid = std::process::id(), version = VERSION, build = BUILD_ID, "dctx daemon ready");
        if let Some(mut pipe) = ready.take() {
            let _ = writeln!(pipe, "{READY_LINE}");
        }
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        let serving = serve(listener, shared.clone());
        tokio::pin!(serving);
        loop {
            tokio::select! {
                () = &mut serving => break,
                _ = term.recv() => { info!("SIGTERM: shutting down"); break }
                _ = int.recv() => { info!("SIGINT: shutting down"); break }
                Some(()) = gone_rx.recv() => {
                    if let Some((path, _)) = kept.iter().find(|(path, id)| inode(path) != *id) {
                        warn!(path = %path.display(), "removed or replaced: nobody can reach this daemon any more; exiting");
                        break;
                    }
                }
            }
        }
        // Dropping the listener (reclaim_name) removes the socket file.
        anyhow::Ok(())
    })?;
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    // Probes still running: their docker and ssh go with the daemon.
    crate::probe::kill_all();
    Ok(())
}

/// Sends on `tx` whenever something in the runtime dir, or the dir itself,
/// changes; the caller checks whether the lock and socket are still there.
/// `None` (no watch) when inotify is unavailable: the daemon then lives as
/// before, until it is stopped.
fn watch_runtime_dir(
    dir: &Path,
    tx: tokio::sync::mpsc::UnboundedSender<()>,
) -> Option<notify::RecommendedWatcher> {
    use notify::Watcher;
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let relevant = match &event {
            Ok(e) => !matches!(e.kind, notify::EventKind::Access(_)),
            Err(_) => true,
        };
        if relevant {
            let _ = tx.send(());
        }
    })
    .map_err(|e| warn!(error = %e, "cannot watch the runtime dir; the daemon will not notice it removed"))
    .ok()?;
    watcher
        .watch(dir, notify::RecursiveMode::NonRecursive)
        .map_err(|e| warn!(error = %e, "cannot watch the runtime dir; the daemon will not notice it removed"))
        .ok()?;
    Some(watcher)
}
