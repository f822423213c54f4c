//! `dctx use`: switch one shell's context by setting its `DOCKER_CONTEXT`,
//! never another terminal's and never config.json (unless `--global`,
//! which runs the docker CLI to do it).
//!
//! A program cannot change its shell's variables, so the function that
//! `dctx init` installs runs `dctx use --emit <shell> …` and evaluates what
//! it prints: one line of shell code, or nothing. Everything for a person
//! goes to stderr.

use std::io::{BufRead, IsTerminal, Write};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{bail, Context as _};
use dctx_core::contexts::{list, Listed};
use dctx_core::quote::{self, HasNul};
use dctx_core::resolution::Source;
use dctx_core::terminal_text::for_terminal;
use dctx_core::RealFs;
use dctx_ipc::Vars;

use dctx_core::InitShell;

use crate::cli::Choice;

/// Where the shell ends up: a context, or following config.json.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Context(String),
    Config,
}

impl Target {
    /// For a person, on a terminal: a name is shown escaped.
    fn describe(&self) -> String {
        match self {
            Target::Context(name) => for_terminal(name).into_owned(),
            Target::Config => "config.json's current context".into(),
        }
    }
}

pub fn run(vars: &Vars, choice: Choice) -> anyhow::Result<ExitCode> {
    let (rows, _) = list(&vars.docker_env(), &RealFs);
    let usable: Vec<&Listed> = rows.iter().filter(|r| r.error.is_empty()).collect();
    if choice.global {
        let name = choice.name.as_deref().unwrap_or_default();
        check_exists(name, &usable)?;
        return global(vars, name);
    }
    let target = if choice.unset {
        Target::Config
    } else {
        match choice.name.as_deref() {
            Some("-") => match choice.previous.as_deref() {
                None => bail!("this shell has no previous context yet"),
                Some("") => Target::Config,
                Some(name) => Target::Context(name.to_string()),
            },
            Some(name) => {
                check_exists(name, &usable)?;
                Target::Context(name.to_string())
            }
            None => match pick(vars, &usable)? {
                Some(name) => Target::Context(name),
                None => return Ok(ExitCode::FAILURE),
            },
        }
    };
    let Some(shell) = choice.emit else {
        let how = match &target {
            Target::Context(name) => format!("export DOCKER_CONTEXT={name}"),
            Target::Config => "unset DOCKER_CONTEXT".into(),
        };
        bail!(
            "`dctx use` changes this shell's DOCKER_CONTEXT, which only the shell function can do: \
             load `dctx init bash|zsh|fish` in your shell's startup file, or run `{how}`"
        );
    };
    let current = vars
        .get("DOCKER_CONTEXT")
        .map(|c| c.to_string_lossy().into_owned())
        .unwrap_or_default();
    let code = emit(shell, &target, &current, choice.unset_host)
        .context("a name holding a NUL byte cannot be set in a shell; nothing changed")?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{code}").context("could not write to stdout")?;
    let was = if current.is_empty() {
        Target::Config
    } else {
        Target::Context(current)
    };
    eprintln!(
        "dctx: this shell now uses {} (was {}); other terminals are unchanged",
        target.describe(),
        was.describe()
    );
    // Resolved as docker would: an empty DOCKER_HOST overrides nothing,
    // and the endpoint shown is the one docker connects to.
    let now = dctx_core::resolve(&vars.docker_env(), &RealFs);
    if now.source == Source::DockerHost && !choice.unset_host {
        let host = vars.get("DOCKER_HOST").unwrap_or_default();
        eprintln!(
            "dctx: DOCKER_HOST={} is set in this shell and overrides it: docker still goes to {}; \
             `dctx use --unset-host {}`",
            for_terminal(&host.to_string_lossy()),
            for_terminal(&now.host),
            match &target {
                Target::Context(name) => for_terminal(name),
                Target::Config => "--unset".into(),
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn check_exists(name: &str, usable: &[&Listed]) -> anyhow::Result<()> {
    if usable.iter().any(|r| r.name == name) {
        return Ok(());
    }
    let names: Vec<&str> = usable.iter().map(|r| r.name.as_str()).collect();
    bail!(
        "no context named \"{}\"{}; nothing changed (`dctx ls` lists them)",
        for_terminal(name),
        crate::suggest::close_names(name, &names)
    )
}

/// The shell code that makes the switch, on one line for fish (the `dctx`
/// function reads it with a command substitution, which splits at
/// newlines); `HasNul` for a name no shell variable can hold.
fn emit(
    shell: InitShell,
    target: &Target,
    previous: &str,
    unset_host: bool,
) -> Result<String, HasNul> {
    let mut parts = Vec::new();
    match shell {
        InitShell::Fish => {
            parts.push(match target {
                Target::Context(name) => format!("set -gx DOCKER_CONTEXT {}", quote::fish(name)?),
                Target::Config => "set -e DOCKER_CONTEXT".into(),
            });
            parts.push(format!("set -g __dctx_previous {}", quote::fish(previous)?));
            if unset_host {
                parts.push("set -e DOCKER_HOST".into());
            }
        }
        InitShell::Bash | InitShell::Zsh => {
            parts.push(match target {
                Target::Context(name) => {
                    format!("\\builtin export DOCKER_CONTEXT={}", quote::sh(name)?)
                }
                Target::Config => "\\builtin unset DOCKER_CONTEXT".into(),
            });
            // zsh: global from inside the function, quiet under
            // warn_create_global.
            let global = if shell == InitShell::Zsh {
                "\\builtin typeset -g "
            } else {
                ""
            };
            parts.push(format!("{global}__DCTX_PREVIOUS={}", quote::sh(previous)?));
            if unset_host {
                parts.push("\\builtin unset DOCKER_HOST".into());
            }
        }
    }
    Ok(parts.join("; "))
}

/// `--global`: what `docker context use` does, by the docker CLI itself
/// (dctx never writes in Docker's dir). Its own words go to stderr, so
/// that a shell function evaluating stdout gets nothing to run.
fn global(vars: &Vars, name: &str) -> anyhow::Result<ExitCode> {
    let status = Command::new("docker")
        .args(["context", "use", name])
        .stdin(Stdio::null())
        .stdout(std::io::stderr())
        .status()
        .context("could not run `docker context use` (is the docker CLI installed?)")?;
    if status.success() {
        for var in ["DOCKER_HOST", "DOCKER_CONTEXT"] {
            if let Some(value) = vars.get(var) {
                eprintln!(
                    "dctx: {var}={} in this shell still overrides it here (`dctx use --unset` for DOCKER_CONTEXT)",
                    for_terminal(&value.to_string_lossy())
                );
            }
        }
    }
    Ok(ExitCode::from(
        status.code().unwrap_or(1).clamp(0, 255) as u8
    ))
}

/// The picker's lines, one per row: name (the current one marked `*`),
/// endpoint, description, and whether the guard protects it by name (the
/// user's `[guard]` settings, built-in patterns by default), in aligned
/// columns. Names and the rest come from files
/// anyone could have written: shown escaped, so a line is one line and
/// sends nothing to the terminal.
fn lines(rows: &[&Listed], guard: &dctx_core::guard::policy::GuardSettings) -> Vec<String> {
    let name = |r: &Listed| {
        format!(
            "{}{}",
            for_terminal(&r.name),
            if r.current { " *" } else { "" }
        )
    };
    let endpoint = |r: &Listed| for_terminal(&r.docker_endpoint).into_owned();
    let width = |f: &dyn Fn(&Listed) -> String| {
        rows.iter().map(|r| f(r).chars().count()).max().unwrap_or(0)
    };
    let (wn, we) = (width(&name), width(&endpoint));
    rows.iter()
        .map(|r| {
            let mark = match guard.protects_name(&r.name) {
                Some(_) => "  [protected]",
                None => "",
            };
            let line = format!(
                "{:wn$}   {:we$}   {}{mark}",
                name(r),
                endpoint(r),
                for_terminal(&r.description)
            );
            line.trim_end().to_string()
        })
        .collect()
}

/// The row whose line is exactly `chosen`; none when no line or more
/// than one is (two names that escape alike are not guessed between).
fn row_of_line<'a>(rows: &[&'a Listed], lines: &[String], chosen: &str) -> Option<&'a Listed> {
    let mut found = lines.iter().zip(rows).filter(|(l, _)| l.as_str() == chosen);
    match (found.next(), found.next()) {
        (Some((_, row)), None) => Some(row),
        _ => None,
    }
}

/// Lets a person choose: through `fzf` when it is on PATH, else a
/// numbered list on the terminal. Not on a terminal, prints the list and
/// chooses nothing.
fn pick(vars: &Vars, rows: &[&Listed]) -> anyhow::Result<Option<String>> {
    let settings =
        dctx_core::Settings::load_optional(&RealFs, vars.settings_path().as_deref()).settings;
    let lines = lines(rows, &settings.guard);
    let tty = std::fs::File::options()
        .read(true)
        .write(true)
        .open("/dev/tty");
    let interactive = std::io::stderr().is_terminal() && tty.is_ok();
    if !interactive {
        let mut out = std::io::stderr().lock();
        writeln!(
            out,
            "dctx: no context named; choose one with `dctx use NAME`:"
        )?;
        for l in &lines {
            writeln!(out, "  {l}")?;
        }
        return Ok(None);
    }
    if let Some(chosen) = pick_with_fzf(&lines)? {
        return match chosen {
            None => Ok(None),
            Some(line) => match row_of_line(rows, &lines, &line) {
                Some(row) => Ok(Some(row.name.clone())),
                None => bail!(
                    "fzf chose {:?}, which is not exactly one of the lines it was given; nothing changed",
                    for_terminal(&line)
                ),
            },
        };
    }
    let tty = tty.context("could not open the terminal")?;
    let mut out = &tty;
    for (i, l) in lines.iter().enumerate() {
        writeln!(out, "{:>3}) {l}", i + 1)?;
    }
    write!(out, "context (number or name, empty to cancel): ")?;
    out.flush()?;
    let mut answer = String::new();
    std::io::BufReader::new(&tty).read_line(&mut answer)?;
    let answer = answer.trim();
    if answer.is_empty() {
        return Ok(None);
    }
    let by_number = answer
        .parse::<usize>()
        .ok()
        .and_then(|n| rows.get(n.checked_sub(1)?));
    match by_number.or_else(|| rows.iter().find(|r| r.name == answer)) {
        Some(row) => Ok(Some(row.name.clone())),
        None => {
            let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
            bail!(
                "no context \"{}\"{}; nothing changed",
                for_terminal(answer),
                crate::suggest::close_names(answer, &names)
            )
        }
    }
}

/// `None` when fzf is not installed; `Some(None)` when it chose nothing;
/// else the line it printed, exactly (only the newline after it removed).
fn pick_with_fzf(lines: &[String]) -> anyhow::Result<Option<Option<String>>> {
    let child = Command::new("fzf")
        .args([
            "--prompt",
            "docker context> ",
            "--reverse",
            "--height",
            "40%",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).context("could not run fzf"),
    };
    if let Some(mut stdin) = child.stdin.take() {
        // fzf may exit before reading everything (Esc); that is its answer.
        let _ = stdin.write_all(lines.join("\n").as_bytes());
    }
    let out = child.wait_with_output().context("fzf failed")?;
    let chosen = String::from_utf8_lossy(&out.stdout);
    let line = chosen.strip_suffix('\n').unwrap_or(&chosen);
    Ok(Some(
        (out.status.success() && !line.is_empty()).then(|| line.to_string()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emitted_code_sets_or_unsets_only_this_shells_variables() {
        let prod = Target::Context("it's prod".into());
        assert_eq!(
            emit(InitShell::Bash, &prod, "dev", false).unwrap(),
            r"\builtin export DOCKER_CONTEXT='it'\''s prod'; __DCTX_PREVIOUS='dev'"
        );
        assert_eq!(
            emit(InitShell::Zsh, &Target::Config, "", true).unwrap(),
            r"\builtin unset DOCKER_CONTEXT; \builtin typeset -g __DCTX_PREVIOUS=''; \builtin unset DOCKER_HOST"
        );
        assert_eq!(
            emit(InitShell::Fish, &prod, "", false).unwrap(),
            r"set -gx DOCKER_CONTEXT 'it\'s prod'; set -g __dctx_previous ''"
        );
        // One line whatever the name: fish reads the code line by line.
        let odd = Target::Context("a\nb\u{1b}c\\".into());
        assert_eq!(
            emit(InitShell::Fish, &odd, "", false).unwrap(),
            r"set -gx DOCKER_CONTEXT 'a'\u000a'b'\u001b'c\\'; set -g __dctx_previous ''"
        );
        let nul = Target::Context("a\0b".into());
        for shell in InitShell::ALL {
            assert_eq!(emit(shell, &nul, "", false), Err(HasNul), "{shell}");
        }
    }

    fn row(name: &str, current: bool) -> Listed {
        Listed {
            name: name.into(),
            description: String::new(),
            docker_endpoint: "tcp://h:2375".into(),
            current,
            error: String::new(),
        }
    }

    #[test]
    fn the_picker_aligns_marks_and_matches_back_exactly() {
        let all = [
            row("stage", false),
            row("stage\tprod-eu", true),
            row("dev\u{1b}[2J", false),
        ];
        let rows: Vec<&Listed> = all.iter().collect();
        let guard = dctx_core::Settings::default().guard;
        let lines = lines(&rows, &guard);
        assert_eq!(
            lines[1],
            "stage\\u{9}prod-eu *   tcp://h:2375     [protected]"
        );
        let columns: Vec<usize> = lines.iter().map(|l| l.find("tcp://").unwrap()).collect();
        assert!(columns.iter().all(|c| *c == columns[0]), "{lines:?}");
        assert!(!lines[2].contains('\u{1b}'));
        // The line for `stage<TAB>prod-eu` is that context, not `stage`.
        assert_eq!(
            row_of_line(&rows, &lines, &lines[1]).unwrap().name,
            "stage\tprod-eu"
        );
        assert!(row_of_line(&rows, &lines, "stage").is_none());
        assert!(row_of_line(&rows, &lines, "stage\tprod-eu").is_none());
        // The mark is what the user's [guard] settings protect.
        let mine = dctx_core::Settings::parse("[guard]\nprotect = [\"stage\"]\n")
            .unwrap()
            .guard;
        let marked = super::lines(&rows, &mine);
        assert!(marked[0].ends_with("[protected]"), "{marked:?}");
        assert!(!marked[1].ends_with("[protected]"), "{marked:?}");
        // Two names that escape alike are not guessed between.
        let twins = [row("a\tb", false), row("a\\u{9}b", false)];
        let rows: Vec<&Listed> = twins.iter().collect();
        let lines = super::lines(&rows, &guard);
        assert!(row_of_line(&rows, &lines, &lines[0]).is_none());
    }
}
