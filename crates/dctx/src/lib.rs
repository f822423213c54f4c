//! The `dctx` command: each subcommand reads the process environment once,
//! at this edge, and hands it to `dctx-core`.

pub mod cli;
mod commands;

use std::process::ExitCode;

use cli::{Cli, Command};

/// Runs one command; the exit code is for commands whose answer is a status.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Show => commands::show(),
        Command::Inspect => commands::inspect(),
        Command::Status => commands::status(),
    }
    .map(|()| ExitCode::SUCCESS)
}

/// Whether `err` is a write to a closed pipe.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
