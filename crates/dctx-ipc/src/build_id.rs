//! Which build of dctx this is: what a daemon and its clients compare in
//! the handshake, and what `--version` prints.

/// This build's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// This build's id (a digest of its sources, see `build.rs`), which a
/// daemon must share to be used: the version is the same for every commit.
pub const BUILD_ID: &str = env!("DCTX_BUILD_ID");

/// What `--version` prints after the program's name: the version and the
/// build id, which tells two builds of one version apart (and is what a
/// running daemon is compared by).
pub const VERSION_LINE: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (build ",
    env!("DCTX_BUILD_ID"),
    ")"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_id_is_short_hex() {
        assert_eq!(BUILD_ID.len(), 16);
        assert!(BUILD_ID.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
