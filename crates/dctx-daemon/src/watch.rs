//! Keeps inotify watches on every Docker config dir the daemon serves, and
//! turns file-system events into cache invalidations.
//!
//! Directories are watched, not files: `docker context use` replaces
//! config.json by renaming a temp file over it. Per config dir we watch its
//! nearest existing ancestor (to see the dir created, deleted, renamed or
//! re-pointed when it is a symlink), the dir itself, `contexts/`,
//! `contexts/meta/` (contexts created and removed), the meta dir of each
//! context an answer named (its meta.json replaced: the contexts in use,
//! not the whole store, so 5,000 contexts cost a few watches, not 5,000),
//! and the target's directory when config.json is a symlink. Whenever the tree's shape changes the watches are re-added
//! and the dir's cache generation bumped, so nothing cached while a watch
//! was missing survives. A settings file is watched the same way, through
//! its directory (and its target's, when it is a symlink): an edit
//! replaces the change mark and redraws tmux.
//!
//! This module knows nothing of the daemon's state: the state sends it
//! [`WatchRequest`]s and hears back through [`WatchSink`], which it
//! implements; the caches keep a [`Freshness`] per dir and file.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use dctx_core::context_meta::meta_path;
use std::sync::Arc;

use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind};
use notify::{Event, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};
use tracing::{debug, warn};

/// How a config dir (or settings file) is kept fresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    /// The watch is being set up: answers are not cached yet.
    Pending,
    Inotify,
    /// Watching failed; every query re-reads the files.
    Unwatched(String),
}

/// Messages for the watch task.
#[derive(Debug)]
pub enum WatchRequest {
    /// A Docker config dir.
    Add(PathBuf),
    /// A settings file.
    AddFile(PathBuf),
    /// Either, no longer needed.
    Remove(PathBuf),
    /// The meta dir of a context an answer from this config dir named.
    Context(PathBuf, String),
}

/// What the watch task tells of the watches it placed and the events it
/// saw: the daemon's state, behind a trait so that this module does not
/// depend on it.
pub trait WatchSink: Send + Sync + 'static {
    /// The meta dirs of `contexts` in config dir `dir` are watched (told
    /// before the dir's `set_freshness`).
    fn set_watched_contexts(&self, dir: &Path, contexts: BTreeSet<String>);
    /// How `path` (a config dir or a settings file) is watched now.
    fn set_freshness(&self, path: &Path, freshness: Freshness);
    /// Something under `paths` (everything for `None`) may have changed.
    fn invalidate(&self, paths: Option<&[PathBuf]>);
}

/// Whether a change at `path` can change what is resolved for `dir`.
pub fn affects(dir: &Path, path: &Path) -> bool {
    path.starts_with(dir) || dir.starts_with(path)
}

/// Contexts per config dir whose meta dirs are watched, at most; an
/// answer naming another one is not cached (it is still right: read anew).
pub const MAX_WATCHED_CONTEXTS: usize = 256;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Plan {
    watches: Vec<(PathBuf, bool)>,
    /// The followed file's target when it is a symlink.
    link_target: Option<PathBuf>,
    /// A settings file rather than a Docker config dir.
    file: bool,
}

/// What to watch for `path`: a Docker config dir (following config.json,
/// and the meta dirs of the contexts `names`), or with `file`, a settings
/// file (following the file itself).
fn plan(path: &Path, file: bool, names: &BTreeSet<String>) -> Plan {
    let mut plan = Plan {
        file,
        ..Plan::default()
    };
    let (dir, followed) = match (file, path.parent()) {
        (true, Some(parent)) => (parent, path.to_path_buf()),
        (true, None) => return plan,
        (false, _) => (path, path.join("config.json")),
    };
    let mut ancestor = dir.parent();
    while let Some(a) = ancestor {
        if a.is_dir() {
            plan.watches.push((a.to_path_buf(), false));
            break;
        }
        ancestor = a.parent();
    }
    if dir.is_dir() {
        plan.watches.push((dir.to_path_buf(), false));
        let contexts = dir.join("contexts");
        if !file && contexts.is_dir() {
            plan.watches.push((contexts.clone(), false));
            let meta = contexts.join("meta");
            if meta.is_dir() {
                plan.watches.push((meta.clone(), false));
                // A context's dir that does not exist yet is seen created
                // through `meta/`, and then watched at the re-plan.
                for name in names {
                    let Some(dir) = meta_path(path, name).parent().map(Path::to_path_buf) else {
                        continue;
                    };
                    if dir.is_dir() {
                        plan.watches.push((dir, false));
                    }
                }
            }
        }
        let is_link = std::fs::symlink_metadata(&followed)
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false);
        if is_link {
            if let Ok(target) = std::fs::canonicalize(&followed) {
                if let Some(parent) = target.parent() {
                    plan.watches.push((parent.to_path_buf(), false));
                }
                plan.link_target = Some(target);
            }
        }
    }
    plan
}

struct Watches {
    watcher: Result<RecommendedWatcher, String>,
    plans: HashMap<PathBuf, Plan>,
    /// Per config dir, the contexts whose meta dirs are watched.
    names: HashMap<PathBuf, BTreeSet<String>>,
}

impl Watches {
    /// (Re-)adds every watch `dir` needs (a settings file with `file`);
    /// adding an existing watch is harmless, and re-adding picks up a
    /// directory that was replaced.
    fn refresh(&mut self, dir: &Path, file: bool) -> Freshness {
        let none = BTreeSet::new();
        let new = plan(dir, file, self.names.get(dir).unwrap_or(&none));
        let old = self
            .plans
            .insert(dir.to_path_buf(), new.clone())
            .unwrap_or_default();
        let watcher = match &mut self.watcher {
            Ok(w) => w,
            Err(e) => return Freshness::Unwatched(e.clone()),
        };
        unwatch_unneeded(watcher, &self.plans, &old);
        for (path, recursive) in &new.watches {
            let mode = if *recursive {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            if let Err(e) = watcher.watch(path, mode) {
                warn!(dir = %dir.display(), path = %path.display(), error = %e, "could not watch; resolving on every query");
                return Freshness::Unwatched(format!("could not watch {}: {e}", path.display()));
            }
        }
        if new.watches.is_empty() {
            return Freshness::Unwatched(format!("nothing to watch for {}", dir.display()));
        }
        Freshness::Inotify
    }

    fn remove(&mut self, dir: &Path) {
        self.names.remove(dir);
        let Some(old) = self.plans.remove(dir) else {
            return;
        };
        if let Ok(watcher) = &mut self.watcher {
            unwatch_unneeded(watcher, &self.plans, &old);
        }
    }

    fn affected(&self, paths: &[PathBuf]) -> Vec<PathBuf> {
        self.plans
            .iter()
            .filter(|(dir, plan)| {
                paths
                    .iter()
                    .any(|p| affects(dir, p) || plan.link_target.as_deref() == Some(p.as_path()))
            })
            .map(|(dir, _)| dir.clone())
            .collect()
    }
}

/// Drops the watches of a superseded plan that no current plan uses; config
/// dirs can share paths (a common parent), so a path stays while any needs it.
fn unwatch_unneeded(watcher: &mut RecommendedWatcher, plans: &HashMap<PathBuf, Plan>, old: &Plan) {
    for (path, _) in &old.watches {
        if !plans
            .values()
            .any(|p| p.watches.iter().any(|(q, _)| q == path))
        {
            let _ = watcher.unwatch(path);
        }
    }
}

/// Whether an event may mean a file's content changed. Opening or reading
/// a file changes nothing, and the daemon itself opens every file it
/// resolves from: were that a change, each answer would drop the cache
/// and replace the change mark, and shells would never keep an answer.
fn changes_content(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

/// Whether an event may mean the watched tree changed shape.
fn reshapes(kind: &EventKind) -> bool {
    !matches!(
        kind,
        EventKind::Access(_)
            | EventKind::Modify(ModifyKind::Data(_))
            | EventKind::Modify(ModifyKind::Metadata(_))
    )
}

/// Runs until `requests` closes: sets up watches as the state asks for
/// them and applies events to the state.
pub async fn run<S: WatchSink>(state: Arc<S>, mut requests: UnboundedReceiver<WatchRequest>) {
    let (event_tx, mut events) = unbounded_channel::<notify::Result<Event>>();
    let watcher = notify::recommended_watcher(move |res| {
        let _ = event_tx.send(res);
    })
    .map_err(|e| {
        warn!(error = %e, "file watching is unavailable; resolving on every query");
        format!("file watching unavailable: {e}")
    });
    let mut watches = Watches {
        watcher,
        plans: HashMap::new(),
        names: HashMap::new(),
    };
    loop {
        tokio::select! {
            request = requests.recv() => match request {
                Some(WatchRequest::Add(dir)) => {
                    let freshness = watches.refresh(&dir, false);
                    debug!(dir = %dir.display(), ?freshness, "watching config dir");
                    state.set_freshness(&dir, freshness);
                }
                Some(WatchRequest::Context(dir, name)) => {
                    let names = watches.names.entry(dir.clone()).or_default();
                    if names.len() < MAX_WATCHED_CONTEXTS {
                        names.insert(name);
                    }
                    let names = names.clone();
                    let freshness = watches.refresh(&dir, false);
                    debug!(dir = %dir.display(), contexts = names.len(), "watching a context's meta dir");
                    // Watched before the state hears of it: an answer
                    // cached from now on is covered.
                    state.set_watched_contexts(&dir, names);
                    state.set_freshness(&dir, freshness);
                }
                Some(WatchRequest::AddFile(file)) => {
                    let freshness = watches.refresh(&file, true);
                    debug!(file = %file.display(), ?freshness, "watching settings file");
                    state.set_freshness(&file, freshness);
                }
                Some(WatchRequest::Remove(dir)) => watches.remove(&dir),
                None => return,
            },
            Some(event) = events.recv() => match event {
                Ok(event) => {
                    if !changes_content(&event.kind) && !event.need_rescan() {
                        continue;
                    }
                    if event.need_rescan() {
                        warn!("file events were lost; dropping every cached answer");
                        state.invalidate(None);
                        continue;
                    }
                    let affected = watches.affected(&event.paths);
                    if affected.is_empty() {
                        continue;
                    }
                    debug!(kind = ?event.kind, paths = ?event.paths, "config changed");
                    state.invalidate(Some(&affected));
                    if reshapes(&event.kind) {
                        for path in affected {
                            let file = watches.plans.get(&path).is_some_and(|p| p.file);
                            let freshness = watches.refresh(&path, file);
                            state.set_freshness(&path, freshness);
                        }
                    }
                }
                Err(e) => {
                    warn!(error = %e, "file watch error; dropping every cached answer");
                    state.invalidate(None);
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_and_reading_are_not_changes_but_closing_a_write_is() {
        assert!(!changes_content(&EventKind::Access(AccessKind::Open(
            AccessMode::Any
        ))));
        assert!(!changes_content(&EventKind::Access(AccessKind::Read)));
        assert!(!changes_content(&EventKind::Access(AccessKind::Close(
            AccessMode::Read
        ))));
        assert!(changes_content(&EventKind::Access(AccessKind::Close(
            AccessMode::Write
        ))));
        assert!(changes_content(&EventKind::Modify(ModifyKind::Any)));
    }

    #[test]
    fn changes_inside_or_above_a_config_dir_affect_it() {
        let dir = Path::new("/home/u/.docker");
        assert!(affects(dir, Path::new("/home/u/.docker/config.json")));
        assert!(affects(
            dir,
            Path::new("/home/u/.docker/contexts/meta/ab/meta.json")
        ));
        assert!(affects(dir, Path::new("/home/u/.docker")));
        assert!(affects(dir, Path::new("/home/u")));
        assert!(!affects(dir, Path::new("/home/u/.bash_history")));
        assert!(!affects(
            dir,
            Path::new("/home/u/.docker-other/config.json")
        ));
    }

    // When inotify cannot be had at all (the instance limit, say), every dir
    // is resolved on each query and the reason reaches `dctx daemon status`.
    #[test]
    fn without_a_watcher_every_dir_is_polled_and_says_why() {
        let mut watches = Watches {
            watcher: Err("file watching unavailable: too many open files".into()),
            plans: HashMap::new(),
            names: HashMap::new(),
        };
        let dir = tempfile::tempdir().unwrap();
        match watches.refresh(dir.path(), false) {
            Freshness::Unwatched(why) => assert!(why.contains("too many open files"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn plans_watch_the_nearest_existing_ancestor_of_a_missing_dir() {
        let base = std::env::temp_dir().join(format!("dctx-watch-{}", std::process::id()));
        std::fs::create_dir_all(&base).unwrap();
        let none = BTreeSet::new();
        let p = plan(&base.join("a/b/.docker"), false, &none);
        assert_eq!(p.watches, vec![(base.clone(), false)]);
        std::fs::create_dir_all(base.join("d/contexts/meta")).unwrap();
        let p = plan(&base.join("d"), false, &none);
        assert_eq!(
            p.watches,
            vec![
                (base.clone(), false),
                (base.join("d"), false),
                (base.join("d/contexts"), false),
                (base.join("d/contexts/meta"), false)
            ]
        );
        // Of the contexts in the store, only those in use are watched.
        let meta = |name: &str| {
            meta_path(&base.join("d"), name)
                .parent()
                .unwrap()
                .to_path_buf()
        };
        for name in ["used", "other", "another"] {
            std::fs::create_dir_all(meta(name)).unwrap();
        }
        let names = BTreeSet::from(["used".to_string(), "not-created".to_string()]);
        let p = plan(&base.join("d"), false, &names);
        assert_eq!(p.watches.len(), 5, "{:?}", p.watches);
        assert_eq!(p.watches[4], (meta("used"), false));
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn a_settings_file_is_watched_through_its_dir_and_its_link_target() {
        let base = tempfile::tempdir().unwrap();
        let base = base.path();
        let none = BTreeSet::new();
        let p = plan(&base.join("missing/config.toml"), true, &none);
        assert_eq!(p.watches, vec![(base.to_path_buf(), false)]);
        std::fs::create_dir_all(base.join("dctx/contexts")).unwrap();
        std::fs::create_dir_all(base.join("dotfiles")).unwrap();
        std::fs::write(base.join("dotfiles/dctx.toml"), "").unwrap();
        std::os::unix::fs::symlink(
            base.join("dotfiles/dctx.toml"),
            base.join("dctx/config.toml"),
        )
        .unwrap();
        let p = plan(&base.join("dctx/config.toml"), true, &none);
        let base = std::fs::canonicalize(base).unwrap();
        assert_eq!(
            p.watches,
            vec![
                (base.clone(), false),
                (base.join("dctx"), false),
                (base.join("dotfiles"), false)
            ],
            "a dir named contexts next to it is no concern"
        );
        assert_eq!(p.link_target, Some(base.join("dotfiles/dctx.toml")));
        let mut watches = Watches {
            watcher: Err("none".into()),
            plans: HashMap::from([(base.join("dctx/config.toml"), p)]),
            names: HashMap::new(),
        };
        assert_eq!(
            watches.affected(&[base.join("dotfiles/dctx.toml")]),
            vec![base.join("dctx/config.toml")]
        );
        assert!(watches.affected(&[base.join("dctx/other.toml")]).is_empty());
        watches.remove(&base.join("dctx/config.toml"));
        assert!(watches.plans.is_empty());
    }
}
