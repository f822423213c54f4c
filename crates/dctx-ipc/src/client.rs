//! A blocking client for the daemon, with a deadline on every step so that
//! a stuck or absent daemon costs a prompt milliseconds, never a hang; it
//! trusts a socket only in a private dir and only with a listener of its
//! own uid. Starting a daemon is `spawn.rs`'s, the lock `lock.rs`'s.

use std::io::{self, BufRead, BufReader, Write};
use std::os::fd::AsFd;
use std::path::Path;
use std::time::Duration;

use interprocess::local_socket::traits::Stream as _;
use interprocess::local_socket::{ConnectOptions, GenericFilePath, Stream, ToFsName};
use interprocess::ConnectWaitMode;

use crate::build_id::{BUILD_ID, VERSION};
use crate::protocol::{encode_line, Request, Response, PROTOCOL_VERSION};

/// The daemon on the socket is another build of dctx (an upgrade left the
/// old one running): its answers may follow other rules, so callers stop it
/// with [`shutdown`] and start their own instead of using it.
#[derive(Debug, thiserror::Error)]
#[error("the running daemon is dctx {version} build {build} (protocol {protocol}, pid {pid}), not dctx {VERSION} build {BUILD_ID} (protocol {PROTOCOL_VERSION})", build = if build.is_empty() { "unknown" } else { build })]
pub struct OtherBuild {
    pub version: String,
    pub build: String,
    pub protocol: u32,
    pub pid: u32,
}

/// Why asking the daemon failed; callers branch on it (replace another
/// build, start a missing daemon, resolve directly).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nothing listens there, or the socket is not there at all.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The socket cannot be trusted: its dir or its listener belongs to
    /// someone else. Nothing was sent.
    #[error("{0}")]
    Untrusted(String),
    /// A daemon of another build answered the handshake.
    #[error(transparent)]
    OtherBuild(#[from] OtherBuild),
    /// The daemon answered something this client does not expect.
    #[error("{0}")]
    Protocol(String),
}

/// Connects to `socket` only if its dir is private to this user, and then
/// only if the listener runs as this user, before a byte is sent: another
/// local user may have made the fallback runtime dir first and listen there.
fn connect_trusted(socket: &Path, timeout: Duration) -> Result<Stream, ClientError> {
    if let Some(dir) = socket.parent() {
        crate::paths::check_private_dir(dir).map_err(|e| match e.kind() {
            // No runtime dir yet: no daemon, and one may be started.
            io::ErrorKind::NotFound => ClientError::Io(e),
            _ => ClientError::Untrusted(e.to_string()),
        })?;
    }
    let name = socket.to_fs_name::<GenericFilePath>()?;
    let stream = ConnectOptions::new()
        .name(name)
        .wait_mode(ConnectWaitMode::Timeout(timeout))
        .connect_sync()?;
    let Stream::UdSocket(uds) = &stream;
    let own = crate::paths::euid();
    match peer_uid(uds.as_fd()) {
        Some(uid) if uid == own => {}
        peer => {
            return Err(ClientError::Untrusted(format!(
                "refusing the listener on {}: it runs as uid {}, not {own}",
                socket.display(),
                peer.map_or("unknown".into(), |u| u.to_string())
            )))
        }
    }
    stream.set_recv_timeout(Some(timeout))?;
    stream.set_send_timeout(Some(timeout))?;
    Ok(stream)
}

/// The uid of the process on the other end of a Unix socket.
fn peer_uid(fd: std::os::fd::BorrowedFd<'_>) -> Option<u32> {
    let cred = rustix::net::sockopt::socket_peercred(fd).ok()?;
    Some(cred.uid.as_raw())
}

/// One connection to the daemon, greeted lazily on the first call.
pub struct Client {
    reader: BufReader<Stream>,
    greeted: bool,
    /// The daemon's pid, from its handshake.
    daemon_pid: Option<u32>,
    client_name: String,
}

impl Client {
    /// Connects to `socket`, waiting at most `timeout` for the connection
    /// and then for each reply (see [`Client::set_timeout`]).
    pub fn connect(
        socket: &Path,
        timeout: Duration,
        client_name: &str,
    ) -> Result<Client, ClientError> {
        let stream = connect_trusted(socket, timeout)?;
        Ok(Client {
            reader: BufReader::new(stream),
            greeted: false,
            daemon_pid: None,
            client_name: client_name.into(),
        })
    }

    /// The connection's descriptor, to wait on beside others: it becomes
    /// readable when the daemon goes away, as it never speaks unasked.
    pub fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        let Stream::UdSocket(stream) = self.reader.get_ref();
        stream.as_fd()
    }

    /// The pid the daemon gave in its handshake, once there was one.
    pub fn daemon_pid(&self) -> Option<u32> {
        self.daemon_pid
    }

    /// Changes the deadline for each later read and write.
    pub fn set_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        self.reader.get_ref().set_recv_timeout(Some(timeout))?;
        self.reader.get_ref().set_send_timeout(Some(timeout))
    }

    /// Sends `request` (preceded by the handshake on first use, in the same
    /// write) and reads its response.
    pub fn call(&mut self, request: &Request) -> Result<Response, ClientError> {
        let mut out = Vec::new();
        if !self.greeted {
            let hello = Request::Hello {
                protocol: PROTOCOL_VERSION,
                client: self.client_name.clone(),
            };
            out.extend(encode_line(&hello));
        }
        out.extend(encode_line(request));
        self.reader.get_mut().write_all(&out)?;
        if !self.greeted {
            match self.read()? {
                Response::Hello {
                    protocol,
                    version,
                    build,
                    pid,
                } if protocol == PROTOCOL_VERSION && version == VERSION && build == BUILD_ID => {
                    self.greeted = true;
                    self.daemon_pid = Some(pid);
                }
                Response::Hello {
                    protocol,
                    version,
                    build,
                    pid,
                } => {
                    return Err(OtherBuild {
                        version,
                        build,
                        protocol,
                        pid,
                    }
                    .into())
                }
                other => {
                    return Err(ClientError::Protocol(format!(
                        "unexpected handshake reply {other:?}"
                    )))
                }
            }
        }
        self.read()
    }

    fn read(&mut self) -> Result<Response, ClientError> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "daemon closed the connection",
            )
            .into());
        }
        serde_json::from_str(&line).map_err(|e| ClientError::Protocol(e.to_string()))
    }
}

/// Asks whatever daemon listens on `socket` to exit, without a handshake:
/// [`Request::Shutdown`] keeps its shape in every protocol version, so this
/// stops a daemon of any build.
pub fn shutdown(socket: &Path, timeout: Duration) -> Result<(), ClientError> {
    let stream = connect_trusted(socket, timeout)?;
    let mut reader = BufReader::new(stream);
    reader
        .get_mut()
        .write_all(&encode_line(&Request::Shutdown))?;
    let mut line = String::new();
    reader.read_line(&mut line)?;
    match serde_json::from_str(&line) {
        Ok(Response::Ok) => Ok(()),
        _ => Err(ClientError::Protocol(format!(
            "the daemon did not agree to stop: {}",
            line.trim()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A daemon that greets with `build` and then answers nothing.
    fn fake_daemon(dir: &Path, build: Option<&str>) -> std::path::PathBuf {
        let socket = dir.join("dctx.sock");
        let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let mut hello = serde_json::json!({"type": "hello", "protocol": PROTOCOL_VERSION,
            "version": VERSION, "pid": 4242});
        if let Some(build) = build {
            hello["build"] = build.into();
        }
        std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut line = String::new();
            let _ = BufReader::new(&stream).read_line(&mut line);
            let _ = (&stream).write_all(format!("{hello}\n").as_bytes());
        });
        socket
    }

    // The crate version is the same for every commit: a daemon left by an
    // older build of the same version, which sends no build id or another
    // one, must be told apart.
    #[test]
    fn a_daemon_of_the_same_version_but_another_build_is_another_build() {
        for build in [None, Some("0123456789abcdef")] {
            let dir = tempfile::tempdir().unwrap();
            let private = std::os::unix::fs::PermissionsExt::from_mode(0o700);
            std::fs::set_permissions(dir.path(), private).unwrap();
            let socket = fake_daemon(dir.path(), build);
            let mut client = Client::connect(&socket, Duration::from_secs(5), "test").unwrap();
            let other = match client.call(&Request::Status) {
                Err(ClientError::OtherBuild(other)) => other,
                other => panic!("{build:?}: {other:?}"),
            };
            assert_eq!(other.pid, 4242);
            assert_eq!(other.build, build.unwrap_or_default());
        }
    }
}
