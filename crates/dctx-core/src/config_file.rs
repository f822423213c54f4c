//! `config.json`: only `currentContext` matters, read the way the Docker CLI
//! reads it (`json.NewDecoder(f).Decode(&configFile)`), plus whether the CLI
//! would warn about the rest of the file (`config_schema`).
//!
//! Go's decoder reads just the first value, matches keys case-insensitively,
//! lets a later duplicate key win, and on a type error keeps decoding the
//! other fields; a syntax error anywhere in the first value decodes nothing.

use crate::config_schema::Checker;
use crate::gojson::{field_matches, Cursor, Kind};

/// What the CLI takes from config.json.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigFile {
    /// A non-empty `currentContext`, if any.
    pub current_context: Option<String>,
    /// The error the CLI would print as a warning, if any.
    pub warning: Option<String>,
}

/// Parses config.json. Never fails: problems become `warning`, as they do for
/// the CLI, which falls back to the `default` context.
pub fn parse(bytes: &[u8]) -> ConfigFile {
    let mut cursor = Cursor::new(bytes);
    if cursor.at_end() {
        // io.EOF: an empty or blank file is silently the same as no file.
        return ConfigFile::default();
    }
    let mut current = String::new();
    let mut checker = Checker::default();
    let mut not_an_object = None;
    // One pass: Go checks the whole value's syntax before decoding, so a
    // syntax error anywhere discards whatever this walk picked up.
    let walked = match cursor.peek_kind() {
        Ok(Kind::Object) => cursor.object(|key, value| {
            if !field_matches(key, "currentContext") {
                if !checker.field(key, value)? {
                    value.skip_value()?;
                }
                return Ok(());
            }
            match value.peek_kind()? {
                Kind::String => current = value.string()?,
                // null leaves the field as it was, like any Go decode.
                Kind::Null => {
                    value.skip_value()?;
                }
                other => {
                    value.skip_value()?;
                    checker.type_error(other, "ConfigFile.currentContext", "string");
                }
            }
            Ok(())
        }),
        Ok(other) => cursor.skip_value().map(|_| {
            if other != Kind::Null {
                not_an_object = Some(format!(
                    "json: cannot unmarshal {} into Go value of type configfile.ConfigFile",
                    other.go_name()
                ));
            }
        }),
        Err(e) => Err(e),
    };
    match walked {
        Err(syntax) => ConfigFile {
            current_context: None,
            warning: Some(syntax.message),
        },
        Ok(()) => ConfigFile {
            current_context: Some(current).filter(|c| !c.is_empty()),
            warning: not_an_object.or_else(|| checker.finish()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current(doc: &[u8]) -> Option<String> {
        parse(doc).current_context
    }

    // Each expectation was read off `docker context show` with the same file.
    #[test]
    fn picks_the_context_the_cli_picks() {
        assert_eq!(
            current(br#"{"currentContext":"foo"}"#).as_deref(),
            Some("foo")
        );
        assert_eq!(
            current(br#"{"CURRENTCONTEXT":"foo"}"#).as_deref(),
            Some("foo")
        );
        assert_eq!(
            current(br#"{"currentContext":"foo","CurrentContext":"bar"}"#).as_deref(),
            Some("bar")
        );
        assert_eq!(
            current(br#"{"currentContext":"foo","currentContext":5}"#).as_deref(),
            Some("foo")
        );
        assert_eq!(
            current(br#"{"currentContext":"foo","currentContext":null}"#).as_deref(),
            Some("foo")
        );
        assert_eq!(
            current(br#"{"auths":5,"currentContext":"foo"}"#).as_deref(),
            Some("foo")
        );
        assert_eq!(
            current(br#"{"currentContext":"foo"} trailing"#).as_deref(),
            Some("foo")
        );
        assert_eq!(
            current(br#"{"currentContext":"fo\u006f"}"#).as_deref(),
            Some("foo")
        );
        assert_eq!(
            current(b"{\"x\":\"\xff\",\"currentContext\":\"f\xffo\"}").as_deref(),
            Some("f\u{FFFD}o")
        );
        for default in [
            &b""[..],
            b"   ",
            b"{bad",
            b"[]",
            b"null",
            b"\xef\xbb\xbf{\"currentContext\":\"foo\"}",
            br#"{"currentContext":5}"#,
            br#"{"currentContext":""}"#,
            br#"{"currentContext":"x""#,
        ] {
            assert_eq!(
                current(default),
                None,
                "{:?}",
                String::from_utf8_lossy(default)
            );
        }
    }

    #[test]
    fn warns_where_the_cli_warns() {
        assert_eq!(parse(b"").warning, None);
        assert_eq!(parse(b"null").warning, None);
        assert_eq!(
            parse(b"{bad").warning.as_deref(),
            Some("invalid character 'b' looking for beginning of object key string")
        );
        assert_eq!(
            parse(br#"{"currentContext":5}"#).warning.as_deref(),
            Some("json: cannot unmarshal number into Go struct field ConfigFile.currentContext of type string")
        );
        assert_eq!(
            parse(b"[]").warning.as_deref(),
            Some("json: cannot unmarshal array into Go value of type configfile.ConfigFile")
        );
    }
}
