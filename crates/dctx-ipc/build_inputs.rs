//! What `DCTX_BUILD_ID` is computed over: the sources the two shipped
//! binaries (`dctx`, `dctx-prompt`) are built from, and nothing else, so
//! that an edit to the benchmark, the soak or the tests neither rebuilds
//! this crate (and everything above it) nor replaces a developer's running
//! daemon. Shared by `build.rs` and a unit test that holds the list
//! against the crates' manifests.

/// Workspace-relative directories hashed into the build id: every crate
/// `dctx` and `dctx-prompt` link, and the scripts they embed or install.
pub const SHIPPED_DIRS: &[&str] = &[
    "crates/dctx-core",
    "crates/dctx-ipc",
    "crates/dctx-daemon",
    "crates/dctx-prompt",
    "crates/dctx",
    "shell-integrations",
    "tmux",
];

/// Workspace-relative files hashed too: the locked dependency versions.
pub const SHIPPED_FILES: &[&str] = &["Cargo.lock"];

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    /// The workspace crates named in a manifest's `[dependencies]` and
    /// `[build-dependencies]` (not dev-dependencies: tests are not shipped).
    fn linked_crates(manifest: &Path) -> Vec<String> {
        let text = std::fs::read_to_string(manifest).unwrap();
        let mut section = "";
        let mut out = Vec::new();
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                section = line;
                continue;
            }
            if section != "[dependencies]" && section != "[build-dependencies]" {
                continue;
            }
            let name = line.split(['.', ' ', '=']).next().unwrap_or("");
            if root()
                .join("crates")
                .join(name)
                .join("Cargo.toml")
                .is_file()
            {
                out.push(name.to_string());
            }
        }
        out
    }

    #[test]
    fn every_crate_the_binaries_link_is_hashed() {
        let mut todo = vec!["dctx".to_string(), "dctx-prompt".to_string()];
        let mut seen = Vec::new();
        while let Some(name) = todo.pop() {
            if seen.contains(&name) {
                continue;
            }
            let dir = format!("crates/{name}");
            assert!(SHIPPED_DIRS.contains(&dir.as_str()), "{dir} is not hashed");
            todo.extend(linked_crates(&root().join(&dir).join("Cargo.toml")));
            seen.push(name);
        }
        // The walk went through the manifests, not just the two binaries.
        assert!(seen.len() >= 5, "{seen:?}");
    }

    #[test]
    fn the_unshipped_crates_are_not_hashed() {
        for dir in [
            "crates/dctx-bench",
            "crates/dctx-soak",
            "crates/fake-engine",
            "tests",
            "fuzz",
        ] {
            assert!(root().join(dir).is_dir(), "{dir} moved: update this test");
            // Neither the dir nor any dir holding it (`crates`, the root).
            for hashed in SHIPPED_DIRS {
                assert!(
                    !Path::new(dir).starts_with(hashed),
                    "{dir} is hashed by {hashed}"
                );
            }
        }
        for dir in SHIPPED_DIRS {
            assert!(root().join(dir).is_dir(), "{dir} does not exist");
        }
        for file in SHIPPED_FILES {
            assert!(root().join(file).is_file(), "{file} does not exist");
        }
    }

    #[test]
    fn every_embedded_file_is_hashed() {
        let mut found = 0;
        for dir in SHIPPED_DIRS.iter().filter(|d| d.starts_with("crates/")) {
            let mut stack = vec![root().join(dir).join("src")];
            while let Some(dir) = stack.pop() {
                for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                    let path = entry.path();
                    if path.is_dir() {
                        stack.push(path);
                        continue;
                    }
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    for (i, _) in text.match_indices("include_str!(\"") {
                        let rest = &text[i + "include_str!(\"".len()..];
                        let target = &rest[..rest.find('"').unwrap()];
                        let target = path.parent().unwrap().join(target).canonicalize().unwrap();
                        let hashed = SHIPPED_DIRS
                            .iter()
                            .any(|d| target.starts_with(root().join(d).canonicalize().unwrap()));
                        assert!(
                            hashed,
                            "{} embeds {} unhashed",
                            path.display(),
                            target.display()
                        );
                        found += 1;
                    }
                }
            }
        }
        assert!(found > 0, "no include_str! found: the scan is broken");
    }
}
