//! The one integration-test binary: each module drives dctx's real binaries
//! in a sandbox (see `dctx_tests`), against real external tools.

mod cli_flags;
mod contexts;
mod daemon;
mod differential;
mod edge_cases;
mod engine;
mod guard;
mod prompt;
mod read_only;
mod shells;
mod soak;
mod switching;
mod tmux;
mod trust;
mod trust_probes;
mod trust_tmux;
