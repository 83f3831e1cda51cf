//! `permafrost repl` on a real terminal: a pseudo-terminal from `script`
//! (util-linux, on every Debian), keystrokes in, the screen out. Checks
//! that lines are edited (backspace), that the up arrow recalls the last
//! line, and that the history outlives the session.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const PROMPT: &str = "permafrost> ";

#[test]
fn terminal_session_edits_lines_and_keeps_history() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    let command = format!(
        "{} repl --policy policies/org_chart.polar --facts tests/cases/org_chart_large/facts.facts --history {}",
        env!("CARGO_BIN_EXE_permafrost"),
        history.display()
    );
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("`script` (util-linux) runs the repl on a pseudo-terminal");
    let screen = Arc::new(Mutex::new(String::new()));
    let mut stdout = child.stdout.take().unwrap();
    let reader = {
        let screen = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                screen
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        })
    };
    let mut keys = child.stdin.take().unwrap();
    let wait_for_prompt = |n: usize| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while screen.lock().unwrap().matches(PROMPT).count() < n {
            assert!(
                Instant::now() < deadline,
                "no prompt {n}:\n{}",
                screen.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    // A typo erased with backspace, then the line run.
    wait_for_prompt(1);
    keys.write_all(b"manages(User{\"ceo\"}, whoX\x7f)\r")
        .unwrap();
    // The up arrow recalls it; run it again.
    wait_for_prompt(2);
    keys.write_all(b"\x1b[A\r").unwrap();
    wait_for_prompt(3);
    keys.write_all(b"quit\r").unwrap();
    keys.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the repl did not quit");
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(keys);
    reader.join().unwrap();
    let screen = screen.lock().unwrap().clone();
    // Both runs answered; the erased `X` never reached the evaluator.
    let answer = "manages(User{\"ceo\"}, User{\"ann\"})";
    assert_eq!(screen.matches(answer).count(), 2, "{screen}");
    assert!(!screen.contains("unknown"), "{screen}");
    let saved = std::fs::read_to_string(&history).unwrap();
    assert!(
        saved.contains("manages(User{\"ceo\"}, who)"),
        "history: {saved}"
    );
}
