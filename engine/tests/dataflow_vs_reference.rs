//! The dataflow engine against the reference evaluator, on random policies
//! and random insert/delete sequences, on 1 and 2 workers.
//!
//! A random policy is a random selection of rule templates over a small
//! schema — recursion (left, right and non-linear), mutual recursion,
//! negation of lower strata, comparisons, arithmetic bindings, constants,
//! specializers, `or`, wildcards — with rules and body atoms shuffled. The
//! facts change over several epochs (inserts, deletes, re-inserts, cycles);
//! after every epoch every relation of the dataflow must equal the reference
//! evaluator's model of the facts present.
//!
//! Time: templates compare with `@current_unix_time` (windows, upcoming,
//! `=`/`!=`, `not`, recursion through timed tuples, negation of timed
//! relations). The dataflow derives each tuple once with its validity; at
//! every probe time — before, at the edges of, inside and after each
//! window — the tuples valid then must equal the reference evaluator's
//! model with the time replaced by that value.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

mod common;

use engine::{check_policy, Fact, SourceFile, Value};
use proptest::prelude::*;

const SCHEMA: &str = "actor N {}
declare e(N, N);
declare f(N, N);
declare v(N, Integer);
declare g(N);
";

/// Rule templates; each entry is one or more rules that belong together.
const TEMPLATES: &[&[&str]] = &[
    // transitive closure, right-linear
    &["tc(x, y) if e(x, y);", "tc(x, y) if e(x, z) and tc(z, y);"],
    // transitive closure, left-linear over another relation
    &["lt(x, y) if f(x, y);", "lt(x, y) if lt(x, z) and f(z, y);"],
    // non-linear closure
    &["nl(x, y) if e(x, y);", "nl(x, y) if nl(x, z) and nl(z, y);"],
    // mutual recursion
    &[
        "ma(x, y) if e(x, y);",
        "ma(x, y) if mb(x, z) and e(z, y);",
        "mb(x, y) if ma(x, z) and f(z, y);",
    ],
    // negation of a lower, recursive stratum
    &[
        "tc2(x, y) if e(x, y);",
        "tc2(x, y) if e(x, z) and tc2(z, y);",
        "un(x, y) if f(x, y) and not tc2(x, y);",
    ],
    // negation with a wildcard
    &["lonely(x) if g(x) and not e(x, _) and not e(_, x);"],
    // comparison and arithmetic binding
    &[
        "lower(x, y) if e(x, y) and v(x, a) and v(y, b) and a < b;",
        "next(x, t) if v(x, a) and t = a * 2 + 1 and t != 5;",
    ],
    // constants and specializers
    &[
        "from0(y: N) if e(N{\"n0\"}, y);",
        "tagged(x, \"big\") if v(x, a) and a >= 3;",
    ],
    // or, and a negated group
    &[
        "either(x) if g(x) or e(x, x);",
        "neither(x) if g(x) and not (e(x, x) or f(x, x));",
    ],
    // recursion through a comparison filter, ground rule
    &[
        "up(x, y) if lower(x, y);",
        "up(x, y) if up(x, z) and lower(z, y);",
        "lower(x, y) if e(x, y) and v(x, a) and v(y, b) and a < b;",
        "seed(N{\"n1\"});",
    ],
    // negation over a mutually recursive stratum
    &[
        "ra(x, y) if f(x, y);",
        "ra(x, y) if rb(x, z) and f(z, y);",
        "rb(x, y) if ra(x, z) and e(z, y);",
        "cut(x) if g(x) and not ra(x, x);",
    ],
    // time windows: the last two seconds, upcoming, a window read from
    // both sides, one exact second and all others
    &[
        "recent(x) if v(x, t) and t + 2 > @current_unix_time;",
        "upcoming(x, y) if e(x, y) and v(y, t) and t >= @current_unix_time;",
        "window(x) if v(x, a) and a <= @current_unix_time and @current_unix_time < a + 3;",
        "exact(x) if v(x, t) and not (t != @current_unix_time);",
        "other(x, t) if v(x, t) and t != @current_unix_time and t - 1 < @current_unix_time;",
    ],
    // recursion carrying validities, with an untimed rule for the same
    // predicate, and negation of a timed relation
    &[
        "reach(x, y) if f(x, y);",
        "reach(x, y) if e(x, y) and v(y, t) and t - 1 <= @current_unix_time;",
        "reach(x, y) if reach(x, z) and reach(z, y);",
        "cold(x, y) if e(x, y) and not reach(x, y);",
        "later(x) if v(x, t) and t > @current_unix_time;",
        "idle(x) if g(x) and not later(x) and not reach(x, x);",
    ],
];

/// The times every epoch is checked at: values in `v` are 0..6, so these
/// cover before, at the edges of, inside and after every window.
const PROBE_TIMES: std::ops::RangeInclusive<i64> = -3..=9;

const NODES: usize = 5;

fn node(i: usize) -> Value {
    Value::entity("N", format!("n{}", i % NODES))
}

/// A fact from a small universe, chosen by three numbers.
fn fact(kind: u8, a: usize, b: usize) -> Fact {
    match kind % 4 {
        0 => Fact::new("e", vec![node(a), node(b)]),
        1 => Fact::new("f", vec![node(a), node(b)]),
        2 => Fact::new("v", vec![node(a), Value::Int((b % 6) as i64)]),
        _ => Fact::new("g", vec![node(a)]),
    }
}

/// Builds a policy text from chosen templates, in a shuffled rule order,
/// each rule's body atoms shuffled too.
fn policy_text(chosen: &[bool], order_seed: u64) -> String {
    let mut rules: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    for (template, take) in TEMPLATES.iter().zip(chosen) {
        if *take {
            for rule in *template {
                if seen.insert(*rule) {
                    rules.push(shuffle_body(rule, order_seed));
                }
            }
        }
    }
    // A deterministic shuffle of the rule order.
    let mut state = order_seed | 1;
    for i in (1..rules.len()).rev() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        rules.swap(i, (state >> 33) as usize % (i + 1));
    }
    format!("{SCHEMA}{}\n", rules.join("\n"))
}

/// Reverses the conjuncts of a body made only of `and`s (a permutation that
/// must not change any answer).
fn shuffle_body(rule: &str, seed: u64) -> String {
    if seed.is_multiple_of(2) || rule.contains(" or ") || rule.contains("not (") {
        return rule.to_string();
    }
    match rule.split_once(" if ") {
        Some((head, body)) => {
            let body = body.trim_end_matches(';');
            let mut parts: Vec<&str> = body.split(" and ").collect();
            parts.reverse();
            format!("{head} if {};", parts.join(" and "))
        }
        None => rule.to_string(),
    }
}

fn run_case(
    chosen: &[bool],
    order_seed: u64,
    epochs: &[Vec<(bool, u8, usize, usize)>],
    workers: usize,
) {
    let text = policy_text(chosen, order_seed);
    let file = SourceFile::new("random.polar", text.clone());
    let program = match check_policy(&file) {
        Ok(p) => p,
        Err(d) => panic!("generated policy rejected:\n{text}\n{}", d.render()),
    };
    let epochs: Vec<Vec<(Fact, bool)>> = epochs
        .iter()
        .map(|epoch| {
            epoch
                .iter()
                .map(|(insert, k, a, b)| (fact(*k, *a, *b), *insert))
                .collect()
        })
        .collect();
    common::matches_reference_at_every_time(
        &program,
        &epochs,
        workers,
        |_| PROBE_TIMES.collect(),
        &format!("policy:\n{text}"),
    );
}

fn epochs() -> impl Strategy<Value = Vec<Vec<(bool, u8, usize, usize)>>> {
    // Mostly inserts early, then a mix: deletes of present facts and
    // re-inserts happen because the universe is small.
    prop::collection::vec(
        prop::collection::vec(
            (
                prop::bool::weighted(0.65),
                0u8..4,
                0usize..NODES,
                0usize..NODES,
            ),
            1..12,
        ),
        1..6,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn one_worker_matches_reference(
        chosen in prop::collection::vec(any::<bool>(), TEMPLATES.len()),
        order_seed in any::<u64>(),
        epochs in epochs(),
    ) {
        run_case(&chosen, order_seed, &epochs, 1);
    }

    #[test]
    fn two_workers_match_reference(
        chosen in prop::collection::vec(any::<bool>(), TEMPLATES.len()),
        order_seed in any::<u64>(),
        epochs in epochs(),
    ) {
        run_case(&chosen, order_seed, &epochs, 2);
    }
}

/// Deleting an edge of a cycle retracts exactly what is no longer derivable
/// (no counting shortcut keeps a cycle alive on its own).
#[test]
fn deleting_inside_a_cycle_retracts_exactly() {
    let all = vec![true; TEMPLATES.len()];
    let cycle = vec![
        vec![
            (true, 0, 0, 1),
            (true, 0, 1, 2),
            (true, 0, 2, 0),
            (true, 0, 2, 3),
        ],
        vec![(false, 0, 2, 0)],
        vec![(true, 0, 2, 0), (false, 0, 0, 1)],
        vec![(false, 0, 1, 2), (false, 0, 2, 0), (false, 0, 2, 3)],
    ];
    run_case(&all, 7, &cycle, 1);
    run_case(&all, 8, &cycle, 2);
}
