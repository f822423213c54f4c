//! The probe: the command line that asks an engine who it is (through
//! the Docker CLI), how its output is read, and the result a probe leaves
//! (state, facts, latency, when).

use serde::{Deserialize, Serialize};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
