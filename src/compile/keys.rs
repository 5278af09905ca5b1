//! Join-key values: exact and typed, as Elasticsearch's `SequenceKey` compares them with Java
//! `equals` (`"HOST01" != "host01"`, `5 != "5"`).

use crate::eval::FieldRef;
use crate::event::Event;
use serde_json::Value as Json;
use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

/// More key combinations per event than this (from several large multi-valued key fields) are
/// not produced: the product is cut after this many, in key order. Attacker-controlled arrays
/// must not make one event cost unbounded memory.
pub const MAX_JOIN_KEY_COMBINATIONS: usize = 1024;

/// A floating-point key value with total order and hashing by bits (so it can be a map key).
#[derive(Debug, Clone, Copy)]
pub struct OrderedFloat(pub f64);

impl PartialEq for OrderedFloat {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}
impl Eq for OrderedFloat {}
impl Hash for OrderedFloat {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state);
    }
}
impl PartialOrd for OrderedFloat {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for OrderedFloat {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// One join-key value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyValue {
    /// An optional (`?field`) key that is missing.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number (JSON `5.0` is a float, distinct from `5`).
    Float(OrderedFloat),
    /// A string.
    Str(Box<str>),
}

impl KeyValue {
    /// The value as JSON, as it appears in results' `join_keys`.
    pub fn to_json(&self) -> Json {
        match self {
            KeyValue::Null => Json::Null,
            KeyValue::Bool(b) => Json::Bool(*b),
            KeyValue::Int(i) => Json::from(*i),
            KeyValue::Float(f) => {
                serde_json::Number::from_f64(f.0).map_or(Json::Null, Json::Number)
            }
            KeyValue::Str(s) => Json::String(s.to_string()),
        }
    }

    fn from_json(v: &Json) -> Option<KeyValue> {
        Some(match v {
            Json::Bool(b) => KeyValue::Bool(*b),
            Json::Number(n) => match n.as_i64() {
                Some(i) => KeyValue::Int(i),
                None => KeyValue::Float(OrderedFloat(n.as_f64()?)),
            },
            Json::String(s) => KeyValue::Str(s.as_str().into()),
            _ => return None,
        })
    }
}

/// The key of one event for one stage: one value per `by` field.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JoinKey(pub Vec<KeyValue>);

impl JoinKey {
    /// The values as JSON.
    pub fn to_json(&self) -> Vec<Json> {
        self.0.iter().map(KeyValue::to_json).collect()
    }
}

/// All key combinations of `event` (cartesian product over multi-valued fields, sorted and
/// deduplicated per field); empty when a non-optional key field is missing. With an indexed
/// view, mapped key fields give their indexed values ([`crate::eval::typed::FieldType::key_value`]).
pub(crate) fn join_keys(event: &Event, keys: &[FieldRef], sample: bool) -> Vec<JoinKey> {
    let mut per_key: Vec<Vec<KeyValue>> = Vec::with_capacity(keys.len());
    for key in keys {
        let mut values: Vec<KeyValue> = match event.typed(&key.path) {
            Some((field, indexed)) => indexed
                .iter()
                .filter_map(|v| KeyValue::from_json(&field.key_value(v, sample)))
                .collect(),
            None => event
                .values(&key.path)
                .into_iter()
                .filter_map(KeyValue::from_json)
                .collect(),
        };
        values.sort();
        values.dedup();
        if values.is_empty() {
            if !key.optional {
                return Vec::new();
            }
            values.push(KeyValue::Null);
        }
        per_key.push(values);
    }
    let mut out = vec![JoinKey(Vec::with_capacity(keys.len()))];
    for values in per_key {
        let mut next = Vec::with_capacity(out.len() * values.len());
        'outer: for prefix in &out {
            for v in &values {
                if next.len() >= MAX_JOIN_KEY_COMBINATIONS {
                    break 'outer;
                }
                let mut key = prefix.0.clone();
                key.push(v.clone());
                next.push(JoinKey(key));
            }
        }
        out = next;
    }
    out
}
