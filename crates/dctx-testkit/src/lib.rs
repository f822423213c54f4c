//! What the integration tests (`tests/harness`), the soak (`dctx-soak`)
//! and the benchmark (`dctx-bench`) share, in one place: a private world
//! to run dctx in ([`Sandbox`]), the daemon under test ([`Daemon`]) and a
//! raw protocol connection to it ([`Conn`]), the `/proc` readers
//! ([`procfs`]), and small file and process helpers. Each user adds what
//! is its own (the tests' machine lock and tool rules, the soak's config
//! dirs, the benchmark's references) on top.
//!
//! Not shipped and not hashed into the build id.

mod conn;
mod daemon;
mod files;
pub mod procfs;
mod sandbox;

pub use conn::Conn;
pub use daemon::{Daemon, Frozen};
pub use files::copy_tree;
pub use procfs::signal;
pub use sandbox::Sandbox;

/// Polls `done` until it holds, failing after `limit`: for eventual
/// consistency, not for measuring speed.
pub fn wait_for(what: &str, limit: std::time::Duration, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}
