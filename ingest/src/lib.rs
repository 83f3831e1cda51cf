//! permafrost fact events.
//!
//! Where it sits in the flow of data: relationship changes arrive as JSON
//! Lines ([`event`]), are validated against the policy's declarations, and
//! are applied in order — as epochs of the dataflow, or to a plain fact set
//! ([`FactSet`]) for the reference evaluator.
//!
//! Streaming ingest reads them from a [`Source`] (a file, a followed file,
//! stdin), whose lines carry the byte offset to resume after them. A
//! [`Batcher`] validates the lines on its own threads and groups them into
//! [`PendingEpoch`]s; the committer writes an epoch's rejected lines to the
//! [`DeadLetter`] file, makes them durable, then commits the epoch's changes
//! with its end offset.

pub mod batch;
pub mod dead_letter;
pub mod event;
pub mod fact_set;
pub mod source;

pub use batch::{BatchConfig, Batcher, PendingEpoch, Rejected};
pub use dead_letter::DeadLetter;
pub use event::{parse_event_line, read_event_file, Change, EventError, Op};
pub use fact_set::FactSet;
pub use source::{FileSource, FollowOptions, ReaderSource, Source, SourceLine, StdinSource};
