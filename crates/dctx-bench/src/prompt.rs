//! What a prompt costs: one `dctx-prompt` call beside `/bin/true`, an
//! empty Rust binary and `docker context show`; `dctx ls` beside `docker
//! context ls`; and, inside each shell, `__dctx_precmd` beside an
//! in-shell `read` of a file and the command substitutions people use
//! today.

use crate::in_shell::{self, Group, Row, Timing};
use crate::measure::{median, median_run, micros, ratio};
use crate::world::World;

/// One prompt call beside its references, interleaved to share noise.
pub fn one_call(world: &World, have_docker: bool) {
    let runs = 300;
    let prompt = || {
        let mut c = world.bin("dctx-prompt");
        c.args(["--format", "{name}"]);
        c
    };
    // As a hook without a helper asks for its shell: through the daemon.
    let bench_pid = std::process::id().to_string();
    let direct = || {
        let mut c = world.bin("dctx-prompt");
        c.args(["--pid", &bench_pid, "--format", "{name}"]);
        c
    };
    let truth = || world.command("/bin/true");
    let floor_bin = std::env::current_exe()
        .ok()
        .and_then(|e| Some(e.parent()?.join("dctx-bench-floor")));
    let floor = || world.command(floor_bin.clone().unwrap_or_else(|| "/bin/true".into()));
    let mut t_floor = Vec::new();
    let mut t_true = Vec::new();
    let mut t_prompt = Vec::new();
    let mut t_direct = Vec::new();
    for _ in 0..5 {
        t_true.push(median_run(truth, runs / 5));
        t_floor.push(median_run(floor, runs / 5));
        t_prompt.push(median_run(prompt, runs / 5));
        t_direct.push(median_run(direct, runs / 5));
    }
    let (t_true, t_prompt, t_direct) = (
        median(&mut t_true),
        median(&mut t_prompt),
        median(&mut t_direct),
    );
    let t_floor = median(&mut t_floor);
    println!(
        "one call, median of {runs}: /bin/true {:.0} µs",
        micros(t_true)
    );
    println!(
        "  empty Rust binary (floor) {:>6.0} µs = {:.2}x /bin/true",
        micros(t_floor),
        ratio(t_floor, t_true)
    );
    println!(
        "  dctx-prompt (by itself)   {:>6.0} µs = {:.2}x /bin/true",
        micros(t_prompt),
        ratio(t_prompt, t_true)
    );
    println!(
        "  dctx-prompt --pid (daemon){:>6.0} µs = {:.2}x /bin/true",
        micros(t_direct),
        ratio(t_direct, t_true)
    );
    if have_docker {
        let t_docker = median_run(
            || {
                let mut c = world.command("docker");
                c.args(["context", "show"]);
                c
            },
            40,
        );
        println!(
            "  docker context show       {:>6.0} µs; dctx-prompt is {:.1}x faster",
            micros(t_docker),
            ratio(t_docker, t_prompt)
        );
    }
}

/// `dctx ls` beside `docker context ls` and /bin/true, interleaved.
pub fn ls(world: &World) {
    let truth = || world.command("/bin/true");
    let ls = || {
        let mut c = world.bin("dctx");
        c.args(["ls", "--format", "json"]);
        c
    };
    let docker_ls = || {
        let mut c = world.command("docker");
        c.args(["context", "ls", "--format", "json"]);
        c
    };
    let (mut t_ls, mut t_docker_ls, mut t_true) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..5 {
        t_true.push(median_run(truth, 20));
        t_ls.push(median_run(ls, 20));
        t_docker_ls.push(median_run(docker_ls, 8));
    }
    let (t_true, t_ls, t_docker_ls) = (
        median(&mut t_true),
        median(&mut t_ls),
        median(&mut t_docker_ls),
    );
    println!(
        "dctx ls {:.0} µs = {:.2}x /bin/true; docker context ls {:.0} µs, {:.1}x slower",
        micros(t_ls),
        ratio(t_ls, t_true),
        micros(t_docker_ls),
        ratio(t_docker_ls, t_ls)
    );
}

/// Times `__dctx_precmd` inside `shell` (loaded as a user would) beside an
/// in-shell `read` of a file (the floor) and the command substitutions
/// people use today: when nothing changed (the kept segment, the steady
/// state), and when something did before every prompt (a `DOCKER_CONTEXT`
/// toggled, so each prompt asks its helper and the daemon).
pub fn in_shell(world: &World, shell: &str, have_docker: bool) {
    let dctx = world.bins.join("dctx");
    let prompt = world.bins.join("dctx-prompt");
    let prologue = if shell == "fish" {
        format!(
            r#"'{dctx}' init fish | source
set floor (mktemp); echo bench-prod > $floor
function read_floor; read -l x < $floor; end
function sub_prompt; set -l x ('{prompt}' --format '{{name}}'); end
function sub_docker; set -l x (docker context show); end
function changed
    if set -q DOCKER_CONTEXT; set -e DOCKER_CONTEXT; else; set -gx DOCKER_CONTEXT bench-prod; end
    __dctx_precmd
end
__dctx_precmd; sleep 0.2; __dctx_precmd"#,
            dctx = dctx.display(),
            prompt = prompt.display(),
        )
    } else {
        format!(
            r#"eval "$('{dctx}' init {shell})"
floor=$(mktemp); echo bench-prod > "$floor"
read_floor() {{ IFS= read -r x < "$floor"; }}
sub_prompt() {{ x=$('{prompt}' --format '{{name}}'); }}
sub_docker() {{ x=$(docker context show); }}
changed() {{ if [[ -n ${{DOCKER_CONTEXT-}} ]]; then unset DOCKER_CONTEXT; else export DOCKER_CONTEXT=bench-prod; fi; __dctx_precmd; }}
__dctx_precmd; sleep 0.2; __dctx_precmd"#,
            dctx = dctx.display(),
            prompt = prompt.display(),
        )
    };
    let once = |row: Row| Group {
        rounds: 1,
        rows: vec![row],
    };
    let five = |row: Row| Group {
        rounds: 5,
        rows: vec![row],
    };
    let mut groups = vec![
        five(Row::lap(1000)),
        five(Row::new("precmd", 1000, "__dctx_precmd")),
        five(Row::new("read", 1000, "read_floor")),
        once(Row::new("changed", 300, "changed")),
        once(Row::new("dctx-prompt", 200, "sub_prompt")),
    ];
    if have_docker {
        groups.push(once(Row::new("docker", 20, "sub_docker")));
    }
    let timing = Timing {
        prologue,
        groups,
        epilogue: if shell == "fish" {
            "rm -f $floor".into()
        } else {
            r#"rm -f "$floor""#.into()
        },
        interactive: false,
    };
    let Some(out) = in_shell::time(world, shell, &timing) else {
        println!("{shell}: not installed, not measured");
        return;
    };
    // What the timing loop itself costs per turn (`:` in its place) is
    // taken off the steady-state figures, which are close to it.
    let lap = out.field("loop").unwrap_or(0.0);
    match (out.field("precmd"), out.field("read")) {
        (Some(precmd), Some(read)) => {
            let (precmd, read) = (precmd - lap, read - lap);
            println!(
                "{shell}, per prompt (median of 5 rounds of 1,000, less the loop's {lap:.0} µs): __dctx_precmd {precmd:.0} µs; in-shell `read` of a file {read:.0} µs (floor) = {:.1}x",
                precmd / read
            );
            if let Some(changed) = out.field("changed") {
                println!(
                    "  __dctx_precmd after a change (helper and daemon asked) {changed:.0} µs"
                );
            }
            if let Some(sub) = out.field("dctx-prompt") {
                println!(
                    "  $(dctx-prompt) {sub:.0} µs = {:.1}x __dctx_precmd",
                    sub / precmd
                );
            }
            if let Some(docker) = out.field("docker") {
                println!(
                    "  $(docker context show) {docker:.0} µs = {:.0}x __dctx_precmd",
                    docker / precmd
                );
            }
        }
        _ => println!("{shell} measurement failed: {}", out.stdout),
    }
}
