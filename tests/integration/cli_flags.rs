//! The target `dctx guard` sees for a command line, against the real CLI
//! over generated command lines (global-flag spellings, empty values, TLS
//! flags and a non-UTF-8 --config included × DOCKER_HOST, DOCKER_TLS*,
//! DOCKER_CONTEXT, DOCKER_CONFIG and --config × config dirs with and
//! without a current context): the context `docker <flags> context show`
//! names and the endpoint `docker <flags> context inspect` prints. Also
//! the guard's table of the CLI's command aliases, against the CLI's help.

use std::collections::BTreeSet;

use dctx_core::guard::commands::ALIASES;
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
    // A config dir whose name is not UTF-8: docker opens the bytes given.
    let odd = {
        use std::os::unix::ffi::OsStringExt;
        let mut name = sandbox.path().as_os_str().to_owned().into_vec();
        name.extend_from_slice(b"/odd-\xff-config");
        std::path::PathBuf::from(std::ffi::OsString::from_vec(name))
    };
    sandbox.config_dir_with(&odd, "odd");
    let odd_flag = {
        use std::os::unix::ffi::OsStringExt;
        let mut word = b"--config=".to_vec();
        word.extend_from_slice(odd.as_os_str().as_encoded_bytes());
        std::ffi::OsString::from_vec(word)
    };
    let empty = sandbox.path().join("empty-config");
    std::fs::create_dir_all(&empty).unwrap();
    let empty = empty.display().to_string();

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
        let mut words: Vec<std::ffi::OsString> = Vec::new();
        for _ in 0..rng.usize(0..4) {
            let spelling: Vec<String> = match rng.u8(0..24) {
                14 => vec!["--context=".into()],
                15 => vec!["-c".into(), "".into()],
                16 => vec!["-H".into(), "".into()],
                17 => vec!["--config".into(), "".into()],
                18 => vec!["--tls=false".into()],
                19 => vec!["--tlsverify=false".into()],
                20 => vec!["-v".into()],
                21 => vec!["-H".into(), " ".into()],
                22 => vec!["--tls=true".into(), "--tls=false".into()],
                23 => {
                    words.push(odd_flag.clone());
                    continue;
                }
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
            words.extend(spelling.into_iter().map(Into::into));
        }
        let mut env: Vec<(&str, &str)> = Vec::new();
        if rng.u8(0..4) == 0 {
            // A config dir with no config.json: no current context.
            env.push(("DOCKER_CONFIG", empty.as_str()));
        }
        if rng.bool() {
            env.push(("DOCKER_HOST", "tcp://10.9.9.9"));
        }
        if rng.bool() {
            env.push(("DOCKER_CONTEXT", names[rng.usize(..names.len())]));
        }
        match rng.u8(0..6) {
            0 => env.push(("DOCKER_TLS_VERIFY", "0")),
            1 => env.push(("DOCKER_TLS", "1")),
            _ => {}
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

        let guard = run(sandbox
            .dctx("dctx")
            .envs(env.iter().copied())
            .args(["guard", "--explain", "--json", "--"])
            .args(&words)
            .args(["context", "show"]));
        assert!(
            guard.status.success(),
            "{}",
            String::from_utf8_lossy(&guard.stderr)
        );
        let d: serde_json::Value = serde_json::from_slice(&guard.stdout).expect("json");
        let reasons = d["reasons"].to_string();
        let refused_itself = reasons.contains("docker refuses this line itself");
        let what = format!("case {case} (seed {seed}): docker {words:?} with {env:?}; guard: {d}");
        if !show.status.success() {
            assert!(
                refused_itself,
                "docker refused it, dctx did not: {what}\n{}",
                String::from_utf8_lossy(&show.stderr)
            );
            continue;
        }
        assert_eq!(
            String::from_utf8_lossy(&show.stdout).trim(),
            d["context"],
            "context show: {what}"
        );
        if reasons.contains("Specify only one -H") {
            // `context show` names `default`; anything needing the engine fails.
            assert!(!inspect.status.success(), "two -H were accepted: {what}");
            continue;
        }
        assert!(!refused_itself, "{what}");
        if inspect.status.success() {
            assert_eq!(
                String::from_utf8_lossy(&inspect.stdout).trim(),
                d["host"],
                "context inspect: {what}"
            );
        } else {
            assert!(
                !d["problem"].is_null(),
                "docker could not inspect it, dctx saw no problem: {what}"
            );
        }
    }
}

/// Every command the CLI lists aliases for, by walking its help: the
/// guard's table of aliases must be exactly that, or `docker rmi` would
/// slip past an entry for `image rm`.
#[test]
fn the_alias_table_is_the_docker_clis() {
    if !require_tool("docker", "alias table test") {
        return;
    }
    let sandbox = Sandbox::new();
    let help = |words: &[&str]| -> String {
        let out = run(sandbox.docker().args(words).arg("--help"));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // Lines of a help section: `  name   description`.
    let section = |text: &str, title: &str| -> Vec<String> {
        text.lines()
            .skip_while(|l| !l.starts_with(title))
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .filter_map(|l| l.split_whitespace().next().map(str::to_string))
            .collect()
    };
    let root = help(&[]);
    let mut management = section(&root, "Management Commands:");
    management.extend(section(&root, "Swarm Commands:"));
    let mut docker = BTreeSet::new();
    for m in management.iter().filter(|m| !m.contains('*')) {
        for sub in section(&help(&[m]), "Commands:") {
            let text = help(&[m, &sub]);
            let Some(aliases) = text
                .lines()
                .skip_while(|l| !l.starts_with("Aliases:"))
                .nth(1)
            else {
                continue;
            };
            let all: BTreeSet<String> = aliases
                .split(',')
                .map(|a| a.trim().trim_start_matches("docker ").to_string())
                .collect();
            docker.insert((format!("{m} {sub}"), all));
        }
    }
    assert!(docker.len() > 40, "the CLI's help was not read: {docker:?}");
    let ours: BTreeSet<(String, BTreeSet<String>)> = ALIASES
        .iter()
        .map(|(canon, aliases)| {
            let mut all: BTreeSet<String> = aliases.iter().map(|a| a.to_string()).collect();
            all.insert(canon.to_string());
            (canon.to_string(), all)
        })
        .collect();
    // `builder build` is listed too, with the same aliases as `image build`.
    let docker: BTreeSet<_> = docker
        .into_iter()
        .filter(|(c, _)| c != "builder build")
        .collect();
    assert_eq!(
        docker.difference(&ours).collect::<Vec<_>>(),
        Vec::<&(String, BTreeSet<String>)>::new(),
        "aliases the CLI has and the guard does not know"
    );
    assert_eq!(
        ours.difference(&docker).collect::<Vec<_>>(),
        Vec::<&(String, BTreeSet<String>)>::new(),
        "aliases the guard knows and the CLI does not have"
    );
}
