//! Well-behaved clients: shells, each a real process (so the daemon can
//! tell when it has exited) with its own persistent connection, environment
//! and tty, asking as a prompt and a status bar do.

use std::ops::Range;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use dctx_ipc::client::Client;
use dctx_ipc::protocol::{Caller, Request, Response, Segment};

use crate::control::Control;
use crate::truth::{direct, render_opts, Fact, Truth};
use crate::world::World;

#[derive(Debug, Default)]
pub struct Stats {
    pub queries: u64,
    pub lookups: u64,
    /// Lookups by tty that did not find the shell that just queried.
    pub lookup_misses: u64,
    /// Requests retried on a new connection because the daemon was killed.
    pub restart_retries: u64,
    /// Failures outside the restart window.
    pub errors: u64,
    pub examples: Vec<String>,
    pub shells_started: u64,
}

impl Stats {
    pub fn add(&mut self, other: Stats) {
        self.queries += other.queries;
        self.lookups += other.lookups;
        self.lookup_misses += other.lookup_misses;
        self.restart_retries += other.restart_retries;
        self.errors += other.errors;
        self.shells_started += other.shells_started;
        self.examples.extend(other.examples);
        self.examples.truncate(5);
    }

    fn error(&mut self, what: String) {
        self.errors += 1;
        if self.examples.len() < 5 {
            self.examples.push(what);
        }
    }
}

struct Shell {
    process: Child,
    key: usize,
    tty: String,
    /// The connection and the daemon epoch it was made in.
    conn: Option<(Client, u32)>,
}

impl Shell {
    fn spawn(slot: usize, key: usize) -> anyhow::Result<Shell> {
        let mut cmd = Command::new("sleep");
        cmd.arg("86400")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: prctl is a raw syscall, async-signal-safe; the stand-in
        // shell must not outlive the soak if it is killed.
        unsafe {
            cmd.pre_exec(|| {
                let kill = Some(rustix::process::Signal::KILL);
                let _ = rustix::process::set_parent_process_death_signal(kill);
                Ok(())
            });
        }
        Ok(Shell {
            process: cmd
                .spawn()
                .context("could not start a stand-in shell (sleep)")?,
            key,
            tty: format!("/dev/pts/soak-{slot}"),
            conn: None,
        })
    }

    fn exit(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

struct Driver<'a> {
    world: &'a World,
    truth: &'a Truth,
    control: &'a Control,
    stats: Stats,
}

/// An answer with the direct reads taken around it.
struct Answer {
    segment: Segment,
    around: [Fact; 2],
    start: Instant,
    end: Instant,
    retried: bool,
}

impl Driver<'_> {
    /// Connects, waiting out a restart; None when stopping or on a real error.
    fn connect(&mut self) -> Option<(Client, u32)> {
        loop {
            let epoch = self.control.epoch();
            match Client::connect(&self.world.socket(), Duration::from_secs(2), "dctx-soak") {
                Ok(client) => return Some((client, epoch)),
                Err(_) if self.control.in_restart(Instant::now()) && !self.control.stopping() => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => {
                    self.stats.error(format!("connect: {e}"));
                    return None;
                }
            }
        }
    }

    fn ask(&mut self, shell: &mut Shell, request: &Request) -> Option<Answer> {
        let env = &self.world.envs[shell.key];
        let mut retried = false;
        loop {
            if shell.conn.is_none() {
                shell.conn = Some(self.connect()?);
            }
            let (client, epoch) = shell.conn.as_mut()?;
            let start = Instant::now();
            let before = direct(env);
            let reply = client.call(request);
            let after = direct(env);
            let end = Instant::now();
            match reply {
                Ok(Response::Segment(segment)) => {
                    return Some(Answer {
                        segment,
                        around: [before, after],
                        start,
                        end,
                        retried,
                    })
                }
                Ok(other) => {
                    self.stats.error(format!("unexpected reply {other:?}"));
                    return None;
                }
                Err(e) => {
                    let stale = *epoch < self.control.epoch();
                    shell.conn = None;
                    if stale || self.control.in_restart(end) {
                        self.stats.restart_retries += 1;
                        retried = true;
                        continue;
                    }
                    self.stats.error(format!("request: {e}"));
                    return None;
                }
            }
        }
    }

    fn query(&mut self, shell: &mut Shell) -> bool {
        let request = Request::Query {
            env: self.world.envs[shell.key].clone(),
            caller: Some(Caller {
                pid: shell.process.id(),
                tty: Some(shell.tty.clone()),
                ..Caller::default()
            }),
            render: render_opts(),
        };
        let Some(a) = self.ask(shell, &request) else {
            return false;
        };
        self.stats.queries += 1;
        let [before, after] = &a.around;
        self.truth.check(
            shell.key,
            Fact::from(&a.segment),
            [before, after],
            a.start,
            a.end,
        );
        !a.retried
    }

    /// What a status bar asks: the context of the shell on this tty.
    fn lookup(&mut self, shell: &mut Shell, fallback: usize) {
        let request = Request::Lookup {
            tty: Some(shell.tty.clone()),
            pid: None,
            fallback: self.world.envs[fallback].clone(),
            render: render_opts(),
        };
        let Some(a) = self.ask(shell, &request) else {
            return;
        };
        self.stats.lookups += 1;
        if a.retried {
            // A replacement daemon has not heard from this shell yet.
            return;
        }
        if !a.segment.matched_shell {
            self.stats.lookup_misses += 1;
            self.stats
                .error(format!("lookup of {} did not find its shell", shell.tty));
            return;
        }
        let [before, after] = &a.around;
        self.truth.check(
            shell.key,
            Fact::from(&a.segment),
            [before, after],
            a.start,
            a.end,
        );
    }
}

/// Drives the shells in `slots` until the run stops.
pub fn drive(
    world: &World,
    truth: &Truth,
    control: &Control,
    slots: Range<usize>,
    seed: u64,
) -> anyhow::Result<Stats> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let keys = world.envs.len();
    // A status bar's fallback: the global environment of a plain login.
    let fallback = world
        .envs
        .iter()
        .position(|e| e.vars().next().is_none())
        .unwrap_or(0);
    let mut shells = Vec::with_capacity(slots.len());
    for slot in slots.clone() {
        shells.push(Shell::spawn(slot, rng.usize(..keys))?);
    }
    let mut driver = Driver {
        world,
        truth,
        control,
        stats: Stats {
            shells_started: shells.len() as u64,
            ..Stats::default()
        },
    };
    while !control.stopping() {
        let i = rng.usize(..shells.len());
        let roll = rng.u32(..100);
        if roll < 2 {
            // The shell exits and a new one opens on the same terminal.
            shells[i].exit();
            shells[i] = Shell::spawn(slots.start + i, rng.usize(..keys))?;
            driver.stats.shells_started += 1;
        } else if roll < 7 {
            // `export DOCKER_CONTEXT=…` and the like.
            shells[i].key = rng.usize(..keys);
        }
        let shell = &mut shells[i];
        if driver.query(shell) && roll >= 90 {
            driver.lookup(shell, fallback);
        }
    }
    for shell in &mut shells {
        shell.exit();
    }
    Ok(driver.stats)
}
