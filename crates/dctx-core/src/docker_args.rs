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
/// ones that only need to be stepped over.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GlobalFlags {
    /// `-c`, `--context` (the last one given).
    pub context: Option<String>,
    /// `-H`, `--host`, in order (the CLI refuses more than one for real
    /// commands, but `context show` lists `default`).
    pub hosts: Vec<String>,
    /// `--config`: another config dir for this command.
    pub config: Option<OsString>,
    /// `--tls` or `--tlsverify`: TLS on for the default context's host.
    pub tls: bool,
    /// `-h`, `--help`, or `-v`, `--version` with no command after it: the
    /// CLI prints and runs nothing.
    pub help_or_version: bool,
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
        match g.name {
            // The CLI ignores an empty context (an unset `$CTX`): the
            // environment and config.json decide, as with no flag at all.
            "context" => flags.context = Some(g.value.clone()).filter(|c| !c.is_empty()),
            "host" => flags.hosts.push(g.value.clone()),
            "config" => {
                flags.config = Some(g.raw.clone().unwrap_or_else(|| g.value.clone().into()))
            }
            "tls" => flags.tls |= on == Some(true),
            // Given at all, even as `--tlsverify=false`, it turns TLS on.
            "tlsverify" => flags.tls = true,
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
/// goes: `env` with `--config`, `--tls` and the context or host flag
/// applied, and how the flags chose (before resolution says more).
pub fn command_env(env: &Env, flags: &GlobalFlags) -> (Env, Chosen) {
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
    if flags.tls {
        set("DOCKER_TLS", Some(OsStr::new("1")));
    }
    let chosen = if let Some(context) = &flags.context {
        // `--context default` still takes its endpoint from DOCKER_HOST
        // (that is what the default context is); any other name does not.
        if context != crate::resolution::DEFAULT_CONTEXT {
            set("DOCKER_HOST", None);
        }
        set("DOCKER_CONTEXT", Some(OsStr::new(context)));
        Chosen::ContextFlag
    } else if let Some(host) = flags.hosts.first() {
        // An empty -H is no host at all to the CLI.
        set(
            "DOCKER_HOST",
            Some(OsStr::new(host)).filter(|h| !h.is_empty()),
        );
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
            assert_eq!(parsed.flags.context.as_deref(), context, "{words}");
            assert_eq!(parsed.command, command, "{words}");
            assert_eq!(parsed.error, None, "{words}");
        }
    }

    #[test]
    fn hosts_tls_config_and_what_the_cli_refuses() {
        let parsed = line("-H tcp://a --host=tcp://b -Htcp://c --tls --config /cfg ps");
        assert_eq!(parsed.flags.hosts, ["tcp://a", "tcp://b", "tcp://c"]);
        assert_eq!(parsed.error, Some(LineError::MoreThanOneHost));
        assert!(parsed.flags.tls);
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
        assert!(line("--tlsverify=false ps").flags.tls);
        assert!(!line("--tls=false ps").flags.tls);
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
