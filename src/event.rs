//! One input record: its JSON document (as Elasticsearch would hold its `_source`) and where it
//! came from.
//!
//! Field lookup follows Elasticsearch mapping rules rather than plain JSON navigation, because
//! exports mix both shapes: `{"a.b": 1}` and `{"a": {"b": 1}}` address the same field `a.b`,
//! arrays are multi-valued fields, and arrays of objects are flattened (no `nested` mapping).

use crate::eval::typed::{FieldType, Indexed};
use crate::projection::Projection;
use serde_json::{Map, Value};
use std::sync::Arc;

/// Where a record came from, so that every result can be traced back to the analyst's file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Provenance {
    /// File name (or a label such as `stdin` / `paste`), when the record came from a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<Arc<str>>,
    /// 1-based line number, for line-oriented formats (NDJSON, CSV, XML).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// 1-based record number within the file (EVTX record, JSON array element, CSV row).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
    /// Byte offset of the record's first byte in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// The Elasticsearch index the record came from (the `_index` of a search hit), which
    /// decides the mapping that types it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<Arc<str>>,
    /// The record was recovered from a damaged or truncated stretch of its file (an EVTX chunk
    /// whose checksum or header failed, or inside which the file ends): its own framing checked
    /// out, but nothing vouches for its bytes as a whole. Serialized only when true.
    #[serde(skip_serializing_if = "is_false")]
    pub recovered: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// An event's document: a tree, or (while the event waits in a correlator) its compact JSON
/// text, parsed again only if something reads it. A `serde_json` tree of a 3 KB Windows event
/// takes about 20 KB; batch mode holds every candidate event until the input ends, so held
/// events are kept as text ([`Event::freeze`]). JSON text round-trips a tree exactly (keys in
/// order, numbers as written by `serde_json`).
#[derive(Debug, Clone)]
enum Source {
    Tree(Map<String, Value>),
    Frozen {
        json: Box<str>,
        tree: std::sync::OnceLock<Map<String, Value>>,
    },
    /// Read through a [`Projection`]: the projected keys for lookups of the paths it covers,
    /// and the record's own JSON text, parsed whole only if something else is read.
    Projected {
        fields: Map<String, Value>,
        cover: Arc<Projection>,
        json: Box<str>,
        tree: std::sync::OnceLock<Map<String, Value>>,
    },
}

impl Source {
    fn get(&self) -> &Map<String, Value> {
        match self {
            Source::Tree(map) => map,
            Source::Frozen { json, tree } | Source::Projected { json, tree, .. } => {
                tree.get_or_init(|| thaw(json))
            }
        }
    }

    /// The map a lookup of `path` reads: the projected keys when they cover it.
    fn for_path(&self, path: &str) -> &Map<String, Value> {
        match self {
            Source::Projected { fields, cover, .. } if cover.covers(path) => fields,
            _ => self.get(),
        }
    }
}

/// The tree of a frozen or projected source (the text was written from a map by serde_json,
/// or is a record's text that parsed as an object, so it parses back).
fn thaw(json: &str) -> Map<String, Value> {
    serde_json::from_str(json).unwrap_or_default()
}

/// One event: a JSON object plus its provenance. Cloning is cheap: the document is shared
/// (copied on write by `source_mut`), so the correlators a schedule replay runs, and the
/// candidates a session keeps for it, hold the same documents rather than one copy each.
#[derive(Debug, Clone)]
pub struct Event {
    source: Arc<Source>,
    provenance: Provenance,
    /// With an index mapping: the mapped fields the query reads, as Elasticsearch indexed
    /// them ([`Query::index_event`](crate::Query::index_event)). Lookups of those fields read
    /// here; `source` (what results show) is unchanged.
    indexed: Option<Arc<Indexed>>,
}

impl Event {
    /// Wraps a JSON object. Non-object documents are not events; readers report them as
    /// unreadable records instead of building an `Event`.
    pub fn new(source: Map<String, Value>, provenance: Provenance) -> Self {
        Self {
            source: Arc::new(Source::Tree(source)),
            provenance,
            indexed: None,
        }
    }

    /// An event read through a projection: `fields` is `json` parsed by `cover`
    /// ([`Projection::parse`]), `json` a JSON object's text.
    pub(crate) fn projected(
        fields: Map<String, Value>,
        cover: Arc<Projection>,
        json: Box<str>,
        provenance: Provenance,
    ) -> Self {
        Self {
            source: Arc::new(Source::Projected {
                fields,
                cover,
                json,
                tree: std::sync::OnceLock::new(),
            }),
            provenance,
            indexed: None,
        }
    }

    /// Builds an event from any JSON value, or `None` when it is not an object.
    pub fn from_value(value: Value, provenance: Provenance) -> Option<Self> {
        match value {
            Value::Object(source) => Some(Self::new(source, provenance)),
            _ => None,
        }
    }

    /// The document, as it will appear under `_source` in results.
    pub fn source(&self) -> &Map<String, Value> {
        self.source.get()
    }

    /// Mutable access for normalisers that add ECS fields.
    pub fn source_mut(&mut self) -> &mut Map<String, Value> {
        let source = Arc::make_mut(&mut self.source);
        if let Source::Frozen { json, tree } | Source::Projected { json, tree, .. } = source {
            let map = tree.take().unwrap_or_else(|| thaw(json));
            *source = Source::Tree(map);
        }
        match source {
            Source::Tree(map) => map,
            Source::Frozen { .. } | Source::Projected { .. } => unreachable_frozen(),
        }
    }

    /// Keeps the document as compact JSON text until it is read again (see `Source`): for
    /// events a correlator holds, whose fields it has already read. A projected event already
    /// is its text (plus the few projected keys), and a parsed tree of it is dropped. A document
    /// another clone shares is not changed under it: this event gets a frozen copy of its own
    /// (what a deep clone frozen would hold) unless the shared one is already compact.
    pub fn freeze(&mut self) {
        if let Some(source) = Arc::get_mut(&mut self.source) {
            match source {
                Source::Projected { tree, .. } => drop(tree.take()),
                Source::Tree(map) => {
                    if let Ok(json) = serde_json::to_string(map) {
                        *source = Source::Frozen {
                            json: json.into_boxed_str(),
                            tree: std::sync::OnceLock::new(),
                        };
                    }
                }
                Source::Frozen { .. } => {}
            }
            return;
        }
        let copy = match &*self.source {
            Source::Tree(map) => serde_json::to_string(map).ok().map(|json| Source::Frozen {
                json: json.into_boxed_str(),
                tree: std::sync::OnceLock::new(),
            }),
            Source::Projected {
                fields,
                cover,
                json,
                tree,
            } if tree.get().is_some() => Some(Source::Projected {
                fields: fields.clone(),
                cover: Arc::clone(cover),
                json: json.clone(),
                tree: std::sync::OnceLock::new(),
            }),
            Source::Projected { .. } | Source::Frozen { .. } => None,
        };
        if let Some(copy) = copy {
            self.source = Arc::new(copy);
        }
    }

    /// Where this record came from.
    pub fn provenance(&self) -> &Provenance {
        &self.provenance
    }

    /// Mutable provenance, for readers that learn the location after parsing.
    pub fn provenance_mut(&mut self) -> &mut Provenance {
        &mut self.provenance
    }

    /// Calls `visit` with every value of the dotted field `path`, in document order, until it
    /// returns `false`. Values are scalars (string, number, bool): `null`s, empty arrays and
    /// objects are not field values in Elasticsearch, so a field holding only those is missing.
    pub fn for_each_value<'a>(&'a self, path: &str, visit: &mut dyn FnMut(&'a Value) -> bool) {
        if let Some((_, values)) = self.indexed.as_ref().and_then(|i| i.get(path)) {
            for v in values {
                if !leaves(v, visit) {
                    return;
                }
            }
            return;
        }
        let _ = in_object(self.source.for_path(path), path, false, visit);
    }

    /// The document's own values of `path` (ignoring any indexed view), explicit `null`s
    /// included: what a mapping's `null_value` applies to.
    pub fn source_values_with_nulls(&self, path: &str) -> Vec<&Value> {
        let mut out = Vec::new();
        let _ = in_object(self.source.for_path(path), path, true, &mut |v| {
            out.push(v);
            true
        });
        out
    }

    /// The indexed view, if the event was indexed with a mapping.
    pub fn indexed(&self) -> Option<&Indexed> {
        self.indexed.as_deref()
    }

    /// The mapped type and indexed values of `path`, when the event has an indexed view that
    /// maps it.
    pub fn typed(&self, path: &str) -> Option<(&FieldType, &[Value])> {
        self.indexed.as_ref().and_then(|i| i.get(path))
    }

    /// Attaches an indexed view (see [`Event::indexed`]).
    pub fn set_indexed(&mut self, indexed: Option<Indexed>) {
        self.indexed = indexed.map(Arc::new);
    }

    /// All values of the dotted field `path` (see [`Event::for_each_value`]).
    pub fn values<'a>(&'a self, path: &str) -> Vec<&'a Value> {
        values_in(self.source.for_path(path), path)
    }

    /// The first value of `path`, if the field exists.
    pub fn first_value<'a>(&'a self, path: &str) -> Option<&'a Value> {
        let mut first = None;
        self.for_each_value(path, &mut |v| {
            first = Some(v);
            false
        });
        first
    }

    /// Whether the field has at least one value (Elasticsearch `exists`).
    pub fn has_field(&self, path: &str) -> bool {
        self.first_value(path).is_some()
    }
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.source() == other.source()
            && self.provenance == other.provenance
            && self.indexed == other.indexed
    }
}

/// `source_mut` has just made the source a tree.
#[cold]
fn unreachable_frozen() -> ! {
    unreachable!("a thawed source is a tree")
}

/// All values of the dotted field `path` in a document that is not (yet) an [`Event`], such as
/// the `_source` of a result object, with the same resolution rules as [`Event::values`].
pub fn values_in<'a>(source: &'a Map<String, Value>, path: &str) -> Vec<&'a Value> {
    let mut out = Vec::new();
    let _ = in_object(source, path, false, &mut |v| {
        out.push(v);
        true
    });
    out
}

/// Visits `rest` inside `object`, trying the whole remaining path as one key first and then every
/// dotted prefix, so that any mix of dotted keys and nesting resolves. Returns `false` once the
/// visitor asked to stop.
fn in_object<'a>(
    object: &'a Map<String, Value>,
    rest: &str,
    nulls: bool,
    visit: &mut dyn FnMut(&'a Value) -> bool,
) -> bool {
    if let Some(value) = object.get(rest) {
        let more = if nulls {
            leaves_with_nulls(value, visit)
        } else {
            leaves(value, visit)
        };
        if !more {
            return false;
        }
    }
    for (dot, _) in rest.match_indices('.') {
        if let Some(value) = object.get(&rest[..dot]) {
            if !descend(value, &rest[dot + 1..], nulls, visit) {
                return false;
            }
        }
    }
    true
}

fn descend<'a>(
    value: &'a Value,
    rest: &str,
    nulls: bool,
    visit: &mut dyn FnMut(&'a Value) -> bool,
) -> bool {
    match value {
        Value::Object(object) => in_object(object, rest, nulls, visit),
        Value::Array(items) => items.iter().all(|item| descend(item, rest, nulls, visit)),
        _ => true,
    }
}

fn leaves<'a>(value: &'a Value, visit: &mut dyn FnMut(&'a Value) -> bool) -> bool {
    match value {
        Value::Null | Value::Object(_) => true,
        Value::Array(items) => items.iter().all(|item| leaves(item, visit)),
        scalar => visit(scalar),
    }
}

fn leaves_with_nulls<'a>(value: &'a Value, visit: &mut dyn FnMut(&'a Value) -> bool) -> bool {
    match value {
        Value::Object(_) => true,
        Value::Array(items) => items.iter().all(|item| leaves_with_nulls(item, visit)),
        other => visit(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(v: Value) -> Event {
        Event::from_value(v, Provenance::default()).unwrap()
    }

    #[test]
    fn dotted_and_nested_keys_address_the_same_field() {
        let e = event(
            json!({"a.b": 1, "a": {"b": 2, "c.d": [3, null, [4]]}, "x": {"y.z": {"w": "v"}}}),
        );
        assert_eq!(e.values("a.b"), [&json!(1), &json!(2)]);
        assert_eq!(e.values("a.c.d"), [&json!(3), &json!(4)]);
        assert_eq!(e.values("x.y.z.w"), [&json!("v")]);
        assert!(e.values("a").is_empty(), "an object is not a value");
    }

    #[test]
    fn arrays_of_objects_flatten_and_nulls_are_missing() {
        let e = event(
            json!({"p": [{"n": "a"}, {"n": ["b", "c"]}, {"m": 1}], "nil": null, "empty": []}),
        );
        assert_eq!(e.values("p.n"), [&json!("a"), &json!("b"), &json!("c")]);
        assert!(!e.has_field("nil"));
        assert!(!e.has_field("empty"));
        assert_eq!(e.first_value("p.n"), Some(&json!("a")));
    }
}
