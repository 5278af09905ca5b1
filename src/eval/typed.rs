//! Field types from an Elasticsearch index mapping, and what each does to a value: how a
//! document value is indexed (the form term, range and key lookups see) and how a query
//! literal is read against the field.
//!
//! Without a mapping eqlite compares JSON values as they are (see the module docs of
//! [`crate::eval`]). With one, each event read gets an *indexed view* ([`Indexed`]) of the
//! mapped fields the query reads, holding the values as Elasticsearch would have indexed them:
//!
//! * `keyword` (and `wildcard`, `constant_keyword`): any scalar becomes its string (`5` is
//!   `"5"`), `null_value` replaces an explicit `null`, values longer than `ignore_above`
//!   characters are not indexed (so not found), the built-in `lowercase` normalizer folds case;
//! * `text`: searched through its keyword sub-field when it has one (`ignore_above` of the
//!   sub-field applies), else as the string itself;
//! * `long`/`integer`/`short`/`byte`/`unsigned_long`: numbers and numeric strings, truncated
//!   toward zero (`coerce`); `double`, `float` (rounded to 32 bits), `half_float`,
//!   `scaled_float` (rounded to the scaling factor);
//! * `boolean`: `true`/`false` and the strings `"true"`/`"false"`/`""`;
//! * `date` / `date_nanos`: epoch milliseconds / nanoseconds, parsed with the field's `format`
//!   (default `strict_date_optional_time||epoch_millis`);
//! * `ip`: the canonical address text (`::ffff:1.2.3.4` is `1.2.3.4`, IPv6 compressed);
//! * `version`: an order-preserving encoding of the semantic version (invalid versions after
//!   valid ones, by text), so `==`, `<` and `>` follow Elasticsearch's `version` ordering.
//!
//! The same conversion applies to a literal compared with the field (`@timestamp <
//! "2017-08-30T20:47:32Z"` compares epoch milliseconds; `version > "1.5.0"` compares versions).

use super::value::Val;
use crate::num::{saturating_i64, to_f32_precision};
use crate::time::{self, Timestamp};
use serde_json::Value;
use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::Arc;

/// What kind of field a mapping declares.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `keyword`, `wildcard`, `constant_keyword`.
    Keyword,
    /// `text` (searched through its keyword sub-field if any: see [`FieldType::keyword_sub`]).
    Text,
    /// Whole numbers (`long`, `integer`, `short`, `byte`, `unsigned_long`).
    Integer,
    /// `double`.
    Double,
    /// `float` and `half_float` (32-bit).
    Float,
    /// `scaled_float` with its factor.
    ScaledFloat(f64),
    /// `boolean`.
    Boolean,
    /// `date` (`nanos = false`) or `date_nanos`.
    Date {
        /// Nanosecond precision.
        nanos: bool,
    },
    /// `ip`.
    Ip,
    /// `version`.
    Version,
    /// Anything else (objects, `flattened`, `geo_point`, ...): values are used as they are.
    Other,
}

/// One mapped field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldType {
    /// The kind.
    pub kind: Kind,
    /// The mapping's `type` name as written.
    pub type_name: String,
    /// `null_value`: what an explicit JSON `null` is indexed as.
    pub null_value: Option<Value>,
    /// `ignore_above` (keyword): longer values are not indexed.
    pub ignore_above: Option<usize>,
    /// The `lowercase` normalizer (keyword).
    pub lowercase: bool,
    /// The date `format` alternatives (`||`-separated), for date kinds.
    pub format: Vec<DateFormat>,
    /// For `text`: the keyword sub-field exact comparisons use.
    pub keyword_sub: Option<Box<FieldType>>,
}

impl FieldType {
    /// A field of `kind` with no parameters.
    pub fn new(kind: Kind, type_name: &str) -> FieldType {
        let format = match kind {
            Kind::Date { nanos } => default_format(nanos),
            _ => Vec::new(),
        };
        FieldType {
            kind,
            type_name: type_name.to_string(),
            null_value: None,
            ignore_above: None,
            lowercase: false,
            format,
            keyword_sub: None,
        }
    }

    /// The indexed form of one document value (`null` for an explicit JSON null, which only a
    /// `null_value` turns into a value); `None` when the value is not indexed.
    pub fn index(&self, value: &Value) -> Option<Value> {
        if value.is_null() {
            return self.null_value.as_ref().and_then(|v| self.index(v));
        }
        if let (Kind::Text, Some(sub)) = (&self.kind, &self.keyword_sub) {
            return sub.index(value);
        }
        let val = Val::from_json(value);
        self.convert(&val, true).map(|v| to_json(&v))
    }

    /// A query literal read against this field. `None`: the literal cannot be a value of the
    /// field (it then matches nothing).
    pub fn literal(&self, value: &Val<'_>) -> Option<Val<'static>> {
        if value.is_null() {
            return Some(Val::Null);
        }
        if let (Kind::Text, Some(sub)) = (&self.kind, &self.keyword_sub) {
            return sub.literal(value);
        }
        self.convert(value, false)
    }

    fn convert(&self, value: &Val<'_>, indexing: bool) -> Option<Val<'static>> {
        match &self.kind {
            Kind::Keyword | Kind::Text => {
                let mut s = match value {
                    Val::Str(s) => s.to_string(),
                    Val::Int(i) => i.to_string(),
                    Val::Float(f) => serde_json::Number::from_f64(*f)?.to_string(),
                    Val::Bool(b) => b.to_string(),
                    Val::Null => return None,
                };
                if indexing && self.ignore_above.is_some_and(|n| s.chars().count() > n) {
                    return None;
                }
                if self.lowercase {
                    s = s.to_lowercase();
                }
                Some(Val::Str(Cow::Owned(s)))
            }
            Kind::Integer => {
                let f = number(value)?;
                if !f.is_finite() || f.abs() >= 9.2e18 {
                    return None;
                }
                match value {
                    Val::Int(i) => Some(Val::Int(*i)),
                    // Elasticsearch coerces 5.7 to 5 when indexing; a query literal keeps its
                    // fraction (`x < 5.5` is true for 5).
                    _ if indexing => Some(Val::Int(saturating_i64(f.trunc()))),
                    Val::Str(_) if f.fract() == 0.0 => Some(Val::Int(saturating_i64(f))),
                    _ => Some(Val::Float(f)),
                }
            }
            Kind::Double => number(value).map(Val::Float),
            Kind::Float => number(value).map(|f| Val::Float(to_f32_precision(f))),
            Kind::ScaledFloat(factor) => {
                number(value).map(|f| Val::Float((f * factor).round() / factor))
            }
            Kind::Boolean => match value {
                Val::Bool(b) => Some(Val::Bool(*b)),
                Val::Str(s) if s == "true" => Some(Val::Bool(true)),
                Val::Str(s) if s == "false" || s.is_empty() => Some(Val::Bool(false)),
                _ => None,
            },
            Kind::Date { nanos } => {
                let ts = self.parse_date(value)?;
                if *nanos {
                    ts.nanos().map(Val::Int)
                } else {
                    Some(Val::Int(ts.millis()))
                }
            }
            Kind::Ip => {
                let s = value.as_str()?;
                let ip: IpAddr = s.parse().ok()?;
                let ip = match ip {
                    IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
                    v4 => v4,
                };
                Some(Val::Str(Cow::Owned(ip.to_string())))
            }
            Kind::Version => {
                let s = match value {
                    Val::Str(s) => s.to_string(),
                    other => crate::eval::value::to_java_string(other)?,
                };
                Some(Val::Str(Cow::Owned(version_encode(&s))))
            }
            Kind::Other => Some(value.clone().into_owned()),
        }
    }

    /// A date value or literal as an instant: numbers are epoch milliseconds, strings are
    /// parsed with the field's format alternatives in order.
    pub fn parse_date(&self, value: &Val<'_>) -> Option<Timestamp> {
        match value {
            Val::Int(i) => Some(Timestamp::from_millis(*i)),
            Val::Float(f) => time::parse_value(&Value::from(*f)).ok(),
            Val::Str(s) => self.format.iter().find_map(|f| f.parse(s)),
            _ => None,
        }
    }

    /// The join-key value of an indexed value: dates are rendered as Elasticsearch returns
    /// them in a sequence's `join_keys` (the ISO text) or, for `sample` (a composite
    /// aggregation), as epoch milliseconds; versions are decoded back to their text.
    pub fn key_value(&self, indexed: &Value, sample: bool) -> Value {
        let kind = match (&self.kind, &self.keyword_sub) {
            (Kind::Text, Some(sub)) => &sub.kind,
            (kind, _) => kind,
        };
        match (kind, indexed) {
            (Kind::Date { nanos }, Value::Number(n)) => {
                let Some(i) = n.as_i64() else {
                    return indexed.clone();
                };
                let ts = if *nanos {
                    Timestamp::from_nanos(i)
                } else {
                    Timestamp::from_millis(i)
                };
                if sample {
                    Value::from(ts.millis())
                } else {
                    Value::String(ts.to_iso(*nanos))
                }
            }
            (Kind::Version, Value::String(s)) => Value::String(version_decode(s).to_string()),
            _ => indexed.clone(),
        }
    }
}

fn number(value: &Val<'_>) -> Option<f64> {
    match value {
        Val::Int(i) => Some(*i as f64),
        Val::Float(f) => Some(*f),
        Val::Str(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
}

fn to_json(v: &Val<'_>) -> Value {
    match v {
        Val::Null => Value::Null,
        Val::Bool(b) => Value::Bool(*b),
        Val::Int(i) => Value::from(*i),
        Val::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Val::Str(s) => Value::String(s.to_string()),
    }
}

/// The indexed view of one event: for each mapped field the query reads, its type and its
/// indexed values (possibly none). Fields not listed are read from the document as they are.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Indexed {
    /// (field path, type, indexed values).
    pub fields: Vec<(Box<str>, Arc<FieldType>, Vec<Value>)>,
}

impl Indexed {
    /// The entry of `path`, if the field is mapped.
    pub fn get(&self, path: &str) -> Option<(&FieldType, &[Value])> {
        self.fields
            .iter()
            .find(|(p, _, _)| &**p == path)
            .map(|(_, t, v)| (&**t, v.as_slice()))
    }
}

// ---- dates ----------------------------------------------------------------------------------

/// One alternative of a date `format`.
#[derive(Debug, Clone, PartialEq)]
pub enum DateFormat {
    /// ISO 8601 (`strict_date_optional_time`, `date_optional_time`, their `_nanos` forms and
    /// the other ISO named formats).
    Iso,
    /// `epoch_millis`.
    EpochMillis,
    /// `epoch_second`.
    EpochSecond,
    /// A Java `DateTimeFormatter` pattern such as `dd-MM-yyyy`.
    Pattern(Vec<PatternPart>),
}

/// A piece of a date pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum PatternPart {
    /// A field letter repeated `width` times (`yyyy`, `MM`, `dd`, `HH`, `mm`, `ss`, `SSS`).
    Field(char, usize),
    /// Literal text (quoted or punctuation).
    Literal(String),
    /// A zone (`Z`, `X`, `XXX`, `z`): `Z`, `+HH:mm`, `+HHmm`, `+HH`.
    Zone,
}

fn default_format(nanos: bool) -> Vec<DateFormat> {
    let _ = nanos;
    vec![DateFormat::Iso, DateFormat::EpochMillis]
}

/// Parses a mapping's `format` (`||`-separated alternatives).
pub fn parse_format(text: &str) -> Vec<DateFormat> {
    text.split("||")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|name| match name {
            "epoch_millis" => DateFormat::EpochMillis,
            "epoch_second" => DateFormat::EpochSecond,
            n if n.chars().all(|c| c.is_ascii_lowercase() || c == '_') => DateFormat::Iso,
            pattern => DateFormat::Pattern(parse_pattern(pattern)),
        })
        .collect()
}

fn parse_pattern(text: &str) -> Vec<PatternPart> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            // Up to the closing quote (consumed) or the end.
            let lit: String = chars.by_ref().take_while(|&q| q != '\'').collect();
            out.push(PatternPart::Literal(lit));
        } else if c.is_ascii_alphabetic() {
            let mut width = 1;
            while chars.next_if_eq(&c).is_some() {
                width += 1;
            }
            out.push(match c {
                'Z' | 'X' | 'x' | 'z' | 'O' | 'V' => PatternPart::Zone,
                _ => PatternPart::Field(c, width),
            });
        } else {
            out.push(PatternPart::Literal(c.to_string()));
        }
    }
    out
}

impl DateFormat {
    /// Parses `text` with this alternative.
    pub fn parse(&self, text: &str) -> Option<Timestamp> {
        match self {
            DateFormat::Iso => {
                // `parse_str` also accepts epoch-millis digits; an ISO alternative must not.
                if text.bytes().all(|b| b.is_ascii_digit()) && text.len() > 4 {
                    return None;
                }
                time::parse_str(text).ok()
            }
            DateFormat::EpochMillis => {
                let t = text.strip_prefix('-').unwrap_or(text);
                if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                    return None;
                }
                time::parse_str(text).ok()
            }
            DateFormat::EpochSecond => {
                let secs: f64 = text.parse().ok()?;
                let ms = secs * 1000.0;
                time::parse_value(&Value::from(ms)).ok()
            }
            DateFormat::Pattern(parts) => parse_with_pattern(parts, text),
        }
    }
}

fn parse_with_pattern(parts: &[PatternPart], text: &str) -> Option<Timestamp> {
    let bytes = text.as_bytes();
    let mut pos = 0;
    let (mut year, mut month, mut day) = (1970i64, 1u32, 1u32);
    let (mut hour, mut minute, mut second, mut nanos) = (0i64, 0i64, 0i64, 0i64);
    let mut offset_min = 0i64;
    for part in parts {
        match part {
            PatternPart::Literal(lit) => {
                if !text[pos..].starts_with(lit.as_str()) {
                    return None;
                }
                pos += lit.len();
            }
            PatternPart::Field(c, width) => {
                let start = pos;
                let max = if *c == 'S' { *width } else { (*width).max(2) };
                let max = if matches!(c, 'y' | 'u') { 9 } else { max };
                while pos - start < max && bytes.get(pos).is_some_and(u8::is_ascii_digit) {
                    pos += 1;
                }
                if pos - start < (*width).clamp(1, 2) {
                    return None;
                }
                let n: i64 = text[start..pos].parse().ok()?;
                match c {
                    'y' | 'u' => year = n,
                    'M' => month = u32::try_from(n).ok()?,
                    'd' => day = u32::try_from(n).ok()?,
                    'H' => hour = n,
                    'm' => minute = n,
                    's' => second = n,
                    // More than nine fraction digits: no such nanosecond value.
                    'S' => {
                        let scale = 9usize.checked_sub(pos - start)?;
                        nanos = n * 10i64.pow(u32::try_from(scale).ok()?);
                    }
                    _ => return None,
                }
            }
            PatternPart::Zone => {
                let rest = &text[pos..];
                if let Some(r) = rest.strip_prefix('Z') {
                    pos = text.len() - r.len();
                    continue;
                }
                let sign = match rest.as_bytes().first()? {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return None,
                };
                let digits: String = rest[1..]
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == ':')
                    .collect();
                pos += 1 + digits.len();
                let d: String = digits.chars().filter(char::is_ascii_digit).collect();
                let (h, m) = match d.len() {
                    2 => (d.parse::<i64>().ok()?, 0),
                    4 => (d[..2].parse().ok()?, d[2..].parse().ok()?),
                    _ => return None,
                };
                offset_min = sign * (h * 60 + m);
            }
        }
    }
    if pos != bytes.len()
        || !(1..=12).contains(&month)
        || day < 1
        || day > time::days_in_month(year, month)
        || !(0..24).contains(&hour)
        || !(0..60).contains(&minute)
        || !(0..60).contains(&second)
    {
        return None;
    }
    let days = time::days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_min * 60;
    Some(Timestamp::from_nanos(
        secs.checked_mul(1_000_000_000)?.checked_add(nanos)?,
    ))
}

// ---- versions -------------------------------------------------------------------------------

const VALID: char = '\u{1}';
const INVALID: char = '\u{7e}';
const PRE_RELEASE: char = '\u{5}';
const RELEASE: char = '\u{6}';
const NUMERIC: char = '\u{10}';
const ALPHA: char = '\u{11}';
const ORIGINAL: char = '\u{0}';

/// An order-preserving text encoding of a `version` value, with the original text after a
/// `\0` so it can be decoded: valid versions (`1.2.3`, `1.2.3-beta.1+build`) compare by
/// semantic-version precedence (numeric parts numerically, a pre-release before its release),
/// invalid ones sort after every valid one, by their text.
pub fn version_encode(text: &str) -> String {
    let mut out = String::new();
    let (main, build) = text.split_once('+').unwrap_or((text, ""));
    let _ = build;
    let (core, pre) = match main.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (main, None),
    };
    let numeric = |p: &str| {
        !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && (p == "0" || !p.starts_with('0'))
    };
    let valid = core.split('.').all(numeric)
        && pre.map_or(true, |p| {
            p.split('.').all(|id| {
                !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
        })
        && build
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if !valid {
        out.push(INVALID);
        out.push_str(text);
    } else {
        out.push(VALID);
        for part in core.split('.') {
            push_number(&mut out, part);
        }
        match pre {
            Some(pre) => {
                out.push(PRE_RELEASE);
                for id in pre.split('.') {
                    if id.bytes().all(|b| b.is_ascii_digit()) {
                        push_number(&mut out, id.trim_start_matches('0'));
                    } else {
                        out.push(ALPHA);
                        out.push_str(id);
                    }
                }
            }
            None => out.push(RELEASE),
        }
    }
    out.push(ORIGINAL);
    out.push_str(text);
    out
}

fn push_number(out: &mut String, digits: &str) {
    out.push(NUMERIC);
    // the length first, so that a longer number sorts after a shorter one
    let len = u32::try_from(digits.len().min(0x5f)).unwrap_or(0x5f);
    out.push(char::from_u32(0x20 + len).unwrap_or('\u{7f}'));
    out.push_str(digits);
}

/// The original text of an encoded version (the text itself if it is not encoded).
pub fn version_decode(encoded: &str) -> &str {
    encoded
        .split_once(ORIGINAL)
        .map_or(encoded, |(_, original)| original)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(f: &FieldType, s: &str) -> Option<i64> {
        f.parse_date(&Val::Str(s.into())).map(|t| t.millis())
    }

    #[test]
    fn date_formats() {
        let mut f = FieldType::new(Kind::Date { nanos: false }, "date");
        assert_eq!(ms(&f, "1970-01-02T00:00:00Z"), Some(86_400_000));
        assert_eq!(ms(&f, "86400000"), Some(86_400_000));
        f.format = parse_format("dd-MM-yyyy");
        assert_eq!(ms(&f, "17-12-2022"), Some(1_671_235_200_000));
        assert_eq!(ms(&f, "2022-12-17"), None);
        f.format = parse_format("yyyy-MM-dd'T'HH:mm:ss.SSSZ||epoch_millis");
        assert_eq!(
            ms(&f, "1970-01-01T00:00:01.500+0100"),
            Some(1500 - 3_600_000)
        );
        assert_eq!(ms(&f, "42"), Some(42));
        // Quoted literals and more fraction digits than nanoseconds have (once an overflow).
        f.format = parse_format("yyyy'-'MM'-'dd' 'HH:mm:ss.SSSSSSSSSS");
        assert_eq!(ms(&f, "1970-01-01 00:00:01.50"), Some(1500));
        assert_eq!(ms(&f, "1970-01-01 00:00:01.1234567890"), None);
        f.format = parse_format("yyyy'-");
        assert_eq!(ms(&f, "2022-"), Some(1_640_995_200_000));
    }

    #[test]
    fn nanos_keep_their_digits() {
        let f = FieldType::new(Kind::Date { nanos: true }, "date_nanos");
        let v = f
            .index(&Value::from("1974-03-03T02:22:54.294365140Z"))
            .unwrap();
        let w = f
            .literal(&Val::Str("1974-03-03T02:22:54.294365140Z".into()))
            .unwrap();
        assert_eq!(Val::from_json(&v), w);
        assert_eq!(
            f.key_value(&v, false),
            Value::from("1974-03-03T02:22:54.294365140Z")
        );
    }

    #[test]
    fn versions_order_semantically() {
        let order = [
            "1.2.4-SNAPSHOT",
            "1.2.4",
            "1.5.0",
            "1.11.3",
            "2.0.0-alpha",
            "2.0.0",
            "bad",
        ];
        for pair in order.windows(2) {
            assert!(
                version_encode(pair[0]) < version_encode(pair[1]),
                "{pair:?}"
            );
        }
        assert_eq!(version_decode(&version_encode("1.11.3")), "1.11.3");
    }

    #[test]
    fn keywords_numbers_booleans_ips() {
        let mut k = FieldType::new(Kind::Keyword, "keyword");
        k.null_value = Some(Value::from("NULL"));
        k.ignore_above = Some(3);
        assert_eq!(
            k.index(&Value::Null),
            None,
            "\"NULL\" is above ignore_above"
        );
        k.ignore_above = Some(10);
        assert_eq!(k.index(&Value::Null), Some(Value::from("NULL")));
        assert_eq!(k.index(&Value::from(5)), Some(Value::from("5")));
        assert_eq!(k.index(&Value::from("abcdefghijk")), None);
        let l = FieldType::new(Kind::Integer, "long");
        assert_eq!(l.index(&Value::from("7")), Some(Value::from(7)));
        assert_eq!(l.index(&Value::from(7.9)), Some(Value::from(7)));
        let b = FieldType::new(Kind::Boolean, "boolean");
        assert_eq!(b.index(&Value::from("true")), Some(Value::from(true)));
        let ip = FieldType::new(Kind::Ip, "ip");
        assert_eq!(
            ip.index(&Value::from("::ffff:10.0.0.1")),
            Some(Value::from("10.0.0.1"))
        );
    }
}
