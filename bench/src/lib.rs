//! permafrost benchmarks.
//!
//! Where it sits: outside the flow of data, measuring it. Seeded,
//! deterministic generators ([`org_chart`], and the demo's company for
//! [`ingest_stream`]) make the facts; the harness in
//! `main.rs` runs each workload side by side with its peers in one process
//! and reports ratios, because the machine is shared and noisy.

pub mod ingest_stream;
pub mod org_chart;
pub mod rng;
