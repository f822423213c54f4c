//! Hostile and odd inputs: config files that are not plain files, and
//! names, descriptions and hosts written to break out of a prompt.

use std::time::Duration;

use dctx_tests::{bin_dir, require_tool, run, run_ok, wait_for, Sandbox, Tmux};

struct Seen {
    show: String,
    warned: bool,
}

fn docker_show(sandbox: &Sandbox) -> Seen {
    let out = run(sandbox.docker().args(["context", "show"]));
    Seen {
        show: String::from_utf8_lossy(&out.stdout).into_owned(),
        warned: !out.stderr.is_empty(),
    }
}

fn dctx_show(sandbox: &Sandbox) -> Seen {
    let out = run(sandbox.dctx("dctx").arg("show"));
    assert!(out.status.success());
    Seen {
        show: String::from_utf8_lossy(&out.stdout).into_owned(),
        warned: !out.stderr.is_empty(),
    }
}

/// config.json that is a symlink loop, a dangling symlink, a directory,
/// invalid UTF-8 or BOM-prefixed: dctx names what docker names and warns
/// where docker warns. An empty meta dir is a missing context for both.
#[test]
fn odd_config_files_are_read_as_the_docker_cli_reads_them() {
    if !require_tool("docker", "config file edge cases") {
        return;
    }
    let sandbox = Sandbox::new();
    let dir = sandbox.home_docker();
    let config = dir.join("config.json");
    let cases: [(&str, &dyn Fn()); 5] = [
        ("symlink loop", &|| {
            std::os::unix::fs::symlink(&config, &config).unwrap()
        }),
        ("dangling symlink", &|| {
            std::os::unix::fs::symlink(dir.join("gone.json"), &config).unwrap()
        }),
        ("directory", &|| std::fs::create_dir(&config).unwrap()),
        ("invalid UTF-8", &|| {
            std::fs::write(&config, b"{\"currentContext\":\"pr\xffod\"}").unwrap()
        }),
        ("BOM", &|| {
            std::fs::write(&config, b"\xef\xbb\xbf{\"currentContext\":\"prod\"}").unwrap()
        }),
    ];
    for (what, make) in cases {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        make();
        let (docker, dctx) = (docker_show(&sandbox), dctx_show(&sandbox));
        assert_eq!(dctx.show, docker.show, "{what}: the name differs");
        assert_eq!(
            dctx.warned, docker.warned,
            "{what}: docker warned {}, dctx {}",
            docker.warned, dctx.warned
        );
    }

    // A context directory without meta.json: missing for both.
    let _ = std::fs::remove_dir_all(&dir);
    let meta = dctx_core::context_meta::meta_path(&dir, "hollow");
    std::fs::create_dir_all(meta.parent().unwrap()).unwrap();
    let inspect = run(sandbox.docker().args(["context", "inspect", "hollow"]));
    assert!(!inspect.status.success());
    let ours = run(sandbox
        .dctx("dctx")
        .arg("inspect")
        .env("DOCKER_CONTEXT", "hollow"));
    let json: serde_json::Value = serde_json::from_slice(&ours.stdout).unwrap();
    assert_eq!(json["exists"], false);
}

/// Reads are bounded: a config.json past dctx's bound (256 MiB, sparse
/// here; docker reads any size, and `trust.rs` shows a 5 MiB one read)
/// is refused at once with a marker in the prompt and the reason in
/// `dctx status`.
#[test]
fn a_gigantic_config_json_is_refused_not_read() {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.home_docker()).unwrap();
    let config = sandbox.home_docker().join("config.json");
    std::fs::write(&config, br#"{"currentContext":"prod","pad":""#).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&config)
        .unwrap()
        .set_len(300 * 1024 * 1024)
        .unwrap();
    let out = run(sandbox.dctx("dctx-prompt").args(["--no-daemon"]));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "default?");
    let status = dctx_tests::run_ok(sandbox.dctx("dctx").arg("status"));
    assert!(
        status.contains("is over 256 MiB; dctx did not read it"),
        "{status}"
    );
}

/// A name valid for Docker that shells and tmux must still show verbatim.
const EVIL: &str = "x.y+a_b-evil";

/// A context whose name is awkward but valid and whose description and host try
/// every trick: command substitution, backticks, zsh prompt escapes, tmux
/// style and command markup, a newline, an escape sequence.
fn hostile_world(sandbox: &Sandbox) -> std::path::PathBuf {
    let marker = sandbox.path().join("pwned");
    let m = marker.display();
    let description = format!(
        "$(touch {m}) `touch {m}` %F{{red}}%(?.x.y) #[fg=red]#(touch {m}) \\x\nnext \x1b[31m"
    );
    let host = format!("tcp://h$(touch {m})#(touch {m})%F{{red}}");
    let meta = serde_json::json!({
        "Name": EVIL,
        "Metadata": {"Description": description},
        "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": false}},
    });
    let path = dctx_core::context_meta::meta_path(&sandbox.home_docker(), EVIL);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, meta.to_string()).unwrap();
    marker
}

fn segment(sandbox: &Sandbox, shell: &str) -> String {
    let out = run(sandbox
        .dctx("dctx-prompt")
        .args([
            "--no-daemon",
            "--shell",
            shell,
            "--format",
            "{name} {description} {host}",
        ])
        .env("DOCKER_CONTEXT", EVIL));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn nothing_from_docker_files_can_inject_into_bash_or_zsh_prompts() {
    let sandbox = Sandbox::new();
    let marker = hostile_world(&sandbox);
    // bash: ${PS1@P} expands a prompt exactly as bash does before showing it.
    if require_tool("bash", "bash injection test") {
        let seg = segment(&sandbox, "bash");
        let out = run(sandbox
            .command("bash")
            .args([
                "--noprofile",
                "--norc",
                "-c",
                r#"DCTX_SEGMENT=$1; PS1='${DCTX_SEGMENT}'; printf '%s' "${PS1@P}""#,
                "bash",
            ])
            .arg(&seg));
        let shown = String::from_utf8_lossy(&out.stdout);
        assert!(
            shown.starts_with(EVIL) && shown.contains("$(touch") && shown.contains("`touch"),
            "{shown:?}"
        );
        assert!(
            !shown.contains('\n') && !shown.contains('\x1b'),
            "control characters reached the prompt: {shown:?}"
        );
    }
    // zsh: print -P with prompt_subst is the prompt's own expansion.
    if require_tool("zsh", "zsh injection test") {
        let seg = segment(&sandbox, "zsh");
        let out = run(sandbox
            .command("zsh")
            .args([
                "-f",
                "-c",
                r#"setopt prompt_subst; DCTX_SEGMENT=$1; print -rnP -- '${DCTX_SEGMENT}'"#,
                "zsh",
            ])
            .arg(&seg));
        let shown = String::from_utf8_lossy(&out.stdout);
        assert!(
            shown.contains("%F{red}%(?.x.y)"),
            "zsh expanded a % escape: {shown:?}"
        );
        assert!(
            shown.starts_with(EVIL) && shown.contains("$(touch"),
            "{shown:?}"
        );
        assert!(
            !shown.contains('\x1b') && !shown.contains('\n'),
            "{shown:?}"
        );
    }
    // The shells expanded their prompts before printing them, so anything
    // a prompt ran has run by now.
    assert!(!marker.exists(), "a command from a context description ran");
}

#[test]
fn nothing_from_docker_files_can_inject_into_tmux_markup() {
    if !require_tool("tmux", "tmux injection test") {
        return;
    }
    let sandbox = Sandbox::new();
    let marker = hostile_world(&sandbox);
    let inner = Tmux::start(&sandbox, "evil", "sh");
    let prompt = bin_dir().join("dctx-prompt");
    let job = |format: &str| {
        format!(
            "#(DOCKER_CONTEXT={EVIL} '{}' --no-daemon --shell tmux --format '{format}')",
            prompt.display()
        )
    };
    inner.run(&["set-option", "-g", "status-left-length", "40"]);
    inner.run(&["set-option", "-g", "status-left", &job("<{name}>")]);
    inner.run(&["set-option", "-g", "status-right-length", "300"]);
    inner.run(&[
        "set-option",
        "-g",
        "status-right",
        &job("{description} {host}"),
    ]);
    let outer = Tmux::start(
        &sandbox,
        "evil-view",
        &format!("tmux -L {} attach -t t", inner.name),
    );
    wait_for("the status line", Duration::from_secs(10), || {
        let line = outer.last_line();
        line.contains("#[fg=red]") && line.contains(EVIL)
    });
    let line = outer.last_line();
    assert!(
        line.contains(&format!("<{EVIL}>")) && line.contains("#(touch"),
        "tmux markup was interpreted: {line:?}"
    );
    // A #() that tmux took for a job would show its output, not itself:
    // the text above is the proof; the marker is a second look.
    assert!(
        !marker.exists(),
        "tmux ran a command from a context description"
    );
}

/// Runs commands as an ordinary user: as root, as `nobody` through
/// setpriv (root reads mode-000 files, so only another user can show what
/// people see), from a world that user can read.
struct Unprivileged {
    world: tempfile::TempDir,
    nobody: bool,
}

impl Unprivileged {
    fn new() -> Option<Unprivileged> {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let nobody = std::fs::metadata("/proc/self").unwrap().uid() == 0;
        if nobody && !require_tool("setpriv", "unreadable file test as root") {
            return None;
        }
        let world = tempfile::tempdir().unwrap();
        for bin in ["dctx", "dctx-prompt"] {
            std::fs::copy(bin_dir().join(bin), world.path().join(bin)).unwrap();
        }
        std::fs::create_dir_all(world.path().join("home/.docker")).unwrap();
        let u = Unprivileged { world, nobody };
        u.open_up(u.world.path());
        std::fs::set_permissions(u.world.path(), PermissionsExt::from_mode(0o755)).unwrap();
        Some(u)
    }

    fn config(&self) -> std::path::PathBuf {
        self.world.path().join("home/.docker")
    }

    /// Lets the other user read and traverse everything under `path`.
    fn open_up(&self, path: &std::path::Path) {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::symlink_metadata(path).unwrap();
        let mode = if meta.is_dir() || meta.permissions().mode() & 0o100 != 0 {
            0o755
        } else {
            0o644
        };
        std::fs::set_permissions(path, PermissionsExt::from_mode(mode)).unwrap();
        if meta.is_dir() {
            for entry in std::fs::read_dir(path).unwrap() {
                self.open_up(&entry.unwrap().path());
            }
        }
    }

    /// `program` run as the unprivileged user.
    fn command(&self, program: &str, env: &[(&str, &str)]) -> std::process::Command {
        let local = self.world.path().join(program);
        let program = if local.exists() {
            local.into_os_string()
        } else {
            program.into()
        };
        let mut cmd = if self.nobody {
            let mut c = std::process::Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
                .arg(program);
            c
        } else {
            std::process::Command::new(program)
        };
        self.environment(&mut cmd).envs(env.iter().copied());
        cmd
    }

    /// The Docker CLI run as the owner of the world, to set it up.
    fn owner_docker(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new("docker");
        self.environment(&mut cmd);
        cmd
    }

    fn environment<'c>(&self, cmd: &'c mut std::process::Command) -> &'c mut std::process::Command {
        cmd.env_clear()
            .env("PATH", dctx_tests::system_path())
            .env("HOME", self.world.path().join("home"))
            .env("XDG_CONFIG_HOME", self.world.path().join("xdg"))
            .env("DCTX_NO_AUTOSTART", "1")
    }
}

/// config.json and meta.json that the user cannot read (mode 000): docker
/// warns and falls back to `default` for config.json, and cannot inspect
/// the context; dctx names the same context, warns, and marks the prompt.
#[test]
fn unreadable_docker_files_are_read_as_the_docker_cli_reads_them() {
    use std::os::unix::fs::PermissionsExt;
    if !require_tool("docker", "unreadable file test") {
        return;
    }
    let Some(user) = Unprivileged::new() else {
        return;
    };
    let config = user.config();
    run_ok(user.owner_docker().args([
        "context",
        "create",
        "prod",
        "--docker",
        "host=ssh://deploy@prod-01",
    ]));
    run_ok(user.owner_docker().args(["context", "use", "prod"]));
    user.open_up(&config);
    let unreadable = |path: &std::path::Path| {
        std::fs::set_permissions(path, PermissionsExt::from_mode(0o000)).unwrap()
    };

    unreadable(&config.join("config.json"));
    let docker = run(user.command("docker", &[]).args(["context", "show"]));
    let dctx = run(user.command("dctx", &[]).arg("show"));
    assert_eq!(
        String::from_utf8_lossy(&docker.stdout),
        "default\n",
        "docker as {}",
        if user.nobody { "nobody" } else { "this user" }
    );
    assert_eq!(dctx.stdout, docker.stdout);
    assert!(
        !docker.stderr.is_empty() && !dctx.stderr.is_empty(),
        "both warn"
    );
    let prompt = run(user
        .command("dctx-prompt", &[])
        .args(["--no-daemon", "--format", "{name}"]));
    assert_eq!(String::from_utf8_lossy(&prompt.stdout), "default?");
    let status = run(user.command("dctx", &[]).arg("status"));
    assert!(
        String::from_utf8_lossy(&status.stdout).contains("permission denied"),
        "{}",
        String::from_utf8_lossy(&status.stdout)
    );

    let meta = dctx_core::context_meta::meta_path(&config, "prod");
    unreadable(&meta);
    let env = [("DOCKER_CONTEXT", "prod")];
    let inspect = run(user.command("docker", &env).args([
        "context",
        "inspect",
        "--format",
        "{{.Endpoints.docker.Host}}",
        "prod",
    ]));
    assert!(
        !inspect.status.success(),
        "docker cannot read the context either"
    );
    let prompt = run(user
        .command("dctx-prompt", &env)
        .args(["--no-daemon", "--format", "{name}"]));
    assert_eq!(String::from_utf8_lossy(&prompt.stdout), "prod?");
    let ours = run(user.command("dctx", &env).arg("inspect"));
    let json: serde_json::Value = serde_json::from_slice(&ours.stdout).unwrap();
    assert_eq!(json["name"], "prod");
    assert!(
        json["problem"]
            .as_str()
            .unwrap_or("")
            .contains("permission denied"),
        "{json}"
    );
}

/// Paths are bytes: a HOME or DOCKER_CONFIG that is not UTF-8 names a real
/// directory for the Docker CLI, and must for dctx on every path too (the
/// direct one, the daemon's, and the bash helper's).
#[test]
fn non_utf8_home_and_docker_config_are_followed_like_the_docker_cli() {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;
    if !require_tool("docker", "non-UTF-8 path test") {
        return;
    }
    let sandbox = Sandbox::new();
    let odd = |name: &[u8]| {
        let mut bytes = sandbox.path().as_os_str().to_owned().into_vec();
        bytes.extend(name);
        std::path::PathBuf::from(OsString::from_vec(bytes))
    };
    let home = odd(b"/home-\xe9");
    let config = odd(b"/config-\xff");
    for (dir, name) in [
        (home.join(".docker"), "from-home"),
        (config.clone(), "from-config"),
    ] {
        sandbox.config_dir_with(&dir, name);
    }
    let _daemon = dctx_tests::Daemon::start(&sandbox);
    let path = format!(
        "{}:{}",
        bin_dir().display(),
        dctx_tests::system_path().to_string_lossy()
    );
    let cases: [(&str, Option<&std::path::Path>); 2] =
        [("home", None), ("DOCKER_CONFIG", Some(&config))];
    for (what, docker_config) in cases {
        let with_env = |mut cmd: std::process::Command| {
            cmd.env("HOME", &home);
            match docker_config {
                Some(dir) => cmd.env("DOCKER_CONFIG", dir),
                None => cmd.env_remove("DOCKER_CONFIG"),
            };
            cmd
        };
        let docker = run_ok(with_env(sandbox.docker()).args(["context", "show"]));
        let expected = docker.trim();
        assert!(
            expected.starts_with("from-"),
            "{what}: docker says {docker:?}"
        );
        let show = run_ok(with_env(sandbox.dctx("dctx")).arg("show"));
        assert_eq!(show.trim(), expected, "{what}: dctx show");
        for daemon in ["--no-daemon", "--shell=plain"] {
            let prompt =
                run_ok(with_env(sandbox.dctx("dctx-prompt")).args([daemon, "--format", "{name}"]));
            assert_eq!(prompt, expected, "{what}: dctx-prompt {daemon}");
        }
        if require_tool("bash", "non-UTF-8 path test through the bash hook") {
            let script =
                r#"eval "$(dctx init bash)"; __dctx_precmd; printf '<%s>' "$DCTX_SEGMENT""#;
            let out = run(with_env(sandbox.command("bash"))
                .args(["--norc", "-i", "-c", script])
                .env("PATH", &path));
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                stdout.contains(expected),
                "{what}: bash hook printed {stdout:?}"
            );
        }
    }
}
