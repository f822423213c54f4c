//! Which context the next `docker` command will use, and its endpoint.
//!
//! The order is docker/cli's `resolveContextName`: a non-empty `DOCKER_HOST`
//! forces `default` (even over `DOCKER_CONTEXT`), then `DOCKER_CONTEXT`, then
//! `currentContext` from config.json, then `default`. Resolution never fails:
//! whatever is wrong is recorded as a [`Problem`] next to the best answer, the
//! same answer the CLI would act on.

use std::fmt;
use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::config_file;
use crate::context_meta::{self, meta_path};
use crate::env::Env;
use crate::fs::{FileSystem, MAX_CONFIG_SIZE};
use crate::host::parse_host;

/// The name of the context that is never on disk.
pub const DEFAULT_CONTEXT: &str = "default";

/// How the CLI describes the `default` context (`docker context ls`).
pub const DEFAULT_DESCRIPTION: &str = "Current DOCKER_HOST based configuration";

/// Where the context name came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Source {
    #[serde(rename = "DOCKER_HOST")]
    DockerHost,
    #[serde(rename = "DOCKER_CONTEXT")]
    DockerContext,
    #[serde(rename = "config")]
    Config,
    #[serde(rename = "default")]
    Default,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::DockerHost => "DOCKER_HOST",
            Source::DockerContext => "DOCKER_CONTEXT",
            Source::Config => "config",
            Source::Default => "default",
        }
    }
}

/// Something that makes the answer doubtful or the CLI complain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Problem {
    ContextNotFound {
        name: String,
        path: PathBuf,
    },
    NoDockerEndpoint {
        name: String,
    },
    MetaUnreadable {
        path: PathBuf,
        error: String,
    },
    MetaMalformed {
        path: PathBuf,
        error: String,
    },
    ConfigUnreadable {
        path: PathBuf,
        error: String,
    },
    /// config.json is larger than dctx reads ([`MAX_CONFIG_SIZE`]); the
    /// CLI reads it, so which context it names is not known here.
    ConfigTooLarge {
        path: PathBuf,
        limit_mib: u64,
    },
    ConfigMalformed {
        path: PathBuf,
        error: String,
    },
    InvalidDockerHost {
        value: String,
        error: String,
    },
    TlsUnreadable {
        path: PathBuf,
        error: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::ContextNotFound { name, path } => {
                write!(
                    f,
                    "context \"{name}\" does not exist ({} not found)",
                    path.display()
                )
            }
            Problem::NoDockerEndpoint { name } => {
                write!(f, "context \"{name}\" has no docker endpoint")
            }
            Problem::MetaUnreadable { path, error } => {
                write!(f, "could not read {}: {error}", path.display())
            }
            Problem::MetaMalformed { path, error } => {
                write!(f, "could not parse {}: {error}", path.display())
            }
            Problem::ConfigUnreadable { path, error } => write!(
                f,
                "could not read {}: {error} (docker falls back to the default context)",
                path.display()
            ),
            Problem::ConfigTooLarge { path, limit_mib } => write!(
                f,
                "{} is over {limit_mib} MiB; dctx did not read it; docker would, and may name another context",
                path.display()
            ),
            Problem::ConfigMalformed { path, error } => write!(
                f,
                "could not parse {}: {error} (docker warns and ignores what it could not decode)",
                path.display()
            ),
            Problem::InvalidDockerHost { value, error } => {
                write!(f, "DOCKER_HOST={value} is not usable: {error}")
            }
            Problem::TlsUnreadable { path, error } => write!(
                f,
                "TLS is on (DOCKER_TLS_VERIFY or DOCKER_TLS) but {} cannot be read: {error}",
                path.display()
            ),
        }
    }
}

/// The resolved context.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Resolution {
    pub name: String,
    pub source: Source,
    /// What `docker context inspect --format '{{.Endpoints.docker.Host}}'`
    /// prints; empty when the context has no usable endpoint.
    pub host: String,
    pub description: String,
    pub exists: bool,
    pub config_dir: PathBuf,
    /// `currentContext` from config.json, whether or not it is in effect.
    pub config_context: Option<String>,
    pub problems: Vec<Problem>,
}

impl Resolution {
    /// The current context that an environment variable overrides, with the
    /// variable, e.g. `("DOCKER_HOST", "tcp://h:2375", "prod")`.
    pub fn overridden(&self) -> Option<(&'static str, &str)> {
        let config = self.config_context.as_deref().unwrap_or(DEFAULT_CONTEXT);
        match self.source {
            Source::DockerHost | Source::DockerContext if config != self.name => {
                Some((self.source.as_str(), config))
            }
            _ => None,
        }
    }

    /// The problems as one line, for JSON output and short reports.
    pub fn problem_summary(&self) -> Option<String> {
        if self.problems.is_empty() {
            return None;
        }
        let all: Vec<String> = self.problems.iter().map(ToString::to_string).collect();
        Some(all.join("; "))
    }
}

/// Resolves the context for `env`, reading Docker's files through `fs`.
pub fn resolve(env: &Env, fs: &dyn FileSystem) -> Resolution {
    let config_dir = env.config_dir();
    let mut problems = Vec::new();
    let config_path = config_dir.join("config.json");
    let config_context = match fs.read_up_to(&config_path, MAX_CONFIG_SIZE) {
        Ok(bytes) => {
            let parsed = config_file::parse(&bytes);
            if let Some(error) = parsed.warning {
                problems.push(Problem::ConfigMalformed {
                    path: config_path,
                    error,
                });
            }
            parsed.current_context
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) if e.kind() == io::ErrorKind::FileTooLarge => {
            problems.push(Problem::ConfigTooLarge {
                path: config_path,
                limit_mib: MAX_CONFIG_SIZE / 1024 / 1024,
            });
            None
        }
        Err(e) => {
            problems.push(Problem::ConfigUnreadable {
                path: config_path,
                error: io_message(&e),
            });
            None
        }
    };

    let (name, source) = if env.get("DOCKER_HOST").is_some() {
        (DEFAULT_CONTEXT.to_string(), Source::DockerHost)
    } else if let Some(name) = env.get("DOCKER_CONTEXT") {
        (name.to_string(), Source::DockerContext)
    } else if let Some(name) = &config_context {
        (name.clone(), Source::Config)
    } else {
        (DEFAULT_CONTEXT.to_string(), Source::Default)
    };

    let mut resolution = Resolution {
        name,
        source,
        host: String::new(),
        description: String::new(),
        exists: true,
        config_dir,
        config_context,
        problems,
    };
    if resolution.name == DEFAULT_CONTEXT {
        resolve_default(env, fs, &mut resolution);
    } else {
        resolve_stored(fs, &mut resolution);
    }
    resolution
}

fn resolve_default(env: &Env, fs: &dyn FileSystem, r: &mut Resolution) {
    r.description = DEFAULT_DESCRIPTION.to_string();
    let value = env.get("DOCKER_HOST").unwrap_or_default();
    let value = value.as_ref();
    r.host = match parse_host(env.tls(), value) {
        Ok(host) => host,
        Err(error) => {
            r.problems.push(Problem::InvalidDockerHost {
                value: value.to_string(),
                error,
            });
            value.trim().to_string()
        }
    };
    if env.tls() {
        // The CLI loads ca.pem whenever TLS is on, and cert.pem and key.pem
        // only when they exist.
        let dir = env.cert_dir();
        for (file, required) in [("ca.pem", true), ("cert.pem", false), ("key.pem", false)] {
            let path = dir.join(file);
            match fs.read(&path) {
                Err(e) if required || e.kind() != io::ErrorKind::NotFound => {
                    r.problems.push(Problem::TlsUnreadable {
                        path,
                        error: io_message(&e),
                    });
                }
                _ => {}
            }
        }
    }
}

fn resolve_stored(fs: &dyn FileSystem, r: &mut Resolution) {
    let path = meta_path(&r.config_dir, &r.name);
    match fs.read(&path) {
        Ok(bytes) => match context_meta::parse(&bytes) {
            Ok(meta) => {
                r.description = meta.description;
                match meta.host {
                    Some(host) => r.host = host,
                    None => r.problems.push(Problem::NoDockerEndpoint {
                        name: r.name.clone(),
                    }),
                }
            }
            Err(error) => r.problems.push(Problem::MetaMalformed { path, error }),
        },
        Err(e)
            if e.kind() == io::ErrorKind::NotFound || e.kind() == io::ErrorKind::NotADirectory =>
        {
            r.exists = false;
            r.problems.push(Problem::ContextNotFound {
                name: r.name.clone(),
                path,
            });
        }
        Err(e) => r.problems.push(Problem::MetaUnreadable {
            path,
            error: io_message(&e),
        }),
    }
}

/// An io::Error's message without Rust's " (os error N)" suffix.
fn io_message(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_lowercase(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::MemFs;
    use std::path::Path;

    const PROD_META: &str = r#"{"Name":"prod","Metadata":{"Description":"Production"},"Endpoints":{"docker":{"Host":"ssh://deploy@prod-01","SkipTLSVerify":false}}}"#;

    fn env(vars: &[(&str, &str)]) -> Env {
        Env::new(vars.iter().copied(), Some(PathBuf::from("/home/u")))
    }

    fn fs_with_prod(config: &str) -> MemFs {
        MemFs::new()
            .with("/home/u/.docker/config.json", config)
            .with(meta_path(Path::new("/home/u/.docker"), "prod"), PROD_META)
    }

    #[test]
    fn docker_host_wins_over_everything() {
        let fs = fs_with_prod(r#"{"currentContext":"prod"}"#);
        let r = resolve(
            &env(&[("DOCKER_HOST", "tcp://1.2.3.4"), ("DOCKER_CONTEXT", "prod")]),
            &fs,
        );
        assert_eq!((r.name.as_str(), r.source), ("default", Source::DockerHost));
        assert_eq!(r.host, "tcp://1.2.3.4:2375");
        assert!(r.problems.is_empty());
        assert_eq!(r.overridden(), Some(("DOCKER_HOST", "prod")));
    }

    #[test]
    fn whitespace_docker_host_still_selects_default() {
        let fs = fs_with_prod(r#"{"currentContext":"prod"}"#);
        let r = resolve(&env(&[("DOCKER_HOST", " ")]), &fs);
        assert_eq!(
            (r.name.as_str(), r.host.as_str()),
            ("default", "unix:///var/run/docker.sock")
        );
    }

    #[test]
    fn docker_context_wins_over_config_even_when_missing() {
        let fs = fs_with_prod(r#"{"currentContext":"prod"}"#);
        let r = resolve(&env(&[("DOCKER_CONTEXT", "staging")]), &fs);
        assert_eq!(
            (r.name.as_str(), r.source, r.exists),
            ("staging", Source::DockerContext, false)
        );
        assert_eq!(r.host, "");
        assert!(matches!(r.problems[..], [Problem::ContextNotFound { .. }]));
    }

    #[test]
    fn config_current_context_is_read_from_disk() {
        let r = resolve(&env(&[]), &fs_with_prod(r#"{"currentContext":"prod"}"#));
        assert_eq!((r.name.as_str(), r.source), ("prod", Source::Config));
        assert_eq!(
            (r.host.as_str(), r.description.as_str()),
            ("ssh://deploy@prod-01", "Production")
        );
        assert!(r.exists && r.problems.is_empty());
        assert_eq!(r.overridden(), None);
    }

    #[test]
    fn docker_config_moves_the_config_dir() {
        let fs = MemFs::new().with("/elsewhere/config.json", r#"{"currentContext":"x"}"#);
        let r = resolve(&env(&[("DOCKER_CONFIG", "/elsewhere")]), &fs);
        assert_eq!(r.name, "x");
        assert_eq!(r.config_dir, PathBuf::from("/elsewhere"));
    }

    #[test]
    fn broken_config_falls_back_to_default_with_a_problem() {
        let r = resolve(&env(&[]), &fs_with_prod("{bad"));
        assert_eq!((r.name.as_str(), r.source), ("default", Source::Default));
        assert!(matches!(r.problems[..], [Problem::ConfigMalformed { .. }]));
        let fs = MemFs::new().with_error(
            "/home/u/.docker/config.json",
            io::ErrorKind::PermissionDenied,
        );
        let r = resolve(&env(&[]), &fs);
        assert_eq!(r.name, "default");
        assert!(matches!(r.problems[..], [Problem::ConfigUnreadable { .. }]));
    }

    #[test]
    fn a_config_past_the_bound_is_said_to_be_unread_not_default() {
        let fs =
            MemFs::new().with_error("/home/u/.docker/config.json", io::ErrorKind::FileTooLarge);
        let r = resolve(&env(&[]), &fs);
        assert!(matches!(
            r.problems[..],
            [Problem::ConfigTooLarge { limit_mib: 256, .. }]
        ));
        let said = r.problems[0].to_string();
        assert!(
            said.contains("is over 256 MiB; dctx did not read it; docker would"),
            "{said}"
        );
        assert!(!said.contains("falls back"), "{said}");
    }

    #[test]
    fn missing_config_is_silently_default() {
        let r = resolve(&env(&[]), &MemFs::new());
        assert_eq!((r.name.as_str(), r.source), ("default", Source::Default));
        assert_eq!(r.host, crate::host::DEFAULT_UNIX_HOST);
        assert!(r.problems.is_empty());
    }

    #[test]
    fn unreadable_or_malformed_meta_keeps_the_name_and_says_why() {
        let path = meta_path(Path::new("/home/u/.docker"), "prod");
        let fs = MemFs::new()
            .with(
                "/home/u/.docker/config.json",
                r#"{"currentContext":"prod"}"#,
            )
            .with_error(&path, io::ErrorKind::PermissionDenied);
        let r = resolve(&env(&[]), &fs);
        assert_eq!((r.name.as_str(), r.exists), ("prod", true));
        assert!(matches!(r.problems[..], [Problem::MetaUnreadable { .. }]));
        let fs = MemFs::new()
            .with(
                "/home/u/.docker/config.json",
                r#"{"currentContext":"prod"}"#,
            )
            .with(&path, "{");
        assert!(matches!(
            resolve(&env(&[]), &fs).problems[..],
            [Problem::MetaMalformed { .. }]
        ));
    }

    #[test]
    fn tls_changes_the_default_host_and_needs_ca_pem() {
        let fs = MemFs::new().with("/certs/ca.pem", "x");
        let r = resolve(
            &env(&[("DOCKER_TLS_VERIFY", "1"), ("DOCKER_CERT_PATH", "/certs")]),
            &fs,
        );
        assert_eq!(r.host, "tcp://localhost:2376");
        assert!(r.problems.is_empty());
        let r = resolve(&env(&[("DOCKER_TLS", "1")]), &MemFs::new());
        assert!(matches!(r.problems[..], [Problem::TlsUnreadable { .. }]));
    }

    #[test]
    fn invalid_docker_host_is_shown_raw_with_a_problem() {
        let r = resolve(&env(&[("DOCKER_HOST", "http://h")]), &MemFs::new());
        assert_eq!(r.host, "http://h");
        assert!(matches!(
            r.problems[..],
            [Problem::InvalidDockerHost { .. }]
        ));
    }

    #[test]
    fn explicit_default_context_is_not_read_from_disk() {
        let fs = MemFs::new().with(
            meta_path(Path::new("/home/u/.docker"), "default"),
            r#"{"Endpoints":{"docker":{"Host":"tcp://evil"}}}"#,
        );
        let r = resolve(&env(&[("DOCKER_CONTEXT", "default")]), &fs);
        assert_eq!(r.host, crate::host::DEFAULT_UNIX_HOST);
    }
}
