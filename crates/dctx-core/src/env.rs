//! The process environment as a value, so resolution can be tested with a
//! fake one and the daemon can resolve for a shell other than its own.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::gopath;
use crate::os_text::OsText;

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
///
/// Values are kept as the bytes they are: a `DOCKER_CONFIG` or `HOME` that
/// is not UTF-8 still names a real directory for the Docker CLI.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Env {
    vars: BTreeMap<String, OsText>,
    #[serde(default, with = "crate::os_text::option_path")]
    home: Option<PathBuf>,
}

impl Env {
    pub fn new<K, V>(vars: impl IntoIterator<Item = (K, V)>, home: Option<PathBuf>) -> Env
    where
        K: Into<String>,
        V: Into<OsString>,
    {
        let vars = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .filter(|(k, v)| !v.is_empty() && DOCKER_VARS.contains(&k.as_str()))
            .map(|(k, v)| (k, OsText(v)))
            .collect();
        Env { vars, home }
    }

    /// The value of `name` if it is set and non-empty, as text (non-UTF-8
    /// bytes replaced: names and hosts are shown, not opened).
    pub fn get(&self, name: &str) -> Option<Cow<'_, str>> {
        self.get_os(name).map(OsStr::to_string_lossy)
    }

    /// The value of `name` if it is set and non-empty, as it was.
    pub fn get_os(&self, name: &str) -> Option<&OsStr> {
        self.vars.get(name).map(|v| v.0.as_os_str())
    }

    pub fn home(&self) -> Option<&PathBuf> {
        self.home.as_ref()
    }

    /// Roughly what this environment takes in memory: what caches of
    /// environments are bounded by.
    pub fn byte_size(&self) -> usize {
        let vars: usize = self.vars.iter().map(|(k, v)| k.len() + v.0.len()).sum();
        vars + self.home.as_ref().map_or(0, |h| h.as_os_str().len())
    }

    pub fn vars(&self) -> impl Iterator<Item = (&str, &OsStr)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.0.as_os_str()))
    }

    /// The same environment with relative `DOCKER_CONFIG` and
    /// `DOCKER_CERT_PATH` made absolute against `cwd`, so that another
    /// process (the daemon) resolves what this shell would. `cwd` must be
    /// the physical directory (no symlinks, as `getcwd` gives it): the
    /// kernel resolves a leading `..` from there, not from a logical `PWD`.
    /// Paths are cleaned as the CLI cleans them (see [`gopath`]).
    pub fn absolutized(mut self, cwd: &Path) -> Env {
        for key in ["DOCKER_CONFIG", "DOCKER_CERT_PATH"] {
            if let Some(v) = self.vars.get_mut(key) {
                v.0 = gopath::join(cwd, &gopath::clean(Path::new(&v.0))).into_os_string();
            }
        }
        if let Some(home) = &self.home {
            self.home = Some(gopath::join(cwd, &gopath::clean(home)));
        }
        self
    }

    /// The Docker client config dir: `DOCKER_CONFIG`, else `$HOME/.docker`,
    /// cleaned lexically as the CLI's `filepath.Join` does.
    pub fn config_dir(&self) -> PathBuf {
        match self.get_os("DOCKER_CONFIG") {
            Some(dir) => gopath::clean(Path::new(dir)),
            None => gopath::join(&self.home.clone().unwrap_or_default(), Path::new(".docker")),
        }
    }

    /// Whether the CLI would configure TLS for the default context: either
    /// variable being non-empty turns it on, even `DOCKER_TLS_VERIFY=0`.
    pub fn tls(&self) -> bool {
        self.get_os("DOCKER_TLS_VERIFY").is_some() || self.get_os("DOCKER_TLS").is_some()
    }

    /// Where the CLI looks for `ca.pem` when TLS is on.
    pub fn cert_dir(&self) -> PathBuf {
        match self.get_os("DOCKER_CERT_PATH") {
            Some(dir) => gopath::clean(Path::new(dir)),
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
        assert_eq!(env.get("DOCKER_CONTEXT").as_deref(), Some("x"));
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
        assert_eq!(env.get("DOCKER_CONFIG").as_deref(), Some("/work/cfg"));
        assert_eq!(env.get("DOCKER_CERT_PATH").as_deref(), Some("/abs"));
    }

    #[test]
    fn paths_are_cleaned_lexically_like_the_cli_does() {
        let env = Env::new([("DOCKER_CONFIG", "x/link/../cfg")], None);
        assert_eq!(env.config_dir(), PathBuf::from("x/cfg"));
        let env = env.absolutized(Path::new("/work"));
        assert_eq!(env.get("DOCKER_CONFIG").as_deref(), Some("/work/x/cfg"));
        let env = Env::new([("DOCKER_CERT_PATH", "/c/l/../d/")], Some("/h/./u/".into()));
        assert_eq!(env.cert_dir(), PathBuf::from("/c/d"));
        assert_eq!(env.config_dir(), PathBuf::from("/h/u/.docker"));
    }

    #[test]
    fn any_non_empty_tls_variable_turns_tls_on() {
        assert!(Env::new([("DOCKER_TLS_VERIFY", "0")], None).tls());
        assert!(Env::new([("DOCKER_TLS", "1")], None).tls());
        assert!(!Env::new([("DOCKER_TLS_VERIFY", "")], None).tls());
    }

    #[test]
    fn non_utf8_paths_stay_exact_through_the_protocol() {
        use std::os::unix::ffi::OsStringExt;
        let dir = OsString::from_vec(b"/cfg-\xe9".to_vec());
        let home = PathBuf::from(OsString::from_vec(b"/home/h\xe9".to_vec()));
        let env = Env::new([("DOCKER_CONFIG", dir.clone())], Some(home.clone()));
        assert_eq!(env.config_dir(), PathBuf::from(&dir));
        let json = serde_json::to_string(&env).unwrap();
        let back: Env = serde_json::from_str(&json).unwrap();
        assert_eq!(back, env);
        assert_eq!(back.config_dir(), PathBuf::from(&dir));
        assert_eq!(back.home(), Some(&home));
    }

    // Daemons and clients of older builds read and write this shape.
    #[test]
    fn utf8_values_keep_the_wire_shape() {
        let env = Env::new([("DOCKER_CONTEXT", "prod")], Some("/home/u".into()));
        let json: serde_json::Value = serde_json::to_value(&env).unwrap();
        assert_eq!(json["vars"]["DOCKER_CONTEXT"], "prod");
        assert_eq!(json["home"], "/home/u");
    }
}
