//! Everything that passes between the shell scripts
//! (`shell-integrations/dctx.{bash,zsh,fish}`) and `dctx-prompt`, in one
//! place, under one version ([`FRAME_VERSION`]): the scripts' side is
//! held to these definitions (by `dctx init`'s tests, which print the
//! lines the scripts must have), and `dctx-prompt` reads and writes them
//! only through this module.
//!
//! | who → whom | what | shape |
//! |---|---|---|
//! | bash/zsh hook → helper (`in` FIFO) | [`Request`] | `VERSION\0PWD\0` then one `VALUE\0` per [`REQUEST_VARS`] |
//! | helper → bash/zsh hook (`out` FIFO) | [`Answer`] | `VERSION\0SEGMENT\0STAMP_DIR\0` |
//! | `dctx-prompt --serve-fifos` → bash/zsh | [`Started`] | `PID\nDIR\n` |
//! | fish → `dctx-prompt --keep --frame VERSION` | argv | the hook's version as `--frame` |
//! | `dctx-prompt --keep` → fish | [`Kept`] | `SEGMENT\0STAMP_DIR\0` |
//!
//! A request's values are the variables' values *if the shell exports
//! them* (empty otherwise: docker sees only exported variables, and an
//! empty one counts as unset). A stamp dir is empty when the shell must
//! not keep the segment (see `stamps.rs` for what the hook checks there).
//!
//! **An old peer is detected, never misread.** A script loaded before an
//! upgrade (a long-lived shell) talks to the new binary, or a new script
//! to a helper left running. Each side checks the other's version:
//! - a helper asked in another version answers [`Answer::other_version`]
//!   (its own version, nothing else: a shape every version keeps), leaves
//!   [`stale_mark`] in the shell's dir, and exits. The script, seeing
//!   another version, stops it and runs one plain `dctx-prompt --pid`, which
//!   finds the mark and shows the right segment with [`RESTART_HINT`];
//! - a script that reads another version in an answer does the same (a
//!   new script and an old helper: it starts a helper of its own build at
//!   the next prompt);
//! - `--keep` with another `--frame` answers [`Kept::for_other_version`]:
//!   the segment with [`RESTART_HINT`] and no stamp dir, so the shell
//!   keeps nothing it could not check.

use std::ffi::{OsStr, OsString};
use std::io::{self, BufRead, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use dctx_core::env::DOCKER_VARS;

use crate::vars::PROBE_VARS;

/// The version of every format here. Bumped on any change to them, or to
/// what the hooks check in the stamp dir (`stamps::HOOK_CHECKS`,
/// `stamps::DAEMON_ALIVE`), or to [`REQUEST_VARS`]: a test pins what
/// version 4 is.
pub const FRAME_VERSION: &str = "4";

/// What a `--keep` without `--frame` speaks: fish scripts from before the
/// flag, which spoke version 4.
const UNVERSIONED_KEEP: &str = "4";

/// Shown, after the segment, by a prompt whose script speaks another frame
/// version than the binary it runs: its shell loaded dctx before an
/// upgrade (or a downgrade) and should be restarted (or `dctx init`
/// evaluated again). Plain text that no shell's prompt expands.
pub const RESTART_HINT: &str = "(dctx: restart this shell)";

/// What the settings file's path depends on.
pub const SETTINGS_VARS: [&str; 3] = ["HOME", "DCTX_CONFIG", "XDG_CONFIG_HOME"];

const ALL: usize = SETTINGS_VARS.len() + DOCKER_VARS.len() + PROBE_VARS.len();

/// The variables a request carries, in order: [`SETTINGS_VARS`], then
/// every variable that changes which daemon docker talks to
/// (`dctx_core::env::DOCKER_VARS`, the one list of those), then what the
/// shell's engine probes read besides (`vars::PROBE_VARS`).
pub const REQUEST_VARS: [&str; ALL] = {
    let mut out = [""; ALL];
    let mut i = 0;
    while i < out.len() {
        out[i] = if i < SETTINGS_VARS.len() {
            SETTINGS_VARS[i]
        } else if i < SETTINGS_VARS.len() + DOCKER_VARS.len() {
            DOCKER_VARS[i - SETTINGS_VARS.len()]
        } else {
            PROBE_VARS[i - SETTINGS_VARS.len() - DOCKER_VARS.len()]
        };
        i += 1;
    }
    out
};

/// The fields of a request after the version: `PWD` and the variables.
pub const REQUEST_FIELDS: usize = 1 + REQUEST_VARS.len();

/// `segment` as a prompt shows it when its script is of another version:
/// still the right context, and the hint to restart the shell.
pub fn with_restart_hint(segment: &str) -> String {
    if segment.is_empty() {
        RESTART_HINT.to_string()
    } else {
        format!("{segment} {RESTART_HINT}")
    }
}

/// The file a helper leaves in its shell's dir when that shell's script
/// spoke another frame version; `dctx-prompt --pid` (the script's
/// fallback) shows [`RESTART_HINT`] while it is there. `--serve-fifos`
/// makes the dir anew, so a script of this version never sees one.
pub fn stale_mark(shell_dir: &Path) -> PathBuf {
    shell_dir.join("stale")
}

/// One NUL-terminated field from `input`; `None` at the end of input,
/// even in the middle of a field (a peer that went away).
fn read_field(input: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut field = Vec::new();
    if input.read_until(0, &mut field)? == 0 || field.last() != Some(&0) {
        return Ok(None);
    }
    field.pop();
    Ok(Some(field))
}

fn write_fields<'a>(
    out: &mut impl Write,
    fields: impl IntoIterator<Item = &'a [u8]>,
) -> io::Result<()> {
    for field in fields {
        out.write_all(field)?;
        out.write_all(b"\0")?;
    }
    out.flush()
}

fn path_field(stamps: &Option<PathBuf>) -> &[u8] {
    stamps.as_deref().map_or(b"", |p| p.as_os_str().as_bytes())
}

fn path_from(field: Vec<u8>) -> Option<PathBuf> {
    (!field.is_empty()).then(|| PathBuf::from(OsString::from_vec(field)))
}

/// A hook's question: its `PWD`, and each of [`REQUEST_VARS`]' values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub pwd: OsString,
    /// In the order of [`REQUEST_VARS`]; empty when not exported.
    pub values: Vec<OsString>,
}

/// What a helper reads from its `in` FIFO.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    Request(Request),
    /// A request of another version, by the version it gave; the rest of
    /// it is left unread (its shape is that version's).
    OtherVersion(Vec<u8>),
}

impl Request {
    /// A request with each variable's value from `value` (`None`: not
    /// exported).
    pub fn new(pwd: OsString, value: impl Fn(&str) -> Option<OsString>) -> Request {
        let values = REQUEST_VARS
            .iter()
            .map(|k| value(k).unwrap_or_default())
            .collect();
        Request { pwd, values }
    }

    /// The value of `name`, one of [`REQUEST_VARS`], when it is exported
    /// and not empty.
    pub fn get(&self, name: &str) -> Option<&OsStr> {
        let i = REQUEST_VARS.iter().position(|v| *v == name)?;
        Some(self.values[i].as_os_str()).filter(|v| !v.is_empty())
    }

    /// The bytes a hook writes (`printf '%s\0' VERSION "$PWD" "${__DCTX_ENV[@]}"`).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let fields = [FRAME_VERSION.as_bytes(), self.pwd.as_bytes()]
            .into_iter()
            .chain(self.values.iter().map(|v| v.as_bytes()));
        write_fields(&mut out, fields).expect("writing to a Vec");
        out
    }

    /// Reads the next request; `None` when the input ends first.
    pub fn read(input: &mut impl BufRead) -> io::Result<Option<Incoming>> {
        let Some(version) = read_field(input)? else {
            return Ok(None);
        };
        if version != FRAME_VERSION.as_bytes() {
            return Ok(Some(Incoming::OtherVersion(version)));
        }
        let mut fields = Vec::with_capacity(REQUEST_FIELDS);
        for _ in 0..REQUEST_FIELDS {
            let Some(field) = read_field(input)? else {
                return Ok(None);
            };
            fields.push(OsString::from_vec(field));
        }
        let pwd = fields.remove(0);
        Ok(Some(Incoming::Request(Request {
            pwd,
            values: fields,
        })))
    }
}

/// A helper's reply to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The helper's [`FRAME_VERSION`], which the hook compares with its own.
    pub version: String,
    pub segment: String,
    /// Where the hook checks that the segment still holds; `None`: it
    /// must ask again next time.
    pub stamps: Option<PathBuf>,
}

impl Answer {
    pub fn new(segment: String, stamps: Option<PathBuf>) -> Answer {
        Answer {
            version: FRAME_VERSION.into(),
            segment,
            stamps,
        }
    }

    /// The answer to a request of another version: this version and
    /// nothing else. Every version answers so, version first, so that any
    /// script can tell.
    pub fn other_version() -> Answer {
        Answer::new(String::new(), None)
    }

    pub fn write(&self, out: &mut impl Write) -> io::Result<()> {
        let fields = [
            self.version.as_bytes(),
            self.segment.as_bytes(),
            path_field(&self.stamps),
        ];
        write_fields(out, fields)
    }

    /// Reads an answer, as the hooks do with `read -d ''`.
    pub fn read(input: &mut impl BufRead) -> io::Result<Option<Answer>> {
        let mut fields = Vec::with_capacity(3);
        for _ in 0..3 {
            let Some(field) = read_field(input)? else {
                return Ok(None);
            };
            fields.push(field);
        }
        let stamps = path_from(fields.pop().expect("three"));
        let segment = String::from_utf8_lossy(&fields.pop().expect("two")).into_owned();
        let version = String::from_utf8_lossy(&fields.pop().expect("one")).into_owned();
        Ok(Some(Answer {
            version,
            segment,
            stamps,
        }))
    }
}

/// What `--serve-fifos` prints for the hook: the helper's pid, then the
/// shell's private dir holding the FIFOs `in` and `out`, each on a line
/// (the hooks split at the first newline: the dir may hold others).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub pid: u32,
    pub dir: PathBuf,
}

impl Started {
    pub fn write(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(out, "{}", self.pid)?;
        out.write_all(self.dir.as_os_str().as_bytes())?;
        out.write_all(b"\n")?;
        out.flush()
    }

    /// As the hooks read it (`${started%%$'\n'*}`, `${started#*$'\n'}`,
    /// after `$(…)` took the last newline).
    pub fn parse(text: &[u8]) -> Option<Started> {
        let text = text.strip_suffix(b"\n")?;
        let at = text.iter().position(|&b| b == b'\n')?;
        let pid = std::str::from_utf8(&text[..at]).ok()?.parse().ok()?;
        let dir = PathBuf::from(OsStr::from_bytes(&text[at + 1..]));
        Some(Started { pid, dir })
    }
}

/// What `--keep` prints for fish: the segment and the stamp dir.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub segment: String,
    pub stamps: Option<PathBuf>,
}

impl Kept {
    /// Whether a `--keep` that gave `--frame asked` (or none) speaks this
    /// version.
    pub fn is_this_version(asked: Option<&str>) -> bool {
        asked.unwrap_or(UNVERSIONED_KEEP) == FRAME_VERSION
    }

    /// The answer to a fish script of another version: the segment with
    /// [`RESTART_HINT`], and nothing to keep. Every version answers a
    /// `--frame` it does not speak in this shape.
    pub fn for_other_version(segment: &str) -> Kept {
        Kept {
            segment: with_restart_hint(segment),
            stamps: None,
        }
    }

    pub fn write(&self, out: &mut impl Write) -> io::Result<()> {
        write_fields(out, [self.segment.as_bytes(), path_field(&self.stamps)])
    }

    /// As fish reads it (`string split0`).
    pub fn read(input: &mut impl BufRead) -> io::Result<Option<Kept>> {
        let (Some(segment), Some(stamps)) = (read_field(input)?, read_field(input)?) else {
            return Ok(None);
        };
        Ok(Some(Kept {
            segment: String::from_utf8_lossy(&segment).into_owned(),
            stamps: path_from(stamps),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stamps::{Check, DAEMON_ALIVE, HOOK_CHECKS};

    #[test]
    fn every_docker_variable_is_carried() {
        for var in dctx_core::env::DOCKER_VARS.iter().chain(PROBE_VARS) {
            assert!(REQUEST_VARS.contains(var), "{var}");
        }
        let mut unique = REQUEST_VARS.to_vec();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), REQUEST_VARS.len(), "each variable once");
    }

    /// What frame version 4 is, written out by hand: a change to the
    /// variables, their order or the hooks' checks without a new
    /// [`FRAME_VERSION`] (and a new row here) fails this, because a script
    /// of the old version would read the new frames wrongly and see no
    /// other version.
    #[test]
    fn version_4_is_these_fields_and_checks() {
        assert_eq!(FRAME_VERSION, "4", "a new version: write down what it is");
        let v4 = [
            "HOME",
            "DCTX_CONFIG",
            "XDG_CONFIG_HOME",
            "DOCKER_HOST",
            "DOCKER_CONTEXT",
            "DOCKER_CONFIG",
            "DOCKER_TLS_VERIFY",
            "DOCKER_TLS",
            "DOCKER_CERT_PATH",
            "PATH",
            "SSH_AUTH_SOCK",
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "NO_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "no_proxy",
            "all_proxy",
        ];
        assert_eq!(REQUEST_VARS.as_slice(), v4.as_slice());
        assert_eq!(
            HOOK_CHECKS,
            [
                Check::SameFile("g", "gs"),
                Check::SameFile("d", "dr"),
                Check::NotNewer("c", "cs"),
                Check::NotNewer("m", "ms"),
            ]
        );
        assert_eq!(DAEMON_ALIVE, Check::Exists("p"), "fish's one more");
    }

    #[test]
    fn a_request_reads_back_as_it_was_written() {
        let request = Request::new("/some where".into(), |k| {
            (k == "DOCKER_CONTEXT").then(|| "prod".into())
        });
        let mut bytes = request.encode();
        assert!(bytes.starts_with(b"4\0/some where\0\0\0\0\0prod\0"));
        assert_eq!(
            bytes.iter().filter(|&&b| b == 0).count(),
            2 + REQUEST_VARS.len()
        );
        bytes.extend(request.encode());
        let mut input = &bytes[..];
        for _ in 0..2 {
            match Request::read(&mut input).unwrap() {
                Some(Incoming::Request(read)) => {
                    assert_eq!(read, request);
                    assert_eq!(read.get("DOCKER_CONTEXT"), Some(OsStr::new("prod")));
                    assert_eq!(read.get("DOCKER_HOST"), None);
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(Request::read(&mut input).unwrap(), None, "the end");
        let cut = &request.encode()[..5];
        assert_eq!(Request::read(&mut &cut[..]).unwrap(), None, "half a frame");
    }

    /// A version-3 script's frame (fewer variables) is told apart by its
    /// first field, before anything else is read as this version's.
    #[test]
    fn a_request_of_another_version_is_detected_not_misread() {
        let old = b"3\0/\0\0prod\0\0\0\0\0";
        let mut input = &old[..];
        assert_eq!(
            Request::read(&mut input).unwrap(),
            Some(Incoming::OtherVersion(b"3".to_vec()))
        );
        assert_eq!(input, &old[2..], "nothing of it read as this version's");
    }

    #[test]
    fn answers_read_back_and_the_other_version_answer_is_the_version_alone() {
        let answer = Answer::new("prod?".into(), Some("/run/dctx/shells/7".into()));
        let mut bytes = Vec::new();
        answer.write(&mut bytes).unwrap();
        assert_eq!(bytes, b"4\0prod?\0/run/dctx/shells/7\0");
        assert_eq!(Answer::read(&mut &bytes[..]).unwrap(), Some(answer));
        let mut other = Vec::new();
        Answer::other_version().write(&mut other).unwrap();
        assert_eq!(other, b"4\0\0\0");
    }

    #[test]
    fn started_is_read_as_the_hooks_split_it() {
        let started = Started {
            pid: 4242,
            dir: "/run/user/1000/dctx/shells/17".into(),
        };
        let mut bytes = Vec::new();
        started.write(&mut bytes).unwrap();
        assert_eq!(bytes, b"4242\n/run/user/1000/dctx/shells/17\n");
        assert_eq!(Started::parse(&bytes), Some(started));
        assert_eq!(Started::parse(b"4242\n"), None);
    }

    #[test]
    fn kept_reads_back_and_another_fish_version_keeps_nothing() {
        let kept = Kept {
            segment: "prod".into(),
            stamps: Some("/run/dctx/shells/9".into()),
        };
        let mut bytes = Vec::new();
        kept.write(&mut bytes).unwrap();
        assert_eq!(bytes, b"prod\0/run/dctx/shells/9\0");
        assert_eq!(Kept::read(&mut &bytes[..]).unwrap(), Some(kept));
        assert!(Kept::is_this_version(Some(FRAME_VERSION)));
        assert!(Kept::is_this_version(None), "fish scripts before --frame");
        assert!(!Kept::is_this_version(Some("3")));
        let stale = Kept::for_other_version("prod");
        assert_eq!(stale.segment, "prod (dctx: restart this shell)");
        assert_eq!(stale.stamps, None);
        assert_eq!(
            Kept::for_other_version("").segment,
            "(dctx: restart this shell)"
        );
    }
}
