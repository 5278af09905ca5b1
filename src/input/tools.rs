//! DFIR tool outputs derived from EVTX: evtx_dump / evtx crate JSON (also what the EVTX reader
//! gets from the crate), Chainsaw search and hunt, Hayabusa timelines, EvtxECmd rows.

use super::timefmt::{to_iso_utc, Offset};
use super::util::{at, scalar_text, text_at};
use super::winlog::WinEvent;
use serde_json::{Map, Value};

/// An attribute of an evtx-JSON element: `X.#attributes.A`, `X_attributes.A`, or plain `X.A`.
fn attr(parent: &Map<String, Value>, elem: &str, name: &str) -> Option<String> {
    at(parent, &format!("{elem}.#attributes.{name}"))
        .or_else(|| at(parent, &format!("{elem}_attributes.{name}")))
        .or_else(|| match parent.get(elem) {
            Some(Value::Object(o)) => o.get(name),
            _ => None,
        })
        .and_then(scalar_text)
}

fn num(v: Option<String>) -> Option<u64> {
    v.and_then(|t| t.trim().parse().ok())
}

/// EventData values become strings, as Winlogbeat writes them.
fn data_text(v: &Value) -> Option<String> {
    match v {
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(data_text).collect();
            (!parts.is_empty()).then(|| parts.join(","))
        }
        other => scalar_text(other),
    }
}

/// One evtx-crate `Event` object (`{"System": ..., "EventData": ...}`) -> a Windows event.
pub(crate) fn evtx_event(event: &Map<String, Value>) -> Result<WinEvent, String> {
    let Some(Value::Object(sys)) = event.get("System") else {
        return Err("evtx JSON record has no Event.System".into());
    };
    let mut w = WinEvent {
        event_id: sys.get("EventID").and_then(scalar_text),
        computer: text_at(sys, "Computer"),
        channel: text_at(sys, "Channel"),
        provider_name: attr(sys, "Provider", "Name"),
        provider_guid: attr(sys, "Provider", "Guid"),
        keywords: text_at(sys, "Keywords"),
        level: text_at(sys, "Level"),
        opcode: text_at(sys, "Opcode"),
        task: text_at(sys, "Task"),
        version: num(text_at(sys, "Version")),
        record_id: num(text_at(sys, "EventRecordID")),
        pid: num(attr(sys, "Execution", "ProcessID")),
        tid: num(attr(sys, "Execution", "ThreadID")),
        activity_id: attr(sys, "Correlation", "ActivityID"),
        ..WinEvent::default()
    };
    w.time_created =
        attr(sys, "TimeCreated", "SystemTime").and_then(|t| to_iso_utc(&t, Some(Offset(0))));
    if let Some(guid) = &mut w.provider_guid {
        if !guid.starts_with('{') {
            *guid = format!("{{{guid}}}");
        }
    }
    match event.get("EventData") {
        Some(Value::Object(data)) => {
            for (k, v) in data {
                if k == "#attributes" || k.ends_with("_attributes") {
                    continue;
                }
                if k == "Data" {
                    // Unnamed <Data> items (no Name attribute).
                    match v {
                        Value::Array(items) => {
                            items.iter().for_each(|i| w.data(None, data_text(i)))
                        }
                        other => w.data(None, data_text(other)),
                    }
                    continue;
                }
                w.data(Some(k), data_text(v));
            }
        }
        Some(other) => w.data(None, data_text(other)),
        None => {}
    }
    if let Some(user_data) = event.get("UserData") {
        w.user_data = Some(user_data.clone());
    }
    if let Some(Value::Object(rendering)) = event.get("RenderingInfo") {
        w.message = text_at(rendering, "Message");
    }
    if w.event_id.is_none() {
        return Err("evtx JSON record has no System.EventID".into());
    }
    Ok(w)
}

/// evtx_dump JSON / JSONL and Chainsaw `search` records: one `Event` object.
pub(crate) fn evtx_json(obj: Map<String, Value>) -> Result<Vec<Map<String, Value>>, String> {
    match obj.get("Event") {
        Some(Value::Object(event)) => Ok(vec![evtx_event(event)?.into_ecs()]),
        _ => Err("evtx JSON record has no Event object".into()),
    }
}

/// A Chainsaw `hunt` detection: `document.data` (individual) or each of `documents[].data`
/// (aggregate), each mapped on its own so one bad document does not hide the others.
pub(crate) fn chainsaw_hunt(obj: &Map<String, Value>) -> Vec<Result<Map<String, Value>, String>> {
    let mut datas: Vec<&Value> = Vec::new();
    if let Some(d) = at(obj, "document.data") {
        datas.push(d);
    }
    if let Some(Value::Array(list)) = obj.get("documents") {
        datas.extend(list.iter().filter_map(|d| d.get("data")));
    }
    if datas.is_empty() {
        return vec![Err("Chainsaw detection without document data".into())];
    }
    datas
        .into_iter()
        .map(|d| match d.get("Event") {
            Some(Value::Object(event)) => evtx_event(event).map(WinEvent::into_ecs),
            _ => Err("Chainsaw detection document is not an EVTX event".into()),
        })
        .collect()
}

/// Hayabusa's abbreviated channel names back to the real ones.
fn hayabusa_channel(c: &str) -> String {
    match c {
        "Sec" => "Security".into(),
        "Sys" => "System".into(),
        "App" => "Application".into(),
        "Sysmon" => "Microsoft-Windows-Sysmon/Operational".into(),
        "TaskSch" => "Microsoft-Windows-TaskScheduler/Operational".into(),
        other => other.into(),
    }
}

/// Hayabusa `Details` keys for the Security scheduled-task rules, back to EventData names.
const HAYABUSA_DETAILS: &[(&str, &str)] = &[
    ("Name", "TaskName"),
    ("Content", "TaskContent"),
    ("User", "SubjectUserName"),
    ("LID", "SubjectLogonId"),
];

/// One Hayabusa timeline row (JSON object or a CSV row turned into one).
pub(crate) fn hayabusa_json(
    obj: Map<String, Value>,
    tz: Option<Offset>,
) -> Result<Vec<Map<String, Value>>, String> {
    let ts = text_at(&obj, "Timestamp").ok_or("Hayabusa row has no Timestamp")?;
    let channel = text_at(&obj, "Channel").map(|c| hayabusa_channel(&c));
    let security = channel.as_deref() == Some("Security");
    let mut w = WinEvent {
        event_id: text_at(&obj, "EventID"),
        computer: text_at(&obj, "Computer"),
        record_id: num(text_at(&obj, "RecordID")),
        provider_name: text_at(&obj, "Provider")
            .or_else(|| security.then(|| "Microsoft-Windows-Security-Auditing".to_string())),
        channel,
        ..WinEvent::default()
    };
    w.time_created =
        Some(to_iso_utc(&ts, tz).ok_or_else(|| format!("unreadable Hayabusa Timestamp {ts:?}"))?);
    // AllFieldInfo / ExtraFieldInfo carry EventData names verbatim.
    for key in ["AllFieldInfo", "ExtraFieldInfo"] {
        match obj.get(key) {
            Some(Value::Object(extra)) => {
                for (k, v) in extra {
                    w.data(Some(k), data_text(v));
                }
            }
            Some(Value::String(text)) => {
                for (k, v) in split_details(text) {
                    w.data(Some(k), Some(v));
                }
            }
            _ => {}
        }
    }
    match obj.get("Details") {
        Some(Value::Object(details)) => {
            for (k, v) in details {
                let name = HAYABUSA_DETAILS
                    .iter()
                    .find(|(d, _)| d == k)
                    .map_or(k.as_str(), |(_, n)| n);
                w.data(Some(name), data_text(v).filter(|t| t != "n/a"));
            }
        }
        Some(Value::String(text)) => {
            for (k, v) in split_details(text) {
                let name = HAYABUSA_DETAILS
                    .iter()
                    .find(|(d, _)| *d == k)
                    .map_or(k, |(_, n)| n);
                w.data(Some(name), Some(v.to_string()).filter(|t| t != "n/a"));
            }
        }
        _ => {}
    }
    if w.event_id.is_none() {
        return Err("Hayabusa row has no EventID".into());
    }
    Ok(vec![w.into_ecs()])
}

/// CSV `Details`: `Name: \x ¦ Content: ... ¦ User: u ¦ LID: 0x1`. Splits on ` ¦ ` and then on the
/// first `: `, merging segments without a known key back into the previous value (TaskContent can
/// contain both separators).
fn split_details(text: &str) -> Vec<(&str, String)> {
    let mut out: Vec<(&str, String)> = Vec::new();
    for seg in text.split(" ¦ ") {
        match seg.split_once(": ") {
            Some((k, v))
                if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                out.push((k, v.to_string()));
            }
            _ => {
                if let Some((_, prev)) = out.last_mut() {
                    prev.push_str(" ¦ ");
                    prev.push_str(seg);
                }
            }
        }
    }
    out
}

/// One EvtxECmd row (JSON line or CSV row as an object keyed by header).
pub(crate) fn evtxecmd_json(obj: Map<String, Value>) -> Result<Vec<Map<String, Value>>, String> {
    let ts = text_at(&obj, "TimeCreated").ok_or("EvtxECmd row has no TimeCreated")?;
    let mut w = WinEvent {
        event_id: text_at(&obj, "EventId"),
        computer: text_at(&obj, "Computer"),
        record_id: num(text_at(&obj, "EventRecordId")),
        channel: text_at(&obj, "Channel"),
        provider_name: text_at(&obj, "Provider"),
        pid: num(text_at(&obj, "ProcessId")),
        tid: num(text_at(&obj, "ThreadId")),
        keywords: text_at(&obj, "Keywords"),
        ..WinEvent::default()
    };
    // EvtxECmd writes UTC: the CSV without a marker, JSON as `+00:00`.
    w.time_created = Some(
        to_iso_utc(&ts, Some(Offset(0)))
            .ok_or_else(|| format!("unreadable EvtxECmd TimeCreated {ts:?}"))?,
    );
    let payload = match obj.get("Payload") {
        Some(Value::String(p)) if !p.trim().is_empty() => serde_json::from_str::<Value>(p).ok(),
        Some(v @ Value::Object(_)) => Some(v.clone()),
        _ => None,
    };
    let items = payload.as_ref().and_then(|p| p.pointer("/EventData/Data"));
    match items {
        Some(Value::Array(list)) => {
            for item in list {
                w.data(
                    str_at_value(item, "@Name"),
                    item.get("#text").and_then(data_text),
                );
            }
        }
        Some(item @ Value::Object(_)) => w.data(
            str_at_value(item, "@Name"),
            item.get("#text").and_then(data_text),
        ),
        _ => {
            // No payload: fall back on the map's columns.
            if let Some(t) = text_at(&obj, "PayloadData1")
                .and_then(|p| p.strip_prefix("TaskName: ").map(str::to_string))
            {
                w.data(Some("TaskName"), Some(t));
            }
            if let Some(u) = text_at(&obj, "UserName") {
                let (domain, user) = u
                    .rsplit_once('\\')
                    .map_or((None, u.as_str()), |(d, u)| (Some(d), u));
                w.data(Some("SubjectUserName"), Some(user.to_string()));
                w.data(Some("SubjectDomainName"), domain.map(str::to_string));
            }
        }
    }
    if w.event_id.is_none() {
        return Err("EvtxECmd row has no EventId".into());
    }
    Ok(vec![w.into_ecs()])
}

fn str_at_value<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}
