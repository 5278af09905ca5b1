//! Property tests: the answer does not depend on how the input is pushed or on disorder within
//! the reorder window.

use eqlite::input::{Reader, ReaderOptions};
use eqlite::{rules, Event, Provenance, Query};
use proptest::prelude::*;
use serde_json::{json, Value};

const WINDOW_MS: u64 = 60_000;

/// Generated seed-rule events: (timestamp gap in ms, host, task, action, user).
fn events() -> impl Strategy<Value = Vec<Value>> {
    let one = (1u64..200_000, 0..2usize, 0..2usize, 0..3usize, 0..3usize);
    prop::collection::vec(one, 0..60).prop_map(|items| {
        let mut ts: u64 = 1_700_000_000_000;
        items
            .into_iter()
            .enumerate()
            .map(|(id, (gap, host, task, action, user))| {
                ts += gap; // strictly increasing: no ties, so input order never decides
                let action = [
                    "scheduled-task-created",
                    "scheduled-task-deleted",
                    "scheduled-task-updated",
                ][action];
                let (host, task) = (["H1", "H2"][host], ["\\a", "\\b"][task]);
                let mut e = json!({
                    "id": id,
                    "@timestamp": ts,
                    "event": {"category": "iam", "action": action},
                    "winlog": {"computer_name": host, "event_data": {"TaskName": task}},
                });
                if user < 2 {
                    let name = ["alice", "H1$"][user];
                    e["user"] = json!({ "name": name });
                }
                e
            })
            .collect()
    })
}

fn answer(
    query: &Query,
    window: Option<u64>,
    events: &[Value],
    batch: usize,
) -> Vec<(Vec<Value>, Vec<Value>)> {
    let mut c = query.correlator().with_reorder_window(window);
    let mut out = Vec::new();
    for chunk in events.chunks(batch.max(1)) {
        for e in chunk {
            out.extend(
                c.push(Event::from_value(e.clone(), Provenance::default()).unwrap())
                    .unwrap(),
            );
        }
    }
    out.extend(c.finish());
    assert_eq!(c.summary().late, 0);
    out.into_iter()
        .map(|m| {
            (
                m.join_keys,
                m.events
                    .iter()
                    .map(|e| e.event.source()["id"].clone())
                    .collect(),
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn shuffling_within_the_window_changes_nothing(events in events(), delays in prop::collection::vec(0..=WINDOW_MS, 60), batch in 1..8usize) {
        let query = Query::new(&rules::builtin().query).unwrap();
        let sorted = answer(&query, Some(WINDOW_MS), &events, 1);
        // Arrival order: each event is delayed by at most the window.
        let mut arrival: Vec<(u64, Value)> = events
            .iter()
            .zip(&delays)
            .map(|(e, d)| (e["@timestamp"].as_u64().unwrap() + d, e.clone()))
            .collect();
        arrival.sort_by_key(|(at, _)| *at);
        let shuffled: Vec<Value> = arrival.into_iter().map(|(_, e)| e).collect();
        prop_assert_eq!(&answer(&query, Some(WINDOW_MS), &shuffled, batch), &sorted);
        prop_assert_eq!(&answer(&query, None, &shuffled, batch), &sorted);
    }

    #[test]
    fn unbounded_window_sorts_any_order(events in events(), seed in any::<u64>()) {
        let query = Query::new(&rules::builtin().query).unwrap();
        let sorted = answer(&query, None, &events, 1);
        let mut shuffled = events.clone();
        // A deterministic Fisher-Yates from the seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(answer(&query, None, &shuffled, 3), sorted);
    }

    #[test]
    fn byte_chunking_changes_nothing(events in events(), cuts in prop::collection::vec(1..400usize, 1..40)) {
        let query = Query::new(&rules::builtin().query).unwrap();
        let expected = answer(&query, None, &events, 1);
        let ndjson: Vec<u8> = events.iter().flat_map(|e| format!("{e}\n").into_bytes()).collect();
        let mut reader = Reader::new(ReaderOptions::default());
        let mut correlator = query.correlator().with_reorder_window(None);
        let (mut parsed, mut results, mut at, mut i) = (Vec::new(), Vec::new(), 0, 0);
        while at < ndjson.len() {
            let end = (at + cuts[i % cuts.len()]).min(ndjson.len());
            reader.push(&ndjson[at..end], &mut parsed);
            for e in parsed.drain(..) {
                results.extend(correlator.push(e).unwrap());
            }
            at = end;
            i += 1;
        }
        reader.finish(&mut parsed);
        for e in parsed.drain(..) {
            results.extend(correlator.push(e).unwrap());
        }
        results.extend(correlator.finish());
        prop_assert_eq!(reader.error_count(), 0);
        let got: Vec<(Vec<Value>, Vec<Value>)> = results
            .into_iter()
            .map(|m| (m.join_keys, m.events.iter().map(|e| e.event.source()["id"].clone()).collect()))
            .collect();
        prop_assert_eq!(got, expected);
    }
}
