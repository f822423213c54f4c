//! Fixtures shared by this crate's unit tests.

use dctx_core::guard::table::Class;
use dctx_core::guard::{Decision, Verdict};

/// The guard's refusal of `system prune` against context `prod`
/// (`tcp://h:2375`, chosen by `DOCKER_CONTEXT`), which `mode = "confirm"`
/// lets a terminal user confirm: what the question and the log are
/// written from.
pub(crate) fn refused_prune() -> Decision {
    Decision {
        decision: Verdict::Refuse,
        context: "prod".into(),
        host: "tcp://h:2375".into(),
        source: "DOCKER_CONTEXT",
        problem: None,
        command: "system prune".into(),
        class: Class::Destructive,
        destructive: true,
        protected: true,
        named: false,
        reasons: vec!["`system prune` is destructive".into()],
        instead: vec![],
        confirm: true,
        target_env: Default::default(),
    }
}
