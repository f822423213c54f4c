//! Styles ("bold red") and how each shell wants them written so that its
//! line editor still knows how wide the prompt is.

use std::fmt;
use std::str::FromStr;

use crate::shell::Shell;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Color {
    /// 0-7 standard, 8-15 bright, up to 255.
    Indexed(u8),
    Rgb(u8, u8, u8),
}

const NAMES: [&str; 8] = [
    "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
];

/// A parsed style: attributes and colours.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Style {
    bold: bool,
    dim: bool,
    italic: bool,
    underline: bool,
    reverse: bool,
    fg: Option<Color>,
    bg: Option<Color>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StyleError(pub String);

impl fmt::Display for StyleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StyleError {}

fn parse_color(word: &str) -> Option<Color> {
    if let Some(hex) = word.strip_prefix('#') {
        if hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            let v = u32::from_str_radix(hex, 16).ok()?;
            return Some(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
        }
        return None;
    }
    if let Ok(n) = word.parse::<u8>() {
        return Some(Color::Indexed(n));
    }
    let (bright, base) = match word.strip_prefix("bright-") {
        Some(base) => (8, base),
        None => (0, word),
    };
    let base = if base == "purple" { "magenta" } else { base };
    NAMES
        .iter()
        .position(|&n| n == base)
        .map(|i| Color::Indexed(i as u8 + bright))
}

impl FromStr for Style {
    type Err = StyleError;
    /// Words separated by spaces: `bold`, `dim`, `italic`, `underline`,
    /// `reverse`, a colour (`red`, `bright-red`, `208`, `#ff8800`) for the
    /// foreground, `bg:<colour>` for the background, or `none`.
    fn from_str(spec: &str) -> Result<Style, StyleError> {
        let mut style = Style::default();
        for word in spec.split_whitespace() {
            let lower = word.to_ascii_lowercase();
            match lower.as_str() {
                "none" => {}
                "bold" => style.bold = true,
                "dim" | "dimmed" => style.dim = true,
                "italic" => style.italic = true,
                "underline" => style.underline = true,
                "reverse" | "inverted" => style.reverse = true,
                other => {
                    let (slot, color) = match other.strip_prefix("bg:") {
                        Some(c) => (&mut style.bg, c),
                        None => (&mut style.fg, other.strip_prefix("fg:").unwrap_or(other)),
                    };
                    *slot = Some(parse_color(color).ok_or_else(|| {
                        StyleError(format!(
                            "unknown style word {word:?} (expected bold, dim, italic, underline, \
                             reverse, a colour such as red, bright-red, 208 or #ff8800, or bg:<colour>)"
                        ))
                    })?);
                }
            }
        }
        Ok(style)
    }
}

impl Style {
    pub fn is_plain(&self) -> bool {
        *self == Style::default()
    }

    fn sgr(&self) -> String {
        let mut codes: Vec<String> = Vec::new();
        for (on, code) in [
            (self.bold, "1"),
            (self.dim, "2"),
            (self.italic, "3"),
            (self.underline, "4"),
            (self.reverse, "7"),
        ] {
            if on {
                codes.push(code.into());
            }
        }
        for (color, base) in [(self.fg, 30), (self.bg, 40)] {
            match color {
                Some(Color::Indexed(n)) if n < 8 => codes.push((base + n as u32).to_string()),
                Some(Color::Indexed(n)) if n < 16 => {
                    codes.push((base + 60 + n as u32 - 8).to_string())
                }
                Some(Color::Indexed(n)) => codes.push(format!("{};5;{n}", base + 8)),
                Some(Color::Rgb(r, g, b)) => codes.push(format!("{};2;{r};{g};{b}", base + 8)),
                None => {}
            }
        }
        format!("\x1b[{}m", codes.join(";"))
    }

    fn tmux(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for (key, color) in [("fg", self.fg), ("bg", self.bg)] {
            match color {
                Some(Color::Indexed(n)) if n < 8 => {
                    parts.push(format!("{key}={}", NAMES[n as usize]))
                }
                Some(Color::Indexed(n)) if n < 16 => {
                    parts.push(format!("{key}=bright{}", NAMES[n as usize - 8]))
                }
                Some(Color::Indexed(n)) => parts.push(format!("{key}=colour{n}")),
                Some(Color::Rgb(r, g, b)) => parts.push(format!("{key}=#{r:02x}{g:02x}{b:02x}")),
                None => {}
            }
        }
        for (on, attr) in [
            (self.bold, "bold"),
            (self.dim, "dim"),
            (self.italic, "italics"),
            (self.underline, "underscore"),
            (self.reverse, "reverse"),
        ] {
            if on {
                parts.push(attr.into());
            }
        }
        format!("#[{}]", parts.join(","))
    }

    /// `text` (already escaped for `shell`) wrapped in this style.
    pub fn wrap(&self, shell: Shell, text: &str) -> String {
        if self.is_plain() || text.is_empty() {
            return text.to_string();
        }
        let (on, off) = match shell {
            Shell::Plain => return text.to_string(),
            // \001 and \002 are what bash's \[ and \] become; the segment is
            // expanded after bash decodes PS1, so it must carry them raw.
            Shell::Bash => (
                format!("\x01{}\x02", self.sgr()),
                "\x01\x1b[0m\x02".to_string(),
            ),
            Shell::Zsh => (format!("%{{{}%}}", self.sgr()), "%{\x1b[0m%}".to_string()),
            Shell::Fish => (self.sgr(), "\x1b[0m".to_string()),
            Shell::Tmux => (self.tmux(), "#[default]".to_string()),
        };
        format!("{on}{text}{off}")
    }
}

/// Makes untrusted text (names, hosts, descriptions) inert for `shell`:
/// control and bidi characters become U+FFFD everywhere, `%` is doubled for
/// zsh prompt expansion, and `#` is escaped for tmux (see [`escape_tmux`]).
pub fn escape(shell: Shell, text: &str) -> String {
    if shell == Shell::Tmux {
        return escape_tmux(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            c if c.is_control() || is_bidi_control(c) => out.push(char::REPLACEMENT_CHARACTER),
            '%' if shell == Shell::Zsh => out.push_str("%%"),
            c => out.push(c),
        }
    }
    out
}

/// For the output of a tmux `#()` job, which tmux reads twice: it expands
/// the output as a format (`##` is `#`, `#{…}` a variable, `#(…)` a
/// command), then draws it (`##` is `#` again, `#[…]` a style), except that
/// the expansion leaves `##[` for the drawing. So a run of `n` `#`s is
/// written `4n` times, or `2n` before `[`: what tmux shows is then the
/// text as it was, `a##b` included (checked on a real tmux by
/// `tests/integration/edge_cases.rs`), and never markup or a command.
fn escape_tmux(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '#' {
            let inert = c.is_control() || is_bidi_control(c);
            out.push(if inert {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            });
            continue;
        }
        let mut run = 1;
        while chars.next_if_eq(&'#').is_some() {
            run += 1;
        }
        let per = if chars.peek() == Some(&'[') { 2 } else { 4 };
        out.extend(std::iter::repeat_n('#', run * per));
    }
    out
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_style_words() {
        let s: Style = "bold red".parse().unwrap();
        assert_eq!(s.sgr(), "\x1b[1;31m");
        assert_eq!(
            "bright-blue bg:#102030".parse::<Style>().unwrap().sgr(),
            "\x1b[94;48;2;16;32;48m"
        );
        assert_eq!(
            "208 underline".parse::<Style>().unwrap().sgr(),
            "\x1b[4;38;5;208m"
        );
        assert!("bold redd".parse::<Style>().is_err());
        assert!("none".parse::<Style>().unwrap().is_plain());
    }

    #[test]
    fn wraps_for_each_line_editor() {
        let s: Style = "bold red".parse().unwrap();
        assert_eq!(
            s.wrap(Shell::Bash, "p"),
            "\x01\x1b[1;31m\x02p\x01\x1b[0m\x02"
        );
        assert_eq!(s.wrap(Shell::Zsh, "p"), "%{\x1b[1;31m%}p%{\x1b[0m%}");
        assert_eq!(s.wrap(Shell::Fish, "p"), "\x1b[1;31mp\x1b[0m");
        assert_eq!(s.wrap(Shell::Tmux, "p"), "#[fg=red,bold]p#[default]");
        assert_eq!(s.wrap(Shell::Plain, "p"), "p");
    }

    #[test]
    fn escapes_what_each_shell_would_interpret() {
        let hostile = "a%F{red}#[fg=red]#(rm)\x1b[31m\n\u{202E}`$(x)`\\";
        let zsh = escape(Shell::Zsh, hostile);
        assert!(zsh.contains("%%F{red}") && !zsh.contains('\x1b') && !zsh.contains('\n'));
        let tmux = escape(Shell::Tmux, hostile);
        assert!(tmux.contains("##[fg=red]####(rm)"), "{tmux}");
        assert_eq!(escape(Shell::Tmux, "a##b#"), "a########b####");
        assert_eq!(escape(Shell::Tmux, "a##[b"), "a####[b");
        assert!(!escape(Shell::Bash, hostile).contains('\u{202E}'));
    }
}
