//! Latency histograms at nanosecond precision, and their summaries.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde_json::{json, Value as Json};

use crate::BoxError;

/// A latency histogram in nanoseconds, three significant digits, from 1 ns
/// to 100 s.
pub struct Latency(Histogram<u64>);

impl Latency {
    /// An empty histogram.
    pub fn new() -> Result<Self, BoxError> {
        Ok(Latency(Histogram::new_with_bounds(1, 100_000_000_000, 3)?))
    }

    /// Records one duration.
    pub fn record(&mut self, elapsed: Duration) -> Result<(), BoxError> {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        Ok(self.0.record(nanos.max(1))?)
    }

    /// Adds every duration recorded in `other`.
    pub fn merge(&mut self, other: &Latency) -> Result<(), BoxError> {
        Ok(self.0.add(&other.0)?)
    }

    /// The figures that matter.
    pub fn summary(&self) -> Summary {
        let h = &self.0;
        Summary {
            count: h.len(),
            p50_ns: h.value_at_quantile(0.5),
            p99_ns: h.value_at_quantile(0.99),
            p999_ns: h.value_at_quantile(0.999),
            max_ns: h.max(),
            mean_ns: h.mean(),
        }
    }
}

/// The summary of a [`Latency`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// Recorded operations.
    pub count: u64,
    /// Median.
    pub p50_ns: u64,
    /// 99th percentile.
    pub p99_ns: u64,
    /// 99.9th percentile.
    pub p999_ns: u64,
    /// Maximum.
    pub max_ns: u64,
    /// Mean.
    pub mean_ns: f64,
}

impl Summary {
    /// `p50 / p99 / p99.9` in the most readable unit.
    pub fn percentiles(&self) -> String {
        format!(
            "{} / {} / {}",
            human(self.p50_ns as f64),
            human(self.p99_ns as f64),
            human(self.p999_ns as f64)
        )
    }

    /// The summary as JSON.
    pub fn json(&self) -> Json {
        json!({
            "count": self.count,
            "p50_ns": self.p50_ns,
            "p99_ns": self.p99_ns,
            "p999_ns": self.p999_ns,
            "max_ns": self.max_ns,
            "mean_ns": self.mean_ns,
        })
    }
}

/// A duration in nanoseconds, printed in ns, µs, ms or s.
pub fn human(nanos: f64) -> String {
    if nanos < 1e3 {
        format!("{nanos:.0} ns")
    } else if nanos < 1e6 {
        format!("{:.2} µs", nanos / 1e3)
    } else if nanos < 1e9 {
        format!("{:.2} ms", nanos / 1e6)
    } else {
        format!("{:.2} s", nanos / 1e9)
    }
}

/// `a / b`, as a ratio that stays finite.
pub fn ratio(a: u64, b: u64) -> f64 {
    a as f64 / b.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_and_units() {
        let mut latency = Latency::new().unwrap();
        for n in 1..=1000u64 {
            latency.record(Duration::from_nanos(n * 1000)).unwrap();
        }
        let s = latency.summary();
        assert_eq!(s.count, 1000);
        assert!((499_000..=501_000).contains(&s.p50_ns), "{s:?}");
        assert!((989_000..=991_000).contains(&s.p99_ns), "{s:?}");
        assert_eq!(human(950.0), "950 ns");
        assert_eq!(human(1_500.0), "1.50 µs");
        assert_eq!(human(2_500_000.0), "2.50 ms");
        assert_eq!(ratio(3, 0), 3.0);
    }
}
