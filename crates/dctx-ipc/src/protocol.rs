//! The daemon protocol: newline-delimited JSON over a Unix socket.
//!
//! A client opens a connection, sends [`Request::Hello`] with its
//! [`PROTOCOL_VERSION`], and may then send any number of requests, each one
//! line answered by one line, in order. A client may pipeline (send Hello and
//! a query in one write). A line longer than [`MAX_REQUEST_BYTES`] is
//! refused and the connection closed; a line that is not a valid request gets
//! [`Response::Error`] and the connection stays usable.
//!
//! [`Request::Hello`], [`Response::Hello`], [`Request::Shutdown`] and
//! [`Response::Ok`] keep their shape in every protocol version, and
//! Shutdown is accepted without a handshake: a client finds out which build
//! a daemon is, and can stop one of any build (after an upgrade, say).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use dctx_core::engine::EngineReport;
use dctx_core::env::Env;
use dctx_core::resolution::{Resolution, Source};
use dctx_core::Shell;

/// Bumped on any incompatible change to [`Request`] or [`Response`], or
/// to what a daemon promises besides them (2: the change mark; 3: engine
/// reports and `Refresh`; 4: the caller's probe environment, and probes
/// that use it).
pub const PROTOCOL_VERSION: u32 = 4;

/// The longest request line the daemon reads.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// Who is asking: the shell whose prompt is being drawn.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    /// The shell's pid.
    pub pid: u32,
    /// The shell's controlling terminal, e.g. `/dev/pts/7`.
    pub tty: Option<String>,
    /// `TMUX` (socket path, server pid, session), when inside tmux.
    pub tmux: Option<String>,
    /// The shell's values of what engine probes read besides `env`
    /// (`vars::PROBE_VARS`): its probes run with them.
    #[serde(default)]
    pub probe_env: crate::vars::ProbeEnv,
}

/// How the answer should be rendered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Render {
    pub shell: Shell,
    /// An explicit format (never hidden); `None` uses the settings file.
    pub format: Option<String>,
    /// The client's settings file (`DCTX_CONFIG` or the XDG default).
    #[serde(default, with = "dctx_core::os_text::option_path")]
    pub settings: Option<PathBuf>,
    /// Show the local `default` context that the settings would hide
    /// (`dctx-prompt --show-default`); absent from older clients' requests.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub show_default: bool,
}

/// Everything a client can ask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// The handshake: answered with [`Response::Hello`].
    Hello { protocol: u32, client: String },
    /// Resolve for this environment (a shell's `DOCKER_*`, with relative
    /// paths already made absolute), and remember it for the caller's pid
    /// and tty. Answered with [`Response::Segment`].
    Query {
        env: Env,
        caller: Option<Caller>,
        render: Render,
    },
    /// Resolve for the shell that last queried from this tty (or pid), or
    /// for `fallback` when no such shell is known. Answered with
    /// [`Response::Segment`].
    Lookup {
        tty: Option<String>,
        pid: Option<u32>,
        fallback: Env,
        render: Render,
    },
    /// Answered with [`Response::Status`].
    Status,
    /// Something the daemon reads besides Docker's files changed (the
    /// pins): read it again, re-probe, and tell the shells. Answered with
    /// [`Response::Ok`].
    Refresh,
    /// Ask the daemon to exit; answered with [`Response::Ok`] first. The
    /// one request served without a handshake.
    Shutdown,
}

/// Everything the daemon can answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    Hello {
        protocol: u32,
        version: String,
        /// The daemon's build id (`build_id::BUILD_ID`); empty from daemons
        /// older than it, which are then of another build.
        #[serde(default)]
        build: String,
        pid: u32,
    },
    Segment(Segment),
    Status(DaemonStatus),
    Ok,
    /// The request could not be served; `message` says why.
    Error {
        message: String,
    },
}

/// A rendered answer with the facts behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub text: String,
    pub name: String,
    pub host: String,
    pub source: Source,
    pub problem: Option<String>,
    /// Whether a known shell's environment was used (for `Lookup`).
    pub matched_shell: bool,
    /// Whether the daemon watches the files behind this answer, so that it
    /// will replace the change mark (`paths::change_mark_path`) when they
    /// change: only then may a shell keep the answer.
    #[serde(default)]
    pub watched: bool,
    /// What the probes know of the engine behind this context.
    #[serde(default)]
    pub engine: Option<Box<EngineReport>>,
}

impl Segment {
    pub fn new(text: String, r: &Resolution, matched_shell: bool) -> Segment {
        Segment {
            text,
            name: r.name.clone(),
            host: r.host.clone(),
            source: r.source,
            problem: r.problem_summary(),
            matched_shell,
            watched: false,
            engine: None,
        }
    }
}

/// How one watched Docker config dir is kept fresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchedDir {
    #[serde(with = "dctx_core::os_text::path")]
    pub dir: PathBuf,
    /// `inotify`, or `unwatched, read on every query: <why watching failed>`.
    pub mode: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaemonStatus {
    pub pid: u32,
    pub version: String,
    #[serde(default)]
    pub build: String,
    pub protocol: u32,
    pub uptime_secs: u64,
    #[serde(with = "dctx_core::os_text::path")]
    pub socket: PathBuf,
    pub watched: Vec<WatchedDir>,
    pub shells: usize,
    pub queries: u64,
    /// Engine probes run so far, and how many are running now.
    #[serde(default)]
    pub probes: u64,
    #[serde(default)]
    pub probes_running: usize,
}

/// Parses one request line; the error is what the daemon sends back.
pub fn decode_request(line: &[u8]) -> Result<Request, String> {
    serde_json::from_slice(line).map_err(|e| format!("malformed request: {e}"))
}

/// One response as a line, newline included.
pub fn encode_line<T: Serialize>(value: &T) -> Vec<u8> {
    let mut line = serde_json::to_vec(value).expect("protocol types always serialize");
    line.push(b'\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_as_one_line() {
        let req = Request::Query {
            env: Env::new([("DOCKER_CONTEXT", "prod")], Some("/home/u".into())),
            caller: Some(Caller {
                pid: 42,
                tty: Some("/dev/pts/7".into()),
                ..Caller::default()
            }),
            render: Render {
                shell: Shell::Zsh,
                format: None,
                settings: None,
                show_default: false,
            },
        };
        let line = encode_line(&req);
        assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
        assert_eq!(decode_request(&line).unwrap(), req);
    }

    /// A daemon of the previous protocol (it greets with 3) is another
    /// build to a client, which then stops it and starts its own.
    #[test]
    fn a_daemon_of_the_previous_protocol_is_detected() {
        use std::io::{BufRead, Write};
        let dir = tempfile::tempdir().unwrap();
        let private = std::os::unix::fs::PermissionsExt::from_mode(0o700);
        std::fs::set_permissions(dir.path(), private).unwrap();
        let socket = dir.path().join("dctx.sock");
        let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let hello = serde_json::json!({"type": "hello", "protocol": PROTOCOL_VERSION - 1,
            "version": crate::build_id::VERSION, "build": crate::build_id::BUILD_ID, "pid": 77});
        std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut line = String::new();
            let _ = std::io::BufReader::new(&stream).read_line(&mut line);
            let _ = (&stream).write_all(format!("{hello}\n").as_bytes());
        });
        let mut client =
            crate::client::Client::connect(&socket, std::time::Duration::from_secs(5), "t")
                .unwrap();
        match client.call(&Request::Status) {
            Err(crate::client::ClientError::OtherBuild(other)) => {
                assert_eq!((other.protocol, other.pid), (PROTOCOL_VERSION - 1, 77));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_caller_of_the_previous_protocol_has_no_probe_environment() {
        let old = r#"{"type":"query","env":{"vars":{}},"caller":{"pid":1,"tty":null,"tmux":null},"render":{"shell":"plain","format":null}}"#;
        match decode_request(old.as_bytes()).unwrap() {
            Request::Query {
                caller: Some(caller),
                ..
            } => assert!(caller.probe_env.is_empty()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed_requests_get_a_reason() {
        assert!(decode_request(b"{\"type\":\"nope\"}")
            .unwrap_err()
            .contains("malformed request"));
        assert!(decode_request(b"\xff\xfe").is_err());
        assert!(decode_request(b"{\"type\":\"hello\"}")
            .unwrap_err()
            .contains("protocol"));
    }
}
