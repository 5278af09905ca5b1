//! The one error type of eqlite: a kind, a byte span into the query, an optional auxiliary span
//! ("declared here") and a message, rendered with a caret frame in exactly one place
//! ([`Error`]'s `Display`).
//!
//! Messages follow Elasticsearch's wording where Elasticsearch has one, so that an analyst who
//! moves a rule between Kibana and eqlite reads the same explanation.

use crate::span::{floor_boundary, Span};
use std::fmt;
use std::sync::Arc;

/// What went wrong, coarsely: the phase that rejected the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The query text is not EQL, e.g. `process where x = 1` (use `==`).
    Syntax,
    /// The query parses but means nothing, e.g. `process where foo(x)` (unknown function) or
    /// `sequence by a [x where true] by b [y where true]` (inconsistent join keys).
    Semantic,
    /// A valid feature eqlite does not implement, e.g. `process where true | unique x`.
    Unsupported,
    /// A safety limit was hit, e.g. 200 nested parentheses.
    Limit,
    /// A bad option value, e.g. an empty timestamp field name.
    Option,
    /// Unreadable input data (used by the input readers).
    Input,
}

impl ErrorKind {
    /// A stable machine-readable code for this kind.
    pub fn as_str(&self) -> &'static str {
        match self {
            ErrorKind::Syntax => "syntax",
            ErrorKind::Semantic => "semantic",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Limit => "limit",
            ErrorKind::Option => "option",
            ErrorKind::Input => "input",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error with enough context to point at the offending part of the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    span: Option<Span>,
    aux_span: Option<Span>,
    source_text: Option<Arc<str>>,
}

impl Error {
    /// A new error without location.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            span: None,
            aux_span: None,
            source_text: None,
        }
    }

    /// Points the error at `span` (byte offsets into the query text).
    pub fn with_span(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    /// Adds a secondary location, e.g. the first stage's `by` when a later stage disagrees.
    pub fn with_aux_span(mut self, span: Span) -> Self {
        self.aux_span = Some(span);
        self
    }

    /// Attaches the query text so that `Display` can draw the caret frame.
    pub fn with_source(mut self, text: &str) -> Self {
        self.source_text = Some(Arc::from(text));
        self
    }

    /// The error's kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Where in the query the error is, in bytes.
    pub fn span(&self) -> Option<Span> {
        self.span
    }

    /// A related location (for example the declaration the error disagrees with).
    pub fn aux_span(&self) -> Option<Span> {
        self.aux_span
    }

    /// The message alone, without location or frame.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// 1-based line and column (in chars) of the span's start in `src`.
    pub fn line_column(&self, src: &str) -> Option<(usize, usize)> {
        self.span.map(|s| s.line_column(src))
    }
}

impl std::error::Error for Error {}

impl fmt::Display for Error {
    /// Renders `error: <message>` and, when both the span and the query text are known, the line
    /// the span starts on with `^` under the span:
    ///
    /// ```text
    /// error: Unknown function [foo]
    ///  --> line 1, column 15
    ///   |
    /// 1 | process where foo(x)
    ///   |               ^^^
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message)?;
        let (Some(span), Some(src)) = (self.span, self.source_text.as_deref()) else {
            return Ok(());
        };
        let (line, column) = span.line_column(src);
        let start = floor_boundary(src, span.start);
        let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = src[start..].find('\n').map_or(src.len(), |i| start + i);
        let text: String = src[line_start..line_end]
            .trim_end_matches('\r')
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let end = floor_boundary(src, span.end.max(start)).min(line_end);
        let width = src[start..end].chars().count().max(1);
        let number = line.to_string();
        let pad = " ".repeat(number.len());
        write!(f, "\n{pad}--> line {line}, column {column}")?;
        write!(f, "\n{pad} |\n{number} | {}", text.trim_end())?;
        write!(
            f,
            "\n{pad} | {}{}",
            " ".repeat(column - 1),
            "^".repeat(width)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_caret_frame() {
        let src = "process where foo(x)";
        let e = Error::new(ErrorKind::Semantic, "Unknown function [foo]")
            .with_span(Span::new(14, 17))
            .with_source(src);
        assert_eq!(
            e.to_string(),
            "error: Unknown function [foo]\n --> line 1, column 15\n  |\n1 | process where foo(x)\n  |               ^^^"
        );
    }

    #[test]
    fn renders_line_of_span_start_and_clamps() {
        let src = "sequence\n  [a where x = 1]\n  [b where true]";
        let at = src.find('=').unwrap();
        let e = Error::new(ErrorKind::Syntax, "boom")
            .with_span(Span::new(at, src.len()))
            .with_source(src);
        assert_eq!(
            e.to_string(),
            "error: boom\n --> line 2, column 14\n  |\n2 |   [a where x = 1]\n  |              ^^^^"
        );
        let e = Error::new(ErrorKind::Syntax, "eof")
            .with_span(Span::new(99, 99))
            .with_source("ab");
        assert_eq!(
            e.to_string(),
            "error: eof\n --> line 1, column 3\n  |\n1 | ab\n  |   ^"
        );
        assert_eq!(Error::new(ErrorKind::Limit, "x").to_string(), "error: x");
    }
}
