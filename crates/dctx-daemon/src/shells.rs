//! Which environment each shell last prompted with, by pid and by tty, so
//! tmux (which cannot see a pane's environment) can ask "what does the shell
//! on /dev/pts/7 see?".

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use dctx_core::Env;
use dctx_ipc::process::alive;
use dctx_ipc::protocol::Caller;

/// More shells than one person plausibly has open; past it, dead shells
/// are swept and then the least recently seen dropped.
pub const MAX_SHELLS: usize = 4096;

#[derive(Debug, Clone)]
struct Shell {
    env: Env,
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
        let dead: Vec<u32> = self.by_pid.keys().copied().filter(|&p| !alive(p)).collect();
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
        if caller.pid == 0 || env.byte_size() > crate::state::MAX_ENV_BYTES {
            return false;
        }
        if !self.by_pid.contains_key(&caller.pid) && self.by_pid.len() >= MAX_SHELLS {
            self.sweep();
        }
        let shell = Shell {
            env: env.clone(),
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
                old.env != *env || old.tty != caller.tty || old.settings.as_deref() != settings
            }
            None => true,
        };
        if let Some(tty) = &caller.tty {
            let previous = self.by_tty.insert(tty.clone(), caller.pid);
            return changed || previous != Some(caller.pid);
        }
        changed
    }

    /// The environment of the live shell that last prompted on `tty`. When
    /// that one has exited (a nested shell, say), the one that prompted
    /// there before it: shells that keep their segment do not ask again
    /// just because a child shell ended.
    pub fn by_tty(&mut self, tty: &str) -> Option<Env> {
        if let Some(&pid) = self.by_tty.get(tty) {
            if let Some(env) = self.by_pid(pid) {
                return Some(env);
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
            if let Some(env) = self.by_pid(pid) {
                self.by_tty.insert(tty.to_string(), pid);
                return Some(env);
            }
        }
        None
    }

    /// The environment `pid` last prompted with, if it is still alive.
    pub fn by_pid(&mut self, pid: u32) -> Option<Env> {
        if !alive(pid) {
            self.forget(pid);
            return None;
        }
        self.by_pid.get(&pid).map(|s| s.env.clone())
    }

    /// Each distinct (environment, settings file) the recorded shells use:
    /// what engine probes follow.
    pub fn in_use(&self) -> Vec<(Env, Option<PathBuf>)> {
        let all: std::collections::HashSet<(Env, Option<PathBuf>)> = self
            .by_pid
            .values()
            .map(|s| (s.env.clone(), s.settings.clone()))
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
        let dead: Vec<u32> = self.by_pid.keys().copied().filter(|&p| !alive(p)).collect();
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
}
