//! dctx only reads Docker's files: a snapshot of every file under the
//! Docker config dir (contents, mode, mtime) is unchanged after dctx has
//! been run in every way the suite knows.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use dctx_tests::{require_tool, run, run_ok, Sandbox};

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
        for args in [&["show"][..], &["inspect"], &["status"]] {
            run(sandbox.dctx("dctx").args(args).envs(env.iter().copied()));
        }
        for shell in ["bash", "zsh", "fish", "tmux", "plain"] {
            run(sandbox
                .dctx("dctx-prompt")
                .args(["--no-daemon", "--shell", shell])
                .envs(env.iter().copied()));
        }
    }
    assert_eq!(
        before,
        snapshot(&config),
        "dctx changed something under {}",
        config.display()
    );
}
