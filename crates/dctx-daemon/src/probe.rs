//! Background probes of the engines that shells and panes use right now:
//! at once when a shell's target appears or changes, then every
//! `interval_s` while anyone still uses it, never for contexts nobody
//! uses, never on a prompt's path.
//!
//! Each probe is the docker CLI itself (`docker --context NAME info`), so
//! SSH contexts, TLS and proxies behave as for the user's own commands. It
//! runs through `dctx_ipc::probe::run` on a blocking thread: a session of
//! its own (no controlling terminal: ssh cannot ask for a password), stdin
//! from /dev/null, one timeout until its output is read to the end, after
//! which its whole process group is killed; at most [`MAX_AT_ONCE`] run
//! together, the daemon kills the groups still running when it stops, and
//! each dies with the daemon.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use dctx_core::engine::{now_ms, EngineState, ProbeResult};
use dctx_core::{Env, Settings};
use dctx_ipc::probe::ProbeOutcome;
use dctx_ipc::vars::ProbeEnv;

use crate::engines::TargetKey;
use crate::state::State;

/// Probes running at once, at most.
pub const MAX_AT_ONCE: usize = 4;

/// One engine to probe: the target, the environment of a shell that uses
/// it, and that shell's settings.
pub struct Target {
    pub key: TargetKey,
    pub env: Env,
    /// That shell's PATH, ssh agent and proxies.
    pub probe_env: ProbeEnv,
    pub settings: Arc<Settings>,
}

/// The engines that live shells use now and whose settings probe them.
pub fn targets(state: &State) -> Vec<Target> {
    let mut targets: HashMap<TargetKey, Target> = HashMap::new();
    for (env, probe_env, settings_path) in state.shells_in_use() {
        let settings = state.settings(settings_path.as_deref()).settings;
        let (resolution, _) = state.resolve(&env);
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
                Target {
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

/// The scheduler: runs until the daemon stops. Each running probe's
/// process group is noted in `records` (see `dctx_ipc::probe`).
pub async fn run(state: Arc<State>, records: Option<PathBuf>) {
    loop {
        let targets = targets(&state);
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
            let records = records.clone();
            tokio::spawn(async move {
                let result = probe(&target, records).await;
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
    dctx_ipc::probe::kill_all();
}

/// Runs one probe of `target`, on a blocking thread (the shared runner
/// reads its pipes to the end under the timeout), noting its process
/// group in `records`.
async fn probe(target: &Target, records: Option<PathBuf>) -> ProbeResult {
    let engine = target.settings.engine.clone();
    let cmd =
        dctx_ipc::process::probe_command(&target.env, Some(&target.probe_env), &target.key.name);
    let timeout = engine.timeout;
    let outcome =
        tokio::task::spawn_blocking(move || dctx_ipc::probe::run(cmd, timeout, records.as_deref()))
            .await
            .unwrap_or_else(|e| ProbeOutcome::NotRun(e.to_string()));
    let (state, latency_ms) = match &outcome {
        ProbeOutcome::Finished { elapsed, .. } => (
            if *elapsed > engine.slow {
                EngineState::Slow
            } else {
                EngineState::Ok
            },
            Some(elapsed.as_millis() as u64),
        ),
        ProbeOutcome::TimedOut(_) => (EngineState::Timeout, None),
        ProbeOutcome::NotRun(_) => (EngineState::Unreachable, None),
    };
    match outcome.facts() {
        Ok(facts) => ProbeResult {
            state,
            facts: Some(facts),
            latency_ms,
            error: None,
            at_ms: now_ms(),
        },
        Err(error) => ProbeResult {
            state: if state == EngineState::Timeout {
                state
            } else {
                EngineState::Unreachable
            },
            facts: None,
            latency_ms,
            error: Some(error),
            at_ms: now_ms(),
        },
    }
}
