//! The daemon's listening socket, on tokio's own Unix listener: made
//! private before it is bound, or adopted from systemd, and removed when
//! the daemon that bound it stops. Not through interprocess's tokio
//! feature, which cargo would turn on for `dctx-prompt` too whenever the
//! two are built together.

use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use rustix::fs::{fchmod, Mode};
use rustix::net::{
    bind, listen, socket_with, AddressFamily, SocketAddrUnix, SocketFlags, SocketType,
};
use tokio::net::{UnixListener, UnixStream};

/// The kernel's cap applies anyway (`somaxconn`); shells connect at once
/// after a daemon restart.
const BACKLOG: i32 = 1024;

pub struct Listener {
    inner: UnixListener,
    /// The socket file this daemon made, removed on drop.
    made: Option<PathBuf>,
}

impl Listener {
    /// Listens on a new socket at `path`, mode 0600 before it is bound,
    /// so there is no moment of a wider mode. Needs the runtime's reactor.
    pub fn bind(path: &Path) -> io::Result<Listener> {
        let fd = socket_with(
            AddressFamily::UNIX,
            SocketType::STREAM,
            SocketFlags::CLOEXEC | SocketFlags::NONBLOCK,
            None,
        )?;
        fchmod(&fd, Mode::from_raw_mode(0o600))?;
        bind(&fd, &SocketAddrUnix::new(path)?)?;
        listen(&fd, BACKLOG)?;
        let inner = UnixListener::from_std(std::os::unix::net::UnixListener::from(fd))?;
        Ok(Listener {
            inner,
            made: Some(path.to_path_buf()),
        })
    }

    /// Wraps an inherited listening socket (systemd's); its file is not
    /// ours to remove. Needs the runtime's reactor.
    pub fn adopt(fd: OwnedFd) -> io::Result<Listener> {
        let std = std::os::unix::net::UnixListener::from(fd);
        std.set_nonblocking(true)?;
        Ok(Listener {
            inner: UnixListener::from_std(std)?,
            made: None,
        })
    }

    pub async fn accept(&self) -> io::Result<UnixStream> {
        Ok(self.inner.accept().await?.0)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(path) = &self.made {
            let _ = std::fs::remove_file(path);
        }
    }
}
