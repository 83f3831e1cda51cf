//! Loading policies, facts and events from files.

use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use engine::{check_policy, facts, Fact, Program, SourceFile};
use ingest::event::{read_event_file, Change, RejectedLine};

use crate::error::CliError;

/// Reads a file into a named source.
pub fn read_source(path: &Path) -> Result<Arc<SourceFile>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(SourceFile::new(path.display().to_string(), text))
}

/// Reads and checks a policy.
pub fn load_policy(path: &Path) -> Result<Program, CliError> {
    let file = read_source(path)?;
    Ok(check_policy(&file)?)
}

/// Reads and checks facts files, in order.
pub fn load_facts(program: &Program, paths: &[impl AsRef<Path>]) -> Result<Vec<Fact>, CliError> {
    let mut all = Vec::new();
    for path in paths {
        let file = read_source(path.as_ref())?;
        all.extend(facts::parse_facts_file(program, &file)?);
    }
    Ok(all)
}

/// Reads an event file: accepted lines in order, and the rejected ones.
pub fn load_events(
    program: &Program,
    path: &Path,
) -> Result<(Vec<Vec<Change>>, Vec<RejectedLine>), CliError> {
    read_event_file(program, path).map_err(|source| CliError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// The current unix time in seconds.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
