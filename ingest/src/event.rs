//! The JSON Lines event format (DESIGN.md §4).
//!
//! One line is one operation or one atomic batch:
//! `{"op":"insert","fact":{"predicate":"manager","args":[…]}}`,
//! `{"op":"delete",…}`, `{"batch":[op, …]}`.

use std::path::Path;

use engine::facts::validate_fact;
use engine::{Fact, Program};
use serde::Deserialize;

/// Insert or delete.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    /// Add the fact (a no-op if present).
    Insert,
    /// Remove the fact (a no-op if absent).
    Delete,
}

/// One operation on one fact.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// Insert or delete.
    pub op: Op,
    /// The fact.
    pub fact: Fact,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Line {
    Batch { batch: Vec<Change> },
    Single(Change),
}

/// Why an event line was rejected.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// Not valid JSON, or not of the event shape.
    #[error("malformed event: {0}")]
    Malformed(String),
    /// A fact that breaks its declaration.
    #[error("operation {index} of the line: {source}")]
    BadFact {
        /// 1-based position of the operation in the line.
        index: usize,
        /// What is wrong with the fact.
        source: engine::facts::FactError,
    },
}

/// Parses and validates one event line; answers its operations in order.
/// Nothing of a line is accepted unless all of it is valid.
pub fn parse_event_line(program: &Program, line: &str) -> Result<Vec<Change>, EventError> {
    let changes = match serde_json::from_str::<serde_json::Value>(line) {
        Err(err) => return Err(EventError::Malformed(err.to_string())),
        Ok(json) => match serde_json::from_value::<Line>(json) {
            Ok(Line::Batch { batch }) => batch,
            Ok(Line::Single(change)) => vec![change],
            Err(_) => {
                return Err(EventError::Malformed(
                    "expected {\"op\":\"insert\"|\"delete\",\"fact\":{\"predicate\":…,\"args\":[…]}} or {\"batch\":[…]}; values are {\"type\":…,\"id\":…}, strings, integers or booleans".to_string(),
                ))
            }
        },
    };
    for (index, change) in changes.iter().enumerate() {
        validate_fact(program, &change.fact).map_err(|source| EventError::BadFact {
            index: index + 1,
            source,
        })?;
    }
    Ok(changes)
}

/// A rejected line of an event file.
#[derive(Debug)]
pub struct RejectedLine {
    /// 1-based line number.
    pub line: usize,
    /// Why.
    pub error: EventError,
}

/// Reads an event file: the accepted lines' operations (one entry per line,
/// in order) and the rejected lines. Blank lines are skipped.
pub fn read_event_file(
    program: &Program,
    path: &Path,
) -> std::io::Result<(Vec<Vec<Change>>, Vec<RejectedLine>)> {
    let text = std::fs::read_to_string(path)?;
    let mut accepted = Vec::new();
    let mut rejected = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match parse_event_line(program, line) {
            Ok(changes) => accepted.push(changes),
            Err(error) => rejected.push(RejectedLine {
                line: index + 1,
                error,
            }),
        }
    }
    Ok((accepted, rejected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::{check_policy, SourceFile};

    fn program() -> Program {
        let file = SourceFile::new("p.polar", "actor User {}\ndeclare manager(User, User);\n");
        match check_policy(&file) {
            Ok(p) => p,
            Err(d) => panic!("{}", d.render()),
        }
    }

    #[test]
    fn parses_single_and_batch() {
        let p = program();
        let one = r#"{"op":"insert","fact":{"predicate":"manager","args":[{"type":"User","id":"a"},{"type":"User","id":"b"}]}}"#;
        assert_eq!(parse_event_line(&p, one).map(|c| c.len()).ok(), Some(1));
        let batch = format!(r#"{{"batch":[{one},{}]}}"#, one.replace("insert", "delete"));
        let changes = parse_event_line(&p, &batch).unwrap_or_default();
        assert_eq!(changes.len(), 2);
        assert_eq!(changes[1].op, Op::Delete);
    }

    #[test]
    fn rejects_bad_lines_whole() {
        let p = program();
        let bad_type = r#"{"batch":[{"op":"insert","fact":{"predicate":"manager","args":[{"type":"User","id":"a"},{"type":"User","id":"b"}]}},{"op":"insert","fact":{"predicate":"manager","args":["a",{"type":"User","id":"b"}]}}]}"#;
        let err = parse_event_line(&p, bad_type).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("operation 2 of the line: argument 1 of `manager` must be a `User` entity, but \"a\" was given")
        );
        assert!(matches!(
            parse_event_line(&p, "{not json"),
            Err(EventError::Malformed(_))
        ));
        assert!(matches!(
            parse_event_line(
                &p,
                r#"{"op":"upsert","fact":{"predicate":"manager","args":[]}}"#
            ),
            Err(EventError::Malformed(_))
        ));
    }
}
