//! The runner shared by every domain: materialize the facts through the
//! write path into a fresh store, apply the stream one epoch per change,
//! check what became visible, and (optionally) compare the whole store with
//! the reference evaluator.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use engine::validity::Validity;
use engine::{check_policy, reference, SourceFile};
use ingest::{Change, FactSet, Op};
use permafrost::materializer::{Materializer, MaterializerConfig};
use storage::{Permission, Store};

use super::Domain;
use crate::disk::DirSize;
use crate::latency::{Latency, Summary};
use crate::{rss_bytes, BoxError};

/// The figures of one kind of change.
#[derive(Clone, Debug)]
pub struct KindFigures {
    /// The kind.
    pub kind: &'static str,
    /// `apply` latency: the call until the synced commit returned.
    pub latency: Summary,
    /// Permission tuples granted, revoked or given another validity, per
    /// change.
    pub changed: Vec<usize>,
    /// For subtree moves, the entities moved per change.
    pub moved: Vec<usize>,
}

/// Every figure of one domain.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The domain's name.
    pub name: &'static str,
    /// Its policy file.
    pub policy_path: &'static str,
    /// Its generator's configuration.
    pub config: serde_json::Value,
    /// Distinct base facts loaded.
    pub base_facts: usize,
    /// `Materializer::open` of the empty directory.
    pub open: Duration,
    /// The `apply` of every base fact, one epoch.
    pub load: Duration,
    /// `allow` tuples that epoch granted.
    pub tuples: usize,
    /// Resident memory when the domain started (after generating).
    pub rss_start: u64,
    /// Peak resident memory during the load and the stream, sampled every
    /// 5 ms.
    pub rss_peak: u64,
    /// The store right after the load, the materializer still open.
    pub after_load: DirSize,
    /// The store after the stream, closed and reopened (the write-ahead
    /// log replayed into tables).
    pub after_reopen: DirSize,
    /// Figures per kind of change, in order of first appearance.
    pub kinds: Vec<KindFigures>,
    /// `allow` tuples in the store after the stream.
    pub final_tuples: usize,
    /// Epochs whose first logged change was read back with `check`.
    pub visible_checked: usize,
    /// Whether the store was compared with the reference evaluator.
    pub reference_checked: bool,
}

impl Outcome {
    /// Derived tuples per base fact.
    pub fn blow_up(&self) -> f64 {
        self.tuples as f64 / self.base_facts.max(1) as f64
    }

    /// Derived tuples per second of the load.
    pub fn tuples_per_s(&self) -> f64 {
        self.tuples as f64 / self.load.as_secs_f64().max(1e-9)
    }
}

/// Samples this process's resident memory until stopped; answers the peak.
struct PeakRss {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl PeakRss {
    fn start() -> PeakRss {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(rss_bytes().unwrap_or(0)));
        let (s, p) = (stop.clone(), peak.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(rss_bytes().unwrap_or(0), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        PeakRss {
            stop,
            peak,
            thread: Some(thread),
        }
    }

    fn stop(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.peak
            .load(Ordering::Relaxed)
            .max(rss_bytes().unwrap_or(0))
    }
}

/// Per kind: latencies, tuples changed, entities moved.
struct Kinds(Vec<(&'static str, Latency, Vec<usize>, Vec<usize>)>);

impl Kinds {
    fn record(
        &mut self,
        kind: &'static str,
        elapsed: Duration,
        changed: usize,
        moved: Option<usize>,
    ) -> Result<(), BoxError> {
        let at = match self.0.iter().position(|k| k.0 == kind) {
            Some(at) => at,
            None => {
                self.0.push((kind, Latency::new()?, Vec::new(), Vec::new()));
                self.0.len() - 1
            }
        };
        let entry = &mut self.0[at];
        entry.1.record(elapsed)?;
        entry.2.push(changed);
        entry.3.extend(moved);
        Ok(())
    }

    fn figures(self) -> Vec<KindFigures> {
        let mut kinds: Vec<KindFigures> = self
            .0
            .into_iter()
            .map(|(kind, latency, changed, moved)| KindFigures {
                kind,
                latency: latency.summary(),
                changed,
                moved,
            })
            .collect();
        // Plain changes first, then subtree moves by the size moved.
        kinds.sort_by_key(|k| {
            let moved = k.moved.iter().sum::<usize>() / k.moved.len().max(1);
            (moved, k.kind)
        });
        kinds
    }
}

/// The first permission change `epoch` logged, read back with `check`:
/// granted ones must be allowed, revoked ones denied.
fn check_visible(store: &Store, epoch: u64) -> Result<(), BoxError> {
    let reader = store.read()?;
    let logged = reader
        .changes_since(epoch - 1)?
        .next()
        .ok_or_else(|| format!("epoch {epoch} changed tuples but logged none"))??;
    if logged.epoch != epoch {
        return Err(format!(
            "epoch {epoch}: the log's next change is of {}",
            logged.epoch
        )
        .into());
    }
    let p = &logged.permission;
    let now = permafrost::load::now();
    let granted = logged.validity.contains(now);
    if reader.check(&p.actor, &p.action, &p.resource, now)? != granted {
        return Err(
            format!("epoch {epoch}: `check` does not see {p:?} (granted: {granted})").into(),
        );
    }
    Ok(())
}

/// Runs one domain: load, stream, reopen, verify.
pub fn run(domain: &Domain, workers: usize, verify: bool) -> Result<Outcome, BoxError> {
    let mut seen = HashSet::with_capacity(domain.facts.len());
    let base: Vec<Change> = domain
        .facts
        .iter()
        .filter(|f| seen.insert(*f))
        .map(|fact| Change {
            op: Op::Insert,
            fact: fact.clone(),
        })
        .collect();
    drop(seen);
    println!();
    println!(
        "{}: {} base facts, {} changes in the stream; {workers} worker(s), policy {}",
        domain.name,
        base.len(),
        domain.epochs.len(),
        domain.policy_path
    );
    let temp = tempfile::Builder::new()
        .prefix("permafrost-bench-domains-")
        .tempdir()?;
    let dir = temp.path().join(domain.name);
    let policy = SourceFile::new(domain.policy_path, domain.policy);
    let config = MaterializerConfig { workers };
    let rss_start = rss_bytes().unwrap_or(0);
    let peak = PeakRss::start();

    let started = Instant::now();
    let (mut materializer, _) = Materializer::open(&dir, Some(policy.clone()), &config)?;
    let open = started.elapsed();
    let started = Instant::now();
    let loaded = materializer.apply(&base, Vec::new())?;
    let load = started.elapsed();
    let after_load = DirSize::of(&dir)?;
    println!(
        "loaded in {:.2} s: {} allow tuples",
        load.as_secs_f64(),
        loaded.stats.granted
    );

    let mut kinds = Kinds(Vec::new());
    let mut present = loaded.stats.granted;
    let mut visible_checked = 0;
    for epoch in &domain.epochs {
        let started = Instant::now();
        let report = materializer.apply(&epoch.changes, Vec::new())?;
        let elapsed = started.elapsed();
        let changed = report.stats.granted + report.stats.revoked + report.stats.regranted;
        present = (present + report.stats.granted)
            .checked_sub(report.stats.revoked)
            .ok_or("more tuples revoked than present")?;
        kinds.record(epoch.kind, elapsed, changed, epoch.moved)?;
        if changed > 0 {
            check_visible(materializer.store(), report.epoch)?;
            visible_checked += 1;
        }
    }
    let rss_peak = peak.stop();
    drop(materializer);

    let store = Store::open(&dir)?;
    let after_reopen = DirSize::of(&dir)?;
    // Every stored tuple, whatever its validity: what the epochs counted.
    let stored: Vec<(Permission, Validity)> = store
        .read()?
        .permissions()?
        .collect::<Result<Vec<_>, _>>()?;
    if stored.len() != present {
        return Err(format!(
            "{}: the store holds {} tuples, the epochs' reports add up to {present}",
            domain.name,
            stored.len()
        )
        .into());
    }
    if verify {
        let valid_now: HashSet<Permission> = stored
            .iter()
            .filter(|(_, validity)| validity.contains(domain.now))
            .map(|(permission, _)| permission.clone())
            .collect();
        compare_with_reference(domain, &policy, &base, &valid_now)?;
        println!("the store equals the reference evaluation after the stream");
    }
    Ok(Outcome {
        name: domain.name,
        policy_path: domain.policy_path,
        config: domain.config.clone(),
        base_facts: base.len(),
        open,
        load,
        tuples: loaded.stats.granted,
        rss_start,
        rss_peak,
        after_load,
        after_reopen,
        kinds: kinds.figures(),
        final_tuples: stored.len(),
        visible_checked,
        reference_checked: verify,
    })
}

/// The `allow` tuples the reference evaluator derives from the base facts
/// after the whole stream, at the domain's `now`.
pub fn reference_tuples(
    domain: &Domain,
    policy: &Arc<SourceFile>,
    base: &[Change],
) -> Result<HashSet<Permission>, BoxError> {
    let program = check_policy(policy).map_err(|d| d.render())?;
    let mut facts = FactSet::new();
    facts.apply(base);
    for epoch in &domain.epochs {
        facts.apply(&epoch.changes);
    }
    let model = reference::evaluate(&program, facts.iter(), domain.now);
    let Some(allow) = program.pred("allow") else {
        return Ok(HashSet::new());
    };
    let mut tuples = HashSet::new();
    for tuple in model.tuples(allow) {
        let [actor, action, resource] = <[engine::Value; 3]>::try_from(tuple.to_vec())
            .map_err(|_| "an `allow` tuple of another arity than 3")?;
        tuples.insert(Permission::new(actor, action, resource));
    }
    Ok(tuples)
}

/// Fails unless `stored` is exactly what the reference evaluator derives.
fn compare_with_reference(
    domain: &Domain,
    policy: &Arc<SourceFile>,
    base: &[Change],
    stored: &HashSet<Permission>,
) -> Result<(), BoxError> {
    let expected = reference_tuples(domain, policy, base)?;
    if &expected == stored {
        return Ok(());
    }
    let missing: Vec<String> = expected
        .difference(stored)
        .take(3)
        .map(|p| p.to_fact().to_string())
        .collect();
    let extra: Vec<String> = stored
        .difference(&expected)
        .take(3)
        .map(|p| p.to_fact().to_string())
        .collect();
    Err(format!(
        "{}: the store differs from the reference evaluator: {} tuples vs {}; missing e.g. {missing:?}, extra e.g. {extra:?}",
        domain.name,
        stored.len(),
        expected.len()
    )
    .into())
}
