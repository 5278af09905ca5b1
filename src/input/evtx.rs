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
use super::evtx_recover::{self, CHUNK_MAGIC, MIN_RECORD};
use super::format::Format;
use super::tools::evtx_event;
use crate::event::Event;
use evtx::{EvtxChunk, EvtxChunkData, ParserSettings};
use serde_json::Value;
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
}

impl EvtxLayer {
    pub fn new() -> Self {
        Self {
            buf: Vec::new(),
            header_done: false,
            offset: 0,
            chunk_no: 0,
            settings: Arc::new(ParserSettings::new().validate_checksums(true)),
        }
    }

    pub fn push(&mut self, chunk: &[u8], ctx: &mut Ctx, out: &mut Vec<Event>) {
        self.buf.extend_from_slice(chunk);
        self.drain(ctx, out);
    }

    pub fn finish(&mut self, ctx: &mut Ctx, out: &mut Vec<Event>) {
        self.drain(ctx, out);
        if !self.header_done && !self.buf.is_empty() {
            ctx.records += 1;
            ctx.error(
                self.loc(),
                "EVTX file ends inside its 4 KiB file header (truncated)",
            );
        } else if self.buf.iter().any(|&b| b != 0) {
            // The records wholly before the cut are still there: recover them.
            let data = std::mem::take(&mut self.buf);
            let offset = self.offset;
            self.offset += data.len() as u64;
            self.chunk_no += 1;
            self.recover(data, offset, Damage::Truncated, ctx, out);
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
            let data: Vec<u8> = self.buf.drain(..CHUNK).collect();
            let offset = self.offset;
            self.offset += CHUNK as u64;
            self.chunk_no += 1;
            self.chunk(data, offset, ctx, out);
        }
    }

    fn chunk(&mut self, data: Vec<u8>, offset: u64, ctx: &mut Ctx, out: &mut Vec<Event>) {
        if data.iter().all(|&b| b == 0) {
            return; // Preallocated, never-used chunk.
        }
        let n = self.chunk_no;
        if !data.starts_with(CHUNK_MAGIC) {
            let why = "its ElfChnk signature is missing".to_string();
            return self.recover(data, offset, Damage::Corrupt(why), ctx, out);
        }
        let mut chunk_data = match EvtxChunkData::new(data, false) {
            Ok(c) => c,
            Err(e) => {
                ctx.records += 1;
                ctx.error(
                    chunk_loc(offset),
                    format!("EVTX chunk {n} is corrupt ({e}); its records are skipped"),
                );
                return;
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
            return self.recover(data, offset, Damage::Corrupt(why.to_string()), ctx, out);
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
                    self.records(&mut chunk, offset, None, &mut errors, ctx, out);
                for (loc, reason) in errors {
                    ctx.error(loc, reason);
                }
                // A damaged record header ends the crate's walk early: say how many were lost.
                let seen = read + unreadable;
                if seen < expected {
                    let lost = expected - seen;
                    ctx.records += lost;
                    ctx.error(
                        chunk_loc(offset),
                        format!(
                            "EVTX chunk {n}: {lost} of its {expected} records could not be read \
                             (damaged record header); the chunk's other records were read"
                        ),
                    );
                }
                return;
            }
            Err(e) => e.to_string(),
        };
        let data = std::mem::take(&mut chunk_data.data);
        let why = format!("it cannot be parsed: {parse_error}");
        self.recover(data, offset, Damage::Corrupt(why), ctx, out);
    }

    /// Emits a parsed chunk's records and collects its record errors; returns how many were
    /// read and how many were not. `recovered` (the framed records of a damaged chunk) marks
    /// them as recovered.
    fn records(
        &mut self,
        chunk: &mut EvtxChunk<'_>,
        offset: u64,
        recovered: Option<&[evtx_recover::Framed]>,
        errors: &mut Vec<(Loc, String)>,
        ctx: &mut Ctx,
        out: &mut Vec<Event>,
    ) -> (u64, u64) {
        let n = self.chunk_no;
        let data = chunk.data;
        // Where each record starts, to give an unreadable record its offset: the damaged
        // chunk's framing, or for a sound chunk a scan made at its first unreadable record.
        let mut scanned: Option<Vec<evtx_recover::Framed>> = None;
        let (mut read, mut unreadable) = (0u64, 0u64);
        for record in chunk.iter() {
            // A record takes at least MIN_RECORD bytes, so a walk that yields more items than
            // fit in a chunk is going round: stop it, whatever the input.
            if read + unreadable >= RECORD_BUDGET {
                ctx.records += 1;
                errors.push((
                    chunk_loc(offset),
                    format!(
                        "EVTX chunk {n}: the parser went past its work budget ({RECORD_BUDGET} \
                         records, more than a chunk can hold); the rest of the chunk is skipped"
                    ),
                ));
                break;
            }
            ctx.records += 1;
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
            let json = match record.into_json_value() {
                Ok(j) => j.data,
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
                    let before = out.len();
                    ctx.emit(doc, loc, out);
                    if recovered.is_some() {
                        for event in out.get_mut(before..).into_iter().flatten() {
                            event.provenance_mut().recovered = true;
                        }
                    }
                }
                Err(e) => {
                    unreadable += 1;
                    errors.push((loc, e));
                }
            }
        }
        (read, unreadable)
    }

    /// Reads what can be read of a chunk the normal path rejects (see `evtx_recover`) and
    /// reports what was lost, with offsets.
    fn recover(
        &mut self,
        data: Vec<u8>,
        offset: u64,
        damage: Damage,
        ctx: &mut Ctx,
        out: &mut Vec<Event>,
    ) {
        let n = self.chunk_no;
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
                        self.records(&mut chunk, offset, framed, &mut errors, ctx, out);
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
        ctx.records += lost.max(1);
        ctx.error(chunk_loc(offset), reason);
        for (loc, reason) in errors {
            ctx.error(loc, reason);
        }
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

fn chunk_loc(offset: u64) -> Loc {
    Loc {
        line: None,
        record: None,
        offset: Some(offset),
    }
}
