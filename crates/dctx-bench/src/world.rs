//! The benchmark's private world: a sandbox (`dctx_testkit`) with the
//! binaries under test, built in release beside the benchmark.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context as _};
use dctx_core::Env;
use dctx_testkit::Sandbox;

pub struct World {
    sandbox: Sandbox,
    /// Where `dctx`, `dctx-prompt` and `dctx-bench-floor` are.
    pub bins: PathBuf,
}

impl World {
    /// A new world for the binaries in `bins`.
    pub fn new(bins: PathBuf) -> anyhow::Result<World> {
        let sandbox = Sandbox::new("dctx-bench-").context("could not create a temporary dir")?;
        Ok(World { sandbox, bins })
    }

    pub fn root(&self) -> &Path {
        self.sandbox.path()
    }

    /// A command that sees only this world, its output thrown away, and no
    /// daemon started behind the benchmark's back.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = self.sandbox.command(program);
        cmd.env("DCTX_NO_AUTOSTART", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    }

    /// One of the binaries under test, in this world.
    pub fn bin(&self, name: &str) -> Command {
        self.command(self.bins.join(name))
    }

    pub fn socket(&self) -> PathBuf {
        self.sandbox.socket()
    }

    /// The environment of a shell of this world with no Docker variables.
    pub fn env(&self) -> Env {
        Env::new(Vec::<(String, String)>::new(), Some(self.sandbox.home()))
    }
}

/// Builds the release binaries (under `cargo run`) and returns the dir that
/// holds them: the benchmark's own.
pub fn build_binaries() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().context("exe has no dir")?.to_path_buf();
    if let Some(cargo) = std::env::var_os("CARGO") {
        let status = Command::new(cargo)
            .args([
                "build",
                "--release",
                "-q",
                "-p",
                "dctx",
                "-p",
                "dctx-prompt",
                "-p",
                "dctx-bench",
                "--bins",
            ])
            .status()?;
        if !status.success() {
            bail!("cargo build --release failed");
        }
    }
    for bin in ["dctx", "dctx-prompt"] {
        if !dir.join(bin).is_file() {
            bail!("{} not found next to the benchmark; run it with `cargo run --release -p dctx-bench`", bin);
        }
    }
    Ok(dir)
}
