//! Guard records in the system log: RFC 5424 datagrams on a socket named
//! by `[guard] syslog`, read by the test itself and by a real rsyslogd.

use std::collections::BTreeMap;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use dctx_tests::engine::FakeEngine;
use dctx_tests::{require_tool, run_bounded, text, wait_for, Sandbox};

/// What `dctx_core::guard::REFUSED_STATUS` documents.
const REFUSED: i32 = 77;

/// A sandbox with `customer-a` on a recording engine, protected by the
/// system file, which also names `socket` for syslog (plus `extra`).
fn world(socket: &Path, extra: &str) -> (Sandbox, FakeEngine, FakeEngine) {
    let sandbox = Sandbox::new();
    let customer = FakeEngine::unix(&sandbox.path().join("customer.sock"), "customer-engine");
    let scratch = FakeEngine::unix(&sandbox.path().join("scratch.sock"), "scratch-engine");
    sandbox.create_contexts(&[
        ("customer-a", customer.endpoint()),
        ("scratch", scratch.endpoint()),
    ]);
    std::fs::write(
        sandbox.path().join("system-config.toml"),
        format!(
            "[guard]\nprotect = [\"customer-*\"]\nsyslog = {:?}\n{extra}",
            socket.display().to_string()
        ),
    )
    .unwrap();
    (sandbox, customer, scratch)
}

fn guard(sandbox: &Sandbox, context: &str, user: &str) -> std::process::Output {
    let mut cmd = sandbox.dctx("dctx");
    cmd.args(["guard", "--", "system", "prune", "-af"])
        .env("DOCKER_CONTEXT", context)
        .env("USER", user);
    run_bounded(&mut cmd, Duration::from_secs(60))
}

/// An RFC 5424 message's header fields, its SD-PARAMs (unescaped) and MSG.
struct Message {
    header: Vec<String>,
    params: BTreeMap<String, String>,
    msg: String,
}

/// Parses one message as RFC 5424 section 6 describes it (one SD-ELEMENT).
fn parse(line: &str) -> Message {
    let (header, rest) = line.split_once(" [").expect("structured data");
    let header: Vec<String> = header.split(' ').map(str::to_string).collect();
    assert_eq!(header.len(), 7, "{line}");
    let mut chars = rest.chars().peekable();
    let id: String = chars.by_ref().take_while(|c| *c != ' ').collect();
    assert_eq!(id, "dctx@32473", "{line}");
    let mut params = BTreeMap::new();
    loop {
        let name: String = chars.by_ref().take_while(|c| *c != '=').collect();
        assert_eq!(chars.next(), Some('"'), "{line}");
        let mut value = String::new();
        loop {
            match chars.next().expect("a closed value") {
                '\\' => value.push(chars.next().expect("an escaped character")),
                '"' => break,
                ']' => panic!("an unescaped ] in a value: {line}"),
                c => value.push(c),
            }
        }
        params.insert(name, value);
        match chars.next() {
            Some(' ') => continue,
            Some(']') => break,
            other => panic!("{other:?} after a value: {line}"),
        }
    }
    assert_eq!(chars.next(), Some(' '), "{line}");
    Message {
        header,
        params,
        msg: chars.collect(),
    }
}

#[test]
fn each_record_is_an_rfc5424_datagram_on_the_named_socket() {
    if !require_tool("docker", "syslog datagram test") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("log.sock");
    let listener = UnixDatagram::bind(&socket).unwrap();
    let (sandbox, customer, _scratch) = world(&socket, "");
    let user = "al\"i]ce\\";
    let out = guard(&sandbox, "customer-a", user);
    assert_eq!(out.status.code(), Some(REFUSED), "{}", text(&out.stderr));
    assert_eq!(customer.requests(), Vec::<String>::new());
    // The guard has exited: its datagram is queued already.
    listener.set_nonblocking(true).unwrap();
    let mut buf = vec![0u8; 65536];
    let n = listener.recv(&mut buf).expect("a record");
    let line = String::from_utf8(buf[..n].to_vec()).unwrap();
    let m = parse(&line);
    // authpriv (10) * 8 + notice (5).
    assert_eq!(m.header[0], "<85>1", "{line}");
    assert_eq!(
        &m.header[3..],
        ["dctx", &m.header[4], "guard", "-"],
        "{line}"
    );
    assert!(m.header[4].parse::<u32>().is_ok(), "{line}");
    assert_eq!(m.params["user"], user, "{line}");
    assert_eq!(m.params["context"], "customer-a", "{line}");
    assert_eq!(m.params["command"], "system prune", "{line}");
    assert_eq!(m.params["decision"], "refused", "{line}");
    assert!(m.msg.contains("docker system prune -af"), "{line}");
    assert!(!m.msg.contains('\n'), "{line}");

    // Allowed (an unprotected name): information, and facility `user`
    // when the file says so.
    std::fs::write(
        sandbox.path().join("system-config.toml"),
        format!(
            "[guard]\nprotect = [\"customer-*\"]\nsyslog = {:?}\nsyslog_facility = \"user\"\n",
            socket.display().to_string()
        ),
    )
    .unwrap();
    let out = guard(&sandbox, "scratch", "bob");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let n = listener.recv(&mut buf).expect("a record");
    let m = parse(std::str::from_utf8(&buf[..n]).unwrap());
    assert_eq!(m.header[0], "<14>1");
    assert_eq!(
        (m.params["context"].as_str(), m.params["decision"].as_str()),
        ("scratch", "allowed")
    );
}

#[test]
fn a_missing_socket_is_one_warning_and_docker_still_runs() {
    if !require_tool("docker", "syslog missing socket test") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (sandbox, _customer, scratch) = world(&dir.path().join("nobody-listens.sock"), "");
    let out = guard(&sandbox, "scratch", "bob");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(scratch.wrote("/prune"), "{:?}", scratch.requests());
    assert_eq!(
        stderr
            .matches("could not send the record to syslog")
            .count(),
        1,
        "{stderr}"
    );
}

/// Stops the rsyslogd this test started, by its pid.
struct Rsyslogd(std::process::Child);

impl Drop for Rsyslogd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_real_rsyslogd_files_the_records() {
    if !require_tool("docker", "rsyslogd test") || !require_tool("rsyslogd", "rsyslogd test") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("log.sock");
    let out_file = dir.path().join("out.log");
    let conf = dir.path().join("rsyslog.conf");
    std::fs::write(
        &conf,
        format!(
            r#"global(workDirectory="{dir}")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{socket}" UseSpecialParser="off" ParseHostname="on")
template(name="fields" type="string" string="%syslogfacility-text%.%syslogseverity-text% %app-name% %msgid% %structured-data% %msg%\n")
*.* action(type="omfile" file="{out}" template="fields")
"#,
            dir = dir.path().display(),
            socket = socket.display(),
            out = out_file.display()
        ),
    )
    .unwrap();
    let child = Command::new("rsyslogd")
        .arg("-n")
        .arg("-f")
        .arg(&conf)
        .arg("-i")
        .arg(dir.path().join("rsyslogd.pid"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("rsyslogd");
    let _rsyslogd = Rsyslogd(child);
    wait_for("rsyslogd's socket", Duration::from_secs(60), || {
        socket.exists()
    });
    let (sandbox, _customer, _scratch) = world(&socket, "");
    let out = guard(&sandbox, "customer-a", "alice");
    assert_eq!(out.status.code(), Some(REFUSED), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("could not send"),
        "{}",
        text(&out.stderr)
    );
    let mut filed = String::new();
    wait_for(
        "rsyslogd to file the record",
        Duration::from_secs(60),
        || {
            filed = std::fs::read_to_string(&out_file).unwrap_or_default();
            filed.contains("decision=\"refused\"")
        },
    );
    let line = filed
        .lines()
        .find(|l| l.contains("dctx@32473"))
        .expect("the record");
    assert!(line.starts_with("authpriv.notice dctx guard "), "{filed}");
    assert!(line.contains("user=\"alice\""), "{filed}");
    assert!(line.contains("context=\"customer-a\""), "{filed}");
    assert!(line.contains("command=\"system prune\""), "{filed}");
}
