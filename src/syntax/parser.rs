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
    tokens: Vec<Token>,
    pos: usize,
    depth: u32,
}

fn syntax(message: impl Into<String>, span: Span) -> Error {
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

    fn tok(&self) -> &Tok {
        self.tokens.get(self.pos).map_or(&Tok::Eof, |t| &t.tok)
    }

    fn span(&self) -> Span {
        match self.tokens.get(self.pos).or(self.tokens.last()) {
            Some(t) => t.span,
            None => Span::default(),
        }
    }

    fn prev_end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .map_or(0, |t| t.span.end)
    }

    fn bump(&mut self) -> Span {
        let span = self.span();
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        span
    }

    fn is_punct(&self, p: &str) -> bool {
        matches!(self.tok(), Tok::Punct(q) if *q == p)
    }

    fn is_keyword(&self, k: &str) -> bool {
        matches!(self.tok(), Tok::Keyword(q) if *q == k)
    }

    fn eat_punct(&mut self, p: &str) -> Option<Span> {
        self.is_punct(p).then(|| self.bump())
    }

    fn eat_keyword(&mut self, k: &str) -> Option<Span> {
        self.is_keyword(k).then(|| self.bump())
    }

    fn unexpected(&self, expecting: &str) -> Error {
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

    fn expect_punct(&mut self, p: &str) -> Result<Span, Error> {
        self.eat_punct(p)
            .ok_or_else(|| self.unexpected(&format!("'{p}'")))
    }

    fn expect_keyword(&mut self, k: &str) -> Result<Span, Error> {
        self.eat_keyword(k)
            .ok_or_else(|| self.unexpected(&format!("'{k}'")))
    }

    fn enter(&mut self) -> Result<(), Error> {
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

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    // ---- statements ----

    pub(crate) fn query(&mut self) -> Result<Query, Error> {
        let start = self.span().start;
        let body = if self.is_keyword("sequence") {
            Body::Sequence(Box::new(self.sequence()?))
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

    // ---- expressions ----

    pub(crate) fn expression(&mut self) -> Result<Expr, Error> {
        self.enter()?;
        let result = self.or_expr();
        self.leave();
        result
    }

    fn or_expr(&mut self) -> Result<Expr, Error> {
        let first = self.and_expr()?;
        let mut items = vec![first];
        while self.eat_keyword("or").is_some() {
            items.push(self.and_expr()?);
        }
        Ok(chain(items, ExprKind::Or))
    }

    fn and_expr(&mut self) -> Result<Expr, Error> {
        let mut items = vec![self.not_expr()?];
        while self.eat_keyword("and").is_some() {
            items.push(self.not_expr()?);
        }
        Ok(chain(items, ExprKind::And))
    }

    fn not_expr(&mut self) -> Result<Expr, Error> {
        if let Some(start) = self.eat_keyword("not") {
            self.enter()?;
            let inner = self.not_expr();
            self.leave();
            let inner = inner?;
            let span = start.to(inner.span);
            return Ok(Expr::new(ExprKind::Not(Box::new(inner)), span));
        }
        self.comparison()
    }

    fn comparison_op(&self) -> Option<BinaryOp> {
        match self.tok() {
            Tok::Punct("==") => Some(BinaryOp::Eq),
            Tok::Punct("!=") => Some(BinaryOp::Neq),
            Tok::Punct("<") => Some(BinaryOp::Lt),
            Tok::Punct("<=") => Some(BinaryOp::Le),
            Tok::Punct(">") => Some(BinaryOp::Gt),
            Tok::Punct(">=") => Some(BinaryOp::Ge),
            _ => None,
        }
    }

    fn comparison(&mut self) -> Result<Expr, Error> {
        let left = self.additive()?;
        let Some(op) = self.comparison_op() else {
            if self.is_punct("=") {
                return Err(self.unexpected(""));
            }
            return Ok(left);
        };
        self.bump();
        let right = self.additive()?;
        if self.comparison_op().is_some() {
            return Err(syntax(
                "Chained comparisons are not supported; combine them with [and]",
                self.span(),
            ));
        }
        let span = left.span.to(right.span);
        Ok(Expr::new(
            ExprKind::Binary {
                op,
                left: Box::new(left),
                right: Box::new(right),
            },
            span,
        ))
    }

    fn additive(&mut self) -> Result<Expr, Error> {
        let mut left = self.multiplicative()?;
        loop {
            let op = match self.tok() {
                Tok::Punct("+") => BinaryOp::Add,
                Tok::Punct("-") => BinaryOp::Sub,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.multiplicative()?;
            left = self.binary(op, left, right)?;
        }
    }

    fn multiplicative(&mut self) -> Result<Expr, Error> {
        let mut left = self.unary()?;
        loop {
            let op = match self.tok() {
                Tok::Punct("*") => BinaryOp::Mul,
                Tok::Punct("/") => BinaryOp::Div,
                Tok::Punct("%") => BinaryOp::Mod,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.unary()?;
            left = self.binary(op, left, right)?;
        }
    }

    /// Builds a left-nested arithmetic node, counting it against the nesting limit because a
    /// long `a + b + c ...` chain is as deep as nested parentheses.
    fn binary(&mut self, op: BinaryOp, left: Expr, right: Expr) -> Result<Expr, Error> {
        let depth = arith_depth(&left) + 1;
        if depth + self.depth > NEST_LIMIT {
            return Err(Error::new(
                ErrorKind::Limit,
                format!("Query nesting exceeds the limit of {NEST_LIMIT} levels"),
            )
            .with_span(right.span));
        }
        let span = left.span.to(right.span);
        Ok(Expr::new(
            ExprKind::Binary {
                op,
                left: Box::new(left),
                right: Box::new(right),
            },
            span,
        ))
    }

    fn unary(&mut self) -> Result<Expr, Error> {
        let is_minus = self.is_punct("-");
        if is_minus || self.is_punct("+") {
            let start = self.bump();
            self.enter()?;
            let inner = self.unary();
            self.leave();
            let inner = inner?;
            if !is_minus {
                return Ok(inner); // unary plus is the identity, as in Elasticsearch
            }
            let span = start.to(inner.span);
            return Ok(Expr::new(ExprKind::Neg(Box::new(inner)), span));
        }
        let primary = self.primary()?;
        self.predicate(primary)
    }

    fn predicate(&mut self, expr: Expr) -> Result<Expr, Error> {
        let negated_at = if self.is_keyword("not")
            && matches!(
                self.tokens.get(self.pos + 1).map(|t| &t.tok),
                Some(Tok::Keyword("in" | "in~"))
            ) {
            Some(self.bump())
        } else {
            None
        };
        let kind = match self.tok() {
            Tok::Keyword(k @ ("in" | "in~" | "like" | "like~" | "regex" | "regex~")) => *k,
            Tok::Punct(":") => ":",
            _ => return Ok(expr),
        };
        self.bump();
        if kind == "in" || kind == "in~" {
            self.expect_punct("(")?;
            let mut list = vec![self.expression()?];
            while self.eat_punct(",").is_some() {
                list.push(self.expression()?);
            }
            let end = self.expect_punct(")")?;
            let span = expr.span.to(end);
            return Ok(Expr::new(
                ExprKind::In {
                    expr: Box::new(expr),
                    negated: negated_at.is_some(),
                    insensitive: kind == "in~",
                    list,
                },
                span,
            ));
        }
        let (op, insensitive) = match kind {
            ":" => (MatchOp::Colon, false),
            "like" => (MatchOp::Like, false),
            "like~" => (MatchOp::Like, true),
            "regex" => (MatchOp::Regex, false),
            _ => (MatchOp::Regex, true),
        };
        let (patterns, list, end) = if self.eat_punct("(").is_some() {
            let mut patterns = vec![self.constant()?];
            while self.eat_punct(",").is_some() {
                patterns.push(self.constant()?);
            }
            (patterns, true, self.expect_punct(")")?)
        } else {
            let c = self.constant()?;
            let end = c.span;
            (vec![c], false, end)
        };
        let span = expr.span.to(end);
        Ok(Expr::new(
            ExprKind::Match {
                expr: Box::new(expr),
                op,
                insensitive,
                patterns,
                list,
            },
            span,
        ))
    }

    fn constant(&mut self) -> Result<Expr, Error> {
        let span = self.span();
        let kind = match self.tok() {
            Tok::Keyword("null") => ExprKind::Null,
            Tok::Keyword("true") => ExprKind::Bool(true),
            Tok::Keyword("false") => ExprKind::Bool(false),
            Tok::Str(s) => ExprKind::String(s.clone()),
            Tok::Int(d) => int_literal(d),
            Tok::Decimal(d) => ExprKind::Float(d.parse().unwrap_or(f64::INFINITY)),
            _ => return Err(self.unexpected("a constant")),
        };
        self.bump();
        Ok(Expr::new(kind, span))
    }

    fn primary(&mut self) -> Result<Expr, Error> {
        let span = self.span();
        match self.tok().clone() {
            Tok::Keyword("null" | "true" | "false")
            | Tok::Str(_)
            | Tok::Int(_)
            | Tok::Decimal(_) => self.constant(),
            Tok::Punct("(") => {
                self.bump();
                let inner = self.expression()?;
                let end = self.expect_punct(")")?;
                Ok(Expr::new(ExprKind::Paren(Box::new(inner)), span.to(end)))
            }
            Tok::TildeIdent(name) => {
                self.bump();
                if !self.is_punct("(") {
                    return Err(self.unexpected("'('"));
                }
                self.call(name, true, span)
            }
            Tok::Ident(name)
                if self
                    .tokens
                    .get(self.pos + 1)
                    .is_some_and(|t| t.tok == Tok::Punct("(")) =>
            {
                self.bump();
                self.call(name, false, span)
            }
            Tok::Ident(_) | Tok::Quoted(_) | Tok::Punct("?") => self.field(),
            _ => Err(self.unexpected("an expression")),
        }
    }

    fn call(&mut self, name: String, insensitive: bool, start: Span) -> Result<Expr, Error> {
        self.bump(); // (
        let mut args = Vec::new();
        if !self.is_punct(")") {
            args.push(self.expression()?);
            while self.eat_punct(",").is_some() {
                args.push(self.expression()?);
            }
        }
        let end = self.expect_punct(")")?;
        Ok(Expr::new(
            ExprKind::Call {
                name,
                insensitive,
                args,
            },
            start.to(end),
        ))
    }

    fn field(&mut self) -> Result<Expr, Error> {
        let start = self.span();
        let optional = self.eat_punct("?").is_some();
        let mut parts = vec![self.field_part()?];
        while self.is_punct(".") {
            self.bump();
            parts.push(self.field_part()?);
        }
        let index_follows = self
            .tokens
            .get(self.pos + 1)
            .is_some_and(|t| matches!(t.tok, Tok::Int(_)));
        if self.is_punct("[") && index_follows {
            return Err(
                Error::new(ErrorKind::Unsupported, "Array indexes are not supported")
                    .with_span(self.span()),
            );
        }
        Ok(Expr::new(
            ExprKind::Field(Field { optional, parts }),
            start.to(Span::new(start.start, self.prev_end())),
        ))
    }

    fn field_part(&mut self) -> Result<String, Error> {
        let part = match self.tok() {
            Tok::Ident(s) | Tok::Quoted(s) => s.clone(),
            _ => return Err(self.unexpected("a field name")),
        };
        self.bump();
        Ok(part)
    }
}

fn chain(mut items: Vec<Expr>, make: fn(Vec<Expr>) -> ExprKind) -> Expr {
    if items.len() == 1 {
        if let Some(only) = items.pop() {
            return only;
        }
    }
    let span = match (items.first(), items.last()) {
        (Some(a), Some(b)) => a.span.to(b.span),
        _ => Span::default(),
    };
    Expr::new(make(items), span)
}

fn arith_depth(e: &Expr) -> u32 {
    let mut depth = 1;
    let mut cur = e;
    while let ExprKind::Binary { left, .. } = &cur.kind {
        depth += 1;
        cur = left;
    }
    depth
}

/// Integer literals that overflow `i64` become doubles, as in Elasticsearch.
fn int_literal(digits: &str) -> ExprKind {
    match digits.parse::<i64>() {
        Ok(n) => ExprKind::Int(n),
        Err(_) => ExprKind::Float(digits.parse().unwrap_or(f64::INFINITY)),
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
