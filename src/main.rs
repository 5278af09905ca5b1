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
    use eqlite::event::Provenance;
    use eqlite::input::{Format, Reader, ReaderOptions};
    use eqlite::{output, rules};
    use std::io::{self, BufWriter, Read, Write};

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
        /// Input format (`auto` recognises it; `eqlite formats` lists them).
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
        let format = match args.format.parse::<Format>() {
            Ok(f) => f,
            Err(e) => {
                let names: Vec<&str> = Format::all().iter().map(|f| f.0.as_str()).collect();
                eprintln!("eqlite: --format: {e}; known formats: {}", names.join(", "));
                return 2;
            }
        };
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
            let label = if file == "-" {
                "stdin".to_string()
            } else {
                file.clone()
            };
            let mut reader = Reader::new(ReaderOptions {
                format,
                file_name: Some(label.clone()),
                // Lines that provably cannot match any stage are skipped unparsed.
                required_literals: Some(correlator.query().required_literals()),
                ..ReaderOptions::default()
            });
            let mut source: Box<dyn Read> = if file == "-" {
                Box::new(io::stdin().lock())
            } else {
                match std::fs::File::open(file) {
                    Ok(f) => Box::new(f),
                    Err(e) => {
                        eprintln!("eqlite: {file}: {e}");
                        failed = true;
                        continue;
                    }
                }
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
                reader.push(chunk.get(..n).unwrap_or_default(), &mut events);
                for event in events.drain(..) {
                    correlator.push_into(event, &mut results);
                }
                if print(&mut out, &results, correlator.is_sequence()).is_err() {
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
}
