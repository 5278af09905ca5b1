//! The spanned syntax tree: a faithful picture of the query text that prints back as valid EQL.
//!
//! Nothing is resolved here (no case folding, no unit conversion, no `runs` expansion); that is
//! `compile`'s job, so the tree can be printed, compared and round-tripped. Parentheses are kept
//! as [`ExprKind::Paren`] nodes and `and`/`or` chains are n-ary, so printing a parsed tree
//! without adding parentheses re-parses to the same tree.

use crate::span::Span;

/// A whole query: an event query or a sequence, then pipes.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The event query or sequence.
    pub body: Body,
    /// `| head N` / `| tail N` pipes, in order.
    pub pipes: Vec<Pipe>,
    /// The whole query.
    pub span: Span,
}

/// The query before its pipes.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// `category where condition`.
    Event(EventFilter),
    /// `sequence ... [..] [..]`.
    Sequence(Box<Sequence>),
    /// `sample by ... [..] [..]`: stages as in a sequence, without `maxspan`, `until`,
    /// `runs` or missing events.
    Sample(Box<Sequence>),
}

/// `category where condition`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventFilter {
    /// The event category (or `any`).
    pub category: Category,
    /// The condition after `where`.
    pub condition: Expr,
    /// From the category to the end of the condition.
    pub span: Span,
}

/// The event category before `where`.
#[derive(Debug, Clone, PartialEq)]
pub struct Category {
    /// `None` for `any`, else the category name.
    pub name: Option<String>,
    /// Where it is written.
    pub span: Span,
}

/// A sequence query.
#[derive(Debug, Clone, PartialEq)]
pub struct Sequence {
    /// Keys shared by all stages (`sequence by a, b`).
    pub by: Option<JoinKeys>,
    /// `with maxspan=5m`.
    pub maxspan: Option<MaxSpan>,
    /// The bracketed stages, in order, `runs` not expanded.
    pub stages: Vec<SequenceStage>,
    /// The `until [...]` stage.
    pub until: Option<SequenceStage>,
    /// The whole sequence.
    pub span: Span,
}

/// `by key, key, ...`.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinKeys {
    /// The key expressions (compile requires plain fields).
    pub keys: Vec<Expr>,
    /// From `by` to the last key.
    pub span: Span,
}

/// Units of `maxspan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// Milliseconds, `ms`.
    Milliseconds,
    /// Seconds, `s`.
    Seconds,
    /// Minutes, `m`.
    Minutes,
    /// Hours, `h`.
    Hours,
    /// Days, `d`.
    Days,
}

impl TimeUnit {
    /// The unit as written in EQL.
    pub fn as_str(&self) -> &'static str {
        match self {
            TimeUnit::Milliseconds => "ms",
            TimeUnit::Seconds => "s",
            TimeUnit::Minutes => "m",
            TimeUnit::Hours => "h",
            TimeUnit::Days => "d",
        }
    }

    /// Milliseconds per unit.
    pub fn millis(&self) -> u64 {
        match self {
            TimeUnit::Milliseconds => 1,
            TimeUnit::Seconds => 1_000,
            TimeUnit::Minutes => 60_000,
            TimeUnit::Hours => 3_600_000,
            TimeUnit::Days => 86_400_000,
        }
    }
}

/// `with maxspan=N unit`.
#[derive(Debug, Clone, PartialEq)]
pub struct MaxSpan {
    /// The number.
    pub value: u64,
    /// The unit.
    pub unit: TimeUnit,
    /// From `with` to the unit.
    pub span: Span,
}

/// One bracketed stage of a sequence (or its `until`).
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceStage {
    /// `![...]`: a missing-event stage.
    pub missing: bool,
    /// The filter inside the brackets.
    pub filter: EventFilter,
    /// Per-stage keys after `]`.
    pub by: Option<JoinKeys>,
    /// `with runs=N` after the stage.
    pub runs: Option<Runs>,
    /// From `[` (or `!`) to the end of its keys / runs.
    pub span: Span,
}

/// `with runs=N`.
#[derive(Debug, Clone, PartialEq)]
pub struct Runs {
    /// N.
    pub count: u64,
    /// From `with` to N.
    pub span: Span,
}

/// Pipe kinds eqlite executes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PipeKind {
    /// `head N`: the first N results.
    Head,
    /// `tail N`: the last N results.
    Tail,
}

/// `| head N` or `| tail N`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipe {
    /// Which pipe.
    pub kind: PipeKind,
    /// N.
    pub count: u64,
    /// From `|` to N.
    pub span: Span,
}

/// An expression with its location.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
}

/// A field reference: `a.b`, `` `a-b`.c ``, `?a.b`.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// `?field`: absent means null rather than an error.
    pub optional: bool,
    /// The unescaped name parts between dots.
    pub parts: Vec<String>,
}

impl Field {
    /// The dotted path used for lookup.
    pub fn path(&self) -> String {
        self.parts.join(".")
    }
}

/// Binary operators other than `and`/`or`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `==`
    Eq,
    /// `!=`
    Neq,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
}

impl BinaryOp {
    /// The operator as written.
    pub fn as_str(&self) -> &'static str {
        match self {
            BinaryOp::Eq => "==",
            BinaryOp::Neq => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
        }
    }

    /// Whether this is a comparison (as opposed to arithmetic).
    pub fn is_comparison(&self) -> bool {
        matches!(
            self,
            Self::Eq | Self::Neq | Self::Lt | Self::Le | Self::Gt | Self::Ge
        )
    }
}

/// String-matching operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOp {
    /// `:` (always case-insensitive, wildcards `*` and `?`).
    Colon,
    /// `like` / `like~`.
    Like,
    /// `regex` / `regex~`.
    Regex,
}

/// Expression shapes.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// An integer literal that fits `i64`.
    Int(i64),
    /// A decimal literal (or an integer too large for `i64`).
    Float(f64),
    /// A string literal (decoded).
    String(String),
    /// A field reference.
    Field(Field),
    /// `( expr )`
    Paren(Box<Expr>),
    /// `not expr`
    Not(Box<Expr>),
    /// `a and b and ...` (two or more operands).
    And(Vec<Expr>),
    /// `a or b or ...` (two or more operands).
    Or(Vec<Expr>),
    /// Comparison or arithmetic.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
    },
    /// Unary minus.
    Neg(Box<Expr>),
    /// `name(args)` or `name~(args)`.
    Call {
        /// The function name as written.
        name: String,
        /// `name~(...)`.
        insensitive: bool,
        /// Arguments.
        args: Vec<Expr>,
    },
    /// `expr [not] in[~] (list)`.
    In {
        /// The tested value.
        expr: Box<Expr>,
        /// `not in`.
        negated: bool,
        /// `in~`.
        insensitive: bool,
        /// The candidates.
        list: Vec<Expr>,
    },
    /// `expr : pattern`, `expr like~ ("a", "b")`, ...
    Match {
        /// The tested value.
        expr: Box<Expr>,
        /// Which operator.
        op: MatchOp,
        /// `like~` / `regex~`.
        insensitive: bool,
        /// The patterns (constants).
        patterns: Vec<Expr>,
        /// Whether the patterns were written as a parenthesized list.
        list: bool,
    },
}

impl Expr {
    /// Builds an expression node.
    pub fn new(kind: ExprKind, span: Span) -> Self {
        Expr { kind, span }
    }

    /// Calls `f` for every field reference in the expression, in source order.
    pub fn visit_fields(&self, f: &mut dyn FnMut(&Field)) {
        match &self.kind {
            ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::String(_) => {}
            ExprKind::Field(field) => f(field),
            ExprKind::Paren(e) | ExprKind::Not(e) | ExprKind::Neg(e) => e.visit_fields(f),
            ExprKind::And(items) | ExprKind::Or(items) | ExprKind::Call { args: items, .. } => {
                items.iter().for_each(|e| e.visit_fields(f));
            }
            ExprKind::Binary { left, right, .. } => {
                left.visit_fields(f);
                right.visit_fields(f);
            }
            ExprKind::In { expr, list, .. } => {
                expr.visit_fields(f);
                list.iter().for_each(|e| e.visit_fields(f));
            }
            ExprKind::Match { expr, patterns, .. } => {
                expr.visit_fields(f);
                patterns.iter().for_each(|e| e.visit_fields(f));
            }
        }
    }
}
