//! A shell whose dctx script is older (or newer) than the binaries it runs,
//! as a long-lived shell is after an upgrade: the frame version
//! (`dctx_ipc::helper_frame`) tells, and the prompt says to restart the
//! shell, still naming the right context, and keeps nothing.

use dctx_ipc::helper_frame::{FRAME_VERSION, RESTART_HINT};
use dctx_tests::{bin_dir, path_with_dctx, require_tool, run, run_ok, Daemon, Sandbox};

/// A version no build speaks.
const OLD: &str = "3";

/// `dctx init SHELL` as a script of frame version [`OLD`] would be:
/// today's, with its frame version replaced (`needle` is how the script
/// spells the version, `count` how often).
fn old_script(sandbox: &Sandbox, shell: &str, needle: &str, count: usize) -> std::path::PathBuf {
    let script = run_ok(sandbox.dctx("dctx").args(["init", shell]));
    assert_eq!(script.matches(needle).count(), count, "{shell}: {needle}");
    let old = script.replace(needle, &needle.replace(FRAME_VERSION, OLD));
    let path = sandbox.path().join(format!("old.{shell}"));
    std::fs::write(&path, old).unwrap();
    path
}

#[test]
fn a_bash_or_zsh_script_of_another_frame_version_is_told_to_restart() {
    let sandbox = Sandbox::new();
    let cases: [(&str, &[&str], String); 2] = [
        // The version, single-quoted, where the frame is written and read.
        (
            "bash",
            &["--norc", "-i", "-c"],
            format!("'{FRAME_VERSION}'"),
        ),
        // zsh's script is one `$'…'` word: its quotes are escaped.
        ("zsh", &["-f", "-i", "-c"], format!("\\'{FRAME_VERSION}\\'")),
    ];
    for (shell, args, needle) in cases {
        if !require_tool(shell, "old script test") {
            continue;
        }
        let old = old_script(&sandbox, shell, &needle, 2);
        let script = format!(
            r#"source '{}'; export DOCKER_CONTEXT=x
__dctx_precmd; echo "seg=$DCTX_SEGMENT kept=${{__DCTX_KEY:+yes}}"
export DOCKER_CONTEXT=y
__dctx_precmd; echo "seg=$DCTX_SEGMENT kept=${{__DCTX_KEY:+yes}}""#,
            old.display()
        );
        let out = run(sandbox
            .command(shell)
            .args(args)
            .arg(script)
            .env("PATH", path_with_dctx()));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.ends_with(&format!(
                "seg=x? {RESTART_HINT} kept=\nseg=y? {RESTART_HINT} kept=\n"
            )),
            "{shell}: {stdout:?} {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// fish has no helper: its `dctx-prompt --keep` is told the script's
/// version with `--frame`. The script of this version keeps its answer
/// (a daemon watches its files); one of another keeps nothing.
#[test]
fn a_fish_script_of_another_frame_version_is_told_to_restart_and_keeps_nothing() {
    if !require_tool("fish", "old script test") {
        return;
    }
    let sandbox = Sandbox::new();
    let _daemon = Daemon::start(&sandbox);
    let dctx = bin_dir().join("dctx").display().to_string();
    let needle = format!("--frame '{FRAME_VERSION}'");
    let old = old_script(&sandbox, "fish", &needle, 1);
    // Asked until the answer is kept (the daemon's first answer for a dir
    // may come before its watches are in place), at most `tries` times.
    let script = |load: &str, tries: u32| {
        format!(
            "{load}; set -gx DOCKER_CONTEXT x
             for i in (seq {tries}); __dctx_precmd; test -n \"$__dctx_stamps\"; and break; sleep 0.02; end
             set -l kept (test -n \"$__dctx_stamps\"; and echo yes)
             echo \"seg=$DCTX_SEGMENT kept=$kept\""
        )
    };
    let ask = |load: &str, tries: u32| {
        let out = run(sandbox
            .command("fish")
            .args(["--no-config", "-i", "-c"])
            .arg(script(load, tries))
            .env("PATH", path_with_dctx()));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let current = ask(&format!("'{dctx}' init fish | source"), 200);
    assert!(current.ends_with("seg=x? kept=yes\n"), "{current:?}");
    // The daemon watches that dir now: an answer of this version would be
    // kept at once.
    let stale = ask(&format!("source '{}'", old.display()), 3);
    assert!(
        stale.ends_with(&format!("seg=x? {RESTART_HINT} kept=\n")),
        "{stale:?}"
    );
}

/// The other way round, fish after a downgrade under it: a dctx-prompt
/// from before `--frame` refuses the flag and prints its marker alone.
/// The script then shows that binary's plain answer and keeps nothing,
/// instead of `dctx?` at every prompt.
#[test]
fn a_fish_script_newer_than_its_dctx_prompt_shows_the_plain_answer() {
    if !require_tool("fish", "old binary test") {
        return;
    }
    let sandbox = Sandbox::new();
    let bin = sandbox.path().join("old-bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(bin_dir().join("dctx"), bin.join("dctx")).unwrap();
    // As an old dctx-prompt answers: its marker for a flag it does not
    // know, a segment for a plain `--pid` question.
    let fake = bin.join("dctx-prompt");
    std::fs::write(
        &fake,
        "#!/bin/sh\ncase \" $* \" in *' --frame '*|*' --keep '*) printf 'dctx?' ;; *' --pid '*) printf 'old-answer' ;; esac\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = run(sandbox
        .command("fish")
        .args(["--no-config", "-i", "-c"])
        .arg(format!(
            "'{}' init fish | source; set -gx DOCKER_CONTEXT x; __dctx_precmd
             echo \"seg=$DCTX_SEGMENT kept=$__dctx_stamps\"",
            bin.join("dctx").display()
        ))
        .env("PATH", path_with_dctx()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.ends_with("seg=old-answer kept=\n"), "{stdout:?}");
}
