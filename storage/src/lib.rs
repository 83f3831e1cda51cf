//! The permafrost store: base facts and materialized permissions in RocksDB.
//!
//! Where it sits in the flow of data (DESIGN.md §1):
//!
//! ```text
//! ingest ──► engine::dataflow ──► epoch diffs (facts ±, allow tuples ±)
//!                                        │
//!                                        ▼
//!                   storage: Store::commit_epoch (one synced WriteBatch)
//!                                        │
//!                                        ▼
//!        Store::read ──► Reader: check / list / who / actions / changes_since
//! ```
//!
//! The dataflow hands each epoch's base-fact changes and the permission
//! changes they cause to [`Store::commit_epoch`], which writes them, the
//! change-log rows, the source offsets and the new committed epoch in one
//! write batch. A permission is stored with its validity (the times at
//! which it holds, [`Validity`]; DESIGN.md §3, `@current_unix_time`), so
//! nothing is rewritten as the clock moves: every read takes a time `at`
//! (unix seconds) and counts only the tuples valid then.
//!
//! Reads never touch the dataflow: a [`Reader`] answers from RocksDB at the
//! committed epoch, a point lookup for [`Reader::check`] and prefix scans
//! for [`Reader::list`], [`Reader::who`] and [`Reader::actions`]. On
//! restart, [`Reader::facts`] feeds the stored facts back into the
//! dataflow, and [`Reader::permissions`] lets a recomputation be compared
//! with the materialization, which [`Store::replace_permissions`] rewrites
//! if they differ or the policy changed.
//!
//! `SCHEMA.md` beside this crate documents every column family's bytes.
//!
//! ```no_run
//! # fn main() -> Result<(), storage::StoreError> {
//! use engine::validity::{Interval, Validity};
//! use engine::value::Value;
//! use storage::{EpochCommit, Permission, Store};
//!
//! let store = Store::open("/var/lib/permafrost")?;
//! let alice = Value::entity("User", "alice");
//! let read = Value::str("read");
//! let anvil = Value::entity("Repository", "anvil");
//! let grant = Permission::new(alice.clone(), read.clone(), anvil.clone());
//! // Granted from 2026-01-01 to the end of time.
//! let from_2026 = Validity::from_intervals(Interval::new(1_767_225_600, i64::MAX));
//! store.commit_epoch(&EpochCommit {
//!     epoch: store.committed_epoch()? + 1,
//!     permissions: vec![(grant, from_2026)],
//!     ..EpochCommit::default()
//! })?;
//! let reader = store.read()?;
//! assert!(reader.check(&alice, &read, &anvil, 1_800_000_000)?);
//! assert!(!reader.check(&alice, &read, &anvil, 1_700_000_000)?);
//! for resource in reader.list(&alice, &read, "Repository", None, 100, 1_800_000_000)? {
//!     println!("{}", resource?);
//! }
//! # Ok(())
//! # }
//! ```
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod canon;
mod dict;
#[cfg(test)]
mod durability;
mod err;
mod keys;
mod perm;
mod perm_write;
mod read;
mod scan;
mod schedule;
mod schema;
mod stats;
mod store;
#[cfg(test)]
mod testutil;
mod validity;
mod write;

pub use engine::validity::{Interval, Validity};
pub use err::{Result, StoreError};
pub use perm::{Change, LoggedChange, Permission, PermissionChange};
pub use read::Reader;
pub use scan::{Page, Rows};
pub use schedule::ScheduledChange;
pub use stats::WriteStatistics;
pub use store::Store;
pub use write::{CommitStats, EpochCommit, Policy};
