//! `permafrost test P…`: runs the policies' `test` blocks.

use std::path::PathBuf;

use engine::reference;
use engine::test_blocks::run_tests;

use crate::error::CliError;
use crate::load::{load_policy, now};

/// Runs every test block of every policy and prints a pass/fail line per
/// test; answers whether all passed.
pub fn run(policies: &[PathBuf]) -> Result<bool, CliError> {
    let mut passed = 0;
    let mut failed = 0;
    for path in policies {
        let program = load_policy(path)?;
        let outcomes = run_tests(&program, now(), |program, facts, now| {
            Ok(reference::evaluate(program, facts, now))
        });
        for outcome in outcomes {
            if outcome.passed() {
                passed += 1;
                println!("test {} :: {} ... ok", path.display(), outcome.name);
            } else {
                failed += 1;
                println!("test {} :: {} ... FAILED", path.display(), outcome.name);
                for failure in &outcome.failures {
                    println!("    {failure}");
                }
            }
        }
    }
    println!("\npolicy tests: {passed} passed, {failed} failed");
    Ok(failed == 0)
}
