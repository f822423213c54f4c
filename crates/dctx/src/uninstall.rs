//! `dctx uninstall`: undoes what dctx set up for this user, or with
//! `--dry-run` says what it would undo. The systemd units (disabled first,
//! so that socket activation cannot start the daemon again), the daemon,
//! the per-shell helpers, the guard's shim links; then the lines in the
//! shells' and tmux's startup files that load dctx, which are the user's
//! files and only listed, by file and line, for them to delete. Docker's
//! files are never touched.

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use dctx_core::terminal_text::for_terminal;
use dctx_ipc::client::{Client, ClientError};
use dctx_ipc::paths::{euid, shells_dir, socket_path};
use dctx_ipc::protocol::{Request, Response};
use dctx_ipc::Vars;

use crate::guard::real_program::is_dctx;
use crate::shim::SHIM_RECORD;

/// The units the README has users copy, in `~/.config/systemd/user`.
const UNITS: [&str; 2] = ["dctx.socket", "dctx.service"];

/// A path, escaped for the terminal.
fn shown(path: &Path) -> String {
    for_terminal(&path.to_string_lossy()).into_owned()
}

pub fn run(vars: &Vars, dry_run: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let mut say = |line: String| writeln!(out, "{line}").context("could not write to stdout");
    let would = |done: &str, planned: &str| if dry_run { planned } else { done }.to_string();

    for unit in systemd_units(vars) {
        say(format!(
            "{} {}",
            would("removed", "would remove"),
            shown(&unit)
        ))?;
    }
    if !dry_run {
        remove_units(vars)?;
    }

    let runtime = vars.runtime_dir();
    match daemon_pid(&runtime) {
        Some(pid) if dry_run => say(format!("would stop the dctx daemon (pid {pid})"))?,
        Some(_) => crate::daemon::stop(vars)?,
        None => say("the dctx daemon is not running".into())?,
    }

    for (pid, shell) in helpers(&runtime) {
        if !dry_run {
            // SAFETY: kill takes a pid and a signal; the pid is a helper
            // of this user, found just now.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
        }
        say(format!(
            "{} the prompt helper {pid} of shell {shell}",
            would("stopped", "would stop")
        ))?;
    }

    for link in shim_links(vars) {
        if !dry_run {
            std::fs::remove_file(&link)
                .with_context(|| format!("could not remove {}", shown(&link)))?;
        }
        say(format!(
            "{} the guard's shim {}",
            would("removed", "would remove"),
            shown(&link)
        ))?;
    }
    if let Some(record) = vars.state_dir().map(|d| d.join(SHIM_RECORD)) {
        if !dry_run && record.exists() {
            let _ = std::fs::remove_file(record);
        }
    }

    let lines = rc_lines(vars);
    if lines.is_empty() {
        say("no startup file loads dctx".into())?;
    } else {
        say("delete these lines from your startup files (dctx leaves them to you):".into())?;
        for (file, number, text) in lines {
            say(format!(
                "  {}:{number}: {}",
                shown(&file),
                for_terminal(text.trim())
            ))?;
        }
    }
    if let Some(state) = vars.state_dir().filter(|d| d.exists()) {
        say(format!(
            "kept {} (the guard's log, pins); remove it if you want them gone",
            shown(&state)
        ))?;
    }
    if let Ok(exe) = std::env::current_exe() {
        say(format!(
            "last, the binaries: rm {} {}   (or: cargo uninstall dctx)",
            shown(&exe),
            shown(&exe.with_file_name("dctx-prompt"))
        ))?;
    }
    Ok(())
}

/// The daemon's pid, when one answers on this user's socket.
fn daemon_pid(runtime: &Path) -> Option<u32> {
    let socket = socket_path(runtime);
    match Client::connect(&socket, Duration::from_millis(500), "dctx")
        .and_then(|mut c| c.call(&Request::Status))
    {
        Ok(Response::Status(status)) => Some(status.pid),
        Err(ClientError::OtherBuild(other)) => Some(other.pid),
        _ => None,
    }
}

/// `$XDG_CONFIG_HOME/systemd/user`, else `~/.config/systemd/user`.
fn systemd_dir(vars: &Vars) -> Option<PathBuf> {
    let config = vars
        .get("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| vars.home().map(|h| h.join(".config")))?;
    Some(config.join("systemd").join("user"))
}

/// dctx's unit files that are there.
fn systemd_units(vars: &Vars) -> Vec<PathBuf> {
    let Some(dir) = systemd_dir(vars) else {
        return Vec::new();
    };
    UNITS
        .iter()
        .map(|u| dir.join(u))
        .filter(|p| p.symlink_metadata().is_ok())
        .collect()
}

/// Disables and stops the units (when systemctl is there), then removes
/// their files.
fn remove_units(vars: &Vars) -> anyhow::Result<()> {
    let units = systemd_units(vars);
    if units.is_empty() {
        return Ok(());
    }
    let path = vars.get("PATH").unwrap_or_default();
    let systemctl = std::env::split_paths(path)
        .map(|d| d.join("systemctl"))
        .find(|p| p.is_file());
    if let Some(systemctl) = systemctl {
        // A failure here (no user manager, say) leaves nothing running
        // that removing the files would not also end at the next login.
        let _ = std::process::Command::new(systemctl)
            .args(["--user", "disable", "--now"])
            .args(UNITS)
            .stdin(std::process::Stdio::null())
            .status();
    }
    for unit in units {
        std::fs::remove_file(&unit)
            .with_context(|| format!("could not remove {}", shown(&unit)))?;
    }
    Ok(())
}

/// The `--serve` helpers of this user, with the shell each serves: a
/// process whose command line is `… --serve … --pid PID …` for a shell
/// that has a dir in the runtime dir's `shells/`.
fn helpers(runtime: &Path) -> Vec<(u32, u32)> {
    use std::os::unix::fs::MetadataExt;
    let shells: Vec<u32> = std::fs::read_dir(shells_dir(runtime))
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    if shells.is_empty() {
        return Vec::new();
    }
    let me = euid();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if entry.metadata().map(|m| m.uid()).ok() != Some(me) {
            continue;
        }
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
        let is_prompt = args.first().is_some_and(|a| {
            Path::new(OsStr::from_bytes(a)).file_name() == Some(OsStr::new("dctx-prompt"))
        });
        if !is_prompt || !args.contains(&&b"--serve"[..]) {
            continue;
        }
        let shell = args
            .windows(2)
            .find(|w| w[0] == b"--pid")
            .and_then(|w| std::str::from_utf8(w[1]).ok()?.parse::<u32>().ok());
        if let Some(shell) = shell.filter(|s| shells.contains(s)) {
            found.push((pid, shell));
        }
    }
    found
}

/// The guard's shim links: `docker` and `docker-compose` that lead to a
/// dctx, in the dirs `dctx guard shim` recorded and in the dirs on PATH
/// (a shim installed before dctx recorded them).
fn shim_links(vars: &Vars) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = vars
        .state_dir()
        .and_then(|d| std::fs::read(d.join(SHIM_RECORD)).ok())
        .map(|bytes| {
            bytes
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .map(|l| PathBuf::from(OsStr::from_bytes(l)))
                .collect()
        })
        .unwrap_or_default();
    dirs.extend(
        std::env::split_paths(vars.get("PATH").unwrap_or_default()).filter(|d| d.is_absolute()),
    );
    let mut links = Vec::new();
    for dir in dirs {
        for name in ["docker", "docker-compose"] {
            let link = dir.join(name);
            let is_link = link
                .symlink_metadata()
                .is_ok_and(|m| m.file_type().is_symlink());
            if is_link && is_dctx(&link) && !links.contains(&link) {
                links.push(link);
            }
        }
    }
    links
}

/// Every line that loads dctx in the shells' and tmux's startup files:
/// (file, line number from 1, the line).
fn rc_lines(vars: &Vars) -> Vec<(PathBuf, usize, String)> {
    let Some(home) = vars.home() else {
        return Vec::new();
    };
    let config = vars
        .get("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".config"));
    let zdotdir = vars
        .get("ZDOTDIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| home.clone());
    let mut files: Vec<PathBuf> = [".bashrc", ".bash_profile", ".bash_login", ".profile"]
        .iter()
        .map(|f| home.join(f))
        .collect();
    files.extend(
        [".zshrc", ".zshenv", ".zprofile", ".zlogin"]
            .iter()
            .map(|f| zdotdir.join(f)),
    );
    files.push(config.join("fish").join("config.fish"));
    let mut conf_d: Vec<PathBuf> = std::fs::read_dir(config.join("fish").join("conf.d"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension() == Some(OsStr::new("fish")))
        .collect();
    conf_d.sort();
    files.extend(conf_d);
    files.push(home.join(".tmux.conf"));
    files.push(config.join("tmux").join("tmux.conf"));
    let mut found = Vec::new();
    for file in files {
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        let is_tmux = file.to_string_lossy().contains("tmux");
        for (i, line) in String::from_utf8_lossy(&bytes).lines().enumerate() {
            let loads = line.contains("dctx init")
                || (is_tmux
                    && (line.contains("dctx.tmux")
                        || line.contains("dctx-prompt")
                        || (line.contains("@plugin") && line.contains("dctx"))));
            if loads && !line.trim_start().starts_with('#') {
                found.push((file.clone(), i + 1, line.to_string()));
            }
        }
    }
    found
}
