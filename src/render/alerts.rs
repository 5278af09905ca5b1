//! Kibana-shaped alert documents for a matched sequence, so that eqlite's findings can be loaded
//! next to the alerts Elastic Security itself would have written.
//!
//! Follows the detection engine (eql-semantics §8.3): a sequence of N events becomes N
//! building-block alerts plus one shell alert; ids are deterministic SHA-256 hashes of the
//! ancestors and the rule id, so the same events found again give the same ids (Kibana relies on
//! that to avoid duplicates across overlapping runs).
//!
//! An export rarely carries `_id` / `_index`. When an event has them (an Elasticsearch response)
//! they are used as Kibana would; otherwise the ancestor id is the event's provenance
//! (`file:record` or `file:line`) and the index is `eqlite`, which keeps ids deterministic per
//! input but says plainly that they are not Elasticsearch document ids.

use super::present_events;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// The rule fields an alert carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    /// `rule_id` of the detection rule (Kibana hashes its rule UUID; an offline run has only this).
    pub rule_id: String,
    /// Rule name.
    pub name: String,
    /// `low` / `medium` / `high` / `critical`.
    pub severity: String,
    /// 0..=100.
    pub risk_score: u32,
}

/// One alert document: its `_id` and `_source`.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Deterministic id (hex SHA-256).
    pub id: String,
    /// The alert document.
    pub source: Map<String, Value>,
}

impl Alert {
    /// `{"_id": ..., "_source": {...}}`, the shape of an alerts-index hit.
    pub fn to_json(&self) -> Value {
        json!({"_id": self.id, "_source": self.source})
    }
}

struct Ancestor {
    id: String,
    index: String,
}

/// The building-block alerts (one per event, in order) followed by the shell alert of one
/// result. `now` is the execution time written to each alert's `@timestamp`. Event-query results
/// (one event, no `join_keys`) give a single plain alert instead.
pub fn alerts_for_result(result: &Value, rule: &RuleInfo, now: &str) -> Vec<Alert> {
    let events = present_events(result);
    let ancestors: Vec<Ancestor> = events.iter().map(|event| ancestor_of(event)).collect();
    if result.get("join_keys").is_none() {
        return events
            .iter()
            .zip(&ancestors)
            .map(|(event, ancestor)| {
                let id = hex_sha256(&[&ancestor.id, &ancestor.index, &rule.rule_id]);
                let mut source = event_source(event);
                add_alert_fields(&mut source, rule, now, &id, 1);
                source.insert(
                    "kibana.alert.ancestors".into(),
                    json!([event_ancestor(ancestor)]),
                );
                source.insert("kibana.alert.original_time".into(), original_time(event));
                Alert { id, source }
            })
            .collect();
    }

    // generate_building_block_ids: one base string over every block's ancestors + rule id,
    // then the block's position.
    let mut base = String::new();
    for ancestor in &ancestors {
        base.push_str(&ancestor.id);
        base.push_str(&ancestor.index);
        base.push_str(&rule.rule_id);
    }
    let block_ids: Vec<String> = (0..events.len())
        .map(|position| hex_sha256(&[&base, &position.to_string()]))
        .collect();

    // The shell's ancestors interleave each event with its building block.
    let mut shell_ancestors = Vec::new();
    let mut shell_hash_parts: Vec<&str> = Vec::new();
    for (ancestor, block_id) in ancestors.iter().zip(&block_ids) {
        shell_ancestors.push(event_ancestor(ancestor));
        shell_ancestors.push(json!({"id": block_id, "index": "", "type": "signal", "depth": 1, "rule": rule.rule_id}));
        shell_hash_parts.extend([
            ancestor.id.as_str(),
            ancestor.index.as_str(),
            block_id.as_str(),
            "",
        ]);
    }
    shell_hash_parts.push(&rule.rule_id);
    let shell_id = hex_sha256(&shell_hash_parts);

    let mut alerts = Vec::with_capacity(events.len() + 1);
    let mut sources = Vec::with_capacity(events.len());
    for (position, ((event, ancestor), block_id)) in
        events.iter().zip(&ancestors).zip(&block_ids).enumerate()
    {
        let original = event_source(event);
        let mut source = original.clone();
        sources.push(original);
        add_alert_fields(&mut source, rule, now, block_id, 1);
        source.insert(
            "kibana.alert.ancestors".into(),
            json!([event_ancestor(ancestor)]),
        );
        source.insert("kibana.alert.original_time".into(), original_time(event));
        source.insert("kibana.alert.building_block_type".into(), json!("default"));
        source.insert("kibana.alert.group.id".into(), json!(shell_id));
        source.insert("kibana.alert.group.index".into(), json!(position));
        alerts.push(Alert {
            id: block_id.clone(),
            source,
        });
    }

    let mut shell = intersection(&sources);
    add_alert_fields(&mut shell, rule, now, &shell_id, 2);
    shell.insert(
        "kibana.alert.ancestors".into(),
        Value::Array(shell_ancestors),
    );
    shell.insert("kibana.alert.group.id".into(), json!(shell_id));
    if let Some(first) = events.first() {
        shell.insert("kibana.alert.original_time".into(), original_time(first));
    }
    alerts.push(Alert {
        id: shell_id,
        source: shell,
    });
    alerts
}

fn ancestor_of(event: &Value) -> Ancestor {
    let text = |key: &str| event.get(key).and_then(Value::as_str).map(str::to_string);
    if let (Some(id), Some(index)) = (text("_id"), text("_index")) {
        return Ancestor { id, index };
    }
    let provenance = event.get("_provenance");
    let field = |key: &str| {
        provenance.and_then(|p| p.get(key)).map(|v| match v {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
    };
    let file = field("file").unwrap_or_else(|| "input".into());
    let place = field("record")
        .map(|record| format!("record {record}"))
        .or_else(|| field("line").map(|line| format!("line {line}")))
        .unwrap_or_default();
    Ancestor {
        id: format!("{file}:{place}"),
        index: "eqlite".into(),
    }
}

/// An original event as an ancestor (Kibana's `type: "event"`, depth 0).
fn event_ancestor(ancestor: &Ancestor) -> Value {
    json!({"id": ancestor.id, "index": ancestor.index, "type": "event", "depth": 0})
}

fn event_source(event: &Value) -> Map<String, Value> {
    event
        .get("_source")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

fn original_time(event: &Value) -> Value {
    event
        .get("_source")
        .and_then(Value::as_object)
        .and_then(|source| {
            crate::event::values_in(source, "@timestamp")
                .first()
                .copied()
        })
        .cloned()
        .unwrap_or(Value::Null)
}

fn add_alert_fields(
    source: &mut Map<String, Value>,
    rule: &RuleInfo,
    now: &str,
    id: &str,
    depth: u32,
) {
    source.insert("@timestamp".into(), json!(now));
    source.insert("kibana.alert.uuid".into(), json!(id));
    source.insert("kibana.alert.depth".into(), json!(depth));
    source.insert("kibana.alert.status".into(), json!("active"));
    source.insert("kibana.alert.workflow_status".into(), json!("open"));
    source.insert("kibana.alert.rule.rule_id".into(), json!(rule.rule_id));
    source.insert("kibana.alert.rule.name".into(), json!(rule.name));
    source.insert("kibana.alert.severity".into(), json!(rule.severity));
    source.insert("kibana.alert.risk_score".into(), json!(rule.risk_score));
    source.insert("kibana.alert.rule.producer".into(), json!("eqlite"));
    // A building block keeps a copy of its event's `event.*` under original_event (flattened,
    // `flattenWithPrefix(ALERT_ORIGINAL_EVENT, ...)`); every alert is a signal.
    if let Some(Value::Object(event)) = source.get_mut("event") {
        let original: Vec<(String, Value)> = if depth == 1 {
            event
                .iter()
                .map(|(k, v)| (format!("kibana.alert.original_event.{k}"), v.clone()))
                .collect()
        } else {
            Vec::new()
        };
        event.insert("kind".into(), json!("signal"));
        source.extend(original);
    } else {
        source.insert("event.kind".into(), json!("signal"));
    }
}

/// Kibana's `objectArrayIntersection`: the keys whose values are equal in every source
/// (recursing into objects; arrays keep their common elements).
fn intersection(sources: &[Map<String, Value>]) -> Map<String, Value> {
    let Some((first, rest)) = sources.split_first() else {
        return Map::new();
    };
    let mut out = Map::new();
    for (key, value) in first {
        let others: Option<Vec<&Value>> = rest.iter().map(|source| source.get(key)).collect();
        let Some(others) = others else { continue };
        if let Some(common) = common_value(value, &others) {
            out.insert(key.clone(), common);
        }
    }
    out
}

fn common_value(value: &Value, others: &[&Value]) -> Option<Value> {
    match value {
        Value::Object(object) => {
            let nested: Option<Vec<Map<String, Value>>> = others
                .iter()
                .map(|other| other.as_object().cloned())
                .collect();
            let mut all = vec![object.clone()];
            all.extend(nested?);
            let common = intersection(&all);
            (!common.is_empty()).then_some(Value::Object(common))
        }
        Value::Array(items) => {
            let kept: Vec<Value> = items
                .iter()
                .filter(|item| {
                    others
                        .iter()
                        .all(|other| other.as_array().is_some_and(|array| array.contains(item)))
                })
                .cloned()
                .collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        scalar => others
            .iter()
            .all(|other| *other == scalar)
            .then(|| scalar.clone()),
    }
}

fn hex_sha256(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> RuleInfo {
        RuleInfo {
            rule_id: "r-1".into(),
            name: "Rule".into(),
            severity: "medium".into(),
            risk_score: 47,
        }
    }

    fn pair() -> Value {
        json!({"join_keys": ["H", "\\t"], "events": [
            {"_id": "a", "_index": "i", "_source": {"@timestamp": "2020-01-01T00:00:00Z", "host": {"name": "H"}, "event": {"action": "created", "kind": "event"}, "tags": ["x", "y"]}},
            {"_source": {"@timestamp": "2020-01-01T00:01:00Z", "host": {"name": "H"}, "event": {"action": "deleted"}, "tags": ["y"]}, "_provenance": {"file": "f.ndjson", "line": 2}}
        ]})
    }

    #[test]
    fn a_pair_gives_two_building_blocks_and_a_shell_with_kibana_ids() {
        let alerts = alerts_for_result(&pair(), &rule(), "2026-01-01T00:00:00Z");
        assert_eq!(alerts.len(), 3);
        // ancestors: ("a","i") then ("f.ndjson:line 2","eqlite"); rule id after each block.
        let base = format!("ai{}f.ndjson:line 2eqlite{}", "r-1", "r-1");
        assert_eq!(alerts[0].id, hex_sha256(&[&base, "0"]));
        assert_eq!(alerts[1].id, hex_sha256(&[&base, "1"]));
        assert_eq!(
            alerts[0].source["kibana.alert.group.id"],
            json!(alerts[2].id)
        );
        assert_eq!(alerts[1].source["kibana.alert.group.index"], json!(1));
        assert_eq!(alerts[0].source["event"]["kind"], json!("signal"));
        assert_eq!(
            alerts[0].source["kibana.alert.original_event.kind"],
            json!("event")
        );
        let shell = &alerts[2].source;
        assert_eq!(shell["kibana.alert.depth"], json!(2));
        assert_eq!(shell["host"], json!({"name": "H"}));
        assert_eq!(shell["tags"], json!(["y"]));
        assert!(
            shell.get("event").is_none(),
            "event.action differs, so no common event object"
        );
        assert_eq!(
            shell["kibana.alert.ancestors"].as_array().map(Vec::len),
            Some(4)
        );
    }

    #[test]
    fn ids_are_deterministic_and_depend_on_the_events() {
        let once = alerts_for_result(&pair(), &rule(), "t1");
        let again = alerts_for_result(&pair(), &rule(), "t2");
        let ids = |alerts: &[Alert]| alerts.iter().map(|a| a.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&once), ids(&again));
        let mut other = pair();
        other["events"][0]["_id"] = json!("b");
        assert_ne!(ids(&alerts_for_result(&other, &rule(), "t1")), ids(&once));
    }

    #[test]
    fn event_results_give_one_alert_each() {
        let result = json!({"events": [{"_source": {"@timestamp": 5}, "_provenance": {"file": "x", "record": 3}}]});
        let alerts = alerts_for_result(&result, &rule(), "now");
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].id, hex_sha256(&["x:record 3", "eqlite", "r-1"]));
        assert_eq!(alerts[0].source["kibana.alert.original_time"], json!(5));
        assert_eq!(alerts[0].source["event.kind"], json!("signal"));
    }
}
