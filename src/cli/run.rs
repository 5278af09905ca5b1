//! `eqlite run`: inputs (files, directories, stdin; gzip is recognised by the input readers)
//! through the correlator to the chosen output mode.

use super::{OutputMode, Position, RunArgs};
use eqlite::compile::{QueryBuilder, ResultPosition};
use eqlite::correlator::{Correlator, Match, Summary};
use eqlite::event::Provenance;
use eqlite::input::{Format, Reader, ReaderOptions};
use eqlite::render::alerts::{alerts_for_result, RuleInfo};
use eqlite::render::describe::rfc3339_utc;
use eqlite::render::table::{render_csv, render_table, Row};
use eqlite::{output, rules};
use serde_json::Value;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// Where results go: streamed (NDJSON, alerts) or collected for a table.
struct Sink {
    mode: OutputMode,
    is_sequence: bool,
    timestamp_field: String,
    rule: RuleInfo,
    now: String,
    rows: Vec<Row>,
}

impl Sink {
    fn write(&mut self, out: &mut impl Write, results: &[Match]) -> io::Result<()> {
        for result in results {
            match self.mode {
                OutputMode::Ndjson => {
                    writeln!(
                        out,
                        "{}",
                        output::match_to_ndjson_line(result, self.is_sequence)
                    )?;
                }
                OutputMode::Alerts => {
                    let json = output::match_to_json(result, self.is_sequence);
                    for alert in alerts_for_result(&json, &self.rule, &self.now) {
                        writeln!(out, "{}", alert.to_json())?;
                    }
                }
                OutputMode::Table | OutputMode::Csv => {
                    let json = output::match_to_json(result, self.is_sequence);
                    let epoch_ms =
                        |v: &Value| eqlite::time::parse_value(v).ok().map(|t| t.millis());
                    self.rows
                        .push(Row::from_result(&json, &self.timestamp_field, &epoch_ms));
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut impl Write) -> io::Result<()> {
        match self.mode {
            OutputMode::Table => out.write_all(render_table(&self.rows).as_bytes()),
            OutputMode::Csv => out.write_all(render_csv(&self.rows).as_bytes()),
            OutputMode::Ndjson | OutputMode::Alerts => Ok(()),
        }
    }
}

/// Counts of one input for `--stats`.
struct InputStat {
    label: String,
    format: Option<Format>,
    errors: u64,
}

pub(super) fn run(args: RunArgs) -> i32 {
    let format = match args.format.parse::<Format>() {
        Ok(f) => f,
        Err(e) => {
            let names: Vec<&str> = Format::all().iter().map(|f| f.0.as_str()).collect();
            eprintln!("eqlite: --format: {e}; known formats: {}", names.join(", "));
            return 2;
        }
    };
    let (mut correlator, rule) = match build(&args) {
        Ok(c) => c,
        Err(message) => {
            eprintln!("{message}");
            return 2;
        }
    };
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let mut sink = Sink {
        mode: args.output,
        is_sequence: correlator.is_sequence(),
        timestamp_field: correlator.query().timestamp_field().to_string(),
        rule,
        now: rfc3339_utc(now_ms),
        rows: Vec::new(),
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut failed = false;
    let mut inputs = Vec::new();
    let paths = if args.files.is_empty() {
        vec!["-".to_string()]
    } else {
        args.files.clone()
    };
    for path in &paths {
        if path == "-" {
            inputs.push(None);
        } else if let Err(e) = expand(Path::new(path), &mut inputs) {
            eprintln!("eqlite: {path}: {e}");
            failed = true;
        }
    }
    let progress = progress_bar(&inputs);
    let mut stats = Vec::new();
    let mut results = Vec::new();
    for input in &inputs {
        let label = match input {
            None => "stdin".to_string(),
            Some(path) => path.display().to_string(),
        };
        let mut reader = Reader::new(ReaderOptions {
            format,
            file_name: Some(label.clone()),
            // Lines that provably cannot match any stage are skipped unparsed.
            required_literals: Some(correlator.query().required_literals()),
            ..ReaderOptions::default()
        });
        let mut source: Box<dyn Read> = match input {
            None => Box::new(io::stdin().lock()),
            Some(path) => match std::fs::File::open(path) {
                Ok(f) => Box::new(f),
                Err(e) => {
                    eprintln!("eqlite: {label}: {e}");
                    failed = true;
                    continue;
                }
            },
        };
        let mut chunk = vec![0u8; 1 << 16];
        let mut events = Vec::new();
        loop {
            let n = match source.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    eprintln!("eqlite: {label}: {e}");
                    failed = true;
                    break;
                }
            };
            if let Some(bar) = &progress {
                bar.inc(n as u64);
            }
            reader.push(chunk.get(..n).unwrap_or_default(), &mut events);
            for event in events.drain(..) {
                correlator.push_into(event, &mut results);
            }
            if sink.write(&mut out, &results).is_err() {
                return 1;
            }
            results.clear();
        }
        reader.finish(&mut events);
        for event in events.drain(..) {
            correlator.push_into(event, &mut results);
        }
        for error in reader.errors() {
            eprintln!("eqlite: {error}");
        }
        let shown = reader.errors().len() as u64;
        if reader.error_count() > shown {
            eprintln!(
                "eqlite: {label}: {} more unreadable records",
                reader.error_count() - shown
            );
        }
        for note in reader.notes() {
            eprintln!("eqlite: note: {label}: {note}");
        }
        failed |= reader.error_count() > 0;
        stats.push(InputStat {
            label,
            format: reader.detected(),
            errors: reader.error_count(),
        });
        if sink.write(&mut out, &results).is_err() {
            return 1;
        }
        results.clear();
    }
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    let rest = correlator.finish();
    if sink.write(&mut out, &rest).is_err()
        || sink.finish(&mut out).is_err()
        || out.flush().is_err()
    {
        return 1;
    }
    let summary = correlator.summary();
    report(&summary, correlator.query().timestamp_field());
    if args.stats {
        print_stats(&summary, &stats);
    }
    i32::from(failed)
}

/// Inputs larger than this (in total) get a progress bar when stderr is a terminal.
const PROGRESS_MIN_BYTES: u64 = 8 << 20;

/// A byte-count progress bar on stderr, only for a terminal and large inputs (stdin counts as
/// unknown size, so it never gets one).
fn progress_bar(inputs: &[Option<PathBuf>]) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !io::stderr().is_terminal() || inputs.iter().any(Option::is_none) {
        return None;
    }
    let total: u64 = inputs
        .iter()
        .flatten()
        .filter_map(|path| std::fs::metadata(path).ok())
        .map(|meta| meta.len())
        .sum();
    if total < PROGRESS_MIN_BYTES {
        return None;
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
    ) {
        bar.set_style(style);
    }
    Some(bar)
}

/// Adds a file, or every regular file under a directory (recursively, sorted by path).
fn expand(path: &Path, out: &mut Vec<Option<PathBuf>>) -> io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_dir() {
        out.push(Some(path.to_path_buf()));
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        let meta = std::fs::metadata(&entry)?;
        if meta.is_dir() {
            expand(&entry, out)?;
        } else if meta.is_file() {
            out.push(Some(entry));
        }
    }
    Ok(())
}

fn build(args: &RunArgs) -> Result<(Correlator, RuleInfo), String> {
    let rule = match &args.rule {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("eqlite: {path}: {e}"))?;
            rules::from_toml(&text).map_err(|e| format!("eqlite: {path}: {e}"))?
        }
        None => rules::builtin(),
    };
    let info = if args.query.is_some() {
        RuleInfo {
            rule_id: "adhoc-query".to_string(),
            name: "Ad-hoc query".to_string(),
            severity: "low".to_string(),
            risk_score: 21,
        }
    } else {
        RuleInfo {
            rule_id: rule.id.clone(),
            name: rule.name.clone(),
            severity: rule.severity.clone(),
            risk_score: rule.risk_score.unwrap_or(21),
        }
    };
    let text = args.query.clone().unwrap_or_else(|| rule.query.clone());
    let tiebreaker = args
        .tiebreaker_field
        .clone()
        .or(rule.tiebreaker_field.clone());
    let category = args
        .event_category_field
        .clone()
        .or(rule.event_category_override.clone())
        .unwrap_or_else(|| "event.category".to_string());
    let window = match args.reorder_window.as_deref() {
        None => Some(eqlite::correlator::DEFAULT_REORDER_WINDOW_MS),
        Some("none" | "unbounded") => None,
        Some(ms) => Some(ms.parse::<u64>().map_err(|_| {
            format!("eqlite: --reorder-window {ms:?}: expected milliseconds or `none`")
        })?),
    };
    let query = QueryBuilder::new()
        .timestamp_field(args.timestamp_field.as_deref().unwrap_or("@timestamp"))
        .tiebreaker_field(tiebreaker.as_deref())
        .event_category_field(&category)
        .size(args.size)
        .result_position(match args.result_position {
            Position::Head => ResultPosition::Head,
            Position::Tail => ResultPosition::Tail,
        })
        .build(&text)
        .map_err(|e| e.to_string())?;
    Ok((query.correlator().with_reorder_window(window), info))
}

fn print_stats(summary: &Summary, inputs: &[InputStat]) {
    eprintln!("eqlite: stats:");
    for input in inputs {
        let format = input.format.map_or("unrecognised", |f| f.as_str());
        eprintln!(
            "  input {}: format {format}, {} unreadable record(s)",
            input.label, input.errors
        );
    }
    eprintln!("  events seen: {}", summary.events_seen);
    for (i, hits) in summary.stage_hits.iter().enumerate() {
        eprintln!("  stage {} matched: {hits}", i + 1);
    }
    eprintln!("  results: {}", summary.matches);
    eprintln!("  skipped (no usable timestamp): {}", summary.skipped);
    eprintln!("  late (out of reorder window): {}", summary.late);
    eprintln!("  open sequences at end: {}", summary.open_sequences);
    eprintln!("  refused sequences: {}", summary.refused_sequences);
}

fn report(summary: &Summary, timestamp_field: &str) {
    if summary.skipped > 0 {
        eprintln!(
            "eqlite: warning: {} event(s) skipped for lack of a usable {timestamp_field}",
            summary.skipped
        );
        for skipped in &summary.skipped_examples {
            eprintln!("  {}: {}", location(&skipped.provenance), skipped.reason);
        }
    }
    if summary.refused_sequences > 0 {
        eprintln!(
            "eqlite: warning: {} partial sequence(s) were not started because {} were already \
             open; results may be incomplete",
            summary.refused_sequences,
            eqlite::correlator::DEFAULT_MAX_OPEN_SEQUENCES
        );
    }
    if summary.late > 0 {
        eprintln!(
            "eqlite: warning: {} event(s) arrived too far out of order and were not correlated; \
             raise --reorder-window (or use `--reorder-window none`)",
            summary.late
        );
        for late in &summary.late_examples {
            eprintln!(
                "  {}: {} ms behind",
                location(&late.provenance),
                late.behind_ms
            );
        }
    }
}

fn location(provenance: &Provenance) -> String {
    let file = provenance.file.as_deref().unwrap_or("input");
    match (provenance.line, provenance.record) {
        (Some(line), _) => format!("{file}:{line}"),
        (None, Some(record)) => format!("{file}: record {record}"),
        (None, None) => file.to_string(),
    }
}
