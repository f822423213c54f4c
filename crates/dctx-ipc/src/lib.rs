//! How dctx's processes talk to each other, in one place, and the few OS
//! facts they share.
//!
//! Between processes: the daemon protocol (`protocol`) and its blocking
//! client (`client`), which build may talk to which (`build_id`), the
//! daemon lock (`lock`), how dctx starts its own processes (`spawn`), and
//! the contract with the shell scripts (`helper_frame`, and `stamps`: the
//! change mark and the per-shell stamps the hooks check).
//!
//! Shared OS facts, not IPC, kept here because every binary needs them and
//! this crate is the floor they all stand on: the environment snapshot
//! (`vars`), where runtime files live and who may trust them (`paths`),
//! process facts (`process`), the engine probe runner (`probe`) and the
//! pins file (`pins`).
//!
//! Everything here is synchronous, so the prompt client can use it without
//! an async runtime. Nothing here reads the process environment: the
//! binaries take a [`Vars`] snapshot at their edge and pass it down.

pub mod build_id;
pub mod client;
pub mod helper_frame;
pub mod lock;
pub mod paths;
pub mod pins;
pub mod probe;
pub mod process;
pub mod protocol;
pub mod spawn;
pub mod stamps;
pub mod vars;

pub use vars::Vars;

/// The build id's inputs, checked here against the manifests.
#[cfg(test)]
#[path = "../build_inputs.rs"]
mod build_inputs;
