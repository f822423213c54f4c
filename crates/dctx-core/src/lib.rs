//! Resolve the Docker context exactly as the Docker CLI does, and render it
//! for prompts and status bars.
//!
//! Everything here is synchronous and reads the world only through an
//! [`Env`] and a [`FileSystem`] passed in, so the prompt client, the daemon
//! and the tests share one implementation.

// Pure logic: nothing here needs a raw syscall.
#![forbid(unsafe_code)]

pub mod compose_args;
pub mod config_file;
pub mod config_schema;
pub mod context_meta;
pub mod contexts;
pub mod docker_args;
pub mod doctor;
pub mod endpoint;
pub mod engine;
pub mod env;
pub mod format;
pub mod fs;
pub mod gojson;
pub mod gopath;
pub mod guard;
pub mod host;
pub mod os_text;
pub mod pattern;
pub mod pflag;
pub mod quote;
pub mod report;
pub mod resolution;
pub mod segment;
pub mod settings;
pub mod shell;
pub mod style;
pub mod terminal_text;

pub use env::Env;
pub use fs::{FileSystem, MemFs, RealFs};
pub use resolution::{resolve, Problem, Resolution, Source};
pub use settings::Settings;
pub use shell::{InitShell, Shell};
