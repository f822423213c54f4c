//! `dctx guard` end to end: the real docker CLI behind the guard, talking
//! to fake engines that record every request, in real shells (through
//! tmux), from scripts through the shim, and with its settings broken.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use dctx_tests::engine::{FakeEngine, FAKE_VERSION};
use dctx_tests::{require_tool, run, run_bounded, text, Hooked, Sandbox};

/// What `dctx_core::guard::REFUSED_STATUS` documents.
const REFUSED: i32 = 77;

/// A sandbox with two engines: `prod` (a context, protected by its name,
/// on a Unix socket) and an unnamed one on loopback TCP that tests put
/// behind DOCKER_HOST, as the incident's `/etc/profile.d` did. The current
/// context is `dev`, an engine nobody runs.
struct World {
    sandbox: Sandbox,
    prod: FakeEngine,
    behind_host: FakeEngine,
}

impl World {
    fn new() -> World {
        let sandbox = Sandbox::new();
        let prod = FakeEngine::unix(&sandbox.path().join("prod.sock"), "prod-engine");
        let behind_host = FakeEngine::tcp("shared-engine");
        sandbox.create_contexts(&[
            ("prod", prod.endpoint()),
            ("dev", "unix:///nonexistent/dev.sock"),
        ]);
        dctx_tests::run_ok(sandbox.docker().args(["context", "use", "dev"]));
        World {
            sandbox,
            prod,
            behind_host,
        }
    }

    fn log(&self) -> String {
        let out = run(self
            .sandbox
            .dctx("dctx")
            .args(["guard", "log", "--json", "-n", "100"]));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn shim_dir(&self) -> PathBuf {
        self.sandbox.path().join("shim")
    }

    /// `sh -c SCRIPT` with the shim first on PATH and no terminal.
    fn script(&self, script: &str) -> std::process::Output {
        let path = format!(
            "{}:{}",
            self.shim_dir().display(),
            dctx_tests::system_path().to_string_lossy()
        );
        run_bounded(
            self.sandbox
                .command("sh")
                .args(["-c", script])
                .env("PATH", path)
                .env("DOCKER_HOST", self.behind_host.endpoint()),
            Duration::from_secs(60),
        )
    }
}

#[test]
fn the_shim_guards_scripts_and_runs_the_real_docker() {
    if !require_tool("docker", "guard shim test") {
        return;
    }
    let w = World::new();
    let out = run(w
        .sandbox
        .dctx("dctx")
        .args(["guard", "shim"])
        .arg(w.shim_dir()));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("export PATH="),
        "{}",
        text(&out.stdout)
    );

    // The incident, from a script: refused, and the engine heard nothing.
    let out = w.script("docker system prune -af");
    assert_eq!(out.status.code(), Some(REFUSED), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "DOCKER_HOST={} is set in this shell; it overrides the current context \"dev\"",
            w.behind_host.endpoint()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("docker --context dev system prune -af"),
        "{stderr}"
    );
    assert_eq!(w.behind_host.requests(), Vec::<String>::new());

    // Not destructive: reaches the engine, output and status unchanged.
    let out = w.script("docker version --format '{{.Server.Version}}'");
    assert_eq!(
        (out.status.code(), text(&out.stdout).trim()),
        (Some(0), FAKE_VERSION)
    );
    assert!(w
        .behind_host
        .requests()
        .iter()
        .any(|r| r.ends_with("/version")));
    let guarded = w.script("docker inspect nosuch");
    let bare = w.script("command -p docker inspect nosuch 2>&1; exit $?");
    let direct = run(w
        .sandbox
        .docker()
        .env("DOCKER_HOST", w.behind_host.endpoint())
        .args(["inspect", "nosuch"]));
    assert_eq!(
        guarded.status.code(),
        direct.status.code(),
        "{}",
        text(&guarded.stderr)
    );
    assert_ne!(guarded.status.code(), Some(0));
    drop(bare);
    assert_eq!(text(&guarded.stderr), text(&direct.stderr));

    // Named: it runs, on the engine named.
    let out = w.script("docker --context prod system prune -af");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(w.prod.wrote("/containers/prune"), "{:?}", w.prod.requests());
    assert_eq!(w.behind_host.writes(), Vec::<String>::new());

    // Turned off for one command: runs, says so, and is logged.
    let out = w.script("DCTX_GUARD=off docker system prune -af");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("DCTX_GUARD=off"),
        "{}",
        text(&out.stderr)
    );
    assert!(w.behind_host.wrote("/containers/prune"));

    let log = w.log();
    let decisions: Vec<String> = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|v| format!("{} {} {}", v["decision"], v["context"], v["endpoint"]))
        .collect();
    assert_eq!(
        decisions,
        [
            format!("\"refused\" \"default\" \"{}\"", w.behind_host.endpoint()),
            format!("\"allowed\" \"prod\" \"{}\"", w.prod.endpoint()),
            format!("\"bypassed\" \"default\" \"{}\"", w.behind_host.endpoint()),
        ],
        "{log}"
    );
}

#[test]
fn the_shim_never_runs_itself() {
    let w = World::new();
    for dir in ["a", "b"] {
        let out = run(w
            .sandbox
            .dctx("dctx")
            .args(["guard", "shim"])
            .arg(w.sandbox.path().join(dir)));
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    // Two shims and no docker at all on PATH: no loop, a clear error.
    let path = format!(
        "{}:{}",
        w.sandbox.path().join("a").display(),
        w.sandbox.path().join("b").display()
    );
    let out = run_bounded(
        w.sandbox
            .command(w.sandbox.path().join("a/docker"))
            .arg("ps")
            .env("PATH", path),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(127));
    assert!(
        text(&out.stderr).contains("no docker on PATH"),
        "{}",
        text(&out.stderr)
    );
    // A dir others may write to, or another user's, could have the shim
    // replaced: refused.
    use std::os::unix::fs::PermissionsExt;
    let loose = w.sandbox.path().join("loose");
    std::fs::create_dir(&loose).unwrap();
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = run(w.sandbox.dctx("dctx").args(["guard", "shim"]).arg(&loose));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("other users can write"),
        "{}",
        text(&out.stderr)
    );
    if dctx_ipc::paths::euid() == 0 {
        let theirs = w.sandbox.path().join("theirs");
        std::fs::create_dir(&theirs).unwrap();
        std::os::unix::fs::chown(&theirs, Some(65534), None).unwrap();
        let out = run(w.sandbox.dctx("dctx").args(["guard", "shim"]).arg(&theirs));
        assert!(
            text(&out.stderr).contains("belongs to uid 65534"),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn when_the_guard_cannot_decide_only_the_local_default_is_hit() {
    if !require_tool("docker", "guard fail-safe test") {
        return;
    }
    let w = World::new();
    let local = FakeEngine::unix(&w.sandbox.path().join("local.sock"), "local");
    let settings = w.sandbox.path().join("broken.toml");
    std::fs::write(&settings, "[guard]\nprotect = 3\n").unwrap();
    let guard = |args: &[&str], host: &str| {
        let mut cmd = w.sandbox.dctx("dctx");
        cmd.args(["guard", "--"])
            .args(args)
            .env("DCTX_CONFIG", &settings)
            .env("DOCKER_CONTEXT", "dev");
        if !host.is_empty() {
            cmd.env("DOCKER_HOST", host);
        }
        run_bounded(&mut cmd, Duration::from_secs(60))
    };
    // `dev` is not protected by any pattern, but the settings that say so
    // cannot be read.
    let out = guard(&["system", "prune", "-af"], "");
    assert_eq!(out.status.code(), Some(REFUSED), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("cannot read its settings"),
        "{}",
        text(&out.stderr)
    );
    // The local default still works, and so does anything not destructive.
    let out = guard(&["system", "prune", "-af"], local.endpoint());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(local.wrote("/prune"));
    let out = guard(
        &["version", "--format", "{{.Server.Version}}"],
        w.behind_host.endpoint(),
    );
    assert_eq!(
        text(&out.stdout).trim(),
        FAKE_VERSION,
        "{}",
        text(&out.stderr)
    );

    // A log that cannot be written does not stop docker.
    let state = w.sandbox.path().join("xdg-state");
    let _ = std::fs::remove_dir_all(state.join("dctx"));
    std::fs::write(state.join("dctx"), "a file where the dir should be").unwrap();
    let out = run_bounded(
        w.sandbox.dctx("dctx").args([
            "guard",
            "--",
            "--context",
            "prod",
            "container",
            "prune",
            "-f",
        ]),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("could not write the audit log"),
        "{}",
        text(&out.stderr)
    );
    assert!(w.prod.wrote("/containers/prune"));
}

/// The same checks in an interactive shell with `dctx init SHELL --guard`.
fn in_a_shell(shell: &'static str) {
    let w = World::new();
    let Some(h) = Hooked::start(&w.sandbox, shell, "") else {
        return;
    };
    let (init, export, status) = match shell {
        "fish" => (
            "dctx init fish --guard | source",
            format!("set -gx DOCKER_HOST {}", w.behind_host.endpoint()),
            "$status",
        ),
        _ => (
            if shell == "bash" {
                "eval \"$(dctx init bash --guard)\""
            } else {
                "eval \"$(dctx init zsh --guard)\""
            },
            format!("export DOCKER_HOST={}", w.behind_host.endpoint()),
            "$?",
        ),
    };
    h.tmux.type_line(init);
    h.tmux.type_line(&export);
    let mut n = 0;
    let mut status_of = |line: &str| -> (i32, String) {
        n += 1;
        let marker = format!("rc{n}rc");
        h.tmux.type_line(&format!("{line}; echo {marker}={status}"));
        let mut found = None;
        dctx_tests::wait_for(line, Duration::from_secs(30), || {
            let screen = h.tmux.screen();
            found = screen.lines().find_map(|l| {
                let rest = l.strip_prefix(&format!("{marker}="))?;
                rest.trim().parse::<i32>().ok()
            });
            found.is_some()
        });
        (found.unwrap(), h.tmux.screen())
    };

    let (code, screen) = status_of("docker system prune -af");
    assert_eq!(code, REFUSED, "{shell}: {screen}");
    assert!(screen.contains("dctx guard: refused"), "{shell}: {screen}");
    assert_eq!(w.behind_host.requests(), Vec::<String>::new(), "{shell}");

    let (code, screen) = status_of("docker --context prod system prune -af");
    assert_eq!(code, 0, "{shell}: {screen}");
    assert!(w.prod.wrote("/containers/prune"), "{shell}");

    let (code, screen) = status_of("docker version --format '{{.Server.Version}}'");
    assert_eq!(code, 0, "{shell}: {screen}");
    assert!(
        screen.contains(&format!("\n{FAKE_VERSION}")),
        "{shell}: {screen}"
    );

    let direct = run(w
        .sandbox
        .docker()
        .env("DOCKER_HOST", w.behind_host.endpoint())
        .args(["inspect", "nosuch"]));
    let (code, screen) = status_of("docker inspect nosuch");
    assert_eq!(Some(code), direct.status.code(), "{shell}: {screen}");

    let (code, screen) = status_of("DCTX_GUARD=off docker system prune -af");
    assert_eq!(code, 0, "{shell}: {screen}");
    assert!(w.behind_host.wrote("/containers/prune"), "{shell}");
    let log = w.log();
    assert!(
        log.contains("\"bypassed\"") && log.contains("\"refused\""),
        "{shell}: {log}"
    );
}

#[test]
fn bash_guards_docker() {
    in_a_shell("bash");
}

#[test]
fn zsh_guards_docker() {
    in_a_shell("zsh");
}

#[test]
fn fish_guards_docker() {
    in_a_shell("fish");
}

#[test]
fn confirm_mode_asks_for_the_name_on_a_terminal_only() {
    let w = World::new();
    let Some(h) = Hooked::start(&w.sandbox, "bash", "") else {
        return;
    };
    let settings = w.sandbox.path().join("xdg-config/dctx/config.toml");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    std::fs::write(&settings, "[guard]\nmode = \"confirm\"\n").unwrap();
    h.tmux.type_line("eval \"$(dctx init bash --guard)\"");
    h.tmux
        .type_line("DOCKER_CONTEXT=prod docker system prune -af; echo rc=$?");
    dctx_tests::wait_for("the question", Duration::from_secs(30), || {
        h.tmux.screen().contains("type the context's name")
    });
    assert_eq!(w.prod.requests(), Vec::<String>::new());
    h.tmux.type_line("prod");
    dctx_tests::wait_for("the prune", Duration::from_secs(30), || {
        h.tmux.screen().contains("rc=0")
    });
    assert!(w.prod.wrote("/containers/prune"));
    assert!(w.log().contains("\"confirmed\""));
    // Without a terminal, confirm mode refuses.
    let out = run(w
        .sandbox
        .dctx("dctx")
        .args(["guard", "--", "system", "prune", "-af"])
        .env("DOCKER_CONTEXT", "prod"));
    assert_eq!(out.status.code(), Some(REFUSED), "{}", text(&out.stderr));
}

#[test]
fn explain_json_holds_the_documented_keys() {
    let w = World::new();
    let out = run(w.sandbox.dctx("dctx").args([
        "guard",
        "--explain",
        "--json",
        "--",
        "-H",
        w.behind_host.endpoint(),
        "rmi",
        "x",
    ]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["context"], "default");
    assert_eq!(v["host"], w.behind_host.endpoint());
    assert_eq!(v["source"], "--host");
    assert_eq!(v["command"], "image rm");
    assert_eq!(v["class"], "destructive");
    assert_eq!(
        (v["destructive"].as_bool(), v["protected"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(v["decision"], "refuse");
    assert!(v["reasons"].as_array().is_some_and(|r| !r.is_empty()));
    // --explain runs nothing.
    assert_eq!(w.behind_host.requests(), Vec::<String>::new());
    let _ = Command::new("true");
}

#[test]
fn an_alias_that_would_bypass_the_guard_is_named() {
    for shell in ["bash", "zsh"] {
        let sandbox = Sandbox::new();
        let Some(h) = Hooked::start(&sandbox, shell, "alias docker=true") else {
            return;
        };
        let init = format!("eval \"$(dctx init {shell} --guard)\"");
        h.tmux.type_line(&init);
        dctx_tests::wait_for("the warning", Duration::from_secs(30), || {
            h.tmux
                .screen()
                .contains("dctx: 'docker' is an alias in this shell, which bypasses the guard")
        });
    }
}

/// A write (not destructive, so allowed by default) is in the log too,
/// with its class: the log says which engine each change went to.
#[test]
fn writes_are_logged_with_their_class() {
    if !require_tool("docker", "guard write log test") {
        return;
    }
    let w = World::new();
    let out = run(w.sandbox.dctx("dctx").args([
        "guard",
        "--",
        "--context",
        "prod",
        "tag",
        "alpine",
        "x",
    ]));
    assert_ne!(out.status.code(), Some(REFUSED), "{}", text(&out.stderr));
    assert!(w.prod.wrote("/tag"), "{:?}", w.prod.requests());
    let explain = run(w.sandbox.dctx("dctx").args([
        "guard",
        "--explain",
        "--json",
        "--",
        "--context",
        "prod",
        "tag",
        "alpine",
        "x",
    ]));
    let v: serde_json::Value = serde_json::from_slice(&explain.stdout).unwrap();
    assert_eq!(
        (v["class"].as_str(), v["destructive"].as_bool()),
        (Some("write"), Some(false))
    );
    let log = w.log();
    let record: serde_json::Value =
        serde_json::from_str(log.lines().last().unwrap_or_else(|| panic!("empty log"))).unwrap();
    assert_eq!(
        (
            record["decision"].as_str(),
            record["command"].as_str(),
            record["context"].as_str()
        ),
        (Some("allowed"), Some("image tag"), Some("prod")),
        "{log}"
    );
}
