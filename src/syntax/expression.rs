//! Expression parsing (the `where` condition, join keys, function arguments): precedence
//! climbing with the nesting depth counted as it recurses.

use super::ast::*;
use super::lexer::Tok;
use super::parser::{syntax, Parser, NEST_LIMIT};
use crate::error::{Error, ErrorKind};
use crate::span::Span;

impl Parser {
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
