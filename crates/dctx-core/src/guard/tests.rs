//! The decision over a fake world: the incident, the rule, the fail-safe.

use std::path::Path;

use super::*;
use crate::context_meta::meta_path;
use crate::{MemFs, Settings};

const HOME: &str = "/h";

fn meta(name: &str, host: &str) -> String {
    format!(r#"{{"Name":"{name}","Metadata":{{}},"Endpoints":{{"docker":{{"Host":"{host}"}}}}}}"#)
}

/// Contexts dev (local), prod (tcp://10.0.0.9:2375) and staging, with
/// config.json's current context `current`.
fn world(current: &str) -> MemFs {
    let dir = Path::new(HOME).join(".docker");
    MemFs::new()
        .with(
            dir.join("config.json"),
            format!(r#"{{"currentContext":"{current}"}}"#),
        )
        .with(meta_path(&dir, "dev"), meta("dev", "unix:///run/dev.sock"))
        .with(meta_path(&dir, "prod"), meta("prod", "tcp://10.0.0.9:2375"))
        .with(
            meta_path(&dir, "staging"),
            meta("staging", "tcp://10.0.0.2:2375"),
        )
}

fn decide_in(
    fs: &MemFs,
    vars: &[(&str, &str)],
    line: &str,
    settings: Result<&GuardSettings, String>,
) -> Decision {
    let env = Env::new(vars.iter().copied(), Some(HOME.into()));
    decide_env(fs, &env, line, settings)
}

/// [`decide_in`] with an environment whose values need not be UTF-8.
fn decide_env(
    fs: &MemFs,
    env: &Env,
    line: &str,
    settings: Result<&GuardSettings, String>,
) -> Decision {
    let args: Vec<OsString> = line.split_whitespace().map(OsString::from).collect();
    decide(&Input {
        env,
        args: &args,
        settings,
        fs,
        cwd: Path::new("/work"),
        program: Program::Docker,
        exec_named: None,
        compose_file: None,
    })
}

fn decide_line(vars: &[(&str, &str)], line: &str) -> Decision {
    decide_in(&world("dev"), vars, line, Ok(&GuardSettings::default()))
}

#[test]
fn the_incident_is_refused_and_says_why() {
    let d = decide_line(
        &[("DOCKER_HOST", "tcp://10.0.0.9:2375")],
        "system prune -af",
    );
    assert_eq!(d.decision, Verdict::Refuse, "{d:#?}");
    assert_eq!(
        (d.context.as_str(), d.host.as_str(), d.source),
        ("default", "tcp://10.0.0.9:2375", "DOCKER_HOST")
    );
    assert!(d.destructive && d.protected && !d.named);
    let text = d.reasons.join("\n");
    assert!(
        text.contains("DOCKER_HOST=tcp://10.0.0.9:2375 is set in this shell; it overrides the current context \"dev\""),
        "{text}"
    );
    let instead: Vec<String> = d.instead.iter().map(|i| command_text(&i.argv)).collect();
    assert_eq!(
        instead,
        [
            "docker --context dev system prune -af",
            "docker --context prod system prune -af"
        ]
    );
}

#[test]
fn naming_the_context_is_what_lets_it_run() {
    for (vars, line, verdict) in [
        (&[][..], "--context prod system prune -af", Verdict::Allow),
        (&[][..], "-cprod rmi x", Verdict::Allow),
        (
            &[("DOCKER_CONTEXT", "prod")][..],
            "system prune -af",
            Verdict::Refuse,
        ),
        (
            &[("DOCKER_HOST", "tcp://10.0.0.9:2375")][..],
            "-c prod rm x",
            Verdict::Allow,
        ),
        // `--context default` keeps DOCKER_HOST's endpoint: not named.
        (
            &[("DOCKER_HOST", "tcp://10.0.0.9:2375")][..],
            "-c default rm x",
            Verdict::Refuse,
        ),
        (&[][..], "-H tcp://10.0.0.9:2375 rm x", Verdict::Refuse),
        (
            &[][..],
            "-H tcp://elsewhere:1 compose -p x down",
            Verdict::Refuse,
        ),
        (&[][..], "-H unix:///run/other.sock rm x", Verdict::Allow),
        (
            &[("DOCKER_HOST", "unix:///var/run/docker.sock")][..],
            "system prune",
            Verdict::Allow,
        ),
        // Same endpoint as prod, under another name.
        (
            &[("DOCKER_HOST", "unix:///x")][..],
            "-c staging rm x",
            Verdict::Allow,
        ),
        (&[][..], "--context staging system prune", Verdict::Allow),
        (
            &[("DOCKER_CONTEXT", "staging")][..],
            "system prune",
            Verdict::Allow,
        ),
    ] {
        let d = decide_line(vars, line);
        assert_eq!(d.decision, verdict, "{vars:?} {line}: {d:#?}");
    }
}

#[test]
fn the_reason_names_where_the_endpoint_came_from() {
    let d = decide_line(&[], "-H tcp://elsewhere:1 rm x");
    assert!(
        d.reasons.iter().any(|r| r.contains("comes from -H and")),
        "{d:#?}"
    );
    let d = decide_line(&[("DOCKER_HOST", "tcp://elsewhere:1")], "rm x");
    assert!(
        d.reasons
            .iter()
            .any(|r| r.contains("comes from DOCKER_HOST and")),
        "{d:#?}"
    );
}

#[test]
fn what_is_not_destructive_or_never_runs_is_allowed_anywhere() {
    for line in [
        "ps",
        "inspect nosuch",
        "--help",
        "-v",
        "system prune --help",
        "compose --dry-run down",
        // docker refuses these lines itself.
        "-c prod -H tcp://x rm x",
        "-H tcp://a -H tcp://b rm x",
        "--context nosuch rm x",
    ] {
        let d = decide_line(&[("DOCKER_CONTEXT", "prod")], line);
        assert_eq!(d.decision, Verdict::Allow, "{line}: {d:#?}");
    }
}

#[test]
fn an_endpoint_shared_with_a_protected_context_is_protected() {
    let dir = Path::new(HOME).join(".docker");
    let fs = world("dev").with(
        meta_path(&dir, "alias"),
        meta("alias", "tcp://10.0.0.9:2375"),
    );
    let d = decide_in(
        &fs,
        &[("DOCKER_CONTEXT", "alias")],
        "volume prune",
        Ok(&GuardSettings::default()),
    );
    assert_eq!(d.decision, Verdict::Refuse, "{d:#?}");
    assert!(
        d.reasons
            .iter()
            .any(|r| r.contains("reaches the engine of context \"prod\"")),
        "{d:#?}"
    );
}

#[test]
fn an_endpoint_is_the_same_whatever_its_spelling_and_only_a_protected_name_names_it() {
    let dir = Path::new(HOME).join(".docker");
    let fs = world("dev")
        .with(meta_path(&dir, "alias"), meta("alias", "tcp://10.0.0.9"))
        .with(
            meta_path(&dir, "sock"),
            meta("sock", "unix:///run/x/../prod.sock"),
        )
        .with(
            meta_path(&dir, "prod-sock"),
            meta("prod-sock", "unix:///run/prod.sock"),
        )
        .with_located("/work/link.sock", "/run/prod.sock", 9)
        .with_located("/run/prod.sock", "/run/prod.sock", 9);
    let ok = GuardSettings::default();
    for (vars, line) in [
        (vec![], "--context alias system prune"),
        (vec![("DOCKER_CONTEXT", "alias")], "system prune"),
        (vec![], "-c sock container prune -f"),
        (vec![], "-H unix://link.sock container prune -f"),
        (vec![("DOCKER_HOST", "unix:///run//prod.sock")], "rm -f x"),
        (vec![], "-H tcp://10.0.0.9:2375 system prune"),
    ] {
        let d = decide_in(&fs, &vars, line, Ok(&ok));
        assert_eq!(d.decision, Verdict::Refuse, "{line} {vars:?}: {d:#?}");
    }
    // Naming the unprotected alias is refused with the protected name to use.
    let d = decide_in(&fs, &[], "--context alias system prune", Ok(&ok));
    assert!(
        d.reasons
            .last()
            .unwrap()
            .contains("--context alias is not itself protected"),
        "{d:#?}"
    );
    assert_eq!(
        command_text(&d.instead[0].argv),
        "docker --context prod system prune"
    );
    assert!(d.instead[0].protected);
    let d = decide_in(&fs, &[], "--context prod-sock system prune", Ok(&ok));
    assert_eq!(d.decision, Verdict::Allow, "{d:#?}");
}

#[test]
fn without_settings_naming_does_not_help_and_an_unreadable_endpoint_is_protected() {
    let broken = Err("config.toml: unreadable".to_string());
    let d = decide_in(&world("dev"), &[], "--context staging system prune", broken);
    assert_eq!(d.decision, Verdict::Refuse, "{d:#?}");
    let dir = Path::new(HOME).join(".docker");
    let fs = world("dev").with(meta_path(&dir, "odd"), meta("odd", "tcp://[::1"));
    let d = decide_in(
        &fs,
        &[("DOCKER_CONTEXT", "odd")],
        "system prune",
        Ok(&GuardSettings::default()),
    );
    assert_eq!(d.decision, Verdict::Refuse, "{d:#?}");
}

#[test]
fn suggestions_that_reach_no_protected_target_come_first_and_the_others_say_so() {
    let d = decide_line(
        &[("DOCKER_HOST", "tcp://10.0.0.9:2375")],
        "system prune -af",
    );
    let flags: Vec<bool> = d.instead.iter().map(|i| i.protected).collect();
    assert_eq!(flags, [false, true], "{d:#?}");
    let text = d.refusal_text(&[]);
    assert!(text.contains("this runs on PROTECTED prod"), "{text}");
    assert_eq!(text.matches("PROTECTED").count(), 1, "{text}");
}

#[test]
fn it_fails_safe_when_it_cannot_decide() {
    let fs = world("staging");
    let broken = Err("could not parse config.toml".to_string());
    let d = decide_in(&fs, &[], "system prune", broken.clone());
    assert_eq!(d.decision, Verdict::Refuse, "{d:#?}");
    assert!(d
        .reasons
        .iter()
        .any(|r| r.contains("cannot read its settings")));
    // The local default, and whatever is not destructive, still run.
    let local = world("default");
    assert_eq!(
        decide_in(&local, &[], "system prune", broken.clone()).decision,
        Verdict::Allow
    );
    assert_eq!(decide_in(&fs, &[], "ps", broken).decision, Verdict::Allow);
    // A global flag dctx does not know: the line cannot be read.
    let d = decide_in(
        &fs,
        &[],
        "--new-flag system prune",
        Ok(&GuardSettings::default()),
    );
    assert_eq!(d.decision, Verdict::Refuse, "{d:#?}");
    let d = decide_in(
        &fs,
        &[],
        "-c staging compose --new x down",
        Ok(&GuardSettings::default()),
    );
    assert_eq!(d.decision, Verdict::Refuse, "{d:#?}");
}

#[test]
fn a_line_too_long_to_read_is_refused_and_says_so() {
    // After an unknown flag, more words than the guard looks through.
    let line = format!("--new-flag {}", ["ps"; 100].join(" "));
    let d = decide_in(&world("prod"), &[], &line, Ok(&GuardSettings::default()));
    assert_eq!(
        (d.decision, d.destructive),
        (Verdict::Refuse, true),
        "{d:#?}"
    );
    assert!(
        d.reasons.iter().any(|r| r.contains("too long to read")),
        "{d:#?}"
    );
    // No made-up command name in its place.
    assert!(d.reasons.iter().all(|r| !r.contains('`')), "{d:#?}");
    // The same words, fewer of them: read, and not destructive.
    let line = format!("--new-flag {}", ["ps"; 10].join(" "));
    let d = decide_in(&world("prod"), &[], &line, Ok(&GuardSettings::default()));
    assert_eq!(d.decision, Verdict::Allow, "{d:#?}");
}

#[test]
fn protect_all_but_and_confirm_come_from_the_settings() {
    let s = Settings::parse("[guard]\nprotect_all_but = [\"dev\"]\nmode = \"confirm\"\n").unwrap();
    let fs = world("staging");
    let d = decide_in(&fs, &[], "compose down", Ok(&s.guard));
    assert_eq!((d.decision, d.confirm), (Verdict::Refuse, true), "{d:#?}");
    let d = decide_in(
        &fs,
        &[("DOCKER_CONTEXT", "dev")],
        "compose down",
        Ok(&s.guard),
    );
    assert_eq!(d.decision, Verdict::Allow, "{d:#?}");
}

#[test]
fn the_refusal_shows_control_characters_instead_of_sending_them() {
    let d = decide_line(
        &[("DOCKER_HOST", "tcp://10.0.0.9:2375")],
        "system prune -af",
    );
    let text = d.refusal_text(&["system".into(), "prune\x1b[2J".into()]);
    assert!(!text.contains('\x1b'), "{text}");
    assert!(
        text.starts_with("dctx guard: refused: docker system $'prune\\u001b[2J'\n"),
        "{text}"
    );
}

#[test]
fn an_engine_that_is_not_the_pinned_one_is_refused_even_when_named() {
    use crate::engine::{EngineReport, EngineState, Facts, PinnedIdentity, ProbeResult};
    let mut d = decide_line(&[], "--context prod system prune -af");
    assert_eq!(d.decision, Verdict::Allow);
    let pin = PinnedIdentity {
        id: "OLD".into(),
        name: "prod-1".into(),
        pinned_at: "2026-11-30T20:00:00Z".into(),
    };
    let now = ProbeResult {
        state: EngineState::Ok,
        facts: Some(Facts {
            id: "NEW".into(),
            name: "prod-1".into(),
            ..Facts::default()
        }),
        latency_ms: Some(3),
        error: None,
        at_ms: 0,
    };
    let same = ProbeResult {
        facts: Some(Facts {
            id: "OLD".into(),
            ..Facts::default()
        }),
        ..now.clone()
    };
    d.hold_to_pin(&EngineReport::new(true, Some(&same), Some(&pin), 0));
    assert_eq!(d.decision, Verdict::Allow);
    d.hold_to_pin(&EngineReport::new(true, Some(&now), Some(&pin), 0));
    assert_eq!(d.decision, Verdict::Refuse, "{d:#?}");
    assert!(
        d.reasons
            .iter()
            .any(|r| r.contains("ID OLD (prod-1) was pinned")),
        "{d:#?}"
    );
    assert_eq!(command_text(&d.instead[1].argv), "dctx pin prod");
    // Not destructive: the pin does not matter.
    let mut d = decide_line(&[], "--context prod ps");
    d.hold_to_pin(&EngineReport::new(true, Some(&now), Some(&pin), 0));
    assert_eq!(d.decision, Verdict::Allow);
}

#[test]
fn another_config_dir_does_not_unprotect_the_shells_contexts_endpoints() {
    let fs = world("dev").with_located("/run/p.sock", "/run/p.sock", 3);
    let dir = Path::new(HOME).join(".docker");
    let fs = fs.with(
        meta_path(&dir, "prod-sock"),
        meta("prod-sock", "unix:///run/p.sock"),
    );
    let d = decide_in(
        &fs,
        &[("DOCKER_HOST", "unix:///run//p.sock")],
        "--config /elsewhere volume prune -f",
        Ok(&GuardSettings::default()),
    );
    assert_eq!(d.decision, Verdict::Refuse, "{d:#?}");
}

/// One line for `program`, as `dctx exec exec_named` runs it when given.
fn decide_as(
    program: Program,
    exec_named: Option<&str>,
    vars: &[(&str, &str)],
    line: &str,
) -> Decision {
    let env = Env::new(vars.iter().copied(), Some(HOME.into()));
    let args: Vec<OsString> = line.split_whitespace().map(OsString::from).collect();
    decide(&Input {
        env: &env,
        args: &args,
        settings: Ok(&GuardSettings::default()),
        fs: &world("dev"),
        cwd: Path::new("/work"),
        program,
        exec_named,
        compose_file: None,
    })
}

#[test]
fn dctx_exec_names_the_context_it_sets_and_nothing_else() {
    let exec = |name, line| {
        decide_as(
            Program::Docker,
            Some(name),
            &[("DOCKER_CONTEXT", "prod")],
            line,
        )
    };
    let d = exec("prod", "system prune -af");
    assert_eq!((d.decision, d.named), (Verdict::Allow, true), "{d:#?}");
    assert!(d.reasons.iter().any(|r| r.contains("dctx exec")), "{d:#?}");
    // A -H of the line's own, or another context than the one exec named.
    let d = exec("prod", "-H tcp://10.0.0.9:2375 system prune -af");
    assert_eq!(d.decision, Verdict::Refuse, "{d:#?}");
    let d = exec("staging", "system prune -af");
    assert_eq!(d.decision, Verdict::Refuse, "{d:#?}");
    // Without dctx exec, DOCKER_CONTEXT alone names nothing.
    let d = decide_as(
        Program::Docker,
        None,
        &[("DOCKER_CONTEXT", "prod")],
        "system prune -af",
    );
    assert_eq!(d.decision, Verdict::Refuse, "{d:#?}");
}

#[test]
fn compose_lines_are_read_as_docker_compose_reads_them() {
    // compose ignores DOCKER_CONTEXT: config.json's dev is the target.
    let d = decide_as(
        Program::Compose,
        None,
        &[("DOCKER_CONTEXT", "prod")],
        "down",
    );
    assert_eq!(
        (d.decision, d.context.as_str()),
        (Verdict::Allow, "dev"),
        "{d:#?}"
    );
    assert_eq!(d.command, "compose down");
    // And so dctx exec names nothing for it.
    let d = decide_as(
        Program::Compose,
        Some("prod"),
        &[("DOCKER_CONTEXT", "prod")],
        "--verbose down",
    );
    assert!(!d.named, "{d:#?}");
    let d = decide_as(Program::Compose, None, &[], "--cont prod down");
    assert_eq!((d.decision, d.named), (Verdict::Allow, true), "{d:#?}");
    let d = decide_as(
        Program::Compose,
        None,
        &[("DOCKER_HOST", "tcp://10.0.0.9:2375")],
        "-p x down",
    );
    assert_eq!(d.decision, Verdict::Refuse, "{d:#?}");
    assert_eq!(
        d.instead[0].argv[..3],
        ["docker-compose", "--context", "dev"]
    );
    assert!(d
        .refusal_text_of(Program::Compose, &[], Paste::Sh)
        .contains("refused: docker-compose"));
    // docopt refuses an unknown option; the guard fails safe.
    let d = decide_as(
        Program::Compose,
        None,
        &[("DOCKER_HOST", "tcp://10.0.0.9:2375")],
        "--new down",
    );
    assert_eq!(d.decision, Verdict::Refuse, "{d:#?}");
    let d = decide_as(
        Program::Compose,
        None,
        &[("DOCKER_HOST", "tcp://10.0.0.9:2375")],
        "-v down",
    );
    assert_eq!(d.decision, Verdict::Allow, "{d:#?}");
}

#[test]
fn a_compose_env_file_the_guard_cannot_read_leaves_no_target_but_refusal() {
    // Resolution alone says the local default; the .env may say otherwise.
    let fs = world("default").with("./.env", "DOCKER_HOST=\"tcp://10.0.0.9:2375\"\n");
    let env = Env::new([("X", "")], Some(HOME.into()));
    let args: Vec<OsString> = ["down"].iter().map(OsString::from).collect();
    let d = decide(&Input {
        env: &env,
        args: &args,
        settings: Ok(&GuardSettings::default()),
        fs: &fs,
        cwd: Path::new("/work"),
        program: Program::Compose,
        exec_named: None,
        compose_file: None,
    });
    assert_eq!(d.context, "default");
    assert_eq!(d.decision, Verdict::Refuse, "{d:#?}");
}

#[test]
fn a_name_that_is_not_utf8_is_no_proof_that_docker_refuses() {
    // Docker looks a DOCKER_CONTEXT up by the sha256 of its bytes, which
    // need not be UTF-8: a hand-written meta.json there is a context it
    // reaches. dctx reads the name lossily and finds nothing there: it
    // cannot know the endpoint, so whatever the name, it is protected.
    for name in [&b"prod-\xe9u"[..], b"dev-\xe9", b"\xff"] {
        not_utf8_is_refused(name);
    }
}

fn not_utf8_is_refused(name: &[u8]) {
    use sha2::{Digest, Sha256};
    use std::os::unix::ffi::OsStrExt;
    let digest: String = Sha256::digest(name)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let dir = Path::new(HOME).join(".docker");
    let fs = world("dev").with(
        dir.join("contexts/meta").join(digest).join("meta.json"),
        meta(&String::from_utf8_lossy(name), "tcp://10.0.0.7:2375"),
    );
    let env = Env::new(
        [(
            "DOCKER_CONTEXT",
            std::ffi::OsStr::from_bytes(name).to_owned(),
        )],
        Some(HOME.into()),
    );
    let d = decide_env(&fs, &env, "rm -f web", Ok(&GuardSettings::default()));
    assert_eq!(d.decision, Verdict::Refuse, "{d:#?}");
    assert!(d.instead.is_empty(), "no line naming a lossy name: {d:#?}");
}
