//! One run of a rule or query over inputs: the only place that owns the run loop.
//!
//! Every shell (the native CLI, the wasm facade behind `Correlator`, `npx eqlite`, the Node
//! stream and the page's worker) is a thin layer over a [`Session`]: it moves bytes in and
//! results out, and each of its options is one field of [`SessionOptions`]. The session owns
//!
//! - rule or query -> compiled [`Query`], with the rule's tiebreaker and category overrides;
//! - one [`Reader`] per file, with format detection;
//! - the literal pre-filter, taken from every filter that can change a result (sequence stages,
//!   missing-event stages and `until`: [`Query::required_literals`]);
//! - rule exceptions, with per-exception counts of dropped events and suppressed matches;
//! - the [`Correlator`], in batch mode by default (Elasticsearch's answer for input in any
//!   order), with its candidate budget;
//! - the input-error budget, the readers' notes and the summary;
//! - the rendered views ([`crate::render`]): table and CSV rows, alert documents, the decoded
//!   task.
//!
//! Counting suppressed matches needs to know what would have matched without the exceptions, so
//! a session with exceptions runs a second, exception-free correlator over the *same* parsed
//! events (one pass over the bytes): a baseline match that contains an excepted event is a
//! suppressed match, attributed to the first exception that matched one of its events.

mod options;
pub mod view;
mod warnings;

pub use options::{RuleSource, SessionOptions};
pub use view::{MatchView, TaskView};

use crate::compile::Query;
use crate::correlator::{Correlator, Match, Summary};
use crate::error::Error;
use crate::event::Event;
use crate::exceptions::ExceptionList;
use crate::input::{Format, InputError, Reader, ReaderOptions};
use crate::rules::Rule;
use serde::Serialize;
use std::sync::Arc;

/// How many unreadable records are kept with their details across all files (all are counted).
pub const INPUT_ERRORS_KEPT: usize = 100;

/// What one input file gave, for reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FileReport {
    /// The file's label (path, `stdin`, `paste`).
    pub name: String,
    /// The format recognised (or forced); `None` when nothing was recognised.
    pub format: Option<String>,
    /// Records seen, including unreadable and pre-filtered ones.
    pub records: u64,
    /// Events produced.
    pub events: u64,
    /// Records skipped unparsed by the literal pre-filter (they provably match no filter).
    pub prefiltered: u64,
    /// Unreadable records.
    pub errors: u64,
    /// The reader's notes for the analyst.
    pub notes: Vec<String>,
}

/// Per exception item: what it removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExceptionCount {
    /// The item's name (or its position when it has none).
    pub name: String,
    /// Events it dropped before correlation.
    pub excluded_events: u64,
    /// Matches that would have been returned without the exceptions and contain an event this
    /// item (first) matched.
    pub suppressed_matches: u64,
}

/// Everything a run reports besides its results.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SessionSummary {
    /// The correlator's counts (events, stage hits, skipped, late, open, matches).
    #[serde(flatten)]
    pub correlator: Summary,
    /// Records read over all files (unreadable and pre-filtered ones included): what
    /// `events_seen` would be without the pre-filter, for inputs read as bytes.
    pub records_read: u64,
    /// Records skipped unparsed by the literal pre-filter (they provably pass no filter of the
    /// query, so results are the same; they are not in `events_seen`).
    pub prefiltered: u64,
    /// Unreadable records over all files.
    pub input_error_count: u64,
    /// The first [`INPUT_ERRORS_KEPT`] of them.
    pub input_errors: Vec<InputProblem>,
    /// Events dropped by exceptions before correlation.
    pub excluded_by_exceptions: u64,
    /// Matches the exceptions suppressed (0 without exceptions).
    pub suppressed_matches: u64,
    /// Per exception item.
    pub exceptions: Vec<ExceptionCount>,
    /// Per input file, in order.
    pub files: Vec<FileReport>,
    /// Whether the run ordered all input first (batch mode: the exact answer for any order).
    pub batch: bool,
}

/// An unreadable record, with its location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputProblem {
    /// File label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<Arc<str>>,
    /// 1-based line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// 1-based record number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
    /// Byte offset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// What was wrong.
    pub reason: String,
    /// `file:line: reason`, as the CLI prints it.
    pub message: String,
}

impl From<&InputError> for InputProblem {
    fn from(e: &InputError) -> Self {
        InputProblem {
            file: e.file.clone(),
            line: e.line,
            record: e.record,
            offset: e.offset,
            reason: e.reason.clone(),
            message: e.to_string(),
        }
    }
}

/// One run over any number of inputs (see the module docs).
#[derive(Debug)]
pub struct Session {
    query: Query,
    rule: Rule,
    builtin: bool,
    adhoc: bool,
    format: Format,
    prefilter: bool,
    /// The fields read of every event (query and exceptions), for the readers' projection;
    /// `None` reads events whole.
    fields: Option<Vec<String>>,
    time_zone: String,
    correlator: Correlator,
    exceptions: Option<ExceptionList>,
    baseline: Option<Correlator>,
    counts: Vec<ExceptionCount>,
    excluded: u64,
    suppressed: u64,
    reader: Option<Reader>,
    file_name: Option<String>,
    files: Vec<FileReport>,
    objects: u64,
    input_error_count: u64,
    input_errors: Vec<InputProblem>,
    /// Unreadable records and notes not yet handed out by [`Session::take_messages`].
    messages: Vec<Message>,
    reported_in_reader: usize,
    scratch: Vec<Event>,
    finished: bool,
    /// With `SessionOptions::simulate`: the options (to compile per-run queries) and the
    /// candidate events with their times.
    simulation: Option<(SessionOptions, Vec<(i64, Event)>)>,
    /// With `SessionOptions::explain`: near misses and coverage seen so far.
    explainer: Option<crate::explain::Explainer>,
}

/// A line for the analyst that a shell shows as it happens (the CLI on stderr).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Message {
    /// An unreadable record.
    InputError(InputProblem),
    /// More unreadable records in a file than are shown.
    MoreErrors {
        /// The file.
        file: String,
        /// How many were not shown.
        count: u64,
    },
    /// A reader's note about a file.
    Note {
        /// The file.
        file: String,
        /// The note.
        text: String,
    },
}

impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Message::InputError(p) => f.write_str(&p.message),
            Message::MoreErrors { file, count } => {
                write!(f, "{file}: {count} more unreadable records")
            }
            Message::Note { file, text } => write!(f, "note: {file}: {text}"),
        }
    }
}

/// What a session's readers may project events to: the query's fields and the exceptions'.
/// Explaining and simulating read other fields of every event, and a mapping reads its
/// aliases' targets, so those read events whole (a lookup the projection does not cover would
/// read the whole document anyway: this only saves the double work).
fn projected_fields(
    options: &SessionOptions,
    query: &Query,
    exceptions: Option<&ExceptionList>,
) -> Option<Vec<String>> {
    if !options.projection || options.explain.is_some() || options.simulate {
        return None;
    }
    if query.mapping().is_some() {
        return None;
    }
    let mut fields = query.fields();
    for item in exceptions.map(ExceptionList::items).unwrap_or_default() {
        fields.extend(item.entries.iter().map(|e| e.field.clone()));
    }
    Some(fields)
}

impl Session {
    /// Compiles the rule or query and prepares the run; fails on a bad query, rule or option.
    pub fn new(options: SessionOptions) -> Result<Session, Error> {
        let (query, rule, builtin) = options.compile()?;
        let query_for_explain = query.clone();
        let mut correlator = query
            .correlator()
            .with_reorder_window(options.reorder_window_ms)
            .with_max_candidates(options.max_candidates);
        if let Some(max) = options.max_open_sequences {
            correlator = correlator.with_max_open_sequences(max);
        }
        let exceptions = options.exceptions.clone().filter(|l| !l.is_empty());
        let baseline = exceptions.as_ref().map(|_| {
            let mut baseline = query
                .correlator()
                .with_reorder_window(options.reorder_window_ms)
                .with_max_candidates(options.max_candidates);
            if let Some(max) = options.max_open_sequences {
                baseline = baseline.with_max_open_sequences(max);
            }
            baseline
        });
        let counts = exceptions
            .as_ref()
            .map(|list| {
                list.items()
                    .iter()
                    .enumerate()
                    .map(|(i, item)| ExceptionCount {
                        name: if item.name.is_empty() {
                            format!("exception {}", i + 1)
                        } else {
                            item.name.clone()
                        },
                        ..ExceptionCount::default()
                    })
                    .collect()
            })
            .unwrap_or_default();
        let fields = projected_fields(&options, &query, exceptions.as_ref());
        Ok(Session {
            adhoc: matches!(options.source, RuleSource::Query(_)),
            query,
            rule,
            builtin,
            format: options.format,
            prefilter: options.prefilter && options.explain.is_none(),
            fields,
            time_zone: options.time_zone.clone(),
            correlator,
            exceptions,
            baseline,
            counts,
            excluded: 0,
            suppressed: 0,
            reader: None,
            file_name: None,
            files: Vec::new(),
            objects: 0,
            input_error_count: 0,
            input_errors: Vec::new(),
            messages: Vec::new(),
            reported_in_reader: 0,
            scratch: Vec::new(),
            finished: false,
            simulation: (options.simulate || options.explain.is_some())
                .then(|| (options.clone(), Vec::new())),
            explainer: options
                .explain
                .map(|top| crate::explain::Explainer::new(&query_for_explain, top)),
        })
    }

    /// The compiled query.
    pub fn query(&self) -> &Query {
        &self.query
    }

    /// The rule the query came from (the built-in rule's metadata for a plain query's alerts is
    /// not used: see [`Session::is_adhoc`]).
    pub fn rule(&self) -> &Rule {
        &self.rule
    }

    /// Whether the built-in rule runs (its notes about Windows Security data apply).
    pub fn is_builtin(&self) -> bool {
        self.builtin
    }

    /// Whether a plain query runs (no rule metadata).
    pub fn is_adhoc(&self) -> bool {
        self.adhoc
    }

    /// Whether results are sequences (with join keys).
    pub fn is_sequence(&self) -> bool {
        self.correlator.is_sequence()
    }

    /// Starts a new input file labelled `name`, ending the previous one.
    pub fn start_file(&mut self, name: &str, out: &mut Vec<Match>) -> Result<(), Error> {
        self.end_file(out)?;
        self.file_name = Some(name.to_string());
        if let Some(x) = &mut self.explainer {
            x.start_file(name);
        }
        Ok(())
    }

    /// Feeds the next bytes of the current file (any chunking). Results that became final are
    /// appended to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<Match>) -> Result<(), Error> {
        self.check_open()?;
        self.open_reader();
        if let Some(reader) = &mut self.reader {
            reader.push(chunk, &mut self.scratch);
        }
        self.correlate(out)
    }

    /// [`push`](Self::push), taking the bytes out of `chunk`: it is left empty, perhaps with
    /// another allocation's capacity, for the caller's next read. NDJSON lines are read where
    /// they are, not copied into the reader's buffer.
    pub fn push_buf(&mut self, chunk: &mut Vec<u8>, out: &mut Vec<Match>) -> Result<(), Error> {
        self.check_open()?;
        self.open_reader();
        if let Some(reader) = &mut self.reader {
            reader.push_buf(chunk, &mut self.scratch);
        }
        self.correlate(out)
    }

    /// Makes the current file's reader on its first bytes.
    fn open_reader(&mut self) {
        if self.reader.is_none() {
            let literals = self.prefilter.then(|| self.query.required_literals());
            self.reader = Some(Reader::new(ReaderOptions {
                format: self.format,
                file_name: self.file_name.clone(),
                time_zone: self.time_zone.clone(),
                fields: self.fields.clone(),
                required_literals: literals,
                rule_notes: self.builtin,
                ..ReaderOptions::default()
            }));
        }
    }

    /// Feeds one event object (numbered within the current file for its provenance).
    pub fn push_event(&mut self, mut event: Event, out: &mut Vec<Match>) -> Result<(), Error> {
        self.check_open()?;
        self.objects += 1;
        let provenance = event.provenance_mut();
        if provenance.file.is_none() {
            provenance.file = self.file_name.as_deref().map(Arc::from);
        }
        if provenance.record.is_none() && provenance.line.is_none() {
            provenance.record = Some(self.objects);
        }
        self.scratch.push(event);
        self.correlate(out)
    }

    /// Ends the current file: flushes its last record and records its report.
    pub fn end_file(&mut self, out: &mut Vec<Match>) -> Result<(), Error> {
        let Some(mut reader) = self.reader.take() else {
            return Ok(());
        };
        reader.finish(&mut self.scratch);
        let name = self
            .file_name
            .clone()
            .unwrap_or_else(|| "input".to_string());
        self.collect_errors(&reader);
        let summary = reader.summary();
        let shown = summary.errors.len() as u64;
        if summary.error_count > shown {
            self.messages.push(Message::MoreErrors {
                file: name.clone(),
                count: summary.error_count - shown,
            });
        }
        for note in &summary.notes {
            self.messages.push(Message::Note {
                file: name.clone(),
                text: note.clone(),
            });
        }
        self.input_error_count += summary.error_count;
        self.files.push(FileReport {
            name,
            format: summary.format.map(|f| f.as_str().to_string()),
            records: summary.records,
            events: summary.events,
            prefiltered: summary.prefiltered,
            errors: summary.error_count,
            notes: summary.notes,
        });
        self.reported_in_reader = 0;
        self.correlate(out)
    }

    /// Ends the input: the remaining results (after `size`/`head`/`tail`). Later pushes fail.
    pub fn finish(&mut self, out: &mut Vec<Match>) -> Result<(), Error> {
        self.check_open()?;
        self.end_file(out)?;
        self.finished = true;
        let before = out.len();
        out.extend(self.correlator.finish());
        if let (Some(x), Some(new)) = (&mut self.explainer, out.get(before..)) {
            x.matched(new);
        }
        if let Some(baseline) = &mut self.baseline {
            let rest = baseline.finish();
            self.count_suppressed(&rest);
        }
        Ok(())
    }

    /// Replays the detection engine's schedule over the candidate events read so far (see
    /// [`crate::simulate`]); `schedule` defaults to the rule's. Needs `SessionOptions::simulate`.
    pub fn simulate(
        &self,
        schedule: Option<&crate::rules::Schedule>,
        phase: &crate::simulate::Phase,
    ) -> Result<Vec<crate::simulate::Simulation>, Error> {
        let Some((options, events)) = &self.simulation else {
            return Err(Error::new(
                crate::error::ErrorKind::Option,
                "this run keeps no events to simulate: enable the `simulate` option",
            ));
        };
        let schedule = schedule.unwrap_or(&self.rule.schedule);
        let with = |size| {
            let mut o = options.clone();
            o.size = size;
            o.result_position = crate::compile::ResultPosition::Tail;
            o.compile().map(|(query, _, _)| query)
        };
        let per_run = with(Some(schedule.max_signals))?;
        let unlimited = with(None)?;
        let rule = self.rule_info();
        let replay = crate::simulate::Replay {
            per_run: &per_run,
            unlimited: &unlimited,
            rule: &rule,
            events,
        };
        replay.simulate(schedule, phase)
    }

    /// Near misses and coverage (see [`crate::explain`]); needs `SessionOptions::explain`.
    pub fn explain(&self) -> Result<crate::explain::Explanation, Error> {
        let (Some(x), Some((_, events))) = (&self.explainer, &self.simulation) else {
            return Err(Error::new(
                crate::error::ErrorKind::Option,
                "this run collects no near misses: enable the `explain` option",
            ));
        };
        let matches = usize::try_from(self.correlator.summary().matches).unwrap_or(usize::MAX);
        Ok(x.finish(events, matches))
    }

    /// How many items the explainer holds (0 without `explain`): bounded by its caps.
    pub fn explain_retained(&self) -> usize {
        self.explainer
            .as_ref()
            .map_or(0, crate::explain::Explainer::retained)
    }

    /// The rule fields alert documents carry.
    pub fn rule_info(&self) -> crate::render::alerts::RuleInfo {
        crate::render::alerts::RuleInfo {
            rule_id: self.rule.id.clone(),
            name: self.rule.name.clone(),
            severity: self.rule.severity.clone(),
            risk_score: self.rule.risk_score.unwrap_or(21),
        }
    }

    /// An input the shell could not open or read at all (a browser `File` that went away, a
    /// permission error): counted and reported like an unreadable record, so the summary and
    /// the messages say what was lost while the other inputs go on.
    pub fn input_failed(&mut self, name: &str, reason: &str) {
        let problem = InputProblem {
            file: Some(Arc::from(name)),
            line: None,
            record: None,
            offset: None,
            reason: reason.to_string(),
            message: format!("{name}: {reason}"),
        };
        self.input_error_count += 1;
        if self.input_errors.len() < INPUT_ERRORS_KEPT {
            self.input_errors.push(problem.clone());
        }
        self.messages.push(Message::InputError(problem));
    }

    /// Unreadable records and notes since the last call, for shells that show them as they
    /// happen.
    pub fn take_messages(&mut self) -> Vec<Message> {
        if let Some(reader) = self.reader.take() {
            self.collect_errors(&reader);
            self.reader = Some(reader);
        }
        std::mem::take(&mut self.messages)
    }

    /// What happened so far.
    pub fn summary(&self) -> SessionSummary {
        let current = self.reader.as_ref().map(Reader::summary);
        let records = self.files.iter().map(|f| f.records).sum::<u64>()
            + current.as_ref().map_or(0, |s| s.records);
        let prefiltered = self.files.iter().map(|f| f.prefiltered).sum::<u64>()
            + current.as_ref().map_or(0, |s| s.prefiltered);
        SessionSummary {
            records_read: records,
            prefiltered,
            correlator: self.correlator.summary(),
            input_error_count: self.input_error_count
                + self.reader.as_ref().map_or(0, Reader::error_count),
            input_errors: self.input_errors.clone(),
            excluded_by_exceptions: self.excluded,
            suppressed_matches: self.suppressed,
            exceptions: self.counts.clone(),
            files: self.files.clone(),
            batch: self.correlator.is_batch(),
        }
    }

    /// The analyst's view of a result: table cells, where its events came from, and the task
    /// its first event created (decoded from TaskContent).
    pub fn view(&self, result: &Match) -> MatchView {
        MatchView::new(result, self.query.timestamp_field())
    }

    fn check_open(&self) -> Result<(), Error> {
        if self.finished {
            return Err(Error::new(
                crate::error::ErrorKind::Option,
                "this run is finished; start a new one",
            ));
        }
        Ok(())
    }

    /// Moves the reader's not yet collected errors into the kept list and the messages.
    fn collect_errors(&mut self, reader: &Reader) {
        for error in reader.errors().iter().skip(self.reported_in_reader) {
            let problem = InputProblem::from(error);
            if self.input_errors.len() < INPUT_ERRORS_KEPT {
                self.input_errors.push(problem.clone());
            }
            self.messages.push(Message::InputError(problem));
        }
        self.reported_in_reader = reader.errors().len();
    }

    /// Exceptions, then the correlator (and the baseline), for the events read so far.
    fn correlate(&mut self, out: &mut Vec<Match>) -> Result<(), Error> {
        let mut baseline_out = Vec::new();
        for event in self.scratch.drain(..) {
            let excepted = self.exceptions.as_ref().and_then(|l| l.first_match(&event));
            if let Some(baseline) = &mut self.baseline {
                baseline.push_into(event.clone(), &mut baseline_out)?;
            }
            if let Some(item) = excepted {
                self.excluded += 1;
                if let Some(count) = self.counts.get_mut(item) {
                    count.excluded_events += 1;
                }
                continue;
            }
            if let Some(x) = &mut self.explainer {
                x.event(&event);
            }
            if let Some((_, kept)) = &mut self.simulation {
                let query = &self.query;
                let candidate = query
                    .stages()
                    .iter()
                    .chain(query.until())
                    .any(|s| s.matches(&event));
                if let Some(ms) = crate::simulate::event_ms(&event, query.timestamp_field()) {
                    if candidate {
                        kept.push((ms, event.clone()));
                    }
                }
            }
            let before = out.len();
            self.correlator.push_into(event, out)?;
            if let (Some(x), Some(new)) = (&mut self.explainer, out.get(before..)) {
                x.matched(new);
            }
        }
        self.count_suppressed(&baseline_out);
        Ok(())
    }

    fn count_suppressed(&mut self, baseline: &[Match]) {
        let Some(list) = &self.exceptions else {
            return;
        };
        for result in baseline {
            let item = result
                .events
                .iter()
                .filter(|e| !e.missing)
                .find_map(|e| list.first_match(&e.event));
            if let Some(item) = item {
                self.suppressed += 1;
                if let Some(count) = self.counts.get_mut(item) {
                    count.suppressed_matches += 1;
                }
            }
        }
    }
}
