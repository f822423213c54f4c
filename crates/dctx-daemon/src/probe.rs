//! Background probes of the engines that shells and panes use right now:
//! at once when a shell's target appears or changes, then every
//! `interval_s` while anyone still uses it, never for contexts nobody
//! uses, never on a prompt's path.
//!
//! Each probe is the docker CLI itself (`docker --context NAME info`), so
//! SSH contexts, TLS and proxies behave as for the user's own commands. It
//! runs in a session of its own (no controlling terminal: ssh cannot ask
//! for a password), stdin from /dev/null, under a timeout after which its
//! whole process group is killed; at most [`MAX_AT_ONCE`] run together,
//! and the daemon kills the groups still running when it stops.

use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use dctx_core::engine::{now_ms, parse_probe, EngineState, ProbeResult};
use dctx_core::{Env, Settings};
use tokio::io::AsyncReadExt;

use crate::engines::TargetKey;
use crate::state::State;

/// Probes running at once, at most.
pub const MAX_AT_ONCE: usize = 4;

/// What a probe may print that is read; the rest is dropped.
const MAX_OUTPUT: u64 = 64 * 1024;

/// The process groups of the probes running now.
static GROUPS: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

/// One engine to probe: the target, the environment of a shell that uses
/// it, and that shell's settings.
pub struct Target {
    pub key: TargetKey,
    pub env: Env,
    pub settings: Arc<Settings>,
}

/// The scheduler: runs until the daemon stops.
pub async fn run(state: Arc<State>) {
    loop {
        let targets = state.probe_targets();
        let engines = state.engines();
        let wanted: HashSet<TargetKey> = targets.iter().map(|t| t.key.clone()).collect();
        engines.retain(&wanted);
        let mut next: Option<Instant> = None;
        for target in targets {
            let Some(due) = engines.due(&target.key, target.settings.engine.interval) else {
                continue;
            };
            // Read after `due`, which is "now" for a target never probed.
            if due > Instant::now() {
                next = Some(next.map_or(due, |n| n.min(due)));
                continue;
            }
            // Past the cap, a finishing probe wakes this loop again.
            if engines.running() >= MAX_AT_ONCE || !engines.start(&target.key) {
                continue;
            }
            let state = state.clone();
            tokio::spawn(async move {
                let result = probe(&target).await;
                tracing::debug!(context = %target.key.name, state = ?result.state, "probe finished");
                if state
                    .engines()
                    .finish(&target.key, result, &target.settings.engine)
                {
                    state.engine_changed();
                }
            });
        }
        match next {
            Some(at) => {
                tokio::select! {
                    () = engines.wake.notified() => {}
                    () = tokio::time::sleep_until(at.into()) => {}
                }
            }
            None => engines.wake.notified().await,
        }
    }
}

/// Kills the process groups of the probes still running (at exit).
pub fn kill_all() {
    let groups = std::mem::take(&mut *GROUPS.lock().unwrap_or_else(|p| p.into_inner()));
    for group in groups {
        // SAFETY: kill(2) with a negative pid signals that process group.
        unsafe { libc::kill(-group, libc::SIGKILL) };
    }
}

async fn read_capped<R: tokio::io::AsyncRead + Unpin>(pipe: Option<R>) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(pipe) = pipe {
        let _ = pipe.take(MAX_OUTPUT).read_to_end(&mut out).await;
    }
    out
}

/// Runs one probe of `target`.
async fn probe(target: &Target) -> ProbeResult {
    let engine = &target.settings.engine;
    let failed = |state, error: String, latency_ms| ProbeResult {
        state,
        facts: None,
        latency_ms,
        error: Some(error),
        at_ms: now_ms(),
    };
    let mut cmd = tokio::process::Command::from(dctx_ipc::process::probe_command(
        &target.env,
        &target.key.name,
    ));
    cmd.kill_on_drop(true);
    let started = Instant::now();
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return failed(
                EngineState::Unreachable,
                format!("could not run docker: {e}"),
                None,
            )
        }
    };
    let group = child.id().map(|p| p as i32);
    if let Some(g) = group {
        GROUPS.lock().unwrap_or_else(|p| p.into_inner()).insert(g);
    }
    let stdout = tokio::spawn(read_capped(child.stdout.take()));
    let stderr = tokio::spawn(read_capped(child.stderr.take()));
    let waited = tokio::time::timeout(engine.timeout, child.wait()).await;
    if let Some(g) = group {
        GROUPS.lock().unwrap_or_else(|p| p.into_inner()).remove(&g);
    }
    let status = match waited {
        Ok(status) => status,
        Err(_) => {
            // Not reaped yet, so the group id is still this probe's.
            if let Some(g) = group {
                // SAFETY: as in kill_all.
                unsafe { libc::kill(-g, libc::SIGKILL) };
            }
            let _ = child.wait().await;
            return failed(
                EngineState::Timeout,
                format!(
                    "no answer within {:.1} s; the probe was killed",
                    engine.timeout.as_secs_f64()
                ),
                None,
            );
        }
    };
    let latency = started.elapsed();
    let latency_ms = Some(latency.as_millis() as u64);
    let (stdout, stderr) = (
        stdout.await.unwrap_or_default(),
        stderr.await.unwrap_or_default(),
    );
    let success = status.as_ref().is_ok_and(std::process::ExitStatus::success);
    match parse_probe(success, &stdout, &stderr) {
        Ok(facts) => ProbeResult {
            state: if latency > engine.slow {
                EngineState::Slow
            } else {
                EngineState::Ok
            },
            facts: Some(facts),
            latency_ms,
            error: None,
            at_ms: now_ms(),
        },
        Err(e) => failed(EngineState::Unreachable, e, latency_ms),
    }
}
