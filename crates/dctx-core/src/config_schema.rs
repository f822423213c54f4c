//! The rest of config.json, for the one thing dctx needs from it: whether
//! the Docker CLI would warn about the file.
//!
//! The CLI decodes config.json into its `ConfigFile` struct. Go's decoder
//! reports the first value of the wrong type for a known field (and still
//! decodes the others, `currentContext` included); then every registry's
//! `auth` must be base64 of `user:password`. Either makes the CLI print a
//! warning on every command, so dctx marks the prompt and says why. The
//! fields and their types are the installed CLI's, probed one by one
//! (Docker 28): unknown fields are ignored, `null` is always accepted.

use std::collections::BTreeMap;

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

use crate::gojson::{field_matches, Cursor, Kind, SyntaxError};

/// The Go type a field decodes into.
#[derive(Debug, Clone, Copy)]
enum Shape {
    String,
    StringMap,
    StringList,
    /// `map[string]types.AuthConfig`
    Auths,
    /// `map[string]configfile.ProxyConfig`
    Proxies,
    /// `map[string]map[string]string`
    Plugins,
}

/// `ConfigFile`'s fields other than `currentContext`, by JSON name.
const FIELDS: &[(&str, Shape)] = &[
    ("auths", Shape::Auths),
    ("HttpHeaders", Shape::StringMap),
    ("psFormat", Shape::String),
    ("imagesFormat", Shape::String),
    ("networksFormat", Shape::String),
    ("pluginsFormat", Shape::String),
    ("volumesFormat", Shape::String),
    ("statsFormat", Shape::String),
    ("detachKeys", Shape::String),
    ("credsStore", Shape::String),
    ("credHelpers", Shape::StringMap),
    ("serviceInspectFormat", Shape::String),
    ("servicesFormat", Shape::String),
    ("tasksFormat", Shape::String),
    ("secretFormat", Shape::String),
    ("configFormat", Shape::String),
    ("nodesFormat", Shape::String),
    ("pruneFilters", Shape::StringList),
    ("proxies", Shape::Proxies),
    ("experimental", Shape::String),
    ("cliPluginsExtraDirs", Shape::StringList),
    ("plugins", Shape::Plugins),
    ("aliases", Shape::StringMap),
    ("features", Shape::StringMap),
];

const AUTH_FIELDS: &[&str] = &[
    "username",
    "password",
    "auth",
    "email",
    "serveraddress",
    "identitytoken",
    "registrytoken",
];

const PROXY_FIELDS: &[&str] = &["httpProxy", "httpsProxy", "noProxy", "ftpProxy", "allProxy"];

/// Go's `base64.StdEncoding`: padding required, stray low bits tolerated.
const GO_STD_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// Collects what the CLI would complain about while config.json is walked.
#[derive(Debug, Default)]
pub struct Checker {
    type_error: Option<String>,
    /// Each registry's `auth`, as the decoded map ends up holding it.
    auths: BTreeMap<String, Option<String>>,
}

impl Checker {
    /// Checks the value of the top-level `key`, consuming it; `false` (and
    /// nothing consumed) when `key` is not a `ConfigFile` field.
    pub fn field(&mut self, key: &str, value: &mut Cursor) -> Result<bool, SyntaxError> {
        let Some(&(name, shape)) = FIELDS.iter().find(|(name, _)| field_matches(key, name)) else {
            return Ok(false);
        };
        let path = format!("ConfigFile.{name}");
        match shape {
            Shape::String => self.string(value, &path).map(drop)?,
            Shape::StringMap => self.string_map(value, &path)?,
            Shape::StringList => self.string_list(value, &path)?,
            Shape::Auths => self.auths(value)?,
            Shape::Proxies => self.map_of(value, &path, "configfile.ProxyConfig", |c, v| {
                c.structure(v, "ProxyConfig.proxies", PROXY_FIELDS)
                    .map(drop)
            })?,
            Shape::Plugins => self.map_of(value, &path, "map[string]string", |c, v| {
                c.string_map(v, &path)
            })?,
        }
        Ok(true)
    }

    /// The warning the CLI would print, if any: the first type error, else
    /// the first `auth` that does not decode.
    pub fn finish(self) -> Option<String> {
        if self.type_error.is_some() {
            return self.type_error;
        }
        self.auths
            .values()
            .flatten()
            .find_map(|auth| decode_auth(auth).err())
    }

    /// Records a type error, unless an earlier one was recorded.
    pub fn type_error(&mut self, kind: Kind, path: &str, go_type: &str) {
        self.type_error.get_or_insert_with(|| {
            format!(
                "json: cannot unmarshal {} into Go struct field {path} of type {go_type}",
                kind.go_name()
            )
        });
    }

    /// Skips a value of the wrong `kind` (null is never wrong).
    fn mismatch(
        &mut self,
        value: &mut Cursor,
        kind: Kind,
        path: &str,
        go_type: &str,
    ) -> Result<(), SyntaxError> {
        value.skip_value()?;
        if kind != Kind::Null {
            self.type_error(kind, path, go_type);
        }
        Ok(())
    }

    fn string(&mut self, value: &mut Cursor, path: &str) -> Result<Option<String>, SyntaxError> {
        match value.peek_kind()? {
            Kind::String => value.string().map(Some),
            kind => self.mismatch(value, kind, path, "string").map(|()| None),
        }
    }

    fn string_map(&mut self, value: &mut Cursor, path: &str) -> Result<(), SyntaxError> {
        self.map_of(value, path, "string", |c, v| c.string(v, path).map(drop))
    }

    fn string_list(&mut self, value: &mut Cursor, path: &str) -> Result<(), SyntaxError> {
        match value.peek_kind()? {
            Kind::Array => value.array(|v| self.string(v, path).map(drop)),
            kind => self.mismatch(value, kind, path, "[]string"),
        }
    }

    /// An object whose every value `each` checks.
    fn map_of(
        &mut self,
        value: &mut Cursor,
        path: &str,
        elem_type: &str,
        mut each: impl FnMut(&mut Self, &mut Cursor) -> Result<(), SyntaxError>,
    ) -> Result<(), SyntaxError> {
        match value.peek_kind()? {
            Kind::Object => value.object(|_, v| each(self, v)),
            kind => self.mismatch(value, kind, path, &format!("map[string]{elem_type}")),
        }
    }

    /// A struct of string `fields`; returns its `auth`, if it set one.
    fn structure(
        &mut self,
        value: &mut Cursor,
        path: &str,
        fields: &[&str],
    ) -> Result<Option<String>, SyntaxError> {
        let kind = value.peek_kind()?;
        if kind != Kind::Object {
            let struct_name = path.split('.').next().unwrap_or(path);
            self.mismatch(value, kind, path, struct_name)?;
            return Ok(None);
        }
        let mut auth = None;
        value.object(
            |key, v| match fields.iter().find(|f| field_matches(key, f)) {
                Some(&field) => {
                    let got = self.string(v, &format!("{path}.{field}"))?;
                    // null leaves the field as it was, like any Go decode.
                    if field == "auth" && got.is_some() {
                        auth = got;
                    }
                    Ok(())
                }
                None => v.skip_value().map(drop),
            },
        )?;
        Ok(auth)
    }

    fn auths(&mut self, value: &mut Cursor) -> Result<(), SyntaxError> {
        match value.peek_kind()? {
            // Go decodes into the map already there, so repeated `auths`
            // keys merge, and `null` empties it.
            Kind::Object => value.object(|registry, v| {
                // Each entry starts from a zero AuthConfig.
                let auth = self.structure(v, "AuthConfig.auths", AUTH_FIELDS)?;
                self.auths.insert(registry.to_string(), auth);
                Ok(())
            }),
            Kind::Null => {
                self.auths.clear();
                value.skip_value().map(drop)
            }
            kind => self.mismatch(
                value,
                kind,
                "ConfigFile.auths",
                "map[string]types.AuthConfig",
            ),
        }
    }
}

/// docker/cli's `decodeAuth`: base64 (newlines ignored, as Go does) of
/// `user:password` with a non-empty user.
fn decode_auth(auth: &str) -> Result<(), String> {
    if auth.is_empty() {
        return Ok(());
    }
    let cleaned: String = auth.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
    let decoded = GO_STD_BASE64.decode(cleaned).map_err(|e| match e {
        base64::DecodeError::InvalidByte(at, _) | base64::DecodeError::InvalidLastSymbol(at, _) => {
            format!("illegal base64 data at input byte {at}")
        }
        _ => "illegal base64 data".to_string(),
    })?;
    match decoded.split(|&b| b == b':').next() {
        Some(user) if !user.is_empty() && decoded.contains(&b':') => Ok(()),
        _ => Err("Invalid auth configuration file".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warning(doc: &str) -> Option<String> {
        let mut checker = Checker::default();
        let mut cursor = Cursor::new(doc.as_bytes());
        cursor
            .object(|key, value| {
                if !checker.field(key, value)? {
                    value.skip_value()?;
                }
                Ok(())
            })
            .unwrap();
        checker.finish()
    }

    // Each verdict was read off `docker context show` (Docker 28.2.2) with
    // the same config.json: a warning on stderr, or none.
    #[test]
    fn warns_exactly_where_the_cli_warns() {
        let quiet = [
            r#"{"psFormat":"x","psFormat":null}"#,
            r#"{"HttpHeaders":{"a":"b","c":null},"credHelpers":null}"#,
            r#"{"pruneFilters":["a",null]}"#,
            r#"{"auths":{"r":{},"s":null,"t":{"Username":"u","foo":5}}}"#,
            r#"{"auths":{"r":{"auth":"dXNlcjpwYXNz"}}}"#,
            r#"{"auths":{"r":{"auth":"dXNlcjpwYXNz\n"}}}"#,
            r#"{"auths":{"r":{"auth":""}}}"#,
            r#"{"auths":{"r":{"auth":"!!"}},"auths":null}"#,
            r#"{"proxies":{"default":{"httpProxy":"x","other":5}}}"#,
            r#"{"plugins":{"a":{"b":"c"},"d":null}}"#,
            r#"{"experimental":"enabled","Filename":5,"unknown":[1]}"#,
        ];
        for doc in quiet {
            assert_eq!(warning(doc), None, "{doc}");
        }
        let warned = [
            r#"{"psFormat":true}"#,
            r#"{"PSFORMAT":5}"#,
            "{\"p\u{17f}Format\":5}",
            "{\"detach\u{212a}eys\":5}",
            r#"{"psFormat":"x","psformat":5}"#,
            r#"{"HttpHeaders":{"a":1}}"#,
            r#"{"HttpHeaders":[]}"#,
            r#"{"pruneFilters":[1]}"#,
            r#"{"pruneFilters":{}}"#,
            r#"{"auths":5}"#,
            r#"{"auths":{"r":5}}"#,
            r#"{"auths":{"r":{"username":5}}}"#,
            r#"{"auths":{"r":{"auth":"!!"}}}"#,
            r#"{"auths":{"r":{"auth":"dXNlcg=="}}}"#,
            r#"{"auths":{"r":{"auth":"OnBhc3M="}}}"#,
            r#"{"auths":{"r":{"auth":"dXNlcjpwYXNz="}}}"#,
            r#"{"auths":{"r":{"auth":"dXNlcjpwYXN"}}}"#,
            r#"{"auths":{"r":{"auth":"!!"}},"auths":{"s":{}}}"#,
            r#"{"proxies":{"default":{"httpsProxy":5}}}"#,
            r#"{"proxies":{"default":5}}"#,
            r#"{"plugins":{"a":{"b":5}}}"#,
            r#"{"plugins":{"a":5}}"#,
            r#"{"features":{"a":true}}"#,
            r#"{"cliPluginsExtraDirs":5}"#,
        ];
        for doc in warned {
            assert!(warning(doc).is_some(), "{doc}");
        }
    }

    #[test]
    fn messages_name_the_field_as_go_does() {
        assert_eq!(
            warning(r#"{"psFormat":5}"#).as_deref(),
            Some("json: cannot unmarshal number into Go struct field ConfigFile.psFormat of type string")
        );
        assert_eq!(
            warning(r#"{"auths":{"r":{"auth":"dXNlcg=="}}}"#).as_deref(),
            Some("Invalid auth configuration file")
        );
        assert_eq!(
            warning(r#"{"auths":{"r":{"auth":"!!"}}}"#).as_deref(),
            Some("illegal base64 data at input byte 0")
        );
    }
}
