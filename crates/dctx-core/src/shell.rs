//! The shells and status bars dctx renders for: one list, one spelling
//! (lowercase, on the command line and on the wire), and the subset that
//! `dctx init` has a script for.
//!
//! With the `clap` feature both types are `clap::ValueEnum`s, so the
//! binaries parse them directly; the prompt client and the daemon need
//! no clap from this crate.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a segment is shown, which decides how it is escaped and styled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    /// tmux's status line (`#()` jobs).
    Tmux,
    /// No markup: starship's `env_var`, scripts, anything else.
    #[default]
    Plain,
}

impl Shell {
    /// Every shell, in the order `--help` lists them.
    pub const ALL: [Shell; 5] = [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::Tmux,
        Shell::Plain,
    ];

    /// The name on the command line and on the wire (serde's spelling).
    pub const fn as_str(self) -> &'static str {
        match self {
            Shell::Bash => "bash",
            Shell::Zsh => "zsh",
            Shell::Fish => "fish",
            Shell::Tmux => "tmux",
            Shell::Plain => "plain",
        }
    }

    /// The shell `dctx init` has a script for, if this is one.
    pub const fn init_target(self) -> Option<InitShell> {
        match self {
            Shell::Bash => Some(InitShell::Bash),
            Shell::Zsh => Some(InitShell::Zsh),
            Shell::Fish => Some(InitShell::Fish),
            // Neither has a prompt hook: tmux runs `dctx-prompt --tty`,
            // and plain text is for whatever reads it.
            Shell::Tmux | Shell::Plain => None,
        }
    }
}

impl fmt::Display for Shell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is none of [`Shell::ALL`] (or, for [`InitShell`], not one
/// `dctx init` has a script for).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown shell {name:?} (expected {expected})")]
pub struct UnknownShell {
    pub name: String,
    expected: String,
}

impl UnknownShell {
    fn new(name: &str, names: impl Iterator<Item = &'static str>) -> UnknownShell {
        let names: Vec<&str> = names.collect();
        let expected = match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => names.join(""),
        };
        UnknownShell {
            name: name.to_owned(),
            expected,
        }
    }
}

impl FromStr for Shell {
    type Err = UnknownShell;
    fn from_str(s: &str) -> Result<Shell, UnknownShell> {
        Shell::ALL
            .into_iter()
            .find(|shell| shell.as_str() == s)
            .ok_or_else(|| UnknownShell::new(s, Shell::ALL.iter().map(|s| s.as_str())))
    }
}

/// A shell with a prompt hook: what `dctx init`, `dctx completions` and
/// `dctx use --emit` take. A checked subset of [`Shell`]: its names are
/// `Shell`'s, and [`Shell::init_target`] is the one place that says which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InitShell {
    Bash,
    Zsh,
    Fish,
}

impl InitShell {
    /// Every one, in [`Shell::ALL`]'s order.
    pub const ALL: [InitShell; 3] = [InitShell::Bash, InitShell::Zsh, InitShell::Fish];

    pub const fn shell(self) -> Shell {
        match self {
            InitShell::Bash => Shell::Bash,
            InitShell::Zsh => Shell::Zsh,
            InitShell::Fish => Shell::Fish,
        }
    }

    pub const fn as_str(self) -> &'static str {
        self.shell().as_str()
    }
}

impl From<InitShell> for Shell {
    fn from(shell: InitShell) -> Shell {
        shell.shell()
    }
}

impl TryFrom<Shell> for InitShell {
    type Error = UnknownShell;
    fn try_from(shell: Shell) -> Result<InitShell, UnknownShell> {
        shell.init_target().ok_or_else(|| {
            UnknownShell::new(shell.as_str(), InitShell::ALL.iter().map(|s| s.as_str()))
        })
    }
}

impl FromStr for InitShell {
    type Err = UnknownShell;
    fn from_str(s: &str) -> Result<InitShell, UnknownShell> {
        let unknown = || UnknownShell::new(s, InitShell::ALL.iter().map(|s| s.as_str()));
        s.parse::<Shell>()
            .map_err(|_| unknown())?
            .try_into()
            .map_err(|_| unknown())
    }
}

impl fmt::Display for InitShell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "clap")]
impl clap::ValueEnum for Shell {
    fn value_variants<'a>() -> &'a [Shell] {
        &Shell::ALL
    }
    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()))
    }
}

#[cfg(feature = "clap")]
impl clap::ValueEnum for InitShell {
    fn value_variants<'a>() -> &'a [InitShell] {
        &InitShell::ALL
    }
    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_and_match_the_wire() {
        for shell in Shell::ALL {
            assert_eq!(shell.as_str().parse::<Shell>(), Ok(shell));
            // serde's spelling is the command line's.
            assert_eq!(
                serde_json::to_string(&shell).unwrap(),
                format!("\"{}\"", shell.as_str())
            );
        }
        let err = "ksh".parse::<Shell>().unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown shell \"ksh\" (expected bash, zsh, fish, tmux or plain)"
        );
        assert_eq!(Shell::default(), Shell::Plain);
    }

    #[test]
    fn init_shells_are_exactly_the_shells_with_a_hook() {
        let hooked: Vec<Shell> = Shell::ALL
            .into_iter()
            .filter(|s| s.init_target().is_some())
            .collect();
        let listed: Vec<Shell> = InitShell::ALL.into_iter().map(Shell::from).collect();
        assert_eq!(hooked, listed);
        for shell in InitShell::ALL {
            assert_eq!(shell.as_str().parse::<InitShell>(), Ok(shell));
            assert_eq!(InitShell::try_from(shell.shell()), Ok(shell));
        }
        assert_eq!(
            "tmux".parse::<InitShell>().unwrap_err().to_string(),
            "unknown shell \"tmux\" (expected bash, zsh or fish)"
        );
        assert!("ksh".parse::<InitShell>().is_err());
    }
}
