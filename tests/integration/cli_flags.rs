//! The Docker CLI's global flags as dctx parses them (the ground for the
//! guard), against the real CLI over generated command lines: the context
//! `docker <flags> context show` names and the endpoint
//! `docker <flags> context inspect` prints.

use std::ffi::OsString;

use dctx_core::docker_args::{parse, resolve_with, LineError};
use dctx_core::{Env, RealFs};
use dctx_tests::{require_tool, run, Sandbox};

#[test]
fn global_flags_reach_what_the_docker_cli_reaches() {
    if !require_tool("docker", "global flags differential test") {
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.create_contexts(&[
        ("prod", "ssh://deploy@prod-01"),
        ("staging", "tcp://10.0.0.2:2376"),
    ]);
    dctx_tests::run_ok(sandbox.docker().args(["context", "use", "prod"]));
    let other = sandbox.path().join("other-config");
    sandbox.config_dir_with(&other, "other");
    let other = other.display().to_string();

    let names = ["staging", "prod", "nope", "default", "other"];
    let seed = std::env::var("DCTX_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let mut rng = fastrand::Rng::with_seed(seed);
    let cases = std::env::var("DCTX_TEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    for case in 0..cases {
        let name = names[rng.usize(..names.len())];
        let mut words: Vec<String> = Vec::new();
        for _ in 0..rng.usize(0..4) {
            let spelling: Vec<String> = match rng.u8(0..14) {
                12 => vec!["--tls".into()],
                13 => vec!["--tlsverify=true".into()],
                0 => vec!["--context".into(), name.into()],
                1 => vec![format!("--context={name}")],
                2 => vec!["-c".into(), name.into()],
                3 => vec![format!("-c{name}")],
                4 => vec!["-Dc".into(), name.into()],
                5 => vec!["-H".into(), "tcp://1.2.3.4".into()],
                6 => vec!["--host=tcp://5.6.7.8:99".into()],
                7 => vec!["-Hunix:///x.sock".into()],
                8 => vec!["-D".into(), "-l".into(), "debug".into()],
                9 => vec!["--log-level=warn".into(), "--debug=false".into()],
                10 => vec!["--config".into(), other.clone()],
                _ => vec![format!("--config={other}")],
            };
            words.extend(spelling);
        }
        let mut env: Vec<(&str, &str)> = Vec::new();
        if rng.bool() {
            env.push(("DOCKER_HOST", "tcp://10.9.9.9"));
        }
        if rng.bool() {
            env.push(("DOCKER_CONTEXT", names[rng.usize(..names.len())]));
        }
        let docker = |tail: &[&str]| {
            run(sandbox
                .docker()
                .envs(env.iter().copied())
                .args(&words)
                .args(tail))
        };
        let show = docker(&["context", "show"]);
        let inspect = docker(&[
            "context",
            "inspect",
            "--format",
            "{{.Endpoints.docker.Host}}",
        ]);

        let args: Vec<OsString> = words.iter().map(OsString::from).collect();
        let parsed = parse(&args);
        let home = sandbox.home();
        let process_env = Env::new(env.iter().copied(), Some(home));
        let (r, chosen) = resolve_with(&process_env, &parsed.flags, &RealFs);
        let what = format!("case {case} (seed {seed}): docker {} with {env:?}; dctx: {r:?} via {chosen:?}, {parsed:?}", words.join(" "));
        if !show.status.success() {
            assert!(
                parsed.error.is_some(),
                "docker refused it, dctx did not: {what}\n{}",
                String::from_utf8_lossy(&show.stderr)
            );
            continue;
        }
        assert_eq!(
            String::from_utf8_lossy(&show.stdout).trim(),
            r.name,
            "context show: {what}"
        );
        if parsed.error == Some(LineError::MoreThanOneHost) {
            // `context show` names `default`; anything needing the engine fails.
            assert!(!inspect.status.success(), "two -H were accepted: {what}");
            continue;
        }
        assert_eq!(parsed.error, None, "{what}");
        if inspect.status.success() {
            assert_eq!(
                String::from_utf8_lossy(&inspect.stdout).trim(),
                r.host,
                "context inspect: {what}"
            );
        } else {
            assert!(
                !r.problems.is_empty(),
                "docker could not inspect it, dctx saw no problem: {what}"
            );
        }
    }
}
