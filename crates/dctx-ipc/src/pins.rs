//! Expected engine identities, `pins.json` in dctx's state dir: written by
//! `dctx pin` and `dctx unpin`, read by the daemon (for prompts and
//! `dctx status`) and by the guard. Never in Docker's config dir.
//!
//! The file carries [`PINS_VERSION`]; a reader refuses a file of another
//! version instead of misreading it, and a writer refuses to replace one.

use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use dctx_core::engine::PinnedIdentity;
use dctx_core::FileSystem;
use serde::{Deserialize, Serialize};

/// Bumped on any incompatible change to the file.
pub const PINS_VERSION: u32 = 1;

/// One context's expected engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    /// The Docker config dir the context lives in.
    #[serde(with = "dctx_core::os_text::path")]
    pub config_dir: PathBuf,
    pub context: String,
    #[serde(flatten)]
    pub identity: PinnedIdentity,
}

#[derive(Debug, Serialize, Deserialize)]
struct PinsFile {
    v: u32,
    #[serde(default)]
    pins: Vec<Pin>,
}

/// Why the pins could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PinsError {
    #[error("{path} was written by another dctx version (format {found}, this one reads {PINS_VERSION})")]
    OtherVersion { path: String, found: u64 },
    #[error("could not read {path}: {error}")]
    Unreadable { path: String, error: String },
}

pub fn pins_path(state_dir: &Path) -> PathBuf {
    state_dir.join("pins.json")
}

/// The pins in `state_dir`; none when the file does not exist. The dir
/// must be this user's and private: pins from a dir another user can
/// write would let them raise or silence the identity-change marker.
pub fn load(fs: &dyn FileSystem, state_dir: &Path) -> Result<Vec<Pin>, PinsError> {
    let path = pins_path(state_dir);
    let shown = path.display().to_string();
    match crate::paths::check_private_dir(state_dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        // A plain file where the dir should be holds no pins.json, as
        // surely as no dir at all (a symlink or a dir is checked).
        Err(_) if std::fs::symlink_metadata(state_dir).is_ok_and(|m| m.is_file()) => {
            return Ok(Vec::new())
        }
        Err(e) => {
            return Err(PinsError::Unreadable {
                path: shown,
                error: e.to_string(),
            })
        }
        Ok(()) => {}
    }
    let bytes = match fs.read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(PinsError::Unreadable {
                path: shown,
                error: e.to_string(),
            })
        }
    };
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| PinsError::Unreadable {
            path: shown.clone(),
            error: e.to_string(),
        })?;
    let found = value
        .get("v")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0);
    if found != u64::from(PINS_VERSION) {
        return Err(PinsError::OtherVersion { path: shown, found });
    }
    let file: PinsFile = serde_json::from_value(value).map_err(|e| PinsError::Unreadable {
        path: shown,
        error: e.to_string(),
    })?;
    Ok(file.pins)
}

/// The pin of `context` in `config_dir`.
pub fn find<'a>(pins: &'a [Pin], config_dir: &Path, context: &str) -> Option<&'a PinnedIdentity> {
    pins.iter()
        .find(|p| p.config_dir == config_dir && p.context == context)
        .map(|p| &p.identity)
}

/// Why the pins could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error(transparent)]
    Read(#[from] PinsError),
    #[error("could not write {path}: {error}")]
    Write { path: String, error: io::Error },
}

/// Reads the pins, lets `change` edit them, and writes them back, all
/// under an exclusive lock on `pins.lock` in `state_dir`: two `dctx pin`
/// runs at once both land, neither overwrites the other's pin with the
/// list it read before. Nothing is written when `change` says `false`.
pub fn update<R>(
    state_dir: &Path,
    change: impl FnOnce(&mut Vec<Pin>) -> (bool, R),
) -> Result<R, UpdateError> {
    let path = pins_path(state_dir);
    let write_error = |error: io::Error| UpdateError::Write {
        path: path.display().to_string(),
        error,
    };
    crate::paths::ensure_private_dir(state_dir).map_err(write_error)?;
    let lock = std::fs::File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(state_dir.join("pins.lock"))
        .map_err(write_error)?;
    // Released when `lock` is closed at the end (or the process dies).
    lock.lock().map_err(write_error)?;
    let mut pins = load(&dctx_core::RealFs, state_dir)?;
    let (changed, answer) = change(&mut pins);
    if changed {
        save(state_dir, &pins).map_err(write_error)?;
    }
    drop(lock);
    Ok(answer)
}

/// Writes `pins` to `state_dir` (a private dir, created if needed), whole
/// or not at all: a temporary file renamed over the old one. Callers that
/// read the pins first use [`update`], which holds the lock.
pub fn save(state_dir: &Path, pins: &[Pin]) -> io::Result<()> {
    crate::paths::ensure_private_dir(state_dir)?;
    let path = pins_path(state_dir);
    let temp = state_dir.join(format!(".pins.json.{}", std::process::id()));
    let text = serde_json::to_vec_pretty(&PinsFile {
        v: PINS_VERSION,
        pins: pins.to_vec(),
    })
    .map_err(io::Error::other)?;
    let _ = std::fs::remove_file(&temp);
    let mut file = std::fs::File::options()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&temp)?;
    file.write_all(&text)?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    std::fs::rename(&temp, &path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dctx_core::RealFs;

    fn pin(context: &str, id: &str) -> Pin {
        Pin {
            config_dir: "/h/.docker".into(),
            context: context.into(),
            identity: PinnedIdentity {
                id: id.into(),
                name: format!("{context}-engine"),
                pinned_at: "2026-11-30T21:00:00Z".into(),
            },
        }
    }

    #[test]
    fn pins_are_saved_privately_and_found_by_dir_and_name() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("dctx");
        assert_eq!(load(&RealFs, &state).unwrap(), Vec::new());
        save(&state, &[pin("prod", "A"), pin("staging", "B")]).unwrap();
        let pins = load(&RealFs, &state).unwrap();
        assert_eq!(
            find(&pins, Path::new("/h/.docker"), "staging").unwrap().id,
            "B"
        );
        assert!(find(&pins, Path::new("/other"), "prod").is_none());
        let mode = std::fs::metadata(pins_path(&state))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn concurrent_updates_all_land() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("dctx");
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let state = state.clone();
                std::thread::spawn(move || {
                    update(&state, |all| {
                        // Widen the window between read and write.
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        all.push(pin(&format!("c{i}"), "A"));
                        (true, ())
                    })
                    .unwrap()
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(load(&RealFs, &state).unwrap().len(), 8);
        // A file it cannot read is not replaced.
        std::fs::write(pins_path(&state), "{\"v\":1,\"pins\":[").unwrap();
        assert!(matches!(
            update(&state, |all| {
                all.clear();
                (true, ())
            }),
            Err(UpdateError::Read(_))
        ));
        assert_eq!(
            std::fs::read(pins_path(&state)).unwrap(),
            b"{\"v\":1,\"pins\":["
        );
    }

    #[test]
    fn pins_in_a_dir_others_can_enter_are_not_trusted() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), &[pin("prod", "A")]).unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(matches!(
            load(&RealFs, dir.path()).unwrap_err(),
            PinsError::Unreadable { .. }
        ));
    }

    #[test]
    fn a_file_where_the_dir_should_be_holds_no_pins() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("dctx");
        std::fs::write(&state, "not a dir").unwrap();
        assert_eq!(load(&RealFs, &state).unwrap(), Vec::new());
        std::fs::remove_file(&state).unwrap();
        std::os::unix::fs::symlink(dir.path(), &state).unwrap();
        assert!(load(&RealFs, &state).is_err(), "a symlink is not trusted");
    }

    #[test]
    fn a_file_of_another_version_is_refused_not_misread() {
        let dir = tempfile::tempdir().unwrap();
        crate::paths::ensure_private_dir(dir.path()).unwrap();
        std::fs::write(pins_path(dir.path()), r#"{"v":2,"pins":[{"future":true}]}"#).unwrap();
        let err = load(&RealFs, dir.path()).unwrap_err();
        assert!(
            matches!(err, PinsError::OtherVersion { found: 2, .. }),
            "{err}"
        );
        std::fs::write(pins_path(dir.path()), r#"{"pins":[]}"#).unwrap();
        assert!(matches!(
            load(&RealFs, dir.path()).unwrap_err(),
            PinsError::OtherVersion { found: 0, .. }
        ));
        std::fs::write(pins_path(dir.path()), "{").unwrap();
        assert!(matches!(
            load(&RealFs, dir.path()).unwrap_err(),
            PinsError::Unreadable { .. }
        ));
    }
}
