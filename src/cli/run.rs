//! `eqlite run` as text: a [`Session`] plus the output [`Writer`], turning each step of the
//! shell's I/O loop into the stdout and stderr text to print.

use super::simulate::{self, Spec};
use super::{ExplainArgs, OutputMode, Position, ReadFile, RunArgs, SimulateArgs};
use crate::compile::ResultPosition;
use crate::correlator::Match;
use crate::error::Error;
use crate::exceptions::ExceptionList;
use crate::input::Format;
use crate::output::{Mode, Writer};
use crate::render::alerts::RuleInfo;
use crate::render::describe::rfc3339_utc;
use crate::rules;
use crate::session::{RuleSource, Session, SessionOptions, SessionSummary};
use std::fmt::Write;

/// Text to print and, at the end, the exit code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// For stdout.
    pub stdout: String,
    /// For stderr.
    pub stderr: String,
    /// The exit code (meaningful from [`Run::finish`], [`super::check`] and errors).
    pub code: i32,
}

impl Output {
    pub(super) fn fail(code: i32, stderr: String) -> Output {
        Output {
            code,
            stderr,
            ..Output::default()
        }
    }

    fn append(&mut self, other: Output) {
        self.stdout.push_str(&other.stdout);
        self.stderr.push_str(&other.stderr);
        self.code = self.code.max(other.code);
    }
}

/// One `eqlite run` (see the module docs).
#[derive(Debug)]
pub struct Run {
    session: Session,
    writer: Writer,
    stats: bool,
    inputs: Vec<String>,
    /// Some input could not be read.
    unreadable: bool,
    /// A budget error stopped the run.
    stopped: bool,
    results: Vec<Match>,
    /// `eqlite simulate`: what to replay at the end (results are not printed as they come).
    simulate: Option<Spec>,
    /// `eqlite explain`: the output mode of the report printed at the end.
    explain: Option<OutputMode>,
}

impl Run {
    /// Prepares `eqlite simulate`: a run that keeps its candidate events and, at the end,
    /// prints the replay of the schedule instead of the results.
    pub fn simulate(args: &SimulateArgs, read: ReadFile<'_>, now_ms: i64) -> Result<Run, Output> {
        let mut run = Run::build(&args.run, read, now_ms, true, None)?;
        let spec =
            simulate::spec(args, run.session.rule()).map_err(|text| Output::fail(2, text))?;
        run.simulate = Some(spec);
        Ok(run)
    }

    /// Prepares `eqlite explain`: a run that reads every record and, at the end, prints its
    /// near misses and coverage instead of the results.
    pub fn explain(args: &ExplainArgs, read: ReadFile<'_>, now_ms: i64) -> Result<Run, Output> {
        let output = args.run.output.unwrap_or(OutputMode::Table);
        if !matches!(output, OutputMode::Table | OutputMode::Ndjson) {
            return Err(Output::fail(
                2,
                "eqlite: explain prints table or ndjson\n".into(),
            ));
        }
        let mut run = Run::build(&args.run, read, now_ms, false, Some(args.top.max(1)))?;
        run.explain = Some(output);
        Ok(run)
    }

    /// Prepares a run: reads the rule and exceptions files through `read`, compiles, and
    /// fails with the text and exit code 2 on bad options. `now_ms` is the execution time that
    /// alert documents carry.
    pub fn new(args: &RunArgs, read: ReadFile<'_>, now_ms: i64) -> Result<Run, Output> {
        Run::build(args, read, now_ms, false, None)
    }

    fn build(
        args: &RunArgs,
        read: ReadFile<'_>,
        now_ms: i64,
        keep: bool,
        explain: Option<usize>,
    ) -> Result<Run, Output> {
        let mut options = options(args, read).map_err(|text| Output::fail(2, text))?;
        options.simulate = keep;
        options.explain = explain;
        let session = Session::new(options).map_err(|e| Output::fail(2, format!("{e}\n")))?;
        let rule = session.rule();
        let info = RuleInfo {
            rule_id: rule.id.clone(),
            name: rule.name.clone(),
            severity: rule.severity.clone(),
            risk_score: rule.risk_score.unwrap_or(21),
        };
        let mode = match args.output.unwrap_or(OutputMode::Ndjson) {
            OutputMode::Ndjson => Mode::Ndjson,
            OutputMode::Table => Mode::Table,
            OutputMode::Csv => Mode::Csv,
            OutputMode::Alerts => Mode::Alerts,
        };
        let writer = Writer::new(
            mode,
            session.is_sequence(),
            session.query().timestamp_field(),
            info,
            rfc3339_utc(now_ms),
        );
        let inputs = if args.files.is_empty() {
            vec!["-".to_string()]
        } else {
            args.files.clone()
        };
        Ok(Run {
            session,
            writer,
            stats: args.stats,
            inputs,
            unreadable: false,
            stopped: false,
            results: Vec::new(),
            simulate: None,
            explain: None,
        })
    }

    /// The paths given (`-` is stdin); directories are for the shell to expand, recursively
    /// and sorted by path.
    pub fn inputs(&self) -> &[String] {
        &self.inputs
    }

    /// Whether a budget error stopped the run: the shell reads no more input.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// Starts the input labelled `label` (a path or `stdin`).
    pub fn start_file(&mut self, label: &str) -> Output {
        let step = self.session.start_file(label, &mut self.results);
        self.step(step)
    }

    /// The next bytes of the current input.
    pub fn push(&mut self, bytes: &[u8]) -> Output {
        if self.stopped {
            return Output::default();
        }
        let step = self.session.push(bytes, &mut self.results);
        self.step(step)
    }

    /// [`push`](Self::push), taking the bytes out of `bytes` (left empty, perhaps with a spare
    /// allocation for the next read): NDJSON lines are read where they are.
    pub fn push_buf(&mut self, bytes: &mut Vec<u8>) -> Output {
        if self.stopped {
            bytes.clear();
            return Output::default();
        }
        let step = self.session.push_buf(bytes, &mut self.results);
        self.step(step)
    }

    /// Ends the current input (its unreadable records and notes are printed now).
    pub fn end_file(&mut self) -> Output {
        let step = self.session.end_file(&mut self.results);
        self.step(step)
    }

    /// An input the shell could not open or read: `eqlite: LABEL: REASON`, exit code 1.
    pub fn input_failed(&mut self, label: &str, reason: &str) -> Output {
        self.unreadable = true;
        Output {
            stderr: format!("eqlite: {label}: {reason}\n"),
            ..Output::default()
        }
    }

    /// Ends the run: the remaining results, the table or CSV, warnings, `--stats`, and the
    /// exit code.
    pub fn finish(mut self) -> Output {
        let mut out = Output::default();
        if !self.stopped {
            let step = self.session.finish(&mut self.results);
            out.append(self.step(step));
        }
        match &self.simulate {
            Some(spec) if !self.stopped => {
                match self.session.simulate(Some(&spec.schedule), &spec.phase) {
                    Ok(sims) => out.stdout.push_str(&simulate::render(spec, &sims)),
                    Err(e) => {
                        self.stopped = true;
                        let _ = writeln!(out.stderr, "eqlite: {e}");
                    }
                }
            }
            Some(_) => {}
            None => match self.explain {
                Some(mode) if !self.stopped => match self.session.explain() {
                    Ok(report) => out.stdout.push_str(&super::explain::render(&report, mode)),
                    Err(e) => {
                        self.stopped = true;
                        let _ = writeln!(out.stderr, "eqlite: {e}");
                    }
                },
                Some(_) => {}
                None => out.stdout.push_str(&self.writer.finish()),
            },
        }
        let summary = self.session.summary();
        out.stderr
            .push_str(&summary.warnings(self.session.query().timestamp_field()));
        if self.stats {
            out.stderr.push_str(&stats(&summary));
        }
        out.code = if self.stopped {
            3
        } else {
            i32::from(self.unreadable || summary.input_error_count > 0)
        };
        out
    }

    fn step(&mut self, step: Result<(), Error>) -> Output {
        let stdout = if self.simulate.is_some() || self.explain.is_some() {
            String::new()
        } else {
            self.writer.write(&self.results)
        };
        let mut out = Output {
            stdout,
            ..Output::default()
        };
        self.results.clear();
        for message in self.session.take_messages() {
            let _ = writeln!(out.stderr, "eqlite: {message}");
        }
        if let Err(e) = step {
            if !self.stopped {
                self.stopped = true;
                let _ = writeln!(out.stderr, "eqlite: {e}");
            }
        }
        out
    }
}

fn options(args: &RunArgs, read: ReadFile<'_>) -> Result<SessionOptions, String> {
    let format = args.format.parse::<Format>().map_err(|e| {
        let names: Vec<&str> = Format::all().iter().map(|f| f.0.as_str()).collect();
        format!(
            "eqlite: --format: {e}; known formats: {}\n",
            names.join(", ")
        )
    })?;
    let source = match (&args.query, &args.rule) {
        (Some(text), _) => RuleSource::Query(text.clone()),
        (None, Some(path)) => {
            let text = read(path).map_err(|e| format!("eqlite: {path}: {e}\n"))?;
            let rule = rules::from_toml(&text).map_err(|e| format!("eqlite: {path}: {e}\n"))?;
            RuleSource::Rule(Box::new(rule))
        }
        (None, None) => RuleSource::Builtin,
    };
    let exceptions = match &args.exceptions {
        None => None,
        Some(path) => {
            let text = read(path).map_err(|e| format!("eqlite: {path}: {e}\n"))?;
            Some(ExceptionList::from_json(&text).map_err(|e| format!("eqlite: {path}: {e}\n"))?)
        }
    };
    let mut mapping: Option<crate::compile::Mapping> = None;
    for path in &args.mapping {
        let text = read(path).map_err(|e| format!("eqlite: {path}: {e}\n"))?;
        let m = crate::compile::Mapping::from_json(&text)
            .map_err(|e| format!("eqlite: {path}: {}\n", e.message()))?;
        let base = path.rsplit(['/', '\\']).next().unwrap_or(path);
        let m = m.with_default_name(base.split('.').next().unwrap_or(base));
        mapping.get_or_insert_with(Default::default).extend(m);
    }
    Ok(SessionOptions {
        source,
        mapping,
        max_samples_per_key: args.max_samples_per_key,
        timestamp_field: args.timestamp_field.clone(),
        tiebreaker_field: args.tiebreaker_field.clone().map(Some),
        event_category_field: args.event_category_field.clone(),
        size: args.size,
        result_position: match args.result_position {
            Position::Head => ResultPosition::Head,
            Position::Tail => ResultPosition::Tail,
        },
        format,
        reorder_window_ms: limit("--reorder-window", args.reorder_window.as_deref(), None)?
            .map(|ms| ms as u64),
        max_candidates: limit(
            "--max-candidates",
            args.max_candidates.as_deref(),
            Some(crate::correlator::DEFAULT_MAX_CANDIDATES),
        )?,
        exceptions,
        prefilter: !args.no_prefilter,
        projection: !args.no_projection,
        time_zone: args.time_zone.clone(),
        ..SessionOptions::default()
    })
}

/// A count flag that also takes `none`.
fn limit(flag: &str, value: Option<&str>, default: Option<usize>) -> Result<Option<usize>, String> {
    match value {
        None => Ok(default),
        Some("none" | "unbounded") => Ok(None),
        Some(text) => text
            .parse::<usize>()
            .map(Some)
            .map_err(|_| format!("eqlite: {flag} {text:?}: expected a whole number or `none`\n")),
    }
}

fn stats(summary: &SessionSummary) -> String {
    let mut out = String::from("eqlite: stats:\n");
    for file in &summary.files {
        let format = file.format.as_deref().unwrap_or("unrecognised");
        let _ = writeln!(
            out,
            "  input {}: format {format}, {} unreadable record(s)",
            file.name, file.errors
        );
    }
    let c = &summary.correlator;
    let _ = writeln!(out, "  events seen: {}", c.events_seen);
    for (i, hits) in c.stage_hits.iter().enumerate() {
        let _ = writeln!(out, "  stage {} matched: {hits}", i + 1);
    }
    let _ = writeln!(out, "  results: {}", c.matches);
    let _ = writeln!(out, "  skipped (no usable timestamp): {}", c.skipped);
    if !summary.batch {
        let _ = writeln!(out, "  late (out of reorder window): {}", c.late);
    }
    let _ = writeln!(out, "  open sequences at end: {}", c.open_sequences);
    let _ = writeln!(out, "  refused sequences: {}", c.refused_sequences);
    for exception in &summary.exceptions {
        let _ = writeln!(
            out,
            "  exception {:?}: {} event(s) dropped, {} match(es) suppressed",
            exception.name, exception.excluded_events, exception.suppressed_matches
        );
    }
    out
}
