//! `cargo run --release -p dctx-bench`: measures the daemon and the prompt
//! client, always beside a reference measured in the same run (`/bin/true`,
//! `docker context show`), because absolute times on a shared machine mean
//! little and ratios travel.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use dctx_core::Env;
use dctx_ipc::client::Client;
use dctx_ipc::protocol::{Caller, Render, Request, Response};

struct World {
    _dir: tempfile::TempDir,
    root: PathBuf,
    bins: PathBuf,
}

impl World {
    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.root.join("home"))
            .env("XDG_RUNTIME_DIR", self.root.join("runtime"))
            .env("XDG_STATE_HOME", self.root.join("state"))
            .env("XDG_CONFIG_HOME", self.root.join("config"))
            .env("DCTX_NO_AUTOSTART", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    }

    fn socket(&self) -> PathBuf {
        self.root.join("runtime/dctx/dctx.sock")
    }

    fn env(&self) -> Env {
        Env::new(Vec::<(String, String)>::new(), Some(self.root.join("home")))
    }
}

fn build_binaries() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().context("exe has no dir")?.to_path_buf();
    if let Some(cargo) = std::env::var_os("CARGO") {
        let status = Command::new(cargo)
            .args([
                "build",
                "--release",
                "-q",
                "-p",
                "dctx",
                "-p",
                "dctx-prompt",
                "-p",
                "dctx-bench",
                "--bins",
            ])
            .status()?;
        if !status.success() {
            bail!("cargo build --release failed");
        }
    }
    for bin in ["dctx", "dctx-prompt"] {
        if !dir.join(bin).is_file() {
            bail!("{} not found next to the benchmark; run it with `cargo run --release -p dctx-bench`", bin);
        }
    }
    Ok(dir)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn query(world: &World) -> Request {
    Request::Query {
        env: world.env(),
        caller: Some(Caller {
            pid: std::process::id(),
            tty: Some("/dev/pts/bench".into()),
            ..Caller::default()
        }),
        render: Render::default(),
    }
}

fn ask(client: &mut Client, request: &Request) {
    match client.call(request) {
        Ok(Response::Segment(_)) => {}
        other => panic!("unexpected reply {other:?}"),
    }
}

/// Median wall time of running `cmd` `n` times.
fn median_run(mut make: impl FnMut() -> Command, n: usize) -> Duration {
    let mut times: Vec<Duration> = (0..n)
        .map(|_| {
            let start = Instant::now();
            let status = make().status().expect("run");
            assert!(status.success() || status.code().is_some());
            start.elapsed()
        })
        .collect();
    times.sort();
    percentile(&times, 0.5)
}

fn proc_field(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Context switches of every thread of `pid`: each wake-up counts one.
fn wakeups(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .filter_map(|t| {
            let status = std::fs::read_to_string(t.ok()?.path().join("status")).ok()?;
            let sum: u64 = status
                .lines()
                .filter(|l| l.contains("ctxt_switches"))
                .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum();
            Some(sum)
        })
        .sum()
}

/// The floor for any request/response over a Unix socket here: a bare
/// echo thread, same line length, same number of round trips.
fn echo_floor(line_len: usize, n: usize) -> Vec<Duration> {
    use std::io::{BufRead, BufReader, Write};
    let (a, b) = std::os::unix::net::UnixStream::pair().expect("socketpair");
    let echo = std::thread::spawn(move || {
        let mut reader = BufReader::new(b.try_clone().unwrap());
        let mut writer = b;
        let mut line = Vec::new();
        while reader.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
            writer.write_all(&line).unwrap();
            line.clear();
        }
    });
    let mut message = vec![b'x'; line_len];
    message.push(b'\n');
    let mut reader = BufReader::new(a.try_clone().unwrap());
    let mut writer = a;
    let mut line = Vec::new();
    let mut lat = Vec::with_capacity(n);
    for i in 0..n + 2000 {
        let t = Instant::now();
        writer.write_all(&message).unwrap();
        line.clear();
        reader.read_until(b'\n', &mut line).unwrap();
        if i >= 2000 {
            lat.push(t.elapsed());
        }
    }
    drop(writer);
    drop(reader);
    echo.join().unwrap();
    lat.sort();
    lat
}

fn throughput(world: &Arc<World>, clients: usize, duration: Duration) -> f64 {
    let start = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            let world = world.clone();
            std::thread::spawn(move || {
                let mut client =
                    Client::connect(&world.socket(), Duration::from_secs(1), "bench").unwrap();
                let request = query(&world);
                let mut n = 0u64;
                while start.elapsed() < duration {
                    ask(&mut client, &request);
                    n += 1;
                }
                n
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    total as f64 / start.elapsed().as_secs_f64()
}

/// The same measurements in fish, which has no clock variable: the time of
/// each round of `n` calls comes from `date` around it (two forks per
/// round, not per call), and the loop's own cost is that of calling an
/// empty function.
fn fish_script(world: &World, have_docker: bool) -> String {
    format!(
        r#"'{dctx}' init fish | source
set floor (mktemp); echo bench-prod > $floor
function __bench_noop; end
function read_floor; read -l x < $floor; end
function sub_prompt; set -l x ('{prompt}' --format '{{name}}'); end
function sub_docker; set -l x (docker context show); end
function changed
    if set -q DOCKER_CONTEXT; set -e DOCKER_CONTEXT; else; set -gx DOCKER_CONTEXT bench-prod; end
    __dctx_precmd
end
function per
    set -l n $argv[1]
    set -l t0 (date +%s%N)
    switch $argv[2]
        case loop; for i in (seq $n); __bench_noop; end
        case precmd; for i in (seq $n); __dctx_precmd; end
        case read; for i in (seq $n); read_floor; end
        case changed; for i in (seq $n); changed; end
        case prompt; for i in (seq $n); sub_prompt; end
        case docker; for i in (seq $n); sub_docker; end
    end
    set -l t1 (date +%s%N)
    math --scale=0 "($t1 - $t0) / $n"
end
__dctx_precmd; sleep 0.2; __dctx_precmd
echo loop (per 1000 loop) (per 1000 loop) (per 1000 loop) (per 1000 loop) (per 1000 loop)
echo precmd (per 1000 precmd) (per 1000 precmd) (per 1000 precmd) (per 1000 precmd) (per 1000 precmd)
echo read (per 1000 read) (per 1000 read) (per 1000 read) (per 1000 read) (per 1000 read)
echo changed (per 300 changed)
echo dctx-prompt (per 200 prompt)
{docker}
rm -f $floor"#,
        dctx = world.bins.join("dctx").display(),
        prompt = world.bins.join("dctx-prompt").display(),
        docker = if have_docker {
            "echo docker (per 20 docker)"
        } else {
            ""
        },
    )
}

/// Times `__dctx_precmd` inside `shell` (loaded as a user would) beside an
/// in-shell `read` of a file (the floor) and the command substitutions
/// people use today: when nothing changed (the kept segment, the steady
/// state), and when something did before every prompt (a `DOCKER_CONTEXT`
/// toggled, so each prompt asks its helper and the daemon).
fn in_shell_cost(world: &World, shell: &str, have_docker: bool) {
    // Mean ns per call of "$@", run n times. bash's EPOCHREALTIME has six
    // decimals, so the digits are µs; zsh's has nine and does float maths.
    let per = if shell == "zsh" {
        r#"zmodload zsh/datetime
per() { local n=$1; shift; local t0=$EPOCHREALTIME; for ((i = 0; i < n; i++)); do "$@"; done; local t1=$EPOCHREALTIME
  echo $(( (t1 - t0) * 1000000000 / n )); }"#
    } else {
        r#"per() { local n=$1; shift; local t0=$EPOCHREALTIME; for ((i = 0; i < n; i++)); do "$@"; done; local t1=$EPOCHREALTIME
  echo $(( (${t1/./} - ${t0/./}) * 1000 / n )); }"#
    };
    let script = format!(
        r#"eval "$('{dctx}' init {shell})"
floor=$(mktemp); echo bench-prod > "$floor"
{per}
read_floor() {{ IFS= read -r x < "$floor"; }}
sub_prompt() {{ x=$('{prompt}' --format '{{name}}'); }}
sub_docker() {{ x=$(docker context show); }}
changed() {{ if [[ -n ${{DOCKER_CONTEXT-}} ]]; then unset DOCKER_CONTEXT; else export DOCKER_CONTEXT=bench-prod; fi; __dctx_precmd; }}
__dctx_precmd; sleep 0.2; __dctx_precmd
echo "loop $(per 1000 :) $(per 1000 :) $(per 1000 :) $(per 1000 :) $(per 1000 :)"
echo "precmd $(per 1000 __dctx_precmd) $(per 1000 __dctx_precmd) $(per 1000 __dctx_precmd) $(per 1000 __dctx_precmd) $(per 1000 __dctx_precmd)"
echo "read $(per 1000 read_floor) $(per 1000 read_floor) $(per 1000 read_floor) $(per 1000 read_floor) $(per 1000 read_floor)"
echo "changed $(per 300 changed)"
echo "dctx-prompt $(per 200 sub_prompt)"
{docker}
rm -f "$floor""#,
        dctx = world.bins.join("dctx").display(),
        prompt = world.bins.join("dctx-prompt").display(),
        docker = if have_docker {
            r#"echo "docker $(per 20 sub_docker)""#
        } else {
            ""
        },
        per = per,
    );
    let script = if shell == "fish" {
        fish_script(world, have_docker)
    } else {
        script
    };
    let args: &[&str] = match shell {
        "zsh" => &["-f", "-c"],
        "fish" => &["--no-config", "-i", "-c"],
        _ => &["--noprofile", "--norc", "-c"],
    };
    let out = match world
        .command(shell)
        .args(args)
        .arg(&script)
        .stdout(Stdio::piped())
        .output()
    {
        Ok(out) => out,
        Err(_) => {
            println!("{shell}: not installed, not measured");
            return;
        }
    };
    let text = String::from_utf8_lossy(&out.stdout);
    // The median of the rounds on the line, so one disturbed round on a
    // shared machine does not decide the figure.
    let field = |name: &str| {
        let line = text.lines().find_map(|l| l.strip_prefix(name))?;
        let mut rounds: Vec<f64> = line
            .split_whitespace()
            .map(str::parse)
            .collect::<Result<_, _>>()
            .ok()?;
        rounds.sort_by(f64::total_cmp);
        rounds.get(rounds.len() / 2).map(|ns| ns / 1000.0)
    };
    // What the timing loop itself costs per turn (`:` in its place) is
    // taken off the steady-state figures, which are close to it.
    let lap = field("loop ").unwrap_or(0.0);
    match (field("precmd "), field("read ")) {
        (Some(precmd), Some(read)) => {
            let (precmd, read) = (precmd - lap, read - lap);
            println!(
                "{shell}, per prompt (median of 5 rounds of 1,000, less the loop's {lap:.0} µs): __dctx_precmd {precmd:.0} µs; in-shell `read` of a file {read:.0} µs (floor) = {:.1}x",
                precmd / read
            );
            if let Some(changed) = field("changed ") {
                println!(
                    "  __dctx_precmd after a change (helper and daemon asked) {changed:.0} µs"
                );
            }
            if let Some(sub) = field("dctx-prompt ") {
                println!(
                    "  $(dctx-prompt) {sub:.0} µs = {:.1}x __dctx_precmd",
                    sub / precmd
                );
            }
            if let Some(docker) = field("docker ") {
                println!(
                    "  $(docker context show) {docker:.0} µs = {:.0}x __dctx_precmd",
                    docker / precmd
                );
            }
        }
        _ => println!(
            "{shell} measurement failed: {text} {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// Engine probes: what a prompt costs with probes on beside off, the
/// engine slow (probes must never be on a prompt's path), and how often
/// the otherwise idle daemon wakes with probes on.
fn probe_costs(
    world: &World,
    daemon: u32,
    med: &dyn Fn(&mut Vec<Duration>) -> Duration,
) -> anyhow::Result<()> {
    let engine = fake_engine::FakeEngine::unix(&world.root.join("engine.sock"), "bench-engine");
    engine.set_delay(Duration::from_millis(300));
    world
        .command("docker")
        .args(["context", "create", "bench-engine", "--docker"])
        .arg(format!("host={}", engine.endpoint()))
        .status()?;
    let write = |name: &str, text: &str| -> anyhow::Result<PathBuf> {
        let path = world.root.join(name);
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
        let mut c = world.command(world.bins.join("dctx-prompt"));
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
    let (t_on, t_off) = (med(&mut t_on), med(&mut t_off));
    println!(
        "probes: dctx-prompt --pid with probes on {:.0} µs, off {:.0} µs = {:.2}x (the engine takes 300 ms to answer; probed every 1 s meanwhile)",
        micros(t_on),
        micros(t_off),
        t_on.as_secs_f64() / t_off.as_secs_f64()
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

/// The guard's cost on a command it lets through: `dctx guard` in front
/// of the real docker and of one that is /bin/true, the decision for a
/// destructive line, the shim, and, per shell, the `docker` function's
/// fast path beside `command docker` in the same shell.
fn guard_costs(world: &World, have_docker: bool) -> anyhow::Result<()> {
    let truth = || world.command("/bin/true");
    let med = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    // The guard on an allowed command: `dctx guard -- ARGS` decides, then
    // execs docker, so what it adds is the difference from bare docker.
    if have_docker {
        let bare = || {
            let mut c = world.command("docker");
            c.args(["context", "show"]);
            c
        };
        let guarded = || {
            let mut c = world.command(world.bins.join("dctx"));
            c.args(["guard", "--", "context", "show"]);
            c
        };
        // The whole decision for a destructive line (the contexts listed
        // for shared endpoints), without running docker.
        let explain = || {
            let mut c = world.command(world.bins.join("dctx"));
            c.args(["guard", "--explain", "--", "system", "prune", "-af"]);
            c
        };
        // The same guard in front of a `docker` that is /bin/true: what
        // the guard adds, without docker's own variance (milliseconds).
        let fake_dir = world.root.join("fake-docker");
        std::fs::create_dir_all(&fake_dir)?;
        let _ = std::os::unix::fs::symlink("/bin/true", fake_dir.join("docker"));
        let fake_path = format!(
            "{}:{}",
            fake_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let guarded_true = || {
            let mut c = world.command(world.bins.join("dctx"));
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
            med(&mut t_true),
            med(&mut t_bare),
            med(&mut t_guarded),
            med(&mut t_explain),
            med(&mut t_gtrue),
        );
        println!(
        "guard, allowed command: docker context show {:.0} µs bare, {:.0} µs through `dctx guard` = {:.2}x",
        micros(t_bare),
        micros(t_guarded),
        t_guarded.as_secs_f64() / t_bare.as_secs_f64(),
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
            t_explain.as_secs_f64() / t_true.as_secs_f64()
        );
    }
    // The shim: dctx started as `docker` (a symlink first on PATH), the
    // real docker behind it /bin/true: one start of a static binary.
    let fake_dir = world.root.join("fake-docker");
    std::fs::create_dir_all(&fake_dir)?;
    let _ = std::os::unix::fs::symlink("/bin/true", fake_dir.join("docker"));
    let shim_dir = world.root.join("shim");
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
    let (t_true, t_shim) = (med(&mut t_true), med(&mut t_shim));
    println!(
        "guard through the shim: `docker ps` {:.0} µs vs /bin/true {:.0} µs = {:.2}x /bin/true (the real docker is /bin/true; target: one start of a static binary)",
        micros(t_shim),
        micros(t_true),
        t_shim.as_secs_f64() / t_true.as_secs_f64()
    );
    for shell in ["bash", "zsh", "fish"] {
        guard_in_shell_cost(world, shell, &fake_dir);
    }
    Ok(())
}

/// Per call inside `shell` loaded with `dctx init SHELL --guard`: the
/// `docker` function on `docker ps` (its fast path: builtins, then the
/// docker on PATH) beside `command docker ps` in the same shell, the
/// docker on PATH being /bin/true; and the pre-check alone.
fn guard_in_shell_cost(world: &World, shell: &str, fake_dir: &std::path::Path) {
    let dctx = world.bins.join("dctx");
    let script = if shell == "fish" {
        format!(
            r#"'{dctx}' init fish --guard --no-completions | source
set -gx PATH '{fake}' $PATH
function __bench_noop; end
function per
    set -l n $argv[1]
    set -l t0 (date +%s%N)
    switch $argv[2]
        case loop; for i in (seq $n); __bench_noop; end
        case check; for i in (seq $n); __dctx_docker_read_only ps; end
        case bare; for i in (seq $n); command docker ps; end
        case guarded; for i in (seq $n); docker ps; end
    end
    set -l t1 (date +%s%N)
    math --scale=0 "($t1 - $t0) / $n"
end
echo loop (per 2000 loop) (per 2000 loop) (per 2000 loop) (per 2000 loop) (per 2000 loop)
echo check (per 2000 check) (per 2000 check) (per 2000 check) (per 2000 check) (per 2000 check)
set -l b; set -l g
for r in (seq 7); set -a b (per 200 bare); set -a g (per 200 guarded); end
echo bare $b
echo guarded $g"#,
            dctx = dctx.display(),
            fake = fake_dir.display(),
        )
    } else {
        let per = if shell == "zsh" {
            r#"zmodload zsh/datetime
per() { local n=$1; shift; local t0=$EPOCHREALTIME; for ((i = 0; i < n; i++)); do "$@"; done; local t1=$EPOCHREALTIME
  echo $(( (t1 - t0) * 1000000000 / n )); }"#
        } else {
            r#"per() { local n=$1; shift; local t0=$EPOCHREALTIME; for ((i = 0; i < n; i++)); do "$@"; done; local t1=$EPOCHREALTIME
  echo $(( (${t1/./} - ${t0/./}) * 1000 / n )); }"#
        };
        format!(
            r#"eval "$('{dctx}' init {shell} --guard --no-completions)"
PATH='{fake}':$PATH
{per}
echo "loop $(per 2000 :) $(per 2000 :) $(per 2000 :) $(per 2000 :) $(per 2000 :)"
echo "check $(per 2000 __dctx_docker_read_only ps) $(per 2000 __dctx_docker_read_only ps) $(per 2000 __dctx_docker_read_only ps) $(per 2000 __dctx_docker_read_only ps) $(per 2000 __dctx_docker_read_only ps)"
b=; g=
for r in 1 2 3 4 5 6 7; do b="$b $(per 200 command docker ps)"; g="$g $(per 200 docker ps)"; done
echo "bare $b"
echo "guarded $g""#,
            dctx = dctx.display(),
            fake = fake_dir.display(),
        )
    };
    // Interactive: the guard's functions are defined in interactive
    // shells only.
    let args: &[&str] = match shell {
        "zsh" => &["-f", "-i", "-c"],
        "fish" => &["--no-config", "-i", "-c"],
        _ => &["--noprofile", "--norc", "-i", "-c"],
    };
    let out = match world
        .command(shell)
        .args(args)
        .arg(&script)
        .stdout(Stdio::piped())
        .output()
    {
        Ok(out) => out,
        Err(_) => {
            println!("guard in {shell}: not installed, not measured");
            return;
        }
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| {
        let line = text.lines().find_map(|l| l.strip_prefix(name))?;
        let mut rounds: Vec<f64> = line
            .split_whitespace()
            .map(str::parse)
            .collect::<Result<_, _>>()
            .ok()?;
        rounds.sort_by(f64::total_cmp);
        rounds.get(rounds.len() / 2).map(|ns| ns / 1000.0)
    };
    let lap = field("loop ").unwrap_or(0.0);
    match (field("check "), field("bare "), field("guarded ")) {
        (Some(check), Some(bare), Some(guarded)) => println!(
            "guard in {shell}: `docker ps` through the function {guarded:.0} µs vs `command docker ps` {bare:.0} µs in the same shell = {:.2}x, {:+.0} µs (docker is /bin/true; target: no process start, well under 250 µs); the pre-check alone {:.1} µs",
            guarded / bare,
            guarded - bare,
            (check - lap).max(0.0)
        ),
        _ => println!(
            "guard in {shell}: measurement failed: {text} {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// The inotify watches process `pid` holds, from /proc/PID/fdinfo.
fn inotify_watches(pid: u32) -> usize {
    let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/fdinfo")) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            std::fs::read_to_string(e.path())
                .unwrap_or_default()
                .lines()
                .filter(|l| l.starts_with("inotify wd:"))
                .count()
        })
        .sum()
}

/// What the daemon watches for a store of 5,001 contexts of which shells
/// use 3, beside the store's size (a recursive watch holds one watch per
/// context dir, and did before watches followed the contexts in use).
fn watch_counts(world: &World, pid: u32) -> anyhow::Result<()> {
    let config = world.root.join("big-config");
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
            Some(world.root.join("home")),
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
    let bins = build_binaries()?;
    let dir = tempfile::Builder::new().prefix("dctx-bench-").tempdir()?;
    let root = dir.path().to_path_buf();
    let world = Arc::new(World {
        _dir: dir,
        root,
        bins,
    });
    std::fs::create_dir_all(world.root.join("home"))?;
    // dctx uses XDG_RUNTIME_DIR only when it is a dir of this user's, as
    // the real one always is.
    std::fs::create_dir_all(world.root.join("runtime"))?;
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

    let mut daemon: Child = world
        .command(world.bins.join("dctx"))
        .args(["daemon", "run"])
        .spawn()?;
    let pid = daemon.id();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Client::connect(&world.socket(), Duration::from_millis(100), "bench").is_err() {
        if Instant::now() > deadline {
            bail!("the daemon did not come up");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let rss_start = proc_field(pid, "VmRSS:").unwrap_or(0);

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

    if section == Section::Watches {
        watch_counts(&world, pid)?;
        let _ = Command::new("kill").arg(pid.to_string()).status();
        let _ = daemon.wait();
        return Ok(());
    }
    if section == Section::Guard {
        guard_costs(&world, have_docker)?;
        let _ = Command::new("kill").arg(pid.to_string()).status();
        let _ = daemon.wait();
        return Ok(());
    }

    // Latency on one persistent connection.
    let mut client = Client::connect(&world.socket(), Duration::from_secs(1), "bench")?;
    let request = query(&world);
    for _ in 0..2000 {
        ask(&mut client, &request);
    }
    let mut lat: Vec<Duration> = (0..20_000)
        .map(|_| {
            let t = Instant::now();
            ask(&mut client, &request);
            t.elapsed()
        })
        .collect();
    lat.sort();
    println!(
        "query latency, persistent connection: median {:.1} µs, p99 {:.1} µs, max {:.1} µs (20,000 queries)",
        micros(percentile(&lat, 0.5)),
        micros(percentile(&lat, 0.99)),
        micros(*lat.last().unwrap())
    );
    let request_len = dctx_ipc::protocol::encode_line(&request).len();
    let floor = echo_floor(request_len, 20_000);
    println!(
        "  reference, bare Unix-socket echo of the same size: median {:.1} µs, p99 {:.1} µs; daemon/echo median {:.2}x",
        micros(percentile(&floor, 0.5)),
        micros(percentile(&floor, 0.99)),
        percentile(&lat, 0.5).as_secs_f64() / percentile(&floor, 0.5).as_secs_f64()
    );

    for clients in [1, 8, 64] {
        let qps = throughput(&world, clients, Duration::from_secs(1));
        println!("throughput, {clients:>2} concurrent clients: {qps:>9.0} queries/s");
    }

    // One prompt call beside its references, interleaved to share noise.
    let runs = 300;
    let prompt = || {
        let mut c = world.command(world.bins.join("dctx-prompt"));
        c.args(["--format", "{name}"]);
        c
    };
    // As a hook without a helper asks for its shell: through the daemon.
    let bench_pid = std::process::id().to_string();
    let direct = || {
        let mut c = world.command(world.bins.join("dctx-prompt"));
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
    let med = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (t_true, t_prompt, t_direct) = (med(&mut t_true), med(&mut t_prompt), med(&mut t_direct));
    let t_floor = med(&mut t_floor);
    println!(
        "one call, median of {runs}: /bin/true {:.0} µs",
        micros(t_true)
    );
    println!(
        "  empty Rust binary (floor) {:>6.0} µs = {:.2}x /bin/true",
        micros(t_floor),
        t_floor.as_secs_f64() / t_true.as_secs_f64()
    );
    println!(
        "  dctx-prompt (by itself)   {:>6.0} µs = {:.2}x /bin/true",
        micros(t_prompt),
        t_prompt.as_secs_f64() / t_true.as_secs_f64()
    );
    println!(
        "  dctx-prompt --pid (daemon){:>6.0} µs = {:.2}x /bin/true",
        micros(t_direct),
        t_direct.as_secs_f64() / t_true.as_secs_f64()
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
            t_docker.as_secs_f64() / t_prompt.as_secs_f64()
        );
    }

    // `dctx ls` beside `docker context ls` and /bin/true, interleaved.
    if have_docker {
        let ls = || {
            let mut c = world.command(world.bins.join("dctx"));
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
        let (t_true, t_ls, t_docker_ls) = (med(&mut t_true), med(&mut t_ls), med(&mut t_docker_ls));
        println!(
            "dctx ls {:.0} µs = {:.2}x /bin/true; docker context ls {:.0} µs, {:.1}x slower",
            micros(t_ls),
            t_ls.as_secs_f64() / t_true.as_secs_f64(),
            micros(t_docker_ls),
            t_docker_ls.as_secs_f64() / t_ls.as_secs_f64()
        );
    }

    guard_costs(&world, have_docker)?;

    // Per-prompt cost inside each shell, over many calls, beside in-shell references.
    for shell in ["bash", "zsh", "fish"] {
        in_shell_cost(&world, shell, have_docker);
    }

    // Idle: no timers, so no wake-ups and no CPU while nothing changes.
    std::thread::sleep(Duration::from_millis(200));
    let (ticks0, wake0) = (cpu_ticks(pid).unwrap_or(0), wakeups(pid));
    std::thread::sleep(Duration::from_secs(3));
    let (ticks1, wake1) = (cpu_ticks(pid).unwrap_or(0), wakeups(pid));
    println!(
        "idle 3 s: {} CPU ticks, {} thread wake-ups",
        ticks1 - ticks0,
        wake1 - wake0
    );
    if have_docker {
        probe_costs(&world, pid, &med)?;
    }
    if have_docker {
        watch_counts(&world, pid)?;
    }
    let rss_end = proc_field(pid, "VmRSS:").unwrap_or(0);
    println!("daemon RSS: {rss_start} KiB at start, {rss_end} KiB after the run");

    let _ = Command::new("kill").arg(pid.to_string()).status();
    let _ = daemon.wait();
    Ok(())
}
