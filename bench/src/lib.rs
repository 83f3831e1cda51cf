//! permafrost benchmarks.
//!
//! Where it sits: outside the flow of data, measuring it. Seeded,
//! deterministic generators ([`org_chart`], [`reviews`], and the demo's
//! company for [`ingest_stream`]) make the facts; the
//! workloads run side by side with their peers in one process and report
//! ratios, because the machine is shared and noisy: `main.rs` runs the
//! org-chart workload (the dataflow alone) and [`store`] the store workload
//! (the write path into RocksDB and the read path out of it, against a bare
//! RocksDB [`raw_peer`] and an in-memory set); [`oso_peer`] puts the store's
//! checks and `who` beside oso, the top-down Polar engine, on the same data
//! and rules; [`domains`] the four example policies over generated worlds
//! and their change streams; [`http_load`] the permission service over
//! loopback HTTP; [`hospital_time`] permissions bounded in time (a
//! hospital's visits) beside the same tuples stored without intervals.
//! [`suite`] runs them all at the sizes `RESULTS.md` reports
//! (or small, `--quick`) and [`plots`] draws the figures from their JSON.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod disk;
pub mod domains;
pub mod hospital_time;
pub mod http_load;
pub mod ingest_stream;
pub mod latency;
pub mod org_chart;
pub mod oso_peer;
pub mod plots;
pub mod raw_peer;
pub mod reviews;
pub mod rng;
pub mod store;
pub mod suite;

/// The boxed error of the harness.
pub type BoxError = Box<dyn std::error::Error>;

/// Resident memory of this process, from /proc (Linux), in bytes.
pub fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
