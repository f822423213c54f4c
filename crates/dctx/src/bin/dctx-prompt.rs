//! The `dctx-prompt` binary, built by the `dctx` package so that one
//! `cargo install --path crates/dctx` installs both commands. Everything
//! is in the `dctx-prompt` library, which starts no async runtime: this
//! file must use nothing else (not the `dctx` library, which links tokio).

use std::process::ExitCode;

fn main() -> ExitCode {
    // A prompt must never show a panic: the hook stays silent and the
    // catch below prints a marker instead.
    std::panic::set_hook(Box::new(|_| {}));
    let args: Vec<_> = std::env::args_os().collect();
    let vars = dctx_ipc::Vars::from_process();
    match std::panic::catch_unwind(|| dctx_prompt::run(args, &vars)) {
        Ok(code) => code,
        Err(_) => {
            dctx_prompt::print_segment(dctx_prompt::FAILURE_MARKER);
            ExitCode::SUCCESS
        }
    }
}
