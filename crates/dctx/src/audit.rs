//! The guard's audit trail: one JSON line per destructive command it sees
//! (allowed, refused, confirmed, bypassed) in `$XDG_STATE_HOME/dctx/
//! guard.log`, rotated at [`MAX_LOG_BYTES`] into `guard.log.1`. Writers
//! append and rotate under one lock (`flock` on `guard.log.lock`), so two
//! guards rotating at once lose no record. Writing it never holds docker
//! up for long: the lock is waited for a bounded time, and every failure
//! is one warning on stderr.

use std::ffi::OsString;
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use dctx_core::guard::policy::{Facility, SyslogSink};
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
        let tty = std::io::IsTerminal::is_terminal(&std::io::stdin())
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

/// How many times, a millisecond apart, a writer tries the lock before it
/// gives up with a warning: another guard holds it for one write, so
/// running out means something holds it for good.
const LOCK_TRIES: u32 = 2000;

/// Appends `record` to the log in `state_dir`, creating the private dir
/// if needed. Never blocks for long: the file is opened non-blocking, the
/// lock waited for a bounded time, and anything but this user's regular
/// file is left alone.
pub fn append(state_dir: &Path, record: &Record) -> io::Result<()> {
    append_rotating_at(state_dir, record, MAX_LOG_BYTES)
}

/// [`append`], rotating past `max_bytes`.
fn append_rotating_at(state_dir: &Path, record: &Record, max_bytes: u64) -> io::Result<()> {
    ensure_private_dir(state_dir)?;
    let mut line = serde_json::to_vec(record).map_err(io::Error::other)?;
    line.push(b'\n');
    let path = log_path(state_dir);
    // Size, rename and append are one step for every writer: without the
    // lock two writers could both see a full log, and the second rename
    // would replace the full `guard.log.1` with the first one's new file.
    let _lock = lock(&state_dir.join("guard.log.lock"))?;
    let mut file = open_log(&path)?;
    if file.metadata()?.len() >= max_bytes {
        let mut older = path.clone().into_os_string();
        older.push(".1");
        std::fs::rename(&path, older)?;
        file = open_log(&path)?;
    }
    // One write: a reader without the lock never sees half a line.
    file.write_all(&line)
}

/// The writers' lock: held while the returned file is open.
fn lock(path: &Path) -> io::Result<std::fs::File> {
    let file = open_log(path)?;
    for _ in 0..LOCK_TRIES {
        // SAFETY: flock on a descriptor this function owns; the lock goes
        // with the descriptor when the file is dropped.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(file);
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EWOULDBLOCK) {
            return Err(err);
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    Err(io::Error::new(
        io::ErrorKind::WouldBlock,
        format!("{} stayed locked", path.display()),
    ))
}

/// The enterprise number in the records' SD-ID (`dctx@32473`): 32473 is
/// the one RFC 5612 reserves for documentation and examples.
pub const SD_ID: &str = "dctx@32473";

/// Sends `record` to the syslog datagram socket of `sink`, RFC 5424. Never
/// holds docker up: the socket is non-blocking, so a full or missing one
/// is an error for one warning, not a wait.
pub fn send_syslog(sink: &SyslogSink, record: &Record) -> io::Result<()> {
    let line = rfc5424(record, sink.facility, &hostname(), std::process::id());
    let socket = std::os::unix::net::UnixDatagram::unbound()?;
    socket.set_nonblocking(true)?;
    socket.send_to(line.as_bytes(), &sink.path)?;
    Ok(())
}

/// The record as one RFC 5424 message: `<PRI>1 TIMESTAMP HOSTNAME dctx
/// PID guard - [dctx@32473 user="…" …] MSG`. Refused and bypassed
/// commands (and confirmed ones, which reached a protected target) are
/// notices, allowed ones information.
pub fn rfc5424(record: &Record, facility: Facility, hostname: &str, pid: u32) -> String {
    let severity = match record.decision {
        Outcome::Allowed => 6,
        Outcome::Refused | Outcome::Bypassed | Outcome::Confirmed => 5,
    };
    let pri = u32::from(facility.code()) * 8 + severity;
    let decision = outcome_word(record.decision);
    let params = [
        ("user", record.user.clone()),
        ("uid", record.uid.to_string()),
        ("tty", record.tty.clone().unwrap_or_default()),
        ("cwd", record.cwd.clone().unwrap_or_default()),
        ("context", record.context.clone()),
        ("endpoint", record.endpoint.clone()),
        ("command", record.command.clone()),
        ("decision", decision.to_string()),
    ]
    .iter()
    .map(|(k, v)| format!("{k}=\"{}\"", sd_value(v)))
    .collect::<Vec<_>>()
    .join(" ");
    let mut argv = vec![record.program.clone().unwrap_or_else(|| "docker".into())];
    argv.extend(record.argv.iter().cloned());
    let msg = format!(
        "{decision}: {} on context {} ({}) for {}",
        dctx_core::guard::command_text(&argv),
        record.context,
        record.endpoint,
        record.user
    );
    format!(
        "<{pri}>1 {} {} dctx {pid} guard - [{SD_ID} {params}] {}",
        record.time,
        header_field(hostname),
        one_line(&msg)
    )
}

fn outcome_word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Allowed => "allowed",
        Outcome::Refused => "refused",
        Outcome::Confirmed => "confirmed",
        Outcome::Bypassed => "bypassed",
    }
}

/// An SD-PARAM value: `"`, `\` and `]` escaped (RFC 5424 6.3.3), and the
/// characters that would end or hide a log line shown escaped first, so a
/// hostile context name cannot forge a second record.
fn sd_value(text: &str) -> String {
    let mut out = String::new();
    for c in one_line(text).chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `text` with controls, bidi and zero-width characters escaped.
fn one_line(text: &str) -> String {
    dctx_core::terminal_text::for_terminal(text).into_owned()
}

/// A header field: printable ASCII without spaces, at most 255, else `-`.
fn header_field(text: &str) -> String {
    let ok = !text.is_empty() && text.len() <= 255 && text.bytes().all(|b| (33..=126).contains(&b));
    if ok {
        text.to_string()
    } else {
        "-".into()
    }
}

/// This machine's name, as the kernel has it.
fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer and its length are this function's own.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return String::new();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// The login name of `uid` in `passwd` (`/etc/passwd`'s text): the
/// binaries are static, so there is no NSS to ask; a user only in LDAP
/// has no name here, and the record keeps the uid.
pub fn user_name(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id: u32 = fields.nth(1)?.parse().ok()?;
        (id == uid && !name.is_empty()).then(|| name.to_string())
    })
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
    if n == 0 {
        return Ok(Vec::new());
    }
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
        let d = crate::test_support::refused_prune();
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

    /// Many writers, a tiny rotation size: every record is in one of the
    /// two files or was rotated out with a full `guard.log.1` (rotation
    /// drops only what was already two files back), so no record is lost
    /// to a race, and `guard.log.1` is never a short file.
    #[test]
    fn concurrent_writers_rotating_lose_no_record() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("dctx");
        let one = serde_json::to_vec(&record(&["rm", "w00-0000"], Outcome::Refused))
            .unwrap()
            .len() as u64
            + 1;
        // Each file holds exactly 10 records before it rotates.
        let max = one * 10;
        let (writers, each) = (8, 200);
        let rotated_full = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let threads: Vec<_> = (0..writers)
            .map(|w| {
                let state = state.clone();
                std::thread::spawn(move || {
                    for i in 0..each {
                        let r = record(&["rm", &format!("w{w:02}-{i:04}")], Outcome::Refused);
                        append_rotating_at(&state, &r, max).unwrap();
                    }
                })
            })
            .collect();
        // Meanwhile: every `guard.log.1` seen is a full file.
        let older = state.join("guard.log.1");
        while threads.iter().any(|t| !t.is_finished()) {
            if let Ok(text) = std::fs::read_to_string(&older) {
                let n = text.lines().count();
                // A rename is atomic: a reader sees the whole old file.
                assert_eq!(n, 10, "a short guard.log.1:\n{text}");
                rotated_full.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
        for t in threads {
            t.join().unwrap();
        }
        let total = writers * each;
        let kept = recent(&state, usize::MAX).unwrap();
        let tail = std::fs::read_to_string(log_path(&state)).unwrap();
        let in_log = tail.lines().count();
        // 10 per full file: the rotated file is full, and the live one
        // holds what came after the last rotation.
        assert_eq!(kept.len(), 10 + in_log, "{kept:?}");
        assert_eq!(
            (total - in_log) % 10,
            0,
            "records lost: {in_log} in the live log"
        );
        assert_eq!(in_log, if total % 10 == 0 { 10 } else { total % 10 });
        let names: std::collections::BTreeSet<String> = kept
            .iter()
            .map(|l| match l {
                Line::Record(r) => r.argv[1].clone(),
                Line::Other(o) => panic!("a torn line: {o}"),
            })
            .collect();
        assert_eq!(names.len(), kept.len(), "a record written twice");
    }

    #[test]
    fn a_syslog_message_escapes_what_would_end_a_value_or_a_line() {
        let mut r = record(&["system", "prune"], Outcome::Refused);
        r.user = "a\"b]c\\d".into();
        r.context = "evil\n<13>1 forged".into();
        let line = rfc5424(&r, Facility::User, "host name", 42);
        assert!(line.starts_with("<13>1 "), "{line}");
        assert!(line.contains(" - dctx 42 guard - [dctx@32473 "), "{line}");
        assert!(line.contains(r#"user="a\"b\]c\\d""#), "{line}");
        assert!(!line.contains('\n'), "{line}");
        assert!(
            line.contains(r#"decision="refused"] refused: docker system prune"#),
            "{line}"
        );
        let allowed = rfc5424(
            &record(&["rm", "x"], Outcome::Allowed),
            Facility::AuthPriv,
            "h",
            1,
        );
        assert!(allowed.starts_with("<86>1 "), "{allowed}");
    }

    #[test]
    fn the_user_comes_from_passwd_by_uid() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\n\nbroken\nme:x:1000:1000::/home/me:/bin/sh\n:x:7:7::/:\n";
        assert_eq!(user_name(passwd, 1000).as_deref(), Some("me"));
        assert_eq!(user_name(passwd, 0).as_deref(), Some("root"));
        assert_eq!(user_name(passwd, 7), None);
        assert_eq!(user_name(passwd, 4242), None);
    }

    #[test]
    fn asking_for_no_lines_reads_none() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("dctx");
        append(&state, &record(&["rm"], Outcome::Refused)).unwrap();
        assert!(recent(&state, 0).unwrap().is_empty());
        assert_eq!(recent(&state, 5).unwrap().len(), 1);
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
        // SAFETY: fifo is a valid NUL-terminated path.
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
