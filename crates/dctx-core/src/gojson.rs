//! A JSON reader that behaves like Go's `encoding/json`, for the two files the
//! Docker CLI decodes with it.
//!
//! serde_json is stricter than Go in ways that change which context Docker
//! picks: Go accepts invalid UTF-8 and lone surrogates inside strings (it
//! substitutes U+FFFD), nests up to 10,000 levels, and its `Decoder` ignores
//! whatever follows the first value. Agreeing with the CLI on every file it
//! accepts matters more than reusing a general parser, so this module exposes
//! a cursor with just the operations the config and metadata readers need.
//! Nothing here recurses, so hostile nesting cannot overflow the stack.

use std::fmt;

/// Go's limit on nesting (`maxNestingDepth` in encoding/json's scanner).
const MAX_DEPTH: usize = 10_000;

/// A syntax error, worded like Go's so `dctx status` reads like Docker's warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub offset: usize,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SyntaxError {}

/// The JSON type of a value, as Go names it in "cannot unmarshal X into ...".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

impl Kind {
    pub fn go_name(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "bool",
            Kind::Number => "number",
            Kind::String => "string",
            Kind::Array => "array",
            Kind::Object => "object",
        }
    }
}

/// A position in a JSON document.
pub struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Cursor { bytes, pos: 0 }
    }

    fn err<T>(&self, message: impl Into<String>) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            message: message.into(),
            offset: self.pos,
        })
    }

    fn unexpected<T>(&self, context: &str) -> Result<T, SyntaxError> {
        match self.bytes.get(self.pos) {
            None => self.err("unexpected end of JSON input"),
            Some(&b) => self.err(format!("invalid character {} {context}", quote_byte(b))),
        }
    }

    pub fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// True when only whitespace remains.
    pub fn at_end(&mut self) -> bool {
        self.skip_ws();
        self.pos >= self.bytes.len()
    }

    /// Fails like `json.Unmarshal` does when something follows the value.
    pub fn expect_end(&mut self) -> Result<(), SyntaxError> {
        if self.at_end() {
            Ok(())
        } else {
            self.unexpected("after top-level value")
        }
    }

    /// The kind of the next value, after skipping whitespace.
    pub fn peek_kind(&mut self) -> Result<Kind, SyntaxError> {
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b'n') => Ok(Kind::Null),
            Some(b't' | b'f') => Ok(Kind::Bool),
            Some(b'-' | b'0'..=b'9') => Ok(Kind::Number),
            Some(b'"') => Ok(Kind::String),
            Some(b'[') => Ok(Kind::Array),
            Some(b'{') => Ok(Kind::Object),
            _ => self.unexpected("looking for beginning of value"),
        }
    }

    /// Validates and skips one value of any kind, returning its raw bytes.
    pub fn skip_value(&mut self) -> Result<&'a [u8], SyntaxError> {
        self.skip_ws();
        let start = self.pos;
        // One entry per open container: true for an object.
        let mut stack: Vec<bool> = Vec::new();
        loop {
            self.scalar_or_open(&mut stack)?;
            // Close containers and find where the next value starts.
            loop {
                let Some(&in_object) = stack.last() else {
                    return Ok(&self.bytes[start..self.pos]);
                };
                self.skip_ws();
                match self.bytes.get(self.pos) {
                    Some(b',') => {
                        self.pos += 1;
                        if in_object {
                            self.object_key()?;
                        }
                        break;
                    }
                    Some(b'}') if in_object => {
                        self.pos += 1;
                        stack.pop();
                    }
                    Some(b']') if !in_object => {
                        self.pos += 1;
                        stack.pop();
                    }
                    _ if in_object => return self.unexpected("after object key:value pair"),
                    _ => return self.unexpected("after array element"),
                }
            }
        }
    }

    /// Consumes a scalar, or opens a container (pushing it) and positions the
    /// cursor at its first element; an empty container is consumed whole.
    fn scalar_or_open(&mut self, stack: &mut Vec<bool>) -> Result<(), SyntaxError> {
        let mut kind = self.peek_kind()?;
        loop {
            match kind {
                Kind::Null => return self.literal(b"null"),
                Kind::Bool => {
                    let word: &[u8] = if self.bytes[self.pos] == b't' {
                        b"true"
                    } else {
                        b"false"
                    };
                    return self.literal(word);
                }
                Kind::Number => return self.number(),
                Kind::String => return self.string().map(drop),
                Kind::Array | Kind::Object => {
                    if stack.len() >= MAX_DEPTH {
                        return self.err("exceeded max depth");
                    }
                    let is_object = kind == Kind::Object;
                    self.pos += 1;
                    self.skip_ws();
                    let close = if is_object { b'}' } else { b']' };
                    if self.bytes.get(self.pos) == Some(&close) {
                        self.pos += 1;
                        return Ok(());
                    }
                    stack.push(is_object);
                    if is_object {
                        self.object_key()?;
                    }
                    kind = self.peek_kind()?;
                }
            }
        }
    }

    fn object_key(&mut self) -> Result<String, SyntaxError> {
        self.skip_ws();
        if self.bytes.get(self.pos) != Some(&b'"') {
            return self.unexpected("looking for beginning of object key string");
        }
        let key = self.string()?;
        self.colon()?;
        Ok(key)
    }

    fn colon(&mut self) -> Result<(), SyntaxError> {
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b':') {
            self.pos += 1;
            Ok(())
        } else {
            self.unexpected("after object key")
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), SyntaxError> {
        for &expected in word {
            if self.bytes.get(self.pos) != Some(&expected) {
                return self.unexpected(&format!(
                    "in literal {} (expecting {})",
                    String::from_utf8_lossy(word),
                    quote_byte(expected)
                ));
            }
            self.pos += 1;
        }
        Ok(())
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<(), SyntaxError> {
        if self.bytes.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        match self.bytes.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return self.unexpected("in numeric literal"),
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return self.unexpected("after decimal point in numeric literal");
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return self.unexpected("in exponent of numeric literal");
            }
        }
        Ok(())
    }

    /// Reads a string the way Go decodes it into a `string`: escapes resolved,
    /// each invalid UTF-8 byte and each unpaired surrogate becoming U+FFFD.
    pub fn string(&mut self) -> Result<String, SyntaxError> {
        self.skip_ws();
        if self.bytes.get(self.pos) != Some(&b'"') {
            return self.unexpected("looking for beginning of value");
        }
        self.pos += 1;
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            while let Some(&b) = self.bytes.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            push_lossy(&mut out, &self.bytes[run_start..self.pos]);
            match self.bytes.get(self.pos) {
                None => return self.err("unexpected end of JSON input"),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                Some(_) => return self.unexpected("in string literal"),
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), SyntaxError> {
        let Some(&b) = self.bytes.get(self.pos) else {
            return self.err("unexpected end of JSON input");
        };
        let simple = match b {
            b'"' => Some('"'),
            b'\\' => Some('\\'),
            b'/' => Some('/'),
            b'b' => Some('\u{8}'),
            b'f' => Some('\u{c}'),
            b'n' => Some('\n'),
            b'r' => Some('\r'),
            b't' => Some('\t'),
            b'u' => None,
            _ => return self.unexpected("in string escape code"),
        };
        self.pos += 1;
        if let Some(c) = simple {
            out.push(c);
            return Ok(());
        }
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first)
            && self.bytes.get(self.pos..self.pos + 2) == Some(b"\\u")
        {
            // Only consume the second escape if it completes the pair, as Go does.
            let save = self.pos;
            self.pos += 2;
            let second = self.hex4()?;
            if (0xDC00..0xE000).contains(&second) {
                let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                out.push(char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER));
                return Ok(());
            }
            self.pos = save;
        }
        out.push(char::from_u32(first).unwrap_or(char::REPLACEMENT_CHARACTER));
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let mut value = 0;
        for _ in 0..4 {
            let digit = match self.bytes.get(self.pos) {
                Some(&b) => (b as char).to_digit(16),
                None => return self.err("unexpected end of JSON input"),
            };
            let Some(digit) = digit else {
                return self.unexpected("in \\u hexadecimal character escape");
            };
            value = value * 16 + digit;
            self.pos += 1;
        }
        Ok(value)
    }

    /// Walks an array, handing `visit` the cursor at each element, which it
    /// must consume. `null` visits nothing.
    pub fn array(
        &mut self,
        mut visit: impl FnMut(&mut Cursor<'a>) -> Result<(), SyntaxError>,
    ) -> Result<(), SyntaxError> {
        match self.peek_kind()? {
            Kind::Null => return self.literal(b"null"),
            Kind::Array => {}
            _ => unreachable!("callers check the kind before walking an array"),
        }
        self.pos += 1;
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            visit(self)?;
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return self.unexpected("after array element"),
            }
        }
    }

    /// Walks an object, handing each decoded key to `visit` with the cursor at
    /// the value; `visit` must consume the value. `null` visits nothing.
    pub fn object(
        &mut self,
        mut visit: impl FnMut(&str, &mut Cursor<'a>) -> Result<(), SyntaxError>,
    ) -> Result<(), SyntaxError> {
        match self.peek_kind()? {
            Kind::Null => return self.literal(b"null"),
            Kind::Object => {}
            _ => unreachable!("callers check the kind before walking an object"),
        }
        self.pos += 1;
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            let key = self.object_key()?;
            visit(&key, self)?;
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return self.unexpected("after object key:value pair"),
            }
        }
    }
}

/// Go's struct-field matching: exact, else equal under simple case folding.
/// For the ASCII field names Docker uses, folding adds two non-ASCII
/// letters: the Kelvin sign folds to 'k' and the long s to 's' (the
/// installed CLI matches `detach\u212aeys` and `p\u017fFormat`).
pub fn field_matches(key: &str, field: &str) -> bool {
    let fold = |c: char| match c {
        '\u{212a}' => 'k',
        '\u{17f}' => 's',
        c => c.to_ascii_lowercase(),
    };
    key.chars().map(fold).eq(field.chars().map(fold))
}

fn push_lossy(out: &mut String, bytes: &[u8]) {
    // from_utf8_lossy replaces a maximal invalid subsequence with one U+FFFD;
    // Go replaces every invalid byte, so decode byte by byte past errors.
    let mut rest = bytes;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                return;
            }
            Err(e) => {
                let (valid, after) = rest.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                let bad = e.error_len().unwrap_or(after.len()).max(1);
                for _ in 0..bad {
                    out.push(char::REPLACEMENT_CHARACTER);
                }
                rest = &after[bad..];
            }
        }
    }
}

fn quote_byte(b: u8) -> String {
    match b {
        b'\'' => "'\\''".to_string(),
        b'"' => "'\"'".to_string(),
        0x20..=0x7e => format!("'{}'", b as char),
        _ => format!("'\\x{b:02x}'"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_string(doc: &[u8]) -> Result<String, SyntaxError> {
        Cursor::new(doc).string()
    }

    #[test]
    fn skips_nested_values_and_reports_their_span() {
        let doc = br#" {"a":[1,2.5e-3,{"b":null}],"c":true} tail"#;
        let mut c = Cursor::new(doc);
        let raw = c.skip_value().unwrap();
        assert_eq!(raw, br#"{"a":[1,2.5e-3,{"b":null}],"c":true}"#);
        assert!(!c.at_end());
        assert!(Cursor::new(doc).skip_value().is_ok());
    }

    #[test]
    fn rejects_what_go_rejects() {
        for bad in [
            &b"{"[..],
            b"{\"a\"}",
            b"{\"a\":1,}",
            b"[1,]",
            b"[01]",
            b"1.",
            b"-",
            b"1e",
            b"tru",
            b"\"a\nb\"",
            b"\"\\x\"",
            b"\"\\u12g4\"",
            b"{a:1}",
            b"",
        ] {
            assert!(
                Cursor::new(bad).skip_value().is_err(),
                "{:?} should be rejected",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn accepts_deep_nesting_up_to_go_limit_without_recursion() {
        let depth = MAX_DEPTH;
        let doc = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(Cursor::new(doc.as_bytes()).skip_value().is_ok());
        let too_deep = format!("{}{}", "[".repeat(depth + 1), "]".repeat(depth + 1));
        let err = Cursor::new(too_deep.as_bytes()).skip_value().unwrap_err();
        assert_eq!(err.message, "exceeded max depth");
    }

    #[test]
    fn decodes_strings_like_go() {
        assert_eq!(first_string(br#""fo\u006f""#).unwrap(), "foo");
        assert_eq!(first_string(br#""\ud83d\ude00""#).unwrap(), "\u{1F600}");
        // Lone surrogates and invalid bytes become one U+FFFD each.
        assert_eq!(first_string(br#""\ud800x""#).unwrap(), "\u{FFFD}x");
        assert_eq!(
            first_string(b"\"f\xff\xfeo\"").unwrap(),
            "f\u{FFFD}\u{FFFD}o"
        );
        assert_eq!(first_string(br#""a\/b\t""#).unwrap(), "a/b\t");
    }

    #[test]
    fn walks_objects_with_duplicate_keys_in_order() {
        let mut seen = Vec::new();
        Cursor::new(br#"{"a":1,"A":"x","b":[]}"#)
            .object(|k, c| {
                seen.push(k.to_string());
                c.skip_value().map(drop)
            })
            .unwrap();
        assert_eq!(seen, ["a", "A", "b"]);
    }

    #[test]
    fn error_messages_read_like_go() {
        let err = Cursor::new(b"{bad").skip_value().unwrap_err();
        assert_eq!(
            err.message,
            "invalid character 'b' looking for beginning of object key string"
        );
        let mut c = Cursor::new(b"{} x");
        c.skip_value().unwrap();
        assert_eq!(
            c.expect_end().unwrap_err().message,
            "invalid character 'x' after top-level value"
        );
    }
}
