//! The seeded generator of every workload: the demo's SplitMix64, so the
//! benchmarks, the demo and the tests draw the same data from the same seed.

pub use permafrost::demo::org::Rng;
