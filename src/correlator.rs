//! Per-stream state of a compiled [`Query`]: the push API that turns events into matches.
//!
//! The [`Query`] is immutable and shared; a [`Correlator`] owns everything that depends on the
//! stream (the regex-automata `Regex`/`Cache` split). For each pushed event it assigns the input
//! order, reads the timestamp and tiebreaker, asks every stage whether (and under which join
//! keys) the event matches, and feeds the relevant events through the reorder buffer into the
//! matcher. Event queries go through the same path as one-stage sequences without keys, so they
//! share ordering and `head`/`tail` handling.

use crate::compile::{JoinKey, Query, QueryKind, ResultPosition};
use crate::error::{Error, ErrorKind};
use crate::event::{Event, Provenance};
use crate::sample::Sampler;
use crate::sequence::{
    Completed, Hit, Matcher, MatcherSpec, Ordinal, ReorderBuffer, ResultLimit, SortValue, Then,
};
use crate::time;
use serde::Serialize;
use std::sync::Arc;

/// A suggested reorder window for unbounded streams: 2 minutes of event time.
///
/// By default a correlator gives the exact batch answer: it holds every candidate event (one
/// that passes some stage's filter) until [`Correlator::finish`] and orders them, so input in any
/// order (newest first, shuffled, several files) gives Elasticsearch's result. A live stream
/// never finishes, so it opts into a window with [`Correlator::with_reorder_window`]: events are
/// released once the stream is this far past them, results come as soon as they are final, and
/// events arriving later than the window are counted as late, not correlated. Two minutes covers
/// the skew seen in real exports (EVTX `SystemTime` can be up to ~99 s away from the record
/// order, channels and agents interleave by seconds).
pub const DEFAULT_REORDER_WINDOW_MS: u64 = 120_000;

/// The default cap on candidate events held to order the input in batch mode
/// ([`Correlator::with_max_candidates`]). Past it the run stops with an [`ErrorKind::Limit`]
/// error naming the option: the answer would otherwise be silently incomplete. Half a million
/// Winlogbeat-sized events is roughly 1-2 GB natively and stays inside a browser tab's 4 GiB
/// wasm memory; the built-in rule keeps only the 4698/4699 events, a tiny share of any export.
pub const DEFAULT_MAX_CANDIDATES: usize = 500_000;

/// The default cap on open partial sequences ([`Correlator::with_max_open_sequences`]): far
/// above what real rules keep open (the built-in rule holds one per host and task name created
/// in the last five minutes), low enough that hostile input cannot exhaust a page's memory.
pub const DEFAULT_MAX_OPEN_SEQUENCES: usize = 1_000_000;

/// How many skipped / late events are kept with their provenance (the counts are exact).
pub const EXAMPLES_KEPT: usize = 10;

/// One event of a result.
#[derive(Debug, Clone)]
pub struct MatchEvent {
    /// The event (an empty document for a missing-event placeholder).
    pub event: Arc<Event>,
    /// Whether this is the placeholder of a `![...]` stage.
    pub missing: bool,
}

/// One result: a sequence (with its join key values) or a single event.
#[derive(Debug, Clone)]
pub struct Match {
    /// The join key values in the original JSON types (empty for event queries and key-less
    /// sequences).
    pub join_keys: Vec<serde_json::Value>,
    /// One entry per stage (one entry for event queries).
    pub events: Vec<MatchEvent>,
}

/// An event that was not correlated, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedEvent {
    /// Where it came from.
    pub provenance: Provenance,
    /// Why it was skipped (for example an unparseable timestamp).
    pub reason: String,
}

/// An event that arrived after the reorder window had already released later events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LateEvent {
    /// Where it came from.
    pub provenance: Provenance,
    /// Its timestamp (epoch ms).
    pub timestamp_ms: i64,
    /// How far behind the newest timestamp seen it arrived: a reorder window of at least this
    /// many milliseconds would have placed it.
    pub behind_ms: u64,
}

/// What happened to the stream so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Events pushed.
    pub events_seen: u64,
    /// Per stage, events that matched it (under at least one join key).
    pub stage_hits: Vec<u64>,
    /// Events skipped because their timestamp was missing or unusable.
    pub skipped: u64,
    /// The first [`EXAMPLES_KEPT`] skipped events.
    pub skipped_examples: Vec<SkippedEvent>,
    /// Relevant events that arrived too late to be correlated (not correlated; see
    /// [`DEFAULT_REORDER_WINDOW_MS`]).
    pub late: u64,
    /// The first [`EXAMPLES_KEPT`] late events.
    pub late_examples: Vec<LateEvent>,
    /// Partial sequences still open (plus completed ones waiting for a missing-event window).
    pub open_sequences: usize,
    /// New partial sequences refused at the open-sequence cap. Non-zero means the results may
    /// be incomplete (Elasticsearch has no such cap).
    pub refused_sequences: u64,
    /// Events waiting in the reorder buffer.
    pub buffered: usize,
    /// Results returned so far.
    pub matches: u64,
}

#[derive(Debug)]
struct Classified {
    event: Arc<Event>,
    stages: Vec<Vec<JoinKey>>,
    until: Vec<JoinKey>,
}

/// The per-stream state of a query. Create one with [`Query::correlator`].
#[derive(Debug)]
pub struct Correlator {
    query: Query,
    is_sequence: bool,
    reorder: ReorderBuffer<Classified>,
    matcher: Matcher<JoinKey, Arc<Event>>,
    limit: ResultLimit<Match>,
    summary: Summary,
    placeholder: Arc<Event>,
    finished: bool,
    /// Batch mode (no reorder window): the cap on held candidate events.
    max_candidates: Option<usize>,
    /// Event queries without a result limit need no ordering: results pass straight through.
    passthrough: bool,
    /// Set once a budget was exceeded: the correlator takes no more input.
    failed: Option<Error>,
    /// Whether held events are frozen to text (`Event::freeze`); off for short-lived
    /// correlators over events something else keeps anyway (`without_freezing`).
    freeze: bool,
    /// What-if knobs for near-miss reports (`crate::explain`); all off for real runs.
    relax: Relax,
    /// `sample` queries: the documents kept per filter and join key.
    sampler: Option<Sampler>,
}

/// What-if variants of a query's sequence rules, for explaining near misses: each turns one
/// rule off so that the sequences it rejected can be found and reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Relax {
    /// Ignore `with maxspan`.
    pub maxspan: bool,
    /// Ignore the `until` stage.
    pub until: bool,
    /// Compare string join keys case-insensitively and without leading or trailing whitespace.
    pub key_case: bool,
}

/// One partial sequence still waiting when the input ended (see [`Correlator::open_partials`]).
#[derive(Debug, Clone)]
pub struct OpenPartial {
    /// Its join key values.
    pub join_keys: Vec<serde_json::Value>,
    /// How many stages it matched.
    pub stages_matched: usize,
    /// Its events so far.
    pub events: Vec<Arc<Event>>,
}

impl Query {
    /// The join keys under which `event` can take part in any result: the union, over every
    /// stage (and `until`) whose filter it passes, of that stage's keys. Empty when the event can
    /// be in no result at all.
    ///
    /// A sequence never spans two keys, so a deployment that routes each event to the worker
    /// owning each of its keys (a Kafka partition, a Node process) gets the same results as one
    /// process, provided each worker keeps only the results whose `join_keys` it owns (an event
    /// with multi-valued keys goes to several workers).
    pub fn routing_keys(&self, event: &Event) -> Vec<JoinKey> {
        let mut keys: Vec<JoinKey> = self
            .stages()
            .iter()
            .chain(self.until())
            .filter(|stage| stage.matches(event))
            .flat_map(|stage| stage.join_keys(event))
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }
}

impl Query {
    /// A fresh correlator for one stream of events, with the default reorder window
    /// ([`DEFAULT_REORDER_WINDOW_MS`]).
    ///
    /// ```
    /// use eqlite::{Event, Provenance, Query};
    /// use serde_json::json;
    ///
    /// let query = Query::new(
    ///     "sequence by host.name with maxspan=1m [iam where true] [process where true]",
    /// )?;
    /// let mut correlator = query.correlator();
    /// let mut results = Vec::new();
    /// for (ts, category) in [("2024-01-01T00:00:00Z", "iam"), ("2024-01-01T00:00:30Z", "process")] {
    ///     let doc = json!({"@timestamp": ts, "event": {"category": category}, "host": {"name": "h"}});
    ///     let event = Event::from_value(doc, Provenance::default()).expect("an object");
    ///     results.extend(correlator.push(event)?);
    /// }
    /// results.extend(correlator.finish());
    /// assert_eq!(results.len(), 1);
    /// assert_eq!(results[0].join_keys, [json!("h")]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn correlator(&self) -> Correlator {
        Correlator::new(self.clone())
    }
}

impl Correlator {
    fn new(query: Query) -> Self {
        let mut missing: Vec<bool> = query.stages().iter().map(|s| s.is_missing()).collect();
        if missing.is_empty() {
            missing.push(false);
        }
        let later = query
            .later_limits()
            .iter()
            .map(|&(position, n)| match position {
                ResultPosition::Head => Then::Head(n),
                ResultPosition::Tail => Then::Tail(n),
            })
            .collect();
        let limit = match query.limit() {
            None => ResultLimit::unlimited(),
            Some((ResultPosition::Head, n)) => ResultLimit::head(n),
            Some((ResultPosition::Tail, n)) => ResultLimit::tail(n),
        }
        .then(later);
        let matcher = Matcher::new(MatcherSpec {
            missing,
            maxspan_ms: query.maxspan_ms(),
        })
        .with_max_open(Some(DEFAULT_MAX_OPEN_SEQUENCES));
        let passthrough = query.kind() == QueryKind::Event && query.limit().is_none();
        let sampler = (query.kind() == QueryKind::Sample)
            .then(|| Sampler::new(query.stages().len(), query.max_samples_per_key()));
        Self {
            sampler,
            is_sequence: query.kind() != QueryKind::Event,
            summary: Summary {
                stage_hits: vec![0; query.stages().len()],
                ..Summary::default()
            },
            query,
            passthrough,
            reorder: ReorderBuffer::new(None),
            matcher,
            limit,
            placeholder: Arc::new(Event::new(serde_json::Map::new(), Provenance::default())),
            finished: false,
            max_candidates: Some(DEFAULT_MAX_CANDIDATES),
            failed: None,
            freeze: true,
            relax: Relax::default(),
        }
    }

    /// A what-if correlator for near-miss reports: `relax` turns rules of the query off.
    pub fn relaxed(query: &Query, relax: Relax) -> Self {
        let mut c = Correlator::new(query.clone());
        if relax.maxspan {
            let missing = c.matcher_missing();
            c.matcher = Matcher::new(MatcherSpec {
                missing,
                maxspan_ms: None,
            });
        }
        c.relax = relax;
        c.max_candidates = None;
        c
    }

    fn matcher_missing(&self) -> Vec<bool> {
        let mut missing: Vec<bool> = self.query.stages().iter().map(|s| s.is_missing()).collect();
        if missing.is_empty() {
            missing.push(false);
        }
        missing
    }

    /// The partial sequences still open (before [`Correlator::finish`], after all input was
    /// pushed): what each reached. Used by near-miss reports.
    pub fn open_partials(&mut self) -> Vec<OpenPartial> {
        let mut released = Vec::new();
        self.reorder.finish(&mut released);
        let mut out = Vec::new();
        self.correlate(released, &mut out);
        self.matcher
            .open_partials()
            .into_iter()
            .map(|(key, stages_matched, events)| OpenPartial {
                join_keys: key.to_json(),
                stages_matched,
                events,
            })
            .collect()
    }

    /// Sets a reorder window in milliseconds (see [`DEFAULT_REORDER_WINDOW_MS`]); call before
    /// pushing events.
    pub fn with_reorder_window_ms(self, window_ms: u64) -> Self {
        self.with_reorder_window(Some(window_ms))
    }

    /// Sets the reorder window. `None` (the default) is batch mode: every candidate event is
    /// held until [`Correlator::finish`], giving the exact batch answer for input in any order
    /// (bounded by [`Correlator::with_max_candidates`]). `Some(ms)` is stream mode for input that
    /// never ends: results come once final, and events later than the window are counted as late
    /// ([`Summary::late`]), not correlated.
    pub fn with_reorder_window(mut self, window_ms: Option<u64>) -> Self {
        self.reorder = ReorderBuffer::new(window_ms);
        self
    }

    /// Caps the candidate events held in batch mode (default [`DEFAULT_MAX_CANDIDATES`]);
    /// `None` removes the cap. Past it [`Correlator::push`] returns an [`ErrorKind::Limit`]
    /// error and the correlator takes no more input.
    pub fn with_max_candidates(mut self, max: Option<usize>) -> Self {
        self.max_candidates = max;
        self
    }

    /// Holds events as they come rather than frozen to text: for a short-lived correlator over
    /// events that stay alive elsewhere (a schedule replay's windows over a session's kept
    /// candidates), where freezing would only copy each shared document once per run.
    pub fn without_freezing(mut self) -> Self {
        self.freeze = false;
        self
    }

    /// Whether this correlator orders all input before matching (no reorder window).
    pub fn is_batch(&self) -> bool {
        self.reorder.window_ms().is_none()
    }

    /// Candidate events currently held for ordering.
    pub fn buffered(&self) -> usize {
        self.reorder.len()
    }

    /// Caps open partial sequences (default [`DEFAULT_MAX_OPEN_SEQUENCES`]); `None` removes the
    /// cap. Refusals are counted in [`Summary::refused_sequences`].
    pub fn with_max_open_sequences(mut self, max: Option<usize>) -> Self {
        self.matcher = self.matcher.with_max_open(max);
        self
    }

    /// Whether results are sequences or samples (with join keys) rather than single events.
    pub fn is_sequence(&self) -> bool {
        self.is_sequence
    }

    /// The query this correlator runs.
    pub fn query(&self) -> &Query {
        &self.query
    }

    /// Pushes one event and returns the results that became certain (final and in order).
    /// Fails once a budget is exceeded ([`Correlator::with_max_candidates`]); the correlator
    /// then takes no more input.
    pub fn push(&mut self, event: Event) -> Result<Vec<Match>, Error> {
        let mut out = Vec::new();
        self.push_into(event, &mut out)?;
        Ok(out)
    }

    /// Like [`Correlator::push`], appending to `out` to avoid an allocation per event.
    pub fn push_into(&mut self, event: Event, out: &mut Vec<Match>) -> Result<(), Error> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        self.classify(event, out);
        if let Some(max) = self.max_candidates {
            if self.is_batch() && !self.passthrough && self.reorder.len() > max {
                let error = Error::new(
                    ErrorKind::Limit,
                    format!(
                        "more than {max} candidate events (events that pass a stage of the \
                         query) must be held to order the input; raise max-candidates \
                         (`--max-candidates`, JS `maxCandidates`), or use a reorder window \
                         (`--reorder-window MS`, JS `reorderWindow`) for input that is \
                         nearly in time order"
                    ),
                );
                self.failed = Some(error.clone());
                return Err(error);
            }
        }
        Ok(())
    }

    /// The error that stopped this correlator, if a budget was exceeded.
    pub fn error(&self) -> Option<&Error> {
        self.failed.as_ref()
    }

    fn classify(&mut self, event: Event, out: &mut Vec<Match>) {
        let input = self.summary.events_seen;
        self.summary.events_seen += 1;
        if self.finished || self.limit.is_complete() {
            return;
        }
        let event = self.query.index_event(event);
        if let Some(sampler) = &mut self.sampler {
            // samples need no timestamp and no ordering (see `sample.rs`)
            let stages: Vec<Vec<JoinKey>> = self
                .query
                .stages()
                .iter()
                .zip(self.summary.stage_hits.iter_mut())
                .map(|(stage, hits)| {
                    if !stage.matches(&event) {
                        return Vec::new();
                    }
                    let keys = stage.join_keys(&event);
                    *hits += u64::from(!keys.is_empty());
                    keys
                })
                .collect();
            if stages.iter().any(|k| !k.is_empty()) {
                sampler.push(&Arc::new(event), &stages);
            }
            return;
        }
        let timestamp = match self.timestamp(&event) {
            Ok(ts) => ts,
            Err(reason) => {
                self.summary.skipped += 1;
                if self.summary.skipped_examples.len() < EXAMPLES_KEPT {
                    self.summary.skipped_examples.push(SkippedEvent {
                        provenance: event.provenance().clone(),
                        reason,
                    });
                }
                return;
            }
        };
        let mut relevant = false;
        let stages: Vec<Vec<JoinKey>> = self
            .query
            .stages()
            .iter()
            .zip(self.summary.stage_hits.iter_mut())
            .map(|(stage, hits)| {
                if !stage.matches(&event) {
                    return Vec::new();
                }
                let keys = fold(stage.join_keys(&event), self.relax.key_case);
                if !keys.is_empty() {
                    *hits += 1;
                    relevant = true;
                }
                keys
            })
            .collect();
        let until = match self.query.until() {
            Some(stage) if !self.relax.until && stage.matches(&event) => {
                fold(stage.join_keys(&event), self.relax.key_case)
            }
            _ => Vec::new(),
        };
        relevant |= !until.is_empty();
        let mut released = Vec::new();
        if relevant && self.passthrough {
            let ordinal = Ordinal {
                timestamp,
                tiebreaker: None,
                input,
            };
            let item = Classified {
                event: Arc::new(event),
                stages,
                until,
            };
            released.push((ordinal, item));
        } else if relevant {
            let ordinal = Ordinal {
                timestamp,
                tiebreaker: self
                    .query
                    .tiebreaker_field()
                    .and_then(|field| event.first_value(field))
                    .and_then(SortValue::from_json),
                input,
            };
            // Its fields are read: until it is released and matched (in batch mode, the end
            // of the input), only its text is needed.
            let mut event = event;
            if self.freeze {
                event.freeze();
            }
            let item = Classified {
                event: Arc::new(event),
                stages,
                until,
            };
            if let Err(late) = self.reorder.push(ordinal, item, &mut released) {
                self.summary.late += 1;
                if self.summary.late_examples.len() < EXAMPLES_KEPT {
                    self.summary.late_examples.push(LateEvent {
                        provenance: late.item.event.provenance().clone(),
                        timestamp_ms: late.ordinal.timestamp,
                        behind_ms: late.behind_ms,
                    });
                }
            }
        } else {
            self.reorder.advance(timestamp, &mut released);
        }
        self.correlate(released, out);
    }

    /// Ends the stream: releases the reorder buffer, decides waiting sequences and applies
    /// `tail`. Returns the remaining results. Later pushes are counted but ignored.
    pub fn finish(&mut self) -> Vec<Match> {
        let mut out = Vec::new();
        if self.finished {
            return out;
        }
        if let Some(sampler) = &mut self.sampler {
            out = sampler.finish(self.query.limit().map(|(_, n)| n));
            self.summary.matches += out.len() as u64;
            self.finished = true;
            return out;
        }
        let mut released = Vec::new();
        self.reorder.finish(&mut released);
        self.correlate(released, &mut out);
        let mut completed = Vec::new();
        self.matcher.finish(&mut completed);
        self.offer(completed, &mut out);
        let tail = self.limit.finish();
        self.summary.matches += tail.len() as u64;
        out.extend(tail);
        self.finished = true;
        out
    }

    /// Counts so far (see [`Summary`]).
    pub fn summary(&self) -> Summary {
        let mut summary = self.summary.clone();
        summary.open_sequences =
            self.matcher.open_sequences() + self.sampler.as_ref().map_or(0, Sampler::open_keys);
        summary.refused_sequences = self.matcher.refused();
        summary.buffered = self.reorder.len();
        summary
    }

    /// The event's timestamp in epoch ms, or why it has none. The field must hold exactly one
    /// value, as Elasticsearch requires of the timestamp field.
    fn timestamp(&self, event: &Event) -> Result<i64, String> {
        let field = self.query.timestamp_field();
        if let Some((typed, values)) = event.typed(field) {
            // a mapped date field: its indexed value is epoch ms (ns for date_nanos)
            if let crate::eval::typed::Kind::Date { nanos } = typed.kind {
                return match values {
                    [] => Err(format!("no {field} value (as the mapping reads it)")),
                    [value] => value
                        .as_i64()
                        .map(|v| if nanos { v.div_euclid(1_000_000) } else { v })
                        .ok_or_else(|| format!("{field}: not a date")),
                    _ => Err(format!(
                        "{field} holds {} values (it must hold one)",
                        values.len()
                    )),
                };
            }
        }
        let values = event.values(field);
        match values.as_slice() {
            [] => Err(format!("no {field} value")),
            [value] => time::parse_value(value)
                .map(|t| t.millis())
                .map_err(|e| format!("{field}: {e}")),
            _ => Err(format!(
                "{field} holds {} values (it must hold one)",
                values.len()
            )),
        }
    }

    fn correlate(&mut self, released: Vec<(Ordinal, Classified)>, out: &mut Vec<Match>) {
        let mut completed = Vec::new();
        for (ordinal, item) in released {
            let hit = Hit {
                ordinal,
                payload: item.event,
                stages: item.stages,
                until: item.until,
            };
            self.matcher.push(hit, &mut completed);
        }
        self.offer(completed, out);
    }

    fn offer(&mut self, completed: Vec<Completed<JoinKey, Arc<Event>>>, out: &mut Vec<Match>) {
        for sequence in completed {
            let result = Match {
                join_keys: sequence.key.0.iter().map(|v| v.to_json()).collect(),
                events: sequence
                    .events
                    .into_iter()
                    .map(|event| match event {
                        Some(event) => MatchEvent {
                            event,
                            missing: false,
                        },
                        None => MatchEvent {
                            event: Arc::clone(&self.placeholder),
                            missing: true,
                        },
                    })
                    .collect(),
            };
            if let Some(result) = self.limit.offer(result) {
                self.summary.matches += 1;
                out.push(result);
            }
        }
    }
}

/// Join keys compared case-insensitively and trimmed (the `key_case` what-if).
fn fold(keys: Vec<JoinKey>, on: bool) -> Vec<JoinKey> {
    if !on {
        return keys;
    }
    let mut out: Vec<JoinKey> = keys
        .into_iter()
        .map(|k| {
            JoinKey(
                k.0.into_iter()
                    .map(|v| match v {
                        crate::compile::KeyValue::Str(s) => {
                            crate::compile::KeyValue::Str(s.trim().to_lowercase().into())
                        }
                        other => other,
                    })
                    .collect(),
            )
        })
        .collect();
    out.sort();
    out.dedup();
    out
}
