//! Located diagnostics: every error a policy, a fact or a query can cause.
//!
//! A [`Diagnostic`] names a source file and a byte span; rendering shows
//! `FILE:LINE:COL`, the source line underlined, and a help line. Errors are
//! lower case, name things in backticks, and keep the help apart.

use std::fmt;
use std::sync::Arc;

use codespan_reporting::diagnostic::{Diagnostic as Rendered, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{emit_into_string, Config};

use crate::ast::Span;

/// A named source text: a policy, a facts file, a query on the command line.
#[derive(Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// The name shown in diagnostics (usually the path as given).
    pub name: String,
    /// The full text.
    pub text: String,
}

impl SourceFile {
    /// Wraps a text under a name.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Arc<Self> {
        Arc::new(SourceFile {
            name: name.into(),
            text: text.into(),
        })
    }

    /// The 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = self.text.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before.get(line_start..).unwrap_or("").chars().count() + 1;
        (line, col)
    }
}

/// One located error.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// The file the span points into.
    pub file: Arc<SourceFile>,
    /// What is wrong, lower case, one line.
    pub message: String,
    /// Where.
    pub span: Span,
    /// What to do about it.
    pub help: Option<String>,
    /// Other places worth showing (e.g. the first definition of a duplicate).
    pub related: Vec<(Span, String)>,
}

impl Diagnostic {
    /// A diagnostic at `span` of `file`.
    pub fn new(file: &Arc<SourceFile>, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            file: Arc::clone(file),
            message: message.into(),
            span,
            help: None,
            related: Vec::new(),
        }
    }

    /// Adds the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a secondary location.
    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related.push((span, label.into()));
        self
    }

    /// `FILE:LINE:COL` of the primary span.
    pub fn location(&self) -> String {
        let (line, col) = self.file.line_col(self.span.start);
        format!("{}:{line}:{col}", self.file.name)
    }

    /// The diagnostic rendered for a terminal without colours: the message,
    /// the location, the underlined source line and the help.
    pub fn render(&self) -> String {
        let file = SimpleFile::new(self.file.name.as_str(), self.file.text.as_str());
        let clamp = |span: Span| {
            let end = span.end.min(self.file.text.len());
            span.start.min(end)..end
        };
        let mut labels = vec![Label::primary((), clamp(self.span))];
        for (span, label) in &self.related {
            labels.push(Label::secondary((), clamp(*span)).with_message(label.clone()));
        }
        let mut rendered = Rendered::error()
            .with_message(self.message.clone())
            .with_labels(labels);
        if let Some(help) = &self.help {
            rendered = rendered.with_notes(vec![format!("help: {help}")]);
        }
        emit_into_string(&Config::default(), &file, &rendered)
            .unwrap_or_else(|_| format!("error: {}\n  at {}\n", self.message, self.location()))
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location(), self.message)
    }
}

/// Every error found in one pass, in source order.
#[derive(Clone, Debug, Default, thiserror::Error)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// All diagnostics rendered one after the other.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for diagnostic in &self.0 {
            out.push_str(&diagnostic.render());
        }
        let n = self.0.len();
        if n > 1 {
            out.push_str(&format!("error: found {n} problems\n"));
        }
        out
    }

    /// True when nothing was reported.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds one diagnostic.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// `Ok(value)` when nothing was reported, else the diagnostics sorted by
    /// position.
    pub fn into_result<T>(mut self, value: T) -> Result<T, Diagnostics> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            self.0
                .sort_by_key(|d| (d.file.name.clone(), d.span.start, d.span.end));
            Err(self)
        }
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(diagnostic: Diagnostic) -> Self {
        Diagnostics(vec![diagnostic])
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}
