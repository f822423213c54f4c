//! `dctx-prompt --serve-fifos`: a shell's private dir with the two FIFOs
//! its hook speaks through, and its helper (`--serve`, see `serve.rs`)
//! started on them: detached (its own session, `/` as its directory,
//! nothing inherited), with the FIFOs opened read-write as its stdin and
//! stdout, and holding a pidfd of the shell so that it ends with it.

use std::ffi::OsString;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

/// `--serve-fifos`: makes shell `pid`'s dir and FIFOs and starts its
/// helper, detached, with them as its stdin and stdout; returns the
/// helper's pid and the dir. `args` are the helper's own arguments.
pub fn start(pid: u32, args: &[OsString], runtime_dir: &Path) -> io::Result<(u32, PathBuf)> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = dctx_ipc::stamps::prepare_shell_dir(runtime_dir, pid)?;
    let mut ends = Vec::new();
    for name in ["in", "out"] {
        let path = dir.join(name);
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &path,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )?;
        // Read-write: never blocks, and the helper is a writer of its own
        // input, so the shell's opening and closing per question is no EOF.
        let end = std::fs::File::options()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&path)?;
        ends.push(end);
    }
    // Taken while the shell is certainly alive (it waits for us), so the
    // pid cannot have been reused yet; the helper inherits it.
    let pidfd = pidfd_open(pid)?;
    let keep = pidfd.as_raw_fd();
    let out = ends.pop().expect("two ends");
    let input = ends.pop().expect("two ends");
    let mut cmd = std::process::Command::new(std::env::current_exe()?);
    cmd.args(args)
        .arg("--shell-pidfd")
        .arg(keep.to_string())
        .stdin(input)
        .stdout(out)
        .stderr(std::process::Stdio::null());
    // Its own session: the terminal's Ctrl-C and hang-up are the shell's
    // business; the helper ends when the shell does.
    dctx_ipc::spawn::detach(&mut cmd, Some(keep));
    let child = cmd.spawn()?;
    Ok((child.id(), dir))
}

/// A descriptor that becomes readable when process `pid` exits.
fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    let pid = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
    Ok(rustix::process::pidfd_open(
        pid,
        rustix::process::PidfdFlags::empty(),
    )?)
}
