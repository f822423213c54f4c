//! dctx only reads Docker's files: a snapshot of every file under the
//! Docker config dir (contents, mode, mtime) is unchanged after dctx has
//! been run in every way the suite knows: every command, the prompt with and
//! without a daemon, tty lookups, hostile clients, the shell hooks in real
//! shells, a kill -9 and an auto-started daemon.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use dctx_tests::{bin_dir, require_tool, run, run_ok, Conn, Daemon, Sandbox, StopOnDrop};

#[derive(Debug, PartialEq, Eq)]
struct Entry {
    mode: u32,
    mtime_ns: i64,
    contents: Option<Vec<u8>>,
}

fn snapshot(root: &Path) -> BTreeMap<String, Entry> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let meta = std::fs::symlink_metadata(&dir).unwrap();
        out.insert(
            dir.strip_prefix(root).unwrap().display().to_string(),
            Entry {
                mode: meta.mode(),
                mtime_ns: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
                contents: None,
            },
        );
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                stack.push(path);
            } else {
                let contents = meta.is_file().then(|| std::fs::read(&path).unwrap());
                out.insert(
                    path.strip_prefix(root).unwrap().display().to_string(),
                    Entry {
                        mode: meta.mode(),
                        mtime_ns: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
                        contents,
                    },
                );
            }
        }
    }
    out
}

#[test]
fn dctx_never_writes_to_the_docker_config_dir() {
    if !require_tool("docker", "read-only test") {
        return;
    }
    let sandbox = Sandbox::new();
    let config = sandbox.home_docker();
    sandbox.create_contexts(&[
        ("prod", "ssh://deploy@prod-01"),
        ("staging", "tcp://10.0.0.2:2376"),
    ]);
    run_ok(sandbox.docker().args(["context", "use", "prod"]));
    // A broken context and an unreadable file too, so error paths are covered.
    let broken = dctx_core::context_meta::meta_path(&config, "broken");
    std::fs::create_dir_all(broken.parent().unwrap()).unwrap();
    std::fs::write(&broken, "{").unwrap();
    std::fs::set_permissions(&broken, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();

    let before = snapshot(&config);
    let envs: [&[(&str, &str)]; 5] = [
        &[],
        &[("DOCKER_CONTEXT", "staging")],
        &[("DOCKER_CONTEXT", "broken")],
        &[("DOCKER_CONTEXT", "nope")],
        &[("DOCKER_HOST", "tcp://1.2.3.4"), ("DOCKER_TLS_VERIFY", "1")],
    ];
    for env in envs {
        let reads: [&[&str]; 12] = [
            &["show"],
            &["inspect"],
            &["status"],
            &["ls"],
            &["ls", "--format", "json"],
            &["use", "--emit", "bash", "staging"],
            &["use", "--emit", "fish", "--unset"],
            &["exec", "staging", "--", "true"],
            // The guard: deciding, refusing (and logging), running docker.
            &[
                "guard",
                "--explain",
                "--json",
                "--",
                "system",
                "prune",
                "-af",
            ],
            &["guard", "--", "-c", "prod", "volume", "prune", "--help"],
            &["guard", "--", "volume", "prune", "-f"],
            &["guard", "log"],
        ];
        for args in reads {
            run(sandbox.dctx("dctx").args(args).envs(env.iter().copied()));
        }
        for shell in ["bash", "zsh", "fish", "tmux", "plain"] {
            run(sandbox
                .dctx("dctx-prompt")
                .args(["--no-daemon", "--shell", shell])
                .envs(env.iter().copied()));
        }
    }
    // Through a daemon, as prompts and the tmux bar ask.
    let daemon = Daemon::start(&sandbox);
    for env in envs {
        for shell in ["bash", "zsh", "fish", "tmux", "plain"] {
            run(sandbox
                .hooked_prompt()
                .args(["--shell", shell])
                .envs(env.iter().copied()));
        }
    }
    run(sandbox
        .dctx("dctx-prompt")
        .args(["--shell", "tmux", "--tty", "/dev/pts/999"]));
    run_ok(sandbox.dctx("dctx").args(["daemon", "status"]));
    for hostile in [
        &b"\xff\xfe garbage\n"[..],
        b"{\"type\":\"query\"",
        &[b'x'; 100_000],
    ] {
        let mut conn = Conn::raw(&daemon.socket).unwrap();
        let _ = conn.send_bytes(hostile);
        conn.shutdown_write();
        let _ = conn.read();
    }

    // The hooks, in real interactive shells, each asking the daemon.
    let path = format!(
        "{}:{}",
        bin_dir().display(),
        dctx_tests::system_path().to_string_lossy()
    );
    let shells = [
        (
            "bash",
            &["--norc", "-i", "-c"][..],
            r#"eval "$(dctx init bash)"; __dctx_precmd; printf '<%s>' "$DCTX_SEGMENT""#,
        ),
        (
            "zsh",
            &["-f", "-i", "-c"],
            r#"eval "$(dctx init zsh)"; __dctx_precmd; printf '<%s>' "$DCTX_SEGMENT""#,
        ),
        (
            "fish",
            &["--no-config", "-i", "-c"],
            "dctx init fish | source; __dctx_precmd; printf '<%s>' $DCTX_SEGMENT",
        ),
    ];
    for (shell, args, script) in shells {
        if !require_tool(shell, "read-only test through shell hooks") {
            continue;
        }
        let out = run(sandbox
            .command(shell)
            .args(args)
            .arg(script)
            .env("PATH", &path));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("prod"), "{shell} hook printed {stdout:?}");
    }

    // A killed daemon, and one the prompt starts by itself.
    daemon.kill9();
    let _stop = StopOnDrop(&sandbox);
    let prompt = run(sandbox
        .hooked_prompt()
        .args(["--format", "{name}"])
        .env_remove("DCTX_NO_AUTOSTART"));
    assert_eq!(String::from_utf8_lossy(&prompt.stdout), "prod");
    dctx_tests::wait_for(
        "the auto-started daemon",
        std::time::Duration::from_secs(5),
        || Conn::open(&sandbox.socket()).is_ok(),
    );
    run(sandbox.hooked_prompt().args(["--shell", "bash"]));
    run_ok(sandbox.dctx("dctx").args(["daemon", "stop"]));

    assert_eq!(
        before,
        snapshot(&config),
        "dctx changed something under {}",
        config.display()
    );
}
