//! Recursive-descent parser producing the spanned AST, with a nesting limit checked as it goes
//! (a panic or stack overflow on wasm kills the page, so depth is bounded before it can grow).
//!
//! Precedence follows Elasticsearch's `EqlBase.g4`: `or` < `and` < `not` < comparison <
//! `+ -` < `* / %` < unary minus < primary with an optional predicate (`in`, `:`, `like`,
//! `regex`) attached to the primary.

use super::ast::*;
use super::lexer::{Tok, Token};
use crate::error::{Error, ErrorKind};
use crate::span::Span;

/// Maximum expression nesting depth (parentheses, `not`, operators, calls).
pub const NEST_LIMIT: u32 = 100;

pub(crate) struct Parser {
    pub(super) tokens: Vec<Token>,
    pub(super) pos: usize,
    pub(super) depth: u32,
}

pub(super) fn syntax(message: impl Into<String>, span: Span) -> Error {
    Error::new(ErrorKind::Syntax, message).with_span(span)
}

/// Describes a token the way ANTLR's messages do: `'where'`, `<EOF>`.
fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Ident(s) => format!("'{s}'"),
        Tok::Quoted(s) => format!("'`{}`'", s.replace('`', "``")),
        Tok::TildeIdent(s) => format!("'{s}~'"),
        Tok::Keyword(k) | Tok::Punct(k) => format!("'{k}'"),
        Tok::Int(s) | Tok::Decimal(s) => format!("'{s}'"),
        Tok::Str(s) => format!("'{}'", super::print::quote_string(s)),
        Tok::Eof => "<EOF>".to_string(),
    }
}

impl Parser {
    pub(crate) fn new(tokens: Vec<Token>) -> Self {
        Parser {
            tokens,
            pos: 0,
            depth: 0,
        }
    }

    pub(super) fn tok(&self) -> &Tok {
        self.tokens.get(self.pos).map_or(&Tok::Eof, |t| &t.tok)
    }

    pub(super) fn span(&self) -> Span {
        match self.tokens.get(self.pos).or(self.tokens.last()) {
            Some(t) => t.span,
            None => Span::default(),
        }
    }

    pub(super) fn prev_end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .map_or(0, |t| t.span.end)
    }

    pub(super) fn bump(&mut self) -> Span {
        let span = self.span();
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        span
    }

    pub(super) fn is_punct(&self, p: &str) -> bool {
        matches!(self.tok(), Tok::Punct(q) if *q == p)
    }

    pub(super) fn is_keyword(&self, k: &str) -> bool {
        matches!(self.tok(), Tok::Keyword(q) if *q == k)
    }

    pub(super) fn eat_punct(&mut self, p: &str) -> Option<Span> {
        self.is_punct(p).then(|| self.bump())
    }

    pub(super) fn eat_keyword(&mut self, k: &str) -> Option<Span> {
        self.is_keyword(k).then(|| self.bump())
    }

    pub(super) fn unexpected(&self, expecting: &str) -> Error {
        if self.is_punct("=") {
            return syntax(
                "mismatched input '=': use '==' to compare values",
                self.span(),
            );
        }
        syntax(
            format!(
                "mismatched input {} expecting {expecting}",
                describe(self.tok())
            ),
            self.span(),
        )
    }

    pub(super) fn expect_punct(&mut self, p: &str) -> Result<Span, Error> {
        self.eat_punct(p)
            .ok_or_else(|| self.unexpected(&format!("'{p}'")))
    }

    pub(super) fn expect_keyword(&mut self, k: &str) -> Result<Span, Error> {
        self.eat_keyword(k)
            .ok_or_else(|| self.unexpected(&format!("'{k}'")))
    }

    pub(super) fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > NEST_LIMIT {
            return Err(Error::new(
                ErrorKind::Limit,
                format!("Query nesting exceeds the limit of {NEST_LIMIT} levels"),
            )
            .with_span(self.span()));
        }
        Ok(())
    }

    pub(super) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    // ---- statements ----

    pub(crate) fn query(&mut self) -> Result<Query, Error> {
        let start = self.span().start;
        let body = if self.is_keyword("sequence") {
            Body::Sequence(Box::new(self.sequence()?))
        } else if self.is_keyword("sample") {
            Body::Sample(Box::new(self.sample()?))
        } else if self.is_keyword("join") {
            return Err(
                Error::new(ErrorKind::Unsupported, "Join is not supported").with_span(self.span())
            );
        } else {
            Body::Event(self.event_filter()?)
        };
        let mut pipes = Vec::new();
        while let Some(bar) = self.eat_punct("|") {
            pipes.push(self.pipe(bar)?);
        }
        if *self.tok() != Tok::Eof {
            return Err(self.unexpected("{<EOF>, '|'}"));
        }
        Ok(Query {
            body,
            pipes,
            span: Span::new(start, self.prev_end()),
        })
    }

    fn pipe(&mut self, bar: Span) -> Result<Pipe, Error> {
        let name_span = self.span();
        let name = match self.tok() {
            Tok::Ident(name) => name.clone(),
            _ => return Err(self.unexpected("a pipe name")),
        };
        self.bump();
        let kind = match name.as_str() {
            "head" => PipeKind::Head,
            "tail" => PipeKind::Tail,
            _ => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!("Pipe [{name}] is not supported; only [head] and [tail] are"),
                )
                .with_span(name_span))
            }
        };
        let count = match self.tok() {
            Tok::Int(digits) => digits.parse::<u64>().ok(),
            _ => None,
        };
        let Some(count) = count else {
            return Err(syntax(
                format!(
                    "Pipe [{name}] expects a non-negative integer, found {}",
                    describe(self.tok())
                ),
                self.span(),
            ));
        };
        let end = self.bump();
        Ok(Pipe {
            kind,
            count,
            span: bar.to(end),
        })
    }

    fn event_filter(&mut self) -> Result<EventFilter, Error> {
        let cat_span = self.span();
        let name = match self.tok() {
            Tok::Keyword("any") => None,
            Tok::Ident(s) | Tok::Str(s) | Tok::Quoted(s) => Some(s.clone()),
            _ => return Err(self.unexpected("{'any', STRING, IDENTIFIER}")),
        };
        self.bump();
        self.expect_keyword("where")?;
        let condition = self.expression()?;
        let span = cat_span.to(condition.span);
        Ok(EventFilter {
            category: Category {
                name,
                span: cat_span,
            },
            condition,
            span,
        })
    }

    fn sequence(&mut self) -> Result<Sequence, Error> {
        let start = self.bump();
        let mut by = None;
        let mut maxspan = None;
        if self.is_keyword("by") {
            by = Some(self.join_keys()?);
            if self.is_keyword("with") {
                maxspan = Some(self.maxspan()?);
            }
        } else if self.is_keyword("with") {
            maxspan = Some(self.maxspan()?);
            if self.is_keyword("by") {
                return Err(syntax(
                    "Please specify sequence [by] before [with] not after",
                    self.span(),
                ));
            }
        }
        let mut stages = Vec::new();
        while self.is_punct("[") || self.is_punct("!") {
            stages.push(self.stage(true)?);
        }
        if stages.is_empty() {
            return Err(self.unexpected("'['"));
        }
        let mut until = None;
        if self.eat_keyword("until").is_some() {
            if !self.is_punct("[") {
                return Err(self.unexpected("'['"));
            }
            until = Some(self.stage(false)?);
        }
        Ok(Sequence {
            by,
            maxspan,
            stages,
            until,
            span: start.to(Span::new(start.start, self.prev_end())),
        })
    }

    /// `sample [by keys] [filter] [by keys] ...` (Elasticsearch's grammar: no `with`, no
    /// `until`, no `!`).
    fn sample(&mut self) -> Result<Sequence, Error> {
        let start = self.bump();
        let by = if self.is_keyword("by") {
            Some(self.join_keys()?)
        } else {
            None
        };
        let mut stages = Vec::new();
        while self.is_punct("[") {
            stages.push(self.stage(false)?);
        }
        if stages.is_empty() {
            return Err(self.unexpected("'['"));
        }
        Ok(Sequence {
            by,
            maxspan: None,
            stages,
            until: None,
            span: start.to(Span::new(start.start, self.prev_end())),
        })
    }

    fn stage(&mut self, allow_runs: bool) -> Result<SequenceStage, Error> {
        let start = self.span();
        let missing = self.eat_punct("!").is_some();
        self.expect_punct("[")?;
        let filter = self.event_filter()?;
        self.expect_punct("]")?;
        let by = if self.is_keyword("by") {
            Some(self.join_keys()?)
        } else {
            None
        };
        let mut runs = None;
        if allow_runs && self.is_keyword("with") {
            let next = self.tokens.get(self.pos + 1).map(|t| &t.tok);
            if matches!(next, Some(Tok::Ident(s)) if s == "runs") {
                runs = Some(self.runs()?);
            } else if !matches!(next, Some(Tok::Keyword("maxspan"))) {
                self.bump();
                return Err(self.unexpected("'runs'"));
            } else {
                return Err(syntax(
                    "Please specify sequence [with maxspan] before the first stage",
                    self.span(),
                ));
            }
        }
        Ok(SequenceStage {
            missing,
            filter,
            by,
            runs,
            span: Span::new(start.start, self.prev_end()),
        })
    }

    fn runs(&mut self) -> Result<Runs, Error> {
        let start = self.bump(); // with
        self.bump(); // runs
        self.expect_punct("=")?;
        let count = match self.tok() {
            Tok::Int(d) => d.parse::<u64>().ok(),
            _ => None,
        };
        let Some(count) = count else {
            return Err(syntax(
                format!(
                    "A positive runs value is required; found {}",
                    describe(self.tok())
                ),
                self.span(),
            ));
        };
        let end = self.bump();
        Ok(Runs {
            count,
            span: start.to(end),
        })
    }

    fn join_keys(&mut self) -> Result<JoinKeys, Error> {
        let start = self.bump(); // by
        let mut keys = vec![self.expression()?];
        while self.eat_punct(",").is_some() {
            keys.push(self.expression()?);
        }
        let end = keys.last().map_or(start, |k| k.span);
        Ok(JoinKeys {
            keys,
            span: start.to(end),
        })
    }

    fn maxspan(&mut self) -> Result<MaxSpan, Error> {
        let start = self.bump(); // with
        self.expect_keyword("maxspan")?;
        self.expect_punct("=")?;
        let num_span = self.span();
        let (text, decimal) = match self.tok() {
            Tok::Int(t) => (t.clone(), false),
            Tok::Decimal(t) => (t.clone(), true),
            _ => return Err(self.unexpected("{INTEGER_VALUE}")),
        };
        self.bump();
        if decimal {
            return Err(syntax(
                format!("Decimal time interval [{text}] not supported"),
                num_span,
            ));
        }
        let unit_span = self.span();
        let unit = match self.tok() {
            Tok::Ident(u) => u.clone(),
            _ => {
                return Err(syntax(
                    format!("No time unit specified, did you mean [s] as in [{text}s]?"),
                    num_span,
                ))
            }
        };
        self.bump();
        let unit = match unit.as_str() {
            "ms" => TimeUnit::Milliseconds,
            "s" => TimeUnit::Seconds,
            "m" => TimeUnit::Minutes,
            "h" => TimeUnit::Hours,
            "d" => TimeUnit::Days,
            other => {
                return Err(syntax(
                    format!(
                        "Unrecognized time unit [{other}] in [{text}{other}], please specify one of [ms, s, m, h, d]"
                    ),
                    unit_span,
                ))
            }
        };
        let Ok(value) = text.parse::<u64>() else {
            return Err(Error::new(
                ErrorKind::Limit,
                format!("Time interval [{text}] is too large"),
            )
            .with_span(num_span));
        };
        Ok(MaxSpan {
            value,
            unit,
            span: start.to(unit_span),
        })
    }
}

impl Parser {
    pub(crate) fn finish_expression(&self) -> Result<(), Error> {
        if *self.tok() == Tok::Eof {
            Ok(())
        } else {
            Err(self.unexpected("<EOF>"))
        }
    }
}
