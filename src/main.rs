//! The `eqlite` command-line tool: a thin shell over the library (argument parsing, file I/O,
//! printing). Results go to stdout as NDJSON, diagnostics to stderr.
//!
//! Exit codes: 0 success (with or without matches), 1 some input could not be read (the rest
//! was still processed and its results printed), 2 bad query, rule or options.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(cli::main())
}

// wasm32 test builds still link the binary target.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use clap::{Args, Parser, Subcommand, ValueEnum};
    use eqlite::compile::{QueryBuilder, ResultPosition};
    use eqlite::correlator::{Correlator, Match, Summary};
    use eqlite::event::{Event, Provenance};
    use eqlite::{output, rules};
    use std::io::{self, BufWriter, Read, Write};
    use std::sync::Arc;

    #[derive(Debug, Parser)]
    #[command(
        name = "eqlite",
        version,
        about = "Run Elastic EQL detection rules over exported event data"
    )]
    struct Cli {
        #[command(subcommand)]
        command: Command,
    }

    #[derive(Debug, Subcommand)]
    enum Command {
        /// Run a query or rule (default: the built-in "Temporarily Scheduled Task Creation"
        /// rule) over files or stdin and print one NDJSON line per result.
        Run(RunArgs),
    }

    #[derive(Debug, Clone, Copy, ValueEnum)]
    enum Position {
        Head,
        Tail,
    }

    #[derive(Debug, Args)]
    struct RunArgs {
        /// EQL query text.
        #[arg(long, conflicts_with = "rule")]
        query: Option<String>,
        /// An Elastic detection-rules TOML file (language = "eql").
        #[arg(long, value_name = "FILE.toml")]
        rule: Option<String>,
        /// Input format.
        #[arg(long, default_value = "auto")]
        format: String,
        /// Timestamp field [default: @timestamp].
        #[arg(long, value_name = "FIELD")]
        timestamp_field: Option<String>,
        /// Tiebreaker field for events with the same timestamp [default: none].
        #[arg(long, value_name = "FIELD")]
        tiebreaker_field: Option<String>,
        /// Event category field [default: event.category].
        #[arg(long, value_name = "FIELD")]
        event_category_field: Option<String>,
        /// Maximum number of results (like Elasticsearch's `size`) [default: unlimited].
        #[arg(long, value_name = "N")]
        size: Option<usize>,
        /// Which results `--size` keeps: the first (head) or the newest (tail).
        #[arg(long, value_enum, default_value = "tail")]
        result_position: Position,
        /// How far (ms of event time) input may be out of order; `none` buffers everything
        /// (exact for any order, memory grows with input) [default: 120000].
        #[arg(long, value_name = "MS|none")]
        reorder_window: Option<String>,
        /// Input files (`-` or none: stdin).
        #[arg(value_name = "FILE")]
        files: Vec<String>,
    }

    /// Runs the CLI and returns the process exit code.
    pub(crate) fn main() -> i32 {
        let cli = match Cli::try_parse() {
            Ok(cli) => cli,
            Err(e) => {
                let _ = e.print();
                return if e.use_stderr() { 2 } else { 0 };
            }
        };
        match cli.command {
            Command::Run(args) => run(args),
        }
    }

    fn run(args: RunArgs) -> i32 {
        let mut correlator = match build(&args) {
            Ok(c) => c,
            Err(message) => {
                eprintln!("{message}");
                return 2;
            }
        };
        let stdout = io::stdout();
        let mut out = BufWriter::new(stdout.lock());
        let mut failed = false;
        let files = if args.files.is_empty() {
            vec!["-".to_string()]
        } else {
            args.files.clone()
        };
        let mut results = Vec::new();
        for file in &files {
            let (bytes, label) = if file == "-" {
                let mut buf = Vec::new();
                match io::stdin().lock().read_to_end(&mut buf) {
                    Ok(_) => (buf, "stdin".to_string()),
                    Err(e) => {
                        eprintln!("eqlite: stdin: {e}");
                        failed = true;
                        continue;
                    }
                }
            } else {
                match std::fs::read(file) {
                    Ok(b) => (b, file.clone()),
                    Err(e) => {
                        eprintln!("eqlite: {file}: {e}");
                        failed = true;
                        continue;
                    }
                }
            };
            let errors = read_events(&bytes, &label, &mut |event| {
                correlator.push_into(event, &mut results);
            });
            for error in errors.iter().take(10) {
                eprintln!("eqlite: {error}");
            }
            if errors.len() > 10 {
                eprintln!(
                    "eqlite: {label}: {} more unreadable records",
                    errors.len() - 10
                );
            }
            failed |= !errors.is_empty();
            if print(&mut out, &results, correlator.is_sequence()).is_err() {
                return 1;
            }
            results.clear();
        }
        let rest = correlator.finish();
        if print(&mut out, &rest, correlator.is_sequence()).is_err() || out.flush().is_err() {
            return 1;
        }
        report(&correlator.summary(), correlator.query().timestamp_field());
        i32::from(failed)
    }

    fn build(args: &RunArgs) -> Result<Correlator, String> {
        let rule = match &args.rule {
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|e| format!("eqlite: {path}: {e}"))?;
                rules::from_toml(&text).map_err(|e| format!("eqlite: {path}: {e}"))?
            }
            None => rules::builtin(),
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
        if !matches!(args.format.as_str(), "auto" | "ndjson" | "json") {
            return Err(format!(
                "eqlite: --format {:?}: supported formats are auto, ndjson, json",
                args.format
            ));
        }
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
        Ok(query.correlator().with_reorder_window(window))
    }

    fn print(out: &mut impl Write, results: &[Match], is_sequence: bool) -> io::Result<()> {
        for result in results {
            writeln!(out, "{}", output::match_to_ndjson_line(result, is_sequence))?;
        }
        Ok(())
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

    /// Temporary NDJSON / JSON-array reader until the `formats` branch's `input::Reader` is
    /// merged. Returns the unreadable records as `file:line: reason` strings.
    fn read_events(bytes: &[u8], label: &str, sink: &mut dyn FnMut(Event)) -> Vec<String> {
        let file: Arc<str> = Arc::from(label);
        let mut errors = Vec::new();
        let trimmed = bytes.iter().position(|b| !b.is_ascii_whitespace());
        if trimmed.and_then(|i| bytes.get(i)) == Some(&b'[') {
            match serde_json::from_slice::<Vec<serde_json::Value>>(bytes) {
                Ok(values) => {
                    for (i, value) in values.into_iter().enumerate() {
                        let provenance = Provenance {
                            file: Some(Arc::clone(&file)),
                            record: Some(i as u64 + 1),
                            ..Provenance::default()
                        };
                        match Event::from_value(value, provenance) {
                            Some(event) => sink(event),
                            None => {
                                errors.push(format!("{label}: record {}: not a JSON object", i + 1))
                            }
                        }
                    }
                }
                Err(e) => errors.push(format!("{label}:{}: {e}", e.line())),
            }
            return errors;
        }
        for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let provenance = Provenance {
                file: Some(Arc::clone(&file)),
                line: Some(i as u64 + 1),
                ..Provenance::default()
            };
            match serde_json::from_slice::<serde_json::Value>(line) {
                Ok(value) => match Event::from_value(value, provenance) {
                    Some(event) => sink(event),
                    None => errors.push(format!("{label}:{}: not a JSON object", i + 1)),
                },
                Err(e) => errors.push(format!("{label}:{}: {e}", i + 1)),
            }
        }
        errors
    }
}
