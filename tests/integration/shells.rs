//! The shell integrations in real interactive shells, typed into through a
//! private tmux server and read back from the screen.

use std::time::Duration;

use dctx_core::InitShell;
use dctx_tests::{bin_dir, require_tool, run, wait_for, Daemon, Sandbox, Tmux};

/// How to say the same things in each shell.
struct ShellSpec {
    shell: &'static str,
    /// Starts the shell interactively with no user configuration.
    command: &'static str,
    /// Loads dctx (`{dctx}` is the binary).
    init: &'static str,
    /// Makes the prompt `<segment|status> `.
    prompt: &'static str,
    set: fn(&str, &str) -> String,
    unset: fn(&str) -> String,
    /// Extra strictness to turn on while loading again (`set -u`).
    strict: &'static str,
    /// Prints `hooks=` and the installed hook list.
    hooks: &'static str,
    hooks_expected: &'static str,
    /// Whether a per-shell `--serve` helper answers (bash, zsh).
    helper: bool,
    /// Waits for every background job, then prints `waited`.
    wait_all: &'static str,
}

fn posix_set(k: &str, v: &str) -> String {
    format!("export {k}={v}")
}

fn posix_unset(k: &str) -> String {
    format!("unset {k}")
}

const BASH: ShellSpec = ShellSpec {
    shell: "bash",
    command: "bash --noprofile --norc -i",
    init: "eval \"$('{dctx}' init bash)\"",
    prompt: "PS1='<${DCTX_SEGMENT}|$?> '",
    set: posix_set,
    unset: posix_unset,
    strict: "; set -u",
    hooks: "echo \"hooks=${PROMPT_COMMAND}\"",
    hooks_expected: "hooks=__dctx_precmd",
    helper: true,
    wait_all: "sleep 0.1 & wait; echo waited",
};

const ZSH: ShellSpec = ShellSpec {
    shell: "zsh",
    command: "zsh -f -i",
    init: "eval \"$('{dctx}' init zsh)\"",
    prompt: "setopt prompt_subst; PROMPT='<${DCTX_SEGMENT}|%?> '",
    set: posix_set,
    unset: posix_unset,
    strict: "; setopt nounset",
    hooks: "echo \"hooks=${precmd_functions}\"",
    hooks_expected: "hooks=__dctx_precmd",
    helper: true,
    wait_all: "sleep 0.1 & wait; echo waited",
};

const FISH: ShellSpec = ShellSpec {
    shell: "fish",
    command: "fish --no-config -i",
    init: "'{dctx}' init fish | source",
    prompt: "function fish_prompt; set -l s $status; printf '<%s|%s> ' \"$DCTX_SEGMENT\" $s; end",
    set: |k, v| format!("set -gx {k} {v}"),
    unset: |k| format!("set -e {k}"),
    strict: "",
    hooks: "echo hooks=(functions --handlers | string match -e __dctx_precmd | count)",
    hooks_expected: "hooks=1",
    helper: false,
    wait_all: "sleep 0.1 &; wait; echo waited",
};

/// The whole user story in one real interactive shell.
fn prompt_follows_the_context(spec: &ShellSpec) {
    let test = format!("{} integration test", spec.shell);
    for tool in ["tmux", "docker", spec.shell] {
        if !require_tool(tool, &test) {
            return;
        }
    }
    let sandbox = Sandbox::new();
    sandbox.create_contexts(&[
        ("prod", "ssh://deploy@prod-01"),
        ("staging", "tcp://10.0.0.2:2376"),
    ]);
    let daemon = Daemon::start(&sandbox);
    let tmux = Tmux::start(&sandbox, "shell", spec.command);
    let dctx = bin_dir().join("dctx");
    let init = spec.init.replace("{dctx}", &dctx.display().to_string());
    tmux.type_line(&init);
    tmux.type_line(spec.prompt);
    // The local default context is hidden.
    tmux.expect_prompt("<|0>");

    // Another terminal switches the context: the next prompt shows it.
    dctx_tests::run_ok(sandbox.docker().args(["context", "use", "prod"]));
    tmux.type_line("");
    tmux.expect_prompt("<prod|0>");
    tmux.type_line(&(spec.set)("DOCKER_CONTEXT", "staging"));
    tmux.expect_prompt("<staging|0>");
    tmux.type_line(&(spec.unset)("DOCKER_CONTEXT"));
    tmux.expect_prompt("<prod|0>");
    tmux.type_line(&(spec.set)("DOCKER_HOST", "tcp://10.9.8.7"));
    tmux.expect_prompt("<tcp://10.9.8.7:2375|0>");
    tmux.type_line(&(spec.unset)("DOCKER_HOST"));
    tmux.expect_prompt("<prod|0>");

    // The helper is none of the user's jobs: a bare `wait` returns.
    tmux.type_line(spec.wait_all);
    wait_for("wait to return", Duration::from_secs(10), || {
        tmux.screen().contains("waited\n<prod|0>")
    });

    // $? reaches the user's prompt untouched.
    tmux.type_line("false");
    tmux.expect_prompt("<prod|1>");
    tmux.type_line("true");
    tmux.expect_prompt("<prod|0>");

    // Loading twice installs one hook, strict mode or not.
    tmux.type_line(&format!("{init}{}", spec.strict));
    tmux.type_line(spec.hooks);
    let expected = format!("{}\n", spec.hooks_expected);
    wait_for("the hook list", Duration::from_secs(10), || {
        tmux.screen().contains(&expected)
    });

    if spec.helper {
        // The prompt is answered by the per-shell helper, not a process per prompt.
        tmux.type_line("echo \"helper=${__DCTX_HELPER_PID:-none}\"");
        wait_for("the helper pid", Duration::from_secs(10), || {
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
    }

    {
        // The steady state asks nobody, in every shell: the kept segment
        // and its stamps do.
        let asked = daemon_queries(&sandbox);
        for _ in 0..5 {
            tmux.type_line("");
        }
        tmux.type_line("echo steady");
        wait_for("the prompts after echo", Duration::from_secs(10), || {
            tmux.screen().contains("steady\n<prod|0>")
        });
        assert_eq!(daemon_queries(&sandbox), asked, "an unchanged prompt asked");
    }

    // Changes a stat cannot see reach the next prompt through the daemon's
    // change mark: config.json removed, the settings file written.
    let config = sandbox.home_docker().join("config.json");
    expect_after_push(&sandbox, &tmux, "<|0>", || {
        std::fs::remove_file(&config).unwrap()
    });
    dctx_tests::run_ok(sandbox.docker().args(["context", "use", "prod"]));
    tmux.type_line("");
    tmux.expect_prompt("<prod|0>");
    let settings = sandbox.path().join("xdg-config/dctx/config.toml");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    expect_after_push(&sandbox, &tmux, "<prod@ssh://deploy@prod-01|0>", || {
        std::fs::write(&settings, "format = \"{name}@{host}\"\n").unwrap()
    });

    // With the daemon frozen nobody can tell the shell of a change, yet what
    // Docker writes in another terminal shows at the next prompt: the hook's
    // own stat of config.json and meta.json sees it.
    {
        let _frozen = daemon.freeze();
        dctx_tests::run_ok(sandbox.docker().args(["context", "use", "staging"]));
        tmux.type_line("");
        tmux.expect_prompt("<staging@tcp://10.0.0.2:2376|0>");
        dctx_tests::run_ok(sandbox.docker().args([
            "context",
            "update",
            "staging",
            "--docker",
            "host=tcp://10.0.0.3:2376",
        ]));
        tmux.type_line("");
        tmux.expect_prompt("<staging@tcp://10.0.0.3:2376|0>");
    }
    dctx_tests::run_ok(sandbox.docker().args(["context", "use", "prod"]));
    tmux.type_line("");
    tmux.expect_prompt("<prod@ssh://deploy@prod-01|0>");
    expect_after_push(&sandbox, &tmux, "<prod|0>", || {
        std::fs::remove_file(&settings).unwrap()
    });

    // The production context is drawn bold red on the real screen.
    let last = tmux.styled_line(&["prod", "|0>"]);
    assert!(
        last.contains("\x1b[1m") && last.contains("31m"),
        "prod is not bold red: {last:?}"
    );

    // Line editing stays right after a styled (bold red) segment. A line
    // that exactly fills the row is the telling case: the line editor only
    // moves to the next row if it knows the prompt's true width.
    tmux.expect_prompt("<prod|0>");
    let visible = "<prod|0> ".len();
    let width = 160;
    let long = "x".repeat(width - visible);
    tmux.run(&["send-keys", "-t", "t", "-l", &long]);
    wait_for(
        "the cursor to wrap to column 0",
        Duration::from_secs(10),
        || tmux.cursor_x() == 0,
    );
    tmux.run(&["send-keys", "-t", "t", "C-u"]);
    tmux.type_line("");
    tmux.expect_prompt("<prod|0>");

    // A killed daemon neither hangs nor blanks the prompt.
    daemon.kill9();
    tmux.type_line("");
    tmux.expect_prompt("<prod|0>");
}

/// How many queries the daemon has answered.
fn daemon_queries(sandbox: &Sandbox) -> u64 {
    let mut conn = dctx_tests::Conn::open(&sandbox.socket()).expect("the daemon answers");
    let status = conn
        .call(&serde_json::json!({"type": "status"}))
        .expect("status");
    status["queries"].as_u64().expect("a query count")
}

/// Makes a change no stat of the kept files can see, waits until the daemon
/// has replaced its change mark for it, then expects `prompt` at the next
/// prompt.
fn expect_after_push(sandbox: &Sandbox, tmux: &Tmux, prompt: &str, change: impl FnOnce()) {
    use std::os::unix::fs::MetadataExt;
    // Held, as a hook holds one, so the old mark's inode is not reused.
    let mark = sandbox.path().join("runtime/dctx/changed");
    let held = sandbox.path().join("held-mark");
    let _ = std::fs::remove_file(&held);
    std::fs::hard_link(&mark, &held).unwrap();
    let inode = |path: &std::path::Path| std::fs::metadata(path).map(|m| m.ino()).ok();
    change();
    wait_for(
        "the change mark to be replaced",
        Duration::from_secs(10),
        || inode(&mark) != inode(&held),
    );
    tmux.type_line("");
    tmux.expect_prompt(prompt);
}

#[test]
fn bash_prompt_follows_the_context_without_forking() {
    prompt_follows_the_context(&BASH);
}

#[test]
fn zsh_prompt_follows_the_context_without_forking() {
    prompt_follows_the_context(&ZSH);
}

#[test]
fn fish_prompt_follows_the_context() {
    prompt_follows_the_context(&FISH);
}

#[test]
fn integrations_do_nothing_in_non_interactive_shells() {
    unsupported_shells_get_a_word_not_errors();
    let sandbox = Sandbox::new();
    let dctx = bin_dir().join("dctx").display().to_string();
    let cases = [
        ("bash", vec!["--noprofile", "--norc", "-c"], format!("eval \"$('{dctx}' init bash)\"; echo \"[${{PROMPT_COMMAND-}}]\""), "[]\n"),
        ("zsh", vec!["-f", "-c"], format!("eval \"$('{dctx}' init zsh)\"; echo \"[${{precmd_functions-}}]\""), "[]\n"),
        ("fish", vec!["--no-config", "-c"], format!("'{dctx}' init fish --prompt | source; functions -q __dctx_user_prompt; echo \"[$status]\""), "[1]\n"),
    ];
    for (shell, args, script, expected) in cases {
        if !require_tool(shell, "non-interactive shell test") {
            continue;
        }
        let out = run(sandbox.command(shell).args(args).arg(&script));
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected, "{shell}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{shell}");
    }
}

/// Every flag combination of `dctx init SHELL`, as its arguments.
fn init_combinations(shell: &str) -> Vec<Vec<String>> {
    let flags = ["--prompt", "--starship", "--guard", "--no-completions"];
    (0..1u32 << flags.len())
        .map(|mask| {
            let mut args = vec!["init".to_string(), shell.to_string()];
            for (i, flag) in flags.iter().enumerate() {
                if mask & (1 << i) != 0 {
                    args.push((*flag).to_string());
                }
            }
            args
        })
        .collect()
}

/// The script zsh runs inside `emulate -R zsh -c $'…'`, unquoted, so
/// that `zsh -n` reads it too and not only the one quoted word.
fn zsh_emulated_body(rendered: &str) -> String {
    let start = rendered
        .find("emulate -R zsh -c $'")
        .expect("the zsh script loads under emulate")
        + "emulate -R zsh -c $'".len();
    let mut body = String::new();
    let mut chars = rendered[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => return body,
            '\\' => match chars.next() {
                Some('n') => body.push('\n'),
                Some(other) => body.push(other),
                None => break,
            },
            _ => body.push(c),
        }
    }
    panic!("no closing quote");
}

#[test]
fn scripts_pass_their_linters() {
    let sandbox = Sandbox::new();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shell-integrations");
    let linters: [(&str, &str, &[&str]); 3] = [
        ("bash", "shellcheck", &["-s", "bash"]),
        ("zsh", "zsh", &["-n"]),
        ("fish", "fish", &["--no-execute"]),
    ];
    for (shell, linter, args) in linters {
        if !require_tool(linter, "lint test") {
            continue;
        }
        // The template files as they stand, every one of them.
        let mut files: Vec<(std::path::PathBuf, bool)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == shell))
            .map(|path| (path, true))
            .collect();
        assert!(files.len() >= 3, "{shell} templates in {}", dir.display());
        if shell == "fish" {
            for (template, _) in &files {
                fish_indented(&sandbox, template, false);
            }
        }
        for (n, combination) in init_combinations(shell).into_iter().enumerate() {
            let rendered = dctx_tests::run_ok(sandbox.dctx("dctx").args(&combination));
            let path = sandbox.path().join(format!("rendered-{n}.{shell}"));
            std::fs::write(&path, &rendered).unwrap();
            // clap_complete's generated bash is not held to shellcheck's
            // optional checks; zsh -n and fish --no-execute see it all.
            let optional = combination.iter().any(|a| a == "--no-completions");
            // clap_complete's fish is not fish_indent's style; dctx's own
            // code is, but for the quotes it puts around words.
            if shell == "fish" && optional {
                fish_indented(&sandbox, &path, true);
            }
            files.push((path, optional));
            if shell == "zsh" {
                let body = sandbox.path().join(format!("rendered-{n}-body.zsh"));
                std::fs::write(&body, zsh_emulated_body(&rendered)).unwrap();
                files.push((body, true));
            }
            // Loaded where it does nothing, each one is silent.
            let load = match shell.parse().expect("an init shell") {
                InitShell::Fish => format!("dctx {} | source", combination.join(" ")),
                InitShell::Bash | InitShell::Zsh => {
                    format!("eval \"$(dctx {})\"", combination.join(" "))
                }
            };
            let out = run(sandbox
                .command(shell)
                .env("PATH", dctx_tests::path_with_dctx())
                .args(["-c", &load]));
            assert!(
                out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
                "{shell} -c '{load}': {out:?}"
            );
        }
        if shell == "bash" {
            let root = dir.join("..");
            // The tmux plugin, its TPM entry point and the fuzz seeder are bash too.
            files.extend(
                [
                    root.join("tmux/dctx.tmux"),
                    root.join("dctx.tmux"),
                    root.join("fuzz/seed.sh"),
                ]
                .map(|f| (f, true)),
            );
        }
        for (file, optional) in files {
            let mut cmd = sandbox.command(linter);
            if shell == "bash" && optional {
                cmd.args(["-o", "all"]);
            } else if shell == "bash" {
                // clap_complete splits compgen's words (SC2207), as
                // completion functions do; the rest is held to the default set.
                cmd.args(["-e", "SC2207"]);
            }
            let out = run(cmd.args(args).arg(&file));
            assert!(
                out.status.success(),
                "{linter} {}:\n{}{}",
                file.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// Holds `file` to `fish_indent`'s layout, if this fish has it; with
/// `quotes_aside`, quotes that fish_indent would drop are no difference.
fn fish_indented(sandbox: &Sandbox, file: &std::path::Path, quotes_aside: bool) {
    if !require_tool("fish_indent", "lint test") {
        return;
    }
    let text = std::fs::read_to_string(file).unwrap();
    let out = run(sandbox.command("fish_indent").arg(file));
    assert!(
        out.status.success(),
        "fish_indent {}: {out:?}",
        file.display()
    );
    let indented = String::from_utf8(out.stdout).unwrap();
    let aside = |t: &str| {
        if quotes_aside {
            t.replace('\'', "")
        } else {
            t.to_owned()
        }
    };
    if aside(&text) != aside(&indented) {
        let first = text
            .lines()
            .zip(indented.lines())
            .position(|(a, b)| aside(a) != aside(b))
            .unwrap_or(0);
        panic!(
            "{} is not as fish_indent would write it, from line {}:\n{}\nfish_indent:\n{}",
            file.display(),
            first + 1,
            text.lines().nth(first).unwrap_or(""),
            indented.lines().nth(first).unwrap_or("")
        );
    }
}

/// Words that no shell may read as anything but themselves.
const HOSTILE_WORDS: [&[u8]; 12] = [
    b"",
    b"plain",
    b"it's",
    b"two\nlines\n",
    b"$(touch pwned)",
    b"`touch pwned`",
    b"back\\slash \\' \\\\",
    b"\x1b[31mred\x07 tab\t cr\r",
    b"~root *?[a] {a,b} ; | & < > # !x %1 =ls ^x",
    b"caf\xc3\xa9 \xe2\x98\x83",
    b"not \xff\xfe utf-8 \xc3",
    b"\xc2\x85 C1 and \xe2\x80\xae bidi",
];

/// `quote`'s words put into real bash, zsh and fish read back as the very
/// bytes they were made of: each shell prints the word it parsed.
#[test]
fn quoted_words_read_back_exactly_in_every_shell() {
    use std::os::unix::ffi::OsStrExt;
    let sandbox = Sandbox::new();
    type Quoter = fn(&[u8]) -> Vec<u8>;
    let sh: Quoter = |w| dctx_core::quote::sh_bytes(w).unwrap();
    let sh_line: Quoter = |w| {
        dctx_core::quote::sh_line(std::str::from_utf8(w).unwrap())
            .unwrap()
            .into_bytes()
    };
    let fish: Quoter = |w| dctx_core::quote::fish_bytes(w).unwrap();
    let cases: [(&str, &[&str], &str, Quoter); 5] = [
        ("bash", &["--noprofile", "--norc", "-c"], "sh", sh),
        ("zsh", &["-f", "-c"], "sh", sh),
        ("bash", &["--noprofile", "--norc", "-c"], "sh_line", sh_line),
        ("zsh", &["-f", "-c"], "sh_line", sh_line),
        ("fish", &["--no-config", "-c"], "fish", fish),
    ];
    for (shell, args, quoter, quote) in cases {
        if !require_tool(shell, "quoting test") {
            continue;
        }
        for word in HOSTILE_WORDS {
            if quoter == "sh_line" && std::str::from_utf8(word).is_err() {
                continue;
            }
            // One line of code per word, so that fish's one-line quoting is
            // held to it too; the word is printed between brackets.
            let mut code = b"printf '[%s]' ".to_vec();
            code.extend(quote(word));
            if quoter != "sh" {
                assert!(!code.contains(&b'\n'), "{quoter} {word:?}");
            }
            let out = run(sandbox
                .command(shell)
                .args(args)
                .arg(std::ffi::OsStr::from_bytes(&code)));
            let expected = [b"[", word, b"]"].concat();
            assert_eq!(
                out.stdout,
                expected,
                "{shell} read {quoter}'s {:?} back as {:?} ({})",
                String::from_utf8_lossy(word),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(out.stderr.is_empty(), "{shell}: {out:?}");
        }
    }
    assert!(!sandbox.path().join("pwned").exists(), "a quoted word ran");
}

/// A new interactive shell with the README's lines in its rc file, in a
/// terminal: once its first prompt is up, the whole screen is that prompt
/// and nothing else (an error printed by the hook at start-up would sit
/// above it, where reading only the last line cannot see it).
fn first_prompt_is_clean(shell: &str, rc: &str, command: &str, prompt: &str) {
    for tool in ["tmux", "docker", shell] {
        if !require_tool(tool, &format!("{shell} first prompt test")) {
            return;
        }
    }
    let sandbox = Sandbox::new();
    sandbox.create_contexts(&[("prod", "ssh://deploy@prod-01")]);
    dctx_tests::run_ok(sandbox.docker().args(["context", "use", "prod"]));
    let _daemon = Daemon::start(&sandbox);
    let home = sandbox.home();
    let rc_path = home.join(rc);
    std::fs::create_dir_all(rc_path.parent().unwrap()).unwrap();
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"),
    )
    .unwrap();
    // The README's own lines for this shell, after its `# ~/.<rc>` line.
    let marker = match shell.parse().expect("an init shell") {
        InitShell::Fish => "# ~/.config/fish/config.fish".to_string(),
        InitShell::Bash | InitShell::Zsh => format!("# ~/.{shell}rc"),
    };
    let lines: Vec<&str> = readme
        .lines()
        .skip_while(|l| *l != marker)
        .skip(1)
        .take_while(|l| !l.trim().is_empty() && !l.starts_with("```"))
        .collect();
    assert!(!lines.is_empty(), "README has {marker}");
    let mut rc_text = lines.join("\n") + "\n";
    if shell == "fish" {
        // The README's fish line asks for dctx_segment in fish_prompt;
        // fish's greeting is none of dctx's output.
        rc_text.push_str(
            "set -g fish_greeting\nfunction fish_prompt; printf '[%s] > ' (dctx_segment); end\n",
        );
    }
    std::fs::write(&rc_path, rc_text).unwrap();
    let tmux = Tmux::start(
        &sandbox,
        "first",
        &format!(
            "cd '{}' && env PATH='{}' ZDOTDIR='{}' {command}",
            home.display(),
            dctx_tests::path_with_dctx(),
            home.display()
        ),
    );
    tmux.expect_prompt(prompt);
    // A sentinel: whatever the start-up printed is on screen once its
    // output and the prompt after it are.
    tmux.type_line("echo sentinel");
    let lines = || -> Vec<String> {
        tmux.screen()
            .lines()
            .map(|l| l.trim_end().to_string())
            .filter(|l| !l.is_empty())
            .collect()
    };
    wait_for(
        "the sentinel and the prompt after it",
        Duration::from_secs(10),
        || {
            let now = lines();
            now.iter().any(|l| l == "sentinel") && now.last().is_some_and(|l| l == prompt)
        },
    );
    let screen = lines();
    let expected = vec![
        format!("{prompt} echo sentinel"),
        "sentinel".to_string(),
        prompt.to_string(),
    ];
    assert_eq!(screen, expected, "{shell}'s whole screen");
}

/// Whether `\$` and `%#` show `#`.
fn running_as_root() -> bool {
    dctx_tests::run_ok(std::process::Command::new("id").arg("-u")).trim() == "0"
}

#[test]
fn bash_first_prompt_is_clean() {
    first_prompt_is_clean(
        "bash",
        ".bashrc",
        "bash --noprofile --rcfile .bashrc -i",
        if running_as_root() {
            "[prod] ~#"
        } else {
            "[prod] ~$"
        },
    );
}

#[test]
fn zsh_first_prompt_is_clean() {
    // No global rc files: Debian's /etc/zsh/zshrc is none of the README's.
    let prompt = if running_as_root() {
        "[prod] ~ #"
    } else {
        "[prod] ~ %"
    };
    first_prompt_is_clean("zsh", ".zshrc", "zsh -d -i", prompt);
}

#[test]
fn fish_first_prompt_is_clean() {
    first_prompt_is_clean(
        "fish",
        ".config/fish/config.fish",
        "env XDG_CONFIG_HOME=$PWD/.config fish -i",
        "[prod] >",
    );
}

/// The README's starship block, run the way starship's custom module runs
/// it (`shell[0]` with `shell[1..]`, then `command` as the last argument when
/// `use_stdin = false`; stdin, stdout and stderr piped; output trimmed, and
/// empty output hides the module). No starship binary is needed: building
/// one takes ~15 minutes, so this checks the exact text instead.
#[test]
fn the_readme_starship_configuration_runs_dctx_prompt_directly() {
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"),
    )
    .unwrap();
    let start = readme
        .find("[custom.docker_context]")
        .expect("starship block in README");
    let block = &readme[start..readme[start..].find("```").map(|e| start + e).unwrap()];
    let config: toml::Table =
        toml::from_str(block).expect("the README's starship block is valid TOML");
    let module = config["custom"]["docker_context"].as_table().unwrap();
    assert_eq!(
        module["when"].as_bool(),
        Some(true),
        "when must not start a process"
    );
    assert_eq!(module["use_stdin"].as_bool(), Some(false));
    let shell: Vec<&str> = module["shell"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(shell.len() > 1, "with one element starship would insert -c");
    let command = module["command"].as_str().unwrap();

    let sandbox = Sandbox::new();
    let starship_like = |env: &[(&str, &str)]| {
        let mut cmd = sandbox.command(bin_dir().join(shell[0]));
        cmd.args(&shell[1..]).arg(command).envs(env.iter().copied());
        cmd.stdin(std::process::Stdio::piped());
        let out = run(&mut cmd);
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(
        starship_like(&[("DOCKER_CONTEXT", "prod")]),
        "prod?",
        "plain text, problem marker kept"
    );
    assert_eq!(
        starship_like(&[("DOCKER_HOST", "tcp://10.0.0.1")]),
        "tcp://10.0.0.1:2375"
    );
    assert_eq!(
        starship_like(&[]),
        "",
        "the local default is empty, so starship hides the module"
    );
}

/// How the hook and `--prompt` join what the user already has, loaded twice.
#[test]
fn hooks_and_prompt_edits_join_existing_configuration_once() {
    let sandbox = Sandbox::new();
    let dctx = bin_dir().join("dctx").display().to_string();
    let load = |shell: &str, flag: &str| format!("eval \"$('{dctx}' init {shell}{flag})\"");
    let cases = [
        (
            "bash",
            vec!["--noprofile", "--norc", "-i", "-c"],
            format!("PROMPT_COMMAND=(mine); {0}; {0}; echo \"${{PROMPT_COMMAND[*]}}\"", load("bash", "")),
            "__dctx_precmd mine\n".to_string(),
        ),
        (
            "bash",
            vec!["--noprofile", "--norc", "-i", "-c"],
            format!("PROMPT_COMMAND='mine'; {0}; {0}; echo \"$PROMPT_COMMAND\"", load("bash", "")),
            "__dctx_precmd;mine\n".to_string(),
        ),
        (
            "bash",
            vec!["--noprofile", "--norc", "-i", "-c"],
            format!("PS1='\\$ '; {0}; {0}; echo \"$PS1\"", load("bash", " --prompt")),
            "${DCTX_SEGMENT:+$DCTX_SEGMENT }\\$ \n".to_string(),
        ),
        (
            "zsh",
            vec!["-f", "-i", "-c"],
            format!("precmd_functions=(mine); PROMPT='%# '; {0}; {0}; print -r -- \"$precmd_functions|$PROMPT\"", load("zsh", " --prompt")),
            "__dctx_precmd mine|${DCTX_SEGMENT:+$DCTX_SEGMENT }%# \n".to_string(),
        ),
        (
            "fish",
            vec!["--no-config", "-i", "-c"],
            format!(
                "function fish_prompt; printf 'mine> '; end; '{dctx}' init fish --prompt | source; '{dctx}' init fish --prompt | source; set DCTX_SEGMENT prod; fish_prompt; echo"
            ),
            "prod mine> \n".to_string(),
        ),
    ];
    for (shell, args, script, expected) in cases {
        if !require_tool(shell, "hook installation test") {
            continue;
        }
        let out = run(sandbox
            .command(shell)
            .args(args)
            .arg(&script)
            .env("DCTX_NO_AUTOSTART", "1"));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.ends_with(&expected),
            "{shell}: {script}\ngot {stdout:?}, expected it to end with {expected:?}"
        );
    }
}

/// `--starship`: plain text in an exported DCTX_SEGMENT while there is
/// something to show, and no variable at all otherwise (starship's env_var
/// module shows a module exactly while its variable is defined).
#[test]
fn starship_mode_exports_plain_text_only_while_there_is_a_segment() {
    let sandbox = Sandbox::new();
    let dctx = bin_dir().join("dctx").display().to_string();
    let posix = |shell: &str| {
        format!(
            "eval \"$('{dctx}' init {shell} --starship)\"; export DOCKER_CONTEXT=prod; __dctx_precmd; env | grep '^DCTX_SEGMENT='; \
             unset DOCKER_CONTEXT; __dctx_precmd; echo \"left=$(env | grep -c '^DCTX_SEGMENT=')\""
        )
    };
    let cases = [
        ("bash", vec!["--noprofile", "--norc", "-i", "-c"], posix("bash")),
        ("zsh", vec!["-f", "-i", "-c"], posix("zsh")),
        (
            "fish",
            vec!["--no-config", "-i", "-c"],
            format!(
                "'{dctx}' init fish --starship | source; set -gx DOCKER_CONTEXT prod; __dctx_precmd; env | string match 'DCTX_SEGMENT=*'; \
                 set -e DOCKER_CONTEXT; __dctx_precmd; echo left=(env | string match 'DCTX_SEGMENT=*' | count)"
            ),
        ),
    ];
    for (shell, args, script) in cases {
        if !require_tool(shell, "starship mode test") {
            continue;
        }
        let out = run(sandbox.command(shell).args(args).arg(&script));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.ends_with("DCTX_SEGMENT=prod?\nleft=0\n"),
            "{shell}: got {stdout:?}"
        );
    }
}

/// An unsupported shell version gets one line saying so, and no hook (zsh
/// lets a test pretend to be 4.3; bash's and fish's versions are read-only).
fn unsupported_shells_get_a_word_not_errors() {
    if !require_tool("zsh", "unsupported shell test") {
        return;
    }
    let sandbox = Sandbox::new();
    let dctx = bin_dir().join("dctx").display().to_string();
    let script = format!(
        "ZSH_VERSION=4.3.17; eval \"$('{dctx}' init zsh)\"; print -r -- \"hooks=${{precmd_functions-}}\""
    );
    let out = run(sandbox.command("zsh").args(["-f", "-i", "-c", &script]));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hooks=\n");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "dctx: needs zsh 5 or newer (this is 4.3.17); the prompt is left as it was\n"
    );
}

/// The helper contract's version, checked by both sides: a helper that
/// answers in another frame version (as one left running by an upgrade
/// would) is stopped, this prompt is answered directly, and the next one
/// starts a helper of this build. (A helper that is asked in another
/// version answers with its own and exits: `serve.rs`'s unit tests.)
#[test]
fn a_helper_of_another_frame_version_is_replaced() {
    let sandbox = Sandbox::new();
    let path = format!(
        "{}:{}",
        bin_dir().display(),
        dctx_tests::system_path().to_string_lossy()
    );
    let script = |shell: &str| {
        format!(
            r#"eval "$(dctx init {shell})"; export DOCKER_CONTEXT=x; __dctx_precmd
kill $__DCTX_HELPER_PID
{{ IFS= read -r -d '' v; printf '2\0OLD\0\0'; sleep 5; }} <>"$__DCTX_DIR/in" >"$__DCTX_DIR/out" 2>/dev/null &
__DCTX_HELPER_PID=$!; __dctx_started_at $!; __DCTX_HELPER_AT=$__dctx_at
export DOCKER_CONTEXT=y; __dctx_precmd; echo "seg=$DCTX_SEGMENT"
export DOCKER_CONTEXT=z; __dctx_precmd; echo "seg=$DCTX_SEGMENT"
echo "helper=$(tr '\0' ' ' < /proc/$__DCTX_HELPER_PID/cmdline)""#
        )
    };
    let cases: [(&str, &[&str]); 2] = [
        ("bash", &["--norc", "-i", "-c"]),
        ("zsh", &["-f", "-i", "-c"]),
    ];
    for (shell, args) in cases {
        if !require_tool(shell, "helper version test") {
            continue;
        }
        let out = run(sandbox
            .command(shell)
            .args(args)
            .arg(script(shell))
            .env("PATH", &path));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("seg=y?\nseg=z?\nhelper="),
            "{shell}: {stdout:?}"
        );
        let helper = stdout.lines().last().unwrap_or_default();
        assert!(
            helper.contains("--serve"),
            "{shell}: a new helper: {helper:?}"
        );
    }
}

/// A helper's pid can be reused once it is gone: the hook tells the new
/// process apart by its start time and never kills it. Here the helper
/// is stopped (so the answer times out) and the hook's pid points at
/// another process of the user's, as if the pid had been reused. (Start
/// times count clock ticks: the decoy is one that started in a later
/// tick than the helper, as a process that got a reused pid would.)
#[test]
fn a_reused_helper_pid_is_never_killed() {
    let sandbox = Sandbox::new();
    let script = |shell: &str| {
        format!(
            r#"eval "$(dctx init {shell})"; export DOCKER_CONTEXT=x; __dctx_precmd
helper=$__DCTX_HELPER_PID
kill -STOP $helper
while :; do
  sleep 1000 & decoy=$!
  __dctx_started_at $decoy
  [[ $__dctx_at != "$__DCTX_HELPER_AT" ]] && break
  kill -9 $decoy
done
__DCTX_HELPER_PID=$decoy
export DOCKER_CONTEXT=y; __dctx_precmd; echo "seg=$DCTX_SEGMENT"
if kill -0 $decoy 2>/dev/null; then echo decoy=alive; else echo decoy=dead; fi
kill -9 $helper $decoy"#
        )
    };
    let cases: [(&str, &[&str]); 2] = [
        ("bash", &["--norc", "-i", "-c"]),
        ("zsh", &["-f", "-i", "-c"]),
    ];
    for (shell, args) in cases {
        if !require_tool(shell, "helper liveness test") {
            continue;
        }
        let out = run(sandbox
            .command(shell)
            .args(args)
            .arg(script(shell))
            .env("PATH", dctx_tests::path_with_dctx()));
        let stdout = String::from_utf8_lossy(&out.stdout);
        // The prompt still answers (one `dctx-prompt`), and the other
        // process lives.
        assert!(
            stdout.ends_with("seg=y?\ndecoy=alive\n"),
            "{shell}: {stdout:?} {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The answer's three reads share one deadline: once it has passed, a
/// read is refused even with the field already waiting; before it, the
/// field is read.
#[test]
fn the_answers_reads_share_one_deadline() {
    let sandbox = Sandbox::new();
    let cases = [
        (
            "bash",
            "__dctx_deadline=$(( ${EPOCHREALTIME//[!0-9]/} + 60000000 ))",
        ),
        ("zsh", "(( __dctx_deadline = EPOCHREALTIME + 60 ))"),
    ];
    for (shell, later) in cases {
        if !require_tool(shell, "deadline test") {
            continue;
        }
        let script = format!(
            r#"eval "$(dctx init {shell})"
exec 9< <(printf 'a\0b\0')
__dctx_deadline=1
if __dctx_read v; then echo "past: $v"; else echo "past: refused"; fi
{later}
if __dctx_read v; then echo "future: $v"; else echo "future: refused"; fi"#
        );
        let out = run(sandbox
            .command(shell)
            .args(["-c", &script])
            .env("PATH", dctx_tests::path_with_dctx()));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "past: refused\nfuture: a\n",
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
