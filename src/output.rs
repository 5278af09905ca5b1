//! The result shape shared by the CLI (one NDJSON line per result) and JavaScript (one plain
//! object per result). Other tools parse it, so it changes only deliberately:
//!
//! * sequence: `{"join_keys": [...], "events": [{"_source": {...}, "_provenance": {...}}, ...]}`
//! * event query: `{"events": [{"_source": {...}, "_provenance": {...}}]}`
//! * missing-event placeholder: `{"missing": true, "_source": {}}`
//!
//! `_provenance` holds only the known parts (`file`, `line`, `record`, `offset`).

use crate::correlator::{Match, MatchEvent};
use serde_json::{Map, Value};

/// The JSON object of one result.
pub fn match_to_json(result: &Match, is_sequence: bool) -> Value {
    let mut object = Map::new();
    if is_sequence {
        object.insert(
            "join_keys".to_string(),
            Value::Array(result.join_keys.clone()),
        );
    }
    let events = result.events.iter().map(event_to_json).collect();
    object.insert("events".to_string(), Value::Array(events));
    Value::Object(object)
}

fn event_to_json(event: &MatchEvent) -> Value {
    let mut object = Map::new();
    if event.missing {
        object.insert("missing".to_string(), Value::Bool(true));
        object.insert("_source".to_string(), Value::Object(Map::new()));
        return Value::Object(object);
    }
    object.insert(
        "_source".to_string(),
        Value::Object(event.event.source().clone()),
    );
    // Provenance has only strings and integers, so serialisation cannot fail.
    let provenance = serde_json::to_value(event.event.provenance()).unwrap_or(Value::Null);
    object.insert("_provenance".to_string(), provenance);
    Value::Object(object)
}

/// One NDJSON line (without the trailing newline).
pub fn match_to_ndjson_line(result: &Match, is_sequence: bool) -> String {
    match_to_json(result, is_sequence).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, Provenance};
    use serde_json::json;
    use std::sync::Arc;

    #[test]
    fn result_shapes() {
        let provenance = Provenance {
            file: Some("a.ndjson".into()),
            line: Some(3),
            ..Provenance::default()
        };
        let event = Event::from_value(json!({"x": 1}), provenance).unwrap();
        let result = Match {
            join_keys: vec![json!("HOST"), json!(5)],
            events: vec![
                MatchEvent {
                    event: Arc::new(event),
                    missing: false,
                },
                MatchEvent {
                    event: Arc::new(Event::new(Map::new(), Provenance::default())),
                    missing: true,
                },
            ],
        };
        let line = match_to_ndjson_line(&result, true);
        assert!(!line.contains('\n'));
        assert_eq!(
            serde_json::from_str::<Value>(&line).unwrap(),
            json!({"join_keys": ["HOST", 5], "events": [
                {"_source": {"x": 1}, "_provenance": {"file": "a.ndjson", "line": 3}},
                {"missing": true, "_source": {}},
            ]})
        );
        assert_eq!(
            match_to_json(&result, false)["events"][0]["_source"],
            json!({"x": 1})
        );
        assert!(match_to_json(&result, false).get("join_keys").is_none());
    }
}
