//! `permafrost test P…`: runs the policies' `test` blocks.

use std::path::PathBuf;

use engine::test_blocks::run_tests;
use engine::{dataflow, reference};

use crate::commands::query::EngineKind;

use crate::error::CliError;
use crate::load::{load_policy, now};

/// Runs every test block of every policy and prints a pass/fail line per
/// test; answers whether all passed.
pub fn run(policies: &[PathBuf], engine: EngineKind, workers: usize) -> Result<bool, CliError> {
    let mut passed = 0;
    let mut failed = 0;
    for path in policies {
        let program = load_policy(path)?;
        let outcomes = run_tests(&program, now(), |program, facts, now| match engine {
            EngineKind::Reference => Ok(reference::evaluate(program, facts, now)),
            EngineKind::Dataflow => {
                dataflow::evaluate(program, facts, now, workers).map_err(|e| e.to_string())
            }
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
