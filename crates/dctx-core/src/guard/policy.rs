//! The `[guard]` settings and which targets they protect.
//!
//! ```toml
//! [guard]
//! protect = ["prod*", "*prod*", "production*"]  # context names (globs)
//! protect_all_but = ["default", "dev*"]         # or: every context but these
//! mode = "refuse"                                # or "confirm" (type the name)
//! destructive = ["system prune", "rm"]           # replaces the built-in table
//! also_destructive = ["restart"]                 # added to it
//! not_destructive = ["compose up"]               # taken out of it
//! ```

use serde::Deserialize;

use super::commands::{builtin_table, canonical};
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
    /// Destructive commands, in `commands::canonical` form.
    pub table: Vec<String>,
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
        let entries = |list: Vec<String>, key: &str| -> Result<Vec<String>, String> {
            list.iter()
                .map(|e| match canonical(e) {
                    c if c.is_empty() => Err(format!("guard.{key}: an entry is empty")),
                    c => Ok(c),
                })
                .collect()
        };
        if let Some(list) = raw.destructive {
            s.table = entries(list, "destructive")?;
        }
        if let Some(list) = raw.also_destructive {
            s.table.extend(entries(list, "also_destructive")?);
        }
        if let Some(list) = raw.not_destructive {
            let out = entries(list, "not_destructive")?;
            s.table.retain(|e| !out.contains(e));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Settings;

    #[test]
    fn the_guard_table_can_be_replaced_extended_and_thinned() {
        let s = Settings::parse(
            "[guard]\nalso_destructive = [\"restart\"]\nnot_destructive = [\"compose up\", \"rmi\"]\n",
        )
        .unwrap()
        .guard;
        assert!(s.table.contains(&"container restart".to_string()));
        assert!(!s.table.contains(&"compose up".to_string()));
        assert!(!s.table.contains(&"image rm".to_string()));
        assert!(s.table.contains(&"system prune".to_string()));
        let s = Settings::parse("[guard]\ndestructive = [\"rm\"]\nmode = \"confirm\"\n")
            .unwrap()
            .guard;
        assert_eq!(
            (s.table, s.mode),
            (vec!["container rm".to_string()], Mode::Confirm)
        );
        assert!(Settings::parse("[guard]\nmode = \"ask\"\n").is_err());
        assert!(Settings::parse("[guard]\nprotekt = []\n").is_err());
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
