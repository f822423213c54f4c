//! The prompt never names a context docker would not use, nobody else can
//! fake or freeze it, and no input hangs it: one test per way it was shown
//! to fail (each failed before its fix).

use std::path::Path;

use dctx_tests::{bin_dir, require_tool, run, run_ok, Sandbox};

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
