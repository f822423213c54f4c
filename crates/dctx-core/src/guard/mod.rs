//! The guard's decision for one docker command line: which engine it
//! reaches (as the CLI resolves it, global flags included), whether the
//! command is destructive, whether the target is protected, and the rule:
//! a destructive command against a protected target runs only when the
//! command line names that target with `--context NAME`.
//!
//! Everything here is a pure function of the environment, the settings and
//! Docker's files; running, asking and logging belong to the `dctx` binary.

pub mod commands;
pub mod policy;
mod words;

use std::ffi::OsString;

use serde::Serialize;

use crate::contexts::{rows, Listed};
use crate::docker_args::{command_env, parse, Chosen, LineError};
use crate::engine::{EngineReport, Identity};
use crate::env::Env;
use crate::fs::FileSystem;
use crate::pflag::ScanError;
use crate::resolution::{Problem, Resolution, Source, DEFAULT_CONTEXT};
use commands::classify;
use policy::{GuardSettings, Mode};
pub use words::{command_text, shell_word, visible};

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
    pub destructive: bool,
    pub protected: bool,
    /// Whether the line names its target with `--context`.
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

/// What the guard needs to know.
pub struct Input<'a> {
    /// The Docker variables of the process that would run docker.
    pub env: &'a Env,
    /// The words after `docker`.
    pub args: &'a [OsString],
    /// The guard settings, or why they could not be read.
    pub settings: Result<&'a GuardSettings, String>,
    pub fs: &'a dyn FileSystem,
}

/// The local default engine: what a destructive command may still reach
/// when the guard cannot decide.
pub fn is_local_default(r: &Resolution) -> bool {
    r.name == DEFAULT_CONTEXT && r.host.starts_with("unix://")
}

/// Decides for one command line.
pub fn decide(input: &Input) -> Decision {
    let line = parse(input.args);
    let (env, chosen) = command_env(input.env, &line.flags);
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
    let rest = &input.args[line.command.min(input.args.len())..];
    let mut classified = classify(rest, table);
    if let Some(LineError::Flag(ScanError::Unknown(flag))) = &line.error {
        // The words after an unknown flag cannot be read with certainty;
        // look for the table's commands anywhere after it.
        classified.unsure = Some(format!("docker: unknown flag {flag}"));
        classified.matched = commands::find_anywhere(rest, table);
    }
    let named = chosen == Chosen::ContextFlag && !host_given;
    let mut d = Decision {
        decision: Verdict::Allow,
        context: r.name.clone(),
        host: r.host.clone(),
        source,
        problem: r.problem_summary(),
        command: classified.command.clone(),
        destructive: classified.matched.is_some() && classified.inert.is_none(),
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
    if line.flags.help_or_version {
        d.destructive = false;
        d.reasons
            .push("docker only prints help or its version".into());
        return d;
    }
    match (&line.error, &classified.unsure) {
        (Some(LineError::Flag(ScanError::Unknown(_))), _) | (_, Some(_)) => {}
        (Some(e), None) => {
            d.destructive = false;
            d.reasons.push(format!(
                "docker refuses this line itself ({e}); it runs nothing"
            ));
            return d;
        }
        (None, None) => {}
    }
    match (&classified.matched, classified.inert) {
        (Some(entry), Some(inert)) => {
            d.reasons
                .push(format!("`{entry}` is destructive, but {inert}"));
            return d;
        }
        (Some(entry), None) => d.reasons.push(match &classified.unsure {
            Some(why) => format!("it may be `{entry}`, which is destructive ({why})"),
            None => format!("`{entry}` is destructive"),
        }),
        (None, _) => {
            let what = if classified.command.is_empty() {
                "no command".to_string()
            } else {
                format!("`{}`", classified.command)
            };
            d.reasons.push(format!(
                "{what} is not in the table of destructive commands"
            ));
            return d;
        }
    }
    if let Some(p @ Problem::ContextNotFound { .. }) = r.problems.first() {
        d.reasons.push(format!("docker refuses it: {p}"));
        return d;
    }

    // Every context of the line's config dir, read once: for endpoints
    // shared with a protected context, and for what to suggest.
    let rows = rows(&env, input.fs, &r);
    let protection = match &input.settings {
        Ok(settings) => protection(settings, &r, host_given.then_some(chosen), &rows),
        Err(e) if !is_local_default(&r) => vec![format!(
            "the guard cannot read its settings ({e}), so every target but the local default counts as protected"
        )],
        Err(_) => Vec::new(),
    };
    if classified.unsure.is_some() && protection.is_empty() && !is_local_default(&r) {
        d.protected = true;
        d.reasons.push(
            "the guard cannot read this line, so only the local default may be reached".into(),
        );
    }
    d.protected |= !protection.is_empty();
    d.reasons.extend(protection);
    if !d.protected {
        d.reasons
            .push(format!("context {:?} is not protected", r.name));
        return d;
    }
    if named && classified.unsure.is_none() {
        d.reasons
            .push(format!("the command line names it: --context {}", r.name));
        return d;
    }
    d.decision = Verdict::Refuse;
    d.confirm = matches!(input.settings, Ok(s) if s.mode == Mode::Confirm);
    d.reasons.push(if classified.unsure.is_some() {
        "refused: the guard cannot tell what this line does to a protected target".into()
    } else {
        "refused: a destructive command reaches a protected target only when the command line names it with --context".into()
    });
    d.instead = instead(input.args, &line, &r, &env, host_given, &rows);
    d
}

/// Why `r` is protected; empty when it is not. `host_given` is how the
/// line chose its endpoint when `DOCKER_HOST` or `-H` gave it.
fn protection(
    settings: &GuardSettings,
    r: &Resolution,
    host_given: Option<Chosen>,
    rows: &[Listed],
) -> Vec<String> {
    let mut why = Vec::new();
    match host_given {
        None => why.extend(settings.protects_name(&r.name)),
        Some(chosen) if !r.host.starts_with("unix://") => why.push(format!(
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
    if !r.host.is_empty() {
        for row in rows {
            if row.name != r.name && row.docker_endpoint == r.host && row.error.is_empty() {
                if let Some(p) = settings.protects_name(&row.name) {
                    why.push(format!(
                        "its endpoint {} is that of context {:?} ({p})",
                        r.host, row.name
                    ));
                }
            }
        }
    }
    why
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

/// The command lines to suggest instead of a refused one.
fn instead(
    args: &[OsString],
    line: &crate::docker_args::CommandLine,
    r: &Resolution,
    env: &Env,
    host_given: bool,
    rows: &[Listed],
) -> Vec<Instead> {
    let with = |name: &str| words::with_context(args, line, name);
    if !host_given {
        return vec![Instead {
            argv: with(&r.name),
            why: format!("names the context {:?}", r.name),
        }];
    }
    let mut out = Vec::new();
    if line.flags.hosts.is_empty() {
        let hidden = hidden_by_host(r, env).map(|(_, name)| name);
        if let Some(hidden) = hidden.filter(|h| h != DEFAULT_CONTEXT) {
            out.push(Instead {
                argv: with(&hidden),
                why: format!("runs it on {hidden:?}, the context DOCKER_HOST overrides"),
            });
        }
    }
    let same: Vec<_> = rows
        .iter()
        .filter(|row| row.name != DEFAULT_CONTEXT && row.docker_endpoint == r.host)
        .take(3)
        .collect();
    for row in &same {
        out.push(Instead {
            argv: with(&row.name),
            why: format!("names {:?}, the context with endpoint {}", row.name, r.host),
        });
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
        });
    }
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
            },
            Instead {
                argv: vec!["dctx".into(), "pin".into(), self.context.clone()],
                why: if engine.pins_error.is_some() {
                    "once pins.json is fixed or removed (dctx status names it), probes the engine now and pins it".into()
                } else {
                    "probes the engine now and pins it, once you are sure of it".into()
                },
            },
        ];
    }

    /// What a refusal prints on stderr: what would have been hit and why,
    /// then what to run instead. Control characters from names and hosts
    /// are shown escaped, never sent to the terminal.
    pub fn refusal_text(&self, argv: &[OsString]) -> String {
        let mut line = vec!["docker".to_string()];
        line.extend(argv.iter().map(|a| a.to_string_lossy().into_owned()));
        let mut out = format!("dctx guard: refused: {}\n", command_text(&line));
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
                "{label}{}\n             ({})\n",
                command_text(&instead.argv),
                words::visible(&instead.why)
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests;
