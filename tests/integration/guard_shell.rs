//! The guard's shell side and its binary's edges: the `docker` functions'
//! fast path (builtins only, no `dctx guard` for certainly read-only
//! lines) held against the guard's own decision over lines generated from
//! the real CLI's command tree; the function's routing, words and status;
//! a `docker` on PATH that leads back to the guard; confirm mode's
//! question on a terminal; and `dctx guard log` as a terminal shows it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use dctx_tests::{bin_dir, require_tool, run, run_bounded, run_ok, text, Hooked, Sandbox};

/// What `dctx_core::guard::REFUSED_STATUS` documents.
const REFUSED: i32 = 77;

/// The sections of `docker --help` and `docker <mgmt> --help` that list
/// commands: `  name[*]   description` lines under a `…Commands:` heading.
fn listed_commands(help: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_commands = false;
    for line in help.lines() {
        if line.ends_with("Commands:") {
            in_commands = true;
            continue;
        }
        if !line.starts_with("  ") {
            in_commands = false;
            continue;
        }
        if in_commands {
            if let Some(word) = line.split_whitespace().next() {
                out.push(word.trim_end_matches('*').to_string());
            }
        }
    }
    out
}

/// `docker … --help`'s `Aliases:` line, as word lists after `docker`.
fn aliases(help: &str) -> Vec<Vec<String>> {
    let mut lines = help.lines().skip_while(|l| l.trim() != "Aliases:");
    lines.next();
    lines
        .next()
        .map(|l| {
            l.split(',')
                .filter_map(|a| a.trim().strip_prefix("docker "))
                .map(|a| a.split(' ').map(str::to_string).collect())
                .collect()
        })
        .unwrap_or_default()
}

/// Every command path of the installed CLI, aliases included, plus the
/// plugins dctx reads (compose, buildx: not installed here, so their
/// subcommands are spelled out) and words that are no command.
fn command_paths(sandbox: &Sandbox) -> Vec<Vec<String>> {
    let help = |args: &[&str]| text(&run(sandbox.docker().args(args).arg("--help")).stdout);
    let mut paths: BTreeSet<Vec<String>> = BTreeSet::new();
    for top in listed_commands(&help(&[])) {
        let subs = listed_commands(&help(&[&top]));
        paths.insert(vec![top.clone()]);
        for sub in subs {
            paths.extend(aliases(&help(&[&top, &sub])));
            paths.insert(vec![top.clone(), sub]);
        }
    }
    assert!(
        paths.len() > 100 && paths.contains(&vec!["rmi".to_string()]),
        "the CLI's help did not list its commands: {paths:?}"
    );
    for (plugin, subs) in [
        (
            "compose",
            &[
                "config", "down", "images", "kill", "logs", "ls", "ps", "rm", "stop", "top", "up",
                "version",
            ][..],
        ),
        ("buildx", &["du", "inspect", "ls", "prune", "rm", "version"]),
    ] {
        paths.insert(vec![plugin.to_string()]);
        paths.extend(subs.iter().map(|s| vec![plugin.to_string(), s.to_string()]));
    }
    paths.insert(vec!["nosuch".into()]);
    paths.insert(vec![]);
    paths.into_iter().collect()
}

/// The lines: every path, alone and behind each spelling of a global
/// flag, with each of a few trailing arguments.
fn generated_lines(sandbox: &Sandbox) -> Vec<Vec<String>> {
    let prefixes: &[&[&str]] = &[
        &[],
        &["-c", "prod"],
        &["--context", "prod"],
        &["--context=prod"],
        &["-cprod"],
        &["-H", "unix:///nonexistent.sock"],
        &["--host=tcp://127.0.0.1:9"],
        &["-D"],
        &["-l", "debug"],
        &["--tls"],
        &["--config", "/nonexistent"],
        &["--"],
    ];
    let tails: &[&[&str]] = &[
        &[],
        &["-h"],
        &["--help"],
        &["-f"],
        &["rm"],
        &["-af"],
        &["x", "--", "rm"],
        &["--format", "{{.ID}} 'q' $x"],
    ];
    let mut lines = Vec::new();
    for path in command_paths(sandbox) {
        for prefix in prefixes {
            for tail in tails {
                let mut line: Vec<String> = prefix.iter().map(|w| w.to_string()).collect();
                line.extend(path.iter().cloned());
                line.extend(tail.iter().map(|w| w.to_string()));
                lines.push(line);
            }
        }
    }
    lines
}

fn sh_quote(w: &str) -> String {
    format!("'{}'", w.replace('\'', r"'\''"))
}

fn fish_quote(w: &str) -> String {
    format!("'{}'", w.replace('\\', r"\\").replace('\'', r"\'"))
}

/// How to start `shell` interactive on a script file (the guard's
/// functions exist in interactive shells only), and how it quotes.
fn shell_command(shell: &str, script: &Path) -> (Command, fn(&str) -> String) {
    let mut cmd = Command::new(shell);
    match shell {
        "bash" => cmd.args(["--norc", "--noprofile", "-i"]),
        "zsh" => cmd.args(["-f", "-i"]),
        _ => cmd.args(["--no-config", "-i"]),
    };
    cmd.arg(script);
    let quote = if shell == "fish" {
        fish_quote
    } else {
        sh_quote
    };
    (cmd, quote)
}

/// The rendered integration for `shell`, as `dctx init SHELL --guard`.
fn init_script(sandbox: &Sandbox, shell: &str) -> PathBuf {
    let script = run_ok(
        sandbox
            .dctx("dctx")
            .args(["init", shell, "--guard", "--no-completions"]),
    );
    let path = sandbox.path().join(format!("init.{shell}"));
    std::fs::write(&path, script).unwrap();
    path
}

/// For each line, whether `shell`'s pre-check lets it skip the guard: one
/// shell run for all of them, one `0`/`1` per line.
fn fast_pathed_in(sandbox: &Sandbox, shell: &str, lines: &[Vec<String>]) -> Vec<bool> {
    let init = init_script(sandbox, shell);
    let script_path = sandbox.path().join(format!("check.{shell}"));
    let (_, quote) = shell_command(shell, &script_path);
    // The answers go to a file: `run_bounded` reads the pipes only once
    // the shell is done, and they would fill one.
    let answers_path = sandbox.path().join(format!("answers.{shell}"));
    let answers_file = quote(&answers_path.to_string_lossy());
    let mut script = format!("source {}\n", quote(&init.to_string_lossy()));
    let status = if shell == "fish" { "$status" } else { "$?" };
    script.push_str(&if shell == "fish" {
        "begin\n".to_string()
    } else {
        format!("exec >{answers_file}\n")
    });
    for line in lines {
        let words: Vec<String> = line.iter().map(|w| quote(w)).collect();
        script.push_str(&format!(
            "__dctx_docker_read_only {}; echo \"fast={status}\"\n",
            words.join(" ")
        ));
    }
    if shell == "fish" {
        script.push_str(&format!("end >{answers_file}\n"));
    }
    script.push_str("exit 0\n");
    std::fs::write(&script_path, script).unwrap();
    let (mut cmd, _) = shell_command(shell, &script_path);
    let out = run_bounded(
        sandbox_env(sandbox, &mut cmd).env("PATH", dctx_tests::path_with_dctx()),
        Duration::from_secs(120),
    );
    let answers: Vec<bool> = std::fs::read_to_string(&answers_path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.strip_prefix("fast="))
        .map(|s| s.trim() == "0")
        .collect();
    assert_eq!(
        answers.len(),
        lines.len(),
        "{shell} did not answer for every line: {}",
        text(&out.stderr)
    );
    answers
}

/// `cmd` seeing only the sandbox, like `Sandbox::command`.
fn sandbox_env<'a>(sandbox: &Sandbox, cmd: &'a mut Command) -> &'a mut Command {
    cmd.env_clear()
        .env("HOME", sandbox.home())
        .env("XDG_CONFIG_HOME", sandbox.path().join("xdg-config"))
        .env("XDG_STATE_HOME", sandbox.path().join("xdg-state"))
        .env("XDG_RUNTIME_DIR", sandbox.path().join("runtime"))
        .env("LANG", "C.UTF-8")
        .env("DCTX_NO_AUTOSTART", "1")
        .current_dir(sandbox.path())
        .stdin(std::process::Stdio::null())
}

/// `destructive` in `dctx guard --explain --json` for each line, asked
/// by a few threads at once.
fn destructive(sandbox: &Sandbox, lines: &[&Vec<String>]) -> Vec<bool> {
    // What `Sandbox::dctx` sets, for threads (a sandbox stays on its own).
    let template = sandbox.dctx("dctx");
    let envs: Vec<(std::ffi::OsString, std::ffi::OsString)> = template
        .get_envs()
        .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned())))
        .collect();
    let dir = sandbox.path().to_path_buf();
    let ask = |line: &Vec<String>| -> bool {
        let out = run(Command::new(bin_dir().join("dctx"))
            .env_clear()
            .envs(envs.iter().map(|(k, v)| (k, v)))
            .current_dir(&dir)
            .stdin(std::process::Stdio::null())
            .args(["guard", "--explain", "--json", "--"])
            .args(line.iter()));
        assert!(out.status.success(), "{line:?}: {}", text(&out.stderr));
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        v["destructive"].as_bool().expect("destructive")
    };
    let per = lines.len().div_ceil(4).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = lines
            .chunks(per)
            .map(|group| scope.spawn(|| group.iter().map(|l| ask(l)).collect::<Vec<bool>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    })
}

/// Every line a shell lets skip the guard is one the guard itself calls
/// not destructive; every shell takes the same lines; and the generated
/// lines do hold destructive ones (which the shells send to the guard).
#[test]
fn the_fast_path_never_skips_a_destructive_line() {
    if !require_tool("docker", "guard fast path test") {
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.create_contexts(&[("prod", "unix:///nonexistent/prod.sock")]);
    run_ok(sandbox.docker().args(["context", "use", "prod"]));
    let lines = generated_lines(&sandbox);
    let mut answers: Option<(String, Vec<bool>)> = None;
    for shell in ["bash", "zsh", "fish"] {
        if !require_tool(shell, "guard fast path test") {
            continue;
        }
        let fast = fast_pathed_in(&sandbox, shell, &lines);
        if let Some((first, theirs)) = &answers {
            let differ: Vec<&Vec<String>> = lines
                .iter()
                .zip(fast.iter().zip(theirs))
                .filter(|(_, (a, b))| a != b)
                .map(|(l, _)| l)
                .collect();
            assert!(
                differ.is_empty(),
                "{shell} and {first} differ on {differ:?}"
            );
        } else {
            answers = Some((shell.to_string(), fast));
        }
    }
    let Some((_, fast)) = answers else { return };
    let skipped: Vec<&Vec<String>> = lines
        .iter()
        .zip(&fast)
        .filter(|(_, f)| **f)
        .map(|(l, _)| l)
        .collect();
    assert!(
        skipped.len() > 100 && skipped.iter().all(|l| !l[0].starts_with('-')),
        "{} lines skip the guard: {skipped:?}",
        skipped.len()
    );
    let wrong: Vec<&&Vec<String>> = skipped
        .iter()
        .zip(destructive(&sandbox, &skipped))
        .filter(|(_, d)| *d)
        .map(|(l, _)| l)
        .collect();
    assert!(
        wrong.is_empty(),
        "destructive lines that skip the guard: {wrong:?}"
    );
    // The lines that reach the guard: the bare commands among them hold
    // destructive ones, so the check above had something to miss.
    let guarded_bare: Vec<&Vec<String>> = lines
        .iter()
        .zip(&fast)
        .filter(|(l, f)| !**f && l.len() <= 2 && l.first().is_some_and(|w| !w.starts_with('-')))
        .map(|(l, _)| l)
        .collect();
    let n = destructive(&sandbox, &guarded_bare)
        .into_iter()
        .filter(|d| *d)
        .count();
    assert!(n >= 20, "only {n} destructive lines among {guarded_bare:?}");
}

/// A script named `name` in `dir` that prints its tag and words and exits
/// with `status`.
fn recorder(dir: &Path, name: &str, tag: &str, status: i32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!("#!/bin/sh\nprintf '{tag}'\nfor a in \"$@\"; do printf '[%s]' \"$a\"; done\necho\nexit {status}\n"),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The `docker` function itself: a read-only line runs the docker on PATH
/// with its words exactly and hands back its status; anything else runs
/// `dctx guard -- WORDS` (here a recorder in `__DCTX_BIN`'s place).
#[test]
fn the_docker_function_routes_with_exact_words_and_status() {
    let sandbox = Sandbox::new();
    let bin = sandbox.path().join("bin");
    recorder(&bin, "docker", "direct", 3);
    let guard = recorder(&sandbox.path().join("g"), "guard", "guard", 5);
    for shell in ["bash", "zsh", "fish"] {
        if !require_tool(shell, "guard routing test") {
            continue;
        }
        let init = init_script(&sandbox, shell);
        let script_path = sandbox.path().join(format!("route.{shell}"));
        let (_, quote) = shell_command(shell, &script_path);
        // The user's options must not change what the functions do.
        let (set_bin, status) = match shell {
            "fish" => (
                format!("set -g __dctx_bin {}", quote(&guard.to_string_lossy())),
                "$status",
            ),
            "zsh" => (
                format!(
                    "__DCTX_BIN={}\nsetopt ksh_arrays sh_word_split no_unset glob_subst rc_expand_param",
                    quote(&guard.to_string_lossy())
                ),
                "$?",
            ),
            _ => (
                format!(
                    "__DCTX_BIN={}\nset -u; shopt -s failglob nullglob extglob",
                    quote(&guard.to_string_lossy())
                ),
                "$?",
            ),
        };
        let script = format!(
            "source {init}\n{set_bin}\n\
             docker ps 'a b' '' '*' '$HOME'; echo rc={status}\n\
             docker container ls -q; echo rc={status}\n\
             docker rm -f x; echo rc={status}\n\
             docker -c prod ps; echo rc={status}\n\
             docker; echo rc={status}\n\
             docker container; echo rc={status}\n",
            init = quote(&init.to_string_lossy())
        );
        std::fs::write(&script_path, script).unwrap();
        let (mut cmd, _) = shell_command(shell, &script_path);
        let path = format!("{}:{}", bin.display(), dctx_tests::path_with_dctx());
        let out = run_bounded(
            sandbox_env(&sandbox, &mut cmd).env("PATH", path),
            Duration::from_secs(60),
        );
        let said: Vec<String> = text(&out.stdout)
            .lines()
            .filter(|l| l.starts_with("direct") || l.starts_with("guard") || l.starts_with("rc="))
            .map(str::to_string)
            .collect();
        // fish's function also asks for suggestions quoted for fish.
        let guard = if shell == "fish" {
            "guard[guard][--fish]"
        } else {
            "guard[guard]"
        };
        assert_eq!(
            said,
            [
                "direct[ps][a b][][*][$HOME]".to_string(),
                "rc=3".into(),
                "direct[container][ls][-q]".into(),
                "rc=3".into(),
                format!("{guard}[--][rm][-f][x]"),
                "rc=5".into(),
                format!("{guard}[--][-c][prod][ps]"),
                "rc=5".into(),
                format!("{guard}[--]"),
                "rc=5".into(),
                format!("{guard}[--][container]"),
                "rc=5".into(),
            ],
            "{shell}: {}",
            text(&out.stderr)
        );
    }
}

/// A `docker` first on PATH that runs the guard again, with or without
/// exec, and behind the shim: refused at once with a clear message, never
/// a loop. A real docker that runs `docker` in turn (a plugin, a helper)
/// is nesting, and still works.
#[test]
fn a_docker_that_leads_back_to_the_guard_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::new();
    let dctx = bin_dir().join("dctx");
    let shim = sandbox.path().join("shim");
    run_ok(sandbox.dctx("dctx").args(["guard", "shim"]).arg(&shim));
    for (name, body) in [
        ("exec", format!("exec '{}' guard -- \"$@\"", dctx.display())),
        ("child", format!("'{}' guard -- \"$@\"", dctx.display())),
        (
            "subshell",
            format!("( '{}' guard -- \"$@\" ); exit $?", dctx.display()),
        ),
    ] {
        let dir = sandbox.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let wrapper = dir.join("docker");
        std::fs::write(&wrapper, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = format!("{}:{}", dir.display(), std::env::var("PATH").unwrap());
        for through_shim in [false, true] {
            let mut cmd = if through_shim {
                let mut c = sandbox.command(shim.join("docker"));
                c.env("PATH", format!("{}:{path}", shim.display()));
                c
            } else {
                let mut c = sandbox.dctx("dctx");
                c.args(["guard", "--"]).env("PATH", &path);
                c
            };
            let out = run_bounded(cmd.args(["ps", "-a"]), Duration::from_secs(60));
            let stderr = text(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(127),
                "{name} {through_shim}: {stderr}"
            );
            assert!(
                stderr.contains(&format!(
                    "dctx guard: the docker on PATH ({}) leads back to the guard",
                    wrapper.display()
                )),
                "{name} {through_shim}: {stderr}"
            );
            assert_eq!(
                stderr.matches("leads back").count(),
                1,
                "{name}: said once, by the first guard that saw it: {stderr}"
            );
        }
    }

    // Nesting: the real docker (here a copy of sh, a binary named docker)
    // runs `docker` again, through the shim: the marked process is the
    // real docker, so the inner guard runs it.
    let real = sandbox.path().join("real");
    std::fs::create_dir_all(&real).unwrap();
    std::fs::copy("/bin/sh", real.join("docker")).unwrap();
    let path = format!(
        "{}:{}:{}",
        shim.display(),
        real.display(),
        std::env::var("PATH").unwrap()
    );
    let out = run_bounded(
        sandbox
            .command(shim.join("docker"))
            // Not one simple command, which sh would exec in its own place.
            .args(["-c", "docker -c 'echo nested-ran'; exit $?"])
            .env("PATH", path),
        Duration::from_secs(60),
    );
    assert_eq!(
        (out.status.code(), text(&out.stdout).trim()),
        (Some(0), "nested-ran"),
        "{}",
        text(&out.stderr)
    );
}

/// `mode = "confirm"` on a terminal: keys typed ahead of the question do
/// not answer it, the question says "confirm", and a wrong answer runs
/// nothing and says so.
#[test]
fn confirm_mode_ignores_typeahead_and_says_when_nothing_ran() {
    let sandbox = Sandbox::new();
    let prod =
        dctx_tests::engine::FakeEngine::unix(&sandbox.path().join("prod.sock"), "prod-engine");
    sandbox.create_contexts(&[("prod", prod.endpoint())]);
    let Some(h) = Hooked::start(&sandbox, "bash", "") else {
        return;
    };
    let settings = sandbox.path().join("xdg-config/dctx/config.toml");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    std::fs::write(&settings, "[guard]\nmode = \"confirm\"\n").unwrap();
    h.tmux.type_line("eval \"$(dctx init bash --guard)\"");
    // The command and, in the same burst, the name: typed ahead, before
    // the guard asked anything.
    h.tmux.run(&[
        "send-keys",
        "-t",
        "t",
        "-l",
        "DOCKER_CONTEXT=prod docker system prune -af; echo rc=$?\rprod\r",
    ]);
    dctx_tests::wait_for("the question", Duration::from_secs(30), || {
        h.tmux.screen().contains("type the context's name")
    });
    let screen = h.tmux.screen();
    assert!(
        screen.contains("dctx guard: confirm: docker system prune -af"),
        "{screen}"
    );
    assert!(!screen.contains("dctx guard: refused"), "{screen}");
    assert!(
        !screen.contains("rc=0") && !screen.contains(&format!("rc={REFUSED}")),
        "the typeahead answered: {screen}"
    );
    h.tmux.type_line("prd");
    dctx_tests::wait_for("the refusal", Duration::from_secs(30), || {
        h.tmux.screen().contains(&format!("rc={REFUSED}"))
    });
    let screen = h.tmux.screen();
    assert!(
        screen.contains("dctx guard: not confirmed: nothing ran"),
        "{screen}"
    );
    assert_eq!(prod.writes(), Vec::<String>::new());
}

/// `dctx guard log`: with USER unset the user is the uid's name in
/// /etc/passwd; hostile words are shown escaped; `-n 0` prints nothing.
#[test]
fn the_log_names_the_user_and_shows_hostile_words_escaped() {
    let sandbox = Sandbox::new();
    sandbox.create_contexts(&[("prod", "unix:///nonexistent/prod.sock")]);
    let hostile = "x\u{202e}txt.exe\u{200b}\u{1b}[2J";
    let out = run(sandbox
        .dctx("dctx")
        .args(["guard", "--", "rm", "-f", hostile])
        .env("DOCKER_CONTEXT", "prod"));
    assert_eq!(out.status.code(), Some(REFUSED), "{}", text(&out.stderr));

    let json = run_ok(sandbox.dctx("dctx").args(["guard", "log", "--json"]));
    let record: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    let uid = dctx_ipc::paths::euid().to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    let name = passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[2] == uid)
        .map(|f| f[0].to_string())
        .expect("this uid in /etc/passwd");
    assert_eq!(record["user"], name.as_str(), "{json}");
    assert_eq!(record["argv"][2], hostile);

    let shown = run_ok(sandbox.dctx("dctx").args(["guard", "log"]));
    for c in ['\u{202e}', '\u{200b}', '\u{1b}'] {
        assert!(!shown.contains(c), "{c:?} reached the terminal: {shown:?}");
    }
    assert!(shown.contains(r"x\u{202e}txt.exe\u{200b}"), "{shown}");
    assert!(shown.contains(&format!("refused  {name}  prod")), "{shown}");

    for args in [
        &["guard", "log", "-n", "0"][..],
        &["guard", "log", "-n", "0", "--json"],
    ] {
        let out = run(sandbox.dctx("dctx").args(args));
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "", "{args:?}");
    }
}

/// `mode = "confirm"` with the daemon probing the target: the question
/// names the engine its last probe saw, and the name typed runs the
/// command there.
#[test]
fn confirm_mode_names_the_probed_engine() {
    let sandbox = Sandbox::new();
    let prod =
        dctx_tests::engine::FakeEngine::unix(&sandbox.path().join("prod.sock"), "prod-engine");
    sandbox.create_contexts(&[("prod", prod.endpoint())]);
    let settings = sandbox.path().join("xdg-config/dctx/config.toml");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    std::fs::write(
        &settings,
        "[guard]\nmode = \"confirm\"\n[engine]\nprobe = true\ninterval_s = 0.2\ntimeout_s = 10\n",
    )
    .unwrap();
    let _daemon = dctx_tests::Daemon::start(&sandbox);
    let Some(h) = Hooked::start(&sandbox, "bash", "export DOCKER_CONTEXT=prod") else {
        return;
    };
    h.tmux.type_line("eval \"$(dctx init bash --guard)\"");
    // The shell's prompts tell the daemon that prod is in use: it probes.
    dctx_tests::wait_for("a probe of prod", Duration::from_secs(60), || {
        h.tmux.type_line("");
        let out = run(sandbox
            .dctx("dctx")
            .arg("inspect")
            .env("DOCKER_CONTEXT", "prod"));
        serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .is_ok_and(|v| v["engine"]["id"] == "ID-prod-engine")
    });
    h.tmux.type_line("docker system prune -af; echo rc=$?");
    dctx_tests::wait_for("the question", Duration::from_secs(30), || {
        h.tmux.screen().contains("type the context's name")
    });
    let screen = h.tmux.screen();
    assert!(
        screen.contains("  engine:  prod-engine, ID ID-prod-engine, last probed"),
        "{screen}"
    );
    assert!(!prod.wrote("/prune"), "{:?}", prod.writes());
    h.tmux.type_line("prod");
    dctx_tests::wait_for("the prune", Duration::from_secs(30), || {
        h.tmux.screen().contains("rc=0")
    });
    assert!(prod.wrote("/containers/prune"), "{:?}", prod.writes());
}
