//! `engine::parse`: source text to syntax tree (lalrpop grammar).
//!
//! Parsing recovers at `;`, so one run reports every statement that does not
//! parse. Entry points: [`parse_policy`], [`parse_facts`], [`parse_atom`].

use std::sync::Arc;

use lalrpop_util::{lalrpop_mod, ErrorRecovery, ParseError};

use crate::ast::{Atom, Policy, Span};
use crate::diagnostic::{Diagnostic, Diagnostics, SourceFile};

pub(crate) mod lexical;

lalrpop_mod!(
    #[allow(
        clippy::all,
        clippy::pedantic,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        missing_docs,
        unused_qualifications
    )]
    grammar,
    "/parse/grammar.rs"
);

/// An error raised by a grammar action (a bad literal), with its help.
#[derive(Clone, Debug, PartialEq)]
pub struct LexicalError {
    message: String,
    help: String,
    span: Span,
}

impl LexicalError {
    pub(crate) fn new(message: impl Into<String>, help: impl Into<String>, span: Span) -> Self {
        LexicalError {
            message: message.into(),
            help: help.into(),
            span,
        }
    }
}

type Token<'a> = grammar::Token<'a>;
type Error<'a> = ParseError<usize, Token<'a>, LexicalError>;

/// Parses a policy file.
pub fn parse_policy(file: &Arc<SourceFile>) -> Result<Policy, Diagnostics> {
    let mut recovered = Vec::new();
    let result = grammar::PolicyParser::new().parse(&mut recovered, &file.text);
    finish(file, recovered, result)
}

/// Parses a facts file (or a test setup): ground atoms ending in `;`.
pub fn parse_facts(file: &Arc<SourceFile>) -> Result<Vec<Atom>, Diagnostics> {
    let mut recovered = Vec::new();
    let result = grammar::FactsParser::new().parse(&mut recovered, &file.text);
    finish(file, recovered, result)
}

/// Parses one atom, such as a query on the command line.
pub fn parse_atom(file: &Arc<SourceFile>) -> Result<Atom, Diagnostics> {
    let mut recovered = Vec::new();
    let result = grammar::AtomParser::new().parse(&mut recovered, &file.text);
    finish(file, recovered, result)
}

fn finish<'a, T>(
    file: &Arc<SourceFile>,
    recovered: Vec<ErrorRecovery<usize, Token<'a>, LexicalError>>,
    result: Result<T, Error<'a>>,
) -> Result<T, Diagnostics> {
    // An unclosed string derails every token after it: report it alone.
    let unterminated = lexical::unterminated_strings(&file.text);
    if !unterminated.is_empty() {
        return Err(Diagnostics(
            unterminated
                .into_iter()
                .map(|span| {
                    Diagnostic::new(file, span, "unterminated string")
                        .with_help("close the string with `\"` on the same line")
                })
                .collect(),
        ));
    }
    let mut diagnostics = Diagnostics::default();
    for error in recovered {
        diagnostics.push(to_diagnostic(file, error.error));
    }
    match result {
        Ok(value) => diagnostics.into_result(value),
        Err(error) => {
            diagnostics.push(to_diagnostic(file, error));
            Err(diagnostics.into_result(()).err().unwrap_or_default())
        }
    }
}

fn to_diagnostic(file: &Arc<SourceFile>, error: Error<'_>) -> Diagnostic {
    match error {
        ParseError::InvalidToken { location } => {
            let end = next_char_boundary(&file.text, location);
            Diagnostic::new(file, Span::new(location, end), "unexpected character").with_help(
                "remove it; names are `[A-Za-z_][A-Za-z0-9_]*` and strings are double-quoted",
            )
        }
        ParseError::UnrecognizedEof { location, expected } => Diagnostic::new(
            file,
            Span::new(location, location),
            "unexpected end of input",
        )
        .with_help(expected_help(&expected)),
        ParseError::UnrecognizedToken {
            token: (start, token, end),
            expected,
        } => Diagnostic::new(
            file,
            Span::new(start, end),
            format!("unexpected `{}`", token.1),
        )
        .with_help(expected_help(&expected)),
        ParseError::ExtraToken {
            token: (start, token, end),
        } => Diagnostic::new(
            file,
            Span::new(start, end),
            format!("unexpected `{}`", token.1),
        )
        .with_help("remove it"),
        ParseError::User { error } => {
            Diagnostic::new(file, error.span, error.message).with_help(error.help)
        }
    }
}

fn next_char_boundary(text: &str, at: usize) -> usize {
    text.get(at..)
        .and_then(|rest| rest.chars().next())
        .map_or(at, |c| at + c.len_utf8())
}

/// Turns lalrpop's list of expected terminals into a readable help line.
fn expected_help(expected: &[String]) -> String {
    let mut names: Vec<String> = expected
        .iter()
        .map(|t| match t.as_str() {
            t if t.starts_with("r#\"[A-Za-z_]") => "a name".to_string(),
            t if t.starts_with("r#\"[0-9]") => "an integer".to_string(),
            t if t.starts_with("r#\"@") => "`@current_unix_time`".to_string(),
            t if t.starts_with("r#\"\\\"") || t.starts_with("r##\"\"") => "a string".to_string(),
            "UNTERMINATED" => "a string".to_string(),
            t => format!("`{}`", t.trim_matches('"')),
        })
        .collect();
    names.sort();
    names.dedup();
    match names.len() {
        0 => "check the statement's syntax against the policy language".to_string(),
        1 => format!("expected {}", names[0]),
        _ if names.len() > 8 => {
            "a statement ends with `;`; check the syntax before this point".to_string()
        }
        _ => {
            let last = names.pop().unwrap_or_default();
            format!("expected {} or {last}", names.join(", "))
        }
    }
}
