//! The one integration-test binary: each module drives dctx's real binaries
//! in a sandbox (see `dctx_tests`), against real external tools.

mod cli_flags;
mod contexts;
mod daemon;
mod differential;
mod doctor;
mod edge_cases;
mod engine;
mod guard;
mod guard_attack;
mod guard_compose;
mod guard_shell;
mod guard_table;
mod helper_frame;
mod newcomer;
mod package;
mod policy;
mod polish;
mod prompt;
mod read_only;
mod shell_options;
mod shells;
mod soak;
mod switching;
mod syslog;
mod tmux;
mod trust;
mod trust_names;
mod trust_pins;
mod trust_probes;
mod trust_tmux;
