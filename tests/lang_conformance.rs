//! Event (non-sequence) queries of Elasticsearch's EQL QA suite (`test_queries.toml`,
//! `additional_test_queries.toml`) run against `endgame-140.json`, the data set they were
//! written for. Each stage filter is evaluated on each event in ES order (timestamp, then the
//! `serial_event_id` tiebreaker), head/tail are applied, and the ids compared.
//!
//! Mapping as the ES harness indexes the data: `@timestamp` (ms) = `timestamp / 10000 -
//! 11644473600000` (Windows FILETIME), category field `event_type`. Sequence queries are run
//! by the correlator's own conformance test. Agreement may not drop below the number recorded
//! in `tests/data/lang/conformance-floor.txt`.

use eqlite::{Event, Provenance, QueryBuilder, QueryKind, ResultPosition};
use serde_json::Value;
use std::path::PathBuf;

fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("EQLITE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    if dir.join("conformance").is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "shared folder {} missing under CI",
        dir.display()
    );
    eprintln!(
        "skipping: shared folder {} not found (set EQLITE_SHARED)",
        dir.display()
    );
    None
}

struct Case {
    file: &'static str,
    name: String,
    query: String,
    expected: Vec<i64>,
}

fn load_cases(dir: &std::path::Path, files: &[&'static str]) -> Vec<Case> {
    let mut cases = Vec::new();
    for &file in files {
        let text = std::fs::read_to_string(dir.join(file)).expect("read suite");
        // strict TOML rejects `null` in arrays (`join_keys = [null]`); the keys are not used here
        // (the arrays may span several lines)
        let mut in_keys = false;
        let text: String = text
            .lines()
            .filter(|l| {
                if l.trim_start().starts_with("join_keys") {
                    in_keys = true;
                }
                let skip = in_keys;
                if in_keys && l.contains(']') {
                    in_keys = false;
                }
                !skip
            })
            .collect::<Vec<_>>()
            .join("\n");
        let doc: toml::Value = toml::from_str(&text).expect("parse suite");
        let Some(queries) = doc.get("queries").and_then(|q| q.as_array()) else {
            continue;
        };
        for q in queries {
            let query = q
                .get("query")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .trim()
                .to_string();
            let name = q
                .get("name")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string();
            let expected = q
                .get("expected_event_ids")
                .and_then(|v| v.as_array())
                .map(|a| a.iter().filter_map(toml::Value::as_integer).collect())
                .unwrap_or_default();
            cases.push(Case {
                file,
                name,
                query,
                expected,
            });
        }
    }
    cases
}

/// Loads a JSON array of events, derives `@timestamp` from Windows FILETIME `timestamp` where
/// present, and sorts by (timestamp ms, `id_field`) as Elasticsearch orders hits.
fn load_events(dir: &std::path::Path, file: &str, id_field: &str) -> Vec<Event> {
    let text = std::fs::read_to_string(dir.join(file)).expect("read data");
    let Value::Array(items) = serde_json::from_str::<Value>(&text).expect("parse data") else {
        panic!("data is not an array")
    };
    let mut events: Vec<Event> = items
        .into_iter()
        .filter_map(|mut v| {
            if let Some(ts) = v.get("timestamp").and_then(Value::as_i64) {
                v["@timestamp"] = Value::from(ts / 10_000 - 11_644_473_600_000);
            }
            Event::from_value(v, Provenance::default())
        })
        .collect();
    let key = |e: &Event| {
        (
            e.first_value("@timestamp")
                .and_then(|v| {
                    v.as_i64()
                        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                })
                .unwrap_or(i64::MAX),
            e.first_value(id_field)
                .and_then(Value::as_i64)
                .unwrap_or(i64::MAX),
        )
    };
    events.sort_by_key(key);
    events
}

/// Runs the event queries of `files` over `data`; returns (agree, total) and prints every
/// disagreement.
fn run_suite(files: &[&'static str], data: &str, id_field: &str) -> Option<(usize, usize)> {
    let dir = shared_dir()?;
    let conformance = dir.join("conformance/elasticsearch-eql");
    let events = load_events(&conformance, data, id_field);
    let builder = QueryBuilder::new()
        .event_category_field("event_type")
        .tiebreaker_field(Some(id_field));
    let mut total = 0;
    let mut agree = 0;
    let mut report = Vec::new();
    for case in load_cases(&conformance, files) {
        if case.query.starts_with("sequence") || case.query.starts_with("join") {
            continue;
        }
        total += 1;
        let q = match builder.build(&case.query) {
            Ok(q) => q,
            Err(e) => {
                report.push(format!("{} {}: error\n{e}", case.file, case.name));
                continue;
            }
        };
        assert_eq!(q.kind(), QueryKind::Event);
        let mut ids: Vec<i64> = events
            .iter()
            .filter(|e| q.stages()[0].matches(e))
            .filter_map(|e| e.first_value(id_field).and_then(Value::as_i64))
            .collect();
        match q.limit() {
            Some((ResultPosition::Head, n)) => ids.truncate(n),
            Some((ResultPosition::Tail, n)) => {
                let skip = ids.len().saturating_sub(n);
                ids.drain(..skip);
            }
            None => {}
        }
        if ids == case.expected {
            agree += 1;
        } else {
            report.push(format!(
                "{} {}: {}\n  expected {:?}\n  got      {:?}",
                case.file, case.name, case.query, case.expected, ids
            ));
        }
    }
    eprintln!("elasticsearch event queries in {files:?}: {agree} / {total} agree");
    for r in &report {
        eprintln!("DISAGREE {r}");
    }
    Some((agree, total))
}

/// The recorded floor for `label` in `tests/data/lang/conformance-floor.txt` (`label agree`).
fn floor(label: &str) -> usize {
    let floor_file =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/lang/conformance-floor.txt");
    let text = std::fs::read_to_string(&floor_file).expect("floor file");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            l.strip_prefix(label)
                .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or_else(|| panic!("no floor for {label}"))
}

#[test]
fn elasticsearch_event_queries() {
    let Some((agree, total)) = run_suite(
        &["test_queries.toml", "additional_test_queries.toml"],
        "endgame-140.json",
        "serial_event_id",
    ) else {
        return;
    };
    let floor = floor("endgame");
    assert!(
        agree >= floor,
        "agreement {agree} / {total} dropped below the floor {floor}"
    );
}

#[test]
fn elasticsearch_extra_event_queries() {
    let Some((agree, total)) = run_suite(&["test_extra.toml"], "extra.data", "sequence") else {
        return;
    };
    let floor = floor("extra");
    assert!(
        agree >= floor,
        "agreement {agree} / {total} dropped below the floor {floor}"
    );
}
