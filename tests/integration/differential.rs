//! dctx against the real Docker CLI over generated cases: the CLI is the
//! oracle for the context name, its host, and whether anything is wrong.
//!
//! `DCTX_TEST_SEED` and `DCTX_TEST_CASES` reproduce or widen a run.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use dctx_tests::{copy_tree, require_tool, run, run_ok, Conn, Daemon, Sandbox};

/// Contexts created with `docker context create`: names at the edges of
/// `^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$`, with assorted hosts and descriptions.
fn created_contexts() -> Vec<(String, &'static str, &'static str)> {
    let long = format!("a{}9", "b".repeat(120));
    let names = [
        "a1",
        "Z9",
        "0x",
        "prod",
        "Prod",
        "a.b",
        "a+b",
        "a-b",
        "a_b",
        "x-",
        "9.",
        "prod-eu.west+1_x",
    ];
    let hosts = [
        "ssh://deploy@prod-01",
        "tcp://10.1.2.3:2376",
        "unix:///run/user/1000/docker.sock",
        "tcp://[::1]:2375",
        "ssh://u@h:2222",
    ];
    let descriptions = [
        "",
        "Production",
        "with #hash %percent $dollar `tick` \\slash",
        "ünïcode ✓",
    ];
    names
        .iter()
        .map(|n| n.to_string())
        .chain([long])
        .enumerate()
        .map(|(i, n)| {
            (
                n,
                hosts[i % hosts.len()],
                descriptions[i % descriptions.len()],
            )
        })
        .collect()
}

/// Contexts written by hand that the CLI refuses or finds no endpoint in.
const BROKEN: &[(&str, &str)] = &[
    (
        "nodocker",
        r#"{"Name":"nodocker","Metadata":{},"Endpoints":{"other":{}}}"#,
    ),
    (
        "badmeta",
        r#"{"Name":"badmeta","Endpoints":{"docker":{"Host":"tcp://x"}"#,
    ),
    (
        "hosttype",
        r#"{"Name":"hosttype","Endpoints":{"docker":{"Host":5}}}"#,
    ),
];

const MISSING: &[&str] = &["missing", "zz", "default-not"];
/// Other config.json fields as people and tools leave them: some the CLI
/// reads quietly, some it warns about (wrong types, bad `auth` base64).
const BESIDE: &[&str] = &[
    r#""auths":{"registry.example.com":{"auth":"dXNlcjpwYXNz"}},"credsStore":"desktop""#,
    r#""auths":{"r":{"auth":"dXNlcjpwYXNz\n","Username":"u"}}"#,
    r#""auths":{"r":{"auth":"dXNlcg=="}}"#,
    r#""auths":{"r":{"auth":"dXNlcjpwYXN"}}"#,
    r#""auths":{"r":{"email":5}}"#,
    r#""psFormat":5"#,
    r#""PSFORMAT":"table {{.Names}}""#,
    r#""HttpHeaders":{"User-Agent":"x","X-Other":null}"#,
    r#""credHelpers":[]"#,
    r#""pruneFilters":["label=x",null]"#,
    r#""pruneFilters":[1]"#,
    r#""proxies":{"default":{"httpProxy":"http://p:3128","noProxy":5}}"#,
    r#""plugins":{"p":{"k":"v"}},"features":{"buildkit":"true"}"#,
    r#""plugins":{"p":{"k":1}}"#,
    r#""experimental":"enabled","unknownField":{"any":[1,2]}"#,
];
const NOT_DOCKER_NAMES: &[&str] = &["a", "-x", "a/b", "a b", "é", " ", "default"];
const DOCKER_HOSTS: &[&str] = &[
    "tcp://1.2.3.4",
    "1.2.3.4:99",
    "unix:///x/y",
    "ssh://u@h",
    "tcp://h:5:6",
    "tcp://[::1]:5",
    "./s",
    " ",
    "\t",
    "tcp://h/a%20b",
    "/run%111k",
    "unix:///a%20b",
    "cAp:/.tcp]:#",
    "tcp://cAp:2375/.tcp]:",
    "http://h",
    "tcp://h:abc",
    "fd://",
    "npipe:///x",
    "tcp://",
    ":2375",
];

#[derive(Debug, Clone, Copy)]
enum ConfigVia {
    EnvVar,
    EmptyEnvVarSoHome,
    Home,
    SymlinkedDir,
}

#[derive(Debug, Clone)]
enum ConfigJson {
    Missing,
    Empty,
    Whitespace,
    Malformed,
    Key(&'static str, String),
    Duplicate(String, String),
    WrongType,
    Null,
    Bom(String),
    Trailing(String),
    Symlinked(String),
    Directory,
    /// `currentContext` beside another of the CLI's fields, right or wrong.
    Beside(String, &'static str),
}

#[derive(Debug, Clone)]
struct Case {
    docker_host: Option<String>,
    docker_context: Option<String>,
    tls: Option<bool>,
    via: ConfigVia,
    config: ConfigJson,
}

struct Pools {
    existing: Vec<String>,
}

impl Pools {
    fn any_name(&self, rng: &mut fastrand::Rng) -> String {
        match rng.u8(0..10) {
            0..=4 => rng.choice(&self.existing).unwrap().clone(),
            5 => rng.choice(BROKEN).unwrap().0.to_string(),
            6 => rng.choice(MISSING).unwrap().to_string(),
            7 => rng.choice(NOT_DOCKER_NAMES).unwrap().to_string(),
            8 => "default".to_string(),
            _ => rng.choice(&self.existing).unwrap().clone(),
        }
    }

    fn case(&self, rng: &mut fastrand::Rng) -> Case {
        let docker_host = match rng.u8(0..10) {
            0..=4 => None,
            5 => Some(String::new()),
            _ => Some(rng.choice(DOCKER_HOSTS).unwrap().to_string()),
        };
        let docker_context = match rng.u8(0..10) {
            0..=3 => None,
            4 => Some(String::new()),
            _ => Some(self.any_name(rng)),
        };
        let tls = (rng.u8(0..10) == 0).then(|| rng.bool());
        let via = match rng.u8(0..20) {
            0..=9 => ConfigVia::EnvVar,
            10..=11 => ConfigVia::EmptyEnvVarSoHome,
            12..=16 => ConfigVia::Home,
            _ => ConfigVia::SymlinkedDir,
        };
        let name = self.any_name(rng);
        let config = match rng.u8(0..28) {
            0..=1 => ConfigJson::Missing,
            2 => ConfigJson::Empty,
            3 => ConfigJson::Whitespace,
            4 => ConfigJson::Malformed,
            5 => ConfigJson::WrongType,
            6 => ConfigJson::Null,
            7 => ConfigJson::Bom(name),
            8 => ConfigJson::Trailing(name),
            9 => ConfigJson::Symlinked(name),
            10 => ConfigJson::Directory,
            11..=12 => ConfigJson::Duplicate(name, self.any_name(rng)),
            24..=27 => ConfigJson::Beside(name, rng.choice(BESIDE).unwrap()),
            13..=15 => ConfigJson::Key(
                rng.choice(["CurrentContext", "CURRENTCONTEXT", "currentcontext"])
                    .unwrap(),
                name,
            ),
            _ => ConfigJson::Key("currentContext", name),
        };
        Case {
            docker_host,
            docker_context,
            tls,
            via,
            config,
        }
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// Lays out the case's files under `dir`; returns the environment to run with.
fn materialize(case: &Case, template: &Path, certs: &Path, dir: &Path) -> Vec<(String, String)> {
    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mut env = vec![("HOME".to_string(), home.display().to_string())];
    let config_dir = match case.via {
        ConfigVia::EnvVar | ConfigVia::SymlinkedDir => dir.join("cfg"),
        ConfigVia::Home | ConfigVia::EmptyEnvVarSoHome => home.join(".docker"),
    };
    match case.via {
        ConfigVia::SymlinkedDir => {
            copy_tree(template, &dir.join("real"));
            std::os::unix::fs::symlink(dir.join("real"), &config_dir).unwrap();
        }
        _ => copy_tree(template, &config_dir),
    }
    match case.via {
        ConfigVia::EnvVar | ConfigVia::SymlinkedDir => {
            env.push(("DOCKER_CONFIG".into(), config_dir.display().to_string()))
        }
        ConfigVia::EmptyEnvVarSoHome => env.push(("DOCKER_CONFIG".into(), String::new())),
        ConfigVia::Home => {}
    }
    let file = config_dir.join("config.json");
    let contents = match &case.config {
        ConfigJson::Missing => None,
        ConfigJson::Empty => Some(String::new()),
        ConfigJson::Whitespace => Some(" \n\t ".into()),
        ConfigJson::Malformed => Some("{\"currentContext\": \"prod\",".into()),
        ConfigJson::Key(key, name) => Some(format!(
            "{{\"auths\":{{}},\"{key}\":{}}}",
            json_string(name)
        )),
        ConfigJson::Duplicate(a, b) => Some(format!(
            "{{\"currentContext\":{},\"CurrentContext\":{}}}",
            json_string(a),
            json_string(b)
        )),
        ConfigJson::WrongType => Some("{\"currentContext\": [\"prod\"]}".into()),
        ConfigJson::Beside(name, other) => Some(format!(
            "{{\"currentContext\":{},{other}}}",
            json_string(name)
        )),
        ConfigJson::Null => Some("null".into()),
        ConfigJson::Bom(name) => Some(format!(
            "\u{feff}{{\"currentContext\":{}}}",
            json_string(name)
        )),
        ConfigJson::Trailing(name) => Some(format!(
            "{{\"currentContext\":{}}} trailing",
            json_string(name)
        )),
        ConfigJson::Symlinked(name) => {
            let real = dir.join("elsewhere.json");
            std::fs::write(
                &real,
                format!("{{\"currentContext\":{}}}", json_string(name)),
            )
            .unwrap();
            std::os::unix::fs::symlink(&real, &file).unwrap();
            None
        }
        ConfigJson::Directory => {
            std::fs::create_dir(&file).unwrap();
            None
        }
    };
    if let Some(contents) = contents {
        std::fs::write(&file, contents).unwrap();
    }
    if let Some(host) = &case.docker_host {
        env.push(("DOCKER_HOST".into(), host.clone()));
    }
    if let Some(name) = &case.docker_context {
        env.push(("DOCKER_CONTEXT".into(), name.clone()));
    }
    if let Some(certs_exist) = case.tls {
        env.push(("DOCKER_TLS_VERIFY".into(), "1".into()));
        let path = if certs_exist {
            certs.to_path_buf()
        } else {
            dir.join("no-certs")
        };
        env.push(("DOCKER_CERT_PATH".into(), path.display().to_string()));
    }
    env
}

struct Observed {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn observe(cmd: &mut Command, env: &[(String, String)]) -> Observed {
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = run(cmd);
    Observed {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs one case through docker and dctx; returns what disagreed.
fn check(sandbox: &Sandbox, case: &Case, env: &[(String, String)]) -> Vec<String> {
    let mut bad = Vec::new();
    let docker_show = observe(sandbox.docker().args(["context", "show"]), env);
    let docker_inspect = observe(
        sandbox.docker().args([
            "context",
            "inspect",
            "--format",
            "{{.Endpoints.docker.Host}}",
        ]),
        env,
    );
    let show = observe(sandbox.dctx("dctx").arg("show"), env);
    let inspect = observe(sandbox.dctx("dctx").arg("inspect"), env);
    let prompt = observe(
        sandbox
            .dctx("dctx-prompt")
            .args(["--no-daemon", "--format", "{name}|{host}"]),
        env,
    );
    // The same question through the daemon (the test runs one): first a
    // different environment on the same config dir, so the dir is watched
    // and that other answer cached, then this case twice (a miss that is stored, then a hit).
    let daemon_prompt = |extra: Option<(String, String)>| {
        let mut all = env.to_vec();
        all.extend(extra);
        observe(
            sandbox.hooked_prompt().args(["--format", "{name}|{host}"]),
            &all,
        )
    };
    // Twice: the first ask only makes the daemon start watching the dir.
    for _ in 0..2 {
        daemon_prompt(Some(("DOCKER_CONTEXT".into(), "zz-other".into())));
    }
    let via_daemon = [daemon_prompt(None), daemon_prompt(None)];

    if !docker_show.ok || !show.ok || show.stdout != docker_show.stdout {
        bad.push(format!(
            "show: docker {:?} (ok={}), dctx {:?} (ok={})",
            docker_show.stdout, docker_show.ok, show.stdout, show.ok
        ));
    }
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&inspect.stdout) else {
        bad.push(format!(
            "inspect printed no JSON: {:?} {:?}",
            inspect.stdout, inspect.stderr
        ));
        return bad;
    };
    let name = json["name"].as_str().unwrap_or_default();
    let host = json["host"].as_str().unwrap_or_default();
    let problem = json["problem"].as_str();
    if format!("{name}\n") != docker_show.stdout {
        bad.push(format!(
            "inspect name {name:?} but docker shows {:?}",
            docker_show.stdout
        ));
    }
    let docker_host = docker_inspect.stdout.trim_end_matches('\n');
    let context_problem = problem
        .map(|p| p.split("; ").any(|p| !p.contains("config.json")))
        .unwrap_or(false);
    if docker_inspect.ok && docker_host != "<no value>" {
        if host != docker_host {
            bad.push(format!("host: docker {docker_host:?}, dctx {host:?}"));
        }
        if context_problem {
            bad.push(format!(
                "docker inspect succeeded but dctx reports {problem:?}"
            ));
        }
    } else if !context_problem {
        bad.push(format!(
            "docker inspect failed ({:?}{:?}) but dctx reports no problem with the context",
            docker_inspect.stdout,
            docker_inspect.stderr.trim()
        ));
    }
    let docker_warned = docker_show.stderr.contains("config file");
    let dctx_warned = problem.is_some_and(|p| p.contains("config.json"));
    if docker_warned != dctx_warned {
        bad.push(format!(
            "config warning: docker {:?}, dctx {problem:?}",
            docker_show.stderr.trim()
        ));
    }
    let marker = if problem.is_some() { "?" } else { "" };
    // A prompt shows no control character: each is shown as U+FFFD.
    let visible = |text: &str| -> String {
        text.chars()
            .map(|c| if c.is_control() { '\u{fffd}' } else { c })
            .collect()
    };
    let expected_prompt = format!("{}|{}{marker}", visible(name), visible(host));
    if !prompt.ok || prompt.stdout != expected_prompt {
        bad.push(format!(
            "prompt {:?}, expected {expected_prompt:?}",
            prompt.stdout
        ));
    }
    for (i, answer) in via_daemon.iter().enumerate() {
        if !answer.ok || answer.stdout != expected_prompt {
            bad.push(format!(
                "prompt via daemon (ask {}) {:?}, expected {expected_prompt:?}",
                i + 1,
                answer.stdout
            ));
        }
    }
    if !bad.is_empty() {
        bad.insert(0, format!("case {case:?}"));
    }
    bad
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn setup_template(sandbox: &Sandbox) -> (PathBuf, PathBuf, Pools) {
    let template = sandbox.path().join("template");
    let contexts = created_contexts();
    for (name, host, description) in &contexts {
        run_ok(sandbox.docker().env("DOCKER_CONFIG", &template).args([
            "context",
            "create",
            name,
            "--description",
            description,
            "--docker",
            &format!("host={host}"),
        ]));
    }
    for (name, meta) in BROKEN {
        let path = dctx_core::context_meta::meta_path(&template, name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, meta).unwrap();
    }
    let certs = sandbox.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::write(certs.join("ca.pem"), "not really a certificate\n").unwrap();
    let existing = contexts.into_iter().map(|(n, _, _)| n).collect();
    (template, certs, Pools { existing })
}

#[test]
fn dctx_agrees_with_the_docker_cli_on_generated_cases() {
    if !require_tool("docker", "differential test") {
        return;
    }
    let sandbox = Sandbox::new();
    let (template, certs, pools) = setup_template(&sandbox);
    let daemon = Daemon::start(&sandbox);
    let seed = env_number("DCTX_TEST_SEED", 0x00d0_c7e2);
    let count = env_number("DCTX_TEST_CASES", 240);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut failures = String::new();
    let mut failed = 0;
    for i in 0..count {
        let case = pools.case(&mut rng);
        let dir = sandbox.path().join("cases").join(i.to_string());
        let env = materialize(&case, &template, &certs, &dir);
        let bad = check(&sandbox, &case, &env);
        if !bad.is_empty() {
            failed += 1;
            if failed <= 15 {
                let _ = writeln!(failures, "#{i}:\n  {}", bad.join("\n  "));
            }
        }
    }
    // Every daemon-path prompt must have been answered by the daemon itself,
    // not by the direct fallback.
    let status = Conn::open(&daemon.socket)
        .unwrap()
        .call(&serde_json::json!({"type": "status"}))
        .unwrap();
    assert!(
        status["queries"].as_u64().unwrap() >= 4 * count,
        "daemon served too few queries: {status}"
    );
    assert!(
        failed == 0,
        "{failed} of {count} cases disagree with the Docker CLI (DCTX_TEST_SEED={seed}):\n{failures}"
    );
}
