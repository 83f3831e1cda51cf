//! The oso peer (issue 6): the open-source Polar engine, top-down, answers
//! the same checks and `who` questions as the store on the same chart,
//! reviews and rule logic, in the same process and run.
//!
//! Flow of a run: the store workload's generator and loader materialize the
//! chart with one review per employee into a fresh store (the real write
//! path); [`model`] builds two oso instances over the same chart as host
//! classes, one per order of the recursive rule; [`probes`] draws one
//! seeded, mixed set of checks and reviews. Then each engine in turn (the
//! store, oso up, oso down) answers every probe twice: once unrecorded, its
//! answers compared (the store's with the generator's, oso's with the
//! store's; a mismatch aborts the run), then once more, timed, its answers
//! compared again. The [`report`] gives each engine's percentiles and oso's
//! better order as a ratio to the store.

pub mod model;
pub mod probes;
pub mod report;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use engine::Value;
use serde_json::Value as Json;
use storage::Reader;

use crate::latency::Latency;
use crate::org_chart::{employee, OrgChart};
use crate::reviews::{review, tuples, ACTIONS, READ};
use crate::rng::Rng;
use crate::store::materialize;
use crate::BoxError;
use model::{Directory, Order, OsoPeer};
use probes::{Kind, Probe};
use report::{Engine, Figures};

/// The parameters of a run.
#[derive(Clone, Debug)]
pub struct OsoConfig {
    /// Employees of the chart (one review each).
    pub employees: usize,
    /// Levels of the chart.
    pub depth: usize,
    /// Checks, half allowed and half denied.
    pub checks: usize,
    /// Reviews whose readers are enumerated.
    pub whos: usize,
    /// Generator seed.
    pub seed: u64,
    /// Dataflow workers of the store's materializer.
    pub workers: usize,
}

/// The latencies of one engine: every check, checks by [`Kind`], and `who`.
pub struct Timings {
    /// Every check.
    pub checks: Latency,
    /// Checks of each kind, in [`Kind::ALL`] order.
    pub by_kind: [Latency; 3],
    /// `who` may read a review, the whole answer.
    pub who: Latency,
}

impl Timings {
    fn new() -> Result<Timings, BoxError> {
        Ok(Timings {
            checks: Latency::new()?,
            by_kind: [Latency::new()?, Latency::new()?, Latency::new()?],
            who: Latency::new()?,
        })
    }

    fn record(&mut self, kind: Kind, elapsed: Duration) -> Result<(), BoxError> {
        self.checks.record(elapsed)?;
        self.by_kind[kind.index()].record(elapsed)
    }
}

/// Runs the workload: prints progress and the table, and answers every
/// figure as JSON.
pub fn run(config: &OsoConfig) -> Result<Json, BoxError> {
    let load_at_start = load_average();
    let chart = OrgChart::generate(config.employees, config.depth, config.seed);
    let all = tuples(&chart);
    println!(
        "oso: {} employees, depth {}, {} allow tuples; seed {}; load average {}",
        config.employees,
        chart.depth(),
        all.len(),
        config.seed,
        load_at_start
    );
    let temp = tempfile::Builder::new()
        .prefix("permafrost-bench-oso-")
        .tempdir()?;
    let (store, loaded) = materialize(&chart, &temp.path().join("db"), config.workers)?;
    if loaded.granted != all.len() {
        let granted = loaded.granted;
        return Err(format!("the store granted {granted} tuples, expected {}", all.len()).into());
    }
    println!("store materialized in {:.2} s", loaded.apply.as_secs_f64());
    let started = Instant::now();
    let directory = Directory::of(&chart)?;
    let peers = [
        OsoPeer::new(&directory, Order::Up)?,
        OsoPeer::new(&directory, Order::Down)?,
    ];
    let oso_setup = started.elapsed();

    let mut rng = Rng::new(config.seed ^ 0x050);
    let probes = probes::checks(&chart, &all, config.checks, &mut rng)?;
    let (reviews, readers): (Vec<u32>, Vec<Vec<u32>>) =
        probes::readers(&chart, config.whos, &mut rng)
            .into_iter()
            .unzip();
    let generated = Answers {
        checks: probes.iter().map(Probe::allowed).collect(),
        who: readers
            .iter()
            .map(|r| r.iter().copied().collect())
            .collect(),
    };

    // The store, against the generator.
    let reader = store.read()?;
    let actions: Vec<Value> = ACTIONS.iter().map(|a| Value::str(*a)).collect();
    let values: Vec<(Value, Value)> = probes
        .iter()
        .map(|p| {
            (
                employee(p.tuple.actor as usize),
                review(p.tuple.review as usize),
            )
        })
        .collect();
    // The org chart's policy does not read the time: any time answers alike.
    let now = permafrost::load::now();
    let check = |i: usize| {
        let ((actor, resource), action) = (&values[i], probes[i].tuple.action);
        Ok(reader.check(actor, &actions[usize::from(action)], resource, now)?)
    };
    let who = |i: usize| store_who(&reader, &actions[usize::from(READ)], reviews[i], now);
    let (answers, timings) = passes("the store", &probes, &generated, check, Some(who))?;
    let mut all_timings = vec![(Engine::Store, timings)];
    println!("store: answers checked, timed");

    // Each oso order, against the store. An order that cannot enumerate
    // actors fails on its first `who`: its error goes to the report, and it
    // answers checks only.
    let mut who_errors = Vec::new();
    for peer in &peers {
        let name = format!("oso ({})", peer.order.name());
        let check = |i: usize| {
            let p = &probes[i];
            peer.check(p.tuple.actor, p.action(), p.tuple.review)
        };
        let who = |i: usize| peer.who(READ_ACTION, reviews[i]);
        let enumerates = match reviews.first().map(|&e| peer.who(READ_ACTION, e)) {
            Some(Err(err)) => {
                who_errors.push((peer.order, err.to_string()));
                false
            }
            _ => true,
        };
        let (_, timings) = passes(&name, &probes, &answers, check, enumerates.then_some(who))?;
        all_timings.push((Engine::Oso(peer.order), timings));
        println!("{name}: answers checked against the store's, timed");
    }

    let figures = Figures {
        config: config.clone(),
        depth: chart.depth(),
        tuples: all.len(),
        materialize: loaded.apply,
        oso_setup,
        probes: &probes,
        who_rows: readers.iter().map(Vec::len).collect(),
        timings: &all_timings,
        who_errors,
        load_at_start,
        load_at_end: load_average(),
    };
    report::print(&figures);
    Ok(report::json(&figures))
}

/// The action `who` asks about.
const READ_ACTION: &str = ACTIONS[READ as usize];

/// An engine's answers to the probes, in order.
struct Answers {
    /// Each check's answer.
    checks: Vec<bool>,
    /// Who may read each review, as employee indexes.
    who: Vec<BTreeSet<u32>>,
}

/// Runs `check` on every probe and `who` (if any) on every review, twice:
/// unrecorded, then recorded. Every answer must be the `expected` one.
/// Answers the first pass's answers and the second pass's latencies.
fn passes(
    engine: &str,
    probes: &[Probe],
    expected: &Answers,
    mut check: impl FnMut(usize) -> Result<bool, BoxError>,
    mut who: Option<impl FnMut(usize) -> Result<BTreeSet<u32>, BoxError>>,
) -> Result<(Answers, Timings), BoxError> {
    let mut timings = Timings::new()?;
    let mut answers = Answers {
        checks: Vec::with_capacity(probes.len()),
        who: Vec::with_capacity(expected.who.len()),
    };
    for recorded in [false, true] {
        for (i, (p, want)) in probes.iter().zip(&expected.checks).enumerate() {
            let started = Instant::now();
            let got = std::hint::black_box(check(i)?);
            let elapsed = started.elapsed();
            if got != *want {
                let t = p.tuple;
                return Err(
                    format!("check {i} {t:?}: {engine} answered {got}, expected {want}").into(),
                );
            }
            if recorded {
                timings.record(p.kind, elapsed)?;
            } else {
                answers.checks.push(got);
            }
        }
        let Some(who) = who.as_mut() else { continue };
        for (i, want) in expected.who.iter().enumerate() {
            let started = Instant::now();
            let got = std::hint::black_box(who(i)?);
            let elapsed = started.elapsed();
            if got != *want {
                return Err(
                    format!("who {i}: {engine} answered {got:?}, expected {want:?}").into(),
                );
            }
            if recorded {
                timings.who.record(elapsed)?;
            } else {
                answers.who.push(got);
            }
        }
    }
    Ok((answers, timings))
}

/// Who may `read` the review of employee `e`, by the store, as employee
/// indexes.
fn store_who(
    reader: &Reader<'_>,
    read: &Value,
    e: u32,
    at: i64,
) -> Result<BTreeSet<u32>, BoxError> {
    let mut actors = BTreeSet::new();
    for actor in reader.who(read, &review(e as usize), None, usize::MAX, at)? {
        let actor = actor?;
        let index = actor
            .as_entity()
            .and_then(|a| a.id.strip_prefix('e')?.parse().ok())
            .ok_or_else(|| format!("`who` answered `{actor}`, not an employee"))?;
        actors.insert(index);
    }
    Ok(actors)
}

/// The load average of the machine (`/proc/loadavg`: 1, 5, 15 minutes).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_string())
}
