//! A docker command line's global flags, parsed as the Docker CLI parses
//! them (cobra/pflag with interspersed flags off: global flags end at the
//! first word that is not one), and the context and endpoint that line
//! targets. The ground for the guard: `docker -c prod system prune` and
//! `DOCKER_HOST=… docker system prune` aim at different engines.

use std::ffi::{OsStr, OsString};

use crate::env::Env;
use crate::fs::FileSystem;
use crate::pflag::{self, parse_bool, Arity, Flag, Given, ScanError};
use crate::resolution::{resolve, Resolution, Source};

/// The global flags that change which engine a command reaches, and the
/// ones that only need to be stepped over. Values are the bytes given:
/// docker opens and names exactly those.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GlobalFlags {
    /// `-c`, `--context`: the last one given, unless it was empty (the CLI
    /// ignores an empty context, an unset `$CTX`, as if none was given).
    pub context: Option<OsString>,
    /// `-H`, `--host`, in order, empty ones included (`-H ''` is the
    /// default socket to the CLI, whatever the environment says).
    pub hosts: Vec<OsString>,
    /// `--config`: another config dir for this command (the last one; an
    /// empty one keeps `DOCKER_CONFIG`, as in the CLI).
    pub config: Option<OsString>,
    /// `--tls`, the last value given.
    pub tls: Option<bool>,
    /// `--tlsverify`, the last value given: given at all, even as
    /// `--tlsverify=false`, it turns TLS on.
    pub tlsverify: Option<bool>,
    /// `-h`, `--help`, or `-v`, `--version` with no command after it: the
    /// CLI prints and runs nothing.
    pub help_or_version: bool,
}

impl GlobalFlags {
    /// Whether the CLI configures TLS for the default context, given the
    /// environment's `DOCKER_TLS` and `DOCKER_TLS_VERIFY` (docker/cli's
    /// `SetDefaultOptions`: `--tlsverify` given at all, or its default from
    /// `DOCKER_TLS_VERIFY`, turns `--tls` on).
    pub fn tls_on(&self, env: &Env) -> bool {
        let tls = self.tls.unwrap_or(env.get_os("DOCKER_TLS").is_some());
        let verify = self.tlsverify.is_some() || env.get_os("DOCKER_TLS_VERIFY").is_some();
        tls || verify
    }
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine {
    pub flags: GlobalFlags,
    /// Every global flag as given, with the words it took.
    pub given: Vec<Given>,
    /// The index of the first word after the global flags (the command).
    pub command: usize,
    /// Why the CLI itself would refuse the line; the CLI's own words are
    /// better, so a caller lets it say them.
    pub error: Option<LineError>,
}

/// Why the CLI would refuse a command line before running anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineError {
    /// An unknown flag or a missing value.
    Flag(ScanError),
    /// A boolean flag with a value that is not one.
    InvalidValue { name: &'static str, value: String },
    /// Both `--context` and `--host`.
    Conflict,
    /// More than one `-H`: `context show` still names `default`, every
    /// command that needs the engine fails.
    MoreThanOneHost,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LineError::Flag(e) => e.fmt(f),
            LineError::InvalidValue { name, value } => {
                write!(f, "invalid argument {value:?} for --{name}")
            }
            LineError::Conflict => {
                f.write_str("conflicting options: cannot specify both --host and --context")
            }
            LineError::MoreThanOneHost => f.write_str("Specify only one -H"),
        }
    }
}

/// The root command's flags, by long name, with their shorthand.
const FLAGS: &[Flag] = &[
    ("config", None, Arity::Value),
    ("context", Some('c'), Arity::Value),
    ("debug", Some('D'), Arity::Bool),
    ("host", Some('H'), Arity::Value),
    ("log-level", Some('l'), Arity::Value),
    ("tls", None, Arity::Bool),
    ("tlscacert", None, Arity::Value),
    ("tlscert", None, Arity::Value),
    ("tlskey", None, Arity::Value),
    ("tlsverify", None, Arity::Bool),
    ("version", Some('v'), Arity::Bool),
    ("help", Some('h'), Arity::Bool),
];

/// Parses `args` (the words after `docker`).
pub fn parse(args: &[OsString]) -> CommandLine {
    let scanned = pflag::scan(args, FLAGS);
    let mut flags = GlobalFlags::default();
    let mut error = scanned.error.map(LineError::Flag);
    let mut version = false;
    for g in &scanned.given {
        let on = parse_bool(&g.value);
        if matches!(g.name, "tls" | "tlsverify" | "help" | "version" | "debug") && on.is_none() {
            error.get_or_insert(LineError::InvalidValue {
                name: g.name,
                value: g.value.clone(),
            });
            break;
        }
        let non_empty = || Some(g.raw.clone()).filter(|v| !v.is_empty());
        match g.name {
            "context" => flags.context = non_empty(),
            "host" => flags.hosts.push(g.raw.clone()),
            "config" => flags.config = non_empty(),
            "tls" => flags.tls = on,
            "tlsverify" => flags.tlsverify = on,
            "help" => flags.help_or_version |= on == Some(true),
            // Only a line with no command after it just prints the
            // version: cobra runs `docker -v system prune` as a prune.
            "version" => version |= on == Some(true),
            _ => {}
        }
    }
    flags.help_or_version |= version && scanned.rest >= args.len();
    if error.is_none() {
        if flags.context.is_some() && !flags.hosts.is_empty() {
            error = Some(LineError::Conflict);
        } else if flags.hosts.len() > 1 {
            error = Some(LineError::MoreThanOneHost);
        }
    }
    CommandLine {
        flags,
        given: scanned.given,
        command: scanned.rest,
        error,
    }
}

/// How a command line chose its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chosen {
    /// `-c`/`--context` on the command line (it wins even over DOCKER_HOST).
    ContextFlag,
    /// `-H`/`--host` on the command line.
    HostFlag,
    /// What the environment and config.json choose, as for a prompt.
    Environment(Source),
}

/// The environment a command line's docker runs in, as far as resolution
/// goes: `env` with `--config`, the TLS flags and the context or host flag
/// applied, and how the flags chose (before resolution says more).
pub fn command_env(env: &Env, flags: &GlobalFlags) -> (Env, Chosen) {
    let tls = flags.tls_on(env);
    let mut vars: Vec<(String, OsString)> = env
        .vars()
        .map(|(k, v)| (k.to_string(), v.to_os_string()))
        .collect();
    let mut set = |key: &str, value: Option<&OsStr>| {
        vars.retain(|(k, _)| k != key);
        if let Some(v) = value {
            vars.push((key.to_string(), v.to_os_string()));
        }
    };
    if let Some(dir) = &flags.config {
        set("DOCKER_CONFIG", Some(dir));
    }
    // Resolution reads TLS from the environment: say it there.
    set("DOCKER_TLS", tls.then_some(OsStr::new("1")));
    if !tls {
        set("DOCKER_TLS_VERIFY", None);
    }
    let default = OsStr::new(crate::resolution::DEFAULT_CONTEXT);
    let chosen = if let Some(context) = &flags.context {
        // `--context default` still takes its endpoint from DOCKER_HOST
        // (that is what the default context is); any other name does not.
        if context.as_os_str() != default {
            set("DOCKER_HOST", None);
        }
        set("DOCKER_CONTEXT", Some(context));
        Chosen::ContextFlag
    } else if let Some(host) = flags.hosts.first() {
        if host.to_string_lossy().trim().is_empty() {
            // An empty -H is the default context's default endpoint (the
            // socket, or localhost:2376 with TLS), whatever DOCKER_HOST or
            // DOCKER_CONTEXT say.
            set("DOCKER_HOST", None);
            set("DOCKER_CONTEXT", Some(default));
        } else {
            set("DOCKER_HOST", Some(host));
        }
        Chosen::HostFlag
    } else {
        Chosen::Environment(Source::Default)
    };
    (Env::new(vars, env.home().cloned()), chosen)
}

/// The context and endpoint `flags` reach from `env`: the CLI's
/// `resolveContextName` with the command line's flags first.
pub fn resolve_with(env: &Env, flags: &GlobalFlags, fs: &dyn FileSystem) -> (Resolution, Chosen) {
    let (env, chosen) = command_env(env, flags);
    let r = resolve(&env, fs);
    let chosen = match chosen {
        Chosen::Environment(_) => Chosen::Environment(r.source),
        other => other,
    };
    (r, chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context_of(line_words: &str, env: &[(&str, &str)]) -> (String, String) {
        let fs = crate::MemFs::new();
        let env = Env::new(env.iter().copied(), Some("/h".into()));
        let (r, _) = resolve_with(&env, &line(line_words).flags, &fs);
        (r.name, r.host)
    }

    #[test]
    fn empty_host_config_and_tls_as_the_cli_reads_them() {
        // Each checked against `docker <flags> context show` / `inspect`.
        let sock = "unix:///var/run/docker.sock".to_string();
        let with_context = [("DOCKER_CONTEXT", "prod")];
        assert_eq!(
            context_of("-H= ps", &with_context),
            ("default".into(), sock.clone())
        );
        let with_host = [("DOCKER_HOST", "tcp://10.0.0.9")];
        assert_eq!(context_of("-H= ps", &with_host), ("default".into(), sock));
        assert_eq!(
            context_of("--tls ps", &[]),
            ("default".into(), "tcp://localhost:2376".into())
        );
        assert_eq!(
            context_of("--tls=false ps", &[("DOCKER_TLS", "1")]).1,
            "unix:///var/run/docker.sock"
        );
        let cfg = line("--config=/a --config= ps").flags.config;
        assert_eq!(cfg, None, "an empty --config keeps DOCKER_CONFIG");
        assert!(line("-c prod -H= ps").error == Some(LineError::Conflict));
    }

    fn line(words: &str) -> CommandLine {
        let args: Vec<OsString> = words.split_whitespace().map(OsString::from).collect();
        parse(&args)
    }

    #[test]
    fn global_flags_end_at_the_first_other_word() {
        for (words, context, command) in [
            ("--context prod ps", Some("prod"), 2),
            ("--context=prod ps", Some("prod"), 1),
            ("-c prod ps", Some("prod"), 2),
            ("-cprod ps", Some("prod"), 1),
            ("-c=prod ps", Some("prod"), 1),
            ("-Dc prod ps", Some("prod"), 2),
            ("-D -l debug -c prod ps", Some("prod"), 5),
            ("--debug=false -c prod ps", Some("prod"), 3),
            ("ps -c prod", None, 0),
            ("-- ps", None, 1),
            ("-c a -c b ps", Some("b"), 4),
        ] {
            let parsed = line(words);
            assert_eq!(
                parsed.flags.context.as_deref(),
                context.map(OsStr::new),
                "{words}"
            );
            assert_eq!(parsed.command, command, "{words}");
            assert_eq!(parsed.error, None, "{words}");
        }
    }

    #[test]
    fn hosts_tls_config_and_what_the_cli_refuses() {
        let parsed = line("-H tcp://a --host=tcp://b -Htcp://c --tls --config /cfg ps");
        assert_eq!(parsed.flags.hosts, ["tcp://a", "tcp://b", "tcp://c"]);
        assert_eq!(parsed.error, Some(LineError::MoreThanOneHost));
        assert_eq!(parsed.flags.tls, Some(true));
        assert_eq!(parsed.flags.config, Some(OsString::from("/cfg")));
        assert_eq!(line("-c x -H tcp://h ps").error, Some(LineError::Conflict));
        let message = |words| line(words).error.unwrap().to_string();
        assert!(message("--nope ps").contains("unknown flag"));
        assert!(message("-c").contains("needs an argument"));
        assert!(line("--tlsverify=maybe ps").error.is_some());
        assert!(line("--version").flags.help_or_version);
    }

    #[test]
    fn empty_context_version_before_a_command_and_tlsverify_false() {
        // Each as the real CLI reads it, checked against a recording engine.
        assert_eq!(line("--context= system prune").flags.context, None);
        assert_eq!(line("-c a --context= ps").flags.context, None);
        assert_eq!(line("--context= -H tcp://h ps").error, None);
        assert!(!line("-v system prune -af").flags.help_or_version);
        assert!(!line("-Dv kill web").flags.help_or_version);
        assert!(!line("--version=true stop web").flags.help_or_version);
        assert!(line("-c prod -v").flags.help_or_version);
        assert!(line("-h system prune").flags.help_or_version);
        let tls = |words, env: &[(&str, &str)]| {
            line(words)
                .flags
                .tls_on(&Env::new(env.iter().copied(), None))
        };
        assert!(tls("--tlsverify=false ps", &[]));
        assert!(!tls("--tls=false ps", &[]));
        assert!(!tls("--tls=false ps", &[("DOCKER_TLS", "1")]));
        assert!(tls("--tls=false ps", &[("DOCKER_TLS_VERIFY", "0")]));
        assert!(tls("ps", &[("DOCKER_TLS", "x")]));
        assert!(!tls("--tls --tls=false ps", &[]));
    }

    #[test]
    fn the_context_flag_wins_even_over_docker_host() {
        let fs = crate::MemFs::new();
        let env = Env::new([("DOCKER_HOST", "tcp://10.0.0.9")], Some("/h".into()));
        let flags = line("-c staging ps").flags;
        let (r, chosen) = resolve_with(&env, &flags, &fs);
        assert_eq!((r.name.as_str(), chosen), ("staging", Chosen::ContextFlag));
        let (r, chosen) = resolve_with(&env, &line("ps").flags, &fs);
        assert_eq!(
            (r.host.as_str(), chosen),
            (
                "tcp://10.0.0.9:2375",
                Chosen::Environment(Source::DockerHost)
            )
        );
        let (r, chosen) = resolve_with(&Env::default(), &line("-H tcp://h ps").flags, &fs);
        assert_eq!(
            (r.name.as_str(), r.host.as_str(), chosen),
            ("default", "tcp://h:2375", Chosen::HostFlag)
        );
    }
}
