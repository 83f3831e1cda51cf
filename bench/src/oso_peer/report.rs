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

/// A measure of one engine.
type Measure = fn(&Timings) -> Summary;

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

    /// oso's order with the lower median of `measure`.
    fn better(&self, measure: impl Fn(&Timings) -> Summary) -> Option<(Order, &Timings)> {
        self.timings
            .iter()
            .filter_map(|(e, t)| match e {
                Engine::Oso(order) => Some((*order, t)),
                Engine::Store => None,
            })
            .filter(|(_, t)| measure(t).count > 0)
            .min_by_key(|(_, t)| measure(t).p50_ns)
    }

    /// The ratios of oso's better order (for `measure`) to the store.
    fn ratios(&self, measure: Measure) -> Option<(Order, f64, f64)> {
        let store = measure(self.store()?);
        let (order, t) = self.better(measure)?;
        let oso = measure(t);
        Some((
            order,
            ratio(oso.p50_ns, store.p50_ns),
            ratio(oso.p99_ns, store.p99_ns),
        ))
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
    let Some(store) = f.store() else { return };
    println!();
    print!("| measure |");
    for (engine, _) in f.timings {
        print!(" {} |", engine.name().replace('_', ", "));
    }
    println!(" oso (better order) ÷ store, p50 / p99 |");
    println!("|---|{}---|", "---|".repeat(f.timings.len()));
    let row = |label: String, measure: &dyn Fn(&Timings) -> Summary| {
        print!("| {label} |");
        for (_, t) in f.timings {
            print!(" {} |", p50_p99(&measure(t)));
        }
        let base = measure(store);
        match f.better(measure) {
            Some((order, t)) => {
                let oso = measure(t);
                println!(
                    " {:.0}× / {:.0}× ({}) |",
                    ratio(oso.p50_ns, base.p50_ns),
                    ratio(oso.p99_ns, base.p99_ns),
                    order.name()
                );
            }
            None => println!(" |"),
        }
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
    if let Some((order, p50, _)) = f.ratios(checks) {
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
    let ratios = |measure: Measure| match f.ratios(measure) {
        Some((order, p50, p99)) => json!({"better_order": order.name(), "p50": p50, "p99": p99}),
        None => Json::Null,
    };
    let check_ratios = f.ratios(checks);
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
            "checks": ratios(checks),
            "who": ratios(who),
        },
        "target": {
            "store_check_faster_than_oso_p50_at_least": TARGET_RATIO,
            "met": check_ratios.is_some_and(|(_, p50, _)| p50 >= TARGET_RATIO),
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
