//! The write path under test: a fresh store materialized through
//! `Materializer::open` and one `apply` of every fact, then reopened the way
//! a reading process opens it.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use engine::SourceFile;
use permafrost::materializer::{Materializer, MaterializerConfig};
use storage::Store;

use crate::disk::{families, DirSize, FamilyFiles};
use crate::org_chart::OrgChart;
use crate::reviews::{changes, STORE_POLICY};
use crate::{rss_bytes, BoxError};

/// What materializing the store cost.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// Base facts applied.
    pub facts: usize,
    /// `Materializer::open` on the empty directory: store creation, policy
    /// check, dataflow start, the (empty) rebuild epoch.
    pub open: Duration,
    /// `Materializer::apply` of every fact in one epoch: the dataflow's
    /// fixpoint and the synced commit of facts, both indexes, the change
    /// log and the dictionary.
    pub apply: Duration,
    /// The epoch `apply` committed.
    pub epoch: u64,
    /// Permission tuples granted by that epoch.
    pub granted: usize,
    /// Resident memory added while loading (dataflow, decoded diffs, the
    /// write batch), in bytes: an upper bound, measured before the
    /// materializer is dropped.
    pub rss_added: u64,
    /// The directory right after `apply`, the materializer still open.
    pub after_apply: DirSize,
    /// The directory after closing the materializer and reopening the store
    /// with `Store::open` (which replays the write-ahead log into tables).
    pub after_reopen: DirSize,
    /// `Store::open` of the materialized directory.
    pub reopen: Duration,
    /// The table files of each column family after the reopen.
    pub families: BTreeMap<String, FamilyFiles>,
}

/// Materializes `chart` with its reviews into the store in `dir` (absent or
/// empty) on `workers` dataflow workers, then reopens it for reading.
pub fn materialize(
    chart: &OrgChart,
    dir: &Path,
    workers: usize,
) -> Result<(Store, Loaded), BoxError> {
    let changes = changes(chart);
    let policy = SourceFile::new("policies/org_chart.polar", STORE_POLICY);
    let config = MaterializerConfig { workers };
    let rss_before = rss_bytes().unwrap_or(0);

    let started = Instant::now();
    let (mut materializer, _) = Materializer::open(dir, Some(policy), &config)?;
    let open = started.elapsed();
    let started = Instant::now();
    let report = materializer.apply(&changes, Vec::new())?;
    let apply = started.elapsed();

    let rss_added = rss_bytes().unwrap_or(0).saturating_sub(rss_before);
    let after_apply = DirSize::of(dir)?;
    drop(materializer);
    let started = Instant::now();
    let store = Store::open(dir)?;
    let reopen = started.elapsed();
    let after_reopen = DirSize::of(dir)?;
    let loaded = Loaded {
        facts: changes.len(),
        open,
        apply,
        epoch: report.epoch,
        granted: report.stats.granted,
        rss_added,
        after_apply,
        after_reopen,
        reopen,
        families: families(dir)?,
    };
    Ok((store, loaded))
}
