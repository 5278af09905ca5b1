//! Compiling query text into an immutable [`Query`]: parse, check, lower each stage into an
//! evaluable filter, expand `runs`, resolve `maxspan` and the result limit.
//!
//! A `Query` is `Clone + Send + Sync` and holds no per-stream state; sequence matching state
//! lives in the correlator built from it.

mod keys;
mod literals;
mod lower;
mod mapping;
mod script;

pub use keys::{JoinKey, KeyValue, OrderedFloat};
pub use mapping::{IndexMapping, Mapping};

use crate::error::{Error, ErrorKind};
use crate::eval::{Cond, FieldRef};
use crate::event::Event;
use crate::span::Span;
use crate::syntax::ast::{
    self, Body, EventFilter, Expr, ExprKind, JoinKeys, PipeKind, SequenceStage,
};
use std::sync::Arc;

/// Which end of the ordered results a limit keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResultPosition {
    /// The earliest results (`head`).
    Head,
    /// The latest results (`tail`), Elasticsearch's default `result_position`.
    Tail,
}

impl ResultPosition {
    /// `"head"` or `"tail"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ResultPosition::Head => "head",
            ResultPosition::Tail => "tail",
        }
    }
}

/// Event query or sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueryKind {
    /// `category where condition`.
    Event,
    /// `sequence [...] [...]`.
    Sequence,
    /// `sample by ... [...] [...]`.
    Sample,
}

impl QueryKind {
    /// `"event"`, `"sequence"` or `"sample"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            QueryKind::Event => "event",
            QueryKind::Sequence => "sequence",
            QueryKind::Sample => "sample",
        }
    }
}

/// Elasticsearch's default `max_samples_per_key`.
pub const DEFAULT_MAX_SAMPLES_PER_KEY: usize = 1;

/// Options for compiling a query (the Elasticsearch EQL search request parameters that change
/// results). Setters take and return `self`.
#[derive(Debug, Clone)]
pub struct QueryBuilder {
    timestamp_field: String,
    tiebreaker_field: Option<String>,
    event_category_field: String,
    size: Option<usize>,
    result_position: ResultPosition,
    max_samples_per_key: usize,
    mapping: Option<Arc<Mapping>>,
}

impl Default for QueryBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl QueryBuilder {
    /// Defaults: `@timestamp`, no tiebreaker, `event.category`, unlimited size, tail.
    pub fn new() -> Self {
        QueryBuilder {
            timestamp_field: "@timestamp".into(),
            tiebreaker_field: None,
            event_category_field: "event.category".into(),
            size: None,
            result_position: ResultPosition::Tail,
            max_samples_per_key: DEFAULT_MAX_SAMPLES_PER_KEY,
            mapping: None,
        }
    }

    /// How many samples one join-key combination may give (ES `max_samples_per_key`; default
    /// 1; must be at least 1). Only `sample` queries use it.
    pub fn max_samples_per_key(mut self, n: usize) -> Self {
        self.max_samples_per_key = n;
        self
    }

    /// The index mapping(s) that type the events' fields (see [`Mapping`]); `None` (the
    /// default) compares the JSON values as they are.
    pub fn mapping(mut self, mapping: Option<Mapping>) -> Self {
        self.mapping = mapping.filter(|m| !m.is_empty()).map(Arc::new);
        self
    }

    /// The field that orders events (ES `timestamp_field`; default `@timestamp`).
    pub fn timestamp_field(mut self, field: &str) -> Self {
        self.timestamp_field = field.to_string();
        self
    }

    /// A field that orders events with equal timestamps (ES `tiebreaker_field`; default none,
    /// then input order decides, standing in for `_shard_doc`).
    pub fn tiebreaker_field(mut self, field: Option<&str>) -> Self {
        self.tiebreaker_field = field.map(str::to_string);
        self
    }

    /// The field `category where` tests (ES `event_category_field`; default `event.category`;
    /// Kibana's `event_category_override`).
    pub fn event_category_field(mut self, field: &str) -> Self {
        self.event_category_field = field.to_string();
        self
    }

    /// Maximum number of results (ES `size`; default `None` = unlimited, eqlite's choice since
    /// offline triage wants every match; Kibana passes the rule's `max_signals`).
    pub fn size(mut self, size: Option<usize>) -> Self {
        self.size = size;
        self
    }

    /// Which end `size` keeps (ES `result_position`; default tail = newest, as in ES).
    pub fn result_position(mut self, position: ResultPosition) -> Self {
        self.result_position = position;
        self
    }

    /// Compiles `text`. Errors carry the text, so their `Display` draws a caret frame.
    pub fn build(&self, text: &str) -> Result<Query, Error> {
        self.build_inner(text).map_err(|e| e.with_source(text))
    }

    fn build_inner(&self, text: &str) -> Result<Query, Error> {
        for (name, value) in [
            ("timestamp_field", &self.timestamp_field),
            ("event_category_field", &self.event_category_field),
        ] {
            if value.trim().is_empty() {
                return Err(Error::new(
                    ErrorKind::Option,
                    format!("Option [{name}] must not be empty"),
                ));
            }
        }
        if self
            .tiebreaker_field
            .as_deref()
            .is_some_and(|t| t.trim().is_empty())
        {
            return Err(Error::new(
                ErrorKind::Option,
                "Option [tiebreaker_field] must not be empty",
            ));
        }
        if self.max_samples_per_key == 0 {
            return Err(Error::new(
                ErrorKind::Option,
                "max_samples_per_key must be greater than 0",
            ));
        }
        let tree = crate::syntax::parse(text)?;
        let lower = lower::Lowerer { src: text };
        let category_field: Arc<str> = self.event_category_field.as_str().into();
        let (limit, later_limits) = self.limit(&tree.pipes);
        let (kind, stages, until, maxspan_ms) = match &tree.body {
            Body::Event(filter) => {
                let stage = compile_stage(&lower, filter, &[], false, &category_field)?;
                (QueryKind::Event, vec![stage], None, None)
            }
            Body::Sample(seq) => {
                if let Some(pipe) = tree.pipes.first() {
                    return Err(Error::new(
                        ErrorKind::Unsupported,
                        "Pipes are not supported for sample queries; use the size option",
                    )
                    .with_span(pipe.span));
                }
                let shared = key_fields(seq.by.as_ref())?;
                let first_by = seq
                    .stages
                    .first()
                    .and_then(|s| s.by.as_ref())
                    .or(seq.by.as_ref())
                    .map(|k| k.span);
                let expected = shared.len()
                    + seq
                        .stages
                        .first()
                        .map_or(0, |s| s.by.as_ref().map_or(0, |k| k.keys.len()));
                let mut stages = Vec::new();
                for stage in &seq.stages {
                    check_keys(stage, &shared, expected, first_by)?;
                    let mut compiled =
                        compile_sequence_stage(&lower, stage, &shared, &category_field)?;
                    if let Some(inner) = Arc::get_mut(&mut compiled.inner) {
                        inner.sample = true;
                    }
                    stages.push(compiled);
                }
                if stages.len() < 2 {
                    return Err(Error::new(
                        ErrorKind::Semantic,
                        format!(
                            "A sample requires a minimum of 2 queries, found [{}]",
                            stages.len()
                        ),
                    )
                    .with_span(seq.span));
                }
                (QueryKind::Sample, stages, None, None)
            }
            Body::Sequence(seq) => {
                let shared = key_fields(seq.by.as_ref())?;
                let first_by = seq
                    .stages
                    .first()
                    .and_then(|s| s.by.as_ref())
                    .or(seq.by.as_ref())
                    .map(|k| k.span);
                let expected = shared.len()
                    + seq
                        .stages
                        .first()
                        .map_or(0, |s| s.by.as_ref().map_or(0, |k| k.keys.len()));
                let mut stages = Vec::new();
                for stage in &seq.stages {
                    let count = check_keys(stage, &shared, expected, first_by)?;
                    let compiled = compile_sequence_stage(&lower, stage, &shared, &category_field)?;
                    let runs = stage.runs.as_ref().map_or(1, |r| r.count);
                    if let Some(r) = &stage.runs {
                        if !(1..=100).contains(&r.count) {
                            return Err(Error::new(
                                ErrorKind::Semantic,
                                format!("A positive runs value between [1] and [100] is required; found [{}]", r.count),
                            )
                            .with_span(r.span));
                        }
                    }
                    let _ = count;
                    for _ in 0..runs {
                        stages.push(compiled.clone());
                    }
                }
                let until = match &seq.until {
                    Some(stage) => {
                        if stage.missing {
                            return Err(Error::new(
                                ErrorKind::Semantic,
                                "The [until] stage cannot be a missing event [!]",
                            )
                            .with_span(stage.span));
                        }
                        check_keys(stage, &shared, expected, first_by)?;
                        Some(compile_sequence_stage(
                            &lower,
                            stage,
                            &shared,
                            &category_field,
                        )?)
                    }
                    None => None,
                };
                if stages.len() < 2 {
                    return Err(Error::new(
                        ErrorKind::Semantic,
                        format!(
                            "A sequence requires a minimum of 2 queries, found [{}]",
                            stages.len()
                        ),
                    )
                    .with_span(seq.span));
                }
                let maxspan_ms = match &seq.maxspan {
                    Some(m) => Some(
                        m.value
                            .checked_mul(m.unit.millis())
                            .filter(|ms| *ms > 0)
                            .ok_or_else(|| {
                                let why = if m.value == 0 {
                                    "must be greater than zero"
                                } else {
                                    "is too large"
                                };
                                Error::new(
                                    ErrorKind::Semantic,
                                    format!("Time interval [{}{}] {why}", m.value, m.unit.as_str()),
                                )
                                .with_span(m.span)
                            })?,
                    ),
                    None => None,
                };
                if let Some(missing) = seq.stages.iter().find(|s| s.missing) {
                    if maxspan_ms.is_none() {
                        return Err(Error::new(
                            ErrorKind::Semantic,
                            "Missing events [!] require a [maxspan] on the sequence (with maxspan=...)",
                        )
                        .with_span(missing.span));
                    }
                    if seq.stages.iter().all(|s| s.missing) {
                        return Err(Error::new(
                            ErrorKind::Semantic,
                            "A sequence requires at least one positive event query; found none",
                        )
                        .with_span(seq.span));
                    }
                }
                (QueryKind::Sequence, stages, until, maxspan_ms)
            }
        };
        let mut mapped_paths: Vec<String> = Vec::new();
        if self.mapping.is_some() {
            mapped_paths.push(self.timestamp_field.clone());
            mapped_paths.extend(self.tiebreaker_field.clone());
            for stage in stages.iter().chain(until.as_ref()) {
                stage.for_each_field(&mut |f| mapped_paths.push(f.to_string()));
            }
            mapped_paths.sort();
            mapped_paths.dedup();
        }
        Ok(Query {
            inner: Arc::new(Inner {
                text: text.into(),
                kind,
                stages,
                until,
                maxspan_ms,
                limit,
                later_limits,
                timestamp_field: self.timestamp_field.clone(),
                tiebreaker_field: self.tiebreaker_field.clone(),
                event_category_field: self.event_category_field.clone(),
                tree,
                max_samples_per_key: self.max_samples_per_key,
                mapping: self.mapping.clone(),
                mapped_paths,
            }),
        })
    }

    /// The effective limit: the first `head`/`tail` pipe decides the end and `size` caps it
    /// (Elasticsearch puts the implicit size limit under the first pipe). Later pipes are
    /// returned separately: each applies, in order, to what the previous ones kept.
    #[allow(clippy::type_complexity)]
    fn limit(
        &self,
        pipes: &[ast::Pipe],
    ) -> (
        Option<(ResultPosition, usize)>,
        Vec<(ResultPosition, usize)>,
    ) {
        let to_limit = |pipe: &ast::Pipe| {
            let position = match pipe.kind {
                PipeKind::Head => ResultPosition::Head,
                PipeKind::Tail => ResultPosition::Tail,
            };
            (position, usize::try_from(pipe.count).unwrap_or(usize::MAX))
        };
        let Some(first) = pipes.first() else {
            return (self.size.map(|n| (self.result_position, n)), Vec::new());
        };
        let (position, mut n) = to_limit(first);
        if let Some(size) = self.size {
            n = n.min(size);
        }
        (
            Some((position, n)),
            pipes.iter().skip(1).map(to_limit).collect(),
        )
    }
}

fn key_fields(keys: Option<&JoinKeys>) -> Result<Vec<FieldRef>, Error> {
    let Some(keys) = keys else {
        return Ok(Vec::new());
    };
    keys.keys
        .iter()
        .map(|k| match &k.kind {
            ExprKind::Field(f) => Ok(FieldRef {
                path: f.path().into(),
                optional: f.optional,
            }),
            _ => Err(Error::new(
                ErrorKind::Semantic,
                "Only fields are supported as join keys (by ...), not expressions",
            )
            .with_span(k.span)),
        })
        .collect()
}

fn check_keys(
    stage: &SequenceStage,
    shared: &[FieldRef],
    expected: usize,
    first_by: Option<Span>,
) -> Result<usize, Error> {
    let count = shared.len() + stage.by.as_ref().map_or(0, |k| k.keys.len());
    if count != expected {
        let span = stage.by.as_ref().map_or(stage.span, |k| k.span);
        let mut e = Error::new(
            ErrorKind::Semantic,
            format!("Inconsistent number of join keys specified; expected [{expected}] but found [{count}]"),
        )
        .with_span(span);
        if let Some(aux) = first_by {
            e = e.with_aux_span(aux);
        }
        return Err(e);
    }
    Ok(count)
}

fn compile_sequence_stage(
    lower: &lower::Lowerer<'_>,
    stage: &SequenceStage,
    shared: &[FieldRef],
    category_field: &Arc<str>,
) -> Result<Stage, Error> {
    let mut keys = shared.to_vec();
    keys.extend(key_fields(stage.by.as_ref())?);
    compile_stage(lower, &stage.filter, &keys, stage.missing, category_field)
}

fn compile_stage(
    lower: &lower::Lowerer<'_>,
    filter: &EventFilter,
    keys: &[FieldRef],
    missing: bool,
    category_field: &Arc<str>,
) -> Result<Stage, Error> {
    let condition = lower.condition(&filter.condition)?;
    let conjuncts = conjuncts(lower, &filter.condition)?;
    let category: Option<Box<str>> = filter.category.name.as_deref().map(Into::into);
    let mut required = Vec::new();
    if let Some(c) = &category {
        literals::push_if_safe(&mut required, c);
    }
    literals::required(&condition, &mut required);
    required.sort();
    required.dedup();
    Ok(Stage {
        inner: Arc::new(StageInner {
            category,
            category_field: category_field.clone(),
            condition,
            keys: keys.to_vec(),
            missing,
            required_literals: required,
            conjuncts,
            sample: false,
        }),
    })
}

/// The top-level `and` operands of a condition (parentheses looked through), each compiled on
/// its own with its text as written, for near-miss reports (`crate::explain`). A condition that
/// is not an `and` is one conjunct.
fn conjuncts(lower: &lower::Lowerer<'_>, condition: &Expr) -> Result<Vec<Conjunct>, Error> {
    let mut e = condition;
    while let ExprKind::Paren(inner) = &e.kind {
        e = inner;
    }
    let items: Vec<&Expr> = match &e.kind {
        ExprKind::And(items) => items.iter().collect(),
        _ => vec![e],
    };
    items
        .into_iter()
        .map(|item| {
            let mut fields = Vec::new();
            item.visit_fields(&mut |f| {
                let path = f.path();
                if !fields.contains(&path) {
                    fields.push(path);
                }
            });
            Ok(Conjunct {
                text: lower
                    .src
                    .get(item.span.start..item.span.end)
                    .unwrap_or_default()
                    .to_string(),
                cond: lower.condition(item)?,
                fields,
            })
        })
        .collect()
}

/// One top-level operand of a stage's `and` condition.
#[derive(Debug)]
pub struct Conjunct {
    /// As written in the query.
    pub text: String,
    cond: Cond,
    /// The fields it reads.
    pub fields: Vec<String>,
}

impl Conjunct {
    /// Whether `event` satisfies it.
    pub fn matches(&self, event: &Event) -> bool {
        self.cond.matches(event)
    }
}

/// One filter of a query: the event query itself, or one bracketed sequence stage.
#[derive(Debug, Clone)]
pub struct Stage {
    inner: Arc<StageInner>,
}

#[derive(Debug)]
struct StageInner {
    category: Option<Box<str>>,
    category_field: Arc<str>,
    condition: Cond,
    keys: Vec<FieldRef>,
    missing: bool,
    required_literals: Vec<String>,
    conjuncts: Vec<Conjunct>,
    /// A `sample` stage (date keys come out as epoch milliseconds, as from an aggregation).
    sample: bool,
}

impl Stage {
    /// The top-level `and` operands of the condition (one when it is no `and`).
    pub fn conjuncts(&self) -> &[Conjunct] {
        &self.inner.conjuncts
    }

    /// A near miss: the event has the stage's category and join keys and fails exactly one
    /// conjunct of its condition; returns that conjunct's index.
    pub fn near_miss(&self, event: &Event) -> Option<usize> {
        let s = &self.inner;
        if s.conjuncts.len() < 2 && s.category.is_none() {
            return None;
        }
        if let Some(category) = &s.category {
            let mut found = false;
            event.for_each_value(&s.category_field, &mut |v| {
                found = v.as_str() == Some(&**category);
                !found
            });
            if !found {
                return None;
            }
        }
        if !s
            .keys
            .iter()
            .all(|k| k.optional || event.has_field(&k.path))
        {
            return None;
        }
        let mut failed = None;
        for (i, c) in s.conjuncts.iter().enumerate() {
            if !c.matches(event) {
                if failed.is_some() {
                    return None;
                }
                failed = Some(i);
            }
        }
        failed
    }

    /// Whether `event` passes this stage's filter: the category (any element of the category
    /// field equal to the name, exactly), the condition, and every non-optional join key
    /// present (Elasticsearch adds an `exists` filter for those).
    pub fn matches(&self, event: &Event) -> bool {
        let s = &self.inner;
        if let Some(category) = &s.category {
            let mut found = false;
            event.for_each_value(&s.category_field, &mut |v| {
                found = v.as_str() == Some(&**category);
                !found
            });
            if !found {
                return false;
            }
        }
        s.keys
            .iter()
            .all(|k| k.optional || event.has_field(&k.path))
            && s.condition.matches(event)
    }

    /// The event's join keys for this stage: the cartesian product over multi-valued key
    /// fields (nulls dropped, duplicates collapsed, sorted), `KeyValue::Null` for a missing
    /// optional key, an empty `Vec` if a non-optional key is missing, and `vec![JoinKey(vec![])]`
    /// for a stage without keys.
    pub fn join_keys(&self, event: &Event) -> Vec<JoinKey> {
        keys::join_keys(event, &self.inner.keys, self.inner.sample)
    }

    /// Whether this is a missing-event stage (`![...]`).
    pub fn is_missing(&self) -> bool {
        self.inner.missing
    }

    /// The category name, `None` for `any`.
    pub fn category(&self) -> Option<&str> {
        self.inner.category.as_deref()
    }

    /// Names of this stage's join keys (shared keys first), as written (with `?` for optional).
    pub fn join_key_names(&self) -> Vec<String> {
        self.inner
            .keys
            .iter()
            .map(|k| {
                if k.optional {
                    format!("?{}", k.path)
                } else {
                    k.path.to_string()
                }
            })
            .collect()
    }

    /// Strings that the raw JSON text of any event passing this stage must contain (see
    /// [`Query::required_literals`]).
    pub fn required_literals(&self) -> &[String] {
        &self.inner.required_literals
    }

    fn for_each_field(&self, visit: &mut dyn FnMut(&str)) {
        if self.inner.category.is_some() {
            visit(&self.inner.category_field);
        }
        self.inner.keys.iter().for_each(|k| visit(&k.path));
        self.inner.condition.for_each_field(visit);
    }
}

/// A compiled query: immutable, cheap to clone, shareable between threads.
#[derive(Debug, Clone)]
pub struct Query {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    text: Box<str>,
    kind: QueryKind,
    stages: Vec<Stage>,
    until: Option<Stage>,
    maxspan_ms: Option<u64>,
    limit: Option<(ResultPosition, usize)>,
    later_limits: Vec<(ResultPosition, usize)>,
    timestamp_field: String,
    tiebreaker_field: Option<String>,
    event_category_field: String,
    tree: ast::Query,
    max_samples_per_key: usize,
    mapping: Option<Arc<Mapping>>,
    /// With a mapping: every field the query reads (what [`Query::index_event`] types).
    mapped_paths: Vec<String>,
}

impl Query {
    /// Compiles with default options (same as `QueryBuilder::new().build(text)`).
    pub fn new(text: &str) -> Result<Query, Error> {
        QueryBuilder::new().build(text)
    }

    /// The query text as given.
    pub fn text(&self) -> &str {
        &self.inner.text
    }

    /// The parsed syntax tree (e.g. to print the query normalised).
    pub fn syntax(&self) -> &ast::Query {
        &self.inner.tree
    }

    /// Event query, sequence or sample.
    pub fn kind(&self) -> QueryKind {
        self.inner.kind
    }

    /// `max_samples_per_key` (used by `sample` queries).
    pub fn max_samples_per_key(&self) -> usize {
        self.inner.max_samples_per_key
    }

    /// The index mapping the query types events with, if any.
    pub fn mapping(&self) -> Option<&Mapping> {
        self.inner.mapping.as_deref()
    }

    /// Types `event` with the mapping of its index (see [`Mapping`]): attaches the indexed
    /// view of every mapped field the query reads, so that filters and join keys see the
    /// values as Elasticsearch indexed them (aliases resolved, `null_value`, `ignore_above`,
    /// numbers, booleans, dates, IPs, versions). The document itself is unchanged. Without a
    /// mapping the event is returned as it is.
    pub fn index_event(&self, mut event: Event) -> Event {
        let Some(mapping) = &self.inner.mapping else {
            return event;
        };
        let provenance = event.provenance();
        let index = mapping.select(provenance.index.as_deref(), provenance.file.as_deref());
        let mut fields = Vec::new();
        for path in &self.inner.mapped_paths {
            let Some((target, field)) = index.resolve_arc(path) else {
                continue;
            };
            let values: Vec<serde_json::Value> = event
                .source_values_with_nulls(target)
                .into_iter()
                .filter_map(|v| field.index(v))
                .filter(|v| !v.is_null())
                .collect();
            fields.push((path.as_str().into(), Arc::clone(field), values));
        }
        event.set_indexed(Some(crate::eval::typed::Indexed { fields }));
        event
    }

    /// The timestamp field.
    pub fn timestamp_field(&self) -> &str {
        &self.inner.timestamp_field
    }

    /// The tiebreaker field, if any.
    pub fn tiebreaker_field(&self) -> Option<&str> {
        self.inner.tiebreaker_field.as_deref()
    }

    /// The event category field.
    pub fn event_category_field(&self) -> &str {
        &self.inner.event_category_field
    }

    /// The stages: one for an event query; for a sequence, `runs` already expanded.
    pub fn stages(&self) -> &[Stage] {
        &self.inner.stages
    }

    /// The `until` stage of a sequence.
    pub fn until(&self) -> Option<&Stage> {
        self.inner.until.as_ref()
    }

    /// `maxspan` in milliseconds.
    pub fn maxspan_ms(&self) -> Option<u64> {
        self.inner.maxspan_ms
    }

    /// The effective result limit from `head`/`tail` pipes and the `size` option.
    pub fn limit(&self) -> Option<(ResultPosition, usize)> {
        self.inner.limit
    }

    /// The `head`/`tail` pipes after the first (`| head 4 | tail 2`), each applied in order to
    /// what the previous ones kept.
    pub fn later_limits(&self) -> &[(ResultPosition, usize)] {
        &self.inner.later_limits
    }

    /// Names of the join keys of the first stage (shared keys then per-stage keys).
    pub fn join_key_names(&self) -> Vec<String> {
        self.inner
            .stages
            .first()
            .map(Stage::join_key_names)
            .unwrap_or_default()
    }

    /// Every field the query reads (condition fields, keys, category, timestamp, tiebreaker),
    /// sorted and deduplicated: a projection hint for readers.
    pub fn fields(&self) -> Vec<String> {
        let mut out: Vec<String> = vec![self.inner.timestamp_field.clone()];
        out.extend(self.inner.tiebreaker_field.clone());
        for stage in self.inner.stages.iter().chain(self.inner.until.as_ref()) {
            stage.for_each_field(&mut |f| out.push(f.to_string()));
        }
        out.sort();
        out.dedup();
        out
    }

    /// Per filter that can change a result, strings that must occur verbatim in the raw JSON
    /// text of any event that passes it, so a reader may skip records that pass none of them
    /// without parsing. The filters are every stage in [`Query::stages`] order (missing-event
    /// stages included: their events cut sequences), then the `until` stage if any (its events
    /// end sequences; forgetting it would return sequences Elasticsearch cuts). Only exact,
    /// case-sensitive string equalities that every match requires contribute (the category
    /// name, `field == "x"` conjuncts not under `or`/`not`), and only strings made of characters
    /// that JSON writers do not escape. A reader must still treat records that use `\u` escapes
    /// for ordinary characters conservatively (parse them). An empty list = no hint: any record
    /// may pass that filter, so nothing can be skipped.
    pub fn required_literals(&self) -> Vec<Vec<String>> {
        if self.inner.mapping.is_some() {
            // A mapping can make a record match through a value its text does not hold
            // (`null_value`, dates, numbers as strings, aliases' targets): no hint.
            return vec![
                Vec::new();
                self.inner.stages.len() + usize::from(self.inner.until.is_some())
            ];
        }
        self.inner
            .stages
            .iter()
            .chain(self.inner.until.as_ref())
            .map(|s| s.required_literals().to_vec())
            .collect()
    }
}
