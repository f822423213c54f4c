//! A context's `meta.json`, read as docker/cli's metadata store reads it:
//! `json.Unmarshal` of the whole file into `{Name, Metadata, Endpoints}`,
//! then the `docker` endpoint and the metadata decoded into their types.
//!
//! Any decode error makes the CLI refuse the context, so here too it is an
//! error rather than a best guess.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::gojson::{field_matches, Cursor, Kind, SyntaxError};

/// What a prompt needs from a context's metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextMeta {
    /// The `Name` the store recorded (Go's decoder: the last one wins).
    pub name: String,
    pub description: String,
    /// The docker endpoint's host; `None` when the context has no usable
    /// docker endpoint.
    pub host: Option<String>,
}

/// `<config dir>/contexts/meta/<sha256(name)>/meta.json`.
pub fn meta_path(config_dir: &Path, name: &str) -> PathBuf {
    let digest = Sha256::digest(name.as_bytes());
    let id: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    config_dir
        .join("contexts")
        .join("meta")
        .join(id)
        .join("meta.json")
}

/// Parses meta.json; the error reads like the CLI's.
pub fn parse(bytes: &[u8]) -> Result<ContextMeta, String> {
    let mut probe = Cursor::new(bytes);
    probe.skip_value().map_err(message)?;
    probe.expect_end().map_err(message)?;

    let mut cursor = Cursor::new(bytes);
    let mut metadata: Option<&[u8]> = None;
    let mut name = String::new();
    let mut endpoints: Option<HashMap<String, &[u8]>> = None;
    let mut type_error: Option<String> = None;
    let mut note = |e: String| {
        type_error.get_or_insert(e);
    };
    match cursor.peek_kind().map_err(message)? {
        Kind::Null => {}
        Kind::Object => cursor
            .object(|key, value| {
                if field_matches(key, "name") {
                    match value.peek_kind()? {
                        Kind::String => name = value.string()?,
                        Kind::Null => {
                            value.skip_value()?;
                        }
                        other => {
                            note(field_error(other, "untypedContextMetadata.name", "string"));
                            value.skip_value()?;
                        }
                    }
                } else if field_matches(key, "metadata") {
                    metadata = Some(value.skip_value()?);
                } else if field_matches(key, "endpoints") {
                    match value.peek_kind()? {
                        // Go sets a map to nil on null, and reuses it otherwise,
                        // so a repeated "endpoints" key merges into the first.
                        Kind::Null => {
                            value.skip_value()?;
                            endpoints = None;
                        }
                        Kind::Object => {
                            let map = endpoints.get_or_insert_with(HashMap::new);
                            value.object(|name, raw| {
                                map.insert(name.to_string(), raw.skip_value()?);
                                Ok(())
                            })?;
                        }
                        other => {
                            value.skip_value()?;
                            note(field_error(
                                other,
                                "untypedContextMetadata.endpoints",
                                "map[string]json.RawMessage",
                            ));
                        }
                    }
                } else {
                    value.skip_value()?;
                }
                Ok(())
            })
            .map_err(message)?,
        other => {
            return Err(format!(
                "json: cannot unmarshal {} into Go value of type store.untypedContextMetadata",
                other.go_name()
            ))
        }
    }
    if let Some(e) = type_error {
        return Err(e);
    }

    let description = match metadata {
        Some(raw) if !is_null(raw) => parse_description(raw)?,
        _ => String::new(),
    };
    let mut host = None;
    for (name, raw) in endpoints.unwrap_or_default() {
        if is_null(raw) {
            continue;
        }
        if name == "docker" {
            host = Some(parse_docker_endpoint(raw)?);
        } else if Cursor::new(raw).peek_kind().map_err(message)? != Kind::Object {
            return Err(unmarshal_error(raw, "map[string]interface {}"));
        }
    }
    Ok(ContextMeta {
        name,
        description,
        host,
    })
}

/// `DockerContext.UnmarshalJSON`: a map whose exact key "Description" must
/// hold a string (the CLI panics otherwise).
fn parse_description(raw: &[u8]) -> Result<String, String> {
    let mut cursor = Cursor::new(raw);
    if cursor.peek_kind().map_err(message)? != Kind::Object {
        return Err(unmarshal_error(raw, "map[string]interface {}"));
    }
    let mut description = Ok(String::new());
    cursor
        .object(|key, value| {
            if key != "Description" {
                return value.skip_value().map(drop);
            }
            description = match value.peek_kind()? {
                Kind::String => Ok(value.string()?),
                other => {
                    value.skip_value()?;
                    Err(format!(
                        "Metadata.Description is a {}, not a string (the Docker CLI crashes on this file)",
                        other.go_name()
                    ))
                }
            };
            Ok(())
        })
        .map_err(message)?;
    description
}

/// `EndpointMetaBase`: `Host` (string) and `SkipTLSVerify` (bool).
fn parse_docker_endpoint(raw: &[u8]) -> Result<String, String> {
    let mut cursor = Cursor::new(raw);
    if cursor.peek_kind().map_err(message)? != Kind::Object {
        return Err(unmarshal_error(raw, "docker.EndpointMeta"));
    }
    let mut host = String::new();
    let mut type_error = None;
    cursor
        .object(|key, value| {
            let kind = value.peek_kind()?;
            if field_matches(key, "Host") && kind == Kind::String {
                host = value.string()?;
                return Ok(());
            }
            let expected = if field_matches(key, "Host") {
                Some("string")
            } else if field_matches(key, "SkipTLSVerify") {
                Some("bool")
            } else {
                None
            };
            let fits = kind == Kind::Null || (expected == Some("bool") && kind == Kind::Bool);
            if let Some(ty) = expected.filter(|_| !fits) {
                let field = if ty == "bool" {
                    "SkipTLSVerify"
                } else {
                    "Host"
                };
                type_error.get_or_insert(field_error(
                    kind,
                    &format!("EndpointMetaBase.{field}"),
                    ty,
                ));
            }
            value.skip_value().map(drop)
        })
        .map_err(message)?;
    match type_error {
        Some(e) => Err(e),
        None => Ok(host),
    }
}

fn is_null(raw: &[u8]) -> bool {
    raw.is_empty() || raw == b"null"
}

fn message(e: SyntaxError) -> String {
    e.message
}

fn field_error(kind: Kind, field: &str, ty: &str) -> String {
    format!(
        "json: cannot unmarshal {} into Go struct field {field} of type {ty}",
        kind.go_name()
    )
}

fn unmarshal_error(raw: &[u8], ty: &str) -> String {
    let kind = Cursor::new(raw).peek_kind().map_or("value", Kind::go_name);
    format!("json: cannot unmarshal {kind} into Go value of type {ty}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(doc: &str) -> Result<Option<String>, String> {
        parse(doc.as_bytes()).map(|m| m.host)
    }

    #[test]
    fn meta_path_is_the_sha256_of_the_name() {
        // The directory `docker context create prod` made (Docker 28.2.2).
        assert_eq!(
            meta_path(Path::new("/c"), "prod"),
            PathBuf::from(
                "/c/contexts/meta/6754af9632a2745e85c293e5aac0863370d9bd3330b9938c00cadfd215227d77/meta.json"
            )
        );
    }

    #[test]
    fn reads_what_docker_writes() {
        let m = parse(
            br#"{"Name":"prod","Metadata":{"Description":"Production"},"Endpoints":{"docker":{"Host":"ssh://deploy@prod-01","SkipTLSVerify":false}}}"#,
        )
        .unwrap();
        assert_eq!(m.description, "Production");
        assert_eq!(m.host.as_deref(), Some("ssh://deploy@prod-01"));
    }

    // Expectations from `docker context inspect` on the same file.
    #[test]
    fn is_lenient_where_the_cli_is() {
        assert_eq!(
            host(r#"{"name":"x","endpoints":{"docker":{"host":"h1"}}}"#),
            Ok(Some("h1".into()))
        );
        assert_eq!(
            host(r#"{"Endpoints":{"docker":{"Host":"h1"},"docker":{"Host":"h2"}},"x":[1]}"#),
            Ok(Some("h2".into()))
        );
        assert_eq!(
            host(r#"{"Endpoints":{"docker":{"Host":"h1"}},"endpoints":{"k8s":{}}}"#),
            Ok(Some("h1".into()))
        );
        assert_eq!(
            host(r#"{"Endpoints":{"docker":{"Host":"h1","Host":null}}}"#),
            Ok(Some("h1".into()))
        );
        assert_eq!(
            host(r#"{"Name":"x","Metadata":null,"Endpoints":{"docker":{"Host":"h1"}}}"#),
            Ok(Some("h1".into()))
        );
        assert_eq!(
            host(r#"{"Name":"other","Endpoints":{"Docker":{"Host":"h1"}}}"#),
            Ok(None)
        );
        assert_eq!(
            host(r#"{"Name":"x","Endpoints":{"docker":null}}"#),
            Ok(None)
        );
        assert_eq!(host("null"), Ok(None));
    }

    #[test]
    fn is_strict_where_the_cli_is() {
        for bad in [
            "",
            r#"{"Name":"x1","Endpoints":{"docker":{"Host":"h1"}}} x"#,
            r#"{"Name":5}"#,
            r#"{"Metadata":[]}"#,
            r#"{"Metadata":{"Description":5}}"#,
            r#"{"Endpoints":{"docker":{"Host":"h1","SkipTLSVerify":"no"}}}"#,
            r#"{"Endpoints":{"docker":{"Host":5}}}"#,
            r#"{"Endpoints":{"docker":[]}}"#,
            r#"{"Endpoints":[]}"#,
            "[]",
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad} should be refused");
        }
        assert_eq!(
            parse(br#"{"Endpoints":{"docker":{"Host":5}}}"#).unwrap_err(),
            "json: cannot unmarshal number into Go struct field EndpointMetaBase.Host of type string"
        );
    }
}
