//! The integration tests' harness: a sandbox per test (temporary HOME,
//! Docker config dir, XDG dirs), commands for dctx's binaries and the real
//! Docker CLI that see only the sandbox, and the skip-or-fail rule for
//! external tools.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use tempfile::TempDir;

/// Builds dctx's binaries once per test run, so the tests never exercise a
/// stale binary, and returns the directory that holds them.
pub fn bin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("workspace root");
        let status = Command::new(cargo)
            .args(["build", "--quiet", "-p", "dctx", "-p", "dctx-prompt"])
            .current_dir(root)
            .status()
            .expect("could not run cargo build");
        assert!(status.success(), "cargo build of the dctx binaries failed");
        // target/debug/deps/integration-<hash> -> target/debug
        let exe = std::env::current_exe().expect("current exe");
        exe.parent()
            .and_then(Path::parent)
            .expect("target dir")
            .to_path_buf()
    })
}

/// Whether `tool` is on PATH. When it is not, outside CI the caller skips
/// (and says so); under `CI=true` a missing tool fails the test.
pub fn require_tool(tool: &str, test: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
        .unwrap_or(false);
    if !found {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{test}: `{tool}` is required under CI=true but is not installed");
        }
        eprintln!("skipped {test}: `{tool}` is not installed");
    }
    found
}

/// A private world for one test.
pub struct Sandbox {
    root: TempDir,
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let root = tempfile::Builder::new()
            .prefix("dctx-test-")
            .tempdir()
            .expect("tempdir");
        for dir in ["home", "xdg-config", "xdg-state", "runtime"] {
            std::fs::create_dir_all(root.path().join(dir)).expect("sandbox dir");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let runtime = root.path().join("runtime");
            std::fs::set_permissions(runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        Sandbox { root }
    }

    pub fn path(&self) -> &Path {
        self.root.path()
    }

    pub fn home(&self) -> PathBuf {
        self.path().join("home")
    }

    /// `$HOME/.docker`, the config dir when DOCKER_CONFIG is unset.
    pub fn home_docker(&self) -> PathBuf {
        self.home().join(".docker")
    }

    /// A command that sees only the sandbox: no inherited DOCKER_* or XDG_*.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.path().join("xdg-config"))
            .env("XDG_STATE_HOME", self.path().join("xdg-state"))
            .env("XDG_RUNTIME_DIR", self.path().join("runtime"))
            .env("LANG", "C.UTF-8")
            .current_dir(self.path())
            .stdin(Stdio::null());
        cmd
    }

    /// One of dctx's binaries, in the sandbox.
    pub fn dctx(&self, bin: &str) -> Command {
        self.command(bin_dir().join(bin))
    }

    /// The real Docker CLI, in the sandbox.
    pub fn docker(&self) -> Command {
        self.command("docker")
    }
}

/// Runs `cmd`, returning its output; panics with context if it cannot start.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("could not run {cmd:?}: {e}"))
}

/// Runs `cmd` and insists it succeeds; returns stdout.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

/// Copies a directory tree, keeping symlinks as symlinks.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        let ty = entry.file_type().expect("file type");
        if ty.is_dir() {
            copy_tree(&entry.path(), &target);
        } else if ty.is_symlink() {
            let link = std::fs::read_link(entry.path()).expect("read link");
            std::os::unix::fs::symlink(link, target).expect("symlink");
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}
