//! The measured phases of the demo, and its report.

use std::io::Cursor;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use engine::Value;
use hdrhistogram::Histogram;
use ingest::batch::{BatchConfig, Batcher};
use ingest::source::ReaderSource;
use storage::Store;

use super::org::{event_line, review, user, Org, Rng};
use super::DemoArgs;
use crate::error::CliError;
use crate::load::now;
use crate::materializer::Materializer;
use crate::pipeline::commit_epochs;

/// Latencies in nanoseconds.
type Latencies = Histogram<u64>;

fn histogram() -> Result<Latencies, CliError> {
    // From 1 ns to an hour, three significant digits.
    Histogram::new_with_bounds(1, 3_600_000_000_000, 3)
        .map_err(|e| CliError::Other(format!("cannot create a histogram: {e}")))
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).max(1)
}

/// What the streaming phase measured.
#[derive(Debug)]
pub struct StreamFigures {
    lines: usize,
    operations: usize,
    epochs: usize,
    granted: usize,
    revoked: usize,
    elapsed: Duration,
    freshness: Latencies,
    concurrent_checks: Latencies,
}

/// Everything the demo measured.
#[derive(Debug, Default)]
pub struct Figures {
    /// Base facts generated.
    pub facts: usize,
    /// Levels of the chart.
    pub depth: usize,
    /// Time to materialize and commit the initial facts.
    pub materialize: Duration,
    /// Permission tuples materialized.
    pub tuples: usize,
    /// Check latencies.
    pub checks: Option<Latencies>,
    /// `who` latencies.
    pub who: Option<Latencies>,
    /// The streaming phase.
    pub stream: Option<StreamFigures>,
    /// Single-change visibility latencies.
    pub visibility: Option<Latencies>,
    /// The final committed epoch.
    pub epoch: u64,
    /// An example answer, printed as is.
    pub example: String,
}

/// A random ancestor of `e` (allowed to comment) or a random non-ancestor
/// (denied), half and half; answers (actor, review, expected).
fn random_check(org: &Org, rng: &mut Rng) -> (usize, usize, bool) {
    let e = 1 + rng.below(org.len() - 1);
    if rng.below(2) == 0 {
        let mut m = org.managers[e].unwrap_or(0);
        while rng.below(2) == 0 {
            match org.managers[m] {
                Some(up) => m = up,
                None => break,
            }
        }
        (m, e, true)
    } else {
        let m = rng.below(org.len());
        (m, e, org.manages(m, e))
    }
}

/// Random checks of `comment` on reviews, each through a fresh reader at
/// the committed epoch; every answer is compared with the generator's own
/// chart.
pub fn check_latency(
    store: &Store,
    org: &Org,
    checks: usize,
    rng: &mut Rng,
) -> Result<Option<Latencies>, CliError> {
    let mut latencies = histogram()?;
    let comment = Value::str("comment");
    for _ in 0..checks {
        let (m, e, expected) = random_check(org, rng);
        let (actor, resource) = (user(m), review(e));
        let started = Instant::now();
        let allowed = store.read()?.check(&actor, &comment, &resource, now())?;
        latencies.saturating_record(nanos(started.elapsed()));
        if allowed != expected {
            return Err(CliError::Other(format!(
                "the store answered {allowed} for {actor} comment {resource}, the chart says {expected}"
            )));
        }
    }
    Ok(Some(latencies))
}

/// `who` may comment on random reviews: every manager above the employee.
pub fn who_latency(
    store: &Store,
    org: &Org,
    queries: usize,
    rng: &mut Rng,
) -> Result<Option<Latencies>, CliError> {
    let mut latencies = histogram()?;
    let comment = Value::str("comment");
    for _ in 0..queries {
        let resource = review(rng.below(org.len()));
        let started = Instant::now();
        let reader = store.read()?;
        let mut count = 0usize;
        for actor in reader.who(&comment, &resource, None, usize::MAX, now())? {
            actor?;
            count += 1;
        }
        latencies.saturating_record(nanos(started.elapsed()));
        std::hint::black_box(count);
    }
    Ok(Some(latencies))
}

/// Streams `changes` HR events (68% moves, 30% hires, 2% re-orgs of a
/// manager's whole subtree, hundreds of people) through the ingest pipeline, while a
/// second thread keeps checking.
pub fn stream_changes(
    materializer: &mut Materializer,
    org: &mut Org,
    changes: usize,
    rng: &mut Rng,
) -> Result<Option<StreamFigures>, CliError> {
    let mut text = String::new();
    for _ in 0..changes {
        let line = match rng.below(50) {
            0..=33 => {
                let (e, new) = org.random_move(rng);
                org.move_under(e, new)
            }
            34..=48 => org.hire(rng),
            _ => {
                let senior = 30 + rng.below(300.min(org.len() - 31));
                let new = rng.below(senior);
                org.move_under(senior, new)
            }
        };
        text.push_str(&event_line(&line));
        text.push('\n');
    }
    let source = ReaderSource::new("demo events", Cursor::new(text));
    let config = BatchConfig {
        max_events: 500,
        max_latency: Duration::from_millis(20),
        queue_depth: 4,
    };
    let batcher = Batcher::spawn(Box::new(source), materializer.program().clone(), config)
        .map_err(|e| CliError::Other(format!("cannot start the stream: {e}")))?;
    let stop = Arc::new(AtomicBool::new(false));
    let checker = spawn_checker(materializer.store().clone(), org.len(), stop.clone())?;
    let started = Instant::now();
    let mut freshness = histogram()?;
    let totals = commit_epochs(materializer, batcher.receiver(), None, |epoch| {
        freshness.saturating_record(nanos(epoch.freshness));
    });
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let concurrent_checks = checker
        .join()
        .map_err(|_| CliError::Other("the checking thread failed".into()))??;
    batcher
        .join()
        .map_err(|e| CliError::Other(format!("the stream failed: {e}")))?;
    let totals = totals?;
    Ok(Some(StreamFigures {
        lines: totals.accepted_lines,
        operations: totals.operations,
        epochs: totals.epochs,
        granted: totals.granted,
        revoked: totals.revoked,
        elapsed,
        freshness,
        concurrent_checks,
    }))
}

type Checker = std::thread::JoinHandle<Result<Latencies, CliError>>;

/// A thread checking random pairs until `stop`, about 20,000 a second, so
/// that it leaves the cores to the dataflow.
fn spawn_checker(
    store: Arc<Store>,
    people: usize,
    stop: Arc<AtomicBool>,
) -> Result<Checker, CliError> {
    std::thread::Builder::new()
        .name("demo-checker".into())
        .spawn(move || {
            let mut rng = Rng::new(7);
            let mut latencies = histogram()?;
            let comment = Value::str("comment");
            while !stop.load(Ordering::Relaxed) {
                let (m, e) = (rng.below(people), rng.below(people));
                let started = Instant::now();
                std::hint::black_box(store.read()?.check(&user(m), &comment, &review(e), now())?);
                latencies.saturating_record(nanos(started.elapsed()));
                std::thread::sleep(Duration::from_micros(50));
            }
            Ok(latencies)
        })
        .map_err(|e| CliError::Other(format!("cannot start a thread: {e}")))
}

/// Single manager moves, each its own epoch: from the change to the new
/// manager's `comment` on the employee's review being visible to a check.
pub fn visibility(
    materializer: &mut Materializer,
    org: &mut Org,
    moves: usize,
    rng: &mut Rng,
) -> Result<Option<Latencies>, CliError> {
    let mut latencies = histogram()?;
    let comment = Value::str("comment");
    for _ in 0..moves {
        let (e, new) = org.random_move(rng);
        let changes = org.move_under(e, new);
        let started = Instant::now();
        materializer.apply(&changes, Vec::new())?;
        let visible =
            materializer
                .store()
                .read()?
                .check(&user(new), &comment, &review(e), now())?;
        latencies.saturating_record(nanos(started.elapsed()));
        if !visible {
            return Err(CliError::Other(format!(
                "after moving {} under {}, the new manager cannot comment on {}",
                user(e),
                user(new),
                review(e)
            )));
        }
    }
    Ok(Some(latencies))
}

/// Who may comment on the review of the deepest employee.
pub fn example(store: &Store, org: &Org) -> Result<String, CliError> {
    let deepest = (0..org.len())
        .max_by_key(|e| {
            let mut depth = 0;
            let mut at = org.managers[*e];
            while let Some(m) = at {
                depth += 1;
                at = org.managers[m];
            }
            depth
        })
        .unwrap_or(0);
    let reader = store.read()?;
    let resource = review(deepest);
    let mut actors = Vec::new();
    for actor in reader.who(&Value::str("comment"), &resource, None, 20, now())? {
        actors.push(actor?.to_string());
    }
    Ok(format!(
        "who may comment on {resource} (the deepest employee's review): {}",
        actors.join(", ")
    ))
}

fn micros(h: &Latencies, q: f64) -> String {
    let v = h.value_at_quantile(q) as f64 / 1000.0;
    if v < 1000.0 {
        format!("{v:.1} µs")
    } else {
        format!("{:.2} ms", v / 1000.0)
    }
}

impl Figures {
    /// The printed summary.
    pub fn report(&self, args: &DemoArgs) -> String {
        let mut out = format!(
            "\npermafrost demo: {} employees ({} levels), the org chart policy, {} worker(s)\n\n",
            args.employees, self.depth, args.workers
        );
        let seconds = self.materialize.as_secs_f64().max(1e-6);
        out += &format!(
            "  materialized  {} facts into {} permission tuples in {:.2} s ({:.0} tuples/s)\n",
            self.facts,
            self.tuples,
            seconds,
            self.tuples as f64 / seconds
        );
        if let Some(h) = &self.checks {
            out += &format!(
                "  check         {} random checks, half allowed: p50 {}, p99 {}, p99.9 {}\n",
                h.len(),
                micros(h, 0.5),
                micros(h, 0.99),
                micros(h, 0.999)
            );
        }
        if let Some(h) = &self.who {
            out += &format!(
                "  who           {} \"who may comment on this review\": p50 {}, p99 {}\n",
                h.len(),
                micros(h, 0.5),
                micros(h, 0.99)
            );
        }
        if let Some(s) = &self.stream {
            let rate = s.operations as f64 / s.elapsed.as_secs_f64().max(1e-6);
            out += &format!(
                "  stream        {} HR changes ({} operations) in {} epochs, {:.2} s: {:.0} events/s, +{} -{} tuples\n",
                s.lines,
                s.operations,
                s.epochs,
                s.elapsed.as_secs_f64(),
                rate,
                s.granted,
                s.revoked
            );
            out += &format!(
                "                freshness (event read → visible; the whole stream is read at once,\n                so this includes its backlog): p50 {}, p99 {}\n",
                micros(&s.freshness, 0.5),
                micros(&s.freshness, 0.99)
            );
            out += &format!(
                "                meanwhile {} checks answered: p50 {}, p99 {}\n",
                s.concurrent_checks.len(),
                micros(&s.concurrent_checks, 0.5),
                micros(&s.concurrent_checks, 0.99)
            );
        }
        if let Some(h) = &self.visibility {
            out += &format!(
                "  visibility    {} single manager moves, change → visible to check: p50 {}, p99 {}\n",
                h.len(),
                micros(h, 0.5),
                micros(h, 0.99)
            );
        }
        out += &format!("\n  {}\n  committed epoch {}; ", self.example, self.epoch);
        out
    }
}
