//! The figures of the store workload: a markdown table on stdout, and JSON.

use serde_json::{json, Value as Json};

use super::{Figures, Scan};
use crate::disk::families_json;
use crate::latency::{human, ratio, Summary};

/// Target: check p50 at most this many times the raw `get` p50.
const CHECK_RATIO_TARGET: f64 = 1.5;
/// Target: check p99, in nanoseconds.
const CHECK_P99_TARGET_NS: u64 = 20_000;
/// Target: `who` p99, in nanoseconds.
const WHO_P99_TARGET_NS: u64 = 50_000;
/// Target: `list` of the CEO's reviews, in nanoseconds.
const LIST_TARGET_NS: u64 = 50_000_000;

fn met(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "**not met**"
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1048576.0)
}

/// `p50 / p99 / p99.9 (ratio at p50, at p99)` of a figure against its peer.
fn versus(s: &Summary, peer: &Summary) -> String {
    format!(
        "{:.2}× / {:.2}×",
        ratio(s.p50_ns, peer.p50_ns),
        ratio(s.p99_ns, peer.p99_ns)
    )
}

fn rows(scan: &Scan) -> String {
    format!(
        "{}–{} rows (mean {:.1}), {} probes",
        scan.rows_min, scan.rows_max, scan.rows_mean, scan.probes
    )
}

/// Prints the figures as a markdown table.
pub(super) fn print(f: &Figures) {
    let l = &f.loaded;
    let c = &f.checks;
    let per_tuple = |bytes: u64| bytes as f64 / f.tuples.max(1) as f64;
    let once_ok = ratio(c.reader_once.p50_ns, c.raw_get.p50_ns) <= CHECK_RATIO_TARGET;
    let per_ok = ratio(c.reader_per_check.p50_ns, c.raw_get.p50_ns) <= CHECK_RATIO_TARGET;
    println!();
    println!("| measure | store | peer | store ÷ peer (p50 / p99) | target |");
    println!("|---|---|---|---|---|");
    println!(
        "| base facts → allow tuples | {} → {} (epoch {}) | | | |",
        l.facts, f.tuples, l.epoch
    );
    println!(
        "| materialize: `apply`, one epoch | {:.2} s ({:.0} tuples/s); `open` {:.2} s | | | reported |",
        l.apply.as_secs_f64(),
        f.tuples as f64 / l.apply.as_secs_f64(),
        l.open.as_secs_f64()
    );
    println!(
        "| resident memory added while loading | {} | | | reported |",
        mib(l.rss_added)
    );
    println!(
        "| on disk after `apply` (sst + wal + other) | {} ({} + {} + {}) | | | |",
        mib(l.after_apply.total()),
        mib(l.after_apply.sst),
        mib(l.after_apply.wal),
        mib(l.after_apply.other)
    );
    println!(
        "| on disk after reopen (sst + wal + other) | {} ({} + {} + {}), {} table files, reopen {:.2} s | | | |",
        mib(l.after_reopen.total()),
        mib(l.after_reopen.sst),
        mib(l.after_reopen.wal),
        mib(l.after_reopen.other),
        l.after_reopen.sst_files,
        l.reopen.as_secs_f64()
    );
    println!(
        "| bytes per allow tuple, whole directory / tables only | {:.1} / {:.1} | | | reported |",
        per_tuple(l.after_reopen.total()),
        per_tuple(l.after_reopen.sst)
    );
    let fwd = l.families.get("perm_fwd").map_or(0, |f| f.bytes);
    println!(
        "| `perm_fwd` bytes per tuple, as flushed | {:.1} | raw peer, compacted: {:.1} per key | {:.2}× | reported |",
        per_tuple(fwd),
        per_tuple(f.raw_sst_bytes),
        ratio(fwd, f.raw_sst_bytes)
    );
    for (name, family) in &l.families {
        let levels: Vec<String> = family
            .files_per_level
            .iter()
            .map(|(level, n)| format!("L{level}×{n}"))
            .collect();
        println!(
            "| family `{name}` | {} ({:.1} B/tuple), {} entries, {} | | | |",
            mib(family.bytes),
            per_tuple(family.bytes),
            family.entries,
            levels.join(" ")
        );
    }
    println!(
        "| check, one `Reader` ({} probes × {} rounds, {} allowed) | {} | raw `get` {} | {} | p50 ≤ 1.5× raw: {}; p99 < 20 µs: {} |",
        c.probes,
        f.config.rounds,
        c.allowed,
        c.reader_once.percentiles(),
        c.raw_get.percentiles(),
        versus(&c.reader_once, &c.raw_get),
        met(once_ok),
        met(c.reader_once.p99_ns < CHECK_P99_TARGET_NS)
    );
    println!(
        "| check, `Store::read()` per check | {} | raw `get` {} | {} | p50 ≤ 1.5× raw: {}; p99 < 20 µs: {} |",
        c.reader_per_check.percentiles(),
        c.raw_get.percentiles(),
        versus(&c.reader_per_check, &c.raw_get),
        met(per_ok),
        met(c.reader_per_check.p99_ns < CHECK_P99_TARGET_NS)
    );
    println!(
        "| check, one `Reader`, vs the gets it does (2 `dict`-shaped + 1) | {} | raw `get` ×3 {} | {} | reported |",
        c.reader_once.percentiles(),
        c.raw_three_gets.percentiles(),
        versus(&c.reader_once, &c.raw_three_gets)
    );
    println!(
        "| check, `Store::read()` per check, 2 threads at once | {} | raw `get`, 2 threads {} | {} | p99 < 20 µs: {} |",
        c.two_threads.percentiles(),
        c.raw_get_two_threads.percentiles(),
        versus(&c.two_threads, &c.raw_get_two_threads),
        met(c.two_threads.p99_ns < CHECK_P99_TARGET_NS)
    );
    println!(
        "| check vs in-memory `HashSet` | {} | `HashSet` {} | {} | reported |",
        c.reader_once.percentiles(),
        c.hash_set.percentiles(),
        versus(&c.reader_once, &c.hash_set)
    );
    println!(
        "| `who` read, whole answer ({}) | {} | raw prefix scan {} ({}) | {} | p99 < 50 µs: {} |",
        rows(&f.who),
        f.who.latency.percentiles(),
        f.who_raw.latency.percentiles(),
        rows(&f.who_raw),
        versus(&f.who.latency, &f.who_raw.latency),
        met(f.who.latency.p99_ns < WHO_P99_TARGET_NS)
    );
    println!(
        "| `list` CEO's reviews, {} rows (p50 / p99 / max of {}) | {} / {} / {} | raw prefix scan {} / {} / {} | {} | < 50 ms at p50: {}; at max: {} |",
        f.list.rows_max,
        f.list.latency.count,
        human(f.list.latency.p50_ns as f64),
        human(f.list.latency.p99_ns as f64),
        human(f.list.latency.max_ns as f64),
        human(f.list_raw.latency.p50_ns as f64),
        human(f.list_raw.latency.p99_ns as f64),
        human(f.list_raw.latency.max_ns as f64),
        versus(&f.list.latency, &f.list_raw.latency),
        met(f.list.latency.p50_ns < LIST_TARGET_NS),
        met(f.list.latency.max_ns < LIST_TARGET_NS)
    );
}

fn scan_json(scan: &Scan) -> Json {
    json!({
        "probes": scan.probes,
        "rows_min": scan.rows_min,
        "rows_max": scan.rows_max,
        "rows_mean": scan.rows_mean,
        "latency": scan.latency.json(),
    })
}

/// Every figure as JSON.
pub(super) fn json(f: &Figures) -> Json {
    let (l, c, cfg) = (&f.loaded, &f.checks, &f.config);
    let fwd = l.families.get("perm_fwd").map_or(0, |f| f.bytes);
    json!({
        "workload": "store",
        "employees": cfg.employees,
        "depth": f.depth,
        "workers": cfg.workers,
        "seed": cfg.seed,
        "rounds": cfg.rounds,
        "policy": "policies/org_chart.polar",
        "base_facts": l.facts,
        "allow_tuples": f.tuples,
        "materialize": {
            "open_s": l.open.as_secs_f64(),
            "apply_s": l.apply.as_secs_f64(),
            "tuples_per_s": f.tuples as f64 / l.apply.as_secs_f64(),
            "epoch": l.epoch,
            "rss_added_bytes": l.rss_added,
            "after_apply": l.after_apply.json(),
            "after_reopen": l.after_reopen.json(),
            "reopen_s": l.reopen.as_secs_f64(),
            "bytes_per_tuple": l.after_reopen.total() as f64 / f.tuples.max(1) as f64,
            "sst_bytes_per_tuple": l.after_reopen.sst as f64 / f.tuples.max(1) as f64,
            "families": families_json(&l.families),
            "perm_fwd_over_raw_peer_bytes": ratio(fwd, f.raw_sst_bytes),
        },
        "raw_peer": {
            "build_s": f.raw_build.as_secs_f64(),
            "sst_bytes": f.raw_sst_bytes,
            "keys": f.tuples,
            "sst_bytes_per_key": f.raw_sst_bytes as f64 / f.tuples.max(1) as f64,
        },
        "check": {
            "probes": c.probes,
            "allowed": c.allowed,
            "reader_once": c.reader_once.json(),
            "reader_per_check": c.reader_per_check.json(),
            "raw_get": c.raw_get.json(),
            "raw_three_gets": c.raw_three_gets.json(),
            "two_threads": c.two_threads.json(),
            "raw_get_two_threads": c.raw_get_two_threads.json(),
            "hash_set": c.hash_set.json(),
            "reader_once_over_raw_p50": ratio(c.reader_once.p50_ns, c.raw_get.p50_ns),
            "reader_once_over_raw_p99": ratio(c.reader_once.p99_ns, c.raw_get.p99_ns),
            "reader_per_check_over_raw_p50": ratio(c.reader_per_check.p50_ns, c.raw_get.p50_ns),
            "reader_once_over_raw_three_gets_p50": ratio(c.reader_once.p50_ns, c.raw_three_gets.p50_ns),
            "reader_once_over_hash_set_p50": ratio(c.reader_once.p50_ns, c.hash_set.p50_ns),
        },
        "who": scan_json(&f.who),
        "who_raw": scan_json(&f.who_raw),
        "who_over_raw_p50": ratio(f.who.latency.p50_ns, f.who_raw.latency.p50_ns),
        "list": scan_json(&f.list),
        "list_raw": scan_json(&f.list_raw),
        "list_over_raw_p50": ratio(f.list.latency.p50_ns, f.list_raw.latency.p50_ns),
    })
}
