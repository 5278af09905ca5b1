//! Evaluating compiled conditions against events, with Elasticsearch's semantics.
//!
//! Two evaluation paths exist because Elasticsearch has two (`eql-semantics.md` §4):
//! * [`Cond`]: the Query-DSL path for `field op literal` conditions: any array element may
//!   match, and `not` is `must_not` (true when the field is missing);
//! * [`Script`]: the Painless path for functions, arithmetic and comparisons whose left side is
//!   not a field: three-valued, null-propagating, evaluated for each value of the fields it
//!   reads (any value making it true is a match; a missing field is evaluated as `null`).
//!
//! This module depends on nothing else in the crate but the event model; `compile` builds these
//! trees from the syntax tree.
//!
//! Documented choices where exported JSON cannot tell what an Elasticsearch mapping would:
//! * values keep their JSON type: the string `"5"` never equals the number `5` (ES would coerce
//!   through the field's mapping), `5` equals `5.0`;
//! * a JSON `null` is a missing value (a mapping's `null_value` substitute is unknown);
//! * `?field` that is absent in an event is `null` there (ES decides per index mapping);
//! * in scripts, `:`/`in~` without wildcards and the `~` functions fold case with full Unicode
//!   lower-casing (Java `toLowerCase`), while wildcard and regex matching fold ASCII only;
//! * a script reading several multi-valued fields is tried on every combination of their
//!   values, at most [`MAX_COMBINATIONS`].

pub mod cidr;
pub mod functions;
pub mod lucene;
pub mod typed;
pub mod value;
pub mod wildcard;

mod script;

pub use script::{string_literal, CmpOp, Node, Script, ScriptFields};

use crate::event::Event;
use cidr::Cidr;
use lucene::LuceneRegex;
use value::{compare, equals, equals_ascii_ci, Val};
use wildcard::Pattern;

/// A field read by a condition.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldRef {
    /// Dotted path.
    pub path: Box<str>,
    /// `?field`: a missing value makes the leaf `null` (unknown) instead of a non-match.
    pub optional: bool,
}

/// Range operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeOp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// A compiled Query-DSL condition.
#[derive(Debug, Clone)]
pub enum Cond {
    /// A constant.
    Const(bool),
    /// The field has a value (`exists`).
    Exists(FieldRef),
    /// Any value equals one of `values` (`term`/`terms`; ASCII-case-insensitive if `ci`).
    Term {
        /// The field.
        field: FieldRef,
        /// Candidate values.
        values: Vec<Val<'static>>,
        /// `case_insensitive`.
        ci: bool,
    },
    /// Any value is in range.
    Range {
        /// The field.
        field: FieldRef,
        /// Operator, with the field on the left.
        op: RangeOp,
        /// The bound.
        value: Val<'static>,
    },
    /// Any string value matches one of the wildcard patterns.
    Wildcard {
        /// The field.
        field: FieldRef,
        /// Patterns (any may match).
        patterns: Vec<Pattern>,
        /// ASCII case-insensitive.
        ci: bool,
    },
    /// Any string value matches the Lucene regular expression.
    Regex {
        /// The field.
        field: FieldRef,
        /// The compiled expression.
        regex: LuceneRegex,
    },
    /// Any value is an IP address inside one of the blocks.
    Cidr {
        /// The field.
        field: FieldRef,
        /// The blocks.
        blocks: Vec<Cidr>,
    },
    /// A script (three-valued) condition.
    Script(Box<Script>),
    /// `must_not`.
    Not(Box<Cond>),
    /// All must hold.
    And(Vec<Cond>),
    /// At least one must hold.
    Or(Vec<Cond>),
}

/// Kleene conjunction / disjunction helpers on `Option<bool>` (None = unknown).
fn and3(a: Option<bool>, b: impl FnOnce() -> Option<bool>) -> Option<bool> {
    match a {
        Some(false) => Some(false),
        Some(true) => b(),
        None => match b() {
            Some(false) => Some(false),
            _ => None,
        },
    }
}

fn or3(a: Option<bool>, b: impl FnOnce() -> Option<bool>) -> Option<bool> {
    match a {
        Some(true) => Some(true),
        Some(false) => b(),
        None => match b() {
            Some(true) => Some(true),
            _ => None,
        },
    }
}

impl Cond {
    /// Whether `event` satisfies the condition (unknown counts as no).
    pub fn matches(&self, event: &Event) -> bool {
        self.eval(event) == Some(true)
    }

    /// Three-valued result: `None` only arises from optional fields that are absent and from
    /// scripts; plain Query-DSL leaves are always definite.
    pub fn eval(&self, event: &Event) -> Option<bool> {
        match self {
            Cond::Const(b) => Some(*b),
            Cond::Exists(f) => Some(event.has_field(&f.path)),
            Cond::Term { field, values, ci } => {
                let typed = typed_literals(event, field, values);
                let values = typed.as_deref().unwrap_or(values);
                any_value(event, field, |v| {
                    let v = Val::from_json(v);
                    values.iter().any(|lit| {
                        if *ci {
                            equals_ascii_ci(&v, lit)
                        } else {
                            equals(&v, lit)
                        }
                    })
                })
            }
            Cond::Range { field, op, value } => {
                let typed = match event.typed(&field.path) {
                    Some((t, _)) => match t.literal(value) {
                        Some(v) => Some(v),
                        None => return Some(false),
                    },
                    None => None,
                };
                let value = typed.as_ref().unwrap_or(value);
                any_value(event, field, |v| {
                    compare(&Val::from_json(v), value).is_some_and(|o| match op {
                        RangeOp::Lt => o.is_lt(),
                        RangeOp::Le => o.is_le(),
                        RangeOp::Gt => o.is_gt(),
                        RangeOp::Ge => o.is_ge(),
                    })
                })
            }
            Cond::Wildcard {
                field,
                patterns,
                ci,
            } => any_value(event, field, |v| {
                v.as_str()
                    .is_some_and(|s| patterns.iter().any(|p| p.matches(s, *ci)))
            }),
            Cond::Regex { field, regex } => any_value(event, field, |v| {
                v.as_str().is_some_and(|s| regex.is_match(s))
            }),
            Cond::Cidr { field, blocks } => any_value(event, field, |v| {
                v.as_str()
                    .is_some_and(|s| blocks.iter().any(|b| b.contains_str(s)))
            }),
            Cond::Script(script) => script.eval_condition(event),
            Cond::Not(inner) => inner.eval(event).map(|b| !b),
            Cond::And(items) => {
                let mut acc = Some(true);
                for c in items {
                    acc = and3(acc, || c.eval(event));
                    if acc == Some(false) {
                        break;
                    }
                }
                acc
            }
            Cond::Or(items) => {
                let mut acc = Some(false);
                for c in items {
                    acc = or3(acc, || c.eval(event));
                    if acc == Some(true) {
                        break;
                    }
                }
                acc
            }
        }
    }

    /// Calls `visit` with every field path the condition reads.
    pub fn for_each_field(&self, visit: &mut dyn FnMut(&str)) {
        match self {
            Cond::Const(_) => {}
            Cond::Exists(f)
            | Cond::Term { field: f, .. }
            | Cond::Range { field: f, .. }
            | Cond::Wildcard { field: f, .. }
            | Cond::Regex { field: f, .. }
            | Cond::Cidr { field: f, .. } => visit(&f.path),
            Cond::Script(s) => s.fields().paths().iter().for_each(|p| visit(p)),
            Cond::Not(c) => c.for_each_field(visit),
            Cond::And(items) | Cond::Or(items) => {
                items.iter().for_each(|c| c.for_each_field(visit))
            }
        }
    }
}

/// The literals of a term query read against the field's mapped type, when the event was
/// indexed with a mapping that maps the field (literals that cannot be values of it dropped).
fn typed_literals(
    event: &Event,
    field: &FieldRef,
    values: &[Val<'static>],
) -> Option<Vec<Val<'static>>> {
    let (t, _) = event.typed(&field.path)?;
    Some(values.iter().filter_map(|v| t.literal(v)).collect())
}

/// "Any value matches" over a field; a missing optional field is unknown (`None`), a missing
/// ordinary field is a non-match.
fn any_value(
    event: &Event,
    field: &FieldRef,
    mut test: impl FnMut(&serde_json::Value) -> bool,
) -> Option<bool> {
    let mut found = false;
    let mut seen = false;
    event.for_each_value(&field.path, &mut |v| {
        seen = true;
        found = test(v);
        !found
    });
    if !seen && field.optional {
        None
    } else {
        Some(found)
    }
}
