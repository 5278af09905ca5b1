//! Every JSON record, whatever container it came in (NDJSON line, array element, `_search` hit,
//! EQL event), goes through here: unwrap known envelopes, recognise the record's schema, and
//! normalise it to ECS. Recognition is per record, so mixed files work; the first recognised
//! schema is reported as the detected format.

use super::ctx::{Ctx, Loc};
use super::format::Format;
use super::util::{at, has, str_at};
use super::{siem, tools, winlog};
use crate::event::Event;
use crate::projection::Projection;
use serde_json::{Map, Value};
use std::sync::Arc;

/// Deepest envelope nesting followed (arrays inside arrays, `rawResponse`, ...).
const MAX_UNWRAP: usize = 4;

/// The container a record came in: decides the name reported for plain ECS documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Container {
    Lines,
    Document,
}

impl Container {
    fn ecs_format(self) -> Format {
        match self {
            Container::Lines => Format::Ndjson,
            Container::Document => Format::Json,
        }
    }
}

/// What the reader reads of a record to unwrap its envelope, recognise its schema and count it
/// ([`unwrap`], [`recognise`], `Ctx::emit`). A projection always keeps these, so a projected
/// record is recognised as the whole one would be. Keep the list in step with those functions:
/// tests/projection_fixtures.rs reads every fixture both ways and fails on a missing key.
pub(crate) const READER_FIELDS: &[&str] = &[
    // envelopes
    "rawResponse",
    "hits",
    "events",
    "_source",
    "_index",
    "_id",
    // schemas
    "savedObjectId",
    "timelineType",
    "templateTimelineId",
    "group",
    "kind",
    "document",
    "documents",
    "Event_attributes",
    "Event",
    "RuleTitle",
    "Timestamp",
    "PayloadData1",
    "MapDescription",
    "Payload",
    "EventId",
    "category",
    "properties",
    "ActionType",
    "DeviceName",
    "TimeGenerated",
    "EventID",
    "Computer",
    "Hostname",
    "EventSourceName",
    "EventData",
    "result",
    "event.category",
    "event.module",
    "event.code",
    "winlog.event_id",
    // counts
    "@timestamp",
    "event.action",
    "winlog.channel",
    "winlog.provider_name",
];

/// One NDJSON line read through `projection`: `fields` are its projected keys, `text` the line.
/// A plain ECS document (no envelope, no other schema) becomes a projected event; anything
/// else is parsed whole and read as [`record`] reads it.
pub(crate) fn projected(
    fields: Map<String, Value>,
    text: Box<str>,
    projection: &Arc<Projection>,
    loc: Loc,
    ctx: &mut Ctx,
    out: &mut Vec<Event>,
) {
    // Envelope keys are kept whole, so their presence is certain; the exact checks are
    // `unwrap`'s, on the whole record.
    let envelope = ["rawResponse", "hits", "events", "_source"]
        .iter()
        .any(|k| fields.contains_key(*k));
    let plain = match ctx.forced {
        Format::Auto => recognise(&fields).is_none(),
        Format::Ndjson | Format::Json => true,
        _ => false,
    };
    if envelope || !plain {
        return record_text(&text, Container::Lines, loc, ctx, out);
    }
    ctx.records += 1;
    ctx.detect(Container::Lines.ecs_format());
    ctx.emit_projected(fields, Arc::clone(projection), text, loc, out);
}

/// Parses `text` (known to be valid JSON) whole and handles it as [`record`] does.
pub(crate) fn record_text(
    text: &str,
    container: Container,
    loc: Loc,
    ctx: &mut Ctx,
    out: &mut Vec<Event>,
) {
    match serde_json::from_str::<Value>(text) {
        Ok(value) => record(value, container, loc, ctx, out),
        Err(e) => {
            ctx.records += 1;
            ctx.error(loc, format!("invalid JSON ({e})"));
        }
    }
}

/// Handles one parsed JSON value.
pub(crate) fn record(
    value: Value,
    container: Container,
    loc: Loc,
    ctx: &mut Ctx,
    out: &mut Vec<Event>,
) {
    ctx.records += 1;
    unwrap(value, container, loc, 0, ctx, out);
}

fn unwrap(
    value: Value,
    container: Container,
    loc: Loc,
    depth: usize,
    ctx: &mut Ctx,
    out: &mut Vec<Event>,
) {
    if depth > MAX_UNWRAP {
        ctx.error(loc, "JSON envelopes nested too deeply to be an export");
        return;
    }
    let mut obj = match value {
        Value::Object(obj) => obj,
        Value::Array(items) if !items.iter().any(|i| i.is_object() || i.is_array()) => {
            ctx.error(
                loc,
                format!(
                    "expected a JSON object, found an array of {} values",
                    items.len()
                ),
            );
            return;
        }
        Value::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                let loc = Loc {
                    record: Some(i as u64 + 1),
                    ..loc
                };
                unwrap(item, Container::Document, loc, depth + 1, ctx, out);
            }
            return;
        }
        other => {
            ctx.error(
                loc,
                format!("expected a JSON object, found {}", kind(&other)),
            );
            return;
        }
    };
    // Kibana's search-service envelope.
    if let Some(Value::Object(inner)) = obj.remove("rawResponse") {
        return unwrap(Value::Object(inner), container, loc, depth + 1, ctx, out);
    }
    if let Some(Value::Object(hits)) = obj.get("hits") {
        if hits.contains_key("hits")
            || hits.contains_key("events")
            || hits.contains_key("sequences")
        {
            return search_response(obj, loc, depth, ctx, out);
        }
    }
    // Ingest-pipeline test input (elastic/integrations `_dev/test/pipeline/*.json`).
    if obj.len() == 1 {
        if let Some(Value::Array(_)) = obj.get("events") {
            if let Some(events) = obj.remove("events") {
                return unwrap(events, Container::Document, loc, depth + 1, ctx, out);
            }
        }
    }
    // elasticdump / a single hit.
    if obj.contains_key("_source") && (obj.contains_key("_index") || obj.contains_key("_id")) {
        if let Some(source) = obj.remove("_source") {
            let index = obj.get("_index").and_then(Value::as_str).map(Arc::from);
            let outer = std::mem::replace(&mut ctx.index, index);
            unwrap(source, container, loc, depth + 1, ctx, out);
            ctx.index = outer;
            return;
        }
    }
    normalise(obj, container, loc, ctx, out);
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `_search` (`hits.hits[]`) and EQL (`hits.events[]`, `hits.sequences[].events[]`) responses.
fn search_response(
    mut obj: Map<String, Value>,
    loc: Loc,
    depth: usize,
    ctx: &mut Ctx,
    out: &mut Vec<Event>,
) {
    let Some(Value::Object(mut hits)) = obj.remove("hits") else {
        return;
    };
    let mut list = Vec::new();
    for key in ["hits", "events"] {
        if let Some(Value::Array(items)) = hits.remove(key) {
            list.extend(items);
        }
    }
    if let Some(Value::Array(seqs)) = hits.remove("sequences") {
        for seq in seqs {
            if let Value::Object(mut seq) = seq {
                if let Some(Value::Array(events)) = seq.remove("events") {
                    list.extend(events);
                }
            }
        }
    }
    search_notes(&obj, &hits, list.len() as u64, ctx);
    for (i, hit) in list.into_iter().enumerate() {
        let hit_loc = Loc {
            record: Some(i as u64 + 1),
            ..loc
        };
        search_hit(hit, hit_loc, depth, ctx, out);
    }
}

/// The notes a search response earns (partial EQL response, fewer hits than the total), given
/// the response object, its `hits` object and how many hits it held.
fn search_notes(obj: &Map<String, Value>, hits: &Map<String, Value>, count: u64, ctx: &mut Ctx) {
    let total = at(hits, "total.value")
        .or_else(|| hits.get("total"))
        .and_then(Value::as_u64);
    if obj.get("is_partial").and_then(Value::as_bool) == Some(true) {
        ctx.note("the EQL response is partial (is_partial: true): some shards did not answer");
    }
    if let Some(total) = total {
        if total > count && obj.contains_key("_shards") {
            ctx.note(format!(
                "the _search response holds {count} of {total} hits: export all pages (raise size or use search_after) to see every event"
            ));
        }
    }
}

/// One hit of a search response (`hits.hits[]`, `hits.events[]` or a sequence's `events[]`),
/// `depth` envelopes down.
pub(crate) fn search_hit(
    hit: Value,
    hit_loc: Loc,
    depth: usize,
    ctx: &mut Ctx,
    out: &mut Vec<Event>,
) {
    match hit {
        Value::Object(mut h) => {
            // The hit's index decides the mapping that types it, as for elasticdump lines.
            let index = h.get("_index").and_then(Value::as_str).map(Arc::from);
            if let Some(source @ Value::Object(_)) = h.remove("_source") {
                let outer = std::mem::replace(&mut ctx.index, index);
                unwrap(source, Container::Document, hit_loc, depth + 1, ctx, out);
                ctx.index = outer;
            } else if let Some(Value::Object(fields)) = h.remove("fields") {
                let outer = std::mem::replace(&mut ctx.index, index);
                normalise(from_fields(fields), Container::Document, hit_loc, ctx, out);
                ctx.index = outer;
            } else if h.get("missing").and_then(Value::as_bool) == Some(true) {
                // A sequence's missing-event placeholder carries no event.
            } else {
                ctx.error(hit_loc, "search hit has neither _source nor fields");
            }
        }
        other => ctx.error(
            hit_loc,
            format!("search hit is {}, not an object", kind(&other)),
        ),
    }
}

/// The end of a search response whose hits were streamed one by one ([`search_hit`]):
/// `skeleton` is the document with the streamed arrays emptied, the response `raw` levels of
/// `rawResponse` down, and `count` hits were streamed. Counts the record and adds the notes.
pub(crate) fn streamed_search_end(skeleton: &Value, raw: usize, count: u64, ctx: &mut Ctx) {
    ctx.records += 1;
    let mut obj = skeleton;
    for _ in 0..raw {
        match obj.get("rawResponse") {
            Some(inner) => obj = inner,
            None => return,
        }
    }
    if let (Some(obj), Some(Value::Object(hits))) = (obj.as_object(), obj.get("hits")) {
        search_notes(obj, hits, count, ctx);
    }
}

/// `fields`-style hits: every value is an array keyed by the full dotted name; `.keyword`
/// duplicates are dropped. Single values are unwrapped (the field lookup treats both the same).
fn from_fields(fields: Map<String, Value>) -> Map<String, Value> {
    let mut doc = Map::new();
    for (k, v) in fields {
        if k.ends_with(".keyword") {
            continue;
        }
        let v = match v {
            Value::Array(mut a) if a.len() == 1 => a.pop().unwrap_or(Value::Null),
            other => other,
        };
        doc.insert(k, v);
    }
    doc
}

/// The schema of one record, by the keys it has (export-formats.md §9 step 4).
fn recognise(obj: &Map<String, Value>) -> Option<Format> {
    let k = |key: &str| obj.contains_key(key);
    if k("savedObjectId") && (k("timelineType") || k("templateTimelineId")) {
        return Some(Format::KibanaTimeline);
    }
    if k("group") && k("kind") && (k("document") || k("documents")) {
        return Some(Format::Chainsaw);
    }
    if k("Event_attributes") {
        // evtx-crate JSON with separated attributes: what `chainsaw search` writes.
        return Some(Format::Chainsaw);
    }
    if k("Event") && at(obj, "Event.System").is_some() {
        return Some(Format::EvtxDumpJson);
    }
    if k("RuleTitle") && k("Timestamp") {
        return Some(Format::Hayabusa);
    }
    if k("PayloadData1") || k("MapDescription") || (k("Payload") && k("EventId")) {
        return Some(Format::EvtxECmdJson);
    }
    if str_at(obj, "category").is_some_and(|c| c.starts_with("AdvancedHunting-")) && k("properties")
    {
        return Some(Format::DefenderDeviceEvents);
    }
    if k("ActionType") && k("DeviceName") {
        return Some(Format::DefenderDeviceEvents);
    }
    if k("TimeGenerated") && k("EventID") && k("Computer") {
        return Some(Format::Sentinel);
    }
    if k("EventID") && (k("Hostname") || (k("EventSourceName") && k("EventData"))) {
        return Some(Format::Nxlog);
    }
    if let Some(Value::Object(result)) = obj.get("result") {
        if result.contains_key("_raw") {
            return Some(Format::SplunkWinEventLog);
        }
    }
    if has(obj, "winlog") && !has(obj, "event.category") && !has(obj, "event.module") {
        let code = at(obj, "event.code").or_else(|| at(obj, "winlog.event_id"));
        if code.is_some() {
            return Some(Format::WinlogbeatRaw);
        }
    }
    None
}

fn normalise(
    obj: Map<String, Value>,
    container: Container,
    loc: Loc,
    ctx: &mut Ctx,
    out: &mut Vec<Event>,
) {
    let schema = match ctx.forced {
        Format::Auto => recognise(&obj),
        Format::Ndjson | Format::Json => None,
        forced => Some(forced),
    };
    let format = schema.unwrap_or_else(|| container.ecs_format());
    if format == Format::Chainsaw && obj.contains_key("group") && obj.contains_key("kind") {
        ctx.detect(format);
        for doc in tools::chainsaw_hunt(&obj) {
            match doc {
                Ok(doc) => ctx.emit(doc, loc, out),
                Err(reason) => ctx.error(loc, reason),
            }
        }
        return;
    }
    let result: Result<Vec<Map<String, Value>>, String> = match format {
        Format::Ndjson | Format::Json => Ok(vec![obj]),
        Format::KibanaTimeline => Err(TIMELINE.to_string()),
        Format::WinlogbeatRaw => {
            let mut obj = obj;
            winlog::apply_security_pipeline(&mut obj);
            Ok(vec![obj])
        }
        Format::EvtxDumpJson | Format::Chainsaw => tools::evtx_json(obj),
        Format::Hayabusa => tools::hayabusa_json(obj, ctx.tz),
        Format::EvtxECmdJson => tools::evtxecmd_json(obj),
        Format::DefenderDeviceEvents => siem::mde(obj),
        Format::Sentinel => siem::sentinel(obj, ctx.tz),
        Format::Nxlog => siem::nxlog(obj, ctx.tz),
        Format::SplunkWinEventLog => siem::splunk_result(obj, ctx.tz),
        other => Err(format!("a JSON record cannot be read as {other}")),
    };
    ctx.detect(format);
    match result {
        Ok(docs) => {
            for doc in docs {
                ctx.emit(doc, loc, out);
            }
        }
        Err(reason) => ctx.error(loc, reason),
    }
}

/// The explanation for Kibana Security Timeline exports.
pub(crate) const TIMELINE: &str = "this is a Kibana Security Timeline export: it holds the \
timeline's saved query and pinned event ids, not the events. Open the timeline, run its query \
in Discover, and export the hits (Discover \"Generate CSV\" or the _search / EQL JSON response) instead";
