//! The value model of expressions and the comparison rules between values.
//!
//! Values keep their JSON type, as Elasticsearch's mappings would: `5` and `5.0` compare equal
//! (numbers compare numerically), but the JSON string `"5"` never equals the number `5`.
//! Strings compare by bytes (UTF-8 order, as Lucene compares keyword terms).

use serde_json::Value as Json;
use std::borrow::Cow;
use std::cmp::Ordering;

/// A scalar value during evaluation: a field value borrowed from the event, a literal, or a
/// function result.
#[derive(Debug, Clone, PartialEq)]
pub enum Val<'a> {
    /// Missing value / `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string.
    Str(Cow<'a, str>),
}

impl<'a> Val<'a> {
    /// Converts a JSON scalar; arrays and objects (never field values) become `Null`. Integers
    /// beyond `i64` become floats, as Elasticsearch's `long` cannot hold them.
    pub fn from_json(v: &'a Json) -> Val<'a> {
        match v {
            Json::Bool(b) => Val::Bool(*b),
            Json::Number(n) => match n.as_i64() {
                Some(i) => Val::Int(i),
                None => n.as_f64().map_or(Val::Null, Val::Float),
            },
            Json::String(s) => Val::Str(Cow::Borrowed(s)),
            _ => Val::Null,
        }
    }

    /// An owned copy that outlives the event.
    pub fn into_owned(self) -> Val<'static> {
        match self {
            Val::Null => Val::Null,
            Val::Bool(b) => Val::Bool(b),
            Val::Int(i) => Val::Int(i),
            Val::Float(f) => Val::Float(f),
            Val::Str(s) => Val::Str(Cow::Owned(s.into_owned())),
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Val::Null)
    }

    /// The type name used in messages (Elasticsearch's names).
    pub fn type_name(&self) -> &'static str {
        match self {
            Val::Null => "null",
            Val::Bool(_) => "boolean",
            Val::Int(_) => "integer",
            Val::Float(_) => "double",
            Val::Str(_) => "keyword",
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Numeric value as `f64`, if a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Val::Int(i) => Some(*i as f64),
            Val::Float(f) => Some(*f),
            _ => None,
        }
    }
}

/// Typed equality: numbers numerically, strings exactly, booleans; different types never equal.
pub fn equals(a: &Val<'_>, b: &Val<'_>) -> bool {
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    }
}

/// Equality ignoring ASCII case for strings (Lucene's `case_insensitive` term queries fold
/// ASCII only); other types as [`equals`].
pub fn equals_ascii_ci(a: &Val<'_>, b: &Val<'_>) -> bool {
    match (a, b) {
        (Val::Str(x), Val::Str(y)) => x.eq_ignore_ascii_case(y),
        _ => equals(a, b),
    }
}

/// Ordering between comparable values (numbers with numbers, strings with strings, booleans
/// with booleans); `None` for other pairs and NaN.
pub fn compare(a: &Val<'_>, b: &Val<'_>) -> Option<Ordering> {
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => Some(x.cmp(y)),
        (Val::Str(x), Val::Str(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (Val::Bool(x), Val::Bool(y)) => Some(x.cmp(y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

/// Java's `Double.toString`, which Elasticsearch uses when a double becomes a string
/// (`string(1.0)` is `"1.0"`, `string(1e10)` is `"1.0E10"`).
pub fn java_double_to_string(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    let abs = x.abs();
    if (1e-3..1e7).contains(&abs) {
        let s = format!("{x}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        // Rust's `{:e}` gives the shortest round-trip digits: "1e10", "1.5e-5"
        let s = format!("{x:e}");
        let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_string()
        } else {
            format!("{mantissa}.0")
        };
        format!("{mantissa}E{exponent}")
    }
}

/// The string form of a value as Elasticsearch's `string()`/`concat()` produce it.
pub fn to_java_string(v: &Val<'_>) -> Option<String> {
    match v {
        Val::Null => None,
        Val::Bool(b) => Some(b.to_string()),
        Val::Int(i) => Some(i.to_string()),
        Val::Float(f) => Some(java_double_to_string(*f)),
        Val::Str(s) => Some(s.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_equality() {
        assert!(equals(&Val::Int(5), &Val::Float(5.0)));
        assert!(!equals(&Val::Int(5), &Val::Str("5".into())));
        assert!(equals_ascii_ci(
            &Val::Str("ABC".into()),
            &Val::Str("abc".into())
        ));
        assert!(!equals_ascii_ci(
            &Val::Str("Ä".into()),
            &Val::Str("ä".into())
        ));
        assert_eq!(
            compare(&Val::Str("B".into()), &Val::Str("a".into())),
            Some(Ordering::Less)
        );
        assert_eq!(compare(&Val::Str("a".into()), &Val::Int(1)), None);
    }

    #[test]
    fn java_doubles() {
        assert_eq!(java_double_to_string(1.0), "1.0");
        assert_eq!(java_double_to_string(1.5), "1.5");
        assert_eq!(java_double_to_string(1e10), "1.0E10");
        assert_eq!(java_double_to_string(1.5e-5), "1.5E-5");
        assert_eq!(java_double_to_string(-2.25), "-2.25");
    }
}
