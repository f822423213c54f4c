//! The hook under every option of the installed bash and zsh, one flipped
//! at a time before `dctx init` is loaded: the segment must be the right
//! one, answered by the helper, and nothing else may be printed. The
//! option lists come from the shells themselves, so a new shell version's
//! options are covered without a change here.
//!
//! Each option gets a fresh interactive shell reading its lines from a
//! pipe: an option cannot leak into the next one, which resetting inside
//! one shell (`errexit`, `posix`, `restricted`...) could not promise.
//! They run a few at a time.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use dctx_tests::{path_with_dctx, require_tool, run_bounded, text, Daemon, Sandbox};

/// Options that make the shell unusable by design, each with why.
const SKIPPED: &[(&str, &str, &str)] = &[
    ("bash", "xtrace", "prints every command by definition"),
    ("bash", "verbose", "prints every line read by definition"),
    ("bash", "onecmd", "exits after one command"),
    ("bash", "noexec", "reads commands without running them"),
    ("bash", "login_shell", "read-only"),
    ("bash", "restricted_shell", "read-only"),
    ("zsh", "xtrace", "prints every command by definition"),
    ("zsh", "verbose", "prints every line read by definition"),
    ("zsh", "exec", "off, commands are read and never run"),
    ("zsh", "singlecommand", "exits after one command"),
    (
        "zsh",
        "restricted",
        "cannot be turned off again, forbids redirections",
    ),
    ("zsh", "interactive", "read-only"),
    ("zsh", "shinstdin", "read-only"),
    ("zsh", "login", "read-only"),
    (
        "zsh",
        "privileged",
        "read-only for a shell started without it",
    ),
    ("zsh", "stdin", "read-only (shinstdin)"),
    ("zsh", "onecmd", "exits after one command (singlecommand)"),
    (
        "zsh",
        "monitor",
        "cannot be set without a terminal, which this test has none of",
    ),
    (
        "zsh",
        "ignoreeof",
        "refuses the end of input these shells end with",
    ),
    (
        "bash",
        "vi",
        "turns line editing on, which reads this test's piped input as a terminal",
    ),
    ("bash", "emacs", "the same as vi"),
    (
        "bash",
        "ignoreeof",
        "refuses the end of input these shells end with",
    ),
    (
        "zsh",
        "printexitvalue",
        "prints the status of every failing command by definition",
    ),
];

fn skipped(shell: &str, option: &str) -> bool {
    SKIPPED.iter().any(|(s, o, _)| *s == shell && *o == option)
}

/// The shell's own option names: `shopt` and `set -o` for bash, the
/// `options` table for zsh, each with the line that flips it.
fn options(sandbox: &Sandbox, shell: &str) -> Vec<(String, String)> {
    let listing = match shell {
        "bash" => "shopt | while read -r n _; do echo \"shopt $n\"; done; set -o | while read -r n _; do echo \"set $n\"; done",
        "zsh" => "for n in ${(ok)options}; do echo \"setopt $n\"; done",
        other => panic!("no option listing for {other:?}"),
    };
    let out = run_bounded(
        sandbox.command(shell).args(["-c", listing]),
        Duration::from_secs(60),
    );
    let mut flips = Vec::new();
    for line in text(&out.stdout).lines() {
        let (kind, name) = line.split_once(' ').expect("kind and name");
        if skipped(shell, name) {
            continue;
        }
        let flip = match kind {
            "shopt" => {
                format!("if shopt -q {name}; then shopt -u {name}; else shopt -s {name}; fi")
            }
            "set" => format!("if [[ -o {name} ]]; then set +o {name}; else set -o {name}; fi"),
            _ => format!("if [[ -o {name} ]]; then unsetopt {name}; else setopt {name}; fi"),
        };
        flips.push((name.to_string(), flip));
    }
    assert!(flips.len() > 40, "{shell} lists its options: {flips:?}");
    flips
}

/// One interactive shell that runs `flip` before loading the hook, then
/// prints the segment and whether the helper answered.
fn one_shell(sandbox: &Sandbox, shell: &str, flip: &str) -> Command {
    let script = format!(
        "PS1= PS2=\n{flip}\neval \"$(dctx init {shell} --guard)\"\necho \"seg=<${{DCTX_SEGMENT-}}> helper=${{__DCTX_HELPER_PID:+yes}}\"\n"
    );
    let mut cmd = sandbox.command(shell);
    match shell {
        "bash" => cmd.args(["--norc", "--noprofile", "--noediting", "-i"]),
        "zsh" => cmd.args(["-f", "-i"]),
        other => panic!("no interactive command line for {other:?}"),
    };
    cmd.env("PATH", path_with_dctx())
        .env("PS1", "")
        .env("PROMPT_EOL_MARK", "")
        .env("DOCKER_CONTEXT", "staging");
    static INPUTS: AtomicUsize = AtomicUsize::new(0);
    let input = sandbox
        .path()
        .join(format!("input-{}", INPUTS.fetch_add(1, Ordering::SeqCst)));
    std::fs::write(&input, script).unwrap();
    cmd.stdin(std::fs::File::open(&input).unwrap());
    cmd
}

/// What a shell printed: its stdout, and its stderr less the noise of an
/// interactive shell on a pipe (bash's job-control notice and `exit`,
/// zsh's end-of-line padding).
fn printed(mut cmd: Command) -> (String, String) {
    let out = run_bounded(&mut cmd, Duration::from_secs(60));
    let stderr: String = text(&out.stderr)
        .lines()
        .filter(|l| {
            !(l.starts_with("bash: cannot set terminal process group")
                || *l == "bash: no job control in this shell"
                || *l == "exit")
        })
        .map(|l| l.replace(['\r', ' '], ""))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    (text(&out.stdout), stderr)
}

fn every_option_leaves_the_hook_exact(shell: &str) {
    for tool in ["docker", shell] {
        if !require_tool(tool, &format!("{shell} options test")) {
            return;
        }
    }
    let sandbox = Sandbox::new();
    sandbox.create_contexts(&[
        ("prod", "ssh://deploy@prod-01"),
        ("staging", "tcp://10.0.0.2:2376"),
    ]);
    dctx_tests::run_ok(sandbox.docker().args(["context", "use", "prod"]));
    let _daemon = Daemon::start(&sandbox);
    // DOCKER_CONTEXT (exported) wins over the current context: a value
    // sent in the wrong slot shows another context, or none.
    let expected = "seg=<staging> helper=yes\n";
    let baseline = printed(one_shell(&sandbox, shell, ":"));
    assert_eq!(
        baseline,
        (expected.to_string(), String::new()),
        "{shell} with no option flipped"
    );

    let flips = options(&sandbox, shell);
    let total = flips.len();
    let queue = Mutex::new(
        flips
            .into_iter()
            .map(|(name, flip)| (name, one_shell(&sandbox, shell, &flip)))
            .collect::<Vec<_>>(),
    );
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| loop {
                let Some((name, cmd)) = queue.lock().unwrap().pop() else {
                    break;
                };
                let got = printed(cmd);
                if got != (expected.to_string(), String::new()) {
                    failures.lock().unwrap().push(format!("{name}: {got:?}"));
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{shell}: {} of {} options break the hook:\n{}",
        failures.len(),
        total,
        failures.join("\n")
    );
}

#[test]
fn every_bash_option_leaves_the_hook_exact() {
    every_option_leaves_the_hook_exact("bash");
}

#[test]
fn every_zsh_option_leaves_the_hook_exact() {
    every_option_leaves_the_hook_exact("zsh");
}
