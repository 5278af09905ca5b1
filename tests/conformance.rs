//! Elasticsearch's own EQL QA suite (shared/conformance/elasticsearch-eql, all nine spec
//! files) run through eqlite as Elasticsearch's harness runs it (HARNESS.md): each file over
//! its index (data + mapping, the mapping passed to the query), `size = 50` unless the spec
//! sets one, `max_samples_per_key` from the spec, and `result_position` both `head` and `tail`
//! (ES picks one at random, so an expected answer must hold for both). Ids come from the
//! tiebreaker field (`id` for samples), a missing-event placeholder is -1, sequences and
//! samples are flattened; a list of lists in the spec gives alternatives. Join keys are
//! compared as strings when the spec lists them.
//!
//! Per file the agreement count is printed, and the total must not drop below
//! `tests/data/conformance-floor.txt`.

use eqlite::{Event, Mapping, Provenance, QueryBuilder, ResultPosition};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
/// The shared folder (env `EQLITE_SHARED`, else `../shared`). `None` (with a note) when it is
/// missing outside CI; a panic when missing under `CI=true`.
pub(crate) fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("EQLITE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("shared folder {} is missing (CI=true)", dir.display());
    }
    eprintln!(
        "skipping: shared folder {} is missing (set EQLITE_SHARED)",
        dir.display()
    );
    None
}

#[derive(Debug)]
struct Case {
    name: String,
    query: String,
    /// Alternatives (one list unless the spec gives a list of lists).
    expected: Vec<Vec<i64>>,
    join_keys: Option<Vec<String>>,
    size: Option<usize>,
    max_samples_per_key: Option<usize>,
}

/// One index of a file's index list: its events (each carries the index name) and mapping.
struct Dataset {
    events: Vec<Event>,
    mapping: Mapping,
    tiebreaker: Option<&'static str>,
    id_field: &'static str,
}

fn load_cases(dir: &Path, file: &str) -> Vec<Case> {
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    // `join_keys = [null]` is not TOML; ES's loader reads it as the string "null".
    let mut in_keys = false;
    let text: String = text
        .lines()
        .map(|line| {
            in_keys |= line.trim_start().starts_with("join_keys");
            let out = if in_keys {
                line.replace("\"null\"", "null").replace("null", "\"null\"")
            } else {
                line.to_string()
            };
            in_keys &= !line.contains(']');
            out
        })
        .collect::<Vec<_>>()
        .join("\n");
    let table: toml::Table = text.parse().unwrap_or_else(|e| panic!("{file}: {e}"));
    let Some(toml::Value::Array(queries)) = table.get("queries") else {
        panic!("{file}: no [[queries]]");
    };
    let ints = |v: &toml::Value| -> Vec<i64> {
        v.as_array()
            .map(|ids| ids.iter().filter_map(toml::Value::as_integer).collect())
            .unwrap_or_default()
    };
    queries
        .iter()
        .map(|q| {
            let get = |k: &str| {
                q.get(k)
                    .and_then(toml::Value::as_str)
                    .unwrap_or_default()
                    .trim()
                    .to_string()
            };
            let ids = q.get("expected_event_ids").expect("expected_event_ids");
            let nested = ids
                .as_array()
                .is_some_and(|a| a.first().is_some_and(toml::Value::is_array));
            let expected = if nested {
                ids.as_array().unwrap().iter().map(ints).collect()
            } else {
                vec![ints(ids)]
            };
            let join_keys = q
                .get("join_keys")
                .and_then(toml::Value::as_array)
                .map(|keys| {
                    keys.iter()
                        .map(|k| k.as_str().map_or_else(|| k.to_string(), str::to_string))
                        .collect()
                });
            let count = |k: &str| {
                q.get(k)
                    .and_then(toml::Value::as_integer)
                    .map(|n| usize::try_from(n).unwrap())
            };
            Case {
                name: get("name"),
                query: get("query"),
                expected,
                join_keys,
                size: count("size"),
                max_samples_per_key: count("max_samples_per_key"),
            }
        })
        .collect()
}

/// A `.data`/`.json` array; ES's loader allows `//` comment lines.
fn json_array(dir: &Path, name: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join(name)).unwrap();
    let text: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let Value::Array(events) = serde_json::from_str(&text).unwrap() else {
        panic!("{name}: not an array")
    };
    events
}

/// A mapping file as ES's DataLoader reads it: `#` lines dropped (Mapping does that) and the
/// `[runtime_random_keyword_type]` placeholder replaced (by `keyword`; ES picks `keyword` or
/// `wildcard` at random, and results must not depend on which).
pub(crate) fn mapping_text(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name))
        .unwrap()
        .replace("[runtime_random_keyword_type]", "keyword")
}

/// The indices of one spec file, in the order Elasticsearch's harness lists them.
fn dataset(dir: &Path, file: &str) -> Dataset {
    let (indices, tiebreaker, id_field): (&[(&str, &str, &str)], _, _) = match file {
        "test_queries.toml" | "additional_test_queries.toml" | "test_queries_date.toml" => (
            &[("endgame-140", "endgame-140.json", "endgame-140.mapping")],
            Some("serial_event_id"),
            "serial_event_id",
        ),
        "test_queries_date_nanos.toml" => (
            &[(
                "endgame-140-nanos",
                "endgame-140.json",
                "endgame-140-nanos.mapping",
            )],
            Some("serial_event_id"),
            "serial_event_id",
        ),
        "test_extra.toml" => (
            &[("extra", "extra.data", "extra.mapping")],
            Some("sequence"),
            "sequence",
        ),
        "test_missing_events.toml" => (
            &[(
                "missing-events",
                "missing-events.data",
                "missing-events.mapping",
            )],
            Some("sequence"),
            "sequence",
        ),
        "test_sample.toml" => (
            &[
                ("sample1", "sample1.data", "sample1.mapping"),
                ("sample2", "sample2.data", "sample2.mapping"),
                ("sample3", "sample3.data", "sample3.mapping"),
            ],
            None,
            "id",
        ),
        "test_sample_multi.toml" => (
            &[("sample-multi", "sample-multi.data", "sample-multi.mapping")],
            None,
            "id",
        ),
        "test_sampling.toml" => (
            &[
                ("sampling1", "sampling1.data", "sampling1.mapping"),
                ("sampling2", "sampling2.data", "sampling2.mapping"),
                ("sampling3", "sampling3.data", "sampling3.mapping"),
            ],
            None,
            "id",
        ),
        other => panic!("no dataset for {other}"),
    };
    let mut events = Vec::new();
    let mut mapping = Mapping::default();
    for (index, data, mapping_file) in indices {
        let m = Mapping::from_json(&mapping_text(dir, mapping_file)).unwrap();
        mapping.extend(m.with_default_name(index));
        let index_name: Arc<str> = Arc::from(*index);
        for (i, mut value) in json_array(dir, data).into_iter().enumerate() {
            transform(index, &mut value);
            let provenance = Provenance {
                record: Some(i as u64 + 1),
                index: Some(index_name.clone()),
                ..Provenance::default()
            };
            events.push(Event::from_value(value, provenance).unwrap());
        }
    }
    Dataset {
        events,
        mapping,
        tiebreaker,
        id_field,
    }
}

/// DataLoader's transforms: only the endgame indices are changed (HARNESS.md).
pub(crate) fn transform(index: &str, event: &mut Value) {
    let filetime = || {
        event["timestamp"]
            .as_i64()
            .expect("endgame timestamps are integers")
    };
    match index {
        "endgame-140" => {
            let ms = filetime() / 10_000 - 11_644_473_600_000;
            event["@timestamp"] = Value::from(ms);
        }
        "endgame-140-nanos" => {
            let raw = filetime();
            let digits = raw.to_string();
            let (head, rest) = digits.split_at(12);
            let ts = if rest.chars().all(|c| c == '0') {
                head.to_string()
            } else {
                format!("{head}.{rest}")
            };
            event["@timestamp"] = Value::from(ts);
            event["timestamp"] = Value::from(raw / 1_000_000);
        }
        _ => {}
    }
}

/// Runs one case; returns (flattened ids, flattened join keys as strings) or the query error.
fn run(
    case: &Case,
    data: &Dataset,
    position: ResultPosition,
) -> Result<(Vec<i64>, Vec<String>), String> {
    let query = QueryBuilder::new()
        .tiebreaker_field(data.tiebreaker)
        .size(Some(case.size.unwrap_or(50)))
        .result_position(position)
        .max_samples_per_key(case.max_samples_per_key.unwrap_or(1))
        .mapping(Some(data.mapping.clone()))
        .build(&case.query)
        .map_err(|e| e.to_string())?;
    let mut correlator = query.correlator();
    let mut results = Vec::new();
    for event in &data.events {
        results.extend(correlator.push(event.clone()).map_err(|e| e.to_string())?);
    }
    results.extend(correlator.finish());
    let ids = results
        .iter()
        .flat_map(|m| &m.events)
        .map(|e| {
            if e.missing {
                return -1;
            }
            eqlite::event::values_in(e.event.source(), data.id_field)
                .first()
                .and_then(|v| v.as_i64())
                .unwrap_or(-2)
        })
        .collect();
    let keys = results
        .iter()
        .flat_map(|m| &m.join_keys)
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    Ok((ids, keys))
}

pub(crate) const FILES: [&str; 9] = [
    "test_queries.toml",
    "additional_test_queries.toml",
    "test_queries_date.toml",
    "test_queries_date_nanos.toml",
    "test_extra.toml",
    "test_missing_events.toml",
    "test_sample.toml",
    "test_sample_multi.toml",
    "test_sampling.toml",
];

#[test]
fn elasticsearch_qa_suite() {
    let Some(root) = shared_dir() else { return };
    let dir = root.join("conformance/elasticsearch-eql");
    let (mut agree, mut total, mut failures) = (0, 0, Vec::new());
    for file in FILES {
        let data = dataset(&dir, file);
        let cases = load_cases(&dir, file);
        let mut file_agree = 0;
        for case in &cases {
            let mut problem = None;
            for position in [ResultPosition::Head, ResultPosition::Tail] {
                match run(case, &data, position) {
                    Err(e) => problem = Some(format!("query error: {e}")),
                    Ok((ids, keys)) => {
                        if !case.expected.contains(&ids) {
                            problem = Some(format!(
                                "{position:?}: got {ids:?}, expected {:?}",
                                case.expected
                            ));
                        } else if case
                            .join_keys
                            .as_ref()
                            .is_some_and(|k| !k.is_empty() && *k != keys)
                        {
                            problem = Some(format!(
                                "{position:?}: keys {keys:?}, expected {:?}",
                                case.join_keys
                            ));
                        }
                    }
                }
                if problem.is_some() {
                    break;
                }
            }
            match problem {
                None => file_agree += 1,
                Some(p) => failures.push(format!(
                    "{file} [{}] {}\n    {p}",
                    case.name,
                    case.query.replace('\n', " "),
                )),
            }
        }
        println!("{file}: {file_agree} / {} agree", cases.len());
        agree += file_agree;
        total += cases.len();
    }
    for failure in &failures {
        println!("DISAGREE {failure}");
    }
    println!("conformance: {agree} / {total} agree");
    let floor_path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/conformance-floor.txt");
    let floor: usize = std::fs::read_to_string(&floor_path)
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| !l.starts_with('#'))
                .and_then(|l| l.trim().parse().ok())
        })
        .unwrap_or(0);
    assert!(
        agree >= floor,
        "conformance dropped: {agree} / {total} agree, floor is {floor}"
    );
}

/// Missing-event (`![...]`) vectors written for eqlite on its own data, covering the cases of
/// ES's `test_missing_events.toml` (middle, leading, trailing, both ends, several missing
/// stages, head/tail), which `elasticsearch_qa_suite` runs as well.
#[test]
fn missing_event_vectors() {
    // (category, timestamp, tag); id = position + 1.
    let rows: &[(&str, &str, &str)] = &[
        ("m1", "100", "ok"),
        ("m1", "200", "ok"),
        ("m1", "300", "gap"),
        ("m1", "400", "ok"),
        ("m3", "2024-03-01T08:00:00Z", "gap"),
        ("m3", "2024-03-01T08:10:00Z", "ok"),
        ("m3", "2024-03-01T08:20:00Z", "gap"),
        ("m3", "2024-03-01T08:21:00Z", "ok"),
        ("m3", "2024-03-01T08:29:00Z", "ok"),
    ];
    let events: Vec<Event> = rows
        .iter()
        .enumerate()
        .map(|(i, (cat, ts, tag))| {
            let v = serde_json::json!({"@timestamp": ts, "cat": cat, "tag": tag, "id": i + 1});
            Event::from_value(v, Provenance::default()).unwrap()
        })
        .collect();
    let run = |query: &str| -> Vec<i64> {
        let q = QueryBuilder::new()
            .event_category_field("cat")
            .build(query)
            .unwrap();
        let mut c = q.correlator();
        let mut out = Vec::new();
        for e in &events {
            out.extend(c.push(e.clone()).unwrap());
        }
        out.extend(c.finish());
        out.iter()
            .flat_map(|m| &m.events)
            .map(|e| {
                if e.missing {
                    -1
                } else {
                    e.event
                        .first_value("id")
                        .and_then(Value::as_i64)
                        .unwrap_or(0)
                }
            })
            .collect()
    };
    let cases: &[(&str, &[i64])] = &[
        (
            r#"sequence with maxspan=1s [m1 where tag == "ok"] ![m1 where tag == "none"] [m1 where tag == "ok"]"#,
            &[1, -1, 2, 2, -1, 4],
        ),
        (
            r#"sequence with maxspan=1s [m1 where tag == "ok"] ![m1 where tag == "gap"] [m1 where tag == "ok"]"#,
            &[1, -1, 2],
        ),
        (
            r#"sequence with maxspan=1s [m1 where tag == "ok"] ![m1 where tag == "none"] [m1 where tag == "ok"] | head 1"#,
            &[1, -1, 2],
        ),
        (
            r#"sequence with maxspan=1s [m1 where tag == "ok"] ![m1 where tag == "none"] [m1 where tag == "ok"] | tail 1"#,
            &[2, -1, 4],
        ),
        // Trailing: 1 and 2 see the gap at 300 within a second; 4 has nothing after it.
        (
            r#"sequence with maxspan=1s [m1 where tag == "ok"] ![m1 where tag == "gap"]"#,
            &[4, -1],
        ),
        // A trailing gap more than maxspan after the first event does not count (1: 200 ms),
        // one within it does (2: 100 ms).
        (
            r#"sequence with maxspan=150ms [m1 where tag == "ok"] ![m1 where tag == "gap"]"#,
            &[1, -1, 4, -1],
        ),
        // Leading: 08:21 has a gap one minute before; 08:10 and 08:29 do not within 3 minutes.
        (
            r#"sequence with maxspan=3m ![m3 where tag == "gap"] [m3 where tag == "ok"]"#,
            &[-1, 6, -1, 9],
        ),
        // Both ends: a free window of 19 minutes exists around every event, of 21 not for 08:10.
        (
            r#"sequence with maxspan=19m ![m3 where tag == "gap"] [m3 where tag == "ok"] ![m3 where tag == "gap"]"#,
            &[-1, 6, -1, -1, 8, -1, -1, 9, -1],
        ),
        (
            r#"sequence with maxspan=21m ![m3 where tag == "gap"] [m3 where tag == "ok"] ![m3 where tag == "gap"]"#,
            &[-1, 8, -1, -1, 9, -1],
        ),
    ];
    for (query, expected) in cases {
        assert_eq!(run(query), *expected, "{query}");
    }
}
