//! Engine probes end to end: a real daemon probing fake engines through
//! the real docker CLI, seen in prompts, `dctx status`, `dctx inspect`
//! and the guard; timeouts that leave no process; contexts that are never
//! probed.

use std::path::{Path, PathBuf};

use std::time::Duration;

use dctx_tests::engine::FakeEngine;
use dctx_tests::{require_tool, run, text, wait_for, Daemon, FakeShell, Sandbox};

/// Generous: a probe is a docker process on a loaded 2-core machine.
const EVENTUALLY: Duration = Duration::from_secs(60);

fn write_settings(sandbox: &Sandbox, file: &str, text: &str) -> PathBuf {
    let path = sandbox.path().join(file);
    std::fs::write(&path, text).unwrap();
    path
}

/// The segment a shell with `vars` and settings `settings` gets from the
/// daemon (which thereby learns that this shell uses that context).
fn prompt(sandbox: &Sandbox, shell: &FakeShell, settings: &Path, vars: &[(&str, &str)]) -> String {
    let out = run(sandbox
        .dctx("dctx-prompt")
        .args(["--pid", &shell.pid(), "--shell", "plain"])
        .env("DCTX_CONFIG", settings)
        .envs(vars.iter().copied()));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn inspect(sandbox: &Sandbox, settings: &Path, vars: &[(&str, &str)]) -> serde_json::Value {
    let out = run(sandbox
        .dctx("dctx")
        .arg("inspect")
        .env("DCTX_CONFIG", settings)
        .envs(vars.iter().copied()));
    serde_json::from_slice(&out.stdout).expect("inspect json")
}

#[test]
fn probes_show_the_engine_and_hold_it_to_its_pin() {
    if !require_tool("docker", "engine probe test") {
        return;
    }
    let sandbox = Sandbox::new();
    let engine = FakeEngine::unix(&sandbox.path().join("prod.sock"), "prod-engine");
    sandbox.create_contexts(&[("prod", engine.endpoint())]);
    let settings = write_settings(
        &sandbox,
        "probe.toml",
        "format = \"{name} {engine}\"\n[engine]\nprobe = true\ninterval_s = 0.2\ntimeout_s = 10\n",
    );
    let _daemon = Daemon::start(&sandbox);
    let shell = FakeShell::new();
    let prod = [("DOCKER_CONTEXT", "prod")];

    // The first probe starts as soon as a shell uses the context.
    wait_for("the engine's name in the prompt", EVENTUALLY, || {
        prompt(&sandbox, &shell, &settings, &prod) == "prod prod-engine"
    });
    let e = &inspect(&sandbox, &settings, &prod)["engine"];
    assert_eq!(
        (e["state"].as_str(), e["id"].as_str()),
        (Some("ok"), Some("ID-prod-engine")),
        "{e}"
    );
    assert_eq!(e["identity"], "unpinned");
    assert!(e["latency_ms"].is_u64() && e["age_ms"].is_u64(), "{e}");

    let pin = run(sandbox
        .dctx("dctx")
        .args(["pin", "prod"])
        .env("DCTX_CONFIG", &settings));
    assert!(pin.status.success(), "{}", text(&pin.stderr));
    assert!(
        text(&pin.stdout).contains("ID ID-prod-engine"),
        "{}",
        text(&pin.stdout)
    );
    let e = &inspect(&sandbox, &settings, &prod)["engine"];
    assert_eq!(
        (e["identity"].as_str(), e["state"].as_str()),
        (Some("match"), Some("ok")),
        "{e}"
    );
    let daemon_status = run(sandbox.dctx("dctx").args(["daemon", "status"]));
    assert!(
        daemon_status.status.success(),
        "a refresh is not a shutdown"
    );

    // The host is rebuilt under the same name: another engine ID.
    engine.set_id("ID-rebuilt");
    wait_for("the identity-change marker", EVENTUALLY, || {
        prompt(&sandbox, &shell, &settings, &prod) == "prod prod-engine≠"
    });
    let e = &inspect(&sandbox, &settings, &prod)["engine"];
    assert_eq!(
        (
            e["identity"].as_str(),
            e["pinned_id"].as_str(),
            e["id"].as_str()
        ),
        (Some("changed"), Some("ID-prod-engine"), Some("ID-rebuilt")),
        "{e}"
    );
    let status = run(sandbox
        .dctx("dctx")
        .arg("status")
        .env("DCTX_CONFIG", &settings)
        .envs(prod));
    let status = text(&status.stdout);
    assert!(
        status.contains("IDENTITY CHANGED: it now answers as ID ID-rebuilt"),
        "{status}"
    );
    // dctx doctor says so too, as a danger.
    let doctor = run(sandbox
        .dctx("dctx")
        .args(["doctor", "--json"])
        .env("DCTX_CONFIG", &settings));
    let doc: serde_json::Value = serde_json::from_slice(&doctor.stdout).expect("doctor json");
    let changed = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "identity-changed")
        .unwrap_or_else(|| panic!("no identity finding: {doc:#}"));
    assert_eq!(changed["severity"], "danger");
    assert!(
        changed["message"]
            .as_str()
            .unwrap()
            .contains("ID ID-rebuilt"),
        "{changed}"
    );
    assert_eq!(doctor.status.code(), Some(1));
    assert!(
        status.contains("pinned:      ID ID-prod-engine (prod-engine)"),
        "{status}"
    );

    // The guard refuses a destructive command to it, even named.
    let prune_named = || {
        run(sandbox
            .dctx("dctx")
            .args([
                "guard",
                "--",
                "--context",
                "prod",
                "container",
                "prune",
                "-f",
            ])
            .env("DCTX_CONFIG", &settings))
    };
    let guard = prune_named();
    assert_eq!(guard.status.code(), Some(77), "{}", text(&guard.stderr));
    assert!(
        text(&guard.stderr).contains("dctx pin prod"),
        "{}",
        text(&guard.stderr)
    );
    assert_eq!(engine.writes(), Vec::<String>::new());

    // Re-pinned: the marker goes, the guard lets it through.
    let pin = run(sandbox
        .dctx("dctx")
        .args(["pin", "prod"])
        .env("DCTX_CONFIG", &settings));
    assert!(
        text(&pin.stdout).contains("(was ID ID-prod-engine"),
        "{}",
        text(&pin.stdout)
    );
    wait_for("the marker to go", EVENTUALLY, || {
        prompt(&sandbox, &shell, &settings, &prod) == "prod prod-engine"
    });
    let guard = prune_named();
    assert_eq!(guard.status.code(), Some(0), "{}", text(&guard.stderr));

    // The engine stops: unreachable, with the CLI's words.
    drop(engine);
    wait_for("the unreachable marker", EVENTUALLY, || {
        prompt(&sandbox, &shell, &settings, &prod) == "prod prod-engine✗"
    });
    let e = &inspect(&sandbox, &settings, &prod)["engine"];
    assert_eq!(e["state"], "unreachable", "{e}");
    assert!(e["error"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
}

/// Processes whose parent is `pid`.
fn children_of(pid: u32) -> Vec<String> {
    children(pid).into_iter().map(|(_, head)| head).collect()
}

/// (pid, "pid (comm") of the processes whose parent is `pid`.
fn children(pid: u32) -> Vec<(i32, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid …
        let Some((head, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let ppid = rest.split_whitespace().nth(1).unwrap_or_default();
        let own: i32 = head
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .parse()
            .unwrap_or(0);
        if ppid == pid.to_string() {
            out.push((own, head.to_string()));
        }
    }
    out
}

/// Whether `pid` still runs (a zombie nobody reaps does not count: in a
/// container, pid 1 may not reap orphans).
fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| Some(stat.rsplit_once(") ")?.1.starts_with('Z')))
        .is_some_and(|zombie| !zombie)
}

#[test]
fn a_probe_is_killed_at_its_timeout_and_leaves_nothing_behind() {
    if !require_tool("docker", "engine probe timeout test") {
        return;
    }
    let sandbox = Sandbox::new();
    let hung = FakeEngine::unix(&sandbox.path().join("hung.sock"), "hung");
    hung.set_delay(Duration::from_secs(3600));
    // An SSH context whose ssh never answers.
    let (bin, ssh_pid) = fake_ssh(&sandbox);
    sandbox.create_contexts(&[
        ("hung", hung.endpoint()),
        ("far", "ssh://deploy@far.invalid"),
    ]);
    let settings = write_settings(
        &sandbox,
        "probe.toml",
        "[engine]\nprobe = true\ninterval_s = 3600\ntimeout_s = 1\n",
    );
    let path = format!(
        "{}:{}",
        bin.display(),
        dctx_tests::system_path().to_string_lossy()
    );
    let daemon = Daemon::start_with(&sandbox, |cmd| {
        cmd.env("PATH", &path);
    });
    let (a, b) = (FakeShell::new(), FakeShell::new());
    prompt(&sandbox, &a, &settings, &[("DOCKER_CONTEXT", "hung")]);
    // Probes run with the shell's PATH, which finds the fake ssh.
    prompt(
        &sandbox,
        &b,
        &settings,
        &[("DOCKER_CONTEXT", "far"), ("PATH", &path)],
    );
    for context in ["hung", "far"] {
        wait_for(&format!("{context} to time out"), EVENTUALLY, || {
            inspect(&sandbox, &settings, &[("DOCKER_CONTEXT", context)])["engine"]["state"]
                == "timeout"
        });
    }
    assert!(!hung.requests().is_empty(), "the hung engine was asked");
    let pids = std::fs::read_to_string(&ssh_pid).expect("the fake ssh ran");
    for pid in pids.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
        wait_for("the fake ssh to be gone", EVENTUALLY, || !alive(pid));
    }
    // Nothing of the probes is left under the daemon, not even a zombie.
    wait_for("the daemon's probe children to be gone", EVENTUALLY, || {
        children_of(daemon.pid()).is_empty()
    });
}

#[test]
fn only_contexts_in_use_with_probes_on_are_probed() {
    if !require_tool("docker", "engine probe scope test") {
        return;
    }
    let sandbox = Sandbox::new();
    let on = FakeEngine::unix(&sandbox.path().join("on.sock"), "on");
    let off = FakeEngine::unix(&sandbox.path().join("off.sock"), "off");
    let unused = FakeEngine::unix(&sandbox.path().join("unused.sock"), "unused");
    sandbox.create_contexts(&[
        ("watched", on.endpoint()),
        ("quiet", off.endpoint()),
        ("idle", unused.endpoint()),
    ]);
    let probing = write_settings(
        &sandbox,
        "on.toml",
        "[engine]\nprobe = [\"watched\", \"idle\"]\ninterval_s = 3600\n",
    );
    let not_probing = write_settings(&sandbox, "off.toml", "[engine]\nprobe = false\n");
    let _daemon = Daemon::start(&sandbox);
    let (a, b) = (FakeShell::new(), FakeShell::new());
    // `quiet` is used by a shell whose settings do not probe; `idle` would
    // be probed, but nobody uses it.
    prompt(&sandbox, &b, &not_probing, &[("DOCKER_CONTEXT", "quiet")]);
    prompt(&sandbox, &a, &probing, &[("DOCKER_CONTEXT", "watched")]);
    // The sentinel: once `watched` has its answer, every target the
    // scheduler saw has had its chance.
    wait_for("the watched engine's answer", EVENTUALLY, || {
        inspect(&sandbox, &probing, &[("DOCKER_CONTEXT", "watched")])["engine"]["state"] == "ok"
    });
    assert_eq!(
        off.requests(),
        Vec::<String>::new(),
        "probes off: never asked"
    );
    assert_eq!(
        unused.requests(),
        Vec::<String>::new(),
        "nobody uses it: never asked"
    );
    let e = inspect(&sandbox, &not_probing, &[("DOCKER_CONTEXT", "quiet")]);
    assert_eq!(e["engine"]["state"], "off", "{e}");
    let status = run(sandbox.dctx("dctx").args(["daemon", "status"]));
    assert!(
        text(&status.stdout).contains("probes:   1 run"),
        "{}",
        text(&status.stdout)
    );
}

/// In real shells and in what the tmux plugin runs for a pane: the
/// engine's name once probed, and the identity-change marker once the
/// engine behind the pinned context changes, with no prompt waiting.
fn markers_in(shell: &'static str) {
    if !require_tool("docker", "engine markers test") {
        return;
    }
    let sandbox = Sandbox::new();
    let engine = FakeEngine::unix(&sandbox.path().join("prod.sock"), "prod-engine");
    sandbox.create_contexts(&[("prod", engine.endpoint())]);
    let settings = sandbox.path().join("xdg-config/dctx/config.toml");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    std::fs::write(
        &settings,
        "format = \"{name}/{engine}\"\n[engine]\nprobe = true\ninterval_s = 0.2\n",
    )
    .unwrap();
    let _daemon = Daemon::start(&sandbox);
    let setup = if shell == "fish" {
        "set -gx DOCKER_CONTEXT prod"
    } else {
        "export DOCKER_CONTEXT=prod"
    };
    let Some(h) = dctx_tests::Hooked::start(&sandbox, shell, setup) else {
        return;
    };
    let until_prompt = |what: &str, expected: &str| {
        wait_for(what, EVENTUALLY, || {
            h.tmux.type_line("");
            h.tmux.last_line().trim_end() == expected
        });
    };
    until_prompt("the engine's name", "<prod/prod-engine|0>");
    let pin = run(sandbox.dctx("dctx").args(["pin", "prod"]));
    assert!(pin.status.success(), "{}", text(&pin.stderr));
    engine.set_id("ID-rebuilt");
    until_prompt("the identity-change marker", "<prod/prod-engine≠|0>");
    // What the tmux plugin runs for this pane.
    let tty = text(
        &h.tmux
            .run(&["display", "-p", "-t", "t", "#{pane_tty}"])
            .stdout,
    );
    let pane = run(sandbox
        .dctx("dctx-prompt")
        .args(["--shell", "tmux", "--tty", tty.trim()]));
    let pane = text(&pane.stdout);
    assert!(
        pane.contains("prod/prod-engine") && pane.contains('≠'),
        "{shell}: {pane:?}"
    );
}

#[test]
fn bash_shows_engine_markers() {
    markers_in("bash");
}

#[test]
fn zsh_shows_engine_markers() {
    markers_in("zsh");
}

#[test]
fn fish_shows_engine_markers() {
    markers_in("fish");
}

/// A directory holding an `ssh` that notes its pid in `ssh.pid` and waits
/// forever, for SSH contexts whose host never answers.
fn fake_ssh(sandbox: &Sandbox) -> (PathBuf, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let bin = sandbox.path().join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let pids = sandbox.path().join("ssh.pid");
    std::fs::write(
        bin.join("ssh"),
        format!(
            "#!/bin/sh\necho $$ >> '{}'\nexec sleep 3600\n",
            pids.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(bin.join("ssh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    (bin, pids)
}

#[test]
fn probes_still_running_die_with_the_daemon() {
    if !require_tool("docker", "engine probe shutdown test") {
        return;
    }
    let sandbox = Sandbox::new();
    let (bin, ssh_pids) = fake_ssh(&sandbox);
    sandbox.create_contexts(&[("far", "ssh://deploy@far.invalid")]);
    let settings = write_settings(
        &sandbox,
        "probe.toml",
        "[engine]\nprobe = true\ntimeout_s = 3600\n",
    );
    let path = format!(
        "{}:{}",
        bin.display(),
        dctx_tests::system_path().to_string_lossy()
    );
    let mut daemon = Daemon::start_with(&sandbox, |cmd| {
        cmd.env("PATH", &path);
    });
    let shell = FakeShell::new();
    prompt(
        &sandbox,
        &shell,
        &settings,
        &[("DOCKER_CONTEXT", "far"), ("PATH", &path)],
    );
    wait_for("the probe's ssh to start", EVENTUALLY, || ssh_pids.exists());
    let mut probes: Vec<i32> = children(daemon.pid())
        .into_iter()
        .map(|(pid, _)| pid)
        .collect();
    probes.extend(
        std::fs::read_to_string(&ssh_pids)
            .unwrap()
            .lines()
            .filter_map(|l| l.trim().parse::<i32>().ok()),
    );
    let stop = run(sandbox.dctx("dctx").args(["daemon", "stop"]));
    assert!(stop.status.success(), "{}", text(&stop.stderr));
    daemon.wait_exit("the daemon to exit", EVENTUALLY);
    // docker, and the ssh it started, which only the group kill reaches.
    for pid in probes {
        wait_for("the probe's processes to be gone", EVENTUALLY, || {
            !alive(pid)
        });
    }
}
