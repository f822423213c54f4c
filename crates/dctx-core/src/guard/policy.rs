//! The `[guard]` settings and which targets they protect.
//!
//! ```toml
//! [guard]
//! protect = ["prod*", "*prod*", "production*"]  # context names (globs)
//! protect_all_but = ["default", "dev*"]         # or: every context but these
//! mode = "refuse"                                # or "confirm" (type the name)
//! refuse = "destructive"                         # or "writes": those too
//! destructive = ["system prune", "rm"]           # replaces the built-in list
//! also_destructive = ["restart"]                 # added to it
//! not_destructive = ["compose up"]               # taken out of it (then: write)
//! ```
//!
//! Entries are commands of the table (aliases allowed: `rmi` is
//! `image rm`); anything else is a settings error with the closest
//! commands as suggestions, so a typo never silently guards nothing.

use serde::Deserialize;

use super::commands::{builtin_table, canonical, is_cli_word, row, Class, Table, PLUGINS, ROWS};
use crate::settings::{glob_match, BUILTIN_DANGER_PATTERNS};

/// What a refusal may turn into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Refuse; the user reruns with `--context NAME`.
    Refuse,
    /// On a terminal, ask for the context's name to be typed; elsewhere
    /// refuse.
    Confirm,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardSettings {
    /// Context name patterns that are protected.
    pub protect: Vec<String>,
    /// When set, every context is protected but those matching these.
    pub protect_all_but: Option<Vec<String>>,
    pub mode: Mode,
    /// The classes of commands and the weakest one refused.
    pub table: Table,
}

impl Default for GuardSettings {
    fn default() -> Self {
        GuardSettings {
            protect: BUILTIN_DANGER_PATTERNS
                .iter()
                .map(|p| p.to_string())
                .collect(),
            protect_all_but: None,
            mode: Mode::Refuse,
            table: builtin_table(),
        }
    }
}

/// `[guard]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGuard {
    protect: Option<Vec<String>>,
    protect_all_but: Option<Vec<String>>,
    mode: Option<String>,
    refuse: Option<String>,
    destructive: Option<Vec<String>>,
    also_destructive: Option<Vec<String>>,
    not_destructive: Option<Vec<String>>,
}

impl GuardSettings {
    pub(crate) fn from_raw(raw: RawGuard) -> Result<GuardSettings, String> {
        let mut s = GuardSettings::default();
        if let Some(p) = raw.protect {
            s.protect = p;
        }
        s.protect_all_but = raw.protect_all_but;
        s.mode = match raw.mode.as_deref() {
            None | Some("refuse") => Mode::Refuse,
            Some("confirm") => Mode::Confirm,
            Some(other) => {
                return Err(format!(
                    "guard.mode: {other:?} is neither \"refuse\" nor \"confirm\""
                ))
            }
        };
        s.table.refuse = match raw.refuse.as_deref() {
            None | Some("destructive") => Class::Destructive,
            Some("writes") => Class::Write,
            Some(other) => {
                return Err(format!(
                    "guard.refuse: {other:?} is neither \"destructive\" nor \"writes\""
                ))
            }
        };
        let entries = |list: Vec<String>, key: &str, class: Class| {
            list.iter()
                .map(|e| entry(e, key).map(|c| (c, class)))
                .collect::<Result<Vec<_>, String>>()
        };
        if let Some(list) = raw.destructive {
            s.table.replaced = true;
            s.table
                .entries
                .extend(entries(list, "destructive", Class::Destructive)?);
        }
        if let Some(list) = raw.also_destructive {
            s.table
                .entries
                .extend(entries(list, "also_destructive", Class::Destructive)?);
        }
        if let Some(list) = raw.not_destructive {
            // Taken out of the destructive list, a command still changes
            // the engine: `refuse = "writes"` still refuses it.
            s.table
                .entries
                .extend(entries(list, "not_destructive", Class::Write)?);
        }
        Ok(s)
    }

    /// Why the context `name` is protected by name, if it is.
    pub fn protects_name(&self, name: &str) -> Option<String> {
        if let Some(except) = &self.protect_all_but {
            return match except.iter().find(|p| glob_match(p, name)) {
                Some(_) => None,
                None => Some(format!(
                    "every context is protected but {} ([guard] protect_all_but)",
                    except.join(", ")
                )),
            };
        }
        self.protect
            .iter()
            .find(|p| glob_match(p, name))
            .map(|p| format!("context {name:?} matches the protected pattern {p:?}"))
    }
}

/// One entry of a command list under `key`, in [`canonical`] form, or
/// why it is none of the table's commands.
fn entry(written: &str, key: &str) -> Result<String, String> {
    let mut c = canonical(written);
    if c.starts_with("builder ") && row(&c).is_none() {
        // `docker builder X` runs `docker buildx X` (commands.rs).
        c = c.replacen("builder", "buildx", 1);
    }
    let Some(first) = c.split(' ').next().filter(|f| !f.is_empty()) else {
        return Err(format!("guard.{key}: an entry is empty"));
    };
    if first == "docker" {
        let rest = canonical(c.trim_start_matches("docker").trim());
        return Err(format!(
            "guard.{key}: {written:?}: write the command without \"docker\" ({rest:?})"
        ));
    }
    if row(&c).is_some() {
        return Ok(c);
    }
    // A plugin's commands cannot all be known (compose and buildx grow
    // new ones, and any other plugin is unknown): accepted as written.
    let typo = |known: &str| {
        let d = strsim::osa_distance(first, known);
        d == 1 || (d == 2 && first.len() >= 6 && known.len() >= 6)
    };
    let cli_like = is_cli_word(first)
        || crate::guard::commands::MANAGEMENT
            .iter()
            .chain(PLUGINS)
            .any(|k| typo(k));
    if PLUGINS.contains(&first) || !cli_like {
        return Ok(c);
    }
    Err(format!(
        "guard.{key}: {written:?} is not a docker command the guard knows{}",
        suggestions(&c)
    ))
}

/// ` (did you mean "a" or "b"?)`: the table's commands closest to `c`.
fn suggestions(c: &str) -> String {
    let mut near: Vec<(usize, &str)> = ROWS
        .iter()
        .map(|r| (strsim::osa_distance(c, r.command), r.command))
        .filter(|(d, _)| *d <= 3.max(c.len() / 3))
        .collect();
    near.sort();
    let names: Vec<String> = near.iter().take(3).map(|(_, n)| format!("{n:?}")).collect();
    match names.len() {
        0 => " (see the guard's table in the README)".into(),
        _ => format!(" (did you mean {}?)", names.join(" or ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Settings;

    /// The class and whether it is refused, for `line` under `settings`.
    fn refused(settings: &str, line: &str) -> (Class, bool) {
        let s = Settings::parse(settings).unwrap().guard;
        let words: Vec<std::ffi::OsString> = line.split(' ').map(Into::into).collect();
        let c = super::super::commands::classify(&words, &s.table);
        (c.class, c.matched.is_some())
    }

    #[test]
    fn the_guard_table_can_be_replaced_extended_and_thinned() {
        use Class::*;
        let t = "[guard]\nalso_destructive = [\"restart\", \"unpause\"]\nnot_destructive = [\"compose up\", \"rmi\"]\n";
        assert_eq!(refused(t, "unpause web"), (Destructive, true));
        assert_eq!(refused(t, "compose up"), (Write, false));
        assert_eq!(refused(t, "image rm x"), (Write, false));
        assert_eq!(refused(t, "system prune"), (Destructive, true));
        let t = "[guard]\ndestructive = [\"rm\"]\nmode = \"confirm\"\n";
        assert_eq!(refused(t, "container rm web"), (Destructive, true));
        assert_eq!(refused(t, "system prune"), (Write, false));
        assert_eq!(refused(t, "ps"), (Read, false));
        let b = "[guard]\nnot_destructive = [\"builder rm\"]\n";
        assert_eq!(refused(b, "buildx rm b"), (Write, false));
        let s = Settings::parse(t).unwrap().guard;
        assert_eq!(s.mode, Mode::Confirm);
        assert!(Settings::parse("[guard]\nmode = \"ask\"\n").is_err());
        assert!(Settings::parse("[guard]\nprotekt = []\n").is_err());
    }

    #[test]
    fn refuse_writes_refuses_write_commands_too() {
        use Class::*;
        let t = "[guard]\nrefuse = \"writes\"\nnot_destructive = [\"compose up\"]\n";
        assert_eq!(refused(t, "pull alpine"), (Write, true));
        assert_eq!(refused(t, "compose up"), (Write, true));
        assert_eq!(refused(t, "rm web"), (Destructive, true));
        assert_eq!(refused(t, "ps -a"), (Read, false));
        assert_eq!(refused("", "pull alpine"), (Write, false));
        let e = Settings::parse("[guard]\nrefuse = \"write\"\n").unwrap_err();
        assert!(format!("{e:#}").contains("guard.refuse"), "{e:#}");
    }

    #[test]
    fn entries_that_are_no_command_are_errors_with_suggestions() {
        for (entry, key, says) in [
            (
                "docker restart",
                "also_destructive",
                "without \"docker\" (\"container restart\")",
            ),
            ("sytem prune", "destructive", "\"system prune\""),
            ("system prnue", "also_destructive", "\"system prune\""),
            ("contianer rm", "not_destructive", "\"container rm\""),
            ("container", "also_destructive", "did you mean"),
            ("image remov", "not_destructive", "\"image rm\""),
            ("compsoe down", "also_destructive", "\"compose down\""),
            ("", "destructive", "empty"),
        ] {
            let text = format!("[guard]\n{key} = [{entry:?}]\n");
            let e = format!("{:#}", Settings::parse(&text).unwrap_err());
            assert!(e.contains(&format!("guard.{key}")), "{entry}: {e}");
            assert!(e.contains(says), "{entry}: {e}");
        }
        // Plugins' commands cannot be checked: accepted as written.
        for entry in [
            "compose frobnicate",
            "buildx history rm",
            "model rm",
            "rmi",
            "stack down",
        ] {
            let text = format!("[guard]\nalso_destructive = [{entry:?}]\n");
            assert!(Settings::parse(&text).is_ok(), "{entry}");
        }
    }

    #[test]
    fn protection_by_name_patterns_or_all_but() {
        let s = GuardSettings::default();
        assert!(s.protects_name("eu-prod-1").is_some());
        assert!(s.protects_name("staging").is_none());
        let s = Settings::parse("[guard]\nprotect_all_but = [\"default\", \"dev*\"]\n")
            .unwrap()
            .guard;
        assert!(s.protects_name("staging").is_some());
        assert!(s.protects_name("dev-laptop").is_none());
        assert!(s.protects_name("default").is_none());
    }
}
