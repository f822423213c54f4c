//! `dctx doctor` in sandboxed homes with real shells: where a hidden
//! DOCKER_HOST is exported (file and line, through a sourced file), a
//! startup file that hangs, contexts against the guidance's checklist,
//! and `--json` saying what the text says.

use std::time::Duration;

use dctx_tests::{require_tool, run_bounded, text, Sandbox};

fn doctor(sandbox: &Sandbox, json: bool) -> (Option<i32>, String) {
    let mut cmd = sandbox.dctx("dctx");
    cmd.arg("doctor");
    if json {
        cmd.arg("--json");
    }
    let out = run_bounded(&mut cmd, Duration::from_secs(120));
    (out.status.code(), text(&out.stdout) + &text(&out.stderr))
}

fn findings(sandbox: &Sandbox) -> (Option<i32>, Vec<serde_json::Value>) {
    let (code, out) = doctor(sandbox, true);
    let doc: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"));
    (code, doc["findings"].as_array().expect("findings").clone())
}

#[test]
fn a_docker_host_exported_from_a_sourced_file_is_found_with_its_line() {
    if !require_tool("bash", "doctor test") {
        return;
    }
    let sandbox = Sandbox::new();
    let home = sandbox.home();
    std::fs::create_dir_all(home.join("env")).unwrap();
    std::fs::write(
        home.join("env/docker.sh"),
        "# the team's settings\nexport DOCKER_HOST=tcp://10.9.9.9:2375\n",
    )
    .unwrap();
    std::fs::write(home.join(".bashrc"), "PS1='$ '\n. ~/env/docker.sh\n").unwrap();
    let (code, all) = findings(&sandbox);
    assert_eq!(code, Some(1), "a danger exits 1: {all:#?}");
    let hit = all
        .iter()
        .find(|f| {
            f["kind"] == "exported-at-startup"
                && f["message"]
                    .as_str()
                    .unwrap()
                    .contains("DOCKER_HOST=tcp://10.9.9.9:2375")
        })
        .unwrap_or_else(|| panic!("no finding for the export: {all:#?}"));
    assert_eq!(hit["severity"], "danger");
    assert_eq!(hit["area"], "environment");
    assert_eq!(
        hit["file"],
        home.join("env/docker.sh").display().to_string()
    );
    assert_eq!(hit["line"], 2);
    assert!(
        hit["fix"]
            .as_str()
            .unwrap()
            .contains("docker context create"),
        "{hit}"
    );
    // The text says the same, with the place.
    let (code, human) = doctor(&sandbox, false);
    assert_eq!(code, Some(1));
    assert!(
        human.contains(&format!("at:  {}:2", home.join("env/docker.sh").display())),
        "{human}"
    );
    assert!(human.contains("DANGER"), "{human}");
}

#[test]
fn zsh_startup_files_are_traced_too() {
    if !require_tool("zsh", "doctor zsh test") {
        return;
    }
    let sandbox = Sandbox::new();
    std::fs::write(
        sandbox.home().join(".zshenv"),
        "\n\nexport DOCKER_CONTEXT=prod\n",
    )
    .unwrap();
    let (_, all) = findings(&sandbox);
    let hit = all
        .iter()
        .find(|f| {
            f["message"]
                .as_str()
                .unwrap()
                .contains("zsh (login) shell exports DOCKER_CONTEXT=prod")
        })
        .unwrap_or_else(|| panic!("no zsh finding: {all:#?}"));
    assert_eq!(
        hit["file"],
        sandbox.home().join(".zshenv").display().to_string()
    );
    assert_eq!(hit["line"], 3);
    assert_eq!(hit["severity"], "warn");
}

#[test]
fn a_startup_file_that_hangs_is_cut_off_and_said() {
    if !require_tool("bash", "doctor hang test") {
        return;
    }
    let sandbox = Sandbox::new();
    std::fs::write(sandbox.home().join(".bashrc"), "sleep 1000\n").unwrap();
    let (_, all) = findings(&sandbox);
    assert!(
        all.iter().any(|f| f["kind"] == "startup-cut-off"
            && f["message"]
                .as_str()
                .unwrap()
                .starts_with("bash (interactive)")),
        "{all:#?}"
    );
}

#[test]
fn root_over_ssh_and_tcp_without_tls_are_dangers() {
    if !require_tool("docker", "doctor contexts test") {
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.create_contexts(&[
        ("prod", "ssh://root@prod-01"),
        ("ci", "tcp://10.0.0.5:2375"),
    ]);
    let (code, all) = findings(&sandbox);
    assert_eq!(code, Some(1));
    let kinds: Vec<(&str, &str)> = all
        .iter()
        .filter(|f| f["area"] == "contexts")
        .map(|f| (f["kind"].as_str().unwrap(), f["severity"].as_str().unwrap()))
        .collect();
    for want in [
        ("ssh-as-root", "danger"),
        ("tcp-without-tls", "danger"),
        ("no-description", "info"),
    ] {
        assert!(kinds.contains(&want), "{want:?} not in {kinds:?}");
    }
}
