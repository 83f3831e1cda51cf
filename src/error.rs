//! The errors a command can end with, and their exit codes.

use std::path::PathBuf;

use engine::Diagnostics;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Located diagnostics (policy, facts, query).
    #[error("{}", .0.render().trim_end())]
    Diagnostics(Diagnostics),
    /// A file could not be read.
    #[error("error: cannot read `{}`: {source}\n  help: check the path and its permissions", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Anything else the user can fix, with the message ready to print.
    #[error("error: {0}")]
    Other(String),
}

impl From<crate::materializer::MaterializeError> for CliError {
    fn from(error: crate::materializer::MaterializeError) -> Self {
        match error {
            crate::materializer::MaterializeError::Policy(d) => CliError::Diagnostics(d),
            other => CliError::Other(other.to_string()),
        }
    }
}

impl From<Diagnostics> for CliError {
    fn from(d: Diagnostics) -> Self {
        CliError::Diagnostics(d)
    }
}

/// Exit status: 0 success.
pub const EXIT_OK: i32 = 0;
/// Exit status: `denied` (check only), or failed tests.
pub const EXIT_DENIED: i32 = 1;
/// Exit status: any error.
pub const EXIT_ERROR: i32 = 2;
/// Exit status: some event lines were rejected, the rest applied.
pub const EXIT_REJECTED_EVENTS: i32 = 3;
