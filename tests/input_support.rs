//! Helpers shared by the input tests: locating ../shared fixtures, reading inputs, and pulling
//! the rule's fields out of events.

use eqlite::input::{read_all, Format, InputSummary, ReaderOptions};
use eqlite::Event;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The shared fixtures folder (`EQLITE_SHARED` or `../shared`); `None` (with a printed reason)
/// when it is missing outside CI. Under `CI=true` a missing folder fails the test.
pub fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("EQLITE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    if dir.join("fixtures").is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("shared fixtures missing at {}", dir.display());
    }
    eprintln!(
        "skipping: shared fixtures not found at {} (set EQLITE_SHARED)",
        dir.display()
    );
    None
}

/// A file under tests/data/input/.
pub fn data(rel: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/input")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Reads bytes with a file label, auto-detecting.
pub fn read(bytes: &[u8], name: &str) -> (Vec<Event>, InputSummary) {
    read_with(bytes, name, Format::Auto)
}

/// Reads bytes with a forced format.
pub fn read_with(bytes: &[u8], name: &str, format: Format) -> (Vec<Event>, InputSummary) {
    read_all(
        bytes,
        ReaderOptions {
            format,
            file_name: Some(name.to_string()),
            ..ReaderOptions::default()
        },
    )
}

/// Reads bytes pushed in small chunks (exercises records spanning chunks).
pub fn read_chunked(bytes: &[u8], name: &str, chunk: usize) -> (Vec<Event>, InputSummary) {
    let mut r = eqlite::Reader::new(ReaderOptions {
        file_name: Some(name.to_string()),
        ..ReaderOptions::default()
    });
    let mut out = Vec::new();
    for c in bytes.chunks(chunk.max(1)) {
        r.push(c, &mut out);
    }
    r.finish(&mut out);
    (out, r.summary())
}

/// The fields the seed rule reads, as JSON (missing = null; arrays as arrays).
pub const RULE_FIELDS: &[&str] = &[
    "@timestamp",
    "event.action",
    "event.category",
    "user.name",
    "winlog.computer_name",
    "winlog.event_data.TaskName",
];

/// One field's values: null when missing, a scalar when single, an array otherwise.
pub fn field(e: &Event, path: &str) -> Value {
    let vals: Vec<Value> = e.values(path).into_iter().cloned().collect();
    match vals.len() {
        0 => Value::Null,
        1 if path != "event.category" => vals.into_iter().next().unwrap_or(Value::Null),
        _ => Value::Array(vals),
    }
}

/// The rule fields of an event, as an object.
pub fn rule_fields(e: &Event) -> Value {
    let mut obj = serde_json::Map::new();
    for f in RULE_FIELDS {
        obj.insert(f.to_string(), field(e, f));
    }
    Value::Object(obj)
}

/// `(action, computer, task, user)` of scheduled-task events, for compact assertions.
pub fn task_events(events: &[Event]) -> Vec<(String, String, String, String)> {
    let s = |e: &Event, f: &str| {
        e.first_value(f)
            .map(|v| v.as_str().map_or(v.to_string(), str::to_string))
            .unwrap_or_default()
    };
    events
        .iter()
        .filter(|e| s(e, "event.action").starts_with("scheduled-task-"))
        .map(|e| {
            (
                s(e, "event.action"),
                s(e, "winlog.computer_name"),
                s(e, "winlog.event_data.TaskName"),
                s(e, "user.name"),
            )
        })
        .collect()
}

/// Error reasons as `line:reason` strings.
pub fn error_lines(summary: &InputSummary) -> Vec<String> {
    summary.errors.iter().map(|e| e.to_string()).collect()
}

/// A `(action, computer, task, user)` row for `task_events` assertions.
pub fn t(action: &str, host: &str, task: &str, user: &str) -> (String, String, String, String) {
    (action.into(), host.into(), task.into(), user.into())
}

/// A scheduled-task-created row.
pub fn created(host: &str, task: &str, user: &str) -> (String, String, String, String) {
    t("scheduled-task-created", host, task, user)
}

/// A scheduled-task-deleted row.
pub fn deleted(host: &str, task: &str, user: &str) -> (String, String, String, String) {
    t("scheduled-task-deleted", host, task, user)
}
