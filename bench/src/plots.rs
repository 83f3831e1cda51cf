//! The plots of `RESULTS.md`, drawn (SVG, plotters) from the JSON files of
//! a suite run: check latency of permafrost beside its peers, and what the
//! org chart workload costs as the company grows.

use std::path::{Path, PathBuf};

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use serde_json::Value as Json;

use crate::BoxError;

/// Draws every plot whose figures are in `dir`; answers the files drawn.
pub fn draw(dir: &Path) -> Result<Vec<PathBuf>, BoxError> {
    let results = Results::read(dir)?;
    let mut drawn = Vec::new();
    drawn.extend(check_latency(dir, &results)?);
    drawn.extend(org_size(dir, &results)?);
    Ok(drawn)
}

/// The JSON files of a results directory, by file stem.
struct Results(Vec<(String, Json)>);

impl Results {
    fn read(dir: &Path) -> Result<Results, BoxError> {
        let mut all = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "json") {
                let stem = path.file_stem().map(|s| s.to_string_lossy().to_string());
                let text = std::fs::read_to_string(&path)?;
                let json: Json = serde_json::from_str(&text)
                    .map_err(|e| format!("`{}`: {e}", path.display()))?;
                all.push((stem.unwrap_or_default(), json));
            }
        }
        all.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Results(all))
    }

    /// The runs of `workload`, smallest org first.
    fn of(&self, workload: &str) -> Vec<&Json> {
        let mut runs: Vec<&Json> = self
            .0
            .iter()
            .map(|(_, j)| j)
            .filter(|j| j["workload"] == workload)
            .collect();
        runs.sort_by_key(|j| j["employees"].as_u64().unwrap_or(0));
        runs
    }

    /// The run of `workload` on the largest org.
    fn largest(&self, workload: &str) -> Option<&Json> {
        self.of(workload).last().copied()
    }
}

/// p50, p99 and p99.9 of a latency summary, in ns.
fn percentiles(summary: &Json) -> Option<[f64; 3]> {
    Some([
        summary["p50_ns"].as_f64()?,
        summary["p99_ns"].as_f64()?,
        summary["p999_ns"].as_f64()?,
    ])
}

/// Check latency percentiles, log scale: the store's check, its floors and
/// its peers, each from the largest org measured.
fn check_latency(dir: &Path, results: &Results) -> Result<Option<PathBuf>, BoxError> {
    let mut engines: Vec<(String, [f64; 3])> = Vec::new();
    if let Some(store) = results.largest("store") {
        let n = store["employees"].as_u64().unwrap_or(0);
        for (label, key) in [
            ("permafrost check", "reader_once"),
            ("RocksDB get", "raw_get"),
            ("HashSet", "hash_set"),
        ] {
            if let Some(p) = percentiles(&store["check"][key]) {
                engines.push((format!("{label} ({n})"), p));
            }
        }
    }
    if let Some(http) = results.largest("http") {
        let n = http["employees"].as_u64().unwrap_or(0);
        if let Some(p) = percentiles(&http["http_sequential_check"]) {
            engines.push((format!("HTTP check ({n})"), p));
        }
    }
    if engines.is_empty() {
        return Ok(None);
    }
    let path = dir.join("check_latency.svg");
    let lo = engines.iter().map(|e| e.1[0]).fold(f64::INFINITY, f64::min) / 2.0;
    let hi = engines.iter().map(|e| e.1[2]).fold(0.0, f64::max) * 2.0;
    let root = SVGBackend::new(path.as_path(), (1000, 520)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Check latency, mixed allowed/denied (ns, log scale)",
            ("sans-serif", 22),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d((0..engines.len()).into_segmented(), (lo..hi).log_scale())?;
    let names: Vec<String> = engines.iter().map(|e| e.0.clone()).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(engines.len())
        .x_label_formatter(&|x| match x {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                names.get(*i).cloned().unwrap_or_default()
            }
            SegmentValue::Last => String::new(),
        })
        .y_desc("latency (ns)")
        .draw()?;
    for (k, (label, color)) in [("p50", BLUE), ("p99", RED), ("p99.9", GREEN)]
        .into_iter()
        .enumerate()
    {
        chart
            .draw_series(
                engines.iter().enumerate().map(|(i, e)| {
                    Circle::new((SegmentValue::CenterOf(i), e.1[k]), 6, color.filled())
                }),
            )?
            .label(label)
            .legend(move |(x, y)| Circle::new((x + 10, y), 6, color.filled()));
    }
    finish(&mut chart)?;
    drop(chart);
    root.present()?;
    drop(root);
    Ok(Some(path))
}

/// Draws a chart's legend in its upper left corner, boxed.
fn finish<'a, 'b: 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, CT>,
) -> Result<(), BoxError> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .border_style(BLACK)
        .background_style(WHITE)
        .draw()?;
    Ok(())
}

/// A plotted series: its label, its colour, and how to read its value from
/// a run's JSON.
type Series = (&'static str, RGBColor, fn(&Json) -> Option<f64>);

/// The org chart workload by company size: the initial fixpoint, a
/// recomputation from scratch, and one manager move (p50, p99), in
/// seconds, log-log.
fn org_size(dir: &Path, results: &Results) -> Result<Option<PathBuf>, BoxError> {
    let runs = results.of("org-chart");
    if runs.len() < 2 {
        return Ok(None);
    }
    let series: [Series; 4] = [
        ("initial fixpoint", BLUE, |j| {
            j["initial_fixpoint_s"].as_f64()
        }),
        ("recompute from scratch (reference)", BLACK, |j| {
            j["reference_recompute_median_s"].as_f64()
        }),
        ("one move, p99", RED, |j| {
            Some(j["move_p99_us"].as_f64()? / 1e6)
        }),
        ("one move, p50", GREEN, |j| {
            Some(j["move_p50_us"].as_f64()? / 1e6)
        }),
    ];
    let points = |f: fn(&Json) -> Option<f64>| -> Vec<(f64, f64)> {
        runs.iter()
            .filter_map(|j| Some((j["employees"].as_f64()?, f(j)?)))
            .collect()
    };
    let all: Vec<(f64, f64)> = series.iter().flat_map(|s| points(s.2)).collect();
    let (x_lo, x_hi) = all.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), p| {
        (lo.min(p.0), hi.max(p.0))
    });
    let (y_lo, y_hi) = all.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), p| {
        (lo.min(p.1), hi.max(p.1))
    });
    let path = dir.join("org_size.svg");
    let root = SVGBackend::new(path.as_path(), (900, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Org chart cost by company size (log-log)",
            ("sans-serif", 22),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(
            (x_lo / 1.5..x_hi * 1.5).log_scale(),
            (y_lo / 2.0..y_hi * 2.0).log_scale(),
        )?;
    chart
        .configure_mesh()
        .x_desc("employees")
        .y_desc("seconds")
        .draw()?;
    for (label, color, f) in series {
        let line = points(f);
        chart
            .draw_series(LineSeries::new(line.clone(), color.stroke_width(2)))?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        chart.draw_series(line.into_iter().map(|p| Circle::new(p, 4, color.filled())))?;
    }
    finish(&mut chart)?;
    drop(chart);
    root.present()?;
    drop(root);
    Ok(Some(path))
}
