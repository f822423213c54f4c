//! The dctx daemon: keeps resolved Docker contexts in memory, invalidated by
//! inotify, remembers each shell's overrides, and answers over a Unix socket.
//!
//! `lifecycle` starts and stops it, `server` speaks the protocol
//! (`dctx_ipc::protocol`), `state` holds the caches and shell table,
//! `stamp` checks a cached answer's files on each hit, `watch` turns
//! file-system events into invalidations, and `tmux` asks tmux servers to
//! redraw when something they show may have changed. `change_mark`
//! tells shells that keep their last answer when to ask again. `probe`
//! runs the engine probes in the background and `engines` keeps what they
//! found, against the pins.

pub mod change_mark;
pub mod engines;
pub mod lifecycle;
pub mod listener;
pub mod log;
pub mod probe;
pub mod server;
pub mod shells;
pub mod stamp;
pub mod state;
pub mod tmux;
pub mod watch;
