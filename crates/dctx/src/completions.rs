//! Completions for `dctx` and `dctx-prompt`, generated from their clap
//! definitions, plus what clap cannot know: context names after `dctx use`,
//! `dctx exec`, `dctx pin` and `dctx unpin`, asked of `dctx ls --names` as
//! the user types and handled as data in every shell, never expanded.

use std::io::Write;

use anyhow::Context as _;
use clap::CommandFactory;
use clap_complete::Shell as Target;

use dctx_core::InitShell;

use crate::cli::Cli;

/// The dynamic part, per shell (`shell-integrations/completions.*`):
/// context names for the first argument of `use`, `exec`, `pin` and
/// `unpin`, else clap's own completion.
///
/// Names are data. Docker checks names only when it creates a context, so
/// a hand-written meta.json can name one `dev$(touch ~/x)`; `compgen -W`
/// would expand that word (and run it) on Tab. Here the names are matched
/// by prefix and quoted with `printf %q` in the function itself. The word
/// typed so far is unquoted by hand, never by `eval`.
const BASH_NAMES: &str = include_str!("../../../shell-integrations/completions.bash");
const ZSH_NAMES: &str = include_str!("../../../shell-integrations/completions.zsh");
const FISH_NAMES: &str = include_str!("../../../shell-integrations/completions.fish");

/// Completion code for `shell`. For zsh it is also a valid `_dctx` for a
/// directory in `fpath` (its first line is `#compdef dctx dctx-prompt`).
pub fn script(shell: InitShell) -> String {
    let target = match shell {
        InitShell::Bash => Target::Bash,
        InitShell::Zsh => Target::Zsh,
        InitShell::Fish => Target::Fish,
    };
    let mut dctx = Cli::command();
    let mut prompt = dctx_prompt::command();
    let mut hidden = Vec::new();
    hidden_flags(&dctx, &mut hidden);
    hidden_flags(&prompt, &mut hidden);
    let mut text = String::new();
    for (cmd, name) in [(&mut dctx, "dctx"), (&mut prompt, "dctx-prompt")] {
        let mut out = Vec::new();
        clap_complete::generate(target, cmd, name, &mut out);
        let generated = String::from_utf8_lossy(&out);
        text.push_str(&match shell {
            InitShell::Zsh => zsh_body(&generated, name),
            _ => generated.into_owned(),
        });
    }
    // The internal flags (what `dctx init`'s functions pass) are hidden
    // from --help; clap_complete offers them anyway.
    let mut text = without_hidden(shell, &text, &hidden);
    match shell {
        InitShell::Bash => {
            text.push('\n');
            text.push_str(BASH_NAMES);
        }
        InitShell::Zsh => {
            text = format!(
                "#compdef dctx dctx-prompt\n\nautoload -U is-at-least\n{text}\n{ZSH_NAMES}"
            );
        }
        InitShell::Fish => {
            text.push('\n');
            text.push_str(FISH_NAMES);
        }
    }
    text
}

/// The long names of `cmd`'s hidden flags, its subcommands' included.
fn hidden_flags(cmd: &clap::Command, out: &mut Vec<String>) {
    for arg in cmd.get_arguments() {
        if let (true, Some(long)) = (arg.is_hide_set(), arg.get_long()) {
            out.push(long.to_string());
        }
    }
    for sub in cmd.get_subcommands() {
        hidden_flags(sub, out);
    }
}

/// clap's zsh code for `name` without its own `#compdef` line and its
/// registration, which [`ZSH_NAMES`] does once for both commands; `_dctx`
/// becomes `__dctx_clap`, wrapped by the `_dctx` that also completes names.
fn zsh_body(generated: &str, name: &str) -> String {
    let trailer = format!("if [ \"$funcstack[1]\" = \"_{name}\" ]; then");
    let body = match generated.find(&trailer) {
        Some(at) => &generated[..at],
        None => generated,
    };
    let mut out = String::new();
    for line in body.lines() {
        if line.starts_with("#compdef") || line == "autoload -U is-at-least" {
            continue;
        }
        if line == "_dctx() {" {
            out.push_str("__dctx_clap() {\n");
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// `text` without the offers of the flags in `hidden`.
fn without_hidden(shell: InitShell, text: &str, hidden: &[String]) -> String {
    let is_hidden = |flag: &str| {
        flag.strip_prefix("--")
            .is_some_and(|f| hidden.iter().any(|h| h == f))
    };
    let mut out = String::with_capacity(text.len());
    // A fish line left out may go on over more lines, inside "…" (its
    // possible values, one a line): those go too.
    let mut in_removed = false;
    let odd_quotes = |line: &str| {
        let bytes = line.as_bytes();
        let quotes = (0..bytes.len())
            .filter(|&i| bytes[i] == b'"' && (i == 0 || bytes[i - 1] != b'\\'))
            .count();
        quotes % 2 == 1
    };
    for line in text.lines() {
        if in_removed {
            in_removed = !odd_quotes(line);
            continue;
        }
        let trimmed = line.trim_start();
        match shell {
            InitShell::Bash if trimmed.starts_with("opts=\"") => {
                let indent = &line[..line.len() - trimmed.len()];
                let words = trimmed["opts=\"".len()..].trim_end_matches('"');
                let kept: Vec<&str> = words.split(' ').filter(|w| !is_hidden(w)).collect();
                out.push_str(&format!("{indent}opts=\"{}\"\n", kept.join(" ")));
                continue;
            }
            InitShell::Zsh if trimmed.starts_with('\'') && trimmed.ends_with(" \\") => {
                let spec = &trimmed[1..];
                // An exclusion list `(…)` and a repeat mark `*` may come first.
                let spec = match spec.strip_prefix('(') {
                    Some(rest) => rest.split_once(')').map_or(rest, |(_, r)| r),
                    None => spec,
                };
                let spec = spec.trim_start_matches('*');
                let flag = spec.split(['[', '=']).next().unwrap_or("");
                if is_hidden(flag) {
                    continue;
                }
            }
            InitShell::Fish => {
                let mut words = trimmed.split(' ');
                if words.any(|w| w == "-l")
                    && words.next().is_some_and(|f| is_hidden(&format!("--{f}")))
                {
                    in_removed = odd_quotes(line);
                    continue;
                }
            }
            _ => {}
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

pub fn run(shell: InitShell) -> anyhow::Result<()> {
    std::io::stdout()
        .lock()
        .write_all(script(shell).as_bytes())
        .context("could not write to stdout")
}
