//! Recovery of records from EVTX chunks the normal path rejects: a chunk whose header or record
//! checksum fails, whose header signature is gone, or inside which the file ends.
//!
//! Each record frames itself: the `**\0\0` signature, its size, and a copy of the size in its
//! last four bytes. [`scan`] finds the records whose framing checks out. [`prepare`] then gives
//! the chunk a header the `evtx` crate can walk: the chunk's own when its checksum holds (its
//! string and template tables included), else one rebuilt from the framed records. A truncated
//! chunk is cut back to the end of its last whole record, so the crate never reads into the cut.
//! Rendering is still the crate's, so a record whose BinXML does not parse is reported, not
//! guessed at; the records that are read are marked `recovered` in their provenance.

use evtx::{checksum_ieee, EvtxChunkData};

/// The record signature.
const RECORD_MAGIC: &[u8; 4] = b"**\0\0";
/// The chunk signature.
pub(crate) const CHUNK_MAGIC: &[u8; 8] = b"ElfChnk\0";
/// The chunk header (with its string and template tables).
pub(crate) const CHUNK_HEADER: usize = 512;
/// Signature, size, record id, time written.
const RECORD_HEADER: usize = 24;
/// The smallest record: its header and the trailing size copy.
pub(crate) const MIN_RECORD: usize = RECORD_HEADER + 4;
/// Where the string table sits in the chunk header (64 offsets).
const STRING_TABLE: std::ops::Range<usize> = 128..384;

/// One record whose framing checks out, by its offset in the chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Framed {
    pub start: usize,
    pub size: usize,
    pub id: u64,
}

impl Framed {
    pub fn end(&self) -> usize {
        self.start + self.size
    }
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    let bytes = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

fn u64_at(data: &[u8], at: usize) -> Option<u64> {
    let bytes = data.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(bytes.try_into().ok()?))
}

/// The record framed at `start`, if its signature, size and trailing size copy check out and it
/// ends within `data`.
fn framed_at(data: &[u8], start: usize) -> Option<Framed> {
    if data.get(start..start.checked_add(4)?)? != RECORD_MAGIC {
        return None;
    }
    let size = usize::try_from(u32_at(data, start + 4)?).ok()?;
    if size < MIN_RECORD {
        return None;
    }
    let end = start.checked_add(size)?;
    if end > data.len() || u32_at(data, end - 4)? != u32::try_from(size).ok()? {
        return None;
    }
    Some(Framed {
        start,
        size,
        id: u64_at(data, start + 8)?,
    })
}

/// The records after the chunk header whose framing checks out, in order and not overlapping:
/// past a framed record the scan goes on at its end, past anything else at the next signature.
pub(crate) fn scan(data: &[u8]) -> Vec<Framed> {
    let mut found = Vec::new();
    let mut from = CHUNK_HEADER;
    while let Some(rest) = data.get(from..) {
        let Some(hit) = memchr::memmem::find(rest, RECORD_MAGIC) else {
            break;
        };
        let start = from + hit;
        match framed_at(data, start) {
            Some(record) => {
                from = record.end();
                found.push(record);
            }
            None => from = start + 1,
        }
    }
    found
}

/// Without a header to say where the free space starts, keeps the run of records the chunk's
/// live ones can be: ids rising from the first framed record, each by no more than the records
/// that fit in the bytes skipped since the one before. Stale records of the chunk's earlier use
/// (whose ids belong to another stretch of the log) end the run.
fn live_run(framed: &mut Vec<Framed>) {
    let mut keep = framed.len().min(1);
    for pair in framed.windows(2) {
        let [before, next] = pair else { break };
        let skipped = next.start.saturating_sub(before.end()) / MIN_RECORD;
        let step = next.id.wrapping_sub(before.id);
        if next.id <= before.id || step > skipped as u64 + 1 {
            break;
        }
        keep += 1;
    }
    framed.truncate(keep);
}

/// Whether the chunk header's own CRC32 (bytes 0..120 and 128..512) holds.
pub(crate) fn header_intact(data: &[u8]) -> bool {
    let (Some(head), Some(tables), Some(stored)) = (
        data.get(..120),
        data.get(128..CHUNK_HEADER),
        u32_at(data, 124),
    ) else {
        return false;
    };
    let mut both = Vec::with_capacity(CHUNK_HEADER - 8);
    both.extend_from_slice(head);
    both.extend_from_slice(tables);
    data.starts_with(CHUNK_MAGIC) && checksum_ieee(&both) == stored
}

/// Writes a header the crate can walk over `records`: signature, record numbers and ids,
/// the last record's offset, the free space after the last record, no flags. The string table
/// is kept when `keep_tables` (the crate falls back to reading names in place without it).
fn rebuild_header(data: &mut [u8], records: &[Framed], keep_tables: bool) {
    let (Some(first), Some(last)) = (records.first(), records.last()) else {
        return;
    };
    let low = records.iter().map(|r| r.id).min().unwrap_or(first.id);
    let mut put = |at: usize, bytes: &[u8]| {
        if let Some(slot) = data.get_mut(at..at + bytes.len()) {
            slot.copy_from_slice(bytes);
        }
    };
    put(0, CHUNK_MAGIC);
    for at in [8, 24] {
        put(at, &low.to_le_bytes());
    }
    for at in [16, 32] {
        put(at, &last.id.to_le_bytes());
    }
    put(40, &128u32.to_le_bytes());
    let offset = |n: usize| u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes();
    put(44, &offset(last.start));
    put(48, &offset(last.end()));
    put(120, &0u32.to_le_bytes());
    if !keep_tables {
        if let Some(tables) = data.get_mut(128..CHUNK_HEADER) {
            tables.fill(0);
        }
    }
}

/// A damaged chunk made ready for the crate, and what was done to it.
pub(crate) struct Prepared {
    pub chunk: Option<EvtxChunkData>,
    /// The records whose framing checks out.
    pub framed: Vec<Framed>,
    /// How many records the chunk's own (intact) header says it holds.
    pub expected: Option<u64>,
    /// The header was rebuilt from the framed records.
    pub rebuilt: bool,
    /// Bytes kept (a truncated chunk is cut back to its last whole record).
    pub kept: usize,
}

/// Readies a damaged or truncated chunk's bytes for the crate (see the module docs).
pub(crate) fn prepare(mut data: Vec<u8>, truncated: bool) -> Prepared {
    let mut framed = scan(&data);
    let intact = header_intact(&data);
    let expected = if intact {
        // The live records end by the free space; past it lie stale ones.
        let free = u32_at(&data, 48).map_or(0, |f| f as usize);
        framed.retain(|r| r.end() <= free);
        let first = u64_at(&data, 8).unwrap_or(0);
        let last = u64_at(&data, 16).unwrap_or(0);
        last.checked_sub(first).map(|d| d.saturating_add(1))
    } else {
        live_run(&mut framed);
        None
    };
    if truncated {
        let end = framed.last().map_or(CHUNK_HEADER, Framed::end);
        data.truncate(end.max(CHUNK_HEADER));
    }
    let rebuilt = !intact;
    if rebuilt {
        let keep_tables = data.starts_with(CHUNK_MAGIC);
        rebuild_header(&mut data, &framed, keep_tables);
    }
    let kept = data.len();
    if framed.is_empty() || data.len() < CHUNK_HEADER {
        return Prepared {
            chunk: None,
            framed,
            expected,
            rebuilt,
            kept,
        };
    }
    // The crate reads the string table when it builds the chunk; a table that points into the
    // damage or past the cut fails that, and names are then read in place.
    let builds = |mut chunk: EvtxChunkData| {
        let ok = chunk
            .parse(std::sync::Arc::new(evtx::ParserSettings::new()))
            .is_ok();
        ok.then_some(chunk)
    };
    let chunk = match EvtxChunkData::new(data.clone(), false)
        .ok()
        .and_then(builds)
    {
        Some(chunk) => Some(chunk),
        None => {
            if let Some(table) = data.get_mut(STRING_TABLE) {
                table.fill(0);
            }
            EvtxChunkData::new(data, false).ok()
        }
    };
    Prepared {
        chunk,
        framed,
        expected,
        rebuilt,
        kept,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: u64, body: usize) -> Vec<u8> {
        let size = (MIN_RECORD + body) as u32;
        let mut r = RECORD_MAGIC.to_vec();
        r.extend(size.to_le_bytes());
        r.extend(id.to_le_bytes());
        r.extend(0u64.to_le_bytes());
        r.extend(std::iter::repeat(0xab).take(body));
        r.extend(size.to_le_bytes());
        r
    }

    #[test]
    fn scan_finds_framed_records_and_skips_noise() {
        let mut chunk = vec![0u8; CHUNK_HEADER];
        chunk.extend(record(7, 10));
        chunk.extend(b"**\0\0junk");
        let second = chunk.len();
        chunk.extend(record(8, 3));
        // A record whose size copy is wrong is not framed.
        let mut bad = record(9, 5);
        let n = bad.len();
        bad[n - 1] = 0x77;
        chunk.extend(bad);
        let found = scan(&chunk);
        assert_eq!(
            found,
            vec![
                Framed {
                    start: CHUNK_HEADER,
                    size: 38,
                    id: 7
                },
                Framed {
                    start: second,
                    size: 31,
                    id: 8
                }
            ]
        );
        // Cut inside the second record: only the first is whole.
        assert_eq!(scan(&chunk[..second + 20]).len(), 1);
        assert!(scan(&chunk[..100]).is_empty());
    }

    #[test]
    fn rebuilt_header_spans_the_framed_records() {
        let mut chunk = vec![0u8; CHUNK_HEADER];
        chunk.extend(record(3, 4));
        chunk.extend(record(4, 4));
        let p = prepare(chunk, false);
        assert!(p.rebuilt);
        assert_eq!(p.expected, None);
        let header = p.chunk.expect("a walkable chunk").header;
        assert_eq!(
            (
                header.first_event_record_id,
                header.last_event_record_id,
                header.free_space_offset
            ),
            (3, 4, (CHUNK_HEADER + 64) as u32)
        );
    }
}
