//! The engine behind a context, for the commands: `dctx pin` and
//! `dctx unpin` (run one probe here, then record or drop the expected
//! identity in dctx's state dir), and the engine report `dctx status`,
//! `dctx inspect` and the guard show, asked of the daemon whose probes
//! keep it.

use std::time::Duration;

use anyhow::Context as _;
use dctx_core::contexts::list;
use dctx_core::engine::{now_ms, EngineReport, Facts, PinnedIdentity};
use dctx_core::terminal_text::for_terminal;
use dctx_core::{Env, RealFs, Resolution, Settings};
use dctx_ipc::client::{Client, ClientError};
use dctx_ipc::paths::socket_path;
use dctx_ipc::pins::{self, Pin};
use dctx_ipc::protocol::{Render, Request, Response};
use dctx_ipc::Vars;

fn settings(vars: &Vars) -> Settings {
    Settings::load_optional(&RealFs, vars.settings_path().as_deref()).settings
}

/// A connection to this user's daemon, if one runs (none is started).
fn daemon(vars: &Vars) -> Result<Client, ClientError> {
    Client::connect(
        &socket_path(&vars.runtime_dir()),
        Duration::from_millis(300),
        "dctx",
    )
}

/// What the daemon's probes know of the engine `env` reaches (context
/// `name`, as resolved for `env`); without a daemon, what the settings and
/// the pins alone say (probes off, or pending).
pub fn report(vars: &Vars, env: &Env, name: &str) -> EngineReport {
    let cwd = std::env::current_dir().unwrap_or_else(|_| "/".into());
    let asked = daemon(vars).and_then(|mut c| {
        c.call(&Request::Query {
            env: env.clone().absolutized(&cwd),
            caller: None,
            render: Render {
                settings: vars.settings_path(),
                ..Render::default()
            },
        })
    });
    if let Ok(Response::Segment(segment)) = asked {
        if let Some(engine) = segment.engine {
            return *engine;
        }
    }
    let probed = settings(vars).engine.probes(name);
    let loaded = match vars.state_dir() {
        Some(dir) => pins::load(&RealFs, &dir),
        None => Ok(Vec::new()),
    };
    match loaded {
        Ok(pins) => {
            let pin = pins::find(&pins, &env.config_dir(), name);
            EngineReport::new(probed, None, pin, now_ms())
        }
        // Which targets are pinned is unknown: none is verified.
        Err(e) => {
            EngineReport::new(probed, None, None, now_ms()).with_unreadable_pins(e.to_string())
        }
    }
}

/// One probe, here and now, with the daemon's rules and runner: its own
/// session (no terminal for ssh to ask on), stdin from /dev/null, and its
/// whole process group killed at `timeout`, which covers reading its
/// output to the end.
pub fn probe_now(env: &Env, name: &str, timeout: Duration) -> Result<Facts, String> {
    // This process's own PATH, agent and proxies: it is the user's shell's.
    let cmd = dctx_ipc::process::probe_command(env, None, name);
    dctx_ipc::probe::run(cmd, timeout, None).facts()
}

/// The context `name` (or the current one) and the environment to reach it.
fn chosen(vars: &Vars, name: Option<String>) -> anyhow::Result<(Env, Resolution)> {
    let env = vars.docker_env();
    let (rows, current) = list(&env, &RealFs);
    let Some(name) = name else {
        return Ok((env, current));
    };
    if !rows.iter().any(|r| r.name == name && r.error.is_empty()) {
        return Err(crate::suggest::no_such_context(&name, &rows));
    }
    let (env, _) = dctx_core::docker_args::command_env(
        &env,
        &dctx_core::docker_args::GlobalFlags {
            context: Some(name.into()),
            ..Default::default()
        },
    );
    let r = dctx_core::resolve(&env, &RealFs);
    Ok((env, r))
}

fn load_pins(vars: &Vars) -> anyhow::Result<(std::path::PathBuf, Vec<Pin>)> {
    let dir = vars
        .state_dir()
        .context("no home directory to keep pins in")?;
    let pins = pins::load(&RealFs, &dir)?;
    Ok((dir, pins))
}

/// Tells a running daemon that the pins changed; without one, nothing to do.
fn tell_daemon(vars: &Vars) {
    let _ = daemon(vars).and_then(|mut c| c.call(&Request::Refresh));
}

/// `dctx pin [CONTEXT]`.
pub fn pin(vars: &Vars, name: Option<String>) -> anyhow::Result<()> {
    let (env, r) = chosen(vars, name)?;
    // Read first: an unreadable file is said before a probe is waited for.
    let (dir, _) = load_pins(vars)?;
    let timeout = settings(vars).engine.timeout;
    let facts = probe_now(&env, &r.name, timeout).map_err(|e| {
        anyhow::anyhow!(
            "cannot pin {}: its engine did not answer: {}",
            for_terminal(&r.name),
            for_terminal(&e)
        )
    })?;
    // Read again under the lock: another `dctx pin` may have written
    // while this one probed.
    let previous = pins::update(&dir, |all| {
        let previous = pins::find(all, &r.config_dir, &r.name).cloned();
        all.retain(|p| !(p.config_dir == r.config_dir && p.context == r.name));
        all.push(Pin {
            config_dir: r.config_dir.clone(),
            context: r.name.clone(),
            identity: PinnedIdentity {
                id: facts.id.clone(),
                name: facts.name.clone(),
                pinned_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now())
                    .to_string(),
            },
        });
        (true, previous)
    })?;
    tell_daemon(vars);
    let v = for_terminal;
    println!(
        "pinned {}: engine {} (ID {}, {} {}/{})",
        v(&r.name),
        v(&facts.name),
        v(&facts.id),
        v(&facts.version),
        v(&facts.os),
        v(&facts.arch)
    );
    if let Some(old) = previous.filter(|p| p.id != facts.id) {
        println!(
            "  (was ID {}, {}, pinned {})",
            v(&old.id),
            v(&old.name),
            v(&old.pinned_at)
        );
    }
    Ok(())
}

/// `dctx unpin [CONTEXT]`.
pub fn unpin(vars: &Vars, name: Option<String>) -> anyhow::Result<()> {
    let (_, r) = chosen(vars, name)?;
    let (dir, _) = load_pins(vars)?;
    let removed = pins::update(&dir, |all| {
        let before = all.len();
        all.retain(|p| !(p.config_dir == r.config_dir && p.context == r.name));
        (all.len() != before, all.len() != before)
    })?;
    if !removed {
        println!("{} was not pinned", for_terminal(&r.name));
        return Ok(());
    }
    tell_daemon(vars);
    println!("unpinned {}", for_terminal(&r.name));
    Ok(())
}

/// The engine lines of `dctx status`.
pub fn status_lines(e: &EngineReport) -> String {
    use dctx_core::engine::{EngineState, Identity};
    let v = |s: &Option<String>| for_terminal(s.as_deref().unwrap_or("?")).into_owned();
    let age = e
        .age_ms
        .map(|ms| format!(", probed {} s ago", ms / 1000))
        .unwrap_or_default();
    let latency = e
        .latency_ms
        .map(|ms| format!(", {ms} ms"))
        .unwrap_or_default();
    let state = match e.state {
        EngineState::Off => {
            "not probed ([engine] probe in the settings turns probes on)".to_string()
        }
        EngineState::Pending => "probes on; no answer yet".to_string(),
        EngineState::Ok => format!("ok{latency}{age}"),
        EngineState::Slow => format!("slow{latency}{age}"),
        EngineState::Unreachable => format!("unreachable{age}: {}", v(&e.error)),
        EngineState::Timeout => format!("timed out{age}: {}", v(&e.error)),
    };
    let mut out = format!("engine:      {state}\n");
    if e.id.is_some() {
        out.push_str(&format!(
            "             {} (ID {}, {} {}/{})\n",
            v(&e.name),
            v(&e.id),
            v(&e.version),
            v(&e.os),
            v(&e.arch)
        ));
    }
    match e.identity {
        Identity::Unpinned => {}
        Identity::Unknown => {
            if e.pins_error.is_some() {
                out.push_str(&format!(
                    "pins:        UNREADABLE: {}\n             no engine is verified, and the guard refuses destructive commands to protected contexts; fix or remove the file, then `dctx pin`\n",
                    v(&e.pins_error)
                ));
            } else {
                out.push_str(&format!(
                    "pinned:      ID {} ({}), at {}; {}\n",
                    v(&e.pinned_id),
                    v(&e.pinned_name),
                    v(&e.pinned_at),
                    for_terminal(&e.unverified_reason().unwrap_or_default())
                ));
            }
        }
        Identity::Match => out.push_str(&format!(
            "pinned:      ID {} ({}), at {}; it matches\n",
            v(&e.pinned_id),
            v(&e.pinned_name),
            v(&e.pinned_at)
        )),
        Identity::Changed => out.push_str(&format!(
            "pinned:      ID {} ({}), at {}\nIDENTITY CHANGED: it now answers as ID {} ({}); check it, then `dctx pin` again\n",
            v(&e.pinned_id),
            v(&e.pinned_name),
            v(&e.pinned_at),
            v(&e.id),
            v(&e.name)
        )),
    }
    out
}
