//! Read-only access to files, injected so tests can fake the file system.
//!
//! The real implementation never blocks and never reads without bound: a
//! FIFO or device where config.json should be would hang the Docker CLI, but
//! must not hang a prompt.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Docker's files are small; anything larger is not worth a prompt's time.
pub const MAX_FILE_SIZE: u64 = 4 * 1024 * 1024;

/// config.json alone is read up to this: the CLI reads it whatever its
/// size, and a big `auths` map or `proxies` must not make dctx name
/// another context than docker does. Far above any real file, but a
/// bound all the same (the daemon must not balloon on a hostile one).
pub const MAX_CONFIG_SIZE: u64 = 256 * 1024 * 1024;

/// What resolution needs from the file system: reading whole small files.
pub trait FileSystem {
    /// Reads a regular file. `NotFound` means absent; other errors mean the
    /// file exists but cannot be used.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;

    /// [`read`](FileSystem::read) with another bound than
    /// [`MAX_FILE_SIZE`]: a larger file is an error of kind
    /// `FileTooLarge`, and nothing past `limit` is read.
    fn read_up_to(&self, path: &Path, limit: u64) -> io::Result<Vec<u8>> {
        let _ = limit;
        self.read(path)
    }

    /// The names in a directory, at most [`MAX_DIR_ENTRIES`]; `NotFound`
    /// when it is absent.
    fn list_dir(&self, path: &Path) -> io::Result<Vec<std::ffi::OsString>>;

    /// Where `path` leads with every symlink resolved, and which file is
    /// there (device, inode); `None` when nothing is. Only stats: a socket
    /// or FIFO is never opened. What compares two spellings of one Unix
    /// socket.
    fn locate(&self, path: &Path) -> Option<Located>;

    /// Which version of the file at `path` is there now (following
    /// symlinks, as reading does); `None` when nothing can be stat'ed. Two
    /// equal ids mean the same contents: what a cache keyed on a file
    /// checks before it trusts what it read.
    fn id(&self, path: &Path) -> Option<FileId>;
}

/// A file found by [`FileSystem::locate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The path with symlinks resolved, absolute.
    pub path: PathBuf,
    /// Device and inode.
    pub inode: (u64, u64),
}

/// More entries than any context store holds; past it a listing stops.
pub const MAX_DIR_ENTRIES: usize = 10_000;

/// The real file system, read-only.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealFs;

impl FileSystem for RealFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.read_up_to(path, MAX_FILE_SIZE)
    }

    fn read_up_to(&self, path: &Path, limit: u64) -> io::Result<Vec<u8>> {
        // O_NONBLOCK so that opening a FIFO with no writer returns at once.
        let file = File::options()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC | libc::O_NOCTTY)
            .open(path)?;
        let meta = file.metadata()?;
        if meta.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "is a directory",
            ));
        }
        if !meta.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            ));
        }
        let too_large = || {
            io::Error::new(
                io::ErrorKind::FileTooLarge,
                format!("larger than {} MiB", limit / 1024 / 1024),
            )
        };
        // Said before reading when the size already tells; a file growing
        // while it is read is caught by the bounded read below.
        if meta.len() > limit {
            return Err(too_large());
        }
        let mut buf = Vec::with_capacity(meta.len() as usize);
        file.take(limit + 1).read_to_end(&mut buf)?;
        if buf.len() as u64 > limit {
            return Err(too_large());
        }
        Ok(buf)
    }

    fn locate(&self, path: &Path) -> Option<Located> {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path).ok()?;
        Some(Located {
            path: std::fs::canonicalize(path).ok()?,
            inode: (meta.dev(), meta.ino()),
        })
    }

    fn id(&self, path: &Path) -> Option<FileId> {
        FileId::of(path)
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<std::ffi::OsString>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(path)?.take(MAX_DIR_ENTRIES) {
            names.push(entry?.file_name());
        }
        Ok(names)
    }
}

/// What tells two versions of a file apart: a rename gives a new inode, an
/// edit in place a new mtime, ctime or size. Copying with the times kept
/// (`cp -p`, `rsync -a`) still moves the ctime, which nobody can set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileId {
    dev: u64,
    ino: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    size: u64,
}

impl FileId {
    /// The real file's id: `None` when the file cannot be stat'ed
    /// (missing, unreadable dir). Follows symlinks, as opening the file
    /// does. What [`RealFs::id`] answers; code that may run against a fake
    /// world asks its [`FileSystem`] instead.
    pub fn of(path: &Path) -> Option<FileId> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).ok()?;
        Some(FileId {
            dev: m.dev(),
            ino: m.ino(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
            size: m.size(),
        })
    }

    /// Which file this is, whatever was done to it since: device and inode.
    pub fn inode(&self) -> (u64, u64) {
        (self.dev, self.ino)
    }
}

/// An in-memory file system for tests: a path maps to contents or an error.
///
/// Every write gets a new version, which [`FileSystem::id`] reports: a
/// rewrite with the very same bytes is still seen, as a rename over the
/// real file gives a new inode.
#[derive(Debug, Default, Clone)]
pub struct MemFs {
    files: HashMap<PathBuf, (Result<Vec<u8>, io::ErrorKind>, u64)>,
    located: HashMap<PathBuf, Located>,
    /// The last version given out.
    version: u64,
}

impl MemFs {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, path: impl Into<PathBuf>, contents: impl Into<Vec<u8>>) -> Self {
        self.write(path, contents);
        self
    }

    pub fn with_error(mut self, path: impl Into<PathBuf>, kind: io::ErrorKind) -> Self {
        self.put(path.into(), Err(kind));
        self
    }

    /// Creates or replaces the file at `path`, as a new version.
    pub fn write(&mut self, path: impl Into<PathBuf>, contents: impl Into<Vec<u8>>) {
        self.put(path.into(), Ok(contents.into()));
    }

    /// Removes the file at `path`, if any.
    pub fn remove(&mut self, path: &Path) {
        self.files.remove(path);
    }

    fn put(&mut self, path: PathBuf, contents: Result<Vec<u8>, io::ErrorKind>) {
        self.version += 1;
        self.files.insert(path, (contents, self.version));
    }

    /// A file (a socket, say) at `path`, which leads to `real`, inode `ino`.
    pub fn with_located(
        mut self,
        path: impl Into<PathBuf>,
        real: impl Into<PathBuf>,
        ino: u64,
    ) -> Self {
        let located = Located {
            path: real.into(),
            inode: (1, ino),
        };
        self.located.insert(path.into(), located);
        self
    }
}

impl FileSystem for MemFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        match self.files.get(path) {
            Some((Ok(bytes), _)) => Ok(bytes.clone()),
            Some((Err(kind), _)) => Err(io::Error::from(*kind)),
            None => Err(io::Error::from(io::ErrorKind::NotFound)),
        }
    }

    fn locate(&self, path: &Path) -> Option<Located> {
        self.located.get(path).cloned()
    }

    /// Each version is a file of its own (its own inode), so no two
    /// writes ever share an id; an error other than `NotFound` is a file
    /// that exists but cannot be read, and has an id too.
    fn id(&self, path: &Path) -> Option<FileId> {
        let (contents, version) = self.files.get(path)?;
        let size = match contents {
            Ok(bytes) => bytes.len() as u64,
            Err(io::ErrorKind::NotFound) => return None,
            Err(_) => 0,
        };
        let time = (i64::try_from(*version).unwrap_or(i64::MAX), 0);
        Some(FileId {
            dev: 0,
            ino: *version,
            mtime: time,
            ctime: time,
            size,
        })
    }

    /// The first components below `path` of the files it holds.
    fn list_dir(&self, path: &Path) -> io::Result<Vec<std::ffi::OsString>> {
        let mut names: Vec<_> = self
            .files
            .keys()
            .filter_map(|f| f.strip_prefix(path).ok()?.components().next())
            .map(|c| c.as_os_str().to_os_string())
            .collect();
        if names.is_empty() {
            return Err(io::Error::from(io::ErrorKind::NotFound));
        }
        names.sort();
        names.dedup();
        Ok(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_fs_refuses_fifos_and_directories_without_blocking() {
        let dir = std::env::temp_dir().join(format!("dctx-fs-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("fifo");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let err = RealFs.read(&fifo).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let err = RealFs.read(&dir).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::IsADirectory);
        let big = dir.join("big");
        std::fs::write(&big, vec![b' '; MAX_FILE_SIZE as usize + 1]).unwrap();
        assert_eq!(
            RealFs.read(&big).unwrap_err().kind(),
            io::ErrorKind::FileTooLarge
        );
        assert_eq!(
            RealFs.read_up_to(&big, MAX_CONFIG_SIZE).unwrap().len(),
            MAX_FILE_SIZE as usize + 1
        );
        assert_eq!(
            RealFs.read_up_to(&big, 1024).unwrap_err().kind(),
            io::ErrorKind::FileTooLarge
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn mem_fs_gives_every_write_a_new_id_and_a_missing_file_none() {
        let path = Path::new("/d/config.json");
        let mut fs = MemFs::new().with(path, "{}");
        let first = fs.id(path).expect("written");
        assert_eq!(fs.id(path), Some(first), "reading changes nothing");
        fs.write(path, "{}");
        let second = fs.id(path).expect("rewritten");
        assert_ne!(first, second, "the same bytes written again");
        fs.remove(path);
        assert_eq!(fs.id(path), None);
        let fs = MemFs::new()
            .with_error(path, io::ErrorKind::PermissionDenied)
            .with_error("/d/gone", io::ErrorKind::NotFound);
        assert!(fs.id(path).is_some(), "there, but unreadable");
        assert_eq!(fs.id(Path::new("/d/gone")), None);
    }

    #[test]
    fn real_fs_id_sees_a_rename_over_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        assert_eq!(RealFs.id(&path), None);
        std::fs::write(&path, "{}").unwrap();
        let first = RealFs.id(&path).expect("written");
        assert_eq!(RealFs.id(&path), Some(first));
        let tmp = dir.path().join("tmp");
        std::fs::write(&tmp, "{}").unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        assert_ne!(RealFs.id(&path), Some(first), "a new inode");
    }
}
