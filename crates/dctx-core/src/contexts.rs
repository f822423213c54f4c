//! Every context in a config dir, as `docker context ls` lists them: the
//! `default` context and each stored one, in the CLI's natural order, the
//! one this environment uses marked.

use std::cmp::Ordering;
use std::io;
use std::path::Path;

use serde::Serialize;

use crate::context_meta;
use crate::env::Env;
use crate::fs::FileSystem;
use crate::resolution::{resolve, Resolution, DEFAULT_CONTEXT, DEFAULT_DESCRIPTION};

/// One row of `docker context ls --format json`, with the same keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Listed {
    pub name: String,
    pub description: String,
    pub docker_endpoint: String,
    pub current: bool,
    /// Why this context cannot be used; empty when it can (the CLI fails
    /// the whole listing on a malformed meta.json; dctx lists the rest).
    pub error: String,
}

/// The contexts of `env`'s config dir, and the resolution that says which
/// one is in use and why.
pub fn list(env: &Env, fs: &dyn FileSystem) -> (Vec<Listed>, Resolution) {
    let current = resolve(env, fs);
    (rows(env, fs, &current), current)
}

/// What `docker context ls` lists: [`list`]'s rows and, when the current
/// context (named by `DOCKER_CONTEXT` or config.json) does not exist, a
/// row for it with the CLI's error. Only a listing wants that row: it is
/// no context to switch to, guard or probe.
pub fn listing(env: &Env, fs: &dyn FileSystem) -> (Vec<Listed>, Resolution) {
    let (mut rows, current) = list(env, fs);
    if !current.exists && !rows.iter().any(|r| r.current) {
        rows.push(missing_row(&current));
        rows.sort_by(|a, b| natural_cmp(&a.name, &b.name));
    }
    (rows, current)
}

/// The contexts of `env`'s config dir, `current` (what `env` resolves to)
/// marked: for a caller that has resolved already.
pub fn rows(env: &Env, fs: &dyn FileSystem, current: &Resolution) -> Vec<Listed> {
    let mut rows = vec![default_row(env, fs)];
    let meta_dir = current.config_dir.join("contexts").join("meta");
    match fs.list_dir(&meta_dir) {
        Ok(ids) => rows.extend(
            ids.iter()
                .filter_map(|id| stored_row(fs, &meta_dir.join(id))),
        ),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => rows.push(Listed {
            name: String::new(),
            description: String::new(),
            docker_endpoint: String::new(),
            current: false,
            error: format!("could not list {}: {e}", meta_dir.display()),
        }),
    }
    for row in &mut rows {
        row.current = row.name == current.name;
    }
    rows.sort_by(|a, b| natural_cmp(&a.name, &b.name));
    rows
}

/// `default`, whose endpoint comes from this environment (`DOCKER_HOST`,
/// TLS) and not from a file.
fn default_row(env: &Env, fs: &dyn FileSystem) -> Listed {
    let mut vars: Vec<_> = env
        .vars()
        .filter(|(k, _)| *k != "DOCKER_CONTEXT")
        .map(|(k, v)| (k.to_string(), v.to_os_string()))
        .collect();
    vars.push(("DOCKER_CONTEXT".into(), DEFAULT_CONTEXT.into()));
    let r = resolve(&Env::new(vars, env.home().cloned()), fs);
    Listed {
        name: DEFAULT_CONTEXT.into(),
        description: DEFAULT_DESCRIPTION.into(),
        docker_endpoint: r.host,
        current: false,
        error: String::new(),
    }
}

/// The row the CLI adds for a current context that is not there (named by
/// `DOCKER_CONTEXT` or config.json): no endpoint, and its lookup error cut
/// to 45 columns, as `docker context ls` prints it in a table and in JSON.
fn missing_row(current: &Resolution) -> Listed {
    let path = crate::context_meta::meta_path(&current.config_dir, &current.name);
    let error = format!(
        "context {}: context not found: open {}: no such file or directory",
        go_quote(&current.name),
        path.display()
    );
    Listed {
        name: current.name.clone(),
        description: String::new(),
        docker_endpoint: String::new(),
        current: true,
        error: ellipsis(&error, ERROR_COLUMNS).trim().to_string(),
    }
}

/// The width the CLI cuts a listing's errors to (`formatter.Ellipsis`).
const ERROR_COLUMNS: usize = 45;

/// `s` cut to `width` characters, the last one `…`, as Go's
/// `formatter.Ellipsis` does (counting each character as one column; the
/// CLI counts East Asian wide ones as two).
fn ellipsis(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut cut: String = s.chars().take(width - 1).collect();
    cut.push('…');
    cut
}

/// Go's `%q` of `s`: the quotes and backslashes escaped, control
/// characters as escapes, everything printable as it is.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The context stored in `dir` (one `contexts/meta/<id>`), if it holds a
/// meta.json; a dir without one is no context, for the CLI too.
fn stored_row(fs: &dyn FileSystem, dir: &Path) -> Option<Listed> {
    let path = dir.join("meta.json");
    let unusable = |error: String| Listed {
        name: dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        description: String::new(),
        docker_endpoint: String::new(),
        current: false,
        error,
    };
    let bytes = match fs.read(&path) {
        Ok(bytes) => bytes,
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            return None
        }
        Err(e) => return Some(unusable(format!("could not read {}: {e}", path.display()))),
    };
    Some(match context_meta::parse(&bytes) {
        Ok(meta) => Listed {
            name: meta.name,
            description: meta.description,
            docker_endpoint: meta.host.unwrap_or_default(),
            current: false,
            error: String::new(),
        },
        Err(e) => unusable(format!("could not parse {}: {e}", path.display())),
    })
}

/// The CLI's order (`sortorder.NaturalLess`): runs of digits compare as
/// numbers, everything else byte by byte.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].is_ascii_digit() && b[j].is_ascii_digit() {
            let run = |s: &[u8], mut k: usize| {
                let start = k;
                while k < s.len() && s[k].is_ascii_digit() {
                    k += 1;
                }
                (start, k)
            };
            let ((sa, ea), (sb, eb)) = (run(a, i), run(b, j));
            let trim = |s: &[u8]| {
                let zeros = s.iter().take_while(|&&c| c == b'0').count();
                s[zeros..].to_vec()
            };
            let (na, nb) = (trim(&a[sa..ea]), trim(&b[sb..eb]));
            let by_value = na.len().cmp(&nb.len()).then_with(|| na.cmp(&nb));
            // Equal values: fewer leading zeros first.
            let order = by_value.then_with(|| (ea - sa).cmp(&(eb - sb)));
            if order != Ordering::Equal {
                return order;
            }
            (i, j) = (ea, eb);
        } else {
            if a[i] != b[j] {
                return a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
    }
    (a.len() - i).cmp(&(b.len() - j))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context_meta::meta_path;
    use crate::MemFs;

    #[test]
    fn a_missing_current_context_is_listed_with_the_clis_error() {
        let dir = Path::new("/h/.docker");
        let fs = MemFs::new().with(dir.join("config.json"), r#"{"currentContext":"gone"}"#);
        let env = Env::new(Vec::<(String, String)>::new(), Some("/h".into()));
        let (rows, _) = listing(&env, &fs);
        let names: Vec<_> = rows.iter().map(|r| (r.name.as_str(), r.current)).collect();
        assert_eq!(names, [("default", false), ("gone", true)]);
        // The CLI's rule (Docker 28.2.2, seen with real config dirs; the
        // differential test checks it live): 45 columns, the last one `…`.
        assert_eq!(
            rows[1].error,
            "context \"gone\": context not found: open /h/.…"
        );
        assert_eq!(rows[1].error.chars().count(), ERROR_COLUMNS);
        // `list` (for switching, the guard, probes) has no such row.
        assert_eq!(list(&env, &fs).0.len(), 1);
    }

    #[test]
    fn go_quote_and_ellipsis_are_the_clis() {
        assert_eq!(go_quote("a\"b\\c\n\u{1}\u{7f}é"), r#""a\"b\\c\n\x01\x7fé""#);
        assert_eq!(ellipsis("abc", 3), "abc");
        assert_eq!(ellipsis("abcd", 3), "ab…");
    }

    #[test]
    fn natural_order_is_the_clis() {
        // What `docker context ls` printed for these names (Docker 28.2.2).
        let mut names = ["staging", "ctx10", "default", "aaa", "Zeta", "ctx9", "prod"];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            ["Zeta", "aaa", "ctx9", "ctx10", "default", "prod", "staging"]
        );
        assert_eq!(natural_cmp("a01", "a1"), Ordering::Greater);
        assert_eq!(natural_cmp("a1", "a1b"), Ordering::Less);
    }

    #[test]
    fn lists_default_and_stored_contexts_marking_the_current_one() {
        let dir = Path::new("/h/.docker");
        let meta = |name: &str, host: &str| {
            format!(
                r#"{{"Name":"{name}","Metadata":{{"Description":"d-{name}"}},"Endpoints":{{"docker":{{"Host":"{host}"}}}}}}"#
            )
        };
        let fs = MemFs::new()
            .with(dir.join("config.json"), r#"{"currentContext":"prod"}"#)
            .with(meta_path(dir, "prod"), meta("prod", "ssh://p"))
            .with(meta_path(dir, "ctx10"), meta("ctx10", "tcp://h:10"))
            .with(meta_path(dir, "ctx9"), meta("ctx9", "tcp://h:9"))
            .with(meta_path(dir, "b"), "{broken")
            .with(dir.join("contexts/meta/empty/other"), "");
        let (rows, current) = list(
            &Env::new(Vec::<(String, String)>::new(), Some("/h".into())),
            &fs,
        );
        assert_eq!(current.name, "prod");
        let names: Vec<_> = rows
            .iter()
            .map(|r| (r.name.as_str(), r.current, r.error.is_empty()))
            .collect();
        let broken_id = meta_path(dir, "b")
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        // sha256("b"): a digit first, so it sorts before every name here.
        assert_eq!(&broken_id[..8], "3e23e816");
        // Written out by hand, in `docker context ls`'s order: numbers by
        // value (ctx9 before ctx10), where a byte order would differ.
        let expected = vec![
            (broken_id.as_str(), false, false),
            ("ctx9", false, true),
            ("ctx10", false, true),
            ("default", false, true),
            ("prod", true, true),
        ];
        assert_eq!(names, expected);
        let prod = rows.iter().find(|r| r.name == "prod").unwrap();
        assert_eq!(
            (prod.description.as_str(), prod.docker_endpoint.as_str()),
            ("d-prod", "ssh://p")
        );
        let default = rows.iter().find(|r| r.name == "default").unwrap();
        assert_eq!(default.docker_endpoint, "unix:///var/run/docker.sock");
    }
}
