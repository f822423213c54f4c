//! The process environment as a value, so resolution can be tested with a
//! fake one and the daemon can resolve for a shell other than its own.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Every variable that changes which Docker daemon the CLI talks to.
pub const DOCKER_VARS: &[&str] = &[
    "DOCKER_HOST",
    "DOCKER_CONTEXT",
    "DOCKER_CONFIG",
    "DOCKER_TLS_VERIFY",
    "DOCKER_TLS",
    "DOCKER_CERT_PATH",
];

/// The variables resolution reads, plus the home directory.
///
/// Only variables in [`DOCKER_VARS`] are kept; an empty value counts as unset,
/// as it does for the Docker CLI.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Env {
    vars: BTreeMap<String, String>,
    home: Option<PathBuf>,
}

impl Env {
    /// Reads this process's environment. Non-UTF-8 values are converted
    /// lossily: Docker names are ASCII, and a prompt must show something.
    pub fn from_process() -> Env {
        let vars = DOCKER_VARS.iter().filter_map(|&k| {
            std::env::var_os(k).map(|v| (k.to_string(), v.to_string_lossy().into_owned()))
        });
        // `directories` falls back to the password database when HOME is
        // unset, as Go's os/user does for the Docker CLI.
        let home = std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .or_else(|| directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf()));
        Env::new(vars, home)
    }

    pub fn new<K, V>(vars: impl IntoIterator<Item = (K, V)>, home: Option<PathBuf>) -> Env
    where
        K: Into<String>,
        V: Into<String>,
    {
        let vars = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .filter(|(k, v)| !v.is_empty() && DOCKER_VARS.contains(&k.as_str()))
            .collect();
        Env { vars, home }
    }

    /// The value of `name` if it is set and non-empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    pub fn home(&self) -> Option<&PathBuf> {
        self.home.as_ref()
    }

    pub fn vars(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The same environment with relative `DOCKER_CONFIG` and
    /// `DOCKER_CERT_PATH` made absolute against `cwd`, so that another
    /// process (the daemon) resolves what this shell would.
    pub fn absolutized(mut self, cwd: &Path) -> Env {
        for key in ["DOCKER_CONFIG", "DOCKER_CERT_PATH"] {
            if let Some(v) = self.vars.get_mut(key) {
                if Path::new(v.as_str()).is_relative() {
                    *v = cwd.join(v.as_str()).to_string_lossy().into_owned();
                }
            }
        }
        if let Some(home) = &self.home {
            if home.is_relative() {
                self.home = Some(cwd.join(home));
            }
        }
        self
    }

    /// The Docker client config dir: `DOCKER_CONFIG`, else `$HOME/.docker`.
    pub fn config_dir(&self) -> PathBuf {
        match self.get("DOCKER_CONFIG") {
            Some(dir) => PathBuf::from(dir),
            None => self.home.clone().unwrap_or_default().join(".docker"),
        }
    }

    /// Whether the CLI would configure TLS for the default context: either
    /// variable being non-empty turns it on, even `DOCKER_TLS_VERIFY=0`.
    pub fn tls(&self) -> bool {
        self.get("DOCKER_TLS_VERIFY").is_some() || self.get("DOCKER_TLS").is_some()
    }

    /// Where the CLI looks for `ca.pem` when TLS is on.
    pub fn cert_dir(&self) -> PathBuf {
        match self.get("DOCKER_CERT_PATH") {
            Some(dir) => PathBuf::from(dir),
            None => self.config_dir(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_count_as_unset_and_others_are_dropped() {
        let env = Env::new(
            [
                ("DOCKER_HOST", ""),
                ("DOCKER_CONTEXT", "x"),
                ("PATH", "/bin"),
            ],
            None,
        );
        assert_eq!(env.get("DOCKER_HOST"), None);
        assert_eq!(env.get("DOCKER_CONTEXT"), Some("x"));
        assert_eq!(env.get("PATH"), None);
    }

    #[test]
    fn config_dir_prefers_docker_config_then_home() {
        let home = Some(PathBuf::from("/home/u"));
        assert_eq!(
            Env::new([("DOCKER_CONFIG", "/c")], home.clone()).config_dir(),
            PathBuf::from("/c")
        );
        assert_eq!(
            Env::new([("DOCKER_CONFIG", "")], home).config_dir(),
            PathBuf::from("/home/u/.docker")
        );
    }

    #[test]
    fn relative_paths_are_made_absolute_for_the_daemon() {
        let env = Env::new(
            [("DOCKER_CONFIG", "cfg"), ("DOCKER_CERT_PATH", "/abs")],
            None,
        )
        .absolutized(Path::new("/work"));
        assert_eq!(env.get("DOCKER_CONFIG"), Some("/work/cfg"));
        assert_eq!(env.get("DOCKER_CERT_PATH"), Some("/abs"));
    }

    #[test]
    fn any_non_empty_tls_variable_turns_tls_on() {
        assert!(Env::new([("DOCKER_TLS_VERIFY", "0")], None).tls());
        assert!(Env::new([("DOCKER_TLS", "1")], None).tls());
        assert!(!Env::new([("DOCKER_TLS_VERIFY", "")], None).tls());
    }
}
