//! Accepts connections and answers requests, one line at a time.
//!
//! Every connection is its own task, so a client that stalls, floods or
//! sends garbage only ever hurts itself.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dctx_ipc::build_id::{BUILD_ID, VERSION};
use dctx_ipc::protocol::{
    decode_request, encode_line, DaemonStatus, Request, Response, MAX_REQUEST_BYTES,
    PROTOCOL_VERSION,
};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use tokio::sync::Notify;
use tracing::{debug, info, warn};

use crate::listener::Listener;
use crate::state::State;

/// Connections served at once; past it the least recently active one is
/// closed to make room (a shell's helper reconnects when it next asks).
pub const MAX_CONNECTIONS: usize = 2048;

/// How long a new connection may take to say hello.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(5);

/// The least time between two log lines about the same kind of refusal.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// What a connection needs besides its stream.
pub struct Shared {
    pub state: Arc<State>,
    pub shutdown: Notify,
    pub uid: u32,
    pub socket: std::path::PathBuf,
    conns: Mutex<Conns>,
    refused_log: Mutex<RateLimit>,
    evicted_log: Mutex<RateLimit>,
}

impl Shared {
    pub fn new(state: Arc<State>, uid: u32, socket: std::path::PathBuf) -> Shared {
        Shared {
            state,
            shutdown: Notify::new(),
            uid,
            socket,
            conns: Mutex::new(Conns::default()),
            refused_log: Mutex::new(RateLimit::default()),
            evicted_log: Mutex::new(RateLimit::default()),
        }
    }

    fn conns(&self) -> std::sync::MutexGuard<'_, Conns> {
        self.conns.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The open connections, by id: when each last sent a request, and how to
/// close it.
#[derive(Default)]
struct Conns {
    next: u64,
    open: HashMap<u64, (Instant, Arc<Notify>)>,
}

impl Conns {
    /// Registers a new connection, first closing the least recently active
    /// one when all slots are taken; says whether one was closed.
    fn add(&mut self) -> (u64, Arc<Notify>, bool) {
        let mut evicted = false;
        if self.open.len() >= MAX_CONNECTIONS {
            if let Some((&id, _)) = self.open.iter().min_by_key(|(_, (at, _))| *at) {
                if let Some((_, close)) = self.open.remove(&id) {
                    close.notify_one();
                    evicted = true;
                }
            }
        }
        self.next += 1;
        let close = Arc::new(Notify::new());
        self.open.insert(self.next, (Instant::now(), close.clone()));
        (self.next, close, evicted)
    }

    fn touch(&mut self, id: u64) {
        if let Some((at, _)) = self.open.get_mut(&id) {
            *at = Instant::now();
        }
    }
}

/// At most one log line per [`LOG_EVERY`], saying how many were held back.
#[derive(Default)]
struct RateLimit {
    last: Option<Instant>,
    held: u64,
}

impl RateLimit {
    /// `Some(held back since the last line)` when a line may be logged now.
    fn allow(&mut self) -> Option<u64> {
        let now = Instant::now();
        if self.last.is_some_and(|t| now.duration_since(t) < LOG_EVERY) {
            self.held += 1;
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.held))
    }
}

fn log_limited(limit: &Mutex<RateLimit>, log: impl FnOnce(u64)) {
    if let Some(held) = limit.lock().unwrap_or_else(|p| p.into_inner()).allow() {
        log(held);
    }
}

/// Whether a peer with effective uid `peer` may talk to a daemon run by `own`.
pub fn peer_allowed(peer: Option<u32>, own: u32) -> bool {
    peer == Some(own)
}

/// Serves until shutdown is requested.
pub async fn serve(listener: Listener, shared: Arc<Shared>) {
    // One future for the whole loop: notify_waiters() only wakes futures that
    // exist when it is called, and a fresh one per iteration would miss a
    // shutdown announced while a new connection is being set up.
    let shutdown = shared.shutdown.notified();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(stream) => stream,
                Err(e) => {
                    warn!(error = %e, "accept failed");
                    // e.g. EMFILE: back off briefly instead of spinning.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            },
            () = &mut shutdown => return,
        };
        // SO_PEERCRED: the uid the peer had when it connected.
        let peer = stream.peer_cred().ok().map(|c| c.uid());
        if !peer_allowed(peer, shared.uid) {
            log_limited(&shared.refused_log, |held| {
                warn!(
                    ?peer,
                    held_back = held,
                    "refused a connection from another user"
                )
            });
            continue;
        }
        let (id, close, evicted) = shared.conns().add();
        if evicted {
            log_limited(&shared.evicted_log, |held| {
                warn!(
                    held_back = held,
                    "{MAX_CONNECTIONS} connections open; closed the least recently active"
                )
            });
        }
        let shared = shared.clone();
        tokio::spawn(async move {
            tokio::select! {
                ended = connection(stream, &shared, id) => {
                    if let Err(e) = ended {
                        debug!(error = %e, "connection ended with an error");
                    }
                }
                () = close.notified() => debug!("closed to make room"),
            }
            shared.conns().open.remove(&id);
        });
    }
}

async fn connection(mut stream: UnixStream, shared: &Shared, id: u64) -> std::io::Result<()> {
    let (read, mut writer) = stream.split();
    let mut reader = BufReader::new(read);
    let mut line = Vec::with_capacity(512);
    let mut greeted = false;
    let mut pending = Vec::new();
    loop {
        line.clear();
        let limit = MAX_REQUEST_BYTES as u64 + 1;
        let mut limited = (&mut reader).take(limit);
        let read = limited.read_until(b'\n', &mut line);
        let n = if greeted {
            read.await?
        } else {
            // A connection that never says hello holds a slot for nothing.
            match tokio::time::timeout(HELLO_TIMEOUT, read).await {
                Ok(n) => n?,
                Err(_) => return Ok(()),
            }
        };
        shared.conns().touch(id);
        if n == 0 {
            return Ok(());
        }
        if line.last() != Some(&b'\n') {
            let message = if line.len() > MAX_REQUEST_BYTES {
                format!("request longer than {MAX_REQUEST_BYTES} bytes; closing")
            } else {
                "truncated request (no newline before end of input); closing".to_string()
            };
            pending.extend(encode_line(&Response::Error { message }));
            writer.write_all(&pending).await?;
            return Ok(());
        }
        let mut stop = false;
        let response = match decode_request(&line) {
            Err(message) => Response::Error { message },
            Ok(Request::Hello { protocol, client }) => {
                debug!(protocol, client, "hello");
                greeted = protocol == PROTOCOL_VERSION;
                Response::Hello {
                    protocol: PROTOCOL_VERSION,
                    version: VERSION.into(),
                    build: BUILD_ID.into(),
                    pid: std::process::id(),
                }
            }
            // Shutdown needs no handshake: a client of any build can stop us.
            Ok(request) if !greeted && request != Request::Shutdown => Response::Error {
                message: format!("send hello with protocol {PROTOCOL_VERSION} first"),
            },
            Ok(request) => {
                stop = request == Request::Shutdown;
                answer(request, shared)
            }
        };
        // Replies to pipelined requests go out in one write: a client that
        // sent hello and a query together wakes up once, not twice.
        pending.extend(encode_line(&response));
        if reader.buffer().contains(&b'\n') && !stop {
            continue;
        }
        writer.write_all(&pending).await?;
        pending.clear();
        if stop {
            info!("shutdown requested by a client");
            shared.shutdown.notify_waiters();
            return Ok(());
        }
    }
}

fn answer(request: Request, shared: &Shared) -> Response {
    let state = &shared.state;
    match request {
        Request::Hello { .. } => unreachable!("handled by the connection"),
        Request::Query {
            env,
            caller,
            render,
        } => Response::Segment(state.query(&env, caller.as_ref(), &render)),
        Request::Lookup {
            tty,
            pid,
            fallback,
            render,
        } => Response::Segment(state.lookup(tty.as_deref(), pid, &fallback, &render)),
        Request::Status => Response::Status(DaemonStatus {
            pid: std::process::id(),
            version: VERSION.into(),
            build: BUILD_ID.into(),
            protocol: PROTOCOL_VERSION,
            uptime_secs: state.uptime_secs(),
            socket: shared.socket.clone(),
            watched: state.watched(),
            shells: state.shell_count(),
            queries: state.queries(),
            probes: state
                .engines()
                .probes_run
                .load(std::sync::atomic::Ordering::Relaxed),
            probes_running: state.engines().running(),
        }),
        Request::Refresh => {
            state.engines().reload_pins();
            state.engine_changed();
            state.engines().wake.notify_one();
            Response::Ok
        }
        Request::Shutdown => Response::Ok,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A state on the real file system whose watch requests go nowhere.
    fn real_state() -> Arc<State> {
        let (watch_tx, _watch_rx) = tokio::sync::mpsc::unbounded_channel();
        Arc::new(State::new(
            Arc::new(dctx_core::RealFs),
            watch_tx,
            None,
            crate::change_mark::ChangeMark::none(),
        ))
    }

    // `dctx daemon stop` reconnects the moment it reads the reply to Shutdown,
    // so the accept loop is often busy with that new connection just as the
    // shutdown is announced. The announcement must not be lost then.
    #[test]
    fn shutdown_is_not_lost_when_a_connection_arrives_at_the_same_moment() {
        use std::io::{BufRead, Write};
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        for round in 0..1000 {
            let socket = dir.path().join(format!("s{round}"));
            let served = {
                // Binding and spawning need the runtime's context, not a task.
                let _entered = runtime.enter();
                let listener = crate::lifecycle::bind(&socket).unwrap();
                let state = real_state();
                let shared = Arc::new(Shared::new(state, dctx_ipc::paths::euid(), socket.clone()));
                tokio::spawn(serve(listener, shared))
            };
            let client = std::os::unix::net::UnixStream::connect(&socket).unwrap();
            (&client)
                .write_all(b"{\"type\":\"hello\",\"protocol\":1,\"client\":\"t\"}\n{\"type\":\"shutdown\"}\n")
                .unwrap();
            let mut reader = std::io::BufReader::new(&client);
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            line.clear();
            reader.read_line(&mut line).unwrap();
            assert!(line.contains("ok"), "round {round}: {line}");
            let _again = std::os::unix::net::UnixStream::connect(&socket);
            let ended = runtime.block_on(async {
                tokio::time::timeout(std::time::Duration::from_secs(2), served).await
            });
            assert!(ended.is_ok(), "round {round}: serve() missed the shutdown");
        }
    }

    /// Connects to a daemon that believes it runs as `owner` and says
    /// hello: the greeting's reply, or "" when the connection was closed.
    fn hello_as_seen_by(owner: u32) -> String {
        use std::io::{BufRead, Write};
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("s");
        let _entered = runtime.enter();
        let listener = crate::lifecycle::bind(&socket).unwrap();
        let state = real_state();
        let shared = Arc::new(Shared::new(state, owner, socket.clone()));
        let served = tokio::spawn(serve(listener, shared.clone()));
        let client = std::os::unix::net::UnixStream::connect(&socket).unwrap();
        (&client)
            .write_all(b"{\"type\":\"hello\",\"protocol\":1,\"client\":\"t\"}\n")
            .unwrap();
        // Serve until the client has its answer (or its EOF).
        let line = runtime
            .block_on(tokio::task::spawn_blocking(move || {
                let mut line = String::new();
                let _ = std::io::BufReader::new(&client).read_line(&mut line);
                line
            }))
            .unwrap();
        shared.shutdown.notify_waiters();
        served.abort();
        line
    }

    // The peer's uid is read from the connection itself (SO_PEERCRED): our
    // own connection is served by a daemon of our uid and refused, unread,
    // by one that believes it runs as someone else.
    #[test]
    fn a_connection_from_another_uid_is_refused() {
        let own = dctx_ipc::paths::euid();
        assert!(hello_as_seen_by(own).contains("hello"), "same uid: served");
        assert_eq!(
            hello_as_seen_by(own.wrapping_add(1)),
            "",
            "another uid: closed"
        );
    }

    #[test]
    fn only_the_same_user_is_allowed() {
        assert!(peer_allowed(Some(1000), 1000));
        assert!(!peer_allowed(Some(0), 1000));
        assert!(!peer_allowed(Some(1001), 1000));
        assert!(!peer_allowed(None, 1000), "unknown credentials are refused");
    }
}
