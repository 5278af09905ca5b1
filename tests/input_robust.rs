//! No input may panic a reader (a panic in wasm kills the page): every fixture, truncated at many
//! points, with bytes flipped, and pure noise, through every format (auto and forced), in whole
//! and chunked pushes. Each run must also account for its bytes: events or errors, never neither
//! on non-empty damaged input.

use crate::evtx_synth::reseal;
use crate::input_support::*;
use eqlite::input::{read_all, Format, ReaderOptions};
use eqlite::Reader;

/// xorshift64*: deterministic noise without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn project_fixtures() -> Vec<(String, Vec<u8>)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/input");
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap() {
        for f in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            let p = f.unwrap().path();
            out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
        }
    }
    out.sort();
    out
}

/// Reads `bytes` as `format` in pushes of `chunk` bytes, and again whole: nothing may panic,
/// finishing twice changes nothing, and the split must not change what is read (events with
/// their provenance, and every error with its place and reason), nor may empty pushes.
fn run(bytes: &[u8], format: Format, chunk: usize) {
    let read = |chunk: usize| {
        let mut r = Reader::new(ReaderOptions {
            format,
            ..ReaderOptions::default()
        });
        let mut out = Vec::new();
        for c in bytes.chunks(chunk.max(1)) {
            r.push(c, &mut out);
            // An empty push (an empty Uint8Array from JS, say) is no end of input.
            r.push(&[], &mut out);
        }
        r.finish(&mut out);
        let after_first = out.len();
        r.finish(&mut out); // idempotent
        assert_eq!(out.len(), after_first, "a second finish() emitted events");
        (out, r.error_count(), r.errors().to_vec())
    };
    let split = read(chunk);
    if chunk < bytes.len() {
        let whole = read(bytes.len());
        assert_eq!(
            split, whole,
            "{format:?} in chunks of {chunk} bytes reads differently"
        );
    }
}

fn damaged_variants(bytes: &[u8], rng: &mut Rng, n: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for i in 1..=n {
        out.push(bytes[..bytes.len() * i / (n + 1)].to_vec());
        let mut flipped = bytes.to_vec();
        for _ in 0..(1 + rng.below(8)) {
            let at = rng.below(flipped.len());
            if let Some(b) = flipped.get_mut(at) {
                *b = rng.next() as u8;
            }
        }
        out.push(flipped);
    }
    out
}

#[test]
fn truncated_and_flipped_project_fixtures_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let formats: Vec<Format> = Format::all().into_iter().map(|(f, _)| f).collect();
    for (_, bytes) in project_fixtures() {
        for v in damaged_variants(&bytes, &mut rng, 6) {
            run(&v, Format::Auto, 1 + rng.below(700));
            for f in &formats {
                run(&v, *f, v.len().max(1));
            }
        }
    }
}

#[test]
fn noise_never_panics() {
    let mut rng = Rng(42);
    let formats: Vec<Format> = Format::all().into_iter().map(|(f, _)| f).collect();
    let prefixes: [&[u8]; 10] = [
        b"",
        b"ElfFile\0",
        b"\x1f\x8b",
        b"PK\x03\x04",
        b"\xff\xfe",
        b"<Event ",
        b"{\"",
        b"[",
        b"Record 1\n",
        b"11/29/2024 02:11:26 PM\n",
    ];
    for p in prefixes {
        for len in [0usize, 1, 7, 100, 5000, 70_000] {
            let mut v = p.to_vec();
            v.extend((0..len).map(|_| rng.next() as u8));
            for f in &formats {
                run(&v, *f, 1 + rng.below(9000));
            }
        }
    }
}

#[test]
fn damaged_evtx_never_panics_and_reports() {
    let Some(dir) = shared() else { return };
    let bytes =
        std::fs::read(dir.join("fixtures/evtx/smbexec-fast-created-deleted-task.evtx")).unwrap();
    let mut rng = Rng(7);
    for v in damaged_variants(&bytes, &mut rng, 25) {
        run(&v, Format::Auto, 1 + rng.below(70_000));
    }
    // Flips inside the records of the only chunk: the chunk is reported, never silently lost.
    for _ in 0..25 {
        let mut v = bytes.clone();
        let at = 4096 + 512 + rng.below(4000);
        v[at] ^= 1 + (rng.next() as u8 % 255);
        let (events, s) = read_all(&v, ReaderOptions::default());
        assert!(s.error_count > 0 || events.len() == 2, "{s:?}");
    }
}

#[test]
fn damaged_zip_and_gzip_never_panic() {
    let Some(dir) = shared() else { return };
    let bytes = std::fs::read(dir.join("fixtures/otrf/schtask_create.zip")).unwrap();
    let mut rng = Rng(11);
    for v in damaged_variants(&bytes, &mut rng, 8) {
        let (events, s) = read_all(&v, ReaderOptions::default());
        assert!(!events.is_empty() || s.error_count > 0);
    }
    let (_, s) = read_all(&bytes[..bytes.len() / 2], ReaderOptions::default());
    assert!(
        s.errors
            .iter()
            .any(|e| e.reason.contains("zip member ends early")),
        "{:?}",
        s.errors
    );
}

/// Damaged records behind valid checksums: the evtx parser itself sees the garbage. Nothing may
/// panic; what cannot be read is reported.
#[test]
fn evtx_records_damaged_behind_valid_checksums_never_panic() {
    let Some(dir) = shared() else { return };
    let bytes =
        std::fs::read(dir.join("fixtures/evtx/smbexec-fast-created-deleted-task.evtx")).unwrap();
    let (clean, _) = read_all(&bytes, ReaderOptions::default());
    let mut sealed = bytes.clone();
    reseal(&mut sealed[4096..4096 + 65536]);
    assert_eq!(
        read_all(&sealed, ReaderOptions::default()).0,
        clean,
        "re-sealing alone changes nothing"
    );
    let rounds: usize = std::env::var("EQLITE_FUZZ_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1);
    let mut rng = Rng(99);
    for _ in 0..rounds * 60 {
        let mut v = bytes.clone();
        for _ in 0..(1 + rng.below(6)) {
            let at = 4096 + 512 + rng.below(9000);
            v[at] = rng.next() as u8;
        }
        reseal(&mut v[4096..4096 + 65536]);
        let (events, s) = read_all(&v, ReaderOptions::default());
        assert!(
            events.len() == 2 || s.error_count > 0,
            "lost records silently: {s:?}"
        );
    }
}
