//! permafrost: an authorization engine that compiles Polar policies to an
//! incremental dataflow and keeps every derived permission materialized.
//!
//! This root package is the facade over the workspace. It loads policies,
//! facts and events from files ([`load`]), keeps a store's materialization
//! in step with its policy's dataflow ([`materializer`], the write path),
//! and runs the commands of the `permafrost` binary ([`commands`]). The
//! language lives in `engine`, the store in `storage`, event handling in
//! `ingest`.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod commands;
pub mod demo;
pub mod entity_arg;
pub mod error;
pub mod load;
pub mod materializer;
pub mod pipeline;
pub mod progress;
pub mod server;

pub use error::CliError;
