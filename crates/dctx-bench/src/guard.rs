//! What the guard costs on a command it lets through: `dctx guard` in
//! front of the real docker and of one that is /bin/true, the decision
//! for a destructive line, the shim, and, per shell, the `docker`
//! function's fast path beside `command docker` in the same shell.

use std::path::Path;

use crate::in_shell::{self, Group, Row, Timing};
use crate::measure::{median, median_run, micros, ratio};
use crate::world::World;

pub fn costs(world: &World, have_docker: bool) -> anyhow::Result<()> {
    let truth = || world.command("/bin/true");
    // The guard on an allowed command: `dctx guard -- ARGS` decides, then
    // execs docker, so what it adds is the difference from bare docker.
    if have_docker {
        let bare = || {
            let mut c = world.command("docker");
            c.args(["context", "show"]);
            c
        };
        let guarded = || {
            let mut c = world.bin("dctx");
            c.args(["guard", "--", "context", "show"]);
            c
        };
        // The whole decision for a destructive line (the contexts listed
        // for shared endpoints), without running docker.
        let explain = || {
            let mut c = world.bin("dctx");
            c.args(["guard", "--explain", "--", "system", "prune", "-af"]);
            c
        };
        // The same guard in front of a `docker` that is /bin/true: what
        // the guard adds, without docker's own variance (milliseconds).
        let fake_dir = world.root().join("fake-docker");
        std::fs::create_dir_all(&fake_dir)?;
        let _ = std::os::unix::fs::symlink("/bin/true", fake_dir.join("docker"));
        let fake_path = format!(
            "{}:{}",
            fake_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let guarded_true = || {
            let mut c = world.bin("dctx");
            c.args(["guard", "--", "context", "show"])
                .env("PATH", &fake_path);
            c
        };
        let (mut t_bare, mut t_guarded, mut t_explain, mut t_true, mut t_gtrue) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..7 {
            t_true.push(median_run(truth, 30));
            t_gtrue.push(median_run(guarded_true, 30));
            t_bare.push(median_run(bare, 15));
            t_guarded.push(median_run(guarded, 15));
            t_explain.push(median_run(explain, 20));
        }
        let (t_true, t_bare, t_guarded, t_explain, t_gtrue) = (
            median(&mut t_true),
            median(&mut t_bare),
            median(&mut t_guarded),
            median(&mut t_explain),
            median(&mut t_gtrue),
        );
        println!(
            "guard, allowed command: docker context show {:.0} µs bare, {:.0} µs through `dctx guard` = {:.2}x",
            micros(t_bare),
            micros(t_guarded),
            ratio(t_guarded, t_bare),
        );
        println!(
            "  what the guard adds, measured in front of a `docker` that is /bin/true: {:.0} µs vs /bin/true {:.0} µs, {:+.0} µs = {:.2} /bin/true starts (target: under 1000 µs)",
            micros(t_gtrue),
            micros(t_true),
            micros(t_gtrue) - micros(t_true),
            (t_gtrue.as_secs_f64() - t_true.as_secs_f64()) / t_true.as_secs_f64()
        );
        println!(
            "  the decision for a destructive line (`--explain`) {:.0} µs = {:.2}x /bin/true",
            micros(t_explain),
            ratio(t_explain, t_true)
        );
    }
    // The shim: dctx started as `docker` (a symlink first on PATH), the
    // real docker behind it /bin/true: one start of a static binary.
    let fake_dir = world.root().join("fake-docker");
    std::fs::create_dir_all(&fake_dir)?;
    let _ = std::os::unix::fs::symlink("/bin/true", fake_dir.join("docker"));
    let shim_dir = world.root().join("shim");
    std::fs::create_dir_all(&shim_dir)?;
    let _ = std::os::unix::fs::symlink(world.bins.join("dctx"), shim_dir.join("docker"));
    let shim_path = format!(
        "{}:{}:{}",
        shim_dir.display(),
        fake_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let shim = || {
        let mut c = world.command(shim_dir.join("docker"));
        c.arg("ps").env("PATH", &shim_path);
        c
    };
    let (mut t_true, mut t_shim) = (Vec::new(), Vec::new());
    for _ in 0..7 {
        t_true.push(median_run(truth, 30));
        t_shim.push(median_run(shim, 30));
    }
    let (t_true, t_shim) = (median(&mut t_true), median(&mut t_shim));
    println!(
        "guard through the shim: `docker ps` {:.0} µs vs /bin/true {:.0} µs = {:.2}x /bin/true (the real docker is /bin/true; target: one start of a static binary)",
        micros(t_shim),
        micros(t_true),
        ratio(t_shim, t_true)
    );
    for shell in ["bash", "zsh", "fish"] {
        in_shell(world, shell, &fake_dir);
    }
    Ok(())
}

/// Per call inside `shell` loaded with `dctx init SHELL --guard`: the
/// `docker` function on `docker ps` (its fast path: builtins, then the
/// docker on PATH) beside `command docker ps` in the same shell, the
/// docker on PATH being /bin/true; and the pre-check alone.
fn in_shell(world: &World, shell: &str, fake_dir: &Path) {
    let dctx = world.bins.join("dctx");
    let prologue = if shell == "fish" {
        format!(
            "'{}' init fish --guard --no-completions | source\nset -gx PATH '{}' $PATH",
            dctx.display(),
            fake_dir.display(),
        )
    } else {
        format!(
            "eval \"$('{}' init {shell} --guard --no-completions)\"\nPATH='{}':$PATH",
            dctx.display(),
            fake_dir.display(),
        )
    };
    let timing = Timing {
        prologue,
        groups: vec![
            Group {
                rounds: 5,
                rows: vec![Row::lap(2000)],
            },
            Group {
                rounds: 5,
                rows: vec![Row::new("check", 2000, "__dctx_docker_read_only ps")],
            },
            // Interleaved: the two share the machine's noise.
            Group {
                rounds: 7,
                rows: vec![
                    Row::new("bare", 200, "command docker ps"),
                    Row::new("guarded", 200, "docker ps"),
                ],
            },
        ],
        epilogue: String::new(),
        // The guard's functions are defined in interactive shells only.
        interactive: true,
    };
    let Some(out) = in_shell::time(world, shell, &timing) else {
        println!("guard in {shell}: not installed, not measured");
        return;
    };
    let lap = out.field("loop").unwrap_or(0.0);
    match (out.field("check"), out.field("bare"), out.field("guarded")) {
        (Some(check), Some(bare), Some(guarded)) => println!(
            "guard in {shell}: `docker ps` through the function {guarded:.0} µs vs `command docker ps` {bare:.0} µs in the same shell = {:.2}x, {:+.0} µs (docker is /bin/true; target: no process start, well under 250 µs); the pre-check alone {:.1} µs",
            guarded / bare,
            guarded - bare,
            (check - lap).max(0.0)
        ),
        _ => println!(
            "guard in {shell}: measurement failed: {}",
            out.stdout
        ),
    }
}
