//! The standalone `docker-compose` (1.29, Python) and its command line:
//! its global options read as docopt 0.6 reads them (`options_first`:
//! they end at the first word that is not one; long options may be
//! abbreviated to a unique prefix; `-fv` gives `-f` the value `v`), and
//! the engine it reaches, which is not the Docker CLI's: docker-py never
//! reads `DOCKER_CONTEXT`, `--context default` ignores `DOCKER_HOST`, the
//! config file falls back from `$DOCKER_CONFIG` to `~/.docker`, and a
//! `.env` file in the project dir may set `DOCKER_HOST`.
//!
//! The guard reads the result as it reads a docker line: a
//! [`CommandLine`], an environment the Docker CLI's resolution turns into
//! compose's target, and the words `compose SUBCOMMAND …` for the table.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use crate::docker_args::{CommandLine, GlobalFlags, LineError};
use crate::env::Env;
use crate::fs::FileSystem;
use crate::pflag::{Given, ScanError};
use crate::resolution::DEFAULT_CONTEXT;

/// docker-py's `DEFAULT_UNIX_SOCKET`: where `-H ''` goes.
const DEFAULT_SOCKET: &str = "unix:///var/run/docker.sock";

/// One option of compose's top-level usage.
struct Opt {
    long: &'static str,
    short: Option<char>,
    takes_value: bool,
    /// `-f` and `--profile` may be given again; any other option given
    /// twice makes docopt refuse the line.
    repeats: bool,
}

const fn opt(long: &'static str, short: Option<char>, takes_value: bool) -> Opt {
    Opt {
        long,
        short,
        takes_value,
        repeats: false,
    }
}

/// `TopLevelCommand`'s usage and options, as docopt collects them (`-h`
/// and `--help` come from the usage line).
const OPTIONS: &[Opt] = &[
    Opt {
        long: "file",
        short: Some('f'),
        takes_value: true,
        repeats: true,
    },
    opt("project-name", Some('p'), true),
    Opt {
        long: "profile",
        short: None,
        takes_value: true,
        repeats: true,
    },
    opt("context", Some('c'), true),
    opt("verbose", None, false),
    opt("log-level", None, true),
    opt("ansi", None, true),
    opt("no-ansi", None, false),
    opt("version", Some('v'), false),
    opt("host", Some('H'), true),
    opt("tls", None, false),
    opt("tlscacert", None, true),
    opt("tlscert", None, true),
    opt("tlskey", None, true),
    opt("tlsverify", None, false),
    opt("skip-hostname-check", None, false),
    opt("project-directory", None, true),
    opt("compatibility", None, false),
    opt("env-file", None, true),
    opt("help", Some('h'), false),
];

/// Parses `args` (the words after `docker-compose`) into the shape of a
/// docker line: `context`, `hosts`, `tls`, `help_or_version`; `command`
/// is the index of the subcommand.
pub fn parse(args: &[OsString]) -> CommandLine {
    let mut given: Vec<Given> = Vec::new();
    let mut i = 0;
    let mut error = None;
    'words: while i < args.len() {
        let start = i;
        let Some(word) = args[i].to_str() else {
            // An option word that is not UTF-8: Python would read it with
            // surrogates; the guard does not guess.
            if args[i].as_bytes().starts_with(b"-") {
                error = Some(unknown(&args[i].to_string_lossy()));
            }
            break;
        };
        if word == "--" {
            i += 1;
            break;
        }
        if !word.starts_with('-') || word == "-" {
            break;
        }
        i += 1;
        let mut found: Vec<(&Opt, Option<String>)> = Vec::new();
        if let Some(long) = word.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            // An exact name first, else a unique prefix of one.
            let similar: Vec<&Opt> = match OPTIONS.iter().find(|o| o.long == name) {
                Some(o) => vec![o],
                None => OPTIONS
                    .iter()
                    .filter(|o| o.long.starts_with(name))
                    .collect(),
            };
            match similar[..] {
                [o] => found.push((o, inline)),
                [] => {
                    error = Some(unknown(&format!("--{name}")));
                    break;
                }
                _ => {
                    error = Some(unknown(&format!("--{name} (not a unique prefix)")));
                    break;
                }
            }
        } else {
            // docopt strips every leading '-', then reads one option per
            // character; one that takes a value takes the rest of the word.
            let mut chars = word.trim_start_matches('-').chars();
            while let Some(c) = chars.next() {
                let Some(o) = OPTIONS.iter().find(|o| o.short == Some(c)) else {
                    error = Some(unknown(&format!("-{c}")));
                    break 'words;
                };
                if o.takes_value {
                    let rest: String = chars.by_ref().collect();
                    found.push((o, Some(rest).filter(|r| !r.is_empty())));
                } else {
                    found.push((o, None));
                }
            }
        }
        for (o, inline) in found {
            let (value, raw) = match (o.takes_value, inline) {
                (false, None) => ("true".to_string(), OsString::from("true")),
                (false, Some(v)) => {
                    error = Some(LineError::InvalidValue {
                        name: o.long,
                        value: v,
                    });
                    break 'words;
                }
                (true, Some(v)) => (v.clone(), OsString::from(v)),
                (true, None) => match args.get(i) {
                    Some(next) => {
                        i += 1;
                        (next.to_string_lossy().into_owned(), next.clone())
                    }
                    None => {
                        error = Some(LineError::Flag(ScanError::MissingValue(o.long.into())));
                        break 'words;
                    }
                },
            };
            given.push(Given {
                name: o.long,
                value,
                raw,
                words: (start, i),
            });
        }
    }
    let command = i;
    let mut flags = GlobalFlags::default();
    for g in &given {
        match g.name {
            // An empty context is none (`if context_name:`).
            "context" => flags.context = Some(g.raw.clone()).filter(|c| !c.is_empty()),
            // `host.lstrip('=')`; an empty one is docker-py's default
            // socket, whatever DOCKER_HOST says.
            "host" => flags.hosts.push(match g.value.trim_start_matches('=') {
                "" => DEFAULT_SOCKET.into(),
                h => h.into(),
            }),
            "tls" => flags.tls = Some(true),
            "tlsverify" => flags.tlsverify = Some(true),
            // docopt prints and exits before it matches anything else.
            "help" | "version" => flags.help_or_version = true,
            _ => {}
        }
    }
    if error.is_none() {
        let twice = OPTIONS
            .iter()
            .find(|o| !o.repeats && given.iter().filter(|g| g.name == o.long).count() > 1);
        let host_given = given.iter().any(|g| g.name == "host");
        if let Some(o) = twice {
            error = Some(unknown(&format!("--{} given twice", o.long)));
        } else if flags.context.is_some() && host_given {
            error = Some(LineError::Conflict);
        }
    }
    CommandLine {
        flags,
        given,
        command,
        error,
    }
}

/// A line docopt would not read as the guard reads it: the guard's
/// fail-safe path (it looks for the table's words anywhere).
fn unknown(what: &str) -> LineError {
    LineError::Flag(ScanError::Unknown(what.to_string()))
}

/// What the guard needs to decide for one `docker-compose` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeView {
    pub line: CommandLine,
    /// The environment in which the Docker CLI's resolution reaches the
    /// engine compose reaches (the line's flags not yet applied).
    pub env: Env,
    /// `compose SUBCOMMAND ARGS…`, for the table's `compose …` rows.
    pub words: Vec<OsString>,
    /// Why the target cannot be known with certainty: then a destructive
    /// command may reach only the local default.
    pub unsure: Option<String>,
    /// Where the target came from when it is not the shell's (a `.env`).
    pub note: Option<String>,
}

/// The first file of `COMPOSE_FILE`, split as compose splits it (on
/// `COMPOSE_PATH_SEPARATOR`, else `:`); what the binary passes to
/// [`read`], since core reads no process environment.
pub fn first_compose_file(value: &OsStr, separator: Option<&OsStr>) -> Option<OsString> {
    if value.is_empty() {
        return None;
    }
    let sep = separator
        .filter(|s| !s.is_empty())
        .map_or(&b":"[..], OsStrExt::as_bytes);
    let bytes = value.as_bytes();
    let end = bytes
        .windows(sep.len())
        .position(|w| w == sep)
        .unwrap_or(bytes.len());
    Some(OsString::from_vec(bytes[..end].to_vec()))
}

/// Reads one `docker-compose ARGS…` line: `env` is the shell's Docker
/// variables, `compose_file` the first file of its `COMPOSE_FILE`.
pub fn read(
    args: &[OsString],
    env: &Env,
    compose_file: Option<&OsStr>,
    fs: &dyn FileSystem,
) -> ComposeView {
    let line = parse(args);
    let mut words = vec![OsString::from("compose")];
    words.extend(args[line.command.min(args.len())..].iter().cloned());
    let mut vars: Vec<(String, OsString)> = env
        .vars()
        // docker-py never reads DOCKER_CONTEXT.
        .filter(|(k, _)| *k != "DOCKER_CONTEXT")
        .map(|(k, v)| (k.to_string(), v.to_os_string()))
        .collect();
    let set = |vars: &mut Vec<(String, OsString)>, key: &str, value: Option<OsString>| {
        vars.retain(|(k, _)| k != key);
        if let Some(v) = value {
            vars.push((key.to_string(), v));
        }
    };
    let mut unsure = None;
    let mut note = None;
    match config_file(env, fs) {
        ConfigFile::Json(dir) => set(&mut vars, "DOCKER_CONFIG", Some(dir.into_os_string())),
        ConfigFile::Legacy(path) => {
            unsure = Some(format!(
                "docker-compose would read its contexts beside {}",
                path.display()
            ))
        }
        ConfigFile::None => {
            if line
                .flags
                .context
                .as_deref()
                .is_some_and(|c| c != OsStr::new(DEFAULT_CONTEXT))
            {
                unsure = Some(
                    "with no config.json, docker-compose looks for contexts in ./contexts".into(),
                );
            }
        }
    }
    if line.flags.context.is_some() {
        // A context, even `default`, is all compose uses: `default` is
        // docker-py's local socket, not DOCKER_HOST.
        set(&mut vars, "DOCKER_HOST", None);
    } else if line.flags.hosts.is_empty() && env.get_os("DOCKER_HOST").is_none() {
        // The shell's DOCKER_HOST would win over the env file's.
        let path = env_file(&line, compose_file);
        match env_file_host(fs, &path) {
            Ok(Some(host)) => {
                note = Some(format!(
                    "DOCKER_HOST={host} comes from {}, which docker-compose reads",
                    path.display()
                ));
                set(&mut vars, "DOCKER_HOST", Some(host.into()));
            }
            Ok(None) => {}
            Err(why) => unsure = Some(why),
        }
    }
    ComposeView {
        env: Env::new(vars, env.home().cloned()),
        line,
        words,
        unsure,
        note,
    }
}

/// Which file docker-py takes its `currentContext` and contexts from.
enum ConfigFile {
    /// A `config.json` in this dir.
    Json(PathBuf),
    /// `~/.dockercfg`: contexts would be looked for beside it.
    Legacy(PathBuf),
    None,
}

/// docker-py's `find_config_file`: `$DOCKER_CONFIG/config.json`, else
/// `~/.docker/config.json`, else `~/.dockercfg`, the first that exists.
fn config_file(env: &Env, fs: &dyn FileSystem) -> ConfigFile {
    let exists = |p: &Path| !matches!(fs.read(p), Err(e) if e.kind() == io::ErrorKind::NotFound);
    let from_env = env
        .get_os("DOCKER_CONFIG")
        .map(|d| Path::new(d).join("config.json"));
    let home = env.home();
    let candidates = from_env
        .into_iter()
        .chain(home.map(|h| h.join(".docker").join("config.json")));
    for path in candidates {
        if exists(&path) {
            return ConfigFile::Json(path.parent().unwrap_or(Path::new("/")).to_path_buf());
        }
    }
    match home.map(|h| h.join(".dockercfg")) {
        Some(legacy) if exists(&legacy) => ConfigFile::Legacy(legacy),
        _ => ConfigFile::None,
    }
}

/// The env file compose reads: `--env-file` (relative to the current
/// dir), else `.env` in `--project-directory`, else beside the first
/// compose file (`-f`, else `COMPOSE_FILE`), else in the current dir.
/// Relative paths stay relative: the guard runs where compose would.
fn env_file(line: &CommandLine, compose_file: Option<&OsStr>) -> EnvFile {
    let value = |name: &str| {
        line.given
            .iter()
            .filter(|g| g.name == name)
            .map(|g| g.raw.clone())
            .collect::<Vec<_>>()
    };
    if let Some(file) = value("env-file").pop() {
        return EnvFile {
            path: PathBuf::from(file),
            given: true,
        };
    }
    let files = value("file");
    let first = files
        .first()
        .cloned()
        .or_else(|| compose_file.map(OsStr::to_os_string));
    let project_dir = value("project-directory").pop().filter(|d| !d.is_empty());
    let dir = match first {
        Some(f) if f == "-" => None,
        Some(f) => project_dir.or_else(|| Some(dirname(&f)).filter(|d| !d.is_empty())),
        None => project_dir,
    };
    EnvFile {
        path: Path::new(&dir.unwrap_or_else(|| ".".into())).join(".env"),
        given: false,
    }
}

struct EnvFile {
    path: PathBuf,
    /// `--env-file`: compose fails when it is missing.
    given: bool,
}

impl EnvFile {
    fn display(&self) -> std::path::Display<'_> {
        self.path.display()
    }
}

/// Python's `os.path.dirname`.
fn dirname(path: &OsStr) -> OsString {
    let p = path.as_bytes();
    let cut = p.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
    let mut head = &p[..cut];
    if !head.iter().all(|&b| b == b'/') {
        while head.last() == Some(&b'/') {
            head = &head[..head.len() - 1];
        }
    }
    OsString::from_vec(head.to_vec())
}

/// The `DOCKER_HOST` an env file gives compose (`None`: none, or empty),
/// read as python-dotenv reads it where the guard can be certain; else
/// why it cannot.
fn env_file_host(fs: &dyn FileSystem, file: &EnvFile) -> Result<Option<String>, String> {
    let shown = crate::guard::visible(&file.display().to_string());
    let bytes = match fs.read(&file.path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound && !file.given => return Ok(None),
        Err(e) => {
            return Err(format!(
                "docker-compose's env file {shown} cannot be read ({e})"
            ))
        }
        Ok(b) => b,
    };
    const KEY: &[u8] = b"DOCKER_HOST";
    if !bytes.windows(KEY.len()).any(|w| w == KEY) {
        return Ok(None);
    }
    let cannot = |why: &str| Err(format!("{shown} sets DOCKER_HOST in a way {why}"));
    // A quoted value may run over lines, and `\r` ends lines too: past
    // them a line-by-line reading is not certain. A quote in a comment
    // line is no value (a value's opening quote is on its key's line).
    let comment = |l: &&[u8]| l.trim_ascii_start().starts_with(b"#");
    let quoted = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !comment(l))
        .any(|l| l.iter().any(|b| matches!(b, b'"' | b'\'')));
    if quoted || bytes.contains(&b'\r') {
        return cannot("the guard does not read (quotes)");
    }
    let Ok(text) = std::str::from_utf8(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes))
    else {
        return cannot("that is not UTF-8");
    };
    let mut host = None;
    for line in text.split('\n') {
        if !line.contains("DOCKER_HOST") {
            continue;
        }
        if !line.is_ascii() {
            return cannot("the guard does not read (not ASCII)");
        }
        let blank = |c: char| c == ' ' || c == '\t';
        let mut rest = line.trim_start_matches(|c: char| c.is_ascii_whitespace());
        if let Some(after) = rest.strip_prefix("export") {
            if after.starts_with(blank) {
                rest = after.trim_start_matches(blank);
            }
        }
        let key_end = rest
            .find(|c: char| c == '=' || c == '#' || c.is_ascii_whitespace())
            .unwrap_or(rest.len());
        let (key, after) = rest.split_at(key_end);
        if key.is_empty() || key != "DOCKER_HOST" {
            // A comment, or another variable that mentions it.
            continue;
        }
        let Some(value) = after.trim_start_matches(blank).strip_prefix('=') else {
            return cannot("the guard does not read (no `=`)");
        };
        // An unquoted value ends at whitespace followed by `#`.
        let value = value.trim_start_matches(blank);
        let value = match value.find(" #").into_iter().chain(value.find("\t#")).min() {
            Some(at) => &value[..at],
            None => value,
        }
        .trim_end();
        if value.contains('$') || value.contains('\\') {
            return cannot("the guard does not read (interpolation)");
        }
        host = Some(value.to_string()).filter(|v| !v.is_empty());
    }
    Ok(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemFs;

    fn line(words: &str) -> CommandLine {
        let args: Vec<OsString> = words.split_whitespace().map(OsString::from).collect();
        parse(&args)
    }

    fn context_and_command(words: &str) -> (Option<String>, usize, Option<LineError>) {
        let l = line(words);
        let context = l.flags.context.map(|c| c.to_string_lossy().into_owned());
        (context, l.command, l.error)
    }

    #[test]
    fn docopt_spellings_and_where_the_options_end() {
        // Each as docker-compose 1.29.2 read it, its target seen on a
        // recording engine (or its usage error).
        let prod = Some("prod".to_string());
        for (words, context, command) in [
            ("--context prod down", &prod, 2),
            ("--context=prod down", &prod, 1),
            ("-c prod down", &prod, 2),
            ("-cprod down", &prod, 1),
            ("--cont prod down", &prod, 2),
            ("--conte=prod down", &prod, 1),
            ("-f x.yml -c prod down", &prod, 4),
            ("-fx.yml --verbose -c prod down", &prod, 4),
            ("-- --context prod down", &None, 1),
            ("--context= down", &None, 1),
        ] {
            assert_eq!(
                context_and_command(words),
                (context.clone(), command, None),
                "{words}"
            );
        }
        // `-vf x`: -v is --version, then -f takes the next word.
        assert!(line("-vf x down").flags.help_or_version);
        // `-fv`: -f takes `v`; no version.
        let l = line("-fv down");
        assert!(!l.flags.help_or_version);
        assert_eq!((l.given[0].value.as_str(), l.command), ("v", 1));
        // Options end at the subcommand: its own -c/-H are its business.
        assert_eq!(context_and_command("down -c prod"), (None, 0, None));
        assert!(line("--he down").flags.help_or_version);
        assert!(line("-h down").flags.help_or_version);
        assert!(line("--version down").flags.help_or_version);
    }

    #[test]
    fn hosts_and_what_docopt_refuses() {
        let l = line("-H=tcp://h:1 down");
        assert_eq!(l.flags.hosts, ["tcp://h:1"]);
        assert_eq!(line("--ho tcp://h:2 down").flags.hosts, ["tcp://h:2"]);
        assert_eq!(line("--host= down").flags.hosts, [DEFAULT_SOCKET]);
        assert_eq!(line("--tlsv down").flags.tlsverify, Some(true));
        // Ambiguous prefixes, unknown options, repeats: fail safe.
        for words in [
            "--h x down",
            "--tlsc x down",
            "--nope down",
            "-x down",
            "-c a -c b down",
            "-H a -H b down",
        ] {
            assert!(
                matches!(
                    line(words).error,
                    Some(LineError::Flag(ScanError::Unknown(_)))
                ),
                "{words}"
            );
        }
        assert_eq!(
            line("-c a -H tcp://h down").error,
            Some(LineError::Conflict)
        );
        assert_eq!(line("--context= -H tcp://h:3 down").error, None);
        assert!(matches!(
            line("--verbose=1 down").error,
            Some(LineError::InvalidValue {
                name: "verbose",
                ..
            })
        ));
        assert!(matches!(
            line("-c").error,
            Some(LineError::Flag(ScanError::MissingValue(_)))
        ));
        // -f and --profile repeat.
        assert_eq!(line("-f a -f b --profile x --profile y down").error, None);
    }

    fn env(vars: &[(&str, &str)]) -> Env {
        Env::new(vars.iter().copied(), Some("/h".into()))
    }

    fn view(vars: &[(&str, &str)], words: &str, fs: &MemFs) -> ComposeView {
        let args: Vec<OsString> = words.split_whitespace().map(OsString::from).collect();
        read(&args, &env(vars), None, fs)
    }

    #[test]
    fn docker_context_is_ignored_and_the_config_falls_back_to_home() {
        let fs = MemFs::new().with("/h/.docker/config.json", "{}");
        let v = view(
            &[("DOCKER_CONTEXT", "prod"), ("DOCKER_CONFIG", "/nowhere")],
            "down",
            &fs,
        );
        assert_eq!(v.env.get("DOCKER_CONTEXT"), None);
        assert_eq!(v.env.get("DOCKER_CONFIG").as_deref(), Some("/h/.docker"));
        assert_eq!(v.words, ["compose", "down"]);
        let v = view(
            &[("DOCKER_HOST", "tcp://h:1")],
            "--context default down",
            &fs,
        );
        assert_eq!(v.env.get("DOCKER_HOST"), None);
        assert_eq!(v.unsure, None);
        // No config.json anywhere: docker-py would look in ./contexts.
        assert!(view(&[], "-c prod down", &MemFs::new()).unsure.is_some());
        assert!(view(&[], "-c default down", &MemFs::new()).unsure.is_none());
    }

    #[test]
    fn the_env_file_is_read_where_compose_reads_it() {
        let fs = MemFs::new()
            .with("/h/.docker/config.json", "{}")
            .with(
                "./.env",
                "A=1\n  # DOCKER_HOST='tcp://no:1'\nexport DOCKER_HOST=tcp://h:1 # c\n",
            )
            .with("p/.env", "DOCKER_HOST=tcp://p:2\n")
            .with("q/.env", "DOCKER_HOST=\"tcp://q:3\"\n")
            .with("r/.env", "DOCKER_HOST=${X}\n")
            .with("s/.env", "DOCKER_HOST=tcp://s:4\nDOCKER_HOST=\n");
        let host = |vars: &[(&str, &str)], words: &str| {
            let v = view(vars, words, &fs);
            (
                v.env.get("DOCKER_HOST").map(|h| h.into_owned()),
                v.unsure.is_some(),
            )
        };
        assert_eq!(host(&[], "down"), (Some("tcp://h:1".into()), false));
        assert_eq!(
            host(&[], "-f p/x.yml down"),
            (Some("tcp://p:2".into()), false)
        );
        assert_eq!(
            host(&[], "--project-directory p -f x.yml down"),
            (Some("tcp://p:2".into()), false)
        );
        assert_eq!(
            host(&[], "--env-file p/.env down"),
            (Some("tcp://p:2".into()), false)
        );
        assert_eq!(host(&[], "-f - down"), (Some("tcp://h:1".into()), false));
        assert_eq!(host(&[], "-f q/x.yml down"), (None, true));
        assert_eq!(host(&[], "-f r/x.yml down"), (None, true));
        assert_eq!(host(&[], "-f s/x.yml down"), (None, false));
        assert_eq!(host(&[], "--env-file missing down"), (None, true));
        assert_eq!(host(&[], "-f nodir/x.yml down"), (None, false));
        // The shell's DOCKER_HOST, a context or -H: the file does not count.
        assert_eq!(
            host(&[("DOCKER_HOST", "tcp://e:5")], "down"),
            (Some("tcp://e:5".into()), false)
        );
        assert_eq!(host(&[], "-c prod down"), (None, false));
        assert_eq!(host(&[], "-f q/x.yml -H tcp://x:6 down"), (None, false));
        let compose_file = OsString::from("p/one.yml");
        let v = read(
            &[OsString::from("down")],
            &env(&[]),
            Some(&compose_file),
            &fs,
        );
        assert_eq!(v.env.get("DOCKER_HOST").as_deref(), Some("tcp://p:2"));
    }

    #[test]
    fn compose_file_and_dirname_as_python_splits_them() {
        let first = |v: &str, s: Option<&str>| {
            first_compose_file(OsStr::new(v), s.map(OsStr::new)).map(|f| f.into_string().unwrap())
        };
        assert_eq!(first("a/x.yml:b.yml", None).as_deref(), Some("a/x.yml"));
        assert_eq!(
            first("a:x.yml;b.yml", Some(";")).as_deref(),
            Some("a:x.yml")
        );
        assert_eq!(first("", None), None);
        for (path, dir) in [
            ("x.yml", ""),
            ("/a/x.yml", "/a"),
            ("/x", "/"),
            ("a//b", "a"),
            ("a/", "a"),
        ] {
            assert_eq!(dirname(OsStr::new(path)), dir, "{path}");
        }
    }
}
