//! The subcommands that report on the current context.

use std::io::Write;

use anyhow::Context as _;
use dctx_core::report::{status_text, Inspect};
use dctx_core::resolution::Problem;
use dctx_core::settings::Settings;
use dctx_core::{resolve, RealFs};
use dctx_ipc::Vars;

pub fn show(vars: &Vars) -> anyhow::Result<()> {
    let r = resolve(&vars.docker_env(), &RealFs);
    // The CLI warns about a broken config.json on stderr; so do we.
    for p in &r.problems {
        if let Problem::ConfigMalformed { .. } | Problem::ConfigUnreadable { .. } = p {
            eprintln!("warning: {p}");
        }
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", r.name).context("could not write to stdout")
}

pub fn inspect(vars: &Vars) -> anyhow::Result<()> {
    let r = resolve(&vars.docker_env(), &RealFs);
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &Inspect::new(&r))
        .context("could not write to stdout")?;
    writeln!(out).context("could not write to stdout")
}

pub fn status(vars: &Vars) -> anyhow::Result<()> {
    let env = vars.docker_env();
    let r = resolve(&env, &RealFs);
    let mut text = status_text(&r, &env);
    match vars.settings_path() {
        Some(path) => {
            let (_, problem) = Settings::load(&dctx_core::RealFs, &path);
            let state = if path.exists() {
                ""
            } else {
                " (not present; built-in defaults)"
            };
            text.push_str(&format!("settings:    {}{state}\n", path.display()));
            if let Some(p) = problem {
                text.push_str(&format!(
                    "problem:     {p} (the prompt uses built-in defaults)\n"
                ));
            }
        }
        None => text.push_str("settings:    no home directory; built-in defaults\n"),
    }
    text.push_str(&crate::daemon::one_line_status(vars));
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .context("could not write to stdout")
}
