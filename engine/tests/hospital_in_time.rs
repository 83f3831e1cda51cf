//! The hospital policy (`policies/hospital.polar`: visits in the last seven
//! days or in the next two, expiring grants, on-call shifts, restricted
//! patients) on random streams of inserts and deletes, on 1 and 2 workers.
//!
//! The dataflow derives every tuple once, with its validity, and is never
//! re-run as the clock moves. After every epoch its answer at each probe
//! time — one second before, at, and one second after every edge of every
//! window the present facts open — must equal the reference evaluator's
//! model with `@current_unix_time` replaced by that time.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

mod common;

use engine::{check_policy, Fact, SourceFile, Value};
use proptest::prelude::*;

const POLICY: &str = include_str!("../../policies/hospital.polar");

/// Time zero of the generated world.
const T0: i64 = 1_700_000_000;
const DAY: i64 = 86_400;

fn doctor(i: usize) -> Value {
    Value::entity("Doctor", format!("d{}", i % 3))
}

fn patient(i: usize) -> Value {
    Value::entity("Patient", format!("p{}", i % 3))
}

fn ward(i: usize) -> Value {
    Value::entity("Ward", format!("w{}", i % 2))
}

/// A time near the windows' scale: whole days and a few odd seconds.
fn time(days: i64, seconds: i64) -> i64 {
    T0 + days * DAY + seconds
}

/// A fact of the hospital world, chosen by a kind and four numbers.
fn fact(kind: u8, a: usize, b: usize, days: i64, seconds: i64) -> Fact {
    let t = time(days, seconds);
    match kind % 6 {
        0 | 1 => Fact::new("visit", vec![doctor(a), patient(b), Value::Int(t)]),
        2 => {
            let role = if days % 2 == 0 {
                "attending"
            } else {
                "consultant"
            };
            Fact::new(
                "grant",
                vec![doctor(a), Value::str(role), patient(b), Value::Int(t)],
            )
        }
        3 => Fact::new(
            "on_call",
            vec![
                doctor(a),
                ward(b),
                Value::Int(t),
                Value::Int(t + (seconds.abs() + 1) * 3_600),
            ],
        ),
        4 => Fact::new("admitted", vec![patient(a), ward(b)]),
        _ => Fact::new("restricted", vec![patient(a)]),
    }
}

/// Every integer of the present facts, with the windows' offsets around
/// it, each probed one second before, at, and one second after.
fn probe_times(facts: &BTreeSet<Fact>) -> BTreeSet<i64> {
    let mut times = BTreeSet::from([i64::MIN, T0, i64::MAX]);
    for fact in facts {
        for value in &fact.args {
            if let Value::Int(t) = value {
                for edge in [*t, t - 2 * DAY, t + 7 * DAY] {
                    times.extend([edge - 1, edge, edge + 1]);
                }
            }
        }
    }
    times
}

type Epoch = Vec<(bool, u8, usize, usize, i64, i64)>;

fn run_case(epochs: &[Epoch], workers: usize) {
    let program = check_policy(&SourceFile::new("hospital.polar", POLICY))
        .unwrap_or_else(|d| panic!("{}", d.render()));
    let epochs: Vec<Vec<(Fact, bool)>> = epochs
        .iter()
        .map(|epoch| {
            epoch
                .iter()
                .map(|(insert, kind, a, b, days, seconds)| {
                    (fact(*kind, *a, *b, *days, *seconds), *insert)
                })
                .collect()
        })
        .collect();
    common::matches_reference_at_every_time(
        &program,
        &epochs,
        workers,
        |present| probe_times(present).into_iter().collect(),
        "policy: policies/hospital.polar",
    );
}

fn epochs() -> impl Strategy<Value = Vec<Epoch>> {
    prop::collection::vec(
        prop::collection::vec(
            (
                prop::bool::weighted(0.7),
                0u8..6,
                0usize..3,
                0usize..3,
                -9i64..9,
                -2i64..3,
            ),
            1..8,
        ),
        1..5,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn one_worker_matches_reference_at_every_edge(epochs in epochs()) {
        run_case(&epochs, 1);
    }

    #[test]
    fn two_workers_match_reference_at_every_edge(epochs in epochs()) {
        run_case(&epochs, 2);
    }
}

/// A visit, its deletion and a second visit that overlaps the first
/// window: the validity of the grant follows without recomputing anything
/// as the clock moves.
#[test]
fn overlapping_visits_extend_and_shrink_the_window() {
    let visit = |days| (true, 0, 0, 0, days, 0);
    let delete = |days| (false, 0, 0, 0, days, 0);
    let epochs = vec![
        vec![visit(0)],
        vec![visit(3)],
        vec![delete(0)],
        vec![visit(0), (true, 5, 0, 0, 0, 0)],
    ];
    run_case(&epochs, 1);
    run_case(&epochs, 2);
}
