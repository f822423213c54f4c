//! `dctx-soak`: a bounded soak and fault run against a real dctx daemon.

mod args;
mod control;
mod daemon;
mod hostile;
mod mutators;
mod report;
mod run;
mod shells;
mod truth;
mod world;

use clap::Parser as _;

fn main() -> std::process::ExitCode {
    let args = args::Args::parse();
    match run::run(&args) {
        Ok(report) if report.passed() => std::process::ExitCode::SUCCESS,
        Ok(_) => std::process::ExitCode::from(1),
        Err(e) => {
            eprintln!("dctx-soak: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
