//! The guard's shim: `dctx guard shim DIR` links `DIR/docker` and
//! `DIR/docker-compose` to this dctx, which, started under either name,
//! runs the guard for the programs that find it first on `PATH`. The
//! search for the real program is the guard's (`guard/real_program.rs`).

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use dctx_core::guard::Program;
use dctx_ipc::Vars;

use crate::guard::real_program::{real_docker, real_program};
use crate::guard::Invocation;

/// The file in dctx's state dir listing, a line each, the dirs `dctx
/// guard shim` installed links in, for `dctx uninstall`.
pub const SHIM_RECORD: &str = "shim-dirs";

/// The programs the shim stands in for.
const PROGRAMS: [Program; 2] = [Program::Docker, Program::Compose];

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
    record(vars, dir);
    report_path(vars, dir)
}

/// Adds `dir` to [`SHIM_RECORD`], once. Best effort: `dctx uninstall`
/// also looks for shims on PATH.
fn record(vars: &Vars, dir: &Path) {
    use std::io::Write;
    use std::os::unix::ffi::OsStrExt;
    let (Some(state), Ok(dir)) = (vars.state_dir(), std::fs::canonicalize(dir)) else {
        return;
    };
    let file = state.join(SHIM_RECORD);
    let known = std::fs::read(&file).unwrap_or_default();
    let line = dir.as_os_str().as_bytes();
    if line.contains(&b'\n') || known.split(|&b| b == b'\n').any(|l| l == line) {
        return;
    }
    // Private, as every reader of the state dir (pins, the log) demands.
    if dctx_ipc::paths::ensure_private_dir(&state).is_err() {
        return;
    }
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&file)
    {
        let _ = f.write_all(&[line, b"\n"].concat());
    }
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
