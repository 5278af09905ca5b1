//! Splunk classic `WinEventLog:Security` text: a `MM/DD/YYYY hh:mm:ss AM` line, `Key=Value`
//! header lines (`LogName`, `EventCode`, `ComputerName`, `RecordNumber`, ...), then
//! `Message=` and the rendered message, whose Subject block and `Task Name:` / `Task Content:`
//! lines carry the EventData. The timestamp is forwarder-local with no zone: the time-zone
//! option (default UTC) is applied and stated in a note.

use super::ctx::{Ctx, Loc};
use super::format::Format;
use super::timefmt::{to_iso_utc, Offset};
use super::util::{after, between};
use super::winlog::WinEvent;
use crate::event::Event;
use serde_json::{Map, Value};

/// `11/29/2024 02:11:26 PM`.
pub(crate) fn is_date_line(line: &str) -> bool {
    let t = line.trim();
    let b = t.as_bytes();
    let slashes = t.bytes().filter(|&c| c == b'/').count();
    slashes == 2
        && b.first().is_some_and(u8::is_ascii_digit)
        && (t.ends_with("AM") || t.ends_with("PM"))
        && t.len() <= 26
        && t.contains(':')
}

/// The first `Label:` value inside `text` (tabs and spaces trimmed).
fn label(text: &str, name: &str) -> Option<String> {
    let at = text.find(name)?;
    let rest = &text[at + name.len()..];
    let line = rest.lines().next().unwrap_or("");
    let v = line.trim();
    (!v.is_empty()).then(|| v.to_string())
}

/// Parses one classic record.
pub(crate) fn classic(raw: &str, tz: Option<Offset>) -> Result<Map<String, Value>, String> {
    let mut lines = raw.lines();
    let mut header: Vec<(String, String)> = Vec::new();
    let mut time = None;
    let mut message = String::new();
    for line in lines.by_ref() {
        let t = line.trim_end_matches('\r');
        if time.is_none() && is_date_line(t) {
            time = Some(t.trim().to_string());
            continue;
        }
        if let Some(m) = t.strip_prefix("Message=") {
            message.push_str(m);
            message.push('\n');
            break;
        }
        if let Some((k, v)) = t.split_once('=') {
            header.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    for line in lines {
        message.push_str(line.trim_end_matches('\r'));
        message.push('\n');
    }
    let get = |k: &str| header.iter().find(|(h, _)| h == k).map(|(_, v)| v.clone());
    let source = get("SourceName");
    let security_source = source
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("Microsoft Windows security auditing."));
    let mut w = WinEvent {
        event_id: get("EventCode"),
        computer: get("ComputerName"),
        channel: get("LogName"),
        provider_name: if security_source {
            Some("Microsoft-Windows-Security-Auditing".into())
        } else {
            source
        },
        record_id: get("RecordNumber").and_then(|r| r.parse().ok()),
        keywords: get("Keywords"),
        ..WinEvent::default()
    };
    if let Some(t) = &time {
        w.time_created =
            Some(to_iso_utc(t, tz).ok_or_else(|| format!("unreadable Splunk time {t:?}"))?);
    }
    // The Subject block comes first; the task block after it.
    let (subject, task) = match message.find("Task Information:") {
        Some(i) => message.split_at(i),
        None => (message.as_str(), message.as_str()),
    };
    w.data(Some("SubjectUserSid"), label(subject, "Security ID:"));
    w.data(Some("SubjectUserName"), label(subject, "Account Name:"));
    w.data(Some("SubjectDomainName"), label(subject, "Account Domain:"));
    w.data(Some("SubjectLogonId"), label(subject, "Logon ID:"));
    w.data(Some("TaskName"), label(task, "Task Name:"));
    if let Some(i) = task.find("Task Content:") {
        let content = task[i + "Task Content:".len()..].trim();
        w.data(Some("TaskContent"), Some(content.to_string()));
    }
    if w.event_id.is_none() {
        return Err("Splunk WinEventLog record has no EventCode".into());
    }
    Ok(w.into_ecs())
}

/// Splits a text stream into records at each date line.
#[derive(Debug)]
pub(crate) struct SplunkLayer {
    buf: Vec<u8>,
    record: String,
    record_line: u64,
    record_offset: u64,
    line: u64,
    offset: u64,
    noted: bool,
}

impl SplunkLayer {
    pub fn new() -> Self {
        Self {
            buf: Vec::new(),
            record: String::new(),
            record_line: 1,
            record_offset: 0,
            line: 1,
            offset: 0,
            noted: false,
        }
    }

    pub fn push(&mut self, chunk: &[u8], ctx: &mut Ctx, out: &mut Vec<Event>) {
        self.buf.extend_from_slice(chunk);
        let mut start = 0;
        while let Some(i) = memchr::memchr(b'\n', after(&self.buf, start)) {
            let line = String::from_utf8_lossy(between(&self.buf, start, start + i)).into_owned();
            self.line_in(&line, ctx, out);
            self.offset += i as u64 + 1;
            self.line += 1;
            start += i + 1;
        }
        self.buf.drain(..start);
    }

    fn line_in(&mut self, line: &str, ctx: &mut Ctx, out: &mut Vec<Event>) {
        if is_date_line(line.trim_end_matches('\r')) {
            self.flush(ctx, out);
            self.record_line = self.line;
            self.record_offset = self.offset;
        }
        self.record.push_str(line);
        self.record.push('\n');
    }

    fn flush(&mut self, ctx: &mut Ctx, out: &mut Vec<Event>) {
        let raw = std::mem::take(&mut self.record);
        if raw.trim().is_empty() {
            return;
        }
        ctx.records += 1;
        ctx.detect(Format::SplunkWinEventLog);
        if !self.noted {
            self.noted = true;
            ctx.note(format!(
                "Splunk WinEventLog times carry no zone; read as {} (time_zone option)",
                ctx.tz_label
            ));
        }
        let loc = Loc {
            line: Some(self.record_line),
            record: None,
            offset: Some(self.record_offset),
        };
        match classic(&raw, ctx.tz) {
            Ok(doc) => ctx.emit(doc, loc, out),
            Err(e) => ctx.error(loc, e),
        }
    }

    pub fn finish(&mut self, ctx: &mut Ctx, out: &mut Vec<Event>) {
        if !self.buf.is_empty() {
            let line = String::from_utf8_lossy(&std::mem::take(&mut self.buf)).into_owned();
            self.line_in(&line, ctx, out);
        }
        self.flush(ctx, out);
    }
}
