//! Hostile and odd inputs: config files that are not plain files, and
//! names, descriptions and hosts written to break out of a prompt.

use std::time::Duration;

use dctx_tests::{bin_dir, require_tool, run, wait_for, Sandbox, Tmux};

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

/// Reads are bounded: a config.json past 4 MiB is refused at once with a
/// marker in the prompt and the reason in `dctx status`.
#[test]
fn a_gigantic_config_json_is_refused_not_read() {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.home_docker()).unwrap();
    let mut big = br#"{"currentContext":"prod","pad":""#.to_vec();
    big.extend(std::iter::repeat_n(b'x', 5 * 1024 * 1024));
    big.extend(b"\"}");
    std::fs::write(sandbox.home_docker().join("config.json"), big).unwrap();
    let out = run(sandbox.dctx("dctx-prompt").args(["--no-daemon"]));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "default?");
    let status = dctx_tests::run_ok(sandbox.dctx("dctx").arg("status"));
    assert!(status.contains("larger than 4 MiB"), "{status}");
}

/// A context whose name is harmless but whose description and host try
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
        "Name": "evil",
        "Metadata": {"Description": description},
        "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": false}},
    });
    let path = dctx_core::context_meta::meta_path(&sandbox.home_docker(), "evil");
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
            "{description} {host}",
        ])
        .env("DOCKER_CONTEXT", "evil"));
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
            shown.contains("$(touch") && shown.contains("`touch"),
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
        assert!(shown.contains("$(touch"), "{shown:?}");
        assert!(
            !shown.contains('\x1b') && !shown.contains('\n'),
            "{shown:?}"
        );
    }
    std::thread::sleep(Duration::from_millis(200));
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
    let job = format!(
        "#(DOCKER_CONTEXT=evil '{}' --no-daemon --shell tmux --format '{{description}} {{host}}')",
        prompt.display()
    );
    inner.run(&["set-option", "-g", "status-right-length", "300"]);
    inner.run(&["set-option", "-g", "status-right", &job]);
    let outer = Tmux::start(
        &sandbox,
        "evil-view",
        &format!("tmux -L {} attach -t t", inner.name),
    );
    wait_for("the status line", Duration::from_secs(10), || {
        outer.last_line().contains("#[fg=red]")
    });
    let line = outer.last_line();
    assert!(
        line.contains("#(touch"),
        "tmux markup was interpreted: {line:?}"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !marker.exists(),
        "tmux ran a command from a context description"
    );
}
