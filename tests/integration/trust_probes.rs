//! Engine probes are bounded in every way: a docker that exits but leaves
//! a child holding its output, a daemon killed with SIGKILL mid-probe, and
//! shells whose own environment (HOME, PATH, agent, proxies) leads to
//! another engine. And the daemon's other costs are bounded too: inotify
//! watches grow with the contexts in use, not with the store.

use std::path::{Path, PathBuf};

use std::time::Duration;

use dctx_tests::engine::FakeEngine;
use dctx_tests::{
    require_tool, run, run_bounded, run_ok, text, wait_for, Conn, Daemon, FakeShell, Sandbox,
};

/// Generous: a probe is a docker process on a loaded 2-core machine.
const EVENTUALLY: Duration = Duration::from_secs(60);

fn write(path: &Path, text: &str) -> PathBuf {
    std::fs::write(path, text).unwrap();
    path.to_path_buf()
}

/// The real docker, found on this process's PATH.
fn real_docker() -> PathBuf {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|d| d.join("docker"))
        .find(|p| p.is_file())
        .expect("docker on PATH")
}

/// A dir holding a `docker` that starts `sleep 1000` in the background
/// (holding stdout when `hold` is true), notes its pid in `sleeps`, then
/// becomes the real docker; and the PATH that puts it first.
fn docker_wrapper(sandbox: &Sandbox, hold: bool) -> (String, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let bin = sandbox.path().join("wrapper-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let sleeps = sandbox.path().join("sleeps");
    let redirect = if hold { "" } else { " >/dev/null 2>&1" };
    let script = format!(
        "#!/bin/sh\nsleep 1000 </dev/null{redirect} &\necho $! >> '{}'\nexec '{}' \"$@\"\n",
        sleeps.display(),
        real_docker().display()
    );
    std::fs::set_permissions(
        write(&bin.join("docker"), &script),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    (path, sleeps)
}

fn pids_in(file: &Path) -> Vec<i32> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// Whether `pid` still runs (a zombie nobody reaps does not count).
fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| Some(stat.rsplit_once(") ")?.1.starts_with('Z')))
        .is_some_and(|zombie| !zombie)
}

/// The pids whose parent is `pid`.
fn children(pid: u32) -> Vec<i32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some((head, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        if rest.split_whitespace().nth(1) == Some(pid.to_string().as_str()) {
            out.extend(
                head.split_whitespace()
                    .next()
                    .and_then(|p| p.parse::<i32>().ok()),
            );
        }
    }
    out
}

fn prompt(sandbox: &Sandbox, shell: &FakeShell, settings: &Path, vars: &[(&str, &str)]) -> String {
    let out = run(sandbox
        .dctx("dctx-prompt")
        .args(["--pid", &shell.pid(), "--shell", "plain"])
        .env("DCTX_CONFIG", settings)
        .envs(vars.iter().copied()));
    text(&out.stdout)
}

fn engine_state(sandbox: &Sandbox, settings: &Path, vars: &[(&str, &str)]) -> serde_json::Value {
    let out = run(sandbox
        .dctx("dctx")
        .arg("inspect")
        .env("DCTX_CONFIG", settings)
        .envs(vars.iter().copied()));
    serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("inspect json")["engine"]
        .clone()
}

#[test]
fn a_docker_that_leaves_a_child_on_its_output_cannot_hold_a_probe() {
    if !require_tool("docker", "probe output bound test") {
        return;
    }
    let sandbox = Sandbox::new();
    let engine = FakeEngine::unix(&sandbox.path().join("prod.sock"), "prod-engine");
    sandbox.create_contexts(&[("prod", engine.endpoint())]);
    let settings = write(
        &sandbox.path().join("probe.toml"),
        "[engine]\nprobe = true\ninterval_s = 3600\ntimeout_s = 2\n",
    );
    let (path, sleeps) = docker_wrapper(&sandbox, true);
    let _daemon = Daemon::start(&sandbox);
    let shell = FakeShell::new();
    let prod = [("DOCKER_CONTEXT", "prod")];
    // The shell's PATH finds the wrapper: probes run with it.
    prompt(
        &sandbox,
        &shell,
        &settings,
        &[("DOCKER_CONTEXT", "prod"), ("PATH", &path)],
    );
    // docker itself answers at once; its output stays open behind it.
    wait_for("the probe to time out", EVENTUALLY, || {
        engine_state(&sandbox, &settings, &prod)["state"] == "timeout"
    });
    assert!(!engine.requests().is_empty(), "the engine was asked");
    let left = pids_in(&sleeps);
    assert!(!left.is_empty(), "the wrapper ran");
    for pid in left {
        wait_for("the wrapper's child to be killed", EVENTUALLY, || {
            !alive(pid)
        });
    }

    // `dctx pin` runs the same runner under the same timeout.
    let pin = run_bounded(
        sandbox
            .dctx("dctx")
            .args(["pin", "prod"])
            .env("PATH", &path)
            .env("DCTX_CONFIG", &settings),
        EVENTUALLY,
    );
    assert!(!pin.status.success());
    assert!(
        text(&pin.stderr).contains("no answer within 2.0 s"),
        "{}",
        text(&pin.stderr)
    );
}

#[test]
fn a_daemon_killed_mid_probe_leaves_no_probe_process() {
    if !require_tool("docker", "probe kill -9 test") {
        return;
    }
    let sandbox = Sandbox::new();
    let silent = FakeEngine::unix(&sandbox.path().join("silent.sock"), "silent");
    silent.set_delay(Duration::from_secs(3600));
    sandbox.create_contexts(&[("silent", silent.endpoint())]);
    let settings = write(
        &sandbox.path().join("probe.toml"),
        "[engine]\nprobe = true\ninterval_s = 3600\ntimeout_s = 3600\n",
    );
    // Its background child stands for ssh: a grandchild of the daemon,
    // which only a kill of the whole group reaches.
    let (path, sleeps) = docker_wrapper(&sandbox, false);
    let daemon = Daemon::start(&sandbox);
    let shell = FakeShell::new();
    prompt(
        &sandbox,
        &shell,
        &settings,
        &[("DOCKER_CONTEXT", "silent"), ("PATH", &path)],
    );
    wait_for("the probe to reach the engine", EVENTUALLY, || {
        !silent.requests().is_empty()
    });
    let dockers = children(daemon.pid());
    assert!(!dockers.is_empty(), "a probe runs under the daemon");
    let grandchildren = pids_in(&sleeps);
    assert!(!grandchildren.is_empty(), "the wrapper ran");

    daemon.kill9();
    // docker dies with the daemon, by itself.
    for &pid in &dockers {
        wait_for(
            "the probe's docker to die with the daemon",
            EVENTUALLY,
            || !alive(pid),
        );
    }
    // What docker started is killed by the next daemon, as it starts.
    let _next = Daemon::start(&sandbox);
    for pid in grandchildren {
        wait_for(
            "the next daemon to kill what the probe left",
            EVENTUALLY,
            || !alive(pid),
        );
    }
}

#[test]
fn shells_with_different_homes_see_their_own_homes_engines() {
    if !require_tool("docker", "probe environment test") {
        return;
    }
    let sandbox = Sandbox::new();
    let a = FakeEngine::unix(&sandbox.path().join("a.sock"), "engine-a");
    let b = FakeEngine::unix(&sandbox.path().join("b.sock"), "engine-b");
    // Two homes, each with a context "work" pointing at its own engine.
    let homes: Vec<PathBuf> = [("home-a", &a), ("home-b", &b)]
        .iter()
        .map(|(dir, engine)| {
            let home = sandbox.path().join(dir);
            std::fs::create_dir_all(&home).unwrap();
            let out = run(sandbox
                .docker()
                .env("HOME", &home)
                .env_remove("DOCKER_CONFIG")
                .args(["context", "create", "work", "--docker"])
                .arg(format!("host={}", engine.endpoint())));
            assert!(out.status.success(), "{}", text(&out.stderr));
            home
        })
        .collect();
    let settings = write(
        &sandbox.path().join("probe.toml"),
        "format = \"{name} {engine}\"\n[engine]\nprobe = true\ninterval_s = 3600\ntimeout_s = 30\n",
    );
    let _daemon = Daemon::start(&sandbox);
    let shells = [FakeShell::new(), FakeShell::new()];
    let ask = |i: usize| {
        let home = homes[i].to_str().unwrap();
        let out = run(sandbox
            .dctx("dctx-prompt")
            .args(["--pid", &shells[i].pid(), "--shell", "plain"])
            .env("DCTX_CONFIG", &settings)
            .env_remove("DOCKER_CONFIG")
            .env("HOME", home)
            .env("DOCKER_CONTEXT", "work"));
        text(&out.stdout)
    };
    wait_for("each shell's own engine", EVENTUALLY, || {
        ask(0) == "work engine-a" && ask(1) == "work engine-b"
    });
}

#[test]
fn a_probe_runs_with_the_shells_path_agent_and_proxies() {
    if !require_tool("docker", "probe environment test") {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::new();
    let engine = FakeEngine::unix(&sandbox.path().join("prod.sock"), "prod-engine");
    sandbox.create_contexts(&[("prod", engine.endpoint())]);
    let settings = write(
        &sandbox.path().join("probe.toml"),
        "[engine]\nprobe = true\ninterval_s = 3600\ntimeout_s = 30\n",
    );
    // A docker only the shells' PATH has, noting what it was run with.
    let bin = sandbox.path().join("shell-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let seen = sandbox.path().join("seen");
    let script = format!(
        "#!/bin/sh\necho \"agent=$SSH_AUTH_SOCK proxy=$https_proxy no=$NO_PROXY\" >> '{}'\nexec '{}' \"$@\"\n",
        seen.display(),
        real_docker().display()
    );
    std::fs::set_permissions(
        write(&bin.join("docker"), &script),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let _daemon = Daemon::start(&sandbox);
    let shells = [FakeShell::new(), FakeShell::new()];
    for (shell, agent) in shells.iter().zip(["/agents/a", "/agents/b"]) {
        let out = run(sandbox
            .dctx("dctx-prompt")
            .args(["--pid", &shell.pid(), "--shell", "plain"])
            .env("DCTX_CONFIG", &settings)
            .env("PATH", &path)
            .env("SSH_AUTH_SOCK", agent)
            .env("https_proxy", "http://proxy.invalid:3128")
            .env("NO_PROXY", "localhost")
            .env("DOCKER_CONTEXT", "prod"));
        assert!(out.status.success());
    }
    // One probe per environment: the two shells' agents differ.
    let mut lines = Vec::new();
    wait_for("a probe from each shell's environment", EVENTUALLY, || {
        lines = std::fs::read_to_string(&seen)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect();
        lines.len() >= 2
    });
    lines.sort();
    assert_eq!(
        lines,
        [
            "agent=/agents/a proxy=http://proxy.invalid:3128 no=localhost",
            "agent=/agents/b proxy=http://proxy.invalid:3128 no=localhost",
        ]
    );
}

/// The inotify watches process `pid` holds, from /proc/PID/fdinfo.
fn inotify_watches(pid: u32) -> usize {
    let mut count = 0;
    for entry in std::fs::read_dir(format!("/proc/{pid}/fdinfo"))
        .unwrap()
        .flatten()
    {
        let info = std::fs::read_to_string(entry.path()).unwrap_or_default();
        count += info
            .lines()
            .filter(|l| l.starts_with("inotify wd:"))
            .count();
    }
    count
}

#[test]
fn watches_grow_with_the_contexts_in_use_not_with_the_store() {
    if !require_tool("docker", "inotify watch count test") {
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.create_contexts(&[("c0", "tcp://10.0.0.1:2375")]);
    // 5,000 more, as docker's store lays them out (checked with docker
    // below): creating each with the CLI would take minutes.
    let config = sandbox.home_docker();
    let meta = |name: &str| dctx_core::context_meta::meta_path(&config, name);
    let template = std::fs::read_to_string(meta("c0")).unwrap();
    for i in 1..=5000 {
        let path = meta(&format!("c{i}"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let text = template
            .replace("\"c0\"", &format!("\"c{i}\""))
            .replace("10.0.0.1", &format!("10.1.{}.{}", i / 256, i % 256));
        std::fs::write(&path, text).unwrap();
    }
    let host = run_ok(sandbox.docker().args([
        "context",
        "inspect",
        "c4999",
        "--format",
        "{{.Endpoints.docker.Host}}",
    ]));
    assert_eq!(host.trim(), "tcp://10.1.19.135:2375");
    let daemon = Daemon::start(&sandbox);
    let home = sandbox.home();
    let mut conn = Conn::open(&daemon.socket).unwrap();
    let in_use = ["c1", "c2", "c4999"];
    // Each answer is kept by shells (watched) once its context is watched.
    wait_for(
        "answers for the contexts in use to be watched",
        EVENTUALLY,
        || {
            in_use
                .iter()
                .all(|name| conn.query(&home, &[("DOCKER_CONTEXT", name)], None)["watched"] == true)
        },
    );
    let watches = inotify_watches(daemon.pid());
    eprintln!("inotify watches with 5,001 contexts, 3 in use: {watches}");
    assert!(
        watches < 40,
        "{watches} inotify watches for 3 contexts in use"
    );

    // Answers are as before: an edit of a context in use is seen, and
    // shells are told (the change mark is replaced).
    let mark = sandbox.path().join("runtime/dctx/changed");
    // The whole id, not the inode alone: nobody holds a link to the old
    // mark here (a shell would), so two bumps may reuse its inode number.
    let id = || dctx_core::fs::FileId::of(&mark);
    let before = id();
    assert!(before.is_some());
    run_ok(sandbox.docker().args([
        "context",
        "update",
        "c2",
        "--docker",
        "host=tcp://10.9.9.9:2375",
    ]));
    wait_for("the change mark to be replaced", EVENTUALLY, || {
        id() != before
    });
    let answer = conn.query(&home, &[("DOCKER_CONTEXT", "c2")], None);
    assert_eq!(answer["text"], "c2|tcp://10.9.9.9:2375", "{answer}");
}

/// Protocol 4 added the caller's probe environment: a client of protocol
/// 3 (which would send none) is answered only with the daemon's hello, and
/// refused anything else, so it stops this daemon and starts its own.
#[test]
fn a_client_of_the_previous_protocol_is_told_apart() {
    let sandbox = Sandbox::new();
    let daemon = Daemon::start(&sandbox);
    let mut conn = Conn::raw(&daemon.socket).unwrap();
    let old = dctx_ipc::protocol::PROTOCOL_VERSION - 1;
    let hello = conn
        .call(&serde_json::json!({"type": "hello", "protocol": old, "client": "old"}))
        .unwrap();
    assert_eq!(
        hello["protocol"],
        dctx_ipc::protocol::PROTOCOL_VERSION,
        "{hello}"
    );
    let status = conn.call(&serde_json::json!({"type": "status"})).unwrap();
    assert_eq!(status["type"], "error", "{status}");
}
