//! `dctx init <shell>`: print the shell integration. The scripts are real
//! files under `shell-integrations/`, embedded here and rendered by
//! [`template`]: their `--prompt` and `--starship` blocks kept or left
//! out, the paths of this install's `dctx` and `dctx-prompt` filled in,
//! and, with `--guard`, the guard's fast path (the lines that never start
//! `dctx guard`) rendered as the shell's own `case`/`switch` from
//! `dctx_core::guard::fast_path`. The lists the scripts share with Rust
//! (`REQUEST_VARS`, `HOOK_CHECKS`) are written out in the files, and this
//! module's tests hold them to those lists.
use std::io::Write;

use anyhow::Context as _;

use dctx_ipc::helper_frame::FRAME_VERSION;

use dctx_core::guard::commands::Table;
use dctx_core::guard::fast_path;
use dctx_core::quote;
use dctx_core::InitShell;

use dctx_ipc::Vars;

mod template;

const BASH: &str = include_str!("../../../shell-integrations/dctx.bash");
/// bash's last line, after the guard and the completions.
const BASH_RESTORE: &str = include_str!("../../../shell-integrations/restore.bash");
const ZSH: &str = include_str!("../../../shell-integrations/dctx.zsh");
/// `--prompt` for zsh, after the emulated part.
const ZSH_PROMPT: &str = include_str!("../../../shell-integrations/prompt.zsh");
const FISH: &str = include_str!("../../../shell-integrations/dctx.fish");
const GUARD_BASH: &str = include_str!("../../../shell-integrations/guard.bash");
const GUARD_ZSH: &str = include_str!("../../../shell-integrations/guard.zsh");
const GUARD_FISH: &str = include_str!("../../../shell-integrations/guard.fish");

/// `word` quoted for `shell`; `None` for a word with a NUL, which no shell
/// word can hold.
fn quoted(shell: InitShell, word: &str) -> Option<String> {
    match shell {
        InitShell::Fish => quote::fish(word),
        InitShell::Bash | InitShell::Zsh => quote::sh(word),
    }
    .ok()
}

/// A path of this install, quoted (the kernel's paths hold no NUL).
fn path_word(shell: InitShell, program: &str) -> String {
    let path = dctx_ipc::spawn::sibling(program);
    quoted(shell, &path.to_string_lossy()).expect("a path holds no NUL byte")
}

/// How the hook should publish the segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Publish {
    /// A shell variable, escaped for this shell's line editor.
    ShellVariable,
    /// Plain text, exported while non-empty, for starship's `env_var`.
    Starship,
}

pub fn script(
    shell: InitShell,
    prepend_to_prompt: bool,
    publish: Publish,
    completions: bool,
    guard: Option<&Table>,
) -> String {
    let (template, guard_template) = match shell {
        InitShell::Bash => (BASH, GUARD_BASH),
        InitShell::Zsh => (ZSH, GUARD_ZSH),
        InitShell::Fish => (FISH, GUARD_FISH),
    };
    let starship = publish == Publish::Starship;
    let flags = [("prompt", prepend_to_prompt), ("starship", starship)];
    // Starship gets plain text; the shells get it escaped for their line
    // editor.
    let render_as = if starship { "plain" } else { shell.as_str() };
    let frame = quoted(shell, FRAME_VERSION).expect("the frame version holds no NUL byte");
    let values = [
        ("DCTX_PROMPT", path_word(shell, "dctx-prompt")),
        ("DCTX_BIN", path_word(shell, "dctx")),
        ("DCTX_SHELL", render_as.to_owned()),
        ("DCTX_FRAME", frame),
    ];
    let values: Vec<(&str, &str)> = values.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let mut text = template::render(template, &flags, &values);
    if let Some(table) = guard {
        text.push('\n');
        // In bash and zsh the placeholder is a case item of its own, in
        // fish a `case` line, so that the template file parses (and
        // lints) as it is.
        let placeholder = match shell {
            InitShell::Fish => "case @DCTX_GUARD_READ_ONLY@",
            InitShell::Bash | InitShell::Zsh => "@DCTX_GUARD_READ_ONLY@) ;;",
        };
        let guard = template::render(guard_template, &flags, &values);
        text.push_str(&guard.replace(placeholder, &read_only_cases(shell, table)));
    }
    let completion = completions.then(|| {
        format!(
            "\n# Completions for dctx and dctx-prompt (`dctx init --no-completions` leaves them out).\n{}",
            crate::completions::script(shell)
        )
    });
    match shell {
        InitShell::Bash => format!(
            "{text}{}\n{}",
            completion.unwrap_or_default(),
            template::without_comments(BASH_RESTORE)
        ),
        InitShell::Zsh => {
            let edit = if prepend_to_prompt {
                format!("\n{}", template::without_comments(ZSH_PROMPT))
            } else {
                "\n".to_owned()
            };
            // Completion functions run under the options compsys sets for
            // them: defined under sticky emulation they would lose those
            // (`_arguments` fails). They are parsed under zsh's own
            // options, in a function that restores the user's, and
            // defined without stickiness. Each part is one `$'…'` word: a
            // single-quoted word holding newlines is an error under
            // `csh_junkie_quotes`.
            let one_line = |code: &str| quote::sh_line(code).expect("the scripts hold no NUL byte");
            let completion = completion
                .map(|c| format!("\n{ZSH_COMPLETION_LOAD}{}; }}", one_line(&c)))
                .unwrap_or_default();
            format!("{ZSH_LOAD}{}{completion}{edit}", one_line(&text))
        }
        InitShell::Fish => text + &completion.unwrap_or_default(),
    }
}

/// zsh parses and defines everything under its own options (`emulate -R
/// zsh -c`), whatever the user set (`ksh_arrays`, `sh_glob`,
/// `warn_nested_var`...), and each function defined there runs under them
/// too (sticky emulation), at no cost per prompt beyond the switch itself.
const ZSH_LOAD: &str = "\\builtin emulate -R zsh -c ";

/// The completions for zsh: parsed under zsh's options (`emulate -L`
/// restores the user's when the function returns), defined without sticky
/// emulation, so that they run under compsys's own options.
const ZSH_COMPLETION_LOAD: &str =
    "() { \\builtin emulate -L zsh; \\builtin setopt interactive_comments; \\builtin eval ";

/// The branches of `__dctx_docker_read_only`'s `case` (bash, zsh) or
/// `switch` (fish) on the first word, and on the second under a management
/// command: each returns 0, for a line that is certainly read-only. Entries
/// the `[guard]` table reaches (`also_destructive = ["logs"]`) are left
/// out; the table is read now, so a change to it reaches new shells.
fn read_only_cases(shell: InitShell, table: &Table) -> String {
    let (commands, subcommands) = fast_path::allowed_by(table);
    let indent = "\n            ";
    // The fast path's own words: docker's command names.
    let word = |w: &str| quoted(shell, w).expect("a docker command holds no NUL byte");
    let words = |list: &[&str], separator: &str| -> String {
        list.iter()
            .map(|w| word(w))
            .collect::<Vec<_>>()
            .join(separator)
    };
    if shell == InitShell::Fish {
        let mut out = Vec::new();
        if !commands.is_empty() {
            out.push(format!(
                "case {}{indent}    return 0",
                words(&commands, " ")
            ));
        }
        for (first, subs) in &subcommands {
            out.push(format!(
                "case {}{indent}    switch \"$argv[2]\"{indent}        case {}{indent}            return 0{indent}    end",
                word(first),
                words(subs, " ")
            ));
        }
        return out.join(indent);
    }
    let mut out = Vec::new();
    if !commands.is_empty() {
        out.push(format!("{}) \\builtin return 0 ;;", words(&commands, "|")));
    }
    for (first, subs) in &subcommands {
        out.push(format!(
            "{})\n                case ${{2-}} in {}) \\builtin return 0 ;; *) ;; esac ;;",
            word(first),
            words(subs, "|")
        ));
    }
    out.join(indent)
}

pub fn run(
    vars: &Vars,
    shell: InitShell,
    prepend_to_prompt: bool,
    starship: bool,
    completions: bool,
    guard: bool,
) -> anyhow::Result<()> {
    // The guard's table as the guard would read it now; unreadable
    // settings leave the built-in table, as they do for the guard.
    // The system file's table is beneath the user's: what it refuses
    // stays off the fast path too.
    let table = guard.then(|| vars.layered_settings().settings.guard.table);
    let publish = if starship {
        Publish::Starship
    } else {
        Publish::ShellVariable
    };
    std::io::stdout()
        .lock()
        .write_all(
            script(
                shell,
                prepend_to_prompt,
                publish,
                completions,
                table.as_ref(),
            )
            .as_bytes(),
        )
        .context("could not write to stdout")
}

#[cfg(test)]
mod tests {
    use super::*;
    use dctx_ipc::helper_frame::REQUEST_VARS;
    use dctx_ipc::stamps::{Check, DAEMON_ALIVE, HOOK_CHECKS};

    // What the scripts write out from dctx-ipc's lists, generated here
    // from the lists themselves: a script that no longer matches them
    // fails `the_scripts_follow_the_lists`, which prints the lines to
    // paste.

    /// The hook's lines that fill `__DCTX_ENV` with each of the helper
    /// frame's variables, but only where this shell exports it: docker sees
    /// nothing else (builtins only; `${V@a}` is bash 4.4's).
    fn read_env(shell: InitShell) -> String {
        let empty = vec!["\"\""; REQUEST_VARS.len()].join(" ");
        let mut lines = vec![format!("__DCTX_ENV=({empty})")];
        for (i, var) in REQUEST_VARS.iter().enumerate() {
            lines.push(match shell {
                InitShell::Bash => {
                    format!("[[ ${{{var}+${{{var}@a}}}} == *x* ]] && __DCTX_ENV[{i}]=${{{var}}}")
                }
                InitShell::Zsh => format!(
                    "[[ ${{(t){var}-}} == *export* ]] && __DCTX_ENV[{}]=${{{var}}}",
                    i + 1
                ),
                // fish's `dctx-prompt --keep` sees exactly the exported
                // variables.
                InitShell::Fish => return String::new(),
            });
        }
        lines.join("\n    ")
    }

    /// The expression the hook compares before each prompt: each variable's
    /// attributes and value, so that exporting one that was set (same value)
    /// counts as a change too. One expansion per variable: this runs at every
    /// prompt, where the exported values alone would cost three times as much.
    fn key(shell: InitShell) -> String {
        if shell == InitShell::Fish {
            // `set -q` with several names fails with how many of them are not
            // (here: not exported); the values follow, unit-separated.
            let values: String = REQUEST_VARS
                .iter()
                .map(|var| format!("\\x1f\"${var}\""))
                .collect();
            return format!(
                "set -qx {}\n            set -l key $status{values}",
                REQUEST_VARS.join(" ")
            );
        }
        REQUEST_VARS
            .iter()
            .map(|var| match shell {
                // `declare -x V='…'`, or nothing when unset (safe under set -u).
                InitShell::Bash => format!("${{{var}+${{{var}@A}}}}"),
                _ => format!("${{(t){var}-}}=${{{var}-}}$'\\x1f'"),
            })
            .collect()
    }

    /// The hook's test that its stamps still hold (see `dctx_ipc::stamps`),
    /// from the one list of checks: `[[ … ]]` terms for bash and zsh, `test`
    /// terms for fish, whose stamp dir is `$s`.
    fn stamps_hold(shell: InitShell) -> String {
        let dir = match shell {
            // Quoted: an empty list would expand to no word at all.
            InitShell::Fish => "\"$s\"",
            _ => "${__DCTX_STAMPS-}",
        };
        let and = if shell == InitShell::Fish {
            " -a "
        } else {
            " && "
        };
        let mut checks = HOOK_CHECKS.to_vec();
        if shell == InitShell::Fish {
            checks.push(DAEMON_ALIVE);
        }
        checks
            .iter()
            .map(|check| match *check {
                Check::SameFile(a, b) => format!("{dir}/{a} -ef {dir}/{b}"),
                Check::NotNewer(a, b) => format!("! {dir}/{a} -nt {dir}/{b}"),
                Check::Exists(a) => format!("-e {dir}/{a}"),
            })
            .collect::<Vec<_>>()
            .join(and)
    }

    /// `text` with every line of `lines` indented by `indent`.
    fn indented(lines: &str, indent: &str) -> String {
        lines
            .lines()
            .map(|l| format!("{indent}{}\n", l.trim_start()))
            .collect()
    }

    #[test]
    fn the_scripts_follow_the_lists() {
        for (shell, template) in [(InitShell::Bash, BASH), (InitShell::Zsh, ZSH)] {
            let expected = [
                format!("    __DCTX_NEXT_KEY={}\n", key(shell)),
                format!(
                    "    if [[ ${{__DCTX_NEXT_KEY}} == \"${{__DCTX_KEY-}}\" && {} ]]; then\n",
                    stamps_hold(shell)
                ),
                indented(&read_env(shell), "    "),
            ];
            for lines in expected {
                assert!(
                    template.contains(&lines),
                    "dctx.{shell} no longer matches REQUEST_VARS or HOOK_CHECKS: it should have\n{lines}"
                );
            }
        }
        let expected = [
            indented(&key(InitShell::Fish), "            "),
            format!(
                "            if not test -n \"$s\" -a \"$key\" = \"$__dctx_key\" -a {}\n",
                stamps_hold(InitShell::Fish)
            ),
        ];
        for lines in expected {
            assert!(
                FISH.contains(&lines),
                "dctx.fish no longer matches REQUEST_VARS or HOOK_CHECKS: it should have\n{lines}"
            );
        }
    }

    #[test]
    fn quotes_paths_for_the_shell() {
        assert_eq!(
            quoted(InitShell::Bash, "/opt/it's here/dctx-prompt").unwrap(),
            r"'/opt/it'\''s here/dctx-prompt'"
        );
        assert_eq!(
            quoted(InitShell::Fish, r"/opt/it's\here").unwrap(),
            r"'/opt/it\'s\\here'"
        );
    }

    #[test]
    fn fills_every_placeholder() {
        let table = dctx_core::guard::commands::builtin_table();
        for shell in InitShell::ALL {
            for mask in 0..16 {
                let [prompt, starship, completions, guard] = [1, 2, 4, 8].map(|b| mask & b != 0);
                let publish = if starship {
                    Publish::Starship
                } else {
                    Publish::ShellVariable
                };
                let s = script(shell, prompt, publish, completions, guard.then_some(&table));
                assert!(!s.contains("@DCTX_"), "unfilled placeholder for {shell:?}");
                assert!(!s.contains("# @"), "a template marker left for {shell:?}");
                assert_eq!(s.contains("--shell plain"), starship, "{shell:?}");
                assert_eq!(
                    // fish defines the edit always (the package's
                    // snippet calls it) and runs it only with `--prompt`.
                    s.lines().any(|l| l.trim() == "__dctx_wrap_prompt")
                        || s.contains("*DCTX_SEGMENT*"),
                    prompt,
                    "{shell:?}"
                );
                assert_eq!(s.contains("__dctx_docker_read_only"), guard, "{shell:?}");
            }
        }
    }
}
