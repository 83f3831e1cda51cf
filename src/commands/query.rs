//! `permafrost query --policy P [--facts F]… [--events E] [--at T] 'atom'`:
//! evaluate without a store and print every matching ground atom.

use std::path::PathBuf;

use engine::facts::{answer_lines, parse_query};
use engine::{reference, SourceFile};
use ingest::FactSet;

use crate::error::CliError;
use crate::load::{load_events, load_facts, load_policy, now};

/// What to evaluate.
#[derive(Debug)]
pub struct QueryArgs {
    /// The policy file.
    pub policy: PathBuf,
    /// Facts files, loaded in order.
    pub facts: Vec<PathBuf>,
    /// An event file applied after the facts.
    pub events: Option<PathBuf>,
    /// The time for `@current_unix_time` (default: now).
    pub at: Option<i64>,
    /// The query atom.
    pub query: String,
}

/// The answer lines, and how many event lines were rejected (reported on
/// stderr as they are found).
pub fn run(args: &QueryArgs) -> Result<(Vec<String>, usize), CliError> {
    let program = load_policy(&args.policy)?;
    let query = parse_query(&program, &SourceFile::new("<query>", args.query.clone()))?;
    let mut facts = FactSet::new();
    facts.extend(load_facts(&program, &args.facts)?);
    let mut rejected_count = 0;
    if let Some(path) = &args.events {
        let (accepted, rejected) = load_events(&program, path)?;
        for line in &rejected {
            eprintln!("{}:{}: rejected: {}", path.display(), line.line, line.error);
        }
        rejected_count = rejected.len();
        for changes in &accepted {
            facts.apply(changes);
        }
    }
    let now = args.at.unwrap_or_else(now);
    let model = reference::evaluate(&program, facts.iter(), now);
    Ok((answer_lines(&program, &query, model.tuples(query.pred)), rejected_count))
}
