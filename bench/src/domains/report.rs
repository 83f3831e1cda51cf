//! The figures of the domains workload: markdown tables on stdout, and
//! JSON.

use serde_json::{json, Value as Json};

use super::run::{KindFigures, Outcome};
use super::DomainsArgs;
use crate::latency::human;

/// Target: a single manager move visible within this, at p99 (ns).
const MOVE_P99_TARGET_NS: u64 = 10_000_000;
/// Target: a re-org of 1,000 people visible within this (ns).
const REORG_1K_TARGET_NS: u64 = 1_000_000_000;

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1048576.0)
}

fn mean(values: &[usize]) -> f64 {
    values.iter().sum::<usize>() as f64 / values.len().max(1) as f64
}

fn met(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "**not met**"
    }
}

/// The system's load average (1, 5 and 15 minutes), as `/proc/loadavg`
/// gives it.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// The target a kind of change is held to, and whether it was met.
fn target(o: &Outcome, k: &KindFigures) -> Option<(&'static str, bool)> {
    match (o.name, k.kind) {
        ("org", "manager move") => Some(("p99 < 10 ms", k.latency.p99_ns < MOVE_P99_TARGET_NS)),
        ("org", "re-org ~1,000") => {
            Some(("every one < 1 s", k.latency.max_ns < REORG_1K_TARGET_NS))
        }
        _ => None,
    }
}

/// Prints one domain's figures as markdown tables.
pub fn print(o: &Outcome) {
    println!();
    println!("| {} | value |", o.name);
    println!("|---|---|");
    println!(
        "| base facts → allow tuples | {} → {} ({:.2} tuples per base fact) |",
        o.base_facts,
        o.tuples,
        o.blow_up()
    );
    println!(
        "| materialize: `apply`, one epoch | {:.2} s ({:.0} tuples/s); `open` {:.2} s |",
        o.load.as_secs_f64(),
        o.tuples_per_s(),
        o.open.as_secs_f64()
    );
    println!(
        "| peak resident memory of the process (before the load) | {} ({}) |",
        mib(o.rss_peak),
        mib(o.rss_start)
    );
    println!(
        "| store after the load (sst + wal) | {} ({} + {}) |",
        mib(o.after_load.total()),
        mib(o.after_load.sst),
        mib(o.after_load.wal)
    );
    println!(
        "| store after the stream, reopened | {} ({} tuples; {:.1} bytes per tuple, {:.1} per base fact) |",
        mib(o.after_reopen.total()),
        o.final_tuples,
        o.after_reopen.total() as f64 / o.final_tuples.max(1) as f64,
        o.after_reopen.total() as f64 / o.base_facts.max(1) as f64
    );
    println!();
    println!("| change | n | `apply` → committed p50 / p99 / max | tuples changed mean / max | moved mean | target |");
    println!("|---|---|---|---|---|---|");
    for k in &o.kinds {
        let moved = if k.moved.is_empty() {
            String::new()
        } else {
            format!("{:.1}", mean(&k.moved))
        };
        let target = target(o, k).map_or(String::new(), |(t, ok)| format!("{t}: {}", met(ok)));
        println!(
            "| {} | {} | {} / {} / {} | {:.1} / {} | {moved} | {target} |",
            k.kind,
            k.latency.count,
            human(k.latency.p50_ns as f64),
            human(k.latency.p99_ns as f64),
            human(k.latency.max_ns as f64),
            mean(&k.changed),
            k.changed.iter().max().copied().unwrap_or(0),
        );
    }
    println!(
        "({} epochs read back with `check`; reference comparison: {})",
        o.visible_checked,
        if o.reference_checked {
            "equal"
        } else {
            "not run"
        }
    );
}

fn kind_json(o: &Outcome, k: &KindFigures) -> Json {
    let target = target(o, k).map(|(t, ok)| json!({"target": t, "met": ok}));
    json!({
        "kind": k.kind,
        "count": k.latency.count,
        "apply_latency": k.latency.json(),
        "tuples_changed_mean": mean(&k.changed),
        "tuples_changed_max": k.changed.iter().max().copied().unwrap_or(0),
        "tuples_changed": k.changed,
        "moved": k.moved,
        "target": target,
    })
}

/// Every figure of one domain as JSON.
pub fn outcome_json(o: &Outcome) -> Json {
    json!({
        "domain": o.name,
        "policy": o.policy_path,
        "config": o.config,
        "base_facts": o.base_facts,
        "allow_tuples": o.tuples,
        "tuples_per_base_fact": o.blow_up(),
        "open_s": o.open.as_secs_f64(),
        "materialize_s": o.load.as_secs_f64(),
        "tuples_per_s": o.tuples_per_s(),
        "rss_start_bytes": o.rss_start,
        "rss_peak_bytes": o.rss_peak,
        "store_after_load": o.after_load.json(),
        "store_after_stream_reopened": o.after_reopen.json(),
        "final_tuples": o.final_tuples,
        "changes": o.kinds.iter().map(|k| kind_json(o, k)).collect::<Vec<_>>(),
        "epochs_checked_visible": o.visible_checked,
        "reference_checked": o.reference_checked,
    })
}

/// The figures of a run as JSON: the options, and each domain's figures.
pub fn json(
    args: &DomainsArgs,
    verify: bool,
    domains: Vec<Json>,
    load_before: &str,
    load_after: &str,
) -> Json {
    json!({
        "workload": "domains",
        "quick": args.quick,
        "scale": args.scale,
        "workers": args.workers,
        "seed": args.seed,
        "verified_against_reference": verify,
        "load_average_before": load_before,
        "load_average_after": load_after,
        "domains": domains,
    })
}
