//! The shell integrations in real interactive shells, typed into through a
//! private tmux server and read back from the screen.

use std::process::Output;
use std::time::Duration;

use dctx_tests::{bin_dir, require_tool, run, wait_for, Daemon, Sandbox};

const EVENTUALLY: Duration = Duration::from_secs(10);

/// A tmux server of our own (`-L`), killed on drop.
struct Tmux<'a> {
    sandbox: &'a Sandbox,
    name: String,
}

impl<'a> Tmux<'a> {
    fn start(sandbox: &'a Sandbox, shell_command: &str) -> Tmux<'a> {
        let name = format!(
            "dctx-test-{}",
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

    fn run(&self, args: &[&str]) -> Output {
        run(self
            .sandbox
            .command("tmux")
            .args(["-L", &self.name, "-f", "/dev/null"])
            .args(args))
    }

    fn type_line(&self, line: &str) {
        self.run(&["send-keys", "-t", "t", "-l", line]);
        self.run(&["send-keys", "-t", "t", "Enter"]);
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }

    fn last_line(&self) -> String {
        self.screen()
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default()
            .to_string()
    }

    /// Waits until the last non-empty screen line is `expected`.
    fn expect_prompt(&self, expected: &str) {
        let mut seen = String::new();
        let start = std::time::Instant::now();
        while start.elapsed() < EVENTUALLY {
            seen = self.last_line();
            if seen.trim_end() == expected {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "expected the prompt {expected:?}, the screen ends with {seen:?}:\n{}",
            self.screen()
        );
    }

    fn cursor_x(&self) -> usize {
        let out = self.run(&["display-message", "-p", "-t", "t", "#{cursor_x}"]);
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    }
}

impl Drop for Tmux<'_> {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

#[test]
fn bash_prompt_follows_the_context_without_forking() {
    if !require_tool("tmux", "bash integration test")
        || !require_tool("docker", "bash integration test")
    {
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.create_contexts(&[
        ("prod", "ssh://deploy@prod-01"),
        ("staging", "tcp://10.0.0.2:2376"),
    ]);
    let daemon = Daemon::start(&sandbox);
    let tmux = Tmux::start(&sandbox, "bash --noprofile --norc -i");
    let dctx = bin_dir().join("dctx");
    tmux.type_line(&format!("eval \"$('{}' init bash)\"", dctx.display()));
    tmux.type_line("PS1='<${DCTX_SEGMENT}|$?> '");
    // The local default context is hidden.
    tmux.expect_prompt("<|0>");

    // Another terminal switches the context: the next prompt shows it.
    dctx_tests::run_ok(sandbox.docker().args(["context", "use", "prod"]));
    tmux.type_line("");
    tmux.expect_prompt("<prod|0>");
    tmux.type_line("export DOCKER_CONTEXT=staging");
    tmux.expect_prompt("<staging|0>");
    tmux.type_line("unset DOCKER_CONTEXT");
    tmux.expect_prompt("<prod|0>");
    tmux.type_line("export DOCKER_HOST=tcp://10.9.8.7");
    tmux.expect_prompt("<tcp://10.9.8.7:2375|0>");
    tmux.type_line("unset DOCKER_HOST");
    tmux.expect_prompt("<prod|0>");

    // $? reaches the user's prompt untouched.
    tmux.type_line("false");
    tmux.expect_prompt("<prod|1>");

    // Loading twice installs one hook; set -u does not break it.
    tmux.type_line(&format!(
        "eval \"$('{}' init bash)\"; set -u",
        dctx.display()
    ));
    tmux.type_line("echo \"hooks=${PROMPT_COMMAND}\"");
    wait_for("the hook list", EVENTUALLY, || {
        tmux.screen().contains("hooks=__dctx_precmd\n")
    });

    // The prompt is answered by the per-shell helper, not a dctx-prompt per prompt.
    tmux.type_line("echo \"helper=${__DCTX_HELPER_PID:-none}\"");
    wait_for("the helper pid", EVENTUALLY, || {
        tmux.screen().contains("helper=")
    });
    let screen = tmux.screen();
    let helper: u32 = screen
        .lines()
        .filter_map(|l| l.strip_prefix("helper="))
        .next_back()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("no helper pid on screen:\n{screen}"));
    let cmdline = std::fs::read(format!("/proc/{helper}/cmdline")).unwrap();
    assert!(String::from_utf8_lossy(&cmdline).contains("--serve"));

    // Line editing stays right after a styled (bold red) segment: type, move
    // left, and the cursor is where the visible text says it should be.
    tmux.expect_prompt("<prod|0>");
    tmux.run(&["send-keys", "-t", "t", "-l", "abcdef"]);
    tmux.run(&["send-keys", "-t", "t", "Left", "Left", "Left"]);
    let visible = "<prod|0> ".len();
    wait_for("the cursor to settle", EVENTUALLY, || {
        tmux.cursor_x() == visible + 3
    });
    // And past the end of the line: readline wraps where it believes the
    // prompt ends, so miscounted escape bytes put the cursor elsewhere.
    tmux.run(&["send-keys", "-t", "t", "End", "C-u"]);
    // A line that exactly fills the row is the telling case: readline only
    // moves to the next row if it knows the prompt's true width.
    let width = 160;
    let long = "x".repeat(width - visible);
    tmux.run(&["send-keys", "-t", "t", "-l", &long]);
    wait_for("the cursor to wrap to column 0", EVENTUALLY, || {
        tmux.cursor_x() == 0
    });
    tmux.run(&["send-keys", "-t", "t", "C-u"]);

    // A killed daemon neither hangs nor blanks the prompt.
    daemon.kill9();
    tmux.type_line("");
    tmux.expect_prompt("<prod|0>");
}

#[test]
fn bash_integration_does_nothing_in_a_non_interactive_shell() {
    let sandbox = Sandbox::new();
    let dctx = bin_dir().join("dctx");
    let script = format!(
        "eval \"$('{}' init bash)\"; echo \"[${{PROMPT_COMMAND-}}]\"",
        dctx.display()
    );
    let out = run(sandbox
        .command("bash")
        .args(["--noprofile", "--norc", "-c", &script]));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "[]\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn bash_script_passes_shellcheck_with_all_checks() {
    if !require_tool("shellcheck", "shellcheck test") {
        return;
    }
    let sandbox = Sandbox::new();
    let rendered = sandbox.path().join("dctx.bash");
    let script = dctx_tests::run_ok(sandbox.dctx("dctx").args(["init", "bash", "--prompt"]));
    std::fs::write(&rendered, script).unwrap();
    let source =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shell-integrations/dctx.bash");
    for file in [source, rendered] {
        let out = run(sandbox
            .command("shellcheck")
            .args(["-o", "all", "-s", "bash"])
            .arg(&file));
        assert!(
            out.status.success(),
            "{}:\n{}",
            file.display(),
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
