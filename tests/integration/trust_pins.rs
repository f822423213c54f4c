//! Pins fail loudly and safely: a pin nobody could check is not a match,
//! a `pins.json` dctx cannot read (another version, truncated, wrong
//! types, a FIFO, huge, in a dir others can enter or another user owns)
//! is said in `dctx status`, marked in prompts and makes the guard refuse
//! destructive commands to protected targets, a hand edit reaches prompts
//! through the daemon's change mark, and concurrent `dctx pin`s all land.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Duration;

use dctx_tests::engine::FakeEngine;
use dctx_tests::{require_tool, run, text, wait_for, Daemon, FakeShell, Sandbox};

/// Generous: a probe is a docker process on a loaded 2-core machine.
const EVENTUALLY: Duration = Duration::from_secs(60);

struct World {
    sandbox: Sandbox,
    engine: FakeEngine,
    settings: PathBuf,
    shell: FakeShell,
}

const PROD: [(&str, &str); 1] = [("DOCKER_CONTEXT", "prod")];

impl World {
    /// Context `prod` (protected by the built-in patterns) on a fake
    /// engine, dctx's state dir in place, and `settings` as config.toml.
    fn new(settings: &str) -> Option<World> {
        if !require_tool("docker", "pins test") {
            return None;
        }
        let sandbox = Sandbox::new();
        let engine = FakeEngine::unix(&sandbox.path().join("prod.sock"), "prod-engine");
        sandbox.create_contexts(&[("prod", engine.endpoint())]);
        let path = sandbox.path().join("settings.toml");
        std::fs::write(&path, settings).unwrap();
        let world = World {
            sandbox,
            engine,
            settings: path,
            shell: FakeShell::new(),
        };
        std::fs::create_dir_all(world.state_dir()).unwrap();
        std::fs::set_permissions(world.state_dir(), PermissionsExt::from_mode(0o700)).unwrap();
        Some(world)
    }

    fn state_dir(&self) -> PathBuf {
        self.sandbox.path().join("xdg-state/dctx")
    }

    fn pins(&self) -> PathBuf {
        self.state_dir().join("pins.json")
    }

    fn dctx(&self, args: &[&str]) -> std::process::Output {
        run(self
            .sandbox
            .dctx("dctx")
            .args(args)
            .env("DCTX_CONFIG", &self.settings)
            .envs(PROD))
    }

    /// What this shell's prompt shows, as the daemon answers it.
    fn prompt(&self) -> String {
        let out = run(self
            .sandbox
            .dctx("dctx-prompt")
            .args(["--pid", &self.shell.pid(), "--shell", "plain"])
            .env("DCTX_CONFIG", &self.settings)
            .envs(PROD));
        text(&out.stdout)
    }

    fn until_prompt(&self, what: &str, expected: &str) {
        wait_for(what, EVENTUALLY, || self.prompt() == expected);
    }

    fn status(&self) -> String {
        text(&self.dctx(&["status"]).stdout)
    }

    /// The guard's decision on a named destructive command to `prod`.
    fn guard(&self) -> serde_json::Value {
        let out = self.dctx(&[
            "guard",
            "--explain",
            "--json",
            "--",
            "--context",
            "prod",
            "container",
            "prune",
            "-f",
        ]);
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)))
    }
}

fn assert_refused(d: &serde_json::Value, because: &str) {
    assert_eq!(d["decision"], "refuse", "{d:#}");
    let reasons = d["reasons"].to_string();
    assert!(reasons.contains(because), "{because:?} in {d:#}");
    assert!(
        d["instead"].to_string().contains("\"pin\",\"prod\""),
        "{d:#}"
    );
}

fn mkfifo(path: &Path) {
    dctx_tests::mkfifo(path);
}

/// Each hostile pins.json, written by hand while the daemon runs (probes
/// off, so only its watch of pins.json can tell it): the prompt gets the
/// unverified marker, `dctx status` says why, the guard refuses; put
/// right, all three are as before.
#[test]
fn unreadable_pins_are_unverified_everywhere() {
    let Some(w) = World::new("format = \"{name}\"\n") else {
        return;
    };
    let _daemon = Daemon::start(&w.sandbox);
    w.until_prompt("the plain prompt", "prod");
    let guard = w.guard();
    assert_eq!(
        (&guard["decision"], &guard["protected"]),
        (&"allow".into(), &true.into()),
        "named, readable pins, never pinned: as decided before {guard:#}"
    );
    let mark = w.sandbox.path().join("runtime/dctx/changed");
    let mark_before = dctx_core::fs::FileId::of(&mark).expect("the daemon's change mark");

    let huge = {
        let mut v = br#"{"v":1,"pins":[]}"#.to_vec();
        v.resize(5 * 1024 * 1024, b' ');
        v
    };
    let write = |bytes: &[u8]| std::fs::write(w.pins(), bytes).unwrap();
    let mode = |m: u32| {
        std::fs::set_permissions(w.state_dir(), PermissionsExt::from_mode(m)).unwrap();
    };
    let owner = |uid: u32| {
        std::os::unix::fs::chown(w.state_dir(), Some(uid), None).unwrap();
    };
    let root = dctx_ipc::paths::euid() == 0;
    /// What is done to pins.json or its dir, and what is said about it.
    type Variant<'a> = (&'a str, Box<dyn Fn() + 'a>, &'a str);
    let variants: Vec<Variant> = vec![
        (
            "another version",
            Box::new(|| write(br#"{"v":2,"pins":[]}"#)),
            "written by another dctx version (format 2",
        ),
        (
            "truncated",
            Box::new(|| write(br#"{"v":1,"pins":[{"config_dir":"/x","cont"#)),
            "EOF while parsing",
        ),
        (
            "wrong types",
            Box::new(|| write(br#"{"v":1,"pins":{"prod":"ID-prod-engine"}}"#)),
            "invalid type",
        ),
        (
            "a FIFO",
            Box::new(|| mkfifo(&w.pins())),
            "not a regular file",
        ),
        ("huge", Box::new(|| write(&huge)), "larger than 4 MiB"),
        (
            "a state dir others can enter",
            Box::new(|| {
                write(br#"{"v":1,"pins":[]}"#);
                mode(0o755);
            }),
            "other users can enter it",
        ),
    ];
    let mut variants = variants;
    if root {
        variants.push((
            "a state dir of another user",
            Box::new(|| owner(65534)),
            "not a directory owned by uid 0",
        ));
    }
    for (what, make, because) in &variants {
        make();
        w.until_prompt(&format!("{what}: the unverified marker"), "prod⚠");
        let status = w.status();
        assert!(
            status.contains("pins:        UNREADABLE: "),
            "{what}: {status}"
        );
        assert!(status.contains(because), "{what}: {because:?} in {status}");
        assert_refused(&w.guard(), because);
        // Put right: removed, the dir private and this user's again.
        if root {
            owner(0);
        }
        mode(0o700);
        let _ = std::fs::remove_file(w.pins());
        w.until_prompt(&format!("{what}: put right"), "prod");
        assert_eq!(w.guard()["decision"], "allow", "{what}");
    }
    assert_ne!(
        dctx_core::fs::FileId::of(&mark),
        Some(mark_before),
        "hand edits replaced the change mark"
    );
}

/// Without a daemon, `dctx status` and the guard read pins.json
/// themselves, and say the same.
#[test]
fn unreadable_pins_without_a_daemon() {
    let Some(w) = World::new("format = \"{name}\"\n") else {
        return;
    };
    std::fs::write(w.pins(), b"{\"v\":1,").unwrap();
    let status = w.status();
    assert!(
        status.contains("pins:        UNREADABLE: could not read"),
        "{status}"
    );
    assert_refused(&w.guard(), "the pins cannot be read");
    // An unprotected target is not held to pins it cannot be pinned in.
    let out = run(w
        .sandbox
        .dctx("dctx")
        .args([
            "guard",
            "--explain",
            "--json",
            "--",
            "container",
            "prune",
            "-f",
        ])
        .env("DCTX_CONFIG", &w.settings));
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (&d["protected"], &d["decision"]),
        (&false.into(), &"allow".into()),
        "{d:#}"
    );
}

/// A pin is a match only while a probe answers with its ID: an engine
/// whose `/info` fails (HTTP 500) or that nobody has probed yet is "not
/// checked", marked, and refused by the guard.
#[test]
fn a_pin_is_verified_only_by_an_answer() {
    let Some(w) = World::new(
        "format = \"{name}\"\n[engine]\nprobe = true\ninterval_s = 0.2\ntimeout_s = 10\n",
    ) else {
        return;
    };
    let daemon = Daemon::start(&w.sandbox);
    w.until_prompt("the plain prompt", "prod");
    let pin = w.dctx(&["pin", "prod"]);
    assert!(pin.status.success(), "{}", text(&pin.stderr));
    wait_for("the pin to match", EVENTUALLY, || {
        w.status().contains("; it matches")
    });
    assert_eq!(w.guard()["decision"], "allow");

    // Up, but it cannot say who it is: the CLI prints the error and exits 1.
    w.engine.set_info_failing(true);
    w.until_prompt("the silent engine's marker", "prod✗");
    let status = w.status();
    assert!(
        status.contains("not checked: the last probe failed") && status.contains("info failed"),
        "{status}"
    );
    assert!(!status.contains("it matches"), "{status}");
    assert_refused(
        &w.guard(),
        "is not verified: not checked: the last probe failed",
    );

    w.engine.set_info_failing(false);
    w.until_prompt("answering again", "prod");
    assert_eq!(w.guard()["decision"], "allow");

    // No daemon: no probe has answered, so nothing vouches for it.
    drop(daemon);
    let status = w.status();
    assert!(
        status.contains("not checked yet: no probe has answered"),
        "{status}"
    );
    assert_refused(&w.guard(), "not checked yet");
    assert_eq!(w.engine.writes(), Vec::<String>::new());
}

/// `dctx pin` of several contexts at once: every pin lands (each reads,
/// changes and writes pins.json under its lock).
#[test]
fn concurrent_pins_all_land() {
    if !require_tool("docker", "concurrent pins test") {
        return;
    }
    let sandbox = Sandbox::new();
    let names: Vec<String> = (0..6).map(|i| format!("ctx{i}")).collect();
    let engines: Vec<FakeEngine> = names
        .iter()
        .map(|n| FakeEngine::unix(&sandbox.path().join(format!("{n}.sock")), n))
        .collect();
    let contexts: Vec<(&str, &str)> = names
        .iter()
        .zip(&engines)
        .map(|(n, e)| (n.as_str(), e.endpoint()))
        .collect();
    sandbox.create_contexts(&contexts);
    let children: Vec<Child> = names
        .iter()
        .map(|n| {
            sandbox
                .dctx("dctx")
                .args(["pin", n])
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let pins = std::fs::read(sandbox.path().join("xdg-state/dctx/pins.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&pins).unwrap();
    let mut pinned: Vec<&str> = doc["pins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["context"].as_str().unwrap())
        .collect();
    pinned.sort();
    assert_eq!(pinned, names);
}

/// In a real bash whose hook kept its segment: a hand edit of pins.json
/// replaces the daemon's change mark, so the next prompt asks again and
/// shows the unverified marker; put right, it goes.
#[test]
fn a_hand_edit_of_pins_reaches_a_kept_prompt() {
    let Some(w) = World::new("") else {
        return;
    };
    let settings = w.sandbox.path().join("xdg-config/dctx/config.toml");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    std::fs::write(&settings, "format = \"{name}\"\n").unwrap();
    let _daemon = Daemon::start(&w.sandbox);
    let Some(h) = dctx_tests::Hooked::start(&w.sandbox, "bash", "export DOCKER_CONTEXT=prod")
    else {
        return;
    };
    h.tmux.expect_prompt("<prod|0>");
    std::fs::write(w.pins(), b"{\"v\":1,\"pins\":[").unwrap();
    wait_for("the unverified marker", EVENTUALLY, || {
        h.tmux.type_line("");
        h.tmux.last_line().trim_end() == "<prod⚠|0>"
    });
    std::fs::remove_file(w.pins()).unwrap();
    wait_for("the marker to go", EVENTUALLY, || {
        h.tmux.type_line("");
        h.tmux.last_line().trim_end() == "<prod|0>"
    });
}
