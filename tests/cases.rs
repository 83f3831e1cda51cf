//! Data-driven cases: every query of `tests/cases/*/queries.txt` answered
//! through the library's `query` command equals its expected lines.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod common;

use permafrost::commands::query::{run, EngineKind, QueryArgs};

#[test]
fn reference_engine_answers_every_case() {
    check_cases(EngineKind::Reference, 1);
}

#[test]
fn dataflow_engine_answers_every_case_on_one_worker() {
    check_cases(EngineKind::Dataflow, 1);
}

#[test]
fn dataflow_engine_answers_every_case_on_two_workers() {
    check_cases(EngineKind::Dataflow, 2);
}

fn check_cases(engine: EngineKind, workers: usize) {
    let cases = common::cases();
    assert!(
        cases.len() >= 8,
        "expected the data-driven cases to be present"
    );
    let mut failures = Vec::new();
    let mut count = 0;
    for case in &cases {
        for query in &case.queries {
            count += 1;
            let args = QueryArgs {
                policy: case.policy(),
                facts: case.facts(),
                events: case.events(),
                at: Some(query.at.unwrap_or(1_700_000_000)),
                engine,
                workers,
                query: query.atom.clone(),
            };
            match run(&args) {
                Ok((lines, _rejected)) if lines == query.expected => {}
                Ok((lines, _)) => failures.push(format!(
                    "{}/queries.txt:{}: `{}`\n  expected: {:#?}\n  got: {:#?}",
                    case.name, query.line, query.atom, query.expected, lines
                )),
                Err(err) => failures.push(format!(
                    "{}/queries.txt:{}: `{}` failed: {err}",
                    case.name, query.line, query.atom
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} queries failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
