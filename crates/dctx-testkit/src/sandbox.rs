//! A private world for dctx: a temporary HOME, XDG config, state and
//! runtime dirs, and commands that see only them.

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tempfile::TempDir;

/// The dirs of one world, removed on drop.
pub struct Sandbox {
    root: TempDir,
}

impl Sandbox {
    /// A new world in a temporary dir named `prefix…`: `home`,
    /// `xdg-config`, `xdg-state`, and `runtime` (0700, as a real
    /// `XDG_RUNTIME_DIR` is: dctx uses one only when it is private).
    pub fn new(prefix: &str) -> std::io::Result<Sandbox> {
        let root = tempfile::Builder::new().prefix(prefix).tempdir()?;
        for dir in ["home", "xdg-config", "xdg-state", "runtime"] {
            std::fs::create_dir_all(root.path().join(dir))?;
        }
        std::fs::set_permissions(
            root.path().join("runtime"),
            std::fs::Permissions::from_mode(0o700),
        )?;
        Ok(Sandbox { root })
    }

    pub fn path(&self) -> &Path {
        self.root.path()
    }

    pub fn home(&self) -> PathBuf {
        self.path().join("home")
    }

    /// `XDG_RUNTIME_DIR`: dctx's socket and per-shell dirs live under it.
    pub fn runtime(&self) -> PathBuf {
        self.path().join("runtime")
    }

    /// The daemon's socket for this world's `XDG_RUNTIME_DIR`.
    pub fn socket(&self) -> PathBuf {
        self.runtime().join("dctx").join("dctx.sock")
    }

    /// A command that sees only this world: no inherited `DOCKER_*`,
    /// `XDG_*` or `DCTX_*`, this process's `PATH` (callers may set
    /// another), stdin from /dev/null.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.path().join("xdg-config"))
            .env("XDG_STATE_HOME", self.path().join("xdg-state"))
            .env("XDG_RUNTIME_DIR", self.runtime())
            // Not the machine's /etc/dctx/config.toml: a world may write one here.
            .env("DCTX_SYSTEM_CONFIG", self.path().join("system-config.toml"))
            .stdin(Stdio::null());
        cmd
    }
}
