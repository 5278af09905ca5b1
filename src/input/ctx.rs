//! State shared by every layer of one reader: the file label, the detected format, the error
//! report (first N kept, all counted), notes for the analyst, and the options.

use super::format::Format;
use super::timefmt::Offset;
use crate::event::{Event, Provenance};
use crate::projection::Projection;
use serde_json::{Map, Value};
use std::fmt;
use std::sync::Arc;

/// One unreadable record (or unreadable stretch of a file): where it was and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// File label, when known.
    pub file: Option<Arc<str>>,
    /// 1-based line number, for line-oriented formats.
    pub line: Option<u64>,
    /// 1-based record number (EVTX record id, array element, CSV row, chunk for EVTX chunks).
    pub record: Option<u64>,
    /// Byte offset of the record in the (decoded) stream.
    pub offset: Option<u64>,
    /// What was wrong, in words an analyst can act on.
    pub reason: String,
}

impl fmt::Display for InputError {
    /// `file:line: reason`, falling back to `file: record N: reason` or `file: offset N: reason`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.as_deref().unwrap_or("<input>");
        match (self.line, self.record, self.offset) {
            (Some(line), _, _) => write!(f, "{file}:{line}: {}", self.reason),
            (None, Some(record), _) => write!(f, "{file}: record {record}: {}", self.reason),
            (None, None, Some(offset)) => write!(f, "{file}: offset {offset}: {}", self.reason),
            _ => write!(f, "{file}: {}", self.reason),
        }
    }
}

impl std::error::Error for InputError {}

/// Where a record sits; turned into a [`Provenance`] or an [`InputError`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Loc {
    pub line: Option<u64>,
    pub record: Option<u64>,
    pub offset: Option<u64>,
}

/// The shared reader state.
#[derive(Debug)]
pub(crate) struct Ctx {
    /// The label records carry (changes per zip member).
    pub file: Option<Arc<str>>,
    /// The format the user forced (`Auto` = recognise).
    pub forced: Format,
    /// The first format recognised.
    pub detected: Option<Format>,
    pub errors: Vec<InputError>,
    pub error_count: u64,
    pub max_errors: usize,
    pub notes: Vec<String>,
    pub records: u64,
    pub events: u64,
    /// Kibana CSV time zone (`None` when the option could not be understood).
    pub tz: Option<Offset>,
    pub tz_label: String,
    /// Events whose channel is Sysmon's, to explain Sysmon-only inputs.
    pub sysmon: u64,
    /// Events with a timestamp and some event identity (`event.action`, `event.code` or
    /// `winlog.event_id`), to explain inputs that are JSON but not events.
    pub eventlike: u64,
    /// Records the literal pre-filter skipped unparsed (they provably cannot match).
    pub prefiltered: u64,
    /// Of those, the ones known to map to an event that is not Sysmon's (EVTX records are
    /// checked before they are skipped), with the `eventlike` ones counted in `eventlike`: the
    /// notes about the data count them as events.
    pub skipped_events: u64,
    /// The `_index` of the Elasticsearch hit being unwrapped, if any.
    pub index: Option<Arc<str>>,
    /// Bytes the framers looked at (scanned for record boundaries or parsed), for the tests that
    /// check the work grows linearly with the input.
    pub examined: u64,
}

impl Ctx {
    pub fn new(file: Option<Arc<str>>, forced: Format, max_errors: usize, tz: &str) -> Self {
        let parsed = Offset::parse(tz);
        let mut ctx = Self {
            file,
            forced,
            detected: None,
            errors: Vec::new(),
            error_count: 0,
            max_errors,
            notes: Vec::new(),
            records: 0,
            events: 0,
            tz: parsed,
            tz_label: tz.to_string(),
            sysmon: 0,
            eventlike: 0,
            prefiltered: 0,
            skipped_events: 0,
            index: None,
            examined: 0,
        };
        if parsed.is_none() {
            ctx.error(
                Loc::default(),
                format!(
                    "time zone {tz:?} is not supported: use UTC or a fixed offset such as +02:00 \
                     (zone-less timestamps are left as written)"
                ),
            );
        }
        ctx
    }

    /// Records the first format seen (later records may differ; mixed files are fine).
    pub fn detect(&mut self, format: Format) {
        if self.detected.is_none() {
            self.detected = Some(format);
        }
    }

    /// Counts an unreadable record and keeps its report if fewer than N are kept.
    pub fn error(&mut self, loc: Loc, reason: impl Into<String>) {
        self.error_count += 1;
        if self.errors.len() < self.max_errors {
            self.errors.push(InputError {
                file: self.file.clone(),
                line: loc.line,
                record: loc.record,
                offset: loc.offset,
                reason: reason.into(),
            });
        }
    }

    /// Adds a note once (notes are explanations, not errors).
    pub fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        if !self.notes.contains(&note) && self.notes.len() < 50 {
            self.notes.push(note);
        }
    }

    /// Emits one normalised document.
    pub fn emit(&mut self, doc: Map<String, Value>, loc: Loc, out: &mut Vec<Event>) {
        self.count(&doc);
        let provenance = self.provenance(loc);
        out.push(Event::new(doc, provenance));
    }

    /// Emits a plain document read through `cover`: `fields` are its projected keys (which
    /// hold what [`Ctx::count`] reads), `json` its text.
    pub fn emit_projected(
        &mut self,
        fields: Map<String, Value>,
        cover: Arc<Projection>,
        json: Box<str>,
        loc: Loc,
        out: &mut Vec<Event>,
    ) {
        self.count(&fields);
        let provenance = self.provenance(loc);
        out.push(Event::projected(fields, cover, json, provenance));
    }

    fn count(&mut self, doc: &Map<String, Value>) {
        if is_sysmon(doc) {
            self.sysmon += 1;
        }
        if super::util::has(doc, "@timestamp")
            && ["event.action", "event.code", "winlog.event_id"]
                .iter()
                .any(|f| super::util::has(doc, f))
        {
            self.eventlike += 1;
        }
        self.events += 1;
    }

    fn provenance(&self, loc: Loc) -> Provenance {
        Provenance {
            file: self.file.clone(),
            line: loc.line,
            record: loc.record,
            offset: loc.offset,
            index: self.index.clone(),
            recovered: false,
        }
    }
}

fn is_sysmon(doc: &Map<String, Value>) -> bool {
    ["winlog.channel", "winlog.provider_name"].iter().any(|f| {
        super::util::str_at(doc, f).is_some_and(|s| s.to_ascii_lowercase().contains("sysmon"))
    })
}
