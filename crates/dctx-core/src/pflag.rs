//! How the Go flag library (spf13/pflag, under cobra) reads the flags in
//! front of a command when flags may not be interspersed: `--name value`,
//! `--name=value`, `-xVALUE`, `-x=VALUE`, grouped booleans (`-Dc prod`),
//! `--` and the first word that is not a flag ending them. The Docker CLI
//! reads its global flags this way, and so do the compose and buildx
//! plugins in front of their own subcommands.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

/// How a flag takes its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    Value,
    Bool,
}

/// One flag a command knows: long name, shorthand, arity.
pub type Flag = (&'static str, Option<char>, Arity);

/// One flag as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Given {
    /// The long name.
    pub name: &'static str,
    /// The value (`"true"` for a bare boolean), as text: for showing and
    /// for booleans and names.
    pub value: String,
    /// The value as the exact bytes given, inline (`--config=DIR`) or as a
    /// word of its own: a path need not be UTF-8, and docker opens the
    /// bytes it was given.
    pub raw: OsString,
    /// The words it was given in: `words[start..end]`.
    pub words: (usize, usize),
}

/// What [`scan`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scanned {
    pub given: Vec<Given>,
    /// The index of the first word after the flags.
    pub rest: usize,
    /// Why pflag would stop with an error (an unknown flag, a missing
    /// value); `rest` is then where it stopped.
    pub error: Option<ScanError>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanError {
    /// A flag the table does not have: its arity is unknown, so nothing
    /// after it can be read with certainty.
    Unknown(String),
    MissingValue(String),
}

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScanError::Unknown(flag) => write!(f, "unknown flag: {flag}"),
            ScanError::MissingValue(name) => write!(f, "flag needs an argument: --{name}"),
        }
    }
}

/// pflag's `strconv.ParseBool`.
pub fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// Reads the flags at the start of `args` by `table`, byte by byte as
/// pflag does (a shorthand group is read a byte at a time, so a non-ASCII
/// byte is an unknown shorthand, as there).
pub fn scan(args: &[OsString], table: &[Flag]) -> Scanned {
    let mut given = Vec::new();
    let mut i = 0;
    let stop = |given, rest, e| Scanned {
        given,
        rest,
        error: Some(e),
    };
    while i < args.len() {
        let start = i;
        let word = args[i].as_bytes();
        if word == b"--" {
            i += 1;
            break;
        }
        if !word.starts_with(b"-") || word == b"-" {
            break;
        }
        i += 1;
        // (long name, arity, value given inline)
        let mut found: Vec<(&'static str, Arity, Option<&[u8]>)> = Vec::new();
        if let Some(long) = word.strip_prefix(b"--") {
            let (name, inline) = match long.iter().position(|&b| b == b'=') {
                Some(at) => (&long[..at], Some(&long[at + 1..])),
                None => (long, None),
            };
            match table.iter().find(|(n, _, _)| n.as_bytes() == name) {
                Some(&(n, _, arity)) => found.push((n, arity, inline)),
                None => {
                    let name = String::from_utf8_lossy(name);
                    return stop(given, start, ScanError::Unknown(format!("--{name}")));
                }
            }
        } else {
            // A group of shorthands: booleans, then at most one that takes
            // the rest of the group (or the next word) as its value.
            let group = &word[1..];
            let mut k = 0;
            while k < group.len() {
                let c = group[k];
                let Some(&(n, _, arity)) = table
                    .iter()
                    .find(|(_, s, _)| s.is_some_and(|s| s.is_ascii() && s as u8 == c))
                else {
                    let c = String::from_utf8_lossy(&group[k..k + 1]).into_owned();
                    return stop(given, start, ScanError::Unknown(format!("-{c}")));
                };
                let rest = &group[k + 1..];
                if arity == Arity::Value || rest.starts_with(b"=") {
                    let inline = match rest.strip_prefix(b"=") {
                        Some(v) => Some(v),
                        None if rest.is_empty() => None,
                        None => Some(rest),
                    };
                    found.push((n, arity, inline));
                    break;
                }
                found.push((n, arity, None));
                k += 1;
            }
        }
        for (name, arity, inline) in found {
            let raw: OsString = match (arity, inline) {
                (Arity::Bool, None) => "true".into(),
                (_, Some(v)) => OsStr::from_bytes(v).to_owned(),
                (Arity::Value, None) => match args.get(i) {
                    // A flag that takes a value takes the next word,
                    // whatever it looks like (`-h` and `--` included).
                    Some(next) => {
                        i += 1;
                        next.clone()
                    }
                    None => return stop(given, start, ScanError::MissingValue(name.into())),
                },
            };
            given.push(Given {
                name,
                value: raw.to_string_lossy().into_owned(),
                raw,
                words: (start, i),
            });
        }
    }
    Scanned {
        given,
        rest: i,
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &[Flag] = &[
        ("file", Some('f'), Arity::Value),
        ("dry-run", None, Arity::Bool),
        ("verbose", Some('V'), Arity::Bool),
    ];

    fn words(s: &str) -> Vec<OsString> {
        s.split_whitespace().map(OsString::from).collect()
    }

    #[test]
    fn every_spelling_and_where_the_flags_end() {
        let s = scan(&words("-f a --file=b -fc -Vf d --dry-run down -f e"), TABLE);
        let values: Vec<(&str, &str)> =
            s.given.iter().map(|g| (g.name, g.value.as_str())).collect();
        assert_eq!(
            values,
            [
                ("file", "a"),
                ("file", "b"),
                ("file", "c"),
                ("verbose", "true"),
                ("file", "d"),
                ("dry-run", "true")
            ]
        );
        assert_eq!((s.rest, s.error), (7, None));
        assert_eq!(s.given[0].words, (0, 2));
        assert_eq!((s.given[3].words, s.given[4].words), ((4, 5), (4, 6)));
        assert_eq!(scan(&words("-- down"), TABLE).rest, 1);
    }

    #[test]
    fn an_unknown_flag_or_a_missing_value_stops_with_the_reason() {
        let s = scan(&words("-f a --nope x down"), TABLE);
        assert_eq!(s.error, Some(ScanError::Unknown("--nope".into())));
        assert_eq!(s.rest, 2);
        let s = scan(&words("-Vx down"), TABLE);
        assert_eq!(s.error, Some(ScanError::Unknown("-x".into())));
        let s = scan(&words("--file"), TABLE);
        assert_eq!(s.error, Some(ScanError::MissingValue("file".into())));
    }

    #[test]
    fn a_value_flag_takes_the_next_word_whatever_it_is_and_bytes_stay_exact() {
        use std::os::unix::ffi::OsStringExt;
        let s = scan(&words("-f -h --dry-run -f -- down"), TABLE);
        let values: Vec<&str> = s.given.iter().map(|g| g.value.as_str()).collect();
        assert_eq!(values, ["-h", "true", "--"]);
        assert_eq!(s.rest, 5);
        let odd = OsString::from_vec(b"--file=/c\xff/x".to_vec());
        let s = scan(&[odd], TABLE);
        assert_eq!(s.given[0].raw.as_bytes(), b"/c\xff/x");
        let odd = OsString::from_vec(vec![b'-', b'V', 0xff]);
        assert!(matches!(
            scan(&[odd], TABLE).error,
            Some(ScanError::Unknown(_))
        ));
    }
}
