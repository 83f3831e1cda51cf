//! The figures of a run: the table on stdout and the JSON record.

use std::time::Duration;

use serde_json::{json, Map, Value as Json};

use super::model::Order;
use super::probes::{Kind, Probe};
use super::{OsoConfig, Timings};
use crate::latency::{human, ratio, Summary};

/// The check ratio (oso's better order ÷ the store, at p50) the issue asks
/// for.
pub const TARGET_RATIO: f64 = 1000.0;

/// An engine measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// permafrost's store: `Reader::check` and `Reader::who`.
    Store,
    /// oso with the recursive rule in this order.
    Oso(Order),
}

impl Engine {
    /// The engine's name in reports.
    pub fn name(self) -> String {
        match self {
            Engine::Store => "store".to_string(),
            Engine::Oso(order) => format!("oso_{}", order.name()),
        }
    }
}

/// Everything a report needs.
pub struct Figures<'a> {
    /// The parameters.
    pub config: OsoConfig,
    /// Levels of the generated chart.
    pub depth: usize,
    /// `allow` tuples of the chart.
    pub tuples: usize,
    /// The store's `Materializer::apply` of every fact.
    pub materialize: Duration,
    /// Building both oso instances (classes, policy; the data are host
    /// objects and need no loading).
    pub oso_setup: Duration,
    /// The checks.
    pub probes: &'a [Probe],
    /// The size of each `who` answer.
    pub who_rows: Vec<usize>,
    /// The store's latencies first, then each oso order's.
    pub timings: &'a [(Engine, Timings)],
    /// The orders that cannot answer `who`, and oso's error.
    pub who_errors: Vec<(Order, String)>,
    /// `/proc/loadavg` when the run started.
    pub load_at_start: String,
    /// `/proc/loadavg` when it ended.
    pub load_at_end: String,
}

/// A percentile of a [`Summary`].
#[derive(Clone, Copy, Debug)]
enum At {
    P50,
    P99,
}

impl At {
    fn of(self, s: &Summary) -> u64 {
        match self {
            At::P50 => s.p50_ns,
            At::P99 => s.p99_ns,
        }
    }

    fn name(self) -> &'static str {
        match self {
            At::P50 => "p50",
            At::P99 => "p99",
        }
    }
}

fn checks(t: &Timings) -> Summary {
    t.checks.summary()
}

fn who(t: &Timings) -> Summary {
    t.who.summary()
}

impl Figures<'_> {
    fn store(&self) -> Option<&Timings> {
        self.timings
            .iter()
            .find(|(e, _)| *e == Engine::Store)
            .map(|(_, t)| t)
    }

    /// oso's order with the lower value of `measure` at `at`, and that
    /// value.
    fn better(&self, measure: &dyn Fn(&Timings) -> Summary, at: At) -> Option<(Order, u64)> {
        self.timings
            .iter()
            .filter_map(|(e, t)| match e {
                Engine::Oso(order) => Some((*order, measure(t))),
                Engine::Store => None,
            })
            .filter(|(_, s)| s.count > 0)
            .map(|(order, s)| (order, at.of(&s)))
            .min_by_key(|(_, ns)| *ns)
    }

    /// The ratio of oso's better order at `at` to the store, and the order.
    fn ratio(&self, measure: &dyn Fn(&Timings) -> Summary, at: At) -> Option<(Order, f64)> {
        let store = measure(self.store()?);
        let (order, oso) = self.better(measure, at)?;
        Some((order, ratio(oso, at.of(&store))))
    }

    fn count(&self, kind: Kind) -> usize {
        self.probes.iter().filter(|p| p.kind == kind).count()
    }
}

fn p50_p99(s: &Summary) -> String {
    if s.count == 0 {
        return "n/a".to_string();
    }
    format!("{} / {}", human(s.p50_ns as f64), human(s.p99_ns as f64))
}

/// Prints the table.
pub fn print(f: &Figures<'_>) {
    if f.store().is_none() {
        return;
    }
    println!();
    print!("| measure |");
    for (engine, _) in f.timings {
        print!(" {} |", engine.name().replace('_', ", "));
    }
    println!(" oso's better order ÷ store, at p50 / at p99 |");
    println!("|---|{}---|", "---|".repeat(f.timings.len()));
    let row = |label: String, measure: &dyn Fn(&Timings) -> Summary| {
        print!("| {label} |");
        for (_, t) in f.timings {
            print!(" {} |", p50_p99(&measure(t)));
        }
        let cells: Vec<String> = [At::P50, At::P99]
            .into_iter()
            .filter_map(|at| f.ratio(measure, at))
            .map(|(order, r)| format!("{r:.0}× ({})", order.name()))
            .collect();
        println!(" {} |", cells.join(" / "));
    };
    row(
        format!("check, all {} (p50 / p99)", f.probes.len()),
        &checks,
    );
    for kind in Kind::ALL {
        let i = kind.index();
        row(
            format!("… {} ({})", kind.name().replace('_', " "), f.count(kind)),
            &|t: &Timings| t.by_kind[i].summary(),
        );
    }
    let rows = f.who_rows.iter().sum::<usize>() as f64 / f.who_rows.len().max(1) as f64;
    row(
        format!(
            "who reads a review ({}, {rows:.1} actors each)",
            f.who_rows.len()
        ),
        &who,
    );
    let means: Vec<String> = f
        .timings
        .iter()
        .map(|(e, t)| format!("{} {}", e.name(), human(t.checks.summary().mean_ns)))
        .collect();
    println!();
    println!("mean check: {}", means.join(", "));
    if let Some((order, p50)) = f.ratio(&checks, At::P50) {
        let met = if p50 >= TARGET_RATIO {
            "met"
        } else {
            "not met"
        };
        println!();
        println!(
            "target: store check ≥ {TARGET_RATIO:.0}× faster than oso's better order ({}) at p50: {p50:.0}×, {met}",
            order.name()
        );
    }
    for (order, err) in &f.who_errors {
        let err = err.split_whitespace().collect::<Vec<_>>().join(" ");
        println!("oso, {} order, cannot answer `who`: {err}", order.name());
    }
    println!(
        "oso setup (both orders) {:.1} ms; load average at start {}, at end {}",
        f.oso_setup.as_secs_f64() * 1e3,
        f.load_at_start,
        f.load_at_end
    );
}

/// Every figure as JSON.
pub fn json(f: &Figures<'_>) -> Json {
    let mut engines = Map::new();
    for (engine, t) in f.timings {
        let by_kind: Map<String, Json> = Kind::ALL
            .iter()
            .map(|k| (k.name().to_string(), t.by_kind[k.index()].summary().json()))
            .collect();
        engines.insert(
            engine.name(),
            json!({
                "checks": t.checks.summary().json(),
                "checks_by_kind": by_kind,
                "who": t.who.summary().json(),
            }),
        );
    }
    let ratios = |measure: &dyn Fn(&Timings) -> Summary| {
        let at = |at: At| match f.ratio(measure, at) {
            Some((order, r)) => json!({"better_order": order.name(), "ratio": r}),
            None => Json::Null,
        };
        json!({ At::P50.name(): at(At::P50), At::P99.name(): at(At::P99) })
    };
    let by_kind: Map<String, Json> = Kind::ALL
        .iter()
        .map(|k| {
            let i = k.index();
            (
                k.name().to_string(),
                ratios(&|t: &Timings| t.by_kind[i].summary()),
            )
        })
        .collect();
    let check_p50 = f.ratio(&checks, At::P50);
    let c = &f.config;
    json!({
        "workload": "oso",
        "employees": c.employees,
        "depth": f.depth,
        "seed": c.seed,
        "workers": c.workers,
        "allow_tuples": f.tuples,
        "materialize_s": f.materialize.as_secs_f64(),
        "oso_setup_s": f.oso_setup.as_secs_f64(),
        "checks": {
            "total": f.probes.len(),
            "ceo_to_leaf": f.count(Kind::CeoToLeaf),
            "allowed": f.count(Kind::Allowed),
            "denied": f.count(Kind::Denied),
        },
        "whos": f.who_rows.len(),
        "who_rows_mean": f.who_rows.iter().sum::<usize>() as f64 / f.who_rows.len().max(1) as f64,
        "engines": engines,
        "oso_over_store": {
            "checks": ratios(&checks),
            "checks_by_kind": by_kind,
            "who": ratios(&who),
        },
        "target": {
            "store_check_faster_than_oso_p50_at_least": TARGET_RATIO,
            "met": check_p50.is_some_and(|(_, p50)| p50 >= TARGET_RATIO),
        },
        "who_errors": f
            .who_errors
            .iter()
            .map(|(order, err)| (order.name().to_string(), Json::from(err.trim())))
            .collect::<Map<String, Json>>(),
        "load_average_at_start": f.load_at_start,
        "load_average_at_end": f.load_at_end,
    })
}
