//! What a user expects of a polished command-line tool: a version that
//! tells builds apart, and the licence files the manifest declares.

use dctx_tests::{run, text, Sandbox};

#[test]
fn version_names_the_build_that_the_daemon_handshake_compares() {
    let sandbox = Sandbox::new();
    for bin in ["dctx", "dctx-prompt"] {
        let out = run(sandbox.dctx(bin).arg("--version"));
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(
            text(&out.stdout),
            format!(
                "{bin} {} (build {})\n",
                env!("CARGO_PKG_VERSION"),
                dctx_ipc::build_id::BUILD_ID
            )
        );
    }
}

#[test]
fn the_licences_the_manifest_declares_are_there() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains("license = \"MIT OR Apache-2.0\""),
        "{manifest}"
    );
    let mit = std::fs::read_to_string(root.join("LICENSE-MIT")).unwrap();
    assert!(mit.contains("Permission is hereby granted, free of charge"));
    let apache = std::fs::read_to_string(root.join("LICENSE-APACHE")).unwrap();
    assert!(apache.contains("Apache License") && apache.contains("Version 2.0"));
}

/// The built-in production rule is described once, in code: the README
/// and `dctx-prompt --help` say the same words.
#[test]
fn the_production_rule_is_described_the_same_everywhere() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let description = dctx_core::pattern::BUILTIN_DANGER_DESCRIPTION;
    assert!(
        readme.matches(description).count() >= 2,
        "README lacks: {description}"
    );
    for stale in ["`*prod*`", "\"*prod*\""] {
        assert!(!readme.contains(stale), "README still says {stale}");
    }
    let sandbox = Sandbox::new();
    let help = text(&run(sandbox.dctx("dctx-prompt").arg("--help")).stdout);
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(help.contains(description), "{help}");
}

/// The placeholders are listed once, in code: the README and
/// `dctx-prompt --help` name every one of them.
#[test]
fn every_placeholder_is_documented_where_users_look() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let list = dctx_core::format::placeholder_list();
    assert!(readme.contains(&list), "README lacks: {list}");
    let sandbox = Sandbox::new();
    let help = text(&run(sandbox.dctx("dctx-prompt").arg("--help")).stdout);
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(help.contains(&list), "{help}");
}

/// The README's first command, `cargo run --release -q -p dctx -- status`,
/// in the test's own profile: the package has two binaries, and cargo
/// must know which one `cargo run` means.
#[test]
fn the_readmes_run_command_knows_which_binary() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(readme.contains("cargo run --release -q -p dctx -- status"));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["run", "-q", "-p", "dctx", "--", "--version"])
        .current_dir(root)
        .output()
        .expect("cargo run");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("dctx "),
        "{}",
        text(&out.stdout)
    );
}
