//! One engine probe, run to its end under one deadline: the runner the
//! daemon (on a blocking thread) and `dctx pin` share.
//!
//! The deadline covers everything: the process's exit *and* both pipes
//! read to EOF, so a docker wrapper that leaves a child holding stdout
//! cannot hold the caller. At the deadline, and after a normal end too,
//! the probe's whole process group (it is a session leader, see
//! [`crate::process::probe_command`]) is killed before its leader is
//! reaped, so the group id cannot have been reused. Output is read to the
//! end but only [`MAX_OUTPUT`] bytes of each pipe are kept.
//!
//! `docker info` lists CLI plugins by running each one's metadata command,
//! and nothing turns that off: measured with docker 28.2.2 and a recording
//! `~/.docker/cli-plugins/docker-x`, a `--format` of server fields only
//! still runs it, and `DOCKER_CLI_PLUGIN_EXTRA_DIRS` only adds dirs. Only
//! `docker version` runs no plugin, but it does not give the engine's ID,
//! which pins need. So plugins run, as for the user's own `docker info`:
//! inside the probe's group, under its timeout, killed with it.
//!
//! Each running group is also recorded in a directory (the daemon's
//! private runtime dir) as `<pgid>` holding the leader's start time, so a
//! daemon that starts after a crash kills what the last one left running
//! ([`kill_leftovers`]).

use std::collections::BTreeMap;
use std::io::Read;
use std::os::fd::OwnedFd;

use rustix::event::{PollFd, PollFlags};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use dctx_core::engine::{parse_probe, Facts};

/// What each pipe of a probe may bring that is kept; the rest is read
/// and dropped.
pub const MAX_OUTPUT: usize = 64 * 1024;

/// How one probe ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// It exited and closed its output within the timeout.
    Finished {
        success: bool,
        stdout: Vec<u8>,
        stderr: Vec<u8>,
        elapsed: Duration,
    },
    /// The timeout passed first; its process group was killed.
    TimedOut(Duration),
    /// It could not be started.
    NotRun(String),
}

impl ProbeOutcome {
    /// The engine's facts, or the one error text every caller shows.
    pub fn facts(&self) -> Result<Facts, String> {
        match self {
            ProbeOutcome::Finished {
                success,
                stdout,
                stderr,
                ..
            } => parse_probe(*success, stdout, stderr),
            ProbeOutcome::TimedOut(after) => Err(format!(
                "no answer within {:.1} s; the probe was killed",
                after.as_secs_f64()
            )),
            ProbeOutcome::NotRun(why) => Err(format!("could not run docker: {why}")),
        }
    }
}

/// The groups of the probes this process runs now, with the file that
/// records each (if any): what [`kill_all`] kills.
static GROUPS: Mutex<BTreeMap<u32, Option<PathBuf>>> = Mutex::new(BTreeMap::new());

fn groups() -> std::sync::MutexGuard<'static, BTreeMap<u32, Option<PathBuf>>> {
    GROUPS.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs `cmd` (a [`crate::process::probe_command`]: its own session, its
/// output piped) until it has exited and closed its output, or until
/// `timeout`. Blocks the calling thread, which must outlive the probe
/// (the child dies with it). `records`: where to note the running group.
pub fn run(mut cmd: Command, timeout: Duration, records: Option<&Path>) -> ProbeOutcome {
    let started = Instant::now();
    let deadline = started + timeout;
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return ProbeOutcome::NotRun(e.to_string()),
    };
    let group = child.id();
    let record = records.and_then(|dir| record_group(dir, group));
    groups().insert(group, record.clone());
    let pipes = [
        child.stdout.take().map(OwnedFd::from),
        child.stderr.take().map(OwnedFd::from),
    ];
    let read = read_until(pipes, &child, deadline);
    // Exited or not, whatever is left of the group goes: a background
    // child of a wrapper, or the whole probe at the deadline. The leader
    // is not reaped yet, so the group id is still this probe's.
    kill_group(group);
    let status = child.wait();
    groups().remove(&group);
    if let Some(file) = record {
        let _ = std::fs::remove_file(file);
    }
    match (read, status) {
        (Some([stdout, stderr]), Ok(status)) => ProbeOutcome::Finished {
            success: status.success(),
            stdout,
            stderr,
            elapsed: started.elapsed(),
        },
        (Some(_), Err(e)) => ProbeOutcome::NotRun(e.to_string()),
        (None, _) => ProbeOutcome::TimedOut(timeout),
    }
}

/// Reads both pipes to EOF and waits for the child to exit, all before
/// `deadline`; `None` if the deadline came first.
fn read_until(
    pipes: [Option<OwnedFd>; 2],
    child: &std::process::Child,
    deadline: Instant,
) -> Option<[Vec<u8>; 2]> {
    let mut out = [Vec::new(), Vec::new()];
    let mut open: Vec<(usize, std::fs::File)> = pipes
        .into_iter()
        .enumerate()
        .filter_map(|(i, p)| Some((i, std::fs::File::from(p?))))
        .collect();
    let exited = pidfd(child.id());
    let mut chunk = [0u8; 8192];
    let mut gone = exited.is_none();
    loop {
        if open.is_empty() && gone {
            break;
        }
        let left = deadline.checked_duration_since(Instant::now())?;
        let mut fds: Vec<PollFd> = open
            .iter()
            .map(|(_, f)| PollFd::new(f, PollFlags::IN))
            .collect();
        if let (Some(fd), false) = (&exited, gone) {
            fds.push(PollFd::new(fd, PollFlags::IN));
        }
        let timeout = rustix::event::Timespec::try_from(left.max(Duration::from_millis(1)))
            .unwrap_or(rustix::event::Timespec {
                tv_sec: i64::MAX,
                tv_nsec: 0,
            });
        match rustix::event::poll(&mut fds, Some(&timeout)) {
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => continue,
            Err(_) => return None,
        }
        let ready: Vec<bool> = fds.iter().map(|p| !p.revents().is_empty()).collect();
        drop(fds);
        if !gone && exited.is_some() && ready.last() == Some(&true) {
            gone = true;
        }
        let mut closed = Vec::new();
        for (slot, (i, file)) in open.iter_mut().enumerate() {
            if !ready[slot] {
                continue;
            }
            match file.read(&mut chunk) {
                Ok(0) => closed.push(slot),
                Ok(got) => {
                    let keep = got.min(MAX_OUTPUT - out[*i].len().min(MAX_OUTPUT));
                    out[*i].extend_from_slice(&chunk[..keep]);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => closed.push(slot),
            }
        }
        for slot in closed.into_iter().rev() {
            open.remove(slot);
        }
    }
    if exited.is_none() {
        // No pidfd (an old kernel): the output is closed, so it is about
        // to exit; look until the deadline.
        while child_running(child.id()) {
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    Some(out)
}

/// SIGKILL to process group `group` (a probe's: its leader's pid).
fn kill_group(group: u32) {
    if let Some(group) = i32::try_from(group)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
    }
}

/// A pidfd of `pid` (readable once it exits), if the kernel has them.
fn pidfd(pid: u32) -> Option<OwnedFd> {
    let pid = rustix::process::Pid::from_raw(i32::try_from(pid).ok()?)?;
    rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()).ok()
}

/// Whether our child `pid` has not exited yet (without reaping it).
fn child_running(pid: u32) -> bool {
    use rustix::process::{waitid, Pid, WaitId, WaitIdOptions};
    let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
        return false;
    };
    // WNOWAIT only looks: the child stays to be reaped by `wait`.
    let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
    matches!(waitid(WaitId::Pid(pid), options), Ok(None))
}

/// Notes a running group in `dir` (`<pgid>` holding its leader's start
/// time), written whole before it is visible.
fn record_group(dir: &Path, group: u32) -> Option<PathBuf> {
    let started = crate::process::start_time(group)?;
    use std::os::unix::fs::DirBuilderExt;
    if std::fs::DirBuilder::new().mode(0o700).create(dir).is_err() && !dir.is_dir() {
        return None;
    }
    let file = dir.join(group.to_string());
    let tmp = dir.join(format!(".{group}.tmp"));
    std::fs::write(&tmp, started.to_string()).ok()?;
    std::fs::rename(&tmp, &file).ok()?;
    Some(file)
}

/// Kills the process groups of the probes still running (at exit).
pub fn kill_all() {
    let all = std::mem::take(&mut *groups());
    for (group, record) in all {
        // As in run: the leader is not reaped yet (its thread is still
        // waiting in run), so the group is still the probe's.
        kill_group(group);
        if let Some(file) = record {
            let _ = std::fs::remove_file(file);
        }
    }
}

/// Kills the probe groups a previous daemon recorded in `dir` and left
/// running (it was killed, say), and forgets every record. A group counts
/// as that probe's while its leader still has the recorded start time, or,
/// once the leader is gone (it died with that daemon), while members of
/// that session started no earlier remain: a pid is not reused while it
/// names a live group, so those are the probe's own children.
pub fn kill_leftovers(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut killed = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let recorded = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
            .zip(
                std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|t| t.trim().parse::<u64>().ok()),
            );
        if let Some((group, started)) = recorded {
            if group > 1 && left_running(group, started) {
                kill_group(group);
                killed += 1;
            }
        }
        let _ = std::fs::remove_file(&path);
    }
    killed
}

fn left_running(group: u32, started: u64) -> bool {
    if let Some(leader) = crate::process::start_time(group) {
        return leader == started;
    }
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return false;
    };
    procs
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(crate::process::group_and_session)
        .any(|(g, s, t)| g == group && s == group && t >= started)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        // The session rule of probe_command, another program.
        let mut sh = Command::new("sh");
        sh.arg("-c").arg(script);
        sh.stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        crate::spawn::in_own_session(&mut sh);
        sh
    }

    #[test]
    fn output_is_read_to_the_end_and_capped() {
        let out = run(
            sh("head -c 100000 /dev/zero; echo err >&2; exit 3"),
            Duration::from_secs(30),
            None,
        );
        let ProbeOutcome::Finished {
            success,
            stdout,
            stderr,
            ..
        } = out
        else {
            panic!("{out:?}");
        };
        assert!(!success);
        assert_eq!(stdout.len(), MAX_OUTPUT);
        assert_eq!(stderr, b"err\n");
    }

    /// Its pid, once `file` holds it.
    fn pid_in(file: &Path) -> u32 {
        for _ in 0..5000 {
            if let Some(pid) = std::fs::read_to_string(file)
                .ok()
                .and_then(|t| t.trim().parse().ok())
            {
                return pid;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        panic!("{} never written", file.display());
    }

    #[test]
    fn a_child_left_holding_stdout_times_out_and_is_killed() {
        let dir = tempfile::tempdir().unwrap();
        let pid = dir.path().join("pid");
        let script = format!("sleep 1000 & echo $! > '{}'; exit 0", pid.display());
        let out = run(sh(&script), Duration::from_millis(500), None);
        assert_eq!(out, ProbeOutcome::TimedOut(Duration::from_millis(500)));
        assert!(out.facts().unwrap_err().contains("no answer within 0.5 s"));
        let pid = pid_in(&pid);
        // SIGKILL lands a moment later: wait for it, boundedly.
        for _ in 0..5000 {
            if crate::process::start_time(pid).is_none() {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        panic!("the child holding stdout was not killed");
    }

    #[test]
    fn leftover_groups_are_killed_only_if_still_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let records = dir.path().join("probes");
        std::fs::create_dir(&records).unwrap();
        // A running "probe" of a dead daemon: its own session.
        let mut left = sh("exec sleep 1000").spawn().unwrap();
        let started = crate::process::start_time(left.id()).unwrap();
        std::fs::write(records.join(left.id().to_string()), started.to_string()).unwrap();
        // A record whose pid is now another process (another start time).
        let mut other = sh("exec sleep 1000").spawn().unwrap();
        std::fs::write(records.join(other.id().to_string()), "1").unwrap();
        assert_eq!(kill_leftovers(&records), 1);
        assert!(!left.wait().unwrap().success(), "killed");
        assert_eq!(std::fs::read_dir(&records).unwrap().count(), 0);
        assert!(other.try_wait().unwrap().is_none(), "not the probe: spared");
        other.kill().unwrap();
        other.wait().unwrap();
    }
}
