//! The commands of the `permafrost` binary.

pub mod check_policy;
pub mod query;
pub mod test;
