//! The users' settings files (`config.toml`), each kept as it was read
//! with the [`FileId`] it had, and how it is watched.
//!
//! A hit must be the very file that was read (the same [`FileId`]: `cp -p`
//! keeps size and mtime but not ctime); a watch event forgets what was
//! read. Pure bookkeeping, like the config-dir cache: the state reads the
//! file (outside its lock) and asks for the watches.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use dctx_core::fs::FileId;
use dctx_core::Settings;

use crate::watch::Freshness;

/// Settings files kept at once; past it all are dropped (and unwatched).
pub const MAX_FILES: usize = 64;

#[derive(Debug, Clone)]
struct CachedSettings {
    /// The file as it was read, with what was read from it; `None` until
    /// read, and again whenever a watch event says the file may differ.
    loaded: Option<LoadedSettings>,
    /// Whether an edit replaces the change mark (as for config dirs).
    freshness: Freshness,
}

#[derive(Debug, Clone)]
struct LoadedSettings {
    id: Option<FileId>,
    settings: Arc<Settings>,
    problem: Option<String>,
}

/// Settings as loaded for a shell.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// What applies.
    pub settings: Arc<Settings>,
    /// Why some or all of the file does not apply.
    pub problem: Option<String>,
    /// Whether an edit of the file would replace the change mark.
    pub watched: bool,
}

/// What [`SettingsCache::lookup`] found.
#[derive(Debug)]
pub enum SettingsLookup {
    /// The file is still the one that was read.
    Hit(Loaded),
    /// To be read (and then [`store`](SettingsCache::store)d).
    Miss {
        /// Whether an edit of the file will be told.
        watched: bool,
        /// The file was new here: it needs watching.
        added: bool,
        /// Files dropped to make room: their watches go, and shells using
        /// them no longer hear of edits.
        evicted: Vec<PathBuf>,
    },
}

/// Every settings file the shells use.
#[derive(Debug, Default)]
pub struct SettingsCache {
    files: HashMap<PathBuf, CachedSettings>,
}

impl SettingsCache {
    /// The settings at `path` if what was read is still the file, which
    /// now has `id`; otherwise what reading it needs.
    pub fn lookup(&mut self, path: &Path, id: Option<FileId>) -> SettingsLookup {
        if let Some(cached) = self.files.get(path) {
            let watched = cached.freshness == Freshness::Inotify;
            if let Some(hit) = cached.loaded.as_ref().filter(|l| l.id == id) {
                return SettingsLookup::Hit(Loaded {
                    settings: hit.settings.clone(),
                    problem: hit.problem.clone(),
                    watched,
                });
            }
            return SettingsLookup::Miss {
                watched,
                added: false,
                evicted: Vec::new(),
            };
        }
        let mut evicted = Vec::new();
        if self.files.len() >= MAX_FILES {
            evicted = self.files.drain().map(|(old, _)| old).collect();
        }
        self.files.insert(
            path.to_path_buf(),
            CachedSettings {
                loaded: None,
                freshness: Freshness::Pending,
            },
        );
        SettingsLookup::Miss {
            watched: false,
            added: true,
            evicted,
        }
    }

    /// Keeps what was read from `path` (which had `id` before it was
    /// read), unless the file was dropped meanwhile.
    pub fn store(
        &mut self,
        path: &Path,
        id: Option<FileId>,
        settings: Arc<Settings>,
        problem: Option<String>,
    ) {
        if let Some(cached) = self.files.get_mut(path) {
            cached.loaded = Some(LoadedSettings {
                id,
                settings,
                problem,
            });
        }
    }

    /// How `path` is watched now; false when it is not kept here.
    pub fn set_freshness(&mut self, path: &Path, freshness: Freshness) -> bool {
        let Some(cached) = self.files.get_mut(path) else {
            return false;
        };
        cached.freshness = freshness;
        true
    }

    /// Forgets what was read from `files`, or from every file for `None`.
    pub fn invalidate(&mut self, files: Option<&[PathBuf]>) {
        for (file, cached) in self.files.iter_mut() {
            if files.is_none_or(|files| files.contains(file)) {
                cached.loaded = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dctx_core::{FileSystem, MemFs};

    fn is_hit(found: &SettingsLookup) -> bool {
        matches!(found, SettingsLookup::Hit(_))
    }

    #[test]
    fn a_hit_is_the_same_file_and_an_event_forgets_it() {
        let path = Path::new("/c/config.toml");
        let mut fs = MemFs::new().with(path, "");
        let mut cache = SettingsCache::default();
        let found = cache.lookup(path, fs.id(path));
        assert!(matches!(
            found,
            SettingsLookup::Miss {
                watched: false,
                added: true,
                ..
            }
        ));
        cache.store(path, fs.id(path), Arc::default(), None);
        assert!(is_hit(&cache.lookup(path, fs.id(path))));
        fs.write(path, "");
        assert!(!is_hit(&cache.lookup(path, fs.id(path))), "rewritten");
        cache.store(path, fs.id(path), Arc::default(), None);
        assert!(cache.set_freshness(path, Freshness::Inotify));
        match cache.lookup(path, fs.id(path)) {
            SettingsLookup::Hit(hit) => assert!(hit.watched),
            other => panic!("{other:?}"),
        }
        cache.invalidate(Some(&[path.to_path_buf()]));
        assert!(!is_hit(&cache.lookup(path, fs.id(path))), "an event came");
    }

    #[test]
    fn past_max_files_every_file_goes() {
        let mut cache = SettingsCache::default();
        let path = |i: usize| PathBuf::from(format!("/c{i}/config.toml"));
        for i in 0..MAX_FILES {
            cache.lookup(&path(i), None);
        }
        match cache.lookup(&path(MAX_FILES), None) {
            SettingsLookup::Miss { evicted, .. } => assert_eq!(evicted.len(), MAX_FILES),
            other => panic!("{other:?}"),
        }
        assert!(!cache.set_freshness(&path(0), Freshness::Inotify));
        assert!(cache.set_freshness(&path(MAX_FILES), Freshness::Inotify));
    }
}
