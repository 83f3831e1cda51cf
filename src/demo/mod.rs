//! `permafrost demo`: the main job on an embedded default.
//!
//! Generates a company, materializes the org-chart policy over it into a
//! store, answers checks and "who can read" queries from the store, streams
//! HR changes (hires, moves, re-orgs) through the ingest pipeline while
//! another thread keeps checking, measures how soon single changes become
//! visible, and prints what it measured.

pub mod org;
mod phases;

use std::path::PathBuf;

use crate::error::CliError;
use crate::materializer::{Materializer, MaterializerConfig};
use crate::progress::Stage;
use engine::SourceFile;
use org::{inserts, Org, Rng};
use phases::{check_latency, stream_changes, visibility, who_latency, Figures};

/// The policy the demo runs: the example org chart policy.
pub const POLICY: &str = include_str!("../../policies/org_chart.polar");

/// How big a demo, and where its store goes.
#[derive(Clone, Debug)]
pub struct DemoArgs {
    /// Employees in the generated company.
    pub employees: usize,
    /// HR change events streamed.
    pub changes: usize,
    /// Random checks measured.
    pub checks: usize,
    /// Single moves whose visibility is measured.
    pub moves: usize,
    /// Keep the store here (default: a temporary directory, removed).
    pub db: Option<PathBuf>,
    /// Dataflow workers.
    pub workers: usize,
    /// Generator seed.
    pub seed: u64,
}

/// Runs the demo and answers its report.
pub fn run(args: &DemoArgs) -> Result<String, CliError> {
    let temp = tempfile::Builder::new()
        .prefix("permafrost-demo-")
        .tempdir()
        .map_err(|e| CliError::Other(format!("cannot create a temporary directory: {e}")))?;
    let dir = args.db.clone().unwrap_or_else(|| temp.path().join("store"));
    let mut rng = Rng::new(args.seed);
    let mut figures = Figures::default();

    let stage = Stage::start(format!(
        "generating a company of {} employees",
        args.employees
    ));
    let mut org = Org::generate(args.employees, &mut rng);
    let facts = org.facts(&mut rng);
    figures.facts = facts.len();
    figures.depth = org.depth();
    stage.finish();

    let stage = Stage::start(format!(
        "materializing the org chart policy into {}",
        dir.display()
    ));
    let config = MaterializerConfig {
        workers: args.workers,
    };
    let policy = SourceFile::new("policies/org_chart.polar", POLICY);
    let started = std::time::Instant::now();
    let (mut materializer, _) = Materializer::open(&dir, Some(policy), &config)?;
    let loaded = materializer.apply(&inserts(facts), Vec::new())?;
    figures.materialize = started.elapsed();
    figures.tuples = loaded.stats.granted;
    stage.finish();

    let stage = Stage::start(format!("{} random checks", args.checks));
    figures.checks = check_latency(materializer.store(), &org, args.checks, &mut rng)?;
    figures.who = who_latency(materializer.store(), &org, 1000, &mut rng)?;
    stage.finish();

    let stage = Stage::start(format!(
        "streaming {} HR changes while checking",
        args.changes
    ));
    figures.stream = stream_changes(&mut materializer, &mut org, args.changes, &mut rng)?;
    stage.finish();

    let stage = Stage::start(format!(
        "{} single moves, each checked until visible",
        args.moves
    ));
    figures.visibility = visibility(&mut materializer, &mut org, args.moves, &mut rng)?;
    stage.finish();

    figures.epoch = materializer.store().committed_epoch()?;
    figures.example = phases::example(materializer.store(), &org)?;
    drop(materializer);
    let kept = match &args.db {
        Some(dir) => format!("the store is kept in {}", dir.display()),
        None => "the temporary store was removed".to_string(),
    };
    Ok(format!("{}{kept}\n", figures.report(args)))
}
