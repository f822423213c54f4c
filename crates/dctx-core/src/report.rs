//! The two ways a resolution is reported in full: JSON for `dctx inspect`
//! and prose for `dctx status`.

use std::fmt::Write as _;

use serde::Serialize;

use crate::env::Env;
use crate::resolution::{Resolution, Source};

/// The JSON document `dctx inspect` prints.
#[derive(Debug, Serialize)]
pub struct Inspect<'a> {
    pub name: &'a str,
    pub source: Source,
    pub host: &'a str,
    pub description: &'a str,
    pub exists: bool,
    pub problem: Option<String>,
    pub config_dir: String,
    pub config_current_context: Option<&'a str>,
}

impl<'a> Inspect<'a> {
    pub fn new(r: &'a Resolution) -> Self {
        Inspect {
            name: &r.name,
            source: r.source,
            host: &r.host,
            description: &r.description,
            exists: r.exists,
            problem: r.problem_summary(),
            config_dir: r.config_dir.display().to_string(),
            config_current_context: r.config_context.as_deref(),
        }
    }
}

/// A person-readable account of how the context was resolved for `env`.
pub fn status_text(r: &Resolution, env: &Env) -> String {
    let mut out = String::new();
    let how = match r.source {
        Source::DockerHost => "because DOCKER_HOST is set".to_string(),
        Source::DockerContext => "from DOCKER_CONTEXT".to_string(),
        Source::Config => format!("from {}", r.config_dir.join("config.json").display()),
        Source::Default => "because nothing selects another context".to_string(),
    };
    let _ = writeln!(out, "context:     {} ({how})", r.name);
    let host = if r.host.is_empty() { "(none)" } else { &r.host };
    let _ = writeln!(out, "endpoint:    {host}");
    if !r.description.is_empty() {
        let _ = writeln!(out, "description: {}", r.description);
    }
    let _ = writeln!(out, "config dir:  {}", r.config_dir.display());
    // Every choice the winner overrides, not only the config's: with
    // DOCKER_HOST and DOCKER_CONTEXT both set, the context named is ignored
    // too, and people set it expecting it to count.
    let mut overridden = Vec::new();
    if let (Source::DockerHost, Some(context)) = (r.source, env.get("DOCKER_CONTEXT")) {
        overridden.push(format!("DOCKER_CONTEXT={context}"));
    }
    if let Some((_, current)) = r.overridden() {
        overridden.push(format!("the current context {current}"));
    }
    if !overridden.is_empty() {
        let shown = match r.source {
            Source::DockerHost => format!("DOCKER_HOST={}", r.host),
            _ => format!("DOCKER_CONTEXT={}", r.name),
        };
        let _ = writeln!(
            out,
            "override:    {shown} overrides {}",
            overridden.join(" and ")
        );
    }
    for p in &r.problems {
        let _ = writeln!(out, "problem:     {p}");
    }
    // Names, hosts, descriptions and paths come from files: each line is
    // shown, never sent, to the terminal.
    out.lines()
        .map(|line| format!("{}\n", crate::terminal_text::for_terminal(line)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{resolve, MemFs};

    #[test]
    fn status_shows_hostile_text_escaped() {
        let env = Env::new(
            [("DOCKER_HOST", "tcp://h\u{1b}]0;pwned\u{7}:1")],
            Some("/h".into()),
        );
        let text = status_text(&resolve(&env, &MemFs::new()), &env);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text:?}"
        );
        assert!(text.contains("\\u{1b}]0;pwned\\u{7}"), "{text:?}");
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn status_names_every_choice_the_winner_overrides() {
        let fs = MemFs::new().with("/h/.docker/config.json", r#"{"currentContext":"dev"}"#);
        let env = Env::new(
            [
                ("DOCKER_HOST", "tcp://10.0.0.9"),
                ("DOCKER_CONTEXT", "prod"),
            ],
            Some("/h".into()),
        );
        let text = status_text(&resolve(&env, &fs), &env);
        assert!(
            text.contains("override:    DOCKER_HOST=tcp://10.0.0.9:2375 overrides DOCKER_CONTEXT=prod and the current context dev\n"),
            "{text}"
        );
        let env = Env::new([("DOCKER_CONTEXT", "prod")], Some("/h".into()));
        let text = status_text(&resolve(&env, &fs), &env);
        assert!(
            text.contains("override:    DOCKER_CONTEXT=prod overrides the current context dev\n"),
            "{text}"
        );
        let env = Env::new([("DOCKER_CONTEXT", "dev")], Some("/h".into()));
        assert!(!status_text(&resolve(&env, &fs), &env).contains("override:"));
    }
}
