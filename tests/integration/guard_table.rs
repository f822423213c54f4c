//! The guard's table of commands against the installed Docker CLI: every
//! command its help lists (aliases included) has a row, each row's flags
//! are the ones the help lists, and what each command sends to a recording
//! fake engine agrees with its class: a `read` command sends nothing that
//! changes the engine, and a command that sends such a request is not
//! classed `read`.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::process::{Command, Stdio};
use std::time::Duration;

use dctx_core::guard::commands::{builtin_table, classify, row, Class, FLAGS, PLUGINS, ROWS};
use dctx_tests::{require_tool, run, run_bounded, text, Sandbox};
use fake_engine::FakeEngine;

/// Families of rows not run against the fake engine, and why. Everything
/// else of the CLI's own commands is.
const NOT_EXERCISED: &[(&str, &str)] = &[
    ("manifest", "talks to registries only, never to the engine"),
    (
        "trust",
        "talks to a notary server and registries; `trust sign` needs both",
    ),
    (
        "compose",
        "a plugin, not installed here: its rows follow its documentation",
    ),
    (
        "buildx",
        "a plugin, not installed here: its rows follow its documentation",
    ),
];

fn not_exercised(command: &str) -> Option<&'static str> {
    NOT_EXERCISED
        .iter()
        .find(|(family, _)| command.split(' ').next() == Some(family))
        .map(|(_, why)| *why)
}

/// Requests that are POSTs but change nothing: the engine checks
/// credentials (`login`) or blocks until a container stops (`wait`).
fn harmless(request: &str) -> bool {
    let path = request.split(['?', ' ']).nth(1).unwrap_or_default();
    path.ends_with("/auth") || (path.contains("/containers/") && path.ends_with("/wait"))
}

fn words(line: &str) -> Vec<OsString> {
    line.split_whitespace().map(OsString::from).collect()
}

/// `docker WORDS --help`'s text.
fn help(sandbox: &Sandbox, path: &[String]) -> String {
    text(&run(sandbox.docker().args(path).arg("--help")).stdout)
}

/// The first words of the lines of a help section (`  name   text`).
fn section(text: &str, title: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| !l.starts_with(title))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .map(|w| w.trim_end_matches('*').to_string())
        .collect()
}

/// Every leaf of the CLI's command tree with its help text.
fn leaves(sandbox: &Sandbox, path: Vec<String>, out: &mut Vec<(Vec<String>, String)>) {
    let text = help(sandbox, &path);
    let mut subs: Vec<String> = Vec::new();
    for title in [
        "Common Commands:",
        "Management Commands:",
        "Swarm Commands:",
        "Commands:",
    ] {
        for s in section(&text, title) {
            if !subs.contains(&s) {
                subs.push(s);
            }
        }
    }
    if subs.is_empty() {
        out.push((path, text));
        return;
    }
    for sub in subs {
        let mut next = path.clone();
        next.push(sub);
        leaves(sandbox, next, out);
    }
}

/// A command's flags as its help lists them: `(shorthand, long, takes a
/// value)`.
fn help_flags(text: &str) -> BTreeSet<(Option<char>, String, bool)> {
    let mut out = BTreeSet::new();
    let options = text
        .lines()
        .skip_while(|l| !l.starts_with("Options:"))
        .skip(1)
        .take_while(|l| l.starts_with(' '));
    for line in options {
        let (short, rest) = match line.strip_prefix("  -") {
            Some(r) if r.as_bytes().get(1) == Some(&b',') => (r.chars().next(), &r[3..]),
            _ => match line.strip_prefix("      --") {
                Some(_) => (None, line.trim_start()),
                None => continue,
            },
        };
        let mut parts = rest.trim_start().split(' ');
        let Some(long) = parts.next().and_then(|l| l.strip_prefix("--")) else {
            continue;
        };
        // `--name type   Description`: a value; `--name   Description`: none.
        let value = parts.next().is_some_and(|t| !t.is_empty());
        out.insert((short, long.to_string(), value));
    }
    out
}

/// The same, from the table's [`FLAGS`].
fn table_flags(spec: &str) -> BTreeSet<(Option<char>, String, bool)> {
    spec.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            let mut short = None;
            let mut long = String::new();
            for part in item.split_whitespace() {
                match part.strip_prefix("--") {
                    Some(l) => long = l.to_string(),
                    None => short = part[1..].chars().next(),
                }
            }
            let value = long.ends_with('=');
            (short, long.trim_end_matches('=').to_string(), value)
        })
        .collect()
}

#[test]
fn every_command_of_the_cli_has_a_row_with_its_flags() {
    if !require_tool("docker", "guard table: every command") {
        return;
    }
    let sandbox = Sandbox::new();
    let mut all = Vec::new();
    leaves(&sandbox, Vec::new(), &mut all);
    assert!(all.len() > 100, "the CLI's help was not read: {all:?}");
    let mut problems = Vec::new();
    let mut covered = BTreeSet::new();
    for (path, help_text) in &all {
        let spelled = path.join(" ");
        // Every spelling of the command, its own included.
        let mut spellings: Vec<String> = help_text
            .lines()
            .skip_while(|l| !l.starts_with("Aliases:"))
            .nth(1)
            .map(|a| {
                a.split(',')
                    .map(|s| s.trim().trim_start_matches("docker ").to_string())
                    .collect()
            })
            .unwrap_or_default();
        if !spellings.contains(&spelled) {
            spellings.push(spelled.clone());
        }
        let rows: Vec<&String> = spellings.iter().filter(|s| row(s).is_some()).collect();
        let [canon] = rows[..] else {
            problems.push(format!(
                "{spelled}: {} rows among its spellings {spellings:?}",
                rows.len()
            ));
            continue;
        };
        covered.insert(canon.clone());
        for s in &spellings {
            let c = classify(&words(&format!("{s} x")), &builtin_table());
            if &c.command != canon {
                problems.push(format!("`{s}` is read as `{}`, not `{canon}`", c.command));
            }
        }
        // `builder build` is `image build` under another name.
        if spelled != *canon {
            continue;
        }
        let Some((_, interspersed, spec)) = FLAGS.iter().find(|(c, _, _)| c == canon) else {
            problems.push(format!("{canon}: no flags in the table"));
            continue;
        };
        let (ours, theirs) = (table_flags(spec), help_flags(help_text));
        if ours != theirs {
            problems.push(format!(
                "{canon}: flags only the table has: {:?}; only the help has: {:?}",
                ours.difference(&theirs).collect::<Vec<_>>(),
                theirs.difference(&ours).collect::<Vec<_>>()
            ));
        }
        // Whether a flag after an argument is still a flag: `--help` after
        // one prints the help only then (with no engine to reach).
        let out = run(sandbox
            .docker()
            .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
            .args(path)
            .args(["ARG", "--help"]));
        let read_help = text(&out.stdout).starts_with("Usage:");
        if read_help != *interspersed {
            problems.push(format!(
                "{canon}: flags after an argument are read: {read_help}, the table says {interspersed}"
            ));
        }
    }
    // And no row of the CLI's own that the CLI does not have.
    for r in ROWS {
        let first = r.command.split(' ').next().unwrap_or_default();
        if !PLUGINS.contains(&first) && !covered.contains(r.command) {
            problems.push(format!("{}: a row for a command the CLI lacks", r.command));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A docker command line run against the fake engine, with what it needs.
struct Case {
    line: &'static str,
    /// The swarm node's state the engine reports (`active` unless said).
    swarm: &'static str,
    /// A file in the sandbox to give docker as stdin.
    stdin: Option<&'static str>,
}

const fn case(line: &'static str) -> Case {
    Case {
        line,
        swarm: "active",
        stdin: None,
    }
}

/// At least one line per command of the CLI (but [`NOT_EXERCISED`]), and
/// both sides of each flag that changes a class.
const CASES: &[Case] = &[
    case("attach web"),
    case("commit web img"),
    case("cp file.txt web:/tmp"),
    case("create alpine"),
    case("diff web"),
    case("exec -d web true"),
    case("export -o out.tar web"),
    case("inspect web"),
    case("container inspect web"),
    case("kill web"),
    case("logs web"),
    case("ps -a"),
    case("pause web"),
    case("port web"),
    case("container prune -f"),
    case("rename web web2"),
    case("restart web"),
    case("rm -f web"),
    case("run -d alpine"),
    case("start web"),
    case("stats --no-stream web"),
    case("stop web"),
    case("top web"),
    case("unpause web"),
    case("update --cpus 1 web"),
    case("update --restart always web"),
    case("wait web"),
    case("context create c1 --docker host=unix:///nowhere.sock"),
    case("context export c1 c1.dockercontext"),
    case("context import c2 c1.dockercontext"),
    case("context inspect c1"),
    case("context ls"),
    case("context show"),
    case("context update c1 --description d"),
    case("context use default"),
    case("context rm -f c2"),
    case("build -q ctx"),
    case("history alpine"),
    case("import img.tar"),
    case("image inspect alpine"),
    case("load -i img.tar"),
    case("images"),
    case("image prune -f"),
    case("pull alpine"),
    case("push alpine"),
    case("rmi alpine"),
    case("save -o saved.tar alpine"),
    case("tag alpine alpine:two"),
    case("login -u me -p pw localhost:5000"),
    case("logout localhost:5000"),
    case("search alpine"),
    case("version"),
    case("info"),
    case("events --since 0 --until 1"),
    case("system df"),
    case("system prune -f"),
    case("builder prune -f"),
    case("network connect net web"),
    case("network create n2"),
    case("network disconnect net web"),
    case("network inspect net"),
    case("network ls"),
    case("network prune -f"),
    case("network rm net"),
    case("plugin create plug2 plugin"),
    case("plugin disable plug"),
    case("plugin enable plug"),
    case("plugin inspect plug"),
    case("plugin install --grant-all-permissions plug"),
    case("plugin ls"),
    case("plugin push plug"),
    case("plugin rm -f plug"),
    case("plugin set plug A=1"),
    case("plugin upgrade --grant-all-permissions --skip-remote-check plugdisabled plug:2"),
    case("volume create v2"),
    case("volume inspect vol"),
    case("volume ls"),
    case("volume prune -f"),
    case("volume rm vol"),
    case("volume update --availability drain vol"),
    case("volume update --availability active vol"),
    case("config create cfg secret.txt"),
    case("config inspect cfg"),
    case("config ls"),
    case("config rm cfg"),
    case("secret create sec secret.txt"),
    case("secret inspect sec"),
    case("secret ls"),
    case("secret rm sec"),
    case("node demote n1"),
    case("node inspect n1"),
    case("node ls"),
    case("node promote worker1"),
    case("node ps n1"),
    case("node rm n1"),
    case("node update --availability drain n1"),
    case("node update --availability active n1"),
    case("node update --label-add a=b n1"),
    case("node update --role worker n1"),
    case("service create -d --no-resolve-image alpine"),
    case("service inspect web"),
    case("service logs web"),
    case("service ls"),
    case("service ps web"),
    case("service rm web"),
    case("service rollback -d web"),
    case("service scale -d web=2"),
    case("service update -d --replicas 2 web"),
    case("stack config -c stack.yml"),
    case("stack deploy -c stack.yml --resolve-image never -d app"),
    case("stack ls"),
    case("stack ps app"),
    case("stack rm app"),
    case("stack services app"),
    case("swarm ca"),
    case("swarm ca --rotate -d"),
    case("swarm init"),
    case("swarm init --force-new-cluster"),
    case("swarm join --token SWMTKN-1-x 10.0.0.9:2377"),
    case("swarm join-token worker"),
    case("swarm join-token --rotate worker"),
    case("swarm leave -f"),
    Case {
        line: "swarm unlock",
        swarm: "locked",
        stdin: Some("key.txt"),
    },
    case("swarm unlock-key"),
    case("swarm unlock-key --rotate"),
    case("swarm update --autolock=false"),
    case("checkpoint create web cp1"),
    case("checkpoint create --leave-running web cp1"),
    case("checkpoint ls web"),
    case("checkpoint rm web cp1"),
];

/// The files the cases name, in the sandbox (docker runs there).
fn props(sandbox: &Sandbox) {
    let at = |p: &str| sandbox.path().join(p);
    for dir in ["ctx", "plugin/rootfs"] {
        std::fs::create_dir_all(at(dir)).unwrap();
    }
    for (file, content) in [
        ("ctx/Dockerfile", "FROM alpine\n"),
        ("file.txt", "x\n"),
        ("img.tar", ""),
        ("secret.txt", "s3cret\n"),
        ("key.txt", "SWMKEY-1-fake\n"),
        ("plugin/config.json", "{}\n"),
        (
            "stack.yml",
            "version: \"3.8\"\nservices:\n  web:\n    image: alpine\n",
        ),
    ] {
        std::fs::write(at(file), content).unwrap();
    }
}

#[test]
fn what_each_command_sends_agrees_with_its_class() {
    if !require_tool("docker", "guard table: what each command sends") {
        return;
    }
    let sandbox = Sandbox::new();
    props(&sandbox);
    let engine = FakeEngine::unix(&sandbox.path().join("engine.sock"), "table");
    engine.answer_everything();
    let mut problems = Vec::new();
    let mut seen: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for case in CASES {
        engine.set_swarm_state(case.swarm);
        engine.clear();
        let mut cmd: Command = sandbox.docker();
        cmd.env("DOCKER_HOST", engine.endpoint())
            .args(case.line.split_whitespace());
        if let Some(file) = case.stdin {
            cmd.stdin(Stdio::from(
                std::fs::File::open(sandbox.path().join(file)).unwrap(),
            ));
        }
        let out = run_bounded(&mut cmd, Duration::from_secs(120));
        let sent: Vec<String> = engine
            .writes()
            .into_iter()
            .filter(|r| !harmless(r))
            .collect();
        let c = classify(&words(case.line), &builtin_table());
        let Some(r) = row(&c.command) else {
            problems.push(format!("docker {}: no row ({})", case.line, c.command));
            continue;
        };
        seen.entry(r.command).or_default().push(case.line.into());
        let said = || {
            format!(
                "(exit {:?}; stderr: {})",
                out.status.code(),
                text(&out.stderr).trim()
            )
        };
        match (c.class, sent.is_empty()) {
            (Class::Read, false) => problems.push(format!(
                "docker {}: classed read, but it sent {sent:?}",
                case.line
            )),
            (class, true) if class != Class::Read => problems.push(format!(
                "docker {}: classed {}, but it sent nothing that changes the engine {}; requests: {:?}",
                case.line,
                class.as_str(),
                said(),
                engine.requests()
            )),
            _ => {}
        }
    }
    for r in ROWS {
        let first = r.command.split(' ').next().unwrap_or_default();
        if PLUGINS.contains(&first) || not_exercised(r.command).is_some() {
            continue;
        }
        if !seen.contains_key(r.command) {
            problems.push(format!("{}: no case runs it", r.command));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Whether a line only prints help, as the guard reads it and as the CLI
/// does (with no engine to reach, anything else fails without `Usage:`).
#[test]
fn help_is_help_exactly_where_the_cli_reads_it() {
    if !require_tool("docker", "guard table: help") {
        return;
    }
    let sandbox = Sandbox::new();
    // (line, whether the guard may say "not help" where docker prints it:
    // lines it cannot read with certainty fail toward running)
    let lines = [
        ("rm web -h", false),
        ("rm -f -h", false),
        ("rm --help=true web", false),
        ("rm --help=false web", false),
        ("rm -- -h", false),
        ("rm -- web -h", false),
        ("rm --nope -h", false),
        ("rmi -h", false),
        ("run --help", false),
        ("run -h box alpine", false),
        ("run alpine -h", false),
        ("exec web sh -h", false),
        ("service update --help web", false),
        ("service update --hostname -h --replicas 0 web", false),
        ("stack deploy -c -h app", false),
        ("stack deploy --compose-file=x.yml -h app", false),
        ("node update --availability drain --help n1", false),
        ("network disconnect -f net -h", false),
        ("system prune --filter -h", false),
        ("volume rm vol --help", false),
        ("container -D rm -h", true),
    ];
    let mut problems = Vec::new();
    for (line, may_run) in lines {
        let out = run(sandbox
            .docker()
            .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
            .args(line.split_whitespace()));
        // (`-h` may first print that the shorthand is deprecated)
        let docker =
            out.status.success() && text(&out.stdout).lines().any(|l| l.starts_with("Usage:"));
        let ours = classify(&words(line), &builtin_table()).inert.is_some();
        if ours != docker && !(may_run && docker && !ours) {
            problems.push(format!(
                "docker {line}: help for docker: {docker}, for the guard: {ours}"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
