//! `dctx init <shell>`: print the shell integration, kept as real files
//! under `shell-integrations/` and embedded here, with the path of this
//! install's `dctx-prompt` filled in, and, with `--guard`, the guard's
//! fast path (the lines that never start `dctx guard`) rendered as the
//! shell's own `case`/`switch` from `dctx_core::guard::fast_path`.
use std::io::Write;

use anyhow::Context as _;

use dctx_ipc::helper_frame::{FRAME_VERSION, REQUEST_VARS};
use dctx_ipc::stamps::{Check, DAEMON_ALIVE, HOOK_CHECKS};

use dctx_core::guard::commands::Table;
use dctx_core::guard::fast_path;

use dctx_ipc::Vars;

use crate::cli::InitShell;

const BASH: &str = include_str!("../../../shell-integrations/dctx.bash");
const ZSH: &str = include_str!("../../../shell-integrations/dctx.zsh");
const FISH: &str = include_str!("../../../shell-integrations/dctx.fish");
const GUARD_BASH: &str = include_str!("../../../shell-integrations/guard.bash");
const GUARD_ZSH: &str = include_str!("../../../shell-integrations/guard.zsh");
const GUARD_FISH: &str = include_str!("../../../shell-integrations/guard.fish");

/// Single-quotes `s` for bash and zsh.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Quotes `s` as one line for zsh, `$'…'`: a plain single-quoted word
/// holding newlines is an error under `csh_junkie_quotes`.
fn zsh_ansi_quote(s: &str) -> String {
    let escaped = s
        .replace('\\', r"\\")
        .replace('\'', r"\'")
        .replace('\n', r"\n");
    format!("$'{escaped}'")
}

/// Single-quotes `s` for fish, where `\\` and `\'` are the escapes.
fn fish_quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', r"\\").replace('\'', r"\'"))
}

fn prompt_binary() -> String {
    dctx_ipc::spawn::sibling("dctx-prompt")
        .to_string_lossy()
        .into_owned()
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
    // Each edit is guarded so that loading twice does not stack segments.
    let (template, binary, edit) = match shell {
        InitShell::Bash => (
            BASH,
            shell_quote(&prompt_binary()),
            r#"case ${PS1-} in *DCTX_SEGMENT*) ;; *) PS1='${DCTX_SEGMENT:+$DCTX_SEGMENT }'"${PS1-}" ;; esac"#,
        ),
        // Edited after the emulation ends (see ZSH_PROMPT_EDIT).
        InitShell::Zsh => (ZSH, shell_quote(&prompt_binary()), ":"),
        InitShell::Fish => (
            FISH,
            fish_quote(&prompt_binary()),
            "if not functions -q __dctx_user_prompt; and functions -q fish_prompt\n        functions -c fish_prompt __dctx_user_prompt\n        function fish_prompt\n            set -l __dctx_status $status\n            test -n \"$DCTX_SEGMENT\"; and printf '%s ' $DCTX_SEGMENT\n            __dctx_return $__dctx_status; __dctx_user_prompt\n        end\n    end",
        ),
    };
    let edit = if prepend_to_prompt { edit } else { ":" };
    let (render_as, export) = match (publish, shell) {
        (Publish::ShellVariable, InitShell::Bash) => ("bash", ":"),
        (Publish::ShellVariable, InitShell::Zsh) => ("zsh", ":"),
        (Publish::ShellVariable, InitShell::Fish) => ("fish", ":"),
        // Starship shows an env_var module only while the variable is defined.
        (Publish::Starship, InitShell::Bash | InitShell::Zsh) => (
            "plain",
            r"if [[ -n ${DCTX_SEGMENT-} ]]; then \builtin export DCTX_SEGMENT; else \builtin unset DCTX_SEGMENT; fi",
        ),
        (Publish::Starship, InitShell::Fish) => (
            "plain",
            r#"test -n "$DCTX_SEGMENT"; and set -gx DCTX_SEGMENT $DCTX_SEGMENT; or set -e DCTX_SEGMENT"#,
        ),
    };
    let dctx = dctx_ipc::spawn::sibling("dctx")
        .to_string_lossy()
        .into_owned();
    let dctx = match shell {
        InitShell::Fish => fish_quote(&dctx),
        _ => shell_quote(&dctx),
    };
    let mut text = template
        .replace("@DCTX_BIN@", &dctx)
        .replace("@DCTX_READ_ENV@", &read_env(shell))
        .replace("@DCTX_KEY@", &key(shell))
        .replace("@DCTX_VARS@", &REQUEST_VARS.join(" "))
        .replace("@DCTX_STAMPS_HOLD@", &stamps_hold(shell))
        .replace("@DCTX_FRAME@", &shell_quote(FRAME_VERSION))
        .replace("@DCTX_PROMPT@", &binary)
        .replace("@DCTX_PROMPT_EDIT@", edit)
        .replace("@DCTX_SHELL@", render_as)
        .replace("@DCTX_EXPORT@", export);
    if let Some(table) = guard {
        text.push('\n');
        let template = match shell {
            InitShell::Bash => GUARD_BASH,
            InitShell::Zsh => GUARD_ZSH,
            InitShell::Fish => GUARD_FISH,
        };
        // In bash and zsh the placeholder is a case item of its own, so
        // that the template file parses (and lints) as it is.
        let placeholder = match shell {
            InitShell::Fish => "@DCTX_GUARD_READ_ONLY@",
            InitShell::Bash | InitShell::Zsh => "@DCTX_GUARD_READ_ONLY@) ;;",
        };
        text.push_str(&template.replace(placeholder, &read_only_cases(shell, table)));
    }
    let completion = completions.then(|| {
        format!(
            "\n# Completions for dctx and dctx-prompt (`dctx init --no-completions` leaves them out).\n{}",
            crate::completions::script(shell)
        )
    });
    match shell {
        InitShell::Bash => format!(
            "{BASH_LOAD_START}\n{text}{}\n{BASH_LOAD_END}\n",
            completion.unwrap_or_default()
        ),
        InitShell::Zsh => {
            let edit = if prepend_to_prompt {
                format!("\n{ZSH_PROMPT_EDIT}\n")
            } else {
                "\n".to_owned()
            };
            // Completion functions run under the options compsys sets for
            // them: defined under sticky emulation they would lose those
            // (`_arguments` fails). They are parsed under zsh's own
            // options, in a function that restores the user's, and
            // defined without stickiness.
            let completion = completion
                .map(|c| format!("\n{ZSH_COMPLETION_LOAD}{}; }}", zsh_ansi_quote(&c)))
                .unwrap_or_default();
            format!("{ZSH_LOAD}{}{completion}{edit}", zsh_ansi_quote(&text))
        }
        InitShell::Fish => text + &completion.unwrap_or_default(),
    }
}

/// The first line bash evaluates, before any comment: the options that
/// would change how the script parses or runs while it loads (comments,
/// POSIX mode's function names, globs, strict modes) are set to bash's
/// defaults, and what they were is kept to restore. Builtins only, and
/// only these options: setting some others again (`set -o emacs` in
/// `bash -i -c`) can crash bash 5.2. The hook itself runs under the
/// user's options and is written for any of them.
const BASH_LOAD_START: &str = r#"__dctx_options=; for __dctx_o in posix errexit nounset noglob allexport; do if [[ -o ${__dctx_o} ]]; then __dctx_options+="\builtin set -o ${__dctx_o}; "; \builtin set +o "${__dctx_o}"; fi; done; for __dctx_o in failglob nullglob nocasematch nocaseglob; do if \builtin shopt -q "${__dctx_o}"; then __dctx_options+="\builtin shopt -s ${__dctx_o}; "; \builtin shopt -u "${__dctx_o}"; fi; done; if ! \builtin shopt -q interactive_comments; then __dctx_options+="\builtin shopt -u interactive_comments; "; \builtin shopt -s interactive_comments; fi"#;

/// The last line: the user's options as they were.
const BASH_LOAD_END: &str =
    r#"\builtin eval "${__dctx_options}"; \builtin unset __dctx_options __dctx_o"#;

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

/// `--prompt` for zsh, outside the emulation: `setopt prompt_subst` is
/// the user's shell's, and only where the hook was installed.
const ZSH_PROMPT_EDIT: &str = r#"if [[ -o interactive && ${precmd_functions[(r)__dctx_precmd]-} == __dctx_precmd ]]; then \builtin setopt prompt_subst; [[ ${PROMPT-} == *DCTX_SEGMENT* ]] || PROMPT='${DCTX_SEGMENT:+$DCTX_SEGMENT }'"${PROMPT-}"; fi"#;

/// The branches of `__dctx_docker_read_only`'s `case` (bash, zsh) or
/// `switch` (fish) on the first word, and on the second under a management
/// command: each returns 0, for a line that is certainly read-only. Entries
/// the `[guard]` table reaches (`also_destructive = ["logs"]`) are left
/// out; the table is read now, so a change to it reaches new shells.
fn read_only_cases(shell: InitShell, table: &Table) -> String {
    let (commands, subcommands) = fast_path::allowed_by(table);
    let indent = "\n            ";
    if shell == InitShell::Fish {
        let words = |list: &[&str]| -> String {
            list.iter()
                .map(|w| fish_quote(w))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut out = Vec::new();
        if !commands.is_empty() {
            out.push(format!("case {}{indent}    return 0", words(&commands)));
        }
        for (first, subs) in &subcommands {
            out.push(format!(
                "case {}{indent}    switch \"$argv[2]\"{indent}        case {}{indent}            return 0{indent}    end",
                fish_quote(first),
                words(subs)
            ));
        }
        return out.join(indent);
    }
    let words = |list: &[&str]| -> String {
        list.iter()
            .map(|w| shell_quote(w))
            .collect::<Vec<_>>()
            .join("|")
    };
    let mut out = Vec::new();
    if !commands.is_empty() {
        out.push(format!("{}) \\builtin return 0 ;;", words(&commands)));
    }
    for (first, subs) in &subcommands {
        out.push(format!(
            "{})\n                case ${{2-}} in {}) \\builtin return 0 ;; *) ;; esac ;;",
            shell_quote(first),
            words(subs)
        ));
    }
    out.join(indent)
}

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

    #[test]
    fn quotes_paths_for_the_shell() {
        assert_eq!(
            shell_quote("/opt/it's here/dctx-prompt"),
            r"'/opt/it'\''s here/dctx-prompt'"
        );
    }

    #[test]
    fn quotes_zsh_scripts_on_one_line() {
        assert_eq!(zsh_ansi_quote("a\\b'c\nd"), r"$'a\\b\'c\nd'");
    }

    #[test]
    fn quotes_paths_for_fish() {
        assert_eq!(fish_quote(r"/opt/it's\here"), r"'/opt/it\'s\\here'");
    }

    #[test]
    fn fills_every_placeholder() {
        for shell in [InitShell::Bash, InitShell::Zsh, InitShell::Fish] {
            for prompt in [false, true] {
                let table = dctx_core::guard::commands::builtin_table();
                let s = script(shell, prompt, Publish::ShellVariable, true, Some(&table));
                assert!(!s.contains("@DCTX_"), "unfilled placeholder for {shell:?}");
                let starship = script(shell, prompt, Publish::Starship, false, None);
                assert!(
                    !starship.contains("@DCTX_") && starship.contains("--shell plain"),
                    "{shell:?}"
                );
                assert_eq!(
                    s.contains("__dctx_user_prompt") || s.contains("*DCTX_SEGMENT*"),
                    prompt,
                    "{shell:?}"
                );
            }
        }
    }
}
