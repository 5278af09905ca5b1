//! Format detection over every format's seeds: whatever the head of a file looks like, the
//! detector picks a reader (or none) without panicking, and chunking does not change its pick.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let detect = |chunk: usize| {
        let mut reader = eqlite::Reader::new(eqlite::ReaderOptions::default());
        let mut out = Vec::new();
        for piece in data.chunks(chunk.max(1)) {
            reader.push(piece, &mut out);
        }
        reader.finish(&mut out);
        reader.detected()
    };
    assert_eq!(detect(data.len()), detect(7));
});
