//! The sort key of an event in a sequence query: Elasticsearch's `Ordinal`.

use std::cmp::Ordering;

/// A tiebreaker value. Elasticsearch requires the tiebreaker field to be single-valued and
/// comparable; values of one field normally share a type, and across types numbers sort before
/// booleans before strings so the order stays total.
#[derive(Debug, Clone)]
pub enum SortValue {
    /// An integral number.
    Int(i64),
    /// A non-integral (or out-of-range) number.
    Float(f64),
    /// A boolean (`false` < `true`).
    Bool(bool),
    /// A string, compared by UTF-8 bytes like Java's `String.compareTo` for BMP text.
    Str(Box<str>),
}

impl SortValue {
    /// The tiebreaker value of a JSON scalar; `None` for null, arrays and objects.
    pub fn from_json(value: &serde_json::Value) -> Option<Self> {
        use serde_json::Value;
        match value {
            Value::Number(n) => match n.as_i64() {
                Some(i) => Some(Self::Int(i)),
                None => n.as_f64().map(Self::Float),
            },
            Value::Bool(b) => Some(Self::Bool(*b)),
            Value::String(s) => Some(Self::Str(s.as_str().into())),
            _ => None,
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Self::Int(_) | Self::Float(_) => 0,
            Self::Bool(_) => 1,
            Self::Str(_) => 2,
        }
    }
}

impl Ord for SortValue {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Int(a), Self::Int(b)) => a.cmp(b),
            (Self::Int(a), Self::Float(b)) => (*a as f64).total_cmp(b),
            (Self::Float(a), Self::Int(b)) => a.total_cmp(&(*b as f64)),
            (Self::Float(a), Self::Float(b)) => a.total_cmp(b),
            (Self::Bool(a), Self::Bool(b)) => a.cmp(b),
            (Self::Str(a), Self::Str(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialOrd for SortValue {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for SortValue {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for SortValue {}

/// Where an event sorts: timestamp (epoch ms), then tiebreaker (a value sorts before no value),
/// then input order, which stands in for Elasticsearch's `_shard_doc` (Lucene doc ids follow
/// indexing order within one shard, and an export cannot carry anything better).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ordinal {
    /// Epoch milliseconds (sub-millisecond digits are not part of the order).
    pub timestamp: i64,
    /// The tiebreaker field's value, if the query has one and the event holds a value.
    pub tiebreaker: Option<SortValue>,
    /// Input order: the number of events the correlator had seen before this one.
    pub input: u64,
}

impl Ord for Ordinal {
    fn cmp(&self, other: &Self) -> Ordering {
        self.timestamp
            .cmp(&other.timestamp)
            .then_with(|| match (&self.tiebreaker, &other.tiebreaker) {
                (Some(a), Some(b)) => a.cmp(b),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            })
            .then_with(|| self.input.cmp(&other.input))
    }
}

impl PartialOrd for Ordinal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ord(timestamp: i64, tiebreaker: Option<i64>, input: u64) -> Ordinal {
        Ordinal {
            timestamp,
            tiebreaker: tiebreaker.map(SortValue::Int),
            input,
        }
    }

    #[test]
    fn timestamp_then_tiebreaker_nulls_last_then_input() {
        assert!(ord(1, None, 9) < ord(2, Some(0), 0));
        assert!(ord(1, Some(5), 9) < ord(1, Some(6), 0));
        assert!(ord(1, Some(5), 9) < ord(1, None, 0));
        assert!(ord(1, None, 1) < ord(1, None, 2));
        assert!(ord(1, Some(5), 1) < ord(1, Some(5), 2));
        assert!(SortValue::Int(2) < SortValue::Float(2.5));
        assert!(SortValue::Float(10.0) < SortValue::Str("1".into()));
    }
}
