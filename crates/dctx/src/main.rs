use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = dctx::cli::Cli::parse();
    let vars = dctx_ipc::Vars::from_process();
    match dctx::run(cli, &vars) {
        Ok(code) => code,
        // `dctx inspect | head` closing the pipe early is not an error.
        Err(err) if dctx::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("dctx: {err:#}");
            ExitCode::FAILURE
        }
    }
}
