//! The store workload: the org chart with one review per employee,
//! materialized through the real write path, then read back with `check`,
//! `who` and `list` beside a bare RocksDB holding keys of the same shape
//! (the physical floor) and an in-memory `HashSet` of the same tuples.

pub mod load;
mod reads;
mod report;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use storage::Permission;

pub use load::{materialize, Loaded};
pub use reads::{Checks, Scan};

use crate::disk::DirSize;
use crate::org_chart::OrgChart;
use crate::raw_peer::{dict_rows, fwd_key, RawPeer};
use crate::reviews::{tuple_count, tuples};
use crate::rng::Rng;
use crate::BoxError;
use reads::{Subjects, Values};

/// The parameters of a run.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// Employees of the chart (one review each).
    pub employees: usize,
    /// Levels of the chart.
    pub depth: usize,
    /// Dataflow workers of the materializer.
    pub workers: usize,
    /// Generator seed.
    pub seed: u64,
    /// Check probes per round.
    pub checks: usize,
    /// Actors per `who` answer aimed at.
    pub who_rows: usize,
    /// `who` probes per round.
    pub whos: usize,
    /// `list` repeats per round.
    pub lists: usize,
    /// Measured rounds (after one warm-up round).
    pub rounds: usize,
    /// The store directory; a temporary one if `None`.
    pub db: Option<PathBuf>,
}

/// Every figure of a run.
#[derive(Clone, Debug)]
pub struct Figures {
    /// The parameters.
    pub config: StoreConfig,
    /// Levels of the generated chart.
    pub depth: usize,
    /// `allow` tuples the policy derives (checked against the store).
    pub tuples: usize,
    /// The write path.
    pub loaded: Loaded,
    /// Building the bare RocksDB peer (unlogged writes, flush, compaction).
    pub raw_build: Duration,
    /// The bare RocksDB peer's table bytes.
    pub raw_sst_bytes: u64,
    /// `check` and its peers.
    pub checks: Checks,
    /// `who` on the store.
    pub who: Scan,
    /// Its peer: prefix iteration over as many rows on the bare RocksDB.
    pub who_raw: Scan,
    /// `list` on the store.
    pub list: Scan,
    /// Its peer: prefix iteration over the same number of rows.
    pub list_raw: Scan,
}

/// Runs the workload: prints progress and the table, and answers every
/// figure.
pub fn run(config: StoreConfig) -> Result<Figures, BoxError> {
    let chart = OrgChart::generate(config.employees, config.depth, config.seed);
    let all = tuples(&chart);
    if all.len() != tuple_count(&chart) {
        return Err(format!("{} tuples, expected {}", all.len(), tuple_count(&chart)).into());
    }
    println!(
        "store: {} employees, depth {}, {} allow tuples; {} worker(s), seed {}",
        config.employees,
        chart.depth(),
        all.len(),
        config.workers,
        config.seed
    );
    let (_temp, dir) = match &config.db {
        Some(dir) => (None, fresh(dir)?),
        None => {
            let temp = tempfile::Builder::new()
                .prefix("permafrost-bench-store-")
                .tempdir()?;
            let dir = temp.path().join("db");
            (Some(temp), dir)
        }
    };
    let (store, loaded) = load::materialize(&chart, &dir, config.workers)?;
    if loaded.granted != all.len() {
        let granted = loaded.granted;
        return Err(format!("the store granted {granted} tuples, expected {}", all.len()).into());
    }
    println!(
        "materialized in {:.2} s into {}",
        loaded.apply.as_secs_f64(),
        dir.display()
    );

    let started = Instant::now();
    let raw = RawPeer::build(all.iter().map(|t| (fwd_key(t), Vec::new())))?;
    let raw_build = started.elapsed();
    let raw_sst_bytes = DirSize::of(raw.path())?.sst;
    let values = Values::of(&chart);
    let raw_dict = RawPeer::build(dict_rows(values.texts()))?;
    let set: HashSet<Permission> = all.iter().map(|t| values.permission(t)).collect();
    let subjects = Subjects {
        chart: &chart,
        tuples: &all,
        store: &store,
        raw: &raw,
        raw_dict: &raw_dict,
        set: &set,
    };
    let mut rng = Rng::new(config.seed ^ 0x5704e);
    let checks = reads::checks(&subjects, &values, config.checks, config.rounds, &mut rng)?;
    let (who, who_raw) = reads::whos(
        &subjects,
        &values,
        config.who_rows,
        config.whos,
        config.rounds,
        &mut rng,
    )?;
    let (list, list_raw) = reads::lists(&subjects, &values, config.lists, config.rounds)?;
    let figures = Figures {
        depth: chart.depth(),
        tuples: all.len(),
        loaded,
        raw_build,
        raw_sst_bytes,
        checks,
        who,
        who_raw,
        list,
        list_raw,
        config,
    };
    report::print(&figures);
    Ok(figures)
}

/// `dir`, if it is absent or empty: the workload measures a fresh store.
fn fresh(dir: &Path) -> Result<PathBuf, BoxError> {
    match std::fs::read_dir(dir).map(|mut entries| entries.next().is_none()) {
        Ok(true) => Ok(dir.to_path_buf()),
        Ok(false) => Err(format!("`{}` is not empty; give a new directory", dir.display()).into()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(dir.to_path_buf()),
        Err(e) => Err(format!("cannot read `{}`: {e}", dir.display()).into()),
    }
}

impl Figures {
    /// Every figure as JSON.
    pub fn json(&self) -> serde_json::Value {
        report::json(self)
    }
}
