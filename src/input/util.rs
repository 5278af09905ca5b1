//! Small JSON helpers shared by the normalisers: dotted-or-nested lookup, setting nested fields,
//! and scalar-to-string conversion the way Elasticsearch keyword fields see values.

use serde_json::{Map, Value};

/// The value at dotted `path`, resolving any mix of nested objects and dotted keys (first match;
/// arrays are not descended except to take a scalar's first element at the leaf).
pub(crate) fn at<'a>(map: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(v) = map.get(path) {
        return Some(v);
    }
    for (dot, _) in path.match_indices('.') {
        if let Some(Value::Object(inner)) = map.get(&path[..dot]) {
            if let Some(v) = at(inner, &path[dot + 1..]) {
                return Some(v);
            }
        }
    }
    None
}

/// A string at `path` (a one-element array of strings also counts, as in `fields`).
pub(crate) fn str_at<'a>(map: &'a Map<String, Value>, path: &str) -> Option<&'a str> {
    match at(map, path)? {
        Value::String(s) => Some(s),
        Value::Array(items) => items.first().and_then(Value::as_str),
        _ => None,
    }
}

/// A scalar at `path` as text (numbers rendered as JSON writes them), `None` for missing / null /
/// empty strings.
pub(crate) fn text_at(map: &Map<String, Value>, path: &str) -> Option<String> {
    scalar_text(at(map, path)?)
}

/// A scalar as text; the first element of an array; `None` for null, objects and `""`.
pub(crate) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => items.first().and_then(scalar_text),
        Value::Object(o) => o.get("#text").and_then(scalar_text),
        _ => None,
    }
}

/// Sets dotted `path` as nested objects, replacing non-object intermediates.
pub(crate) fn set(map: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            map.insert(path.to_string(), value);
        }
        Some((head, rest)) => {
            let slot = map
                .entry(head.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Value::Object(inner) = slot {
                set(inner, rest, value);
            }
        }
    }
}

/// Whether the field exists with a non-null value (dotted or nested).
pub(crate) fn has(map: &Map<String, Value>, path: &str) -> bool {
    at(map, path).is_some_and(|v| !v.is_null())
}

/// `&bytes[at..]`, or nothing when `at` is past the end: the reader's positions come from
/// attacker-controlled data, so slicing never panics.
pub(crate) fn after(bytes: &[u8], at: usize) -> &[u8] {
    bytes.get(at..).unwrap_or_default()
}

/// `&bytes[..n]`, or all of `bytes` when `n` is past the end.
pub(crate) fn before(bytes: &[u8], n: usize) -> &[u8] {
    bytes.get(..n).unwrap_or(bytes)
}

/// `&bytes[from..to]`, or nothing when the range is reversed or past the end.
pub(crate) fn between(bytes: &[u8], from: usize, to: usize) -> &[u8] {
    bytes.get(from..to).unwrap_or_default()
}

/// A string value.
pub(crate) fn s(text: impl Into<String>) -> Value {
    Value::String(text.into())
}

/// A short, printable excerpt of raw bytes for error messages.
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(before(bytes, 40));
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!("{:?}", clean.trim())
}
