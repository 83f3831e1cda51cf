//! The permafrost policy engine.
//!
//! Where it sits in the flow of data: a policy's text is parsed
//! ([`parse`]) into a syntax tree ([`ast`]), checked ([`check`]) into a
//! [`program::Program`] of normalized, stratified rules, and then evaluated —
//! from scratch by the [`reference`] evaluator (the oracle every other engine
//! is tested against). Facts and queries are checked against the program
//! ([`facts`]); values and their canonical text live in [`value`]; every
//! error is a located [`diagnostic::Diagnostic`]. When a tuple holds in time
//! (rules that read `@current_unix_time`) is a [`validity::Validity`]. Why an atom holds or not
//! — a derivation tree, or the rules that failed — comes from [`explain`].

pub mod ast;
pub mod check;
pub mod dataflow;
pub mod diagnostic;
pub mod explain;
pub mod facts;
pub mod parse;
pub mod plan;
pub mod program;
pub mod reference;
pub mod test_blocks;
pub mod validity;
pub mod value;

pub use check::check_policy;
pub use diagnostic::{Diagnostic, Diagnostics, SourceFile};
pub use program::Program;
pub use value::{Entity, Fact, Value};
