//! Completions for `dctx` and `dctx-prompt`, generated from their clap
//! definitions, plus what clap cannot know: context names after `dctx use`,
//! `dctx exec`, `dctx pin` and `dctx unpin`, asked of `dctx ls --names` as
//! the user types and handled as data in every shell, never expanded.

use std::io::Write;

use anyhow::Context as _;
use clap::CommandFactory;
use clap_complete::Shell as Target;

use crate::cli::{Cli, InitShell};

/// The dynamic part, per shell: context names for the first argument of
/// `use`, `exec`, `pin` and `unpin`, else clap's own completion.
///
/// Names are data. Docker checks names only when it creates a context, so
/// a hand-written meta.json can name one `dev$(touch ~/x)`; `compgen -W`
/// would expand that word (and run it) on Tab. Here the names are matched
/// by prefix and quoted with `printf %q` in the function itself. The word
/// typed so far is unquoted by hand, never by `eval`.
const BASH_NAMES: &str = r#"
__dctx_complete() {
    if [[ ${COMP_CWORD} -eq 2 && ( ${COMP_WORDS[1]} == use || ${COMP_WORDS[1]} == exec || ${COMP_WORDS[1]} == pin || ${COMP_WORDS[1]} == unpin ) && ${COMP_WORDS[2]} != -* ]]; then
        \builtin local word=${COMP_WORDS[2]} typed='' name quoted i
        case ${word} in
            \'*) typed=${word#\'}; typed=${typed%\'} ;;
            \"*) typed=${word#\"}; typed=${typed%\"} ;;
            *)
                for ((i = 0; i < ${#word}; i++)); do
                    [[ ${word:i:1} == \\ ]] && i=$((i + 1))
                    typed+=${word:i:1}
                done
                ;;
        esac
        COMPREPLY=()
        while IFS= \builtin read -r name; do
            if [[ ${name} == "${typed}"* ]]; then
                \builtin printf -v quoted '%q' "${name}"
                COMPREPLY+=("${quoted}")
            fi
        done < <(\command "${COMP_WORDS[0]}" ls --names 2>/dev/null)
        return 0
    fi
    _dctx "$@"
}
\builtin complete -F __dctx_complete -o bashdefault -o default dctx
"#;

const ZSH_NAMES: &str = r#"
__dctx_complete() {
    if (( CURRENT == 3 )) && [[ ${words[2]} == (use|exec|pin|unpin) ]]; then
        \builtin local -a names
        names=(${(f)"$(\command ${words[1]} ls --names 2>/dev/null)"})
        compadd -a names
        return
    fi
    _dctx "$@"
}
compdef __dctx_complete dctx
"#;

const FISH_NAMES: &str = r#"
complete -c dctx -n '__fish_seen_subcommand_from use exec pin unpin; and test (count (commandline -opc)) -eq 2' -f -a '(command dctx ls --names 2>/dev/null)'
"#;

/// Completion code for `shell`.
pub fn script(shell: InitShell) -> String {
    let target = match shell {
        InitShell::Bash => Target::Bash,
        InitShell::Zsh => Target::Zsh,
        InitShell::Fish => Target::Fish,
    };
    let mut out = Vec::new();
    clap_complete::generate(target, &mut Cli::command(), "dctx", &mut out);
    clap_complete::generate(target, &mut dctx_prompt::command(), "dctx-prompt", &mut out);
    let mut text = String::from_utf8_lossy(&out).into_owned();
    text.push_str(match shell {
        InitShell::Bash => BASH_NAMES,
        InitShell::Zsh => ZSH_NAMES,
        InitShell::Fish => FISH_NAMES,
    });
    if shell == InitShell::Zsh {
        // Without compinit there is no compdef: then no completions, and
        // no error either.
        text = format!("if (( $+functions[compdef] )); then\n{text}\nfi\n");
    }
    text
}

pub fn run(shell: InitShell) -> anyhow::Result<()> {
    std::io::stdout()
        .lock()
        .write_all(script(shell).as_bytes())
        .context("could not write to stdout")
}
