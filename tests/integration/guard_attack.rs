//! The guard tried as an attacker would: generated command lines (empty
//! flag values, `-v`, the protected endpoint spelled other ways, TLS
//! flags, stop/restart/pause commands, DOCKER_HOST and DOCKER_CONTEXT
//! exported) run through plain docker and through `dctx guard` against
//! the same recording fake engines. Every line that plain docker sends to
//! a protected engine as a mutation must be refused by the guard unless it
//! names that engine's protected context with `--context`: every mutation
//! under `refuse = "writes"`, the destructive ones under the default. The
//! count of lines that get through is the test's verdict, and must be 0.
//!
//! What "names it" means is worked out here from how the line was built,
//! not asked of dctx.

use std::ffi::OsString;

use dctx_tests::engine::FakeEngine;
use dctx_tests::{require_tool, run_bounded, text, Sandbox};

/// `dctx_core::guard::REFUSED_STATUS`.
const REFUSED: i32 = 77;

/// One global flag as the generator may put it, and the context it names
/// (Some("") for an empty `--context`, which docker ignores).
struct Flag {
    words: Vec<String>,
    context: Option<String>,
    host: bool,
}

fn flag(words: &[&str], context: Option<&str>, host: bool) -> Flag {
    Flag {
        words: words.iter().map(|w| w.to_string()).collect(),
        context: context.map(str::to_string),
        host,
    }
}

#[test]
fn no_generated_line_reaches_a_protected_engine_unrefused() {
    if !require_tool("docker", "guard attack test") {
        return;
    }
    let sandbox = Sandbox::new();
    let dir = sandbox.path().to_path_buf();
    let prod = FakeEngine::unix(&dir.join("prod.sock"), "prod-engine");
    let prod_tcp = FakeEngine::tcp("prod-tcp-engine");
    let dev = FakeEngine::unix(&dir.join("dev.sock"), "dev-engine");
    // Engines that answer enough for every command to reach its
    // mutating request (services, nodes, swarm included).
    for engine in [&prod, &prod_tcp, &dev] {
        engine.answer_everything();
    }
    let port = prod_tcp.endpoint().rsplit(':').next().unwrap().to_string();
    std::os::unix::fs::symlink(dir.join("prod.sock"), dir.join("link.sock")).unwrap();
    std::fs::create_dir(dir.join("sub")).unwrap();
    let d = dir.display().to_string();
    sandbox.create_contexts(&[
        ("prod", prod.endpoint()),
        ("prod-tcp", prod_tcp.endpoint()),
        ("dev", dev.endpoint()),
        // Unprotected names for the protected engines, spelled otherwise.
        ("alias", &format!("unix://{d}//sub/../prod.sock")),
        ("local", &format!("tcp://LOCALHOST:{port}")),
    ]);
    dctx_tests::run_ok(sandbox.docker().args(["context", "use", "dev"]));
    let other_config = dir.join("other-config");
    sandbox.config_dir_with(&other_config, "other");

    let flags = [
        flag(&["--context", ""], Some(""), false),
        flag(&["--context="], Some(""), false),
        flag(&["-c", ""], Some(""), false),
        flag(&["--context", "dev"], Some("dev"), false),
        flag(&["--context=prod"], Some("prod"), false),
        flag(&["-cprod-tcp"], Some("prod-tcp"), false),
        flag(&["-c", "alias"], Some("alias"), false),
        flag(&["--context", "local"], Some("local"), false),
        flag(&["-H", ""], None, true),
        flag(&["-H", "unix://prod.sock"], None, true),
        flag(&["-Hunix://./link.sock"], None, true),
        flag(&["--host", &format!("unix://{d}/./prod.sock")], None, true),
        flag(&["-H", &format!("tcp://localhost:{port}")], None, true),
        flag(&["--host=dev.sock"], None, true),
        flag(&["--tls=false"], None, false),
        flag(&["-v"], None, false),
        flag(&["-Dv"], None, false),
        flag(&["--version=true"], None, false),
        flag(&["-l", "debug"], None, false),
        flag(&["--config", ""], None, false),
        flag(
            &["--config", &other_config.display().to_string()],
            None,
            false,
        ),
        flag(&["-D"], None, false),
    ];
    let hosts = [
        None,
        Some(format!("unix://{d}/prod.sock")),
        Some(format!("unix://{d}//sub/../prod.sock")),
        Some(format!("tcp://127.0.0.1:{port}")),
        Some(format!("tcp://localhost:{port}")),
        Some(dev.endpoint().to_string()),
    ];
    let contexts = [
        None,
        Some("prod"),
        Some("dev"),
        Some("alias"),
        Some("local"),
    ];
    let commands: &[&[&str]] = &[
        &["system", "prune", "-f"],
        &["container", "prune", "-f"],
        &["volume", "prune", "-f"],
        &["image", "prune", "-f"],
        &["network", "prune", "-f"],
        &["rm", "-f", "web"],
        &["container", "rm", "web"],
        &["rmi", "alpine"],
        &["kill", "web"],
        &["stop", "web"],
        &["restart", "web"],
        &["container", "restart", "web"],
        &["pause", "web"],
        &["network", "disconnect", "net", "web"],
        &["volume", "rm", "data"],
        &[
            "service",
            "update",
            "-d",
            "--hostname",
            "-h",
            "--replicas",
            "0",
            "web",
        ],
        &["service", "rollback", "-d", "web"],
        &["service", "scale", "-d", "web=0"],
        &["node", "update", "--availability", "drain", "n1"],
        &["node", "demote", "n1"],
        &["swarm", "leave", "--force"],
        &["builder", "prune", "-f"],
        &["container", "-D", "rm", "web"],
        &["plugin", "disable", "p"],
        &["checkpoint", "rm", "web", "c1"],
    ];
    // Commands that change the engine without removing or stopping
    // anything: refused only under `refuse = "writes"`.
    let writes: &[&[&str]] = &[
        &["run", "--rm", "alpine", "-h"],
        &["update", "--restart", "no", "web"],
        &["tag", "alpine", "x"],
        &["network", "connect", "net", "web"],
        &["exec", "web", "-h"],
    ];
    let strict = dir.join("strict.toml");
    std::fs::write(&strict, "[guard]\nrefuse = \"writes\"\n").unwrap();

    let seed: u64 = std::env::var("DCTX_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(18);
    let cases: usize = std::env::var("DCTX_TEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(150);
    let mut rng = fastrand::Rng::with_seed(seed);
    let protected_writes = || prod.writes().len() + prod_tcp.writes().len();
    let (mut reached_plain, mut refused, mut through) = (0, 0, Vec::new());
    for case in 0..cases {
        let mut words: Vec<String> = Vec::new();
        let (mut context, mut host) = (None, false);
        for _ in 0..rng.usize(0..3) {
            let f = &flags[rng.usize(..flags.len())];
            words.extend(f.words.iter().cloned());
            if f.context.is_some() {
                context = f.context.clone();
            }
            host |= f.host;
        }
        // Strict settings for a third of the lines: then every mutation
        // counts, not only the destructive ones.
        let strict_mode = rng.u8(0..3) == 0;
        let write = rng.u8(0..4) == 0;
        let command = if write {
            writes[rng.usize(..writes.len())]
        } else {
            commands[rng.usize(..commands.len())]
        };
        words.extend(command.iter().map(|w| w.to_string()));
        let mut env: Vec<(&str, String)> = Vec::new();
        if strict_mode {
            env.push(("DCTX_CONFIG", strict.display().to_string()));
        }
        if let Some(h) = &hosts[rng.usize(..hosts.len())] {
            env.push(("DOCKER_HOST", h.clone()));
        }
        if let Some(c) = contexts[rng.usize(..contexts.len())] {
            env.push(("DOCKER_CONTEXT", c.to_string()));
        }
        let args: Vec<OsString> = words.iter().map(OsString::from).collect();

        let before = protected_writes();
        // Bounded: a command the fake engine cannot satisfy must not hang
        // the suite (a line that reaches nothing proves nothing either way).
        let limit = std::time::Duration::from_secs(30);
        run_bounded(
            sandbox.docker().envs(env.iter().cloned()).args(&args),
            limit,
        );
        let plain = protected_writes() > before;
        reached_plain += usize::from(plain);

        let before = protected_writes();
        let guarded = run_bounded(
            sandbox
                .dctx("dctx")
                .envs(env.iter().cloned())
                .args(["guard", "--"])
                .args(&args),
            limit,
        );
        let reached = protected_writes() > before;
        refused += usize::from(guarded.status.code() == Some(REFUSED));
        // The one way through: the line's own --context names a protected
        // context (the last non-empty one wins; -H with it is a conflict).
        let named = !host && matches!(context.as_deref(), Some("prod" | "prod-tcp"));
        let guarded_class = strict_mode || !write;
        if reached && !named && guarded_class {
            through.push(format!(
                "case {case} (seed {seed}, strict {strict_mode}): docker {} with {env:?}\n  guard said: {}",
                words.join(" "),
                text(&guarded.stderr).trim()
            ));
        }
    }
    eprintln!(
        "guard attack: {cases} lines, {reached_plain} reached a protected engine through plain docker, {refused} refused by the guard, {} got through",
        through.len()
    );
    assert!(
        reached_plain > cases / 10,
        "too few lines reached a protected engine through plain docker ({reached_plain} of {cases}): the test does not test"
    );
    assert!(
        through.is_empty(),
        "{} lines reached a protected engine through the guard unrefused:\n{}",
        through.len(),
        through.join("\n")
    );
}
