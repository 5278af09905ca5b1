//! Renderers of result objects (the JSON shape of `output`) for people and for SIEMs: an aligned
//! table, CSV, and Kibana-shaped alert documents.
//!
//! They take the result *objects* rather than engine types so that every face of eqlite (CLI,
//! Node, page) can render the same thing from the same data, and so that rendering never reaches
//! back into the engine.

pub mod alerts;
pub mod describe;
pub mod table;

use serde_json::Value;

/// The first value of a dotted field in a result event's `_source`, as display text.
///
/// Uses the same field resolution as the engine (dotted keys and nesting mix, arrays are
/// multi-valued), so what the table shows is what the query matched on.
pub(crate) fn source_text(event: &Value, field: &str) -> Option<String> {
    let source = event.get("_source")?.as_object()?;
    let values = crate::event::values_in(source, field);
    if values.is_empty() {
        return None;
    }
    let texts: Vec<String> = values
        .iter()
        .map(|value| match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
        .collect();
    Some(texts.join(", "))
}

/// The non-placeholder events of a result (missing-event placeholders carry no data).
pub(crate) fn present_events(result: &Value) -> Vec<&Value> {
    result
        .get("events")
        .and_then(Value::as_array)
        .map(|events| {
            events
                .iter()
                .filter(|event| event.get("missing").and_then(Value::as_bool) != Some(true))
                .collect()
        })
        .unwrap_or_default()
}
