//! The `dctx` command: each subcommand reads the process environment once,
//! at this edge, and hands it to `dctx-core` or `dctx-daemon`.

pub mod cli;
mod commands;
mod daemon;
mod init;

use std::process::ExitCode;

use cli::{Cli, Command, DaemonCommand};

/// Runs one command; the exit code is for commands whose answer is a status.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Show => commands::show().map(|()| ExitCode::SUCCESS),
        Command::Inspect => commands::inspect().map(|()| ExitCode::SUCCESS),
        Command::Status => commands::status().map(|()| ExitCode::SUCCESS),
        Command::Daemon(DaemonCommand::Run { background }) => {
            daemon::run(background).map(|()| ExitCode::SUCCESS)
        }
        Command::Daemon(DaemonCommand::Start) => daemon::start().map(|()| ExitCode::SUCCESS),
        Command::Daemon(DaemonCommand::Stop) => daemon::stop().map(|()| ExitCode::SUCCESS),
        Command::Daemon(DaemonCommand::Status) => daemon::status(),
        Command::Init {
            shell,
            prompt,
            starship,
        } => init::run(shell, prompt, starship).map(|()| ExitCode::SUCCESS),
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
