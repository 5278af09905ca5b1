//! SIEM / EDR row formats: Microsoft Sentinel (`SecurityEvent`, `WindowsEvent`), Defender for
//! Endpoint `DeviceEvents`, NXLog / OTRF Mordor flattened events, and Splunk JSON results.

use super::timefmt::{to_iso_utc, Offset};
use super::util::{at, s, scalar_text, set, text_at};
use super::winlog::WinEvent;
use super::{splunk, winxml, xmltree};
use serde_json::{Map, Value};

fn num(v: Option<String>) -> Option<u64> {
    v.and_then(|t| t.trim().parse().ok())
}

/// NXLog writes `Keywords` as a signed 64-bit number; Winlogbeat reads the same bits as a mask.
fn keywords(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Number(n) => n
            .as_i64()
            .map(|i| format!("0x{:016X}", i as u64))
            .or_else(|| n.as_u64().map(|u| format!("0x{u:016X}"))),
        other => scalar_text(other),
    }
}

fn time(obj: &Map<String, Value>, keys: &[&str], tz: Option<Offset>) -> Result<String, String> {
    for key in keys {
        if let Some(t) = text_at(obj, key) {
            return to_iso_utc(&t, tz).ok_or_else(|| {
                format!("{key} {t:?} has no time zone and none is usable (time_zone option)")
            });
        }
    }
    Err(format!("no timestamp ({})", keys.join(" / ")))
}

/// Sentinel `SecurityEvent` (EventData as an XML string) and `WindowsEvent` (EventData dynamic).
pub(crate) fn sentinel(
    obj: Map<String, Value>,
    tz: Option<Offset>,
) -> Result<Vec<Map<String, Value>>, String> {
    let mut w = WinEvent {
        event_id: text_at(&obj, "EventID"),
        computer: text_at(&obj, "Computer"),
        channel: text_at(&obj, "Channel"),
        provider_name: text_at(&obj, "EventSourceName").or_else(|| text_at(&obj, "Provider")),
        record_id: num(text_at(&obj, "EventRecordId")),
        keywords: text_at(&obj, "Keywords"),
        level: text_at(&obj, "EventLevel"),
        ..WinEvent::default()
    };
    w.time_created = Some(time(
        &obj,
        &["TimeGenerated", "TimeGenerated [UTC]", "TimeCreated"],
        tz.or(Some(Offset(0))),
    )?);
    match obj.get("EventData") {
        Some(Value::String(x)) if x.trim_start().starts_with('<') => {
            let roots = xmltree::parse(x).map_err(|e| format!("EventData XML: {e}"))?;
            for root in &roots {
                winxml::event_data(root, &mut w);
            }
        }
        Some(Value::String(j)) if j.trim_start().starts_with('{') => {
            if let Ok(Value::Object(data)) = serde_json::from_str::<Value>(j) {
                data.iter()
                    .for_each(|(k, v)| w.data(Some(k), scalar_text(v)));
            }
        }
        Some(Value::Object(data)) => data
            .iter()
            .for_each(|(k, v)| w.data(Some(k), scalar_text(v))),
        _ => {}
    }
    // SecurityEvent's own Subject columns, then `Account` (DOMAIN\user).
    for k in [
        "SubjectUserName",
        "SubjectDomainName",
        "SubjectUserSid",
        "SubjectLogonId",
    ] {
        if !w.event_data.contains_key(k) {
            w.data(Some(k), text_at(&obj, k));
        }
    }
    if !w.event_data.contains_key("SubjectUserName") {
        if let Some(account) = text_at(&obj, "Account") {
            let user = account
                .rsplit_once('\\')
                .map_or(account.as_str(), |(_, u)| u);
            w.data(Some("SubjectUserName"), Some(user.to_string()));
        }
    }
    if w.channel.is_none() && w.event_id.as_deref().is_some_and(|c| c.starts_with('4')) {
        w.channel = Some("Security".into());
    }
    if w.event_id.is_none() {
        return Err("Sentinel row has no EventID".into());
    }
    Ok(vec![w.into_ecs()])
}

/// Defender for Endpoint `DeviceEvents`: `ScheduledTaskCreated/Deleted/Updated` are sensor
/// telemetry, not Security-log events, so they get the rule's ECS action and category but no
/// `event.code`; the original row is kept under `mde`.
pub(crate) fn mde(obj: Map<String, Value>) -> Result<Vec<Map<String, Value>>, String> {
    let row = match obj.get("properties") {
        Some(Value::Object(p)) if obj.contains_key("category") => p.clone(),
        _ => obj,
    };
    let ts = text_at(&row, "Timestamp")
        .or_else(|| text_at(&row, "TimeGenerated"))
        .ok_or("DeviceEvents row has no Timestamp")?;
    let ts =
        to_iso_utc(&ts, Some(Offset(0))).ok_or_else(|| format!("unreadable Timestamp {ts:?}"))?;
    let extra = match row.get("AdditionalFields") {
        Some(Value::String(j)) => serde_json::from_str::<Value>(j).ok(),
        Some(v @ Value::Object(_)) => Some(v.clone()),
        _ => None,
    };
    let mut doc = Map::new();
    doc.insert("@timestamp".into(), s(ts));
    let action = text_at(&row, "ActionType").unwrap_or_default();
    let mapped = match action.as_str() {
        "ScheduledTaskCreated" => Some(("scheduled-task-created", "creation")),
        "ScheduledTaskDeleted" => Some(("scheduled-task-deleted", "deletion")),
        "ScheduledTaskUpdated" => Some(("scheduled-task-updated", "change")),
        _ => None,
    };
    match mapped {
        Some((ecs_action, kind)) => {
            set(&mut doc, "event.action", s(ecs_action));
            set(
                &mut doc,
                "event.category",
                Value::Array(vec![s("iam"), s("configuration")]),
            );
            set(
                &mut doc,
                "event.type",
                Value::Array(vec![s(kind), s("admin")]),
            );
        }
        None => set(&mut doc, "event.action", s(action.clone())),
    }
    set(
        &mut doc,
        "event.provider",
        s("Microsoft Defender for Endpoint"),
    );
    if let Some(device) = text_at(&row, "DeviceName") {
        set(&mut doc, "winlog.computer_name", s(device));
    }
    if let Some(Value::Object(extra)) = &extra {
        let mut data = Map::new();
        for (k, v) in extra {
            if let Some(t) = scalar_text(v) {
                data.insert(k.clone(), s(t));
            } else if v.is_object() || v.is_array() {
                data.insert(k.clone(), s(v.to_string()));
            }
        }
        if !data.is_empty() {
            set(&mut doc, "winlog.event_data", Value::Object(data));
        }
    }
    let user = extra
        .as_ref()
        .and_then(|e| e.get("SubjectUserName"))
        .and_then(scalar_text)
        .or_else(|| text_at(&row, "InitiatingProcessAccountName"));
    if let Some(u) = user {
        set(&mut doc, "user.name", s(u));
    }
    if let Some(d) = text_at(&row, "InitiatingProcessAccountDomain") {
        set(&mut doc, "user.domain", s(d));
    }
    if let Some(sid) = text_at(&row, "InitiatingProcessAccountSid") {
        set(&mut doc, "user.id", s(sid));
    }
    doc.insert("mde".into(), Value::Object(row));
    Ok(vec![doc])
}

/// NXLog System-block keys (everything else is flattened EventData).
const NXLOG_SYSTEM: &[&str] = &[
    "@timestamp",
    "@version",
    "EventTime",
    "EventReceivedTime",
    "TimeCreated",
    "TimeGenerated",
    "Hostname",
    "Computer",
    "EventID",
    "SourceName",
    "EventSourceName",
    "Provider",
    "ProviderGuid",
    "Channel",
    "Keywords",
    "EventType",
    "SeverityValue",
    "Severity",
    "Level",
    "Task",
    "Category",
    "Opcode",
    "OpcodeValue",
    "Version",
    "RecordNumber",
    "EventRecordID",
    "ActivityID",
    "RelatedActivityID",
    "ExecutionProcessID",
    "ExecutionThreadID",
    "ThreadID",
    "Message",
    "SourceModuleName",
    "SourceModuleType",
    "host",
    "port",
    "tags",
    "type",
    "EventData",
    "UserData",
    "AccountName",
    "AccountType",
    "Domain",
    "UserID",
];

/// NXLog `im_msvistalog` JSON and OTRF / Mordor datasets (also OTRF's Export-WinEvents rows).
pub(crate) fn nxlog(
    obj: Map<String, Value>,
    tz: Option<Offset>,
) -> Result<Vec<Map<String, Value>>, String> {
    let mut w = WinEvent {
        event_id: text_at(&obj, "EventID"),
        computer: text_at(&obj, "Hostname").or_else(|| text_at(&obj, "Computer")),
        channel: text_at(&obj, "Channel"),
        provider_name: text_at(&obj, "SourceName").or_else(|| text_at(&obj, "EventSourceName")),
        provider_guid: text_at(&obj, "ProviderGuid"),
        record_id: num(text_at(&obj, "RecordNumber").or_else(|| text_at(&obj, "EventRecordID"))),
        keywords: keywords(obj.get("Keywords")),
        level: text_at(&obj, "Level"),
        opcode: text_at(&obj, "OpcodeValue"),
        task: text_at(&obj, "Task"),
        version: num(text_at(&obj, "Version")),
        pid: num(text_at(&obj, "ExecutionProcessID")),
        tid: num(text_at(&obj, "ExecutionThreadID").or_else(|| text_at(&obj, "ThreadID"))),
        activity_id: text_at(&obj, "ActivityID"),
        ..WinEvent::default()
    };
    // `@timestamp` (Logstash, UTC) first: NXLog's EventTime is agent-local with no zone.
    w.time_created = Some(time(&obj, &["@timestamp", "EventTime"], tz)?);
    if let Some(Value::String(x)) = obj.get("EventData") {
        if let Ok(roots) = xmltree::parse(x) {
            roots.iter().for_each(|r| winxml::event_data(r, &mut w));
        }
    }
    for (k, v) in &obj {
        if !NXLOG_SYSTEM.contains(&k.as_str()) && !w.event_data.contains_key(k) {
            w.data(Some(k), scalar_text(v));
        }
    }
    if w.event_id.is_none() {
        return Err("NXLog record has no EventID".into());
    }
    Ok(vec![w.into_ecs()])
}

/// Splunk JSON export rows (`{"preview":false,"result":{...}}`): `_raw` holds the event as XML
/// (`XmlWinEventLog`) or classic text (`WinEventLog`).
pub(crate) fn splunk_result(
    obj: Map<String, Value>,
    tz: Option<Offset>,
) -> Result<Vec<Map<String, Value>>, String> {
    let result = match obj.get("result") {
        Some(Value::Object(r)) => r,
        _ => &obj,
    };
    let raw = text_at(result, "_raw").ok_or("Splunk result has no _raw")?;
    if raw.trim_start().starts_with('<') {
        return winxml::events_from_text(&raw);
    }
    let mut doc = splunk::classic(&raw, tz)?;
    if !at(&doc, "@timestamp").is_some_and(|v| !v.is_null()) {
        if let Some(t) = text_at(result, "_time").and_then(|t| to_iso_utc(&t, None)) {
            doc.insert("@timestamp".into(), s(t));
        }
    }
    Ok(vec![doc])
}
