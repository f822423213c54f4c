//! A blocking client for the daemon, with a deadline on every step so that
//! a stuck or absent daemon costs a prompt milliseconds, never a hang.

use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;
use std::time::Duration;

use interprocess::local_socket::traits::Stream as _;
use interprocess::local_socket::{ConnectOptions, GenericFilePath, Stream, ToFsName};
use interprocess::ConnectWaitMode;

use crate::protocol::{encode_line, Request, Response, PROTOCOL_VERSION};

/// This build's version, which a daemon must share to be used.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The daemon on the socket is another build of dctx (an upgrade left the
/// old one running): its answers may follow other rules, so callers stop it
/// with [`shutdown`] and start their own instead of using it.
#[derive(Debug, thiserror::Error)]
#[error("the running daemon is dctx {version} (protocol {protocol}, pid {pid}), not dctx {VERSION} (protocol {PROTOCOL_VERSION})")]
pub struct OtherBuild {
    pub version: String,
    pub protocol: u32,
    pub pid: u32,
}

impl OtherBuild {
    /// The [`OtherBuild`] inside an error from [`Client::call`], if that is
    /// what it was.
    pub fn of(error: &io::Error) -> Option<&OtherBuild> {
        error.get_ref()?.downcast_ref()
    }
}

/// One connection to the daemon, greeted lazily on the first call.
pub struct Client {
    reader: BufReader<Stream>,
    greeted: bool,
    client_name: String,
}

impl Client {
    /// Connects to `socket`, waiting at most `timeout` for the connection
    /// and then for each reply (see [`Client::set_timeout`]).
    pub fn connect(socket: &Path, timeout: Duration, client_name: &str) -> io::Result<Client> {
        let name = socket.to_fs_name::<GenericFilePath>()?;
        let stream = ConnectOptions::new()
            .name(name)
            .wait_mode(ConnectWaitMode::Timeout(timeout))
            .connect_sync()?;
        stream.set_recv_timeout(Some(timeout))?;
        stream.set_send_timeout(Some(timeout))?;
        Ok(Client {
            reader: BufReader::new(stream),
            greeted: false,
            client_name: client_name.into(),
        })
    }

    /// The connection's descriptor, to wait on beside others: it becomes
    /// readable when the daemon goes away, as it never speaks unasked.
    pub fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        use std::os::fd::AsFd;
        let Stream::UdSocket(stream) = self.reader.get_ref();
        stream.as_fd()
    }

    /// Changes the deadline for each later read and write.
    pub fn set_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        self.reader.get_ref().set_recv_timeout(Some(timeout))?;
        self.reader.get_ref().set_send_timeout(Some(timeout))
    }

    /// Sends `request` (preceded by the handshake on first use, in the same
    /// write) and reads its response.
    pub fn call(&mut self, request: &Request) -> io::Result<Response> {
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
                    protocol, version, ..
                } if protocol == PROTOCOL_VERSION && version == VERSION => self.greeted = true,
                Response::Hello {
                    protocol,
                    version,
                    pid,
                } => {
                    return Err(io::Error::other(OtherBuild {
                        version,
                        protocol,
                        pid,
                    }))
                }
                other => {
                    return Err(io::Error::other(format!(
                        "unexpected handshake reply {other:?}"
                    )))
                }
            }
        }
        self.read()
    }

    fn read(&mut self) -> io::Result<Response> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "daemon closed the connection",
            ));
        }
        serde_json::from_str(&line).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }
}

/// Asks whatever daemon listens on `socket` to exit, without a handshake:
/// [`Request::Shutdown`] keeps its shape in every protocol version, so this
/// stops a daemon of any build.
pub fn shutdown(socket: &Path, timeout: Duration) -> io::Result<()> {
    let name = socket.to_fs_name::<GenericFilePath>()?;
    let stream = ConnectOptions::new()
        .name(name)
        .wait_mode(ConnectWaitMode::Timeout(timeout))
        .connect_sync()?;
    stream.set_recv_timeout(Some(timeout))?;
    stream.set_send_timeout(Some(timeout))?;
    let mut reader = BufReader::new(stream);
    reader
        .get_mut()
        .write_all(&encode_line(&Request::Shutdown))?;
    let mut line = String::new();
    reader.read_line(&mut line)?;
    match serde_json::from_str(&line) {
        Ok(Response::Ok) => Ok(()),
        _ => Err(io::Error::other(format!(
            "the daemon did not agree to stop: {}",
            line.trim()
        ))),
    }
}

/// Whether some daemon holds the per-user lock (it is running or starting).
pub fn daemon_lock_held(runtime_dir: &Path) -> bool {
    match std::fs::File::open(crate::paths::lock_path(runtime_dir)) {
        Ok(file) => matches!(
            file.try_lock_shared(),
            Err(std::fs::TryLockError::WouldBlock)
        ),
        Err(_) => false,
    }
}

/// Starts `dctx daemon run --background` detached from this process's
/// session, with its stderr in `log` so early failures are not lost.
pub fn spawn_daemon(dctx: &Path, log: Option<&Path>) -> io::Result<std::process::Child> {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    let stderr = match log.and_then(|p| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .ok()
    }) {
        Some(file) => Stdio::from(file),
        None => Stdio::null(),
    };
    let mut cmd = Command::new(dctx);
    cmd.args(["daemon", "run", "--background"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr);
    // SAFETY: setsid is async-signal-safe; it detaches the daemon from the
    // terminal's session so closing the terminal does not kill it.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    cmd.spawn()
}

/// The `dctx` binary next to the running one, else whichever is on PATH.
pub fn sibling_dctx() -> std::path::PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("dctx")))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| "dctx".into())
}
