//! What a run measured, the verdict, and how both are printed.

use std::fmt;
use std::time::Duration;

use crate::daemon::Size;
use crate::truth::{Judgement, PROPAGATION};
use crate::{hostile, mutators, shells};

/// Growth allowed between the warmed-up daemon and the end of the run,
/// for allocator slack; a leak per shell or per query exceeds it quickly.
const RSS_SLACK_KIB: u64 = 4 * 1024;
/// Descriptors a watched config dir may hold (notify's inotify instance,
/// its epoll and wake-up fds) on top of the daemon's own at start.
const FDS_PER_WATCH: usize = 4;

#[derive(Debug, Default)]
pub struct Report {
    pub duration: Duration,
    /// The test suite's short mode: judged on what it saw, not on how fast
    /// (figures belong to the long mode).
    pub short: bool,
    pub seed: u64,
    pub shells: usize,
    pub threads: usize,
    pub environments: usize,
    pub clients: shells::Stats,
    pub hostile: hostile::Stats,
    pub mutations: mutators::Stats,
    pub judgement: Judgement,
    pub states: usize,
    pub final_mismatches: Vec<String>,
    pub served: u64,
    pub shells_tracked: usize,
    /// Shells the daemon still knows after every shell exited.
    pub shells_left: usize,
    pub watched: usize,
    pub killed_at: Duration,
    pub restart: Duration,
    pub first: Vec<(&'static str, Size)>,
    pub second: Vec<(&'static str, Size)>,
    /// What went wrong stopping the daemon, if anything.
    pub stop_error: Option<String>,
}

impl Report {
    fn size(sizes: &[(&str, Size)], label: &str) -> Size {
        sizes
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, s)| *s)
            .unwrap_or_default()
    }

    /// Each failed check, in words.
    pub fn failures(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut fail = |bad: bool, what: String| {
            if bad {
                out.push(what);
            }
        };
        fail(
            self.judgement.wrong > 0,
            format!("{} wrong answers", self.judgement.wrong),
        );
        fail(
            !self.final_mismatches.is_empty(),
            format!(
                "{} environments disagree after the writers stopped",
                self.final_mismatches.len()
            ),
        );
        fail(
            self.clients.errors > 0,
            format!(
                "{} errors seen by well-behaved clients outside the restart window",
                self.clients.errors
            ),
        );
        fail(
            self.hostile.misbehaved > 0,
            format!(
                "{} protocol violations toward hostile clients",
                self.hostile.misbehaved
            ),
        );
        let wanted = if self.short { 1 } else { 100 };
        fail(
            self.mutations.context_uses < wanted,
            format!(
                "only {} docker context use runs (want {wanted} or more)",
                self.mutations.context_uses
            ),
        );
        fail(
            self.shells_left > 0,
            format!(
                "the daemon still tracks {} shells after all exited",
                self.shells_left
            ),
        );
        let warm = Self::size(&self.second, "warm");
        let end = Self::size(&self.second, "end");
        fail(
            end.rss_kib > warm.rss_kib + warm.rss_kib / 2 + RSS_SLACK_KIB,
            format!("RSS grew from {warm} to {end}"),
        );
        let baseline = Self::size(&self.first, "start");
        let gone = Self::size(&self.second, "clients gone");
        fail(
            gone.fds > baseline.fds + FDS_PER_WATCH * self.watched,
            format!(
                "{} fds after every client left, {} at start, {} dirs watched",
                gone.fds, baseline.fds, self.watched
            ),
        );
        if let Some(e) = &self.stop_error {
            out.push(format!("stopping the daemon: {e}"));
        }
        out
    }

    pub fn passed(&self) -> bool {
        self.failures().is_empty()
    }
}

fn per_sec(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.clients;
        let m = &self.mutations;
        let h = &self.hostile;
        let j = &self.judgement;
        writeln!(
            f,
            "dctx soak: {:?}, {} shells at a time on {} threads, {} environments, seed {}",
            self.duration, self.shells, self.threads, self.environments, self.seed
        )?;
        writeln!(f, "  queries answered:      {} ({:.0}/s) and {} tty lookups; daemon counted {} since restart", c.queries, per_sec(c.queries, self.duration), c.lookups, self.served)?;
        writeln!(f, "  wrong answers:         {}", j.wrong)?;
        let allowed = if self.short {
            "any lag in the short mode".to_string()
        } else {
            format!("allowed {PROPAGATION:?}")
        };
        writeln!(f, "  late answers:          {} (a state replaced at most {:.1} ms before the query; {allowed})", j.late, j.max_lag.as_secs_f64() * 1e3)?;
        writeln!(f, "  mid rm -rf:            {} answers matching no recorded state, asked while the config dir was half deleted (counted, not judged)", j.mid_change)?;
        writeln!(f, "  client errors:         {} outside the restart window; {} requests retried across the restart", c.errors, c.restart_retries)?;
        writeln!(
            f,
            "  after the writers:     {} of {} environments disagree",
            self.final_mismatches.len(),
            self.environments
        )?;
        writeln!(f, "  writes:                {} docker context use, {} meta.json replaced, {} removed and recreated, config dir recreated {} times ({} states recorded)", m.context_uses, m.meta_replaced, m.meta_recreated, m.dir_recreated, self.states)?;
        writeln!(f, "  shells:                {} started, {} tracked by the daemon near the end, {} once all had exited", c.shells_started, self.shells_tracked, self.shells_left)?;
        writeln!(f, "  hostile clients:       {} ({} stalled, {} garbage, {} oversized, {} before hello, {} truncated, {} floods, {} hang-ups); {} protocol violations", h.total(), h.stalled, h.garbage, h.oversized, h.before_hello, h.truncated, h.floods, h.hangups, h.misbehaved)?;
        writeln!(
            f,
            "  kill -9:               at {:.1} s; `dctx daemon start` answered {:.0} ms later",
            self.killed_at.as_secs_f64(),
            self.restart.as_secs_f64() * 1e3
        )?;
        for (name, sizes) in [
            ("first daemon", &self.first),
            ("second daemon", &self.second),
        ] {
            let line: Vec<String> = sizes.iter().map(|(l, s)| format!("{l}: {s}")).collect();
            writeln!(f, "  {name:<22} {}", line.join("; "))?;
        }
        for e in j
            .examples
            .iter()
            .chain(&self.final_mismatches)
            .chain(&c.examples)
            .chain(&h.examples)
        {
            writeln!(f, "  example: {e}")?;
        }
        let failures = self.failures();
        if failures.is_empty() {
            write!(f, "result: PASS")
        } else {
            write!(f, "result: FAIL: {}", failures.join("; "))
        }
    }
}
