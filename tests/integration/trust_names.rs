//! Context names are data, never code: docker checks a name only when it
//! creates a context, so a hand-written meta.json can carry `$(…)`,
//! backticks, quotes, globs, newlines, escape sequences or bytes that are
//! not UTF-8. Tab completion in real bash, zsh and fish, the picker, the
//! numbered list, `dctx ls` and the suggestions must neither run such a
//! name nor send it raw to the terminal.

use std::path::Path;
use std::time::Duration;

use dctx_tests::{run, run_ok, text, wait_for, Hooked, Sandbox};

const EVENTUALLY: Duration = Duration::from_secs(20);

/// Writes the meta.json of context `name` by hand (as docker would lay it
/// out: `contexts/meta/<sha256(name)>/meta.json`), `name` as raw bytes in
/// the JSON string.
fn hand_written_context(config_dir: &Path, name: &[u8], host: &str) {
    let shown = String::from_utf8_lossy(name);
    let path = dctx_core::context_meta::meta_path(config_dir, &shown);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let quoted = serde_json::to_vec(&*shown).unwrap();
    // A name that is not UTF-8 goes in as its raw bytes, as a hand edit
    // would leave it; the rest is escaped as JSON.
    let quoted = if std::str::from_utf8(name).is_ok() {
        quoted
    } else {
        [b"\"".as_slice(), name, b"\""].concat()
    };
    let mut doc = b"{\"Name\":".to_vec();
    doc.extend_from_slice(&quoted);
    doc.extend_from_slice(
        format!(
            ",\"Metadata\":{{}},\"Endpoints\":{{\"docker\":{{\"Host\":\"{host}\",\"SkipTLSVerify\":false}}}}}}"
        )
        .as_bytes(),
    );
    std::fs::write(path, doc).unwrap();
}

/// Names that are shell code or shell syntax, each with its own first
/// letter so that one Tab completes it alone. The `touch`es would leave
/// `pwned-*` files in HOME if anything ran them.
const CODE_NAMES: [&str; 7] = [
    "a$(touch ~/pwned-dollar)",
    "b`touch ~/pwned-backtick`",
    "c';touch ~/pwned-quote;'",
    "g*",
    "j name with spaces",
    "k\\x41\\n",
    "q\"double\"",
];

/// Names completion must leave out (they cannot be one line, or would act
/// on the terminal), though `dctx use` still takes them typed in full.
const UNLISTED: [&str; 4] = ["zz\nline", "zesc\u{1b}[2J", "zrtl\u{202e}dorp", "zb\u{7}"];

fn hostile_world() -> Sandbox {
    let sandbox = Sandbox::new();
    let dir = sandbox.home_docker();
    for name in CODE_NAMES.iter().chain(&UNLISTED) {
        hand_written_context(&dir, name.as_bytes(), "tcp://10.0.0.9:2375");
    }
    hand_written_context(&dir, b"y\xffbyte", "tcp://10.0.0.8:2375");
    sandbox
}

fn pwned(sandbox: &Sandbox) -> Vec<String> {
    std::fs::read_dir(sandbox.home())
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.starts_with("pwned").then_some(name)
        })
        .collect()
}

#[test]
fn ls_names_lists_one_safe_name_a_line() {
    let sandbox = hostile_world();
    let out = run(sandbox.dctx("dctx").args(["ls", "--names"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listed = text(&out.stdout);
    let lines: Vec<&str> = listed.lines().collect();
    for name in CODE_NAMES {
        assert!(lines.contains(&name), "{name:?} in {listed:?}");
    }
    // And `default` and the name that was not UTF-8, lossily.
    assert_eq!(lines.len(), CODE_NAMES.len() + 2, "{listed:?}");
    assert!(lines.contains(&"y\u{fffd}byte"), "{listed:?}");
    assert!(
        !listed
            .chars()
            .any(|c| c != '\n' && dctx_core::terminal_text::is_unsafe(c)),
        "{listed:?}"
    );
}

/// Tab after `dctx exec <first letter>` completes the whole name, quoted
/// so that the shell reads back exactly that name (the command run then
/// prints it), and nothing in any name runs.
fn completion_is_data(shell: &'static str) {
    let sandbox = hostile_world();
    let setup = if shell == "zsh" {
        "autoload -Uz compinit && compinit -u"
    } else {
        ""
    };
    let Some(h) = Hooked::start(&sandbox, shell, setup) else {
        return;
    };
    h.tmux.expect_prompt("<|0>");
    for name in CODE_NAMES {
        let first = &name[..1];
        let typed = format!("dctx exec {first}");
        h.tmux.run(&["send-keys", "-t", "t", "-l", &typed]);
        h.tmux.run(&["send-keys", "-t", "t", "Tab"]);
        wait_for(
            &format!("{shell}: {name:?} to complete"),
            EVENTUALLY,
            || {
                let line = h.tmux.last_line();
                line.trim_end().len() > format!("<|0> {typed}").len()
            },
        );
        // What the shell makes of the completed word: printed by the
        // command run with it, after a marker.
        h.tmux
            .type_line(" -- sh -c 'printf \"completed=%s\\n\" \"$DOCKER_CONTEXT\"'");
        let expected = format!("completed={name}");
        wait_for(&format!("{shell}: {name:?} read back"), EVENTUALLY, || {
            h.tmux.screen().lines().any(|l| l.trim_end() == expected)
        });
        h.tmux.expect_prompt("<|0>");
        h.tmux.run(&["send-keys", "-t", "t", "C-l"]);
    }
    // The names left out of completion complete to nothing: the line
    // runs as typed (no such context), and the shell goes on.
    h.tmux.run(&["send-keys", "-t", "t", "-l", "dctx use zz"]);
    h.tmux.run(&["send-keys", "-t", "t", "Tab"]);
    h.tmux.type_line(if shell == "fish" {
        "; echo tab-$status-done"
    } else {
        "; echo tab-$?-done"
    });
    expect_line(&h, &format!("{shell}: the line ran"), "tab-1-done");
    h.expect_after("dctx use a", "<|1>");
    assert_eq!(pwned(&sandbox), Vec::<String>::new(), "{shell}: a name ran");
}

#[test]
fn bash_completes_hostile_names_as_data() {
    completion_is_data("bash");
}

#[test]
fn zsh_completes_hostile_names_as_data() {
    completion_is_data("zsh");
}

#[test]
fn fish_completes_hostile_names_as_data() {
    completion_is_data("fish");
}

/// `dctx ls`, a mistyped name's suggestions and the list `dctx use` shows
/// without a terminal print names with escapes, never the raw bytes.
#[test]
fn listings_and_suggestions_escape_names() {
    let sandbox = hostile_world();
    let ls = run_ok(sandbox.dctx("dctx").arg("ls"));
    assert!(ls.contains("zesc\\u{1b}[2J"), "{ls}");
    assert!(ls.contains("zrtl\\u{202e}dorp"), "{ls}");
    assert!(ls.contains("zz\\u{a}line"), "{ls}");
    let typo = run(sandbox.dctx("dctx").args(["exec", "zb", "--", "true"]));
    let said = text(&typo.stderr);
    assert!(!typo.status.success());
    assert!(said.contains("did you mean zb\\u{7}"), "{said}");
    let list = run(sandbox.dctx("dctx").arg("use"));
    let said = text(&list.stderr);
    assert!(said.contains("zrtl\\u{202e}dorp"), "{said}");
    for out in [ls.as_bytes(), &typo.stderr, &list.stderr] {
        let s = String::from_utf8_lossy(out);
        assert!(
            !s.contains('\u{1b}') && !s.contains('\u{202e}'),
            "raw control or bidi character in {s:?}"
        );
    }
}

/// Waits for a line `expected` on the screen.
fn expect_line(h: &Hooked, what: &str, expected: &str) {
    wait_for(what, EVENTUALLY, || {
        h.tmux.screen().lines().any(|l| l.trim_end() == expected)
    });
}

/// fzf is given escaped, aligned lines and its answer is matched back to
/// exactly one of them: the line of `stage<TAB>prod-eu` switches to that
/// context, and a line that was not given (`stage`, a tab, `prod-eu`: what
/// splitting at the tab took for `stage`) switches to nothing.
#[test]
fn the_picker_switches_to_exactly_the_line_chosen() {
    let sandbox = Sandbox::new();
    let dir = sandbox.home_docker();
    hand_written_context(&dir, b"stage", "tcp://10.0.0.1:2375");
    hand_written_context(&dir, b"stage\tprod-eu", "tcp://10.0.0.2:2375");
    let fake = sandbox.path().join("fake-bin");
    std::fs::create_dir(&fake).unwrap();
    let mode = sandbox.path().join("fzf-mode");
    std::fs::write(&mode, "forge").unwrap();
    let fzf = fake.join("fzf");
    std::fs::write(
        &fzf,
        format!(
            "#!/bin/sh\ncase \"$(cat '{}')\" in\nforge) cat >/dev/null; printf 'stage\\tprod-eu   tcp://10.0.0.2:2375\\n' ;;\n*) grep -F 'stage\\u{{9}}prod-eu' ;;\nesac\n",
            mode.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fzf, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let setup = format!("export PATH='{}':\"$PATH\"", fake.display());
    let Some(h) = Hooked::start(&sandbox, "bash", &setup) else {
        return;
    };
    h.tmux.expect_prompt("<|0>");
    h.expect_after("dctx use", "<|1>");
    assert!(
        h.tmux.screen().contains("not exactly one of the lines"),
        "{}",
        h.tmux.screen()
    );
    h.tmux
        .type_line("printf 'forged=%q\\n' \"${DOCKER_CONTEXT-unset}\"");
    expect_line(&h, "nothing switched", "forged=unset");
    std::fs::write(&mode, "pick").unwrap();
    h.tmux.type_line("dctx use");
    h.tmux
        .type_line("printf 'picked=%q\\n' \"${DOCKER_CONTEXT-unset}\"");
    expect_line(&h, "the chosen line's context", "picked=$'stage\\tprod-eu'");
}

/// `dctx use` of a name holding a newline exports exactly that name, in
/// fish (whose function reads the code through a command substitution,
/// split at newlines) as in bash.
#[test]
fn a_name_with_a_newline_is_exported_whole() {
    let sandbox = hostile_world();
    for (shell, line, expected) in [
        (
            "fish",
            "dctx use zz\\nline; echo ctx=(string escape -- $DOCKER_CONTEXT) n=(count $DOCKER_CONTEXT)",
            "ctx=zz\\nline n=1",
        ),
        (
            "bash",
            "dctx use $'zz\\nline'; printf 'ctx=%q\\n' \"$DOCKER_CONTEXT\"",
            "ctx=$'zz\\nline'",
        ),
    ] {
        let Some(h) = Hooked::start(&sandbox, shell, "") else {
            continue;
        };
        h.tmux.expect_prompt("<|0>");
        h.tmux.type_line(line);
        expect_line(&h, &format!("{shell}: the whole name"), expected);
    }
}

/// A refusal's suggested line, pasted into the shell it was quoted for,
/// names exactly the context: sh quoting in bash (`$'…'`, `'\''`), fish's
/// in fish (where `%self` expands, `\\` in single quotes is one `\`, and
/// `$'…'` is not syntax). Nothing a name holds runs.
#[test]
fn a_refusals_suggestion_pasted_into_its_shell_names_exactly_the_context() {
    const NAMES: [&str; 9] = [
        "%self",
        "a\\\\b",
        "it's",
        "t\tab",
        "d$(touch ~/pwned-paste)",
        "~root",
        "{x,y}",
        "e\u{1b}[2J",
        "plain-name",
    ];
    let sandbox = Sandbox::new();
    let dir = sandbox.home_docker();
    // Each its own engine, so that the one suggestion is its own name.
    for (i, name) in NAMES.iter().enumerate() {
        hand_written_context(
            &dir,
            name.as_bytes(),
            &format!("unix:///nonexistent/{i}.sock"),
        );
    }
    let settings = sandbox.path().join("xdg-config/dctx/config.toml");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    std::fs::write(&settings, "[guard]\nprotect_all_but = [\"default\"]\n").unwrap();
    let shells: [(&str, &[&str], &str); 2] = [
        ("bash", &[], "docker() { printf '<%s>\\n' \"$@\"; }"),
        (
            "fish",
            &["--fish"],
            "function docker; printf '<%s>\\n' $argv; end",
        ),
    ];
    for (shell, flags, define) in shells {
        if !dctx_tests::require_tool(shell, "pasted suggestion test") {
            continue;
        }
        for name in NAMES {
            let explained = run_ok(
                sandbox
                    .dctx("dctx")
                    .arg("guard")
                    .args(flags)
                    .args(["--explain", "--", "rm", "-f", "web"])
                    .env("DOCKER_CONTEXT", name),
            );
            let line = explained
                .lines()
                .find_map(|l| l.strip_prefix("instead:     "))
                .unwrap_or_else(|| panic!("{shell} {name:?}: no suggestion in\n{explained}"));
            let out = run(sandbox
                .command(shell)
                .arg("-c")
                .arg(format!("{define}\n{line}")));
            assert_eq!(
                text(&out.stdout),
                format!("<--context>\n<{name}>\n<rm>\n<-f>\n<web>\n"),
                "{shell} pasting {line:?}: {}",
                text(&out.stderr)
            );
        }
    }
    assert_eq!(pwned(&sandbox), Vec::<String>::new());
}
