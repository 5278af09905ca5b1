//! Kibana Discover "Generate CSV" rows -> documents (elastic/kibana
//! `packages/kbn-generate-csv`): headers are dotted field names; arrays are joined with `, `;
//! a missing value is `-`; formula escaping prefixes `'` to values starting with `=`, `+`, `-`,
//! `@`, tab or CR (so `'-` is a missing value too); numbers carry thousands separators; dates use
//! the data view's `MMM D, YYYY @ HH:mm:ss.SSS` with no zone (the time-zone option applies).

use super::timefmt::{to_iso_utc, Offset};
use super::util::{has, s, set};
use super::winlog;
use serde_json::{Map, Value};

/// Fields that are arrays in ECS / Winlogbeat documents: only these are split on `, `, since a
/// task or host name may itself contain a comma.
const ARRAY_FIELDS: &[&str] = &[
    "event.category",
    "event.type",
    "related.user",
    "related.ip",
    "related.hosts",
    "related.hash",
    "winlog.keywords",
    "host.ip",
    "host.mac",
    "tags",
];

/// Numeric fields Kibana renders with its number format (`5,043,782`).
const NUMBER_FIELDS: &[&str] = &[
    "winlog.record_id",
    "winlog.process.pid",
    "winlog.process.thread.id",
    "winlog.version",
    "process.pid",
];

/// Date fields converted to ISO-8601 UTC.
const DATE_FIELDS: &[&str] = &["@timestamp", "event.created", "event.ingested"];

/// Refuses headers that cannot give the rule anything (with what to export instead).
pub(crate) fn check_header(header: &[String]) -> Result<(), String> {
    let has = |n: &str| header.iter().any(|h| h == n);
    if has("Date and Time") && has("Event ID") {
        return Err("this is an Event Viewer CSV export: it has only the rendered message, no \
                    EventData fields. In Event Viewer use \"Save All Events As\" .evtx (or XML) instead"
            .into());
    }
    let useful = [
        "@timestamp",
        "event.action",
        "event.code",
        "winlog.event_id",
        "winlog.computer_name",
        "winlog.event_data.TaskName",
        "user.name",
    ];
    if !header
        .iter()
        .any(|h| useful.contains(&h.as_str()) || h.starts_with("_source"))
    {
        return Err(format!(
            "CSV header has none of the fields the rule reads ({}); found: {}. Export from Kibana \
             Discover with those columns selected, or as NDJSON",
            useful.join(", "),
            header
                .iter()
                .take(8)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(())
}

/// Undoes Kibana's formula escaping.
fn unescape_formula(v: &str) -> &str {
    match v.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => v,
    }
}

/// One row -> a document.
pub(crate) fn row(
    header: &[String],
    fields: Vec<String>,
    tz: Option<Offset>,
) -> Result<Map<String, Value>, String> {
    let mut doc = Map::new();
    for (name, raw) in header.iter().zip(fields) {
        let v = unescape_formula(&raw);
        if v == "-" || v.is_empty() || name.is_empty() {
            continue;
        }
        let value = if DATE_FIELDS.contains(&name.as_str()) {
            match to_iso_utc(v, tz) {
                Some(iso) => s(iso),
                None => s(v),
            }
        } else if ARRAY_FIELDS.contains(&name.as_str()) {
            Value::Array(v.split(", ").map(s).collect())
        } else if NUMBER_FIELDS.contains(&name.as_str()) {
            let digits: String = v.chars().filter(|c| *c != ',').collect();
            digits
                .parse::<u64>()
                .map(Value::from)
                .unwrap_or_else(|_| s(v))
        } else if v.starts_with('{') {
            serde_json::from_str::<Value>(v)
                .ok()
                .filter(Value::is_object)
                .unwrap_or_else(|| s(v))
        } else {
            s(v)
        };
        match (name.as_str(), value) {
            // Older reports without selected columns have the whole document in `_source`.
            ("_source", Value::Object(source)) => doc.extend(source),
            (_, value) => set(&mut doc, name, value),
        }
    }
    if let (Some(Value::String(t)), Some(_)) = (doc.get("@timestamp"), tz) {
        if to_iso_utc(t, None).is_none() {
            return Err(format!("unreadable @timestamp {t:?} (expected Kibana's \"MMM D, YYYY @ HH:mm:ss.SSS\" or ISO-8601)"));
        }
    }
    // A report without `event.action` but with the event code: derive it as the pipeline would.
    if !has(&doc, "event.action") && !has(&doc, "event.category") {
        winlog::categorise(&mut doc);
    }
    Ok(doc)
}
