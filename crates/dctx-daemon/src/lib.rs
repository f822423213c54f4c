//! The dctx daemon: keeps resolved Docker contexts in memory, invalidated by
//! inotify, remembers each shell's overrides, and answers over a Unix socket.
//!
//! `lifecycle` starts and stops it, `server` speaks the protocol
//! (`dctx_ipc::protocol`), `state` is the facade the tasks share: it asks
//! `cache` (answers per config dir, checked on each hit against their
//! `answer_files`), `settings_cache` and the `shells` table, and tells
//! `watch`, which turns file-system events into invalidations, and `tmux`,
//! which asks tmux servers to redraw when something they show may have
//! changed. `change_mark` tells shells that keep their last answer when to
//! ask again. `probe` runs the engine probes in the background and
//! `engines` keeps what they found, against the pins.
//!
//! Every file the daemon reads for an answer (Docker's, the settings, the
//! pins, the saved shell table) goes through one injected [`Fs`]:
//! `lifecycle` passes the real one, tests a fake world.

pub mod answer_files;
pub mod cache;
pub mod change_mark;
pub mod engines;
pub mod lifecycle;
pub mod listener;
pub mod log;
pub mod probe;
pub mod server;
pub mod settings_cache;
pub mod shells;
pub mod state;
pub mod tmux;
pub mod watch;

/// The file system the daemon reads through, shared by its tasks.
pub type Fs = std::sync::Arc<dyn dctx_core::FileSystem + Send + Sync>;
