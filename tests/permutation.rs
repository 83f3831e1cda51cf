//! Rule order and body-atom order never change answers: every data-driven
//! case's policy, with its rules and conjunctions permuted, derives the same
//! model as the policy as written.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod common;

use engine::ast::{Formula, Item, Policy};
use engine::check::check_parsed;
use engine::parse::parse_policy;
use engine::reference;
use permafrost::load::{load_facts, read_source};

/// Reverses (or rotates) every conjunction and disjunction, recursively.
fn permute_formula(f: &mut Formula, rotate: bool) {
    match f {
        Formula::And(parts) | Formula::Or(parts) => {
            if rotate {
                parts.rotate_left(1);
            } else {
                parts.reverse();
            }
            for p in parts {
                permute_formula(p, rotate);
            }
        }
        Formula::Not(inner, _) => permute_formula(inner, rotate),
        Formula::Atom(_) | Formula::Compare(_) | Formula::Matches(..) => {}
    }
}

fn permuted(policy: &Policy, rotate: bool) -> Policy {
    let mut policy = policy.clone();
    if rotate {
        let half = policy.items.len() / 2;
        policy.items.rotate_left(half);
    } else {
        policy.items.reverse();
    }
    for item in &mut policy.items {
        match item {
            Item::Rule(rule) => {
                if let Some(body) = &mut rule.body {
                    permute_formula(body, rotate);
                }
            }
            Item::Block(block) => block.members.reverse(),
            Item::Declare(_) | Item::Test(_) => {}
        }
    }
    policy
}

#[test]
fn permuting_rules_and_bodies_never_changes_answers() {
    for case in common::cases() {
        let file = read_source(&case.policy()).expect("policy readable");
        let ast = parse_policy(&file).expect("policy parses");
        let program = check_parsed(&file, &ast).expect("policy checks");
        let facts = load_facts(&program, &case.facts()).expect("facts load");
        let now = 1_700_000_000;
        let expected = reference::evaluate(&program, &facts, now);
        for rotate in [false, true] {
            let other =
                check_parsed(&file, &permuted(&ast, rotate)).expect("permuted policy checks");
            let model = reference::evaluate(&other, &facts, now);
            for pred in &program.predicates {
                let a: Vec<_> = expected
                    .tuples(program.pred(&pred.name).unwrap_or(0))
                    .collect();
                let b: Vec<_> = other
                    .pred(&pred.name)
                    .map(|p| model.tuples(p).collect())
                    .unwrap_or_default();
                assert_eq!(
                    a, b,
                    "{}: `{}` changed under permutation (rotate={rotate})",
                    case.name, pred.name
                );
            }
        }
    }
}
