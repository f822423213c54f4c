//! Which docker commands are destructive: the built-in table, the CLI's
//! aliases (`docker rmi` is `docker image rm`), and the flags the compose
//! and buildx plugins take in front of their own subcommands
//! (`docker compose -f x -p y --profile z down`).

use std::ffi::OsString;

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

/// The built-in table of destructive commands (see the README): removals
/// and prunes, stops, and redeploys.
pub const BUILTIN_DESTRUCTIVE: &[&str] = &[
    "container rm",
    "container prune",
    "container kill",
    "container stop",
    "container restart",
    "container pause",
    "network disconnect",
    "image rm",
    "image prune",
    "volume rm",
    "volume prune",
    "network rm",
    "network prune",
    "system prune",
    "builder prune",
    "buildx prune",
    "buildx rm",
    "secret rm",
    "config rm",
    "plugin rm",
    "node rm",
    "service rm",
    "stack rm",
    "compose down",
    "compose rm",
    "compose kill",
    "compose stop",
    "compose up",
    "stack deploy",
    "service update",
    "service scale",
    "swarm leave",
];

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

/// What one command line does, as far as the guard is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Classified {
    /// The command with aliases resolved (`image rm` for `rmi`), or the
    /// first word of a plugin no one taught dctx.
    pub command: String,
    /// The entry of the table it matched: destructive.
    pub matched: Option<String>,
    /// Why the words could not be read with certainty; `matched` then
    /// comes from looking for the table's words anywhere in the line.
    pub unsure: Option<String>,
    /// Why the line changes nothing although its command is in the table
    /// (`--help`, compose's `--dry-run`).
    pub inert: Option<&'static str>,
}

/// Words of a line read at most: past them a `--help` goes unseen, which
/// only ever refuses more.
const MAX_WORDS: usize = 4096;

/// Where [`find_anywhere`] looks for a command, at most.
pub const MAX_SCAN: usize = 64;

/// Classifies `words` (the command and its arguments, after docker's
/// global flags) against `table` (entries in [`canonical`] form).
pub fn classify(words: &[OsString], table: &[String]) -> Classified {
    let words = &words[..words.len().min(MAX_WORDS)];
    let w: Vec<String> = words
        .iter()
        .map(|x| x.to_string_lossy().into_owned())
        .collect();
    let Some(first) = w.first() else {
        return Classified::default();
    };
    let is_flag = |s: &str| s.starts_with('-') && s != "-";
    let mut out = Classified::default();
    // (the command path, where its own arguments start)
    let (path, args_from) = if let Some(flags) = plugin_flags(first) {
        let scanned = pflag::scan(&words[1..], flags);
        if let Some(e) = scanned.error {
            out.command = first.clone();
            out.unsure = Some(format!("docker {first}: {e}"));
            out.matched = scan_anywhere(first, &w[1..], table);
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
        match w.get(at) {
            Some(sub) => (format!("{first} {sub}"), at + 1),
            None => (first.clone(), at),
        }
    } else if MANAGEMENT.contains(&first.as_str()) {
        match w.get(1).filter(|s| !is_flag(s)) {
            Some(sub) => (canonical(&format!("{first} {sub}")), 2),
            None => (first.clone(), 1),
        }
    } else if TOP_LEVEL.contains(&first.as_str())
        || ALIASES.iter().any(|(_, a)| a.contains(&first.as_str()))
    {
        (canonical(first), 1)
    } else {
        // A plugin whose flags dctx does not know: an entry for it matches
        // when its words appear in order, which may refuse too much but
        // never too little.
        out.command = first.clone();
        out.matched = scan_anywhere(first, &w[1..], table);
        return out;
    };
    let own_args = w[args_from.min(w.len())..]
        .iter()
        .take_while(|a| a.as_str() != "--");
    if own_args.clone().any(|a| a == "--help" || a == "-h") {
        out.inert = Some("it only prints help");
    }
    let words: Vec<&str> = path.split(' ').collect();
    out.matched = table
        .iter()
        .find(|entry| {
            let e: Vec<&str> = entry.split(' ').collect();
            words.len() >= e.len() && words[..e.len()] == e[..]
        })
        .cloned();
    out.command = path;
    out
}

/// The first entry of `table` for `first` whose other words appear, in
/// order, among `rest` (up to `--`).
fn scan_anywhere(first: &str, rest: &[String], table: &[String]) -> Option<String> {
    let rest: Vec<&str> = rest
        .iter()
        .map(String::as_str)
        .take_while(|a| *a != "--")
        .collect();
    table
        .iter()
        .find(|entry| {
            let mut e = entry.split(' ');
            if e.next() != Some(first) {
                return false;
            }
            let mut words = rest.iter();
            e.all(|want| words.any(|w| *w == want))
        })
        .cloned()
}

/// For a line that cannot be read with certainty: the table entry the
/// line would be if its command started at any of its first words. A
/// longer line counts as destructive: docker refuses such lines anyway,
/// and the guard must not spend long on them.
pub fn find_anywhere(words: &[OsString], table: &[String]) -> Option<String> {
    if words.len() > MAX_SCAN {
        return Some(format!(
            "(a line of more than {MAX_SCAN} words that cannot be read)"
        ));
    }
    (0..words.len()).find_map(|i| classify(&words[i..], table).matched)
}

/// The built-in table in [`canonical`] form.
pub fn builtin_table() -> Vec<String> {
    BUILTIN_DESTRUCTIVE.iter().map(|e| canonical(e)).collect()
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
        let table = vec![
            canonical("rmi"),
            canonical("restart"),
            canonical("model rm"),
        ];
        assert_eq!(table, ["image rm", "container restart", "model rm"]);
        let words = |s: &str| -> Vec<OsString> { s.split(' ').map(OsString::from).collect() };
        assert!(classify(&words("restart web"), &table).matched.is_some());
        assert!(classify(&words("model --x y rm m"), &table)
            .matched
            .is_some());
        assert!(classify(&words("model ls"), &table).matched.is_none());
        assert!(classify(&words("container restart web"), &table)
            .matched
            .is_some());
    }

    #[test]
    fn a_huge_line_is_read_in_bounded_time() {
        let mut long: Vec<OsString> = vec!["x".into(); 200_000];
        long.push("rm".into());
        assert!(find_anywhere(&long, &builtin_table()).is_some());
        long.insert(0, "ps".into());
        assert_eq!(classify(&long, &builtin_table()).matched, None);
        assert_eq!(find_anywhere(&words_of("ps -a"), &builtin_table()), None);
        assert!(find_anywhere(&words_of("--x 1 rmi y"), &builtin_table()).is_some());
    }

    fn words_of(s: &str) -> Vec<OsString> {
        s.split_whitespace().map(OsString::from).collect()
    }
}
