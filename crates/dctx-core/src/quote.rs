//! Words as shell code that the shell reads back byte for byte: paths and
//! names put into scripts (`dctx init`, `dctx use`), and command lines
//! shown to be pasted (the guard's suggestions).
//!
//! No shell can hold a NUL in a word (bash drops it, zsh and fish cut the
//! word there), so a word with one is refused rather than quoted into
//! another word.

/// A word holding a NUL byte, which no shell word can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a NUL byte cannot be part of a shell word")]
pub struct HasNul;

/// `word` single-quoted for bash, zsh and POSIX sh (`'` as `'\''`): exact
/// for any bytes, newlines kept as they are inside the quotes.
pub fn sh_bytes(word: &[u8]) -> Result<Vec<u8>, HasNul> {
    if word.contains(&0) {
        return Err(HasNul);
    }
    let mut out = Vec::with_capacity(word.len() + 2);
    out.push(b'\'');
    for &b in word {
        if b == b'\'' {
            out.extend_from_slice(br"'\''");
        } else {
            out.push(b);
        }
    }
    out.push(b'\'');
    Ok(out)
}

/// [`sh_bytes`] for text.
pub fn sh(word: &str) -> Result<String, HasNul> {
    sh_bytes(word.as_bytes()).map(utf8)
}

/// `word` for bash and zsh on one line, as short as it reads: bare when
/// every character is plainly literal, single-quoted when no character is
/// a control, else `$'…'` with controls as escapes (a newline as `\n`,
/// others as `\uXXXX`), so that no control reaches a terminal either.
pub fn sh_line(word: &str) -> Result<String, HasNul> {
    if word.contains('\0') {
        return Err(HasNul);
    }
    // `=` only after the first character: zsh expands a word starting
    // with one (`=ls` is ls's path).
    let literal = |(i, c): (usize, char)| {
        c.is_ascii_alphanumeric() || "_@%+:,./-".contains(c) || (c == '=' && i > 0)
    };
    if !word.is_empty() && word.chars().enumerate().all(literal) {
        return Ok(word.to_owned());
    }
    if !word.chars().any(char::is_control) {
        return sh(word);
    }
    let mut out = String::from("$'");
    for c in word.chars() {
        match c {
            '\'' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str(r"\n"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    Ok(out)
}

/// `word` for fish, on one line (a command substitution splits at
/// newlines): single-quoted with `\\` and `\'`; controls outside the
/// quotes as `\uXXXX`, bytes that are not UTF-8 as `\XHH`, which fish
/// reads back as that very character or byte.
pub fn fish_bytes(word: &[u8]) -> Result<Vec<u8>, HasNul> {
    if word.contains(&0) {
        return Err(HasNul);
    }
    let mut out = String::from("'");
    for chunk in word.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str(r"\\"),
                '\'' => out.push_str(r"\'"),
                c if c.is_control() => out.push_str(&format!("'\\u{:04x}'", c as u32)),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("'\\X{b:02x}'"));
        }
    }
    out.push('\'');
    Ok(out.into_bytes())
}

/// [`fish_bytes`] for text.
pub fn fish(word: &str) -> Result<String, HasNul> {
    fish_bytes(word.as_bytes()).map(utf8)
}

/// `word` for fish on one line, as short as it reads: bare when every
/// character is plainly literal to fish (no `%`: `%self` expands; no `~`,
/// quotes, escapes, globs or braces), else [`fish`].
pub fn fish_line(word: &str) -> Result<String, HasNul> {
    let literal = |c: char| c.is_ascii_alphanumeric() || "_@+:,./=-".contains(c);
    if !word.is_empty() && word.chars().all(literal) {
        return Ok(word.to_owned());
    }
    fish(word)
}

/// Quoting adds only ASCII around and between whole characters of text.
fn utf8(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Words no shell may read as anything but themselves.
    const HOSTILE: [&str; 8] = [
        "",
        "it's",
        "a\nb",
        "$(touch x)",
        "`touch x`",
        "back\\slash'\\''",
        "\x1b[31mred",
        "~user *?[a] {a,b} ; | & < > # !x",
    ];

    #[test]
    fn fish_line_is_bare_only_for_words_fish_reads_literally() {
        assert_eq!(fish_line("prod-eu.1").unwrap(), "prod-eu.1");
        assert_eq!(fish_line("a=b@c:d,e+f").unwrap(), "a=b@c:d,e+f");
        assert_eq!(fish_line("%self").unwrap(), "'%self'");
        assert_eq!(fish_line("~root").unwrap(), "'~root'");
        assert_eq!(fish_line(r"a\b").unwrap(), r"'a\\b'");
        assert_eq!(fish_line("it's").unwrap(), r"'it\'s'");
        assert_eq!(fish_line("").unwrap(), "''");
        assert_eq!(fish_line("a\0b"), Err(HasNul));
    }

    #[test]
    fn sh_single_quotes_every_word() {
        assert_eq!(sh("").unwrap(), "''");
        assert_eq!(
            sh("/opt/it's here/dctx-prompt").unwrap(),
            r"'/opt/it'\''s here/dctx-prompt'"
        );
        assert_eq!(sh("a\nb").unwrap(), "'a\nb'");
        assert_eq!(sh("$(x)`y`").unwrap(), "'$(x)`y`'");
        assert_eq!(sh_bytes(b"\xff'").unwrap(), b"'\xff'\\'''");
        assert_eq!(sh("a\0b"), Err(HasNul));
        assert_eq!(sh_bytes(b"\0"), Err(HasNul));
    }

    #[test]
    fn sh_line_is_bare_only_when_plainly_literal() {
        assert_eq!(
            sh_line("prod-01.example:2376").unwrap(),
            "prod-01.example:2376"
        );
        assert_eq!(sh_line("a=b").unwrap(), "a=b");
        assert_eq!(sh_line("=ls").unwrap(), "'=ls'");
        assert_eq!(sh_line("a b").unwrap(), "'a b'");
        assert_eq!(sh_line("").unwrap(), "''");
        assert_eq!(sh_line("~").unwrap(), "'~'");
        assert_eq!(sh_line("x\x1b[31m").unwrap(), r"$'x\u001b[31m'");
        assert_eq!(sh_line("it's\na\\b").unwrap(), r"$'it\'s\na\\b'");
        assert_eq!(sh_line("a\0"), Err(HasNul));
        for word in HOSTILE {
            assert!(!sh_line(word).unwrap().contains('\n'), "{word:?}");
        }
    }

    #[test]
    fn fish_quotes_on_one_line() {
        assert_eq!(fish("").unwrap(), "''");
        assert_eq!(fish(r"/opt/it's\here").unwrap(), r"'/opt/it\'s\\here'");
        assert_eq!(fish("a\nb\x1bc").unwrap(), r"'a'\u000a'b'\u001b'c'");
        assert_eq!(fish("$(x)`y`").unwrap(), "'$(x)`y`'");
        assert_eq!(fish_bytes(b"a\xffb").unwrap(), br"'a'\Xff'b'");
        assert_eq!(fish("a\0b"), Err(HasNul));
        for word in HOSTILE {
            assert!(!fish(word).unwrap().contains('\n'), "{word:?}");
        }
    }
}
