//! The projection (issue 10) over every real and hand-made input: each file of
//! `tests/data/input/` and `../shared/fixtures/` runs through a [`Session`] with the projection
//! on and off, for queries that read few fields (the built-in rule), every event (`any where
//! true`, so every event's whole `_source` and provenance are compared) and fields of several
//! schemas. Results, the engine's view of each result (which reads fields no query names),
//! counts and unreadable records must be identical.
//!
//! This is what keeps `shapes::READER_FIELDS` honest: a schema or envelope key the reader looks
//! at but the projection dropped would make a projected record normalise differently.

use crate::input_support::shared;
use eqlite::session::{RuleSource, Session, SessionOptions};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const QUERIES: &[Option<&str>] = &[
    None, // the built-in rule
    Some("any where true"),
    Some(
        "sequence by host.name with maxspan=1h \
         [any where event.code : (\"46*\", \"47*\") or process.name != null] \
         [any where user.name != null or source.ip != null]",
    ),
    Some("any where winlog.event_data.TaskName : \"*\" and not user.name : \"*$\""),
];

/// Every input file under `dir` (recursively), sorted; licences and notes are not inputs.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            files(&path, out);
        } else if !name.ends_with(".md") && !name.ends_with(".toml") && !name.starts_with("LICENSE")
        {
            out.push(path);
        }
    }
}

/// A run's answer as comparable JSON: results with each event's `_source` and provenance, the
/// view of each result, the summary's counts and the unreadable records.
fn run(query: Option<&str>, projection: bool, name: &str, bytes: &[u8]) -> Value {
    let options = SessionOptions {
        source: query.map_or(RuleSource::Builtin, |q| RuleSource::Query(q.to_string())),
        projection,
        ..SessionOptions::default()
    };
    let mut session = Session::new(options).expect("the query compiles");
    let mut out = Vec::new();
    session.start_file(name, &mut out).expect("start");
    // Pieces that split records, as a stream would.
    for piece in bytes.chunks(7919) {
        session.push(piece, &mut out).expect("push");
    }
    session.finish(&mut out).expect("finish");
    let results: Vec<Value> = out
        .iter()
        .map(|m| {
            json!({
                "keys": m.join_keys,
                "events": m.events.iter().map(|e| json!({
                    "missing": e.missing,
                    "source": Value::Object(e.event.source().clone()),
                    "provenance": serde_json::to_value(e.event.provenance()).unwrap_or(Value::Null),
                })).collect::<Vec<_>>(),
                "view": format!("{:?}", session.view(m)),
            })
        })
        .collect();
    let s = session.summary();
    json!({
        "results": results,
        "records": s.records_read,
        "events": s.files.iter().map(|f| f.events).sum::<u64>(),
        "prefiltered": s.prefiltered,
        "stage_hits": s.correlator.stage_hits,
        "errors": s.input_error_count,
        "problems": s.input_errors.iter().map(|p| p.message.clone()).collect::<Vec<_>>(),
    })
}

#[test]
fn projected_reading_equals_whole_reading_on_every_fixture() {
    let mut inputs = Vec::new();
    files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/input"),
        &mut inputs,
    );
    let local = inputs.len();
    if let Some(shared) = shared() {
        files(&shared.join("fixtures"), &mut inputs);
    }
    assert!(local > 20, "{local} files under tests/data/input");
    let mut compared = 0;
    let mut with_results = 0;
    for path in &inputs {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("input");
        for query in QUERIES {
            let whole = run(*query, false, name, &bytes);
            let projected = run(*query, true, name, &bytes);
            assert_eq!(
                projected,
                whole,
                "{} with {:?}: projected reading differs from whole reading",
                path.display(),
                query.unwrap_or("the built-in rule")
            );
            compared += 1;
            with_results += usize::from(whole["results"].as_array().is_some_and(|r| !r.is_empty()));
        }
    }
    eprintln!("{compared} file x query runs compared, {with_results} with results");
    assert!(
        with_results * 3 >= compared,
        "only {with_results} of {compared} runs had results"
    );
}
