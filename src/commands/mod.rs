//! The commands of the `permafrost` binary, one module each.

pub mod check_policy;
pub mod explain;
pub mod ingest;
pub mod load;
pub mod query;
pub mod repl;
pub mod store_reads;
pub mod test;
