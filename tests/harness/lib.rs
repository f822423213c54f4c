//! The integration tests' harness: a sandbox per test (temporary HOME,
//! Docker config dir, XDG dirs), commands for dctx's binaries and the real
//! Docker CLI that see only the sandbox, and the skip-or-fail rule for
//! external tools.

use std::cell::RefCell;
use std::ffi::OsStr;
use std::io::Read;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{OnceLock, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use dctx_core::InitShell;
use tempfile::TempDir;

pub use dctx_testkit::{signal, wait_for, Conn, Frozen};
pub use fake_engine as engine;

/// Builds dctx's binaries once per test run, with the profile this test
/// binary was built with, so the tests never exercise a stale binary (nor
/// debug ones under `cargo test --release`), and returns the directory
/// that holds them: the one above this test binary's `deps/`.
///
/// (`CARGO_BIN_EXE_*` would name them, but cargo sets it only for the
/// package's own binaries, and these tests drive two packages' binaries.)
pub fn bin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // target/[<triple>/]<profile>/deps/integration-<hash> -> <profile>
        let exe = std::env::current_exe().expect("current exe");
        let dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target dir")
            .to_path_buf();
        let profile = match dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => "dev".to_string(),
            Some(other) => other.to_string(),
        };
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("workspace root");
        let status = Command::new(cargo)
            .args(["build", "--quiet", "--profile", &profile])
            .args(["-p", "dctx", "-p", "dctx-prompt", "-p", "dctx-soak"])
            .current_dir(root)
            .status()
            .expect("could not run cargo build");
        assert!(status.success(), "cargo build of the dctx binaries failed");
        for bin in ["dctx", "dctx-prompt", "dctx-soak"] {
            assert!(dir.join(bin).is_file(), "{bin} is not in {}", dir.display());
        }
        dir
    })
}

/// Tools that change what dctx does merely by being installed (the
/// picker runs fzf when it finds it). The tests' PATH leaves them out, so
/// the suite passes whether the machine has them or not; a test that wants
/// one puts its own (real or fake) on PATH.
const OPTIONAL_TOOLS: &[&str] = &["fzf", "sk", "starship"];

/// This machine's `PATH` as the tests see it: every executable on the real
/// `PATH`, but the [`OPTIONAL_TOOLS`], linked into one directory made once
/// per test run.
pub fn system_path() -> &'static OsStr {
    static DIR: OnceLock<(TempDir, std::ffi::OsString)> = OnceLock::new();
    let (_, path) = DIR.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("dctx-test-path")
            .tempdir()
            .expect("temp dir for PATH");
        let real = std::env::var_os("PATH").unwrap_or_default();
        for entry_dir in std::env::split_paths(&real).filter(|d| d.is_absolute()) {
            let Ok(entries) = std::fs::read_dir(&entry_dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let link = dir.path().join(&name);
                if OPTIONAL_TOOLS.iter().any(|t| name == *t) || link.exists() {
                    continue;
                }
                // First on PATH wins, as for a lookup.
                let _ = std::os::unix::fs::symlink(entry.path(), &link);
            }
        }
        let path = dir.path().as_os_str().to_owned();
        (dir, path)
    });
    path
}

/// Whether `tool` is on PATH. A missing tool skips the test outside CI,
/// with a `SKIPPED` line written past the test harness's capture, so that
/// it shows in the run's output (`cargo test 2>&1 | grep -c SKIPPED`
/// counts them): a suite that is green because nothing ran must say so.
/// Under `CI=true` a missing tool fails.
pub fn require_tool(tool: &str, test: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
        .unwrap_or(false);
    let ci = std::env::var("CI").as_deref() == Ok("true");
    match missing_tool(found, ci) {
        Missing::No => true,
        Missing::Skip => {
            use std::io::Write;
            // `eprintln!` would be captured, and shown only on failure.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: `{tool}` is not installed (under CI=true this fails)"
            );
            false
        }
        Missing::Fail => panic!("{test}: `{tool}` is required under CI=true but is not installed"),
    }
}

/// What a test does about its tool.
#[derive(Debug, PartialEq, Eq)]
enum Missing {
    No,
    Skip,
    Fail,
}

fn missing_tool(found: bool, ci: bool) -> Missing {
    match (found, ci) {
        (true, _) => Missing::No,
        (false, false) => Missing::Skip,
        (false, true) => Missing::Fail,
    }
}

#[cfg(test)]
mod tests {
    use super::{missing_tool, Missing};

    #[test]
    fn a_missing_tool_skips_outside_ci_and_fails_under_it() {
        // (found, CI=true)
        assert_eq!(missing_tool(true, true), Missing::No);
        assert_eq!(missing_tool(true, false), Missing::No);
        assert_eq!(missing_tool(false, false), Missing::Skip);
        assert_eq!(missing_tool(false, true), Missing::Fail);
    }
}

/// Tests share the machine, except one that loads it whole (the soak),
/// which would starve the tests that wait for something with a deadline.
static MACHINE: RwLock<()> = RwLock::new(());

thread_local! {
    /// This test thread's share of the machine and how many sandboxes use
    /// it; counted, because a second read while the soak waits to write
    /// would deadlock.
    static SHARE: RefCell<(usize, Option<RwLockReadGuard<'static, ()>>)> =
        const { RefCell::new((0, None)) };
}

/// Held by each sandbox; the machine is shared while any is alive.
struct MachineShare(PhantomData<*const ()>);

impl MachineShare {
    fn take() -> MachineShare {
        SHARE.with_borrow_mut(|(count, guard)| {
            if *count == 0 {
                *guard = Some(MACHINE.read().unwrap_or_else(PoisonError::into_inner));
            }
            *count += 1;
        });
        MachineShare(PhantomData)
    }
}

impl Drop for MachineShare {
    fn drop(&mut self) {
        SHARE.with_borrow_mut(|(count, guard)| {
            *count -= 1;
            if *count == 0 {
                *guard = None;
            }
        });
    }
}

/// Waits until no other test runs, and keeps it so while held. Do not
/// create a [`Sandbox`] while holding it.
pub fn whole_machine() -> RwLockWriteGuard<'static, ()> {
    MACHINE.write().unwrap_or_else(PoisonError::into_inner)
}

/// A private world for one test ([`dctx_testkit::Sandbox`]), holding its
/// share of the machine.
pub struct Sandbox {
    kit: dctx_testkit::Sandbox,
    _share: MachineShare,
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let share = MachineShare::take();
        Sandbox {
            kit: dctx_testkit::Sandbox::new("dctx-test-").expect("sandbox"),
            _share: share,
        }
    }

    pub fn path(&self) -> &Path {
        self.kit.path()
    }

    pub fn home(&self) -> PathBuf {
        self.kit.home()
    }

    /// `$HOME/.docker`, the config dir when DOCKER_CONFIG is unset.
    pub fn home_docker(&self) -> PathBuf {
        self.home().join(".docker")
    }

    /// A command that sees only the sandbox: no inherited DOCKER_* or
    /// XDG_*, the tests' PATH, and no daemon started behind its back.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = self.kit.command(program);
        cmd.env("PATH", system_path())
            .env("LANG", "C.UTF-8")
            // Tests start daemons explicitly, so none outlives its test.
            .env("DCTX_NO_AUTOSTART", "1")
            .current_dir(self.path());
        cmd
    }

    /// Creates contexts with the real `docker context create`, in
    /// `$HOME/.docker` unless the command is pointed elsewhere.
    pub fn create_contexts(&self, contexts: &[(&str, &str)]) {
        for (name, host) in contexts {
            run_ok(self.docker().args([
                "context",
                "create",
                name,
                "--docker",
                &format!("host={host}"),
            ]));
        }
    }

    /// Makes `dir` a Docker config dir holding one context, `name`, made
    /// current, with the real CLI.
    pub fn config_dir_with(&self, dir: &Path, name: &str) {
        std::fs::create_dir_all(dir).expect("config dir");
        let docker = |args: &[&str]| run_ok(self.docker().env("DOCKER_CONFIG", dir).args(args));
        docker(&[
            "context",
            "create",
            name,
            "--docker",
            "host=tcp://10.1.1.1:2375",
        ]);
        docker(&["context", "use", name]);
    }

    /// The daemon socket for this sandbox's XDG_RUNTIME_DIR.
    pub fn socket(&self) -> PathBuf {
        self.kit.socket()
    }

    /// One of dctx's binaries, in the sandbox.
    pub fn dctx(&self, bin: &str) -> Command {
        self.command(bin_dir().join(bin))
    }

    /// `dctx-prompt` as a shell's hook runs it (`--pid`): it asks the daemon
    /// (and starts one if allowed), where a bare `dctx-prompt` resolves
    /// by itself.
    pub fn hooked_prompt(&self) -> Command {
        let mut cmd = self.dctx("dctx-prompt");
        cmd.args(["--pid", &std::process::id().to_string()]);
        cmd
    }

    /// The real Docker CLI, in the sandbox.
    pub fn docker(&self) -> Command {
        self.command("docker")
    }
}

/// A live process standing in for a shell: the daemon follows shells by
/// pid and forgets the dead. Killed on drop.
pub struct FakeShell(std::process::Child);

impl FakeShell {
    pub fn new() -> FakeShell {
        FakeShell(Command::new("sleep").arg("600").spawn().expect("sleep"))
    }

    pub fn pid(&self) -> String {
        self.0.id().to_string()
    }
}

impl Default for FakeShell {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for FakeShell {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `dctx daemon run` in the foreground for one test, its log in the
/// sandbox's `daemon.log`; stopped on drop. The rest of what it does is
/// [`dctx_testkit::Daemon`]'s.
pub struct Daemon(dctx_testkit::Daemon);

impl Daemon {
    pub fn start(sandbox: &Sandbox) -> Daemon {
        Self::start_with(sandbox, |_| {})
    }

    /// The same, with `configure` applied to its command first (another
    /// PATH, say).
    pub fn start_with(sandbox: &Sandbox, configure: impl FnOnce(&mut Command)) -> Daemon {
        let log = std::fs::File::create(sandbox.path().join("daemon.log")).expect("daemon log");
        let mut cmd = sandbox.dctx("dctx");
        cmd.args(["daemon", "run"])
            .env("DCTX_LOG", "debug")
            .stdout(Stdio::null())
            .stderr(log);
        configure(&mut cmd);
        let kit =
            dctx_testkit::Daemon::spawn(cmd, sandbox.socket(), std::time::Duration::from_secs(10))
                .unwrap_or_else(|e| panic!("waiting for the daemon to answer: {e}"));
        Daemon(kit)
    }

    /// Kills the daemon with SIGKILL and reaps it, leaving its socket behind.
    pub fn kill9(self) {
        self.0.kill9()
    }
}

impl std::ops::Deref for Daemon {
    type Target = dctx_testkit::Daemon;

    fn deref(&self) -> &dctx_testkit::Daemon {
        &self.0
    }
}

impl std::ops::DerefMut for Daemon {
    fn deref_mut(&mut self) -> &mut dctx_testkit::Daemon {
        &mut self.0
    }
}

/// Runs `dctx daemon stop` in the sandbox when dropped, for tests whose
/// daemon was started in the background rather than as a [`Daemon`].
pub struct StopOnDrop<'a>(pub &'a Sandbox);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.dctx("dctx").args(["daemon", "stop"]).output();
    }
}

/// Pids of `dctx daemon run` processes serving this sandbox's runtime dir.
pub fn daemons_in(sandbox: &Sandbox) -> Vec<u32> {
    let marker = format!(
        "XDG_RUNTIME_DIR={}",
        sandbox.path().join("runtime").display()
    );
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            let has = |hay: &[u8], needle: &[u8]| hay.split(|&b| b == 0).any(|part| part == needle);
            has(&cmdline, b"daemon") && has(&cmdline, b"run") && has(&environ, marker.as_bytes())
        })
        .collect()
}

/// A tmux server of our own (`-L`), killed on drop.
pub struct Tmux<'a> {
    sandbox: &'a Sandbox,
    pub name: String,
}

impl<'a> Tmux<'a> {
    /// A server named after the sandbox and `label`, with one session `t`
    /// (160x40) running `shell_command`.
    pub fn start(sandbox: &'a Sandbox, label: &str, shell_command: &str) -> Tmux<'a> {
        let name = format!(
            "dctx-{label}-{}",
            sandbox.path().file_name().unwrap().to_string_lossy()
        );
        let tmux = Tmux { sandbox, name };
        let out = tmux.run(&[
            "new-session",
            "-d",
            "-x",
            "160",
            "-y",
            "40",
            "-s",
            "t",
            shell_command,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        tmux
    }

    pub fn run(&self, args: &[&str]) -> Output {
        run(self
            .sandbox
            .command("tmux")
            .args(["-L", &self.name, "-f", "/dev/null"])
            .args(args))
    }

    /// Loads the TPM plugin (`tmux/dctx.tmux`) with this build's
    /// dctx-prompt, after setting these global options.
    pub fn load_plugin(&self, options: &[(&str, &str)]) {
        let plugin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tmux/dctx.tmux");
        let prompt = bin_dir().join("dctx-prompt");
        self.run(&["set-option", "-g", "@dctx-prompt", prompt.to_str().unwrap()]);
        for (option, value) in options {
            self.run(&["set-option", "-g", option, value]);
        }
        let loaded = self.run(&["run-shell", plugin.to_str().unwrap()]);
        assert!(loaded.status.success(), "{}", text(&loaded.stderr));
    }

    pub fn type_line(&self, line: &str) {
        self.run(&["send-keys", "-t", "t", "-l", line]);
        self.run(&["send-keys", "-t", "t", "Enter"]);
    }

    /// The pane's whole history and screen, as text.
    pub fn history(&self) -> String {
        String::from_utf8_lossy(
            &self
                .run(&["capture-pane", "-p", "-J", "-S", "-", "-t", "t"])
                .stdout,
        )
        .into_owned()
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }

    pub fn last_line(&self) -> String {
        self.screen()
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default()
            .to_string()
    }

    /// Waits until the last non-empty screen line is `expected`.
    pub fn expect_prompt(&self, expected: &str) {
        let mut seen = String::new();
        let start = std::time::Instant::now();
        // Generous: a bound for a hang, not a measure of speed (a loaded
        // 2-core machine takes seconds to start a shell's helper).
        while start.elapsed() < std::time::Duration::from_secs(30) {
            seen = self.last_line();
            if seen.trim_end() == expected {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        panic!(
            "expected the prompt {expected:?}, the screen ends with {seen:?}:\n{}",
            self.screen()
        );
    }

    /// The last screen line holding every one of `needles`, with its
    /// escape sequences (how it is styled), or "" if there is none.
    pub fn styled_line(&self, needles: &[&str]) -> String {
        let screen =
            String::from_utf8_lossy(&self.run(&["capture-pane", "-e", "-p", "-t", "t"]).stdout)
                .into_owned();
        screen
            .lines()
            .rev()
            .find(|l| needles.iter().all(|n| l.contains(n)))
            .unwrap_or_default()
            .to_string()
    }

    pub fn cursor_x(&self) -> usize {
        let out = self.run(&["display-message", "-p", "-t", "t", "#{cursor_x}"]);
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    }
}

impl Drop for Tmux<'_> {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

/// `PATH` with dctx's binaries first, for shells that run `dctx init`.
pub fn path_with_dctx() -> String {
    format!(
        "{}:{}",
        bin_dir().display(),
        system_path().to_string_lossy()
    )
}

/// A shell with the dctx hook loaded, in a private tmux server, its prompt
/// `<segment|status> `. `setup` runs before dctx is loaded.
pub struct Hooked<'a> {
    pub tmux: Tmux<'a>,
    pub shell: &'static str,
}

impl<'a> Hooked<'a> {
    pub fn start(sandbox: &'a Sandbox, shell: &'static str, setup: &str) -> Option<Hooked<'a>> {
        Self::start_as(sandbox, shell, shell, setup)
    }

    /// The same, in a tmux server of its own named after `label`.
    pub fn start_as(
        sandbox: &'a Sandbox,
        shell: &'static str,
        label: &str,
        setup: &str,
    ) -> Option<Hooked<'a>> {
        let test = format!("{shell} hook test");
        for tool in ["tmux", "docker", shell] {
            if !require_tool(tool, &test) {
                return None;
            }
        }
        // An unknown name is a test's mistake: refused, never run as some
        // other shell.
        let kind: InitShell = shell
            .parse()
            .unwrap_or_else(|e| panic!("Hooked::start: {e}"));
        let command = match kind {
            InitShell::Bash => "bash --noprofile --norc -i",
            InitShell::Zsh => "zsh -f -i",
            InitShell::Fish => "fish --no-config -i",
        };
        let tmux = Tmux::start(
            sandbox,
            label,
            &format!("env PATH='{}' {command}", path_with_dctx()),
        );
        if !setup.is_empty() {
            tmux.type_line(setup);
        }
        let (init, prompt) = match kind {
            InitShell::Bash => ("eval \"$(dctx init bash)\"", "PS1='<${DCTX_SEGMENT}|$?> '"),
            InitShell::Zsh => (
                "eval \"$(dctx init zsh)\"",
                "setopt prompt_subst; PROMPT='<${DCTX_SEGMENT}|%?> '",
            ),
            InitShell::Fish => (
                "dctx init fish | source",
                "function fish_prompt; set -l s $status; printf '<%s|%s> ' \"$DCTX_SEGMENT\" $s; end",
            ),
        };
        tmux.type_line(init);
        tmux.type_line(prompt);
        Some(Hooked { tmux, shell })
    }

    /// Types `line`, then expects the prompt after it to be `prompt`.
    pub fn expect_after(&self, line: &str, prompt: &str) {
        // The prompt that was there before the line is typed looks the
        // same as the one after it ran: wait until the line has been
        // echoed (one more time than before, the history included) and
        // a prompt follows it.
        // (An empty line echoes nothing to look for.)
        let echoed = |history: &str| history.lines().filter(|l| l.contains(line)).count();
        let before = echoed(&self.tmux.history());
        self.tmux.type_line(line);
        if !line.trim().is_empty() {
            wait_for(
                &format!("{line:?} to be echoed"),
                std::time::Duration::from_secs(60),
                || echoed(&self.tmux.history()) > before,
            );
        }
        self.tmux.expect_prompt(prompt);
    }

    /// What `docker context show` says in this very shell.
    pub fn docker_says(&self) -> String {
        let marker = format!("docker-says-{}", fastrand::u32(..));
        self.tmux
            .type_line(&format!("echo {marker}=$(docker context show)"));
        let mut found = String::new();
        wait_for(
            "docker context show",
            std::time::Duration::from_secs(20),
            || {
                let screen = self.tmux.screen();
                let line = screen
                    .lines()
                    .rev()
                    .find_map(|l| l.strip_prefix(&format!("{marker}=")));
                found = line.unwrap_or_default().to_string();
                line.is_some()
            },
        );
        found
    }
}

/// Runs `cmd`, failing the test if it has not finished within `limit`: a
/// hang detector with a generous bound, not a speed measurement.
pub fn run_bounded(cmd: &mut Command, limit: std::time::Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let mut stdout = Vec::new();
            let mut stderr = Vec::new();
            child
                .stdout
                .take()
                .unwrap()
                .read_to_end(&mut stdout)
                .unwrap();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_end(&mut stderr)
                .unwrap();
            return Output {
                status,
                stdout,
                stderr,
            };
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("{cmd:?} still running after {limit:?}: the prompt would hang");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Output bytes as text, for messages and `contains`.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
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
    dctx_testkit::copy_tree(from, to)
        .unwrap_or_else(|e| panic!("copying {} to {}: {e}", from.display(), to.display()));
}

/// Makes a FIFO at `path`, mode 0600.
pub fn mkfifo(path: &std::path::Path) {
    use rustix::fs::{mknodat, FileType, Mode, CWD};
    mknodat(CWD, path, FileType::Fifo, Mode::from_raw_mode(0o600), 0).unwrap();
}
