//! The engine report: a probe's result held against the pin (the
//! identity), what `dctx status`, `dctx inspect` and the daemon's answers
//! say of the engine, the markers a prompt shows, and the `{engine}`
//! placeholders.

use serde::{Deserialize, Serialize};

use super::probe::{EngineState, Facts, ProbeResult};
use super::settings::EngineSettings;
use crate::style::Style;

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
    /// value here is a reason to tell the shells (the age and the latency
    /// change with every probe and are not part of it).
    pub fn visible_part(&self) -> VisiblePart<'_> {
        VisiblePart {
            state: self.state,
            identity: self.identity,
            id: self.id.as_deref(),
            name: self.name.as_deref(),
            version: self.version.as_deref(),
            pins_error: self.pins_error.as_deref(),
        }
    }
}

/// The part of an [`EngineReport`] that prompts and the guard show or act
/// on ([`EngineReport::visible_part`]): two reports with equal parts need
/// no redraw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisiblePart<'a> {
    pub state: EngineState,
    pub identity: Identity,
    pub id: Option<&'a str>,
    pub name: Option<&'a str>,
    pub version: Option<&'a str>,
    pub pins_error: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Settings;

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

    #[test]
    fn only_what_a_prompt_or_the_guard_shows_is_visible() {
        let result = |latency_ms, at_ms| ProbeResult {
            state: EngineState::Ok,
            facts: Some(Facts {
                id: "A".into(),
                name: "prod-1".into(),
                ..Facts::default()
            }),
            latency_ms: Some(latency_ms),
            error: None,
            at_ms,
        };
        let first = EngineReport::new(true, Some(&result(10, 0)), None, 100);
        let later = EngineReport::new(true, Some(&result(30, 50)), None, 900);
        assert_ne!(first, later);
        assert_eq!(first.visible_part(), later.visible_part());
        let mut renamed = later.clone();
        renamed.name = Some("prod-2".into());
        assert_ne!(first.visible_part(), renamed.visible_part());
        let unreadable = later.clone().with_unreadable_pins("truncated");
        assert_ne!(first.visible_part(), unreadable.visible_part());
    }
}
