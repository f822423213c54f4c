//! One soak run: set up the world, start the daemon, run every worker at
//! once, kill the daemon once along the way, then judge and report.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use dctx_ipc::client::Client;
use dctx_ipc::protocol::{Request, Response};
use dctx_ipc::spawn::sibling;

use crate::args::Args;
use crate::control::Control;
use crate::daemon::{self, size};
use crate::report::Report;
use crate::truth::{direct, render_opts, Fact, Truth, PROPAGATION};
use crate::world::World;
use crate::{hostile, mutators, shells};

pub fn run(args: &Args) -> anyhow::Result<Report> {
    let dctx = args.dctx.clone().unwrap_or_else(|| sibling("dctx"));
    if !dctx.is_file() {
        bail!(
            "no dctx binary at {}; build it (cargo build -p dctx) or pass --dctx",
            dctx.display()
        );
    }
    if args.shells < args.threads.max(1) {
        bail!("--shells must be at least --threads");
    }
    let seed = args.seed.unwrap_or_else(|| fastrand::u64(..));
    let duration = args.duration();
    dctx_ipc::process::raise_fd_limit();
    eprintln!("dctx-soak: setting up with the Docker CLI (seed {seed})");
    let world = World::create(dctx, args.docker.clone())?;
    let truth = Truth::new(&world.envs);
    let control = Control::default();
    let mut report = Report {
        duration,
        short: args.short,
        seed,
        shells: args.shells,
        threads: args.threads,
        environments: world.envs.len(),
        ..Report::default()
    };
    let first = daemon::start(&world)?;
    report.first.push(("start", size(first)));
    eprintln!("dctx-soak: running for {duration:?} against daemon pid {first}");
    let began = Instant::now();
    let at = |fraction: f64| began + duration.mul_f64(fraction);
    let nap_until = |t: Instant| control.nap(t.saturating_duration_since(Instant::now()));

    let mut second = 0;
    std::thread::scope(|s| -> anyhow::Result<()> {
        let threads = args.threads.max(1);
        let per = args.shells / threads;
        let (world, truth, control) = (&world, &truth, &control);
        let drivers: Vec<_> = (0..threads)
            .map(|t| {
                let end = if t + 1 == threads {
                    args.shells
                } else {
                    (t + 1) * per
                };
                s.spawn(move || shells::drive(world, truth, control, t * per..end, seed ^ t as u64))
            })
            .collect();
        let uses = s.spawn(|| mutators::context_use(world, truth, control, seed.rotate_left(1)));
        let meta = s.spawn(|| mutators::meta(world, truth, control, seed.rotate_left(2)));
        let churn = s.spawn(|| mutators::recreate_dir(world, truth, control));
        let hostile = s.spawn(|| hostile::run(world, control, seed.rotate_left(3)));

        let scheduled = (|| -> anyhow::Result<()> {
            nap_until(at(0.4));
            if control.stopping() {
                bail!("a worker stopped the run early");
            }
            report.first.push(("before kill -9", size(first)));
            control.killing();
            report.killed_at = began.elapsed();
            daemon::kill9(first)?;
            second = daemon::start(world).context("the daemon did not come back after kill -9")?;
            control.restarted();
            report.restart = began.elapsed() - report.killed_at;
            report.second.push(("start", size(second)));
            nap_until(at(0.6));
            report.second.push(("warm", size(second)));
            nap_until(at(1.0));
            report.second.push(("end", size(second)));
            let status = daemon::status(world)?;
            report.shells_tracked = status.shells;
            report.watched = status.watched.len();
            report.served = status.queries;
            Ok(())
        })();
        control.stop();
        for d in drivers {
            report
                .clients
                .add(d.join().expect("shell driver panicked")?);
        }
        report.mutations.context_uses = uses.join().expect("context use panicked")?;
        (
            report.mutations.meta_replaced,
            report.mutations.meta_recreated,
        ) = meta.join().expect("meta mutator panicked")?;
        report.mutations.dir_recreated = churn.join().expect("dir mutator panicked")?;
        report.hostile = hostile.join().expect("hostile client panicked");
        scheduled
    })?;

    // Everyone has hung up and every shell has exited: what the daemon
    // holds now is what it keeps. It looks for exited shells once a second.
    std::thread::sleep(Duration::from_millis(1100));
    report.second.push(("clients gone", size(second)));
    report.shells_left = daemon::status(&world)?.shells;
    report.final_mismatches = final_check(&world)?;
    report.states = truth.states_recorded();
    report.judgement = truth.judge((!args.short).then_some(PROPAGATION));
    report.stop_error = daemon::stop(&world).err().map(|e| format!("{e:#}"));
    println!("{report}");
    Ok(report)
}

/// With every writer stopped, each environment's answer must equal the
/// direct resolution exactly: a stale cache would show here.
fn final_check(world: &World) -> anyhow::Result<Vec<String>> {
    let mut client = Client::connect(&world.socket(), Duration::from_secs(2), "dctx-soak")?;
    let mut out = Vec::new();
    for (key, env) in world.envs.iter().enumerate() {
        let request = Request::Query {
            env: env.clone(),
            caller: None,
            render: render_opts(),
        };
        let answer = match client.call(&request)? {
            Response::Segment(s) => Fact::from(&s),
            other => bail!("unexpected reply {other:?}"),
        };
        let expected = direct(env);
        if answer != expected {
            out.push(format!(
                "environment {key}: daemon {:?}, direct {:?}",
                answer.text, expected.text
            ));
        }
    }
    Ok(out)
}
