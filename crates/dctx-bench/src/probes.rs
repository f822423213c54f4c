//! Engine probes: what a prompt costs with probes on beside off, the
//! engine slow (probes must never be on a prompt's path), and how often
//! the otherwise idle daemon wakes with probes on.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::bail;
use dctx_testkit::procfs::{cpu_ticks, wakeups};

use crate::measure::{median, median_run, micros, ratio};
use crate::world::World;

/// The probe figures, for the daemon `daemon` of `world`.
pub fn costs(world: &World, daemon: u32) -> anyhow::Result<()> {
    let engine = fake_engine::FakeEngine::unix(&world.root().join("engine.sock"), "bench-engine");
    engine.set_delay(Duration::from_millis(300));
    world
        .command("docker")
        .args(["context", "create", "bench-engine", "--docker"])
        .arg(format!("host={}", engine.endpoint()))
        .status()?;
    let write = |name: &str, text: &str| -> anyhow::Result<PathBuf> {
        let path = world.root().join(name);
        std::fs::write(&path, text)?;
        Ok(path)
    };
    let on = write(
        "probes-on.toml",
        "format = \"{name} {engine}\"\n[engine]\nprobe = true\ninterval_s = 1\ntimeout_s = 5\nslow_ms = 100\n",
    )?;
    let off = write("probes-off.toml", "format = \"{name} {engine}\"\n")?;
    // Two pretend shells (live pids), one per settings file.
    let mut shells = [
        Command::new("sleep").arg("600").spawn()?,
        Command::new("sleep").arg("600").spawn()?,
    ];
    let prompt = |shell: &Child, settings: &PathBuf| {
        let mut c = world.bin("dctx-prompt");
        c.args(["--pid", &shell.id().to_string(), "--shell", "plain"])
            .env("DCTX_CONFIG", settings)
            .env("DOCKER_CONTEXT", "bench-engine");
        c
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = prompt(&shells[0], &on).stdout(Stdio::piped()).output()?;
        if String::from_utf8_lossy(&out.stdout).contains("bench-engine bench-engine") {
            break;
        }
        if Instant::now() > deadline {
            bail!("the first probe did not finish");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let (mut t_on, mut t_off) = (Vec::new(), Vec::new());
    for _ in 0..7 {
        t_on.push(median_run(|| prompt(&shells[0], &on), 20));
        t_off.push(median_run(|| prompt(&shells[1], &off), 20));
    }
    let (t_on, t_off) = (median(&mut t_on), median(&mut t_off));
    println!(
        "probes: dctx-prompt --pid with probes on {:.0} µs, off {:.0} µs = {:.2}x (the engine takes 300 ms to answer; probed every 1 s meanwhile)",
        micros(t_on),
        micros(t_off),
        ratio(t_on, t_off)
    );
    let infos = || {
        engine
            .requests()
            .iter()
            .filter(|r| r.contains("/info"))
            .count()
    };
    let (ticks0, wake0, probes0) = (cpu_ticks(daemon).unwrap_or(0), wakeups(daemon), infos());
    std::thread::sleep(Duration::from_secs(5));
    let (ticks1, wake1, probes1) = (cpu_ticks(daemon).unwrap_or(0), wakeups(daemon), infos());
    println!(
        "  idle 5 s with probes every 1 s: {} probes, {} thread wake-ups ({:.1} a probe), {} CPU ticks",
        probes1 - probes0,
        wake1 - wake0,
        (wake1 - wake0) as f64 / (probes1 - probes0).max(1) as f64,
        ticks1 - ticks0
    );
    for shell in &mut shells {
        let _ = shell.kill();
        let _ = shell.wait();
    }
    Ok(())
}
