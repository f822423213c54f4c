//! The shells' fast path: docker command lines that are certainly
//! read-only, which the `docker` function of `dctx init --guard` runs
//! directly, with builtins only, instead of starting `dctx guard`.
//!
//! It is an allow-list, so that it can only ever send too many lines to
//! the guard, never too few: a line takes the fast path only when its
//! first word (no global flag before it: a line starting with `-` always
//! goes to the guard) is one of [`READ_ONLY_COMMANDS`], or its first two
//! words are one of [`READ_ONLY_SUBCOMMANDS`]. Whatever follows cannot
//! make such a line write: the CLI reads no global flag after the command,
//! and the words after it are that command's arguments.

use super::commands::{builtin_table, classify, Table};

/// Top-level commands that change nothing on an engine, whatever their
/// arguments. `context` edits Docker's config dir at most (`context use`
/// writes `config.json`) and sends nothing to any engine.
pub const READ_ONLY_COMMANDS: &[&str] = &[
    "context", "diff", "events", "history", "images", "info", "inspect", "logs", "port", "ps",
    "search", "stats", "top", "version",
];

/// Management commands and their read-only subcommands (aliases included,
/// as the CLI spells them).
pub const READ_ONLY_SUBCOMMANDS: &[(&str, &[&str])] = &[
    (
        "container",
        &[
            "diff", "inspect", "list", "logs", "ls", "port", "ps", "stats", "top",
        ],
    ),
    ("image", &["history", "inspect", "list", "ls"]),
    ("network", &["inspect", "list", "ls"]),
    ("volume", &["inspect", "list", "ls"]),
    ("system", &["df", "events", "info"]),
    ("builder", &["du", "ls"]),
    ("buildx", &["du", "ls", "version"]),
    (
        "compose",
        &["config", "images", "logs", "ls", "ps", "top", "version"],
    ),
    ("manifest", &["inspect"]),
    ("node", &["inspect", "list", "ls", "ps"]),
    ("plugin", &["inspect", "list", "ls"]),
    ("secret", &["inspect", "list", "ls"]),
    ("config", &["inspect", "list", "ls"]),
    ("service", &["inspect", "list", "logs", "ls", "ps"]),
    ("stack", &["list", "ls", "ps", "services"]),
    ("trust", &["inspect"]),
];

/// Whether the fast path takes `words` (the words after `docker`): the
/// same rule the shell functions apply, for tests and for the table check.
pub fn takes(words: &[&str]) -> bool {
    match words {
        [first, ..] if READ_ONLY_COMMANDS.contains(first) => true,
        [first, second, ..] => READ_ONLY_SUBCOMMANDS
            .iter()
            .any(|(m, subs)| m == first && subs.contains(second)),
        _ => false,
    }
}

/// The fast path's entries as command lines (`ps`, `container ls`): what
/// a guard table must not reach for the fast path to stay sound.
pub fn entries() -> Vec<Vec<&'static str>> {
    let mut out: Vec<Vec<&str>> = READ_ONLY_COMMANDS.iter().map(|c| vec![*c]).collect();
    for (m, subs) in READ_ONLY_SUBCOMMANDS {
        out.extend(subs.iter().map(|s| vec![*m, *s]));
    }
    out
}

/// Whether `table` (the guard's table as the settings give it) refuses
/// any line the fast path takes: a row or entry at or above its refuse
/// level that `entry` starts with, or that starts with `entry`. A user's
/// `also_destructive = ["logs"]` must turn that fast path off.
pub fn reached_by(entry: &[&str], table: &Table) -> bool {
    let words: Vec<std::ffi::OsString> = entry.iter().map(Into::into).collect();
    if classify(&words, table).matched.is_some() {
        return true;
    }
    // Longer entries under this one (`context rm` under `context`), read
    // through the CLI's aliases as `classify` reads them.
    let command = classify(&words, &builtin_table()).command;
    let below = table.entries.iter().any(|(e, class)| {
        *class >= table.refuse
            && e.split(' ')
                .take(command.split(' ').count())
                .eq(command.split(' '))
    });
    // The system file's entries reach it as much as the user's.
    below
        || table
            .floor
            .as_ref()
            .is_some_and(|f| reached_by(entry, &f.table))
}

/// The fast path's entries that `table` does not reach, for the shells.
pub fn allowed_by(table: &Table) -> (Vec<&'static str>, Vec<(&'static str, Vec<&'static str>)>) {
    let commands = READ_ONLY_COMMANDS
        .iter()
        .copied()
        .filter(|c| !reached_by(&[c], table))
        .collect();
    let subcommands = READ_ONLY_SUBCOMMANDS
        .iter()
        .map(|(m, subs)| {
            let subs: Vec<&str> = subs
                .iter()
                .copied()
                .filter(|s| !reached_by(&[m, s], table))
                .collect();
            (*m, subs)
        })
        .filter(|(_, subs)| !subs.is_empty())
        .collect();
    (commands, subcommands)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guard::commands::builtin_table;
    use std::ffi::OsString;

    fn line(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    /// Every entry, with any of the arguments a user may add, is not
    /// destructive for the built-in table: the fast path skips only what
    /// the guard would have let through anyway.
    #[test]
    fn every_fast_path_entry_is_not_destructive() {
        let table = builtin_table();
        for entry in entries() {
            for tail in [
                &[][..],
                &["-h"],
                &["--help"],
                &["-f"],
                &["rm"],
                &["prune", "-af"],
                &["rm", "-f", "x"],
                &["--format", "{{.ID}}"],
                &["down"],
                &["stop"],
                &["--rotate"],
                &["-d"],
            ] {
                let mut words = entry.clone();
                words.extend_from_slice(tail);
                assert!(takes(&words), "{words:?}");
                let c = classify(&line(&words), &table);
                assert_eq!(c.matched, None, "{words:?} is destructive: {c:?}");
                // Read, so that `refuse = "writes"` has nothing to add.
                assert_eq!(
                    c.class,
                    crate::guard::table::Class::Read,
                    "{words:?}: {c:?}"
                );
                assert_eq!(c.unsure, None, "{words:?} cannot be read: {c:?}");
            }
            assert!(!reached_by(&entry, &table), "{entry:?}");
        }
    }

    #[test]
    fn lines_with_global_flags_or_other_commands_go_to_the_guard() {
        for words in [
            &["-c", "prod", "ps"][..],
            &["--context=prod", "ps"],
            &["rm", "ps"],
            &["container", "rm", "ls"],
            &["container"],
            &["compose", "-f", "x.yml", "ps"],
            &["compose", "down"],
            &["image", "prune"],
            &[],
            &["PS"],
        ] {
            assert!(!takes(words), "{words:?}");
        }
    }

    #[test]
    fn a_table_that_reaches_an_entry_turns_it_off() {
        use crate::guard::table::Class;
        let mut table = builtin_table();
        for entry in ["container logs", "context rm", "system df"] {
            table.entries.push((entry.into(), Class::Destructive));
        }
        let (commands, subs) = allowed_by(&table);
        assert!(!commands.contains(&"logs"), "logs is `container logs`");
        assert!(!commands.contains(&"context"), "`context rm` is under it");
        assert!(commands.contains(&"ps"));
        let system = subs.iter().find(|(m, _)| *m == "system").unwrap();
        assert_eq!(system.1, ["events", "info"]);
        let container = subs.iter().find(|(m, _)| *m == "container").unwrap();
        assert!(!container.1.contains(&"logs"));
        let (commands, subs) = allowed_by(&builtin_table());
        assert_eq!(commands, READ_ONLY_COMMANDS);
        assert_eq!(subs.len(), READ_ONLY_SUBCOMMANDS.len());
    }
}
