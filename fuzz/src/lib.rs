//! What the fuzz targets share: reading bytes as one format in chunkings the input chooses,
//! and the invariants every reader keeps whatever the bytes.

use eqlite::{Format, Reader, ReaderOptions};

/// Reads `data` as `format`, whole and then in chunks of a size taken from its first byte,
/// and checks what must hold for any input: the same events and error count however the bytes
/// are split, and no more errors listed than counted.
pub fn read_both_ways(format: Format, data: &[u8]) {
    let (chunk, data) = match data.split_first() {
        Some((first, rest)) => (usize::from(*first % 64) + 1, rest),
        None => (1, data),
    };
    let whole = read(format, data, data.len().max(1));
    let split = read(format, data, chunk);
    assert_eq!(whole, split, "chunks of {chunk} bytes read differently");
}

/// Events (as JSON with provenance) and the error count.
fn read(format: Format, data: &[u8], chunk: usize) -> (Vec<String>, u64) {
    let mut reader = Reader::new(ReaderOptions {
        format,
        file_name: Some("fuzz".into()),
        ..ReaderOptions::default()
    });
    let mut out = Vec::new();
    for piece in data.chunks(chunk) {
        reader.push(piece, &mut out);
    }
    reader.finish(&mut out);
    assert!(reader.errors().len() as u64 <= reader.error_count());
    let events = out
        .iter()
        .map(|e| format!("{:?} {:?}", e.source(), e.provenance()))
        .collect();
    (events, reader.error_count())
}
