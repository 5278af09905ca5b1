//! The wasm32 test binary, run in Node by wasm-bindgen-test-runner: the JS facade (`src/wasm.rs`)
//! driven from Rust compiled to wasm32, so that the real boundary conversions (JS options, error
//! objects, UTF-16 offsets, JSON-compatible results) and 32-bit `usize` are what is tested.
#![cfg(target_arch = "wasm32")]
// Test code: a panic is a failed test, and fixtures are known, so the no-panic lints are off.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use eqlite::wasm::{builtin_rules, parse_query, version, Correlator, Query};
use js_sys::{Reflect, Uint8Array};
use serde::Serialize;
use serde_wasm_bindgen::Serializer;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const SAMPLE: &str = include_str!("../www/sample.ndjson");

/// A JSON value as the plain JS object/array a caller would pass.
fn js(value: serde_json::Value) -> JsValue {
    value.serialize(&Serializer::json_compatible()).unwrap()
}

/// A JS value back as JSON, for comparisons.
fn json(value: &JsValue) -> serde_json::Value {
    serde_wasm_bindgen::from_value(value.clone()).unwrap()
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap()
}

fn seed_correlator() -> Correlator {
    Correlator::new(js(
        serde_json::json!({ "rule": "temporarily-scheduled-task-creation" }),
    ))
    .unwrap()
}

/// Runs `chunks` through `c` and returns every result's join keys.
fn join_keys(mut c: Correlator, chunks: &[JsValue]) -> Vec<serde_json::Value> {
    let mut results: Vec<serde_json::Value> = Vec::new();
    for chunk in chunks {
        results.extend(
            json(&c.push(chunk.clone()).unwrap().into())
                .as_array()
                .unwrap()
                .clone(),
        );
    }
    let done = c.finish().unwrap();
    results.extend(json(&get(&done, "results")).as_array().unwrap().clone());
    results.iter().map(|r| r["join_keys"].clone()).collect()
}

#[wasm_bindgen_test]
fn version_is_the_crate_version() {
    assert_eq!(version(), env!("CARGO_PKG_VERSION"));
}

#[wasm_bindgen_test]
fn builtin_rules_lists_the_seed_rule_as_plain_objects() {
    let rules = json(&builtin_rules().unwrap());
    assert_eq!(rules[0]["id"], "temporarily-scheduled-task-creation");
    assert!(rules[0]["query"]
        .as_str()
        .unwrap()
        .starts_with("sequence by winlog.computer_name"));
}

#[wasm_bindgen_test]
fn query_handle_and_parse_query_describe_the_query() {
    let q = Query::new(
        "sequence by host.name with maxspan=1m [process where true] [network where true]",
        JsValue::UNDEFINED,
    )
    .unwrap();
    assert_eq!(q.kind(), "sequence");
    assert_eq!(q.join_keys(), vec!["host.name".to_string()]);
    assert_eq!(q.maxspan_ms(), Some(60_000.0));
    let info = json(&parse_query("process where process.name == \"a\"").unwrap());
    assert_eq!(info["kind"], "event");
    assert!(info.get("maxspanMs").is_none());
    assert!(info["fields"]
        .as_array()
        .unwrap()
        .contains(&"process.name".into()));
}

#[wasm_bindgen_test]
fn query_errors_carry_code_and_utf16_offsets() {
    // "é" is 2 UTF-8 bytes but 1 UTF-16 unit: a byte offset would be off by one.
    let text = "process where user.name == \"é\" and and";
    let error = Query::new(text, JsValue::UNDEFINED).unwrap_err();
    assert!(error.is_instance_of::<js_sys::Error>());
    assert_eq!(get(&error, "name"), "EqlError");
    assert_eq!(get(&error, "code"), "syntax");
    let start = get(&error, "start").as_f64().unwrap() as usize;
    let end = get(&error, "end").as_f64().unwrap() as usize;
    let utf16: Vec<u16> = text.encode_utf16().collect();
    assert_eq!(String::from_utf16(&utf16[start..end]).unwrap(), "and");
    assert_eq!(start, text.chars().count() - 3);
    assert!(get(&error, "caret").as_string().unwrap().contains('^'));
}

#[wasm_bindgen_test]
fn unknown_and_mistyped_options_are_named() {
    let unknown = Correlator::new(js(
        serde_json::json!({ "query": "any where true", "sise": 3 }),
    ))
    .unwrap_err();
    assert_eq!(get(&unknown, "code"), "option");
    assert!(get(&unknown, "message")
        .as_string()
        .unwrap()
        .contains("`sise`"));
    let mistyped = Query::new(
        "any where true",
        js(serde_json::json!({ "timestampField": 7 })),
    )
    .unwrap_err();
    assert!(get(&mistyped, "message")
        .as_string()
        .unwrap()
        .contains("timestampField"));
    let position = Query::new(
        "any where true",
        js(serde_json::json!({ "resultPosition": "middle" })),
    )
    .unwrap_err();
    assert!(get(&position, "message")
        .as_string()
        .unwrap()
        .contains("resultPosition"));
}

#[wasm_bindgen_test]
fn the_seed_rule_matches_the_sample_once() {
    let keys = join_keys(seed_correlator(), &[JsValue::from_str(SAMPLE)]);
    assert_eq!(
        keys,
        vec![serde_json::json!([
            "WKS-FIN-07.corp.example",
            "\\OneDrive Sync Helper"
        ])]
    );
}

#[wasm_bindgen_test]
fn byte_chunks_of_any_size_give_the_same_results() {
    let bytes = SAMPLE.as_bytes();
    let whole = join_keys(seed_correlator(), &[JsValue::from_str(SAMPLE)]);
    for size in [1, 7, 64, 1000] {
        let chunks: Vec<JsValue> = bytes
            .chunks(size)
            .map(|c| Uint8Array::from(c).into())
            .collect();
        assert_eq!(
            join_keys(seed_correlator(), &chunks),
            whole,
            "chunks of {size} bytes"
        );
    }
}

#[wasm_bindgen_test]
fn events_pushed_as_objects_match_like_ndjson() {
    let events: Vec<serde_json::Value> = SAMPLE
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut c = seed_correlator();
    let mut results = json(
        &c.push_events(js(serde_json::Value::Array(events)))
            .unwrap()
            .into(),
    );
    let done = c.finish().unwrap();
    results
        .as_array_mut()
        .unwrap()
        .extend(json(&get(&done, "results")).as_array().unwrap().clone());
    assert_eq!(results.as_array().unwrap().len(), 1);
    assert_eq!(results[0]["events"][0]["_provenance"]["record"], 3);
    assert_eq!(json(&get(&done, "summary"))["events_seen"], 9);
}

#[wasm_bindgen_test]
fn a_finished_correlator_refuses_more_input() {
    let mut c = seed_correlator();
    c.finish().unwrap();
    let error = c.push(JsValue::from_str(SAMPLE)).unwrap_err();
    assert_eq!(get(&error, "name"), "EqlError");
    let not_array = seed_correlator()
        .push_events(JsValue::from_f64(1.0))
        .unwrap_err();
    assert_eq!(get(&not_array, "code"), "input");
}

#[path = "evtx_synth.rs"]
mod evtx_synth;

/// The chunks of tests/input_evtx_loop.rs, crafted to make an EVTX parser go round without end,
/// under wasm in Node: a loop here would hang the page's worker, with no watchdog to stop it.
/// Reading ends, with each unreadable record reported and the records beside them read.
#[wasm_bindgen_test]
fn crafted_looping_evtx_chunks_end_with_reported_errors() {
    use evtx_synth::{evtx_file, exponential_record, plain_record, self_template_record};
    let huge = |at| exponential_record(at, 16, 7);
    let file = evtx_file(&[&plain_record, &self_template_record, &huge, &plain_record]);
    let mut c = Correlator::new(js(serde_json::json!({ "query": "any where true" }))).unwrap();
    c.start_file("crafted.evtx".to_string()).unwrap();
    c.push(Uint8Array::from(file.as_slice()).into()).unwrap();
    let done = c.finish().unwrap();
    // The synthetic records carry no TimeCreated, so the two that read are skipped for want
    // of a timestamp: that they arrived is what counts here.
    let summary = json(&get(&done, "summary"));
    assert_eq!(summary["events_seen"], 2, "{summary}");
    let read: Vec<&serde_json::Value> = summary["skipped_examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["provenance"]["record"])
        .collect();
    assert_eq!(read, [1, 4]);
    let summary = json(&get(&done, "summary"));
    assert_eq!(summary["input_error_count"], 2, "{summary}");
    let errors = summary["input_errors"].as_array().unwrap();
    assert_eq!(errors[0]["record"], 2);
    assert!(errors[0]["reason"].as_str().unwrap().contains("template"));
    assert_eq!(errors[1]["record"], 3);
    assert!(errors[1]["reason"].as_str().unwrap().contains("nodes"));
    assert!(errors.iter().all(|e| e["offset"].is_u64()), "{errors:?}");
}
