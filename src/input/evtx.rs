//! Binary `.evtx` files, read one 64 KiB chunk at a time as bytes arrive (EVTX = a 4 KiB file
//! header + independent 64 KiB chunks), so memory stays at one chunk whatever the file size.
//! Each chunk is checked (magic, CRC32 of header and records) and parsed with the `evtx` crate;
//! a corrupt chunk is reported and skipped and the others are still read. Records are rendered
//! by the crate as JSON and mapped like evtx_dump output: `@timestamp` from
//! `System/TimeCreated/@SystemTime` (not the record header time), `winlog.record_id` from
//! `System/EventRecordID`.

use super::ctx::{Ctx, Loc};
use super::format::Format;
use super::tools::evtx_event;
use crate::event::Event;
use evtx::{EvtxChunkData, ParserSettings};
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
            ctx.records += 1;
            ctx.error(
                self.loc(),
                format!(
                    "EVTX file ends inside chunk {} ({} of {CHUNK} bytes; truncated): its records are lost",
                    self.chunk_no + 1,
                    self.buf.len()
                ),
            );
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
        let chunk_loc = Loc {
            line: None,
            record: None,
            offset: Some(offset),
        };
        let n = self.chunk_no;
        let mut chunk_data = match EvtxChunkData::new(data, true) {
            Ok(c) => c,
            Err(e) => {
                ctx.records += 1;
                ctx.error(
                    chunk_loc,
                    format!("EVTX chunk {n} is corrupt ({e}); its records are skipped"),
                );
                return;
            }
        };
        let mut chunk = match chunk_data.parse(self.settings.clone()) {
            Ok(c) => c,
            Err(e) => {
                ctx.records += 1;
                ctx.error(
                    chunk_loc,
                    format!("EVTX chunk {n} cannot be parsed ({e}); its records are skipped"),
                );
                return;
            }
        };
        for record in chunk.iter() {
            ctx.records += 1;
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    ctx.error(
                        chunk_loc,
                        format!("EVTX chunk {n}: unreadable record ({e})"),
                    );
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
                    ctx.error(loc, format!("EVTX record {id} cannot be rendered ({e})"));
                    continue;
                }
            };
            let mapped = match json.get("Event") {
                Some(Value::Object(event)) => evtx_event(event).map(|w| w.into_ecs()),
                _ => Err("EVTX record has no Event element".to_string()),
            };
            match mapped {
                Ok(doc) => ctx.emit(doc, loc, out),
                Err(e) => ctx.error(loc, e),
            }
        }
    }
}
