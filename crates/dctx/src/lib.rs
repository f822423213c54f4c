//! The `dctx` command: `main` reads the process environment once, as
//! [`Vars`], and each subcommand hands what it needs to `dctx-core`,
//! `dctx-ipc` or `dctx-daemon`.

mod audit;
pub mod cli;
mod commands;
mod completions;
mod daemon;
mod doctor;
mod engine;
pub mod guard;
mod init;
pub mod shim;
mod suggest;
mod switch;
#[cfg(test)]
mod test_support;
mod uninstall;

use std::process::ExitCode;

use cli::{Cli, Command, DaemonCommand, GuardCommand};
use dctx_ipc::Vars;

/// Runs one command; the exit code is for commands whose answer is a status.
pub fn run(cli: Cli, vars: &Vars) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Show => commands::show(vars).map(|()| ExitCode::SUCCESS),
        Command::Inspect => commands::inspect(vars).map(|()| ExitCode::SUCCESS),
        Command::Status => commands::status(vars).map(|()| ExitCode::SUCCESS),
        Command::Ls { format, names } => {
            commands::ls(vars, &format, names).map(|()| ExitCode::SUCCESS)
        }
        Command::Use(choice) => switch::run(vars, choice),
        Command::Exec { name, command } => commands::exec(vars, &name, &command),
        Command::Pin { context } => engine::pin(vars, context).map(|()| ExitCode::SUCCESS),
        Command::Unpin { context } => engine::unpin(vars, context).map(|()| ExitCode::SUCCESS),
        Command::Daemon(DaemonCommand::Run { background }) => daemon::run(vars, background),
        Command::Daemon(DaemonCommand::Start) => daemon::start(vars).map(|()| ExitCode::SUCCESS),
        Command::Daemon(DaemonCommand::Stop) => daemon::stop(vars).map(|()| ExitCode::SUCCESS),
        Command::Daemon(DaemonCommand::Status) => daemon::status(vars),
        Command::Init {
            shell,
            prompt,
            starship,
            no_completions,
            guard,
        } => init::run(vars, shell, prompt, starship, !no_completions, guard)
            .map(|()| ExitCode::SUCCESS),
        Command::Guard(g) => match g.command {
            Some(GuardCommand::Shim { dir, force }) => {
                shim::install(vars, &dir, force).map(|()| ExitCode::SUCCESS)
            }
            Some(GuardCommand::Log { lines, json }) => {
                guard::show_log(vars, lines, json).map(|()| ExitCode::SUCCESS)
            }
            None => {
                let how = guard::Invocation {
                    program: if g.compose {
                        dctx_core::guard::Program::Compose
                    } else {
                        dctx_core::guard::Program::Docker
                    },
                    paste: if g.fish {
                        dctx_core::guard::Paste::Fish
                    } else {
                        dctx_core::guard::Paste::Sh
                    },
                    ..Default::default()
                };
                guard::run(vars, &g.args, &how, g.explain, g.json)
            }
        },
        Command::Doctor { json } => doctor::run(vars, json),
        Command::Uninstall { dry_run } => uninstall::run(vars, dry_run).map(|()| ExitCode::SUCCESS),
        Command::Completions { shell } => completions::run(shell).map(|()| ExitCode::SUCCESS),
    }
}

/// Whether `err` is a write to a closed pipe.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
