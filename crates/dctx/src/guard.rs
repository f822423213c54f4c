//! `dctx guard`: decide for one docker command line (see
//! `dctx_core::guard`), then either replace this process with the real
//! docker (exec: docker's own exit status, signals, stdin and terminal) or
//! refuse with the reason and the command to run instead; and
//! `dctx guard log`. The shim is `shim.rs`; confirm mode's question is
//! `guard/confirm.rs`; the marker that stops a `docker` on PATH that leads
//! back to the guard is `guard/exec_marker.rs`.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use dctx_core::guard::commands::{builtin_table, find_anywhere, Matched, MAX_SCAN};
use dctx_core::guard::policy::{GuardSettings, SyslogSink};
use dctx_core::guard::table::Class;
use dctx_core::guard::{
    command_text, decide, visible, Decision, Input, Paste, Program, Verdict, REFUSED_STATUS,
};
use dctx_core::terminal_text::for_terminal;
use dctx_core::RealFs;
use dctx_ipc::Vars;

use crate::audit::{self, Outcome, Record};

mod confirm;
mod exec_marker;
pub mod real_program;

use exec_marker::{leads_back, EXEC_VAR};

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
    /// The shell the refusal's lines are quoted for.
    pub paste: Paste,
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

/// The exit status when the docker on PATH leads back to the guard:
/// docker is, in effect, not found.
pub const LOOP_STATUS: u8 = 127;

/// The guard's settings as loaded from both files.
struct Loaded {
    /// The guard settings, or why the guard cannot trust them.
    guard: Result<GuardSettings, String>,
    /// When `DCTX_GUARD=off` is not honoured: why.
    off_forbidden: Option<String>,
    /// Where records go besides the audit log.
    syslog: Vec<SyslogSink>,
    /// The files, for `--explain`.
    system_path: PathBuf,
    user_path: Option<PathBuf>,
}

/// Reads the system file and the user's, panics included: a bug there
/// must leave the guard failing safe.
fn load(vars: &Vars) -> Loaded {
    let system_path = vars.system_settings_path();
    let user_path = vars.settings_path();
    let attempt = std::panic::catch_unwind(|| vars.layered_settings())
        .map_err(|_| "the guard failed reading its settings (a bug: please report it)".to_string());
    let layered = match attempt {
        Ok(layered) => layered,
        Err(e) => {
            return Loaded {
                guard: Err(e.clone()),
                off_forbidden: Some(e),
                syslog: Vec::new(),
                system_path,
                user_path,
            }
        }
    };
    // A dangling symlink reads as "no file", which would mean no settings
    // at all: for the guard it is a file it cannot read.
    let dangles =
        |p: &Path| dangling(p).then(|| format!("{} is a symlink to nothing", p.display()));
    let system_problem = dangles(&system_path).or(layered.system_problem.clone());
    let user_problem = user_path
        .as_deref()
        .and_then(dangles)
        .or(layered.problem.clone());
    let guard = layered.settings.guard;
    // The system file's say on DCTX_GUARD=off is unknown when it cannot
    // be read: then off is not honoured either.
    let off_forbidden = match &system_problem {
        Some(problem) => Some(format!("the system settings cannot be used ({problem})")),
        None if !guard.allow_off => {
            let file = match &guard.floor {
                Some(f) if !f.allow_off => f.file.clone(),
                _ => guard.file.clone(),
            };
            Some(format!(
                "allow_off = false in {}",
                file.unwrap_or_else(|| "the settings".into())
            ))
        }
        None => None,
    };
    let syslog = if system_problem.is_some() {
        Vec::new()
    } else {
        guard.syslog.clone()
    };
    Loaded {
        guard: match system_problem.or(user_problem) {
            Some(problem) => Err(problem),
            None => Ok(guard),
        },
        off_forbidden,
        syslog,
        system_path,
        user_path,
    }
}

/// What the guard makes of one line, panics included: a bug in the
/// decision must not leave the user without docker, nor let a destructive
/// command through unseen.
fn decision(vars: &Vars, args: &[OsString], how: &Invocation, loaded: &Loaded) -> Decision {
    let attempt = std::panic::catch_unwind(|| {
        let mut env = vars.docker_env();
        if let Some(name) = how.exec_named {
            env = exec_env(&env, name);
        }
        let compose_file = vars.get("COMPOSE_FILE").and_then(|f| {
            dctx_core::compose_args::first_compose_file(f, vars.get("COMPOSE_PATH_SEPARATOR"))
        });
        let cwd = std::env::current_dir().unwrap_or_default();
        decide(&Input {
            env: &env,
            args,
            settings: loaded.guard.as_ref().map_err(Clone::clone),
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
    let mut reasons =
        vec!["the guard failed (a bug: please report it), so it cannot tell the target".into()];
    let command = match &matched {
        Some(Matched::Entry(entry)) => entry.clone(),
        Some(Matched::TooLong) => {
            reasons.push(format!(
                "the line is too long to read (more than {MAX_SCAN} words), so it counts as destructive"
            ));
            String::new()
        }
        None => String::new(),
    };
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
        command,
        class: if matched.is_some() {
            Class::Destructive
        } else {
            Class::Read
        },
        destructive: matched.is_some(),
        protected: matched.is_some(),
        named: false,
        reasons,
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
    if !explain {
        if let Some(loop_text) = leads_back(vars, how.program.name()) {
            eprintln!("{loop_text}");
            return Ok(ExitCode::from(LOOP_STATUS));
        }
    }
    let loaded = load(vars);
    let mut d = decision(vars, args, how, &loaded);
    let mut engine = None;
    if d.destructive && (d.decision == Verdict::Allow || d.confirm) {
        // Only the daemon's probes know whether the engine is the pinned
        // one; asked only for destructive commands.
        let report = crate::engine::report(vars, &d.target_env, &d.context);
        d.hold_to_pin(&report);
        engine = Some(report);
    }
    if explain {
        let mut out = std::io::stdout().lock();
        if json {
            let mut doc = serde_json::to_value(&d).context("could not encode")?;
            doc["settings"] = settings_json(&loaded);
            serde_json::to_writer_pretty(&mut out, &doc).context("could not write to stdout")?;
            writeln!(out).context("could not write to stdout")?;
        } else {
            let mut text = explanation(&d, how.paste);
            text.push_str(&settings_lines(&loaded));
            out.write_all(text.as_bytes())
                .context("could not write to stdout")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut bypass = vars.get(OFF_VAR).is_some_and(|v| v == "off");
    if let Some(why) = loaded.off_forbidden.as_ref().filter(|_| bypass) {
        // An administrator's floor: the one switch that would skip it is
        // refused, and the guard decides as it would without it.
        bypass = false;
        let why = format!("{OFF_VAR}=off is not allowed here ({why})");
        eprintln!("dctx guard: {}", visible(&why));
        d.reasons.push(why);
    }
    let outcome = match (d.decision, bypass) {
        _ if !logged(&d) => None,
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
        (Verdict::Refuse, false) => match confirm::ask(&d, args, engine.as_ref()) {
            Some(true) => Some(Outcome::Confirmed),
            Some(false) => {
                eprintln!("dctx guard: not confirmed: nothing ran");
                log(vars, args, &d, how, Outcome::Refused, &loaded);
                return Ok(ExitCode::from(REFUSED_STATUS));
            }
            None => {
                let mut text = d.refusal_text_of(how.program, args, how.paste);
                if d.confirm {
                    text.push_str("  (mode = \"confirm\" asks only on a terminal)\n");
                }
                let _ = std::io::stderr().write_all(text.as_bytes());
                log(vars, args, &d, how, Outcome::Refused, &loaded);
                return Ok(ExitCode::from(REFUSED_STATUS));
            }
        },
    };
    if let Some(outcome) = outcome {
        log(vars, args, &d, how, outcome, &loaded);
    }
    exec_program(vars, args, how)
}

/// The settings files and each rule's file, for `--explain`.
fn settings_lines(loaded: &Loaded) -> String {
    let mut out = String::new();
    let path = |p: &Path| visible(&p.display().to_string());
    out.push_str(&format!(
        "settings:    {} (system; its [guard] is a floor)\n",
        path(&loaded.system_path)
    ));
    if let Some(user) = &loaded.user_path {
        out.push_str(&format!("settings:    {} (user)\n", path(user)));
    }
    match &loaded.guard {
        Ok(guard) => {
            for rule in guard.rules() {
                out.push_str(&format!(
                    "rule:        {} = {} ({})\n",
                    rule.setting,
                    visible(&rule.value),
                    visible(&rule.file)
                ));
            }
        }
        Err(e) => out.push_str(&format!("problem:     {}\n", visible(e))),
    }
    out
}

/// The same as JSON: `{"system": …, "user": …, "rules": [{setting,
/// value, file}], "problem": …}`.
fn settings_json(loaded: &Loaded) -> serde_json::Value {
    let (rules, problem) = match &loaded.guard {
        Ok(guard) => (guard.rules(), None),
        Err(e) => (Vec::new(), Some(e.clone())),
    };
    serde_json::json!({
        "system": loaded.system_path.display().to_string(),
        "user": loaded.user_path.as_ref().map(|p| p.display().to_string()),
        "rules": rules,
        "problem": problem,
    })
}

/// The decision as prose (`--explain`).
fn explanation(d: &Decision, paste: Paste) -> String {
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
        out.push_str(&format!("instead:     {}\n", paste.line(&instead.argv)));
    }
    out
}

/// Whether the line goes to the audit log: every one that changes an
/// engine (write or destructive), and every one refused by its class.
fn logged(d: &Decision) -> bool {
    d.class >= Class::Write || d.destructive
}

fn log(
    vars: &Vars,
    args: &[OsString],
    d: &Decision,
    how: &Invocation,
    outcome: Outcome,
    loaded: &Loaded,
) {
    // USER as a login shell sets it; else the uid's name in /etc/passwd
    // (static binaries: no NSS), then LOGNAME.
    let user = vars
        .get("USER")
        .filter(|u| !u.is_empty())
        .map(|u| u.to_string_lossy().into_owned())
        .or_else(|| {
            let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
            audit::user_name(&passwd, dctx_ipc::paths::euid())
        })
        .or_else(|| {
            vars.get("LOGNAME")
                .map(|u| u.to_string_lossy().into_owned())
        })
        .unwrap_or_default();
    let mut record = Record::new(user, args, d, outcome);
    if how.program != Program::Docker {
        record.program = Some(how.program.name().into());
    }
    // Only `dctx exec` names a target through DOCKER_CONTEXT.
    if how.exec_named.is_some() && d.named && d.source == "DOCKER_CONTEXT" {
        record.named = Some("dctx exec".into());
    }
    for sink in &loaded.syslog {
        if let Err(e) = audit::send_syslog(sink, &record) {
            eprintln!(
                "dctx guard: could not send the record to syslog at {}: {e}",
                visible(&sink.path.display().to_string())
            );
        }
    }
    let Some(state) = vars.state_dir() else {
        eprintln!("dctx guard: no home directory, so nothing is logged");
        return;
    };
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
    let given = how.path.clone().filter(|p| !real_program::is_dctx(p));
    let Some(program) =
        given.or_else(|| real_program::real_program(name, vars.get("PATH").unwrap_or_default()))
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
    // This process becomes docker: its pid marks it, for a guard that
    // this docker would start in turn (see `leads_back`).
    let error = command.env(EXEC_VAR, std::process::id().to_string()).exec();
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
    if n == 0 {
        return Ok(());
    }
    if json {
        for line in lines {
            let text = match line {
                audit::Line::Record(r) => serde_json::to_string(&r)?,
                audit::Line::Other(text) => text,
            };
            writeln!(out, "{}", json_for_terminal(&text))?;
        }
        return Ok(());
    }
    if lines.is_empty() {
        writeln!(
            out,
            "no destructive command logged yet ({})",
            for_terminal(&audit::log_path(&state).to_string_lossy()).into_owned()
        )?;
    }
    out.write_all(log_table(&lines).as_bytes())?;
    Ok(())
}

/// A JSON line with every character a terminal would act on or hide
/// written as a `\uXXXX` escape: still the same JSON (serde_json escapes
/// C0 controls, but sends DEL, C1, bidi and zero-width characters as they
/// are), and a line that is not JSON stays harmless.
fn json_for_terminal(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        if dctx_core::terminal_text::is_unsafe(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// The records as aligned columns (time, decision, user, context,
/// endpoint, command), every field escaped for the terminal: names, hosts
/// and arguments are whatever the user or a file said.
fn log_table(lines: &[audit::Line]) -> String {
    let rows: Vec<[String; 6]> = lines
        .iter()
        .map(|line| match line {
            audit::Line::Record(r) => {
                let mut argv = vec![r.program.clone().unwrap_or_else(|| "docker".into())];
                argv.extend(r.argv.iter().cloned());
                let decision = serde_json::to_value(r.decision)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                [
                    r.time.clone(),
                    decision,
                    r.user.clone(),
                    r.context.clone(),
                    r.endpoint.clone(),
                    command_text(&argv),
                ]
                .map(|f| for_terminal(&f).into_owned())
            }
            audit::Line::Other(_) => [
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                "(a record of another dctx version)".to_string(),
            ],
        })
        .collect();
    let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..5).map(width).collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, field) in row.iter().enumerate() {
            if i < 5 {
                line.push_str(&format!("{field:<w$}  ", w = widths[i]));
            } else {
                line.push_str(field);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
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
        // Too long to look through: refused, and said so, with no
        // command name made up for it.
        let long = words(&["ps"; 100].join(" "));
        let d = after_a_panic(&long, Program::Docker);
        assert_eq!((d.decision, d.command.as_str()), (Verdict::Refuse, ""));
        assert!(
            d.reasons.iter().any(|r| r.contains("too long to read")),
            "{d:#?}"
        );
    }

    fn record(context: &str, endpoint: &str, argv: &[&str]) -> audit::Line {
        audit::Line::Record(Box::new(audit::Record {
            v: audit::RECORD_VERSION,
            time: "2026-01-02T03:04:05Z".into(),
            user: "me".into(),
            uid: 1000,
            tty: None,
            cwd: None,
            argv: argv.iter().map(|a| a.to_string()).collect(),
            context: context.into(),
            endpoint: endpoint.into(),
            source: "DOCKER_CONTEXT".into(),
            command: "system prune".into(),
            decision: Outcome::Refused,
            program: None,
            named: None,
        }))
    }

    #[test]
    fn json_lines_keep_their_value_and_hide_nothing() {
        let value = serde_json::json!({"argv": ["x\u{202e}\u{7f}\u{9b}\u{feff}\u{1b}"]});
        let line = json_for_terminal(&value.to_string());
        assert!(
            !line.chars().any(dctx_core::terminal_text::is_unsafe),
            "{line:?}"
        );
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back, value);
        assert_eq!(json_for_terminal("raw \x1b[2J"), r"raw \u001b[2J");
    }

    #[test]
    fn the_log_is_aligned_and_shows_what_would_hide() {
        let table = log_table(&[
            record("prod", "tcp://h:2375", &["system", "prune"]),
            record(
                "d\u{202e}ev\u{200b}",
                "unix:///x\x1b[2J",
                &["rm", "\u{2066}x\u{9b}"],
            ),
            audit::Line::Other("{}".into()),
        ]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3, "{table}");
        assert!(
            !table
                .chars()
                .any(|c| c != '\n' && dctx_core::terminal_text::is_unsafe(c)),
            "{table:?}"
        );
        assert!(lines[1].contains(r"d\u{202e}ev\u{200b}"), "{table}");
        assert!(lines[1].contains(r"unix:///x\u{1b}[2J"), "{table}");
        assert!(lines[1].contains(r"\u{2066}x\u009b"), "{table}");
        // Each column starts where it does on the other records.
        let at = |line: &str, needle: &str| line.find(needle).unwrap();
        assert_eq!(at(lines[0], "tcp://"), at(lines[1], "unix://"), "{table}");
        assert_eq!(at(lines[0], "docker "), at(lines[1], "docker "), "{table}");
        assert_eq!(at(lines[0], "prod"), at(lines[1], "d\\u"), "{table}");
        assert!(lines[2]
            .trim_start()
            .starts_with("(a record of another dctx version)"));
    }
}
