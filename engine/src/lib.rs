//! The permafrost policy engine.
pub mod value;
