//! `dctx guard`: decide for one docker command line (see
//! `dctx_core::guard`), then either replace this process with the real
//! docker (exec: docker's own exit status, signals, stdin and terminal) or
//! refuse with the reason and the command to run instead; and
//! `dctx guard log`. The shim is `shim.rs`.

use std::ffi::OsString;
use std::io::{BufRead, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use dctx_core::guard::commands::{builtin_table, find_anywhere};
use dctx_core::guard::{
    command_text, decide, visible, Decision, Input, Program, Verdict, REFUSED_STATUS,
};
use dctx_core::{RealFs, Settings};
use dctx_ipc::Vars;

use crate::audit::{self, Outcome, Record};

/// The variable that turns the guard off for one command.
pub const OFF_VAR: &str = "DCTX_GUARD";

/// How the guard was reached.
#[derive(Debug, Clone, Default)]
pub struct Invocation<'a> {
    /// The program whose line it is (`docker-compose`: the shim's link of
    /// that name, or `dctx guard --compose`).
    pub program: Program,
    /// `dctx exec NAME -- docker …`: NAME, which that command runs with as
    /// DOCKER_CONTEXT (and without DOCKER_HOST), and which it names.
    pub exec_named: Option<&'a str>,
    /// The program to run when it is allowed, when the command gave a path
    /// (else the first on PATH that is not dctx).
    pub path: Option<PathBuf>,
}

/// The Docker variables `dctx exec NAME` gives its command.
fn exec_env(env: &dctx_core::Env, name: &str) -> dctx_core::Env {
    let vars = env
        .vars()
        .filter(|(k, _)| !matches!(*k, "DOCKER_HOST" | "DOCKER_CONTEXT"))
        .map(|(k, v)| (k.to_string(), v.to_os_string()))
        .chain([("DOCKER_CONTEXT".to_string(), OsString::from(name))]);
    dctx_core::Env::new(vars, env.home().cloned())
}

/// What the guard makes of one line, panics included: a bug in the
/// decision must not leave the user without docker, nor let a destructive
/// command through unseen.
fn decision(vars: &Vars, args: &[OsString], how: &Invocation) -> Decision {
    let attempt = std::panic::catch_unwind(|| {
        let mut env = vars.docker_env();
        if let Some(name) = how.exec_named {
            env = exec_env(&env, name);
        }
        let compose_file = vars.get("COMPOSE_FILE").and_then(|f| {
            dctx_core::compose_args::first_compose_file(f, vars.get("COMPOSE_PATH_SEPARATOR"))
        });
        let path = vars.settings_path();
        let settings = match Settings::load_optional(&RealFs, path.as_deref()) {
            // A dangling symlink reads as "no file", which would mean the
            // built-in defaults: for the guard it is a file it cannot read.
            _ if path.as_deref().is_some_and(dangling) => Err(format!(
                "{} is a symlink to nothing",
                path.as_deref()
                    .map(Path::display)
                    .map(|p| p.to_string())
                    .unwrap_or_default()
            )),
            (s, None) => Ok(s.guard),
            (_, Some(problem)) => Err(problem),
        };
        let cwd = std::env::current_dir().unwrap_or_default();
        decide(&Input {
            env: &env,
            args,
            settings: settings.as_ref().map_err(Clone::clone),
            fs: &RealFs,
            cwd: &cwd,
            program: how.program,
            exec_named: how.exec_named,
            compose_file: compose_file.as_deref(),
        })
    });
    attempt.unwrap_or_else(|_| after_a_panic(args, how.program))
}

/// Whether `path` is a symlink that leads nowhere.
fn dangling(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
        && std::fs::metadata(path).is_err()
}

/// The fail-safe decision when deciding panicked: the target is unknown,
/// so a command that looks destructive is refused and anything else runs.
fn after_a_panic(args: &[OsString], program: Program) -> Decision {
    // The table's compose rows start with `compose`.
    let words: Vec<OsString> = match program {
        Program::Docker => args.to_vec(),
        Program::Compose => std::iter::once("compose".into())
            .chain(args.iter().cloned())
            .collect(),
    };
    let matched =
        std::panic::catch_unwind(|| find_anywhere(&words, &builtin_table())).unwrap_or(None);
    Decision {
        decision: if matched.is_some() {
            Verdict::Refuse
        } else {
            Verdict::Allow
        },
        context: "(unknown)".into(),
        host: String::new(),
        source: "(unknown)",
        problem: None,
        command: matched.clone().unwrap_or_default(),
        destructive: matched.is_some(),
        protected: matched.is_some(),
        named: false,
        reasons: vec![
            "the guard failed (a bug: please report it), so it cannot tell the target".into(),
        ],
        instead: Vec::new(),
        confirm: false,
        target_env: Default::default(),
    }
}

/// `dctx guard [--compose] [--explain [--json]] -- ARGS…`.
pub fn run(
    vars: &Vars,
    args: &[OsString],
    how: &Invocation,
    explain: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    // The default hook prints the panic; the fallback says it better.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("dctx guard: internal error: {info}");
    }));
    let mut d = decision(vars, args, how);
    if d.destructive && (d.decision == Verdict::Allow || d.confirm) {
        // Only the daemon's probes know whether the engine is the pinned
        // one; asked only for destructive commands.
        let engine = crate::engine::report(vars, &d.target_env, &d.context);
        d.hold_to_pin(&engine);
    }
    if explain {
        let mut out = std::io::stdout().lock();
        if json {
            serde_json::to_writer_pretty(&mut out, &d).context("could not write to stdout")?;
            writeln!(out).context("could not write to stdout")?;
        } else {
            out.write_all(explanation(&d).as_bytes())
                .context("could not write to stdout")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let bypass = vars.get(OFF_VAR).is_some_and(|v| v == "off");
    let outcome = match (d.decision, bypass) {
        _ if !d.destructive => None,
        (_, true) => {
            eprintln!(
                "dctx guard: off for this command ({OFF_VAR}=off): {} runs on {} ({}); logged",
                d.command,
                visible(&d.context),
                visible(&d.host)
            );
            Some(Outcome::Bypassed)
        }
        (Verdict::Allow, false) => Some(Outcome::Allowed),
        (Verdict::Refuse, false) => {
            if d.confirm && confirmed(&d) {
                Some(Outcome::Confirmed)
            } else {
                let mut text = d.refusal_text_of(how.program, args);
                if d.confirm {
                    text.push_str("  (mode = \"confirm\" asks only on a terminal)\n");
                }
                let _ = std::io::stderr().write_all(text.as_bytes());
                log(vars, args, &d, how, Outcome::Refused);
                return Ok(ExitCode::from(REFUSED_STATUS));
            }
        }
    };
    if let Some(outcome) = outcome {
        log(vars, args, &d, how, outcome);
    }
    exec_program(vars, args, how)
}

/// The decision as prose (`--explain`).
fn explanation(d: &Decision) -> String {
    let mut out = format!(
        "decision:    {}\ncontext:     {}\nendpoint:    {}\nchosen by:   {}\ncommand:     {}\ndestructive: {}\nprotected:   {}\n",
        match d.decision {
            Verdict::Allow => "allow",
            Verdict::Refuse => "refuse",
        },
        dctx_core::guard::shell_word(&d.context),
        dctx_core::guard::shell_word(&d.host),
        d.source,
        if d.command.is_empty() { "(none)" } else { &d.command },
        d.destructive,
        d.protected
    );
    if let Some(problem) = &d.problem {
        out.push_str(&format!("problem:     {}\n", visible(problem)));
    }
    for reason in &d.reasons {
        out.push_str(&format!("because:     {}\n", visible(reason)));
    }
    for instead in &d.instead {
        out.push_str(&format!("instead:     {}\n", command_text(&instead.argv)));
    }
    out
}

/// Asks on the terminal for the context's name (`mode = "confirm"`); no
/// terminal, no confirmation.
fn confirmed(d: &Decision) -> bool {
    if unsafe { libc::isatty(0) } != 1 {
        return false;
    }
    let Ok(mut tty) = std::fs::File::options()
        .read(true)
        .write(true)
        .open("/dev/tty")
    else {
        return false;
    };
    let _ = write!(
        tty,
        "{}dctx guard: type the context's name to run `{}` on it: ",
        d.refusal_text(&[])
            .lines()
            .skip(1)
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
        d.command
    );
    let mut answer = String::new();
    let mut reader = std::io::BufReader::new(tty.take(1024));
    if reader.read_line(&mut answer).is_err() {
        return false;
    }
    answer.trim_end_matches(['\n', '\r']) == d.context
}

fn log(vars: &Vars, args: &[OsString], d: &Decision, how: &Invocation, outcome: Outcome) {
    let Some(state) = vars.state_dir() else {
        eprintln!("dctx guard: no home directory, so nothing is logged");
        return;
    };
    let user = vars
        .get("USER")
        .or_else(|| vars.get("LOGNAME"))
        .map(|u| u.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut record = Record::new(user, args, d, outcome);
    if how.program != Program::Docker {
        record.program = Some(how.program.name().into());
    }
    // Only `dctx exec` names a target through DOCKER_CONTEXT.
    if how.exec_named.is_some() && d.named && d.source == "DOCKER_CONTEXT" {
        record.named = Some("dctx exec".into());
    }
    if let Err(e) = audit::append(&state, &record) {
        eprintln!(
            "dctx guard: could not write the audit log in {}: {e}",
            state.display()
        );
    }
}

/// Replaces this process with the real docker (or docker-compose): the
/// path the command gave unless it is dctx, else the first on PATH that
/// is not dctx; with `dctx exec`'s DOCKER_CONTEXT.
fn exec_program(vars: &Vars, args: &[OsString], how: &Invocation) -> anyhow::Result<ExitCode> {
    let name = how.program.name();
    let given = how.path.clone().filter(|p| !crate::shim::is_dctx(p));
    let Some(program) =
        given.or_else(|| crate::shim::real_program(name, vars.get("PATH").unwrap_or_default()))
    else {
        eprintln!("dctx guard: no {name} on PATH other than the guard itself");
        return Ok(ExitCode::from(127));
    };
    let mut command = std::process::Command::new(&program);
    command.arg0(name).args(args);
    if let Some(context) = how.exec_named {
        command
            .env("DOCKER_CONTEXT", context)
            .env_remove("DOCKER_HOST");
    }
    let error = command.exec();
    Err(anyhow::Error::new(error).context(format!("could not run {}", program.display())))
}

/// `dctx guard log`: the recent records, oldest first.
pub fn show_log(vars: &Vars, n: usize, json: bool) -> anyhow::Result<()> {
    let state = vars
        .state_dir()
        .context("no home directory, so there is no log")?;
    let lines = audit::recent(&state, n)
        .with_context(|| format!("could not read {}", audit::log_path(&state).display()))?;
    let mut out = std::io::stdout().lock();
    if lines.is_empty() && !json {
        writeln!(
            out,
            "no destructive command logged yet ({})",
            audit::log_path(&state).display()
        )?;
    }
    for line in lines {
        let text = match line {
            audit::Line::Record(r) if json => serde_json::to_string(&r)?,
            audit::Line::Record(r) => {
                let mut argv = vec![r.program.clone().unwrap_or_else(|| "docker".into())];
                argv.extend(r.argv.iter().cloned());
                format!(
                    "{}  {:<9}  {}  {}  {}",
                    r.time,
                    serde_json::to_value(r.decision)?
                        .as_str()
                        .unwrap_or_default(),
                    visible(&r.context),
                    visible(&r.endpoint),
                    command_text(&argv)
                )
            }
            audit::Line::Other(text) if json => text,
            audit::Line::Other(_) => "(a record of another dctx version)".to_string(),
        };
        writeln!(out, "{text}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<OsString> {
        s.split_whitespace().map(OsString::from).collect()
    }

    #[test]
    fn after_a_panic_destructive_is_refused_and_the_rest_runs() {
        assert_eq!(
            after_a_panic(&words("-c x system prune -af"), Program::Docker).decision,
            Verdict::Refuse
        );
        assert_eq!(
            after_a_panic(&words("--weird rmi x"), Program::Docker).decision,
            Verdict::Refuse
        );
        assert_eq!(
            after_a_panic(&words("ps -a"), Program::Docker).decision,
            Verdict::Allow
        );
        assert_eq!(
            after_a_panic(&words("-p x down"), Program::Compose).decision,
            Verdict::Refuse
        );
        assert_eq!(
            after_a_panic(&[], Program::Compose).decision,
            Verdict::Allow
        );
    }
}
