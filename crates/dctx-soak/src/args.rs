//! Command-line options.

use std::path::PathBuf;
use std::time::Duration;

/// Runs a real dctx daemon for a bounded time under load and faults, checks
/// every answer against dctx's resolution code run directly on the same
/// files, and reports. Everything happens in a temporary directory: the
/// daemon, its socket and the Docker config dirs are private to the run, and
/// only Unix sockets are used. Exits 0 when every check passed, 1 when one
/// failed, 2 when the run could not be set up.
#[derive(Debug, clap::Parser)]
#[command(version)]
pub struct Args {
    /// The short mode the test suite runs: 15 seconds.
    #[arg(long, conflicts_with = "duration")]
    pub short: bool,
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 120)]
    pub duration: u64,
    /// How many shells exist at once; each is a real process with its own
    /// connection, environment and tty, and shells are replaced as they run.
    #[arg(long, default_value_t = 1000)]
    pub shells: usize,
    /// Threads driving the shells' queries.
    #[arg(long, default_value_t = 4)]
    pub threads: usize,
    /// Seed for every random choice (default: from the clock).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The dctx binary (default: the one next to dctx-soak).
    #[arg(long)]
    pub dctx: Option<PathBuf>,
    /// The docker CLI (default: `docker` on PATH).
    #[arg(long, default_value = "docker")]
    pub docker: PathBuf,
}

impl Args {
    pub fn duration(&self) -> Duration {
        Duration::from_secs(if self.short { 15 } else { self.duration.max(5) })
    }
}
