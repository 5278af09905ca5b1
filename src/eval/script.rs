//! The script path: three-valued, null-propagating evaluation, run once per combination of the
//! values of the fields the script reads (a missing field contributes one `null`), matching if
//! any combination gives `true` (Elasticsearch's `MultiValueAwareScriptQuery`).

use super::cidr::Cidr;
use super::functions::{call, Func};
use super::lucene::LuceneRegex;
use super::value::{compare, equals, Val};
use super::wildcard::Pattern;
use crate::event::Event;
use std::borrow::Cow;

/// Evaluating more value combinations than this stops early (no match from the rest): a guard
/// against attacker-sized arrays in several fields at once.
pub const MAX_COMBINATIONS: usize = 4096;

/// Comparison operators of the script path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum CmpOp {
    Eq,
    Neq,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A script expression node. Field nodes index into the script's [`ScriptFields`].
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub enum Node {
    Lit(Val<'static>),
    Field(usize),
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    Cmp(CmpOp, Box<Node>, Box<Node>),
    Neg(Box<Node>),
    Call(Func, bool, Vec<Node>),
    Cidr(Box<Node>, Vec<Cidr>),
    /// `expr in (list)`; `ci` folds case.
    In(Box<Node>, Vec<Node>, bool),
    /// `expr : "a*"` / `like`: ASCII-case-insensitive if the flag is set.
    Wildcard(Box<Node>, Vec<Pattern>, bool),
    Regex(Box<Node>, LuceneRegex),
    /// `expr == null` (Elasticsearch rewrites equality with `null` to `IsNull`).
    IsNull(Box<Node>),
}

/// The fields a script reads, in first-use order.
#[derive(Debug, Clone, Default)]
pub struct ScriptFields {
    paths: Vec<Box<str>>,
}

impl ScriptFields {
    /// Index of `path`, adding it if new.
    pub fn intern(&mut self, path: &str) -> usize {
        if let Some(i) = self.paths.iter().position(|p| &**p == path) {
            return i;
        }
        self.paths.push(path.into());
        self.paths.len() - 1
    }

    /// The paths.
    pub fn paths(&self) -> &[Box<str>] {
        &self.paths
    }
}

/// A compiled script.
#[derive(Debug, Clone)]
pub struct Script {
    root: Node,
    fields: ScriptFields,
}

fn truth(v: &Val<'_>) -> Option<bool> {
    match v {
        Val::Bool(b) => Some(*b),
        _ => None,
    }
}

fn from_truth(b: Option<bool>) -> Val<'static> {
    b.map_or(Val::Null, Val::Bool)
}

/// Full-Unicode lower-case equality, used by `:`/`in~` in scripts (Java `toLowerCase`).
fn equals_unicode_ci(a: &Val<'_>, b: &Val<'_>) -> bool {
    match (a, b) {
        (Val::Str(x), Val::Str(y)) => x.to_lowercase() == y.to_lowercase(),
        _ => equals(a, b),
    }
}

impl Script {
    /// Wraps a node tree and its field table.
    pub fn new(root: Node, fields: ScriptFields) -> Self {
        Script { root, fields }
    }

    /// The fields read.
    pub fn fields(&self) -> &ScriptFields {
        &self.fields
    }

    /// Evaluates with no fields bound (all `null`): used for constant folding.
    pub fn eval_constant(&self) -> Val<'static> {
        let nulls = vec![Val::Null; self.fields.paths.len()];
        eval(&self.root, &nulls).into_owned()
    }

    /// Whether any combination of field values makes the script `true`.
    pub fn eval_condition(&self, event: &Event) -> Option<bool> {
        let lists: Vec<Vec<Val<'_>>> = self
            .fields
            .paths
            .iter()
            .map(|p| {
                let mut values: Vec<Val<'_>> =
                    event.values(p).into_iter().map(Val::from_json).collect();
                if values.is_empty() {
                    values.push(Val::Null);
                }
                values
            })
            .collect();
        let mut index = vec![0usize; lists.len()];
        // Every list has at least one value (`null` for a missing field).
        fn first<'a>(list: &[Val<'a>]) -> Val<'a> {
            list.first().cloned().unwrap_or(Val::Null)
        }
        let mut env: Vec<Val<'_>> = lists.iter().map(|l| first(l)).collect();
        for _ in 0..MAX_COMBINATIONS {
            if truth(&eval(&self.root, &env)) == Some(true) {
                return Some(true);
            }
            // odometer step
            let mut wheels = lists.iter().zip(index.iter_mut()).zip(env.iter_mut());
            loop {
                let Some(((list, at), slot)) = wheels.next() else {
                    return Some(false);
                };
                *at += 1;
                if let Some(value) = list.get(*at) {
                    *slot = value.clone();
                    break;
                }
                *at = 0;
                *slot = first(list);
            }
        }
        Some(false)
    }
}

fn eval<'a>(node: &'a Node, env: &[Val<'a>]) -> Val<'a> {
    match node {
        Node::Lit(v) => v.clone(),
        Node::Field(i) => env.get(*i).cloned().unwrap_or(Val::Null),
        Node::Not(inner) => from_truth(truth(&eval(inner, env)).map(|b| !b)),
        Node::And(items) => {
            let mut result = Some(true);
            for item in items {
                match truth(&eval(item, env)) {
                    Some(false) => return Val::Bool(false),
                    None => result = None,
                    Some(true) => {}
                }
            }
            from_truth(result)
        }
        Node::Or(items) => {
            let mut result = Some(false);
            for item in items {
                match truth(&eval(item, env)) {
                    Some(true) => return Val::Bool(true),
                    None => result = None,
                    Some(false) => {}
                }
            }
            from_truth(result)
        }
        Node::Cmp(op, l, r) => {
            let (a, b) = (eval(l, env), eval(r, env));
            if a.is_null() || b.is_null() {
                return Val::Null;
            }
            match op {
                CmpOp::Eq => Val::Bool(equals(&a, &b)),
                CmpOp::Neq => Val::Bool(!equals(&a, &b)),
                _ => from_truth(compare(&a, &b).map(|o| match op {
                    CmpOp::Lt => o.is_lt(),
                    CmpOp::Le => o.is_le(),
                    CmpOp::Gt => o.is_gt(),
                    _ => o.is_ge(),
                })),
            }
        }
        Node::Neg(inner) => match eval(inner, env) {
            Val::Int(i) => i.checked_neg().map_or(Val::Null, Val::Int),
            Val::Float(f) => Val::Float(-f),
            _ => Val::Null,
        },
        Node::Call(f, ci, args) => {
            let values: Vec<Val<'_>> = args.iter().map(|a| eval(a, env)).collect();
            call(*f, *ci, &values)
        }
        Node::Cidr(ip, blocks) => match eval(ip, env) {
            Val::Null => Val::Null,
            Val::Str(s) => Val::Bool(blocks.iter().any(|b| b.contains_str(&s))),
            _ => Val::Bool(false),
        },
        Node::In(expr, list, ci) => {
            let v = eval(expr, env);
            if v.is_null() {
                return Val::Null;
            }
            let mut saw_null = false;
            for item in list {
                let c = eval(item, env);
                if c.is_null() {
                    saw_null = true;
                } else if if *ci {
                    equals_unicode_ci(&v, &c)
                } else {
                    equals(&v, &c)
                } {
                    return Val::Bool(true);
                }
            }
            if saw_null {
                Val::Null
            } else {
                Val::Bool(false)
            }
        }
        Node::Wildcard(expr, patterns, ci) => match eval(expr, env) {
            Val::Null => Val::Null,
            Val::Str(s) => Val::Bool(patterns.iter().any(|p| p.matches(&s, *ci))),
            _ => Val::Bool(false),
        },
        Node::IsNull(inner) => Val::Bool(eval(inner, env).is_null()),
        Node::Regex(expr, regex) => match eval(expr, env) {
            Val::Null => Val::Null,
            Val::Str(s) => Val::Bool(regex.is_match(&s)),
            _ => Val::Bool(false),
        },
    }
}

/// A string literal node.
pub fn string_literal(s: &str) -> Node {
    Node::Lit(Val::Str(Cow::Owned(s.to_string())))
}

impl Script {
    /// Splits into root and field table (so `compile` can wrap the root, e.g. in `not`).
    pub fn into_parts(self) -> (Node, ScriptFields) {
        (self.root, self.fields)
    }
}
