//! The guard's shim: `dctx guard shim DIR` links `DIR/docker` and
//! `DIR/docker-compose` to this dctx, which, started under either name,
//! runs the guard for the programs that find it first on `PATH`; and the
//! search for the real program, which is never dctx itself.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use dctx_core::guard::Program;
use dctx_ipc::Vars;

use crate::guard::Invocation;

/// The programs the shim stands in for.
const PROGRAMS: [Program; 2] = [Program::Docker, Program::Compose];

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

/// The program this process was started as, through the shim.
pub fn invoked_as() -> Option<Program> {
    let arg0 = std::env::args_os().next()?;
    let name = Path::new(&arg0).file_name()?;
    PROGRAMS.into_iter().find(|p| name == p.name())
}

/// Whether this process was started as `docker` or `docker-compose`
/// (through the shim).
pub fn invoked_as_docker() -> bool {
    invoked_as().is_some()
}

/// `docker ARGS…` (or `docker-compose ARGS…`) through the shim: the
/// guard, for scripts and programs.
pub fn main(vars: &Vars) -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let how = Invocation {
        program: invoked_as().unwrap_or_default(),
        ..Invocation::default()
    };
    match crate::guard::run(vars, &args, &how, false, false) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("dctx guard: {err:#}");
            ExitCode::from(127)
        }
    }
}

/// `dctx guard shim DIR`: `docker` and `docker-compose` symlinks to this
/// dctx in DIR.
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
    // Every link checked before any is made: no half-installed shim.
    let mut missing = Vec::new();
    for program in PROGRAMS {
        let link = dir.join(program.name());
        match std::fs::symlink_metadata(&link) {
            Ok(_) if std::fs::canonicalize(&link).ok().as_ref() == Some(&own) => {
                println!("{} already runs the guard", link.display());
            }
            Ok(_) if !force => anyhow::bail!(
                "{} exists and is not this dctx; --force replaces it",
                link.display()
            ),
            _ => missing.push((program, link)),
        }
    }
    for (program, link) in missing {
        let temp = dir.join(format!(".{}.dctx-{}", program.name(), std::process::id()));
        let _ = std::fs::remove_file(&temp);
        std::os::unix::fs::symlink(&own, &temp)
            .with_context(|| format!("could not create {}", temp.display()))?;
        std::fs::rename(&temp, &link)
            .with_context(|| format!("could not create {}", link.display()))?;
        println!("installed {} -> {}", link.display(), own.display());
    }
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
    // docker-compose is optional: only say where it is.
    if let Some(compose) = real_program("docker-compose", path) {
        println!("and {} for docker-compose commands", compose.display());
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
