//! The daemon's memory: resolutions cached per Docker config dir, the shell
//! table, and the users' settings files.
//!
//! Cache correctness rests on a generation counter per config dir: a
//! resolution computed outside the lock is stored only if no file-system
//! event arrived meanwhile, and nothing is cached for a dir until its watch
//! is in place. A dir whose watch failed is never cached: every query reads
//! the files again, so nothing stale is ever served. Events arrive a little
//! late, so each hit also checks the [`Stamp`] of the files it was read
//! from.
//!
//! Shells keep answers too (see [`ChangeMark`]): whatever drops a cached
//! answer here, or stops a dir from being watched, replaces the change mark.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use dctx_core::fs::FileId;
use dctx_core::resolution::DEFAULT_CONTEXT;
use dctx_core::segment::{render, RenderOptions};
use dctx_core::{resolve, Env, RealFs, Resolution, Settings};
use dctx_ipc::protocol::{Caller, Render, Segment, WatchedDir};
use dctx_ipc::vars::ProbeEnv;
use tokio::sync::mpsc::UnboundedSender;

use crate::change_mark::ChangeMark;
use crate::engines::{Engines, TargetKey};
use crate::shells::ShellTable;
use crate::stamp::Stamp;

/// Config dirs kept at once; the least recently used is dropped past it.
pub const MAX_DIRS: usize = 64;
/// Distinct environments cached per config dir before the cache is reset.
pub const MAX_ANSWERS_PER_DIR: usize = 512;
/// An environment larger than this is answered but neither cached nor
/// remembered for its shell.
pub const MAX_ENV_BYTES: usize = 8 * 1024;
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

/// How a config dir is kept fresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    /// The watch is being set up: answers are not cached yet.
    Pending,
    Inotify,
    /// Watching failed; every query re-reads the files.
    Unwatched(String),
}

#[derive(Debug)]
struct DirCache {
    generation: u64,
    freshness: Freshness,
    /// The contexts whose meta dirs are watched: only answers naming one
    /// of these (or `default`, which has none) are cached.
    contexts: HashSet<String>,
    /// The contexts asked to be watched, so each is asked once.
    asked: HashSet<String>,
    answers: HashMap<Env, (Resolution, Arc<Stamp>)>,
    /// What `answers` take, by [`answer_bytes`].
    bytes: usize,
    used: Instant,
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

struct Inner {
    builtin: Arc<Settings>,
    dirs: HashMap<PathBuf, DirCache>,
    shells: ShellTable,
    settings: HashMap<PathBuf, CachedSettings>,
}

pub struct State {
    started: Instant,
    queries: AtomicU64,
    /// Resolutions read from disk (cache misses): how a test tells a cache
    /// hit, which answers the same, from a miss.
    disk_resolutions: AtomicU64,
    inner: Mutex<Inner>,
    watch_tx: UnboundedSender<WatchRequest>,
    /// Told when something a status bar shows may have changed.
    redraw_tx: Option<UnboundedSender<()>>,
    mark: ChangeMark,
    engines: Engines,
    /// Told of each new shell (pid, start time), to watch it exit.
    exits_tx: Option<UnboundedSender<(u32, u64)>>,
    /// Told when the shell table changed, to save it.
    saves_tx: Option<UnboundedSender<()>>,
}

impl State {
    pub fn new(
        watch_tx: UnboundedSender<WatchRequest>,
        redraw_tx: Option<UnboundedSender<()>>,
        mark: ChangeMark,
    ) -> State {
        let inner = Inner {
            builtin: Arc::new(Settings::default()),
            dirs: HashMap::new(),
            shells: ShellTable::default(),
            settings: HashMap::new(),
        };
        State {
            started: Instant::now(),
            queries: AtomicU64::new(0),
            disk_resolutions: AtomicU64::new(0),
            inner: Mutex::new(inner),
            watch_tx,
            redraw_tx,
            mark,
            engines: Engines::new(None),
            exits_tx: None,
            saves_tx: None,
        }
    }

    /// Starts from `table` (the one a previous daemon saved), tells
    /// `exits` of every shell in it and of each new one, and `saves` of
    /// every change to it.
    pub fn with_shells(
        mut self,
        table: ShellTable,
        exits: UnboundedSender<(u32, u64)>,
        saves: UnboundedSender<()>,
    ) -> State {
        for shell in table.watched() {
            let _ = exits.send(shell);
        }
        self.lock().shells = table;
        self.exits_tx = Some(exits);
        self.saves_tx = Some(saves);
        self
    }

    /// The shell table as its file holds it.
    pub fn shell_table_bytes(&self) -> Vec<u8> {
        self.lock().shells.to_bytes()
    }

    /// The shell table changed: save it, then redraw the bars (the saver
    /// redraws once saved; without one, at once).
    fn shells_changed(&self) {
        match &self.saves_tx {
            Some(tx) => {
                let _ = tx.send(());
            }
            None => self.request_redraw(),
        }
    }

    /// The shell `pid` (started at `started`) exited: its tty now shows
    /// the shell beneath it, so bars redraw at once.
    pub fn shell_exited(&self, pid: u32, started: u64) {
        if self.lock().shells.exited(pid, started) {
            tracing::debug!(pid, "a shell exited");
            self.shells_changed();
            self.engines.wake.notify_one();
        }
    }

    /// Reads engine pins from `state_dir` (dctx's own state dir), and
    /// watches `pins.json` like a settings file: a hand edit replaces the
    /// change mark (see `invalidate`).
    pub fn with_state_dir(mut self, state_dir: Option<PathBuf>) -> State {
        self.engines = Engines::new(state_dir);
        if let Some(path) = self.engines.pins_path() {
            let _ = self.watch_tx.send(WatchRequest::AddFile(path));
        }
        self
    }

    pub fn engines(&self) -> &Engines {
        &self.engines
    }

    /// A probe changed what prompts show: shells ask again, bars redraw.
    pub fn engine_changed(&self) {
        self.mark.bump();
        self.request_redraw();
    }

    /// The engines that live shells use now and whose settings probe them.
    pub fn probe_targets(&self) -> Vec<crate::probe::Target> {
        let in_use = {
            let mut inner = self.lock();
            inner.shells.live();
            inner.shells.in_use()
        };
        let mut targets: HashMap<TargetKey, crate::probe::Target> = HashMap::new();
        for (env, probe_env, settings_path) in in_use {
            let (settings, _, _) = self.settings(settings_path.as_deref());
            let (resolution, _) = self.resolve(&env);
            if resolution.host.is_empty() || !settings.engine.probes(&resolution.name) {
                continue;
            }
            let key = TargetKey::of(&resolution, &probe_env);
            // Of two shells with different settings, the shorter interval.
            let shorter = targets
                .get(&key)
                .is_none_or(|t| settings.engine.interval < t.settings.engine.interval);
            if shorter {
                targets.insert(
                    key.clone(),
                    crate::probe::Target {
                        key,
                        env,
                        probe_env,
                        settings,
                    },
                );
            }
        }
        targets.into_values().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind; serving
        // on is better than taking every prompt down with it.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn uptime_secs(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    pub fn queries(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    /// Shells still running (exited ones are forgotten on the way).
    pub fn shell_count(&self) -> usize {
        self.lock().shells.live()
    }

    pub fn tmux_servers(&self) -> Vec<String> {
        self.lock().shells.tmux_servers()
    }

    pub fn watched(&self) -> Vec<WatchedDir> {
        let inner = self.lock();
        let mut out: Vec<WatchedDir> = inner
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

    /// Resolves `env`, from the cache when it is known to be fresh. The
    /// flag says whether the answer's files are watched, i.e. whether the
    /// change mark will be replaced when they change.
    pub fn resolve(&self, env: &Env) -> (Resolution, bool) {
        let dir = env.config_dir();
        // TLS material may live outside the config dir, where no watch sees
        // it; an outsized environment is no shell's and not worth keeping.
        let cacheable = !env.tls() && env.byte_size() <= MAX_ENV_BYTES;
        let (generation, hit) = {
            let mut inner = self.lock();
            let cache = self.dir_cache(&mut inner, &dir);
            cache.used = Instant::now();
            let generation =
                (cacheable && cache.freshness == Freshness::Inotify).then_some(cache.generation);
            let hit = generation.and_then(|_| cache.answers.get(env).cloned());
            (generation, hit)
        };
        // Checked outside the lock: a stat is a system call.
        if let Some((resolution, stamp)) = hit {
            if stamp.is_current() {
                return (resolution, true);
            }
        }
        let stamp = generation.map(|_| Stamp::before(&dir));
        self.disk_resolutions.fetch_add(1, Ordering::Relaxed);
        let resolution = resolve(env, &RealFs);
        if let (Some(generation), Some(stamp)) = (generation, stamp) {
            let stamp = stamp.with_meta(&resolution);
            let size = answer_bytes(env, &resolution);
            let mut inner = self.lock();
            let total: usize = inner.dirs.values().map(|c| c.bytes).sum();
            if total + size > MAX_CACHE_BYTES {
                inner.dirs.values_mut().for_each(DirCache::clear);
            }
            if let Some(cache) = inner.dirs.get_mut(&dir) {
                let name = &resolution.name;
                if name != DEFAULT_CONTEXT && !cache.contexts.contains(name) {
                    // Its meta.json is not watched yet: right now, but
                    // neither cached nor to be kept until it is.
                    if cache.asked.len() < crate::watch::MAX_WATCHED_CONTEXTS
                        && cache.asked.insert(name.clone())
                    {
                        let _ = self
                            .watch_tx
                            .send(WatchRequest::Context(dir.clone(), name.clone()));
                    }
                    return (resolution, false);
                }
                if cache.generation == generation && cache.freshness == Freshness::Inotify {
                    if cache.answers.len() >= MAX_ANSWERS_PER_DIR {
                        cache.clear();
                    }
                    let old = cache
                        .answers
                        .insert(env.clone(), (resolution.clone(), Arc::new(stamp)));
                    if old.is_none() {
                        cache.bytes += size;
                    }
                }
            }
        }
        (resolution, generation.is_some())
    }

    fn dir_cache<'a>(&self, inner: &'a mut Inner, dir: &Path) -> &'a mut DirCache {
        if !inner.dirs.contains_key(dir) {
            if inner.dirs.len() >= MAX_DIRS {
                let oldest = inner
                    .dirs
                    .iter()
                    .min_by_key(|(_, c)| c.used)
                    .map(|(d, _)| d.clone());
                if let Some(oldest) = oldest {
                    inner.dirs.remove(&oldest);
                    let _ = self.watch_tx.send(WatchRequest::Remove(oldest));
                    // Shells of that dir no longer hear of its changes.
                    self.mark.bump();
                }
            }
            let _ = self.watch_tx.send(WatchRequest::Add(dir.to_path_buf()));
        }
        inner
            .dirs
            .entry(dir.to_path_buf())
            .or_insert_with(|| DirCache {
                generation: 0,
                freshness: Freshness::Pending,
                contexts: HashSet::new(),
                asked: HashSet::new(),
                answers: HashMap::new(),
                bytes: 0,
                used: Instant::now(),
            })
    }

    /// Called by the watch task once the meta dirs of `contexts` in config
    /// dir `dir` are watched (before its `set_freshness`).
    pub fn set_watched_contexts(&self, dir: &Path, contexts: std::collections::BTreeSet<String>) {
        if let Some(cache) = self.lock().dirs.get_mut(dir) {
            cache.contexts = contexts.into_iter().collect();
        }
    }

    /// Called by the watch task once it knows how `path` (a config dir or
    /// a settings file) is watched.
    pub fn set_freshness(&self, path: &Path, freshness: Freshness) {
        let mut inner = self.lock();
        let slot = if let Some(cache) = inner.dirs.get_mut(path) {
            cache.reset();
            &mut cache.freshness
        } else if let Some(cached) = inner.settings.get_mut(path) {
            &mut cached.freshness
        } else {
            return;
        };
        // Watches were just (re)placed: a change made while they moved sent
        // no event, and answers given as watched may not be any more.
        self.mark.bump();
        *slot = freshness;
    }

    /// Drops the cached answers of `dirs` (config dirs or settings files),
    /// or of everything for `None`.
    pub fn invalidate(&self, dirs: Option<&[PathBuf]>) {
        let mut inner = self.lock();
        for (dir, cache) in inner.dirs.iter_mut() {
            if dirs.is_none_or(|dirs| dirs.contains(dir)) {
                cache.reset();
            }
        }
        for (file, cached) in inner.settings.iter_mut() {
            if dirs.is_none_or(|dirs| dirs.contains(file)) {
                cached.loaded = None;
            }
        }
        drop(inner);
        // The pins are read outside the state lock (reads never happen
        // under it); the mark below tells shells either way.
        let pins = self.engines.pins_path();
        if dirs.is_none_or(|dirs| pins.is_some_and(|p| dirs.contains(&p))) {
            self.engines.reload_pins();
        }
        self.mark.bump();
        self.request_redraw();
        // Settings may now probe other contexts, or none.
        self.engines.wake.notify_one();
    }

    pub fn request_redraw(&self) {
        if let Some(tx) = &self.redraw_tx {
            let _ = tx.send(());
        }
    }

    /// The settings at `path` (built-in ones for `None`), any problem with
    /// them, and whether an edit of the file would replace the change mark.
    ///
    /// A hit must be the very file that was read (the same [`FileId`]:
    /// `cp -p` keeps size and mtime but not ctime), and the file is read
    /// outside the lock, so one slow path never stalls other shells.
    fn settings(&self, path: Option<&Path>) -> (Arc<Settings>, Option<String>, bool) {
        let Some(path) = path else {
            return (self.lock().builtin.clone(), None, true);
        };
        let id = FileId::of(path);
        let freshness = {
            let mut inner = self.lock();
            match inner.settings.get(path) {
                Some(cached) => {
                    let watched = cached.freshness == Freshness::Inotify;
                    if let Some(hit) = cached.loaded.as_ref().filter(|l| l.id == id) {
                        return (hit.settings.clone(), hit.problem.clone(), watched);
                    }
                    cached.freshness.clone()
                }
                None => {
                    if inner.settings.len() >= MAX_DIRS {
                        for (old, _) in inner.settings.drain() {
                            let _ = self.watch_tx.send(WatchRequest::Remove(old));
                        }
                        // Shells using those files no longer hear of edits.
                        self.mark.bump();
                    }
                    let _ = self
                        .watch_tx
                        .send(WatchRequest::AddFile(path.to_path_buf()));
                    inner.settings.insert(
                        path.to_path_buf(),
                        CachedSettings {
                            loaded: None,
                            freshness: Freshness::Pending,
                        },
                    );
                    Freshness::Pending
                }
            }
        };
        let dctx_core::settings::Loaded { settings, problem } = Settings::load(&RealFs, path);
        let settings = Arc::new(settings);
        let watched = freshness == Freshness::Inotify;
        if let Some(cached) = self.lock().settings.get_mut(path) {
            cached.loaded = Some(LoadedSettings {
                id,
                settings: settings.clone(),
                problem: problem.clone(),
            });
        }
        (settings, problem, watched)
    }

    fn segment(
        &self,
        (resolution, watched): (Resolution, bool),
        probe_env: &ProbeEnv,
        render_opts: &Render,
        matched_shell: bool,
    ) -> Segment {
        let (settings, problem, settings_watched) = self.settings(render_opts.settings.as_deref());
        let engine = self
            .engines
            .report(&TargetKey::of(&resolution, probe_env), &settings.engine);
        let request = RenderOptions {
            shell: render_opts.shell,
            format: render_opts.format.as_deref(),
            extra_problem: problem.is_some(),
            engine: Some(&engine),
            show_default: render_opts.show_default,
        };
        let mut segment = Segment::new(
            render(&resolution, &settings, &request),
            &resolution,
            matched_shell,
        );
        segment.watched = watched && settings_watched;
        segment.engine = Some(Box::new(engine));
        segment
    }

    /// A shell's query: answer for its environment and remember it.
    pub fn query(&self, env: &Env, caller: Option<&Caller>, render_opts: &Render) -> Segment {
        self.queries.fetch_add(1, Ordering::Relaxed);
        if let Some(caller) = caller {
            tracing::trace!(?caller, "query from a shell");
            let settings = render_opts.settings.as_deref();
            let (changed, new) = {
                let mut inner = self.lock();
                let before = inner.shells.started(caller.pid);
                let changed = inner.shells.record(caller, env, settings);
                let after = inner.shells.started(caller.pid);
                (changed, after.filter(|_| after != before))
            };
            if let (Some(started), Some(tx)) = (new, &self.exits_tx) {
                let _ = tx.send((caller.pid, started));
            }
            if changed {
                self.shells_changed();
                // A new target may need a probe at once.
                self.engines.wake.notify_one();
            }
        }
        let probe_env = caller.map(|c| c.probe_env.clone()).unwrap_or_default();
        self.segment(self.resolve(env), &probe_env, render_opts, caller.is_some())
    }

    /// A lookup by tty or pid, for status bars that cannot see the shell.
    pub fn lookup(
        &self,
        tty: Option<&str>,
        pid: Option<u32>,
        fallback: &Env,
        render_opts: &Render,
    ) -> Segment {
        self.queries.fetch_add(1, Ordering::Relaxed);
        let known = {
            let mut inner = self.lock();
            let shell = tty.and_then(|t| inner.shells.pid_on_tty(t)).or(pid);
            shell.and_then(|p| inner.shells.known(p))
        };
        let matched = known.is_some();
        let (env, probe_env) = known.unwrap_or_else(|| (fallback.clone(), ProbeEnv::default()));
        self.segment(self.resolve(&env), &probe_env, render_opts, matched)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replace(path: &Path, text: &str) {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, path).unwrap();
    }

    #[test]
    fn a_polled_dir_is_never_cached_and_status_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.json");
        replace(&config, r#"{"currentContext":"a"}"#);
        let (watch_tx, _watch_rx) = tokio::sync::mpsc::unbounded_channel();
        let state = State::new(watch_tx, None, ChangeMark::none());
        let env = Env::new([("DOCKER_CONFIG", dir.path().display().to_string())], None);
        state.resolve(&env);
        state.set_freshness(dir.path(), Freshness::Unwatched("could not watch x".into()));
        assert_eq!(state.resolve(&env).0.name, "a");
        std::fs::write(&config, r#"{"currentContext":"b"}"#).unwrap();
        assert_eq!(state.resolve(&env).0.name, "b");
        assert!(state.lock().dirs[dir.path()].answers.is_empty());
        let watched = state.watched();
        assert_eq!(
            watched[0].mode,
            "unwatched, read on every query: could not watch x"
        );
    }

    // The watch task is never run here, as if every inotify event were
    // still on its way: what `docker context use` did must show anyway.
    #[test]
    fn a_change_is_served_before_its_inotify_event_arrives() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.json");
        for (name, host) in [("a", "tcp://a:1"), ("b", "tcp://b:1")] {
            let meta = dctx_core::context_meta::meta_path(dir.path(), name);
            std::fs::create_dir_all(meta.parent().unwrap()).unwrap();
            let text =
                format!(r#"{{"Name":"{name}","Endpoints":{{"docker":{{"Host":"{host}"}}}}}}"#);
            replace(&meta, &text);
        }
        replace(&config, r#"{"currentContext":"a"}"#);
        let (watch_tx, _watch_rx) = tokio::sync::mpsc::unbounded_channel();
        let state = State::new(watch_tx, None, ChangeMark::none());
        let env = Env::new([("DOCKER_CONFIG", dir.path().display().to_string())], None);
        let reads = || state.disk_resolutions.load(Ordering::Relaxed);
        assert_eq!(state.resolve(&env).0.name, "a");
        // What the watch task does once the dir and both contexts' meta
        // dirs are watched; only then is an answer kept.
        let watched = ["a", "b"].map(String::from).into_iter().collect();
        state.set_watched_contexts(dir.path(), watched);
        state.set_freshness(dir.path(), Freshness::Inotify);
        assert_eq!(state.resolve(&env).0.name, "a");
        let before = reads();
        assert_eq!(state.resolve(&env).0.name, "a");
        assert_eq!(reads(), before, "served from the cache, not read again");

        replace(&config, r#"{"currentContext":"b"}"#);
        assert_eq!(state.resolve(&env).0.name, "b");
        assert_eq!(reads(), before + 1, "the stale answer was read again");
        assert_eq!(state.resolve(&env).0.host, "tcp://b:1");

        let meta = dctx_core::context_meta::meta_path(dir.path(), "b");
        replace(
            &meta,
            r#"{"Name":"b","Endpoints":{"docker":{"Host":"tcp://b:2"}}}"#,
        );
        assert_eq!(state.resolve(&env).0.host, "tcp://b:2");
    }
}
