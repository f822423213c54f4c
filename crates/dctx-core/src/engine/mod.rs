//! Engine identity: what a background probe of a context's engine found,
//! the `[engine]` settings, and how a prompt marks an engine that changed
//! or stopped answering.
//!
//! The probing itself (processes, timers) belongs to the daemon and to
//! `dctx pin`; this module is the pure part they share: the probe's
//! command line, how its output is read and what it leaves
//! ([`probe`]), the `[engine]` settings ([`settings`]), and the report
//! built from a result and a pin ([`report`]).
//!
//! ```toml
//! [engine]
//! probe = true                   # or context patterns: ["prod*", "staging"]
//! interval_s = 60                # while some shell or pane uses the context
//! timeout_s = 5                  # then the probe's process group is killed
//! slow_ms = 1000                 # slower answers are "slow"
//! changed_marker = "≠"           # the engine is not the one pinned
//! changed_style = "bold white bg:red"
//! unreachable_marker = "✗"
//! unreachable_style = "bold red"
//! timeout_marker = "⧖"
//! timeout_style = "yellow"
//! unverified_marker = "⚠"        # pinned but not checked, or pins unreadable
//! unverified_style = "bold yellow"
//! ```

pub mod probe;
pub mod report;
pub mod settings;

pub use probe::{now_ms, parse_probe, probe_args, EngineState, Facts, ProbeResult, PROBE_TEMPLATE};
pub use report::{EngineReport, Identity, PinnedIdentity, VisiblePart};
pub use settings::{EngineSettings, Probe, RawEngine, RawProbe};
