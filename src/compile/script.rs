//! Lowering any expression to a script node (the Painless path), with the function checks:
//! unknown names, `~` on functions without a case-insensitive form, arity and argument types.

use super::lower::{as_field, cmp_op, regex, semantic, unparen, Lowerer};
use crate::error::Error;
use crate::eval::functions::{Func, Ty};
use crate::eval::value::Val;
use crate::eval::wildcard::Pattern;
use crate::eval::{Node, ScriptFields};
use crate::span::Span;
use crate::syntax::ast::{BinaryOp, Expr, ExprKind, MatchOp};
use std::borrow::Cow;

impl Lowerer<'_> {
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
        if let (Func::CidrMatch, [address, ranges @ ..]) = (func, args) {
            let (ip, ty) = self.script(address, fields)?;
            self.check_arg(e, 0, address, ty, Ty::Str)?;
            let blocks = self.cidr_blocks(e, ranges)?;
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
