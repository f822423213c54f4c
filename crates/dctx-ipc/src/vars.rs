//! The process environment as dctx reads it: a snapshot that a binary's
//! `main` takes once ([`Vars::from_process`]) and passes down, so that
//! everything below the binaries works on a value and every case is a
//! unit test with a fake world.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use dctx_core::env::DOCKER_VARS;
use dctx_core::os_text::OsText;
use dctx_core::Env;
use serde::{Deserialize, Serialize};

/// What an engine probe's docker and ssh read from a shell's environment
/// besides [`DOCKER_VARS`] and `HOME` (which travel in [`Env`]): where
/// programs are found, the ssh agent, and the proxies Go's HTTP client and
/// ssh honour, in both spellings.
pub const PROBE_VARS: &[&str] = &[
    "PATH",
    "SSH_AUTH_SOCK",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "all_proxy",
];

/// A shell's values of [`PROBE_VARS`] (set and non-empty ones only): with
/// its [`Env`], the environment a probe for that shell runs in. Shells
/// whose values differ reach an engine differently, so their probes are
/// separate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProbeEnv(BTreeMap<String, OsText>);

impl ProbeEnv {
    /// From a lookup of each variable; names outside [`PROBE_VARS`] and
    /// empty values are dropped.
    pub fn new<K: AsRef<str>, V: Into<OsString>>(vars: impl IntoIterator<Item = (K, V)>) -> Self {
        ProbeEnv(
            vars.into_iter()
                .filter(|(k, _)| PROBE_VARS.contains(&k.as_ref()))
                .map(|(k, v)| (k.as_ref().to_string(), OsText(v.into())))
                .filter(|(_, v)| !v.0.is_empty())
                .collect(),
        )
    }

    /// Whether nothing was sent (an older client): a probe then keeps the
    /// daemon's own values.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, name: &str) -> Option<&OsStr> {
        self.0.get(name).map(|v| v.0.as_os_str())
    }

    /// Roughly what it takes, for the daemon's bounds.
    pub fn byte_size(&self) -> usize {
        self.0.iter().map(|(k, v)| k.len() + v.0.len()).sum()
    }
}

/// Every variable dctx reads, besides [`DOCKER_VARS`].
pub const DCTX_VARS: &[&str] = &[
    "HOME",
    "TMPDIR",
    "XDG_RUNTIME_DIR",
    "XDG_STATE_HOME",
    "XDG_CONFIG_HOME",
    "DCTX_CONFIG",
    // The administrator's settings beneath the user's (default
    // /etc/dctx/config.toml): for tests and packaging.
    "DCTX_SYSTEM_CONFIG",
    "DCTX_LOG",
    "DCTX_NO_AUTOSTART",
    "DCTX_GUARD",
    // Where docker-compose 1.x finds the `.env` that may set DOCKER_HOST.
    "COMPOSE_FILE",
    "COMPOSE_PATH_SEPARATOR",
    // The guard's mark on the docker it execs (dctx's `guard/exec_marker.rs`).
    "DCTX_GUARD_EXEC",
    "PATH",
    "USER",
    "LOGNAME",
    "TMUX",
    "NO_COLOR",
    "LISTEN_PID",
    "LISTEN_FDS",
    crate::spawn::READY_FD_VAR,
];

/// Variables by name; an empty value counts as unset everywhere dctx
/// looks, as it does for the Docker CLI.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vars {
    map: BTreeMap<String, OsString>,
    /// The home dir from the password database, for when `HOME` is unset
    /// (Go's os/user does the same for the Docker CLI).
    passwd_home: Option<PathBuf>,
}

impl Vars {
    /// This process's environment. Called by the binaries' `main` only.
    pub fn from_process() -> Vars {
        let names = DOCKER_VARS.iter().chain(DCTX_VARS).chain(PROBE_VARS);
        let map = names
            .filter_map(|&k| Some((k.to_string(), std::env::var_os(k)?)))
            .collect();
        let passwd_home = std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .is_none()
            .then(passwd_home)
            .flatten();
        Vars { map, passwd_home }
    }

    /// A made-up environment, for tests and for a shell's own variables.
    pub fn new<K: Into<String>, V: Into<OsString>>(vars: impl IntoIterator<Item = (K, V)>) -> Vars {
        Vars {
            map: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            passwd_home: None,
        }
    }

    /// `name`'s value, if set and not empty.
    pub fn get(&self, name: &str) -> Option<&OsStr> {
        self.map
            .get(name)
            .map(OsString::as_os_str)
            .filter(|v| !v.is_empty())
    }

    /// Whether `name` is set to anything but the empty string.
    pub fn is_set(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// `HOME`, else the password database's.
    pub fn home(&self) -> Option<PathBuf> {
        self.get("HOME")
            .map(PathBuf::from)
            .or_else(|| self.passwd_home.clone())
    }

    /// What resolution reads: the Docker variables and the home dir.
    pub fn docker_env(&self) -> Env {
        let vars = DOCKER_VARS
            .iter()
            .filter_map(|&k| Some((k, self.get(k)?.to_os_string())));
        Env::new(vars, self.home())
    }

    /// This environment's values of [`PROBE_VARS`].
    pub fn probe_env(&self) -> ProbeEnv {
        ProbeEnv::new(
            PROBE_VARS
                .iter()
                .filter_map(|&k| Some((k, self.get(k)?.to_os_string()))),
        )
    }

    /// The settings file (see `dctx_core::settings::config_path`).
    pub fn settings_path(&self) -> Option<PathBuf> {
        let home = self.home();
        dctx_core::settings::config_path(|k| self.get(k).map(OsStr::to_os_string), home.as_deref())
    }

    /// The system settings file (see
    /// `dctx_core::settings::system_config_path`).
    pub fn system_settings_path(&self) -> PathBuf {
        dctx_core::settings::system_config_path(|k| self.get(k).map(OsStr::to_os_string))
    }

    /// Both settings files, the system's beneath the user's.
    pub fn layered_settings(&self) -> dctx_core::settings::Layered {
        dctx_core::Settings::load_layered(
            &dctx_core::RealFs,
            &self.system_settings_path(),
            self.settings_path().as_deref(),
        )
    }

    /// The runtime dir for this user (see `paths::runtime_dir`).
    pub fn runtime_dir(&self) -> PathBuf {
        crate::paths::runtime_dir(
            self.get("XDG_RUNTIME_DIR").map(OsStr::to_os_string),
            self.temp_dir(),
            crate::paths::euid(),
            crate::paths::dir_owner,
        )
    }

    /// `TMPDIR`, else `/tmp`, as the C library and Rust's `temp_dir` do.
    pub fn temp_dir(&self) -> PathBuf {
        self.get("TMPDIR")
            .map(PathBuf::from)
            .filter(|d| d.is_absolute())
            .unwrap_or_else(|| PathBuf::from("/tmp"))
    }

    /// Where the daemon's log goes (see `paths::state_dir`).
    pub fn state_dir(&self) -> Option<PathBuf> {
        let home = self.home();
        crate::paths::state_dir(
            self.get("XDG_STATE_HOME").map(OsStr::to_os_string),
            home.as_deref(),
        )
    }
}

/// The home dir of the effective user in `/etc/passwd`, for when `HOME`
/// is unset. Read as a file, as the Docker CLI (a static Go binary, whose
/// os/user reads /etc/passwd) does, and not through the C library's NSS,
/// which a statically linked program cannot use reliably.
fn passwd_home() -> Option<PathBuf> {
    use dctx_core::FileSystem;
    let passwd = dctx_core::RealFs
        .read(std::path::Path::new("/etc/passwd"))
        .ok()?;
    home_of(&passwd, crate::paths::euid())
}

/// The home field of `uid`'s line in a passwd file.
fn home_of(passwd: &[u8], uid: u32) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    passwd.split(|&b| b == b'\n').find_map(|line| {
        // name:password:uid:gid:gecos:home:shell
        let fields: Vec<&[u8]> = line.split(|&b| b == b':').collect();
        let matches = fields.len() >= 7 && fields[2] == uid.to_string().as_bytes();
        (matches && !fields[5].is_empty()).then(|| PathBuf::from(OsStr::from_bytes(fields[5])))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_are_unset_and_docker_env_takes_only_docker_vars() {
        let vars = Vars::new([
            ("HOME", "/home/u"),
            ("DOCKER_CONTEXT", "prod"),
            ("DOCKER_HOST", ""),
            ("DCTX_NO_AUTOSTART", ""),
        ]);
        assert!(!vars.is_set("DCTX_NO_AUTOSTART"));
        let env = vars.docker_env();
        assert_eq!(env.get("DOCKER_CONTEXT").as_deref(), Some("prod"));
        assert_eq!(env.get("DOCKER_HOST"), None);
        assert_eq!(env.home(), Some(&PathBuf::from("/home/u")));
    }

    #[test]
    fn the_probe_env_takes_only_probe_vars_that_are_set() {
        let vars = Vars::new([
            ("PATH", "/bin"),
            ("https_proxy", "http://p:3128"),
            ("NO_PROXY", ""),
            ("DOCKER_CONTEXT", "prod"),
        ]);
        let probe = vars.probe_env();
        assert_eq!(probe.get("PATH"), Some(OsStr::new("/bin")));
        assert_eq!(probe.get("https_proxy"), Some(OsStr::new("http://p:3128")));
        assert_eq!(probe.get("NO_PROXY"), None);
        assert_eq!(probe.get("DOCKER_CONTEXT"), None);
        assert!(Vars::new([("HOME", "/h")]).probe_env().is_empty());
    }

    #[test]
    fn the_home_of_a_uid_comes_from_its_passwd_line() {
        let passwd = b"root:x:0:0:root:/root:/bin/bash\n# comment\nu:x:1000:1000:U,,,:/home/u:/bin/sh\nbad:x:7\n";
        assert_eq!(home_of(passwd, 1000), Some(PathBuf::from("/home/u")));
        assert_eq!(home_of(passwd, 0), Some(PathBuf::from("/root")));
        assert_eq!(home_of(passwd, 7), None, "a short line");
        assert_eq!(home_of(passwd, 42), None);
    }

    #[test]
    fn settings_and_state_follow_the_xdg_rules() {
        let vars = Vars::new([("HOME", "/h"), ("XDG_CONFIG_HOME", "/c")]);
        assert_eq!(
            vars.settings_path(),
            Some(PathBuf::from("/c/dctx/config.toml"))
        );
        assert_eq!(
            vars.state_dir(),
            Some(PathBuf::from("/h/.local/state/dctx"))
        );
        let vars = Vars::new([
            ("HOME", "/h"),
            ("DCTX_CONFIG", "/x.toml"),
            ("TMPDIR", "rel"),
        ]);
        assert_eq!(vars.settings_path(), Some(PathBuf::from("/x.toml")));
        assert_eq!(
            vars.temp_dir(),
            PathBuf::from("/tmp"),
            "a relative TMPDIR is ignored"
        );
    }
}
