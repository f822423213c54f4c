//! The contract between the bash and zsh hooks and their helper
//! (`dctx-prompt --serve`): one definition, from which `dctx init` renders
//! the scripts' side.
//!
//! A request is NUL-terminated fields: [`FRAME_VERSION`], the shell's
//! `PWD`, then the value of each of [`REQUEST_VARS`] *if the shell exports
//! it* (empty otherwise: docker sees only exported variables, and an empty
//! one counts as unset). The answer is three NUL-terminated fields: the
//! helper's [`FRAME_VERSION`], the segment, and the shell's stamp dir when
//! it may keep the segment (see `stamps.rs`), else nothing.
//!
//! Each side checks the other's version: a helper that reads another one
//! (a script loaded before an upgrade, talking to a new binary) answers
//! with its own version and nothing else, and exits; a script that reads
//! another one stops that helper, answers with one `dctx-prompt`, and
//! starts a helper of its own build at the next prompt.

use dctx_core::env::DOCKER_VARS;

use crate::vars::PROBE_VARS;

/// Bumped on any change to the fields below or to the answer.
pub const FRAME_VERSION: &str = "4";

/// What the settings file's path depends on.
pub const SETTINGS_VARS: [&str; 3] = ["HOME", "DCTX_CONFIG", "XDG_CONFIG_HOME"];

const ALL: usize = SETTINGS_VARS.len() + DOCKER_VARS.len() + PROBE_VARS.len();

/// The variables a request carries, in order: [`SETTINGS_VARS`], then
/// every variable that changes which daemon docker talks to
/// (`dctx_core::env::DOCKER_VARS`, the one list of those), then what the
/// shell's engine probes read besides (`vars::PROBE_VARS`).
pub const REQUEST_VARS: [&str; ALL] = {
    let mut out = [""; ALL];
    let mut i = 0;
    while i < out.len() {
        out[i] = if i < SETTINGS_VARS.len() {
            SETTINGS_VARS[i]
        } else if i < SETTINGS_VARS.len() + DOCKER_VARS.len() {
            DOCKER_VARS[i - SETTINGS_VARS.len()]
        } else {
            PROBE_VARS[i - SETTINGS_VARS.len() - DOCKER_VARS.len()]
        };
        i += 1;
    }
    out
};

/// The fields of a request after the version: `PWD` and the variables.
pub const REQUEST_FIELDS: usize = 1 + REQUEST_VARS.len();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_docker_variable_is_carried() {
        for var in dctx_core::env::DOCKER_VARS.iter().chain(PROBE_VARS) {
            assert!(REQUEST_VARS.contains(var), "{var}");
        }
        let mut unique = REQUEST_VARS.to_vec();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), REQUEST_VARS.len(), "each variable once");
    }
}
