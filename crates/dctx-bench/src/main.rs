//! `cargo run --release -p dctx-bench`: measures the daemon and the prompt
//! client, always beside a reference measured in the same run (`/bin/true`,
//! `docker context show`), because absolute times on a shared machine mean
//! little and ratios travel (docs/benchmark.md). One module per thing
//! measured: `daemon`, `prompt`, `guard`, `probes`, `watches`; how a figure
//! is taken is `measure` and `in_shell`; the world they run in is `world`.

mod daemon;
mod guard;
mod in_shell;
mod measure;
mod probes;
mod prompt;
mod watches;
mod world;

use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use dctx_testkit::procfs::rss_kib;

use world::World;

/// Which measurements to run (`--section NAME`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    All,
    /// Only the guard's: `dctx guard`, the shim, the shells' fast path.
    Guard,
    /// Only the daemon's inotify watches for a large context store.
    Watches,
}

const USAGE: &str = "usage: dctx-bench [--section all|guard|watches]\n\n  --section guard     only what the guard costs (dctx guard, the shim, the shells' docker function)\n  --section watches   only the daemon's inotify watches for 5,001 contexts, 3 in use";

fn section() -> anyhow::Result<Section> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] | ["--section", "all"] => Ok(Section::All),
        ["--section", "guard"] | ["--section=guard"] => Ok(Section::Guard),
        ["--section", "watches"] | ["--section=watches"] => Ok(Section::Watches),
        ["-h"] | ["--help"] => {
            println!("{USAGE}");
            std::process::exit(0)
        }
        _ => bail!("{USAGE}"),
    }
}

fn main() -> anyhow::Result<()> {
    let section = section()?;
    let world = Arc::new(World::new(world::build_binaries()?)?);
    let have_docker = world
        .command("docker")
        .args([
            "context",
            "create",
            "bench-prod",
            "--docker",
            "host=ssh://deploy@prod",
        ])
        .status()
        .is_ok_and(|s| s.success());
    if have_docker {
        world
            .command("docker")
            .args(["context", "use", "bench-prod"])
            .status()?;
    }

    let mut run = world.bin("dctx");
    run.args(["daemon", "run"]);
    // Stopped (SIGTERM, and waited for) when dropped, on every way out.
    let daemon = dctx_testkit::Daemon::spawn(run, world.socket(), Duration::from_secs(5))?;
    let pid = daemon.pid();
    let rss_start = rss_kib(pid).unwrap_or(0);

    println!(
        "dctx benchmark (release build; {} cores)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "config: {}",
        if have_docker {
            "one context made by `docker context create`, selected"
        } else {
            "empty (docker CLI not found)"
        }
    );

    match section {
        Section::Watches => return watches::counts(&world, pid),
        Section::Guard => return guard::costs(&world, have_docker),
        Section::All => {}
    }

    daemon::latency(&world)?;
    for clients in [1, 8, 64] {
        let qps = daemon::throughput(&world, clients, Duration::from_secs(1));
        println!("throughput, {clients:>2} concurrent clients: {qps:>9.0} queries/s");
    }
    prompt::one_call(&world, have_docker);
    if have_docker {
        prompt::ls(&world);
    }
    guard::costs(&world, have_docker)?;
    // Per-prompt cost inside each shell, over many calls, beside in-shell references.
    for shell in ["bash", "zsh", "fish"] {
        prompt::in_shell(&world, shell, have_docker);
    }
    daemon::idle(pid);
    if have_docker {
        probes::costs(&world, pid)?;
        watches::counts(&world, pid)?;
    }
    let rss_end = rss_kib(pid).unwrap_or(0);
    println!("daemon RSS: {rss_start} KiB at start, {rss_end} KiB after the run");
    drop(daemon);
    Ok(())
}
