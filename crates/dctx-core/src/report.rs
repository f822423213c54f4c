//! The two ways a resolution is reported in full: JSON for `dctx inspect`
//! and prose for `dctx status`.

use std::fmt::Write as _;

use serde::Serialize;

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

/// A person-readable account of how the context was resolved.
pub fn status_text(r: &Resolution) -> String {
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
    if let Some((var, current)) = r.overridden() {
        let shown = match r.source {
            Source::DockerHost => format!("DOCKER_HOST={}", r.host),
            _ => format!("DOCKER_CONTEXT={}", r.name),
        };
        debug_assert!(shown.starts_with(var));
        let _ = writeln!(
            out,
            "override:    {shown} overrides the current context {current}"
        );
    }
    for p in &r.problems {
        let _ = writeln!(out, "problem:     {p}");
    }
    out
}
