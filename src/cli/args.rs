//! The command line's arguments: one definition (clap) shared by the native binary and
//! `npx eqlite`, so both accept the same subcommands and flags and print the same help.
// reason: the field docs below are clap's --help text, where `[default: ...]` is help wording,
// not an intra-doc link.
#![allow(rustdoc::broken_intra_doc_links)]

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

Ordering:
  By default every run gives Elasticsearch's batch answer whatever the input order (newest
  first, shuffled, several files in any order): the events that pass some stage of the query
  are held and ordered before matching, up to --max-candidates of them (then the run stops with
  exit code 3). --reorder-window MS is for unbounded streams (a live tail): results come as soon
  as they are final, and events later than MS behind the newest one are counted and reported as
  late, not correlated.

Exit codes:
  0  the run completed (whether or not anything matched)
  1  some input could not be read (the rest was still processed and printed)
  2  bad query, rule or options
  3  a budget was exceeded (the message names the option to raise); the run stopped";

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

/// A parsed command line.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a query or rule (default: the built-in "Temporarily Scheduled Task Creation"
    /// rule) over files, directories or stdin.
    #[command(after_help = AFTER_HELP)]
    Run(Box<RunArgs>),
    /// Validate and describe a query text, a rule .toml file, or the built-in rule id.
    #[command(after_help = AFTER_HELP)]
    Check {
        /// Query text, path to a rule .toml file, or `temporarily-scheduled-task-creation`.
        #[arg(value_name = "QUERY_OR_RULE")]
        target: String,
    },
    /// Replay Kibana's detection engine over the input: the rule's schedule (interval,
    /// look-back, max_signals) and alert suppression, which matches it would have alerted, and
    /// why it would have missed the others.
    #[command(after_help = SIMULATE_HELP)]
    Simulate(Box<SimulateArgs>),
    /// Why didn't it fire? Near misses (events failing one condition, sequences too long, cut by
    /// `until`, keys differing in case, left open) and what the input covers (hosts, fields,
    /// time gaps).
    #[command(after_help = EXPLAIN_HELP)]
    Explain(Box<ExplainArgs>),
    /// List the input formats and what each one maps.
    Formats,
}

const EXPLAIN_HELP: &str = "\
Examples:
  eqlite explain security.evtx                     the built-in rule: near misses and coverage
  eqlite explain --output ndjson --top 50 exports/ one JSON object per finding, with a stable kind

Kinds: near_miss.condition, near_miss.maxspan, near_miss.until, near_miss.key_case,
near_miss.open, coverage.field, coverage.host, coverage.gap. The last line says which case a run
without matches is: near misses, no coverage (the data could never show it), or nothing.";

/// The flags of `eqlite explain`: those of `run`, plus how many findings to list per kind.
#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    /// Findings listed per kind (the rest are counted).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// The flags of `eqlite run`.
    #[command(flatten)]
    pub run: RunArgs,
}

const SIMULATE_HELP: &str = "\
Examples:
  eqlite simulate security.ndjson                   the built-in rule: every 5m over now-9m
  eqlite simulate --phases 10 security.ndjson       ten schedule phases: which matches depend on it
  eqlite simulate --rule r.toml --output ndjson a.evtx     one JSON line per run and per match
  eqlite simulate --suppress-by winlog.computer_name --suppress-for 1h --output alerts a.ndjson

A sequence is found only when one run's window (now - look-back .. now) holds all of its events:
with interval 5m and look-back 9m, pairs up to 4m apart are always found, and pairs 4m-5m apart
only when a run happens to end between the delete and the create + 9m.";

/// The flags of `eqlite simulate`: those of `run`, plus the schedule (each defaults to the
/// rule's).
#[derive(Debug, Clone, Args)]
pub struct SimulateArgs {
    /// How often the rule runs, as `5m`, `30s`, `1h` [default: the rule's].
    #[arg(long, value_name = "DURATION")]
    pub interval: Option<String>,
    /// The look-back, as Kibana writes it: `now-9m` [default: the rule's `from`].
    #[arg(long, value_name = "now-DURATION")]
    pub from: Option<String>,
    /// Sequences kept per run (Elasticsearch `size`, newest first) [default: the rule's].
    #[arg(long, value_name = "N")]
    pub max_signals: Option<usize>,
    /// Alert suppression: group shells by these fields (repeatable) [default: the rule's].
    #[arg(long, value_name = "FIELD")]
    pub suppress_by: Vec<String>,
    /// Suppression window, as `1h` [default: the rule's; none: per rule execution].
    #[arg(long, value_name = "DURATION")]
    pub suppress_for: Option<String>,
    /// Shells lacking a group-by field: `suppress` (grouped under null) or `doNotSuppress`.
    #[arg(long, value_name = "STRATEGY")]
    pub suppress_missing: Option<String>,
    /// Ignore the rule's alert suppression.
    #[arg(long, conflicts_with = "suppress_by")]
    pub no_suppression: bool,
    /// The first run's time (RFC 3339 or epoch ms) [default: the first candidate event's].
    #[arg(long, value_name = "TIME")]
    pub first_run: Option<String>,
    /// Shift every run by this much after the first run's time, as `150s` or `4m`.
    #[arg(long, value_name = "DURATION")]
    pub phase: Option<String>,
    /// Try N phases spread evenly over one interval and report which matches depend on it.
    #[arg(long, value_name = "N")]
    pub phases: Option<u32>,
    /// The flags of `eqlite run`.
    #[command(flatten)]
    pub run: RunArgs,
}

/// `--result-position`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Position {
    /// The first results.
    Head,
    /// The newest results (Kibana's default).
    Tail,
}

/// How `eqlite run` prints results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputMode {
    /// One JSON result object per line.
    Ndjson,
    /// An aligned text table (host, task, user, created, deleted, gap).
    Table,
    /// The table's columns as CSV.
    Csv,
    /// Kibana-shaped alert documents, one JSON line each.
    Alerts,
}

/// The flags of `eqlite run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// EQL query text.
    #[arg(long, conflicts_with = "rule")]
    pub query: Option<String>,
    /// An Elastic detection-rules TOML file (language = "eql").
    #[arg(long, value_name = "FILE.toml")]
    pub rule: Option<String>,
    /// Input format (`auto` recognises it; `eqlite formats` lists them).
    #[arg(long, default_value = "auto")]
    pub format: String,
    /// Output mode [default: ndjson; for simulate: table].
    #[arg(long, value_enum)]
    pub output: Option<OutputMode>,
    /// Print a summary (events, stage hits, skipped, late, unreadable records) on stderr.
    #[arg(long)]
    pub stats: bool,
    /// Timestamp field [default: @timestamp].
    #[arg(long, value_name = "FIELD")]
    pub timestamp_field: Option<String>,
    /// Tiebreaker field for events with the same timestamp [default: none].
    #[arg(long, value_name = "FIELD")]
    pub tiebreaker_field: Option<String>,
    /// Event category field [default: event.category].
    #[arg(long, value_name = "FIELD")]
    pub event_category_field: Option<String>,
    /// Maximum number of results (like Elasticsearch's `size`) [default: unlimited].
    #[arg(long, value_name = "N")]
    pub size: Option<usize>,
    /// Which results `--size` keeps: the first (head) or the newest (tail).
    #[arg(long, value_enum, default_value = "tail")]
    pub result_position: Position,
    /// Stream mode for unbounded input: how far (ms of event time) input may be out of order;
    /// later events are counted as late, not correlated [default: none = batch mode, exact for
    /// any order].
    #[arg(long, value_name = "MS|none")]
    pub reorder_window: Option<String>,
    /// Batch mode's budget of held candidate events (events that pass a stage); past it the
    /// run stops with exit code 3. `none` removes it [default: 500000].
    #[arg(long, value_name = "N|none")]
    pub max_candidates: Option<String>,
    /// Rule exceptions: Kibana's exception list export (NDJSON or JSON); matching events are
    /// dropped before matching, and the suppressed matches are counted.
    #[arg(long, value_name = "FILE")]
    pub exceptions: Option<String>,
    /// Time zone for zone-less export timestamps (Kibana CSV, Splunk): `UTC` or `+02:00`.
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    pub time_zone: String,
    /// Parse every record, without the literal pre-filter (same results, slower; for checks).
    #[arg(long)]
    pub no_prefilter: bool,
    /// Parse each NDJSON record whole, not only the fields the query and exceptions read (same
    /// results, slower; for checks).
    #[arg(long)]
    pub no_projection: bool,
    /// An Elasticsearch index mapping (`GET <index>/_mapping` output, `{"mappings": ...}` or
    /// `{"properties": ...}`) that types the fields as Elasticsearch indexed them (aliases,
    /// null_value, dates, numbers, ip, version, ...). Repeatable, one per index: an event takes
    /// the mapping of its hit's `_index`, else of the index named like its file.
    #[arg(long, value_name = "FILE")]
    pub mapping: Vec<String>,
    /// `sample` queries: samples per join-key combination (Elasticsearch's
    /// `max_samples_per_key`) [default: 1].
    #[arg(long, value_name = "N")]
    pub max_samples_per_key: Option<usize>,
    /// Input files or directories (read recursively, sorted); gzip is detected. `-` or none:
    /// stdin.
    #[arg(value_name = "PATH")]
    pub files: Vec<String>,
}

/// What the command line asks for, or what to print and exit with.
#[derive(Debug)]
pub enum Parsed {
    /// A command to carry out.
    Command(Box<Command>),
    /// Help, version or a usage error: print `text` (on stdout when `to_stdout`) and exit.
    Exit {
        /// Exit code: 0 for help and version, 2 for usage errors.
        code: i32,
        /// The text clap rendered.
        text: String,
        /// Whether it goes to stdout (help, version) or stderr (errors).
        to_stdout: bool,
    },
}

/// Parses a command line (`argv[0]` is the program name).
pub fn parse<I, T>(argv: I) -> Parsed
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    match Cli::try_parse_from(argv) {
        Ok(cli) => Parsed::Command(Box::new(cli.command)),
        Err(e) => {
            let to_stdout = !e.use_stderr();
            Parsed::Exit {
                code: if to_stdout { 0 } else { 2 },
                text: e.render().to_string(),
                to_stdout,
            }
        }
    }
}
