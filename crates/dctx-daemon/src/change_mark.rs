//! The change mark: a file in the runtime dir that the daemon replaces
//! with a new one whenever an answer it gave may no longer hold.
//!
//! A bash or zsh hook keeps its last segment, and a hard link to the mark
//! as it was when it asked. Before each prompt it checks that the two are
//! still the same file (`[[ mark -ef link ]]`, a builtin), so a prompt whose
//! inputs did not change costs a few `stat`s and no round trip, and every
//! change inotify reports still reaches the next prompt. A replaced, missing
//! or unlinked mark all read as a change, in bash and zsh alike.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use tracing::warn;

pub struct ChangeMark {
    path: Option<PathBuf>,
}

impl ChangeMark {
    /// The mark at `path`, replaced at once, since a new daemon owes nobody
    /// the answers of the one before.
    pub fn create(path: &Path) -> ChangeMark {
        let mark = ChangeMark {
            path: Some(path.to_path_buf()),
        };
        mark.bump();
        mark
    }

    /// A mark that goes nowhere, for tests of the state alone.
    pub fn none() -> ChangeMark {
        ChangeMark { path: None }
    }

    /// Replaces the mark with a new file. Shells hold links to old marks,
    /// so an old mark's inode is never reused while anyone compares to it.
    pub fn bump(&self) {
        let Some(path) = &self.path else {
            return;
        };
        if let Err(e) = replace(path) {
            warn!(path = %path.display(), error = %e, "could not replace the change mark; shells will ask again only when they see a file change");
        }
    }
}

fn replace(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    // Only the daemon, which holds the per-user lock, writes here.
    let new = path.with_extension("new");
    File::options()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&new)?;
    std::fs::rename(&new, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn every_bump_is_a_new_file_even_after_removal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("changed");
        let mark = ChangeMark::create(&path);
        let kept = dir.path().join("kept");
        std::fs::hard_link(&path, &kept).unwrap();
        let same = || {
            let a = std::fs::metadata(&path).unwrap();
            let b = std::fs::metadata(&kept).unwrap();
            (a.dev(), a.ino()) == (b.dev(), b.ino())
        };
        assert!(same());
        mark.bump();
        assert!(!same(), "a link to the old mark no longer matches");
        std::fs::remove_file(&kept).unwrap();
        std::fs::hard_link(&path, &kept).unwrap();
        std::fs::remove_file(&path).unwrap();
        mark.bump();
        assert!(!same(), "made again after it was removed");
    }
}
