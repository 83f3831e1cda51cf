//! The ingest workload: HR change events offered at fixed rates to the real
//! pipeline (batcher → dataflow → store), measuring the rate sustained,
//! freshness (event read → visible to `check`), and RocksDB's write
//! amplification.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver};
use hdrhistogram::Histogram;
use ingest::batch::{BatchConfig, Batcher};
use ingest::source::{Source, SourceLine};
use permafrost::demo::org::{event_line, inserts, Org, Rng};
use permafrost::demo::POLICY;
use permafrost::materializer::{Materializer, MaterializerConfig};
use permafrost::pipeline::commit_epochs;
use serde_json::json;

/// What to run.
#[derive(Clone, Debug)]
pub struct IngestStreamArgs {
    /// Employees in the company.
    pub employees: usize,
    /// Offered rates, events per second, in order.
    pub rates: Vec<usize>,
    /// Seconds each rate is offered.
    pub seconds: f64,
    /// Dataflow workers.
    pub workers: usize,
    /// An epoch closes at this many operations…
    pub max_events: usize,
    /// …or once its oldest event waited this long.
    pub max_latency: Duration,
    /// Generator seed.
    pub seed: u64,
}

/// Event lines handed over a channel, as a network source would: the line
/// is "read" when the batcher takes it.
struct ChannelSource {
    lines: Receiver<String>,
    line: u64,
    offset: u64,
}

impl Source for ChannelSource {
    fn name(&self) -> &str {
        "<offered events>"
    }

    fn offset_key(&self) -> Option<&str> {
        None
    }

    fn next_line(&mut self) -> std::io::Result<Option<SourceLine>> {
        let Ok(text) = self.lines.recv() else {
            return Ok(None);
        };
        self.line += 1;
        self.offset += text.len() as u64 + 1;
        Ok(Some(SourceLine {
            text,
            line: self.line,
            end_offset: self.offset,
        }))
    }
}

/// One HR event: mostly a move of a random employee (two operations in one
/// batch line), else a hire (three inserts).
fn hr_event(org: &mut Org, rng: &mut Rng) -> String {
    let changes = if rng.below(10) < 7 {
        let (e, new) = org.random_move(rng);
        org.move_under(e, new)
    } else {
        org.hire(rng)
    };
    event_line(&changes)
}

/// Runs every offered rate; prints a table and answers the figures.
pub fn run(args: &IngestStreamArgs) -> Result<serde_json::Value, String> {
    let mut rng = Rng::new(args.seed);
    let mut org = Org::generate(args.employees, &mut rng);
    let facts = org.facts(&mut rng);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let policy = engine::SourceFile::new("policies/org_chart.polar", POLICY);
    let config = MaterializerConfig {
        workers: args.workers,
    };
    let (mut materializer, _) =
        Materializer::open(dir.path(), Some(policy), &config).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let loaded = materializer
        .apply(&inserts(facts), Vec::new())
        .map_err(|e| e.to_string())?;
    println!(
        "ingest stream: {} employees ({} levels), {} tuples materialized in {:.1} s; {} worker(s); epochs close at {} operations or {} ms",
        args.employees,
        org.depth(),
        loaded.stats.granted,
        started.elapsed().as_secs_f64(),
        args.workers,
        args.max_events,
        args.max_latency.as_millis()
    );
    println!();
    println!("| offered events/s | sustained events/s | epochs | events per epoch | freshness p50 | p99 | max | tuples changed | write amplification |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut runs = Vec::new();
    let mut breaks_at = None;
    for &rate in &args.rates {
        let run = offer(&mut materializer, &mut org, &mut rng, rate, args)?;
        let p99_ms = run["freshness_p99_ms"].as_f64().unwrap_or(f64::MAX);
        let sustained = run["sustained_events_per_s"].as_f64().unwrap_or(0.0);
        if breaks_at.is_none() && (p99_ms > 100.0 || sustained < 0.95 * rate as f64) {
            breaks_at = Some(rate);
        }
        runs.push(run);
    }
    println!();
    match breaks_at {
        Some(rate) => println!(
            "freshness breaks (p99 > 100 ms or sustained < 95% of offered) at {rate} events/s"
        ),
        None => println!("freshness held at every offered rate"),
    }
    Ok(json!({
        "employees": args.employees,
        "workers": args.workers,
        "seconds_per_rate": args.seconds,
        "max_events": args.max_events,
        "max_latency_ms": args.max_latency.as_millis() as u64,
        "seed": args.seed,
        "initial_tuples": loaded.stats.granted,
        "runs": runs,
        "breaks_at_events_per_s": breaks_at,
    }))
}

/// Offers `rate` events per second for `args.seconds`.
fn offer(
    materializer: &mut Materializer,
    org: &mut Org,
    rng: &mut Rng,
    rate: usize,
    args: &IngestStreamArgs,
) -> Result<serde_json::Value, String> {
    let count = ((rate as f64) * args.seconds).round().max(1.0) as usize;
    let lines: Vec<String> = (0..count).map(|_| hr_event(org, rng)).collect();
    let (tx, rx) = bounded::<String>(1024);
    let source = ChannelSource {
        lines: rx,
        line: 0,
        offset: 0,
    };
    let batch = BatchConfig {
        max_events: args.max_events,
        max_latency: args.max_latency,
        queue_depth: 4,
    };
    let program = Arc::clone(materializer.program());
    let batcher = Batcher::spawn(Box::new(source), program, batch).map_err(|e| e.to_string())?;
    let before = materializer.store().write_statistics();
    let started = Instant::now();
    let producer = std::thread::spawn(move || {
        let interval = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
        for (i, line) in lines.into_iter().enumerate() {
            let due = started + interval * i as u32;
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut freshness =
        Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).map_err(|e| e.to_string())?;
    let totals = commit_epochs(materializer, batcher.receiver(), None, |epoch| {
        let micros = u64::try_from(epoch.freshness.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        // Every event of the epoch is counted with its oldest event's wait:
        // an upper bound for each.
        let _ = freshness.record_n(micros.min(3_600_000_000), epoch.accepted_lines as u64);
    })
    .map_err(|e| e.to_string())?;
    let elapsed = started.elapsed();
    producer
        .join()
        .map_err(|_| "the producer thread failed".to_string())?;
    batcher.join().map_err(|e| e.to_string())?;
    let writes = materializer.store().write_statistics().since(&before);
    let sustained = totals.accepted_lines as f64 / elapsed.as_secs_f64();
    let ms = |q: f64| freshness.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "| {rate} | {sustained:.0} | {} | {:.0} | {:.1} ms | {:.1} ms | {:.1} ms | {} | {:.2} |",
        totals.epochs,
        totals.accepted_lines as f64 / totals.epochs.max(1) as f64,
        ms(0.5),
        ms(0.99),
        freshness.max() as f64 / 1000.0,
        totals.granted + totals.revoked,
        writes.write_amplification()
    );
    Ok(json!({
        "offered_events_per_s": rate,
        "events": totals.accepted_lines,
        "operations": totals.operations,
        "sustained_events_per_s": sustained,
        "epochs": totals.epochs,
        "freshness_p50_ms": ms(0.5),
        "freshness_p99_ms": ms(0.99),
        "freshness_max_ms": freshness.max() as f64 / 1000.0,
        "tuples_granted": totals.granted,
        "tuples_revoked": totals.revoked,
        "user_bytes": writes.user_bytes,
        "wal_bytes": writes.wal_bytes,
        "flush_bytes": writes.flush_bytes,
        "compaction_bytes": writes.compaction_bytes,
        "write_amplification": writes.write_amplification(),
    }))
}
