//! Computes `DCTX_BUILD_ID`: a digest of the shipped sources, so that two
//! builds agree on it exactly when they were built from the same code.
//! The daemon handshake compares it, because the crate version is the same
//! for every commit and an upgraded client must not use an old daemon.
//! Only what `build_inputs.rs` lists is hashed and watched: the bench, the
//! soak and the tests are not shipped, and editing them must not rebuild
//! this crate.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

#[path = "build_inputs.rs"]
mod build_inputs;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => files(&path, out),
            Ok(t) if t.is_file() => out.push(path),
            _ => {}
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap());
    // crates/dctx-ipc -> the workspace root, when built from the repository.
    let root = manifest.join("../..");
    let mut inputs = Vec::new();
    for dir in build_inputs::SHIPPED_DIRS {
        let dir = root.join(dir);
        println!("cargo:rerun-if-changed={}", dir.display());
        files(&dir, &mut inputs);
    }
    let found = inputs.len();
    for file in build_inputs::SHIPPED_FILES {
        let file = root.join(file);
        println!("cargo:rerun-if-changed={}", file.display());
        inputs.push(file);
    }
    if found == 0 {
        // Built outside the repository (a published crate): this crate alone.
        files(&manifest, &mut inputs);
    }
    inputs.sort();
    let mut hash = Sha256::new();
    hash.update(std::env::var("CARGO_PKG_VERSION").unwrap_or_default());
    for path in &inputs {
        let Ok(contents) = std::fs::read(path) else {
            continue;
        };
        let name = path.strip_prefix(&root).unwrap_or(path);
        hash.update(name.to_string_lossy().as_bytes());
        hash.update([0]);
        hash.update((contents.len() as u64).to_le_bytes());
        hash.update(&contents);
    }
    let id: String = hash.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    println!("cargo:rustc-env=DCTX_BUILD_ID={id}");
}
