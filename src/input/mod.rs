//! Export formats -> events. Analysts paste or drop whatever their tools export; the [`Reader`]
//! recognises it from the first bytes and records, normalises each record to the ECS fields
//! Winlogbeat + the Elasticsearch ingest pipeline would produce, and reports every unreadable
//! record (location + reason) without stopping.
//!
//! Bytes are pushed in any chunking ([`Reader::push`]); NDJSON, top-level JSON arrays, CSV, XML,
//! Splunk text and EVTX (per 64 KiB chunk) are processed incrementally, so memory follows the
//! largest record, not the file. JSON documents (a `_search` / EQL response, pretty or on one
//! line, evtx_dump's `Record N` output) are read as streams: a search response's hits one by
//! one as they complete (`docstream`), so memory follows the largest hit, not the response.
//! Framing scans every byte once (`Reader::bytes_examined` counts them). Two things spare work
//! without changing any result: the literal pre-filter skips NDJSON lines that cannot match,
//! and the `fields` projection parses only the fields that will be read of the others, keeping
//! the line's text for the document results show under `_source`.
//!
//! One file per format: `jsonin` (NDJSON / JSON framing), `docstream` (JSON objects read as
//! streams), `shapes` (which JSON schema a record is), `winlog` (the Winlogbeat +
//! security-pipeline mapping every raw format shares), `evtx`, `winxml`, `csvin` + `kibana`,
//! `tools` (evtx_dump, Chainsaw, Hayabusa, EvtxECmd), `siem` (Sentinel, Defender, NXLog / OTRF,
//! Splunk JSON), `splunk` (classic text), `container` (gzip, zip, UTF-16).

mod blockscan;
mod container;
mod csvin;
mod ctx;
mod docstream;
mod evtx;
mod evtx_probe;
mod evtx_recover;
mod format;
#[cfg(not(target_arch = "wasm32"))]
mod helpers;
mod jsonin;
mod jsonvalid;
mod kibana;
mod lines;
mod pipeline;
mod prefilter;
mod shapes;
mod siem;
mod splunk;
mod taskxml;
mod timefmt;
mod tools;
mod util;
mod winlog;
mod winxml;
mod xmltree;

pub use ctx::InputError;
pub use format::{Format, UnknownFormat};

use crate::event::Event;
use crate::projection::Projection;
use ctx::Ctx;
use pipeline::{Pipeline, Settings};
use std::sync::Arc;

/// How to read one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderOptions {
    /// `Auto` (default) recognises the format; anything else forces that normaliser.
    pub format: Format,
    /// Label for provenance and error messages (a file name, `stdin`, `paste`).
    pub file_name: Option<String>,
    /// Time zone for zone-less export timestamps (Kibana CSV, Splunk classic, NXLog `EventTime`):
    /// `UTC` (default) or a fixed offset such as `+02:00`. It is stated in the reader's notes.
    pub time_zone: String,
    /// Every field anything will read of the events (the query's and the exceptions' fields):
    /// NDJSON lines are then parsed keeping only those (and what recognising a record needs),
    /// with the line's text kept for the rest (see `projection.rs`). `None`: parse whole.
    pub fields: Option<Vec<String>>,
    /// Per stage, literals a matching event's JSON must contain (`Query::required_literals`).
    /// NDJSON lines that provably cannot match any stage are skipped before parsing (see
    /// `prefilter.rs` for why this is sound, including for formats whose fields are derived).
    pub required_literals: Option<Vec<Vec<String>>>,
    /// How many errors are kept with their details (all are counted). Default 20.
    pub max_errors_shown: usize,
    /// Whether notes about the built-in scheduled-task rule apply (Sysmon-only data, data that
    /// is not Windows events). Default on; a session turns it off for any other query.
    pub rule_notes: bool,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        Self {
            format: Format::Auto,
            file_name: None,
            time_zone: "UTC".to_string(),
            fields: None,
            required_literals: None,
            max_errors_shown: 20,
            rule_notes: true,
        }
    }
}

/// What a reader saw, for the run report.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InputSummary {
    /// The format recognised (or forced); `None` if nothing was recognised.
    pub format: Option<Format>,
    /// Records seen (including unreadable and pre-filtered ones).
    pub records: u64,
    /// Events produced.
    pub events: u64,
    /// Records skipped unparsed by the literal pre-filter (they provably cannot match the query;
    /// counted in `records`, not errors).
    pub prefiltered: u64,
    /// The first `max_errors_shown` errors.
    pub errors: Vec<InputError>,
    /// Every unreadable record, counted.
    pub error_count: u64,
    /// Explanations for the analyst (assumed time zones, truncated search responses, Sysmon-only
    /// data, ...).
    pub notes: Vec<String>,
}

/// A streaming reader for one input file (or paste).
#[derive(Debug)]
pub struct Reader {
    ctx: Ctx,
    pipeline: Pipeline,
    finished: bool,
    rule_notes: bool,
}

impl Reader {
    /// A reader with these options.
    pub fn new(options: ReaderOptions) -> Reader {
        let file = options.file_name.as_deref().map(Arc::<str>::from);
        let ctx = Ctx::new(
            file,
            options.format,
            options.max_errors_shown,
            &options.time_zone,
        );
        let exact = matches!(options.format, Format::Ndjson | Format::Json);
        let prefilter = options
            .required_literals
            .as_deref()
            .and_then(|lits| prefilter::Prefilter::new(lits, exact))
            .map(Arc::new);
        let projection = options.fields.as_ref().map(|fields| {
            let paths = fields.iter().map(String::as_str);
            Arc::new(Projection::new(
                paths.chain(shapes::READER_FIELDS.iter().copied()),
            ))
        });
        let mut reader = Reader {
            ctx,
            pipeline: Pipeline::new(
                Settings {
                    prefilter,
                    projection,
                },
                0,
            ),
            finished: false,
            rule_notes: options.rule_notes,
        };
        if options.format != Format::Auto {
            reader.ctx.detected = Some(options.format);
        }
        reader
    }

    /// Feeds the next bytes (any chunking; records may span chunks). Events completed by these
    /// bytes are appended to `out`, in input order.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<Event>) {
        if !self.finished && !chunk.is_empty() {
            self.pipeline.push(chunk, &mut self.ctx, out);
        }
    }

    /// [`push`](Self::push), taking the bytes out of `chunk`: it is left empty, perhaps with
    /// another allocation's capacity, ready for the caller's next read. NDJSON lines are read
    /// where they are instead of copied into the reader's buffer.
    pub fn push_buf(&mut self, chunk: &mut Vec<u8>, out: &mut Vec<Event>) {
        if !self.finished && !chunk.is_empty() {
            self.pipeline.push_buf(chunk, &mut self.ctx, out);
        }
        chunk.clear();
    }

    /// Ends the input: flushes the last record (and buffered JSON documents). Idempotent.
    pub fn finish(&mut self, out: &mut Vec<Event>) {
        if self.finished {
            return;
        }
        self.finished = true;
        self.pipeline.finish(&mut self.ctx, out);
        // Skipped records known to be events (not Sysmon's) count as events here.
        let events = self.ctx.events + self.ctx.skipped_events;
        if self.rule_notes && events > 0 && self.ctx.sysmon == events {
            self.ctx.note(
                "this is Sysmon data only: Sysmon has no scheduled-task event, so the rule (Security \
                 4698/4699) cannot match it. Export the Security log (4698/4699) instead",
            );
        }
        if self.rule_notes && events > 0 && self.ctx.eventlike == 0 {
            self.ctx.note(
                "no record has both @timestamp and an event identity (event.action, event.code or \
                 winlog.event_id): this does not look like Windows event data. Export the \
                 Security events (Elasticsearch NDJSON/JSON, Kibana Discover CSV, .evtx or event \
                 XML) instead",
            );
        }
        if self.ctx.detected.is_none() && self.ctx.records == 0 {
            self.ctx.note("the input is empty");
        }
    }

    /// The format recognised (or forced), once known.
    pub fn detected(&self) -> Option<Format> {
        self.ctx.detected
    }

    /// The first `max_errors_shown` unreadable records.
    pub fn errors(&self) -> &[InputError] {
        &self.ctx.errors
    }

    /// How many records were unreadable.
    pub fn error_count(&self) -> u64 {
        self.ctx.error_count
    }

    /// Notes for the analyst (assumptions made, truncated exports, unusable data explained).
    pub fn notes(&self) -> &[String] {
        &self.ctx.notes
    }

    /// Bytes the framers have looked at so far (scanned for record boundaries, or parsed).
    /// Not a stable API: the linearity tests read it.
    #[doc(hidden)]
    pub fn bytes_examined(&self) -> u64 {
        self.ctx.examined
    }

    /// The summary so far.
    pub fn summary(&self) -> InputSummary {
        InputSummary {
            format: self.ctx.detected,
            records: self.ctx.records,
            events: self.ctx.events,
            prefiltered: self.ctx.prefiltered,
            errors: self.ctx.errors.clone(),
            error_count: self.ctx.error_count,
            notes: self.ctx.notes.clone(),
        }
    }
}

/// Decodes a scheduled task's TaskContent XML into the System integration's
/// `winlog.scheduled_task` shape; `None` when it is empty or unreadable.
pub(crate) fn decode_task(
    content: &str,
    task_name: Option<&str>,
) -> Option<serde_json::Map<String, serde_json::Value>> {
    taskxml::parse(content, task_name)
}

/// Reads a whole input at once (tests, small pastes).
pub fn read_all(bytes: &[u8], options: ReaderOptions) -> (Vec<Event>, InputSummary) {
    let mut reader = Reader::new(options);
    let mut out = Vec::new();
    reader.push(bytes, &mut out);
    reader.finish(&mut out);
    (out, reader.summary())
}
