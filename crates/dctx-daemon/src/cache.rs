//! The config-dir cache: resolutions per Docker config dir and shell
//! environment, with the rules that keep it right and bounded.
//!
//! Correctness rests on a generation counter per dir: an answer computed
//! outside the state lock is stored only if no file-system event arrived
//! meanwhile (the generation it was looked up under is still the dir's),
//! and only while the dir's watches are in place ([`Freshness::Inotify`]);
//! an answer naming a context whose meta dir is not watched yet is not
//! stored either. Size is bounded three ways: [`MAX_DIRS`] dirs (the least
//! recently used goes), [`MAX_ANSWERS_PER_DIR`] answers per dir and
//! [`MAX_CACHE_BYTES`] in all (past either, answers are dropped).
//!
//! Pure bookkeeping: it reads no file and sends nothing; the state does
//! both, from what these methods return.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use dctx_core::resolution::DEFAULT_CONTEXT;
use dctx_core::{Env, Resolution};
use dctx_ipc::protocol::WatchedDir;

use crate::answer_files::AnswerFiles;
use crate::watch::{Freshness, MAX_WATCHED_CONTEXTS};

/// Config dirs kept at once; the least recently used is dropped past it.
pub const MAX_DIRS: usize = 64;
/// Distinct environments cached per config dir before the cache is reset.
pub const MAX_ANSWERS_PER_DIR: usize = 512;
/// What all cached answers may take together, roughly; past it every
/// cache is reset (re-reading costs microseconds, memory is the user's).
pub const MAX_CACHE_BYTES: usize = 16 * 1024 * 1024;

/// Roughly what one cached answer takes.
fn answer_bytes(env: &Env, r: &Resolution) -> usize {
    let problems: usize = r.problems.iter().map(|p| p.to_string().len()).sum();
    env.byte_size()
        + r.name.len()
        + r.host.len()
        + r.description.len()
        + r.config_dir.as_os_str().len()
        + problems
        + 256
}

/// A cached answer and the files it was read from.
pub type Answer = (Resolution, Arc<AnswerFiles>);

#[derive(Debug)]
struct DirCache {
    generation: u64,
    freshness: Freshness,
    /// The contexts whose meta dirs are watched: only answers naming one
    /// of these (or `default`, which has none) are cached.
    contexts: HashSet<String>,
    /// The contexts asked to be watched, so each is asked once.
    asked: HashSet<String>,
    answers: HashMap<Env, Answer>,
    /// What `answers` take, by [`answer_bytes`].
    bytes: usize,
    /// When it was last looked up, on [`DirCaches`]'s clock.
    used: u64,
}

impl DirCache {
    /// Forgets every answer; anything computed before now will not be stored.
    fn reset(&mut self) {
        self.generation += 1;
        self.clear();
    }

    fn clear(&mut self) {
        self.answers.clear();
        self.bytes = 0;
    }
}

/// Every config dir's cache.
#[derive(Debug, Default)]
pub struct DirCaches {
    dirs: HashMap<PathBuf, DirCache>,
    /// A counter, not a time: which dir was used least recently is all
    /// eviction needs, and two lookups never tie.
    clock: u64,
}

/// What [`DirCaches::lookup`] found.
#[derive(Debug)]
pub struct Lookup {
    /// The dir's generation, when an answer computed now may be stored
    /// (the environment is cacheable and the dir watched): hand it back to
    /// [`DirCaches::store`]. `None`: the answer is not to be kept.
    pub generation: Option<u64>,
    /// The answer cached for this environment, still to be checked
    /// against its files.
    pub hit: Option<Answer>,
    /// The dir was new here: it needs watching.
    pub added: bool,
    /// The least recently used dir, dropped to make room: its watches go,
    /// and shells of that dir no longer hear of its changes.
    pub evicted: Option<PathBuf>,
}

/// What [`DirCaches::store`] made of an answer.
#[derive(Debug, PartialEq, Eq)]
pub enum Stored {
    /// Watched: kept, or (the generation moved on) dropped as stale; a
    /// change to its files will be told either way.
    Watched,
    /// It names a context whose meta.json is not watched yet: right now,
    /// but neither cached nor to be kept by a shell. With `ask`, the watch
    /// should be asked for that context (once per context, and at most
    /// [`MAX_WATCHED_CONTEXTS`] per dir).
    UnwatchedContext { ask: bool },
}

impl DirCaches {
    /// Finds `env`'s answer in `dir`'s cache, adding the dir (and making
    /// room for it) when it is new. Only a `cacheable` environment in a
    /// watched dir gets a generation, and with it a possible hit.
    pub fn lookup(&mut self, dir: &Path, env: &Env, cacheable: bool) -> Lookup {
        self.clock += 1;
        let mut evicted = None;
        let added = !self.dirs.contains_key(dir);
        if added && self.dirs.len() >= MAX_DIRS {
            evicted = self
                .dirs
                .iter()
                .min_by_key(|(_, c)| c.used)
                .map(|(d, _)| d.clone());
            if let Some(oldest) = &evicted {
                self.dirs.remove(oldest);
            }
        }
        let cache = self
            .dirs
            .entry(dir.to_path_buf())
            .or_insert_with(|| DirCache {
                generation: 0,
                freshness: Freshness::Pending,
                contexts: HashSet::new(),
                asked: HashSet::new(),
                answers: HashMap::new(),
                bytes: 0,
                used: 0,
            });
        cache.used = self.clock;
        let generation =
            (cacheable && cache.freshness == Freshness::Inotify).then_some(cache.generation);
        let hit = generation.and_then(|_| cache.answers.get(env).cloned());
        Lookup {
            generation,
            hit,
            added,
            evicted,
        }
    }

    /// Keeps `resolution` for `env` in `dir`, read from `files` while the
    /// dir was at `generation` (from [`lookup`](Self::lookup)), if the
    /// rules allow: the same generation, still watched, the named context
    /// watched, within the bounds.
    pub fn store(
        &mut self,
        dir: &Path,
        generation: u64,
        env: &Env,
        resolution: &Resolution,
        files: AnswerFiles,
    ) -> Stored {
        let size = answer_bytes(env, resolution);
        if self.bytes() + size > MAX_CACHE_BYTES {
            self.dirs.values_mut().for_each(DirCache::clear);
        }
        let Some(cache) = self.dirs.get_mut(dir) else {
            return Stored::Watched;
        };
        let name = &resolution.name;
        if name != DEFAULT_CONTEXT && !cache.contexts.contains(name) {
            let ask = cache.asked.len() < MAX_WATCHED_CONTEXTS && cache.asked.insert(name.clone());
            return Stored::UnwatchedContext { ask };
        }
        if cache.generation == generation && cache.freshness == Freshness::Inotify {
            if cache.answers.len() >= MAX_ANSWERS_PER_DIR {
                cache.clear();
            }
            let old = cache
                .answers
                .insert(env.clone(), (resolution.clone(), Arc::new(files)));
            if old.is_none() {
                cache.bytes += size;
            }
        }
        Stored::Watched
    }

    /// The meta dirs of `contexts` in `dir` are watched now.
    pub fn set_watched_contexts(&mut self, dir: &Path, contexts: BTreeSet<String>) {
        if let Some(cache) = self.dirs.get_mut(dir) {
            cache.contexts = contexts.into_iter().collect();
        }
    }

    /// `dir`'s watches were (re)placed: its answers go, and so does
    /// anything being computed. False when `dir` is not cached here.
    pub fn set_freshness(&mut self, dir: &Path, freshness: Freshness) -> bool {
        let Some(cache) = self.dirs.get_mut(dir) else {
            return false;
        };
        cache.reset();
        cache.freshness = freshness;
        true
    }

    /// Drops the answers of `dirs`, or of every dir for `None`.
    pub fn invalidate(&mut self, dirs: Option<&[PathBuf]>) {
        for (dir, cache) in self.dirs.iter_mut() {
            if dirs.is_none_or(|dirs| dirs.contains(dir)) {
                cache.reset();
            }
        }
    }

    /// Every dir and how it is kept fresh, sorted, for `dctx daemon status`.
    pub fn watched(&self) -> Vec<WatchedDir> {
        let mut out: Vec<WatchedDir> = self
            .dirs
            .iter()
            .map(|(dir, c)| WatchedDir {
                dir: dir.clone(),
                mode: match &c.freshness {
                    Freshness::Pending => "pending".into(),
                    Freshness::Inotify => "inotify".into(),
                    Freshness::Unwatched(why) => format!("unwatched, read on every query: {why}"),
                },
            })
            .collect();
        out.sort_by(|a, b| a.dir.cmp(&b.dir));
        out
    }

    /// What every cached answer takes, by [`answer_bytes`].
    pub fn bytes(&self) -> usize {
        self.dirs.values().map(|c| c.bytes).sum()
    }

    /// How many answers `dir` holds.
    pub fn answers(&self, dir: &Path) -> usize {
        self.dirs.get(dir).map_or(0, |c| c.answers.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dctx_core::{resolve, MemFs};

    /// A watched dir `dir` whose config.json names no context.
    fn watched(caches: &mut DirCaches, dir: &Path) {
        caches.lookup(dir, &env(dir, ""), true);
        assert!(caches.set_freshness(dir, Freshness::Inotify));
    }

    /// An environment of `dir`, told apart by `extra` (a variable that
    /// changes nothing the resolution reads).
    fn env(dir: &Path, extra: &str) -> Env {
        Env::new(
            [
                ("DOCKER_CONFIG", dir.display().to_string()),
                ("DOCKER_CERT_PATH", extra.to_string()),
            ],
            None,
        )
    }

    /// Looks `env` up, resolves it in an empty world and stores it.
    fn answer(caches: &mut DirCaches, env: &Env) -> Stored {
        let dir = env.config_dir();
        let found = caches.lookup(&dir, env, true);
        let fs = MemFs::new();
        let r = resolve(env, &fs);
        let files = AnswerFiles::before(&fs, &dir).with_meta(&fs, &r);
        caches.store(&dir, found.generation.expect("watched"), env, &r, files)
    }

    #[test]
    fn an_answer_computed_while_an_event_arrived_is_not_stored() {
        let mut caches = DirCaches::default();
        let dir = Path::new("/d");
        watched(&mut caches, dir);
        let e = env(dir, "");
        let found = caches.lookup(dir, &e, true);
        let generation = found.generation.expect("watched");
        // The event, between the lookup and the store.
        caches.invalidate(Some(&[dir.to_path_buf()]));
        let fs = MemFs::new();
        let r = resolve(&e, &fs);
        let files = AnswerFiles::before(&fs, dir);
        assert_eq!(
            caches.store(dir, generation, &e, &r, files),
            Stored::Watched
        );
        assert_eq!(caches.answers(dir), 0, "stale: not kept");
        assert_eq!(answer(&mut caches, &e), Stored::Watched);
        assert_eq!(caches.answers(dir), 1, "the next one is");
        assert!(caches.lookup(dir, &e, true).hit.is_some());
        // Watches moved: the answer goes, and nothing is cached until
        // they are in place again.
        caches.set_freshness(dir, Freshness::Pending);
        let found = caches.lookup(dir, &e, true);
        assert!(found.hit.is_none());
        assert_eq!(found.generation, None);
    }

    #[test]
    fn nothing_is_cached_for_an_unwatched_dir_or_an_uncacheable_environment() {
        let mut caches = DirCaches::default();
        let dir = Path::new("/d");
        let e = env(dir, "");
        let found = caches.lookup(dir, &e, true);
        assert!(found.added, "a new dir asks for its watch");
        assert_eq!(found.generation, None, "pending");
        caches.set_freshness(dir, Freshness::Unwatched("no inotify".into()));
        assert_eq!(caches.lookup(dir, &e, true).generation, None);
        caches.set_freshness(dir, Freshness::Inotify);
        assert!(!caches.lookup(dir, &e, true).added);
        assert_eq!(caches.lookup(dir, &e, false).generation, None);
        assert!(caches.lookup(dir, &e, true).generation.is_some());
    }

    #[test]
    fn an_answer_naming_an_unwatched_context_is_not_stored_and_asks_once() {
        let mut caches = DirCaches::default();
        let dir = Path::new("/d");
        watched(&mut caches, dir);
        let e = Env::new([("DOCKER_CONFIG", "/d"), ("DOCKER_CONTEXT", "prod")], None);
        assert_eq!(
            answer(&mut caches, &e),
            Stored::UnwatchedContext { ask: true }
        );
        assert_eq!(
            answer(&mut caches, &e),
            Stored::UnwatchedContext { ask: false },
            "asked already"
        );
        assert_eq!(caches.answers(dir), 0);
        caches.set_watched_contexts(dir, BTreeSet::from(["prod".to_string()]));
        assert_eq!(answer(&mut caches, &e), Stored::Watched);
        assert_eq!(caches.answers(dir), 1);
    }

    #[test]
    fn past_max_dirs_the_least_recently_used_dir_goes() {
        let mut caches = DirCaches::default();
        let dir = |i: usize| PathBuf::from(format!("/d{i}"));
        for i in 0..MAX_DIRS {
            let found = caches.lookup(&dir(i), &env(&dir(i), ""), true);
            assert_eq!(found.evicted, None);
        }
        // d0 is used again: d1 is now the least recently used.
        caches.lookup(&dir(0), &env(&dir(0), ""), true);
        let found = caches.lookup(&dir(MAX_DIRS), &env(&dir(MAX_DIRS), ""), true);
        assert_eq!(found.evicted, Some(dir(1)));
        assert!(found.added);
        assert_eq!(caches.watched().len(), MAX_DIRS);
        assert!(!caches.lookup(&dir(0), &env(&dir(0), ""), true).added);
    }

    #[test]
    fn past_max_answers_a_dir_starts_again() {
        let mut caches = DirCaches::default();
        let dir = Path::new("/d");
        watched(&mut caches, dir);
        for i in 0..MAX_ANSWERS_PER_DIR {
            answer(&mut caches, &env(dir, &i.to_string()));
        }
        assert_eq!(caches.answers(dir), MAX_ANSWERS_PER_DIR);
        answer(&mut caches, &env(dir, "one more"));
        assert_eq!(caches.answers(dir), 1);
    }

    #[test]
    fn past_the_byte_budget_every_dir_starts_again() {
        let mut caches = DirCaches::default();
        // Environments of 1 MiB (only the daemon's MAX_ENV_BYTES keeps
        // them out; these rules hold without it), one dir each.
        let big = "x".repeat(1024 * 1024);
        let dir = |i: usize| PathBuf::from(format!("/d{i}"));
        let fit = MAX_CACHE_BYTES / (big.len() + 300);
        for i in 0..fit {
            watched(&mut caches, &dir(i));
            answer(&mut caches, &env(&dir(i), &big));
        }
        assert_eq!(caches.answers(&dir(0)), 1, "within the budget");
        assert!(caches.bytes() <= MAX_CACHE_BYTES);
        let before = caches.bytes();
        watched(&mut caches, &dir(fit));
        answer(&mut caches, &env(&dir(fit), &big));
        assert!(caches.bytes() < before, "{} bytes", caches.bytes());
        assert_eq!(caches.answers(&dir(0)), 0, "dropped for the budget");
        assert_eq!(caches.answers(&dir(fit)), 1, "the new answer is kept");
    }
}
