//! Argument definitions and dispatch of the `eqlite` subcommands.

mod check;
mod run;

use clap::{Args, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
Examples:
  eqlite run security.ndjson                    built-in rule over one export
  eqlite run --output table exports/            every file under a directory, as a table
  eqlite run --rule my_rule.toml logs.json.gz   a detection-rules TOML file, gzip input
  eqlite run --query 'process where process.name == \"cmd.exe\"' --output csv a.ndjson
  eqlite run --output alerts --stats a.evtx     Kibana-shaped alert documents, summary on stderr
  cat a.ndjson | eqlite run -                   stdin
  eqlite check 'sequence by host.name [process where true] [network where true]'
  eqlite formats

Exit codes:
  0  the run completed (whether or not anything matched)
  1  some input could not be read (the rest was still processed and printed)
  2  bad query, rule or options";

#[derive(Debug, Parser)]
#[command(
    name = "eqlite",
    version,
    about = "Run Elastic EQL detection rules over exported event data",
    after_help = AFTER_HELP
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a query or rule (default: the built-in "Temporarily Scheduled Task Creation"
    /// rule) over files, directories or stdin.
    #[command(after_help = AFTER_HELP)]
    Run(RunArgs),
    /// Validate and describe a query text, a rule .toml file, or the built-in rule id.
    #[command(after_help = AFTER_HELP)]
    Check {
        /// Query text, path to a rule .toml file, or `temporarily-scheduled-task-creation`.
        #[arg(value_name = "QUERY_OR_RULE")]
        target: String,
    },
    /// List the input formats and what each one maps.
    Formats,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Position {
    Head,
    Tail,
}

/// How `eqlite run` prints results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputMode {
    /// One JSON result object per line.
    Ndjson,
    /// An aligned text table (host, task, user, created, deleted, gap).
    Table,
    /// The table's columns as CSV.
    Csv,
    /// Kibana-shaped alert documents, one JSON line each.
    Alerts,
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
    /// Output mode.
    #[arg(long, value_enum, default_value = "ndjson")]
    output: OutputMode,
    /// Print a summary (events, stage hits, skipped, late, unreadable records) on stderr.
    #[arg(long)]
    stats: bool,
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
    /// Input files or directories (read recursively, sorted); gzip is detected. `-` or none:
    /// stdin.
    #[arg(value_name = "PATH")]
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
        Command::Run(args) => run::run(args),
        Command::Check { target } => check::check(&target),
        Command::Formats => check::formats(),
    }
}
