//! Starting dctx's own long-lived processes so that they keep nothing of
//! their starter: the daemon ([`spawn_daemon`], with its readiness pipe),
//! the per-shell helper ([`detach`]), and the one way any child is put in a
//! session of its own ([`in_own_session`]: the daemon, the helper, engine
//! probes, `dctx doctor`'s traced shells).

use std::io;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

/// The variable naming the descriptor on which a daemon started by
/// [`spawn_daemon`] reports that it is ready, or why it could not start.
pub const READY_FD_VAR: &str = "DCTX_READY_FD";

/// What a daemon writes on its readiness descriptor: one line.
pub const READY_LINE: &str = "ready";

/// Makes `cmd` start in a session (and so a process group) of its own,
/// with no controlling terminal: the terminal's Ctrl-C and hang-up are not
/// for it, ssh cannot ask on it, and its group can be killed as one. A
/// child that cannot leave its starter's session does not start.
pub fn in_own_session(cmd: &mut Command) -> &mut Command {
    // SAFETY: setsid is a raw syscall, async-signal-safe, and touches no
    // memory of ours.
    unsafe {
        cmd.pre_exec(|| {
            rustix::process::setsid()?;
            Ok(())
        })
    }
}

/// Starts `dctx daemon run --background`, [`detach`]ed: closing the
/// terminal does not kill it, and it keeps nothing of its starter. Its
/// stderr goes to `log` so early failures are not lost.
///
/// With `ready`, returns the read end of a pipe on which the daemon writes
/// [`READY_LINE`] once it serves, or the reason it could not start;
/// end of file without either means it died (its exit status says more:
/// [`crate::lock::ALREADY_RUNNING_EXIT`]).
pub fn spawn_daemon(
    dctx: &Path,
    log: Option<&Path>,
    ready: bool,
) -> io::Result<(std::process::Child, Option<std::fs::File>)> {
    use std::os::fd::AsRawFd;
    use std::process::Stdio;
    let stderr = match log.and_then(|p| crate::paths::open_log(p).ok()) {
        Some(file) => Stdio::from(file),
        None => Stdio::null(),
    };
    let pipe = if ready {
        Some(rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?)
    } else {
        None
    };
    let keep = pipe.as_ref().map(|(_, w)| w.as_raw_fd());
    let mut cmd = Command::new(dctx);
    cmd.args(["daemon", "run", "--background"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr);
    match keep {
        Some(fd) => cmd.env(READY_FD_VAR, fd.to_string()),
        None => cmd.env_remove(READY_FD_VAR),
    };
    detach(&mut cmd, keep);
    let child = cmd.spawn()?;
    Ok((child, pipe.map(|(r, _w)| std::fs::File::from(r))))
}

/// Makes `cmd` start detached from this process: [`in_own_session`], in
/// `/` (it must not keep a mount busy), and with no descriptor of ours but
/// its stdio and `keep` (a pipe or a lock the caller holds must not live
/// on in it).
pub fn detach(cmd: &mut Command, keep: Option<std::os::fd::RawFd>) {
    let keep = keep.unwrap_or(-1);
    cmd.current_dir("/");
    in_own_session(cmd);
    // SAFETY: only async-signal-safe calls (fcntl, syscall) run between
    // fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            // std's own error pipe is close-on-exec already.
            cloexec_from(3, keep);
            if keep >= 0 && libc::fcntl(keep, libc::F_SETFD, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Marks every descriptor from `first` up close-on-exec, except `keep`.
/// Async-signal-safe: for use between fork and exec.
fn cloexec_from(first: i32, keep: i32) {
    const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;
    let range = |lo: i32, hi: libc::c_uint| -> bool {
        // SAFETY: close_range with CLOEXEC only changes descriptor flags.
        lo as libc::c_uint > hi
            || unsafe {
                libc::syscall(
                    libc::SYS_close_range,
                    lo as libc::c_uint,
                    hi,
                    CLOSE_RANGE_CLOEXEC,
                )
            } == 0
    };
    let done = if keep >= first {
        range(first, (keep - 1) as libc::c_uint) && range(keep + 1, libc::c_uint::MAX)
    } else {
        range(first, libc::c_uint::MAX)
    };
    if !done {
        // Kernels before 5.11: one descriptor at a time, up to the limit.
        // SAFETY: sysconf and fcntl are async-signal-safe; fcntl on a
        // descriptor that is not open fails and changes nothing.
        let max = unsafe { libc::sysconf(libc::_SC_OPEN_MAX) }.clamp(256, 65536) as i32;
        for fd in (first..max).filter(|&fd| fd != keep) {
            // SAFETY: as above.
            unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
        }
    }
}

/// The binary `name` next to the running one (an install puts dctx and
/// dctx-prompt side by side), else `name` to be found on PATH.
pub fn sibling(name: &str) -> std::path::PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join(name)))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| name.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A detached child leads a session of its own, runs in `/`, and
    /// inherits no descriptor of ours but the one it is given.
    #[test]
    fn a_detached_child_keeps_nothing_of_its_starter_but_what_it_is_given() {
        use std::os::fd::AsRawFd;
        let dir = tempfile::tempdir().unwrap();
        let kept = std::fs::File::open(dir.path()).unwrap();
        let leaked = std::fs::File::open(dir.path()).unwrap();
        // std opens files close-on-exec; clear the flag on both, as a
        // careless library would leave a descriptor.
        for fd in [kept.as_raw_fd(), leaked.as_raw_fd()] {
            // SAFETY: fcntl on descriptors this test owns.
            assert_eq!(unsafe { libc::fcntl(fd, libc::F_SETFD, 0) }, 0);
        }
        // `read` is a builtin: /proc/self is the shell itself.
        let script =
            "pwd; read -r pid _ _ _ _ sid _ </proc/self/stat; echo \"$pid $sid\"; ls /proc/$$/fd";
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null());
        detach(&mut cmd, Some(kept.as_raw_fd()));
        let out = cmd.spawn().unwrap().wait_with_output().unwrap();
        let out = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.first(), Some(&"/"), "{out}");
        let ids: Vec<&str> = lines[1].split(' ').collect();
        assert_eq!(ids[0], ids[1], "a session of its own: {out}");
        let fds = &lines[2..];
        assert!(
            fds.contains(&kept.as_raw_fd().to_string().as_str()),
            "{out}"
        );
        assert!(
            !fds.contains(&leaked.as_raw_fd().to_string().as_str()),
            "{out}"
        );
    }
}
