//! The prompt never names a context docker would not use, nobody else can
//! fake or freeze it, and no input hangs it: one test per way it was shown
//! to fail (each failed before its fix).

use std::path::Path;

use std::time::Duration;

use dctx_tests::{bin_dir, require_tool, run, run_bounded, run_ok, Sandbox};

/// `PATH` with dctx's binaries first, for shells that run `dctx init`.
fn path_with_dctx() -> String {
    format!(
        "{}:{}",
        bin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// A config dir holding one context, `name`, made current with the real CLI.
fn config_dir_with(sandbox: &Sandbox, dir: &Path, name: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let docker = |args: &[&str]| run_ok(sandbox.docker().env("DOCKER_CONFIG", dir).args(args));
    docker(&[
        "context",
        "create",
        name,
        "--docker",
        "host=tcp://10.1.1.1:2375",
    ]);
    docker(&["context", "use", name]);
}

/// Item 2: `DOCKER_CONFIG=x/link/../cfg` with `x/link -> y/z` is `x/cfg` to
/// docker (Go cleans paths lexically), never `y/cfg`: on the direct path,
/// through the daemon, and through the bash helper (which gets the shell's
/// `PWD`).
#[test]
fn dot_dot_after_a_symlink_in_docker_config_is_lexical() {
    if !require_tool("docker", "lexical DOCKER_CONFIG test") {
        return;
    }
    let sandbox = Sandbox::new();
    let root = sandbox.path();
    config_dir_with(&sandbox, &root.join("x/cfg"), "lexical");
    config_dir_with(&sandbox, &root.join("y/cfg"), "followed");
    std::fs::create_dir_all(root.join("y/z")).unwrap();
    std::os::unix::fs::symlink(root.join("y/z"), root.join("x/link")).unwrap();
    let _daemon = dctx_tests::Daemon::start(&sandbox);
    for value in [
        "x/link/../cfg".to_string(),
        format!("{}/x/link/../cfg", root.display()),
    ] {
        let env = [("DOCKER_CONFIG", value.as_str())];
        let docker = run_ok(sandbox.docker().envs(env).args(["context", "show"]));
        assert_eq!(docker.trim(), "lexical", "{value}: the CLI's own answer");
        let show = run_ok(sandbox.dctx("dctx").envs(env).arg("show"));
        assert_eq!(show.trim(), "lexical", "{value}: dctx show");
        for how in ["--no-daemon", "--shell=plain"] {
            let prompt = run_ok(
                sandbox
                    .dctx("dctx-prompt")
                    .envs(env)
                    .args([how, "--format", "{name}"]),
            );
            assert_eq!(prompt, "lexical", "{value}: dctx-prompt {how}");
        }
        if require_tool("bash", "lexical DOCKER_CONFIG through the bash helper") {
            let script = format!(
                r#"export DOCKER_CONFIG='{value}'; eval "$(dctx init bash)"; __dctx_precmd; printf '<%s>' "$DCTX_SEGMENT""#
            );
            let out = run(sandbox
                .command("bash")
                .args(["--norc", "-i", "-c", &script])
                .env("PATH", path_with_dctx()));
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                stdout.contains("<lexical>"),
                "{value}: bash hook printed {stdout:?}"
            );
        }
    }
}

/// What `dctx-prompt --format {name}` prints for this sandbox, through the
/// daemon when `daemon` is set, failing the test if it hangs.
fn bounded_prompt(sandbox: &Sandbox, daemon: bool, env: &[(&str, &str)]) -> String {
    let mut cmd = sandbox.dctx("dctx-prompt");
    if !daemon {
        cmd.arg("--no-daemon");
    }
    cmd.args(["--shell", "plain"]).envs(env.iter().copied());
    let out = run_bounded(&mut cmd, Duration::from_secs(20));
    assert!(out.status.success(), "dctx-prompt exited {}", out.status);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "nothing on stderr"
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Item 9: a FIFO as the settings file, `/dev/zero` or a huge file as
/// `DCTX_CONFIG` neither hang nor balloon `dctx-prompt`, directly or through
/// the daemon, and the daemon goes on answering everyone else.
#[test]
fn a_settings_file_that_is_a_fifo_or_a_device_does_not_hang_anyone() {
    let sandbox = Sandbox::new();
    let settings = sandbox.path().join("xdg-config/dctx/config.toml");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(&settings)
        .status()
        .expect("mkfifo");
    assert!(status.success());
    let huge = sandbox.path().join("huge.toml");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    let huge = huge.display().to_string();
    let _daemon = dctx_tests::Daemon::start(&sandbox);
    let context = ("DOCKER_CONTEXT", "prod");
    for daemon in [false, true] {
        assert_eq!(
            bounded_prompt(&sandbox, daemon, &[context]),
            "prod?",
            "a FIFO (daemon: {daemon})"
        );
        for path in ["/dev/zero", huge.as_str()] {
            let env = [context, ("DCTX_CONFIG", path)];
            assert_eq!(
                bounded_prompt(&sandbox, daemon, &env),
                "prod?",
                "{path} (daemon: {daemon})"
            );
        }
    }
    // Still answering, with working settings for a shell that has them.
    let good = sandbox.path().join("good.toml");
    std::fs::write(&good, "format = \"<{name}>\"\n").unwrap();
    let env = [("DCTX_CONFIG", good.to_str().unwrap()), ("DOCKER_HOST", "")];
    assert_eq!(bounded_prompt(&sandbox, true, &env), "");
    let env = [
        ("DCTX_CONFIG", good.to_str().unwrap()),
        ("DOCKER_CONTEXT", "x"),
    ];
    assert_eq!(bounded_prompt(&sandbox, true, &env), "<x>?");
    let status = run_ok(sandbox.dctx("dctx").args(["daemon", "status"]));
    assert!(status.contains("queries:"), "{status}");
}

/// Item 5: a settings file replaced by one of the same size and mtime
/// (`cp -p`, `rsync -a`) is read again, through the daemon.
#[test]
fn a_settings_file_copied_with_its_times_kept_is_read_again() {
    let sandbox = Sandbox::new();
    let settings = sandbox.path().join("xdg-config/dctx/config.toml");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    let (a, b) = (sandbox.path().join("a.toml"), sandbox.path().join("b.toml"));
    std::fs::write(&a, "format = \"A:{name}\"\n").unwrap();
    std::fs::write(&b, "format = \"B:{name}\"\n").unwrap();
    let touch = |file: &Path| {
        run_ok(
            std::process::Command::new("touch")
                .args(["-d", "2020-01-01 00:00:00"])
                .arg(file),
        )
    };
    touch(&a);
    touch(&b);
    run_ok(
        std::process::Command::new("cp")
            .arg("-p")
            .arg(&a)
            .arg(&settings),
    );
    let _daemon = dctx_tests::Daemon::start(&sandbox);
    let env = [("DOCKER_CONTEXT", "ctx")];
    assert_eq!(bounded_prompt(&sandbox, true, &env), "A:ctx?");
    run_ok(
        std::process::Command::new("cp")
            .arg("-p")
            .arg(&b)
            .arg(&settings),
    );
    assert_eq!(bounded_prompt(&sandbox, true, &env), "B:ctx?");
}
