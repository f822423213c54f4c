//! `dctx-prompt`: print the prompt segment and get out of the way.
//!
//! Invariant: this crate starts no async runtime and has no dependency that
//! could start one. On the prompt path nothing is fatal: anything wrong
//! becomes a short marker on stdout and exit status 0.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::os::fd::AsFd;
use std::process::ExitCode;

mod daemon_path;
mod direct;
mod fifos;
mod serve;

use clap::Parser;
use dctx_core::Shell;
use dctx_ipc::helper_frame::{self, Kept, Started};
use dctx_ipc::protocol::{Render, Request as DaemonRequest};
use dctx_ipc::Vars;

/// Printed when dctx-prompt itself fails, so the prompt is never blank.
pub const FAILURE_MARKER: &str = "dctx?";

#[derive(Debug, Parser)]
#[command(
    name = "dctx-prompt",
    version = dctx_ipc::build_id::VERSION_LINE,
    about = "Print the Docker context segment for a prompt or status bar",
    long_about = concat!(
        "Print the Docker context segment for a prompt or status bar.\n\n\
        Without --format the segment follows your settings file \
        ($DCTX_CONFIG, else $XDG_CONFIG_HOME/dctx/config.toml): the local \
        `default` context is hidden, a DOCKER_HOST override always shows its \
        host, and ",
        dctx_core::builtin_danger_description!(),
        " are bold red. Problems show as a trailing `?`; `dctx status` explains \
        them. Always exits 0."
    ),
    after_help = placeholder_help()
)]
struct Args {
    /// Resolve directly instead of asking the dctx daemon (which is asked,
    /// and started in the background when it is not running, only with
    /// --tty or --pid: for itself, this process resolves just as well)
    #[arg(long)]
    no_daemon: bool,
    /// The pid of the shell this prompt is for (default: the parent process)
    #[arg(long, value_name = "PID")]
    pid: Option<u32>,
    /// Show the context of the dctx-hooked shell on this terminal (for tmux:
    /// `--tty #{pane_tty}`); without one, this process's own environment
    #[arg(long, value_name = "TTY")]
    tty: Option<String>,
    /// Serve one shell for its lifetime: requests on stdin, segments on
    /// stdout (see shell-integrations/ and dctx_ipc::helper_frame)
    #[arg(long, hide = true)]
    serve: bool,
    /// Start a --serve helper for the shell --pid, on two FIFOs in its
    /// private dir, and print its pid and that dir (what `dctx init bash`
    /// and `dctx init zsh` run once per shell)
    #[arg(long, hide = true, conflicts_with = "serve", requires = "pid")]
    serve_fifos: bool,
    /// Answer for the shell --pid, which has no helper (fish), and print
    /// the segment and, when the shell may keep it, its stamp dir, each
    /// NUL-terminated (dctx_ipc::helper_frame::Kept)
    #[arg(long, hide = true, requires = "pid", conflicts_with_all = ["serve", "tty"])]
    keep: bool,
    /// With --keep: the frame version the calling script speaks
    /// (dctx_ipc::helper_frame::FRAME_VERSION)
    #[arg(long, hide = true, value_name = "VERSION", requires = "keep")]
    frame: Option<String>,
    /// With --serve: a pidfd of the shell, inherited; the helper exits
    /// when it does
    #[arg(long, hide = true, value_name = "FD", requires = "serve")]
    shell_pidfd: Option<i32>,
    /// Print this format, placeholders filled, never hidden
    #[arg(long, value_name = "FMT")]
    format: Option<String>,
    /// Show the local `default` context too, in the settings' format and
    /// style (which hide it); everything else as without this flag
    #[arg(long, conflicts_with_all = ["serve", "keep"])]
    show_default: bool,
    /// Printed after the segment, only when the segment is not empty
    /// (e.g. `--suffix ' | '` for a status bar), escaped like the segment
    #[arg(long, value_name = "TEXT", conflicts_with_all = ["serve", "keep"])]
    suffix: Option<String>,
    /// Escape styles for this line editor
    #[arg(long, value_name = "SHELL", value_enum, default_value_t = Shell::Plain)]
    shell: Shell,
}

/// The placeholders line of `--help`, from the one list.
fn placeholder_help() -> String {
    format!(
        "Placeholders: {}; {{{{ and }}}} are literal braces.",
        dctx_core::format::placeholder_list()
    )
}

/// The command line, for completions (`dctx completions`).
pub fn command() -> clap::Command {
    <Args as clap::CommandFactory>::command()
}

/// Parses `args`, prints the segment, and returns the exit code.
pub fn run(args: Vec<OsString>, vars: &Vars) -> ExitCode {
    let args = match Args::try_parse_from(&args) {
        Ok(args) => args,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // A misconfigured prompt still shows something, and says why
            // on stderr; the exit status stays 0, as documented, so that
            // no prompt framework shows an error of its own.
            let _ = e.print();
            print_segment(FAILURE_MARKER);
            return ExitCode::SUCCESS;
        }
    };
    let shell = args.shell;
    if args.serve_fifos {
        return start_helper(&args, vars);
    }
    if args.keep {
        let caller = daemon_path::caller(args.pid, vars);
        let helper = serve::Helper::new(shell, args.format.clone(), caller, vars);
        let cwd = std::env::current_dir().unwrap_or_default();
        let this_version = Kept::is_this_version(args.frame.as_deref());
        let kept = helper.answer_once(vars, cwd, this_version);
        let _ = kept.write(&mut std::io::stdout().lock());
        return ExitCode::SUCCESS;
    }
    if args.serve {
        let caller = daemon_path::caller(args.pid, vars);
        let mut helper = serve::Helper::new(shell, args.format.clone(), caller, vars);
        // SAFETY: the starter passed this descriptor to us alone.
        let shell_fd = args
            .shell_pidfd
            .filter(|&fd| fd > 2)
            .map(|fd| unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) });
        // The only buffer over fd 0 is ours (not std's stdin's), so the
        // helper can tell that nothing is buffered before it waits on it.
        let Ok(fd) = std::io::stdin().as_fd().try_clone_to_owned() else {
            return ExitCode::SUCCESS;
        };
        let stdin = std::fs::File::from(fd);
        let mut input = std::io::BufReader::new(&stdin);
        let _ = helper.run(
            &mut input,
            Some(stdin.as_fd()),
            shell_fd.as_ref().map(|fd| fd.as_fd()),
            std::io::stdout().lock(),
        );
        return ExitCode::SUCCESS;
    }
    let env = vars.docker_env();
    let settings_path = vars.settings_path();
    // The fallback of a script of another frame version, whose helper
    // left the mark: the right segment still, and the word to restart.
    let stale = args
        .pid
        .is_some_and(|pid| script_is_stale(&vars.runtime_dir(), pid));
    let finish = |segment: String| {
        let segment = if stale {
            helper_frame::with_restart_hint(&segment)
        } else {
            segment
        };
        print_segment(&with_suffix(segment, &args, shell));
    };
    // The daemon is worth a connection when it knows something this
    // process does not: the shell on a tty (tmux), or so that it learns of
    // the shell a hook asks for (`--pid`), for tmux to look up. Otherwise
    // (starship's custom module, a script) resolving here is the same
    // answer, and faster than connecting.
    let worth_asking = args.tty.is_some() || args.pid.is_some();
    if !args.no_daemon && worth_asking {
        let cwd = std::env::current_dir().unwrap_or_default();
        let render = Render {
            shell,
            format: args.format.clone(),
            settings: settings_path.clone(),
            show_default: args.show_default,
        };
        let env = env.clone().absolutized(&cwd);
        let request = match &args.tty {
            // A status bar asks about a pane's shell; it is not a shell itself.
            Some(tty) => DaemonRequest::Lookup {
                tty: Some(tty.clone()),
                pid: None,
                fallback: env,
                render,
            },
            None => daemon_path::query(&env, daemon_path::caller(args.pid, vars), render),
        };

        let runtime_dir = vars.runtime_dir();
        match daemon_path::ask(&runtime_dir, &request) {
            Ok(segment) => {
                finish(segment.text);
                return ExitCode::SUCCESS;
            }
            Err(e) => daemon_path::recover(&runtime_dir, &e, vars.is_set("DCTX_NO_AUTOSTART")),
        }
    }
    let segment = direct::render(
        &env,
        shell,
        args.format.as_deref(),
        settings_path.as_deref(),
        args.show_default,
    );
    finish(segment);
    ExitCode::SUCCESS
}

/// Whether shell `pid`'s helper found its script speaking another frame
/// version (`helper_frame::stale_mark`), in a runtime dir that is ours.
fn script_is_stale(runtime_dir: &std::path::Path, pid: u32) -> bool {
    let dir = dctx_ipc::paths::shell_stamps_dir(runtime_dir, pid);
    std::fs::symlink_metadata(helper_frame::stale_mark(&dir)).is_ok_and(|m| m.is_file())
        && dctx_ipc::paths::check_private_dir(&dir).is_ok()
}

/// `segment` and then `--suffix`, escaped for `shell`, unless `segment` is
/// empty: a status bar's separator goes away with a hidden context.
fn with_suffix(mut segment: String, args: &Args, shell: Shell) -> String {
    if let Some(suffix) = args.suffix.as_deref().filter(|_| !segment.is_empty()) {
        segment.push_str(&dctx_core::style::escape(shell, suffix));
    }
    segment
}

/// `--serve-fifos`: starts the helper and prints [`Started`], or nothing
/// (and exits 1) when it cannot, so the hook resolves per prompt.
fn start_helper(args: &Args, vars: &Vars) -> ExitCode {
    let Some(pid) = args.pid else {
        return ExitCode::FAILURE;
    };
    let mut helper_args: Vec<OsString> = vec![
        "--serve".into(),
        "--shell".into(),
        args.shell.as_str().into(),
        "--pid".into(),
        pid.to_string().into(),
    ];
    if let Some(format) = &args.format {
        helper_args.extend(["--format".into(), format.into()]);
    }
    match fifos::start(pid, &helper_args, &vars.runtime_dir()) {
        Ok((pid, dir)) => {
            let _ = Started { pid, dir }.write(&mut std::io::stdout().lock());
            ExitCode::SUCCESS
        }
        Err(_) => ExitCode::FAILURE,
    }
}

/// Writes the segment; a newline only for a person at a terminal, since
/// prompts and status bars want the bare text.
pub fn print_segment(segment: &str) {
    let mut out = std::io::stdout().lock();
    let newline = if out.is_terminal() { "\n" } else { "" };
    // A closed stdout is the caller's business; nothing useful to say.
    let _ = write!(out, "{segment}{newline}");
    let _ = out.flush();
}
