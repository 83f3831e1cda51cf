//! Running a policy's `test` blocks against an engine.

use crate::facts::answer_lines;
use crate::program::{Program, Test};
use crate::reference::Model;
use crate::value::Fact;

/// The result of one test block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestOutcome {
    /// The test's name.
    pub name: String,
    /// The failed assertions, described; empty when the test passed.
    pub failures: Vec<String>,
}

impl TestOutcome {
    /// Whether every assertion held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Runs every test block: `evaluate(program, setup, now)` must return the
/// model of the program over the setup facts at time `now`; `default_now` is
/// used for tests without `at T;`.
pub fn run_tests(
    program: &Program,
    default_now: i64,
    mut evaluate: impl FnMut(&Program, &[Fact], i64) -> Result<Model, String>,
) -> Vec<TestOutcome> {
    program
        .tests
        .iter()
        .map(|test| run_one(program, test, default_now, &mut evaluate))
        .collect()
}

fn run_one(
    program: &Program,
    test: &Test,
    default_now: i64,
    evaluate: &mut impl FnMut(&Program, &[Fact], i64) -> Result<Model, String>,
) -> TestOutcome {
    let now = test.at.unwrap_or(default_now);
    let model = match evaluate(program, &test.setup, now) {
        Ok(model) => model,
        Err(err) => {
            return TestOutcome {
                name: test.name.clone(),
                failures: vec![format!("evaluation failed: {err}")],
            }
        }
    };
    let mut failures = Vec::new();
    for assertion in &test.asserts {
        let answers = answer_lines(
            program,
            &assertion.query,
            model.tuples(assertion.query.pred),
        );
        let found = !answers.is_empty();
        if found != assertion.expect {
            let (line, _) = program.source.line_col(assertion.span.start);
            failures.push(if assertion.expect {
                format!(
                    "line {line}: `assert {}` failed: no such tuple",
                    assertion.text
                )
            } else {
                format!(
                    "line {line}: `assert_not {}` failed: derived {}",
                    assertion.text,
                    answers.join(", ")
                )
            });
        }
    }
    TestOutcome {
        name: test.name.clone(),
        failures,
    }
}
