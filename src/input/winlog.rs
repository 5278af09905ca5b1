//! The Windows event -> ECS mapping every raw-event format shares: first the document Winlogbeat
//! 8.x itself would write (`winlog.*`, `event.code`, ...; elastic/beats
//! `winlogbeat/sys/winevent/event.go`), then what the Elasticsearch security ingest pipeline adds
//! (`x-pack/winlogbeat/module/security/ingest/security.yml`: `event.action` / `category` / `type`
//! from the event code, `user.*` from the Subject fields). Keeping the two steps separate lets
//! raw Winlogbeat output go through exactly the second step.

use super::taskxml;
use super::util::{at, s, set, str_at, text_at};
use serde_json::{Map, Value};

/// One Windows event as the raw formats expose it (System block + EventData).
#[derive(Debug, Default, Clone)]
pub(crate) struct WinEvent {
    pub event_id: Option<String>,
    /// Already ISO-8601 UTC.
    pub time_created: Option<String>,
    pub computer: Option<String>,
    pub record_id: Option<u64>,
    pub channel: Option<String>,
    pub provider_name: Option<String>,
    pub provider_guid: Option<String>,
    /// `0x8020000000000000`-style mask or a rendered name such as `Audit Success`.
    pub keywords: Option<String>,
    pub level: Option<String>,
    pub opcode: Option<String>,
    pub task: Option<String>,
    pub version: Option<u64>,
    pub pid: Option<u64>,
    pub tid: Option<u64>,
    pub activity_id: Option<String>,
    /// EventData `Data[@Name]` values in document order (empty values already dropped).
    pub event_data: Map<String, Value>,
    pub user_data: Option<Value>,
    /// `RenderingInfo/Message`: the rendered text that forwarded events (the ForwardedEvents
    /// log, wevtutil `/rd:true`) carry; Winlogbeat's `message`.
    pub message: Option<String>,
}

impl WinEvent {
    /// Adds one EventData item the way Winlogbeat does: empty values are left out, repeated
    /// unnamed items get `param1`, `param2`, ...
    pub fn data(&mut self, name: Option<&str>, value: Option<String>) {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            return;
        };
        let key = match name.filter(|n| !n.is_empty()) {
            Some(n) => n.to_string(),
            None => format!("param{}", self.event_data.len() + 1),
        };
        self.event_data.insert(key, Value::String(value));
    }

    /// The raw Winlogbeat 8.x document, then the security ingest pipeline.
    pub fn into_ecs(self) -> Map<String, Value> {
        let mut doc = Map::new();
        if let Some(t) = &self.time_created {
            doc.insert("@timestamp".into(), s(t.clone()));
        }
        let mut event = Map::new();
        if let Some(code) = &self.event_id {
            event.insert("code".into(), s(code.clone()));
        }
        event.insert("kind".into(), s("event"));
        let keywords = self.keywords.as_deref().map(render_keywords);
        if let Some(outcome) = keywords.as_ref().and_then(|k| outcome(k)) {
            event.insert("outcome".into(), s(outcome));
        }
        if let Some(p) = &self.provider_name {
            event.insert("provider".into(), s(p.clone()));
        }
        doc.insert("event".into(), Value::Object(event));
        if let Some(message) = self.message.as_ref().filter(|m| !m.trim().is_empty()) {
            doc.insert("message".into(), s(message.trim_end().to_string()));
        }
        if let Some(level) = self.level.as_deref().and_then(render_level) {
            set(&mut doc, "log.level", s(level));
        }
        let mut w = Map::new();
        let mut put = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                w.insert(k.to_string(), s(v.clone()));
            }
        };
        put("channel", &self.channel);
        put("computer_name", &self.computer);
        put("event_id", &self.event_id);
        put("provider_guid", &self.provider_guid);
        put("provider_name", &self.provider_name);
        put("activity_id", &self.activity_id);
        if let Some(op) = self.opcode.as_deref().map(render_opcode) {
            w.insert("opcode".into(), s(op));
        }
        if let Some(task) = self.task.as_deref().map(render_task) {
            w.insert("task".into(), s(task));
        }
        if let Some(k) = keywords {
            w.insert(
                "keywords".into(),
                Value::Array(k.into_iter().map(s).collect()),
            );
        }
        if let Some(r) = self.record_id {
            w.insert("record_id".into(), Value::from(r));
        }
        if let Some(v) = self.version {
            w.insert("version".into(), Value::from(v));
        }
        if let Some(pid) = self.pid {
            set(&mut w, "process.pid", Value::from(pid));
        }
        if let Some(tid) = self.tid {
            set(&mut w, "process.thread.id", Value::from(tid));
        }
        if !self.event_data.is_empty() {
            w.insert("event_data".into(), Value::Object(self.event_data));
        }
        if let Some(u) = self.user_data {
            w.insert("user_data".into(), u);
        }
        doc.insert("winlog".into(), Value::Object(w));
        apply_security_pipeline(&mut doc);
        doc
    }
}

/// `Audit Success` etc. from the keyword mask (rendered names pass through).
fn render_keywords(k: &str) -> Vec<String> {
    let Some(hex) = k.strip_prefix("0x").or_else(|| k.strip_prefix("0X")) else {
        return vec![k.to_string()];
    };
    let Ok(mask) = u64::from_str_radix(hex, 16) else {
        return vec![k.to_string()];
    };
    let mut out = Vec::new();
    if mask & 0x0020_0000_0000_0000 != 0 {
        out.push("Audit Success".to_string());
    }
    if mask & 0x0010_0000_0000_0000 != 0 {
        out.push("Audit Failure".to_string());
    }
    out
}

fn outcome(keywords: &[String]) -> Option<&'static str> {
    if keywords
        .iter()
        .any(|k| k.eq_ignore_ascii_case("Audit Success"))
    {
        Some("success")
    } else if keywords
        .iter()
        .any(|k| k.eq_ignore_ascii_case("Audit Failure"))
    {
        Some("failure")
    } else {
        None
    }
}

fn render_level(level: &str) -> Option<&'static str> {
    Some(match level.trim() {
        "0" | "4" => "information",
        "1" => "critical",
        "2" => "error",
        "3" => "warning",
        "5" => "verbose",
        _ => return None,
    })
}

fn render_opcode(op: &str) -> String {
    if op.trim() == "0" {
        "Info".into()
    } else {
        op.to_string()
    }
}

fn render_task(task: &str) -> String {
    if task.trim() == "12804" {
        "Other Object Access Events".into()
    } else {
        task.to_string()
    }
}

/// `event.category`, `event.type`, `event.action` of the security pipeline for the codes eqlite
/// maps (the scheduled-task family and 4697; the pipeline's full table is not reproduced).
pub(crate) fn categorisation(code: &str) -> Option<(&'static [&'static str], &'static str)> {
    Some(match code {
        "4697" => (&["admin", "change"], "service-installed"),
        "4698" => (&["creation", "admin"], "scheduled-task-created"),
        "4699" => (&["deletion", "admin"], "scheduled-task-deleted"),
        "4700" => (&["change", "admin"], "scheduled-task-enabled"),
        "4701" => (&["change", "admin"], "scheduled-task-disabled"),
        "4702" => (&["change", "admin"], "scheduled-task-updated"),
        _ => return None,
    })
}

/// Whether the routing pipeline would send this document to the security pipeline: channel
/// `Security` (any case) and a Security-Auditing / Eventlog provider (or no provider recorded).
fn is_security(doc: &Map<String, Value>) -> bool {
    let channel = str_at(doc, "winlog.channel").is_some_and(|c| c.eq_ignore_ascii_case("security"));
    let provider =
        match str_at(doc, "winlog.provider_name").or_else(|| str_at(doc, "event.provider")) {
            None => true,
            Some(p) => {
                p.eq_ignore_ascii_case("Microsoft-Windows-Security-Auditing")
                    || p.eq_ignore_ascii_case("Microsoft-Windows-Eventlog")
            }
        };
    channel && provider
}

/// Applies the security ingest pipeline's steps that the rule depends on, in place. Returns
/// whether the document was a Security-channel event.
pub(crate) fn apply_security_pipeline(doc: &mut Map<String, Value>) -> bool {
    // The Winlogbeat pipeline stores `winlog.record_id` as a string (keyword in the mapping).
    if let Some(Value::Number(n)) = at(doc, "winlog.record_id") {
        let text = n.to_string();
        set(doc, "winlog.record_id", s(text));
    }
    if !is_security(doc) {
        return false;
    }
    categorise(doc);
    true
}

/// The pipeline's steps without the routing check, for exports that dropped the channel column
/// (a Kibana CSV with `event.code` but no `event.action`).
pub(crate) fn categorise(doc: &mut Map<String, Value>) {
    let code = text_at(doc, "event.code").or_else(|| text_at(doc, "winlog.event_id"));
    let Some(code) = code else {
        return;
    };
    set(doc, "event.code", s(code.clone()));
    let Some((types, action)) = categorisation(&code) else {
        return;
    };
    set(
        doc,
        "event.category",
        Value::Array(vec![s("iam"), s("configuration")]),
    );
    set(
        doc,
        "event.type",
        Value::Array(types.iter().map(|t| s(*t)).collect()),
    );
    set(doc, "event.action", s(action));
    if code == "4697" {
        return;
    }
    // "Copy Subject User from Event Data" + the SubjectLogonId `set` processor.
    let data = |k: &str| text_at(doc, &format!("winlog.event_data.{k}"));
    let (sid, name, domain, logon) = (
        data("SubjectUserSid"),
        data("SubjectUserName"),
        data("SubjectDomainName"),
        data("SubjectLogonId"),
    );
    if let Some(v) = sid {
        set(doc, "user.id", s(v));
    }
    if let Some(v) = domain {
        set(doc, "user.domain", s(v));
    }
    if let Some(v) = name {
        set(doc, "user.name", s(v.clone()));
        append_related_user(doc, v);
    }
    if let Some(v) = logon {
        set(doc, "winlog.logon.id", s(v));
    }
    let content = text_at(doc, "winlog.event_data.TaskContent")
        .or_else(|| text_at(doc, "winlog.event_data.TaskContentNew"));
    let task_name = text_at(doc, "winlog.event_data.TaskName");
    // As the System integration does: `name` from TaskName always, the rest when TaskContent
    // is present and readable.
    let task = match content.and_then(|c| taskxml::parse(&c, task_name.as_deref())) {
        Some(task) => Some(task),
        None => task_name.map(|n| Map::from_iter([("name".to_string(), s(n))])),
    };
    if let Some(task) = task {
        set(doc, "winlog.scheduled_task", Value::Object(task));
    }
}

fn append_related_user(doc: &mut Map<String, Value>, name: String) {
    let mut users: Vec<Value> = match at(doc, "related.user") {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::String(one)) => vec![s(one.clone())],
        _ => Vec::new(),
    };
    if !users.iter().any(|u| u.as_str() == Some(&name)) {
        users.push(s(name));
    }
    set(doc, "related.user", Value::Array(users));
}
