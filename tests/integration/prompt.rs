//! The prompt path never fails: whatever is broken, `dctx-prompt` exits 0
//! promptly, prints a short marker, and writes nothing to stderr.

use std::process::Command;
use std::time::Duration;

use dctx_tests::{run_bounded, Sandbox};

fn prompt(sandbox: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> (String, String) {
    let mut cmd = sandbox.dctx("dctx-prompt");
    cmd.arg("--no-daemon").args(args).envs(env.iter().copied());
    let out = run_bounded(&mut cmd, Duration::from_secs(10));
    assert!(out.status.success(), "dctx-prompt exited {}", out.status);
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn a_broken_config_json_shows_default_with_a_marker() {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.home_docker()).unwrap();
    std::fs::write(
        sandbox.home_docker().join("config.json"),
        "{\"currentContext\":",
    )
    .unwrap();
    assert_eq!(
        prompt(&sandbox, &[], &[]),
        ("default?".to_string(), String::new())
    );
}

#[test]
fn a_missing_context_is_named_with_a_marker() {
    let sandbox = Sandbox::new();
    let (out, err) = prompt(
        &sandbox,
        &["--shell", "zsh"],
        &[("DOCKER_CONTEXT", "prod-eu")],
    );
    // Styled as production, marked as a problem, nothing on stderr.
    assert_eq!(out, "%{\x1b[1;31m%}prod-eu?%{\x1b[0m%}");
    assert_eq!(err, "");
}

#[test]
fn a_fifo_in_place_of_config_json_does_not_hang_the_prompt() {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.home_docker()).unwrap();
    let fifo = sandbox.home_docker().join("config.json");
    let status = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(status.success());
    let (out, _) = prompt(&sandbox, &[], &[]);
    assert_eq!(out, "default?");
}

#[test]
fn a_bad_settings_file_falls_back_to_built_ins_with_a_marker() {
    let sandbox = Sandbox::new();
    let settings = sandbox.path().join("xdg-config/dctx/config.toml");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    std::fs::write(&settings, "format = [unclosed").unwrap();
    let (out, err) = prompt(&sandbox, &[], &[("DOCKER_CONTEXT", "staging")]);
    assert_eq!((out.as_str(), err.as_str()), ("staging?", ""));

    // dctx status says what is wrong with it.
    let status = dctx_tests::run_ok(sandbox.dctx("dctx").arg("status"));
    assert!(
        status.contains("could not parse") && status.contains("config.toml"),
        "{status}"
    );
}

#[test]
fn settings_file_sets_format_hiding_and_styles() {
    let sandbox = Sandbox::new();
    let settings = sandbox.path().join("custom.toml");
    std::fs::write(
        &settings,
        "format = \"docker:{name}\"\nhide = [\"dev*\"]\n[[rule]]\npattern = \"stag*\"\nstyle = \"yellow\"\n",
    )
    .unwrap();
    let path = settings.to_str().unwrap();
    let env = |ctx| [("DCTX_CONFIG", path), ("DOCKER_CONTEXT", ctx)];
    // A missing context is never hidden; it carries the marker.
    assert_eq!(prompt(&sandbox, &[], &env("dev1")).0, "docker:dev1?");
    assert_eq!(
        prompt(&sandbox, &["--shell", "tmux"], &env("staging")).0,
        "#[fg=yellow]docker:staging?#[default]"
    );
    // The user's rules replace the built-in production rule.
    assert_eq!(
        prompt(&sandbox, &["--shell", "tmux"], &env("prod")).0,
        "docker:prod?"
    );
}

#[test]
fn the_local_default_context_is_hidden_and_an_override_is_not() {
    let sandbox = Sandbox::new();
    assert_eq!(prompt(&sandbox, &[], &[]).0, "");
    assert_eq!(
        prompt(&sandbox, &[], &[("DOCKER_HOST", "tcp://10.0.0.9")]).0,
        "tcp://10.0.0.9:2375"
    );
    assert_eq!(
        prompt(
            &sandbox,
            &["--shell", "bash"],
            &[("DOCKER_HOST", "ssh://me@build")]
        )
        .0,
        "\x01\x1b[1;33m\x02ssh://me@build\x01\x1b[0m\x02"
    );
}

#[test]
fn bad_arguments_still_leave_a_marker_and_help_works() {
    use std::os::unix::ffi::OsStrExt;
    let sandbox = Sandbox::new();
    let not_utf8 = std::ffi::OsStr::from_bytes(b"--format=\xff{name}");
    let cases: [(&[&std::ffi::OsStr], &str); 3] = [
        (&["--shell".as_ref(), "csh".as_ref()], "csh"),
        (&["--nope".as_ref()], "--nope"),
        (&[not_utf8], "UTF-8"),
    ];
    for (args, said) in cases {
        let out = run_bounded(
            sandbox.dctx("dctx-prompt").args(args),
            Duration::from_secs(10),
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), "dctx?", "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(said),
            "{args:?}: {out:?}"
        );
        // Item 15 of the trust issue: the documented contract is exit 0.
        assert!(out.status.success(), "{args:?} exited {}", out.status);
    }
    let help = dctx_tests::run_ok(sandbox.dctx("dctx-prompt").arg("--help"));
    assert!(help.contains("{name}") && help.contains("--shell"));
}
