use std::process::ExitCode;

use clap::Parser;

/// Whether this is `dctx use --emit …`, as the shell functions run it.
fn emitting() -> bool {
    let mut args = std::env::args_os().skip(1);
    args.next().is_some_and(|a| a == "use") && args.any(|a| a == "--emit")
}

fn main() -> ExitCode {
    let vars = dctx_ipc::Vars::from_process();
    // Reached as `docker` through `dctx guard shim`.
    if dctx::shim::invoked_as_docker() {
        return dctx::shim::main(&vars);
    }
    let cli = match dctx::cli::Cli::try_parse() {
        Ok(cli) => cli,
        // The shell functions evaluate what `dctx use --emit SHELL …`
        // prints: help asked for there (`dctx use --help`) goes to stderr,
        // and the empty stdout runs nothing.
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelp && emitting() => {
            eprint!("{}", e.render());
            return ExitCode::SUCCESS;
        }
        Err(e) => e.exit(),
    };
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
