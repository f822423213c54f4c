use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let vars = dctx_ipc::Vars::from_process();
    // Reached as `docker` through `dctx guard shim`.
    if dctx::shim::invoked_as_docker() {
        return dctx::shim::main(&vars);
    }
    let cli = dctx::cli::Cli::parse();
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
