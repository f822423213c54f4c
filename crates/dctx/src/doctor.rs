//! `dctx doctor`: what is wrong, and how to fix it. Where the Docker
//! variables of a new shell come from (each installed shell's startup run
//! with tracing, and the files no shell traces), the contexts against the
//! incident's checklist, and dctx itself (hook, guard, daemon, shim,
//! settings, tmux). Findings and their rules are `dctx_core::doctor`; this
//! file gathers the facts, which takes processes and files.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{IsTerminal, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use dctx_core::contexts::list;
use dctx_core::doctor::{
    assignments, context_findings, fish_assignments, ContextFacts, Finding, Severity, TRACE_MARK,
};
use dctx_core::endpoint::{hosts_file, Place};
use dctx_core::env::DOCKER_VARS;
use dctx_core::{RealFs, Settings};
use dctx_ipc::Vars;
use serde::Serialize;

use Severity::*;

/// How long one shell's startup may take before it is cut off.
const STARTUP_LIMIT: Duration = Duration::from_secs(5);

/// The areas findings are grouped in, in the order they are printed.
const AREAS: &[&str] = &["environment", "contexts", "dctx"];

#[derive(Serialize)]
struct Report {
    findings: Vec<Grouped>,
}

#[derive(Serialize)]
struct Grouped {
    area: &'static str,
    #[serde(flatten)]
    finding: Finding,
}

/// `dctx doctor [--json]`: exit status 1 when anything is a danger.
pub fn run(vars: &Vars, json: bool) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let mut all: Vec<Grouped> = Vec::new();
    let mut add = |area: &'static str, found: Vec<Finding>| {
        all.extend(found.into_iter().map(|finding| Grouped { area, finding }));
    };
    add("environment", environment(vars));
    add("contexts", contexts(vars));
    add("dctx", itself(vars));
    all.sort_by_key(|g| (AREAS.iter().position(|a| *a == g.area), g.finding.severity));
    let danger = all.iter().any(|g| g.finding.severity == Danger);
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &Report { findings: all })?;
        writeln!(out)?;
    } else {
        let colour = std::io::stdout().is_terminal() && !vars.is_set("NO_COLOR");
        out.write_all(human(&all, colour, started.elapsed()).as_bytes())?;
    }
    Ok(if danger {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn human(all: &[Grouped], colour: bool, took: Duration) -> String {
    let paint = |code: &str, text: &str| {
        if colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let mut out = String::new();
    for area in AREAS {
        let title = match *area {
            "environment" => "Where the Docker variables of a new shell come from",
            "contexts" => "Docker contexts",
            _ => "dctx",
        };
        out.push_str(&paint("1", title));
        out.push('\n');
        let mine: Vec<&Grouped> = all.iter().filter(|g| g.area == *area).collect();
        if mine.is_empty() {
            out.push_str("  ok: nothing found\n");
        }
        for g in mine {
            let f = &g.finding;
            let label = match f.severity {
                Danger => paint("1;31", "DANGER"),
                Warn => paint("33", "warn  "),
                Info => paint("2", "info  "),
            };
            out.push_str(&format!(
                "  {label}  {}\n",
                dctx_core::guard::visible(&f.message)
            ));
            if let Some(file) = &f.file {
                let at = match f.line {
                    Some(line) => format!("{}:{line}", file.display()),
                    None => file.display().to_string(),
                };
                out.push_str(&format!(
                    "          at:  {}\n",
                    dctx_core::guard::visible(&at)
                ));
            }
            out.push_str(&format!(
                "          fix: {}\n",
                dctx_core::guard::visible(&f.fix)
            ));
        }
        out.push('\n');
    }
    let count = |s| all.iter().filter(|g| g.finding.severity == s).count();
    out.push_str(&format!(
        "{} danger, {} warnings, {} notes ({:.1} s)\n",
        count(Danger),
        count(Warn),
        count(Info),
        took.as_secs_f64()
    ));
    out
}

/// What a variable's value means for the finding about it.
fn variable_severity(name: &str) -> Severity {
    match name {
        "DOCKER_HOST" => Danger,
        "DOCKER_CONTEXT" | "DOCKER_CONFIG" => Warn,
        _ => Info,
    }
}

fn variable_fix(name: &str, value: &str) -> String {
    match name {
        "DOCKER_HOST" => format!(
            "replace it with a context: docker context create NAME --docker host={value}, then name it per command (docker --context NAME …) and delete the export"
        ),
        "DOCKER_CONTEXT" => "delete the export; choose per shell with `dctx use NAME`, or per command with --context".into(),
        _ => "delete it unless every shell must have it".into(),
    }
}

/// The Docker variables of new shells, and where they come from.
fn environment(vars: &Vars) -> Vec<Finding> {
    let mut out = Vec::new();
    for name in DOCKER_VARS {
        if let Some(value) = vars.get(name) {
            let value = value.to_string_lossy();
            out.push(Finding::new(
                variable_severity(name),
                "set-in-this-shell",
                format!("{name}={value} is exported in the shell that ran dctx doctor"),
                variable_fix(name, &value),
            ));
        }
    }
    let home = vars.home().unwrap_or_default();
    let runs: Vec<(&'static str, Vec<&'static str>)> = vec![
        ("bash", vec!["login"]),
        ("bash", vec!["interactive"]),
        ("zsh", vec!["login"]),
        ("fish", vec!["login"]),
    ];
    let handles: Vec<_> = runs
        .into_iter()
        .filter_map(|(shell, mode)| {
            let program = on_path(vars, shell)?;
            let (vars, home) = (vars.clone(), home.clone());
            Some(std::thread::spawn(move || {
                startup(&vars, &home, shell, &program, mode[0] == "login")
            }))
        })
        .collect();
    let mut seen = BTreeMap::new();
    for handle in handles {
        for f in handle.join().unwrap_or_default() {
            // bash's two runs often find the same line: say it once.
            let key = (f.kind, f.message.clone(), f.file.clone(), f.line);
            if seen.insert(key, ()).is_none() {
                out.push(f);
            }
        }
    }
    out.extend(untraced_files(&home));
    out
}

/// Runs one shell's startup with tracing: what it exports, and where.
fn startup(
    vars: &Vars,
    home: &Path,
    shell: &'static str,
    program: &Path,
    login: bool,
) -> Vec<Finding> {
    let kind = if login { "login" } else { "interactive" };
    let mut cmd = Command::new(program);
    match shell {
        // bash ignores PS4 from the environment when run as root, and
        // `-x` would not cover its startup files: source them in bash's
        // own order, traced, with the file and line in every trace line.
        "bash" => {
            let files = if login {
                "[ -r /etc/profile ] && . /etc/profile; for f in ~/.bash_profile ~/.bash_login ~/.profile; do [ -r \"$f\" ] && { . \"$f\"; break; }; done"
            } else {
                "[ -r /etc/bash.bashrc ] && . /etc/bash.bashrc; [ -r ~/.bashrc ] && . ~/.bashrc"
            };
            let script = format!(
                "PS4='+{TRACE_MARK}${{BASH_SOURCE[0]:-?}}:${{LINENO}}: '; set -x; {files}; set +x; \\command env -0"
            );
            cmd.args(["--noprofile", "--norc", "-i", "-c", &script]);
        }
        // zsh reads .zshenv before `-x` takes effect: its files too are
        // sourced in zsh's own order (a login shell reads them all).
        "zsh" => {
            let mut script = format!("PS4='+{TRACE_MARK}%x:%I: '; setopt xtrace; ");
            for file in ["zshenv", "zprofile", "zshrc", "zlogin"] {
                script.push_str(&format!(
                    "for f in /etc/zsh/{file} /etc/{file}; do [[ -r $f ]] && {{ source $f; break }}; done; \
                     [[ -r ${{ZDOTDIR:-$HOME}}/.{file} ]] && source ${{ZDOTDIR:-$HOME}}/.{file}; "
                ));
            }
            script.push_str("unsetopt xtrace; \\command env -0");
            cmd.args(["-f", "-i", "-c", &script]);
        }
        _ => {
            cmd.args(["-l", "-i", "-c", "command env -0"]);
        }
    }
    cmd.env_clear()
        .env("HOME", home)
        .env("PATH", vars.get("PATH").unwrap_or_default())
        .env("TERM", "dumb")
        .env("DCTX_NO_AUTOSTART", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .current_dir(home);
    for keep in ["USER", "LOGNAME", "XDG_CONFIG_HOME", "LANG"] {
        if let Some(v) = vars.get(keep) {
            cmd.env(keep, v);
        }
    }
    let label = format!("{shell} ({kind})");
    let (stdout, stderr, finished) = match bounded(&mut cmd, STARTUP_LIMIT) {
        Ok(outcome) => outcome,
        Err(e) => {
            return vec![Finding::new(
                Warn,
                "startup-not-run",
                format!("could not run {label}: {e}"),
                "run `dctx doctor` from a shell that can start it".into(),
            )]
        }
    };
    let mut out = Vec::new();
    if !finished {
        out.push(Finding::new(
            Warn,
            "startup-cut-off",
            format!(
                "{label} did not finish starting within {} s (a startup file waits for input or hangs); what it set after that is unknown",
                STARTUP_LIMIT.as_secs()
            ),
            "find the line with `bash -lxi` (or zsh -lxi) and make it return at once".into(),
        ));
    }
    let exported = env_of(&stdout);
    let trace = String::from_utf8_lossy(&stderr);
    let mut located = assignments(&trace)
        .into_iter()
        .map(|a| (a.variable, a.file, Some(a.line)))
        .collect::<Vec<_>>();
    if shell == "fish" {
        located.extend(fish_locations(home, vars));
    }
    for (name, value) in exported {
        let value = value.to_string_lossy().into_owned();
        let finding = Finding::new(
            variable_severity(&name),
            "exported-at-startup",
            format!("every new {label} shell exports {name}={value}"),
            variable_fix(&name, &value),
        );
        // The last place that set it is the one in force.
        let place = located.iter().rev().find(|(v, _, _)| *v == name);
        out.push(match place {
            Some((_, file, line)) => finding.at(file.clone(), *line),
            None => finding,
        });
    }
    for line in trace.lines().filter(|l| l.contains(TRACE_MARK)) {
        if let Some((file, number, command)) = alias_of_docker(line) {
            out.push(
                Finding::new(
                    Warn,
                    "docker-alias",
                    format!("{label} defines an alias docker ({command}), which bypasses the guard's docker function"),
                    "delete the alias".into(),
                )
                .at(file, Some(number)),
            );
        }
    }
    out
}

/// `alias docker=…` in a trace line: (file, line, command).
fn alias_of_docker(line: &str) -> Option<(PathBuf, u32, String)> {
    let rest = line.trim_start_matches('+').strip_prefix(TRACE_MARK)?;
    let (head, command) = rest.split_once(": ")?;
    let (file, number) = head.rsplit_once(':')?;
    let words: Vec<&str> = command.split_whitespace().collect();
    let is_alias = words.first() == Some(&"alias")
        && words[1..]
            .iter()
            .any(|w| w.trim_start_matches(['\'', '"']).starts_with("docker="));
    is_alias.then(|| {
        (
            PathBuf::from(file),
            number.parse().unwrap_or(0),
            command.to_string(),
        )
    })
}

/// fish's startup files, read for `set … DOCKER_*` (fish's trace does not
/// say where a command came from).
fn fish_locations(home: &Path, vars: &Vars) -> Vec<(String, PathBuf, Option<u32>)> {
    let config = vars
        .get("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".config"))
        .join("fish");
    let mut files = Vec::new();
    for dir in [
        Path::new("/usr/share/fish/vendor_conf.d"),
        Path::new("/etc/fish/conf.d"),
        &config.join("conf.d"),
    ] {
        if let Ok(entries) = std::fs::read_dir(dir) {
            let mut names: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            names.sort();
            files.extend(
                names
                    .into_iter()
                    .filter(|p| p.extension().is_some_and(|e| e == "fish")),
            );
        }
    }
    files.push(PathBuf::from("/etc/fish/config.fish"));
    files.push(config.join("config.fish"));
    let mut out = Vec::new();
    for file in files {
        let Ok(bytes) = dctx_core::FileSystem::read(&RealFs, &file) else {
            continue;
        };
        for (name, line) in fish_assignments(&String::from_utf8_lossy(&bytes)) {
            out.push((name, file.clone(), Some(line)));
        }
    }
    out
}

/// The Docker variables in `env -0` output.
fn env_of(stdout: &[u8]) -> Vec<(String, OsString)> {
    use std::os::unix::ffi::OsStrExt;
    stdout
        .split(|&b| b == 0)
        .filter_map(|entry| {
            let at = entry.iter().position(|&b| b == b'=')?;
            let name = std::str::from_utf8(&entry[..at]).ok()?;
            (DOCKER_VARS.contains(&name) && at + 1 < entry.len()).then(|| {
                (
                    name.to_string(),
                    std::ffi::OsStr::from_bytes(&entry[at + 1..]).into(),
                )
            })
        })
        .collect()
}

/// Files that set variables for a session without any shell reading them.
fn untraced_files(home: &Path) -> Vec<Finding> {
    let mut files = vec![
        PathBuf::from("/etc/environment"),
        home.join(".pam_environment"),
    ];
    for dir in [
        PathBuf::from("/etc/environment.d"),
        home.join(".config/environment.d"),
    ] {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            let mut names: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            names.sort();
            files.extend(
                names
                    .into_iter()
                    .filter(|p| p.extension().is_some_and(|e| e == "conf")),
            );
        }
    }
    let mut out = Vec::new();
    for file in files {
        let Ok(bytes) = dctx_core::FileSystem::read(&RealFs, &file) else {
            continue;
        };
        for (i, line) in String::from_utf8_lossy(&bytes).lines().enumerate() {
            let line = line.trim().trim_start_matches("export ");
            let name: String = line
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            if !DOCKER_VARS.contains(&name.as_str()) {
                continue;
            }
            let value = line[name.len()..]
                .trim_start_matches([' ', '='])
                .to_string();
            out.push(
                Finding::new(
                    variable_severity(&name),
                    "set-for-the-session",
                    format!("{name} is set for every login session ({value})"),
                    variable_fix(&name, &value),
                )
                .at(file.clone(), Some(i as u32 + 1)),
            );
        }
    }
    out
}

/// Runs `cmd` in its own session, reading its output until it exits or
/// `limit` passes; then its process group is killed. (stdout, stderr,
/// whether it finished.)
fn bounded(cmd: &mut Command, limit: Duration) -> std::io::Result<(Vec<u8>, Vec<u8>, bool)> {
    dctx_ipc::spawn::in_own_session(cmd);
    let mut child = cmd.spawn()?;
    let pid = child.id() as i32;
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.by_ref().take(4 << 20).read_to_end(&mut buf);
            }
            let _ = tx.send(buf);
        });
        rx
    };
    let stdout = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + limit;
    let finished = loop {
        if child.try_wait()?.is_some() {
            break true;
        }
        if Instant::now() >= deadline {
            break false;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // Whatever the shell left behind in its session goes with it.
    // Not reaped yet, so the group id is still the shell's.
    if let Some(group) = rustix::process::Pid::from_raw(pid) {
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
    }
    let _ = child.wait();
    let grace = Duration::from_millis(500);
    Ok((
        stdout.recv_timeout(grace).unwrap_or_default(),
        stderr.recv_timeout(grace).unwrap_or_default(),
        finished,
    ))
}

/// `name` on PATH, absolute entries only.
fn on_path(vars: &Vars, name: &str) -> Option<PathBuf> {
    std::env::split_paths(vars.get("PATH").unwrap_or_default())
        .filter(|d| d.is_absolute())
        .map(|d| d.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// The contexts against the checklist.
fn contexts(vars: &Vars) -> Vec<Finding> {
    let env = vars.docker_env();
    let (rows, r) = list(&env, &RealFs);
    let settings = Settings::load_optional(&RealFs, vars.settings_path().as_deref()).settings;
    let cwd = std::env::current_dir().unwrap_or_default();
    let hosts = hosts_file(&RealFs);
    let place = Place {
        cwd: &cwd,
        fs: &RealFs,
        hosts: &hosts,
    };
    let store = r.config_dir.join("contexts");
    let rows: Vec<_> = rows
        .into_iter()
        .map(|row| {
            let facts = facts(&store, &row.name);
            (row, facts)
        })
        .collect();
    let current = r.config_context.clone().unwrap_or_default();
    let mut out = context_findings(&rows, &current, &settings.guard, &place);
    out.extend(engine_findings(vars, &env, &rows));
    for row in rows.iter().filter(|(r, _)| !r.error.is_empty()) {
        out.push(Finding::new(
            Warn,
            "context-unreadable",
            row.0.error.clone(),
            "fix or remove it: docker context ls says the same".into(),
        ));
    }
    out
}

/// More contexts than are worth asking the daemon about one by one.
const MAX_ENGINE_QUESTIONS: usize = 256;

/// What the probes and pins say of each context: an engine that did not
/// answer, a pinned engine that is no longer the one answering, pins that
/// cannot be read.
fn engine_findings(
    vars: &Vars,
    env: &dctx_core::Env,
    rows: &[(dctx_core::contexts::Listed, ContextFacts)],
) -> Vec<Finding> {
    use dctx_core::engine::{EngineState, Identity};
    let stored: Vec<_> = rows
        .iter()
        .filter(|(r, _)| r.error.is_empty() && r.name != dctx_core::resolution::DEFAULT_CONTEXT)
        .take(MAX_ENGINE_QUESTIONS)
        .collect();
    let mut out = Vec::new();
    let mut pins_said = false;
    for (row, _) in stored {
        let vars_for: Vec<(String, OsString)> = env
            .vars()
            .filter(|(k, _)| !matches!(*k, "DOCKER_HOST" | "DOCKER_CONTEXT"))
            .map(|(k, v)| (k.to_string(), v.to_os_string()))
            .chain([("DOCKER_CONTEXT".to_string(), OsString::from(&row.name))])
            .collect();
        let env = dctx_core::Env::new(vars_for, env.home().cloned());
        let report = crate::engine::report(vars, &env, &row.name);
        let name = dctx_core::guard::visible(&row.name);
        if let (Some(e), false) = (&report.pins_error, pins_said) {
            pins_said = true;
            out.push(Finding::new(
                Danger,
                "pins-unreadable",
                format!("dctx's pins cannot be read ({e}): no pinned engine is verified, and the guard refuses destructive commands to protected contexts"),
                "fix or remove pins.json (dctx status names it), then dctx pin each context again".into(),
            ));
        }
        if report.identity == Identity::Changed {
            out.push(Finding::new(
                Danger,
                "identity-changed",
                format!(
                    "context {name} now reaches engine ID {} ({}), not the pinned ID {}",
                    report.id.as_deref().unwrap_or("?"),
                    report.name.as_deref().unwrap_or("?"),
                    report.pinned_id.as_deref().unwrap_or("?")
                ),
                format!("check which machine answers (dctx status), then dctx pin {name}, or remove the context if the host was recycled"),
            ));
        }
        if matches!(
            report.state,
            EngineState::Unreachable | EngineState::Timeout
        ) {
            out.push(Finding::new(
                Warn,
                "engine-unreachable",
                format!(
                    "context {name}'s engine did not answer its last probe ({})",
                    report.error.as_deref().unwrap_or("timed out")
                ),
                format!("remove contexts you no longer trust (docker context rm {name}): a stale context is how a recycled hostname gets a deploy"),
            ));
        }
    }
    out
}

/// What the store says of a context beyond its listing.
fn facts(store: &Path, name: &str) -> ContextFacts {
    let meta = dctx_core::context_meta::meta_path(store.parent().unwrap_or(store), name);
    let id = meta
        .parent()
        .and_then(Path::file_name)
        .map(PathBuf::from)
        .unwrap_or_default();
    let skip_tls_verify = dctx_core::FileSystem::read(&RealFs, &meta)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v["Endpoints"]["docker"]["SkipTLSVerify"].as_bool())
        .unwrap_or(false);
    let tls_dir = store.join("tls").join(&id).join("docker");
    let mut readable_keys = Vec::new();
    let mut has_tls = false;
    if let Ok(entries) = std::fs::read_dir(&tls_dir) {
        for entry in entries.flatten() {
            has_tls = true;
            let path = entry.path();
            let secret = path.file_name().is_some_and(|n| n == "key.pem");
            let mode = std::fs::symlink_metadata(&path)
                .map(|m| m.permissions().mode())
                .unwrap_or(0);
            if secret && mode & 0o077 != 0 {
                readable_keys.push(path);
            }
        }
    }
    ContextFacts {
        skip_tls_verify,
        has_tls,
        readable_keys,
    }
}

/// dctx itself: rc files, daemon, shim, settings, tmux, the docker group.
fn itself(vars: &Vars) -> Vec<Finding> {
    let mut out = Vec::new();
    let home = vars.home().unwrap_or_default();
    let config = vars
        .get("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".config"));
    for (shell, rc) in [
        ("bash", home.join(".bashrc")),
        ("zsh", home.join(".zshrc")),
        ("fish", config.join("fish/config.fish")),
    ] {
        if on_path(vars, shell).is_none() {
            continue;
        }
        let text = dctx_core::FileSystem::read(&RealFs, &rc)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let line = text
            .lines()
            .position(|l| l.contains("dctx init") && !l.trim_start().starts_with('#'));
        match line {
            None => out.push(
                Finding::new(
                    Info,
                    "hook-not-loaded",
                    format!("{shell} does not load dctx: its prompt does not show the Docker context"),
                    match shell {
                        "fish" => "add to it: dctx init fish --guard | source".to_string(),
                        _ => format!("add to it: eval \"$(dctx init {shell} --guard)\""),
                    },
                )
                .at(rc.clone(), None),
            ),
            Some(i) if !text.lines().nth(i).unwrap_or_default().contains("--guard") => out.push(
                Finding::new(
                    Warn,
                    "guard-not-loaded",
                    format!("{shell} loads dctx without --guard: destructive docker commands are not checked"),
                    format!("add --guard to that line (dctx init {shell} --guard)"),
                )
                .at(rc.clone(), Some(i as u32 + 1)),
            ),
            Some(_) => {}
        }
    }
    // The shim: what scripts run as docker.
    let first = on_path(vars, "docker");
    let guarded = first
        .as_ref()
        .and_then(|p| std::fs::canonicalize(p).ok())
        .is_some_and(|p| p.file_name().is_some_and(|n| n == "dctx"));
    if !guarded {
        out.push(Finding::new(
            Info,
            "no-shim",
            "scripts and programs run docker without the guard (no dctx shim first on PATH)".into(),
            "dctx guard shim ~/.local/share/dctx/shim, then put that dir first on PATH".into(),
        ));
    }
    // The settings file, with the line and column of what does not parse.
    if let Some(path) = vars.settings_path() {
        if let Some(f) = settings_finding(&path) {
            out.push(f);
        }
    }
    // The daemon.
    let socket = dctx_ipc::paths::socket_path(&vars.runtime_dir());
    let asked = dctx_ipc::client::Client::connect(&socket, Duration::from_millis(500), "dctx")
        .and_then(|mut c| c.call(&dctx_ipc::protocol::Request::Status));
    match asked {
        Ok(_) => {}
        Err(e @ dctx_ipc::client::ClientError::OtherBuild(_)) => out.push(Finding::new(
            Warn,
            "daemon-other-build",
            e.to_string(),
            "dctx daemon start (replaces it)".into(),
        )),
        Err(_) => out.push(Finding::new(
            Info,
            "daemon-not-running",
            format!("the dctx daemon is not running (nothing answers at {}): prompts resolve by themselves, tmux panes cannot follow their shells", socket.display()),
            "dctx daemon start (a prompt also starts it)".into(),
        )),
    }
    if vars.is_set("TMUX") {
        let status = Command::new("tmux")
            .args(["show-options", "-gqv", "status-right"])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let left = Command::new("tmux")
            .args(["show-options", "-gqv", "status-left"])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        if !(status + &left).contains("dctx-prompt") {
            out.push(Finding::new(
                Info,
                "tmux-plugin-not-loaded",
                "this tmux's status bar does not show the Docker context".into(),
                "load tmux/dctx.tmux (see the README's tmux section)".into(),
            ));
        }
    }
    if in_docker_group() {
        out.push(Finding::new(
            Info,
            "docker-group",
            "you are in the docker group: that is as good as root on this machine".into(),
            "treat membership like sudo; remove users who do not need it (gpasswd -d USER docker)"
                .into(),
        ));
    }
    out
}

/// A settings file that does not parse, with the line and column.
fn settings_finding(path: &Path) -> Option<Finding> {
    let bytes = match dctx_core::FileSystem::read(&RealFs, path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            return Some(
                Finding::new(
                    Danger,
                    "settings-unreadable",
                    format!("dctx's settings cannot be read ({e}): the guard lets destructive commands reach only the local default"),
                    "fix the file or remove it".into(),
                )
                .at(path.to_path_buf(), None),
            )
        }
    };
    let text = String::from_utf8_lossy(&bytes);
    let problem = Settings::parse(&text).err()?;
    let line = toml::from_str::<toml::Table>(&text)
        .err()
        .and_then(|e| e.span())
        .map(|span| text[..span.start.min(text.len())].lines().count().max(1) as u32);
    Some(
        Finding::new(
            Danger,
            "settings-invalid",
            format!("dctx's settings do not parse ({problem}): the guard lets destructive commands reach only the local default"),
            "fix the file (dctx status says what the prompt uses meanwhile)".into(),
        )
        .at(path.to_path_buf(), line),
    )
}

/// Whether this process has the `docker` group among its groups.
fn in_docker_group() -> bool {
    let Ok(bytes) = dctx_core::FileSystem::read(&RealFs, Path::new("/etc/group")) else {
        return false;
    };
    let gid = String::from_utf8_lossy(&bytes).lines().find_map(|l| {
        let mut fields = l.split(':');
        (fields.next() == Some("docker")).then(|| fields.nth(1)?.parse::<u32>().ok())?
    });
    let Some(gid) = gid else {
        return false;
    };
    let groups = rustix::process::getgroups().unwrap_or_default();
    groups.iter().any(|g| g.as_raw() == gid) || rustix::process::getegid().as_raw() == gid
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alias_of_docker_in_a_trace_is_found() {
        let line = "+dctx-trace:/home/me/.bashrc:4: alias 'docker=podman'";
        assert_eq!(
            alias_of_docker(line),
            Some((
                PathBuf::from("/home/me/.bashrc"),
                4,
                "alias 'docker=podman'".into()
            ))
        );
        assert_eq!(alias_of_docker("+dctx-trace:/x:1: alias ll='ls -l'"), None);
    }

    #[test]
    fn a_hanging_command_is_cut_off_with_what_it_printed() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo started; sleep 1000 & wait"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(Stdio::null());
        let (out, _, finished) = bounded(&mut cmd, Duration::from_millis(300)).unwrap();
        assert!(!finished);
        assert_eq!(out, b"started\n");
    }
}
