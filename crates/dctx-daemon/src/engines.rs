//! What the engine probes found, per target (config dir, context,
//! endpoint), and the pins they are held against. The probes themselves
//! run in `probe.rs`; a prompt only ever reads what is here.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use dctx_core::engine::{now_ms, EngineReport, EngineSettings, ProbeResult};
use dctx_core::Resolution;
use dctx_ipc::pins::{self, Pin};
use dctx_ipc::vars::ProbeEnv;
use tokio::sync::Notify;

/// Results kept for targets nobody uses any more, at most.
const MAX_RESULTS: usize = 256;

/// One engine as the CLI reaches it: which config dir, which context,
/// which endpoint (a context re-pointed elsewhere is another target), and
/// from which environment (another PATH, ssh agent or proxy may reach
/// another engine, or none).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TargetKey {
    pub config_dir: PathBuf,
    pub name: String,
    pub host: String,
    pub probe_env: ProbeEnv,
}

impl TargetKey {
    pub fn of(r: &Resolution, probe_env: &ProbeEnv) -> TargetKey {
        TargetKey {
            config_dir: r.config_dir.clone(),
            name: r.name.clone(),
            host: r.host.clone(),
            probe_env: probe_env.clone(),
        }
    }

    /// The same engine, whatever the environment.
    fn same_engine(&self, other: &TargetKey) -> bool {
        self.config_dir == other.config_dir && self.name == other.name && self.host == other.host
    }
}

struct Inner {
    /// The last result per target and when its probe finished.
    results: HashMap<TargetKey, (ProbeResult, Instant)>,
    running: HashSet<TargetKey>,
    /// The pins, or why `pins.json` could not be read (then no target is
    /// verified, rather than every target unpinned).
    pins: Result<Vec<Pin>, String>,
}

impl Default for Inner {
    fn default() -> Inner {
        Inner {
            results: HashMap::new(),
            running: HashSet::new(),
            pins: Ok(Vec::new()),
        }
    }
}

pub struct Engines {
    inner: Mutex<Inner>,
    /// Wakes the probe scheduler: a shell's target changed, a probe ended,
    /// the pins changed.
    pub wake: Notify,
    /// Where `pins.json` lives (dctx's state dir), if there is a home.
    state_dir: Option<PathBuf>,
    /// What `pins.json` is read through.
    fs: crate::Fs,
    pub probes_run: std::sync::atomic::AtomicU64,
}

impl Engines {
    pub fn new(fs: crate::Fs, state_dir: Option<PathBuf>) -> Engines {
        let engines = Engines {
            inner: Mutex::default(),
            wake: Notify::new(),
            state_dir,
            fs,
            probes_run: Default::default(),
        };
        engines.reload_pins();
        engines
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Where `pins.json` is, for the watch that reloads it on edits.
    pub fn pins_path(&self) -> Option<PathBuf> {
        self.state_dir.as_deref().map(pins::pins_path)
    }

    /// Reads `pins.json` again (at start, on `Refresh`, on an edit, after
    /// each probe); true when what was read differs from before.
    pub fn reload_pins(&self) -> bool {
        let Some(dir) = &self.state_dir else {
            return false;
        };
        let pins = pins::load(&*self.fs, dir).map_err(|e| e.to_string());
        let mut inner = self.lock();
        let changed = inner.pins != pins;
        if let (true, Err(e)) = (changed, &pins) {
            // Once per new reason, not at every probe.
            tracing::warn!("pins: {e}");
        }
        inner.pins = pins;
        changed
    }

    /// The report for `key` under `settings`.
    pub fn report(&self, key: &TargetKey, settings: &EngineSettings) -> EngineReport {
        let inner = self.lock();
        // Asked from an environment that probes nothing (`dctx inspect`
        // sends none): the latest result for that engine from any shell.
        let result = inner.results.get(key).map(|(r, _)| r).or_else(|| {
            inner
                .results
                .iter()
                .filter(|(k, _)| k.same_engine(key))
                .max_by_key(|(_, (_, at))| *at)
                .map(|(_, (r, _))| r)
        });
        let probed = settings.probes(&key.name);
        match &inner.pins {
            Ok(pins) => {
                let pin = pins::find(pins, &key.config_dir, &key.name);
                EngineReport::new(probed, result, pin, now_ms())
            }
            Err(e) => EngineReport::new(probed, result, None, now_ms()).with_unreadable_pins(e),
        }
    }

    /// When `key` is next due for a probe (now when never probed), or
    /// `None` while one runs.
    pub fn due(&self, key: &TargetKey, interval: std::time::Duration) -> Option<Instant> {
        let inner = self.lock();
        if inner.running.contains(key) {
            return None;
        }
        Some(match inner.results.get(key) {
            Some((_, finished)) => *finished + interval,
            None => Instant::now(),
        })
    }

    /// Marks a probe of `key` as started; false if one already runs.
    pub fn start(&self, key: &TargetKey) -> bool {
        self.lock().running.insert(key.clone())
    }

    pub fn running(&self) -> usize {
        self.lock().running.len()
    }

    /// Records a finished probe; true when what prompts show or what the
    /// guard decides may differ (state, identity, the engine's name, ID or
    /// version), which is when shells must ask again.
    pub fn finish(&self, key: &TargetKey, result: ProbeResult, settings: &EngineSettings) -> bool {
        self.probes_run
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.reload_pins();
        let before = self.report(key, settings);
        {
            let mut inner = self.lock();
            inner.running.remove(key);
            // A result with no answer keeps what the engine last said it
            // was: its identity still counts.
            let mut result = result;
            if result.facts.is_none() {
                result.facts = inner.results.get(key).and_then(|(r, _)| r.facts.clone());
            }
            inner.results.insert(key.clone(), (result, Instant::now()));
        }
        let after = self.report(key, settings);
        self.wake.notify_one();
        before.visible_part() != after.visible_part()
    }

    /// Forgets results of targets not in `wanted`, once there are too many.
    pub fn retain(&self, wanted: &HashSet<TargetKey>) {
        let mut inner = self.lock();
        if inner.results.len() > MAX_RESULTS {
            inner.results.retain(|k, _| wanted.contains(k));
        }
    }
}
