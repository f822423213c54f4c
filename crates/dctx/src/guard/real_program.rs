//! The real docker (or docker-compose) the guard runs when it allows a
//! line: the first on `PATH` that is not dctx, never from a relative
//! `PATH` entry. The guard and its shim both need it; it lives with the
//! guard so that the shim depends on the guard and not the other way.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The first `docker` on `path` that is not dctx.
pub fn real_docker(path: &OsStr) -> Option<PathBuf> {
    real_program("docker", path)
}

/// The first `name` on `path` that is not dctx (the shim is a symlink to
/// it), so the guard never runs itself. Relative entries are skipped: the
/// guard does not run a program that happens to be in the current dir.
pub fn real_program(name: &str, path: &OsStr) -> Option<PathBuf> {
    std::env::split_paths(path)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(name))
        .find(|candidate| {
            use std::os::unix::fs::PermissionsExt;
            let Ok(real) = std::fs::canonicalize(candidate) else {
                return false;
            };
            let executable = std::fs::metadata(&real)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
            executable && !is_dctx(&real)
        })
}

/// Whether `path` is this dctx, or any dctx.
pub fn is_dctx(path: &Path) -> bool {
    let own = std::env::current_exe().and_then(std::fs::canonicalize).ok();
    let real = std::fs::canonicalize(path).ok();
    (real.is_some() && real == own)
        || real.as_deref().and_then(Path::file_name) == Some(OsStr::new("dctx"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_real_docker_is_never_dctx_nor_relative() {
        let dir = tempfile::tempdir().unwrap();
        let (shim, real) = (dir.path().join("shim"), dir.path().join("real"));
        for d in [&shim, &real] {
            std::fs::create_dir(d).unwrap();
        }
        let own = std::env::current_exe().unwrap();
        std::os::unix::fs::symlink(&own, shim.join("docker")).unwrap();
        let fake_dctx = real.join("dctx");
        std::fs::copy("/bin/true", &fake_dctx).unwrap();
        std::os::unix::fs::symlink(&fake_dctx, real.join("docker")).unwrap();
        let path = std::env::join_paths([&shim, &real]).unwrap();
        assert_eq!(real_docker(&path), None, "both are dctx");
        std::fs::remove_file(real.join("docker")).unwrap();
        std::fs::copy("/bin/true", real.join("docker")).unwrap();
        assert_eq!(real_docker(&path), Some(real.join("docker")));
        let relative = std::env::join_paths([Path::new("real"), &shim]).unwrap();
        assert_eq!(real_docker(&relative), None);
    }
}
