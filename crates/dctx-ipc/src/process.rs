//! Small facts about processes that the daemon, the helper and the soak
//! all need, through rustix in one place; and the engine probe's command,
//! which the daemon and `dctx pin` run alike.

/// Whether process `pid` exists (EPERM means it does, under another user).
pub fn alive(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    match rustix::process::test_kill_process(pid) {
        Ok(()) => true,
        Err(e) => e == rustix::io::Errno::PERM,
    }
}

/// The fields of `/proc/PID/stat` after the command name, so that
/// `fields[n - 3]` is the man page's field `n` (the name may hold spaces
/// and parentheses, so it is skipped up to its last `)`).
fn stat_fields(pid: u32) -> Option<Vec<u64>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(") ")?;
    // Field 3, the state, is a letter; the numbers after it are all read.
    let mut words = rest.split_whitespace();
    let state = words.next()?;
    if state == "Z" || state == "X" {
        // A zombie is no longer the process anyone asked about.
        return None;
    }
    Some(
        std::iter::once(0)
            .chain(words.map(|w| w.parse::<i64>().map_or(0, |n| n as u64)))
            .collect(),
    )
}

/// When process `pid` started (`/proc/PID/stat` field 22, in clock ticks
/// since boot), or `None` if it does not run. With the pid it names one
/// process for good: a pid reused later has another start time.
pub fn start_time(pid: u32) -> Option<u64> {
    stat_fields(pid)?.get(22 - 3).copied()
}

/// `pid`'s process group and session (fields 5 and 6) and start time.
pub fn group_and_session(pid: u32) -> Option<(u32, u32, u64)> {
    let f = stat_fields(pid)?;
    Some((
        u32::try_from(*f.get(5 - 3)?).ok()?,
        u32::try_from(*f.get(6 - 3)?).ok()?,
        *f.get(22 - 3)?,
    ))
}

/// Raises the soft limit on open descriptors to the hard one (at most
/// 65,536): a daemon holding every shell's connection, or a client
/// playing a thousand shells, needs more than the usual 1,024.
pub fn raise_fd_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    // `None` is unlimited.
    let max = limit.maximum.unwrap_or(u64::MAX);
    if let Some(current) = limit.current.filter(|&c| c < max) {
        let _ = setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(max.min(65536).max(current)),
                maximum: limit.maximum,
            },
        );
    }
}

/// `docker --context NAME info …` for an engine probe, with the Docker
/// variables of `env` (the shell's view, not the caller's own) and the
/// rules every probe keeps: a session of its own (no controlling terminal,
/// so ssh cannot ask; its process group is the probe's), killed when the
/// thread that started it ends (`PR_SET_PDEATHSIG`: a daemon killed with
/// SIGKILL takes its docker along), ssh's askpass off, stdin from
/// /dev/null, stdout and stderr piped. Run it with [`crate::probe::run`].
///
/// `probe_env`: the shell's PATH, ssh agent and proxies, which replace the
/// caller's own (a variable the shell did not send is removed; PATH is
/// kept, so docker is still found); `None`, or nothing sent (an older
/// client), keeps the caller's.
pub fn probe_command(
    env: &dctx_core::Env,
    probe_env: Option<&crate::vars::ProbeEnv>,
    name: &str,
) -> std::process::Command {
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;
    let mut cmd = std::process::Command::new("docker");
    cmd.args(dctx_core::engine::probe_args(name));
    for var in dctx_core::env::DOCKER_VARS {
        cmd.env_remove(var);
    }
    for (k, v) in env.vars() {
        cmd.env(k, v);
    }
    if let Some(probe_env) = probe_env.filter(|p| !p.is_empty()) {
        for &var in crate::vars::PROBE_VARS {
            match probe_env.get(var) {
                Some(value) => {
                    cmd.env(var, value);
                }
                None if var == "PATH" => {}
                None => {
                    cmd.env_remove(var);
                }
            }
        }
    }
    // The shell's home, not the caller's: docker reads its config (and
    // ssh its keys and known hosts) from there.
    if let Some(home) = env.home() {
        cmd.env("HOME", home);
    }
    cmd.env("SSH_ASKPASS_REQUIRE", "never")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    use rustix::process::{getpid, getppid, set_parent_process_death_signal, Signal};
    crate::spawn::in_own_session(&mut cmd);
    let parent = getpid();
    // SAFETY: the closure makes raw syscalls only (prctl, getppid), which
    // are async-signal-safe, and allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            set_parent_process_death_signal(Some(Signal::KILL))?;
            // The parent may have died before prctl: then nobody waits.
            if getppid() != Some(parent) {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_an_impossible_pid_is_not() {
        assert!(alive(std::process::id()));
        assert!(!alive(i32::MAX as u32));
        assert!(!alive(u32::MAX));
    }

    #[test]
    fn a_start_time_names_one_process() {
        let me = start_time(std::process::id()).expect("this process has a start time");
        assert_eq!(start_time(std::process::id()), Some(me));
        // The child leads a group of its own, so its group is its pid and
        // its session is ours. (Our own session can read as 0 in a PID
        // namespace whose session leader is outside it, as on CI, so it is
        // compared, never built from getsid.)
        use std::os::unix::process::CommandExt;
        let mut child = std::process::Command::new("sleep")
            .arg("10")
            .process_group(0)
            .spawn()
            .unwrap();
        let theirs = start_time(child.id()).expect("a running child");
        assert!(theirs >= me);
        let (group, session, started) = group_and_session(child.id()).unwrap();
        assert_eq!(started, theirs);
        assert_eq!(group, child.id());
        let (my_group, my_session, _) = group_and_session(std::process::id()).unwrap();
        assert_eq!(session, my_session);
        assert_ne!(group, my_group);
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(start_time(child.id()), None, "reaped");
        assert_eq!(start_time(u32::MAX), None);
    }
}
