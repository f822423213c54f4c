//! The prompt never names a context docker would not use, nobody else can
//! fake or freeze it, and no input hangs it: one test per way it was shown
//! to fail (each failed before its fix).

use std::path::Path;

use std::time::Duration;

use dctx_tests::{
    bin_dir, path_with_dctx, require_tool, run, run_bounded, run_ok, wait_for, Hooked, Sandbox,
    Tmux,
};

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
    sandbox.config_dir_with(&root.join("x/cfg"), "lexical");
    sandbox.config_dir_with(&root.join("y/cfg"), "followed");
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
        let pid = format!("--pid={}", std::process::id());
        for how in ["--no-daemon", pid.as_str()] {
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
    let mut cmd = sandbox.hooked_prompt();
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

/// Item 1: `DOCKER_CONTEXT=staging` or `DOCKER_HOST=…` typed without
/// `export` changes nothing docker sees, and so nothing the prompt shows.
fn unexported_variables_change_nothing(shell: &'static str) {
    let sandbox = Sandbox::new();
    sandbox.create_contexts(&[
        ("prod", "tcp://10.0.0.1:2375"),
        ("staging", "tcp://10.0.0.2:2375"),
    ]);
    run_ok(sandbox.docker().args(["context", "use", "prod"]));
    let _daemon = dctx_tests::Daemon::start(&sandbox);
    let Some(sh) = Hooked::start(&sandbox, shell, "") else {
        return;
    };
    sh.tmux.expect_prompt("<prod|0>");
    let (assign, export) = match shell {
        "fish" => (
            "set -g DOCKER_CONTEXT staging",
            "set -gx DOCKER_CONTEXT staging",
        ),
        _ => ("DOCKER_CONTEXT=staging", "export DOCKER_CONTEXT"),
    };
    sh.expect_after(assign, "<prod|0>");
    assert_eq!(sh.docker_says(), "prod", "{shell}: the oracle");
    sh.tmux.expect_prompt("<prod|0>");
    let host = match shell {
        "fish" => "set -g DOCKER_HOST tcp://10.9.9.9",
        _ => "DOCKER_HOST=tcp://10.9.9.9",
    };
    sh.expect_after(host, "<prod|0>");
    sh.expect_after(export, "<staging|0>");
    assert_eq!(sh.docker_says(), "staging", "{shell}: the oracle");
    let _ = sh.shell;
}

#[test]
fn bash_unexported_variables_change_nothing() {
    unexported_variables_change_nothing("bash");
}

#[test]
fn zsh_unexported_variables_change_nothing() {
    unexported_variables_change_nothing("zsh");
}

#[test]
fn fish_unexported_variables_change_nothing() {
    unexported_variables_change_nothing("fish");
}

/// Item 3: `envs/current -> envs/dev`, then `ln -sfn envs/prod
/// envs/current` with prod's config.json the older one. With the daemon
/// frozen, only the hook's own check can see it.
fn a_re_pointed_symlink_above_the_config_dir_is_seen(shell: &'static str) {
    let sandbox = Sandbox::new();
    let envs = sandbox.path().join("envs");
    sandbox.config_dir_with(&envs.join("prod"), "prod");
    sandbox.config_dir_with(&envs.join("dev"), "dev");
    let current = envs.join("current");
    std::os::unix::fs::symlink("dev", &current).unwrap();
    let daemon = dctx_tests::Daemon::start(&sandbox);
    let setup = format!("export DOCKER_CONFIG='{}'", current.display());
    let Some(sh) = Hooked::start(&sandbox, shell, &setup) else {
        return;
    };
    sh.tmux.expect_prompt("<dev|0>");
    sh.expect_after("", "<dev|0>");
    let _frozen = daemon.freeze();
    // What `ln -sfn prod envs/current` does: the link replaced in place.
    let tmp = envs.join("current.tmp");
    std::os::unix::fs::symlink("prod", &tmp).unwrap();
    std::fs::rename(&tmp, &current).unwrap();
    sh.expect_after("", "<prod|0>");
}

#[test]
fn bash_sees_a_re_pointed_symlink_above_the_config_dir() {
    a_re_pointed_symlink_above_the_config_dir_is_seen("bash");
}

#[test]
fn zsh_sees_a_re_pointed_symlink_above_the_config_dir() {
    a_re_pointed_symlink_above_the_config_dir_is_seen("zsh");
}

/// Item 4: `HOME` and `DCTX_CONFIG` changed in a running shell are used at
/// its next prompt, for the context and for the settings.
fn home_and_dctx_config_are_followed(shell: &'static str) {
    let sandbox = Sandbox::new();
    sandbox.create_contexts(&[("mine", "tcp://10.0.0.1:2375")]);
    run_ok(sandbox.docker().args(["context", "use", "mine"]));
    let other_home = sandbox.path().join("other-home");
    sandbox.config_dir_with(&other_home.join(".docker"), "theirs");
    let (a, b) = (sandbox.path().join("a.toml"), sandbox.path().join("b.toml"));
    std::fs::write(&a, "format = \"A:{name}\"\n").unwrap();
    std::fs::write(&b, "format = \"B:{name}\"\n").unwrap();
    let _daemon = dctx_tests::Daemon::start(&sandbox);
    let Some(sh) = Hooked::start(&sandbox, shell, "") else {
        return;
    };
    sh.tmux.expect_prompt("<mine|0>");
    let set = |k: &str, v: &Path| match shell {
        "fish" => format!("set -gx {k} '{}'", v.display()),
        _ => format!("export {k}='{}'", v.display()),
    };
    sh.expect_after(&set("DCTX_CONFIG", &a), "<A:mine|0>");
    sh.expect_after(&set("DCTX_CONFIG", &b), "<B:mine|0>");
    sh.expect_after(&set("HOME", &other_home), "<B:theirs|0>");
    assert_eq!(sh.docker_says(), "theirs", "{shell}: the oracle");
}

#[test]
fn bash_follows_home_and_dctx_config() {
    home_and_dctx_config_are_followed("bash");
}

#[test]
fn zsh_follows_home_and_dctx_config() {
    home_and_dctx_config_are_followed("zsh");
}

#[test]
fn fish_follows_home_and_dctx_config() {
    home_and_dctx_config_are_followed("fish");
}

/// Whether process `pid` is gone (or a zombie nobody reaped yet).
fn gone(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| s.contains(") Z "))
}

/// Item 14: the helper ends with its shell even when a background job of
/// that shell lives on (it used to inherit the helper's FIFO descriptors).
fn the_helper_exits_with_its_shell_despite_a_background_job(shell: &str) {
    if !require_tool(shell, "helper lifetime test") {
        return;
    }
    let sandbox = Sandbox::new();
    let dctx = bin_dir().join("dctx").display().to_string();
    let args: &[&str] = if shell == "zsh" {
        &["-f", "-c"]
    } else {
        &["--norc", "-c"]
    };
    let script = format!(
        "eval \"$('{dctx}' init {shell})\"; __dctx_precmd; sleep 600 >/dev/null 2>&1 & echo \"$__DCTX_HELPER_PID $! $__DCTX_DIR\"; kill -9 $$"
    );
    let tmp = sandbox.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let out = run(sandbox
        .command(shell)
        .args(args)
        .arg(&script)
        .env("TMPDIR", &tmp));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut words = stdout.split_whitespace();
    let (Some(helper), Some(job), Some(dir)) = (words.next(), words.next(), words.next()) else {
        panic!("{shell}: no helper started: {stdout:?}");
    };
    let (helper, job): (u32, u32) = (helper.parse().unwrap(), job.parse().unwrap());
    assert!(!gone(job), "the background job lives on");
    wait_for(
        "the helper to exit after its shell",
        Duration::from_secs(20),
        || gone(helper),
    );
    wait_for("the helper's dir to go", Duration::from_secs(20), || {
        !Path::new(dir).exists()
    });
    // The background job this test started.
    dctx_tests::signal(job, rustix::process::Signal::TERM);
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "{shell} left {left:?} in TMPDIR");
}

#[test]
fn bash_helper_exits_with_its_shell_despite_a_background_job() {
    the_helper_exits_with_its_shell_despite_a_background_job("bash");
}

#[test]
fn zsh_helper_exits_with_its_shell_despite_a_background_job() {
    the_helper_exits_with_its_shell_despite_a_background_job("zsh");
}

/// Item 15: whatever the user's setup (a coproc of their own, zsh's
/// warn_create_global, an unwritable TMPDIR), a prompt prints nothing but
/// the segment, also when the helper has to be started again.
fn prompts_print_nothing_but_the_segment(shell: &'static str, setup: &str) {
    let sandbox = Sandbox::new();
    sandbox.create_contexts(&[("ctx", "tcp://10.0.0.1:2375")]);
    run_ok(sandbox.docker().args(["context", "use", "ctx"]));
    let _daemon = dctx_tests::Daemon::start(&sandbox);
    let Some(sh) = Hooked::start(&sandbox, shell, setup) else {
        return;
    };
    sh.tmux.expect_prompt("<ctx|0>");
    for _ in 0..3 {
        // The helper killed: the next prompt starts another.
        sh.expect_after(
            "kill $__DCTX_HELPER_PID; export DOCKER_CONTEXT=ctx",
            "<ctx|0>",
        );
        sh.expect_after("unset DOCKER_CONTEXT", "<ctx|0>");
    }
    // From the line that loaded dctx on, every line is a prompt, or the
    // command that set it.
    let screen = sh.tmux.screen();
    let lines: Vec<&str> = screen.lines().collect();
    let loaded = lines
        .iter()
        .rposition(|l| l.contains("dctx init"))
        .expect("the line that loaded dctx");
    let printed: Vec<&str> = lines[loaded + 1..]
        .iter()
        .copied()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("<ctx|0>"))
        .filter(|l| !l.contains("{DCTX_SEGMENT}|"))
        .collect();
    assert!(
        printed.is_empty(),
        "{shell} with `{setup}` printed {printed:?}:\n{screen}"
    );
}

#[test]
fn bash_prompts_print_nothing_else_beside_a_users_coproc() {
    prompts_print_nothing_but_the_segment("bash", "coproc mine { cat; }");
}

#[test]
fn zsh_prompts_print_nothing_else_with_warn_create_global() {
    prompts_print_nothing_but_the_segment("zsh", "setopt warn_create_global");
}

#[test]
fn bash_prompts_print_nothing_else_with_an_unusable_tmpdir() {
    prompts_print_nothing_but_the_segment("bash", "export TMPDIR=/nonexistent/tmp");
}

#[test]
fn zsh_prompts_print_nothing_else_with_an_unusable_tmpdir() {
    prompts_print_nothing_but_the_segment("zsh", "export TMPDIR=/nonexistent/tmp");
}

/// Whether this test runs as root, which the tests that need a second user
/// do (they act as `nobody` through setpriv); elsewhere they say they skip.
fn as_root(test: &str) -> bool {
    let root = dctx_ipc::paths::euid() == 0;
    if !root {
        eprintln!("skipped {test}: it needs root to act as a second user");
    }
    root && require_tool("setpriv", test)
}

/// A world that user `nobody` can read: dctx's binaries, a HOME, and a
/// shared temp dir (mode 1777) like /tmp.
struct SharedWorld {
    dir: tempfile::TempDir,
}

impl SharedWorld {
    fn new() -> SharedWorld {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), PermissionsExt::from_mode(0o755)).unwrap();
        for bin in ["dctx", "dctx-prompt"] {
            std::fs::copy(bin_dir().join(bin), dir.path().join(bin)).unwrap();
        }
        std::fs::create_dir_all(dir.path().join("home/.docker")).unwrap();
        std::fs::create_dir(dir.path().join("tmp")).unwrap();
        std::fs::set_permissions(dir.path().join("tmp"), PermissionsExt::from_mode(0o1777))
            .unwrap();
        SharedWorld { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `program` (one of dctx's binaries, else from PATH) as `nobody`,
    /// with no XDG_RUNTIME_DIR: the fallback under the shared temp dir.
    fn as_nobody(&self, program: &str) -> std::process::Command {
        let local = self.path().join(program);
        let mut cmd = std::process::Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]);
        if local.exists() {
            cmd.arg(local);
        } else {
            cmd.arg(program);
        }
        cmd.env_clear()
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    self.path().display(),
                    dctx_tests::system_path().to_string_lossy()
                ),
            )
            .env("HOME", self.path().join("home"))
            .env("TMPDIR", self.path().join("tmp"))
            .env("LANG", "C.UTF-8")
            .current_dir(self.path())
            .stdin(std::process::Stdio::null());
        cmd
    }
}

/// An impostor: another user's listener where a dctx socket would be,
/// answering like a daemon of this very build with hostile text, and
/// counting the connections it gets.
fn impostor(
    socket: &Path,
) -> (
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
    std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    use std::io::{BufRead, Write};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let listener = std::os::unix::net::UnixListener::bind(socket).unwrap();
    listener.set_nonblocking(true).unwrap();
    let (seen, stop) = (
        std::sync::Arc::new(AtomicUsize::new(0)),
        std::sync::Arc::new(AtomicBool::new(false)),
    );
    let (s, st) = (seen.clone(), stop.clone());
    std::thread::spawn(move || {
        while !st.load(Ordering::Relaxed) {
            let Ok((stream, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(2));
                continue;
            };
            s.fetch_add(1, Ordering::Relaxed);
            stream.set_nonblocking(false).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(2)))
                .unwrap();
            let mut reader = std::io::BufReader::new(&stream);
            let hello = serde_json::json!({"type": "hello", "protocol": dctx_ipc::protocol::PROTOCOL_VERSION,
                "version": dctx_ipc::build_id::VERSION, "build": dctx_ipc::build_id::BUILD_ID, "pid": 1});
            let segment = serde_json::json!({"type": "segment", "text": "PWNED\u{1b}]0;owned\u{7}", "name": "x",
                "host": "x", "source": "config", "problem": null, "matched_shell": true, "watched": true});
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                let reply = if line.contains("hello") {
                    &hello
                } else {
                    &segment
                };
                let _ = (&stream).write_all(format!("{reply}\n").as_bytes());
                line.clear();
            }
        }
    });
    (seen, stop)
}

/// Item 6: without XDG_RUNTIME_DIR dctx falls back to `<tmp>/dctx-<uid>`,
/// a name any local user can take first. Another user's dir there (with a
/// listener answering like dctx, and a FIFO as the lock) is never
/// connected to, never hangs anything, and the prompt resolves directly.
#[test]
fn an_impostor_in_the_fallback_runtime_dir_is_never_asked() {
    use std::os::unix::fs::PermissionsExt;
    if !as_root("impostor test") {
        return;
    }
    let world = SharedWorld::new();
    let squatted = world.path().join("tmp/dctx-65534");
    std::fs::create_dir(&squatted).unwrap();
    std::fs::set_permissions(&squatted, PermissionsExt::from_mode(0o777)).unwrap();
    let (seen, stop) = impostor(&squatted.join("dctx.sock"));
    std::fs::set_permissions(squatted.join("dctx.sock"), PermissionsExt::from_mode(0o777)).unwrap();
    let fifo = squatted.join("dctx.lock");
    assert!(std::process::Command::new("mkfifo")
        .args(["-m", "666"])
        .arg(&fifo)
        .status()
        .unwrap()
        .success());

    let bounded = |mut cmd: std::process::Command| run_bounded(&mut cmd, Duration::from_secs(20));
    let mut prompt = world.as_nobody("dctx-prompt");
    prompt
        .args(["--shell", "plain", "--pid", "1"])
        .env("DOCKER_CONTEXT", "mine");
    let out = bounded(prompt);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "mine?",
        "resolved directly"
    );
    assert!(out.status.success());

    let script = r#"eval "$(dctx init bash)"; __dctx_precmd; printf '<%s>' "$DCTX_SEGMENT""#;
    let mut bash = world.as_nobody("bash");
    bash.args(["--norc", "-i", "-c", script])
        .env("DOCKER_CONTEXT", "mine");
    let out = bounded(bash);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("<mine?>"),
        "{out:?}"
    );

    let mut status = world.as_nobody("dctx");
    status.args(["daemon", "status"]);
    let out = bounded(status);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let mut start = world.as_nobody("dctx");
    start.args(["daemon", "start"]);
    let out = bounded(start);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("refusing to use"),
        "{out:?}"
    );

    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(
        seen.load(std::sync::atomic::Ordering::Relaxed),
        0,
        "a client connected to the impostor"
    );
}

/// Item 7: root with an inherited XDG_RUNTIME_DIR (`sudo -E`, plain `su`)
/// creates nothing in that user's runtime dir, so the user's own daemon
/// stays theirs; root's goes to its own fallback dir.
#[test]
fn root_creates_nothing_in_another_users_runtime_dir() {
    use std::os::unix::fs::PermissionsExt;
    if !as_root("inherited runtime dir test") {
        return;
    }
    let sandbox = Sandbox::new();
    let theirs = sandbox.path().join("run-user-65534");
    std::fs::create_dir(&theirs).unwrap();
    std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
    std::fs::set_permissions(&theirs, PermissionsExt::from_mode(0o700)).unwrap();
    let tmp = sandbox.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let with_env = |mut cmd: std::process::Command| {
        cmd.env("XDG_RUNTIME_DIR", &theirs).env("TMPDIR", &tmp);
        cmd
    };
    let _ = run(with_env(sandbox.hooked_prompt()).env_remove("DCTX_NO_AUTOSTART"));
    let started = run(with_env(sandbox.dctx("dctx")).args(["daemon", "start"]));
    assert!(started.status.success(), "{started:?}");
    let left: Vec<_> = std::fs::read_dir(&theirs).unwrap().collect();
    assert!(
        left.is_empty(),
        "root made {left:?} in another user's runtime dir"
    );
    assert!(
        tmp.join("dctx-0/dctx.sock").exists(),
        "root's daemon is in root's own dir"
    );
    run_ok(with_env(sandbox.dctx("dctx")).args(["daemon", "stop"]));
}

/// Item 8: a log dir that is a symlink (or someone else's) is never written
/// through; the daemon starts without a log and says so.
#[test]
fn the_daemon_log_is_never_written_through_a_symlink() {
    let sandbox = Sandbox::new();
    let elsewhere = sandbox.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, sandbox.path().join("xdg-state/dctx")).unwrap();
    let _stop = dctx_tests::StopOnDrop(&sandbox);
    let out = run(sandbox.dctx("dctx").args(["daemon", "start"]));
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("without a log"),
        "{out:?}"
    );
    let written: Vec<_> = std::fs::read_dir(&elsewhere).unwrap().collect();
    assert!(written.is_empty(), "wrote {written:?} through the symlink");
}

/// `dctx-prompt` with auto-start on, as a script that holds a descriptor
/// runs it: `bash -c '<setup>; dctx-prompt …'`, bounded.
fn prompt_starting_a_daemon(sandbox: &Sandbox, script: &str) -> String {
    let mut cmd = sandbox.command("bash");
    cmd.args(["--norc", "--noprofile", "-c", script])
        .env("P", bin_dir().join("dctx-prompt"))
        .env_remove("DCTX_NO_AUTOSTART");
    let out = run_bounded(&mut cmd, Duration::from_secs(30));
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Item 10: a daemon started by a prompt keeps nothing of its starter: no
/// descriptor (a pipe it holds never ends, a lock is never released), no
/// working directory (a mount stays busy).
#[test]
fn an_auto_started_daemon_keeps_no_descriptor_or_directory_of_its_starter() {
    if !require_tool("flock", "daemon detachment test") {
        return;
    }
    let sandbox = Sandbox::new();
    let _stop = dctx_tests::StopOnDrop(&sandbox);
    let mnt = sandbox.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    // A script holding flock 9 while its prompt starts the daemon gets its
    // lock back when it closes 9.
    let lock = sandbox.path().join("held.lock");
    let script = format!(
        "cd '{}'; exec 9>'{}'; flock 9; \"$P\" --pid $$ >/dev/null; exec 9>&-; flock -n '{}' true && echo free",
        mnt.display(),
        lock.display(),
        lock.display()
    );
    assert_eq!(prompt_starting_a_daemon(&sandbox, &script), "free\n");
    let mut daemons = Vec::new();
    wait_for("the auto-started daemon", Duration::from_secs(20), || {
        daemons = dctx_tests::daemons_in(&sandbox);
        !daemons.is_empty()
    });
    let pid = daemons[0];
    let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap();
    assert_eq!(
        cwd,
        Path::new("/"),
        "the daemon keeps its starter's directory busy"
    );
    for fd in std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
    {
        let target = std::fs::read_link(fd.path()).unwrap_or_default();
        assert_ne!(target, lock, "the daemon holds its starter's lock");
    }
    run_ok(sandbox.dctx("dctx").args(["daemon", "stop"]));

    // `exec 7>&1` then a prompt, piped: the pipe ends when the script does.
    let piped = r#"bash --norc --noprofile -c 'exec 7>&1; "$P" --pid $$ --shell plain --format "<{name}>"' | cat"#;
    assert_eq!(prompt_starting_a_daemon(&sandbox, piped), "<default>");
}

/// Item 10: `dctx daemon start` hears from the daemon why it could not
/// start, instead of polling until a timeout.
#[test]
fn daemon_start_reports_why_the_daemon_could_not_start() {
    let sandbox = Sandbox::new();
    let socket = sandbox.socket();
    std::fs::create_dir_all(socket.parent().unwrap()).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(socket.parent().unwrap(), PermissionsExt::from_mode(0o700))
            .unwrap();
    }
    // A listener without the lock, that never answers.
    let _squatter = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let out = run(sandbox.dctx("dctx").args(["daemon", "start"]));
    assert!(!out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("without the lock is serving"), "{stderr}");
}

/// Item 11: a daemon whose socket, lock or runtime dir is removed (logind
/// at logout, a tmp cleaner) exits, so `dctx daemon start` works again.
#[test]
fn the_daemon_exits_when_its_socket_lock_or_runtime_dir_goes() {
    let sandbox = Sandbox::new();
    let runtime = sandbox.path().join("runtime/dctx");
    for remove in ["dctx.sock", "dctx.lock", ""] {
        let mut daemon = dctx_tests::Daemon::start(&sandbox);
        let path = runtime.join(remove);
        if remove.is_empty() {
            std::fs::remove_dir_all(&path).unwrap();
        } else {
            std::fs::remove_file(&path).unwrap();
        }
        daemon.wait_exit(
            &format!("the daemon to exit once {} is gone", path.display()),
            Duration::from_secs(20),
        );
    }
    let _stop = dctx_tests::StopOnDrop(&sandbox);
    let started = run_ok(sandbox.dctx("dctx").args(["daemon", "start"]));
    assert!(started.contains("started"), "{started}");
}

/// The daemon's resident memory, from /proc.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap()
}

/// Item 12: a client of the same user cannot make the daemon answer or
/// keep without bound: a huge format with a long host, thousands of large
/// environments, more connections than it serves (the quietest gives way,
/// logged once), and a connection that never says hello.
#[test]
fn a_same_user_client_cannot_balloon_the_daemon() {
    use std::io::Read;
    let sandbox = Sandbox::new();
    let daemon = dctx_tests::Daemon::start(&sandbox);
    let mut conn = dctx_tests::Conn::open(&daemon.socket).unwrap();
    let home = sandbox.home();
    let host = format!("tcp://{}", "h".repeat(30_000));
    let request = serde_json::json!({"type": "query", "env": {"vars": {"DOCKER_HOST": host}, "home": home},
        "caller": null, "render": {"shell": "plain", "format": "{host}".repeat(5_000)}});
    let reply = conn.call(&request).unwrap();
    let text = reply["text"].as_str().unwrap_or_else(|| panic!("{reply}"));
    assert!(
        text.chars().count() <= dctx_core::segment::MAX_SEGMENT_CHARS,
        "{} chars",
        text.len()
    );

    let before = rss_kib(daemon.pid());
    for i in 0..1000u32 {
        let vars = serde_json::json!({"DOCKER_CONTEXT": format!("{i}{}", "c".repeat(50_000))});
        let request = serde_json::json!({"type": "query", "env": {"vars": vars, "home": home},
            "caller": {"pid": 100_000 + i, "tty": format!("/dev/pts/{i}")}, "render": {"shell": "plain"}});
        assert_eq!(conn.call(&request).unwrap()["type"], "segment");
    }
    let grown = rss_kib(daemon.pid()).saturating_sub(before);
    assert!(
        grown < 40 * 1024,
        "1000 environments of 50 KB grew the daemon by {grown} KiB"
    );

    // More connections than the daemon serves: the least recently active
    // (the first) is closed to make room, and that is logged once.
    {
        use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
        let limit = getrlimit(Resource::Nofile);
        let max = limit.maximum.unwrap_or(u64::MAX);
        let raised = Rlimit {
            current: Some(max.min(8192)),
            maximum: limit.maximum,
        };
        let _ = setrlimit(Resource::Nofile, raised);
    }
    let cap = 2048;
    let conns: Vec<_> = (0..cap + 20)
        .map(|_| dctx_tests::Conn::open(&daemon.socket).unwrap())
        .collect();
    let status = dctx_tests::Conn::open(&daemon.socket)
        .unwrap()
        .call(&serde_json::json!({"type": "status"}));
    assert_eq!(status.unwrap()["type"], "status", "the newest is served");
    conns.into_iter().next().unwrap().shutdown_write();
    let log = std::fs::read_to_string(sandbox.path().join("daemon.log")).unwrap();
    let lines = log.matches("closed the least recently active").count();
    assert!(
        (1..=2).contains(&lines),
        "{lines} log lines for 21 evictions"
    );
    // The first connection was closed by the daemon: it reads end of file.
    let mut quiet = std::os::unix::net::UnixStream::connect(&daemon.socket).unwrap();
    quiet
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut buf = [0; 16];
    // Says nothing: it is closed once the hello deadline passes.
    assert_eq!(
        quiet.read(&mut buf).unwrap(),
        0,
        "a silent connection keeps its slot"
    );
}

/// Item 13: one stopped tmux server (a shell in it once reported it) does
/// not stop the daemon's redraws of the others. `status-interval 0`: only
/// the daemon's push can update the live one's status line.
#[test]
fn a_stopped_tmux_server_does_not_stop_redraws_for_the_others() {
    for tool in ["tmux", "docker", "bash"] {
        if !require_tool(tool, "stopped tmux server test") {
            return;
        }
    }
    let sandbox = Sandbox::new();
    sandbox.create_contexts(&[
        ("blue", "tcp://10.0.0.1:2375"),
        ("green", "tcp://10.0.0.2:2375"),
    ]);
    run_ok(sandbox.docker().args(["context", "use", "blue"]));
    let _daemon = dctx_tests::Daemon::start(&sandbox);
    let init = format!(
        "eval \"$('{}' init bash)\"",
        bin_dir().join("dctx").display()
    );
    let shells = || {
        let mut conn = dctx_tests::Conn::open(&sandbox.socket()).unwrap();
        conn.call(&serde_json::json!({"type": "status"})).unwrap()["shells"]
            .as_u64()
            .unwrap()
    };
    // Named to come first in the daemon's (sorted) list of servers.
    let stopped = Tmux::start(&sandbox, "aa-stopped", "bash --noprofile --norc -i");
    stopped.type_line(&init);
    stopped.type_line("");
    wait_for(
        "the first shell to be known",
        Duration::from_secs(20),
        || shells() >= 1,
    );
    let live = Tmux::start(&sandbox, "zz-live", "bash --noprofile --norc -i");
    live.load_plugin(&[
        ("status-interval", "0"),
        ("status-right", "[#{docker_context}]"),
        ("@dctx-show-default", "on"),
    ]);
    live.type_line(&init);
    live.type_line("");
    wait_for("both shells to be known", Duration::from_secs(20), || {
        shells() >= 2
    });
    let outer = Tmux::start(
        &sandbox,
        "zz-view",
        &format!("tmux -L {} attach -t t", live.name),
    );
    wait_for("the status line", Duration::from_secs(20), || {
        outer.last_line().contains("[blue]")
    });

    let pid: u32 =
        String::from_utf8_lossy(&stopped.run(&["display-message", "-p", "#{pid}"]).stdout)
            .trim()
            .parse()
            .expect("the tmux server's pid");
    struct Continue(u32);
    impl Drop for Continue {
        fn drop(&mut self) {
            // A process of this test's own.
            dctx_tests::signal(self.0, rustix::process::Signal::CONT);
        }
    }
    assert!(dctx_tests::signal(pid, rustix::process::Signal::STOP));
    let _continue = Continue(pid);
    run_ok(sandbox.docker().args(["context", "use", "green"]));
    wait_for("the live server's redraw", Duration::from_secs(30), || {
        outer.last_line().contains("[green]")
    });
}

/// Item 16: the plugin keeps a format with `&`, `\`, quotes, spaces and
/// `#` as it is (bash 5.2's patsub_replacement made each `&` the matched
/// text), and a description with `##`, `#{…}`, `#[…]` and `#(…)` shows
/// exactly as written: never as markup, never run, never with a `#` lost.
#[test]
fn the_tmux_plugin_shows_formats_and_descriptions_exactly() {
    for tool in ["tmux", "docker", "bash"] {
        if !require_tool(tool, "tmux exact text test") {
            return;
        }
    }
    let sandbox = Sandbox::new();
    let description = "a##b #{session_name} #[fg=red]c ##[d #(echo e) f#";
    run_ok(sandbox.docker().args([
        "context",
        "create",
        "hashy",
        "--description",
        description,
        "--docker",
        "host=tcp://10.0.0.1:2375",
    ]));
    run_ok(sandbox.docker().args(["context", "use", "hashy"]));
    let _daemon = dctx_tests::Daemon::start(&sandbox);
    let inner = Tmux::start(&sandbox, "exact", "bash --noprofile --norc -i");
    let format = r#"x&y \ "q" 'it' #z {name}"#;
    inner.load_plugin(&[
        ("status-right-length", "150"),
        ("status-right", "[#{docker_context}]"),
        ("@dctx-format", format),
    ]);
    let outer = Tmux::start(
        &sandbox,
        "exact-view",
        &format!("tmux -L {} attach -t t", inner.name),
    );
    let expected = r#"[x&y \ "q" 'it' #z hashy]"#;
    wait_for("the format as written", Duration::from_secs(20), || {
        outer.last_line().contains(expected)
    });
    inner.load_plugin(&[
        ("status-right", "[#{docker_context}]"),
        ("@dctx-format", "{description}"),
    ]);
    inner.run(&["refresh-client", "-S"]);
    let expected = format!("[{description}]");
    let mut line = String::new();
    wait_for(
        "the description as written",
        Duration::from_secs(20),
        || {
            line = outer.last_line();
            line.contains(&expected)
        },
    );
}

/// Trust, second pass: docker reads config.json whatever its size; a
/// 5 MiB one (a big `auths` map) that names `prod` is `prod` to dctx too,
/// on the direct path and through the daemon, never `default?`.
#[test]
fn a_big_config_json_names_what_docker_names() {
    if !require_tool("docker", "big config.json test") {
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.create_contexts(&[("prod", "tcp://10.0.0.1:2375")]);
    let config = sandbox.home_docker().join("config.json");
    let mut auths = String::new();
    let mut i = 0;
    while auths.len() < 5 * 1024 * 1024 {
        // "user:password" in base64, as `docker login` writes it.
        auths.push_str(&format!(
            "\"registry-{i}.example.com\":{{\"auth\":\"dXNlcjpwYXNzd29yZA==\"}},"
        ));
        i += 1;
    }
    auths.pop();
    std::fs::write(
        &config,
        format!("{{\"auths\":{{{auths}}},\"currentContext\":\"prod\"}}"),
    )
    .unwrap();
    assert!(std::fs::metadata(&config).unwrap().len() > 5 * 1024 * 1024);
    let docker = run_ok(sandbox.docker().args(["context", "show"]));
    assert_eq!(docker.trim(), "prod", "the CLI's own answer");
    let show = run_ok(sandbox.dctx("dctx").arg("show"));
    assert_eq!(show, docker, "dctx show");
    let _daemon = dctx_tests::Daemon::start(&sandbox);
    let pid = format!("--pid={}", std::process::id());
    for how in ["--no-daemon", pid.as_str()] {
        let prompt = run_ok(
            sandbox
                .dctx("dctx-prompt")
                .args([how, "--format", "{name}"]),
        );
        assert_eq!(prompt, "prod", "dctx-prompt {how}");
    }
    let status = run_ok(sandbox.dctx("dctx").arg("status"));
    assert!(!status.contains("MiB"), "no bound was hit: {status}");

    // Past dctx's bound (a sparse 257 MiB file): said precisely, with
    // the problem marker, and no claim that docker falls back.
    std::fs::File::options()
        .write(true)
        .open(&config)
        .unwrap()
        .set_len(257 * 1024 * 1024)
        .unwrap();
    let status = run_ok(sandbox.dctx("dctx").arg("status"));
    assert!(
        status.contains("config.json is over 256 MiB; dctx did not read it; docker would"),
        "{status}"
    );
    assert!(!status.contains("falls back"), "{status}");
    let prompt = run_ok(
        sandbox
            .dctx("dctx-prompt")
            .args(["--no-daemon", "--format", "{name}"]),
    );
    assert!(prompt.ends_with('?'), "{prompt}");
}
