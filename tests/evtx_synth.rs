//! Synthetic EVTX files built byte by byte, for inputs no real log holds: chunks crafted to send
//! a parser round in circles. Shared by the native tests (tests/input_evtx_loop.rs) and the
//! wasm32 tests run in Node (tests/wasm.rs), which cannot read ../shared.
//!
//! Layout (libevtx's "Windows XML Event Log (EVTX) format"): a 4 KiB file header, then 64 KiB
//! chunks, each a 512-byte header (with the string and template tables) followed by records:
//! `**\0\0`, size, record id, FILETIME, BinXML, size again.
#![allow(dead_code, clippy::indexing_slicing, clippy::cast_possible_truncation)]

pub const FILE_HEADER: usize = 4096;
pub const CHUNK: usize = 65536;
const CHUNK_HEADER: usize = 512;

/// CRC-32 (IEEE), bitwise.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn put_u16(b: &mut Vec<u8>, v: u16) {
    b.extend_from_slice(&v.to_le_bytes());
}
fn put_u32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}
fn put_u64(b: &mut Vec<u8>, v: u64) {
    b.extend_from_slice(&v.to_le_bytes());
}

/// A file of one chunk holding `records` (each the BinXML of one record, which is given its
/// chunk-relative start so it can point into itself), with valid checksums throughout, so the
/// bytes reach the BinXML parser.
pub fn evtx_file(records: &[&dyn Fn(u32) -> Vec<u8>]) -> Vec<u8> {
    let mut chunk = vec![0u8; CHUNK_HEADER];
    let mut last_record_offset = CHUNK_HEADER as u32;
    for (i, binxml) in records.iter().enumerate() {
        let start = chunk.len() as u32;
        last_record_offset = start;
        // The BinXML starts 24 bytes into the record.
        let body = binxml(start + 24);
        let size = 24 + body.len() as u32 + 4;
        let mut rec = Vec::new();
        rec.extend_from_slice(b"**\0\0");
        put_u32(&mut rec, size);
        put_u64(&mut rec, i as u64 + 1);
        // 2021-01-01T00:00:00Z as a FILETIME.
        put_u64(&mut rec, 132_539_328_000_000_000 + i as u64 * 10_000_000);
        rec.extend_from_slice(&body);
        put_u32(&mut rec, size);
        chunk.extend_from_slice(&rec);
    }
    let free = chunk.len() as u32;
    chunk.resize(CHUNK, 0);
    let n = records.len() as u64;
    chunk[..8].copy_from_slice(b"ElfChnk\0");
    chunk[8..16].copy_from_slice(&1u64.to_le_bytes());
    chunk[16..24].copy_from_slice(&n.to_le_bytes());
    chunk[24..32].copy_from_slice(&1u64.to_le_bytes());
    chunk[32..40].copy_from_slice(&n.to_le_bytes());
    chunk[40..44].copy_from_slice(&128u32.to_le_bytes());
    chunk[44..48].copy_from_slice(&last_record_offset.to_le_bytes());
    chunk[48..52].copy_from_slice(&free.to_le_bytes());
    reseal(&mut chunk);

    let mut file = Vec::new();
    file.extend_from_slice(b"ElfFile\0");
    put_u64(&mut file, 0); // first chunk
    put_u64(&mut file, 0); // last chunk
    put_u64(&mut file, n + 1); // next record id
    put_u32(&mut file, 128); // header size
    put_u16(&mut file, 1); // minor version
    put_u16(&mut file, 3); // major version
    put_u16(&mut file, FILE_HEADER as u16); // header block size
    put_u16(&mut file, 1); // chunk count
    file.resize(120, 0);
    put_u32(&mut file, 0); // flags
    let crc = crc32(&file[..120]);
    put_u32(&mut file, crc);
    file.resize(FILE_HEADER, 0);
    file.extend_from_slice(&chunk);
    file
}

/// Re-computes a chunk's record and header checksums.
pub fn reseal(chunk: &mut [u8]) {
    let free = u32::from_le_bytes([chunk[48], chunk[49], chunk[50], chunk[51]]) as usize;
    let data_crc = crc32(&chunk[CHUNK_HEADER..free.clamp(CHUNK_HEADER, chunk.len())]);
    chunk[52..56].copy_from_slice(&data_crc.to_le_bytes());
    let mut header = chunk[..120].to_vec();
    header.extend_from_slice(&chunk[128..CHUNK_HEADER]);
    chunk[124..128].copy_from_slice(&crc32(&header).to_le_bytes());
}

/// An inline element name at chunk offset `at`: next-string link, hash, length, UTF-16, NUL.
fn name(b: &mut Vec<u8>, text: &str) {
    put_u32(b, 0);
    put_u16(b, 0);
    put_u16(b, text.encode_utf16().count() as u16);
    for unit in text.encode_utf16() {
        put_u16(b, unit);
    }
    put_u16(b, 0);
}

/// A well-formed record: `<Event><System><EventID>4698</EventID></System></Event>` written as
/// plain BinXML (no template), so a file can hold a record that reads next to a crafted one.
pub fn plain_record(start: u32) -> Vec<u8> {
    let mut b = vec![0x0F, 0x01, 0x01, 0x00];
    let open = |b: &mut Vec<u8>, tag: &str| {
        // Outside a template definition an element has no dependency identifier.
        b.push(0x01);
        put_u32(b, 0); // element size (not checked by readers)
        let here = start + b.len() as u32 + 4;
        put_u32(b, here);
        name(b, tag);
        b.push(0x02); // close start element
    };
    open(&mut b, "Event");
    open(&mut b, "System");
    open(&mut b, "EventID");
    b.push(0x05); // value text
    b.push(0x01); // string type
    put_u16(&mut b, 4);
    for unit in "4698".encode_utf16() {
        put_u16(&mut b, unit);
    }
    b.extend_from_slice(&[0x04, 0x04, 0x04, 0x00]);
    b
}

/// A record whose template's body is an instance of that same template: expanding it expands
/// it again, without end, unless the parser bounds its work.
pub fn self_template_record(start: u32) -> Vec<u8> {
    let mut b = vec![0x0F, 0x01, 0x01, 0x00];
    b.push(0x0C); // template instance
    b.push(0x01);
    put_u32(&mut b, 0x1234_5678); // template id
    let def = start + b.len() as u32 + 4;
    put_u32(&mut b, def); // the definition follows inline
                          // The definition: next-template link, GUID, size of its fragment, the fragment.
    put_u32(&mut b, 0);
    b.extend_from_slice(&[0xAB; 16]);
    let mut body = vec![0x0F, 0x01, 0x01, 0x00, 0x0C, 0x01];
    body.extend_from_slice(&0x1234_5678u32.to_le_bytes());
    body.extend_from_slice(&def.to_le_bytes());
    // The inner instance's (empty) substitution array, then the end of the fragment.
    body.extend_from_slice(&0u32.to_le_bytes());
    body.push(0x00);
    put_u32(&mut b, body.len() as u32);
    b.extend_from_slice(&body);
    // The outer instance's substitution array: no values.
    put_u32(&mut b, 0);
    b.push(0x00);
    b
}

/// A record that expands to `fanout ^ depth` elements: its template's one element holds
/// `fanout` copies of substitution 0, and substitution 0 is BinXML that instantiates the same
/// template with a smaller BinXML as its substitution 0, `depth` times over (the "billion
/// laughs" shape). A few hundred bytes that never finish rendering unless the parser bounds
/// its work.
pub fn exponential_record(start: u32, fanout: usize, depth: usize) -> Vec<u8> {
    const ID: u32 = 0x0BAD_F00D;
    let mut b = vec![0x0F, 0x01, 0x01, 0x00, 0x0C, 0x01];
    put_u32(&mut b, ID);
    let def = start + b.len() as u32 + 4;
    put_u32(&mut b, def);
    put_u32(&mut b, 0);
    b.extend_from_slice(&[0xCD; 16]);
    // The template's fragment: <E> fanout x %0 </E>.
    let body_start = def + 24;
    let mut body = vec![0x0F, 0x01, 0x01, 0x00, 0x01];
    body.extend_from_slice(&0xFFFFu16.to_le_bytes());
    body.extend_from_slice(&0u32.to_le_bytes());
    let name_at = body_start + body.len() as u32 + 4;
    body.extend_from_slice(&name_at.to_le_bytes());
    name(&mut body, "E");
    body.push(0x02);
    for _ in 0..fanout {
        body.push(0x0D); // normal substitution
        body.extend_from_slice(&0u16.to_le_bytes());
        body.push(0x21); // BinXML
    }
    body.extend_from_slice(&[0x04, 0x00]);
    put_u32(&mut b, body.len() as u32);
    b.extend_from_slice(&body);
    // The innermost value: a string.
    let mut value = Vec::new();
    put_u16(&mut value, 1);
    put_u16(&mut value, u16::from(b'x'));
    let mut value_type = 0x01u8;
    for _ in 0..depth {
        let mut nested = vec![0x0F, 0x01, 0x01, 0x00, 0x0C, 0x01];
        put_u32(&mut nested, ID);
        put_u32(&mut nested, def); // defined already, by the record
        put_u32(&mut nested, 1);
        put_u16(&mut nested, value.len() as u16);
        nested.push(value_type);
        nested.push(0);
        nested.extend_from_slice(&value);
        nested.push(0x00);
        value = nested;
        value_type = 0x21;
    }
    // The record's own substitution array.
    put_u32(&mut b, 1);
    put_u16(&mut b, value.len() as u16);
    b.push(value_type);
    b.push(0);
    b.extend_from_slice(&value);
    b.push(0x00);
    b
}
