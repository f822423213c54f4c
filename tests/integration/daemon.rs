//! A real daemon on a temporary runtime dir: freshness after real Docker CLI
//! changes, per-shell answers, hostile clients, crash recovery, and the
//! same-user rule.

use std::path::Path;
use std::time::{Duration, Instant};

use dctx_tests::{
    daemons_in, require_tool, run, run_ok, wait_for, Conn, Daemon, Sandbox, StopOnDrop,
};

const EVENTUALLY: Duration = Duration::from_secs(5);

fn name_host(reply: &serde_json::Value) -> String {
    format!(
        "{}|{}",
        reply["name"].as_str().unwrap(),
        reply["host"].as_str().unwrap()
    )
}

/// The query that matters most comes the instant `docker context use`
/// exits: the next prompt in the same shell. It must be right with no
/// waiting at all, before or after the daemon has seen the inotify event.
#[test]
fn the_first_query_after_docker_context_use_is_already_right() {
    if !require_tool("docker", "daemon freshness test") {
        return;
    }
    let sandbox = Sandbox::new();
    let contexts = [
        ("blue", "tcp://10.0.0.1:2375"),
        ("green", "ssh://deploy@green"),
    ];
    sandbox.create_contexts(&contexts);
    let daemon = Daemon::start(&sandbox);
    let mut conn = Conn::open(&daemon.socket).unwrap();
    let home = sandbox.home();
    assert_eq!(
        name_host(&conn.query(&home, &[], None)),
        "default|unix:///var/run/docker.sock"
    );
    for (name, host) in contexts.iter().cycle().take(20) {
        // Warm the cache with the old answer, so the switch must be noticed.
        for _ in 0..3 {
            conn.query(&home, &[], None);
        }
        run_ok(sandbox.docker().args(["context", "use", name]));
        assert_eq!(
            name_host(&conn.query(&home, &[], None)),
            format!("{name}|{host}"),
            "the first answer after `docker context use {name}`"
        );
    }
}

#[test]
fn the_daemon_follows_removal_recreation_and_rewritten_metadata() {
    if !require_tool("docker", "daemon invalidation test") {
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.create_contexts(&[
        ("alpha", "tcp://10.0.0.1:2375"),
        ("beta", "tcp://10.0.0.2:2375"),
    ]);
    run_ok(sandbox.docker().args(["context", "use", "alpha"]));
    let daemon = Daemon::start(&sandbox);
    let mut conn = Conn::open(&daemon.socket).unwrap();
    let home = sandbox.home();
    let beta = [("DOCKER_CONTEXT", "beta")];
    assert_eq!(
        name_host(&conn.query(&home, &beta, None)),
        "beta|tcp://10.0.0.2:2375"
    );

    // meta.json rewritten in place with a new host.
    let meta = dctx_core::context_meta::meta_path(&sandbox.home_docker(), "beta");
    let text = std::fs::read_to_string(&meta)
        .unwrap()
        .replace("10.0.0.2", "10.9.9.9");
    std::fs::write(&meta, text).unwrap();
    wait_for("a rewritten meta.json", EVENTUALLY, || {
        name_host(&conn.query(&home, &beta, None)) == "beta|tcp://10.9.9.9:2375"
    });
    // ... and replaced by rename, as editors and atomic writers do.
    let text = std::fs::read_to_string(&meta)
        .unwrap()
        .replace("10.9.9.9", "10.7.7.7");
    let tmp = meta.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, &meta).unwrap();
    wait_for("a renamed-over meta.json", EVENTUALLY, || {
        name_host(&conn.query(&home, &beta, None)) == "beta|tcp://10.7.7.7:2375"
    });

    // docker context rm: the context is gone, and the daemon says so.
    run_ok(sandbox.docker().args(["context", "rm", "-f", "beta"]));
    wait_for("`docker context rm`", EVENTUALLY, || {
        conn.query(&home, &beta, None)["problem"]
            .as_str()
            .is_some_and(|p| p.contains("does not exist"))
    });

    // The whole config dir deleted: back to default.
    assert_eq!(conn.query(&home, &[], None)["name"], "alpha");
    std::fs::remove_dir_all(sandbox.home_docker()).unwrap();
    wait_for("the config dir deleted", EVENTUALLY, || {
        conn.query(&home, &[], None)["name"] == "default"
    });

    // ... and recreated by the Docker CLI.
    sandbox.create_contexts(&[("gamma", "ssh://gamma")]);
    run_ok(sandbox.docker().args(["context", "use", "gamma"]));
    wait_for("the config dir recreated", EVENTUALLY, || {
        name_host(&conn.query(&home, &[], None)) == "gamma|ssh://gamma"
    });
    // Still watched by inotify after all that, not silently polling.
    let status = conn.call(&serde_json::json!({"type": "status"})).unwrap();
    let watched = status["watched"].as_array().unwrap();
    assert!(watched.iter().any(|w| w["mode"] == "inotify"), "{status}");
}

#[test]
fn two_shells_get_their_own_answers_and_tmux_can_ask_by_tty() {
    let sandbox = Sandbox::new();
    let daemon = Daemon::start(&sandbox);
    let home = sandbox.home();
    // Two live "shells": this test process and a child that outlives the test body.
    let mut other = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .unwrap();
    let (me, them) = (std::process::id(), other.id());
    let mut a = Conn::open(&daemon.socket).unwrap();
    let mut b = Conn::open(&daemon.socket).unwrap();
    let ra = a.query(
        &home,
        &[("DOCKER_CONTEXT", "staging")],
        Some((me, "/dev/pts/71")),
    );
    let rb = b.query(
        &home,
        &[("DOCKER_HOST", "tcp://10.1.1.1")],
        Some((them, "/dev/pts/72")),
    );
    assert_eq!(name_host(&ra), "staging|");
    assert_eq!(name_host(&rb), "default|tcp://10.1.1.1:2375");

    let lookup = |conn: &mut Conn, tty: &str| {
        conn.call(&serde_json::json!({
            "type": "lookup", "tty": tty, "fallback": {"vars": {}, "home": home},
            "render": {"shell": "tmux"},
        }))
        .unwrap()
    };
    let mut tmux = Conn::open(&daemon.socket).unwrap();
    let by_tty = lookup(&mut tmux, "/dev/pts/72");
    assert_eq!(
        (by_tty["name"].as_str(), by_tty["matched_shell"].as_bool()),
        (Some("default"), Some(true))
    );
    assert_eq!(
        by_tty["text"],
        "#[fg=yellow,bold]tcp://10.1.1.1:2375#[default]"
    );
    assert_eq!(lookup(&mut tmux, "/dev/pts/71")["name"], "staging");
    // An unknown tty falls back to the global config.
    let unknown = lookup(&mut tmux, "/dev/pts/99");
    assert_eq!(
        (unknown["name"].as_str(), unknown["matched_shell"].as_bool()),
        (Some("default"), Some(false))
    );
    // A shell that exited is forgotten.
    other.kill().unwrap();
    other.wait().unwrap();
    assert_eq!(lookup(&mut tmux, "/dev/pts/72")["matched_shell"], false);
}

#[test]
fn hostile_clients_do_not_disturb_others() {
    let sandbox = Sandbox::new();
    let daemon = Daemon::start(&sandbox);
    let home = sandbox.home();
    let mut good = Conn::open(&daemon.socket).unwrap();
    let ctx = [("DOCKER_CONTEXT", "ok1")];
    assert_eq!(good.query(&home, &ctx, None)["name"], "ok1");

    // Connects and never writes.
    let _idle: Vec<Conn> = (0..50)
        .map(|_| Conn::raw(&daemon.socket).unwrap())
        .collect();
    // Garbage gets an error, and the connection still works afterwards.
    let mut garbage = Conn::raw(&daemon.socket).unwrap();
    garbage.send_bytes(b"\xff\xfe\x00garbage{{{\n").unwrap();
    assert_eq!(garbage.read().unwrap()["type"], "error");
    let before_hello = garbage
        .call(&serde_json::json!({"type": "status"}))
        .unwrap();
    assert!(
        before_hello["message"].as_str().unwrap().contains("hello"),
        "{before_hello}"
    );
    // Oversized: an error, then the daemon hangs up.
    let mut big = Conn::raw(&daemon.socket).unwrap();
    let _ = big.send_bytes(&vec![b'x'; 200 * 1024]);
    let reply = big.read().unwrap();
    assert!(
        reply["message"].as_str().unwrap().contains("longer than"),
        "{reply}"
    );
    // Closed with input still unread, so the kernel may report a reset.
    let closed = big.read().unwrap_err().kind();
    assert!(
        matches!(
            closed,
            std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
        ),
        "{closed:?}"
    );
    // Truncated: half a request, then end of input.
    let mut cut = Conn::raw(&daemon.socket).unwrap();
    cut.send_bytes(br#"{"type":"hello","proto"#).unwrap();
    cut.shutdown_write();
    assert!(cut.read().unwrap()["message"]
        .as_str()
        .unwrap()
        .contains("truncated"));
    // A wrong type inside valid JSON.
    let mut odd = Conn::open(&daemon.socket).unwrap();
    let reply = odd
        .call(&serde_json::json!({"type": "query", "env": 5}))
        .unwrap();
    assert_eq!(reply["type"], "error");

    // Through all of it the good client, and new ones, are served.
    for i in 0..20 {
        let ctx = format!("ok{i}");
        assert_eq!(
            good.query(&home, &[("DOCKER_CONTEXT", ctx.as_str())], None)["name"],
            ctx
        );
    }
    assert_eq!(
        Conn::open(&daemon.socket).unwrap().query(&home, &ctx, None)["name"],
        "ok1"
    );
}

#[test]
fn after_kill_9_the_prompt_still_answers_and_a_new_daemon_comes_up() {
    let sandbox = Sandbox::new();
    let daemon = Daemon::start(&sandbox);
    let old_pid = daemon.pid();
    let socket = daemon.socket.clone();
    daemon.kill9();
    assert!(socket.exists(), "a killed daemon leaves its socket behind");

    let _stop = StopOnDrop(&sandbox);
    let out = run(sandbox
        .hooked_prompt()
        .args(["--format", "{name}"])
        .env("DOCKER_CONTEXT", "after-crash")
        .env_remove("DCTX_NO_AUTOSTART"));
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "after-crash?");

    // The prompt started a replacement in the background.
    let mut new_pid = 0;
    wait_for("a new daemon", EVENTUALLY, || {
        let Ok(mut conn) = Conn::open(&socket) else {
            return false;
        };
        let status = conn.call(&serde_json::json!({"type": "status"})).unwrap();
        new_pid = status["pid"].as_u64().unwrap() as u32;
        true
    });
    assert_ne!(new_pid, old_pid);
    let answer = run_ok(
        sandbox
            .hooked_prompt()
            .args(["--format", "{name}|{source}"])
            .env("DOCKER_CONTEXT", "later"),
    );
    assert_eq!(answer, "later|DOCKER_CONTEXT?");
    run_ok(sandbox.dctx("dctx").args(["daemon", "stop"]));
    wait_for("the socket to be removed", EVENTUALLY, || !socket.exists());
}

#[test]
fn a_stale_socket_file_is_replaced() {
    let sandbox = Sandbox::new();
    let socket = sandbox.socket();
    std::fs::create_dir_all(socket.parent().unwrap()).unwrap();
    // std does not unlink on drop: this leaves exactly what a crash leaves.
    drop(std::os::unix::net::UnixListener::bind(&socket).unwrap());
    // A child forked concurrently by another test may hold the listening fd
    // until it execs; once that is gone the socket refuses, as a crash leaves it.
    wait_for("the socket to go stale", EVENTUALLY, || {
        Conn::raw(&socket).is_err()
    });
    let daemon = Daemon::start(&sandbox);
    assert_eq!(
        Conn::open(&daemon.socket)
            .unwrap()
            .query(&sandbox.home(), &[], None)["name"],
        "default"
    );
}

#[test]
fn racing_starts_end_with_exactly_one_daemon() {
    let sandbox = Sandbox::new();
    let _stop = StopOnDrop(&sandbox);
    let starts: Vec<_> = (0..4)
        .map(|_| {
            sandbox
                .dctx("dctx")
                .args(["daemon", "start"])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in starts {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let pid_of = || {
        let mut conn = Conn::open(&sandbox.socket()).unwrap();
        conn.call(&serde_json::json!({"type": "status"})).unwrap()["pid"]
            .as_u64()
            .unwrap()
    };
    let pid = pid_of();
    let lock = std::fs::read_to_string(sandbox.path().join("runtime/dctx/dctx.lock")).unwrap();
    assert_eq!(
        lock.trim(),
        pid.to_string(),
        "the lock holder is the daemon that answers"
    );
    // Losers of the race exit on their own; give them a moment to go.
    wait_for("losing daemons to exit", EVENTUALLY, || {
        daemons_in(&sandbox).len() == 1
    });
    assert_eq!(daemons_in(&sandbox), vec![pid as u32]);
    let second = run(sandbox.dctx("dctx").args(["daemon", "run"]));
    assert_eq!(
        second.status.code(),
        Some(dctx_ipc::lock::ALREADY_RUNNING_EXIT.into()),
        "what `dctx daemon start` tells a lost race by"
    );
    assert!(String::from_utf8_lossy(&second.stderr).contains("already running"));
    run_ok(sandbox.dctx("dctx").args(["daemon", "stop"]));
}

#[test]
fn socket_and_dir_are_private_and_other_users_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::new();
    let daemon = Daemon::start(&sandbox);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(daemon.socket.parent().unwrap()), 0o700);
    assert_eq!(mode(&daemon.socket), 0o600);

    if rustix::process::getuid().as_raw() != 0 {
        eprintln!("skipped the second-user part: it needs root to act as another uid");
        return;
    }
    // Open the file permissions so only the daemon's peer-uid check stands
    // between user `nobody` and the daemon.
    for dir in [
        sandbox.path(),
        &sandbox.path().join("runtime"),
        daemon.socket.parent().unwrap(),
    ] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(&daemon.socket, std::fs::Permissions::from_mode(0o777)).unwrap();
    // `dctx daemon status` as user `nobody` refuses a socket in a dir it
    // does not own before it sends anything.
    let dctx = dctx_tests::bin_dir().join("dctx");
    let out = run(sandbox
        .command("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&dctx)
        .args(["daemon", "status"]));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "another user got an answer: {stdout}"
    );
    assert!(stdout.contains("not running"), "{stdout}");
    // A client that checks nothing (perl, from perl-base) connects and
    // says hello as `nobody`: the daemon must not answer it.
    let hello = r#"{"type":"hello","protocol":2,"client":"intruder"}"#;
    let script = format!(
        r#"use IO::Socket::UNIX; $SIG{{PIPE}} = "IGNORE"; my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "connect: $!"; print $s '{hello}' . "\n"; my $l = <$s>; print defined $l ? "answered: $l" : "no answer\n";"#
    );
    let out = run(sandbox
        .command("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .args(["perl", "-e", &script])
        .arg(&daemon.socket));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout,
        "no answer\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = std::fs::read_to_string(sandbox.path().join("daemon.log")).unwrap();
    assert!(
        log.contains("refused a connection from another user"),
        "{log}"
    );
    // The owner is still served.
    assert_eq!(
        Conn::open(&daemon.socket)
            .unwrap()
            .query(&sandbox.home(), &[], None)["name"],
        "default"
    );
}

#[test]
fn a_socket_activated_listener_is_served() {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let sandbox = Sandbox::new();
    // Made the way systemd's dctx.socket makes it: by someone else, 0600.
    let socket = sandbox.socket();
    std::fs::create_dir_all(socket.parent().unwrap()).unwrap();
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let fd = listener.as_raw_fd();
    let dctx = dctx_tests::bin_dir().join("dctx");
    let mut cmd = sandbox.command("sh");
    // LISTEN_PID must be the daemon's own pid, which only the shell knows before exec.
    cmd.args(["-c", "LISTEN_PID=$$ LISTEN_FDS=1 exec \"$0\" daemon run"])
        .arg(&dctx);
    cmd.stderr(std::fs::File::create(sandbox.path().join("daemon.log")).unwrap());
    // SAFETY: dup2 is async-signal-safe; fd 3 is where systemd puts the socket.
    unsafe {
        cmd.pre_exec(move || {
            // dup2 onto itself would keep close-on-exec, so clear it explicitly.
            if (fd != 3 && libc::dup2(fd, 3) < 0) || libc::fcntl(3, libc::F_SETFD, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    drop(listener);
    let log_path = sandbox.path().join("daemon.log");
    let started = Instant::now();
    while Conn::open(&socket).is_err() {
        if started.elapsed() > EVENTUALLY || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            panic!(
                "the activated daemon did not answer:\n{}",
                std::fs::read_to_string(&log_path).unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(
        Conn::open(&socket)
            .unwrap()
            .query(&sandbox.home(), &[("DOCKER_CONTEXT", "sa")], None)["name"],
        "sa"
    );
    let log = std::fs::read_to_string(sandbox.path().join("daemon.log")).unwrap();
    assert!(log.contains("passed by systemd"), "{log}");
    child.kill().unwrap();
    child.wait().unwrap();
}

/// A daemon of another dctx build, as an upgrade leaves running: it holds
/// the lock and the socket, greets with another version, and exits (letting
/// go of both) when asked to shut down without a handshake. Returns whether
/// it was asked.
fn other_build(sandbox: &Sandbox) -> std::thread::JoinHandle<bool> {
    use std::io::{BufRead, Write};
    let runtime = sandbox.socket().parent().unwrap().to_path_buf();
    std::fs::create_dir_all(&runtime).unwrap();
    std::fs::set_permissions(
        &runtime,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let lock = std::fs::File::create(dctx_ipc::paths::lock_path(&runtime)).unwrap();
    lock.lock().unwrap();
    let socket = sandbox.socket();
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let deadline = Instant::now() + EVENTUALLY;
        while Instant::now() < deadline {
            let conn = match listener.accept() {
                Ok((conn, _)) => conn,
                Err(_) => {
                    std::thread::sleep(Duration::from_millis(2));
                    continue;
                }
            };
            conn.set_nonblocking(false).unwrap();
            conn.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            let mut reader = std::io::BufReader::new(&conn);
            let mut line = String::new();
            while matches!(reader.read_line(&mut line), Ok(n) if n > 0) {
                let request: serde_json::Value = serde_json::from_str(&line).unwrap();
                line.clear();
                let reply = match request["type"].as_str() {
                    Some("hello") => {
                        r#"{"type":"hello","protocol":0,"version":"0.0.1-old","pid":1}"#
                    }
                    Some("shutdown") => {
                        // Gone before saying so, as a real daemon is soon after.
                        std::fs::remove_file(&socket).unwrap();
                        drop(lock);
                        let _ = (&conn).write_all(b"{\"type\":\"ok\"}\n");
                        return true;
                    }
                    _ => r#"{"type":"error","message":"send hello with protocol 0 first"}"#,
                };
                // A client that saw the other version may have hung up.
                if (&conn).write_all(format!("{reply}\n").as_bytes()).is_err() {
                    break;
                }
            }
        }
        false
    })
}

/// After an upgrade the old daemon would answer by old rules: the next
/// prompt stops it, prints the right context meanwhile, and starts its own.
#[test]
fn a_daemon_of_another_build_is_replaced_by_the_next_prompt() {
    if !require_tool("docker", "daemon replacement test") {
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.create_contexts(&[("blue", "tcp://10.0.0.1:2375")]);
    run_ok(sandbox.docker().args(["context", "use", "blue"]));
    let old = other_build(&sandbox);
    let _stop = StopOnDrop(&sandbox);
    let status = run(sandbox.dctx("dctx").arg("status"));
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.contains("0.0.1-old"), "{status}");

    let prompt = run_ok(
        sandbox
            .hooked_prompt()
            .args(["--format", "{name}"])
            .env_remove("DCTX_NO_AUTOSTART"),
    );
    assert_eq!(prompt, "blue");
    // That prompt asks it to stop, unless the machine is so loaded that the
    // handshake missed the prompt's 15 ms budget; then a later one does.
    wait_for("the old daemon to be asked to stop", EVENTUALLY, || {
        old.is_finished() || {
            run(sandbox.hooked_prompt().env_remove("DCTX_NO_AUTOSTART"));
            false
        }
    });
    assert!(old.join().unwrap(), "the old daemon was not asked to stop");
    // Started by that prompt, or (on a loaded machine, if the old one was
    // slow to let go of the lock) by the next.
    wait_for("this build's daemon", EVENTUALLY, || {
        Conn::open(&sandbox.socket()).is_ok() || {
            run(sandbox.hooked_prompt().env_remove("DCTX_NO_AUTOSTART"));
            false
        }
    });
}

/// `dctx daemon stop` and `start` work on a daemon of another build too.
#[test]
fn daemon_commands_stop_and_replace_another_build() {
    let sandbox = Sandbox::new();
    let old = other_build(&sandbox);
    let out = run_ok(sandbox.dctx("dctx").args(["daemon", "stop"]));
    assert!(out.contains("stopped (pid 1)"), "{out}");
    assert!(old.join().unwrap());

    let old = other_build(&sandbox);
    let _stop = StopOnDrop(&sandbox);
    let out = run_ok(sandbox.dctx("dctx").args(["daemon", "start"]));
    assert!(out.contains("replaced dctx daemon 0.0.1-old"), "{out}");
    assert!(old.join().unwrap());
    assert!(
        Conn::open(&sandbox.socket()).is_ok(),
        "this build's daemon answers"
    );
}
