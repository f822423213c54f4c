//! The marker that keeps the guard from running itself for ever: a
//! `docker` on PATH that leads back to the guard (a wrapper script named
//! docker that runs `dctx guard -- "$@"`) would otherwise be exec'd by the
//! guard, start the guard again, and so on.
//!
//! The guard sets [`EXEC_VAR`] to its pid in the environment of the docker
//! it execs (exec keeps the pid). A guard that finds it set looks for that
//! pid among its own ancestors (itself included): found, and that process
//! is not the docker this guard would run, it is a loop. The marker stays
//! in what the real docker starts, but stays harmless there: containers do
//! not get the client's environment; CLI plugins (compose, buildx) are
//! separate binaries the CLI runs itself, not through PATH's docker, and
//! when one does run `docker` (a plugin script, a credential helper), the
//! marked process is the real docker, which is nesting, not a loop.

use std::path::PathBuf;

use dctx_core::terminal_text::for_terminal;
use dctx_ipc::Vars;

/// The variable: the pid of the process the guard turned into docker.
pub const EXEC_VAR: &str = "DCTX_GUARD_EXEC";

/// How far up the process tree a loop is looked for: a wrapper that runs
/// the guard through a few shells is still found.
const MAX_ANCESTORS: usize = 32;

/// The parent of `pid`, from `/proc/PID/stat`.
fn parent(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parent_in_stat(&stat)
}

/// The ppid field of a `/proc/PID/stat` line: the second after the
/// command name, which is in parentheses and may hold anything.
fn parent_in_stat(stat: &str) -> Option<u32> {
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(1)?.parse().ok()
}

/// This process and its ancestors, nearest first.
fn ancestry() -> Vec<u32> {
    let mut out = vec![std::process::id()];
    while out.len() < MAX_ANCESTORS {
        match parent(*out.last().unwrap_or(&1)) {
            Some(p) if p > 1 && !out.contains(&p) => out.push(p),
            _ => break,
        }
    }
    out
}

/// The refusal when the docker on PATH led back to this guard.
pub fn leads_back(vars: &Vars, program: &str) -> Option<String> {
    let marked: u32 = vars.get(EXEC_VAR)?.to_str()?.parse().ok()?;
    if !ancestry().contains(&marked) {
        // Left in the environment by a docker that is long gone (a
        // container's shell, a detached program): not this chain.
        return None;
    }
    let docker =
        crate::guard::real_program::real_program(program, vars.get("PATH").unwrap_or_default());
    let marked_exe = std::fs::read_link(format!("/proc/{marked}/exe")).ok();
    let real = docker.as_ref().and_then(|d| std::fs::canonicalize(d).ok());
    if real.is_some() && real == marked_exe {
        // The real docker started something that runs docker again.
        return None;
    }
    Some(text(program, docker))
}

fn text(program: &str, docker: Option<PathBuf>) -> String {
    let shown = docker.map_or_else(
        || "none".to_string(),
        |d| for_terminal(&d.to_string_lossy()).into_owned(),
    );
    format!(
        "dctx guard: the {program} on PATH ({shown}) leads back to the guard; nothing ran. \
         Put the real {program}'s directory before it on PATH, or have the wrapper run the real \
         {program} by its full path (`dctx guard shim DIR` installs a shim that cannot loop)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parent_is_read_past_any_command_name() {
        assert_eq!(parent_in_stat("42 (bash) S 7 42 42 0"), Some(7));
        assert_eq!(parent_in_stat("42 (a) S 9 (b) R 1) S 13 1 1"), Some(13));
        assert_eq!(parent_in_stat("garbage"), None);
        let me = ancestry();
        assert_eq!(me[0], std::process::id());
        // Init (pid 1, e.g. the runner in a container) ends the chain.
        let parent = std::os::unix::process::parent_id();
        assert_eq!(me.get(1).copied(), Some(parent).filter(|&p| p > 1));
    }
}
