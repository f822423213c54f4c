//! Text from files, engines and command lines shown on a terminal: every
//! character that could move the cursor, change colours, reorder what
//! follows (bidi controls) or hide itself (zero-width) is shown as
//! `\u{…}` instead of being sent, so that what the user reads is what the
//! text holds.

/// Bidi embeddings, overrides and isolates, and the marks: they reorder
/// the rest of a line on screen ("Trojan Source").
const BIDI: &[char] = &[
    '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}',
    '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
];

/// Zero-width characters: invisible, so two names that look alike differ.
const ZERO_WIDTH: &[char] = &['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}'];

/// Whether `c` must not reach a terminal as itself: C0, DEL and C1
/// controls, bidi controls, zero-width characters.
pub fn is_hidden(c: char) -> bool {
    c.is_control() || BIDI.contains(&c) || ZERO_WIDTH.contains(&c)
}

/// `s` with every [`is_hidden`] character written as `\u{hex}`.
pub fn escape_for_terminal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_hidden(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_bidi_and_zero_width_are_shown_not_sent() {
        for (raw, shown) in [
            ("prod\x1b[2J", r"prod\u{1b}[2J"),
            ("a\u{9b}31m", r"a\u{9b}31m"),
            ("x\x7f", r"x\u{7f}"),
            ("dev\u{202E}dorp", r"dev\u{202e}dorp"),
            ("\u{2066}p\u{2069}", r"\u{2066}p\u{2069}"),
            ("\u{200E}\u{200F}\u{061C}", r"\u{200e}\u{200f}\u{61c}"),
            ("pr\u{200B}od", r"pr\u{200b}od"),
            (
                "\u{200C}\u{200D}\u{2060}\u{FEFF}",
                r"\u{200c}\u{200d}\u{2060}\u{feff}",
            ),
        ] {
            assert_eq!(escape_for_terminal(raw), shown, "{raw:?}");
        }
        // Ordinary text, accents and other scripts pass as they are.
        for plain in ["prod-eu_1", "tcp://h:2375", "équipe", "本番", "a b"] {
            assert_eq!(escape_for_terminal(plain), plain);
        }
    }
}
