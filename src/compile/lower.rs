//! Checks and lowering: syntax-tree expressions to evaluable conditions.
//!
//! Decides, as Elasticsearch's `QueryTranslator` does, which parts become Query-DSL leaves
//! (`field op literal`, and `startsWith`/`endsWith`/`stringContains`/`cidrMatch` on a field)
//! and which become scripts; reports unknown functions, wrong arity and argument types,
//! field-to-field comparisons and non-boolean conditions.

use crate::error::{Error, ErrorKind};
use crate::eval::cidr::Cidr;
use crate::eval::functions::{Func, Ty};
use crate::eval::lucene::{LuceneRegex, RegexError};
use crate::eval::value::Val;
use crate::eval::wildcard::{Pattern, Piece};
use crate::eval::{CmpOp, Cond, FieldRef, Node, RangeOp, Script, ScriptFields};
use crate::span::Span;
use crate::syntax::ast::{BinaryOp, Expr, ExprKind, Field, MatchOp};
use std::borrow::Cow;

pub(crate) struct Lowerer<'s> {
    pub(crate) src: &'s str,
}

fn semantic(message: impl Into<String>, span: Span) -> Error {
    Error::new(ErrorKind::Semantic, message).with_span(span)
}

/// Strips grouping parentheses.
fn unparen(mut e: &Expr) -> &Expr {
    while let ExprKind::Paren(inner) = &e.kind {
        e = inner;
    }
    e
}

fn as_field(e: &Expr) -> Option<&Field> {
    match &unparen(e).kind {
        ExprKind::Field(f) => Some(f),
        _ => None,
    }
}

fn field_ref(f: &Field) -> FieldRef {
    FieldRef {
        path: f.path().into(),
        optional: f.optional,
    }
}

fn type_of(v: &Val<'_>) -> Ty {
    match v {
        Val::Null => Ty::Null,
        Val::Bool(_) => Ty::Bool,
        Val::Int(_) => Ty::Int,
        Val::Float(_) => Ty::Num,
        Val::Str(_) => Ty::Str,
    }
}

fn es_type_name(t: Ty) -> &'static str {
    match t {
        Ty::Str => "keyword",
        Ty::Int => "integer",
        Ty::Num => "double",
        Ty::Bool => "boolean",
        Ty::Null => "null",
        Ty::Any => "unknown",
    }
}

const ORDINALS: [&str; 10] = [
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
];

fn ordinal(i: usize) -> String {
    ORDINALS
        .get(i)
        .map_or_else(|| format!("{}th", i + 1), |s| (*s).to_string())
}

fn cmp_op(op: BinaryOp) -> CmpOp {
    match op {
        BinaryOp::Eq => CmpOp::Eq,
        BinaryOp::Neq => CmpOp::Neq,
        BinaryOp::Lt => CmpOp::Lt,
        BinaryOp::Le => CmpOp::Le,
        BinaryOp::Gt => CmpOp::Gt,
        _ => CmpOp::Ge,
    }
}

/// `a op b` == `b swap(op) a`.
fn swap(op: BinaryOp) -> BinaryOp {
    match op {
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::Le => BinaryOp::Ge,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::Ge => BinaryOp::Le,
        other => other,
    }
}

fn regex(pattern: &str, ci: bool, span: Span) -> Result<LuceneRegex, Error> {
    LuceneRegex::new(pattern, ci).map_err(|e| match e {
        RegexError::Unsupported(m) => Error::new(ErrorKind::Unsupported, m).with_span(span),
        RegexError::Invalid(m) => semantic(m, span),
    })
}

impl Lowerer<'_> {
    fn text(&self, span: Span) -> &str {
        span.slice(self.src).unwrap_or("")
    }

    fn type_error(&self, call: &Expr, i: usize, arg: &Expr, want: Ty, got: Ty) -> Error {
        semantic(
            format!(
                "{} argument of [{}] must be [{}], found value [{}] type [{}]",
                ordinal(i),
                self.text(call.span),
                want.name(),
                self.text(arg.span),
                es_type_name(got)
            ),
            arg.span,
        )
    }

    /// Evaluates a field-free expression at compile time (`None` if it reads a field).
    fn fold(&self, e: &Expr) -> Result<Option<Val<'static>>, Error> {
        let mut fields = ScriptFields::default();
        let (node, _) = self.script(e, &mut fields)?;
        if !fields.paths().is_empty() {
            return Ok(None);
        }
        Ok(Some(Script::new(node, fields).eval_constant()))
    }

    fn fold_string(&self, e: &Expr, call: &Expr, i: usize) -> Result<String, Error> {
        match self.fold(e)? {
            Some(Val::Str(s)) => Ok(s.into_owned()),
            Some(other) => Err(self.type_error(call, i, e, Ty::Str, type_of(&other))),
            None => Err(semantic(
                format!(
                    "{} argument of [{}] must be a constant, received [{}]",
                    ordinal(i),
                    self.text(call.span),
                    self.text(e.span)
                ),
                e.span,
            )),
        }
    }

    /// Lowers a stage condition.
    pub(crate) fn condition(&self, e: &Expr) -> Result<Cond, Error> {
        match &e.kind {
            ExprKind::Paren(inner) => self.condition(inner),
            ExprKind::And(items) => Ok(Cond::And(
                items
                    .iter()
                    .map(|i| self.condition(i))
                    .collect::<Result<_, _>>()?,
            )),
            ExprKind::Or(items) => Ok(Cond::Or(
                items
                    .iter()
                    .map(|i| self.condition(i))
                    .collect::<Result<_, _>>()?,
            )),
            ExprKind::Not(inner) => Ok(match self.condition(inner)? {
                Cond::Const(b) => Cond::Const(!b),
                // Elasticsearch: `not` of a script query is a script of `not` (null stays null)
                Cond::Script(s) => {
                    let (root, fields) = s.into_parts();
                    Cond::Script(Box::new(Script::new(Node::Not(Box::new(root)), fields)))
                }
                other => Cond::Not(Box::new(other)),
            }),
            ExprKind::Bool(b) => Ok(Cond::Const(*b)),
            ExprKind::Field(f) => Ok(Cond::Term {
                field: field_ref(f),
                values: vec![Val::Bool(true)],
                ci: false,
            }),
            ExprKind::Binary { op, left, right } if op.is_comparison() => {
                self.comparison(e, *op, left, right)
            }
            ExprKind::In {
                expr,
                negated,
                insensitive,
                list,
            } => {
                if let Some(f) = as_field(expr) {
                    if let Some(values) = self.fold_all(list)? {
                        let values = values.into_iter().filter(|v| !v.is_null()).collect();
                        let term = Cond::Term {
                            field: field_ref(f),
                            values,
                            ci: *insensitive,
                        };
                        return Ok(if *negated {
                            Cond::Not(Box::new(term))
                        } else {
                            term
                        });
                    }
                }
                self.script_condition(e)
            }
            ExprKind::Match {
                expr,
                op,
                insensitive,
                patterns,
                ..
            } => {
                let texts = self.pattern_strings(expr, *op, patterns)?;
                let Some(f) = as_field(expr) else {
                    return self.script_condition(e);
                };
                let field = field_ref(f);
                match op {
                    MatchOp::Regex => {
                        let mut conds = Vec::new();
                        for (text, p) in texts.iter().zip(patterns) {
                            conds.push(Cond::Regex {
                                field: field.clone(),
                                regex: regex(text, *insensitive, p.span)?,
                            });
                        }
                        Ok(if conds.len() == 1 {
                            conds.remove(0)
                        } else {
                            Cond::Or(conds)
                        })
                    }
                    _ => Ok(Cond::Wildcard {
                        field,
                        patterns: texts.iter().map(|t| Pattern::parse(t)).collect(),
                        ci: *op == MatchOp::Colon || *insensitive,
                    }),
                }
            }
            ExprKind::Call {
                name,
                insensitive,
                args,
            } => {
                if let Some(cond) = self.translatable_call(e, name, *insensitive, args)? {
                    return Ok(cond);
                }
                self.script_condition(e)
            }
            _ => self.script_condition(e),
        }
    }

    fn fold_all(&self, list: &[Expr]) -> Result<Option<Vec<Val<'static>>>, Error> {
        let mut out = Vec::with_capacity(list.len());
        for item in list {
            match self.fold(item)? {
                Some(v) => out.push(v),
                None => return Ok(None),
            }
        }
        Ok(Some(out))
    }

    fn pattern_strings(
        &self,
        expr: &Expr,
        op: MatchOp,
        patterns: &[Expr],
    ) -> Result<Vec<String>, Error> {
        let name = match op {
            MatchOp::Colon => ":",
            MatchOp::Like => "like",
            MatchOp::Regex => "regex",
        };
        let _ = expr;
        patterns
            .iter()
            .map(|p| match &p.kind {
                ExprKind::String(s) => Ok(s.clone()),
                _ => Err(semantic(
                    format!(
                        "Pattern of [{name}] must be a string, found [{}]",
                        self.text(p.span)
                    ),
                    p.span,
                )),
            })
            .collect()
    }

    fn comparison(&self, e: &Expr, op: BinaryOp, left: &Expr, right: &Expr) -> Result<Cond, Error> {
        let (lf, rf) = (as_field(left), as_field(right));
        let leaf = match (lf, rf) {
            (Some(a), Some(b)) => {
                if !a.optional && !b.optional {
                    return Err(semantic(
                        "Comparisons against fields are not (currently) supported",
                        e.span,
                    ));
                }
                None
            }
            (Some(f), None) => self.fold(right)?.map(|v| (f, op, v)),
            (None, Some(f)) => self.fold(left)?.map(|v| (f, swap(op), v)),
            (None, None) => None,
        };
        let Some((f, op, value)) = leaf else {
            return self.script_condition(e);
        };
        let field = field_ref(f);
        Ok(match (op, value) {
            (BinaryOp::Eq, Val::Null) => Cond::Not(Box::new(Cond::Exists(field))),
            (BinaryOp::Neq, Val::Null) => Cond::Exists(field),
            (_, Val::Null) => Cond::Script(Box::new(Script::new(
                Node::Lit(Val::Null),
                ScriptFields::default(),
            ))),
            (BinaryOp::Eq, v) => Cond::Term {
                field,
                values: vec![v],
                ci: false,
            },
            (BinaryOp::Neq, v) => Cond::Not(Box::new(Cond::Term {
                field,
                values: vec![v],
                ci: false,
            })),
            (op, value) => Cond::Range {
                field,
                op: match op {
                    BinaryOp::Lt => RangeOp::Lt,
                    BinaryOp::Le => RangeOp::Le,
                    BinaryOp::Gt => RangeOp::Gt,
                    _ => RangeOp::Ge,
                },
                value,
            },
        })
    }

    /// `startsWith`/`endsWith`/`stringContains`/`cidrMatch` on a plain field with literal
    /// arguments become Query-DSL leaves (prefix / wildcard / terms-on-ip).
    fn translatable_call(
        &self,
        e: &Expr,
        name: &str,
        ci: bool,
        args: &[Expr],
    ) -> Result<Option<Cond>, Error> {
        // validate everything (arity, types) through the script lowering first
        let mut scratch = ScriptFields::default();
        self.script(e, &mut scratch)?;
        let Some(func) = Func::lookup(name) else {
            return Ok(None);
        };
        let Some(f) = args.first().and_then(as_field) else {
            return Ok(None);
        };
        let field = field_ref(f);
        match func {
            Func::StartsWith | Func::EndsWith | Func::StringContains => {
                let Some(arg) = args.get(1) else {
                    return Ok(None);
                };
                let Some(Val::Str(lit)) = self.fold(arg)? else {
                    return Ok(None);
                };
                let lit = Piece::Literal(lit.into_owned());
                let pieces = match func {
                    Func::StartsWith => vec![lit, Piece::AnyRun],
                    Func::EndsWith => vec![Piece::AnyRun, lit],
                    _ => vec![Piece::AnyRun, lit, Piece::AnyRun],
                };
                Ok(Some(Cond::Wildcard {
                    field,
                    patterns: vec![Pattern::from_pieces(pieces)],
                    ci,
                }))
            }
            Func::CidrMatch => {
                let blocks = self.cidr_blocks(e, &args[1..])?;
                Ok(Some(Cond::Cidr { field, blocks }))
            }
            _ => Ok(None),
        }
    }

    fn cidr_blocks(&self, call: &Expr, args: &[Expr]) -> Result<Vec<Cidr>, Error> {
        let mut blocks = Vec::new();
        for (i, arg) in args.iter().enumerate() {
            let text = self.fold_string(arg, call, i + 1)?;
            let Some(block) = Cidr::parse(&text) else {
                return Err(semantic(
                    format!("Invalid CIDR notation [{text}]"),
                    arg.span,
                ));
            };
            blocks.push(block);
        }
        Ok(blocks)
    }

    fn script_condition(&self, e: &Expr) -> Result<Cond, Error> {
        let mut fields = ScriptFields::default();
        let (node, ty) = self.script(e, &mut fields)?;
        if !matches!(ty, Ty::Bool | Ty::Any | Ty::Null) {
            return Err(semantic(
                format!(
                    "Condition expression needs to be boolean, found [{}]",
                    es_type_name(ty)
                ),
                e.span,
            ));
        }
        let script = Script::new(node, fields);
        if script.fields().paths().is_empty() {
            return Ok(
                Cond::Const(matches!(script.eval_constant(), Val::Bool(true))).not_if_null(&script),
            );
        }
        Ok(Cond::Script(Box::new(script)))
    }

    fn check_arg(&self, call: &Expr, i: usize, arg: &Expr, got: Ty, want: Ty) -> Result<(), Error> {
        if got.fits(want) {
            Ok(())
        } else {
            Err(self.type_error(call, i, arg, want, got))
        }
    }

    /// Lowers any expression to a script node, returning its static type.
    pub(crate) fn script(&self, e: &Expr, fields: &mut ScriptFields) -> Result<(Node, Ty), Error> {
        Ok(match &e.kind {
            ExprKind::Null => (Node::Lit(Val::Null), Ty::Null),
            ExprKind::Bool(b) => (Node::Lit(Val::Bool(*b)), Ty::Bool),
            ExprKind::Int(i) => (Node::Lit(Val::Int(*i)), Ty::Int),
            ExprKind::Float(f) => (Node::Lit(Val::Float(*f)), Ty::Num),
            ExprKind::String(s) => (Node::Lit(Val::Str(Cow::Owned(s.clone()))), Ty::Str),
            ExprKind::Field(f) => (Node::Field(fields.intern(&f.path())), Ty::Any),
            ExprKind::Paren(inner) => self.script(inner, fields)?,
            ExprKind::Not(inner) => {
                let (node, ty) = self.script(inner, fields)?;
                self.check_arg(e, 0, inner, ty, Ty::Bool)?;
                (Node::Not(Box::new(node)), Ty::Bool)
            }
            ExprKind::And(items) | ExprKind::Or(items) => {
                let mut nodes = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let (node, ty) = self.script(item, fields)?;
                    self.check_arg(e, i, item, ty, Ty::Bool)?;
                    nodes.push(node);
                }
                (
                    if matches!(e.kind, ExprKind::And(_)) {
                        Node::And(nodes)
                    } else {
                        Node::Or(nodes)
                    },
                    Ty::Bool,
                )
            }
            ExprKind::Binary { op, left, right } => {
                if op.is_comparison() {
                    if let (Some(a), Some(b)) = (as_field(left), as_field(right)) {
                        if !a.optional && !b.optional {
                            return Err(semantic(
                                "Comparisons against fields are not (currently) supported",
                                e.span,
                            ));
                        }
                    }
                }
                if matches!(op, BinaryOp::Eq | BinaryOp::Neq) {
                    // Elasticsearch's optimizer turns `x == null` / `x != null` into
                    // IsNull / IsNotNull for any expression (`ReplaceNullChecks`)
                    let other = match (&unparen(left).kind, &unparen(right).kind) {
                        (_, ExprKind::Null) => Some(left),
                        (ExprKind::Null, _) => Some(right),
                        _ => None,
                    };
                    if let Some(other) = other {
                        let (node, _) = self.script(other, fields)?;
                        let is_null = Node::IsNull(Box::new(node));
                        let node = if *op == BinaryOp::Eq {
                            is_null
                        } else {
                            Node::Not(Box::new(is_null))
                        };
                        return Ok((node, Ty::Bool));
                    }
                }
                let (l, lt) = self.script(left, fields)?;
                let (r, rt) = self.script(right, fields)?;
                if op.is_comparison() {
                    (Node::Cmp(cmp_op(*op), Box::new(l), Box::new(r)), Ty::Bool)
                } else {
                    self.check_arg(e, 0, left, lt, Ty::Num)?;
                    self.check_arg(e, 1, right, rt, Ty::Num)?;
                    let func = match op {
                        BinaryOp::Add => Func::Add,
                        BinaryOp::Sub => Func::Subtract,
                        BinaryOp::Mul => Func::Multiply,
                        BinaryOp::Div => Func::Divide,
                        _ => Func::Modulo,
                    };
                    (Node::Call(func, false, vec![l, r]), func.result(&[lt, rt]))
                }
            }
            ExprKind::Neg(inner) => {
                let (node, ty) = self.script(inner, fields)?;
                self.check_arg(e, 0, inner, ty, Ty::Num)?;
                (
                    Node::Neg(Box::new(node)),
                    if ty == Ty::Int { Ty::Int } else { Ty::Num },
                )
            }
            ExprKind::Call {
                name,
                insensitive,
                args,
            } => self.call(e, name, *insensitive, args, fields)?,
            ExprKind::In {
                expr,
                negated,
                insensitive,
                list,
            } => {
                if let Some(a) = as_field(expr) {
                    if !a.optional
                        && list
                            .iter()
                            .any(|i| as_field(i).is_some_and(|f| !f.optional))
                    {
                        return Err(semantic(
                            "Comparisons against fields are not (currently) supported",
                            e.span,
                        ));
                    }
                }
                let (node, _) = self.script(expr, fields)?;
                let mut items = Vec::with_capacity(list.len());
                for item in list {
                    items.push(self.script(item, fields)?.0);
                }
                let node = Node::In(Box::new(node), items, *insensitive);
                (
                    if *negated {
                        Node::Not(Box::new(node))
                    } else {
                        node
                    },
                    Ty::Bool,
                )
            }
            ExprKind::Match {
                expr,
                op,
                insensitive,
                patterns,
                ..
            } => {
                let texts = self.pattern_strings(expr, *op, patterns)?;
                let (node, ty) = self.script(expr, fields)?;
                self.check_arg(e, 0, expr, ty, Ty::Str)?;
                let node = Box::new(node);
                match op {
                    MatchOp::Regex => {
                        let mut alternatives = Vec::new();
                        for (text, p) in texts.iter().zip(patterns) {
                            alternatives.push(Node::Regex(
                                node.clone(),
                                regex(text, *insensitive, p.span)?,
                            ));
                        }
                        (
                            if alternatives.len() == 1 {
                                alternatives.remove(0)
                            } else {
                                Node::Or(alternatives)
                            },
                            Ty::Bool,
                        )
                    }
                    MatchOp::Colon if texts.iter().all(|t| !Pattern::parse(t).has_wildcards()) => {
                        let items = texts
                            .iter()
                            .map(|t| crate::eval::string_literal(t))
                            .collect();
                        (Node::In(node, items, true), Ty::Bool)
                    }
                    _ => (
                        Node::Wildcard(
                            node,
                            texts.iter().map(|t| Pattern::parse(t)).collect(),
                            *op == MatchOp::Colon || *insensitive,
                        ),
                        Ty::Bool,
                    ),
                }
            }
        })
    }

    fn call(
        &self,
        e: &Expr,
        name: &str,
        ci: bool,
        args: &[Expr],
        fields: &mut ScriptFields,
    ) -> Result<(Node, Ty), Error> {
        let name_span = Span::new(e.span.start, e.span.start + name.len() + usize::from(ci));
        let Some(func) = Func::lookup(name) else {
            return Err(semantic(format!("Unknown function [{name}]"), name_span));
        };
        if ci && !func.case_aware() {
            return Err(semantic(
                format!(
                    "Function [{}] does not support case-insensitive matching [~]",
                    func.name()
                ),
                name_span,
            ));
        }
        let (min, max) = func.arity();
        if args.len() < min || max.is_some_and(|m| args.len() > m) {
            return Err(semantic(func.arity_message(), e.span));
        }
        if func == Func::CidrMatch {
            let (ip, ty) = self.script(&args[0], fields)?;
            self.check_arg(e, 0, &args[0], ty, Ty::Str)?;
            let blocks = self.cidr_blocks(e, &args[1..])?;
            return Ok((Node::Cidr(Box::new(ip), blocks), Ty::Bool));
        }
        let mut nodes = Vec::with_capacity(args.len());
        let mut types = Vec::with_capacity(args.len());
        for (i, arg) in args.iter().enumerate() {
            let (node, ty) = self.script(arg, fields)?;
            self.check_arg(e, i, arg, ty, func.param(i))?;
            nodes.push(node);
            types.push(ty);
        }
        Ok((Node::Call(func, ci, nodes), func.result(&types)))
    }
}

trait NotIfNull {
    fn not_if_null(self, script: &Script) -> Cond;
}

impl NotIfNull for Cond {
    /// A constant `null` condition must stay `null` under `not` (Elasticsearch folds
    /// `not null` to `null`), so keep it as a script rather than `Const(false)`.
    fn not_if_null(self, script: &Script) -> Cond {
        if script.eval_constant().is_null() {
            Cond::Script(Box::new(script.clone()))
        } else {
            self
        }
    }
}
