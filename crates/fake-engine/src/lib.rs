//! A fake Docker engine for dctx's tests and benchmark: HTTP/1.1 on a Unix
//! socket or on loopback TCP that answers `/_ping`, `/version`, `/info`,
//! the prune endpoints and removals, says "no such object" to everything
//! else, and records every request it receives. Its identity (engine ID
//! and name) and how long it takes to answer can be changed while it runs.
//! Told to [`FakeEngine::answer_everything`], it plays an experimental
//! swarm manager where every object exists, so that each docker command
//! gets as far as the request that changes something (`rich.rs`).
//! It never reaches anything else.

mod rich;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The API version the fake speaks (the client negotiates down to it).
const API_VERSION: &str = "1.47";

/// The fake's server version, for tests to look for.
pub const FAKE_VERSION: &str = "27.0.0-fake";

/// Who the engine says it is, and how it answers.
#[derive(Debug, Clone)]
pub(crate) struct Behaviour {
    pub(crate) id: String,
    pub(crate) name: String,
    /// Waited before every answer.
    delay: Duration,
    /// Every object exists and the engine is a swarm manager in this
    /// state (`active`, `locked`); `None`: the plain fake.
    rich: Option<String>,
    /// `/info` answers HTTP 500 (the CLI prints the error, exits non-zero).
    info_fails: bool,
}

type Shared = (
    Arc<Mutex<Vec<String>>>,
    Arc<AtomicBool>,
    Arc<Mutex<Behaviour>>,
);

pub struct FakeEngine {
    endpoint: String,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    socket: Option<PathBuf>,
    behaviour: Arc<Mutex<Behaviour>>,
}

impl FakeEngine {
    /// An engine named `name` on a Unix socket at `path`.
    pub fn unix(path: &Path, name: &str) -> FakeEngine {
        let listener = std::os::unix::net::UnixListener::bind(path).expect("bind fake engine");
        let engine = FakeEngine::new(format!("unix://{}", path.display()), name, Some(path));
        let shared = engine.shared();
        std::thread::spawn(move || accept(listener.incoming(), shared));
        engine
    }

    /// An engine named `name` on 127.0.0.1, on a port of the system's
    /// choosing.
    pub fn tcp(name: &str) -> FakeEngine {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind fake engine");
        let port = listener.local_addr().unwrap().port();
        let engine = FakeEngine::new(format!("tcp://127.0.0.1:{port}"), name, None);
        let shared = engine.shared();
        std::thread::spawn(move || accept(listener.incoming(), shared));
        engine
    }

    fn new(endpoint: String, name: &str, socket: Option<&Path>) -> FakeEngine {
        FakeEngine {
            endpoint,
            requests: Arc::default(),
            stop: Arc::default(),
            socket: socket.map(Path::to_path_buf),
            behaviour: Arc::new(Mutex::new(Behaviour {
                id: format!("ID-{name}"),
                name: name.to_string(),
                delay: Duration::ZERO,
                rich: None,
                info_fails: false,
            })),
        }
    }

    fn shared(&self) -> Shared {
        (
            self.requests.clone(),
            self.stop.clone(),
            self.behaviour.clone(),
        )
    }

    /// From now on, `/info` gives this engine ID: a rebuilt host.
    pub fn set_id(&self, id: &str) {
        self.behaviour.lock().unwrap().id = id.to_string();
    }

    /// The engine ID `/info` gives now.
    pub fn id(&self) -> String {
        self.behaviour.lock().unwrap().id.clone()
    }

    /// From now on, every answer waits `delay` first: a slow or hung engine.
    pub fn set_delay(&self, delay: Duration) {
        self.behaviour.lock().unwrap().delay = delay;
    }

    /// From now on, answer as an experimental swarm manager where every
    /// object asked after exists and every change succeeds: what a docker
    /// command needs to reach its mutating request.
    pub fn answer_everything(&self) {
        self.set_swarm_state("active");
    }

    /// With [`answer_everything`](Self::answer_everything): the swarm
    /// node's state in `/info` (`active`, `locked`, `inactive`).
    pub fn set_swarm_state(&self, state: &str) {
        self.behaviour.lock().unwrap().rich = Some(state.to_string());
    }

    /// From now on, `/info` answers HTTP 500 (or answers again, with
    /// `false`): an engine that is up but cannot say who it is.
    pub fn set_info_failing(&self, fails: bool) {
        self.behaviour.lock().unwrap().info_fails = fails;
    }

    /// `unix:///…` or `tcp://127.0.0.1:PORT`, for DOCKER_HOST or a context.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Every request so far, as `METHOD /path?query`.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// Whether a request that changes something went to a path containing
    /// `part` (`"/containers/prune"`, say).
    pub fn wrote(&self, part: &str) -> bool {
        self.writes().iter().any(|r| r.contains(part))
    }

    /// The requests that would change something on a real engine.
    pub fn writes(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .filter(|r| r.starts_with("POST") || r.starts_with("DELETE") || r.starts_with("PUT"))
            .collect()
    }

    /// Forgets the requests recorded so far.
    pub fn clear(&self) {
        self.requests.lock().unwrap().clear();
    }
}

impl Drop for FakeEngine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        match &self.socket {
            Some(path) => {
                let _ = std::os::unix::net::UnixStream::connect(path);
                let _ = std::fs::remove_file(path);
            }
            None => {
                let addr = self.endpoint.trim_start_matches("tcp://").to_string();
                let _ = std::net::TcpStream::connect(addr);
            }
        }
    }
}

/// Serves each connection `incoming` yields on a thread of its own, until
/// the engine is dropped.
fn accept<S, E>(incoming: impl Iterator<Item = Result<S, E>>, (requests, stop, behaviour): Shared)
where
    S: Read + Write + Send + 'static,
{
    for conn in incoming {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        if let Ok(conn) = conn {
            let (requests, behaviour) = (requests.clone(), behaviour.clone());
            std::thread::spawn(move || serve(conn, &requests, &behaviour));
        }
    }
}

/// Answers requests on one connection until the client closes it.
fn serve<S: Read + Write>(conn: S, requests: &Mutex<Vec<String>>, behaviour: &Mutex<Behaviour>) {
    let mut reader = BufReader::new(conn);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0usize;
        let mut chunked = false;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((k, v)) = header.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if k.eq_ignore_ascii_case("transfer-encoding") && v.trim() == "chunked" {
                    chunked = true;
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        // A body streamed in chunks (a build context, a tarball): read to
        // its end, or its bytes would be taken for the next request.
        if chunked && skip_chunks(&mut reader).is_none() {
            return;
        }
        let mut words = request_line.split_whitespace();
        let method = words.next().unwrap_or_default().to_string();
        let target = words.next().unwrap_or_default().to_string();
        requests.lock().unwrap().push(format!("{method} {target}"));
        let now = behaviour.lock().unwrap().clone();
        if !now.delay.is_zero() {
            std::thread::sleep(now.delay);
        }
        let (status, json, extra) = match now
            .rich
            .as_deref()
            .and_then(|state| rich::answer(&method, &target, &now, state))
        {
            Some(rich) => rich,
            None => {
                let (status, json) = answer(&method, &target, &now);
                (status, json, String::new())
            }
        };
        let experimental = now.rich.is_some();
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nApi-Version: {API_VERSION}\r\n\
             Docker-Experimental: {experimental}\r\nOstype: linux\r\nServer: Docker/{FAKE_VERSION} (linux)\r\n\
             {extra}Content-Length: {}\r\n\r\n",
            json.len()
        );
        let out = reader.get_mut();
        let body = if method == "HEAD" { "" } else { json.as_str() };
        if out.write_all(head.as_bytes()).is_err() || out.write_all(body.as_bytes()).is_err() {
            return;
        }
    }
}

/// Reads a chunked body to its end; `None` when the connection broke.
fn skip_chunks(reader: &mut impl BufRead) -> Option<()> {
    loop {
        let mut size = String::new();
        if reader.read_line(&mut size).ok()? == 0 {
            return None;
        }
        let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
        // The chunk and its CRLF; the last (empty) chunk's trailer is a
        // bare CRLF.
        let mut chunk = vec![0; size + 2];
        reader.read_exact(&mut chunk).ok()?;
        if size == 0 {
            return Some(());
        }
    }
}

/// The status line and body for one request.
pub(crate) fn answer(method: &str, target: &str, engine: &Behaviour) -> (&'static str, String) {
    let (id, name) = (&engine.id, &engine.name);
    let path = target.split('?').next().unwrap_or_default();
    // Strip the `/v1.47` prefix the client adds after negotiating.
    let path = match path.strip_prefix("/v") {
        Some(rest) => rest.find('/').map_or(path, |i| &rest[i..]),
        None => path,
    };
    let ok = |body: String| ("200 OK", body);
    match (method, path) {
        (_, "/_ping") => ok("OK".to_string()),
        (_, "/version") => ok(format!(
            r#"{{"Version":"{FAKE_VERSION}","ApiVersion":"{API_VERSION}","MinAPIVersion":"1.24","Os":"linux","Arch":"amd64","GitCommit":"fake","GoVersion":"go1.22","KernelVersion":"6.0","BuildTime":"2024-01-01T00:00:00.000000000+00:00","Components":[{{"Name":"Engine","Version":"{FAKE_VERSION}","Details":{{"ApiVersion":"{API_VERSION}","Arch":"amd64","Os":"linux"}}}}]}}"#
        )),
        (_, "/info") if engine.info_fails => (
            "500 Internal Server Error",
            r#"{"message":"fake engine: info failed"}"#.into(),
        ),
        (_, "/info") => ok(format!(
            r#"{{"ID":"{id}","Name":"{name}","ServerVersion":"{FAKE_VERSION}","OperatingSystem":"FakeOS","OSType":"linux","Architecture":"x86_64","Containers":0,"Images":0}}"#
        )),
        ("POST", "/containers/prune") => {
            ok(r#"{"ContainersDeleted":null,"SpaceReclaimed":0}"#.into())
        }
        ("POST", "/images/prune") => ok(r#"{"ImagesDeleted":null,"SpaceReclaimed":0}"#.into()),
        ("POST", "/networks/prune") => ok(r#"{"NetworksDeleted":null}"#.into()),
        ("POST", "/volumes/prune") => ok(r#"{"VolumesDeleted":null,"SpaceReclaimed":0}"#.into()),
        ("POST", "/build/prune") => ok(r#"{"CachesDeleted":null,"SpaceReclaimed":0}"#.into()),
        ("DELETE", p) if p.starts_with("/containers/") => ("204 No Content", String::new()),
        _ => (
            "404 Not Found",
            format!(
                r#"{{"message":"No such object: {}"}}"#,
                path.rsplit('/').nth(1).unwrap_or(path)
            ),
        ),
    }
}
