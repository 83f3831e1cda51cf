//! `permafrost load --db DIR --policy P [--facts F]…`: create or reopen a
//! store, rebuild its dataflow, and materialize the given facts as one
//! epoch.

use std::path::{Path, PathBuf};

use engine::facts::parse_facts_file;
use ingest::{Change, Op};

use crate::error::CliError;
use crate::load::read_source;
use crate::materializer::{Materializer, MaterializerConfig, OpenReport};
use crate::progress::Stage;

/// What `load` did.
#[derive(Debug)]
pub struct LoadReport {
    /// What reopening found: facts read back, tuples derived, rebuild or repair.
    pub open: OpenReport,
    /// Facts in the given files.
    pub facts_given: usize,
    /// The committed epoch at the end.
    pub epoch: u64,
    /// Tuples granted by the given facts.
    pub granted: usize,
    /// Tuples revoked by the given facts (always 0 for inserts alone, but a
    /// fact can enable a `not`).
    pub revoked: usize,
}

/// Runs `load`.
pub fn run(
    db: &Path,
    policy: &Path,
    facts: &[PathBuf],
    config: &MaterializerConfig,
) -> Result<LoadReport, CliError> {
    let source = read_source(policy)?;
    let stage = Stage::start(format!(
        "opening {} and rebuilding its dataflow",
        db.display()
    ));
    let (mut materializer, open) = Materializer::open(db, Some(source), config)?;
    stage.finish();
    let mut changes = Vec::new();
    for path in facts {
        let stage = Stage::start(format!("reading {}", path.display()));
        let file = read_source(path)?;
        for fact in parse_facts_file(materializer.program(), &file)? {
            changes.push(Change {
                op: Op::Insert,
                fact,
            });
        }
        stage.finish();
    }
    let stage = Stage::start(format!("materializing {} facts", changes.len()));
    let epoch = if changes.is_empty() {
        None
    } else {
        Some(materializer.apply(&changes, Vec::new())?)
    };
    stage.finish();
    let committed = materializer.store().committed_epoch()?;
    Ok(LoadReport {
        open,
        facts_given: changes.len(),
        epoch: committed,
        granted: epoch.map_or(0, |e| e.stats.granted),
        revoked: epoch.map_or(0, |e| e.stats.revoked),
    })
}

impl std::fmt::Display for LoadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(rebuilt) = self.open.rebuilt {
            writeln!(
                f,
                "policy set: {} stored facts rematerialized (+{} -{} tuples)",
                self.open.facts, rebuilt.granted, rebuilt.revoked
            )?;
        }
        if let Some(repaired) = self.open.repaired {
            writeln!(
                f,
                "repaired: the stored tuples differed from the derived ones (+{} -{} tuples)",
                repaired.granted, repaired.revoked
            )?;
        }
        writeln!(
            f,
            "loaded {} facts: +{} -{} tuples",
            self.facts_given, self.granted, self.revoked
        )?;
        write!(f, "committed epoch {}", self.epoch)
    }
}
