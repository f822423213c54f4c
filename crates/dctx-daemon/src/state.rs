//! The daemon's state, the one facade its tasks share: answers for shells
//! and status bars (`query`, `lookup`: resolve, then render with the
//! shell's settings and engine report), and what follows a change (replace
//! the change mark, redraw tmux, wake the probes).
//!
//! It owns the config-dir cache ([`DirCaches`], whose rules keep answers
//! right), the settings cache, the shell table and the engine results,
//! and reads every file through the injected [`Fs`](crate::Fs); what it
//! holds is bookkeeping, what it does is here. Files are read outside the
//! lock, so one slow path never stalls other shells. A hit is served only
//! while its [`AnswerFiles`] are current: events arrive a little late.
//!
//! Shells keep answers too (see [`ChangeMark`]): whatever drops a cached
//! answer here, or stops a dir from being watched, replaces the change mark.
//!
//! Dependencies run one way: `state` uses `cache`, `settings_cache`,
//! `answer_files`, `shells`, `engines`, `change_mark` and `watch`'s types;
//! the tasks that drive it (`watch::run`, the shells' tasks) see it through
//! their own traits, and `probe`, `tmux` and `server` use it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use dctx_core::segment::{render, RenderOptions};
use dctx_core::{resolve, Env, Resolution, Settings};
use dctx_ipc::protocol::{Caller, Render, Segment, WatchedDir};
use dctx_ipc::vars::ProbeEnv;
use tokio::sync::mpsc::UnboundedSender;

use crate::answer_files::AnswerFiles;
use crate::cache::{DirCaches, Stored};
use crate::change_mark::ChangeMark;
use crate::engines::{Engines, TargetKey};
use crate::settings_cache::{Loaded, SettingsCache, SettingsLookup};
use crate::shells::{InUse, ShellEvents, ShellTable, MAX_ENV_BYTES};
use crate::watch::{Freshness, WatchRequest, WatchSink};
use crate::Fs;

struct Inner {
    dirs: DirCaches,
    shells: ShellTable,
    settings: SettingsCache,
}

pub struct State {
    started: Instant,
    queries: AtomicU64,
    /// Every file is read through this.
    fs: Fs,
    /// What applies when a shell names no settings file.
    builtin: Arc<Settings>,
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
    /// A state reading through `fs`, asking `watch_tx` for watches,
    /// telling `redraw_tx` (if any) when bars should redraw and `mark`
    /// when kept answers may be wrong.
    pub fn new(
        fs: Fs,
        watch_tx: UnboundedSender<WatchRequest>,
        redraw_tx: Option<UnboundedSender<()>>,
        mark: ChangeMark,
    ) -> State {
        let inner = Inner {
            dirs: DirCaches::default(),
            shells: ShellTable::default(),
            settings: SettingsCache::default(),
        };
        State {
            started: Instant::now(),
            queries: AtomicU64::new(0),
            engines: Engines::new(fs.clone(), None),
            fs,
            builtin: Arc::new(Settings::default()),
            inner: Mutex::new(inner),
            watch_tx,
            redraw_tx,
            mark,
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
        self.engines = Engines::new(self.fs.clone(), state_dir);
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

    /// What each live shell uses (environment, probe environment,
    /// settings file): what the probes choose their targets from.
    pub fn shells_in_use(&self) -> Vec<InUse> {
        let mut inner = self.lock();
        inner.shells.live();
        inner.shells.in_use()
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
        self.lock().dirs.watched()
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
            let found = inner.dirs.lookup(&dir, env, cacheable);
            // Told under the lock, so that the watch task hears of a dir
            // in the order the cache took and dropped it.
            if let Some(oldest) = found.evicted {
                let _ = self.watch_tx.send(WatchRequest::Remove(oldest));
                // Shells of that dir no longer hear of its changes.
                self.mark.bump();
            }
            if found.added {
                let _ = self.watch_tx.send(WatchRequest::Add(dir.clone()));
            }
            (found.generation, found.hit)
        };
        let fs = &*self.fs;
        // Checked outside the lock: a stat is a system call.
        if let Some((resolution, files)) = hit {
            if files.is_current(fs) {
                return (resolution, true);
            }
        }
        let files = generation.map(|_| AnswerFiles::before(fs, &dir));
        let resolution = resolve(env, fs);
        let (Some(generation), Some(files)) = (generation, files) else {
            return (resolution, false);
        };
        let files = files.with_meta(fs, &resolution);
        let stored = self
            .lock()
            .dirs
            .store(&dir, generation, env, &resolution, files);
        match stored {
            Stored::Watched => (resolution, true),
            Stored::UnwatchedContext { ask } => {
                if ask {
                    let name = resolution.name.clone();
                    let _ = self.watch_tx.send(WatchRequest::Context(dir, name));
                }
                (resolution, false)
            }
        }
    }

    /// Called by the watch task once the meta dirs of `contexts` in config
    /// dir `dir` are watched (before its `set_freshness`).
    pub fn set_watched_contexts(&self, dir: &Path, contexts: BTreeSet<String>) {
        self.lock().dirs.set_watched_contexts(dir, contexts);
    }

    /// Called by the watch task once it knows how `path` (a config dir or
    /// a settings file) is watched.
    pub fn set_freshness(&self, path: &Path, freshness: Freshness) {
        let mut inner = self.lock();
        let known = inner.dirs.set_freshness(path, freshness.clone())
            || inner.settings.set_freshness(path, freshness);
        if known {
            // Watches were just (re)placed: a change made while they moved
            // sent no event, and answers given as watched may not be any
            // more.
            self.mark.bump();
        }
    }

    /// Drops the cached answers of `dirs` (config dirs or settings files),
    /// or of everything for `None`.
    pub fn invalidate(&self, dirs: Option<&[PathBuf]>) {
        {
            let mut inner = self.lock();
            inner.dirs.invalidate(dirs);
            inner.settings.invalidate(dirs);
        }
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
    /// A hit must be the very file that was read; the file is read outside
    /// the lock.
    pub fn settings(&self, path: Option<&Path>) -> Loaded {
        let Some(path) = path else {
            return Loaded {
                settings: self.builtin.clone(),
                problem: None,
                watched: true,
            };
        };
        let id = self.fs.id(path);
        let watched = {
            let mut inner = self.lock();
            match inner.settings.lookup(path, id) {
                SettingsLookup::Hit(hit) => return hit,
                SettingsLookup::Miss {
                    watched,
                    added,
                    evicted,
                } => {
                    for old in &evicted {
                        let _ = self.watch_tx.send(WatchRequest::Remove(old.clone()));
                    }
                    if !evicted.is_empty() {
                        // Shells using those files no longer hear of edits.
                        self.mark.bump();
                    }
                    if added {
                        let _ = self
                            .watch_tx
                            .send(WatchRequest::AddFile(path.to_path_buf()));
                    }
                    watched
                }
            }
        };
        let dctx_core::settings::Loaded { settings, problem } = Settings::load(&*self.fs, path);
        let settings = Arc::new(settings);
        self.lock()
            .settings
            .store(path, id, settings.clone(), problem.clone());
        Loaded {
            settings,
            problem,
            watched,
        }
    }

    fn segment(
        &self,
        (resolution, watched): (Resolution, bool),
        probe_env: &ProbeEnv,
        render_opts: &Render,
        matched_shell: bool,
    ) -> Segment {
        let Loaded {
            settings,
            problem,
            watched: settings_watched,
        } = self.settings(render_opts.settings.as_deref());
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

impl WatchSink for State {
    fn set_watched_contexts(&self, dir: &Path, contexts: BTreeSet<String>) {
        State::set_watched_contexts(self, dir, contexts);
    }

    fn set_freshness(&self, path: &Path, freshness: Freshness) {
        State::set_freshness(self, path, freshness);
    }

    fn invalidate(&self, paths: Option<&[PathBuf]>) {
        State::invalidate(self, paths);
    }
}

impl ShellEvents for State {
    fn shell_exited(&self, pid: u32, started: u64) {
        State::shell_exited(self, pid, started);
    }

    fn shell_table_bytes(&self) -> Vec<u8> {
        State::shell_table_bytes(self)
    }

    fn request_redraw(&self) {
        State::request_redraw(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Weak;

    use dctx_core::context_meta::meta_path;
    use dctx_core::fs::{FileId, Located};
    use dctx_core::{FileSystem, MemFs};
    use tokio::sync::mpsc::UnboundedReceiver;

    /// A fake world that counts reads: a cache hit is an answer given
    /// without one. Ids (stats) are not counted: they are how a hit is
    /// checked.
    #[derive(Default)]
    struct World {
        fs: Mutex<MemFs>,
        reads: AtomicUsize,
        /// Invalidates this state's cache for the dir of the next
        /// config.json read, as an event arriving mid-resolution would.
        event_during_read: Mutex<Option<Weak<State>>>,
    }

    impl World {
        fn write(&self, path: impl Into<PathBuf>, text: &str) {
            self.fs.lock().unwrap().write(path, text);
        }

        fn reads(&self) -> usize {
            self.reads.load(Ordering::SeqCst)
        }
    }

    impl FileSystem for World {
        fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            if path.ends_with("config.json") {
                let state = self.event_during_read.lock().unwrap().take();
                if let Some(state) = state.and_then(|s| s.upgrade()) {
                    state.invalidate(Some(&[path.parent().unwrap().to_path_buf()]));
                }
            }
            self.fs.lock().unwrap().read(path)
        }

        fn list_dir(&self, path: &Path) -> io::Result<Vec<std::ffi::OsString>> {
            self.fs.lock().unwrap().list_dir(path)
        }

        fn locate(&self, path: &Path) -> Option<Located> {
            self.fs.lock().unwrap().locate(path)
        }

        fn id(&self, path: &Path) -> Option<FileId> {
            self.fs.lock().unwrap().id(path)
        }
    }

    const DIR: &str = "/home/u/.docker";

    fn meta(name: &str, host: &str) -> String {
        format!(r#"{{"Name":"{name}","Endpoints":{{"docker":{{"Host":"{host}"}}}}}}"#)
    }

    /// A world where `DIR` has contexts a and b, `a` current.
    fn world() -> Arc<World> {
        let world = Arc::new(World::default());
        for (name, host) in [("a", "tcp://a:1"), ("b", "tcp://b:1")] {
            world.write(meta_path(Path::new(DIR), name), &meta(name, host));
        }
        world.write(
            Path::new(DIR).join("config.json"),
            r#"{"currentContext":"a"}"#,
        );
        world
    }

    fn state(world: &Arc<World>) -> (Arc<State>, UnboundedReceiver<WatchRequest>) {
        let (watch_tx, watch_rx) = tokio::sync::mpsc::unbounded_channel();
        let state = State::new(world.clone(), watch_tx, None, ChangeMark::none());
        (Arc::new(state), watch_rx)
    }

    fn env() -> Env {
        Env::new([("DOCKER_CONFIG", DIR)], None)
    }

    /// What the watch task does once `DIR` and the meta dirs of
    /// `contexts` are watched.
    fn watched(state: &State, contexts: &[&str]) {
        let contexts = contexts.iter().map(|c| c.to_string()).collect();
        state.set_watched_contexts(Path::new(DIR), contexts);
        state.set_freshness(Path::new(DIR), Freshness::Inotify);
    }

    fn requests(rx: &mut UnboundedReceiver<WatchRequest>) -> Vec<String> {
        std::iter::from_fn(|| rx.try_recv().ok())
            .map(|r| format!("{r:?}"))
            .collect()
    }

    #[test]
    fn a_polled_dir_is_never_cached_and_status_says_why() {
        let world = world();
        let (state, _rx) = state(&world);
        state.resolve(&env());
        state.set_freshness(
            Path::new(DIR),
            Freshness::Unwatched("could not watch x".into()),
        );
        assert!(!state.resolve(&env()).1, "not watched");
        let before = world.reads();
        assert_eq!(state.resolve(&env()).0.name, "a");
        assert!(world.reads() > before, "read again");
        world.write(
            Path::new(DIR).join("config.json"),
            r#"{"currentContext":"b"}"#,
        );
        assert_eq!(state.resolve(&env()).0.name, "b");
        assert_eq!(state.lock().dirs.answers(Path::new(DIR)), 0);
        let watched = state.watched();
        assert_eq!(
            watched[0].mode,
            "unwatched, read on every query: could not watch x"
        );
    }

    // The watch task is never run here, as if every inotify event were
    // still on its way: what `docker context use` did must show anyway.
    #[test]
    fn a_hit_reads_nothing_and_a_rewritten_file_is_read_again() {
        let world = world();
        let (state, _rx) = state(&world);
        assert!(!state.resolve(&env()).1, "pending: not watched yet");
        watched(&state, &["a", "b"]);
        assert_eq!(state.resolve(&env()).0.name, "a");
        let before = world.reads();
        let (hit, watched) = state.resolve(&env());
        assert_eq!((hit.name.as_str(), hit.host.as_str()), ("a", "tcp://a:1"));
        assert!(watched);
        assert_eq!(
            world.reads(),
            before,
            "served from the cache, not read again"
        );

        // The same bytes, written again: another version all the same.
        let config = Path::new(DIR).join("config.json");
        world.write(&config, r#"{"currentContext":"a"}"#);
        state.resolve(&env());
        assert!(world.reads() > before, "the rewritten file was read again");

        world.write(&config, r#"{"currentContext":"b"}"#);
        assert_eq!(state.resolve(&env()).0.host, "tcp://b:1");
        world.write(meta_path(Path::new(DIR), "b"), &meta("b", "tcp://b:2"));
        assert_eq!(state.resolve(&env()).0.host, "tcp://b:2", "meta.json too");
        let before = world.reads();
        assert_eq!(state.resolve(&env()).0.host, "tcp://b:2");
        assert_eq!(world.reads(), before, "and that answer is kept");
    }

    #[test]
    fn an_answer_read_while_an_event_arrived_is_not_kept() {
        let world = world();
        let (state, _rx) = state(&world);
        state.resolve(&env());
        watched(&state, &["a"]);
        *world.event_during_read.lock().unwrap() = Some(Arc::downgrade(&state));
        assert_eq!(state.resolve(&env()).0.name, "a");
        let before = world.reads();
        state.resolve(&env());
        assert!(world.reads() > before, "not cached: read again");
        let before = world.reads();
        state.resolve(&env());
        assert_eq!(world.reads(), before, "the one read after the event is");
    }

    #[test]
    fn the_watch_task_is_asked_for_each_new_dir_and_each_named_context_once() {
        let world = world();
        let (state, mut rx) = state(&world);
        state.resolve(&env());
        state.resolve(&env());
        assert_eq!(requests(&mut rx), [format!("Add({DIR:?})")]);
        watched(&state, &[]);
        let (answer, watched) = state.resolve(&env());
        assert_eq!(answer.name, "a");
        assert!(!watched, "a's meta.json is not watched yet");
        state.resolve(&env());
        assert_eq!(requests(&mut rx), [format!("Context({DIR:?}, \"a\")")]);
        let before = world.reads();
        state.resolve(&env());
        assert!(world.reads() > before, "not cached meanwhile");
    }

    #[test]
    fn past_max_dirs_the_oldest_dir_is_unwatched() {
        let world = world();
        let (state, mut rx) = state(&world);
        let env = |i: usize| Env::new([("DOCKER_CONFIG", format!("/d{i}"))], None);
        for i in 0..=crate::cache::MAX_DIRS {
            state.resolve(&env(i));
        }
        let sent = requests(&mut rx);
        assert_eq!(sent.len(), crate::cache::MAX_DIRS + 2, "{sent:?}");
        assert_eq!(sent.last().unwrap(), &format!("Add({:?})", "/d64"));
        assert_eq!(sent[sent.len() - 2], format!("Remove({:?})", "/d0"));
    }

    #[test]
    fn a_settings_file_is_read_once_until_it_is_rewritten() {
        let world = world();
        let path = Path::new("/home/u/.config/dctx/config.toml");
        world.write(path, "format = \"<{name}>\"\n");
        let (state, mut rx) = state(&world);
        let Loaded {
            settings,
            problem,
            watched,
        } = state.settings(Some(path));
        assert_eq!((problem, watched), (None, false));
        assert_eq!(settings.format, "<{name}>");
        assert_eq!(requests(&mut rx), [format!("AddFile({path:?})")]);
        state.set_freshness(path, Freshness::Inotify);
        let before = world.reads();
        let watched = state.settings(Some(path)).watched;
        assert!(watched);
        assert_eq!(world.reads(), before, "a hit");
        world.write(path, "format = \"[{name}]\"\n");
        assert_eq!(state.settings(Some(path)).settings.format, "[{name}]");
        assert!(world.reads() > before);
    }
}
