//! `dctx ls` against `docker context ls --format json`, over generated
//! config dirs: names (natural order, case, digits), descriptions,
//! endpoints, which one is current, with DOCKER_CONTEXT and DOCKER_HOST,
//! and the error row of a current context that does not exist.

use dctx_tests::{require_tool, run, run_ok, Sandbox};

/// Rows as (Name, Description, DockerEndpoint, Current, Error), in order.
fn rows(json_lines: &str) -> Vec<(String, String, String, bool, String)> {
    json_lines
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            (
                s("Name"),
                s("Description"),
                s("DockerEndpoint"),
                v["Current"].as_bool().unwrap_or(false),
                s("Error"),
            )
        })
        .collect()
}

#[test]
fn dctx_ls_lists_what_docker_context_ls_lists() {
    if !require_tool("docker", "dctx ls differential test") {
        return;
    }
    let seed = std::env::var("DCTX_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let mut rng = fastrand::Rng::with_seed(seed);
    const NAMES: &[&str] = &[
        "prod", "Prod-EU", "staging", "ctx9", "ctx10", "ctx010", "a.b+c_d", "zeta", "A1", "dev",
    ];
    const HOSTS: &[&str] = &[
        "tcp://10.0.0.1:2375",
        "ssh://deploy@prod-01",
        "unix:///run/other.sock",
        "tcp://h:1",
    ];
    // Current contexts that do not exist: docker lists each with an error.
    const MISSING: &[&str] = &[
        "nosuch",
        "a\"b\\c",
        "bad/name",
        "PROD",
        "a-very-long-context-name-that-pushes-the-error-past-its-cut",
        "é-ü",
        " ",
    ];
    for case in 0..16 {
        let sandbox = Sandbox::new();
        let dir = sandbox.path().join(format!("cfg-{case}"));
        std::fs::create_dir_all(&dir).unwrap();
        let mut made = Vec::new();
        for _ in 0..rng.usize(0..5) {
            let name = NAMES[rng.usize(..NAMES.len())];
            if made.contains(&name) {
                continue;
            }
            let mut args = vec!["context", "create", name];
            let description = format!("{name} described");
            if rng.bool() {
                args.extend(["--description", &description]);
            }
            let host = format!("host={}", HOSTS[rng.usize(..HOSTS.len())]);
            args.extend(["--docker", &host]);
            run_ok(sandbox.docker().env("DOCKER_CONFIG", &dir).args(&args));
            made.push(name);
        }
        if let Some(&name) = made.get(rng.usize(..made.len() + 1)) {
            run_ok(
                sandbox
                    .docker()
                    .env("DOCKER_CONFIG", &dir)
                    .args(["context", "use", name]),
            );
        }
        let missing = MISSING[rng.usize(..MISSING.len())];
        if rng.u8(0..4) == 0 {
            let config = serde_json::json!({ "currentContext": missing }).to_string();
            std::fs::write(dir.join("config.json"), config).unwrap();
        }
        let mut env = vec![("DOCKER_CONFIG".to_string(), dir.display().to_string())];
        match rng.u8(0..6) {
            0 if !made.is_empty() => env.push((
                "DOCKER_CONTEXT".into(),
                made[rng.usize(..made.len())].into(),
            )),
            1 => env.push(("DOCKER_HOST".into(), "tcp://10.9.9.9".into())),
            2 => env.push(("DOCKER_CONTEXT".into(), "default".into())),
            3 | 4 => env.push(("DOCKER_CONTEXT".into(), missing.into())),
            _ => {}
        }
        let docker = run(sandbox.docker().envs(env.clone()).args([
            "context",
            "ls",
            "--format",
            "{{json .}}",
        ]));
        assert!(
            docker.status.success(),
            "case {case}: docker failed: {docker:?}"
        );
        let dctx = run_ok(
            sandbox
                .dctx("dctx")
                .envs(env.clone())
                .args(["ls", "--format", "json"]),
        );
        assert_eq!(
            rows(&dctx),
            rows(&String::from_utf8_lossy(&docker.stdout)),
            "case {case} (seed {seed}), env {env:?}, contexts {made:?}"
        );
        // The table too, up to dctx's own line on why the current one is.
        let table = |out: &str| -> Vec<String> {
            out.lines()
                .take_while(|l| !l.is_empty())
                .map(|l| l.trim_end().to_string())
                .collect()
        };
        let docker_table = run_ok(sandbox.docker().envs(env.clone()).args(["context", "ls"]));
        let dctx_table = run_ok(sandbox.dctx("dctx").envs(env.clone()).arg("ls"));
        assert_eq!(
            table(&dctx_table),
            table(&docker_table),
            "case {case} (seed {seed}), env {env:?}, contexts {made:?}"
        );
    }
}

/// `dctx exec` runs one command against a context, whatever this
/// environment selects, and passes its exit status through; a typo runs
/// nothing and suggests the close name.
#[test]
fn dctx_exec_runs_one_command_against_a_context() {
    if !require_tool("docker", "dctx exec test") {
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.create_contexts(&[("staging", "tcp://10.0.0.2:2376")]);
    let out = run(sandbox
        .dctx("dctx")
        .args([
            "exec",
            "staging",
            "--",
            "sh",
            "-c",
            "docker context show; exit 7",
        ])
        .env("DOCKER_HOST", "tcp://10.9.9.9"));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "staging\n");
    assert_eq!(out.status.code(), Some(7));
    let out = run(sandbox
        .dctx("dctx")
        .args(["exec", "stagin", "--", "touch", "ran"]));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("did you mean staging?"),
        "{out:?}"
    );
    assert!(
        !sandbox.path().join("ran").exists(),
        "nothing runs after a typo"
    );
}
