//! What every worker thread shares: when to stop, and when the daemon was
//! killed and back, so errors in that window are told apart from real ones.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long after the replacement daemon answers errors still count as
/// part of the restart (clients notice a dead connection on next use).
const GRACE: Duration = Duration::from_millis(200);

#[derive(Default)]
pub struct Control {
    stop: AtomicBool,
    epoch: AtomicU32,
    window: Mutex<Option<(Instant, Option<Instant>)>>,
}

impl Control {
    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Which daemon a connection made now talks to.
    pub fn epoch(&self) -> u32 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Called just before the daemon is killed.
    pub fn killing(&self) {
        *self.window.lock().unwrap() = Some((Instant::now(), None));
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// Called once the replacement answers.
    pub fn restarted(&self) {
        if let Some((_, ready)) = self.window.lock().unwrap().as_mut() {
            *ready = Some(Instant::now());
        }
    }

    /// Whether `at` falls between the kill and shortly after the restart.
    pub fn in_restart(&self, at: Instant) -> bool {
        match *self.window.lock().unwrap() {
            Some((killed, ready)) => at >= killed && ready.is_none_or(|r| at <= r + GRACE),
            None => false,
        }
    }

    /// Sleeps up to `d`, waking early when the run is stopping.
    pub fn nap(&self, d: Duration) {
        let end = Instant::now() + d;
        while !self.stopping() {
            let now = Instant::now();
            if now >= end {
                return;
            }
            std::thread::sleep((end - now).min(Duration::from_millis(50)));
        }
    }
}
