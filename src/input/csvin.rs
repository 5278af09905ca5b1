//! CSV exports, parsed incrementally (RFC 4180 with quoted multi-line cells, optional BOM, `,`
//! `;` or tab separators sniffed from the header). The header decides the schema: EvtxECmd,
//! Hayabusa, Sentinel, Defender, Splunk (`_raw`), Event Viewer (explained and refused), else a
//! Kibana Discover report (dotted ECS column names).

use super::ctx::{Ctx, Loc};
use super::format::Format;
use super::kibana;
use super::timefmt::Offset;
use super::{siem, tools};
use crate::event::Event;
use csv_core::{ReadRecordResult, Reader, ReaderBuilder};
use serde_json::{Map, Value};

const MAX_RECORD: usize = 16 << 20;
const MAX_FIELDS: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Schema {
    Kibana,
    EvtxECmd,
    Hayabusa,
    Sentinel,
    Defender,
    Splunk,
}

/// The CSV layer.
#[derive(Debug)]
pub(crate) struct CsvLayer {
    reader: Option<Reader>,
    pending: Vec<u8>,
    field_buf: Vec<u8>,
    used: usize,
    ends: Vec<usize>,
    nends: usize,
    header: Option<Vec<String>>,
    schema: Option<Schema>,
    rejected: bool,
    rows: u64,
    line: u64,
    record_line: u64,
    offset: u64,
    record_offset: u64,
    oversize: bool,
    /// The last byte csv-core consumed: after a `\r` the record ends before its `\n`, which
    /// csv-core consumes as part of the next record.
    last: u8,
}

/// How much of the first line decides the delimiter: the same however the input is pushed.
const SNIFF_LINE: usize = 65536;

fn sniff_delimiter(head: &[u8]) -> u8 {
    let line_end = memchr::memchr(b'\n', head)
        .unwrap_or(head.len())
        .min(SNIFF_LINE);
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for &b in head.iter().take(line_end) {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            for c in counts.iter_mut() {
                if c.0 == b {
                    c.1 += 1;
                }
            }
        }
    }
    counts.iter().max_by_key(|c| c.1).map_or(b',', |c| c.0)
}

impl CsvLayer {
    pub fn new() -> Self {
        Self {
            reader: None,
            pending: Vec::new(),
            field_buf: vec![0; 64 * 1024],
            used: 0,
            ends: vec![0; 256],
            nends: 0,
            header: None,
            schema: None,
            rejected: false,
            rows: 0,
            line: 1,
            record_line: 1,
            offset: 0,
            record_offset: 0,
            oversize: false,
            last: 0,
        }
    }

    pub fn push(&mut self, chunk: &[u8], ctx: &mut Ctx, out: &mut Vec<Event>) {
        // `feed` takes empty input as the end of the stream: an empty push is not that.
        if chunk.is_empty() {
            return;
        }
        if self.reader.is_none() {
            self.pending.extend_from_slice(chunk);
            if memchr::memchr(b'\n', &self.pending).is_none() && self.pending.len() < SNIFF_LINE {
                return;
            }
            let pending = std::mem::take(&mut self.pending);
            self.reader = Some(
                ReaderBuilder::new()
                    .delimiter(sniff_delimiter(&pending))
                    .build(),
            );
            self.feed(&pending, ctx, out);
            return;
        }
        self.feed(chunk, ctx, out);
    }

    pub fn finish(&mut self, ctx: &mut Ctx, out: &mut Vec<Event>) {
        if self.reader.is_none() {
            let pending = std::mem::take(&mut self.pending);
            self.reader = Some(
                ReaderBuilder::new()
                    .delimiter(sniff_delimiter(&pending))
                    .build(),
            );
            self.feed(&pending, ctx, out);
        }
        self.feed(&[], ctx, out);
    }

    fn feed(&mut self, mut input: &[u8], ctx: &mut Ctx, out: &mut Vec<Event>) {
        let at_end = input.is_empty();
        loop {
            let Some(reader) = &mut self.reader else {
                return;
            };
            let (res, nin, nout, nend) = reader.read_record(
                input,
                self.field_buf.get_mut(self.used..).unwrap_or_default(),
                self.ends.get_mut(self.nends..).unwrap_or_default(),
            );
            let (consumed, rest) = input.split_at_checked(nin).unwrap_or((input, &[]));
            self.line += memchr::memchr_iter(b'\n', consumed).count() as u64;
            self.offset += nin as u64;
            if let Some(&last) = consumed.last() {
                self.last = last;
            }
            input = rest;
            self.used += nout;
            self.nends += nend;
            match res {
                ReadRecordResult::InputEmpty => {
                    // Mid-stream: wait for more bytes. At the end csv-core answers with the last
                    // record and then `End`; this guard only stops a loop that made no progress.
                    if !at_end || (nin == 0 && nout == 0 && nend == 0) {
                        return;
                    }
                }
                ReadRecordResult::OutputFull => {
                    if self.field_buf.len() >= MAX_RECORD {
                        self.oversize = true;
                        self.used = 0;
                        self.nends = 0;
                    } else {
                        let n = self.field_buf.len() * 2;
                        self.field_buf.resize(n, 0);
                    }
                }
                ReadRecordResult::OutputEndsFull => {
                    if self.ends.len() >= MAX_FIELDS {
                        self.oversize = true;
                        self.used = 0;
                        self.nends = 0;
                    } else {
                        let n = self.ends.len() * 2;
                        self.ends.resize(n, 0);
                    }
                }
                ReadRecordResult::Record => {
                    self.record(ctx, out);
                    self.used = 0;
                    self.nends = 0;
                    let crlf = u64::from(self.last == b'\r');
                    self.record_line = self.line + crlf;
                    self.record_offset = self.offset + crlf;
                }
                ReadRecordResult::End => return,
            }
        }
    }

    fn record(&mut self, ctx: &mut Ctx, out: &mut Vec<Event>) {
        let loc = Loc {
            line: Some(self.record_line),
            record: Some(self.rows + 1),
            offset: Some(self.record_offset),
        };
        if std::mem::take(&mut self.oversize) {
            self.rows += 1;
            ctx.records += 1;
            ctx.error(
                loc,
                format!(
                    "CSV row larger than {} MiB or {MAX_FIELDS} columns; skipped",
                    MAX_RECORD >> 20
                ),
            );
            return;
        }
        let mut fields = Vec::with_capacity(self.nends);
        let mut start = 0;
        for &end in self.ends.iter().take(self.nends) {
            let end = end.min(self.used);
            let field = self.field_buf.get(start.min(end)..end).unwrap_or_default();
            fields.push(String::from_utf8_lossy(field).into_owned());
            start = end;
        }
        if matches!(fields.as_slice(), [only] if only.trim().is_empty()) {
            return; // blank line
        }
        let Some(header) = &self.header else {
            self.header(fields, ctx);
            return;
        };
        self.rows += 1;
        ctx.records += 1;
        if self.rejected {
            return;
        }
        if fields.len() != header.len() {
            ctx.error(
                loc,
                format!(
                    "CSV row has {} cells but the header has {} columns",
                    fields.len(),
                    header.len()
                ),
            );
            return;
        }
        let schema = self.schema.unwrap_or(Schema::Kibana);
        let result = row(schema, header, fields, ctx.tz);
        match result {
            Ok(docs) => docs.into_iter().for_each(|d| ctx.emit(d, loc, out)),
            Err(e) => ctx.error(loc, e),
        }
    }

    fn header(&mut self, mut fields: Vec<String>, ctx: &mut Ctx) {
        for f in fields.iter_mut() {
            *f = f.trim().trim_end_matches(" [UTC]").to_string();
        }
        let has = |n: &str| fields.iter().any(|f| f == n);
        let schema = if ctx.forced == Format::EvtxECmdCsv
            || (has("EventRecordId") && has("TimeCreated") && has("EventId"))
        {
            Schema::EvtxECmd
        } else if ctx.forced == Format::Hayabusa || (has("Timestamp") && has("RuleTitle")) {
            Schema::Hayabusa
        } else if ctx.forced == Format::SplunkWinEventLog || has("_raw") {
            Schema::Splunk
        } else if ctx.forced == Format::DefenderDeviceEvents
            || (has("ActionType") && has("DeviceName"))
        {
            Schema::Defender
        } else if ctx.forced == Format::Sentinel
            || (has("TimeGenerated") && has("EventID") && has("Computer"))
        {
            Schema::Sentinel
        } else {
            Schema::Kibana
        };
        let format = match schema {
            Schema::Kibana => Format::KibanaCsv,
            Schema::EvtxECmd => Format::EvtxECmdCsv,
            Schema::Hayabusa => Format::Hayabusa,
            Schema::Sentinel => Format::Sentinel,
            Schema::Defender => Format::DefenderDeviceEvents,
            Schema::Splunk => Format::SplunkWinEventLog,
        };
        ctx.detect(format);
        if schema == Schema::Kibana {
            if let Err(reason) = kibana::check_header(&fields) {
                ctx.records += 1;
                ctx.error(
                    Loc {
                        line: Some(1),
                        record: None,
                        offset: Some(0),
                    },
                    reason,
                );
                self.rejected = true;
            } else {
                ctx.note(format!(
                    "Kibana CSV dates carry no time zone; read as {} (time_zone option)",
                    ctx.tz_label
                ));
            }
        }
        self.schema = Some(schema);
        self.header = Some(fields);
    }
}

fn row(
    schema: Schema,
    header: &[String],
    fields: Vec<String>,
    tz: Option<Offset>,
) -> Result<Vec<Map<String, Value>>, String> {
    if schema == Schema::Kibana {
        return kibana::row(header, fields, tz).map(|d| vec![d]);
    }
    let obj: Map<String, Value> = header
        .iter()
        .cloned()
        .zip(fields.into_iter().map(Value::String))
        .collect();
    match schema {
        Schema::EvtxECmd => tools::evtxecmd_json(obj),
        Schema::Hayabusa => tools::hayabusa_json(obj, tz),
        Schema::Sentinel => siem::sentinel(obj, tz),
        Schema::Defender => siem::mde(obj),
        Schema::Splunk => siem::splunk_result(obj, tz),
        Schema::Kibana => Err("unreachable".into()),
    }
}
