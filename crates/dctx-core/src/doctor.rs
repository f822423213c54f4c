//! `dctx doctor`, the pure part: what a finding is, how a shell's startup
//! trace says where a Docker variable was set, and what is wrong with the
//! contexts of a config dir (the checklist of the incident's guidance:
//! SSH as root, TCP without TLS, TLS unverified, no description, two
//! contexts on one engine, production names the guard does not protect,
//! a protected current context).
//!
//! Running shells, reading system files and asking the daemon belong to
//! the `dctx` binary.

use std::path::PathBuf;

use serde::Serialize;

use crate::contexts::Listed;
use crate::endpoint::{Endpoint, Place};
use crate::guard::policy::GuardSettings;
use crate::resolution::DEFAULT_CONTEXT;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// What the incident's guidance bans: fix it.
    Danger,
    Warn,
    Info,
}

/// One thing `dctx doctor` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// A stable name for the kind of finding (`docker-host-exported`, …).
    pub kind: &'static str,
    pub message: String,
    /// What to do about it.
    pub fix: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

impl Finding {
    pub fn new(severity: Severity, kind: &'static str, message: String, fix: String) -> Finding {
        Finding {
            severity,
            kind,
            message,
            fix,
            file: None,
            line: None,
        }
    }

    pub fn at(mut self, file: PathBuf, line: Option<u32>) -> Finding {
        self.file = Some(file);
        self.line = line;
        self
    }
}

/// The prefix `dctx doctor` puts in a shell's trace prompt (`PS4`), before
/// the file and the line: what tells trace lines from other output.
pub const TRACE_MARK: &str = "dctx-trace:";

/// One assignment of a Docker variable seen in a startup trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub variable: String,
    pub file: PathBuf,
    pub line: u32,
    /// The traced command, as the shell printed it.
    pub command: String,
}

/// The assignments of `DOCKER_*` variables in a bash or zsh xtrace whose
/// prompt was `+dctx-trace:FILE:LINE: ` (the `+` repeated by nesting).
pub fn assignments(trace: &str) -> Vec<Assignment> {
    let mut out = Vec::new();
    for line in trace.lines() {
        let Some(rest) = line.trim_start_matches('+').strip_prefix(TRACE_MARK) else {
            continue;
        };
        // FILE:LINE: COMMAND, where FILE may itself hold colons: the line
        // number is the last all-digit field before ": ".
        let Some((place, command)) = split_place(rest) else {
            continue;
        };
        let (file, number) = place;
        for variable in assigned(command) {
            out.push(Assignment {
                variable,
                file: PathBuf::from(file),
                line: number,
                command: command.to_string(),
            });
        }
    }
    out
}

fn split_place(rest: &str) -> Option<((&str, u32), &str)> {
    let mut search = 0;
    while let Some(at) = rest[search..].find(": ") {
        let end = search + at;
        let head = &rest[..end];
        if let Some((file, number)) = head.rsplit_once(':') {
            if let Ok(n) = number.parse::<u32>() {
                return Some(((file, n), &rest[end + 2..]));
            }
        }
        search = end + 2;
    }
    None
}

/// The Docker variables a traced command assigns or exports: `X=v`,
/// `export X=v`, `export X`, `declare -x X=v`, `typeset -gx X=v`.
fn assigned(command: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut exporting = false;
    for word in command.split_whitespace() {
        let word = word.trim_start_matches(['\'', '"']);
        match word {
            "export" | "declare" | "typeset" | "local" | "readonly" => {
                exporting = true;
                continue;
            }
            w if w.starts_with('-') && exporting => continue,
            _ => {}
        }
        let name = word.split('=').next().unwrap_or_default();
        let is_docker = name.starts_with("DOCKER_")
            && name.len() > 7
            && name
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if is_docker && (word.contains('=') || exporting) {
            out.push(name.to_string());
        } else if !exporting && !word.contains('=') {
            // The command itself (`echo DOCKER_HOST=…`): not an assignment.
            break;
        }
    }
    out
}

/// Lines of a fish startup file that set a Docker variable
/// (`set -gx DOCKER_HOST …`): fish's trace says what ran, not where.
pub fn fish_assignments(text: &str) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let words: Vec<&str> = line
            .split('#')
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        let Some(at) = words.iter().position(|w| *w == "set") else {
            continue;
        };
        let name = words[at + 1..].iter().find(|w| !w.starts_with('-'));
        if let Some(name) = name.filter(|n| n.starts_with("DOCKER_")) {
            out.push((name.to_string(), i as u32 + 1));
        }
    }
    out
}

/// A context's facts beyond what `docker context ls` lists.
#[derive(Debug, Clone, Default)]
pub struct ContextFacts {
    /// `SkipTLSVerify` of its docker endpoint.
    pub skip_tls_verify: bool,
    /// Whether it has TLS material in the store.
    pub has_tls: bool,
    /// TLS files that other users may read.
    pub readable_keys: Vec<PathBuf>,
}

/// What is wrong with the contexts `rows` (each with its facts), under the
/// guard settings in force and the current context `current`.
pub fn context_findings(
    rows: &[(Listed, ContextFacts)],
    current: &str,
    guard: &GuardSettings,
    place: &Place,
) -> Vec<Finding> {
    use Severity::*;
    let mut out = Vec::new();
    let stored = rows
        .iter()
        .filter(|(r, _)| r.name != DEFAULT_CONTEXT && r.error.is_empty());
    for (row, facts) in stored.clone() {
        let name = crate::guard::visible(&row.name);
        let host = &row.docker_endpoint;
        let lower = host.to_ascii_lowercase();
        if lower.starts_with("ssh://root@") {
            out.push(Finding::new(
                Danger,
                "ssh-as-root",
                format!("context {name} logs in over SSH as root ({host})"),
                format!("use a user in the remote docker group: docker context update {name} --docker host=ssh://deploy@…"),
            ));
        }
        if lower.starts_with("tcp://") && !facts.has_tls {
            out.push(Finding::new(
                Danger,
                "tcp-without-tls",
                format!("context {name} talks plain TCP without TLS ({host}): anyone on the path can run containers"),
                format!("treat the engine as compromised and rotate it; then use TLS or SSH: docker context update {name} --docker host=ssh://…"),
            ));
        }
        if facts.skip_tls_verify {
            out.push(Finding::new(
                Warn,
                "tls-not-verified",
                format!("context {name} skips TLS verification"),
                format!("give it the engine's CA: docker context update {name} --docker ca=…,skip-tls-verify=false"),
            ));
        }
        for key in &facts.readable_keys {
            out.push(
                Finding::new(
                    Danger,
                    "tls-key-readable",
                    format!("a TLS file of context {name} can be read by other users"),
                    format!("chmod 600 {}", key.display()),
                )
                .at(key.clone(), None),
            );
        }
        if row.description.trim().is_empty() {
            out.push(Finding::new(
                Info,
                "no-description",
                format!("context {name} has no description"),
                format!("say what it is: docker context update {name} --description \"…\""),
            ));
        }
        let production = crate::pattern::BUILTIN_DANGER_PATTERNS
            .iter()
            .any(|p| crate::pattern::glob_match(p, &row.name));
        if production && guard.protects_name(&row.name).is_none() {
            out.push(Finding::new(
                Warn,
                "production-unprotected",
                format!("context {name} reads as production but the guard does not protect it"),
                format!("add it to [guard] protect in dctx's config.toml (e.g. protect = [\"word:prod\", \"{}\"])", row.name),
            ));
        }
        if row.name == current && guard.protects_name(&row.name).is_some() {
            out.push(Finding::new(
                Warn,
                "protected-current",
                format!("the current context ({name}) is a protected one: every shell that follows config.json aims at it"),
                "make a harmless context current (docker context use default) and name production per command: docker --context NAME …".to_string(),
            ));
        }
    }
    // Two contexts on one engine: one label may be trusted for the other.
    let parsed: Vec<(&Listed, Endpoint)> = stored
        .filter_map(|(r, _)| Some((r, Endpoint::parse(&r.docker_endpoint, place).ok()?)))
        .collect();
    for (i, (a, ea)) in parsed.iter().enumerate() {
        for (b, eb) in &parsed[i + 1..] {
            if ea.same_engine(eb) {
                out.push(Finding::new(
                    Warn,
                    "shared-endpoint",
                    format!(
                        "contexts {} and {} reach the same engine ({} and {})",
                        crate::guard::visible(&a.name),
                        crate::guard::visible(&b.name),
                        a.docker_endpoint,
                        b.docker_endpoint
                    ),
                    format!(
                        "remove the one you do not need: docker context rm {}",
                        crate::guard::visible(&b.name)
                    ),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn assignments_carry_their_file_and_line() {
        let trace = "\
+dctx-trace:/etc/profile:12: '[' -d /etc/profile.d ']'
++dctx-trace:/etc/profile.d/docker.sh:3: export DOCKER_HOST=tcp://10.0.0.9:2375
+dctx-trace:/home/me/.bashrc:7: DOCKER_CONTEXT=prod
+dctx-trace:/home/me/.bashrc:8: export DOCKER_CONTEXT
+dctx-trace:/home/me/a:b.sh:2: declare -x DOCKER_TLS_VERIFY=1
+dctx-trace:/home/me/.bashrc:9: echo DOCKER_HOST=nothing
+dctx-trace:/home/me/.bashrc:10: MY_DOCKER_HOST=x
bash: no job control in this shell
";
        let found: Vec<(String, String, u32)> = assignments(trace)
            .into_iter()
            .map(|a| (a.variable, a.file.display().to_string(), a.line))
            .collect();
        assert_eq!(
            found,
            [
                ("DOCKER_HOST".into(), "/etc/profile.d/docker.sh".into(), 3),
                ("DOCKER_CONTEXT".into(), "/home/me/.bashrc".into(), 7),
                ("DOCKER_CONTEXT".into(), "/home/me/.bashrc".into(), 8),
                ("DOCKER_TLS_VERIFY".into(), "/home/me/a:b.sh".into(), 2),
            ]
        );
    }

    #[test]
    fn fish_files_are_read_for_set() {
        let text = "# set -gx DOCKER_HOST x\nset -gx DOCKER_HOST tcp://h\nset PATH a\n  set -x -g DOCKER_CONTEXT prod # here\n";
        assert_eq!(
            fish_assignments(text),
            [
                ("DOCKER_HOST".to_string(), 2),
                ("DOCKER_CONTEXT".to_string(), 4)
            ]
        );
    }

    fn row(name: &str, host: &str, description: &str) -> (Listed, ContextFacts) {
        (
            Listed {
                name: name.into(),
                description: description.into(),
                docker_endpoint: host.into(),
                current: false,
                error: String::new(),
            },
            ContextFacts::default(),
        )
    }

    #[test]
    fn the_guidance_checklist_over_contexts() {
        let fs = crate::MemFs::new();
        let place = Place {
            cwd: Path::new("/"),
            fs: &fs,
            hosts: &[],
        };
        let mut tls = row("prod-eu", "tcp://10.0.0.9:2376", "EU production");
        tls.1.has_tls = true;
        tls.1.skip_tls_verify = true;
        let rows = vec![
            row("default", "unix:///var/run/docker.sock", ""),
            row("prod", "ssh://root@prod-01", "Production"),
            row("ci", "tcp://10.0.0.5:2375", "CI"),
            row("dev", "unix:///run/dev.sock", ""),
            tls,
            row("prod-again", "ssh://deploy@PROD-01:22", "same host"),
        ];
        let guard = crate::Settings::parse("[guard]\nprotect = [\"prod\", \"prod-again\"]\n")
            .unwrap()
            .guard;
        let findings = context_findings(&rows, "prod", &guard, &place);
        let kinds: Vec<(&str, &str)> = findings
            .iter()
            .map(|f| {
                (
                    f.kind,
                    f.message.split_whitespace().nth(1).unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            kinds,
            [
                ("ssh-as-root", "prod"),
                ("protected-current", "current"),
                ("tcp-without-tls", "ci"),
                ("no-description", "dev"),
                ("tls-not-verified", "prod-eu"),
                ("production-unprotected", "prod-eu"),
                ("shared-endpoint", "prod"),
            ]
        );
    }
}
