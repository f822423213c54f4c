//! Reading a docker command line for its class (`table.rs`): the CLI's
//! aliases (`docker rmi` is `docker image rm`), the flags the compose and
//! buildx plugins take in front of their own subcommands (`docker compose
//! -f x -p y --profile z down`), each command's own flags as pflag reads
//! them (whether `-h` is help or a value), and the user's entries and
//! refuse level on top (`Table`).

use std::ffi::OsString;

pub use super::table::{Class, Row, When, FLAGS, PLUGINS, ROWS};
use crate::pflag::{self, Arity, Flag};

/// Every command the CLI lists aliases for, with those aliases, as
/// `docker <command> --help` prints them (the integration tests hold this
/// against the installed CLI, both ways).
pub const ALIASES: &[(&str, &[&str])] = &[
    ("checkpoint ls", &["checkpoint list"]),
    ("checkpoint rm", &["checkpoint remove"]),
    ("config ls", &["config list"]),
    ("config rm", &["config remove"]),
    ("container attach", &["attach"]),
    ("container commit", &["commit"]),
    ("container cp", &["cp"]),
    ("container create", &["create"]),
    ("container diff", &["diff"]),
    ("container exec", &["exec"]),
    ("container export", &["export"]),
    ("container kill", &["kill"]),
    ("container logs", &["logs"]),
    ("container ls", &["container list", "container ps", "ps"]),
    ("container pause", &["pause"]),
    ("container port", &["port"]),
    ("container rename", &["rename"]),
    ("container restart", &["restart"]),
    ("container rm", &["container remove", "rm"]),
    ("container run", &["run"]),
    ("container start", &["start"]),
    ("container stats", &["stats"]),
    ("container stop", &["stop"]),
    ("container top", &["top"]),
    ("container unpause", &["unpause"]),
    ("container update", &["update"]),
    ("container wait", &["wait"]),
    ("context ls", &["context list"]),
    ("context rm", &["context remove"]),
    ("image build", &["build", "builder build"]),
    ("image history", &["history"]),
    ("image import", &["import"]),
    ("image load", &["load"]),
    ("image ls", &["image list", "images"]),
    ("image pull", &["pull"]),
    ("image push", &["push"]),
    ("image rm", &["image remove", "rmi"]),
    ("image save", &["save"]),
    ("image tag", &["tag"]),
    ("network ls", &["network list"]),
    ("network rm", &["network remove"]),
    ("node ls", &["node list"]),
    ("node rm", &["node remove"]),
    ("plugin ls", &["plugin list"]),
    ("plugin rm", &["plugin remove"]),
    ("secret ls", &["secret list"]),
    ("secret rm", &["secret remove"]),
    ("service ls", &["service list"]),
    ("service rm", &["service remove"]),
    ("stack deploy", &["stack up"]),
    ("stack ls", &["stack list"]),
    ("stack rm", &["stack remove", "stack down"]),
    ("system events", &["events"]),
    ("system info", &["info"]),
    ("volume ls", &["volume list"]),
    ("volume rm", &["volume remove"]),
];

/// The CLI's management commands: the word after one is its subcommand.
pub const MANAGEMENT: &[&str] = &[
    "builder",
    "checkpoint",
    "config",
    "container",
    "context",
    "image",
    "manifest",
    "network",
    "node",
    "plugin",
    "secret",
    "service",
    "stack",
    "swarm",
    "system",
    "trust",
    "volume",
];

/// Top-level commands of the CLI that are no alias of another.
const TOP_LEVEL: &[&str] = &["inspect", "login", "logout", "search", "version"];

/// `docker compose`'s own flags (docker/compose's root command).
const COMPOSE_FLAGS: &[Flag] = &[
    ("all-resources", None, Arity::Bool),
    ("ansi", None, Arity::Value),
    ("compatibility", None, Arity::Bool),
    ("dry-run", None, Arity::Bool),
    ("env-file", None, Arity::Value),
    ("file", Some('f'), Arity::Value),
    ("help", Some('h'), Arity::Bool),
    ("no-ansi", None, Arity::Bool),
    ("parallel", None, Arity::Value),
    ("profile", None, Arity::Value),
    ("progress", None, Arity::Value),
    ("project-directory", None, Arity::Value),
    ("project-name", Some('p'), Arity::Value),
    ("verbose", None, Arity::Bool),
    ("version", Some('v'), Arity::Bool),
    ("workdir", None, Arity::Value),
];

/// `docker buildx`'s own flags.
const BUILDX_FLAGS: &[Flag] = &[
    ("builder", None, Arity::Value),
    ("debug", Some('D'), Arity::Bool),
    ("help", Some('h'), Arity::Bool),
];

fn plugin_flags(name: &str) -> Option<&'static [Flag]> {
    match name {
        "compose" => Some(COMPOSE_FLAGS),
        "buildx" => Some(BUILDX_FLAGS),
        _ => None,
    }
}

/// `path` (words separated by spaces) with the CLI's aliases resolved:
/// `rmi` → `image rm`, `stack down` → `stack rm`, `system prune` as is.
pub fn canonical(path: &str) -> String {
    let words: Vec<&str> = path.split_whitespace().collect();
    for take in [2, 1] {
        if words.len() < take {
            continue;
        }
        let head = words[..take].join(" ");
        if let Some((canon, _)) = ALIASES.iter().find(|(_, a)| a.contains(&head.as_str())) {
            let mut out = vec![*canon];
            out.extend(&words[take..]);
            return out.join(" ");
        }
    }
    words.join(" ")
}

/// The table the guard classes by: the built-in rows with the user's
/// changes, and the weakest class it refuses on a protected target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// `[guard] refuse`: `Destructive` (the default) or `Write`.
    pub refuse: Class,
    /// `[guard] destructive = [...]` was given: it replaces the built-in
    /// destructive rows, which then count as write.
    pub replaced: bool,
    /// The user's entries in [`canonical`] form with the class each gives
    /// the commands it starts; a later entry wins over an earlier one.
    pub entries: Vec<(String, Class)>,
    /// The system settings' table (`/etc/dctx/config.toml`), which this
    /// one may only add to: a line is classed by both and the stricter
    /// class wins, so no user entry lowers what the system file refuses.
    pub floor: Option<Box<Floor>>,
}

/// A table beneath another one, and the file it came from (for reasons).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Floor {
    pub table: Table,
    pub file: String,
}

/// The built-in table: destructive commands are refused.
pub fn builtin_table() -> Table {
    Table {
        refuse: Class::Destructive,
        replaced: false,
        entries: Vec::new(),
        floor: None,
    }
}

impl Table {
    /// Puts `floor` (from `file`) beneath this table: both refuse at the
    /// stricter of their levels (`writes` beats `destructive`).
    pub fn with_floor(mut self, mut floor: Table, file: &str) -> Table {
        let refuse = self.refuse.min(floor.refuse);
        self.refuse = refuse;
        floor.refuse = refuse;
        self.floor = Some(Box::new(Floor {
            table: floor,
            file: file.to_string(),
        }));
        self
    }

    /// This table without its floor.
    fn own(&self) -> Table {
        Table {
            floor: None,
            ..self.clone()
        }
    }
}

/// Whether `word` starts a command of the CLI itself (not a plugin's):
/// `rmi`, `container`, `login`.
pub fn is_cli_word(word: &str) -> bool {
    MANAGEMENT.contains(&word)
        || TOP_LEVEL.contains(&word)
        || ALIASES.iter().any(|(_, a)| a.contains(&word))
}

/// The row for `command` ([`canonical`] form), if the table has one.
pub fn row(command: &str) -> Option<&'static Row> {
    ROWS.iter().find(|r| r.command == command)
}

/// Whether rows exist under `path` (`container`, `trust key`): a command
/// whose next word is a subcommand.
fn has_children(path: &str) -> bool {
    ROWS.iter().any(|r| {
        r.command
            .strip_prefix(path)
            .is_some_and(|rest| rest.starts_with(' '))
    })
}

/// The flags of `command` and whether they may follow its arguments, from
/// [`FLAGS`], with the help flag cobra adds (`-h` only where no other flag
/// took it: `run -h` is `--hostname`).
fn flags_of(command: &str) -> Option<(Vec<Flag>, bool)> {
    let &(_, interspersed, spec) = FLAGS.iter().find(|(c, _, _)| *c == command)?;
    let mut flags: Vec<Flag> = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let mut short = None;
        let mut long = "";
        for part in item.split_whitespace() {
            match part.strip_prefix("--") {
                Some(l) => long = l,
                None => short = part.strip_prefix('-').and_then(|s| s.chars().next()),
            }
        }
        let (name, arity) = match long.strip_suffix('=') {
            Some(n) => (n, Arity::Value),
            None => (long, Arity::Bool),
        };
        flags.push((name, short, arity));
    }
    if !flags.iter().any(|(n, _, _)| *n == "help") {
        let h = (!flags.iter().any(|(_, s, _)| *s == Some('h'))).then_some('h');
        flags.push(("help", h, Arity::Bool));
    }
    Some((flags, interspersed))
}

/// A command's own arguments read by its flags, as cobra reads them.
struct OwnFlags {
    given: Vec<(&'static str, String)>,
    /// pflag would stop with an error: nothing after it is certain.
    error: bool,
}

/// Reads every flag among `args`: with `interspersed`, flags may follow
/// arguments; `--` ends them, and a flag's value is taken whatever it
/// looks like (`--hostname -h`).
fn read_flags(args: &[OsString], flags: &[Flag], interspersed: bool) -> OwnFlags {
    let mut out = OwnFlags {
        given: Vec::new(),
        error: false,
    };
    let mut i = 0;
    while i < args.len() {
        let s = pflag::scan(&args[i..], flags);
        out.given
            .extend(s.given.iter().map(|g| (g.name, g.value.clone())));
        if s.error.is_some() {
            out.error = true;
            return out;
        }
        let ended_by_dashes = s.rest > 0
            && args[i + s.rest - 1] == "--"
            && s.given.last().is_none_or(|g| g.words.1 < s.rest);
        i += s.rest;
        if ended_by_dashes || !interspersed || i >= args.len() {
            return out;
        }
        // An argument: flags may follow it.
        i += 1;
    }
    out
}

/// What one command line does, as far as the guard is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Classified {
    /// The command with aliases resolved (`image rm` for `rmi`), or the
    /// first word of a plugin no one taught dctx.
    pub command: String,
    /// What it does to the engine, flags and the user's settings applied.
    pub class: Class,
    /// Why it is of that class, a phrase (`removes containers`).
    pub why: String,
    /// The table's row or the user's entry, when the class is one the
    /// table refuses (at or above `Table::refuse`).
    pub matched: Option<String>,
    /// Why the words could not be read with certainty; the guard then
    /// looks for the table's words anywhere in the line ([`find_anywhere`]).
    pub unsure: Option<String>,
    /// Why the line changes nothing although its command is in the table
    /// (`--help`, compose's `--dry-run`).
    pub inert: Option<&'static str>,
}

impl Classified {
    /// One sentence for the guard's reasons: what the command is and does.
    pub fn summary(&self) -> String {
        let what = if self.command.is_empty() {
            "no command".to_string()
        } else {
            format!("`{}`", self.command)
        };
        format!("{what} is {}: it {}", self.class.as_str(), self.why)
    }
}

/// Words of a line read at most: past them a `--help` goes unseen, which
/// only ever refuses more.
const MAX_WORDS: usize = 4096;

/// Where [`find_anywhere`] looks for a command, at most.
pub const MAX_SCAN: usize = 64;

fn is_flag(s: &str) -> bool {
    s.starts_with('-') && s != "-"
}

fn is_help(s: &str) -> bool {
    s == "-h" || s == "--help"
}

/// Classifies `words` (the command and its arguments, after docker's
/// global flags) by `table`.
pub fn classify(words: &[OsString], table: &Table) -> Classified {
    let Some(floor) = &table.floor else {
        return classify_own(words, table);
    };
    let mine = classify_own(words, &table.own());
    let mut theirs = classify(words, &floor.table);
    // The floor's class counts when it refuses and this table does not,
    // or when it is stronger: a user entry can only add.
    let floor_wins = match (&mine.matched, &theirs.matched) {
        (None, Some(_)) => true,
        (Some(_), None) => false,
        _ => theirs.class > mine.class,
    };
    if floor_wins {
        theirs.why = format!("{} (by {})", theirs.why, floor.file);
        return theirs;
    }
    mine
}

/// [`classify`] by `table`'s own rows and entries.
fn classify_own(words: &[OsString], table: &Table) -> Classified {
    let words = &words[..words.len().min(MAX_WORDS)];
    let mut out = read_line(words, table);
    if out.unsure.is_some() || out.matched.is_some() {
        // Settled while reading: an unreadable line, or an entry for a
        // plugin no one taught dctx. Unreadable, it is at least a write.
        if out.matched.is_none() && out.class >= table.refuse {
            out.matched = Some(out.command.clone());
        }
        return out;
    }
    // The user's entries, then `destructive = [...]` replacing the rows.
    let path: Vec<&str> = out.command.split(' ').collect();
    let entry = table.entries.iter().rev().find(|(e, _)| {
        let e: Vec<&str> = e.split(' ').collect();
        path.len() >= e.len() && path[..e.len()] == e[..]
    });
    if let Some((e, class)) = entry {
        out.class = *class;
        out.why = format!("is listed in [guard] settings as {e:?}");
        out.matched = (out.class >= table.refuse).then(|| e.clone());
        return out;
    }
    if table.replaced && out.class == Class::Destructive {
        out.class = Class::Write;
        out.why = format!(
            "{} (not in [guard] destructive, which replaces the built-in list)",
            out.why
        );
    }
    out.matched =
        (out.class >= table.refuse && !out.command.is_empty()).then(|| out.command.clone());
    out
}

/// The class of `words` by the built-in rows alone; `matched` is set only
/// for lines that cannot be read (`unsure`).
fn read_line(words: &[OsString], table: &Table) -> Classified {
    let w: Vec<String> = words
        .iter()
        .map(|x| x.to_string_lossy().into_owned())
        .collect();
    let mut out = Classified {
        why: "does nothing".into(),
        ..Classified::default()
    };
    let Some(first) = w.first() else {
        return out;
    };
    // `docker builder X` is `docker buildx X` when buildx is installed, and
    // only `build` and `prune` otherwise: read it as the stronger of both.
    let redirected = first == "builder"
        && w.get(1)
            .is_some_and(|s| !matches!(s.as_str(), "build" | "prune") && !is_help(s));
    let plugin = if redirected { "buildx" } else { first.as_str() };
    if let Some(flags) = plugin_flags(plugin) {
        let scanned = pflag::scan(&words[1..], flags);
        if let Some(e) = scanned.error {
            out.command = plugin.to_string();
            out.unsure = Some(format!("docker {first}: {e}"));
            out.class = Class::Write;
            out.why = "runs a plugin command that cannot be read".into();
            out.matched = scan_anywhere(plugin, &w[1..], table);
            if let Some(m) = &out.matched {
                out.class = out.class.max(class_of_entry(m, table));
            }
            return out;
        }
        for g in &scanned.given {
            match g.name {
                "help" | "version" if pflag::parse_bool(&g.value) != Some(false) => {
                    out.inert = Some("it only prints help or a version");
                }
                "dry-run" if pflag::parse_bool(&g.value) != Some(false) => {
                    out.inert = Some("compose's --dry-run changes nothing");
                }
                _ => {}
            }
        }
        let at = 1 + scanned.rest;
        return match w.get(at) {
            Some(sub) => {
                let path = format!("{plugin} {sub}");
                leaf(&path, &words[at + 1..], out)
            }
            None => {
                out.command = plugin.to_string();
                out.why = "only prints its commands".into();
                out
            }
        };
    }
    if MANAGEMENT.contains(&first.as_str()) {
        let mut path = first.clone();
        let mut at = 1;
        loop {
            let Some(next) = w.get(at) else {
                out.command = path;
                out.why = "only prints its commands".into();
                return out;
            };
            if is_flag(next) {
                if is_help(next) {
                    out.command = path;
                    out.why = "only prints its commands".into();
                    out.inert = Some("it only prints help");
                    return out;
                }
                if only_reads_under(&path, table) {
                    // Whatever subcommand cobra finds past the flag, it
                    // sends no mutation (`docker context -D use x`).
                    out.command = path;
                    out.why = "has only commands that send nothing that changes an engine".into();
                    return out;
                }
                // cobra looks for the subcommand past flags here (`docker
                // container -D rm x` removes), and a global flag there may
                // change the target: not read with certainty.
                out.unsure = Some(format!(
                    "docker {path}: a flag ({next}) before its subcommand"
                ));
                out.matched = scan_anywhere(&path, &w[at..], table);
                out.class = match &out.matched {
                    Some(m) => class_of_entry(m, table).max(Class::Write),
                    None => Class::Write,
                };
                out.why = "runs a subcommand that cannot be read".into();
                out.command = path;
                return out;
            }
            let candidate = canonical(&format!("{path} {next}"));
            at += 1;
            if has_children(&candidate) && row(&candidate).is_none() {
                path = candidate;
                continue;
            }
            if row(&candidate).is_none() && only_reads_under(&path, table) {
                // Not a command of one that only reads: docker refuses it.
                out.command = candidate;
                out.why = format!("is no command of `docker {path}`, which only reads");
                return out;
            }
            return leaf(&candidate, &words[at..], out);
        }
    }
    if TOP_LEVEL.contains(&first.as_str())
        || ALIASES.iter().any(|(_, a)| a.contains(&first.as_str()))
    {
        return leaf(&canonical(first), &words[1..], out);
    }
    // A plugin whose flags dctx does not know: it may change anything. An
    // entry for it matches when its words appear in order, which may
    // refuse too much but never too little.
    out.command = first.clone();
    out.class = Class::Write;
    out.why = "runs a plugin the guard does not know".into();
    if let Some(m) = scan_anywhere(first, &w[1..], table) {
        out.class = class_of_entry(&m, table);
        out.why = format!("is listed in [guard] settings as {m:?}");
        out.matched = Some(m);
    }
    out
}

/// Whether every command under the management command `path` is read,
/// whatever its flags, and no settings entry under it says otherwise.
fn only_reads_under(path: &str, table: &Table) -> bool {
    let prefix = format!("{path} ");
    let rows_read = ROWS
        .iter()
        .filter(|r| r.command.starts_with(&prefix))
        .all(|r| r.class == Class::Read && r.when.iter().all(|w| w.class == Class::Read));
    let entries_read = table
        .entries
        .iter()
        .all(|(e, class)| *class == Class::Read || !(e.starts_with(&prefix) || e == path));
    rows_read && entries_read
}

/// Classes the command `path` given `args`, by its row and its flags.
fn leaf(path: &str, args: &[OsString], mut out: Classified) -> Classified {
    out.command = path.to_string();
    let Some(row) = row(path) else {
        out.class = Class::Write;
        out.why = "is a subcommand the guard does not know".into();
        if args.first().is_some_and(|a| is_help(&a.to_string_lossy())) {
            out.inert = Some("it only prints help");
        }
        return out;
    };
    out.class = row.class;
    out.why = row.why.to_string();
    let Some((flags, interspersed)) = flags_of(path) else {
        // Flags not modelled (a plugin's): only a help flag right after
        // the command is certainly one.
        if args.first().is_some_and(|a| is_help(&a.to_string_lossy())) {
            out.inert = Some("it only prints help");
        }
        // The flags that change the class, by their long spelling: no
        // other word can be one (a value that looks like one only ever
        // makes the class stronger).
        let given = |flag: &str| {
            args.iter()
                .map(|a| a.to_string_lossy())
                .take_while(|a| a != "--")
                .any(|a| {
                    let a = a.strip_prefix("--").unwrap_or_default();
                    a == flag || a.strip_prefix(flag).is_some_and(|v| v.starts_with('='))
                })
        };
        let top = row
            .when
            .iter()
            .filter(|w| given(w.flag))
            .max_by_key(|w| w.class);
        if let Some(w) = top.filter(|w| w.class > out.class) {
            out.class = w.class;
            out.why = format!("{} (--{})", w.why, w.flag);
        }
        return out;
    };
    let own = read_flags(args, &flags, interspersed);
    let on = |name: &str, value: &str| -> bool {
        let arity = flags.iter().find(|(n, _, _)| *n == name).map(|f| f.2);
        match arity {
            Some(Arity::Bool) => pflag::parse_bool(value) != Some(false),
            _ => true,
        }
    };
    if !own.error && own.given.iter().any(|(n, v)| *n == "help" && on(n, v)) {
        out.inert = Some("it only prints help");
    }
    if own.error {
        // pflag refuses the line (nothing runs) or dctx misread it: the
        // strongest class the row can have.
        if let Some(w) = row.when.iter().max_by_key(|w| w.class) {
            if w.class > out.class {
                out.class = w.class;
                out.why = format!("{} (its flags could not be read)", w.why);
            }
        }
        return out;
    }
    let matching = row.when.iter().filter(|w| {
        own.given.iter().any(|(n, v)| {
            *n == w.flag && on(n, v) && (w.values.is_empty() || w.values.contains(&v.as_str()))
        })
    });
    if let Some(w) = matching.max_by_key(|w| w.class) {
        out.class = w.class;
        out.why = format!("{} (--{})", w.why, w.flag);
    }
    out
}

/// The class the table gives the entry or row `m`.
fn class_of_entry(m: &str, table: &Table) -> Class {
    if let Some((_, c)) = table.entries.iter().rev().find(|(e, _)| e == m) {
        return *c;
    }
    let Some(r) = row(m) else {
        return Class::Write;
    };
    let top = r.when.iter().map(|w| w.class).fold(r.class, Class::max);
    if table.replaced && top == Class::Destructive {
        Class::Write
    } else {
        top
    }
}

/// The first row or entry under `first` (a plugin or management command)
/// that `table` refuses and whose other words appear, in order, among
/// `rest` (up to `--`).
fn scan_anywhere(first: &str, rest: &[String], table: &Table) -> Option<String> {
    let rest: Vec<&str> = rest
        .iter()
        .map(String::as_str)
        .take_while(|a| *a != "--")
        .collect();
    let candidates = table
        .entries
        .iter()
        .map(|(e, _)| e.as_str())
        .chain(ROWS.iter().map(|r| r.command));
    let found = candidates
        .filter(|c| class_of_entry(c, table) >= table.refuse)
        .find(|entry| {
            let mut e = entry.split(' ');
            if e.next() != Some(first) {
                return false;
            }
            // Within a management command, aliases count too (`rm` for
            // `container rm`'s `remove`).
            let mut words = rest.iter();
            e.all(|want| {
                words.any(|w| {
                    *w == want
                        || canonical(&format!("{first} {w}")).rsplit(' ').next() == Some(want)
                })
            })
        });
    found.map(str::to_string)
}

/// What [`find_anywhere`] found in a line that cannot be read with
/// certainty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matched {
    /// The table entry the line would be if its command started there.
    Entry(String),
    /// More than [`MAX_SCAN`] words: too long to look through, so the
    /// guard counts it as destructive (docker refuses such lines anyway,
    /// and the guard must not spend long on them).
    TooLong,
}

/// For a line that cannot be read with certainty: the table entry the
/// line would be if its command started at any of its words, or
/// [`Matched::TooLong`] past [`MAX_SCAN`] of them; `None` when no entry
/// starts anywhere.
pub fn find_anywhere(words: &[OsString], table: &Table) -> Option<Matched> {
    if words.len() > MAX_SCAN {
        return Some(Matched::TooLong);
    }
    (0..words.len()).find_map(|i| classify(&words[i..], table).matched.map(Matched::Entry))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify_line(line: &str) -> Classified {
        let words: Vec<OsString> = line.split_whitespace().map(OsString::from).collect();
        classify(&words, &builtin_table())
    }

    #[test]
    fn aliases_resolve_to_the_table_entry() {
        for (line, entry) in [
            ("rm -f web", "container rm"),
            ("container remove web", "container rm"),
            ("rmi nginx", "image rm"),
            ("image remove nginx", "image rm"),
            ("stack down app", "stack rm"),
            ("stack up -c x.yml app", "stack deploy"),
            ("system prune -af", "system prune"),
            ("kill web", "container kill"),
            ("volume remove data", "volume rm"),
            ("service scale web=0", "service scale"),
            ("swarm leave --force", "swarm leave"),
            ("restart web", "container restart"),
        ] {
            let c = classify_line(line);
            assert_eq!(c.matched.as_deref(), Some(entry), "{line}: {c:?}");
            assert_eq!((c.unsure, c.inert), (None, None), "{line}");
        }
    }

    #[test]
    fn reading_and_running_are_not_destructive() {
        for line in [
            "ps -a",
            "container ls",
            "images",
            "inspect nosuch",
            "run --rm alpine",
            "version",
            "context rm old",
            "compose ps",
            "unpause web",
            "system df",
            "logs web",
            "",
        ] {
            assert_eq!(classify_line(line).matched, None, "{line}");
        }
    }

    #[test]
    fn plugins_are_read_through_their_own_flags() {
        for (line, entry) in [
            (
                "compose -f x.yml -p y --profile z down",
                Some("compose down"),
            ),
            (
                "compose --file=x.yml --ansi never up -d",
                Some("compose up"),
            ),
            ("compose -pdown ps", None),
            ("compose --env-file down ps", None),
            ("buildx --builder b prune -af", Some("buildx prune")),
            ("buildx -D rm b", Some("buildx rm")),
        ] {
            let c = classify_line(line);
            assert_eq!(c.matched.as_deref(), entry, "{line}: {c:?}");
            assert_eq!(c.unsure, None, "{line}");
        }
        let c = classify_line("compose --new-flag x down");
        assert_eq!(c.matched.as_deref(), Some("compose down"));
        assert!(c.unsure.unwrap().contains("--new-flag"));
    }

    #[test]
    fn help_and_dry_run_run_nothing() {
        for line in [
            "system prune --help",
            "rm -h",
            "compose --dry-run down",
            "compose -h",
        ] {
            assert!(classify_line(line).inert.is_some(), "{line}");
        }
        assert_eq!(classify_line("rm -- --help").inert, None);
    }

    #[test]
    fn user_entries_are_aliased_and_unknown_plugins_scanned() {
        let table = Table {
            entries: vec![
                (canonical("rmi"), Class::Write),
                (canonical("unpause"), Class::Destructive),
                (canonical("model rm"), Class::Destructive),
            ],
            ..builtin_table()
        };
        assert_eq!(table.entries[0].0, "image rm");
        let words = |s: &str| -> Vec<OsString> { s.split(' ').map(OsString::from).collect() };
        let c = classify(&words("unpause web"), &table);
        assert_eq!(
            (c.class, c.matched.as_deref()),
            (Class::Destructive, Some("container unpause"))
        );
        assert_eq!(classify(&words("rmi x"), &table).matched, None);
        assert_eq!(classify(&words("rmi x"), &table).class, Class::Write);
        let c = classify(&words("model --x y rm m"), &table);
        assert_eq!(c.matched.as_deref(), Some("model rm"));
        assert_eq!(c.class, Class::Destructive);
        assert_eq!(classify(&words("model ls"), &table).matched, None);
        assert_eq!(classify(&words("model ls"), &table).class, Class::Write);
    }

    fn class(line: &str) -> Class {
        classify_line(line).class
    }

    #[test]
    fn every_command_has_its_class() {
        use Class::*;
        for (line, want) in [
            ("restart web", Destructive),
            ("container pause web", Destructive),
            ("unpause web", Write),
            ("run -d alpine", Write),
            ("exec web true", Write),
            ("cp x web:/", Write),
            ("ps", Read),
            ("image save -o x alpine", Read),
            ("login -u me", Read),
            ("context rm old", Read),
            ("context use prod", Read),
            ("network disconnect net web", Destructive),
            ("network connect net web", Write),
            ("node demote n1", Destructive),
            ("node promote n1", Write),
            ("plugin disable p", Destructive),
            ("plugin enable p", Write),
            ("checkpoint rm web cp1", Destructive),
            ("service rollback web", Destructive),
            ("service create alpine", Write),
            ("stack up -c x.yml app", Destructive),
            ("swarm leave", Destructive),
            ("swarm join --token t 1.2.3.4", Write),
            ("trust sign x", Write),
            ("trust key generate me", Read),
            ("manifest push x", Read),
            ("compose up -d", Destructive),
            ("compose ps", Read),
            ("compose run web", Write),
            ("buildx rm b", Destructive),
            ("buildx ls", Read),
            ("builder prune -af", Destructive),
            ("builder build .", Write),
            ("builder ls", Read),
            ("container", Read),
            ("trust key", Read),
            ("container frobnicate web", Write),
            ("model rm m", Write),
            ("", Read),
        ] {
            assert_eq!(class(line), want, "{line}: {:?}", classify_line(line));
        }
        // `docker builder rm X` is `docker buildx rm X` once buildx is in.
        let c = classify_line("builder rm b");
        assert_eq!(c.matched.as_deref(), Some("buildx rm"));
        let c = classify_line("builder --builder b prune");
        assert_eq!(c.matched.as_deref(), Some("buildx prune"));
    }

    #[test]
    fn flags_change_the_class_where_the_row_says() {
        use Class::*;
        for (line, want) in [
            ("node update --availability drain n1", Destructive),
            ("node update --availability=pause n1", Destructive),
            ("node update n1 --availability active", Write),
            ("node update --label-add a=b n1", Write),
            ("node update --role worker n1", Destructive),
            (
                "node update --bogus x --availability active n1",
                Destructive,
            ),
            ("swarm init", Write),
            ("swarm init --force-new-cluster", Destructive),
            ("swarm init --force-new-cluster=false", Write),
            ("checkpoint create web cp1", Destructive),
            ("checkpoint create --leave-running web cp1", Write),
            ("swarm ca", Read),
            ("swarm ca --rotate", Write),
            ("swarm join-token worker", Read),
            ("swarm join-token --rotate worker", Write),
            ("volume update --availability drain v", Destructive),
            ("compose wait web", Read),
            ("compose wait --down-project web", Destructive),
        ] {
            assert_eq!(class(line), want, "{line}: {:?}", classify_line(line));
        }
        let c = classify_line("node update --availability drain n1");
        assert!(c.why.contains("drains"), "{c:?}");
    }

    #[test]
    fn help_is_help_only_where_pflag_reads_a_flag() {
        for line in [
            "rm web -h",
            "rm -f -h",
            "rm --help=true web",
            "run --help",
            "service update --help web",
            "compose down -h",
            "container rm -h",
            "node update --availability drain --help n1",
        ] {
            let c = classify_line(line);
            assert!(c.inert.is_some(), "{line}: {c:?}");
        }
        for line in [
            "service update --hostname -h --replicas 0 web",
            "stack deploy -c -h app",
            "stack deploy --compose-file -h app",
            "rm -- -h",
            "rm -- web -h",
            "rm --help=false web",
            "run -h box alpine",
            "run alpine -h",
            "exec web sh -h",
            "rm --nope -h",
            "compose down -v -h",
            "container -D rm -h",
        ] {
            let c = classify_line(line);
            assert_eq!(c.inert, None, "{line}: {c:?}");
        }
    }

    #[test]
    fn flags_before_a_subcommand_are_unsure() {
        // cobra finds `rm` past `-D`: `docker container -D rm web` removes.
        let c = classify_line("container -D rm web");
        assert!(c.unsure.is_some(), "{c:?}");
        assert_eq!(c.matched.as_deref(), Some("container rm"));
        let c = classify_line("container --context prod remove web");
        assert_eq!(c.matched.as_deref(), Some("container rm"));
        assert_eq!(classify_line("container -D ls").matched, None);
    }

    #[test]
    fn refusing_writes_matches_write_commands_too() {
        let table = Table {
            refuse: Class::Write,
            ..builtin_table()
        };
        let words = |s: &str| -> Vec<OsString> { s.split(' ').map(OsString::from).collect() };
        for line in [
            "pull alpine",
            "run alpine",
            "rm web",
            "model x",
            "node update --label-add a n",
        ] {
            assert!(classify(&words(line), &table).matched.is_some(), "{line}");
        }
        for line in ["container -D ls", "compose --new-flag x ps"] {
            let c = classify(&words(line), &table);
            assert!(c.unsure.is_some() && c.matched.is_some(), "{line}: {c:?}");
        }
        for line in ["ps", "context use x", "swarm ca", "logs web"] {
            assert_eq!(classify(&words(line), &table).matched, None, "{line}");
        }
    }

    #[test]
    fn every_row_is_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for r in ROWS {
            assert!(seen.insert(r.command), "{} twice", r.command);
            assert_eq!(canonical(r.command), r.command, "an alias as a row");
            let flags = flags_of(r.command).map(|f| f.0);
            for w in r.when {
                if let Some(flags) = &flags {
                    assert!(
                        flags.iter().any(|f| f.0 == w.flag),
                        "{}: no flag --{}",
                        r.command,
                        w.flag
                    );
                }
            }
        }
        for (c, _, _) in FLAGS {
            assert!(row(c).is_some(), "flags for {c}, which has no row");
        }
    }

    #[test]
    fn a_huge_line_is_read_in_bounded_time() {
        let mut long: Vec<OsString> = vec!["x".into(); 200_000];
        long.push("rm".into());
        assert_eq!(
            find_anywhere(&long, &builtin_table()),
            Some(Matched::TooLong)
        );
        long.insert(0, "ps".into());
        assert_eq!(classify(&long, &builtin_table()).matched, None);
        assert_eq!(find_anywhere(&words_of("ps -a"), &builtin_table()), None);
        assert_eq!(
            find_anywhere(&words_of("--x 1 rmi y"), &builtin_table()),
            Some(Matched::Entry("image rm".into()))
        );
    }

    fn words_of(s: &str) -> Vec<OsString> {
        s.split_whitespace().map(OsString::from).collect()
    }
}
