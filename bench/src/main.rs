//! The benchmark harness: `cargo run --release -p bench -- <workload> [options]`.

use std::time::{Duration, Instant};

use bench::ingest_stream::{self, IngestStreamArgs};
use bench::org_chart::{manager_fact, OrgChart, CLOSURE_POLICY};
use bench::oso_peer::OsoConfig;
use bench::rng::Rng;
use bench::store::StoreConfig;
use bench::{rss_bytes, BoxError};
use clap::{Parser, Subcommand};
use engine::dataflow::{Engine, EngineConfig};
use engine::{check_policy, reference, Fact, SourceFile};
use hdrhistogram::Histogram;

#[derive(Parser)]
#[command(about = "permafrost benchmarks, side by side with their peers")]
struct Cli {
    #[command(subcommand)]
    workload: Workload,
}

#[derive(Subcommand)]
enum Workload {
    /// The recursive management closure: initial fixpoint, single manager
    /// moves, and recomputing from scratch with the reference evaluator.
    OrgChart {
        /// Employees.
        #[arg(long, default_value_t = 100_000)]
        employees: usize,
        /// Levels of the chart.
        #[arg(long, default_value_t = 12)]
        depth: usize,
        /// Single-employee moves measured.
        #[arg(long, default_value_t = 500)]
        moves: usize,
        /// Reference recomputations measured.
        #[arg(long, default_value_t = 3)]
        recomputes: usize,
        /// Dataflow workers.
        #[arg(long, default_value_t = 2)]
        workers: usize,
        /// Generator seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Write the figures as JSON to this file.
        #[arg(long)]
        json: Option<std::path::PathBuf>,
    },
    /// HR change events offered at fixed rates to the ingest pipeline:
    /// sustained rate, freshness, write amplification.
    IngestStream {
        /// Employees.
        #[arg(long, default_value_t = 100_000)]
        employees: usize,
        /// Offered rates in events per second, comma-separated.
        #[arg(long, value_delimiter = ',', default_values_t = [1000, 2000, 5000, 10000, 20000])]
        rates: Vec<usize>,
        /// Seconds per rate.
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        /// Dataflow workers.
        #[arg(long, default_value_t = 2)]
        workers: usize,
        /// An epoch closes at this many operations.
        #[arg(long, default_value_t = 10_000)]
        max_events: usize,
        /// An epoch closes once its oldest event waited this long (ms).
        #[arg(long, default_value_t = 20)]
        max_latency_ms: u64,
        /// Generator seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Write the figures as JSON to this file.
        #[arg(long)]
        json: Option<std::path::PathBuf>,
    },
    /// Every workload at the sizes `bench/RESULTS.md` reports, each in its
    /// own process, writing JSON into `bench/results/`; then the plots.
    All {
        /// Small sizes into `bench/results/quick/`: a smoke check of the
        /// whole harness in a few minutes.
        #[arg(long)]
        quick: bool,
        /// Write the results here instead.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Draws the plots from the JSON files of a results directory.
    Plots {
        /// The results directory.
        #[arg(long, default_value = "bench/results")]
        dir: std::path::PathBuf,
    },
    /// The permission service over HTTP on loopback: checks one at a time,
    /// at a fixed offered rate, saturated, and in batches, beside the same
    /// checks in process.
    Http {
        /// Employees (one review each).
        #[arg(long, default_value_t = 100_000)]
        employees: usize,
        /// Levels of the chart.
        #[arg(long, default_value_t = 12)]
        depth: usize,
        /// Dataflow workers of the materializer.
        #[arg(long, default_value_t = 2)]
        workers: usize,
        /// Generator seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Distinct check probes (half allowed, half denied).
        #[arg(long, default_value_t = 10_000)]
        probes: usize,
        /// Offered rate of the open-loop run, checks per second.
        #[arg(long, default_value_t = 10_000)]
        rate: usize,
        /// Seconds of the open-loop and the saturated runs.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// Keep-alive connections.
        #[arg(long, default_value_t = 8)]
        connections: usize,
        /// Sequential batch requests.
        #[arg(long, default_value_t = 1000)]
        batches: usize,
        /// Checks per batch.
        #[arg(long, default_value_t = 100)]
        batch_size: usize,
        /// Write the figures as JSON to this file.
        #[arg(long)]
        json: Option<std::path::PathBuf>,
    },
    /// The store: the org chart with one review per employee under
    /// `policies/org_chart.polar`, materialized through the write path, then
    /// `check`, `who` and `list` beside a bare RocksDB and a `HashSet`.
    Store {
        /// Employees (one review each).
        #[arg(long, default_value_t = 100_000)]
        employees: usize,
        /// Levels of the chart.
        #[arg(long, default_value_t = 12)]
        depth: usize,
        /// Dataflow workers of the materializer.
        #[arg(long, default_value_t = 2)]
        workers: usize,
        /// Generator seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Check probes per round (half allowed, half denied).
        #[arg(long, default_value_t = 100_000)]
        checks: usize,
        /// Actors per `who` answer aimed at.
        #[arg(long, default_value_t = 12)]
        who_rows: usize,
        /// `who` probes per round.
        #[arg(long, default_value_t = 10_000)]
        whos: usize,
        /// `list` repeats per round.
        #[arg(long, default_value_t = 10)]
        lists: usize,
        /// Measured rounds, after one warm-up round.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Materialize into this directory (absent or empty) instead of a
        /// temporary one, and keep it.
        #[arg(long)]
        db: Option<std::path::PathBuf>,
        /// Write the figures as JSON to this file.
        #[arg(long)]
        json: Option<std::path::PathBuf>,
    },
    /// The example policies (org chart, GitHub, Drive, hospital) over
    /// generated worlds: materialization blow-up, then a stream of changes
    /// one epoch each, through the write path.
    Domains(bench::domains::DomainsArgs),
    /// Time-bounded permissions: a hospital's visit history materialized
    /// with validity intervals, checks at a time beside an untimed peer,
    /// and a stream of new visits.
    HospitalTime(bench::hospital_time::HospitalTimeArgs),
    /// The oso peer: the open-source Polar engine answers the store
    /// workload's checks and `who` with the recursive rule walking up from
    /// the employee and down from the manager; answers compared, then timed.
    Oso {
        /// Employees (one review each).
        #[arg(long, default_value_t = 100_000)]
        employees: usize,
        /// Levels of the chart.
        #[arg(long, default_value_t = 12)]
        depth: usize,
        /// Checks (half allowed, half denied).
        #[arg(long, default_value_t = 200)]
        checks: usize,
        /// Reviews whose readers are enumerated.
        #[arg(long, default_value_t = 20)]
        whos: usize,
        /// Generator seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Write the figures as JSON to this file.
        #[arg(long)]
        json: Option<std::path::PathBuf>,
    },
}

fn main() {
    if let Err(err) = run(Cli::parse().workload) {
        eprintln!("error: {err}");
        std::process::exit(2);
    }
}

/// Writes a run's figures as pretty JSON to `json`, if given.
fn write_json(
    figures: &serde_json::Value,
    json: Option<std::path::PathBuf>,
) -> Result<(), BoxError> {
    if let Some(path) = json {
        std::fs::write(&path, format!("{figures:#}\n"))
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    }
    Ok(())
}

fn run(workload: Workload) -> Result<(), BoxError> {
    match workload {
        Workload::OrgChart {
            employees,
            depth,
            moves,
            recomputes,
            workers,
            seed,
            json,
        } => {
            org_chart(employees, depth, moves, recomputes, workers, seed, json)?;
        }
        Workload::IngestStream {
            employees,
            rates,
            seconds,
            workers,
            max_events,
            max_latency_ms,
            seed,
            json,
        } => {
            let args = IngestStreamArgs {
                employees,
                rates,
                seconds,
                workers,
                max_events,
                max_latency: Duration::from_millis(max_latency_ms),
                seed,
            };
            write_json(&ingest_stream::run(&args)?, json)?;
        }
        Workload::All { quick, out } => {
            bench::suite::run(quick, out)?;
        }
        Workload::Plots { dir } => {
            for path in bench::plots::draw(&dir)? {
                println!("{}", path.display());
            }
        }
        Workload::Http {
            employees,
            depth,
            workers,
            seed,
            probes,
            rate,
            seconds,
            connections,
            batches,
            batch_size,
            json,
        } => {
            let config = bench::http_load::HttpLoadConfig {
                employees,
                depth,
                workers,
                seed,
                probes,
                rate,
                seconds,
                connections,
                batches,
                batch_size,
            };
            write_json(&bench::http_load::run(&config)?, json)?;
        }
        Workload::Store {
            employees,
            depth,
            workers,
            seed,
            checks,
            who_rows,
            whos,
            lists,
            rounds,
            db,
            json,
        } => {
            let config = StoreConfig {
                employees,
                depth,
                workers,
                seed,
                checks,
                who_rows,
                whos,
                lists,
                rounds,
                db,
            };
            store(config, json)?;
        }
        Workload::Domains(args) => {
            bench::domains::main(&args)?;
        }
        Workload::HospitalTime(args) => {
            write_json(&bench::hospital_time::run(&args)?, args.json.clone())?;
        }
        Workload::Oso {
            employees,
            depth,
            checks,
            whos,
            seed,
            json,
        } => {
            let config = OsoConfig {
                employees,
                depth,
                checks,
                whos,
                seed,
                workers: 2,
            };
            write_json(&bench::oso_peer::run(&config)?, json)?;
        }
    }
    Ok(())
}

fn store(config: StoreConfig, json: Option<std::path::PathBuf>) -> Result<(), BoxError> {
    write_json(&bench::store::run(config)?.json(), json)
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn org_chart(
    employees: usize,
    depth: usize,
    moves: usize,
    recomputes: usize,
    workers: usize,
    seed: u64,
    json: Option<std::path::PathBuf>,
) -> Result<(), BoxError> {
    let program =
        check_policy(&SourceFile::new("closure.polar", CLOSURE_POLICY)).map_err(|d| d.render())?;
    let manages = program.pred("manages").ok_or("no `manages`")?;
    let mut chart = OrgChart::generate(employees, depth, seed);
    let facts = chart.facts();
    println!(
        "org chart: {} employees, depth {}, {} manager facts, closure of {} pairs; {workers} worker(s), seed {seed}",
        employees,
        chart.depth(),
        facts.len(),
        chart.closure_size()
    );

    // Initial fixpoint on the dataflow.
    let rss_before = rss_bytes().unwrap_or(0);
    let mut engine = Engine::start(
        &program,
        EngineConfig {
            workers,
            outputs: Some(vec![manages]),
        },
    )
    .map_err(|e| e.to_string())?;
    let load: Vec<(Fact, bool)> = facts.iter().map(|f| (f.clone(), true)).collect();
    let started = Instant::now();
    let initial = engine.apply(&load).map_err(|e| e.to_string())?;
    let initial_time = started.elapsed();
    let derived = initial.diffs.len();
    drop(initial);
    let rss_after = rss_bytes().unwrap_or(0);
    if derived != chart.closure_size() {
        return Err(format!(
            "dataflow derived {derived} pairs, expected {}",
            chart.closure_size()
        )
        .into());
    }

    // Single moves: delete the old manager edge, insert the new one, one epoch each.
    let mut rng = Rng::new(seed ^ 0x5eed);
    let mut latency = Histogram::<u64>::new(3).map_err(|e| e.to_string())?;
    let mut changed_total = 0usize;
    for _ in 0..moves {
        let (e, old, new) = chart.random_move(&mut rng);
        let changes = vec![(manager_fact(old, e), false), (manager_fact(new, e), true)];
        let started = Instant::now();
        let diffs = engine.apply(&changes).map_err(|e| e.to_string())?;
        latency
            .record(started.elapsed().as_micros() as u64)
            .map_err(|e| e.to_string())?;
        changed_total += diffs.diffs.len();
    }

    // The peer: recomputing the whole model with the reference evaluator.
    let final_facts = chart.facts();
    let mut recompute = Vec::new();
    let mut reference_pairs = 0;
    for _ in 0..recomputes.max(1) {
        let started = Instant::now();
        let model = reference::evaluate(&program, &final_facts, 0);
        recompute.push(started.elapsed());
        reference_pairs = model.tuples(manages).count();
    }
    if reference_pairs != chart.closure_size() {
        return Err(format!(
            "reference derived {reference_pairs} pairs, expected {}",
            chart.closure_size()
        )
        .into());
    }
    recompute.sort();
    let recompute_median = recompute[recompute.len() / 2];
    let p50 = latency.value_at_quantile(0.5) as f64;
    let p99 = latency.value_at_quantile(0.99) as f64;
    let arrangement_bytes = rss_after.saturating_sub(rss_before) as f64;

    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| initial fixpoint | {:.2} s ({:.0} derived pairs/s) |",
        initial_time.as_secs_f64(),
        derived as f64 / initial_time.as_secs_f64()
    );
    println!(
        "| move latency p50 / p99 / max | {:.0} µs / {:.0} µs / {} µs ({moves} moves) |",
        p50,
        p99,
        latency.max()
    );
    println!(
        "| tuples changed per move (mean) | {:.1} |",
        changed_total as f64 / moves.max(1) as f64
    );
    println!(
        "| reference recompute (median of {}) | {:.2} s |",
        recompute.len(),
        recompute_median.as_secs_f64()
    );
    println!(
        "| recompute / move p50 | {:.0}× |",
        micros(recompute_median) / p50.max(1.0)
    );
    println!(
        "| recompute / move p99 | {:.0}× |",
        micros(recompute_median) / p99.max(1.0)
    );
    println!(
        "| resident memory added by the loaded dataflow | {:.1} MiB ({:.0} bytes per base fact) |",
        arrangement_bytes / 1048576.0,
        arrangement_bytes / facts.len().max(1) as f64
    );

    let record = serde_json::json!({
        "workload": "org-chart",
        "employees": employees,
        "depth": chart.depth(),
        "workers": workers,
        "seed": seed,
        "base_facts": facts.len(),
        "derived_pairs": derived,
        "initial_fixpoint_s": initial_time.as_secs_f64(),
        "move_p50_us": p50,
        "move_p99_us": p99,
        "move_max_us": latency.max(),
        "moves": moves,
        "reference_recompute_median_s": recompute_median.as_secs_f64(),
        "recompute_over_move_p50": micros(recompute_median) / p50.max(1.0),
        "rss_added_bytes": arrangement_bytes,
    });
    write_json(&record, json)
}
