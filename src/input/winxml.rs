//! Windows event XML: `wevtutil qe /f:xml` fragment streams, `<Events>` documents (Event Viewer
//! "Save as XML", `/e:Events`), `Get-WinEvent ... ToXml()`, and Splunk `XmlWinEventLog` `_raw`
//! (single-quoted attributes). The stream is cut into `<Event>...</Event>` elements as bytes
//! arrive, so a large export never has to be held whole; each element is parsed with a real XML
//! parser.

use super::ctx::{Ctx, Loc};
use super::format::Format;
use super::timefmt::{to_iso_utc, Offset};
use super::util::{after, before, excerpt};
use super::winlog::WinEvent;
use super::xmltree::{self, Node};
use crate::event::Event;
use memchr::memmem;
use serde_json::{Map, Value};

/// Largest single `<Event>` element accepted (TaskContent can be long, but not this long).
const MAX_EVENT: usize = 8 << 20;

/// Adds the `<Data Name="...">` items of an `<EventData>` element (or a bare `<Data>`).
pub(crate) fn event_data(node: &Node, w: &mut WinEvent) {
    let items: Vec<&Node> = if node.name == "Data" {
        vec![node]
    } else {
        node.children
            .iter()
            .filter(|c| c.name == "Data" || c.name == "Binary")
            .collect()
    };
    for item in items {
        if item.name == "Binary" {
            w.data(Some("Binary"), item.text_opt());
        } else {
            w.data(item.attr("Name"), Some(item.text.clone()));
        }
    }
}

fn node_json(node: &Node) -> Value {
    if node.children.is_empty() {
        return Value::String(node.text.trim().to_string());
    }
    let mut obj = Map::new();
    for c in &node.children {
        obj.insert(c.name.clone(), node_json(c));
    }
    Value::Object(obj)
}

fn num(v: Option<&str>) -> Option<u64> {
    v.and_then(|t| t.trim().parse().ok())
}

/// One `<Event>` element -> a Windows event.
pub(crate) fn win_event(event: &Node) -> Result<WinEvent, String> {
    let sys = event.child("System").ok_or("<Event> has no <System>")?;
    let text = |p: &str| sys.path(p).and_then(Node::text_opt);
    let mut w = WinEvent {
        event_id: text("EventID"),
        computer: text("Computer"),
        channel: text("Channel"),
        provider_name: sys
            .child("Provider")
            .and_then(|p| p.attr("Name"))
            .map(str::to_string),
        provider_guid: sys
            .child("Provider")
            .and_then(|p| p.attr("Guid"))
            .map(str::to_string),
        keywords: text("Keywords"),
        level: text("Level"),
        opcode: text("Opcode"),
        task: text("Task"),
        version: num(text("Version").as_deref()),
        record_id: num(text("EventRecordID").as_deref()),
        pid: num(sys.child("Execution").and_then(|e| e.attr("ProcessID"))),
        tid: num(sys.child("Execution").and_then(|e| e.attr("ThreadID"))),
        activity_id: sys
            .child("Correlation")
            .and_then(|c| c.attr("ActivityID"))
            .map(str::to_string),
        ..WinEvent::default()
    };
    let created = sys.child("TimeCreated").and_then(|t| t.attr("SystemTime"));
    w.time_created = created.and_then(|t| to_iso_utc(t, Some(Offset(0))));
    if let Some(data) = event.child("EventData") {
        event_data(data, &mut w);
    }
    if let Some(user) = event.child("UserData") {
        w.user_data = Some(node_json(user));
    }
    w.message = event.path("RenderingInfo/Message").and_then(Node::text_opt);
    if w.event_id.is_none() {
        return Err("<Event> has no <System><EventID>".into());
    }
    if created.is_some() && w.time_created.is_none() {
        return Err(format!(
            "unreadable TimeCreated SystemTime {:?}",
            created.unwrap_or_default()
        ));
    }
    Ok(w)
}

/// Every `<Event>` in a piece of XML text (one event, a fragment stream or an `<Events>` root).
pub(crate) fn events_from_text(text: &str) -> Result<Vec<Map<String, Value>>, String> {
    let roots = xmltree::parse(text)?;
    let mut out = Vec::new();
    for root in &roots {
        let events: Vec<&Node> = if root.name == "Event" {
            vec![root]
        } else {
            root.children.iter().filter(|c| c.name == "Event").collect()
        };
        for e in events {
            out.push(win_event(e)?.into_ecs());
        }
    }
    if out.is_empty() {
        return Err("XML holds no <Event> element".into());
    }
    Ok(out)
}

/// The streaming `<Event>` splitter.
#[derive(Debug, Default)]
pub(crate) struct XmlLayer {
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`, and the 1-based line it starts on.
    offset: u64,
    line: u64,
    records: u64,
    /// An `<Event` start tag was seen (even if its element never completed).
    seen_event: bool,
    /// The first element name, for the "not event XML" explanation.
    first_tag: Option<String>,
    /// The stream's first bytes (at most `HEAD`), kept apart from `buf`, which `drain`
    /// consumes: the first element is found in them whatever the pushes were.
    head: Vec<u8>,
    /// Where the search for the buffered event's `</Event>` resumes (nothing before it
    /// holds one), so that an event arriving in many pushes is scanned once.
    end_scan: usize,
}

/// Where the start tag at `buf[0]` ends and whether it closes itself (`/>`), skipping quoted
/// attribute values (which may hold `>`); `None` while it has not arrived. A `<` before the
/// tag's end (which no attribute value may hold) ends a damaged tag there, not self-closed,
/// so one broken quote cannot swallow the events after it.
fn start_tag_end(buf: &[u8]) -> Option<(usize, bool)> {
    let mut quote = None;
    let mut prev = 0u8;
    for (i, &b) in buf.iter().enumerate().skip(1) {
        match (quote, b) {
            (_, b'<') => return Some((i, false)),
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if b == q => quote = None,
            (None, b'>') => return Some((i, prev == b'/')),
            _ => {}
        }
        prev = b;
    }
    None
}

/// How many of the first bytes are searched for the first element's name.
const HEAD: usize = 4096;
/// How much of a name the explanation shows.
const NAME_SHOWN: usize = 64;

/// The name of the first element (skipping the prologue, comments and doctype), once known.
fn first_element(buf: &[u8]) -> Option<String> {
    let mut at = 0;
    while let Some(i) = memchr::memchr(b'<', after(buf, at)) {
        let pos = at + i;
        match buf.get(pos + 1) {
            Some(b'?' | b'!') => at = pos + 1,
            Some(_) => {
                let rest = after(buf, pos + 1);
                let len = rest
                    .iter()
                    .take(NAME_SHOWN)
                    .position(|b| b.is_ascii_whitespace() || matches!(b, b'>' | b'/'));
                // An unterminated name is known once NAME_SHOWN of its bytes are in.
                let len = len.or((rest.len() >= NAME_SHOWN).then_some(NAME_SHOWN))?;
                return Some(String::from_utf8_lossy(before(rest, len)).into_owned());
            }
            None => return None,
        }
    }
    None
}

/// Finds `<Event` followed by whitespace, `>` or `/` (not `<Events`, not `<EventData`).
fn find_event_start(buf: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(i) = memmem::find(after(buf, at), b"<Event") {
        let pos = at + i;
        match buf.get(pos + 6) {
            Some(b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/') => return Some(pos),
            Some(_) => at = pos + 6,
            None => return None,
        }
    }
    None
}

impl XmlLayer {
    pub fn new() -> Self {
        Self {
            line: 1,
            ..Self::default()
        }
    }

    pub fn push(&mut self, chunk: &[u8], ctx: &mut Ctx, out: &mut Vec<Event>) {
        self.buf.extend_from_slice(chunk);
        if self.first_tag.is_none() && self.head.len() < HEAD {
            let room = HEAD - self.head.len();
            self.head
                .extend_from_slice(chunk.get(..room).unwrap_or(chunk));
            self.first_tag = first_element(&self.head);
        }
        self.drain(false, ctx, out);
    }

    pub fn finish(&mut self, ctx: &mut Ctx, out: &mut Vec<Event>) {
        self.drain(true, ctx, out);
        let rest = String::from_utf8_lossy(&self.buf).into_owned();
        let leftover = rest.trim().trim_end_matches("</Events>").trim();
        if self.records == 0 && !self.seen_event {
            // Not one <Event> anywhere: some other XML document.
            let root = self.first_tag.clone().unwrap_or_else(|| {
                // The stream ended inside the first name (or has none): show what there is.
                let start = memchr::memchr(b'<', &self.head).map_or(self.head.len(), |i| i + 1);
                let name = after(&self.head, start);
                let len = name
                    .iter()
                    .take(NAME_SHOWN)
                    .position(|b| b.is_ascii_whitespace() || matches!(b, b'>' | b'/'))
                    .unwrap_or(name.len().min(NAME_SHOWN));
                String::from_utf8_lossy(before(name, len)).into_owned()
            });
            ctx.records += 1;
            ctx.error(
                Loc {
                    line: Some(1),
                    record: None,
                    offset: Some(0),
                },
                format!(
                    "XML without any <Event> element (first element <{root}>): this is not Windows \
                     event XML. Export with wevtutil qe /f:xml, Get-WinEvent ... ToXml(), or Event \
                     Viewer \"Save All Events As\" XML instead"
                ),
            );
        } else if !leftover.is_empty() && !leftover.starts_with("<?xml") {
            let loc = Loc {
                line: Some(self.line),
                record: None,
                offset: Some(self.offset),
            };
            ctx.records += 1;
            ctx.error(
                loc,
                format!(
                    "XML ends inside an event (truncated?): {}",
                    excerpt(leftover.as_bytes())
                ),
            );
        }
        self.buf.clear();
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.buf.len());
        self.end_scan = 0;
        self.line += memchr::memchr_iter(b'\n', before(&self.buf, n)).count() as u64;
        self.offset += n as u64;
        self.buf.drain(..n);
    }

    fn drain(&mut self, at_end: bool, ctx: &mut Ctx, out: &mut Vec<Event>) {
        loop {
            let Some(start) = find_event_start(&self.buf, 0) else {
                // Keep a tail that might begin a split `<Event`.
                let keep = if at_end { 0 } else { 6.min(self.buf.len()) };
                let cut = self.buf.len() - keep;
                self.consume(cut);
                return;
            };
            self.consume(start);
            self.seen_event = true;
            // The start tag decides: `<Event .../>` ends there, else at `</Event>`. (Deciding
            // on what happens to be buffered would split the stream differently by chunk.)
            let end = start_tag_end(&self.buf).and_then(|(close, self_closed)| {
                if self_closed {
                    return Some(close + 1);
                }
                let from = self.end_scan.max(close);
                match memmem::find(after(&self.buf, from), b"</Event>") {
                    Some(i) => Some(from + i + 8),
                    None => {
                        // Resume the search where a split `</Event>` could begin.
                        self.end_scan = self.buf.len().saturating_sub(7).max(close);
                        None
                    }
                }
            });
            let Some(end) = end else {
                if self.buf.len() > MAX_EVENT {
                    let loc = Loc {
                        line: Some(self.line),
                        record: None,
                        offset: Some(self.offset),
                    };
                    ctx.records += 1;
                    ctx.error(
                        loc,
                        format!(
                            "<Event> element larger than {} MiB; skipped",
                            MAX_EVENT >> 20
                        ),
                    );
                    self.consume(6);
                    continue;
                }
                return;
            };
            self.records += 1;
            let loc = Loc {
                line: Some(self.line),
                record: Some(self.records),
                offset: Some(self.offset),
            };
            let text = String::from_utf8_lossy(before(&self.buf, end)).into_owned();
            self.consume(end);
            ctx.records += 1;
            ctx.detect(Format::WindowsXml);
            match xmltree::parse(&text).and_then(|roots| {
                roots
                    .first()
                    .ok_or_else(|| "empty <Event>".to_string())
                    .and_then(win_event)
            }) {
                Ok(w) => ctx.emit(w.into_ecs(), loc, out),
                Err(e) => ctx.error(loc, e),
            }
        }
    }
}
