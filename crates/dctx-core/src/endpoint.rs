//! Endpoints compared as the engines they reach, not as text: the guard
//! protects "an endpoint that a protected context also has, whatever the
//! name used to reach it", and `unix:///run//prod.sock`, a symlink to that
//! socket, `unix://prod.sock` run from its directory, or `tcp://localhost`
//! for a context on `tcp://127.0.0.1` all reach the same engine.
//!
//! The comparison errs towards "the same": two endpoints that might reach
//! one engine compare equal (a TCP endpoint without a port matches any
//! port of that host; an SSH user is ignored, since every user reaches the
//! one engine). An endpoint that cannot be read at all is an error, which
//! the guard treats as "cannot decide".

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::fs::FileSystem;
use crate::gopath;

/// One endpoint, normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A Unix socket: the path made absolute against the command's working
    /// directory and cleaned, with symlinks resolved and its inode when a
    /// file is there.
    Unix {
        path: PathBuf,
        inode: Option<(u64, u64)>,
    },
    /// TCP: the host case-folded, every loopback and unspecified address
    /// (`localhost`, `127.0.0.0/8`, `::1`, `0.0.0.0`, `::`) as
    /// `localhost`, names mapped through `/etc/hosts`; the port if given.
    Tcp { host: String, port: Option<u16> },
    /// SSH: the host as TCP's, and the port (22 unless given).
    Ssh { host: String, port: u16 },
    /// Anything else (`npipe://`, `fd://`): the text.
    Other(String),
}

/// What the comparison needs besides the endpoint text.
pub struct Place<'a> {
    /// The working directory of the docker that would dial: a relative
    /// socket path is relative to it.
    pub cwd: &'a Path,
    pub fs: &'a dyn FileSystem,
    /// `/etc/hosts`, read once by the caller (see [`hosts_file`]).
    pub hosts: &'a [(IpAddr, Vec<String>)],
}

impl Endpoint {
    /// Reads `host` (what `docker context inspect` shows as the context's
    /// host, or a normalized `DOCKER_HOST`).
    pub fn parse(host: &str, place: &Place) -> Result<Endpoint, String> {
        let host = host.trim();
        let Some((scheme, rest)) = host.split_once("://") else {
            return Err(format!("{host:?} has no scheme"));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "unix" => {
                if rest.is_empty() {
                    return Err(format!("{host:?} has no socket path"));
                }
                // The kernel resolves the path as given (a `..` after a
                // symlink leaves the symlink's target); the lexical
                // cleaning is for a socket that is not there.
                let given = place.cwd.join(rest);
                let path = gopath::join(place.cwd, &gopath::clean(Path::new(rest)));
                Ok(match place.fs.locate(&given) {
                    Some(found) => Endpoint::Unix {
                        path: found.path,
                        inode: Some(found.inode),
                    },
                    None => Endpoint::Unix { path, inode: None },
                })
            }
            "tcp" | "http" | "https" => {
                let (name, port) = authority(rest)?;
                Ok(Endpoint::Tcp {
                    host: host_key(&name, place.hosts),
                    port,
                })
            }
            "ssh" => {
                let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
                let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
                let (name, port) = authority_parts(authority)?;
                Ok(Endpoint::Ssh {
                    host: host_key(&name, place.hosts),
                    port: port.unwrap_or(22),
                })
            }
            _ => Ok(Endpoint::Other(host.to_string())),
        }
    }

    /// Whether the two may reach the same engine.
    pub fn same_engine(&self, other: &Endpoint) -> bool {
        use Endpoint::*;
        match (self, other) {
            (Unix { path: a, inode: x }, Unix { path: b, inode: y }) => {
                a == b || (x.is_some() && x == y)
            }
            (Tcp { host: a, port: p }, Tcp { host: b, port: q }) => {
                a == b && (p == q || p.is_none() || q.is_none())
            }
            (Ssh { host: a, port: p }, Ssh { host: b, port: q }) => a == b && p == q,
            (Other(a), Other(b)) => a == b,
            _ => false,
        }
    }
}

/// The host and port of a `tcp://` remainder (`host:port/path`).
fn authority(rest: &str) -> Result<(String, Option<u16>), String> {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(format!("{rest:?}: a TCP endpoint has no user"));
    }
    authority_parts(authority)
}

fn authority_parts(authority: &str) -> Result<(String, Option<u16>), String> {
    let (name, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (name, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("{authority:?}: unclosed ["))?;
        (name, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((name, port)) if !name.contains(':') => (name, Some(port)),
            Some(_) => (authority, None),
            None => (authority, None),
        }
    };
    if name.is_empty() {
        return Err(format!("{authority:?} has no host"));
    }
    let port = match port.filter(|p| !p.is_empty()) {
        Some(p) => Some(
            p.parse::<u16>()
                .map_err(|_| format!("{authority:?}: {p:?} is not a port"))?,
        ),
        None => None,
    };
    Ok((name.to_string(), port))
}

/// The name two spellings of one host share.
fn host_key(name: &str, hosts: &[(IpAddr, Vec<String>)]) -> String {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let address = name.parse::<IpAddr>().ok().or_else(|| {
        hosts
            .iter()
            .find(|(_, names)| names.contains(&name))
            .map(|(ip, _)| *ip)
    });
    match address {
        Some(ip) if is_local(ip) => "localhost".to_string(),
        Some(ip) => ip.to_string(),
        None => name,
    }
}

fn is_local(ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    ip.is_loopback() || ip.is_unspecified()
}

/// `/etc/hosts` as (address, lower-case names), read through `fs`; empty
/// when it cannot be read.
pub fn hosts_file(fs: &dyn FileSystem) -> Vec<(IpAddr, Vec<String>)> {
    let Ok(bytes) = fs.read(Path::new("/etc/hosts")) else {
        return Vec::new();
    };
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter_map(|line| {
            let line = line.split('#').next().unwrap_or_default();
            let mut words = line.split_whitespace();
            let ip = words.next()?.parse().ok()?;
            Some((ip, words.map(|w| w.to_ascii_lowercase()).collect()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemFs;

    fn endpoint(host: &str, fs: &MemFs) -> Endpoint {
        let hosts = vec![
            ("127.0.1.1".parse().unwrap(), vec!["jump".to_string()]),
            ("10.0.0.5".parse().unwrap(), vec!["prod-01".to_string()]),
        ];
        let place = Place {
            cwd: Path::new("/run/me"),
            fs,
            hosts: &hosts,
        };
        Endpoint::parse(host, &place).unwrap()
    }

    fn same(a: &str, b: &str, fs: &MemFs) -> bool {
        endpoint(a, fs).same_engine(&endpoint(b, fs))
    }

    #[test]
    fn unix_sockets_by_path_cleaned_absolute_and_resolved() {
        let fs = MemFs::new()
            .with_located("/run/prod.sock", "/run/prod.sock", 7)
            .with_located("/run/me/link.sock", "/run/prod.sock", 7)
            .with_located("/srv/hard.sock", "/srv/hard.sock", 7);
        let prod = "unix:///run/prod.sock";
        for other in [
            "unix:///run//prod.sock",
            "unix:///run/./prod.sock",
            "unix:///run/x/../prod.sock",
            "unix://../prod.sock",
            "unix://./link.sock",
            "unix://link.sock",
            "unix:///srv/hard.sock",
            " unix:///run/prod.sock ",
        ] {
            assert!(same(prod, other, &fs), "{other}");
        }
        assert!(!same(prod, "unix:///run/dev.sock", &fs));
        assert!(!same(prod, "tcp://localhost:2375", &fs));
    }

    #[test]
    fn tcp_hosts_by_address_and_port() {
        let fs = MemFs::new();
        for (a, b) in [
            ("tcp://localhost:2375", "tcp://127.0.0.1:2375"),
            ("tcp://LOCALHOST:2375/", "tcp://[::1]:2375"),
            ("tcp://0.0.0.0:2375", "tcp://127.0.0.2:2375"),
            ("tcp://jump:2375", "tcp://localhost:2375"),
            ("tcp://prod-01:2376", "tcp://10.0.0.5:2376"),
            ("tcp://Prod-01.:2376", "tcp://prod-01:2376"),
            ("tcp://10.0.0.5", "tcp://10.0.0.5:2376"),
            ("tcp://[::ffff:127.0.0.1]:1", "tcp://localhost:1"),
            ("ssh://deploy@prod-01", "ssh://root@10.0.0.5:22"),
        ] {
            assert!(same(a, b, &fs), "{a} {b}");
        }
        for (a, b) in [
            ("tcp://localhost:2375", "tcp://localhost:2376"),
            ("tcp://10.0.0.5:2375", "tcp://10.0.0.6:2375"),
            ("ssh://prod-01", "ssh://prod-01:2222"),
            ("ssh://prod-01", "tcp://prod-01:22"),
        ] {
            assert!(!same(a, b, &fs), "{a} {b}");
        }
    }

    #[test]
    fn what_cannot_be_read_is_an_error() {
        let fs = MemFs::new();
        let hosts = Vec::new();
        let place = Place {
            cwd: Path::new("/"),
            fs: &fs,
            hosts: &hosts,
        };
        for bad in [
            "prod",
            "unix://",
            "tcp://:2375",
            "tcp://h:port",
            "tcp://[::1",
        ] {
            assert!(Endpoint::parse(bad, &place).is_err(), "{bad}");
        }
        assert_eq!(
            Endpoint::parse("npipe:////./pipe/docker", &place),
            Ok(Endpoint::Other("npipe:////./pipe/docker".into()))
        );
    }
}
