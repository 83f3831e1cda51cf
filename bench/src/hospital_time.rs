//! `bench -- hospital-time`: time-bounded permissions, precomputed (issue 8).
//!
//! A hospital of doctors, patients and a history of timestamped visits under
//! `policies/hospital.polar`: a doctor reads a patient's records from two
//! days before a visit until seven days after it, and writes them from the
//! visit on. Every visit derives its tuples once, with the interval in which
//! they hold; a check at time `T` is a lookup and an interval test, and
//! nothing is recomputed as the clock moves.
//!
//! Measured, each beside its peer in the same run:
//!
//! - materialization of the whole history into a store: time, tuples, store
//!   bytes — beside the same visits under an untimed policy (a visit grants
//!   forever), which stores the same tuples without intervals;
//! - check latency at `now` on the timed store against the untimed one, on
//!   the same probes (visited pairs and random pairs), interleaved round by
//!   round so both see the same noise. Every answer is compared with the
//!   windows computed from the generated visits before any time counts;
//! - a stream of new visits offered at a fixed rate: every visit due so far
//!   goes into one epoch as soon as the previous one has committed (the
//!   loop sleeps 10 ms when none is due), and the freshness of each visit
//!   runs from when it was due to the commit that makes it visible to
//!   `check`.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use engine::{SourceFile, Value};
use ingest::{Change, Op};
use permafrost::materializer::{Materializer, MaterializerConfig};
use serde_json::{json, Value as Json};
use storage::Store;

use crate::disk::DirSize;
use crate::latency::Latency;
use crate::rng::Rng;
use crate::{rss_bytes, BoxError};

/// The timed policy.
const TIMED_POLICY: &str = include_str!("../../policies/hospital.polar");

/// The peer: the same roles and permissions, but a visit grants forever.
const UNTIMED_POLICY: &str = r#"actor Doctor {}

resource Patient {
  roles = ["consultant", "attending"];
  permissions = ["read", "write"];
  "consultant" if "attending";
  "read" if "consultant";
  "write" if "attending";
}

declare visit(Doctor, Patient, Integer);

has_role(d: Doctor, "attending", p: Patient) if visit(d, p, _);

allow(actor, action, resource) if has_permission(actor, action, resource);
"#;

/// The time every check asks about.
pub const NOW: i64 = 1_700_000_000;
const DAY: i64 = 86_400;
/// A visit at `t` lets its doctor read from `t - READ_BEFORE`...
const READ_BEFORE: i64 = 2 * DAY;
/// ...until `t + READ_AFTER` (exclusive).
const READ_AFTER: i64 = 7 * DAY;

/// Sizes and rates of a run.
#[derive(Clone, Debug, clap::Args)]
pub struct HospitalTimeArgs {
    /// Doctors.
    #[arg(long, default_value_t = 1_000)]
    pub doctors: usize,
    /// Patients.
    #[arg(long, default_value_t = 100_000)]
    pub patients: usize,
    /// Historical visits, over the year before `now` (and a few upcoming).
    #[arg(long, default_value_t = 1_000_000)]
    pub visits: usize,
    /// Checks per engine and round.
    #[arg(long, default_value_t = 20_000)]
    pub checks: usize,
    /// Rounds of checks (timed and untimed interleaved).
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// New visits offered per second in the stream.
    #[arg(long, default_value_t = 10_000)]
    pub rate: usize,
    /// Seconds of stream.
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Dataflow workers.
    #[arg(long, default_value_t = 2)]
    pub workers: usize,
    /// Generator seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Write the figures as JSON to this file.
    #[arg(long)]
    pub json: Option<std::path::PathBuf>,
}

/// One visit: doctor, patient, unix time.
#[derive(Clone, Copy, Debug)]
struct Visit {
    doctor: usize,
    patient: usize,
    time: i64,
}

fn doctor(i: usize) -> Value {
    Value::entity("Doctor", format!("d{i}"))
}

fn patient(i: usize) -> Value {
    Value::entity("Patient", format!("p{i}"))
}

impl Visit {
    fn change(self) -> Change {
        Change {
            op: Op::Insert,
            fact: engine::Fact::new(
                "visit",
                vec![
                    doctor(self.doctor),
                    patient(self.patient),
                    Value::Int(self.time),
                ],
            ),
        }
    }
}

/// A year of history before `now` and two weeks of scheduled visits after
/// it (1 in 20); each patient sees one of a few regular doctors.
fn history(args: &HospitalTimeArgs, rng: &mut Rng) -> Vec<Visit> {
    let doctors = args.doctors;
    (0..args.visits)
        .map(|_| {
            let patient = rng.below(args.patients);
            // A patient's regular doctors: three, derived from the patient.
            let doctor = (patient * 7 + rng.below(3) * 13) % doctors;
            let time = if rng.below(20) == 0 {
                NOW + rng.below(14 * DAY as usize) as i64
            } else {
                NOW - rng.below(365 * DAY as usize) as i64
            };
            Visit {
                doctor,
                patient,
                time,
            }
        })
        .collect()
}

/// Whether `doctor` may read `patient` at `at`, from the visits themselves:
/// the oracle every timed answer is compared with.
struct Windows(HashMap<(usize, usize), Vec<i64>>);

impl Windows {
    fn of(visits: &[Visit]) -> Windows {
        let mut by_pair: HashMap<(usize, usize), Vec<i64>> = HashMap::new();
        for v in visits {
            by_pair
                .entry((v.doctor, v.patient))
                .or_default()
                .push(v.time);
        }
        Windows(by_pair)
    }

    /// Whether `doctor` may read (or, with `write`, write) `patient`'s
    /// records at `at`: reading from two days before a visit, writing from
    /// the visit on, both until seven days after it.
    fn allows(&self, doctor: usize, patient: usize, write: bool, at: i64) -> bool {
        let opens = if write { 0 } else { READ_BEFORE };
        self.0
            .get(&(doctor, patient))
            .is_some_and(|times| times.iter().any(|t| t - opens <= at && at < t + READ_AFTER))
    }

    fn visited(&self, doctor: usize, patient: usize) -> bool {
        self.0.contains_key(&(doctor, patient))
    }
}

/// A store materialized from the visits under one policy.
struct Materialized {
    materializer: Materializer,
    load: Duration,
    tuples: usize,
    size: DirSize,
}

fn materialize(
    dir: &Path,
    name: &str,
    policy: &str,
    visits: &[Visit],
    workers: usize,
) -> Result<Materialized, BoxError> {
    let config = MaterializerConfig { workers };
    let (mut materializer, _) =
        Materializer::open(dir, Some(SourceFile::new(name, policy)), &config)?;
    let changes: Vec<Change> = visits.iter().map(|v| v.change()).collect();
    let started = Instant::now();
    let report = materializer.apply(&changes, Vec::new())?;
    let load = started.elapsed();
    Ok(Materialized {
        materializer,
        load,
        tuples: report.stats.granted,
        size: DirSize::of(dir)?,
    })
}

/// A check probe: doctor, action, patient (ids), and the expected answers.
struct Probe {
    doctor: usize,
    write: bool,
    patient: usize,
}

/// Half visited pairs (allowed forever untimed, allowed or not at `now`
/// timed), half random pairs (mostly denied by both).
fn probes(visits: &[Visit], args: &HospitalTimeArgs, rng: &mut Rng) -> Vec<Probe> {
    (0..args.checks)
        .map(|i| {
            let (doctor, patient) = if i % 2 == 0 {
                let v = visits[rng.below(visits.len())];
                (v.doctor, v.patient)
            } else {
                (rng.below(args.doctors), rng.below(args.patients))
            };
            Probe {
                doctor,
                write: i % 4 == 0,
                patient,
            }
        })
        .collect()
}

/// Times every probe's check on `store` at `at`, after comparing each
/// answer with `expected`.
fn time_checks(
    store: &Store,
    probes: &[Probe],
    at: i64,
    expected: &dyn Fn(&Probe) -> bool,
    latency: &mut Latency,
) -> Result<usize, BoxError> {
    let (read, write) = (Value::str("read"), Value::str("write"));
    let mut allowed = 0;
    for probe in probes {
        let (d, p) = (doctor(probe.doctor), patient(probe.patient));
        let action = if probe.write { &write } else { &read };
        let started = Instant::now();
        let answer = store.read()?.check(&d, action, &p, at)?;
        latency.record(started.elapsed())?;
        if answer != expected(probe) {
            return Err(format!(
                "check({d}, {action}, {p}) at {at} answered {answer}, the visits say {}",
                expected(probe)
            )
            .into());
        }
        allowed += usize::from(answer);
    }
    Ok(allowed)
}

/// The stream: new visits due at `rate` per second; whatever is due goes
/// into one epoch as soon as the last one committed (a 10 ms sleep when
/// nothing is); freshness from each visit's due time to its commit.
fn stream(
    materializer: &mut Materializer,
    args: &HospitalTimeArgs,
    rng: &mut Rng,
) -> Result<(Latency, usize, Duration), BoxError> {
    let mut freshness = Latency::new()?;
    let total = args.rate * args.seconds as usize;
    let rate = u32::try_from(args.rate).map_err(|_| "--rate is too large")?;
    let interval = Duration::from_secs(1) / rate;
    let doctors = args.doctors;
    let started = Instant::now();
    let mut sent = 0usize;
    let mut epochs = 0usize;
    while sent < total {
        let due =
            ((started.elapsed().as_nanos() / interval.as_nanos().max(1)) as usize + 1).min(total);
        if due <= sent {
            std::thread::sleep(Duration::from_millis(10));
            continue;
        }
        let changes: Vec<Change> = (sent..due)
            .map(|_| {
                let patient = rng.below(args.patients);
                Visit {
                    doctor: (patient * 7 + rng.below(3) * 13) % doctors,
                    patient,
                    time: NOW - 3 * DAY + rng.below(5 * DAY as usize) as i64,
                }
                .change()
            })
            .collect();
        materializer.apply(&changes, Vec::new())?;
        let committed = started.elapsed();
        for k in sent..due {
            freshness.record(committed.saturating_sub(interval * k as u32))?;
        }
        sent = due;
        epochs += 1;
    }
    Ok((freshness, epochs, started.elapsed()))
}

/// Runs the workload; answers the figures (also printed as a table).
/// Worlds without doctors, patients or visits, and a zero rate, are
/// refused.
pub fn run(args: &HospitalTimeArgs) -> Result<Json, BoxError> {
    if args.visits == 0 || args.doctors == 0 || args.patients == 0 || args.rate == 0 {
        return Err("--visits, --doctors, --patients and --rate must each be at least 1".into());
    }
    let mut rng = Rng::new(args.seed);
    let visits = history(args, &mut rng);
    let windows = Windows::of(&visits);
    let timed_dir = tempfile::tempdir()?;
    let untimed_dir = tempfile::tempdir()?;
    let rss_start = rss_bytes().unwrap_or(0);
    let mut timed = materialize(
        timed_dir.path(),
        "policies/hospital.polar",
        TIMED_POLICY,
        &visits,
        args.workers,
    )?;
    let rss_timed = rss_bytes().unwrap_or(0).saturating_sub(rss_start);
    let untimed = materialize(
        untimed_dir.path(),
        "untimed hospital",
        UNTIMED_POLICY,
        &visits,
        args.workers,
    )?;

    let probes = probes(&visits, args, &mut rng);
    let (mut timed_checks, mut untimed_checks) = (Latency::new()?, Latency::new()?);
    let (mut timed_allowed, mut untimed_allowed) = (0, 0);
    for _ in 0..args.rounds.max(1) {
        timed_allowed = time_checks(
            timed.materializer.store(),
            &probes,
            NOW,
            &|p| windows.allows(p.doctor, p.patient, p.write, NOW),
            &mut timed_checks,
        )?;
        untimed_allowed = time_checks(
            untimed.materializer.store(),
            &probes,
            NOW,
            &|p| windows.visited(p.doctor, p.patient),
            &mut untimed_checks,
        )?;
    }
    let (timed_checks, untimed_checks) = (timed_checks.summary(), untimed_checks.summary());
    let (freshness, epochs, elapsed) = stream(&mut timed.materializer, args, &mut rng)?;
    let freshness = freshness.summary();
    let offered = args.rate * args.seconds as usize;
    let sustained = offered as f64 / elapsed.as_secs_f64();

    let ms = |ns: u64| ns as f64 / 1e6;
    let us = |ns: u64| ns as f64 / 1e3;
    let ratio = |a: u64, b: u64| a as f64 / b.max(1) as f64;
    let per_tuple = |m: &Materialized| m.size.total() as f64 / m.tuples.max(1) as f64;
    println!(
        "hospital in time: {} doctors, {} patients, {} visits, {} worker(s)",
        args.doctors, args.patients, args.visits, args.workers
    );
    println!();
    println!("| measure | timed (policies/hospital.polar) | untimed peer (a visit grants forever) | timed ÷ untimed |");
    println!("|---|---|---|---|");
    println!(
        "| materialization | {:.2} s ({:.0} tuples/s) | {:.2} s | {:.2}× |",
        timed.load.as_secs_f64(),
        timed.tuples as f64 / timed.load.as_secs_f64().max(1e-9),
        untimed.load.as_secs_f64(),
        timed.load.as_secs_f64() / untimed.load.as_secs_f64().max(1e-9)
    );
    println!("| allow tuples | {} | {} | |", timed.tuples, untimed.tuples);
    println!(
        "| store bytes (per tuple) | {:.1} MiB ({:.0} B) | {:.1} MiB ({:.0} B) | {:.2}× per tuple |",
        timed.size.total() as f64 / 1048576.0,
        per_tuple(&timed),
        untimed.size.total() as f64 / 1048576.0,
        per_tuple(&untimed),
        per_tuple(&timed) / per_tuple(&untimed).max(1e-9)
    );
    println!(
        "| check at now, p50 / p99 / p99.9 ({} checks, allowed {} / {}) | {:.2} / {:.2} / {:.2} µs | {:.2} / {:.2} / {:.2} µs | {:.2}× / {:.2}× at p50 / p99 |",
        timed_checks.count,
        timed_allowed,
        untimed_allowed,
        us(timed_checks.p50_ns),
        us(timed_checks.p99_ns),
        us(timed_checks.p999_ns),
        us(untimed_checks.p50_ns),
        us(untimed_checks.p99_ns),
        us(untimed_checks.p999_ns),
        ratio(timed_checks.p50_ns, untimed_checks.p50_ns),
        ratio(timed_checks.p99_ns, untimed_checks.p99_ns)
    );
    println!();
    println!(
        "stream: {offered} new visits offered at {}/s, sustained {sustained:.0}/s in {epochs} epochs; freshness p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target: 10,000/s with p99 < 100 ms)",
        args.rate,
        ms(freshness.p50_ns),
        ms(freshness.p99_ns),
        ms(freshness.max_ns)
    );
    println!(
        "resident memory added by the timed materialization: {:.0} MiB",
        rss_timed as f64 / 1048576.0
    );

    let store = |m: &Materialized| {
        json!({
            "load_s": m.load.as_secs_f64(),
            "tuples": m.tuples,
            "store": m.size.json(),
            "bytes_per_tuple": per_tuple(m),
        })
    };
    Ok(json!({
        "workload": "hospital-time",
        "doctors": args.doctors,
        "patients": args.patients,
        "visits": args.visits,
        "workers": args.workers,
        "seed": args.seed,
        "now": NOW,
        "timed": store(&timed),
        "untimed": store(&untimed),
        "rss_timed_added_bytes": rss_timed,
        "checks": {
            "timed": timed_checks.json(),
            "untimed": untimed_checks.json(),
            "timed_allowed": timed_allowed,
            "untimed_allowed": untimed_allowed,
            "timed_over_untimed_p50": ratio(timed_checks.p50_ns, untimed_checks.p50_ns),
            "timed_over_untimed_p99": ratio(timed_checks.p99_ns, untimed_checks.p99_ns),
        },
        "stream": {
            "offered_per_s": args.rate,
            "seconds": args.seconds,
            "sustained_per_s": sustained,
            "epochs": epochs,
            "freshness": freshness.json(),
        },
    }))
}
