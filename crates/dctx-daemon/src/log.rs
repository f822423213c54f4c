//! Logging: to stderr in the foreground, to a file under
//! `$XDG_STATE_HOME/dctx/` in the background; level from `DCTX_LOG`. The
//! file is rotated at [`MAX_LOG_BYTES`] into `daemon.log.1`, so a daemon
//! that runs for months (or logs at `trace`) keeps at most twice that.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
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
    let file = Rotating::open(path.clone(), MAX_LOG_BYTES)
        .with_context(|| format!("could not open {}", path.display()))?;
    let _ = tracing_subscriber::fmt()
        .with_max_level(level(level_name))
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
    Ok(())
}

/// Where the log is rotated.
pub const MAX_LOG_BYTES: u64 = 1024 * 1024;

/// A log file that, before a write would take it past `max` bytes, is
/// renamed to `<name>.1` (replacing the last one) and started afresh.
pub struct Rotating {
    path: PathBuf,
    file: File,
    size: u64,
    max: u64,
}

impl Rotating {
    pub fn open(path: PathBuf, max: u64) -> io::Result<Rotating> {
        let file = dctx_ipc::paths::open_log(&path)?;
        let size = file.metadata()?.len();
        Ok(Rotating {
            path,
            file,
            size,
            max,
        })
    }

    fn rotate(&mut self) -> io::Result<()> {
        let mut old = self.path.clone().into_os_string();
        old.push(".1");
        std::fs::rename(&self.path, &old)?;
        self.file = dctx_ipc::paths::open_log(&self.path)?;
        self.size = 0;
        Ok(())
    }
}

impl Write for Rotating {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.size > 0 && self.size + buf.len() as u64 > self.max {
            // A log that cannot rotate goes on growing rather than losing
            // lines; the next write tries again.
            let _ = self.rotate();
        }
        let n = self.file.write(buf)?;
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_rotates_into_dot_1_past_its_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("daemon.log");
        let mut log = Rotating::open(path.clone(), 100).unwrap();
        for i in 0..25 {
            writeln!(log, "line {i:04}").unwrap();
        }
        let current = std::fs::read_to_string(&path).unwrap();
        let previous = std::fs::read_to_string(dir.path().join("daemon.log.1")).unwrap();
        assert!(current.len() <= 100 && previous.len() <= 100);
        assert!(current.ends_with("line 0024\n"), "{current}");
        assert!(previous.ends_with(&format!("line {:04}\n", 24 - current.lines().count())));
        // Reopened, it counts what is already there.
        drop(log);
        let mut log = Rotating::open(path.clone(), 100).unwrap();
        log.write_all(&vec![b'x'; 101 - current.len()]).unwrap();
        let rotated = std::fs::read_to_string(dir.path().join("daemon.log.1")).unwrap();
        assert_eq!(rotated, current, "the full file moved to .1");
    }
}
