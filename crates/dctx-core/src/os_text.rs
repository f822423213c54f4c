//! Paths and environment values on the protocol's wire, byte for byte.
//!
//! Unix paths and variables are bytes, and the Docker CLI uses them as
//! such: a `DOCKER_CONFIG` or `HOME` that is not UTF-8 still names a real
//! directory. UTF-8 values travel as JSON strings, so the wire reads as it
//! always did; anything else travels as an array of bytes.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An `OsString` that survives JSON.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OsText(pub OsString);

impl Serialize for OsText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.to_str() {
            Some(text) => serializer.serialize_str(text),
            None => self.0.as_bytes().serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for OsText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Text(String),
            Bytes(Vec<u8>),
        }
        Ok(OsText(match Wire::deserialize(deserializer)? {
            Wire::Text(text) => text.into(),
            Wire::Bytes(bytes) => OsString::from_vec(bytes),
        }))
    }
}

/// For `#[serde(with = "crate::os_text::path")]` on a `PathBuf`.
pub mod path {
    use super::*;

    pub fn serialize<S: Serializer>(path: &Path, serializer: S) -> Result<S::Ok, S::Error> {
        OsText(path.as_os_str().to_owned()).serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<PathBuf, D::Error> {
        OsText::deserialize(deserializer).map(|t| PathBuf::from(t.0))
    }
}

/// For `#[serde(with = "crate::os_text::option_path")]` on an
/// `Option<PathBuf>`.
pub mod option_path {
    use super::*;

    pub fn serialize<S: Serializer>(
        path: &Option<PathBuf>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        path.as_ref()
            .map(|p| OsText(p.clone().into_os_string()))
            .serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<PathBuf>, D::Error> {
        Option::<OsText>::deserialize(deserializer).map(|t| t.map(|t| PathBuf::from(t.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_travels_as_a_string_and_anything_else_as_bytes() {
        let text = OsText("/home/u".into());
        assert_eq!(serde_json::to_string(&text).unwrap(), r#""/home/u""#);
        let bytes = OsText(OsString::from_vec(b"/home/h\xe9".to_vec()));
        let json = serde_json::to_string(&bytes).unwrap();
        assert!(json.starts_with('['), "{json}");
        for value in [text, bytes] {
            let json = serde_json::to_string(&value).unwrap();
            assert_eq!(serde_json::from_str::<OsText>(&json).unwrap(), value);
        }
    }
}
