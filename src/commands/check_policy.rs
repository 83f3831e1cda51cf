//! `permafrost check-policy P…`: diagnostics only.

use std::path::PathBuf;

use crate::error::CliError;
use crate::load::load_policy;

/// Checks each policy; prints a line per good policy, fails on the first bad
/// one with its diagnostics.
pub fn run(policies: &[PathBuf]) -> Result<(), CliError> {
    for path in policies {
        let program = load_policy(path)?;
        println!(
            "{}: ok ({} predicates, {} rules, {} tests)",
            path.display(),
            program.predicates.len(),
            program.rules.len(),
            program.tests.len()
        );
    }
    Ok(())
}
