//! Per-shell switching in real bash, zsh and fish (through tmux):
//! `dctx use` changes this shell's prompt and nothing else, `-` goes back,
//! a typo changes nothing, context names complete, and the picker works
//! with fzf and without it.

use std::time::Duration;

use dctx_tests::{run_ok, wait_for, Daemon, Hooked, Sandbox};

/// Sets up two contexts, `prod` current in config.json, and a daemon.
fn world() -> (Sandbox, Daemon) {
    let sandbox = Sandbox::new();
    sandbox.create_contexts(&[
        ("prod", "tcp://10.0.0.1:2375"),
        ("staging", "tcp://10.0.0.2:2375"),
    ]);
    run_ok(sandbox.docker().args(["context", "use", "prod"]));
    let daemon = Daemon::start(&sandbox);
    (sandbox, daemon)
}

/// zsh completes only with compinit loaded, as a user's zshrc does.
fn setup(shell: &str) -> &'static str {
    if shell == "zsh" {
        "autoload -Uz compinit && compinit -u"
    } else {
        ""
    }
}

fn use_switches_this_shell_only(shell: &'static str) {
    let (sandbox, _daemon) = world();
    let config = sandbox.home_docker().join("config.json");
    let before = std::fs::read(&config).unwrap();
    let Some(a) = Hooked::start_as(&sandbox, shell, &format!("{shell}-a"), setup(shell)) else {
        return;
    };
    let Some(b) = Hooked::start_as(&sandbox, shell, &format!("{shell}-b"), "") else {
        return;
    };
    a.tmux.expect_prompt("<prod|0>");
    b.tmux.expect_prompt("<prod|0>");
    a.expect_after("dctx use staging", "<staging|0>");
    assert_eq!(
        a.docker_says(),
        "staging",
        "{shell}: the oracle, in this shell"
    );
    b.expect_after("", "<prod|0>");
    assert_eq!(
        b.docker_says(),
        "prod",
        "{shell}: another terminal is untouched"
    );
    // A typo changes nothing, and says what was meant.
    a.tmux.expect_prompt("<staging|0>");
    a.expect_after("dctx use stagign", "<staging|1>");
    assert!(
        a.tmux.screen().contains("did you mean staging?"),
        "{}",
        a.tmux.screen()
    );
    a.expect_after("dctx use -", "<prod|0>");
    a.expect_after("dctx use -", "<staging|0>");
    a.expect_after("dctx use --unset", "<prod|0>");
    assert_eq!(
        std::fs::read(&config).unwrap(),
        before,
        "{shell}: config.json is byte for byte as it was"
    );

    // A context name completes after `dctx use `.
    a.tmux.run(&["send-keys", "-t", "t", "-l", "dctx use stag"]);
    a.tmux.run(&["send-keys", "-t", "t", "Tab"]);
    wait_for("the name to complete", Duration::from_secs(20), || {
        a.tmux.last_line().contains("dctx use staging")
    });
    a.tmux.run(&["send-keys", "-t", "t", "Enter"]);
    a.tmux.expect_prompt("<staging|0>");
    // And after `dctx pin ` (the line is abandoned: nothing is probed).
    a.tmux.run(&["send-keys", "-t", "t", "-l", "dctx pin pr"]);
    a.tmux.run(&["send-keys", "-t", "t", "Tab"]);
    wait_for(
        "the name to complete after pin",
        Duration::from_secs(20),
        || a.tmux.last_line().contains("dctx pin prod"),
    );
    a.tmux.run(&["send-keys", "-t", "t", "C-c"]);
}

#[test]
fn bash_dctx_use_switches_this_shell_only() {
    use_switches_this_shell_only("bash");
}

#[test]
fn zsh_dctx_use_switches_this_shell_only() {
    use_switches_this_shell_only("zsh");
}

#[test]
fn fish_dctx_use_switches_this_shell_only() {
    use_switches_this_shell_only("fish");
}

/// `dctx use` with no name: fzf when it is on PATH (a fake one here that
/// picks `staging`), a numbered list otherwise.
fn the_picker_chooses(shell: &'static str) {
    let (sandbox, _daemon) = world();
    let fake = sandbox.path().join("fake-bin");
    std::fs::create_dir(&fake).unwrap();
    let fzf = fake.join("fzf");
    std::fs::write(&fzf, "#!/bin/sh\ngrep '^staging'\n").unwrap();
    std::fs::set_permissions(&fzf, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let Some(sh) = Hooked::start(&sandbox, shell, "") else {
        return;
    };
    sh.tmux.expect_prompt("<prod|0>");
    // Without fzf: the list, then a number typed at the terminal.
    sh.tmux.type_line("dctx use");
    wait_for("the list", Duration::from_secs(20), || {
        sh.tmux
            .last_line()
            .contains("context (number or name, empty to cancel):")
    });
    let screen = sh.tmux.screen();
    let number = screen
        .lines()
        .find(|l| l.contains("staging"))
        .and_then(|l| l.trim().split(')').next())
        .unwrap_or_else(|| panic!("no staging in the list:\n{screen}"))
        .trim()
        .to_string();
    sh.expect_after(&number, "<staging|0>");
    // With fzf on PATH.
    let path = match shell {
        "fish" => format!("set -gx PATH '{}' $PATH", fake.display()),
        _ => format!("export PATH='{}':\"$PATH\"", fake.display()),
    };
    sh.expect_after(&path, "<staging|0>");
    sh.expect_after("dctx use --unset", "<prod|0>");
    sh.expect_after("dctx use", "<staging|0>");
}

#[test]
fn bash_picker_chooses_with_fzf_and_without() {
    the_picker_chooses("bash");
}

#[test]
fn zsh_picker_chooses_with_fzf_and_without() {
    the_picker_chooses("zsh");
}

#[test]
fn fish_picker_chooses_with_fzf_and_without() {
    the_picker_chooses("fish");
}

/// What a script sees: DOCKER_HOST pointed out and, with --unset-host,
/// unset; --global is docker's own `context use`; no name and no terminal
/// lists the contexts and fails; the binary without the function says how
/// to load it and changes nothing.
#[test]
fn dctx_use_outside_a_prompt() {
    if !dctx_tests::require_tool("bash", "dctx use script test") {
        return;
    }
    let (sandbox, _daemon) = world();
    let script = r#"eval "$(dctx init bash)"
export DOCKER_HOST=tcp://10.9.9.9
dctx use staging 2>&1; echo "ctx=$DOCKER_CONTEXT host=${DOCKER_HOST-unset}"
dctx use --unset-host staging 2>/dev/null; echo "ctx=$DOCKER_CONTEXT host=${DOCKER_HOST-unset}"
dctx use </dev/null 2>&1; echo "status=$?"
dctx use --global staging >/dev/null 2>&1; echo "global=$(unset DOCKER_CONTEXT; docker context show)"
command dctx use prod 2>&1; echo "status=$?"
"#;
    let out = run_ok(
        sandbox
            .command("bash")
            .args(["--norc", "-c", script])
            .env("PATH", dctx_tests::path_with_dctx()),
    );
    assert!(
        out.contains(
            "DOCKER_HOST=tcp://10.9.9.9 is set in this shell and overrides it: \
             docker still goes to tcp://10.9.9.9:2375; `dctx use --unset-host staging`"
        ),
        "{out}"
    );
    assert!(out.contains("ctx=staging host=tcp://10.9.9.9\n"), "{out}");
    assert!(out.contains("ctx=staging host=unset\n"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("prod ") && l.contains("tcp://10.0.0.1:2375")),
        "the list, in aligned columns: {out}"
    );
    assert!(out.contains("status=1\nglobal=staging\n"), "{out}");
    assert!(out.contains("only the shell function can do"), "{out}");
    assert!(out.ends_with("status=1\n"), "{out}");
}

/// The shell functions evaluate what `dctx use --emit SHELL …` prints, so
/// `dctx use --help` (or `-h`) must print nothing there: the help
/// goes to stderr, and stdout, empty, runs nothing.
#[test]
fn help_under_emit_is_never_shell_code() {
    let sandbox = Sandbox::new();
    for shell in ["bash", "zsh", "fish"] {
        for flag in ["--help", "-h"] {
            let out = dctx_tests::run(sandbox.dctx("dctx").args(["use", "--emit", shell, flag]));
            assert!(out.status.success(), "{shell} {flag}: {out:?}");
            assert_eq!(dctx_tests::text(&out.stdout), "", "{shell} {flag}");
            assert!(
                dctx_tests::text(&out.stderr).contains("dctx"),
                "{shell} {flag}: {out:?}"
            );
        }
    }
}
