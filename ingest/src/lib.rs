//! permafrost fact events.
//!
//! Where it sits in the flow of data: relationship changes arrive as JSON
//! Lines ([`event`]), are validated against the policy's declarations, and
//! are applied in order — as epochs of the dataflow, or to a plain fact set
//! ([`FactSet`]) for the reference evaluator.

pub mod event;
pub mod batch;
pub mod fact_set;
pub mod source;

pub use event::{parse_event_line, read_event_file, Change, EventError, Op};
pub use fact_set::FactSet;
