//! Binary `.evtx` files, read one 64 KiB chunk at a time as bytes arrive (EVTX = a 4 KiB file
//! header + independent 64 KiB chunks), so memory stays at one chunk whatever the file size.
//! Each chunk is checked (magic, CRC32 of header and records) and parsed with the `evtx` crate.
//! A corrupt chunk, and the chunk a truncated file ends inside, go to `evtx_recover`: the records
//! whose own framing checks out are read and marked `recovered`, and what was lost is reported
//! with its offset. The other chunks are read as usual. Records are rendered
//! by the crate as JSON and mapped like evtx_dump output: `@timestamp` from
//! `System/TimeCreated/@SystemTime` (not the record header time), `winlog.record_id` from
//! `System/EventRecordID`.

use super::ctx::{Ctx, Loc};
use super::evtx_probe;
use super::evtx_recover::{self, CHUNK_MAGIC, MIN_RECORD};
use super::format::Format;
use super::prefilter::Prefilter;
use super::tools::evtx_event;
use super::util::{after, before, between};
use crate::event::Event;
use evtx::{EvtxChunk, EvtxChunkData, ParserSettings};
use serde_json::{Map, Value};
use std::sync::Arc;

const FILE_HEADER: usize = 4096;
const CHUNK: usize = 65536;

/// The EVTX layer.
#[derive(Debug)]
pub(crate) struct EvtxLayer {
    buf: Vec<u8>,
    /// Whether the 4 KiB file header has been consumed.
    header_done: bool,
    /// Stream offset of `buf[0]`.
    offset: u64,
    chunk_no: u64,
    settings: Arc<ParserSettings>,
    /// The literal pre-filter (mapped mode only; see `Worker::skip`).
    prefilter: Option<Arc<Prefilter>>,
    /// Whole chunks cut from the stream but not read yet (data, offset, chunk number): natively
    /// they are read a batch at a time on several threads.
    pending: Vec<Pending>,
}

/// Chunks gathered before they are read in parallel (native only).
#[cfg(not(target_arch = "wasm32"))]
const BATCH: usize = 6;
#[cfg(target_arch = "wasm32")]
const BATCH: usize = 6;

impl EvtxLayer {
    /// `prefilter` must be a mapped-mode one (not `--format ndjson`'s exact mode).
    pub fn new(prefilter: Option<Arc<Prefilter>>) -> Self {
        Self {
            buf: Vec::new(),
            header_done: false,
            offset: 0,
            chunk_no: 0,
            // Compact JSON: the same values, less text to render and read.
            settings: Arc::new(ParserSettings::new().validate_checksums(true).indent(false)),
            prefilter,
            pending: Vec::new(),
        }
    }

    /// Whole chunks are cut straight from `bytes` (one copy each); only the file header and
    /// a chunk split across pushes go through `buf`.
    pub fn push(&mut self, bytes: &[u8], ctx: &mut Ctx, out: &mut Vec<Event>) {
        let mut rest = bytes;
        if !self.header_done || !self.buf.is_empty() {
            let target = if self.header_done { CHUNK } else { FILE_HEADER };
            let take = target.saturating_sub(self.buf.len()).min(rest.len());
            self.buf.extend_from_slice(before(rest, take));
            rest = after(rest, take);
            self.drain(ctx, out);
            if !self.buf.is_empty() {
                // Short of the header or of a chunk: `rest` is empty.
                return;
            }
        }
        let mut cut = 0;
        while rest.len() - cut >= CHUNK {
            self.cut(between(rest, cut, cut + CHUNK).to_vec(), ctx, out);
            cut += CHUNK;
        }
        self.buf.extend_from_slice(after(rest, cut));
    }

    pub fn finish(&mut self, ctx: &mut Ctx, out: &mut Vec<Event>) {
        self.drain(ctx, out);
        self.flush(ctx, out);
        if !self.header_done && !self.buf.is_empty() {
            ctx.records += 1;
            ctx.error(
                self.loc(),
                "EVTX file ends inside its 4 KiB file header (truncated)",
            );
        } else if !all_zero(&self.buf) {
            // The records wholly before the cut are still there: recover them.
            let data = std::mem::take(&mut self.buf);
            let offset = self.offset;
            self.offset += data.len() as u64;
            self.chunk_no += 1;
            let done = self
                .worker()
                .recover(data, offset, self.chunk_no, Damage::Truncated);
            done.apply(ctx, out);
        }
        self.buf.clear();
    }

    fn loc(&self) -> Loc {
        Loc {
            line: None,
            record: None,
            offset: Some(self.offset),
        }
    }

    fn worker(&self) -> Worker<'_> {
        Worker {
            settings: &self.settings,
            prefilter: self.prefilter.as_deref(),
            scratch: Vec::new(),
        }
    }

    fn drain(&mut self, ctx: &mut Ctx, out: &mut Vec<Event>) {
        if !self.header_done {
            if self.buf.len() < FILE_HEADER {
                return;
            }
            ctx.detect(Format::Evtx);
            if !self.buf.starts_with(b"ElfFile\0") {
                ctx.records += 1;
                ctx.error(
                    self.loc(),
                    "not an EVTX file: the ElfFile signature is missing; reading chunks anyway",
                );
            }
            self.buf.drain(..FILE_HEADER);
            self.offset += FILE_HEADER as u64;
            self.header_done = true;
        }
        while self.buf.len() >= CHUNK {
            let data = if self.buf.len() == CHUNK {
                std::mem::take(&mut self.buf)
            } else {
                let data = between(&self.buf, 0, CHUNK).to_vec();
                self.buf.drain(..CHUNK);
                data
            };
            self.cut(data, ctx, out);
        }
    }

    /// Queues the next whole chunk, reading the queue when it is a batch.
    fn cut(&mut self, data: Vec<u8>, ctx: &mut Ctx, out: &mut Vec<Event>) {
        let offset = self.offset;
        self.offset += CHUNK as u64;
        self.chunk_no += 1;
        self.pending.push((data, offset, self.chunk_no));
        if self.pending.len() >= BATCH {
            self.flush(ctx, out);
        }
    }

    /// Reads the pending chunks and hands their events and errors on in stream order.
    fn flush(&mut self, ctx: &mut Ctx, out: &mut Vec<Event>) {
        let pending = std::mem::take(&mut self.pending);
        for done in self.read_chunks(pending) {
            done.apply(ctx, out);
        }
    }

    /// Reads chunks one after the other.
    #[cfg(target_arch = "wasm32")]
    fn read_chunks(&self, pending: Vec<Pending>) -> Vec<ChunkOut> {
        let mut worker = self.worker();
        pending
            .into_iter()
            .map(|(data, offset, n)| worker.chunk(data, offset, n))
            .collect()
    }

    /// Reads chunks on this thread and the reader's helper threads (`helpers`), each taking
    /// a run of consecutive chunks; the results come back in stream order, so they are the same
    /// as read one by one.
    #[cfg(not(target_arch = "wasm32"))]
    fn read_chunks(&self, pending: Vec<Pending>) -> Vec<ChunkOut> {
        let threads = super::helpers::threads().min(pending.len());
        if threads <= 1 {
            let mut worker = self.worker();
            return pending
                .into_iter()
                .map(|(data, offset, n)| worker.chunk(data, offset, n))
                .collect();
        }
        let per = pending.len().div_ceil(threads);
        let mut jobs: Vec<Box<dyn FnOnce() -> Vec<ChunkOut> + Send>> = Vec::new();
        let mut rest = pending.into_iter().peekable();
        while rest.peek().is_some() {
            let group: Vec<Pending> = rest.by_ref().take(per).collect();
            let (settings, prefilter) = (self.settings.clone(), self.prefilter.clone());
            jobs.push(Box::new(move || {
                let mut worker = Worker {
                    settings: &settings,
                    prefilter: prefilter.as_deref(),
                    scratch: Vec::new(),
                };
                group
                    .into_iter()
                    .map(|(data, offset, n)| worker.chunk(data, offset, n))
                    .collect()
            }));
        }
        super::helpers::run_all(jobs)
            .into_iter()
            .flatten()
            .collect()
    }
}

/// A whole chunk waiting to be read: its bytes, offset and number.
type Pending = (Vec<u8>, u64, u64);

/// What reading one chunk produced, handed on to the reader's state in stream order.
#[derive(Debug, Default)]
struct ChunkOut {
    records: u64,
    prefiltered: u64,
    /// Pre-filtered records that would have mapped to an event (none of them Sysmon's), and
    /// how many of those would have had a `@timestamp` (see `Ctx::skipped_events`).
    skipped_events: u64,
    skipped_eventlike: u64,
    errors: Vec<(Loc, String)>,
    /// Mapped documents, where they were, and whether they were recovered.
    events: Vec<(Map<String, Value>, Loc, bool)>,
}

impl ChunkOut {
    fn apply(self, ctx: &mut Ctx, out: &mut Vec<Event>) {
        ctx.records += self.records;
        ctx.prefiltered += self.prefiltered;
        ctx.skipped_events += self.skipped_events;
        ctx.eventlike += self.skipped_eventlike;
        for (loc, reason) in self.errors {
            ctx.error(loc, reason);
        }
        for (doc, loc, recovered) in self.events {
            let before = out.len();
            ctx.emit(doc, loc, out);
            if recovered {
                for event in out.get_mut(before..).into_iter().flatten() {
                    event.provenance_mut().recovered = true;
                }
            }
        }
    }
}

/// Reads chunks on one thread.
#[derive(Debug)]
struct Worker<'a> {
    settings: &'a Arc<ParserSettings>,
    prefilter: Option<&'a Prefilter>,
    /// The pre-filter's lower-cased copy of a record.
    scratch: Vec<u8>,
}

impl Worker<'_> {
    fn chunk(&mut self, data: Vec<u8>, offset: u64, n: u64) -> ChunkOut {
        let mut done = ChunkOut::default();
        if all_zero(&data) {
            return done; // Preallocated, never-used chunk.
        }
        if !data.starts_with(CHUNK_MAGIC) {
            let why = "its ElfChnk signature is missing".to_string();
            return self.recover(data, offset, n, Damage::Corrupt(why));
        }
        let mut chunk_data = match EvtxChunkData::new(data, false) {
            Ok(c) => c,
            Err(e) => {
                done.records += 1;
                done.errors.push((
                    chunk_loc(offset),
                    format!("EVTX chunk {n} is corrupt ({e}); its records are skipped"),
                ));
                return done;
            }
        };
        let damage = if !chunk_data.validate_header_checksum() {
            Some("its header's CRC32 does not match")
        } else if !chunk_data.validate_data_checksum() {
            Some("its records' CRC32 does not match")
        } else {
            None
        };
        if let Some(why) = damage {
            let data = std::mem::take(&mut chunk_data.data);
            return self.recover(data, offset, n, Damage::Corrupt(why.to_string()));
        }
        let (first, last) = (
            chunk_data.header.first_event_record_number,
            chunk_data.header.last_event_record_number,
        );
        let expected = last.checked_sub(first).map_or(0, |d| d.saturating_add(1));
        let parse_error = match chunk_data.parse(self.settings.clone()) {
            Ok(mut chunk) => {
                let mut errors = Vec::new();
                let (read, unreadable) =
                    self.records(&mut chunk, offset, n, None, &mut errors, &mut done);
                done.errors.append(&mut errors);
                // A damaged record header ends the crate's walk early: say how many were lost.
                let seen = read + unreadable;
                if seen < expected {
                    let lost = expected - seen;
                    done.records += lost;
                    done.errors.push((
                        chunk_loc(offset),
                        format!(
                            "EVTX chunk {n}: {lost} of its {expected} records could not be read \
                             (damaged record header); the chunk's other records were read"
                        ),
                    ));
                }
                return done;
            }
            Err(e) => e.to_string(),
        };
        let data = std::mem::take(&mut chunk_data.data);
        let why = format!("it cannot be parsed: {parse_error}");
        self.recover(data, offset, n, Damage::Corrupt(why))
    }

    /// Maps a parsed chunk's records into `done` and collects its record errors in `errors`;
    /// returns how many were read and how many were not. `recovered` (the framed records of a
    /// damaged chunk) marks them as recovered.
    fn records(
        &mut self,
        chunk: &mut EvtxChunk<'_>,
        offset: u64,
        n: u64,
        recovered: Option<&[evtx_recover::Framed]>,
        errors: &mut Vec<(Loc, String)>,
        done: &mut ChunkOut,
    ) -> (u64, u64) {
        let data = chunk.data;
        // Where each record starts, to give an unreadable record its offset: the damaged
        // chunk's framing, or for a sound chunk a scan made at its first unreadable record.
        let mut scanned: Option<Vec<evtx_recover::Framed>> = None;
        let (mut read, mut unreadable) = (0u64, 0u64);
        for record in chunk.iter() {
            // A record takes at least MIN_RECORD bytes, so a walk that yields more items than
            // fit in a chunk is going round: stop it, whatever the input.
            if read + unreadable >= RECORD_BUDGET {
                done.records += 1;
                errors.push((
                    chunk_loc(offset),
                    format!(
                        "EVTX chunk {n}: the parser went past its work budget ({RECORD_BUDGET} \
                         records, more than a chunk can hold); the rest of the chunk is skipped"
                    ),
                ));
                break;
            }
            done.records += 1;
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    unreadable += 1;
                    let (loc, what) = match &e {
                        evtx::err::EvtxError::FailedToParseRecord { record_id, .. } => (
                            Loc {
                                line: None,
                                record: Some(*record_id),
                                offset: recovered
                                    .unwrap_or_else(|| {
                                        scanned.get_or_insert_with(|| evtx_recover::scan(data))
                                    })
                                    .iter()
                                    .find(|r| r.id == *record_id)
                                    .map(|r| offset + r.start as u64),
                            },
                            format!("record {record_id}"),
                        ),
                        evtx::err::EvtxError::FailedToReadRecordAt { offset: at, .. } => {
                            (chunk_loc(offset + at), "a record".to_string())
                        }
                        _ => (chunk_loc(offset), "a record".to_string()),
                    };
                    errors.push((
                        loc,
                        format!("EVTX chunk {n}: {what} cannot be read ({})", describe(&e)),
                    ));
                    continue;
                }
            };
            let id = record.event_record_id;
            let loc = Loc {
                line: None,
                record: Some(id),
                offset: Some(offset + record.binxml_offset),
            };
            // What `EvtxRecord::into_json_value` does, with the pre-filter between rendering
            // and parsing.
            let json = match record.into_json_bytes() {
                Ok(bytes) => {
                    if self.skip(&bytes.data, done) {
                        read += 1;
                        continue;
                    }
                    bytes.into_string_record().and_then(|text| {
                        serde_json::from_str::<Value>(&text.data).map_err(|e| {
                            evtx::err::EvtxError::from(evtx::err::SerializationError::from(e))
                        })
                    })
                }
                Err(e) => Err(e),
            };
            let json = match json {
                Ok(j) => j,
                Err(e) => {
                    unreadable += 1;
                    errors.push((
                        loc,
                        format!("EVTX record {id} cannot be rendered ({})", describe(&e)),
                    ));
                    continue;
                }
            };
            let mapped = match json.get("Event") {
                Some(Value::Object(event)) => evtx_event(event).map(|w| w.into_ecs()),
                _ => Err("EVTX record has no Event element".to_string()),
            };
            match mapped {
                Ok(doc) => {
                    read += 1;
                    done.events.push((doc, loc, recovered.is_some()));
                }
                Err(e) => {
                    unreadable += 1;
                    errors.push((loc, e));
                }
            }
        }
        (read, unreadable)
    }

    /// Whether a rendered record is skipped: the pre-filter proves it cannot match the query,
    /// and `evtx_probe` proves it would map to an event without an error and is not Sysmon's
    /// (so the reader's errors and notes are what they would be had it been mapped).
    fn skip(&mut self, json: &[u8], done: &mut ChunkOut) -> bool {
        let Some(filter) = self.prefilter else {
            return false;
        };
        if !filter.skips(json, &mut self.scratch) {
            return false;
        }
        let Some(eventlike) = evtx_probe::probe(json, &self.scratch) else {
            return false;
        };
        done.prefiltered += 1;
        done.skipped_events += 1;
        done.skipped_eventlike += u64::from(eventlike);
        true
    }

    /// Reads what can be read of a chunk the normal path rejects (see `evtx_recover`) and
    /// reports what was lost, with offsets.
    fn recover(&mut self, data: Vec<u8>, offset: u64, n: u64, damage: Damage) -> ChunkOut {
        let mut done = ChunkOut::default();
        let len = data.len();
        let truncated = matches!(damage, Damage::Truncated);
        let prepared = evtx_recover::prepare(data, truncated);
        let (mut read, mut unreadable) = (0, 0);
        let mut parse_error = None;
        let mut errors = Vec::new();
        if let Some(mut chunk_data) = prepared.chunk {
            match chunk_data.parse(self.settings.clone()) {
                Ok(mut chunk) => {
                    let framed = Some(prepared.framed.as_slice());
                    (read, unreadable) =
                        self.records(&mut chunk, offset, n, framed, &mut errors, &mut done);
                }
                Err(e) => parse_error = Some(e.to_string()),
            }
        }
        let framed = prepared.framed.len() as u64;
        // Records known to exist but neither read nor reported one by one.
        let known = prepared.expected.unwrap_or(framed).max(framed);
        let lost = known.saturating_sub(read + unreadable);
        let recovered = |before_cut: &str| match read {
            0 => format!("no record{before_cut} could be recovered"),
            1 => format!("1 record{before_cut} was recovered (marked recovered in _provenance)"),
            r => {
                format!("{r} records{before_cut} were recovered (marked recovered in _provenance)")
            }
        };
        let header = if prepared.rebuilt {
            " by their own framing (the chunk header is not usable)"
        } else {
            ""
        };
        let mut reason = match &damage {
            Damage::Truncated => {
                let cut = offset + prepared.kept as u64;
                let lost = match prepared.expected {
                    Some(_) if lost == 0 => String::new(),
                    Some(_) => format!("; {lost} records from offset {cut} on are lost"),
                    None => format!("; what follows offset {cut} is lost"),
                };
                format!(
                    "EVTX file ends inside chunk {n} ({len} of {CHUNK} bytes; truncated): {}\
                     {header}{lost}",
                    recovered(" wholly before the cut")
                )
            }
            Damage::Corrupt(why) => {
                let lost = if lost > 0 {
                    format!("; {lost} could not be read")
                } else {
                    String::new()
                };
                format!(
                    "EVTX chunk {n} is corrupt ({why}): {}{header}{lost}",
                    recovered("")
                )
            }
        };
        if let Some(e) = parse_error {
            reason.push_str(&format!(" (the chunk cannot be parsed: {e})"));
        }
        // The chunk's account first: it may be all a capped error list keeps.
        done.records += lost.max(1);
        done.errors.push((chunk_loc(offset), reason));
        done.errors.append(&mut errors);
        done
    }
}

/// An error and its sources, innermost last: the crate's top-level messages are generic.
fn describe(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(inner) = source {
        parts.push(inner.to_string());
        source = inner.source();
    }
    // Drop the crate's generic wrappers ("An error occurred while trying to ...").
    let len = parts.len();
    let mut kept: Vec<String> = parts
        .into_iter()
        .enumerate()
        .filter(|(i, p)| *i + 1 == len || !p.starts_with("An error occurred"))
        .map(|(_, p)| p)
        .collect();
    kept.dedup();
    kept.join(": ")
}

/// How a chunk is damaged.
#[derive(Debug)]
enum Damage {
    /// The file ends inside it.
    Truncated,
    /// Its signature, header or checksums fail, or the crate cannot build it (why, in words).
    Corrupt(String),
}

/// Items one pass over a chunk may yield: a record takes at least `MIN_RECORD` bytes.
const RECORD_BUDGET: u64 = (CHUNK / MIN_RECORD) as u64 + 1;

/// Whether every byte is zero (a block at a time, so the check vectorises).
fn all_zero(data: &[u8]) -> bool {
    data.chunks(256)
        .all(|block| block.iter().fold(0u8, |acc, &b| acc | b) == 0)
}

fn chunk_loc(offset: u64) -> Loc {
    Loc {
        line: None,
        record: None,
        offset: Some(offset),
    }
}
