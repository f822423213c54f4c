//! The tmux plugin end to end: a private tmux server with the plugin loaded
//! as a user would, two hooked shells in two panes, and the rendered status
//! line read through a second tmux attached to the first.

use std::time::Duration;

use dctx_tests::{bin_dir, require_tool, run_ok, wait_for, Daemon, Sandbox, Tmux};

const PATIENCE: Duration = Duration::from_secs(10);

/// The inner server's status line, as its attached client draws it.
fn status_line(outer: &Tmux) -> String {
    outer.last_line()
}

#[test]
fn status_bar_shows_the_active_panes_context_and_follows_changes() {
    for tool in ["tmux", "docker", "bash"] {
        if !require_tool(tool, "tmux plugin test") {
            return;
        }
    }
    let sandbox = Sandbox::new();
    sandbox.create_contexts(&[
        ("blue", "tcp://10.0.0.1:2375"),
        ("green", "ssh://green"),
        ("staging", "tcp://10.0.0.2:2376"),
        ("prod", "ssh://deploy@prod-01"),
    ]);
    run_ok(sandbox.docker().args(["context", "use", "blue"]));
    let _daemon = Daemon::start(&sandbox);

    let inner = Tmux::start(&sandbox, "inner", "bash --noprofile --norc -i");
    inner.load_plugin(&[
        // Only the daemon's push (or tmux's own events) can redraw.
        ("status-interval", "0"),
        ("status-right-length", "60"),
        ("status-right", "[#{docker_context}]"),
    ]);
    let right = String::from_utf8_lossy(&inner.run(&["show-option", "-gv", "status-right"]).stdout)
        .into_owned();
    assert!(
        right.contains("--tty #{pane_tty}") && !right.contains("#{docker_context}"),
        "{right}"
    );

    let init = format!(
        "eval \"$('{}' init bash)\"",
        bin_dir().join("dctx").display()
    );
    // Pane 0 exports staging, pane 1 (active) exports prod.
    inner.type_line(&init);
    inner.type_line("export DOCKER_CONTEXT=staging");
    inner.run(&["split-window", "-t", "t", "bash --noprofile --norc -i"]);
    inner.type_line(&init);
    inner.type_line("export DOCKER_CONTEXT=prod");

    let outer = Tmux::start(
        &sandbox,
        "outer",
        &format!("tmux -L {} attach -t t", inner.name),
    );
    wait_for("the active pane's context (prod)", PATIENCE, || {
        status_line(&outer).contains("[prod]")
    });

    // Selecting the other pane shows its shell's context.
    inner.run(&["select-pane", "-t", "t.0"]);
    wait_for("the other pane's context (staging)", PATIENCE, || {
        status_line(&outer).contains("[staging]")
    });

    // That shell drops its override: the daemon learns it and pushes a redraw.
    inner.type_line("unset DOCKER_CONTEXT");
    wait_for("the config's context (blue)", PATIENCE, || {
        status_line(&outer).contains("[blue]")
    });

    // A `docker context use` in a third shell shows although tmux never
    // redraws by itself (status-interval 0): the daemon asks it to.
    run_ok(sandbox.docker().args(["context", "use", "green"]));
    wait_for(
        "docker context use to reach the status bar",
        PATIENCE,
        || status_line(&outer).contains("[green]"),
    );

    // The production pane's context is styled with tmux markup.
    inner.run(&["select-pane", "-t", "t.1"]);
    wait_for("prod again", PATIENCE, || {
        status_line(&outer).contains("[prod]")
    });
    let last = outer.styled_line(&["prod"]);
    assert!(
        last.contains("31m"),
        "prod is not red in the status bar: {last:?}"
    );
}

/// The plugin's options: `@dctx-format` shapes the segment (never hidden),
/// `@dctx-pane-border` puts each pane's own shell's context on its border,
/// and `@dctx-show-default` shows the local `default` context that is
/// otherwise hidden.
#[test]
fn plugin_options_shape_the_segment_and_label_each_pane() {
    for tool in ["tmux", "docker", "bash"] {
        if !require_tool(tool, "tmux plugin options test") {
            return;
        }
    }
    let sandbox = Sandbox::new();
    sandbox.create_contexts(&[("prod", "ssh://deploy@prod-01")]);
    let _daemon = Daemon::start(&sandbox);
    let inner = Tmux::start(&sandbox, "opts", "bash --noprofile --norc -i");
    inner.load_plugin(&[
        ("status-interval", "15"),
        ("status-right-length", "80"),
        ("status-right", "[#{docker_context}]"),
        ("pane-border-status", "top"),
        ("pane-border-format", "<#{docker_context}>"),
        ("@dctx-format", "docker:{name}@{host}"),
        ("@dctx-pane-border", "on"),
    ]);
    let init = format!(
        "eval \"$('{}' init bash)\"",
        bin_dir().join("dctx").display()
    );
    inner.type_line(&init);
    inner.type_line("export DOCKER_CONTEXT=prod");
    inner.run(&["split-window", "-t", "t", "bash --noprofile --norc -i"]);
    inner.type_line(&init);
    let outer = Tmux::start(
        &sandbox,
        "opts-view",
        &format!("tmux -L {} attach -t t", inner.name),
    );
    // The format shows even the local default, on the active pane's status
    // and on each pane's own border.
    let local = "docker:default@unix:///var/run/docker.sock";
    let prod = "docker:prod@ssh://deploy@prod-01";
    wait_for("both pane borders and the status", PATIENCE, || {
        let screen = outer.screen();
        screen.contains(&format!("<{prod}>"))
            && screen.contains(&format!("<{local}>"))
            && status_line(&outer).contains(&format!("[{local}]"))
    });

    // Without a format the local default is hidden, unless asked for.
    inner.load_plugin(&[
        ("status-right", "[#{docker_context}]"),
        ("@dctx-format", ""),
        ("@dctx-pane-border", "off"),
    ]);
    inner.run(&["refresh-client", "-S"]);
    wait_for("the default context hidden", PATIENCE, || {
        status_line(&outer).contains("[]")
    });
    inner.load_plugin(&[
        ("status-right", "[#{docker_context}]"),
        ("@dctx-show-default", "on"),
    ]);
    inner.run(&["refresh-client", "-S"]);
    wait_for("the default context shown", PATIENCE, || {
        status_line(&outer).contains("[default]")
    });
}
