//! How dctx's processes talk to each other, in one place: the daemon
//! protocol and its blocking client, where the runtime files live and who
//! may trust them, and the contract with the bash and zsh hooks (the
//! helper's frames, the change mark and the per-shell stamps).
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
