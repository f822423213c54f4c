//! `dctx guard`: decide for one docker command line (see
//! `dctx_core::guard`), then either replace this process with the real
//! docker (exec: docker's own exit status, signals, stdin and terminal) or
//! refuse with the reason and the command to run instead; and
//! `dctx guard log`. The shim is `shim.rs`.

use std::ffi::OsString;
use std::io::{BufRead, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use dctx_core::guard::commands::{builtin_table, find_anywhere};
use dctx_core::guard::{command_text, decide, visible, Decision, Input, Verdict, REFUSED_STATUS};
use dctx_core::{RealFs, Settings};
use dctx_ipc::Vars;

use crate::audit::{self, Outcome, Record};

/// The variable that turns the guard off for one command.
pub const OFF_VAR: &str = "DCTX_GUARD";

/// What the guard makes of one line, panics included: a bug in the
/// decision must not leave the user without docker, nor let a destructive
/// command through unseen.
fn decision(vars: &Vars, args: &[OsString]) -> Decision {
    let attempt = std::panic::catch_unwind(|| {
        let env = vars.docker_env();
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
        })
    });
    attempt.unwrap_or_else(|_| after_a_panic(args))
}

/// Whether `path` is a symlink that leads nowhere.
fn dangling(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
        && std::fs::metadata(path).is_err()
}

/// The fail-safe decision when deciding panicked: the target is unknown,
/// so a command that looks destructive is refused and anything else runs.
fn after_a_panic(args: &[OsString]) -> Decision {
    let matched =
        std::panic::catch_unwind(|| find_anywhere(args, &builtin_table())).unwrap_or(None);
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

/// `dctx guard [--explain [--json]] -- ARGS…`.
pub fn run(vars: &Vars, args: &[OsString], explain: bool, json: bool) -> anyhow::Result<ExitCode> {
    // The default hook prints the panic; the fallback says it better.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("dctx guard: internal error: {info}");
    }));
    let mut d = decision(vars, args);
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
                let mut text = d.refusal_text(args);
                if d.confirm {
                    text.push_str("  (mode = \"confirm\" asks only on a terminal)\n");
                }
                let _ = std::io::stderr().write_all(text.as_bytes());
                log(vars, args, &d, Outcome::Refused);
                return Ok(ExitCode::from(REFUSED_STATUS));
            }
        }
    };
    if let Some(outcome) = outcome {
        log(vars, args, &d, outcome);
    }
    exec_docker(vars, args)
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

fn log(vars: &Vars, args: &[OsString], d: &Decision, outcome: Outcome) {
    let Some(state) = vars.state_dir() else {
        eprintln!("dctx guard: no home directory, so nothing is logged");
        return;
    };
    let user = vars
        .get("USER")
        .or_else(|| vars.get("LOGNAME"))
        .map(|u| u.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Err(e) = audit::append(&state, &Record::new(user, args, d, outcome)) {
        eprintln!(
            "dctx guard: could not write the audit log in {}: {e}",
            state.display()
        );
    }
}

/// Replaces this process with the real docker.
fn exec_docker(vars: &Vars, args: &[OsString]) -> anyhow::Result<ExitCode> {
    let Some(docker) = crate::shim::real_docker(vars.get("PATH").unwrap_or_default()) else {
        eprintln!("dctx guard: no docker on PATH other than the guard itself");
        return Ok(ExitCode::from(127));
    };
    let error = std::process::Command::new(&docker)
        .arg0("docker")
        .args(args)
        .exec();
    Err(anyhow::Error::new(error).context(format!("could not run {}", docker.display())))
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
                let mut argv = vec!["docker".to_string()];
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
            after_a_panic(&words("-c x system prune -af")).decision,
            Verdict::Refuse
        );
        assert_eq!(
            after_a_panic(&words("--weird rmi x")).decision,
            Verdict::Refuse
        );
        assert_eq!(after_a_panic(&words("ps -a")).decision, Verdict::Allow);
        assert_eq!(after_a_panic(&[]).decision, Verdict::Allow);
    }
}
