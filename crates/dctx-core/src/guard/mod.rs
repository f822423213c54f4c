//! The guard's decision for one docker command line: which engine it
//! reaches (as the CLI resolves it, global flags included), whether the
//! command is destructive, whether the target is protected, and the rule:
//! a destructive command against a protected target runs only when the
//! command line names that target with `--context NAME`.
//!
//! Everything here is a pure function of the environment, the settings and
//! Docker's files; running, asking and logging belong to the `dctx` binary.

pub mod commands;
pub mod fast_path;
pub mod policy;
pub mod table;
mod words;

use std::ffi::OsString;
use std::path::Path;

use serde::Serialize;

use crate::contexts::{rows, Listed};
use crate::docker_args::{command_env, parse, Chosen, LineError};
use crate::endpoint::{hosts_file, Endpoint, Place};
use crate::engine::{EngineReport, Identity};
use crate::env::Env;
use crate::fs::FileSystem;
use crate::pflag::ScanError;
use crate::resolution::{Problem, Resolution, Source, DEFAULT_CONTEXT};
use commands::{classify, Matched};
use policy::{GuardSettings, Mode};
use table::Class;
pub use words::{command_text, shell_word, visible, Paste};

/// The exit status of a refused command (sysexits' EX_NOPERM), apart from
/// docker's own 1, 125, 126 and 127.
pub const REFUSED_STATUS: u8 = 77;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allow,
    Refuse,
}

/// Another command line that does what was asked, safely.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Instead {
    /// The words of the command, `docker` first.
    pub argv: Vec<String>,
    /// What it does differently.
    pub why: String,
    /// Whether it reaches a protected target: said in words next to it, so
    /// that a paste is never a surprise.
    pub protected: bool,
}

/// The decision and everything it rests on (`dctx guard --explain --json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub decision: Verdict,
    /// The context the line reaches.
    pub context: String,
    /// Its endpoint, as `docker context inspect` shows it.
    pub host: String,
    /// How it was chosen: `--context`, `--host`, `DOCKER_HOST`,
    /// `DOCKER_CONTEXT`, `currentContext` or `default`.
    pub source: &'static str,
    /// What is wrong with the target, as `dctx inspect` reports it (docker
    /// may refuse the line for it).
    pub problem: Option<String>,
    /// The command with the CLI's aliases resolved (`image rm` for `rmi`).
    pub command: String,
    /// What the line sends to the engine: `read` (nothing that changes
    /// it, or nothing at all: help, a line docker refuses), `write`,
    /// `destructive`.
    pub class: Class,
    /// Whether its class is one the settings refuse (`refuse`).
    pub destructive: bool,
    pub protected: bool,
    /// Whether the line names its target with `--context` (or, with
    /// `source` DOCKER_CONTEXT, as the command of `dctx exec NAME`).
    pub named: bool,
    /// Why, in order: what the command is, what the target is, the rule.
    pub reasons: Vec<String>,
    /// For a refusal: the commands to run instead.
    pub instead: Vec<Instead>,
    /// A refusal that a terminal user may turn into a run by typing the
    /// context's name (`mode = "confirm"`).
    pub confirm: bool,
    /// The Docker variables docker runs with, the line's flags applied:
    /// what asking after the target's engine needs, without resolving again.
    #[serde(skip)]
    pub target_env: Env,
}

/// Which program the line is for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Program {
    /// The Docker CLI.
    #[default]
    Docker,
    /// The standalone `docker-compose` (1.x), which reads its own options
    /// and reaches its engine its own way (`crate::compose_args`).
    Compose,
}

impl Program {
    /// The program's name on a command line.
    pub fn name(self) -> &'static str {
        match self {
            Program::Docker => "docker",
            Program::Compose => "docker-compose",
        }
    }
}

/// What the guard needs to know.
pub struct Input<'a> {
    /// The Docker variables of the process that would run docker.
    pub env: &'a Env,
    /// The words after `docker`.
    pub args: &'a [OsString],
    /// The guard settings, or why they could not be read.
    pub settings: Result<&'a GuardSettings, String>,
    pub fs: &'a dyn FileSystem,
    /// The working directory docker would run in: a relative
    /// `unix://` socket is dialled from there.
    pub cwd: &'a Path,
    pub program: Program,
    /// The context `dctx exec NAME -- docker …` named, when this line is
    /// that command: it counts as naming NAME when the line reaches NAME
    /// through the DOCKER_CONTEXT that `dctx exec` set.
    pub exec_named: Option<&'a str>,
    /// For [`Program::Compose`]: the first file of `COMPOSE_FILE`
    /// ([`crate::compose_args::first_compose_file`]); compose reads the
    /// `.env` beside it.
    pub compose_file: Option<&'a std::ffi::OsStr>,
}

/// The local default engine: what a destructive command may still reach
/// when the guard cannot decide.
pub fn is_local_default(r: &Resolution) -> bool {
    r.name == DEFAULT_CONTEXT && r.host.starts_with("unix://")
}

/// Decides for one command line.
pub fn decide(input: &Input) -> Decision {
    // docker-compose: its own options, its own way to its engine, and the
    // words as `compose SUBCOMMAND …` for the table's compose rows.
    let (line, base_env, rest, compose) = match input.program {
        Program::Docker => {
            let line = parse(input.args);
            let rest = input.args[line.command.min(input.args.len())..].to_vec();
            (line, input.env.clone(), rest, None)
        }
        Program::Compose => {
            let v = crate::compose_args::read(input.args, input.env, input.compose_file, input.fs);
            (v.line.clone(), v.env.clone(), v.words.clone(), Some(v))
        }
    };
    let target_unsure = compose.as_ref().and_then(|v| v.unsure.clone());
    let (env, chosen) = command_env(&base_env, &line.flags);
    let r = crate::resolve(&env, input.fs);
    let chosen = match chosen {
        Chosen::Environment(_) => Chosen::Environment(r.source),
        other => other,
    };
    // Whether the endpoint is DOCKER_HOST's or -H's rather than a
    // context's (`--context default` keeps DOCKER_HOST's).
    let host_given = match chosen {
        Chosen::HostFlag | Chosen::Environment(Source::DockerHost) => true,
        Chosen::ContextFlag => r.source == Source::DockerHost,
        Chosen::Environment(_) => false,
    };
    let source = match chosen {
        Chosen::ContextFlag => "--context",
        Chosen::HostFlag => "--host",
        Chosen::Environment(Source::Config) => "currentContext",
        Chosen::Environment(s) => s.as_str(),
    };
    let table = match &input.settings {
        Ok(s) => &s.table,
        Err(_) => &commands::builtin_table(),
    };
    let rest = &rest[..];
    let mut classified = classify(rest, table);
    let matched = match &line.error {
        Some(LineError::Flag(ScanError::Unknown(flag))) => {
            // The words after an unknown flag cannot be read with
            // certainty; look for the table's commands anywhere after it.
            classified.unsure = Some(format!("docker: unknown flag {flag}"));
            commands::find_anywhere(rest, table)
        }
        _ => classified.matched.clone().map(Matched::Entry),
    };
    if let Some(why) = &target_unsure {
        classified.unsure = Some(why.clone());
    }
    // `dctx exec NAME -- docker …`: NAME reached through the
    // DOCKER_CONTEXT it set, with no target flag of the line's own.
    let exec_named = input.exec_named.filter(|n| {
        line.flags.context.is_none()
            && line.flags.hosts.is_empty()
            && chosen == Chosen::Environment(Source::DockerContext)
            && r.name == *n
    });
    let named = (chosen == Chosen::ContextFlag && !host_given) || exec_named.is_some();
    let mut d = Decision {
        decision: Verdict::Allow,
        context: r.name.clone(),
        host: r.host.clone(),
        source,
        problem: r.problem_summary(),
        command: classified.command.clone(),
        class: if classified.inert.is_some() {
            Class::Read
        } else {
            classified.class
        },
        destructive: matched.is_some() && classified.inert.is_none(),
        protected: false,
        named,
        reasons: Vec::new(),
        instead: Vec::new(),
        confirm: false,
        target_env: env.clone(),
    };
    if let Some(text) = overrides(&r, &env, chosen) {
        d.reasons.push(text);
    }
    if let Some(note) = compose.as_ref().and_then(|v| v.note.clone()) {
        d.reasons.push(note);
    }
    if line.flags.help_or_version {
        d.destructive = false;
        d.class = Class::Read;
        d.reasons.push(format!(
            "{} only prints help or its version",
            input.program.name()
        ));
        return d;
    }
    match (&line.error, &classified.unsure) {
        (Some(LineError::Flag(ScanError::Unknown(_))), _) | (_, Some(_)) => {}
        (Some(e), None) => {
            d.destructive = false;
            d.class = Class::Read;
            d.reasons.push(format!(
                "{} refuses this line itself ({e}); it runs nothing",
                input.program.name()
            ));
            return d;
        }
        (None, None) => {}
    }
    match (&matched, classified.inert) {
        (Some(_), Some(inert)) => {
            d.reasons
                .push(format!("{}, but {inert}", classified.summary()));
            return d;
        }
        (Some(Matched::Entry(entry)), None) => d.reasons.push(match &classified.unsure {
            Some(why) => format!("it may be `{entry}`, which the guard refuses ({why})"),
            None => classified.summary(),
        }),
        (Some(Matched::TooLong), None) => d.reasons.push(format!(
            "the line is too long to read: more than {} words the guard cannot read with certainty ({}), so it counts as destructive",
            commands::MAX_SCAN,
            classified.unsure.as_deref().unwrap_or("unreadable")
        )),
        (None, _) => {
            d.reasons.push(format!(
                "{}; the guard refuses only {} commands",
                classified.summary(),
                match table.refuse {
                    commands::Class::Write => "write and destructive",
                    _ => "destructive",
                }
            ));
            return d;
        }
    }
    // Docker finds a context by the sha256 of its name's bytes; a name
    // that was not UTF-8 (in DOCKER_CONTEXT) was read here lossily, so its
    // absence proves nothing, and what it reaches cannot be read: it
    // counts as protected (the guard cannot decide, so it fails safe).
    let mut unreadable_name = false;
    if let Some(p @ Problem::ContextNotFound { .. }) = r.problems.first() {
        if !r.name.contains(char::REPLACEMENT_CHARACTER) {
            d.reasons.push(format!("docker refuses it: {p}"));
            return d;
        }
        unreadable_name = true;
    }

    // Every context of the line's config dir, read once: for endpoints
    // shared with a protected context, and for what to suggest.
    let mut rows = rows(&env, input.fs, &r);
    let shells_dir = input.env.config_dir();
    if shells_dir != r.config_dir {
        // `--config elsewhere` does not make the shell's protected contexts
        // any less protected: their endpoints are compared too.
        let own = crate::resolve(input.env, input.fs);
        rows.extend(
            crate::contexts::rows(input.env, input.fs, &own)
                .into_iter()
                .filter(|row| row.name != DEFAULT_CONTEXT),
        );
    }
    let hosts = hosts_file(input.fs);
    let place = Place {
        cwd: input.cwd,
        fs: input.fs,
        hosts: &hosts,
    };
    let found = match &input.settings {
        Ok(settings) => protection(settings, &r, host_given.then_some(chosen), &rows, &place),
        Err(e) if !is_local_default(&r) => Protection {
            why: vec![format!(
                "the guard cannot read its settings ({e}), so every target but the local default counts as protected, named or not"
            )],
            ..Protection::default()
        },
        Err(_) => Protection::default(),
    };
    // An unsure target (compose's env file) is not known to be the local
    // default, whatever resolution guessed.
    if classified.unsure.is_some()
        && found.why.is_empty()
        && (!is_local_default(&r) || target_unsure.is_some())
    {
        d.protected = true;
        d.reasons.push(
            "the guard cannot read this line, so only the local default may be reached".into(),
        );
    }
    d.protected |= !found.why.is_empty();
    d.reasons.extend(found.why.iter().cloned());
    if unreadable_name {
        d.protected = true;
        d.reasons.push(format!(
            "the context name {:?} is not UTF-8, so the guard cannot find the context docker would use, or its endpoint: it counts as protected",
            r.name
        ));
    }
    if !d.protected {
        d.reasons
            .push(format!("context {:?} is not protected", r.name));
        return d;
    }
    let sure = classified.unsure.is_none() && input.settings.is_ok() && !unreadable_name;
    if named && sure && found.by_name {
        d.reasons.push(match exec_named {
            Some(n) => format!("dctx exec names it: dctx exec {n} -- …"),
            None => format!("the command line names it: --context {}", r.name),
        });
        return d;
    }
    d.decision = Verdict::Refuse;
    d.confirm = matches!(input.settings, Ok(s) if s.mode == Mode::Confirm);
    d.reasons.push(if unreadable_name {
        "refused: a context whose name is not UTF-8 (only a hand-written meta.json has one) cannot be checked; give it a UTF-8 name (docker context export, then import under a new name)".into()
    } else if classified.unsure.is_some() {
        "refused: the guard cannot tell what this line does to a protected target".into()
    } else if input.settings.is_err() {
        "refused: without its settings the guard lets destructive commands reach only the local default".into()
    } else if named && !found.by_name {
        format!(
            "refused: --context {} is not itself protected; a destructive command reaches a protected endpoint only through a protected context's name ({})",
            r.name,
            found.sharing.join(", ")
        )
    } else {
        format!("refused: a {} command reaches a protected target only when the command line names it with --context", classified.class.as_str())
    });
    if unreadable_name {
        // A suggestion would name the lossy reading, which docker cannot find.
        return d;
    }
    let settings = input.settings.as_ref().ok().copied();
    d.instead = instead(
        input.args,
        &line,
        &r,
        &env,
        host_given,
        &rows,
        &found,
        settings,
        input.program,
    );
    d
}

/// Why a target is protected.
#[derive(Debug, Default)]
struct Protection {
    /// The reasons; empty when it is not protected.
    why: Vec<String>,
    /// Whether its own name is protected: only then does naming it count.
    by_name: bool,
    /// The protected contexts that share its endpoint (names to use).
    sharing: Vec<String>,
}

/// Why `r` is protected. `host_given` is how the line chose its endpoint
/// when `DOCKER_HOST` or `-H` gave it.
fn protection(
    settings: &GuardSettings,
    r: &Resolution,
    host_given: Option<Chosen>,
    rows: &[Listed],
    place: &Place,
) -> Protection {
    let mut found = Protection::default();
    match host_given {
        None => {
            if let Some(why) = settings.protects_name(&r.name) {
                found.why.push(why);
                found.by_name = true;
            }
        }
        Some(chosen) if !r.host.starts_with("unix://") => found.why.push(format!(
            "its endpoint {} comes from {} and is not a local socket",
            r.host,
            if chosen == Chosen::HostFlag {
                "-H"
            } else {
                "DOCKER_HOST"
            }
        )),
        Some(_) => {}
    }
    if r.host.is_empty() {
        return found;
    }
    let target = match Endpoint::parse(&r.host, place) {
        Ok(target) => target,
        Err(e) => {
            if !is_local_default(r) {
                found.why.push(format!(
                    "the guard cannot compare its endpoint with the protected ones ({e}), so it counts as protected"
                ));
            }
            return found;
        }
    };
    for row in rows {
        if row.name == r.name || !row.error.is_empty() {
            continue;
        }
        let Ok(theirs) = Endpoint::parse(&row.docker_endpoint, place) else {
            continue;
        };
        if !theirs.same_engine(&target) {
            continue;
        }
        if let Some(p) = settings.protects_name(&row.name) {
            found.why.push(format!(
                "its endpoint {} reaches the engine of context {:?} ({p})",
                r.host, row.name
            ));
            found.sharing.push(row.name.clone());
        }
    }
    found
}

/// "DOCKER_HOST=… is set in this shell; it overrides the current context
/// dev": the surprise behind the incident this guard exists for.
fn overrides(r: &Resolution, env: &Env, chosen: Chosen) -> Option<String> {
    Some(match chosen {
        Chosen::Environment(Source::DockerHost) => format!(
            "DOCKER_HOST={} is set in this shell; it overrides {}",
            r.host,
            hidden_by_host(r, env)?.0
        ),
        Chosen::Environment(Source::DockerContext) => format!(
            "DOCKER_CONTEXT={} is set in this shell; it overrides the current context {:?}",
            r.name,
            r.overridden()?.1
        ),
        _ => return None,
    })
}

/// The context that DOCKER_HOST keeps docker from using, the one the user
/// may believe in: DOCKER_CONTEXT's, else config.json's current one (not
/// `default`); with how it was chosen, for a sentence.
fn hidden_by_host(r: &Resolution, env: &Env) -> Option<(String, String)> {
    if r.source != Source::DockerHost {
        return None;
    }
    match env.get("DOCKER_CONTEXT") {
        Some(c) => Some((format!("DOCKER_CONTEXT={c}"), c.into_owned())),
        None => r
            .config_context
            .clone()
            .filter(|c| c != DEFAULT_CONTEXT)
            .map(|c| (format!("the current context {c:?}"), c)),
    }
}

/// The command lines to suggest instead of a refused one, the ones that
/// reach no protected target first.
#[allow(clippy::too_many_arguments)]
fn instead(
    args: &[OsString],
    line: &crate::docker_args::CommandLine,
    r: &Resolution,
    env: &Env,
    host_given: bool,
    rows: &[Listed],
    found: &Protection,
    settings: Option<&GuardSettings>,
    program: Program,
) -> Vec<Instead> {
    let with = |name: &str| {
        let mut argv = words::with_context(args, line, name);
        argv[0] = program.name().to_string();
        argv
    };
    // Without settings every target but the local default is protected.
    let protected = |name: &str| settings.is_none_or(|s| s.protects_name(name).is_some());
    let mut out = Vec::new();
    let mut add = |name: &str, why: String| {
        if out.iter().any(|i: &Instead| i.argv == with(name)) {
            return;
        }
        out.push(Instead {
            argv: with(name),
            why,
            protected: protected(name),
        });
    };
    if !host_given {
        for name in &found.sharing {
            add(
                name,
                format!(
                    "names {name:?}, the protected context with endpoint {}",
                    r.host
                ),
            );
        }
        if found.by_name || found.sharing.is_empty() {
            add(&r.name, format!("names the context {:?}", r.name));
        }
    } else {
        if line.flags.hosts.is_empty() {
            let hidden = hidden_by_host(r, env).map(|(_, name)| name);
            if let Some(hidden) = hidden.filter(|h| h != DEFAULT_CONTEXT) {
                add(
                    &hidden,
                    format!("runs it on {hidden:?}, the context DOCKER_HOST overrides"),
                );
            }
        }
        let same: Vec<_> = rows
            .iter()
            .filter(|row| {
                row.name != DEFAULT_CONTEXT
                    && (row.docker_endpoint == r.host || found.sharing.contains(&row.name))
            })
            .take(3)
            .collect();
        for row in &same {
            add(
                &row.name,
                format!("names {:?}, the context with endpoint {}", row.name, r.host),
            );
        }
        if same.is_empty() && !r.host.is_empty() {
            out.push(Instead {
                argv: vec![
                    "docker".into(),
                    "context".into(),
                    "create".into(),
                    "NAME".into(),
                    "--docker".into(),
                    format!("host={}", r.host),
                ],
                why: format!(
                    "gives {} a name; then run: {}",
                    r.host,
                    command_text(&with("NAME"))
                ),
                protected: false,
            });
        }
    }
    // Stable: the order above stays within each group.
    out.sort_by_key(|i| i.protected);
    out
}

impl Decision {
    /// Holds a destructive command to its target's pinned engine: when the
    /// probes saw another engine ID than the one pinned, it is refused,
    /// `--context` or not, until the user checks and pins again. A pinned
    /// target whose engine nobody could check, or a protected one when the
    /// pins cannot be read, is not verified either: refused the same way.
    /// A target never pinned, with readable pins, is left as decided.
    pub fn hold_to_pin(&mut self, engine: &EngineReport) {
        if !self.destructive {
            return;
        }
        let v = |s: &Option<String>| s.clone().unwrap_or_else(|| "?".into());
        let why = match engine.identity {
            Identity::Changed => format!(
                "the engine behind {:?} is not the one pinned: ID {} ({}) was pinned at {}; ID {} ({}) answers now",
                self.context,
                v(&engine.pinned_id),
                v(&engine.pinned_name),
                v(&engine.pinned_at),
                v(&engine.id),
                v(&engine.name)
            ),
            Identity::Unknown
                if engine.pinned_id.is_some()
                    || (engine.pins_error.is_some() && self.protected) =>
            {
                let pinned = match &engine.pinned_id {
                    Some(id) => format!(" (pinned to ID {id}, {})", v(&engine.pinned_name)),
                    None => String::new(),
                };
                format!(
                    "the engine behind {:?}{pinned} is not verified: {}",
                    self.context,
                    engine.unverified_reason().unwrap_or_default()
                )
            }
            _ => return,
        };
        self.decision = Verdict::Refuse;
        self.confirm = false;
        self.reasons.push(why);
        self.reasons
            .push("refused until the engine is checked against its pin, --context or not".into());
        self.instead = vec![
            Instead {
                argv: vec!["dctx".into(), "status".into()],
                why: "shows what answers now, what was pinned, and why it is not verified".into(),
                protected: false,
            },
            Instead {
                argv: vec!["dctx".into(), "pin".into(), self.context.clone()],
                why: if engine.pins_error.is_some() {
                    "once pins.json is fixed or removed (dctx status names it), probes the engine now and pins it".into()
                } else {
                    "probes the engine now and pins it, once you are sure of it".into()
                },
                protected: false,
            },
        ];
    }

    /// What a refusal prints on stderr: what would have been hit and why,
    /// then what to run instead. Control characters from names and hosts
    /// are shown escaped, never sent to the terminal.
    pub fn refusal_text(&self, argv: &[OsString]) -> String {
        self.refusal_text_of(Program::Docker, argv, Paste::Sh)
    }

    /// [`Decision::refusal_text`] for `program`'s line.
    pub fn refusal_text_of(&self, program: Program, argv: &[OsString], paste: Paste) -> String {
        let mut line = vec![program.name().to_string()];
        line.extend(argv.iter().map(|a| a.to_string_lossy().into_owned()));
        let mut out = format!("dctx guard: refused: {}\n", paste.line(&line));
        out.push_str(&format!(
            "  target:  context {} at {} (chosen by {})\n",
            words::visible(&self.context),
            words::visible(if self.host.is_empty() {
                "(no endpoint)"
            } else {
                &self.host
            }),
            self.source
        ));
        for (i, reason) in self.reasons.iter().enumerate() {
            let label = if i == 0 { "  why:     " } else { "           " };
            out.push_str(&format!("{label}{}\n", words::visible(reason)));
        }
        for (i, instead) in self.instead.iter().enumerate() {
            let label = if i == 0 { "  instead: " } else { "           " };
            out.push_str(&format!(
                "{label}{}\n             ({}{})\n",
                paste.line(&instead.argv),
                words::visible(&instead.why),
                match (instead.protected, instead.argv.get(1..3)) {
                    (true, Some([flag, name])) if flag == "--context" =>
                        format!("; this runs on PROTECTED {}", words::visible(name)),
                    (true, _) => "; this runs on a PROTECTED target".to_string(),
                    (false, _) => String::new(),
                }
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests;
