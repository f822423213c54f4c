//! Context name patterns, as the settings write them (`hide`, `[[rule]]`,
//! `[guard] protect`, `[engine] probe`): shell globs with `*` and `?`, or
//! `word:W`, which matches names that have W as a word of their own.
//!
//! The built-in production rule is made of word patterns so that it does
//! not cry wolf: `prod`, `prod-eu`, `eu-prod`, `prod01`, `production` and
//! `my_prod_db` are production, `nonprod`, `product-demo`, `reproduce`
//! and `preprod` are not.

/// The names the prompt paints red and the guard protects unless the
/// settings say otherwise.
pub const BUILTIN_DANGER_PATTERNS: &[&str] = &["word:prod", "word:production", "word:prd"];

/// The built-in rule in words, as a literal for `concat!` in `--help`
/// texts; [`BUILTIN_DANGER_DESCRIPTION`] is the same as a constant.
#[macro_export]
macro_rules! builtin_danger_description {
    () => {
        "names that have prod, production or prd as a word (prod, prod-eu, eu-prod, prod01, my_prod_db; not nonprod, product-demo or preprod)"
    };
}

/// The built-in rule in words, for `--help` and the README (a test holds
/// the README to it).
pub const BUILTIN_DANGER_DESCRIPTION: &str = builtin_danger_description!();

/// Whether `name` matches `pattern`, ignoring ASCII case so that `PROD` is
/// as red as `prod`.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    match pattern.strip_prefix("word:") {
        Some(word) => words(name).any(|w| w.eq_ignore_ascii_case(word)),
        None => glob(pattern, name),
    }
}

/// The words of a context name: runs of letters, runs of digits, split
/// at everything else (`-`, `_`, `.`, `+`) and where letters meet digits.
fn words(name: &str) -> impl Iterator<Item = &str> {
    let class = |c: char| {
        if c.is_alphabetic() {
            1
        } else if c.is_numeric() {
            2
        } else {
            0
        }
    };
    let mut out = Vec::new();
    let mut start = None;
    let mut prev = 0;
    for (i, c) in name.char_indices() {
        let k = class(c);
        if k != prev {
            if let Some(s) = start.take() {
                out.push(&name[s..i]);
            }
            if k != 0 {
                start = Some(i);
            }
        }
        prev = k;
    }
    if let Some(s) = start {
        out.push(&name[s..]);
    }
    out.into_iter()
}

/// Shell-style glob with `*` and `?`.
fn glob(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().map(|c| c.to_ascii_lowercase()).collect();
    let n: Vec<char> = name.chars().map(|c| c.to_ascii_lowercase()).collect();
    let (mut pi, mut ni) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some('*') => {
                backtrack = Some((pi, ni));
                pi += 1;
            }
            Some(&c) if c == '?' || c == n[ni] => {
                pi += 1;
                ni += 1;
            }
            _ => match backtrack {
                Some((bp, bn)) => {
                    pi = bp + 1;
                    ni = bn + 1;
                    backtrack = Some((bp, bn + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn production(name: &str) -> bool {
        BUILTIN_DANGER_PATTERNS.iter().any(|p| glob_match(p, name))
    }

    #[test]
    fn the_builtin_rule_matches_words_not_parts_of_words() {
        for name in [
            "prod",
            "PROD",
            "prod-eu",
            "eu-prod",
            "prod01",
            "production",
            "my_prod_db",
            "eu.prd.2",
            "Prod+blue",
        ] {
            assert!(production(name), "{name}");
        }
        for name in [
            "nonprod",
            "product-demo",
            "reproduce",
            "preprod",
            "staging",
            "productions",
            "",
        ] {
            assert!(!production(name), "{name}");
        }
    }

    #[test]
    fn globs_match_like_a_shell() {
        assert!(glob_match("prod*", "prod"));
        assert!(glob_match("prod*", "PROD-eu"));
        assert!(glob_match("*prod*", "eu-prod-1"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("prod*", "staging"));
        assert!(!glob_match("a?c", "ac"));
        assert!(glob_match("*a*b", "xaxxb"));
        assert!(!glob_match("*a*b", "xaxxbc"));
        assert!(glob_match("word:eu", "prod-EU-1"));
        assert!(!glob_match("word:eu", "europe"));
    }
}
