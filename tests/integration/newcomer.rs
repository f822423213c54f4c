//! What a newcomer meets in the first hour: completions that work however
//! `.zshrc` is ordered and offer no internal flags, the tmux plugin's
//! `@dctx-show-default` keeping an override visible, `dctx ls` and
//! `dctx use` telling the truth, and `dctx uninstall`.

use std::time::Duration;

use dctx_tests::{bin_dir, path_with_dctx, require_tool, run_ok, wait_for, Daemon, Sandbox, Tmux};

const PATIENCE: Duration = Duration::from_secs(10);

/// A zsh (no rc files) in tmux with dctx on PATH and the prompt `> `.
fn zsh<'a>(sandbox: &'a Sandbox, label: &str) -> Option<Tmux<'a>> {
    for tool in ["tmux", "zsh", "docker"] {
        if !require_tool(tool, "zsh completion test") {
            return None;
        }
    }
    let tmux = Tmux::start(
        sandbox,
        label,
        &format!("env PATH='{}' zsh -f -i", path_with_dctx()),
    );
    tmux.type_line("PROMPT='> '");
    Some(tmux)
}

/// Types `typed` and a Tab, and waits for the screen's last line to be
/// `expected` (what completion made of it).
fn tab(tmux: &Tmux, typed: &str, expected: &str) {
    tmux.run(&["send-keys", "-t", "t", "-l", typed]);
    tmux.run(&["send-keys", "-t", "t", "Tab"]);
    wait_for(
        &format!("{typed:?} completed to {expected:?}"),
        PATIENCE,
        || tmux.last_line().trim_end() == expected,
    );
    tmux.run(&["send-keys", "-t", "t", "C-u"]);
}

/// Waits for a line reading `marker` on the screen, after typing `echo marker`.
fn settle(tmux: &Tmux, marker: &str) {
    tmux.type_line(&format!("echo {marker}"));
    let start = std::time::Instant::now();
    while !tmux.screen().lines().any(|l| l.trim_end() == marker) {
        assert!(
            start.elapsed() < PATIENCE,
            "no {marker} after {PATIENCE:?}:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The README's order and its reverse: completions work whether compinit
/// runs before `dctx init zsh` or after it.
#[test]
fn zsh_completes_whether_compinit_runs_before_or_after_init() {
    let sandbox = Sandbox::new();
    sandbox.create_contexts(&[("staging", "tcp://10.0.0.2:2376")]);
    for (label, lines) in [
        (
            "zc-after",
            [
                "eval \"$(dctx init zsh)\"",
                "autoload -Uz compinit && compinit -u",
            ],
        ),
        (
            "zc-before",
            [
                "autoload -Uz compinit && compinit -u",
                "eval \"$(dctx init zsh)\"",
            ],
        ),
    ] {
        let Some(tmux) = zsh(&sandbox, label) else {
            return;
        };
        for line in lines {
            tmux.type_line(line);
        }
        // A prompt has been drawn since both ran.
        settle(&tmux, "ready-one");
        settle(&tmux, "ready-two");
        tab(&tmux, "dctx comp", "> dctx completions");
        tab(&tmux, "dctx use sta", "> dctx use staging");
        tab(
            &tmux,
            "dctx-prompt --show-d",
            "> dctx-prompt --show-default",
        );
    }
}

/// `dctx completions zsh` is a `_dctx` for a directory in `fpath`: its
/// first line names both commands, and autoloaded it completes both.
#[test]
fn zsh_completions_autoload_from_fpath() {
    let sandbox = Sandbox::new();
    sandbox.create_contexts(&[("staging", "tcp://10.0.0.2:2376")]);
    let Some(tmux) = zsh(&sandbox, "zc-fpath") else {
        return;
    };
    let script = run_ok(sandbox.dctx("dctx").args(["completions", "zsh"]));
    assert_eq!(
        script.lines().next(),
        Some("#compdef dctx dctx-prompt"),
        "{script}"
    );
    let dir = sandbox.home().join("zfunc");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("_dctx"), &script).unwrap();
    tmux.type_line(&format!(
        "fpath=('{}' $fpath); autoload -Uz compinit && compinit -u",
        dir.display()
    ));
    settle(&tmux, "ready");
    tab(&tmux, "dctx comp", "> dctx completions");
    tab(&tmux, "dctx-prompt --no-d", "> dctx-prompt --no-daemon");
    tab(&tmux, "dctx use sta", "> dctx use staging");
}

/// The flags only `dctx init`'s functions pass are not offered: listing
/// every flag of `dctx use` and `dctx-prompt` with Tab Tab in bash and zsh
/// shows the documented ones and none of the hidden.
#[test]
fn completion_offers_no_internal_flags() {
    let sandbox = Sandbox::new();
    let hidden = [
        "--emit",
        "--previous",
        "--serve",
        "--keep",
        "--frame",
        "--shell-pidfd",
    ];
    for shell in ["bash", "zsh"] {
        for tool in ["tmux", shell] {
            if !require_tool(tool, "completion flag test") {
                return;
            }
        }
        let command = match shell {
            "bash" => "bash --noprofile --norc -i",
            _ => "zsh -f -i",
        };
        let tmux = Tmux::start(
            &sandbox,
            &format!("flags-{shell}"),
            &format!("env PATH='{}' {command}", path_with_dctx()),
        );
        tmux.type_line("PS1='> ' PROMPT='> '");
        if shell == "zsh" {
            tmux.type_line("autoload -Uz compinit && compinit -u");
        }
        tmux.type_line(&format!("eval \"$(dctx init {shell})\""));
        settle(&tmux, "ready");
        for (line, shown) in [
            ("dctx use --", "--unset-host"),
            ("dctx-prompt --", "--show-default"),
        ] {
            // Only what follows this marker is this line's listing.
            let marker = format!("listing-{}", line.len());
            settle(&tmux, &marker);
            let listing = || {
                let screen = tmux.screen();
                let at = screen.rfind(&format!("\n{marker}\n")).unwrap_or(0);
                screen[at..].to_string()
            };
            tmux.run(&["send-keys", "-t", "t", "-l", line]);
            tmux.run(&["send-keys", "-t", "t", "Tab"]);
            tmux.run(&["send-keys", "-t", "t", "Tab"]);
            wait_for(
                &format!("{shell}: the flags after {line:?}"),
                PATIENCE,
                || listing().contains(shown),
            );
            let screen = listing();
            for flag in hidden {
                // `--serve` must not be offered, nor `--serve-fifos`.
                assert!(
                    !screen
                        .split(|c: char| c.is_whitespace() || c == '=')
                        .any(|w| w == flag || w == format!("{flag}-fifos")),
                    "{shell} offers {flag} after {line:?}:\n{screen}"
                );
            }
            tmux.run(&["send-keys", "-t", "t", "C-e"]);
            tmux.run(&["send-keys", "-t", "t", "C-u"]);
        }
    }
}

/// With `@dctx-show-default on`, a pane that exported DOCKER_HOST still
/// shows the host the override goes to (not a plain `default`), the local
/// default shows as `default`, and `@dctx-suffix` leaves no separator
/// while the context is hidden.
#[test]
fn tmux_show_default_keeps_an_override_visible() {
    for tool in ["tmux", "docker", "bash"] {
        if !require_tool(tool, "tmux show-default test") {
            return;
        }
    }
    let sandbox = Sandbox::new();
    let _daemon = Daemon::start(&sandbox);
    let inner = Tmux::start(&sandbox, "showdef", "bash --noprofile --norc -i");
    inner.load_plugin(&[
        ("status-interval", "0"),
        ("status-right-length", "80"),
        ("status-right", "#{docker_context}END"),
        ("@dctx-show-default", "on"),
        ("@dctx-suffix", " | "),
    ]);
    inner.type_line(&format!(
        "eval \"$('{}' init bash)\"",
        bin_dir().join("dctx").display()
    ));
    inner.type_line("export DOCKER_HOST=tcp://10.9.9.9:2375");
    let outer = Tmux::start(
        &sandbox,
        "showdef-view",
        &format!("tmux -L {} attach -t t", inner.name),
    );
    wait_for("the override's host", PATIENCE, || {
        outer
            .last_line()
            .trim_end()
            .ends_with("tcp://10.9.9.9:2375 | END")
    });
    // Styled as an override (bold yellow by default), not as a plain name.
    let styled = outer.styled_line(&["tcp://10.9.9.9:2375"]);
    assert!(styled.contains("\u{1b}[1m"), "{styled:?}");

    inner.type_line("unset DOCKER_HOST");
    wait_for("the local default, shown", PATIENCE, || {
        outer.last_line().trim_end().ends_with(" default | END")
    });

    // Hidden again: no dangling separator.
    inner.load_plugin(&[
        ("status-right", "#{docker_context}END"),
        ("@dctx-show-default", "off"),
    ]);
    inner.run(&["refresh-client", "-S"]);
    wait_for("the default hidden, with its separator", PATIENCE, || {
        let line = outer.last_line();
        line.trim_end().ends_with("END") && !line.contains('|') && !line.contains("default")
    });
}

/// `dctx-prompt --show-default` by itself: the local default in the
/// settings' format, an override exactly as without the flag.
#[test]
fn prompt_show_default_changes_only_the_hidden_default() {
    let sandbox = Sandbox::new();
    let prompt = |args: &[&str], host: Option<&str>| {
        let mut cmd = sandbox.dctx("dctx-prompt");
        cmd.args(args);
        if let Some(host) = host {
            cmd.env("DOCKER_HOST", host);
        }
        run_ok(&mut cmd)
    };
    assert_eq!(prompt(&[], None), "");
    assert_eq!(prompt(&["--show-default"], None), "default");
    assert_eq!(
        prompt(&["--show-default", "--suffix", " | "], None),
        "default | "
    );
    assert_eq!(prompt(&["--suffix", " | "], None), "");
    let host = "tcp://10.9.9.9:2375";
    for shell in ["plain", "tmux", "zsh"] {
        assert_eq!(
            prompt(&["--shell", shell, "--show-default"], Some(host)),
            prompt(&["--shell", shell], Some(host)),
        );
    }
    // The suffix is escaped like the segment: no tmux markup from it.
    assert_eq!(
        prompt(
            &["--shell", "tmux", "--show-default", "--suffix", "#[bold]"],
            None
        ),
        "default##[bold]"
    );
}

/// Every file under `dir`, with its contents, for "nothing changed here".
fn snapshot(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push((path.clone(), std::fs::read(&path).unwrap_or_default()));
            }
        }
    }
    files.sort();
    files
}

/// `dctx uninstall --dry-run` changes nothing and says what it would do;
/// `dctx uninstall` stops the daemon and a shell's helper, removes the
/// shim links and the systemd units, lists the startup lines that load
/// dctx by file and line, and leaves Docker's files alone.
#[test]
fn uninstall_undoes_what_dctx_set_up() {
    let sandbox = Sandbox::new();
    sandbox.create_contexts(&[("staging", "tcp://10.0.0.2:2376")]);
    let daemon = Daemon::start(&sandbox);
    let Some(hooked) = dctx_tests::Hooked::start(&sandbox, "bash", "") else {
        return;
    };
    hooked.tmux.expect_prompt("<|0>");
    let runtime = sandbox.path().join("runtime").join("dctx");
    wait_for("the shell's helper dir", PATIENCE, || {
        std::fs::read_dir(runtime.join("shells")).is_ok_and(|mut d| d.next().is_some())
    });

    let shim = sandbox.home().join("shim");
    run_ok(sandbox.dctx("dctx").args(["guard", "shim"]).arg(&shim));
    let units = sandbox.path().join("xdg-config/systemd/user");
    std::fs::create_dir_all(&units).unwrap();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for unit in ["dctx.socket", "dctx.service"] {
        std::fs::copy(
            repo.join("crates/dctx-daemon/systemd").join(unit),
            units.join(unit),
        )
        .unwrap();
    }
    std::fs::write(
        sandbox.home().join(".bashrc"),
        "export EDITOR=vi\n# dctx init bash, once\n  eval \"$(dctx init bash --guard)\"\n",
    )
    .unwrap();
    let fish = sandbox.path().join("xdg-config/fish");
    std::fs::create_dir_all(&fish).unwrap();
    std::fs::write(fish.join("config.fish"), "dctx init fish | source\n").unwrap();
    let docker_before = snapshot(&sandbox.home_docker());
    let exists = |p: &std::path::Path| p.symlink_metadata().is_ok();
    let answers = || std::os::unix::net::UnixStream::connect(sandbox.socket()).is_ok();

    let dry = run_ok(sandbox.dctx("dctx").args(["uninstall", "--dry-run"]));
    for expected in [
        "would stop the dctx daemon (pid ",
        "would stop the prompt helper ",
        &format!(
            "would remove the guard's shim {}",
            shim.join("docker").display()
        ),
        &format!("would remove {}", units.join("dctx.socket").display()),
        &format!(
            "{}:3: eval \"$(dctx init bash --guard)\"",
            sandbox.home().join(".bashrc").display()
        ),
        &format!(
            "{}:1: dctx init fish | source",
            fish.join("config.fish").display()
        ),
    ] {
        assert!(dry.contains(expected), "{expected:?} missing from:\n{dry}");
    }
    assert!(
        !dry.contains(":2:"),
        "a comment is no line to delete:\n{dry}"
    );
    assert!(exists(&shim.join("docker")) && exists(&units.join("dctx.service")) && answers());

    let done = run_ok(sandbox.dctx("dctx").arg("uninstall"));
    let helper: u32 = done
        .lines()
        .find_map(|l| l.strip_prefix("stopped the prompt helper "))
        .and_then(|rest| rest.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no helper stopped:\n{done}"));
    wait_for("the helper to exit", PATIENCE, || {
        !std::path::Path::new(&format!("/proc/{helper}")).exists()
            || std::fs::read_to_string(format!("/proc/{helper}/stat")).is_ok_and(|s| {
                s.rsplit(')')
                    .next()
                    .unwrap_or("")
                    .trim_start()
                    .starts_with('Z')
            })
    });
    assert!(!answers(), "the daemon still answers:\n{done}");
    for gone in [
        shim.join("docker"),
        shim.join("docker-compose"),
        units.join("dctx.socket"),
        units.join("dctx.service"),
    ] {
        assert!(!exists(&gone), "{} is still there:\n{done}", gone.display());
    }
    assert!(done.contains(":3: eval"), "{done}");
    assert_eq!(snapshot(&sandbox.home_docker()), docker_before);
    drop(daemon);
}

/// A shell whose dctx was uninstalled under it (the helper stopped, the
/// binaries deleted) says so once, not at every prompt, and its prompt
/// shows no segment and no error.
#[test]
fn a_shell_whose_dctx_is_gone_says_so_once() {
    let sandbox = Sandbox::new();
    for shell in ["bash", "zsh", "fish"] {
        for tool in ["tmux", shell] {
            if !require_tool(tool, "uninstalled-under-the-shell test") {
                return;
            }
        }
        // A copy of the binaries that can be deleted.
        let bin = sandbox.path().join(format!("bin-{shell}"));
        std::fs::create_dir_all(&bin).unwrap();
        for name in ["dctx", "dctx-prompt"] {
            std::fs::copy(bin_dir().join(name), bin.join(name)).unwrap();
        }
        let (command, prompt, init, export) = match shell {
            "bash" | "zsh" => (
                if shell == "bash" { "bash --noprofile --norc -i" } else { "zsh -f -i" },
                "PS1='<${DCTX_SEGMENT}|$?> ' PROMPT='<${DCTX_SEGMENT}|%?> '; setopt prompt_subst 2>/dev/null",
                format!("eval \"$(dctx init {shell})\""),
                "export DOCKER_HOST=",
            ),
            _ => (
                "fish --no-config -i",
                "function fish_prompt; printf '<%s|%s> ' \"$DCTX_SEGMENT\" $status; end",
                "dctx init fish | source".to_string(),
                "set -gx DOCKER_HOST ",
            ),
        };
        let tmux = Tmux::start(
            &sandbox,
            &format!("gone-{shell}"),
            &format!("env PATH='{}:/usr/bin:/bin' {command}", bin.display()),
        );
        tmux.type_line(prompt);
        tmux.type_line(&init);
        tmux.type_line(&format!("{export}tcp://10.9.9.9:2375"));
        tmux.expect_prompt("<tcp://10.9.9.9:2375|0>");

        run_ok(
            sandbox
                .command(bin.join("dctx"))
                .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
                .arg("uninstall"),
        );
        std::fs::remove_dir_all(&bin).unwrap();
        for _ in 0..3 {
            tmux.type_line("true");
        }
        tmux.type_line(&format!("{export}tcp://10.8.8.8:2375"));
        tmux.type_line("echo done-here");
        wait_for("the prompts after dctx went", PATIENCE, || {
            tmux.screen().lines().any(|l| l.trim_end() == "done-here")
        });
        tmux.expect_prompt("<|0>");
        let screen = tmux.screen();
        assert_eq!(
            screen.matches("cannot run (uninstalled?)").count(),
            1,
            "{shell}:\n{screen}"
        );
    }
}
