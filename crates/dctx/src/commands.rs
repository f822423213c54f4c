//! The subcommands that report on the current context.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use dctx_core::contexts::{list, Listed};
use dctx_core::report::{status_text, Inspect};
use dctx_core::resolution::Problem;
use dctx_core::resolution::Source;
use dctx_core::settings::Settings;
use dctx_core::terminal_text::{for_terminal, is_unsafe};
use dctx_core::{resolve, RealFs};
use dctx_ipc::Vars;

pub fn show(vars: &Vars) -> anyhow::Result<()> {
    let r = resolve(&vars.docker_env(), &RealFs);
    // The CLI warns about a broken config.json on stderr; so do we.
    for p in &r.problems {
        if let Problem::ConfigMalformed { .. }
        | Problem::ConfigUnreadable { .. }
        | Problem::ConfigTooLarge { .. } = p
        {
            eprintln!("warning: {p}");
        }
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", r.name).context("could not write to stdout")
}

pub fn inspect(vars: &Vars) -> anyhow::Result<()> {
    let env = vars.docker_env();
    let r = resolve(&env, &RealFs);
    let mut doc = serde_json::to_value(Inspect::new(&r)).context("could not encode")?;
    doc["engine"] = serde_json::to_value(crate::engine::report(vars, &env, &r.name))
        .context("could not encode")?;
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &doc).context("could not write to stdout")?;
    writeln!(out).context("could not write to stdout")
}

pub fn status(vars: &Vars) -> anyhow::Result<()> {
    let env = vars.docker_env();
    let r = resolve(&env, &RealFs);
    let mut text = status_text(&r, &env);
    text.push_str(&crate::engine::status_lines(&crate::engine::report(
        vars, &env, &r.name,
    )));
    match vars.settings_path() {
        Some(path) => {
            let problem = Settings::load(&dctx_core::RealFs, &path).problem;
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
    text.push_str(&system_settings_lines(vars));
    text.push_str(&crate::daemon::one_line_status(vars));
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .context("could not write to stdout")
}

/// `dctx status`'s lines on the administrator's file beneath the user's,
/// and the guard's rules with the file each came from.
fn system_settings_lines(vars: &Vars) -> String {
    let path = vars.system_settings_path();
    let layered = vars.layered_settings();
    let shown = for_terminal(&path.to_string_lossy()).into_owned();
    let mut text = match (&layered.system_problem, layered.system_present) {
        (Some(p), _) => format!(
            "system:      {shown}\nproblem:     {} (the guard lets destructive commands reach only the local default)\n",
            for_terminal(p)
        ),
        (None, true) => format!("system:      {shown} (its [guard] is a floor the user's file cannot loosen)\n"),
        (None, false) => format!("system:      {shown} (not present)\n"),
    };
    if layered.system_problem.is_none() && layered.problem.is_none() {
        for rule in layered.settings.guard.rules() {
            text.push_str(&format!(
                "guard rule:  {} = {} ({})\n",
                rule.setting,
                for_terminal(&rule.value),
                for_terminal(&rule.file)
            ));
        }
    }
    text
}

/// `dctx ls`: the contexts, the one in use marked, and why it is.
pub fn ls(vars: &Vars, format: &str, names: bool) -> anyhow::Result<()> {
    let (rows, current) = dctx_core::contexts::listing(&vars.docker_env(), &RealFs);
    let mut out = std::io::stdout().lock();
    if names {
        // One name a line, for completions: a name that cannot be one line
        // or would act on the terminal (controls, bidi, zero-width) is left
        // out; `dctx use` still takes it typed in full.
        for row in rows.iter().filter(|r| r.error.is_empty()) {
            if !row.name.chars().any(is_unsafe) {
                writeln!(out, "{}", row.name).context("could not write to stdout")?;
            }
        }
        return Ok(());
    }
    if format == "json" {
        for row in &rows {
            serde_json::to_writer(&mut out, row).context("could not write to stdout")?;
            writeln!(out).context("could not write to stdout")?;
        }
        return Ok(());
    }
    let why = match current.source {
        Source::DockerHost => "DOCKER_HOST in this shell",
        Source::DockerContext => "DOCKER_CONTEXT in this shell",
        Source::Config => "config.json",
        Source::Default => "nothing selects another",
    };
    // Everything here comes from files anyone could have written: shown
    // escaped, never sent to the terminal as it is.
    let name = |r: &Listed| {
        format!(
            "{}{}",
            for_terminal(&r.name),
            if r.current { " *" } else { "" }
        )
    };
    let description = |r: &Listed| for_terminal(&r.description).into_owned();
    let endpoint = |r: &Listed| for_terminal(&r.docker_endpoint).into_owned();
    let width = |f: &dyn Fn(&Listed) -> String, title: &str| {
        rows.iter()
            .map(|r| f(r).chars().count())
            .max()
            .unwrap_or(0)
            .max(title.len())
    };
    let (wn, wd, we) = (
        width(&name, "NAME"),
        width(&description, "DESCRIPTION"),
        width(&endpoint, "DOCKER ENDPOINT"),
    );
    let mut text = format!(
        "{:wn$}   {:wd$}   {:we$}   ERROR\n",
        "NAME", "DESCRIPTION", "DOCKER ENDPOINT"
    );
    for r in &rows {
        let line = format!(
            "{:wn$}   {:wd$}   {:we$}   {}",
            name(r),
            description(r),
            endpoint(r),
            for_terminal(&r.error)
        );
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text.push_str(&format!(
        "\n* {} (from {why})\n",
        for_terminal(&current.name)
    ));
    out.write_all(text.as_bytes())
        .context("could not write to stdout")
}

/// `dctx exec NAME -- COMMAND…`: runs COMMAND against context NAME; the
/// exit status is COMMAND's. A COMMAND that is docker or docker-compose
/// goes through the guard, which counts NAME as named (the line says it);
/// any other command is run as is, and the docker it runs is guarded as
/// usual (DOCKER_CONTEXT alone names nothing).
pub fn exec(vars: &Vars, name: &str, command: &[std::ffi::OsString]) -> anyhow::Result<ExitCode> {
    use dctx_core::guard::Program;
    use std::os::unix::process::CommandExt;
    let (rows, _) = list(&vars.docker_env(), &RealFs);
    if !rows.iter().any(|r| r.name == name) {
        return Err(crate::suggest::no_such_context(name, &rows));
    }
    let (program, args) = command.split_first().context("no command to run")?;
    let path = std::path::Path::new(program);
    let guarded = match path.file_name().and_then(|n| n.to_str()) {
        Some("docker") => Some(Program::Docker),
        Some("docker-compose") => Some(Program::Compose),
        _ => None,
    };
    if let Some(guarded) = guarded {
        let how = crate::guard::Invocation {
            program: guarded,
            exec_named: Some(name),
            // A bare name is looked up on PATH past the shim.
            path: program
                .as_encoded_bytes()
                .contains(&b'/')
                .then(|| path.to_path_buf()),
            ..Default::default()
        };
        return crate::guard::run(vars, args, &how, false, false);
    }
    let error = std::process::Command::new(program)
        .args(args)
        .env("DOCKER_CONTEXT", name)
        .env_remove("DOCKER_HOST")
        .exec();
    Err(anyhow::Error::new(error).context(format!("could not run {}", program.to_string_lossy())))
}
