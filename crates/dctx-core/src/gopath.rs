//! Go's `filepath.Clean`, which the Docker CLI applies (through
//! `filepath.Join`) to every path it builds from `DOCKER_CONFIG`,
//! `DOCKER_CERT_PATH` and `HOME`.
//!
//! Cleaning is lexical: `x/link/../cfg` is `x/cfg` to the CLI even when
//! `x/link` is a symlink into another tree, where the kernel would resolve
//! `..` from the link's target. Opening the uncleaned path would read
//! another directory than docker does, so every path taken from the
//! environment goes through [`clean`] before it is joined or opened.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// The shortest path lexically equal to `path`, by Go's rules: repeated
/// and trailing slashes go, `.` elements go, `..` removes the element
/// before it (or is dropped right after the root), and an empty result is
/// `.`. Bytes are kept as they are, UTF-8 or not.
pub fn clean(path: &Path) -> PathBuf {
    let bytes = path.as_os_str().as_bytes();
    let rooted = bytes.first() == Some(&b'/');
    let mut parts: Vec<&[u8]> = Vec::new();
    for part in bytes.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => match parts.last() {
                Some(&last) if last != b".." => {
                    parts.pop();
                }
                // `/..` is `/`; a relative path keeps its leading `..`s.
                _ if rooted => {}
                _ => parts.push(part),
            },
            _ => parts.push(part),
        }
    }
    let mut out = Vec::with_capacity(bytes.len());
    if rooted {
        out.push(b'/');
    }
    out.extend(parts.join(&b'/'));
    if out.is_empty() {
        out.push(b'.');
    }
    PathBuf::from(OsString::from_vec(out))
}

/// `filepath.Join(base, rest)`: joined, then cleaned.
pub fn join(base: &Path, rest: &Path) -> PathBuf {
    clean(&base.join(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The cases of Go's own `cleantests` (path/filepath), on Unix.
    #[test]
    fn cleans_as_go_does() {
        let cases = [
            ("abc", "abc"),
            ("abc/def", "abc/def"),
            ("a/b/c", "a/b/c"),
            (".", "."),
            ("..", ".."),
            ("../..", "../.."),
            ("../../abc", "../../abc"),
            ("/abc", "/abc"),
            ("/", "/"),
            ("", "."),
            ("abc/", "abc"),
            ("abc/def/", "abc/def"),
            ("/abc/", "/abc"),
            ("abc//def//ghi", "abc/def/ghi"),
            ("//abc", "/abc"),
            ("///abc", "/abc"),
            ("abc//", "abc"),
            ("abc/./def", "abc/def"),
            ("/./abc/def", "/abc/def"),
            ("abc/.", "abc"),
            ("abc/def/ghi/../jkl", "abc/def/jkl"),
            ("abc/def/../ghi/../jkl", "abc/jkl"),
            ("abc/def/..", "abc"),
            ("abc/def/../..", "."),
            ("/abc/def/../..", "/"),
            ("abc/def/../../..", ".."),
            ("/abc/def/../../..", "/"),
            ("abc/def/../../../ghi/jkl/../../../mno", "../../mno"),
            ("/../abc", "/abc"),
            ("abc/./../def", "def"),
            ("abc//./../def", "def"),
            ("abc/../../././../def", "../../def"),
        ];
        for (input, want) in cases {
            assert_eq!(clean(Path::new(input)), PathBuf::from(want), "{input:?}");
        }
    }

    #[test]
    fn keeps_non_utf8_bytes() {
        let raw = OsString::from_vec(b"/cfg-\xe9/./x/..".to_vec());
        let want = OsString::from_vec(b"/cfg-\xe9".to_vec());
        assert_eq!(clean(Path::new(&raw)).into_os_string(), want);
    }

    #[test]
    fn dot_dot_after_a_link_is_lexical() {
        assert_eq!(
            join(Path::new("/work"), Path::new("x/link/../cfg")),
            PathBuf::from("/work/x/cfg")
        );
    }
}
