//! Truncated and damaged EVTX files: every record that lies wholly before a cut is recovered
//! (marked `recovered` when it sits in the chunk the cut falls in), the loss is reported with
//! its offset, and the built-in rule still finds every pair whose two records survive.

use crate::input_support::*;
use eqlite::{rules, Event, Query};
use std::path::PathBuf;

const FILE_HEADER: usize = 4096;
const CHUNK: usize = 65536;

/// Every EVTX file under ../shared/fixtures (by signature, whatever its name).
fn evtx_fixtures() -> Option<Vec<PathBuf>> {
    let dir = shared()?.join("fixtures");
    let mut found = Vec::new();
    let mut stack = vec![dir];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read(&path).unwrap().starts_with(b"ElfFile\0") {
                found.push(path);
            }
        }
    }
    found.sort();
    assert!(found.len() >= 3, "EVTX fixtures: {found:?}");
    Some(found)
}

fn u32_at(b: &[u8], at: usize) -> usize {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize
}

/// One record as the file lays it out: its extent and id.
#[derive(Debug, Clone, Copy)]
struct Rec {
    chunk: usize,
    start: usize,
    end: usize,
    id: u64,
}

/// The records of every used chunk, walked by the chunk headers and record sizes (independent
/// of the reader under test).
fn layout(bytes: &[u8]) -> Vec<Rec> {
    let mut recs = Vec::new();
    let mut chunk = FILE_HEADER;
    while chunk + CHUNK <= bytes.len() {
        if bytes[chunk..].starts_with(b"ElfChnk\0") {
            let free = chunk + u32_at(bytes, chunk + 48);
            let mut at = chunk + 512;
            while at + 24 <= free && &bytes[at..at + 4] == b"**\0\0" {
                let size = u32_at(bytes, at + 4);
                let id = u64::from_le_bytes(bytes[at + 8..at + 16].try_into().unwrap());
                recs.push(Rec {
                    chunk,
                    start: at,
                    end: at + size,
                    id,
                });
                at += size;
            }
        }
        chunk += CHUNK;
    }
    recs
}

/// The record ids of each match of the built-in rule over `events`, in order.
fn rule_pairs(events: &[Event]) -> Vec<Vec<u64>> {
    let query = Query::new(&rules::builtin().query).expect("the built-in rule compiles");
    let mut correlator = query.correlator();
    let mut matches = Vec::new();
    for e in events {
        matches.extend(correlator.push(e.clone()).unwrap());
    }
    matches.extend(correlator.finish());
    matches
        .iter()
        .map(|m| {
            m.events
                .iter()
                .map(|e| e.event.provenance().record.unwrap())
                .collect()
        })
        .collect()
}

/// Cut points: inside the file header, inside the first chunk's header, at, just before and
/// inside the first records' ends, the middle of the first chunk, inside every later used
/// chunk, and at and just before the last record's end.
fn cuts(bytes: &[u8], recs: &[Rec]) -> Vec<usize> {
    let mut cuts = vec![2000, FILE_HEADER + 200, FILE_HEADER + CHUNK / 2];
    for r in recs.iter().take(3) {
        cuts.extend([r.end, r.end - 1, r.start + 30]);
    }
    let mut chunks: Vec<usize> = recs.iter().map(|r| r.chunk).collect();
    chunks.dedup();
    cuts.extend(chunks.iter().skip(1).map(|c| c + 20_000));
    if let Some(last) = recs.last() {
        cuts.extend([last.end, last.end - 1]);
    }
    cuts.retain(|&c| c < bytes.len());
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

#[test]
fn truncated_evtx_fixtures_keep_every_whole_record_and_pair() {
    let Some(files) = evtx_fixtures() else { return };
    let mut pairs_checked = 0;
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let recs = layout(&bytes);
        let (all, s) = read(&bytes, &name);
        assert_eq!(s.error_count, 0, "{name}: {:?}", s.errors);
        let ids = |events: &[Event]| -> Vec<u64> {
            events
                .iter()
                .map(|e| e.provenance().record.unwrap())
                .collect()
        };
        assert_eq!(
            ids(&all),
            recs.iter().map(|r| r.id).collect::<Vec<_>>(),
            "{name}"
        );
        let full_pairs = rule_pairs(&all);
        for cut in cuts(&bytes, &recs) {
            let label = format!("{name} cut at {cut}");
            let (events, s) = read(&bytes[..cut], &name);
            let whole: Vec<&Rec> = recs.iter().filter(|r| r.end <= cut).collect();
            assert_eq!(
                ids(&events),
                whole.iter().map(|r| r.id).collect::<Vec<_>>(),
                "{label}: {:?}",
                s.errors
            );
            // Records of the chunk the file ends inside are marked recovered, the others not.
            let cut_chunk = FILE_HEADER + (cut.saturating_sub(FILE_HEADER) / CHUNK) * CHUNK;
            for (e, r) in events.iter().zip(&whole) {
                assert_eq!(e.provenance().recovered, r.chunk == cut_chunk, "{label}");
                assert_eq!(e.provenance().offset, Some(r.start as u64 + 24), "{label}");
            }
            // A cut that loses a record says so, at the chunk's offset.
            let lost = recs.iter().filter(|r| r.start < cut && r.end > cut).count()
                + recs.iter().filter(|r| r.start >= cut).count();
            if lost > 0 {
                let truncation: Vec<_> = s
                    .errors
                    .iter()
                    .filter(|e| e.reason.contains("truncated"))
                    .collect();
                assert_eq!(truncation.len(), 1, "{label}: {:?}", s.errors);
                if cut > FILE_HEADER {
                    assert_eq!(truncation[0].offset, Some(cut_chunk as u64), "{label}");
                }
            }
            // The built-in rule still finds every pair whose two records survive.
            let surviving: Vec<Vec<u64>> = full_pairs
                .iter()
                .filter(|p| p.iter().all(|id| whole.iter().any(|r| r.id == *id)))
                .cloned()
                .collect();
            pairs_checked += surviving.len();
            assert_eq!(rule_pairs(&events), surviving, "{label}");
        }
    }
    // The smbexec fixture's create/delete pair survives some cuts (and not others).
    assert!(pairs_checked > 0);
}

fn donpapi() -> Option<Vec<u8>> {
    let path = shared()?.join("fixtures/evtx/donpapi-noise-750-records.evtx");
    Some(std::fs::read(path).unwrap())
}

/// Damage in the middle of a chunk's records (its CRC32 then fails): every record the damage
/// does not touch is recovered and marked, the touched one is reported with its id and offset,
/// and the chunk's account comes first.
#[test]
fn records_around_damage_in_a_chunk_are_recovered() {
    let Some(bytes) = donpapi() else { return };
    let recs = layout(&bytes);
    let chunk = FILE_HEADER + CHUNK;
    let damage = chunk + 40_000..chunk + 40_200;
    let mut bad = bytes.clone();
    for b in &mut bad[damage.clone()] {
        *b ^= 0x5a;
    }
    let (events, s) = read(&bad, "d.evtx");
    let hit: Vec<&Rec> = recs
        .iter()
        .filter(|r| r.start < damage.end && r.end > damage.start)
        .collect();
    assert_eq!(hit.len(), 1, "{hit:?}");
    let expected: Vec<u64> = recs
        .iter()
        .filter(|r| r.id != hit[0].id)
        .map(|r| r.id)
        .collect();
    let got: Vec<u64> = events
        .iter()
        .map(|e| e.provenance().record.unwrap())
        .collect();
    assert_eq!(got, expected);
    for (e, r) in events.iter().zip(recs.iter().filter(|r| r.id != hit[0].id)) {
        assert_eq!(
            e.provenance().recovered,
            r.chunk == chunk,
            "record {}",
            r.id
        );
    }
    assert_eq!(
        error_lines(&s),
        vec![
            format!(
                "d.evtx: offset {chunk}: EVTX chunk 2 is corrupt (its records' CRC32 does not \
                 match): 110 records were recovered (marked recovered in _provenance)"
            ),
            format!(
                "d.evtx: record {}: EVTX chunk 2: record {} cannot be read (Failed to parse \
                 record number {}: Offset 0x00009c41: Tried to read an invalid byte `0x5a` as \
                 binxml value variant)",
                hit[0].id, hit[0].id, hit[0].id
            ),
        ]
    );
    assert_eq!(s.errors[1].offset, Some(hit[0].start as u64));
}

/// A chunk whose header is gone (zeroed: no signature, no string or template table): its
/// records are found by their own framing and all read, names read in place.
#[test]
fn records_of_a_chunk_without_header_are_recovered_by_framing() {
    let Some(bytes) = donpapi() else { return };
    let (all, _) = read(&bytes, "d.evtx");
    let chunk = FILE_HEADER + 2 * CHUNK;
    let mut bad = bytes.clone();
    bad[chunk..chunk + 512].fill(0);
    let (events, s) = read(&bad, "d.evtx");
    assert_eq!(
        error_lines(&s),
        vec![format!(
            "d.evtx: offset {chunk}: EVTX chunk 3 is corrupt (its ElfChnk signature is missing): \
             108 records were recovered (marked recovered in _provenance) by their own framing \
             (the chunk header is not usable)"
        )]
    );
    assert_eq!(events.len(), all.len());
    for (e, a) in events.iter().zip(&all) {
        assert_eq!(e.source(), a.source());
        let in_chunk = a
            .provenance()
            .offset
            .is_some_and(|o| (chunk as u64..(chunk + CHUNK) as u64).contains(&o));
        assert_eq!(e.provenance().recovered, in_chunk);
    }
    assert_eq!(
        events.iter().filter(|e| e.provenance().recovered).count(),
        108
    );
}

/// Recovered records are marked in the result JSON, and only they.
#[test]
fn recovered_is_serialised_only_when_true() {
    let mut p = eqlite::Provenance {
        record: Some(3),
        ..eqlite::Provenance::default()
    };
    assert_eq!(serde_json::to_string(&p).unwrap(), r#"{"record":3}"#);
    p.recovered = true;
    assert_eq!(
        serde_json::to_string(&p).unwrap(),
        r#"{"record":3,"recovered":true}"#
    );
}
