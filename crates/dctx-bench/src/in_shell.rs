//! Timing commands inside a shell, many calls per round, so that no
//! process start is in the figure: what a prompt hook or the guard's
//! `docker` function costs, beside references in the same shell. One
//! timing loop for both (`prompt::in_shell`, `guard::in_shell`), told what
//! to time.
//!
//! bash and zsh read their clocks (`EPOCHREALTIME`) around each round of
//! calls; fish, which has none, runs `date` around each round (two forks
//! per round, not per call). Every round runs in a command substitution,
//! as it always has here.

use std::fmt::Write as _;
use std::process::Stdio;

use crate::world::World;

/// One thing timed: `calls` calls of a command per round.
pub struct Row {
    /// Its name on the output line.
    pub name: &'static str,
    pub calls: u32,
    /// The command in bash and zsh.
    pub sh: String,
    /// The command in fish.
    pub fish: String,
}

impl Row {
    /// A command spelled the same in every shell.
    pub fn new(name: &'static str, calls: u32, command: &str) -> Row {
        Row {
            name,
            calls,
            sh: command.into(),
            fish: command.into(),
        }
    }

    /// The loop's own cost per turn (a call that does nothing), taken off
    /// the figures close to it.
    pub fn lap(calls: u32) -> Row {
        Row {
            name: "loop",
            calls,
            sh: ":".into(),
            fish: "__bench_noop".into(),
        }
    }
}

/// Rows timed `rounds` times, their rounds interleaved so that they share
/// the machine's noise.
pub struct Group {
    pub rounds: u32,
    pub rows: Vec<Row>,
}

/// What to time in one shell.
pub struct Timing {
    /// Run first: loads dctx and defines what the rows call (fish's text
    /// when the shell is fish).
    pub prologue: String,
    pub groups: Vec<Group>,
    /// Run last.
    pub epilogue: String,
    /// Whether the shell runs interactive (the guard's `docker` function
    /// is defined in interactive shells only).
    pub interactive: bool,
}

/// A shell's output: one line per row, its rounds in ns per call.
pub struct Measured {
    pub stdout: String,
}

impl Measured {
    /// The median round of row `name`, in µs per call: one disturbed round
    /// on a shared machine does not decide the figure.
    pub fn field(&self, name: &str) -> Option<f64> {
        let prefix = format!("{name} ");
        let line = self.stdout.lines().find_map(|l| l.strip_prefix(&prefix))?;
        let mut rounds: Vec<f64> = line
            .split_whitespace()
            .map(str::parse)
            .collect::<Result<_, _>>()
            .ok()?;
        rounds.sort_by(f64::total_cmp);
        rounds.get(rounds.len() / 2).map(|ns| ns / 1000.0)
    }
}

/// Runs `timing` in `shell` (bash, zsh or fish); `None` when the shell is
/// not installed.
pub fn time(world: &World, shell: &str, timing: &Timing) -> Option<Measured> {
    let script = if shell == "fish" {
        fish_script(timing)
    } else {
        sh_script(shell, timing)
    };
    let mut args: Vec<&str> = match shell {
        "zsh" => vec!["-f"],
        "fish" => vec!["--no-config", "-i"],
        _ => vec!["--noprofile", "--norc"],
    };
    if timing.interactive && shell != "fish" {
        args.push("-i");
    }
    args.push("-c");
    let out = world
        .command(shell)
        .args(&args)
        .arg(&script)
        .stdout(Stdio::piped())
        .output()
        .ok()?;
    Some(Measured {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    })
}

/// Mean ns per call of "$@", run n times. bash's EPOCHREALTIME has six
/// decimals, so the digits are µs; zsh's has nine and does float maths.
fn sh_per(shell: &str) -> &'static str {
    if shell == "zsh" {
        r#"zmodload zsh/datetime
per() { local n=$1; shift; local t0=$EPOCHREALTIME; for ((i = 0; i < n; i++)); do "$@"; done; local t1=$EPOCHREALTIME
  echo $(( (t1 - t0) * 1000000000 / n )); }"#
    } else {
        r#"per() { local n=$1; shift; local t0=$EPOCHREALTIME; for ((i = 0; i < n; i++)); do "$@"; done; local t1=$EPOCHREALTIME
  echo $(( (${t1/./} - ${t0/./}) * 1000 / n )); }"#
    }
}

fn sh_script(shell: &str, timing: &Timing) -> String {
    // The clock function after the prologue, as these scripts always had it.
    let mut s = format!("{}\n{}\n", timing.prologue, sh_per(shell));
    let mut var = 0;
    for group in &timing.groups {
        let first = var;
        let rounds: Vec<String> = (1..=group.rounds).map(|r| r.to_string()).collect();
        let _ = write!(s, "for r in {}; do", rounds.join(" "));
        for row in &group.rows {
            let _ = write!(s, " v{var}=\"$v{var} $(per {} {})\";", row.calls, row.sh);
            var += 1;
        }
        s.push_str(" done\n");
        for (i, row) in group.rows.iter().enumerate() {
            let _ = writeln!(s, "echo \"{}$v{}\"", row.name, first + i);
        }
    }
    s.push_str(&timing.epilogue);
    s
}

fn fish_script(timing: &Timing) -> String {
    let rows = || timing.groups.iter().flat_map(|g| &g.rows);
    // The clock function after the prologue, as these scripts always had it.
    let mut s = format!("{}\n", timing.prologue);
    s.push_str(
        "function __bench_noop; end\nfunction per\n    set -l n $argv[1]\n    set -l t0 (date +%s%N)\n    switch $argv[2]\n",
    );
    for (i, row) in rows().enumerate() {
        let _ = writeln!(s, "        case r{i}; for i in (seq $n); {}; end", row.fish);
    }
    s.push_str(
        "    end\n    set -l t1 (date +%s%N)\n    math --scale=0 \"($t1 - $t0) / $n\"\nend\n",
    );
    let mut var = 0;
    for group in &timing.groups {
        let first = var;
        for i in 0..group.rows.len() {
            let _ = writeln!(s, "set -l v{}", first + i);
        }
        let _ = write!(s, "for r in (seq {});", group.rounds);
        for row in &group.rows {
            let _ = write!(s, " set -a v{var} (per {} r{var});", row.calls);
            var += 1;
        }
        s.push_str(" end\n");
        for (i, row) in group.rows.iter().enumerate() {
            let _ = writeln!(s, "echo {} $v{}", row.name, first + i);
        }
    }
    s.push_str(&timing.epilogue);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing() -> Timing {
        Timing {
            prologue: "setup".into(),
            groups: vec![
                Group {
                    rounds: 2,
                    rows: vec![Row::lap(10)],
                },
                Group {
                    rounds: 3,
                    rows: vec![Row::new("a", 5, "cmd a"), Row::new("b", 6, "cmd b")],
                },
            ],
            epilogue: "teardown".into(),
            interactive: false,
        }
    }

    #[test]
    fn rounds_of_a_group_are_interleaved_and_each_row_has_a_line() {
        let s = sh_script("bash", &timing());
        assert!(s.contains("for r in 1 2; do v0=\"$v0 $(per 10 :)\"; done\necho \"loop$v0\"\n"));
        assert!(s.contains(
            "for r in 1 2 3; do v1=\"$v1 $(per 5 cmd a)\"; v2=\"$v2 $(per 6 cmd b)\"; done\necho \"a$v1\"\necho \"b$v2\"\n"
        ));
        assert!(s.starts_with("setup\nper() {") && s.ends_with("teardown"));
        let f = fish_script(&timing());
        assert!(f.contains("        case r0; for i in (seq $n); __bench_noop; end\n"));
        assert!(f.contains("for r in (seq 3); set -a v1 (per 5 r1); set -a v2 (per 6 r2); end\necho a $v1\necho b $v2\n"));
    }

    #[test]
    fn a_field_is_the_median_round_in_microseconds() {
        let m = Measured {
            stdout: "loop 3000 1000 2000\nprecmd  40000 90000 50000\nbad x\n".into(),
        };
        assert_eq!(m.field("loop"), Some(2.0));
        assert_eq!(m.field("precmd"), Some(50.0));
        assert_eq!(m.field("bad"), None);
        assert_eq!(m.field("missing"), None);
    }
}
