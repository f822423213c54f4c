//! What a bash or zsh hook checks, with builtins only, to know its last
//! segment still holds, so that a prompt whose inputs did not change asks
//! nobody.
//!
//! The helper keeps, per shell, `<runtime dir>/shells/<shell pid>/`, where
//! each thing an answer depends on has a symlink to it and a stamp:
//!
//! | link | points to                | stamp                                    |
//! |------|--------------------------|------------------------------------------|
//! | `g`  | the daemon's change mark | `gs`: a hard link to the mark as it was  |
//! | `c`  | config.json              | `cs`: its mtime as read (epoch: missing) |
//! | `m`  | the context's meta.json  | `ms`: likewise (nothing for `default`)   |
//! | `d`  | the config dir, as named | `dr`: a link to it as it resolved then   |
//! | `p`  | `/proc/<daemon pid>`     | (fish only: `test -e`, the daemon lives) |
//!
//! The hook asks again when the variables it sends changed (see
//! `helper_frame.rs`), `[[ g -ef gs ]]` fails (the daemon replaced its mark, or
//! either is gone), `[[ d -ef dr ]]` fails (a symlink on the config dir's
//! path was re-pointed: `ln -sfn envs/prod envs/current` leaves every file
//! the stamps know as it was), or `[[ c -nt cs ]]` or `[[ m -nt ms ]]`
//! holds (both tests follow the symlinks). Docker writes a file by renaming a new one over it, so
//! what `docker context use` or `docker context update` did a moment ago
//! shows at the very next prompt through that stat. What a stat cannot see
//! (a file deleted, an older one moved back, the settings file edited)
//! inotify sees, and the daemon replaces its mark; when the daemon goes
//! away, the helper sees its connection close and [`Stamps::forget`]s.
//! Each check is two `stat`s, which is what a prompt costs, so the settings
//! file has none of its own.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::paths::{change_mark_path, ensure_private_dir, shell_stamps_dir, shells_dir};

/// What must be taken before asking the daemon, so that a change racing
/// with the question leaves a stamp that no longer matches and the next
/// prompt asks again: a link to the change mark (`gs.new`), and
/// config.json's mtime.
#[derive(Debug, Clone, Copy)]
pub struct Before {
    config: Option<SystemTime>,
}

/// One test a hook makes, with builtins, before each prompt; the segment
/// is kept only while every one of [`HOOK_CHECKS`] holds. The scripts
/// write them out, and `dctx init`'s tests hold them to this list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// `[[ a -ef b ]]`: both exist and are the same file.
    SameFile(&'static str, &'static str),
    /// `! [[ a -nt b ]]`: `a` is not newer than `b` (true when either is
    /// missing, as in bash, zsh and fish).
    NotNewer(&'static str, &'static str),
    /// `[[ -e a ]]`: fish's liveness check of the daemon that answered.
    Exists(&'static str),
}

/// What bash and zsh check (fish also [`DAEMON_ALIVE`]).
pub const HOOK_CHECKS: [Check; 4] = [
    Check::SameFile("g", "gs"),
    Check::SameFile("d", "dr"),
    Check::NotNewer("c", "cs"),
    Check::NotNewer("m", "ms"),
];

/// fish has no helper watching the daemon's connection.
pub const DAEMON_ALIVE: Check = Check::Exists("p");

/// Link names in the order of [`Stamps::links`].
const LINKS: [&str; 5] = ["g", "c", "m", "d", "dr"];

/// Everything but the FIFOs that a shell's dir holds.
const STAMP_FILES: [&str; 10] = ["g", "gs", "gs.new", "c", "cs", "m", "ms", "d", "dr", "p"];

pub struct Stamps {
    dir: PathBuf,
    mark: PathBuf,
    /// What each link points to now, so unchanged links are not rewritten.
    links: [Option<PathBuf>; 5],
}

/// Makes shell `pid`'s dir anew, empty and private (sweeping the dirs of
/// shells that have exited), and returns it.
pub fn prepare_shell_dir(runtime_dir: &Path, pid: u32) -> io::Result<PathBuf> {
    ensure_private_dir(runtime_dir)?;
    let shells = shells_dir(runtime_dir);
    ensure_private_dir(&shells)?;
    sweep_exited(&shells);
    let dir = shell_stamps_dir(runtime_dir, pid);
    match std::fs::remove_dir_all(&dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    ensure_private_dir(&dir)?;
    Ok(dir)
}

impl Stamps {
    /// The stamps in shell `pid`'s dir, made if needed (the FIFOs that
    /// [`prepare_shell_dir`]'s caller put there stay). `None` when it
    /// cannot be made, or when its file system does not keep nanosecond
    /// mtimes, which the stamps need to be exact: the shell then simply
    /// asks before every prompt.
    pub fn open(runtime_dir: &Path, pid: u32) -> Option<Stamps> {
        let dir = shell_stamps_dir(runtime_dir, pid);
        if ensure_private_dir(&dir).is_err() {
            prepare_shell_dir(runtime_dir, pid).ok()?;
        }
        for name in STAMP_FILES {
            let _ = std::fs::remove_file(dir.join(name));
        }
        let stamps = Stamps {
            mark: change_mark_path(runtime_dir),
            dir,
            links: Default::default(),
        };
        let probe = SystemTime::UNIX_EPOCH + Duration::new(1_000_000_007, 123_456_789);
        let stamp = stamps.dir.join("cs");
        set_mtime(&stamp, probe).ok()?;
        (mtime(&stamp) == Some(probe)).then_some(stamps)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Takes a [`Before`]; `None` when there is no change mark (no daemon
    /// of this build has run).
    pub fn before(&mut self, config: &Path) -> Option<Before> {
        if !self.dir.is_dir() {
            // Removed under us (a replaced helper of the same shell cleans
            // up as it exits): start over.
            ensure_private_dir(&self.dir).ok()?;
            self.links = Default::default();
        }
        let link = self.dir.join("gs.new");
        let _ = std::fs::remove_file(&link);
        std::fs::hard_link(&self.mark, &link).ok()?;
        Some(Before {
            config: mtime(config),
        })
    }

    /// Records an answer read from `config_dir` and `meta` (the context's
    /// meta.json, `None` for `default`).
    pub fn write(
        &mut self,
        before: Before,
        config_dir: &Path,
        meta: Option<&Path>,
    ) -> io::Result<()> {
        let nowhere = self.dir.join("none");
        // The config dir as it resolves now; a missing one has no links to
        // re-point, and its creation reaches the shell through the mark.
        let resolved = std::fs::canonicalize(config_dir).ok();
        let (named, resolved) = match resolved {
            Some(resolved) => (config_dir.to_path_buf(), resolved),
            None => (self.dir.clone(), self.dir.clone()),
        };
        let targets = [
            self.mark.clone(),
            config_dir.join("config.json"),
            meta.map_or(nowhere, Path::to_path_buf),
            named,
            resolved,
        ];
        for (i, target) in targets.into_iter().enumerate() {
            if !target.is_absolute() {
                return Err(io::Error::other("relative paths cannot be followed"));
            }
            if self.links[i].as_ref() != Some(&target) {
                let link = self.dir.join(LINKS[i]);
                self.links[i] = None;
                match std::fs::remove_file(&link) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                }
                std::os::unix::fs::symlink(&target, &link)?;
                self.links[i] = Some(target);
            }
        }
        let epoch = SystemTime::UNIX_EPOCH;
        set_mtime(&self.dir.join("cs"), before.config.unwrap_or(epoch))?;
        set_mtime(&self.dir.join("ms"), meta.and_then(mtime).unwrap_or(epoch))?;
        // Last: until the mark's link is in place, the shell asks again.
        std::fs::rename(self.dir.join("gs.new"), self.dir.join("gs"))
    }

    /// Records which daemon answered, for a shell with no helper to watch
    /// its connection (fish): `[[ -e p ]]` fails once that daemon is gone.
    pub fn link_daemon(&self, pid: u32) -> io::Result<()> {
        let link = self.dir.join("p");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(format!("/proc/{pid}"), link)
    }

    /// Leaves the stamps in place when this process exits: a one-shot
    /// `dctx-prompt --keep` stamps for its shell and is gone before the next
    /// prompt. The dir goes when the shell is found exited.
    pub fn persist(self) {
        std::mem::forget(self);
    }

    /// Makes the shell ask at its next prompt, e.g. because the daemon that
    /// would have replaced the change mark has gone away.
    pub fn forget(&self) {
        let _ = std::fs::remove_file(self.dir.join("gs"));
    }
}

impl Drop for Stamps {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).ok()?.modified().ok()
}

fn set_mtime(stamp: &Path, time: SystemTime) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    File::options()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(stamp)?
        .set_modified(time)
}

/// Removes the stamp dirs of shells that are no longer running (a helper
/// killed with its shell cannot clean up after itself).
fn sweep_exited(shells: &Path) {
    let Ok(entries) = std::fs::read_dir(shells) else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if !crate::process::alive(pid) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    /// Whether `check` fails, evaluated as bash, zsh and fish do.
    fn fails(stamps: &Stamps, check: Check) -> bool {
        let meta = |name: &str| std::fs::metadata(stamps.dir.join(name)).ok();
        match check {
            Check::SameFile(a, b) => match (meta(a), meta(b)) {
                (Some(a), Some(b)) => (a.dev(), a.ino()) != (b.dev(), b.ino()),
                _ => true,
            },
            Check::NotNewer(a, b) => match (meta(a), meta(b)) {
                (Some(a), Some(b)) => a.modified().unwrap() > b.modified().unwrap(),
                _ => false,
            },
            Check::Exists(a) => meta(a).is_none(),
        }
    }

    /// Whether the hook would ask again because of the check on `link`.
    fn asks(stamps: &Stamps, link: &str) -> bool {
        let check = HOOK_CHECKS
            .into_iter()
            .find(|c| matches!(c, Check::SameFile(a, _) | Check::NotNewer(a, _) if *a == link))
            .expect("a check on that link");
        fails(stamps, check)
    }

    fn replace(path: &Path, text: &str) {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, path).unwrap();
    }

    #[test]
    fn stamps_hold_until_a_file_is_replaced_or_appears() {
        let runtime = tempfile::tempdir().unwrap();
        let docker = tempfile::tempdir().unwrap();
        let mark = change_mark_path(runtime.path());
        std::fs::write(&mark, "").unwrap();
        let config = docker.path().join("config.json");
        let meta = docker.path().join("meta.json");
        replace(&config, "{}");
        let mut stamps = Stamps::open(runtime.path(), std::process::id()).unwrap();
        let record = |stamps: &mut Stamps| {
            let before = stamps.before(&config).unwrap();
            stamps.write(before, docker.path(), Some(&meta)).unwrap();
        };
        record(&mut stamps);
        for check in HOOK_CHECKS {
            assert!(!fails(&stamps, check), "{check:?} right after writing");
        }
        std::thread::sleep(Duration::from_millis(2));
        replace(&config, r#"{"currentContext":"a"}"#);
        assert!(asks(&stamps, "c"), "config.json replaced");
        record(&mut stamps);
        assert!(!asks(&stamps, "c"));

        std::fs::write(&meta, "{}").unwrap();
        assert!(asks(&stamps, "m"), "meta.json appeared");
        record(&mut stamps);
        for check in HOOK_CHECKS {
            assert!(!fails(&stamps, check), "{check:?} after recording again");
        }

        replace(&mark, "");
        assert!(asks(&stamps, "g"), "the daemon replaced its change mark");
        record(&mut stamps);
        assert!(!asks(&stamps, "g"));
        stamps.forget();
        assert!(asks(&stamps, "g"), "forgotten when the daemon went away");
    }

    // envs/current -> envs/dev, then `ln -sfn envs/prod envs/current`:
    // every file the other stamps know is as it was.
    #[test]
    fn a_symlink_re_pointed_above_the_config_dir_is_seen() {
        let runtime = tempfile::tempdir().unwrap();
        std::fs::write(change_mark_path(runtime.path()), "").unwrap();
        let envs = tempfile::tempdir().unwrap();
        // prod's config.json is the older one.
        for env in ["prod", "dev"] {
            std::fs::create_dir_all(envs.path().join(env)).unwrap();
            replace(&envs.path().join(env).join("config.json"), "{}");
            std::thread::sleep(Duration::from_millis(2));
        }
        let current = envs.path().join("current");
        std::os::unix::fs::symlink(envs.path().join("dev"), &current).unwrap();
        let mut stamps = Stamps::open(runtime.path(), std::process::id()).unwrap();
        let before = stamps.before(&current.join("config.json")).unwrap();
        stamps.write(before, &current, None).unwrap();
        assert!(!asks(&stamps, "d"));
        std::fs::remove_file(&current).unwrap();
        std::os::unix::fs::symlink(envs.path().join("prod"), &current).unwrap();
        assert!(
            !asks(&stamps, "c"),
            "prod's config.json is older: -nt cannot tell"
        );
        assert!(asks(&stamps, "d"), "the re-pointed link");
    }

    #[test]
    fn a_mark_replaced_while_asking_leaves_a_stamp_that_does_not_hold() {
        let runtime = tempfile::tempdir().unwrap();
        let mark = change_mark_path(runtime.path());
        std::fs::write(&mark, "").unwrap();
        let mut stamps = Stamps::open(runtime.path(), std::process::id()).unwrap();
        let config = runtime.path().join("config.json");
        let before = stamps.before(&config).unwrap();
        replace(&mark, "");
        stamps.write(before, runtime.path(), None).unwrap();
        assert!(asks(&stamps, "g"));
    }

    #[test]
    fn the_dir_goes_with_the_helper_and_with_exited_shells() {
        let runtime = tempfile::tempdir().unwrap();
        let exited = shell_stamps_dir(runtime.path(), i32::MAX as u32);
        std::fs::create_dir_all(&exited).unwrap();
        prepare_shell_dir(runtime.path(), std::process::id()).unwrap();
        let stamps = Stamps::open(runtime.path(), std::process::id()).unwrap();
        assert!(!exited.exists(), "the stamps of an exited shell are swept");
        let dir = stamps.dir().to_path_buf();
        assert!(dir.is_dir());
        drop(stamps);
        assert!(!dir.exists());
    }

    #[test]
    fn no_mark_means_nothing_to_keep() {
        let runtime = tempfile::tempdir().unwrap();
        let mut stamps = Stamps::open(runtime.path(), std::process::id()).unwrap();
        assert!(stamps.before(Path::new("/nonexistent")).is_none());
    }
}
