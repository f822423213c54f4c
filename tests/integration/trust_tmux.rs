//! The tmux bar names the shell that is in the pane now: after a nested
//! shell exits, and after the daemon restarts, without a new prompt.
//!
//! `status-interval 0`: tmux never reruns the bar's job by itself, so only
//! the daemon's push (or an explicit refresh here) can change what it
//! shows, and each wait below waits for that event, not for a clock.

use std::time::Duration;

use dctx_tests::{bin_dir, path_with_dctx, require_tool, run_ok, wait_for, Daemon, Sandbox, Tmux};

const PATIENCE: Duration = Duration::from_secs(20);

/// A hooked bash in a tmux server with the plugin loaded, its bar read
/// through a second tmux attached to it.
fn panes(sandbox: &Sandbox) -> (Tmux<'_>, Tmux<'_>) {
    let inner = Tmux::start(sandbox, "inner", "bash --noprofile --norc -i");
    inner.load_plugin(&[
        ("status-interval", "0"),
        ("status-right-length", "60"),
        ("status-right", "[#{docker_context}]"),
    ]);
    inner.type_line(&format!("export PATH='{}'", path_with_dctx()));
    let outer = Tmux::start(
        sandbox,
        "outer",
        &format!("tmux -L {} attach -t t", inner.name),
    );
    (inner, outer)
}

fn init() -> String {
    format!(
        "eval \"$('{}' init bash)\"",
        bin_dir().join("dctx").display()
    )
}

fn bar_says(outer: &Tmux, what: &str) {
    let want = format!("[{what}]");
    wait_for(&format!("the bar to say {want}"), PATIENCE, || {
        outer.last_line().contains(&want)
    });
}

#[test]
fn the_bar_follows_the_pane_back_to_the_outer_shell_when_a_nested_one_exits() {
    for tool in ["tmux", "docker", "bash"] {
        if !require_tool(tool, "tmux nested shell test") {
            return;
        }
    }
    let sandbox = Sandbox::new();
    sandbox.create_contexts(&[
        ("prod", "tcp://10.0.0.1:2375"),
        ("dev", "tcp://10.0.0.2:2375"),
    ]);
    let _daemon = Daemon::start(&sandbox);
    let (inner, outer) = panes(&sandbox);
    inner.type_line(&init());
    inner.type_line("dctx use prod");
    bar_says(&outer, "prod");
    inner.type_line("bash --noprofile --norc -i");
    inner.type_line(&init());
    inner.type_line("dctx use dev");
    bar_says(&outer, "dev");
    // The outer shell keeps its segment and asks nobody: only the daemon,
    // seeing the nested shell die, can put prod back.
    inner.type_line("exit");
    bar_says(&outer, "prod");
}

#[test]
fn a_restarted_daemon_still_knows_each_panes_shell() {
    for tool in ["tmux", "docker", "bash"] {
        if !require_tool(tool, "tmux daemon restart test") {
            return;
        }
    }
    let sandbox = Sandbox::new();
    sandbox.create_contexts(&[
        ("prod", "tcp://10.0.0.1:2375"),
        ("blue", "tcp://10.0.0.3:2375"),
    ]);
    // What tmux's own environment sees: the current context.
    run_ok(sandbox.docker().args(["context", "use", "blue"]));
    let daemon = Daemon::start(&sandbox);
    let (inner, outer) = panes(&sandbox);
    inner.type_line(&init());
    inner.type_line("dctx use prod");
    bar_says(&outer, "prod");

    daemon.kill9();
    // No daemon: the bar's job resolves in tmux's environment.
    inner.run(&["refresh-client", "-S"]);
    bar_says(&outer, "blue");
    // A new daemon knows the pane's shell from the table the last one
    // kept, and tells tmux to redraw; no prompt is drawn meanwhile.
    let mut second = Daemon::start(&sandbox);
    bar_says(&outer, "prod");

    // And after `dctx daemon stop` and a start, too.
    let stop = sandbox
        .dctx("dctx")
        .args(["daemon", "stop"])
        .output()
        .unwrap();
    assert!(stop.status.success());
    second.wait_exit("the daemon to stop", PATIENCE);
    inner.run(&["refresh-client", "-S"]);
    bar_says(&outer, "blue");
    let _daemon = Daemon::start(&sandbox);
    bar_says(&outer, "prod");
}
