//! Logging: to stderr in the foreground, to a file under
//! `$XDG_STATE_HOME/dctx/` in the background; level from `DCTX_LOG`.

use std::path::Path;
use std::str::FromStr;

use anyhow::Context as _;
use tracing_subscriber::filter::LevelFilter;

/// The level named by `DCTX_LOG` (`error` … `trace`), else `info`.
fn level(name: Option<&str>) -> LevelFilter {
    name.and_then(|v| LevelFilter::from_str(v.trim()).ok())
        .unwrap_or(LevelFilter::INFO)
}

pub fn to_stderr(level_name: Option<&str>) {
    let _ = tracing_subscriber::fmt()
        .with_max_level(level(level_name))
        .with_writer(std::io::stderr)
        .try_init();
}

pub fn to_file(dir: &Path, level_name: Option<&str>) -> anyhow::Result<()> {
    dctx_ipc::paths::ensure_private_dir(dir)?;
    let path = dir.join("daemon.log");
    let file = dctx_ipc::paths::open_log(&path)
        .with_context(|| format!("could not open {}", path.display()))?;
    let _ = tracing_subscriber::fmt()
        .with_max_level(level(level_name))
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
    Ok(())
}
