//! The administrator's settings file beneath the user's (`DCTX_SYSTEM_CONFIG`,
//! `/etc/dctx/config.toml` on a machine): its `[guard]` is a floor that no
//! user file loosens, against a fake engine behind the real docker CLI.

use std::time::Duration;

use dctx_tests::engine::FakeEngine;
use dctx_tests::{require_tool, run_bounded, run_ok, text, Sandbox};

/// What `dctx_core::guard::REFUSED_STATUS` documents.
const REFUSED: i32 = 77;

/// A sandbox with the context `customer-a` on a recording engine and a
/// user file that takes every protection out and makes `system prune` a
/// mere write.
struct World {
    sandbox: Sandbox,
    customer: FakeEngine,
}

impl World {
    fn new() -> World {
        let sandbox = Sandbox::new();
        let customer = FakeEngine::unix(&sandbox.path().join("customer.sock"), "customer-engine");
        sandbox.create_contexts(&[("customer-a", customer.endpoint())]);
        let user = sandbox.path().join("xdg-config/dctx");
        std::fs::create_dir_all(&user).unwrap();
        std::fs::write(
            user.join("config.toml"),
            "[guard]\nprotect = []\nnot_destructive = [\"system prune\"]\n",
        )
        .unwrap();
        World { sandbox, customer }
    }

    /// The system file the sandbox's commands read.
    fn system(&self, text: &str) {
        std::fs::write(self.sandbox.path().join("system-config.toml"), text).unwrap();
    }

    /// `dctx guard -- ARGS` on `customer-a`, with `vars`.
    fn guard(&self, args: &[&str], vars: &[(&str, &str)]) -> std::process::Output {
        let mut cmd = self.sandbox.dctx("dctx");
        cmd.args(["guard", "--"])
            .args(args)
            .env("DOCKER_CONTEXT", "customer-a")
            .envs(vars.iter().copied());
        run_bounded(&mut cmd, Duration::from_secs(60))
    }

    fn log(&self) -> String {
        run_ok(
            self.sandbox
                .dctx("dctx")
                .args(["guard", "log", "--json", "-n", "10"]),
        )
    }
}

#[test]
fn the_system_file_protects_what_the_user_file_takes_out() {
    if !require_tool("docker", "system settings floor test") {
        return;
    }
    let w = World::new();
    w.system("[guard]\nprotect = [\"customer-*\"]\n");
    let out = w.guard(&["system", "prune", "-af"], &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(REFUSED), "{stderr}");
    assert_eq!(w.customer.requests(), Vec::<String>::new());
    assert!(stderr.contains("\"customer-*\""), "{stderr}");
    assert!(stderr.contains("system-config.toml"), "{stderr}");

    // --explain --json says which file each rule came from.
    let json = run_ok(w.sandbox.dctx("dctx").args([
        "guard",
        "--explain",
        "--json",
        "--",
        "--context",
        "customer-a",
        "system",
        "prune",
    ]));
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let rules = doc["settings"]["rules"].as_array().expect("settings.rules");
    let file_of = |setting: &str, value: &str| {
        rules
            .iter()
            .find(|r| r["setting"] == setting && r["value"] == value)
            .and_then(|r| r["file"].as_str())
            .map(|f| f.rsplit('/').next().unwrap_or_default().to_string())
    };
    assert_eq!(
        file_of("protect", "customer-*").as_deref(),
        Some("system-config.toml"),
        "{json}"
    );
    assert_eq!(
        file_of("not_destructive", "system prune").as_deref(),
        Some("config.toml"),
        "{json}"
    );
    let status = run_ok(w.sandbox.dctx("dctx").arg("status"));
    assert!(
        status.contains("guard rule:  protect = customer-* (")
            && status.contains("system-config.toml)"),
        "{status}"
    );

    // Without the system file the user's settings decide: the prune runs.
    std::fs::remove_file(w.sandbox.path().join("system-config.toml")).unwrap();
    let out = w.guard(&["system", "prune", "-af"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(w.customer.wrote("/prune"), "{:?}", w.customer.requests());
}

#[test]
fn a_system_file_may_forbid_turning_the_guard_off() {
    if !require_tool("docker", "allow_off test") {
        return;
    }
    let w = World::new();
    w.system("[guard]\nprotect = [\"customer-*\"]\nallow_off = false\n");
    let out = w.guard(&["system", "prune", "-af"], &[("DCTX_GUARD", "off")]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(REFUSED), "{stderr}");
    assert!(
        stderr.contains("DCTX_GUARD=off is not allowed here"),
        "{stderr}"
    );
    assert!(stderr.contains("allow_off = false in "), "{stderr}");
    assert_eq!(w.customer.requests(), Vec::<String>::new());
    let log = w.log();
    assert!(log.contains("\"decision\":\"refused\""), "{log}");

    // Allowed there, DCTX_GUARD=off runs it (and says so).
    w.system("[guard]\nprotect = [\"customer-*\"]\n");
    let out = w.guard(&["system", "prune", "-af"], &[("DCTX_GUARD", "off")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(w.customer.wrote("/prune"));
}

#[test]
fn a_broken_system_file_fails_safe() {
    if !require_tool("docker", "broken system file test") {
        return;
    }
    let w = World::new();
    let local = FakeEngine::unix(&w.sandbox.path().join("local.sock"), "local");
    w.system("[guard]\nprotect = 3\n");
    let out = w.guard(&["system", "prune", "-af"], &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(REFUSED), "{stderr}");
    assert!(stderr.contains("system-config.toml"), "{stderr}");
    assert_eq!(w.customer.requests(), Vec::<String>::new());
    // The local default is still reachable, and so is the prompt's name.
    let out = w.guard(
        &["system", "prune", "-af"],
        &[("DOCKER_CONTEXT", ""), ("DOCKER_HOST", local.endpoint())],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(local.wrote("/prune"));
    let prompt = run_ok(
        w.sandbox
            .dctx("dctx-prompt")
            .env("DOCKER_CONTEXT", "customer-a"),
    );
    assert!(prompt.contains("customer-a"), "{prompt}");
}
