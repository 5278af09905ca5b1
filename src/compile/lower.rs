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

pub(crate) struct Lowerer<'s> {
    pub(crate) src: &'s str,
}

pub(super) fn semantic(message: impl Into<String>, span: Span) -> Error {
    Error::new(ErrorKind::Semantic, message).with_span(span)
}

/// Strips grouping parentheses.
pub(super) fn unparen(mut e: &Expr) -> &Expr {
    while let ExprKind::Paren(inner) = &e.kind {
        e = inner;
    }
    e
}

pub(super) fn as_field(e: &Expr) -> Option<&Field> {
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

pub(super) fn type_of(v: &Val<'_>) -> Ty {
    match v {
        Val::Null => Ty::Null,
        Val::Bool(_) => Ty::Bool,
        Val::Int(_) => Ty::Int,
        Val::Float(_) => Ty::Num,
        Val::Str(_) => Ty::Str,
    }
}

pub(super) fn es_type_name(t: Ty) -> &'static str {
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

pub(super) fn cmp_op(op: BinaryOp) -> CmpOp {
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

pub(super) fn regex(pattern: &str, ci: bool, span: Span) -> Result<LuceneRegex, Error> {
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

    pub(super) fn pattern_strings(
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

    /// `?x == ?y` / `?x != ?y`. Elasticsearch replaces an unmapped optional field by `null`
    /// and then rewrites `f == null` to "f is missing" (and `!=` to "exists"), so two missing
    /// fields are equal (test `sequenceOptionalFieldAsQueryKeysOnly`); with both present the
    /// values are compared as in a script.
    fn optional_field_equality(
        &self,
        e: &Expr,
        op: BinaryOp,
        a: &Field,
        b: &Field,
    ) -> Result<Cond, Error> {
        let exists = |f: &Field| Cond::Exists(field_ref(f));
        let missing = |f: &Field| Cond::Not(Box::new(exists(f)));
        let both_present = self.script_condition(e)?;
        Ok(if op == BinaryOp::Eq {
            Cond::Or(vec![Cond::And(vec![missing(a), missing(b)]), both_present])
        } else {
            Cond::Or(vec![
                Cond::And(vec![exists(a), missing(b)]),
                Cond::And(vec![missing(a), exists(b)]),
                both_present,
            ])
        })
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
                if matches!(op, BinaryOp::Eq | BinaryOp::Neq) {
                    return self.optional_field_equality(e, op, a, b);
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
                let blocks = self.cidr_blocks(e, args.get(1..).unwrap_or_default())?;
                Ok(Some(Cond::Cidr { field, blocks }))
            }
            _ => Ok(None),
        }
    }

    pub(super) fn cidr_blocks(&self, call: &Expr, args: &[Expr]) -> Result<Vec<Cidr>, Error> {
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

    pub(super) fn check_arg(
        &self,
        call: &Expr,
        i: usize,
        arg: &Expr,
        got: Ty,
        want: Ty,
    ) -> Result<(), Error> {
        if got.fits(want) {
            Ok(())
        } else {
            Err(self.type_error(call, i, arg, want, got))
        }
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
