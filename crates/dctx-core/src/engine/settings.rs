//! `[engine]` in the settings: which contexts are probed, how often and
//! for how long, and the markers and styles a prompt shows for an engine
//! that changed, went silent or was never checked.

use std::time::Duration;

use serde::Deserialize;

use crate::pattern::glob_match;
use crate::style::Style;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Settings;

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
}
