//! Small facts about processes that the daemon, the helper and the soak
//! all need, through libc in one place; and the engine probe's command,
//! which the daemon and `dctx pin` run alike.

/// Whether process `pid` exists (EPERM means it does, under another user).
pub fn alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks for existence.
    unsafe { libc::kill(pid, 0) == 0 || *libc::__errno_location() == libc::EPERM }
}

/// Raises the soft limit on open descriptors to the hard one (at most
/// 65,536): a daemon holding every shell's connection, or a client
/// playing a thousand shells, needs more than the usual 1,024.
pub fn raise_fd_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain syscalls on a valid struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max.min(65536);
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

/// `docker --context NAME info …` for an engine probe, with the Docker
/// variables of `env` (the shell's view, not the caller's own) and the
/// rules every probe keeps: a session of its own (no controlling terminal,
/// so ssh cannot ask; its process group is the probe's), ssh's askpass
/// off, stdin from /dev/null, stdout and stderr piped.
pub fn probe_command(env: &dctx_core::Env, name: &str) -> std::process::Command {
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
    cmd.env("SSH_ASKPASS_REQUIRE", "never")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setsid is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
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
}
