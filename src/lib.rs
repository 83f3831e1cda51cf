//! permafrost: an authorization engine that compiles Polar policies to an
//! incremental dataflow and keeps every derived permission materialized.
//!
//! This root package is the facade over the workspace: it loads policies,
//! facts and events from files ([`load`]) and runs the commands of the
//! `permafrost` binary ([`commands`]). The language lives in `engine`, the
//! store in `storage`, event handling in `ingest`.

pub mod commands;
pub mod error;
pub mod load;

pub use error::CliError;
