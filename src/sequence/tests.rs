//! Matcher tests with hand-built hits: keys are strings, payloads are event ids.

use super::*;

type M = Matcher<&'static str, u32>;

fn matcher(missing: &[bool], maxspan_ms: Option<u64>) -> M {
    Matcher::new(MatcherSpec {
        missing: missing.to_vec(),
        maxspan_ms,
    })
}

/// A hit at `ts` with id `id` (also the input order) matching `stages[i]` under those keys.
fn hit(
    ts: i64,
    id: u32,
    stages: &[&[&'static str]],
    until: &[&'static str],
) -> Hit<&'static str, u32> {
    Hit {
        ordinal: Ordinal {
            timestamp: ts,
            tiebreaker: None,
            input: u64::from(id),
        },
        payload: id,
        stages: stages.iter().map(|keys| keys.to_vec()).collect(),
        until: until.to_vec(),
    }
}

fn run(mut m: M, hits: Vec<Hit<&'static str, u32>>) -> Vec<(&'static str, Vec<Option<u32>>)> {
    let mut out = Vec::new();
    for h in hits {
        m.push(h, &mut out);
    }
    m.finish(&mut out);
    out.into_iter().map(|c| (c.key, c.events)).collect()
}

fn ids(results: &[(&'static str, Vec<Option<u32>>)]) -> Vec<Vec<u32>> {
    results
        .iter()
        .map(|(_, e)| e.iter().map(|x| x.unwrap_or(0)).collect())
        .collect()
}

const A: &[&str] = &["k"];
const NO: &[&str] = &[];

#[test]
fn latest_candidate_wins_and_older_ones_are_consumed() {
    let hits = vec![
        hit(1, 1, &[A, NO], &[]),
        hit(2, 2, &[A, NO], &[]),
        hit(3, 3, &[NO, A], &[]),
        hit(4, 4, &[NO, A], &[]), // nothing left: 1 was consumed with 2
    ];
    assert_eq!(ids(&run(matcher(&[false, false], None), hits)), [[2, 3]]);
}

#[test]
fn maxspan_is_inclusive_and_rejection_consumes() {
    let m = || matcher(&[false, false], Some(300_000));
    let ok = vec![hit(0, 1, &[A, NO], &[]), hit(300_000, 2, &[NO, A], &[])];
    assert_eq!(ids(&run(m(), ok)), [[1, 2]]);
    let late = vec![hit(0, 1, &[A, NO], &[]), hit(300_001, 2, &[NO, A], &[])];
    assert!(run(m(), late).is_empty());
    // The rejected delete consumed the create: a second delete finds nothing.
    let twice = vec![
        hit(0, 1, &[A, NO], &[]),
        hit(300_001, 2, &[NO, A], &[]),
        hit(300_002, 3, &[NO, A], &[]),
    ];
    assert!(run(m(), twice).is_empty());
}

#[test]
fn an_event_can_end_one_sequence_and_start_the_next() {
    let hits = (1..=4)
        .map(|i| hit(i64::from(i), i, &[A, A], &[]))
        .collect();
    assert_eq!(
        ids(&run(matcher(&[false, false], None), hits)),
        [[1, 2], [2, 3], [3, 4]]
    );
}

#[test]
fn maxspan_is_checked_from_the_first_event_at_every_stage() {
    let hits = vec![
        hit(0, 1, &[A, NO, NO], &[]),
        hit(10, 2, &[NO, A, NO], &[]),
        hit(11, 3, &[NO, NO, A], &[]),
    ];
    assert!(run(matcher(&[false, false, false], Some(10)), hits.clone()).is_empty());
    assert_eq!(
        ids(&run(matcher(&[false, false, false], Some(11)), hits)),
        [[1, 2, 3]]
    );
}

#[test]
fn until_between_is_inclusive_but_not_for_the_completing_event() {
    let m = || matcher(&[false, false], None);
    let between = vec![
        hit(1, 1, &[A, NO], &[]),
        hit(2, 2, &[NO, NO], A),
        hit(3, 3, &[NO, A], &[]),
    ];
    assert!(run(m(), between).is_empty());
    let after = vec![
        hit(1, 1, &[A, NO], &[]),
        hit(3, 3, &[NO, A], &[]),
        hit(4, 4, &[NO, NO], A),
    ];
    assert_eq!(ids(&run(m(), after)), [[1, 3]]);
    // A stage-1 document that is also an until document kills its own sequence.
    let own_start = vec![hit(1, 1, &[A, NO], A), hit(3, 3, &[NO, A], &[])];
    assert!(run(m(), own_start).is_empty());
    // A stage-2 document that is also an until document does not block itself.
    let own_end = vec![hit(1, 1, &[A, NO], &[]), hit(3, 3, &[NO, A], A)];
    assert_eq!(ids(&run(m(), own_end)), [[1, 3]]);
    // Until for another key is irrelevant.
    let other = vec![
        hit(1, 1, &[A, NO], &[]),
        hit(2, 2, &[NO, NO], &["x"]),
        hit(3, 3, &[NO, A], &[]),
    ];
    assert_eq!(ids(&run(m(), other)), [[1, 3]]);
}

#[test]
fn one_event_pair_under_several_keys_comes_out_in_key_order() {
    let hits = vec![
        hit(1, 1, &[&["b", "a", "a"], NO], &[]),
        hit(2, 2, &[NO, &["b", "c", "a"]], &[]),
    ];
    let results = run(matcher(&[false, false], None), hits);
    assert_eq!(results.iter().map(|r| r.0).collect::<Vec<_>>(), ["a", "b"]);
}

#[test]
fn results_are_ordered_by_last_event() {
    let hits = vec![
        hit(1, 1, &[&["x"], NO], &[]),
        hit(2, 2, &[&["y"], NO], &[]),
        hit(3, 3, &[NO, &["y"]], &[]),
        hit(4, 4, &[NO, &["x"]], &[]),
    ];
    assert_eq!(
        ids(&run(matcher(&[false, false], None), hits)),
        [[2, 3], [1, 4]]
    );
}

#[test]
fn single_stage_sequences_complete_at_once() {
    let mut m = matcher(&[false], None);
    let mut out = Vec::new();
    m.push(hit(1, 1, &[A], &[]), &mut out);
    assert_eq!(out.len(), 1);
}

#[test]
fn missing_middle_stage() {
    let m = || matcher(&[false, true, false], Some(100));
    let blocked = vec![
        hit(1, 1, &[A, NO, NO], &[]),
        hit(5, 2, &[NO, A, NO], &[]),
        hit(9, 3, &[NO, NO, A], &[]),
    ];
    assert!(run(m(), blocked).is_empty());
    // Same millisecond as a positive event is never "between".
    let edge = vec![
        hit(1, 1, &[A, NO, NO], &[]),
        hit(1, 2, &[NO, A, NO], &[]),
        hit(9, 3, &[NO, NO, A], &[]),
    ];
    assert_eq!(ids(&run(m(), edge)), [[1, 0, 3]]);
    let other_key = vec![
        hit(1, 1, &[A, NO, NO], &[]),
        hit(5, 2, &[NO, &["z"], NO], &[]),
        hit(9, 3, &[NO, NO, A], &[]),
    ];
    assert_eq!(ids(&run(m(), other_key)), [[1, 0, 3]]);
}

#[test]
fn missing_leading_stage_looks_back_maxspan() {
    let m = || matcher(&[true, false, false], Some(100));
    let recent = vec![
        hit(0, 1, &[A, NO, NO], &[]),
        hit(50, 2, &[NO, A, NO], &[]),
        hit(60, 3, &[NO, NO, A], &[]),
    ];
    assert!(run(m(), recent).is_empty());
    // lastPositive - lastLeading > maxspan: the leading hit is too old to matter.
    let old = vec![
        hit(0, 1, &[A, NO, NO], &[]),
        hit(95, 2, &[NO, A, NO], &[]),
        hit(101, 3, &[NO, NO, A], &[]),
    ];
    assert_eq!(ids(&run(m(), old)), [[0, 2, 3]]);
}

#[test]
fn missing_trailing_stage_waits_for_its_window() {
    let m = || matcher(&[false, false, true], Some(100));
    let mut matcher = m();
    let mut out = Vec::new();
    matcher.push(hit(0, 1, &[A, NO, NO], &[]), &mut out);
    matcher.push(hit(10, 2, &[NO, A, NO], &[]), &mut out);
    matcher.push(hit(100, 3, &[NO, NO, NO], &[]), &mut out);
    assert!(out.is_empty(), "undecided until the window is over");
    assert_eq!(matcher.open_sequences(), 1);
    matcher.push(hit(101, 4, &[NO, NO, NO], &[]), &mut out);
    assert_eq!(out.len(), 1);

    let trailing_hit = vec![
        hit(0, 1, &[A, NO, NO], &[]),
        hit(10, 2, &[NO, A, NO], &[]),
        hit(100, 3, &[NO, NO, A], &[]),
    ];
    assert!(run(m(), trailing_hit).is_empty());
    let too_late = vec![
        hit(0, 1, &[A, NO, NO], &[]),
        hit(10, 2, &[NO, A, NO], &[]),
        hit(101, 3, &[NO, NO, A], &[]),
    ];
    assert_eq!(ids(&run(m(), too_late)), [[1, 2, 0]]);
    // Decided at finish when the stream ends inside the window.
    let short = vec![hit(0, 1, &[A, NO, NO], &[]), hit(10, 2, &[NO, A, NO], &[])];
    assert_eq!(ids(&run(m(), short)), [[1, 2, 0]]);
}

#[test]
fn a_waiting_sequence_holds_back_later_results_to_keep_order() {
    let mut m = matcher(&[false, true], Some(100));
    let mut out = Vec::new();
    m.push(hit(0, 1, &[A, NO], &[]), &mut out);
    m.push(hit(50, 2, &[&["other"], NO], &[]), &mut out);
    assert!(out.is_empty());
    m.push(hit(101, 3, &[NO, NO], &[]), &mut out);
    assert_eq!(out.iter().map(|c| c.key).collect::<Vec<_>>(), ["k"]);
    m.finish(&mut out);
    assert_eq!(
        out.iter().map(|c| c.key).collect::<Vec<_>>(),
        ["k", "other"]
    );
}

#[test]
fn both_ends_missing_needs_a_free_window() {
    let m = || matcher(&[true, false, true], Some(100));
    let both = vec![
        hit(0, 1, &[A, NO, NO], &[]),
        hit(50, 2, &[NO, A, NO], &[]),
        hit(90, 3, &[NO, NO, A], &[]),
    ];
    assert!(run(m(), both).is_empty());
    let only_trailing = vec![hit(50, 2, &[NO, A, NO], &[]), hit(90, 3, &[NO, NO, A], &[])];
    assert_eq!(ids(&run(m(), only_trailing)), [[0, 2, 0]]);
}

#[test]
fn state_follows_open_sequences_not_input_size() {
    let mut m: Matcher<u64, u32> = Matcher::new(MatcherSpec {
        missing: vec![false, false],
        maxspan_ms: Some(300_000),
    });
    let mut out = Vec::new();
    let mut peak = 0;
    for i in 0..1_000_000u64 {
        let h = Hit {
            ordinal: Ordinal {
                timestamp: i as i64 * 1000,
                tiebreaker: None,
                input: i,
            },
            payload: 0,
            stages: vec![vec![i], vec![]],
            until: vec![],
        };
        m.push(h, &mut out);
        peak = peak.max(m.tracked_keys());
    }
    assert!(out.is_empty());
    // One new key per second, maxspan 300 s, swept once per maxspan: at most ~2 windows.
    assert!(peak <= 601, "peak {peak}");
}

#[test]
fn the_open_sequence_cap_refuses_new_partials_and_counts_them() {
    let mut m = matcher(&[false, false], None).with_max_open(Some(2));
    let mut out = Vec::new();
    for (i, key) in ["a", "b", "c", "a"].into_iter().enumerate() {
        let id = i as u32 + 1;
        m.push(hit(i64::from(id), id, &[&[key], NO], &[]), &mut out);
    }
    // "c" was refused; the second "a" replaced the first (no growth).
    assert_eq!((m.open_sequences(), m.refused()), (2, 1));
    m.push(hit(9, 9, &[NO, &["a", "b", "c"]], &[]), &mut out);
    m.finish(&mut out);
    assert_eq!(ids(&run_out(out)), [[4, 9], [2, 9]]);
}

fn run_out(out: Vec<Completed<&'static str, u32>>) -> Vec<(&'static str, Vec<Option<u32>>)> {
    out.into_iter().map(|c| (c.key, c.events)).collect()
}
