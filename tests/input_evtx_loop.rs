//! Chunks crafted to make an EVTX parser go round without end (the evtx crate's looping and
//! recursing inputs, omerbenamram/evtx#290, #288, #263): a template that instantiates itself,
//! and a few hundred bytes that expand to 16^7 elements. Reading them must end with what could
//! not be read reported, with its record number and offset, and the records beside them kept.
//! The same files run under wasm in Node (tests/wasm.rs), where no watchdog stops a loop.

use crate::evtx_synth::{evtx_file, exponential_record, plain_record, self_template_record};
use eqlite::input::{read_all, Format, InputSummary, ReaderOptions};
use eqlite::Event;
use std::sync::mpsc;
use std::time::Duration;

/// Reads `bytes` as EVTX on another thread; fails the test if that takes more than 60 s (a
/// debug build reads these files in well under a second).
fn read_within_deadline(bytes: Vec<u8>) -> (Vec<Event>, InputSummary) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let opts = ReaderOptions {
            format: Format::Evtx,
            ..ReaderOptions::default()
        };
        let _ = tx.send(read_all(&bytes, opts));
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("reading the crafted EVTX did not end within 60 s")
}

fn records(events: &[Event]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| e.provenance().record)
        .collect()
}

#[test]
fn a_template_that_instantiates_itself_is_reported_and_its_neighbours_read() {
    let file = evtx_file(&[&plain_record, &self_template_record, &plain_record]);
    let (events, summary) = read_within_deadline(file);
    assert_eq!(records(&events), [1, 3]);
    assert_eq!(summary.error_count, 1, "{:?}", summary.errors);
    let e = &summary.errors[0];
    assert_eq!(e.record, Some(2));
    assert!(e.offset.is_some(), "the unreadable record's offset: {e:?}");
    assert!(e.reason.contains("template"), "{}", e.reason);
}

#[test]
fn an_exponential_expansion_stops_at_the_work_budget_with_a_reported_error() {
    let huge = |at| exponential_record(at, 16, 7);
    let small = |at| exponential_record(at, 2, 2);
    let file = evtx_file(&[&plain_record, &huge, &plain_record, &small]);
    let (events, summary) = read_within_deadline(file);
    // The small expansion renders (4 copies of "x"), but is no Windows event.
    assert_eq!(records(&events), [1, 3]);
    let reasons: Vec<(Option<u64>, &str)> = summary
        .errors
        .iter()
        .map(|e| (e.record, e.reason.as_str()))
        .collect();
    assert_eq!(summary.error_count, 2, "{reasons:?}");
    assert_eq!(reasons[0].0, Some(2));
    assert!(
        reasons[0].1.contains("cannot be rendered") && reasons[0].1.contains("nodes"),
        "the budget that stopped it is named: {}",
        reasons[0].1
    );
    assert!(summary.errors[0].offset.is_some());
    assert_eq!(reasons[1], (Some(4), "EVTX record has no Event element"));
}

/// A chunk packed with expansions: each is stopped by the per-record budget, and the chunk's
/// own budget bounds the rest, so the chunk ends quickly. Records past the chunk's budget are
/// lost (a crafted chunk, not a damaged one, spends it) but each is reported, naming the
/// budget: every record is accounted for.
#[test]
fn a_chunk_full_of_expansions_ends_and_accounts_for_every_record() {
    let huge = |at| exponential_record(at, 16, 7);
    let many: Vec<&dyn Fn(u32) -> Vec<u8>> =
        std::iter::repeat_n(&huge as &dyn Fn(u32) -> Vec<u8>, 150)
            .chain([&plain_record as &dyn Fn(u32) -> Vec<u8>])
            .collect();
    let (events, summary) = read_within_deadline(evtx_file(&many));
    assert_eq!(summary.records, 151);
    assert_eq!(summary.error_count + events.len() as u64, 151);
    let last = summary.errors.last().expect("errors are listed");
    assert!(
        last.reason.contains("spent its render budget") && last.offset.is_some(),
        "{last:?}"
    );
}
