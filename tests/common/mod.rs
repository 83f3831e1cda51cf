//! Shared helpers of the end-to-end tests: reading data-driven cases.

#![allow(dead_code, clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

/// One query of a case with its expected answer.
#[derive(Debug)]
pub struct CaseQuery {
    /// Line number in `queries.txt`.
    pub line: usize,
    /// `at T`, if given.
    pub at: Option<i64>,
    /// The query atom.
    pub atom: String,
    /// Expected answer lines.
    pub expected: Vec<String>,
}

/// A data-driven case directory under `tests/cases`.
#[derive(Debug)]
pub struct Case {
    /// Its name.
    pub name: String,
    /// Its directory.
    pub dir: PathBuf,
    /// The queries.
    pub queries: Vec<CaseQuery>,
}

impl Case {
    /// `policy.polar`.
    pub fn policy(&self) -> PathBuf {
        self.dir.join("policy.polar")
    }
    /// `facts.facts`, when present.
    pub fn facts(&self) -> Vec<PathBuf> {
        let path = self.dir.join("facts.facts");
        if path.exists() {
            vec![path]
        } else {
            Vec::new()
        }
    }
    /// `events.jsonl`, when present.
    pub fn events(&self) -> Option<PathBuf> {
        Some(self.dir.join("events.jsonl")).filter(|p| p.exists())
    }
}

/// Every case, sorted by name.
pub fn cases() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut cases: Vec<Case> = std::fs::read_dir(&root)
        .expect("tests/cases exists")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| {
            let dir = e.path();
            let text = std::fs::read_to_string(dir.join("queries.txt")).expect("queries.txt");
            Case {
                name: e.file_name().to_string_lossy().into_owned(),
                queries: parse_queries(&text),
                dir,
            }
        })
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

fn parse_queries(text: &str) -> Vec<CaseQuery> {
    let mut queries: Vec<CaseQuery> = Vec::new();
    let mut open = false;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("query ") {
            let (at, atom) = match rest.strip_prefix("at ") {
                Some(rest) => {
                    let (t, atom) = rest.split_once(' ').expect("query at T ATOM");
                    (Some(t.parse().expect("integer time")), atom)
                }
                None => (None, rest),
            };
            queries.push(CaseQuery {
                line: index + 1,
                at,
                atom: atom.trim().to_string(),
                expected: Vec::new(),
            });
            open = true;
        } else if trimmed.is_empty() {
            open = false;
        } else if trimmed.starts_with('#') {
            continue;
        } else if open {
            if let Some(q) = queries.last_mut() {
                q.expected.push(trimmed.to_string());
            }
        } else {
            panic!(
                "queries.txt line {}: answer line outside a query",
                index + 1
            );
        }
    }
    queries
}
