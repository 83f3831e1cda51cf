//! `permafrost demo` runs end to end on a small company: every check it
//! makes is compared with the generated chart (a wrong answer fails the
//! run), and it leaves the store only where asked.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

#[test]
fn a_small_demo_runs_and_keeps_its_store_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo-store");
    let out = Command::new(env!("CARGO_BIN_EXE_permafrost"))
        .args([
            "demo",
            "--employees",
            "800",
            "--changes",
            "300",
            "--checks",
            "2000",
            "--moves",
            "20",
            "--db",
            db.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "materialized",
        "check ",
        "who ",
        "stream ",
        "visibility ",
        "committed epoch",
    ] {
        assert!(stdout.contains(line), "missing `{line}` in:\n{stdout}");
    }
    assert!(stdout.contains("kept in"), "{stdout}");
    // The kept store answers like any other.
    let check = Command::new(env!("CARGO_BIN_EXE_permafrost"))
        .args([
            "check",
            "--db",
            db.to_str().unwrap(),
            "User:u0",
            "comment",
            "Review:r1",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&check.stdout), "allowed\n");
}
