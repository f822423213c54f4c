//! What the right answer was, and when: dctx's resolution code run directly
//! on the same files, before and after each query and after every change a
//! mutator makes, so a daemon answer can be judged even while the files
//! change under it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use dctx_core::segment::{render, RenderOptions};
use dctx_core::{resolve, Env, RealFs, Settings, Shell};
use dctx_ipc::protocol::{Render, Segment};

/// The format every soak query asks for: all the facts a prompt shows.
pub const FORMAT: &str = "{name}|{host}|{source}";

/// How long a change may take to reach the daemon's answers. Measured
/// well under a millisecond when idle; the soak loads both cores.
pub const PROPAGATION: Duration = Duration::from_millis(100);

pub fn render_opts() -> Render {
    Render {
        shell: Shell::Plain,
        format: Some(FORMAT.into()),
        settings: None,
        show_default: false,
    }
}

/// The parts of an answer that must be right.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fact {
    pub text: String,
    pub name: String,
    pub host: String,
    pub source: String,
    pub problem: Option<String>,
}

impl From<&Segment> for Fact {
    fn from(s: &Segment) -> Fact {
        Fact {
            text: s.text.clone(),
            name: s.name.clone(),
            host: s.host.clone(),
            source: s.source.as_str().into(),
            problem: s.problem.clone(),
        }
    }
}

/// The answer dctx's resolution code gives right now, read from disk.
pub fn direct(env: &Env) -> Fact {
    let r = resolve(env, &RealFs);
    let request = RenderOptions {
        shell: Shell::Plain,
        format: Some(FORMAT),
        extra_problem: false,
        engine: None,
        show_default: false,
    };
    let text = render(&r, &Settings::default(), &request);
    Fact::from(&Segment::new(text, &r, false))
}

/// One state of one environment, seen after a change that began at `begin`
/// and was complete at `end`.
struct State {
    begin: Instant,
    end: Instant,
    fact: u32,
}

/// A daemon answer that matched neither direct read around it, to be judged
/// against the full history once the run is over.
struct Suspect {
    key: usize,
    fact: Fact,
    start: Instant,
    end: Instant,
}

#[derive(Default)]
struct Inner {
    facts: Vec<Fact>,
    ids: HashMap<Fact, u32>,
    history: Vec<Vec<State>>,
    /// Per environment, the spans of changes that pass through states
    /// nobody can record (a `rm -rf` deletes file by file).
    gradual: Vec<Vec<(Instant, Instant)>>,
    suspects: Vec<Suspect>,
}

impl Inner {
    fn intern(&mut self, fact: Fact) -> u32 {
        if let Some(&id) = self.ids.get(&fact) {
            return id;
        }
        let id = self.facts.len() as u32;
        self.facts.push(fact.clone());
        self.ids.insert(fact, id);
        id
    }
}

pub struct Truth {
    inner: Mutex<Inner>,
}

/// How the suspects were judged.
#[derive(Debug, Default)]
pub struct Judgement {
    /// Answers that were some recent state, served within [`PROPAGATION`].
    pub late: u64,
    pub max_lag: Duration,
    /// Answers to queries made during a gradual change (or within
    /// [`PROPAGATION`] of its end) that match no recorded state: the
    /// half-deleted tree really was like that for a moment, so they are
    /// counted, not judged.
    pub mid_change: u64,
    /// Answers that were never right for that environment when asked.
    pub wrong: u64,
    pub examples: Vec<String>,
}

impl Truth {
    /// Starts each environment's history with what is on disk now.
    pub fn new(envs: &[Env]) -> Truth {
        let mut inner = Inner::default();
        let now = Instant::now();
        for env in envs {
            let fact = inner.intern(direct(env));
            inner.history.push(vec![State {
                begin: now,
                end: now,
                fact,
            }]);
            inner.gradual.push(Vec::new());
        }
        Truth {
            inner: Mutex::new(inner),
        }
    }

    /// Records the state of `keys` after a change made between `begin` and
    /// `end`. Only the mutator of a dir calls this for that dir's keys.
    pub fn changed(&self, envs: &[Env], keys: &[usize], begin: Instant, end: Instant) {
        let facts: Vec<Fact> = keys.iter().map(|&k| direct(&envs[k])).collect();
        let mut inner = self.inner.lock().unwrap();
        for (&key, fact) in keys.iter().zip(facts) {
            let id = inner.intern(fact);
            let history = &mut inner.history[key];
            if history.last().is_none_or(|s| s.fact != id) {
                history.push(State {
                    begin,
                    end,
                    fact: id,
                });
            }
        }
    }

    /// Like [`Truth::changed`], for a change that passes through states in
    /// between, such as a directory removed file by file.
    pub fn changed_gradually(&self, envs: &[Env], keys: &[usize], begin: Instant, end: Instant) {
        {
            let mut inner = self.inner.lock().unwrap();
            for &key in keys {
                inner.gradual[key].push((begin, end));
            }
        }
        self.changed(envs, keys, begin, end);
    }

    /// Whether `answer`, asked between `start` and `end`, matches one of the
    /// direct reads taken just before and after; otherwise it is kept for
    /// [`Truth::judge`].
    pub fn check(
        &self,
        key: usize,
        answer: Fact,
        around: [&Fact; 2],
        start: Instant,
        end: Instant,
    ) {
        if around.contains(&&answer) {
            return;
        }
        self.inner.lock().unwrap().suspects.push(Suspect {
            key,
            fact: answer,
            start,
            end,
        });
    }

    /// Judges each suspect against the whole history: it is late (and fine)
    /// when its environment was in that state at most `propagation` before
    /// the query ([`PROPAGATION`] in the long mode; `None`, the short mode
    /// the test suite runs, allows any lag: a loaded CI machine may be slow,
    /// and only an answer that was never right is wrong there), and wrong
    /// otherwise.
    pub fn judge(&self, propagation: Option<Duration>) -> Judgement {
        let propagation = propagation.unwrap_or(Duration::MAX);
        let inner = self.inner.lock().unwrap();
        let mut out = Judgement::default();
        for s in &inner.suspects {
            let history = &inner.history[s.key];
            let id = inner.ids.get(&s.fact);
            // A state held from its change's begin until the next change ended.
            let lag = history
                .iter()
                .enumerate()
                .filter(|(_, st)| Some(&st.fact) == id)
                .filter_map(|(i, st)| {
                    let until = history.get(i + 1).map(|next| next.end);
                    if st.begin > s.end {
                        return None;
                    }
                    Some(until.map_or(Duration::ZERO, |u| s.start.saturating_duration_since(u)))
                })
                .min();
            match lag {
                Some(lag) if lag <= propagation => {
                    out.late += 1;
                    out.max_lag = out.max_lag.max(lag);
                }
                _ if inner.gradual[s.key].iter().any(|&(begin, end)| {
                    begin <= s.end && s.start <= end.checked_add(propagation).unwrap_or(s.start)
                }) =>
                {
                    out.mid_change += 1;
                }
                _ => {
                    out.wrong += 1;
                    if out.examples.len() < 5 {
                        out.examples.push(format!(
                            "environment {}: answered {:?}, which it never was within {PROPAGATION:?} of the query{}",
                            s.key,
                            s.fact.text,
                            lag.map(|l| format!(" (it was {l:?} earlier)")).unwrap_or_default()
                        ));
                    }
                }
            }
        }
        out
    }

    pub fn states_recorded(&self) -> usize {
        self.inner
            .lock()
            .unwrap()
            .history
            .iter()
            .map(Vec::len)
            .sum()
    }
}
