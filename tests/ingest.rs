//! `permafrost ingest` end to end: good and bad lines, dead letters,
//! resuming after the committed offset, and kill -9 at random moments —
//! after every restart the store equals the reference evaluation of exactly
//! the lines before its committed offset, its epoch never goes back, and no
//! acknowledged epoch is lost.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use engine::{check_policy, reference, Fact, Program};
use ingest::{parse_event_line, FactSet};
use permafrost::commands::store_reads::{self, StoreView};
use permafrost::demo::org::Rng;
use permafrost::load::read_source;
use storage::Store;

const POLICY: &str = "policies/org_chart.polar";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn program() -> Program {
    check_policy(&read_source(&root().join(POLICY)).unwrap()).unwrap()
}

fn permafrost(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_permafrost"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

fn user(i: usize) -> String {
    format!(r#"{{"type":"User","id":"u{i}"}}"#)
}

fn op(op: &str, predicate: &str, args: &[String]) -> String {
    format!(
        r#"{{"op":"{op}","fact":{{"predicate":"{predicate}","args":[{}]}}}}"#,
        args.join(",")
    )
}

/// An org of `people` (u0 the root, each managed by a lower number), a review
/// each, as a facts file.
fn org_facts(people: usize, rng: &mut Rng) -> (String, Vec<usize>) {
    let managers: Vec<usize> = (0..people).map(|e| rng.below(e.max(1))).collect();
    let mut text = String::new();
    for (e, m) in managers.iter().enumerate().skip(1) {
        text += &format!("manager(User{{\"u{m}\"}}, User{{\"u{e}\"}});\n");
    }
    for e in 0..people {
        text += &format!("review_of(Review{{\"r{e}\"}}, User{{\"u{e}\"}});\n");
    }
    (text, managers)
}

/// `lines` event lines: manager moves as atomic batches, hires, redundant
/// inserts and deletes, and about one bad line in twelve.
fn events(lines: usize, managers: &mut Vec<usize>, rng: &mut Rng) -> String {
    let mut out = String::new();
    for _ in 0..lines {
        let people = managers.len();
        let line = match rng.below(12) {
            0 => match rng.below(4) {
                0 => "{not json".to_string(),
                1 => op("insert", "reports_to", &[user(1), user(2)]),
                2 => op(
                    "insert",
                    "manager",
                    &[user(1), r#"{"type":"Review","id":"r1"}"#.into()],
                ),
                _ => {
                    r#"{"batch":[{"op":"insert","fact":{"predicate":"manager","args":[]}}]}"#.into()
                }
            },
            1 | 2 => {
                let e = people;
                let m = rng.below(people);
                managers.push(m);
                op("insert", "manager", &[user(m), user(e)])
            }
            3 => {
                // Redundant: insert a present fact, delete an absent one.
                let e = 1 + rng.below(people - 1);
                let absent = (managers[e] + 1) % people;
                format!(
                    r#"{{"batch":[{},{}]}}"#,
                    op("insert", "manager", &[user(managers[e]), user(e)]),
                    op("delete", "manager", &[user(absent), user(e)])
                )
            }
            _ => {
                // Move e under a manager that is not below it (lower number).
                let e = 1 + rng.below(people - 1);
                let new = rng.below(e.min(people - 1).max(1));
                let old = managers[e];
                managers[e] = new;
                format!(
                    r#"{{"batch":[{},{}]}}"#,
                    op("delete", "manager", &[user(old), user(e)]),
                    op("insert", "manager", &[user(new), user(e)])
                )
            }
        };
        out += &line;
        out.push('\n');
    }
    out
}

/// The facts after the initial facts and every accepted event line that
/// ends at or before `offset`.
fn expected_facts(program: &Program, initial: &[Fact], events: &str, offset: u64) -> FactSet {
    let mut facts = FactSet::new();
    facts.extend(initial.iter().cloned());
    let mut end = 0u64;
    for line in events.split_inclusive('\n') {
        end += line.len() as u64;
        if end > offset {
            break;
        }
        if let Ok(changes) = parse_event_line(program, line.trim_end()) {
            facts.apply(&changes);
        }
    }
    facts
}

/// The store holds exactly `facts` and the `allow` tuples the reference
/// evaluator derives from them.
fn assert_store_is(db: &Path, program: &Program, facts: &FactSet, context: &str) {
    let store = Store::open_read_only(db).unwrap();
    let reader = store.read().unwrap();
    let mut stored: Vec<Fact> = reader.facts().unwrap().map(Result::unwrap).collect();
    stored.sort();
    let mut wanted: Vec<Fact> = facts.iter().cloned().collect();
    wanted.sort();
    assert_eq!(stored, wanted, "{context}: stored facts");
    let model = reference::evaluate(program, facts.iter(), 0);
    let allow = program.pred("allow").unwrap();
    let mut expected: Vec<String> = model
        .tuples(allow)
        .map(|t| Fact::new("allow", t.to_vec()).to_string())
        .collect();
    expected.sort();
    drop(reader);
    let view = StoreView::open(db).unwrap();
    let got = store_reads::query(&view, "allow(a, b, c)", permafrost::load::now()).unwrap();
    assert_eq!(got, expected, "{context}: stored allow tuples");
}

fn offset_of(db: &Path, events: &Path) -> u64 {
    let key = std::fs::canonicalize(events).unwrap().display().to_string();
    let store = Store::open_read_only(db).unwrap();
    let offset = store.read().unwrap().source_offset(&key).unwrap();
    offset.unwrap_or(0)
}

/// A store loaded with a generated org, and an event file for it.
struct Fixture {
    _dir: tempfile::TempDir,
    db: PathBuf,
    events_path: PathBuf,
    events: String,
    initial: Vec<Fact>,
    program: Program,
}

fn fixture(people: usize, lines: usize, seed: u64) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(seed);
    let (facts_text, mut managers) = org_facts(people, &mut rng);
    let events = events(lines, &mut managers, &mut rng);
    let facts_path = dir.path().join("org.facts");
    let events_path = dir.path().join("events.jsonl");
    std::fs::write(&facts_path, &facts_text).unwrap();
    std::fs::write(&events_path, &events).unwrap();
    let db = dir.path().join("store");
    let out = permafrost(&[
        "load",
        "--db",
        db.to_str().unwrap(),
        "--policy",
        POLICY,
        "--facts",
        facts_path.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let program = program();
    let file = engine::SourceFile::new("org.facts", facts_text);
    let initial = engine::facts::parse_facts_file(&program, &file).unwrap();
    Fixture {
        _dir: dir,
        db,
        events_path,
        events,
        initial,
        program,
    }
}

#[test]
fn good_lines_apply_bad_lines_go_to_the_dead_letter_file_and_a_rerun_applies_nothing() {
    let f = fixture(60, 300, 7);
    let dead = f.db.with_file_name("dead.jsonl");
    let args = [
        "ingest",
        "--db",
        f.db.to_str().unwrap(),
        f.events_path.to_str().unwrap(),
        "--dead-letter",
        dead.to_str().unwrap(),
        "--max-events",
        "16",
    ];
    let out = permafrost(&args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    // Every bad line is reported with its number and reason, and dead-lettered.
    let program = &f.program;
    let bad: Vec<usize> = f
        .events
        .lines()
        .enumerate()
        .filter(|(_, l)| parse_event_line(program, l).is_err())
        .map(|(i, _)| i + 1)
        .collect();
    assert!(bad.len() > 5);
    let path = f.events_path.display().to_string();
    for line in &bad {
        assert!(
            stderr.contains(&format!("{path}:{line}: rejected: ")),
            "line {line}: {stderr}"
        );
    }
    let dead_lines: Vec<serde_json::Value> = std::fs::read_to_string(&dead)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let numbers: Vec<usize> = dead_lines
        .iter()
        .map(|d| d["line"].as_u64().unwrap() as usize)
        .collect();
    assert_eq!(numbers, bad);
    assert!(dead_lines
        .iter()
        .all(|d| !d["error"].as_str().unwrap().is_empty()));
    let end = f.events.len() as u64;
    assert_eq!(offset_of(&f.db, &f.events_path), end);
    assert_store_is(
        &f.db,
        program,
        &expected_facts(program, &f.initial, &f.events, end),
        "after ingest",
    );

    // A fully ingested file applies nothing and exits 0.
    let again = permafrost(&args);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("applied 0 lines"));
}

#[test]
fn standard_input_is_a_source() {
    let f = fixture(30, 80, 11);
    let mut child = Command::new(env!("CARGO_BIN_EXE_permafrost"))
        .args(["ingest", "--db", f.db.to_str().unwrap(), "-"])
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(f.events.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let end = f.events.len() as u64;
    let facts = expected_facts(&f.program, &f.initial, &f.events, end);
    assert_store_is(&f.db, &f.program, &facts, "after stdin");
}

/// Starts `permafrost ingest` with `--print-epochs` and `extra` arguments;
/// answers the child and the epochs it acknowledges, as they come.
fn spawn_acknowledging_ingest(
    f: &Fixture,
    extra: &[&str],
) -> (Child, mpsc::Receiver<u64>, std::thread::JoinHandle<()>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_permafrost"))
        .args([
            "ingest",
            "--db",
            f.db.to_str().unwrap(),
            f.events_path.to_str().unwrap(),
            "--print-epochs",
        ])
        .args(extra)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, acks) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(epoch) = line.strip_prefix("epoch ") {
                let _ = tx.send(epoch.parse::<u64>().unwrap());
            }
        }
    });
    (child, acks, reader)
}

/// Starts an ingest that acknowledges each epoch on stdout, kills it with
/// SIGKILL after `after`, and answers the epochs it acknowledged.
fn ingest_and_kill(f: &Fixture, after: Duration) -> (Vec<u64>, bool) {
    let (mut child, rx, reader) = spawn_acknowledging_ingest(f, &["--max-events", "8"]);
    std::thread::sleep(after);
    child.kill().unwrap();
    let status = child.wait().unwrap();
    reader.join().unwrap();
    (rx.try_iter().collect(), status.success())
}

#[test]
fn kill_dash_nine_at_random_moments_loses_nothing_and_applies_nothing_twice() {
    let f = fixture(200, 20_000, 42);
    let mut rng = Rng::new(2026);
    let mut last_epoch = Store::open_read_only(&f.db)
        .unwrap()
        .committed_epoch()
        .unwrap();
    let mut kills = 0;
    let mut mid_stream = 0;
    for round in 0..40 {
        let after = Duration::from_millis(20 + rng.below(400) as u64);
        let (acknowledged, finished) = ingest_and_kill(&f, after);
        let store = Store::open_read_only(&f.db).unwrap();
        let epoch = store.committed_epoch().unwrap();
        drop(store);
        let context = format!("round {round}, killed after {after:?}");
        assert!(
            epoch >= last_epoch,
            "{context}: epoch went back from {last_epoch} to {epoch}"
        );
        if let Some(acked) = acknowledged.iter().max() {
            assert!(
                epoch >= *acked,
                "{context}: acknowledged epoch {acked} lost (store at {epoch})"
            );
        }
        let offset = offset_of(&f.db, &f.events_path);
        let facts = expected_facts(&f.program, &f.initial, &f.events, offset);
        assert_store_is(&f.db, &f.program, &facts, &context);
        if !finished {
            kills += 1;
            if offset > 0 && offset < f.events.len() as u64 {
                mid_stream += 1;
            }
        }
        last_epoch = epoch;
        if kills >= 25 || offset == f.events.len() as u64 {
            break;
        }
    }
    eprintln!("{kills} kills, {mid_stream} in mid-stream, last epoch {last_epoch}");
    assert!(kills >= 20, "only {kills} kills landed");
    assert!(
        mid_stream >= 10,
        "only {mid_stream} kills landed mid-stream"
    );
    // Finally, run to the end: the store equals an uninterrupted evaluation.
    let out = permafrost(&[
        "ingest",
        "--db",
        f.db.to_str().unwrap(),
        f.events_path.to_str().unwrap(),
    ]);
    assert!(matches!(out.status.code(), Some(0 | 3)));
    let end = f.events.len() as u64;
    assert_eq!(offset_of(&f.db, &f.events_path), end);
    let facts = expected_facts(&f.program, &f.initial, &f.events, end);
    assert_store_is(&f.db, &f.program, &facts, "after the final run");
}

#[test]
fn a_replaced_file_is_read_from_its_start() {
    let f = fixture(30, 40, 5);
    let db = f.db.to_str().unwrap();
    let events = f.events_path.to_str().unwrap();
    let first = permafrost(&["ingest", "--db", db, events]);
    assert!(matches!(first.status.code(), Some(0 | 3)));
    // Another file (new inode) at the same path, longer than the first.
    let mut rng = Rng::new(99);
    let mut managers: Vec<usize> = (0..30).map(|e| e / 2).collect();
    let second = format!("{}{}", f.events, events_text_more(&mut managers, &mut rng));
    let replacement = f.events_path.with_extension("new");
    std::fs::write(&replacement, &second).unwrap();
    std::fs::rename(&replacement, &f.events_path).unwrap();
    let out = permafrost(&["ingest", "--db", db, events]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("was replaced"), "{stderr}");
    assert!(!stderr.contains("applied 0 lines"), "{stderr}");
    assert_eq!(offset_of(&f.db, &f.events_path), second.len() as u64);
}

fn events_text_more(managers: &mut Vec<usize>, rng: &mut Rng) -> String {
    events(20, managers, rng)
}

/// Waits until the child acknowledged an epoch at least `epoch`.
fn wait_for_epoch(acks: &mpsc::Receiver<u64>, epoch: u64) -> u64 {
    loop {
        let acked = acks
            .recv_timeout(Duration::from_secs(30))
            .expect("an epoch acknowledgment within 30 s");
        if acked >= epoch {
            return acked;
        }
    }
}

#[test]
fn a_followed_file_is_applied_as_it_grows_and_across_a_rotation() {
    let f = fixture(20, 0, 3);
    std::fs::write(&f.events_path, "").unwrap();
    let (mut child, acks, _reader) = spawn_acknowledging_ingest(&f, &["--follow"]);
    let hire = |m: usize, e: usize| op("insert", "manager", &[user(m), user(e)]) + "\n";
    let holds = |m: usize, e: usize| {
        let view = StoreView::open(&f.db).unwrap();
        let atom = format!(r#"manager(User{{"u{m}"}}, User{{"u{e}"}})"#);
        store_reads::query(&view, &atom, permafrost::load::now())
            .unwrap()
            .len()
            == 1
    };
    let append = |text: &str| {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&f.events_path)
            .unwrap();
        file.write_all(text.as_bytes()).unwrap();
    };
    // Grows: a whole line, then a line written in two pieces.
    append(&hire(0, 100));
    let epoch = wait_for_epoch(&acks, 0);
    assert!(holds(0, 100));
    let line = hire(0, 101);
    let (head, tail) = line.split_at(20);
    append(head);
    std::thread::sleep(Duration::from_millis(150));
    assert!(!holds(0, 101), "half a line must not be applied");
    append(tail);
    let epoch = wait_for_epoch(&acks, epoch + 1);
    assert!(holds(0, 101));
    // Rotates: the file is renamed away and a new one takes its path.
    std::fs::rename(&f.events_path, f.events_path.with_extension("1")).unwrap();
    std::fs::write(&f.events_path, hire(0, 102)).unwrap();
    wait_for_epoch(&acks, epoch + 1);
    assert!(holds(0, 102));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(offset_of(&f.db, &f.events_path), hire(0, 102).len() as u64);
}
