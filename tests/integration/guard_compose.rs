//! The guard and the standalone docker-compose (1.29, the real one) against
//! fake engines that record every request: through the shim's
//! `docker-compose` link and through `dctx guard --compose`; and
//! `dctx exec NAME -- docker …`, which names NAME.

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use dctx_tests::engine::FakeEngine;
use dctx_tests::{require_tool, run, run_bounded, run_ok, text, Sandbox};

/// What `dctx_core::guard::REFUSED_STATUS` documents.
const REFUSED: i32 = 77;

/// A sandbox with a compose project in its root (the tests' working dir),
/// a protected context `prod` on a Unix socket, an unnamed engine on
/// loopback TCP, and the current context `dev`, which nobody runs. The
/// shim is installed.
struct World {
    sandbox: Sandbox,
    prod: FakeEngine,
    tcp: FakeEngine,
}

/// The two ways a `docker-compose` line reaches the guard.
#[derive(Debug, Clone, Copy)]
enum Way {
    Shim,
    Flag,
}

impl World {
    fn new() -> World {
        let sandbox = Sandbox::new();
        let prod = FakeEngine::unix(&sandbox.path().join("prod.sock"), "prod-engine");
        let tcp = FakeEngine::tcp("tcp-engine");
        sandbox.create_contexts(&[
            ("prod", prod.endpoint()),
            ("dev", "unix:///nonexistent/dev.sock"),
        ]);
        run_ok(sandbox.docker().args(["context", "use", "dev"]));
        std::fs::write(
            sandbox.path().join("docker-compose.yml"),
            "services: {web: {image: alpine}}\n",
        )
        .unwrap();
        let out = run(sandbox
            .dctx("dctx")
            .args(["guard", "shim"])
            .arg(shim(&sandbox)));
        assert!(out.status.success(), "{}", text(&out.stderr));
        World { sandbox, prod, tcp }
    }

    fn path_with_shim(&self) -> String {
        format!(
            "{}:{}",
            shim(&self.sandbox).display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }

    /// `docker-compose ARGS` one way, with `vars` set.
    fn compose(&self, way: Way, args: &[&str], vars: &[(&str, &str)]) -> Output {
        let mut cmd = match way {
            Way::Shim => {
                let mut cmd = self.sandbox.command("docker-compose");
                cmd.env("PATH", self.path_with_shim());
                cmd
            }
            Way::Flag => {
                let mut cmd = self.sandbox.dctx("dctx");
                cmd.args(["guard", "--compose", "--"]);
                cmd
            }
        };
        cmd.args(args).envs(vars.iter().copied());
        run_bounded(&mut cmd, Duration::from_secs(120))
    }

    fn log(&self) -> Vec<serde_json::Value> {
        let out = run(self
            .sandbox
            .dctx("dctx")
            .args(["guard", "log", "--json", "-n", "100"]));
        text(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn exec(&self, command: &[&str], with_shim: bool) -> Output {
        let mut cmd = self.sandbox.dctx("dctx");
        cmd.args(["exec", "prod", "--"]).args(command);
        if with_shim {
            cmd.env("PATH", self.path_with_shim());
        }
        run_bounded(&mut cmd, Duration::from_secs(60))
    }
}

fn shim(sandbox: &Sandbox) -> PathBuf {
    sandbox.path().join("shim")
}

fn refused(out: &Output) -> bool {
    out.status.code() == Some(REFUSED)
}

#[test]
fn docker_compose_is_guarded_through_the_shim_and_the_flag() {
    if !require_tool("docker", "compose guard test")
        || !require_tool("docker-compose", "compose guard test")
    {
        return;
    }
    let w = World::new();
    let tcp_host = w.tcp.endpoint().to_string();
    let prod_socket = w.prod.endpoint().to_string();
    for way in [Way::Shim, Way::Flag] {
        // The incident with compose: DOCKER_HOST at an engine nobody named.
        let heard = w.tcp.requests().len();
        let out = w.compose(way, &["down"], &[("DOCKER_HOST", &tcp_host)]);
        assert!(refused(&out), "{way:?}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("docker-compose --context dev down"),
            "{way:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(w.tcp.requests().len(), heard, "{way:?}");

        // -H at prod's socket: refused, prod heard nothing.
        let out = w.compose(way, &["-H", &prod_socket, "down"], &[]);
        assert!(refused(&out), "{way:?}: {}", text(&out.stderr));
        assert_eq!(w.prod.requests(), Vec::<String>::new(), "{way:?}");

        // Not destructive: it runs, on the engine DOCKER_HOST names.
        let out = w.compose(way, &["ps"], &[("DOCKER_HOST", &tcp_host)]);
        assert!(!refused(&out), "{way:?}: {}", text(&out.stderr));
        assert!(
            w.tcp.requests().len() > heard,
            "{way:?}: {}",
            text(&out.stderr)
        );
    }

    // The current context prod: refused until the line names it. compose
    // ignores DOCKER_CONTEXT, so config.json's current context is the one.
    run_ok(w.sandbox.docker().args(["context", "use", "prod"]));
    for way in [Way::Shim, Way::Flag] {
        let out = w.compose(way, &["down"], &[]);
        assert!(refused(&out), "{way:?}: {}", text(&out.stderr));
        assert_eq!(w.prod.requests(), Vec::<String>::new(), "{way:?}");
    }
    for way in [Way::Shim, Way::Flag] {
        let before = w.prod.requests().len();
        let out = w.compose(way, &["--context", "prod", "down"], &[]);
        assert!(!refused(&out), "{way:?}: {}", text(&out.stderr));
        assert!(
            w.prod.requests().len() > before,
            "{way:?}: {}",
            text(&out.stderr)
        );
    }
    let log = w.log();
    let compose_records: Vec<_> = log
        .iter()
        .filter(|r| r["program"] == "docker-compose")
        .map(|r| format!("{} {}", r["decision"], r["context"]))
        .collect();
    assert_eq!(
        compose_records,
        [
            "\"refused\" \"default\"",
            "\"refused\" \"default\"",
            "\"refused\" \"default\"",
            "\"refused\" \"default\"",
            "\"refused\" \"prod\"",
            "\"refused\" \"prod\"",
            "\"allowed\" \"prod\"",
            "\"allowed\" \"prod\"",
        ],
        "{log:?}"
    );
}

#[test]
fn a_dot_env_that_sets_docker_host_is_read_as_compose_reads_it() {
    if !require_tool("docker", "compose .env test")
        || !require_tool("docker-compose", "compose .env test")
    {
        return;
    }
    let w = World::new();
    std::fs::write(
        w.sandbox.path().join(".env"),
        format!("# the project's engine\nDOCKER_HOST={}\n", w.tcp.endpoint()),
    )
    .unwrap();
    for way in [Way::Shim, Way::Flag] {
        let out = w.compose(way, &["down"], &[]);
        assert!(refused(&out), "{way:?}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains(".env, which docker-compose reads"),
            "{}",
            text(&out.stderr)
        );
        assert_eq!(w.tcp.requests(), Vec::<String>::new(), "{way:?}");
    }
    // compose does go there: the .env is what it reads.
    let out = w.compose(Way::Shim, &["ps"], &[]);
    assert!(!refused(&out), "{}", text(&out.stderr));
    assert!(!w.tcp.requests().is_empty(), "{}", text(&out.stderr));

    // A .env the guard cannot read with certainty: only the local default.
    std::fs::write(
        w.sandbox.path().join(".env"),
        format!("DOCKER_HOST=\"{}\"\n", w.tcp.endpoint()),
    )
    .unwrap();
    let before = w.tcp.requests().len();
    let out = w.compose(Way::Flag, &["down"], &[]);
    assert!(refused(&out), "{}", text(&out.stderr));
    assert_eq!(w.tcp.requests().len(), before);
}

#[test]
fn dctx_exec_names_the_context_for_docker_but_not_for_what_it_runs() {
    if !require_tool("docker", "dctx exec guard test") {
        return;
    }
    let w = World::new();
    for with_shim in [false, true] {
        let out = w.exec(&["docker", "system", "prune", "-f"], with_shim);
        assert_eq!(
            out.status.code(),
            Some(0),
            "shim {with_shim}: {}",
            text(&out.stderr)
        );
        assert!(w.prod.wrote("/containers/prune"), "{:?}", w.prod.requests());
    }
    let named: Vec<_> = w
        .log()
        .iter()
        .map(|r| format!("{} {} {}", r["decision"], r["context"], r["named"]))
        .collect();
    assert_eq!(
        named,
        [
            "\"allowed\" \"prod\" \"dctx exec\"",
            "\"allowed\" \"prod\" \"dctx exec\""
        ]
    );

    // A shell run by dctx exec: its docker names nothing.
    let writes = w.prod.writes().len();
    let out = w.exec(&["sh", "-c", "docker system prune -f"], true);
    assert!(refused(&out), "{}", text(&out.stderr));
    assert_eq!(w.prod.writes().len(), writes);
    // Its own --context still does.
    let out = w.exec(&["sh", "-c", "docker --context prod system prune -f"], true);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(w.prod.writes().len() > writes);
}

#[test]
fn no_docker_compose_but_the_shim_is_127_with_a_message() {
    let w = World::new();
    // Only the shim on PATH: it must not run itself.
    let out = run_bounded(
        w.sandbox
            .command(shim(&w.sandbox).join("docker-compose"))
            .arg("down")
            .env("PATH", shim(&w.sandbox)),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(127), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("no docker-compose on PATH"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_shells_docker_compose_function_goes_through_the_guard() {
    let w = World::new();
    let path = format!(
        "{}:{}",
        dctx_tests::bin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for shell in ["bash", "zsh", "fish"] {
        if !require_tool(shell, "compose shell function test") {
            continue;
        }
        let (load, status) = match shell {
            "fish" => (
                "dctx init fish --guard --no-completions | source".to_string(),
                "$status",
            ),
            _ => (
                format!("eval \"$(dctx init {shell} --guard --no-completions)\""),
                "$?",
            ),
        };
        let script = format!(
            "{load}; docker-compose -H {} down; echo \"rc={status}\"",
            w.prod.endpoint()
        );
        let out = run_bounded(
            w.sandbox
                .command(shell)
                .args(["-i", "-c", &script])
                .env("PATH", &path),
            Duration::from_secs(60),
        );
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains("rc=77"),
            "{shell}: {stdout}{}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains("refused: docker-compose -H"),
            "{shell}: {}",
            text(&out.stderr)
        );
    }
    assert_eq!(w.prod.requests(), Vec::<String>::new());
}
