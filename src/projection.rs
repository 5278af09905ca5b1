//! Projection: parse only the fields something will read.
//!
//! Building a `serde_json` tree of a 3 KB Windows event costs about 20 KB of allocations, and
//! a query reads a handful of its fields. A [`Projection`] is the set of dotted field paths
//! that will be read (the query's fields, the exceptions' fields, and what the reader itself
//! looks at to recognise a record); [`Projection::parse`] reads a JSON object keeping only the
//! keys on those paths, and the event keeps its JSON text for the rest: the whole document is
//! parsed from it again only if something asks for it (a result's `_source`).
//!
//! Two properties make this exact rather than approximate:
//!
//! - **Same acceptance as a full parse.** Skipped values are still read through
//!   `serde_json`'s `deserialize_any`, with a visitor that keeps nothing: strings are decoded
//!   and checked as UTF-8, numbers are range-checked, nesting is limited, exactly as building a
//!   `Value` does. A line is valid for the projection exactly when it is valid JSON.
//! - **Same lookups.** Field lookup follows Elasticsearch's rules (`{"a.b": 1}` and
//!   `{"a": {"b": 1}}` are the same field; arrays flatten). A key is kept whole when its dotted
//!   segments reach the end of a wanted path, descended into when they are a prefix of one, and
//!   skipped otherwise, so every way a lookup of a covered path can resolve is kept. A lookup
//!   of a path the projection does not cover ([`Projection::covers`]) reads the whole document
//!   instead, so a reader that was not declared is slow, never wrong.

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// The field paths to keep, as a trie of dotted segments.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Projection {
    root: Node,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Node {
    /// A wanted path ends here: the value is kept whole.
    whole: bool,
    /// A handful at most (the fields of one object a query reads): a list beats hashing.
    children: Vec<(Box<str>, Node)>,
}

/// What a key's segments reach in the trie.
enum Reach<'a> {
    Whole,
    Inside(&'a Node),
    Nothing,
}

impl Node {
    /// Adds the path made of `segments` below this node.
    fn insert<'a>(&mut self, segments: &mut impl Iterator<Item = &'a str>) {
        let Some(segment) = segments.next() else {
            self.whole = true;
            return;
        };
        if let Some((_, child)) = self.children.iter_mut().find(|(n, _)| **n == *segment) {
            return child.insert(segments);
        }
        let mut child = Node::default();
        child.insert(segments);
        self.children.push((segment.into(), child));
    }

    fn reach(&self, key: &str) -> Reach<'_> {
        let mut node = self;
        for segment in key.split('.') {
            if node.whole {
                return Reach::Whole;
            }
            match node.children.iter().find(|(name, _)| **name == *segment) {
                Some((_, child)) => node = child,
                None => return Reach::Nothing,
            }
        }
        if node.whole {
            Reach::Whole
        } else {
            Reach::Inside(node)
        }
    }
}

impl Projection {
    /// A projection keeping `paths` (dotted field names).
    pub fn new<'a>(paths: impl IntoIterator<Item = &'a str>) -> Self {
        let mut root = Node::default();
        for path in paths {
            root.insert(&mut path.split('.'));
        }
        Projection { root }
    }

    /// Whether every lookup of `path` in a projected document gives what it gives in the
    /// whole document: some wanted path is `path` or a dotted prefix of it.
    pub fn covers(&self, path: &str) -> bool {
        matches!(self.root.reach(path), Reach::Whole)
    }

    /// Parses `json`: `Ok(Some(object))` with only the projected keys when it is a JSON object,
    /// `Ok(None)` when it is valid JSON but not an object (the caller parses it whole), and the
    /// error a full parse would give otherwise.
    pub fn parse(&self, json: &[u8]) -> Result<Option<Map<String, Value>>, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_slice(json);
        let top = Top(&self.root).deserialize(&mut de)?;
        de.end()?;
        Ok(top)
    }
}

/// The top level: an object is projected; anything else is only checked.
struct Top<'a>(&'a Node);

impl<'de> DeserializeSeed<'de> for Top<'_> {
    type Value = Option<Map<String, Value>>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = Option<Map<String, Value>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        project_map(self.0, map).map(Some)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Skip.visit_seq(seq).map(|()| None)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

fn project_map<'de, A: MapAccess<'de>>(
    node: &Node,
    mut map: A,
) -> Result<Map<String, Value>, A::Error> {
    let mut out = Map::new();
    while let Some(key) = map.next_key_seed(KeySeed)? {
        match node.reach(&key) {
            Reach::Whole => {
                let value: Value = map.next_value()?;
                out.insert(key.into_owned(), value);
            }
            Reach::Inside(child) => {
                let value = map.next_value_seed(Inside(child))?;
                out.insert(key.into_owned(), value);
            }
            Reach::Nothing => map.next_value_seed(Skip)?,
        }
    }
    Ok(out)
}

/// A key, borrowed from the input when it has no escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = std::borrow::Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = std::borrow::Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(std::borrow::Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(std::borrow::Cow::Owned(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(std::borrow::Cow::Owned(v))
    }
}

/// A value on the way to wanted paths: objects are projected, arrays projected element by
/// element (arrays of objects flatten in lookups), scalars kept as they are.
struct Inside<'a>(&'a Node);

impl<'de> DeserializeSeed<'de> for Inside<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Value, D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Inside<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        project_map(self.0, map).map(Value::Object)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Inside(self.0))? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    // Scalars as `serde_json::Value` builds them.
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
}

/// A value nobody reads, checked as a full parse checks it (strings decoded, numbers parsed)
/// and dropped. (`serde::de::IgnoredAny` would not do: `serde_json` skips
/// its strings without checking them.)
struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(KeySeed)?.is_some() {
            map.next_value_seed(Skip)?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn project(paths: &[&str], text: &str) -> Value {
        let p = Projection::new(paths.iter().copied());
        Value::Object(p.parse(text.as_bytes()).unwrap().unwrap())
    }

    #[test]
    fn keeps_every_spelling_of_a_wanted_path() {
        let text = r#"{"a.b": 1, "a": {"b": 2, "c": 3, "b.x": 4}, "z": {"big": [1, 2]},
                       "p": [{"n": "v", "m": 1}, 5]}"#;
        assert_eq!(
            project(&["a.b", "p.n"], text),
            json!({"a.b": 1, "a": {"b": 2, "b.x": 4}, "p": [{"n": "v"}, 5]})
        );
    }

    #[test]
    fn a_key_below_a_wanted_path_is_kept_whole() {
        assert_eq!(
            project(&["a"], r#"{"a.b.c": 1, "a": {"x": [1]}, "b": 2}"#),
            json!({"a.b.c": 1, "a": {"x": [1]}})
        );
    }

    #[test]
    fn covers_a_path_at_or_below_a_wanted_one() {
        let p = Projection::new(["winlog.event_data", "user.name"]);
        assert!(p.covers("user.name"));
        assert!(p.covers("winlog.event_data.TaskName"));
        assert!(!p.covers("winlog"));
        assert!(!p.covers("user"));
        assert!(!p.covers("host.name"));
    }

    #[test]
    fn rejects_exactly_what_a_full_parse_rejects() {
        let p = Projection::new(["a"]);
        for bad in [
            "{\"x\": \"\\ud800\"}",
            "{\"x\": 1e400}",
            "{\"x\": \"\u{1}\"}",
            "{\"x\": [1,]}",
            "{\"x\": 1} 2",
        ] {
            let full = serde_json::from_str::<Value>(bad).unwrap_err();
            let projected = p.parse(bad.as_bytes()).unwrap_err();
            assert_eq!(full.to_string(), projected.to_string(), "{bad}");
        }
        let invalid_utf8 = b"{\"x\": \"\xff\"}";
        assert!(serde_json::from_slice::<Value>(invalid_utf8).is_err());
        assert!(p.parse(invalid_utf8).is_err());
        let deep = format!("{{\"x\": {}{}}}", "[".repeat(200), "]".repeat(200));
        assert!(serde_json::from_str::<Value>(&deep).is_err());
        assert!(p.parse(deep.as_bytes()).is_err());
        assert_eq!(p.parse(b"[1, {\"a\": 2}]").unwrap(), None);
    }
}
