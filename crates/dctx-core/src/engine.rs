//! Engine identity: what a background probe of a context's engine found,
//! the `[engine]` settings, and how a prompt marks an engine that changed
//! or stopped answering.
//!
//! The probing itself (processes, timers) belongs to the daemon and to
//! `dctx pin`; this module is the pure part they share: the probe's
//! command line, how its output is read, and the report built from a
//! result and a pin.
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

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::settings::glob_match;
use crate::style::Style;

/// The Go template the probe gives `docker info --format`: one JSON
/// object, every value through `json` so nothing in it can break the line.
pub const PROBE_TEMPLATE: &str = r#"{"id":{{json .ID}},"name":{{json .Name}},"version":{{json .ServerVersion}},"os":{{json .OSType}},"arch":{{json .Architecture}}}"#;

/// The arguments after `docker` that probe context `name`: through the CLI
/// itself, so that SSH contexts, TLS material and proxies behave as they
/// do for the user's own commands.
pub fn probe_args(name: &str) -> Vec<String> {
    vec![
        "--context".into(),
        name.into(),
        "info".into(),
        "--format".into(),
        PROBE_TEMPLATE.into(),
    ]
}

/// Milliseconds since the Unix epoch: when probes end, and the clock
/// their age is read against, the same for every process.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// What an engine says it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    pub id: String,
    pub name: String,
    pub version: String,
    pub os: String,
    pub arch: String,
}

/// Reads a probe's output: its exit status, stdout and stderr. An error is
/// what the CLI said, on one line, for `dctx status`.
pub fn parse_probe(success: bool, stdout: &[u8], stderr: &[u8]) -> Result<Facts, String> {
    let said = || {
        let text = String::from_utf8_lossy(stderr);
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with("WARNING"))
            .unwrap_or("docker info failed without saying why");
        line.chars().take(300).collect::<String>()
    };
    if !success {
        return Err(said());
    }
    let line = String::from_utf8_lossy(stdout);
    let facts: Facts = serde_json::from_str(line.trim())
        .map_err(|e| format!("unexpected answer from docker info: {e}"))?;
    if facts.id.is_empty() {
        return Err(said());
    }
    Ok(facts)
}

/// Which contexts are probed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    Off,
    All,
    Matching(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineSettings {
    pub probe: Probe,
    pub interval: Duration,
    pub timeout: Duration,
    pub slow: Duration,
    pub changed_marker: String,
    pub changed_style: Style,
    pub unreachable_marker: String,
    pub unreachable_style: Style,
    pub timeout_marker: String,
    pub timeout_style: Style,
    pub unverified_marker: String,
    pub unverified_style: Style,
}

impl Default for EngineSettings {
    fn default() -> Self {
        let style = |s: &str| s.parse().expect("built-in style parses");
        EngineSettings {
            probe: Probe::Off,
            interval: Duration::from_secs(60),
            timeout: Duration::from_secs(5),
            slow: Duration::from_millis(1000),
            changed_marker: "≠".into(),
            changed_style: style("bold white bg:red"),
            unreachable_marker: "✗".into(),
            unreachable_style: style("bold red"),
            timeout_marker: "⧖".into(),
            timeout_style: style("yellow"),
            unverified_marker: "⚠".into(),
            unverified_style: style("bold yellow"),
        }
    }
}

impl EngineSettings {
    /// Whether context `name` is probed.
    pub fn probes(&self, name: &str) -> bool {
        match &self.probe {
            Probe::Off => false,
            Probe::All => true,
            Probe::Matching(patterns) => patterns.iter().any(|p| glob_match(p, name)),
        }
    }
}

/// `probe = true` or `probe = ["prod*"]`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawProbe {
    On(bool),
    Matching(Vec<String>),
}

/// `[engine]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEngine {
    probe: Option<RawProbe>,
    interval_s: Option<f64>,
    timeout_s: Option<f64>,
    slow_ms: Option<u64>,
    changed_marker: Option<String>,
    changed_style: Option<String>,
    unreachable_marker: Option<String>,
    unreachable_style: Option<String>,
    timeout_marker: Option<String>,
    timeout_style: Option<String>,
    unverified_marker: Option<String>,
    unverified_style: Option<String>,
}

impl EngineSettings {
    pub(crate) fn from_raw(raw: RawEngine) -> Result<EngineSettings, String> {
        let mut s = EngineSettings {
            probe: match raw.probe {
                None | Some(RawProbe::On(false)) => Probe::Off,
                Some(RawProbe::On(true)) => Probe::All,
                Some(RawProbe::Matching(p)) => Probe::Matching(p),
            },
            ..EngineSettings::default()
        };
        let seconds = |v: Option<f64>, key: &str, default: Duration| match v {
            None => Ok(default),
            // A tenth of a second at least: tests use short intervals,
            // nobody wants a probe loop.
            Some(v) if v.is_finite() && (0.1..=86_400.0).contains(&v) => {
                Ok(Duration::from_secs_f64(v))
            }
            Some(v) => Err(format!("engine.{key}: {v} is not between 0.1 and 86400")),
        };
        s.interval = seconds(raw.interval_s, "interval_s", s.interval)?;
        s.timeout = seconds(raw.timeout_s, "timeout_s", s.timeout)?;
        if let Some(ms) = raw.slow_ms {
            s.slow = Duration::from_millis(ms);
        }
        let style = |v: Option<String>, key: &str, default: &Style| match v {
            None => Ok(default.clone()),
            Some(v) => v.parse().map_err(|e| format!("engine.{key}: {e}")),
        };
        s.changed_style = style(raw.changed_style, "changed_style", &s.changed_style)?;
        s.unreachable_style = style(
            raw.unreachable_style,
            "unreachable_style",
            &s.unreachable_style,
        )?;
        s.timeout_style = style(raw.timeout_style, "timeout_style", &s.timeout_style)?;
        s.unverified_style = style(
            raw.unverified_style,
            "unverified_style",
            &s.unverified_style,
        )?;
        for (value, slot) in [
            (raw.changed_marker, &mut s.changed_marker),
            (raw.unreachable_marker, &mut s.unreachable_marker),
            (raw.timeout_marker, &mut s.timeout_marker),
            (raw.unverified_marker, &mut s.unverified_marker),
        ] {
            if let Some(v) = value {
                // A marker is a few characters, not a second prompt.
                *slot = v.chars().take(16).collect();
            }
        }
        Ok(s)
    }
}

/// The probe's verdict on an engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineState {
    /// Probes are off for this context.
    Off,
    /// Probes are on; none has finished yet.
    Pending,
    Ok,
    /// Answered, slower than `slow_ms`.
    Slow,
    /// The CLI could not reach it (its error is kept).
    Unreachable,
    /// No answer before `timeout_s`; the probe was killed.
    Timeout,
}

/// Whether the engine is the one pinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Identity {
    /// Pinned, and the last probe answered with the pinned ID.
    Match,
    /// The last answer came from another engine ID than the one pinned.
    Changed,
    /// Not pinned (and the pins could be read).
    Unpinned,
    /// Cannot be told: pinned but no probe has answered (none yet, probes
    /// off, or the last one failed), or the pins cannot be read. Never
    /// taken for a match.
    Unknown,
}

/// What a probe found, and when (milliseconds since the Unix epoch, so the
/// age means the same to every process).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeResult {
    pub state: EngineState,
    /// From the last probe that got an answer (kept while it is down).
    pub facts: Option<Facts>,
    pub latency_ms: Option<u64>,
    pub error: Option<String>,
    pub at_ms: u64,
}

/// An expected identity, recorded by `dctx pin`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinnedIdentity {
    pub id: String,
    pub name: String,
    /// RFC 3339, UTC.
    pub pinned_at: String,
}

/// The engine part of `dctx inspect`, `dctx status` and the daemon's
/// answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineReport {
    pub state: EngineState,
    pub name: Option<String>,
    pub id: Option<String>,
    pub version: Option<String>,
    pub os: Option<String>,
    pub arch: Option<String>,
    pub latency_ms: Option<u64>,
    /// Since the last probe finished.
    pub age_ms: Option<u64>,
    pub error: Option<String>,
    pub pinned_id: Option<String>,
    pub pinned_name: Option<String>,
    pub pinned_at: Option<String>,
    pub identity: Identity,
    /// Why `pins.json` could not be read: then no target's pin is known.
    #[serde(default)]
    pub pins_error: Option<String>,
}

impl EngineReport {
    /// The report for a context, from whether it is probed, the last
    /// result, the pin, and the time now (ms since the epoch).
    pub fn new(
        probed: bool,
        result: Option<&ProbeResult>,
        pin: Option<&PinnedIdentity>,
        now_ms: u64,
    ) -> EngineReport {
        let facts = result.and_then(|r| r.facts.as_ref());
        let field = |f: fn(&Facts) -> &String| facts.map(|x| f(x).clone());
        // Only a probe that answered just now vouches for the engine: a
        // failed one keeps the last facts, which say who it was, not is.
        let answered = probed
            && result.is_some_and(|r| matches!(r.state, EngineState::Ok | EngineState::Slow));
        let identity = match (pin, facts) {
            (None, _) => Identity::Unpinned,
            (Some(p), Some(f)) if p.id != f.id => Identity::Changed,
            (Some(_), Some(_)) if answered => Identity::Match,
            (Some(_), _) => Identity::Unknown,
        };
        EngineReport {
            state: match (probed, result) {
                (false, _) => EngineState::Off,
                (true, None) => EngineState::Pending,
                (true, Some(r)) => r.state,
            },
            name: field(|f| &f.name),
            id: field(|f| &f.id),
            version: field(|f| &f.version),
            os: field(|f| &f.os),
            arch: field(|f| &f.arch),
            latency_ms: result.and_then(|r| r.latency_ms),
            age_ms: result.map(|r| now_ms.saturating_sub(r.at_ms)),
            error: result.and_then(|r| r.error.clone()),
            pinned_id: pin.map(|p| p.id.clone()),
            pinned_name: pin.map(|p| p.name.clone()),
            pinned_at: pin.map(|p| p.pinned_at.clone()),
            identity,
            pins_error: None,
        }
    }

    /// The report when `pins.json` could not be read (`reason`): whether
    /// this target is pinned cannot be known, so it is not verified.
    pub fn with_unreadable_pins(mut self, reason: impl Into<String>) -> EngineReport {
        self.identity = Identity::Unknown;
        self.pins_error = Some(reason.into());
        self
    }

    /// Why the identity is `Unknown`, in words for `dctx status` and the
    /// guard; `None` for any other identity.
    pub fn unverified_reason(&self) -> Option<String> {
        if self.identity != Identity::Unknown {
            return None;
        }
        if let Some(e) = &self.pins_error {
            return Some(format!(
                "the pins cannot be read ({e}), so no engine can be checked against its pin"
            ));
        }
        Some(match self.state {
            EngineState::Off => {
                "not checked: probes are off for it ([engine] probe in the settings)".into()
            }
            EngineState::Pending => "not checked yet: no probe has answered".into(),
            EngineState::Unreachable | EngineState::Timeout => format!(
                "not checked: the last probe failed ({})",
                self.error.as_deref().unwrap_or("no answer")
            ),
            EngineState::Ok | EngineState::Slow => "not checked yet".into(),
        })
    }

    /// The markers a prompt shows after the segment, with their styles:
    /// an identity change first (it is the loud one), then a silent engine.
    pub fn markers<'a>(&self, s: &'a EngineSettings) -> Vec<(&'a str, &'a Style)> {
        let mut out = Vec::new();
        let silent = matches!(self.state, EngineState::Unreachable | EngineState::Timeout);
        match self.identity {
            Identity::Changed => out.push((s.changed_marker.as_str(), &s.changed_style)),
            // A silent engine's own marker already says it was not
            // checked; unreadable pins are news of their own.
            Identity::Unknown if !silent || self.pins_error.is_some() => {
                out.push((s.unverified_marker.as_str(), &s.unverified_style))
            }
            _ => {}
        }
        match self.state {
            EngineState::Unreachable => {
                out.push((s.unreachable_marker.as_str(), &s.unreachable_style))
            }
            EngineState::Timeout => out.push((s.timeout_marker.as_str(), &s.timeout_style)),
            _ => {}
        }
        out
    }

    /// `{engine}`, `{engine_version}`, `{latency}`: empty when unknown.
    pub fn placeholder(report: Option<&EngineReport>, key: &str) -> Option<String> {
        let r = report.filter(|r| r.state != EngineState::Off);
        Some(match key {
            "engine" => r.and_then(|r| r.name.clone()).unwrap_or_default(),
            "engine_version" => r.and_then(|r| r.version.clone()).unwrap_or_default(),
            "latency" => r
                .and_then(|r| r.latency_ms)
                .map(|ms| format!("{ms}ms"))
                .unwrap_or_default(),
            _ => return None,
        })
    }

    /// What changes what a prompt shows or what a guard decides: a new
    /// value here is a reason to tell the shells.
    #[allow(clippy::type_complexity)]
    pub fn visible_part(
        &self,
    ) -> (
        EngineState,
        Identity,
        &Option<String>,
        &Option<String>,
        &Option<String>,
        &Option<String>,
    ) {
        (
            self.state,
            self.identity,
            &self.id,
            &self.name,
            &self.version,
            &self.pins_error,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Settings;

    #[test]
    fn a_probe_answer_is_read_and_a_failure_keeps_the_clis_words() {
        let out =
            br#"{"id":"ABCD","name":"prod-1","version":"27.0.0","os":"linux","arch":"x86_64"}"#;
        let facts = parse_probe(true, out, b"").unwrap();
        assert_eq!((facts.id.as_str(), facts.name.as_str()), ("ABCD", "prod-1"));
        let err = parse_probe(
            false,
            br#"{"id":"","name":""}"#,
            b"WARNING: x\nCannot connect to the Docker daemon at unix:///x. Is the docker daemon running?\n",
        )
        .unwrap_err();
        assert!(err.starts_with("Cannot connect"), "{err}");
        assert!(parse_probe(true, b"garbage", b"").is_err());
        assert!(parse_probe(
            true,
            br#"{"id":"","name":"","version":"","os":"","arch":""}"#,
            b""
        )
        .is_err());
    }

    #[test]
    fn settings_choose_what_is_probed_and_how() {
        let s = Settings::default().engine;
        assert!(!s.probes("prod"), "probes are opt-in");
        let s = Settings::parse("[engine]\nprobe = [\"prod*\"]\ninterval_s = 0.2\n")
            .unwrap()
            .engine;
        assert!(s.probes("prod-eu") && !s.probes("dev"));
        assert_eq!(s.interval, Duration::from_millis(200));
        assert!(Settings::parse("[engine]\nprobe = true\n")
            .unwrap()
            .engine
            .probes("x"));
        assert!(Settings::parse("[engine]\ninterval_s = 0\n").is_err());
        assert!(Settings::parse("[engine]\nchanged_style = \"blinking\"\n").is_err());
        assert!(Settings::parse("[engine]\nprobes = true\n").is_err());
    }

    #[test]
    fn identity_is_the_last_answer_against_the_pin() {
        let facts = |id: &str| Facts {
            id: id.into(),
            name: "n".into(),
            ..Facts::default()
        };
        let result = |state, id: &str| ProbeResult {
            state,
            facts: Some(facts(id)),
            latency_ms: Some(12),
            error: None,
            at_ms: 1_000,
        };
        let pin = PinnedIdentity {
            id: "A".into(),
            name: "n".into(),
            pinned_at: "t".into(),
        };
        let ok = result(EngineState::Ok, "A");
        let r = EngineReport::new(true, Some(&ok), Some(&pin), 1_500);
        assert_eq!((r.identity, r.age_ms), (Identity::Match, Some(500)));
        assert!(r.markers(&EngineSettings::default()).is_empty());
        let moved = result(EngineState::Unreachable, "B");
        let r = EngineReport::new(true, Some(&moved), Some(&pin), 1_000);
        assert_eq!(r.identity, Identity::Changed);
        let s = EngineSettings::default();
        let markers: Vec<&str> = r.markers(&s).iter().map(|m| m.0).collect();
        assert_eq!(markers, ["≠", "✗"]);
        assert_eq!(
            EngineReport::new(true, None, None, 0).state,
            EngineState::Pending
        );
        assert_eq!(
            EngineReport::new(false, Some(&ok), None, 0).state,
            EngineState::Off
        );
        assert_eq!(
            EngineReport::new(true, Some(&ok), None, 0).identity,
            Identity::Unpinned
        );
    }

    #[test]
    fn a_pin_nobody_checked_is_unknown_never_a_match() {
        let pin = PinnedIdentity {
            id: "A".into(),
            name: "n".into(),
            pinned_at: "t".into(),
        };
        let s = EngineSettings::default();
        let markers = |r: &EngineReport| -> Vec<String> {
            r.markers(&s).iter().map(|m| m.0.to_string()).collect()
        };
        // No probe has answered yet, or probes are off.
        let pending = EngineReport::new(true, None, Some(&pin), 0);
        assert_eq!(pending.identity, Identity::Unknown);
        assert_eq!(markers(&pending), ["⚠"]);
        assert!(pending
            .unverified_reason()
            .unwrap()
            .contains("not checked yet"));
        let off = EngineReport::new(false, None, Some(&pin), 0);
        assert_eq!(off.identity, Identity::Unknown);
        // The probe failed (an HTTP 500, say): the facts kept from before
        // say who the engine was, not who answers now.
        let failed = ProbeResult {
            state: EngineState::Unreachable,
            facts: Some(Facts {
                id: "A".into(),
                ..Facts::default()
            }),
            latency_ms: None,
            error: Some("Error response from daemon: boom".into()),
            at_ms: 0,
        };
        let r = EngineReport::new(true, Some(&failed), Some(&pin), 0);
        assert_eq!(r.identity, Identity::Unknown);
        assert_eq!(markers(&r), ["✗"], "the silent engine's marker says it");
        assert!(r.unverified_reason().unwrap().contains("boom"));
        // Unreadable pins: unknown for every target, with the reason.
        let ok = ProbeResult {
            state: EngineState::Ok,
            error: None,
            ..failed.clone()
        };
        let r = EngineReport::new(true, Some(&ok), None, 0).with_unreadable_pins("truncated");
        assert_eq!(r.identity, Identity::Unknown);
        assert_eq!(markers(&r), ["⚠"]);
        assert!(r.unverified_reason().unwrap().contains("truncated"));
        let s = Settings::parse("[engine]\nunverified_marker = \"?!\"\n")
            .unwrap()
            .engine;
        assert_eq!(r.markers(&s)[0].0, "?!");
    }
}
