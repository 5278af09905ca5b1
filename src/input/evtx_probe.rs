//! What a pre-filtered EVTX record would have added to the reader's account, checked without
//! building it: the literal pre-filter (`prefilter.rs`) proves a record cannot match the query,
//! and [`probe`] proves that mapping it would not have reported an error nor counted a Sysmon
//! event, and says whether the event would have had a `@timestamp` (the notes about the data
//! count those). Only then is the record skipped, so errors and notes are what they would be had
//! it been mapped.
//!
//! The probe reads the crate's JSON with serde_json through `deserialize_any` all the way down,
//! as `serde_json::Value` does, so it accepts exactly the texts that parse as a `Value`; it
//! follows `tools::evtx_event`'s lookups (`Event`, `System`, `EventID`,
//! `TimeCreated/#attributes/SystemTime`, the last of repeated keys winning as in a `Map`) and
//! answers "unsure" for anything off the common shape (dotted keys, other attribute layouts),
//! which sends the record down the full path.

use super::timefmt::{to_iso_utc, Offset};
use memchr::memmem;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::marker::PhantomData;
use std::sync::OnceLock;

/// `Some(eventlike)` when the rendered record `json` (and `lower`, its ASCII-lower-cased copy)
/// surely maps to a non-Sysmon event without an error; `None` when unsure.
pub(crate) fn probe(json: &[u8], lower: &[u8]) -> Option<bool> {
    if may_name_sysmon(lower) {
        return None;
    }
    let text = std::str::from_utf8(json).ok()?;
    let top: Top = serde_json::from_str(text).ok()?;
    let time = top.0?;
    Some(match time {
        Time::Unknown => return None,
        Time::Absent => false,
        Time::Text(t) => to_iso_utc(&t, Some(Offset(0))).is_some(),
    })
}

/// Whether some string of the record could hold `sysmon` (any ASCII case): it is in the text,
/// or a `\u00XX` escape could spell one of its letters.
fn may_name_sysmon(lower: &[u8]) -> bool {
    const LETTERS: [&[u8]; 10] = [
        b"73", b"79", b"6d", b"6f", b"6e", b"53", b"59", b"4d", b"4f", b"4e",
    ];
    static SYSMON: OnceLock<memmem::Finder<'static>> = OnceLock::new();
    static ESCAPE: OnceLock<memmem::Finder<'static>> = OnceLock::new();
    let sysmon = SYSMON.get_or_init(|| memmem::Finder::new(b"sysmon"));
    let escape = ESCAPE.get_or_init(|| memmem::Finder::new(b"\\u00"));
    sysmon.find(lower).is_some()
        || escape
            .find_iter(lower)
            .any(|at| lower.get(at + 4..at + 6).is_some_and(|h| LETTERS.contains(&h)))
}

/// A key, as far as the lookups care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Event,
    System,
    EventId,
    TimeCreated,
    Attributes,
    SystemTime,
    Text,
    /// `TimeCreated_attributes` or a key with a dot: the lookups could find these.
    Unusual,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: serde::de::Error>(self, k: &str) -> Result<Key, E> {
                Ok(match k {
                    "Event" => Key::Event,
                    "System" => Key::System,
                    "EventID" => Key::EventId,
                    "TimeCreated" => Key::TimeCreated,
                    "#attributes" => Key::Attributes,
                    "SystemTime" => Key::SystemTime,
                    "#text" => Key::Text,
                    _ if k.contains('.') || k == "TimeCreated_attributes" => Key::Unusual,
                    _ => Key::Other,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// A value of a given shape: maps are read by `from_map`; anything else is checked and read as
/// `NOT_MAP`.
trait Shape: Sized {
    const NOT_MAP: Self;
    fn from_map<'de, A: MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
}

struct ShapeVisitor<T>(PhantomData<T>);

impl<'de, T: Shape> Visitor<'de> for ShapeVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, _: bool) -> Result<T, E> {
        Ok(T::NOT_MAP)
    }
    fn visit_i64<E>(self, _: i64) -> Result<T, E> {
        Ok(T::NOT_MAP)
    }
    fn visit_u64<E>(self, _: u64) -> Result<T, E> {
        Ok(T::NOT_MAP)
    }
    fn visit_f64<E>(self, _: f64) -> Result<T, E> {
        Ok(T::NOT_MAP)
    }
    fn visit_str<E>(self, _: &str) -> Result<T, E> {
        Ok(T::NOT_MAP)
    }
    fn visit_unit<E>(self) -> Result<T, E> {
        Ok(T::NOT_MAP)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(T::NOT_MAP)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::from_map(map)
    }
}

macro_rules! deserialize_shape {
    ($($t:ty),*) => {$(
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(ShapeVisitor::<$t>(PhantomData))
            }
        }
    )*};
}

deserialize_shape!(Skip, Top, EventP, SysP, TimeP, AttrsP);

/// Any value, checked and dropped.
struct Skip;

impl Shape for Skip {
    const NOT_MAP: Self = Skip;
    fn from_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }
}

/// What `attr(System, "TimeCreated", "SystemTime")` finds.
#[derive(Debug)]
enum Time {
    /// Nothing (no `@timestamp`).
    Absent,
    Text(String),
    Unknown,
}

/// The record: `Some` when its `Event.System` surely maps (with its time), `None` if unsure.
struct Top(Option<Time>);

impl Shape for Top {
    const NOT_MAP: Self = Top(None);
    fn from_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut event = None;
        while let Some(key) = map.next_key::<Key>()? {
            if key == Key::Event {
                event = map.next_value::<EventP>()?.0;
            } else {
                map.next_value::<Skip>()?;
            }
        }
        Ok(Top(event))
    }
}

struct EventP(Option<Time>);

impl Shape for EventP {
    const NOT_MAP: Self = EventP(None);
    fn from_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut system = None;
        while let Some(key) = map.next_key::<Key>()? {
            if key == Key::System {
                system = map.next_value::<SysP>()?.0;
            } else {
                map.next_value::<Skip>()?;
            }
        }
        Ok(EventP(system))
    }
}

struct SysP(Option<Time>);

impl Shape for SysP {
    const NOT_MAP: Self = SysP(None);
    fn from_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let (mut event_id, mut time, mut unusual) = (false, Time::Absent, false);
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::EventId => event_id = map.next_value::<Scalar>()?.0,
                Key::TimeCreated => time = map.next_value::<TimeP>()?.0,
                other => {
                    unusual |= other == Key::Unusual;
                    map.next_value::<Skip>()?;
                }
            }
        }
        Ok(SysP((event_id && !unusual).then_some(time)))
    }
}

/// The `TimeCreated` element.
struct TimeP(Time);

impl Shape for TimeP {
    const NOT_MAP: Self = TimeP(Time::Absent);
    fn from_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let (mut attrs, mut unusual) = (None, false);
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Attributes => attrs = map.next_value::<AttrsP>()?.0,
                other => {
                    // A plain `SystemTime` child is looked up when the attribute is not there.
                    unusual |= matches!(other, Key::Unusual | Key::SystemTime);
                    map.next_value::<Skip>()?;
                }
            }
        }
        Ok(TimeP(match attrs {
            _ if unusual => Time::Unknown,
            None => Time::Absent,
            Some(time) => time,
        }))
    }
}

/// `TimeCreated`'s `#attributes`: `Some` when it is an object holding `SystemTime`.
struct AttrsP(Option<Time>);

impl Shape for AttrsP {
    const NOT_MAP: Self = AttrsP(None);
    fn from_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut time = None;
        while let Some(key) = map.next_key::<Key>()? {
            if key == Key::SystemTime {
                time = Some(match map.next_value::<Text>()?.0 {
                    Some(t) if t.is_empty() => Time::Absent,
                    Some(t) => Time::Text(t),
                    None => Time::Unknown,
                });
            } else {
                map.next_value::<Skip>()?;
            }
        }
        Ok(AttrsP(time))
    }
}

/// A string value (`None` for anything else).
struct Text(Option<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("JSON")
            }
            fn visit_str<E>(self, s: &str) -> Result<Text, E> {
                Ok(Text(Some(s.to_string())))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_unit<E>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Text, A::Error> {
                ShapeVisitor::<Skip>(PhantomData).visit_seq(seq)?;
                Ok(Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Text, A::Error> {
                Skip::from_map(map)?;
                Ok(Text(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// Whether `util::scalar_text` gives text for the value.
struct Scalar(bool);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("JSON")
            }
            fn visit_str<E>(self, s: &str) -> Result<Scalar, E> {
                Ok(Scalar(!s.is_empty()))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Scalar, E> {
                Ok(Scalar(true))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Scalar, E> {
                Ok(Scalar(true))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Scalar, E> {
                Ok(Scalar(true))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Scalar, E> {
                Ok(Scalar(true))
            }
            fn visit_unit<E>(self) -> Result<Scalar, E> {
                Ok(Scalar(false))
            }
            // The first element's text.
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
                let first = seq.next_element::<Scalar>()?.is_some_and(|s| s.0);
                while seq.next_element::<Skip>()?.is_some() {}
                Ok(Scalar(first))
            }
            // `#text`'s text.
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
                let mut text = false;
                while let Some(key) = map.next_key::<Key>()? {
                    if key == Key::Text {
                        text = map.next_value::<Scalar>()?.0;
                    } else {
                        map.next_value::<Skip>()?;
                    }
                }
                Ok(Scalar(text))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(json: &str) -> Option<bool> {
        probe(json.as_bytes(), json.to_ascii_lowercase().as_bytes())
    }

    #[test]
    fn common_shape_is_known() {
        let ok = r##"{"Event":{"#attributes":{"xmlns":"x"},"System":{"Provider":{"#attributes":{"Name":"P"}},"EventID":4624,"TimeCreated":{"#attributes":{"SystemTime":"2020-07-11T21:38:17.351448Z"}}},"EventData":{"A":"b"}}}"##;
        assert_eq!(run(ok), Some(true));
        let qualified = r##"{"Event":{"System":{"EventID":{"#attributes":{"Qualifiers":16384},"#text":7036}}}}"##;
        assert_eq!(run(qualified), Some(false));
        let bad_time = r##"{"Event":{"System":{"EventID":"1","TimeCreated":{"#attributes":{"SystemTime":"garbage"}}}}}"##;
        assert_eq!(run(bad_time), Some(false));
    }

    #[test]
    fn anything_else_is_unsure() {
        for json in [
            r#"{"Event":{"System":{"TimeCreated":{}}}}"#,
            r#"{"Event":{"System":{"EventID":""}}}"#,
            r#"{"Event":{"System":{"EventID":null}}}"#,
            r#"{"Event":{"EventData":{}}}"#,
            r#"{"Event":[]}"#,
            r#"{"NotEvent":{}}"#,
            r#"[1]"#,
            r#"{"Event":{"System":{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational"}}}"#,
            r#"{"Event":{"System":{"EventID":1,"Channel":"\u0053ysmon"}}}"#,
            r#"{"Event":{"System":{"EventID":1,"a.b":1}}}"#,
            r#"{"Event":{"System":{"EventID":1,"TimeCreated":{"SystemTime":"2020-01-01T00:00:00Z"}}}}"#,
            r#"{"Event":{"System":{"EventID":1}},"x":1e400}"#,
            r#"{"Event":{"System":{"EventID":1}}} x"#,
            r#"{"Event":{"System":{"EventID":1}},"Event":{}}"#,
        ] {
            assert_eq!(run(json), None, "{json}");
        }
        // The last of repeated keys counts, as in a Map.
        assert_eq!(
            run(r#"{"Event":{},"Event":{"System":{"EventID":1}}}"#),
            Some(false)
        );
    }
}
