//! The daemon's inotify watches for a large context store: they follow
//! the contexts shells use, not the store's size.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use dctx_core::Env;
use dctx_ipc::client::Client;
use dctx_ipc::protocol::{Render, Request, Response};
use dctx_testkit::procfs::inotify_watches;

use crate::world::World;

/// What the daemon watches for a store of 5,001 contexts of which shells
/// use 3, beside the store's size (a recursive watch holds one watch per
/// context dir, and did before watches followed the contexts in use).
pub fn counts(world: &World, pid: u32) -> anyhow::Result<()> {
    let config = world.root().join("big-config");
    std::fs::create_dir_all(&config)?;
    let status = world
        .command("docker")
        .env("DOCKER_CONFIG", &config)
        .args([
            "context",
            "create",
            "c0",
            "--docker",
            "host=tcp://127.0.0.1:2375",
        ])
        .status()?;
    if !status.success() {
        bail!("docker context create failed");
    }
    let meta = |name: &str| dctx_core::context_meta::meta_path(&config, name);
    let template = std::fs::read_to_string(meta("c0"))?;
    for i in 1..=5000 {
        let path = meta(&format!("c{i}"));
        std::fs::create_dir_all(path.parent().context("meta dir")?)?;
        std::fs::write(&path, template.replace("\"c0\"", &format!("\"c{i}\"")))?;
    }
    let before = inotify_watches(pid);
    let mut client = Client::connect(&world.socket(), Duration::from_secs(1), "bench")?;
    for name in ["c1", "c2", "c4999"] {
        let env = Env::new(
            [
                ("DOCKER_CONFIG", config.as_os_str()),
                ("DOCKER_CONTEXT", std::ffi::OsStr::new(name)),
            ],
            Some(world.root().join("home")),
        );
        let request = Request::Query {
            env,
            caller: None,
            render: Render::default(),
        };
        // Until the answer is kept: its context is watched by then.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match client.call(&request)? {
                Response::Segment(s) if s.watched => break,
                _ if Instant::now() > deadline => bail!("{name} never watched"),
                _ => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    }
    let after = inotify_watches(pid);
    println!(
        "inotify watches, 5,001 contexts of which 3 in use: {} for that config dir ({} in all); a recursive watch of the store would hold 5,001+",
        after - before,
        after
    );
    Ok(())
}
