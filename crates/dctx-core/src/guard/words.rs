//! Command lines as text a user can read and paste: words quoted (by
//! [`crate::quote::sh_line`]), the safer command with `--context NAME`
//! where the CLI accepts it, and control characters shown instead of sent
//! to a terminal.

use std::collections::BTreeSet;
use std::ffi::OsString;

use crate::docker_args::CommandLine;

/// The shell a suggested line is to be pasted into: sh's quoting is not
/// fish's (`$'…'`, `\\` in single quotes, `%self`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Paste {
    /// bash, zsh, sh: and scripts, through the shim.
    #[default]
    Sh,
    /// fish, whose `docker` function says so.
    Fish,
}

impl Paste {
    /// `s` as one word on one line for this shell; a word with a NUL,
    /// which no shell word holds, is shown escaped instead.
    pub fn word(self, s: &str) -> String {
        match self {
            Paste::Sh => crate::quote::sh_line(s),
            Paste::Fish => crate::quote::fish_line(s),
        }
        .unwrap_or_else(|_| visible(s))
    }

    /// `argv` as one line of this shell.
    pub fn line(self, argv: &[String]) -> String {
        argv.iter()
            .map(|w| self.word(w))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `s` as one word a user can paste into bash or zsh, on one line
/// ([`crate::quote::sh_line`]).
pub fn shell_word(s: &str) -> String {
    Paste::Sh.word(s)
}

/// `argv` as one line of bash or zsh.
pub fn command_text(argv: &[String]) -> String {
    Paste::Sh.line(argv)
}

/// `s` as prose on a terminal: controls, bidi and zero-width characters
/// shown as escapes (see [`crate::terminal_text`]).
pub fn visible(s: &str) -> String {
    crate::terminal_text::for_terminal(s).into_owned()
}

/// `docker ARGS` with its context and host flags replaced by
/// `--context NAME` in front (global flags go before the command; the CLI
/// reads none after it).
pub fn with_context(args: &[OsString], line: &CommandLine, name: &str) -> Vec<String> {
    let targeting = |n: &str| n == "context" || n == "host";
    let mut skip = BTreeSet::new();
    let mut kept_from_group: Vec<(usize, String)> = Vec::new();
    for g in line.given.iter().filter(|g| targeting(g.name)) {
        skip.extend(g.words.0..g.words.1);
        // Booleans grouped with it (`-Dc prod`) stay, spelled out.
        for other in &line.given {
            if other.words.0 == g.words.0 && !targeting(other.name) {
                kept_from_group.push((g.words.0, format!("--{}={}", other.name, other.value)));
            }
        }
    }
    let mut out = vec![
        "docker".to_string(),
        "--context".to_string(),
        name.to_string(),
    ];
    for (i, word) in args.iter().enumerate() {
        if i < line.command && skip.contains(&i) {
            out.extend(
                kept_from_group
                    .iter()
                    .filter(|(at, _)| *at == i)
                    .map(|(_, w)| w.clone()),
            );
            continue;
        }
        out.push(word.to_string_lossy().into_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker_args::parse;

    fn rewrite(line: &str, name: &str) -> String {
        let args: Vec<OsString> = line.split_whitespace().map(OsString::from).collect();
        command_text(&with_context(&args, &parse(&args), name))
    }

    #[test]
    fn the_context_goes_in_front_and_other_targets_go() {
        assert_eq!(
            rewrite("system prune -af", "prod"),
            "docker --context prod system prune -af"
        );
        assert_eq!(
            rewrite("-H tcp://h:1 -l debug rm -f x", "prod"),
            "docker --context prod -l debug rm -f x"
        );
        assert_eq!(
            rewrite("-Dc dev --config /c rm -c x", "prod"),
            "docker --context prod --debug=true --config /c rm -c x"
        );
        assert_eq!(
            rewrite("-cdev rm x", "it's"),
            r"docker --context 'it'\''s' rm x"
        );
    }

    #[test]
    fn words_are_quoted_and_control_characters_shown() {
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("x\x1b[31m"), r"$'x\u001b[31m'");
        assert_eq!(shell_word("a\0b"), r"a\u{0}b");
        assert_eq!(visible("p\x1b]0;x\x07"), r"p\u{1b}]0;x\u{7}");
    }
}
