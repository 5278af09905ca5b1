//! Prints the AST back as valid EQL, so that `parse(print(ast)) == ast` (modulo spans) can be
//! tested, and offers [`strip_spans`](super::ast::Query::strip_spans) for that comparison.

use super::ast::*;
use super::lexer::is_keyword;
use crate::span::Span;
use std::fmt::{self, Display, Formatter, Write};

/// Quotes `s` as an EQL string literal with escapes.
pub fn quote_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:02X}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes a field-name part bare when it is a plain identifier, else backquoted.
fn write_part(f: &mut Formatter<'_>, part: &str) -> fmt::Result {
    let mut chars = part.chars();
    let plain = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '@')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !is_keyword(part);
    if plain {
        f.write_str(part)
    } else {
        write!(f, "`{}`", part.replace('`', "``"))
    }
}

fn write_list(f: &mut Formatter<'_>, items: &[Expr]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl Display for Field {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.optional {
            f.write_str("?")?;
        }
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write_part(f, part)?;
        }
        Ok(())
    }
}

fn write_float(f: &mut Formatter<'_>, x: f64) -> fmt::Result {
    if x.is_infinite() {
        f.write_str("1e999") // re-parses to infinity
    } else {
        write!(f, "{x:?}")
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Null => f.write_str("null"),
            ExprKind::Bool(b) => write!(f, "{b}"),
            ExprKind::Int(n) => write!(f, "{n}"),
            ExprKind::Float(x) => write_float(f, *x),
            ExprKind::String(s) => f.write_str(&quote_string(s)),
            ExprKind::Field(field) => write!(f, "{field}"),
            ExprKind::Paren(inner) => write!(f, "({inner})"),
            ExprKind::Not(inner) => write!(f, "not {inner}"),
            ExprKind::And(items) | ExprKind::Or(items) => {
                let op = if matches!(self.kind, ExprKind::And(_)) {
                    " and "
                } else {
                    " or "
                };
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(op)?;
                    }
                    write!(f, "{item}")?;
                }
                Ok(())
            }
            ExprKind::Binary { op, left, right } => write!(f, "{left} {} {right}", op.as_str()),
            ExprKind::Neg(inner) => write!(f, "-{inner}"),
            ExprKind::Call {
                name,
                insensitive,
                args,
            } => {
                write_part(f, name)?;
                if *insensitive {
                    f.write_str("~")?;
                }
                f.write_str("(")?;
                write_list(f, args)?;
                f.write_str(")")
            }
            ExprKind::In {
                expr,
                negated,
                insensitive,
                list,
            } => {
                write!(f, "{expr} ")?;
                if *negated {
                    f.write_str("not ")?;
                }
                f.write_str(if *insensitive { "in~ (" } else { "in (" })?;
                write_list(f, list)?;
                f.write_str(")")
            }
            ExprKind::Match {
                expr,
                op,
                insensitive,
                patterns,
                list,
            } => {
                let word = match op {
                    MatchOp::Colon => ":",
                    MatchOp::Like => "like",
                    MatchOp::Regex => "regex",
                };
                write!(f, "{expr} {word}{} ", if *insensitive { "~" } else { "" })?;
                if *list {
                    f.write_str("(")?;
                    write_list(f, patterns)?;
                    f.write_str(")")
                } else {
                    write_list(f, patterns)
                }
            }
        }
    }
}

impl Display for EventFilter {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.category.name {
            None => f.write_str("any")?,
            Some(name) => {
                let mut chars = name.chars();
                let plain = chars
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '@')
                    && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !is_keyword(name);
                if plain {
                    f.write_str(name)?;
                } else {
                    f.write_str(&quote_string(name))?;
                }
            }
        }
        write!(f, " where {}", self.condition)
    }
}

impl Display for JoinKeys {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("by ")?;
        write_list(f, &self.keys)
    }
}

impl Display for SequenceStage {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.missing {
            f.write_str("!")?;
        }
        write!(f, "[{}]", self.filter)?;
        if let Some(by) = &self.by {
            write!(f, " {by}")?;
        }
        if let Some(runs) = &self.runs {
            write!(f, " with runs={}", runs.count)?;
        }
        Ok(())
    }
}

impl Display for Query {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.body {
            Body::Event(filter) => write!(f, "{filter}")?,
            Body::Sequence(seq) => {
                f.write_str("sequence")?;
                if let Some(by) = &seq.by {
                    write!(f, " {by}")?;
                }
                if let Some(m) = &seq.maxspan {
                    write!(f, " with maxspan={}{}", m.value, m.unit.as_str())?;
                }
                for stage in &seq.stages {
                    write!(f, "\n  {stage}")?;
                }
                if let Some(until) = &seq.until {
                    write!(f, "\nuntil {until}")?;
                }
            }
            Body::Sample(seq) => {
                f.write_str("sample")?;
                if let Some(by) = &seq.by {
                    write!(f, " {by}")?;
                }
                for stage in &seq.stages {
                    write!(f, "\n  {stage}")?;
                }
            }
        }
        for pipe in &self.pipes {
            let name = match pipe.kind {
                PipeKind::Head => "head",
                PipeKind::Tail => "tail",
            };
            write!(f, " | {name} {}", pipe.count)?;
        }
        Ok(())
    }
}

// ---- span stripping, for comparisons modulo spans ----

impl Query {
    /// Resets every span to `0..0`, so two trees can be compared for shape alone.
    pub fn strip_spans(&mut self) {
        self.span = Span::default();
        match &mut self.body {
            Body::Event(filter) => filter.strip_spans(),
            Body::Sequence(seq) | Body::Sample(seq) => {
                seq.span = Span::default();
                if let Some(by) = &mut seq.by {
                    by.strip_spans();
                }
                if let Some(m) = &mut seq.maxspan {
                    m.span = Span::default();
                }
                for stage in seq.stages.iter_mut().chain(seq.until.as_mut()) {
                    stage.span = Span::default();
                    stage.filter.strip_spans();
                    if let Some(by) = &mut stage.by {
                        by.strip_spans();
                    }
                    if let Some(runs) = &mut stage.runs {
                        runs.span = Span::default();
                    }
                }
            }
        }
        for pipe in &mut self.pipes {
            pipe.span = Span::default();
        }
    }
}

impl EventFilter {
    fn strip_spans(&mut self) {
        self.span = Span::default();
        self.category.span = Span::default();
        self.condition.strip_spans();
    }
}

impl JoinKeys {
    fn strip_spans(&mut self) {
        self.span = Span::default();
        self.keys.iter_mut().for_each(Expr::strip_spans);
    }
}

impl Expr {
    /// Resets this node's and all descendants' spans to `0..0`.
    pub fn strip_spans(&mut self) {
        self.span = Span::default();
        self.for_each_child_mut(&mut Expr::strip_spans);
    }

    /// Calls `visit` on each direct child expression.
    pub fn for_each_child_mut(&mut self, visit: &mut dyn FnMut(&mut Expr)) {
        match &mut self.kind {
            ExprKind::Paren(e) | ExprKind::Not(e) | ExprKind::Neg(e) => visit(e),
            ExprKind::And(items) | ExprKind::Or(items) | ExprKind::Call { args: items, .. } => {
                items.iter_mut().for_each(visit);
            }
            ExprKind::Binary { left, right, .. } => {
                visit(left);
                visit(right);
            }
            ExprKind::In { expr, list, .. } => {
                visit(expr);
                list.iter_mut().for_each(visit);
            }
            ExprKind::Match { expr, patterns, .. } => {
                visit(expr);
                patterns.iter_mut().for_each(visit);
            }
            _ => {}
        }
    }

    /// Calls `visit` on each direct child expression.
    pub fn for_each_child(&self, visit: &mut dyn FnMut(&Expr)) {
        match &self.kind {
            ExprKind::Paren(e) | ExprKind::Not(e) | ExprKind::Neg(e) => visit(e),
            ExprKind::And(items) | ExprKind::Or(items) | ExprKind::Call { args: items, .. } => {
                items.iter().for_each(visit);
            }
            ExprKind::Binary { left, right, .. } => {
                visit(left);
                visit(right);
            }
            ExprKind::In { expr, list, .. } => {
                visit(expr);
                list.iter().for_each(visit);
            }
            ExprKind::Match { expr, patterns, .. } => {
                visit(expr);
                patterns.iter().for_each(visit);
            }
            _ => {}
        }
    }
}
