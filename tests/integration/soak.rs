//! The soak program's short mode: a real daemon under a thousand shells,
//! `docker context use`, replaced and deleted files, hostile clients and a
//! kill -9, with every answer checked against direct resolution.

use dctx_tests::{bin_dir, require_tool, run, whole_machine};

#[test]
fn a_short_soak_gets_every_answer_right_and_survives_everything() {
    if !require_tool("docker", "soak test") {
        return;
    }
    let _alone = whole_machine();
    let out = run(std::process::Command::new(bin_dir().join("dctx-soak"))
        .arg("--short")
        .arg("--dctx")
        .arg(bin_dir().join("dctx")));
    let report = String::from_utf8_lossy(&out.stdout);
    println!("{report}");
    assert!(
        out.status.success() && report.contains("result: PASS"),
        "the soak failed:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
