//! The guard's shim: `dctx guard shim DIR` links `DIR/docker` to this dctx,
//! which, started under that name, runs the guard for the programs that
//! find it first on `PATH`; and the search for the real docker, which is
//! never dctx itself.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use dctx_ipc::Vars;

/// The first `docker` on `path` that is not dctx (the shim is a symlink to
/// it), so the guard never runs itself. Relative entries are skipped: the
/// guard does not run a `docker` that happens to be in the current dir.
pub fn real_docker(path: &OsStr) -> Option<PathBuf> {
    let own = std::env::current_exe().and_then(std::fs::canonicalize).ok();
    std::env::split_paths(path)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join("docker"))
        .find(|candidate| {
            use std::os::unix::fs::PermissionsExt;
            let Ok(real) = std::fs::canonicalize(candidate) else {
                return false;
            };
            let executable = std::fs::metadata(&real)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
            let is_dctx =
                Some(&real) == own.as_ref() || real.file_name() == Some(OsStr::new("dctx"));
            executable && !is_dctx
        })
}

/// Whether this process was started as `docker` (through the shim).
pub fn invoked_as_docker() -> bool {
    std::env::args_os()
        .next()
        .is_some_and(|a| Path::new(&a).file_name() == Some(OsStr::new("docker")))
}

/// `docker ARGS…` through the shim: the guard, for scripts and programs.
pub fn main(vars: &Vars) -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    match crate::guard::run(vars, &args, false, false) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("dctx guard: {err:#}");
            ExitCode::from(127)
        }
    }
}

/// `dctx guard shim DIR`: a `docker` symlink to this dctx in DIR.
pub fn install(vars: &Vars, dir: &Path, force: bool) -> anyhow::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    let own = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .context("could not find this dctx")?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(dir)
        .with_context(|| format!("could not create {}", dir.display()))?;
    let meta = std::fs::metadata(dir)?;
    let euid = dctx_ipc::paths::euid();
    if meta.uid() != euid && meta.uid() != 0 {
        anyhow::bail!(
            "{} belongs to uid {}: they could replace the shim; choose a dir of your own",
            dir.display(),
            meta.uid()
        );
    }
    if meta.mode() & 0o022 != 0 && meta.mode() & 0o1000 == 0 {
        anyhow::bail!(
            "other users can write to {} (mode {:o}): they could replace the shim; choose a dir of your own",
            dir.display(),
            meta.mode() & 0o7777
        );
    }
    let link = dir.join("docker");
    match std::fs::symlink_metadata(&link) {
        Ok(_) if std::fs::canonicalize(&link).ok().as_ref() == Some(&own) => {
            println!("{} already runs the guard", link.display());
            return report_path(vars, dir);
        }
        Ok(_) if !force => anyhow::bail!(
            "{} exists and is not this dctx; --force replaces it",
            link.display()
        ),
        _ => {}
    }
    let temp = dir.join(format!(".docker.dctx-{}", std::process::id()));
    let _ = std::fs::remove_file(&temp);
    std::os::unix::fs::symlink(&own, &temp)
        .with_context(|| format!("could not create {}", temp.display()))?;
    std::fs::rename(&temp, &link)
        .with_context(|| format!("could not create {}", link.display()))?;
    println!("installed {} -> {}", link.display(), own.display());
    report_path(vars, dir)
}

/// Says where the shim must sit on PATH, and which docker it will run.
fn report_path(vars: &Vars, dir: &Path) -> anyhow::Result<()> {
    let path = vars.get("PATH").unwrap_or_default();
    let first = std::env::split_paths(path).find(|d| d.join("docker").exists());
    if first.as_deref() != Some(dir) {
        println!(
            "put it first on PATH for scripts and programs to use it: export PATH={}:\"$PATH\"",
            dctx_core::guard::shell_word(&dir.to_string_lossy())
        );
    }
    match real_docker(path) {
        Some(docker) => println!("it runs {} when it allows a command", docker.display()),
        None => {
            println!("warning: no docker on PATH besides the shim; it would have nothing to run")
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
