//! The store answers like the evaluators: every data-driven case and every
//! example policy's test setups, loaded into a store, give the same `allow`
//! tuples through `query --db`, `check`, `who` and `actions` as evaluation
//! without a store; reopening verifies, repairs and rebuilds.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use engine::reference;
use engine::{check_policy, Program, Value};
use ingest::{read_event_file, Change, FactSet, Op};
use permafrost::commands::store_reads::{self, PageArgs, StoreView};
use permafrost::load::{load_facts, read_source};
use permafrost::materializer::{Materializer, MaterializerConfig};
use storage::{EpochCommit, Permission, Store};

const DEFAULT_NOW: i64 = 1_700_000_000;

fn config() -> MaterializerConfig {
    MaterializerConfig { workers: 1 }
}

/// The `allow` lines the reference evaluator derives from `facts`.
fn reference_allow(program: &Program, facts: &FactSet, now: i64) -> Vec<String> {
    let model = reference::evaluate(program, facts.iter(), now);
    let Some(allow) = program.pred("allow") else {
        return Vec::new();
    };
    let mut lines: Vec<String> = model
        .tuples(allow)
        .map(|t| engine::Fact::new("allow", t.to_vec()).to_string())
        .collect();
    lines.sort();
    lines
}

/// Every read of the store at `at` agrees with `expected` (the sorted
/// `allow` lines).
fn assert_reads_agree(dir: &Path, expected: &[String], at: i64, context: &str) {
    let view = StoreView::open(dir).unwrap();
    if view.program().pred("allow").is_some() {
        let stored = store_reads::query(&view, "allow(actor, action, resource)", at).unwrap();
        assert_eq!(stored, expected, "{context}: stored allow tuples");
    }
    let reader = view.read().unwrap();
    let permissions: Vec<Permission> = reader
        .permissions()
        .unwrap()
        .map(Result::unwrap)
        .filter(|(_, validity)| validity.contains(at))
        .map(|(permission, _)| permission)
        .collect();
    assert_eq!(
        permissions.len(),
        expected.len(),
        "{context}: stored tuples"
    );
    let resources: BTreeSet<Value> = permissions.iter().map(|p| p.resource.clone()).collect();
    let actors: BTreeSet<Value> = permissions.iter().map(|p| p.actor.clone()).collect();
    let actions: BTreeSet<Value> = permissions.iter().map(|p| p.action.clone()).collect();
    let present: BTreeSet<&Permission> = permissions.iter().collect();
    for actor in &actors {
        for resource in &resources {
            let mut allowed = Vec::new();
            for action in &actions {
                let p = Permission::new(actor.clone(), action.clone(), resource.clone());
                let checked = reader.check(actor, action, resource, at).unwrap();
                assert_eq!(checked, present.contains(&p), "{context}: check {p:?}");
                if checked {
                    allowed.push(action.clone());
                }
            }
            allowed.sort_by_key(ToString::to_string);
            assert_eq!(
                reader.actions(actor, resource, at).unwrap(),
                allowed,
                "{context}: actions"
            );
        }
    }
    for resource in &resources {
        for action in &actions {
            let mut expected: Vec<String> = permissions
                .iter()
                .filter(|p| &p.resource == resource && &p.action == action)
                .map(|p| p.actor.to_string())
                .collect();
            expected.sort();
            let who: Vec<String> = reader
                .who(action, resource, None, usize::MAX, at)
                .unwrap()
                .map(|v| v.unwrap().to_string())
                .collect();
            assert_eq!(who, expected, "{context}: who {action} {resource}");
        }
    }
}

#[test]
fn every_case_loaded_into_a_store_answers_like_the_reference() {
    let cases = common::cases();
    assert!(cases.len() >= 8);
    for case in &cases {
        let times: BTreeSet<i64> = case
            .queries
            .iter()
            .map(|q| q.at.unwrap_or(DEFAULT_NOW))
            .collect();
        // One materialization answers at every time: nothing is recomputed
        // as the clock moves.
        let dir = tempfile::tempdir().unwrap();
        let policy = read_source(&case.policy()).unwrap();
        let program = check_policy(&policy).unwrap();
        let (mut materializer, _) =
            Materializer::open(dir.path(), Some(policy), &config()).unwrap();
        let mut facts = FactSet::new();
        let base: Vec<Change> = load_facts(&program, &case.facts())
            .unwrap()
            .into_iter()
            .map(|fact| Change {
                op: Op::Insert,
                fact,
            })
            .collect();
        facts.apply(&base);
        materializer.apply(&base, Vec::new()).unwrap();
        if let Some(events) = case.events() {
            let (accepted, _) = read_event_file(&program, &events).unwrap();
            for changes in accepted {
                facts.apply(&changes);
                materializer.apply(&changes, Vec::new()).unwrap();
            }
        }
        drop(materializer);
        let view = StoreView::open(dir.path()).unwrap();
        for now in times {
            let context = format!("case {} at {now}", case.name);
            assert_reads_agree(
                dir.path(),
                &reference_allow(&program, &facts, now),
                now,
                &context,
            );
            // The case's own expected answers, for its `allow` and base queries.
            for query in case
                .queries
                .iter()
                .filter(|q| q.at.unwrap_or(DEFAULT_NOW) == now)
            {
                let name = query.atom.split('(').next().unwrap().trim();
                let pred = program.pred(name).unwrap();
                if name == "allow" || store_reads::is_base(&program, pred) {
                    let lines = store_reads::query(&view, &query.atom, now).unwrap();
                    assert_eq!(lines, query.expected, "{context}: line {}", query.line);
                }
            }
        }
    }
}

/// The hospital policy through the write path: random visits, grants and
/// on-call shifts inserted and deleted over several epochs into one store;
/// after each epoch every read at every window edge equals the reference
/// evaluator at that time.
#[test]
fn hospital_store_answers_like_the_reference_at_every_window_edge() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let policy = read_source(&root.join("policies/hospital.polar")).unwrap();
    let program = check_policy(&policy).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (mut materializer, _) = Materializer::open(dir.path(), Some(policy), &config()).unwrap();
    const DAY: i64 = 86_400;
    let doctor = |i: u64| Value::entity("Doctor", format!("d{}", i % 3));
    let patient = |i: u64| Value::entity("Patient", format!("p{}", i % 4));
    let ward = |i: u64| Value::entity("Ward", format!("w{}", i % 2));
    let mut rng = permafrost::demo::org::Rng::new(0x5eed);
    let mut facts = FactSet::new();
    for epoch in 0..6 {
        let mut changes = Vec::new();
        for _ in 0..8 {
            let (a, b, c) = (rng.next_u64(), rng.next_u64(), rng.next_u64());
            let t = DEFAULT_NOW + (c % 17) as i64 * DAY / 2 - 4 * DAY + (c % 3) as i64;
            let fact = match a % 6 {
                0..=2 => engine::Fact::new("visit", vec![doctor(b), patient(c), Value::Int(t)]),
                3 => engine::Fact::new(
                    "grant",
                    vec![
                        doctor(b),
                        Value::str("consultant"),
                        patient(c),
                        Value::Int(t),
                    ],
                ),
                4 => engine::Fact::new(
                    "on_call",
                    vec![doctor(b), ward(c), Value::Int(t), Value::Int(t + DAY)],
                ),
                _ => engine::Fact::new("admitted", vec![patient(b), ward(c)]),
            };
            // Later epochs delete about a third of what they name.
            let op = if epoch > 1 && a % 3 == 0 {
                Op::Delete
            } else {
                Op::Insert
            };
            changes.push(Change { op, fact });
        }
        facts.apply(&changes);
        materializer.apply(&changes, Vec::new()).unwrap();
        let mut times = BTreeSet::new();
        for fact in facts.iter() {
            for value in &fact.args {
                if let Value::Int(t) = value {
                    for edge in [*t, t - 2 * DAY, t + 7 * DAY] {
                        times.extend([edge - 1, edge, edge + 1]);
                    }
                }
            }
        }
        for at in times {
            let context = format!("hospital after epoch {epoch} at {at}");
            assert_reads_agree(
                dir.path(),
                &reference_allow(&program, &facts, at),
                at,
                &context,
            );
        }
    }
}

#[test]
fn every_example_policy_setup_loaded_into_a_store_answers_like_the_reference() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut count = 0;
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "polar") {
            continue;
        }
        let policy = read_source(&path).unwrap();
        let program = check_policy(&policy).unwrap();
        for test in &program.tests {
            count += 1;
            let now = test.at.unwrap_or(DEFAULT_NOW);
            let dir = tempfile::tempdir().unwrap();
            let (mut materializer, _) =
                Materializer::open(dir.path(), Some(policy.clone()), &config()).unwrap();
            let changes: Vec<Change> = test
                .setup
                .iter()
                .map(|fact| Change {
                    op: Op::Insert,
                    fact: fact.clone(),
                })
                .collect();
            materializer.apply(&changes, Vec::new()).unwrap();
            drop(materializer);
            let mut facts = FactSet::new();
            facts.apply(&changes);
            let context = format!("{} test {:?}", path.display(), test.name);
            assert_reads_agree(
                dir.path(),
                &reference_allow(&program, &facts, now),
                now,
                &context,
            );
        }
    }
    assert!(count >= 10, "expected the example policies' test blocks");
}

fn org_chart_store(dir: &Path) -> Program {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let policy = read_source(&root.join("policies/org_chart.polar")).unwrap();
    let program = check_policy(&policy).unwrap();
    let facts = load_facts(
        &program,
        &[root.join("tests/cases/org_chart_large/facts.facts")],
    )
    .unwrap();
    let (mut materializer, report) = Materializer::open(dir, Some(policy), &config()).unwrap();
    assert!(report.rebuilt.is_some(), "a new store records its policy");
    let changes: Vec<Change> = facts
        .into_iter()
        .map(|fact| Change {
            op: Op::Insert,
            fact,
        })
        .collect();
    let epoch = materializer.apply(&changes, Vec::new()).unwrap();
    assert!(epoch.stats.granted > 50);
    program
}

#[test]
fn reopening_verifies_and_repairs_the_materialization() {
    let dir = tempfile::tempdir().unwrap();
    org_chart_store(dir.path());
    let expected = store_reads::query(
        &StoreView::open(dir.path()).unwrap(),
        "allow(a, b, c)",
        DEFAULT_NOW,
    )
    .unwrap();

    // A clean reopen rebuilds the dataflow and finds nothing to change.
    let (materializer, report) = Materializer::open(dir.path(), None, &config()).unwrap();
    assert_eq!((report.rebuilt, report.repaired), (None, None));
    assert_eq!(report.tuples, expected.len());
    let epoch = materializer.store().committed_epoch().unwrap();
    drop(materializer);

    // Tamper: grant a tuple nothing derives, revoke one that is derived.
    {
        let store = Store::open(dir.path()).unwrap();
        let bogus = Permission::new(
            Value::entity("User", "intruder"),
            Value::str("read"),
            Value::entity("Review", "r_ceo"),
        );
        let reader = store.read().unwrap();
        let (real, _) = reader.permissions().unwrap().next().unwrap().unwrap();
        drop(reader);
        store
            .commit_epoch(&EpochCommit {
                epoch: epoch + 1,
                permissions: vec![
                    (bogus, storage::Validity::always()),
                    (real, storage::Validity::never()),
                ],
                ..EpochCommit::default()
            })
            .unwrap();
    }
    let (materializer, report) = Materializer::open(dir.path(), None, &config()).unwrap();
    let repaired = report.repaired.expect("the tampering is found");
    assert_eq!((repaired.granted, repaired.revoked), (1, 1));
    assert!(materializer.store().committed_epoch().unwrap() > epoch + 1);
    drop(materializer);
    let view = StoreView::open(dir.path()).unwrap();
    assert_eq!(
        store_reads::query(&view, "allow(a, b, c)", DEFAULT_NOW).unwrap(),
        expected
    );
}

#[test]
fn a_new_policy_rebuilds_and_a_bad_one_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    org_chart_store(dir.path());
    let before = store_reads::query(
        &StoreView::open(dir.path()).unwrap(),
        "allow(a, b, c)",
        DEFAULT_NOW,
    )
    .unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("policies/org_chart.polar")).unwrap();

    // A policy whose declarations reject the stored facts is refused.
    let github = read_source(&root.join("policies/github.polar")).unwrap();
    let err = Materializer::open(dir.path(), Some(github), &config())
        .err()
        .unwrap();
    assert!(err.to_string().contains("does not fit the policy"), "{err}");
    // A policy with errors is refused with its diagnostics.
    let broken = engine::SourceFile::new("broken.polar", format!("{text}\nallow(x, y) if;"));
    assert!(Materializer::open(dir.path(), Some(broken), &config()).is_err());
    let view = StoreView::open(dir.path()).unwrap();
    assert_eq!(
        store_reads::query(&view, "allow(a, b, c)", DEFAULT_NOW).unwrap(),
        before
    );
    drop(view);

    // Dropping the recursive rule (direct managers only) rebuilds.
    let recursive = "manages(m: User, e: User) if manager(m, x) and manages(x, e);";
    assert!(text.contains(recursive));
    let narrower = engine::SourceFile::new("narrower.polar", text.replace(recursive, ""));
    let (_, report) = Materializer::open(dir.path(), Some(narrower), &config()).unwrap();
    let rebuilt = report.rebuilt.expect("a changed policy rebuilds");
    assert!(rebuilt.revoked > 0 && rebuilt.granted == 0, "{rebuilt:?}");
    let view = StoreView::open(dir.path()).unwrap();
    let after = store_reads::query(&view, "allow(a, b, c)", DEFAULT_NOW).unwrap();
    assert_eq!(after.len(), before.len() - rebuilt.revoked);
}

#[test]
fn readers_answer_while_a_writer_holds_the_store() {
    let dir = tempfile::tempdir().unwrap();
    org_chart_store(dir.path());
    let (mut writer, _) = Materializer::open(dir.path(), None, &config()).unwrap();
    let view = StoreView::open(dir.path()).unwrap();
    assert!(store_reads::check(&view, "User:ceo", "read", "Review:r_ann", DEFAULT_NOW).unwrap());
    let fact = engine::Fact::new(
        "manager",
        vec![
            Value::entity("User", "ann"),
            Value::entity("User", "newbie"),
        ],
    );
    writer
        .apply(
            &[Change {
                op: Op::Insert,
                fact,
            }],
            Vec::new(),
        )
        .unwrap();
    let mut out = Vec::new();
    store_reads::who(
        &view,
        "read",
        "Review:r_ann",
        &PageArgs::default(),
        DEFAULT_NOW,
        &mut out,
    )
    .unwrap();
    assert!(!out.is_empty());
    // A reader opened after the commit sees it.
    let later = StoreView::open(dir.path()).unwrap();
    assert!(later.read().unwrap().epoch() > view.read().unwrap().epoch());
}

#[test]
fn list_pages_with_cursors_cover_the_answer_once() {
    let dir = tempfile::tempdir().unwrap();
    org_chart_store(dir.path());
    let view = StoreView::open(dir.path()).unwrap();
    let mut all = Vec::new();
    store_reads::list(
        &view,
        "User:ceo",
        "read",
        "Review",
        &PageArgs::default(),
        DEFAULT_NOW,
        &mut all,
    )
    .unwrap();
    let all = String::from_utf8(all).unwrap();
    assert!(all.lines().count() > 5);
    let mut paged = String::new();
    let mut cursor = None;
    loop {
        let mut out = Vec::new();
        let page = PageArgs {
            cursor: cursor.clone(),
            limit: Some(2),
        };
        cursor = store_reads::list(
            &view,
            "User:ceo",
            "read",
            "Review",
            &page,
            DEFAULT_NOW,
            &mut out,
        )
        .unwrap();
        paged.push_str(&String::from_utf8(out).unwrap());
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(paged, all);
}
