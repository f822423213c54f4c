//! The scripts' template language, small enough to read at once, and
//! made of what every shell and linter reads as a comment or a word, so
//! that each file under `shell-integrations/` is a complete script as it
//! stands:
//!
//! - a line `# @IF flag@`, `# @IF !flag@`, `# @ELSE@` or `# @END@` (any
//!   indentation) opens, turns or closes a block, kept when the flag is on
//!   (off for `!flag`); blocks nest, and the marker lines themselves are
//!   never printed;
//! - `@NAME@` anywhere else is replaced by the value given for `NAME`
//!   (a quoted word, or lines rendered from the guard's table).
//!
//! A flag or value the template uses and the caller did not give is a bug
//! in dctx, caught by the tests that render every template with every
//! combination (`init.rs`); it panics rather than print half a script.

/// `template` with its blocks decided by `flags` and its placeholders
/// filled from `values` (each name without its `@`s).
pub fn render(template: &str, flags: &[(&str, bool)], values: &[(&str, &str)]) -> String {
    let flag = |name: &str| -> bool {
        let (negated, name) = match name.strip_prefix('!') {
            Some(name) => (true, name),
            None => (false, name),
        };
        let (_, on) = flags
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("template flag {name:?} has no value"));
        *on != negated
    };
    // One entry per open block: whether its lines are kept.
    let mut open: Vec<bool> = Vec::new();
    let mut out = String::with_capacity(template.len());
    for line in template.split_inclusive('\n') {
        let marker = line
            .trim()
            .strip_prefix("# @")
            .and_then(|m| m.strip_suffix('@'));
        match marker {
            Some(m) if m.starts_with("IF ") => {
                let outer = open.last().copied().unwrap_or(true);
                open.push(outer && flag(&m["IF ".len()..]));
                continue;
            }
            Some("ELSE") => {
                let inner = open.pop().expect("@ELSE@ outside a block");
                let outer = open.last().copied().unwrap_or(true);
                open.push(outer && !inner);
                continue;
            }
            Some("END") => {
                open.pop().expect("@END@ outside a block");
                continue;
            }
            _ => {}
        }
        if open.last().copied().unwrap_or(true) {
            out.push_str(line);
        }
    }
    assert!(open.is_empty(), "a template block is not closed");
    fill(&out, values)
}

/// `text` with each `@NAME@` of `values` replaced, in one pass: a value
/// (an install path) that holds `@NAME@` stays as it is.
fn fill(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let found = values.iter().find(|(name, _)| {
            rest[1..].starts_with(name) && rest[1 + name.len()..].starts_with('@')
        });
        match found {
            Some((name, value)) => {
                out.push_str(value);
                rest = &rest[name.len() + 2..];
            }
            None => {
                out.push('@');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `script` without its whole-line comments: for the lines printed
/// outside dctx's own option settings, where the user may have turned
/// comments off (`interactive_comments`).
pub fn without_comments(script: &str) -> String {
    script
        .split_inclusive('\n')
        .filter(|line| !line.trim_start().starts_with('#'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "a @X@\n  # @IF p@\n  p\n  # @IF !q@\n  p-not-q\n  # @ELSE@\n  p-q\n  # @END@\n  # @END@\nz\n";

    #[test]
    fn blocks_nest_and_markers_vanish() {
        let values = [("X", "'x'")];
        let render = |p, q| render(TEMPLATE, &[("p", p), ("q", q)], &values);
        assert_eq!(render(false, false), "a 'x'\nz\n");
        assert_eq!(render(false, true), "a 'x'\nz\n");
        assert_eq!(render(true, false), "a 'x'\n  p\n  p-not-q\nz\n");
        assert_eq!(render(true, true), "a 'x'\n  p\n  p-q\nz\n");
    }

    #[test]
    fn values_are_filled_once() {
        let values = [("A", "@B@"), ("B", "b")];
        assert_eq!(render("@A@ @B@ @C@ a@b\n", &[], &values), "@B@ b @C@ a@b\n");
    }

    #[test]
    #[should_panic(expected = "template flag \"p\" has no value")]
    fn an_unknown_flag_is_a_bug() {
        render(TEMPLATE, &[("q", true)], &[]);
    }

    #[test]
    fn comments_go_and_code_stays() {
        assert_eq!(
            without_comments("# why\n  # more\ncode # here\n"),
            "code # here\n"
        );
    }
}
