//! Which environment each shell last prompted with, by pid and by tty, so
//! tmux (which cannot see a pane's environment) can ask "what does the shell
//! on /dev/pts/7 see?".
//!
//! A shell is its pid *and* its start time (`/proc/PID/stat` field 22): a
//! pid reused by another process is never taken for the shell. The daemon
//! learns at once when a shell exits (a pidfd per shell, [`watch_exits`]),
//! so a pane whose nested shell ended names the shell beneath it and tmux
//! redraws; and the table is kept in the private runtime dir
//! ([`ShellTable::save`], [`ShellTable::load`]), so a restarted daemon
//! still knows each pane's shell.

use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dctx_core::Env;
use dctx_ipc::process::{alive, start_time};
use dctx_ipc::protocol::Caller;
use dctx_ipc::vars::ProbeEnv;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::UnboundedReceiver;

/// An environment larger than this is answered but neither cached nor
/// remembered for its shell.
pub const MAX_ENV_BYTES: usize = 8 * 1024;

/// What the shells' tasks ([`watch_exits`], [`keep_saved`]) tell and ask:
/// the daemon's state, behind a trait so that this module does not depend
/// on it.
pub trait ShellEvents: Send + Sync + 'static {
    /// The shell `pid`, started at `started`, exited.
    fn shell_exited(&self, pid: u32, started: u64);
    /// The shell table as its file holds it.
    fn shell_table_bytes(&self) -> Vec<u8>;
    /// Something a status bar shows may have changed.
    fn request_redraw(&self);
}

/// More shells than one person plausibly has open; past it, dead shells
/// are swept and then the least recently seen dropped.
pub const MAX_SHELLS: usize = 4096;

/// What one shell uses: its environment, its probe environment and its
/// settings file.
pub type InUse = (Env, ProbeEnv, Option<PathBuf>);

#[derive(Debug, Clone)]
struct Shell {
    /// When the process started; `None` if /proc could not say (then the
    /// pid alone is checked).
    started: Option<u64>,
    env: Env,
    probe_env: ProbeEnv,
    /// The settings file its prompt uses (`DCTX_CONFIG` or the default).
    settings: Option<PathBuf>,
    tty: Option<String>,
    tmux: Option<String>,
    seen: Instant,
}

#[derive(Debug, Default)]
pub struct ShellTable {
    by_pid: HashMap<u32, Shell>,
    by_tty: HashMap<String, u32>,
    /// When exited shells were last looked for (one syscall per shell).
    checked: Option<Instant>,
}

/// How often `live` looks for exited shells: a client asking for the daemon's
/// status in a loop must not hold the state lock for a syscall per shell
/// on every request.
const LIVE_CHECK_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

impl ShellTable {
    pub fn len(&self) -> usize {
        self.by_pid.len()
    }

    /// How many recorded shells are still running, forgetting the rest;
    /// at most [`LIVE_CHECK_INTERVAL`] out of date.
    pub fn live(&mut self) -> usize {
        if self
            .checked
            .is_some_and(|t| t.elapsed() < LIVE_CHECK_INTERVAL)
        {
            return self.by_pid.len();
        }
        self.checked = Some(Instant::now());
        let dead: Vec<u32> = self
            .by_pid
            .iter()
            .filter(|(&p, s)| !running(p, s.started))
            .map(|(&p, _)| p)
            .collect();
        for pid in dead {
            self.forget(pid);
        }
        self.by_pid.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_pid.is_empty()
    }

    /// Remembers `env` for the caller; returns true when this changed what
    /// the shell (or its tty) shows, which is when a status bar should redraw.
    pub fn record(&mut self, caller: &Caller, env: &Env, settings: Option<&Path>) -> bool {
        // No real shell's DOCKER_* variables come near this: a client that
        // sends such is answered, but not remembered.
        if caller.pid == 0
            || env.byte_size() > MAX_ENV_BYTES
            || caller.probe_env.byte_size() > MAX_ENV_BYTES
        {
            return false;
        }
        let started = start_time(caller.pid);
        // The same pid under another start time is another process: the
        // shell recorded under it has exited.
        if self
            .by_pid
            .get(&caller.pid)
            .is_some_and(|s| s.started != started)
        {
            self.forget(caller.pid);
        }
        if !self.by_pid.contains_key(&caller.pid) && self.by_pid.len() >= MAX_SHELLS {
            self.sweep();
        }
        let shell = Shell {
            started,
            env: env.clone(),
            probe_env: caller.probe_env.clone(),
            settings: settings.map(Path::to_path_buf),
            tty: caller.tty.clone(),
            tmux: caller.tmux.clone(),
            seen: Instant::now(),
        };
        let changed = match self.by_pid.insert(caller.pid, shell) {
            Some(old) => {
                if old.tty != caller.tty {
                    if let Some(tty) = &old.tty {
                        if self.by_tty.get(tty) == Some(&caller.pid) {
                            self.by_tty.remove(tty);
                        }
                    }
                }
                old.env != *env
                    || old.probe_env != caller.probe_env
                    || old.tty != caller.tty
                    || old.settings.as_deref() != settings
            }
            None => true,
        };
        if let Some(tty) = &caller.tty {
            let previous = self.by_tty.insert(tty.clone(), caller.pid);
            return changed || previous != Some(caller.pid);
        }
        changed
    }

    /// The live shell that last prompted on `tty`. When that one has
    /// exited (a nested shell, say), the one that prompted there before
    /// it: shells that keep their segment do not ask again just because a
    /// child shell ended.
    pub fn pid_on_tty(&mut self, tty: &str) -> Option<u32> {
        if let Some(&pid) = self.by_tty.get(tty) {
            if self.known(pid).is_some() {
                return Some(pid);
            }
        }
        let mut there: Vec<(Instant, u32)> = self
            .by_pid
            .iter()
            .filter(|(_, s)| s.tty.as_deref() == Some(tty))
            .map(|(pid, s)| (s.seen, *pid))
            .collect();
        there.sort_unstable_by(|a, b| b.cmp(a));
        for (_, pid) in there {
            if self.known(pid).is_some() {
                self.by_tty.insert(tty.to_string(), pid);
                return Some(pid);
            }
        }
        None
    }

    /// The environment of the live shell that last prompted on `tty` (see
    /// [`Self::pid_on_tty`]).
    pub fn by_tty(&mut self, tty: &str) -> Option<Env> {
        let pid = self.pid_on_tty(tty)?;
        self.by_pid(pid)
    }

    /// The environment `pid` last prompted with, if it is still alive.
    pub fn by_pid(&mut self, pid: u32) -> Option<Env> {
        self.known(pid).map(|(env, _)| env)
    }

    /// The environment and probe environment `pid` last prompted with, if
    /// it is still the process that did.
    pub fn known(&mut self, pid: u32) -> Option<(Env, ProbeEnv)> {
        let shell = self.by_pid.get(&pid)?;
        if !running(pid, shell.started) {
            self.forget(pid);
            return None;
        }
        Some((shell.env.clone(), shell.probe_env.clone()))
    }

    /// The start time recorded for `pid`, for watching it exit.
    pub fn started(&self, pid: u32) -> Option<u64> {
        self.by_pid.get(&pid)?.started
    }

    /// Forgets the shell `pid` started at `started`, which has exited;
    /// true if it was still recorded (then what its tty shows changed).
    pub fn exited(&mut self, pid: u32, started: u64) -> bool {
        let known = self
            .by_pid
            .get(&pid)
            .is_some_and(|s| s.started == Some(started));
        if known {
            self.forget(pid);
        }
        known
    }

    /// Each distinct (environment, probe environment, settings file) the
    /// recorded shells use: what engine probes follow.
    pub fn in_use(&self) -> Vec<InUse> {
        let all: std::collections::HashSet<InUse> = self
            .by_pid
            .values()
            .map(|s| (s.env.clone(), s.probe_env.clone(), s.settings.clone()))
            .collect();
        all.into_iter().collect()
    }

    /// The tmux servers (`TMUX` values) of live shells, for status redraws.
    pub fn tmux_servers(&self) -> Vec<String> {
        let mut servers: Vec<String> = self
            .by_pid
            .values()
            .filter_map(|s| s.tmux.clone())
            .collect();
        servers.sort();
        servers.dedup();
        servers
    }

    fn forget(&mut self, pid: u32) {
        if let Some(shell) = self.by_pid.remove(&pid) {
            if let Some(tty) = shell.tty {
                if self.by_tty.get(&tty) == Some(&pid) {
                    self.by_tty.remove(&tty);
                }
            }
        }
    }

    /// Drops exited shells, then the least recently seen down to 3/4 full.
    fn sweep(&mut self) {
        let dead: Vec<u32> = self
            .by_pid
            .iter()
            .filter(|(&p, s)| !running(p, s.started))
            .map(|(&p, _)| p)
            .collect();
        for pid in dead {
            self.forget(pid);
        }
        if self.by_pid.len() >= MAX_SHELLS {
            let mut by_age: Vec<(Instant, u32)> =
                self.by_pid.iter().map(|(p, s)| (s.seen, *p)).collect();
            by_age.sort();
            for (_, pid) in by_age
                .into_iter()
                .take(self.by_pid.len() - MAX_SHELLS * 3 / 4)
            {
                self.forget(pid);
            }
        }
    }
}

/// Whether the process `pid` that started at `started` still runs.
fn running(pid: u32, started: Option<u64>) -> bool {
    match started {
        Some(t) => start_time(pid) == Some(t),
        None => alive(pid),
    }
}

/// The version of the saved table; a file of another version is ignored
/// (the shells tell the daemon again at their next prompt).
const TABLE_VERSION: u32 = 1;

/// The largest saved table read back (the table is bounded in entries and
/// each environment in bytes, so a real one stays far below).
pub const MAX_TABLE_BYTES: usize = 4 * 1024 * 1024;

#[derive(Serialize, Deserialize)]
struct SavedTable {
    version: u32,
    shells: Vec<SavedShell>,
}

#[derive(Serialize, Deserialize)]
struct SavedShell {
    pid: u32,
    started: u64,
    env: Env,
    #[serde(default)]
    probe_env: ProbeEnv,
    #[serde(default, with = "dctx_core::os_text::option_path")]
    settings: Option<PathBuf>,
    tty: Option<String>,
    tmux: Option<String>,
    /// How long before the save it last prompted, in milliseconds.
    idle_ms: u64,
}

impl ShellTable {
    /// The table as its file holds it (shells without a start time are
    /// left out: they could not be told from a reused pid on load).
    /// The most recently seen shells are kept when all would not fit in
    /// [`MAX_TABLE_BYTES`].
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut shells: Vec<SavedShell> = self
            .by_pid
            .iter()
            .filter_map(|(&pid, s)| {
                Some(SavedShell {
                    pid,
                    started: s.started?,
                    env: s.env.clone(),
                    probe_env: s.probe_env.clone(),
                    settings: s.settings.clone(),
                    tty: s.tty.clone(),
                    tmux: s.tmux.clone(),
                    idle_ms: s.seen.elapsed().as_millis() as u64,
                })
            })
            .collect();
        shells.sort_by_key(|s| s.idle_ms);
        loop {
            let bytes = serde_json::to_vec(&SavedTable {
                version: TABLE_VERSION,
                shells: std::mem::take(&mut shells),
            })
            .unwrap_or_default();
            if bytes.len() <= MAX_TABLE_BYTES {
                return bytes;
            }
            // Rare (thousands of shells with huge environments): halve.
            let Ok(SavedTable { shells: all, .. }) = serde_json::from_slice(&bytes) else {
                return Vec::new();
            };
            shells = all;
            shells.truncate(shells.len() / 2);
        }
    }

    /// A table from its file: only the shells that still run with the
    /// recorded start time; nothing from a file of another version, an
    /// oversized or a malformed one.
    pub fn from_bytes(bytes: &[u8]) -> ShellTable {
        let mut table = ShellTable::default();
        if bytes.len() > MAX_TABLE_BYTES {
            return table;
        }
        let Ok(saved) = serde_json::from_slice::<SavedTable>(bytes) else {
            return table;
        };
        if saved.version != TABLE_VERSION {
            return table;
        }
        let now = Instant::now();
        let mut shells = saved.shells;
        // Oldest first, so the most recent shell on a tty ends up its own.
        shells.sort_by_key(|s| std::cmp::Reverse(s.idle_ms));
        for s in shells.into_iter().take(MAX_SHELLS) {
            if s.pid == 0
                || s.env.byte_size() > MAX_ENV_BYTES
                || start_time(s.pid) != Some(s.started)
            {
                continue;
            }
            if let Some(tty) = &s.tty {
                table.by_tty.insert(tty.clone(), s.pid);
            }
            let seen = now
                .checked_sub(Duration::from_millis(s.idle_ms))
                .unwrap_or(now);
            table.by_pid.insert(
                s.pid,
                Shell {
                    started: Some(s.started),
                    env: s.env,
                    probe_env: s.probe_env,
                    settings: s.settings,
                    tty: s.tty,
                    tmux: s.tmux,
                    seen,
                },
            );
        }
        table
    }

    /// The pids and start times of every shell, to watch them exit.
    pub fn watched(&self) -> Vec<(u32, u64)> {
        self.by_pid
            .iter()
            .filter_map(|(&p, s)| Some((p, s.started?)))
            .collect()
    }
}

/// Writes `bytes` to `path` whole or not at all (a temporary file in the
/// same private dir, then a rename), mode 0600.
pub fn save(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::File::options()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&tmp)?;
    file.write_all(bytes)?;
    std::fs::rename(&tmp, path)
}

/// Reads the saved table at `path` (bounded), an empty one if there is
/// none.
pub fn load(fs: &dyn dctx_core::FileSystem, path: &Path) -> ShellTable {
    match fs.read(path) {
        Ok(bytes) => ShellTable::from_bytes(&bytes),
        Err(_) => ShellTable::default(),
    }
}

/// Runs until the channel closes: for each shell sent (pid, start time),
/// waits on a pidfd for it to exit, then tells `state`. Without pidfds
/// (an old kernel) nothing is watched; lookups still check liveness.
pub async fn watch_exits<S: ShellEvents>(state: Arc<S>, mut shells: UnboundedReceiver<(u32, u64)>) {
    while let Some((pid, started)) = shells.recv().await {
        let Some(fd) = pidfd(pid) else {
            continue;
        };
        // The pidfd names whatever has that pid now: if that is not the
        // shell, the shell has already exited.
        let state = state.clone();
        if start_time(pid) != Some(started) {
            state.shell_exited(pid, started);
            continue;
        }
        // SAFETY: the AsyncFd owns the OwnedFd, so the descriptor stays
        // open and the same pidfd for the AsyncFd's whole life. (tokio's
        // safe constructor is deprecated as unsound: this is its successor.)
        let registered = unsafe {
            tokio::io::unix::AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE)
        };
        let Ok(fd) = registered else {
            continue;
        };
        tokio::spawn(async move {
            // Readable once the process exits.
            let _ = fd.readable().await;
            state.shell_exited(pid, started);
        });
    }
}

/// Runs until the channel closes: saves the table to `path` after each
/// change (changes that arrive meanwhile are saved together), then asks
/// tmux to redraw: a bar shows a shell's new context only once a restarted
/// daemon would show it too.
pub async fn keep_saved<S: ShellEvents>(
    state: Arc<S>,
    path: PathBuf,
    mut changes: UnboundedReceiver<()>,
) {
    while changes.recv().await.is_some() {
        while changes.try_recv().is_ok() {}
        let bytes = state.shell_table_bytes();
        let path = path.clone();
        let saved = tokio::task::spawn_blocking(move || save(&path, &bytes)).await;
        if let Ok(Err(e)) = saved {
            tracing::warn!(error = %e, "could not save the shell table");
        }
        state.request_redraw();
    }
}

fn pidfd(pid: u32) -> Option<OwnedFd> {
    let pid = rustix::process::Pid::from_raw(i32::try_from(pid).ok()?)?;
    rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(pid: u32, tty: &str) -> Caller {
        Caller {
            pid,
            tty: Some(tty.into()),
            ..Caller::default()
        }
    }

    fn env(ctx: &str) -> Env {
        Env::new([("DOCKER_CONTEXT", ctx)], None)
    }

    #[test]
    fn looks_up_the_last_shell_on_a_tty() {
        let me = std::process::id();
        let mut t = ShellTable::default();
        assert!(t.record(&caller(me, "/dev/pts/1"), &env("a"), None));
        assert!(
            !t.record(&caller(me, "/dev/pts/1"), &env("a"), None),
            "no change, no redraw"
        );
        assert!(t.record(&caller(me, "/dev/pts/1"), &env("b"), None));
        assert_eq!(t.by_tty("/dev/pts/1"), Some(env("b")));
        assert_eq!(t.by_tty("/dev/pts/2"), None);
    }

    #[test]
    fn forgets_exited_shells() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let mut t = ShellTable::default();
        t.record(&caller(pid, "/dev/pts/9"), &env("a"), None);
        t.record(&caller(std::process::id(), "/dev/pts/8"), &env("b"), None);
        assert_eq!(t.live(), 1);
        t.record(&caller(pid, "/dev/pts/9"), &env("a"), None);
        assert_eq!(t.by_tty("/dev/pts/9"), None);
        assert_eq!(t.by_tty("/dev/pts/8"), Some(env("b")));
        t.forget(std::process::id());
        assert!(t.is_empty());
    }

    #[test]
    fn a_tty_falls_back_to_the_shell_under_an_exited_one() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let nested = child.id();
        child.wait().unwrap();
        let mut t = ShellTable::default();
        t.record(
            &caller(std::process::id(), "/dev/pts/3"),
            &env("outer"),
            None,
        );
        t.record(&caller(nested, "/dev/pts/3"), &env("inner"), None);
        assert_eq!(t.by_tty("/dev/pts/3"), Some(env("outer")));
        assert_eq!(t.len(), 1, "the exited shell is forgotten");
    }

    #[test]
    fn stays_bounded() {
        let mut t = ShellTable::default();
        let me = std::process::id();
        t.record(&caller(me, "/dev/pts/0"), &env("mine"), None);
        // Pids far above pid_max never exist, so they are swept as dead.
        for i in 0..(MAX_SHELLS as u32 + 10) {
            t.record(
                &caller(4_000_000 + i, &format!("/dev/pts/x{i}")),
                &env("x"),
                None,
            );
        }
        assert!(t.len() <= MAX_SHELLS);
        assert_eq!(t.by_tty("/dev/pts/0"), Some(env("mine")));
    }

    #[test]
    fn an_exit_is_forgotten_only_for_the_process_that_was_recorded() {
        let me = std::process::id();
        let started = start_time(me).unwrap();
        let mut t = ShellTable::default();
        t.record(&caller(me, "/dev/pts/4"), &env("a"), None);
        assert_eq!(t.started(me), Some(started));
        assert!(!t.exited(me, started + 1), "another process under that pid");
        assert_eq!(t.by_tty("/dev/pts/4"), Some(env("a")));
        assert!(t.exited(me, started));
        assert_eq!(t.by_tty("/dev/pts/4"), None);
    }

    #[test]
    fn a_pid_under_another_start_time_is_not_the_shell() {
        let me = std::process::id();
        let mut t = ShellTable::default();
        t.record(&caller(me, "/dev/pts/5"), &env("a"), None);
        // As if the shell had exited and its pid were now this process.
        t.by_pid.get_mut(&me).unwrap().started = Some(1);
        assert_eq!(t.by_pid(me), None);
        assert_eq!(t.by_tty("/dev/pts/5"), None);
    }

    #[test]
    fn the_saved_table_keeps_live_shells_only() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        let mut t = ShellTable::default();
        t.record(&caller(dead, "/dev/pts/6"), &env("dead"), None);
        child.wait().unwrap();
        let me = std::process::id();
        t.record(
            &Caller {
                pid: me,
                tty: Some("/dev/pts/7".into()),
                tmux: Some("/tmp/tmux-1/default,1,0".into()),
                ..Caller::default()
            },
            &env("mine"),
            Some(Path::new("/s.toml")),
        );
        let mut back = ShellTable::from_bytes(&t.to_bytes());
        assert_eq!(back.len(), 1);
        assert_eq!(back.by_tty("/dev/pts/7"), Some(env("mine")));
        assert_eq!(back.tmux_servers(), vec!["/tmp/tmux-1/default,1,0"]);
        assert_eq!(
            back.in_use(),
            vec![(
                env("mine"),
                ProbeEnv::default(),
                Some(PathBuf::from("/s.toml"))
            )]
        );
        // Another version, or garbage: nothing, rather than a misreading.
        let other = String::from_utf8(t.to_bytes())
            .unwrap()
            .replace("\"version\":1", "\"version\":2");
        assert!(ShellTable::from_bytes(other.as_bytes()).is_empty());
        assert!(ShellTable::from_bytes(b"{").is_empty());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shells.json");
        save(&path, &t.to_bytes()).unwrap();
        assert_eq!(load(&dctx_core::RealFs, &path).len(), 1);
        assert!(load(&dctx_core::RealFs, &dir.path().join("none")).is_empty());
    }

    #[test]
    fn an_oversized_table_keeps_the_most_recent_shells() {
        let mut t = ShellTable::default();
        let big = "x".repeat(8000);
        for pid in 1..=1000u32 {
            t.by_pid.insert(
                pid,
                Shell {
                    started: Some(1),
                    env: Env::new([("DOCKER_CONTEXT", big.as_str())], None),
                    probe_env: ProbeEnv::default(),
                    settings: None,
                    tty: None,
                    tmux: None,
                    seen: Instant::now() - Duration::from_secs(u64::from(pid)),
                },
            );
        }
        let bytes = t.to_bytes();
        assert!(bytes.len() <= MAX_TABLE_BYTES && bytes.len() > MAX_TABLE_BYTES / 4);
        let saved: SavedTable = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(saved.shells[0].pid, 1, "the most recent first");
        assert!(saved.shells.iter().all(|s| s.pid <= 500));
    }
}
