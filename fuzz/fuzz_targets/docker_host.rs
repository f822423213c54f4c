//! DOCKER_HOST normalization: never panics, and what it accepts comes out
//! as a URL of a scheme the Docker CLI dials, no more than a default host
//! and port longer than the input.
//!
//! Normalizing twice is not checked: the Docker CLI is not idempotent
//! either (`tcp://h:2375/.x]:` gains a second port, `%11` decodes into a
//! control character it then refuses); host.rs's tests and the differential
//! test hold those cases against the real CLI.
#![no_main]

use dctx_core::host::parse_host;
use libfuzzer_sys::fuzz_target;

const SCHEMES: [&str; 5] = ["tcp://", "unix://", "npipe://", "ssh://", "fd://"];
/// `tcp://localhost:2376`, the longest default, plus IPv6 brackets.
const MAX_GROWTH: usize = 32;

fuzz_target!(|input: (bool, &str)| {
    let (tls, value) = input;
    if let Ok(host) = parse_host(tls, value) {
        assert!(
            SCHEMES.iter().any(|s| host.starts_with(s)),
            "{value:?} normalized to {host:?}, which no scheme matches"
        );
        assert!(
            host.len() <= value.len() + MAX_GROWTH,
            "{value:?} grew to {host:?}"
        );
    }
});
