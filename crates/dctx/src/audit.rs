//! The guard's audit trail: one JSON line per destructive command it sees
//! (allowed, refused, confirmed, bypassed) in `$XDG_STATE_HOME/dctx/
//! guard.log`, rotated at [`MAX_LOG_BYTES`] into `guard.log.1`. Writing it
//! never blocks docker: every failure is one warning on stderr.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use dctx_core::guard::Decision;
use dctx_core::FileSystem;
use dctx_ipc::paths::{ensure_private_dir, euid, open_log};
use serde::{Deserialize, Serialize};

/// The record format's version; a reader shows records of another one as
/// such instead of misreading them.
pub const RECORD_VERSION: u32 = 1;

/// Past this size the log moves to `guard.log.1` (replacing the older one).
pub const MAX_LOG_BYTES: u64 = 1024 * 1024;

/// A record's `argv` is cut to this many words of at most this many
/// characters each, so that one line stays small.
const MAX_ARGS: usize = 64;
const MAX_ARG_CHARS: usize = 256;

/// What happened to a destructive command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Allowed,
    Refused,
    Confirmed,
    Bypassed,
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub v: u32,
    /// UTC, RFC 3339.
    pub time: String,
    pub user: String,
    pub uid: u32,
    pub tty: Option<String>,
    pub cwd: Option<String>,
    /// The words after `docker`.
    pub argv: Vec<String>,
    pub context: String,
    pub endpoint: String,
    pub source: String,
    pub command: String,
    pub decision: Outcome,
    /// `docker-compose` for the standalone compose; absent for docker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    /// `dctx exec` when the target was named by `dctx exec NAME -- …`
    /// rather than by the line's `--context`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub named: Option<String>,
}

impl Record {
    pub fn new(user: String, argv: &[OsString], d: &Decision, outcome: Outcome) -> Record {
        let text = |p: PathBuf| p.to_string_lossy().into_owned();
        let tty = unsafe { libc::isatty(0) == 1 }
            .then(|| std::fs::read_link("/proc/self/fd/0").ok().map(text))
            .flatten();
        let mut args: Vec<String> = argv
            .iter()
            .take(MAX_ARGS)
            .map(|a| a.to_string_lossy().chars().take(MAX_ARG_CHARS).collect())
            .collect();
        if argv.len() > MAX_ARGS {
            args.push(format!("… {} more", argv.len() - MAX_ARGS));
        }
        Record {
            v: RECORD_VERSION,
            time: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            user,
            uid: euid(),
            tty,
            cwd: std::env::current_dir().ok().map(text),
            argv: args,
            context: d.context.clone(),
            endpoint: d.host.clone(),
            source: d.source.to_string(),
            command: d.command.clone(),
            decision: outcome,
            program: None,
            named: None,
        }
    }
}

/// The log in `state_dir`.
pub fn log_path(state_dir: &Path) -> PathBuf {
    state_dir.join("guard.log")
}

/// Appends `record` to the log in `state_dir`, creating the private dir
/// if needed. Never blocks: the file is opened non-blocking, and anything
/// but this user's regular file is left alone.
pub fn append(state_dir: &Path, record: &Record) -> io::Result<()> {
    ensure_private_dir(state_dir)?;
    let path = log_path(state_dir);
    let mut file = open_log(&path)?;
    if file.metadata()?.len() >= MAX_LOG_BYTES {
        let mut older = path.clone().into_os_string();
        older.push(".1");
        std::fs::rename(&path, older)?;
        file = open_log(&path)?;
    }
    let mut line = serde_json::to_vec(record).map_err(io::Error::other)?;
    line.push(b'\n');
    // One write: appends of one line from concurrent guards do not mix.
    file.write_all(&line)
}

/// A line of the log as read back.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    Record(Box<Record>),
    /// A record of another format version, or a line that is not one.
    Other(String),
}

/// The last `n` lines of the log (the rotated file first), oldest first.
pub fn recent(state_dir: &Path, n: usize) -> io::Result<Vec<Line>> {
    let path = log_path(state_dir);
    let mut older = path.clone().into_os_string();
    older.push(".1");
    let mut lines = Vec::new();
    for file in [PathBuf::from(older), path] {
        match dctx_core::RealFs.read(&file) {
            Ok(bytes) => lines.extend(
                String::from_utf8_lossy(&bytes)
                    .lines()
                    .filter(|l| !l.is_empty())
                    .map(str::to_string),
            ),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    let skip = lines.len().saturating_sub(n);
    Ok(lines
        .into_iter()
        .skip(skip)
        .map(|l| parse_line(&l))
        .collect())
}

pub fn parse_line(line: &str) -> Line {
    let version = serde_json::from_str::<serde_json::Value>(line)
        .ok()
        .and_then(|v| v.get("v")?.as_u64());
    match version {
        Some(v) if v == u64::from(RECORD_VERSION) => match serde_json::from_str(line) {
            Ok(r) => Line::Record(Box::new(r)),
            Err(_) => Line::Other(line.to_string()),
        },
        _ => Line::Other(line.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    fn record(argv: &[&str], outcome: Outcome) -> Record {
        let argv: Vec<OsString> = argv.iter().map(OsString::from).collect();
        let d = Decision {
            decision: dctx_core::guard::Verdict::Refuse,
            context: "prod".into(),
            host: "tcp://h:2375".into(),
            source: "DOCKER_CONTEXT",
            problem: None,
            command: "system prune".into(),
            destructive: true,
            protected: true,
            named: false,
            reasons: vec![],
            instead: vec![],
            confirm: false,
            target_env: Default::default(),
        };
        Record::new("u".into(), &argv, &d, outcome)
    }

    #[test]
    fn records_are_appended_read_back_and_rotated() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state/dctx");
        append(&state, &record(&["system", "prune"], Outcome::Refused)).unwrap();
        append(&state, &record(&["rm", "x"], Outcome::Bypassed)).unwrap();
        let lines = recent(&state, 10).unwrap();
        let Line::Record(last) = &lines[1] else {
            panic!("{lines:?}")
        };
        assert_eq!(
            (last.argv.as_slice(), last.decision),
            (&["rm".to_string(), "x".into()][..], Outcome::Bypassed)
        );
        assert_eq!(recent(&state, 1).unwrap().len(), 1);
        assert_eq!(std::fs::metadata(&state).unwrap().mode() & 0o777, 0o700);
        assert_eq!(
            std::fs::metadata(log_path(&state)).unwrap().mode() & 0o777,
            0o600
        );

        // Past the limit, the next record starts a new file.
        let big = "x".repeat(MAX_ARG_CHARS);
        let many: Vec<&str> = vec![big.as_str(); MAX_ARGS];
        while std::fs::metadata(log_path(&state)).unwrap().len() < MAX_LOG_BYTES {
            append(&state, &record(&many, Outcome::Allowed)).unwrap();
        }
        append(&state, &record(&["last"], Outcome::Refused)).unwrap();
        assert!(std::fs::metadata(log_path(&state)).unwrap().len() < 1000);
        assert!(state.join("guard.log.1").exists());
        let lines = recent(&state, 2).unwrap();
        assert!(matches!(&lines[1], Line::Record(r) if r.argv == ["last"]));
    }

    #[test]
    fn a_log_that_is_not_a_regular_file_of_this_user_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("dctx");
        ensure_private_dir(&state).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", log_path(&state)).unwrap();
        assert!(append(&state, &record(&["rm"], Outcome::Refused)).is_err());
        std::fs::remove_file(log_path(&state)).unwrap();
        let fifo = std::ffi::CString::new(log_path(&state).to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        assert!(
            append(&state, &record(&["rm"], Outcome::Refused)).is_err(),
            "a FIFO blocks no one"
        );
    }

    #[test]
    fn a_record_of_another_version_is_not_misread() {
        let mut value = serde_json::to_value(record(&["rm"], Outcome::Refused)).unwrap();
        assert!(matches!(parse_line(&value.to_string()), Line::Record(_)));
        value["v"] = 2.into();
        assert!(matches!(parse_line(&value.to_string()), Line::Other(_)));
        assert!(matches!(parse_line("not json"), Line::Other(_)));
    }
}
