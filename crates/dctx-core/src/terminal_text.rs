//! Text from files and engines (context names, descriptions, hosts,
//! engine answers) made safe to print on a terminal: anything that could
//! move the cursor, hide or reorder what follows, or pass for another
//! name is shown as a `\u{…}` escape instead.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as itself: C0 and C1 controls
/// and DEL, bidirectional overrides, embeddings and isolates (which
/// reorder what follows), zero-width characters (which make two names
/// look the same), and the Unicode line and paragraph separators.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// `s` with every [`is_unsafe`] character written as `\u{hex}`; borrowed
/// when nothing needed escaping.
pub fn for_terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_bidi_and_invisible_characters_are_escaped() {
        assert!(matches!(for_terminal("prod-eu ünïcode"), Cow::Borrowed(_)));
        assert_eq!(for_terminal("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(for_terminal("x\u{9b}31m"), "x\\u{9b}31m");
        assert_eq!(for_terminal("dev\u{202e}dorp"), "dev\\u{202e}dorp");
        assert_eq!(for_terminal("pr\u{200b}od"), "pr\\u{200b}od");
        assert_eq!(for_terminal("a\tb\nc\u{7f}"), "a\\u{9}b\\u{a}c\\u{7f}");
        assert_eq!(
            for_terminal("\u{2066}x\u{2069}\u{feff}"),
            "\\u{2066}x\\u{2069}\\u{feff}"
        );
    }

    #[test]
    fn every_kind_is_shown_not_sent_and_plain_text_passes() {
        for (raw, shown) in [
            ("prod\x1b[2J", r"prod\u{1b}[2J"),
            ("\u{200E}\u{200F}\u{061C}", r"\u{200e}\u{200f}\u{61c}"),
            (
                "\u{200C}\u{200D}\u{2060}\u{FEFF}",
                r"\u{200c}\u{200d}\u{2060}\u{feff}",
            ),
            ("a\u{2028}b", r"a\u{2028}b"),
        ] {
            assert_eq!(for_terminal(raw), shown, "{raw:?}");
        }
        for plain in ["prod-eu_1", "tcp://h:2375", "équipe", "本番", "a b"] {
            assert_eq!(for_terminal(plain), plain);
        }
    }
}
