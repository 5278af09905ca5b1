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
use std::sync::OnceLock;

/// `Some(eventlike)` when the rendered record `json` (and `lower`, its ASCII-lower-cased copy)
/// surely maps to a non-Sysmon event without an error; `None` when unsure.
pub(crate) fn probe(json: &[u8], lower: &[u8]) -> Option<bool> {
    if may_name_sysmon(lower) {
        return None;
    }
    // What `into_string_record` checks; the text is then read as JSON.
    let text = std::str::from_utf8(json).ok()?;
    let mut p = Parser {
        b: text.as_bytes(),
        i: 0,
    };
    p.ws();
    let time = p.top().ok()?;
    p.ws();
    if p.i != p.b.len() {
        return None;
    }
    Some(match time {
        Time::Absent => false,
        Time::Text(t) => to_iso_utc(t, Some(Offset(0))).is_some(),
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
        || escape.find_iter(lower).any(|at| {
            lower
                .get(at + 4..at + 6)
                .is_some_and(|h| LETTERS.contains(&h))
        })
}

/// What `attr(System, "TimeCreated", "SystemTime")` finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Time<'a> {
    /// Nothing (no `@timestamp`).
    Absent,
    /// A string without escapes.
    Text(&'a str),
}

/// Unsure: the text is not JSON in the subset read here, or off the common shape.
#[derive(Debug)]
struct Unsure;

type Res<T> = Result<T, Unsure>;

/// Where the run of plain string characters from `i` ends: at a quote, a backslash, a control
/// character or the end. Sixteen bytes at a time with `wide`'s vectors (as `jsonvalid` does:
/// SSE2 natively, simd128 in wasm) rather than eight-byte word arithmetic.
fn skip_plain(b: &[u8], mut i: usize) -> usize {
    use wide::u8x16;
    let (quote, backslash, control) = (u8x16::splat(b'"'), u8x16::splat(b'\\'), u8x16::splat(0x1f));
    while let Some(lane) = b.get(i..i + 16) {
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(lane);
        let v = u8x16::from(bytes);
        let stops = v.simd_eq(quote) | v.simd_eq(backslash) | v.min(control).simd_eq(v);
        let mask = stops.to_bitmask();
        if mask != 0 {
            return i + mask.trailing_zeros() as usize;
        }
        i += 16;
    }
    while b
        .get(i)
        .is_some_and(|&c| c >= 0x20 && c != b'"' && c != b'\\')
    {
        i += 1;
    }
    i
}

/// Nesting allowed (serde_json refuses past 128).
const MAX_DEPTH: u32 = 100;

/// A reader for a subset of JSON: everything it accepts parses as a `serde_json::Value` (RFC 8259
/// with integers and decimals of at most 20 integer digits and no exponent, string escapes
/// other than surrogates, no control characters in strings, nesting up to `MAX_DEPTH`).
struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let c = self.peek();
        self.i += 1;
        c
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\t' | b'\r')) {
            self.i += 1;
        }
    }

    fn expect(&mut self, c: u8) -> Res<()> {
        if self.bump() == Some(c) {
            Ok(())
        } else {
            Err(Unsure)
        }
    }

    /// A string (at its quote): its raw text and whether it has escapes.
    fn string(&mut self) -> Res<(&'a [u8], bool)> {
        self.expect(b'"')?;
        let start = self.i;
        let mut escaped = false;
        loop {
            self.i = skip_plain(self.b, self.i);
            match self.bump().ok_or(Unsure)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    match self.bump().ok_or(Unsure)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => {
                            let hex = self.b.get(self.i..self.i + 4).ok_or(Unsure)?;
                            let hex = std::str::from_utf8(hex).map_err(|_| Unsure)?;
                            if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                                return Err(Unsure);
                            }
                            let code = u32::from_str_radix(hex, 16).map_err(|_| Unsure)?;
                            if (0xD800..=0xDFFF).contains(&code) {
                                return Err(Unsure);
                            }
                            self.i += 4;
                        }
                        _ => return Err(Unsure),
                    }
                }
                _ => return Err(Unsure),
            }
        }
        let raw = self.b.get(start..self.i - 1).ok_or(Unsure)?;
        Ok((raw, escaped))
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Res<()> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let first = self.peek();
        let n = self.digits();
        if n == 0 || n > 20 || (first == Some(b'0') && n > 1) {
            return Err(Unsure);
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(Unsure);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            return Err(Unsure);
        }
        Ok(())
    }

    fn literal(&mut self, word: &[u8]) -> Res<()> {
        if self.b.get(self.i..self.i + word.len()) == Some(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(Unsure)
        }
    }

    /// Any value, checked and passed over.
    fn skip(&mut self, depth: u32) -> Res<()> {
        match self.peek().ok_or(Unsure)? {
            b'{' => self.object(depth, |p, _, _, d| p.skip(d)),
            b'[' => {
                if depth >= MAX_DEPTH {
                    return Err(Unsure);
                }
                self.i += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.skip(depth + 1)?;
                    self.ws();
                    match self.bump() {
                        Some(b',') => self.ws(),
                        Some(b']') => return Ok(()),
                        _ => return Err(Unsure),
                    }
                }
            }
            b'"' => self.string().map(|_| ()),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number(),
        }
    }

    /// An object (at its brace): `member` reads each value, given the key's raw text, whether
    /// it has escapes, and the depth inside.
    fn object(
        &mut self,
        depth: u32,
        mut member: impl FnMut(&mut Self, &'a [u8], bool, u32) -> Res<()>,
    ) -> Res<()> {
        if depth >= MAX_DEPTH {
            return Err(Unsure);
        }
        self.expect(b'{')?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            let (key, escaped) = self.string()?;
            self.ws();
            self.expect(b':')?;
            self.ws();
            member(self, key, escaped, depth + 1)?;
            self.ws();
            match self.bump() {
                Some(b',') => self.ws(),
                Some(b'}') => return Ok(()),
                _ => return Err(Unsure),
            }
        }
    }

    /// The record: `{"Event": ...}`; the time found under `Event.System`.
    fn top(&mut self) -> Res<Time<'a>> {
        let mut event = None;
        self.object(0, |p, key, escaped, d| match key {
            _ if escaped => Err(Unsure),
            b"Event" if event.is_none() => {
                event = Some(p.event(d)?);
                Ok(())
            }
            b"Event" => Err(Unsure),
            _ => p.skip(d),
        })?;
        event.ok_or(Unsure)
    }

    fn event(&mut self, depth: u32) -> Res<Time<'a>> {
        if self.peek() != Some(b'{') {
            return Err(Unsure);
        }
        let mut system = None;
        self.object(depth, |p, key, escaped, d| match key {
            _ if escaped => Err(Unsure),
            b"System" if system.is_none() => {
                system = Some(p.system(d)?);
                Ok(())
            }
            b"System" => Err(Unsure),
            _ => p.skip(d),
        })?;
        system.ok_or(Unsure)
    }

    /// `Event.System`: an `EventID` with text (`util::scalar_text`) and the time.
    fn system(&mut self, depth: u32) -> Res<Time<'a>> {
        if self.peek() != Some(b'{') {
            return Err(Unsure);
        }
        let (mut event_id, mut time) = (false, None);
        self.object(depth, |p, key, escaped, d| match key {
            _ if escaped || key.contains(&b'.') || key == b"TimeCreated_attributes" => Err(Unsure),
            b"EventID" if !event_id => {
                event_id = true;
                p.scalar(d)
            }
            b"TimeCreated" if time.is_none() => {
                time = Some(p.time_created(d)?);
                Ok(())
            }
            b"EventID" | b"TimeCreated" => Err(Unsure),
            _ => p.skip(d),
        })?;
        if !event_id {
            return Err(Unsure);
        }
        Ok(time.unwrap_or(Time::Absent))
    }

    /// A value `util::scalar_text` gives text for: a number, a boolean, a non-empty string, or
    /// an object whose `#text` is one of those.
    fn scalar(&mut self, depth: u32) -> Res<()> {
        match self.peek().ok_or(Unsure)? {
            b'"' => match self.string()? {
                (raw, _) if !raw.is_empty() => Ok(()),
                _ => Err(Unsure),
            },
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'{' => {
                let mut text = false;
                self.object(depth, |p, key, escaped, d| match key {
                    _ if escaped => Err(Unsure),
                    b"#text" if !text => {
                        text = true;
                        match p.peek() {
                            Some(b'{' | b'[' | b'n') => Err(Unsure),
                            _ => p.scalar(d),
                        }
                    }
                    b"#text" => Err(Unsure),
                    _ => p.skip(d),
                })?;
                if text {
                    Ok(())
                } else {
                    Err(Unsure)
                }
            }
            b'[' | b'n' => Err(Unsure),
            _ => self.number(),
        }
    }

    /// `System.TimeCreated`: an object whose `#attributes` may hold `SystemTime`.
    fn time_created(&mut self, depth: u32) -> Res<Time<'a>> {
        if self.peek() != Some(b'{') {
            return Err(Unsure);
        }
        let mut attrs = None;
        self.object(depth, |p, key, escaped, d| match key {
            _ if escaped || key.contains(&b'.') => Err(Unsure),
            b"#attributes" if attrs.is_none() => {
                attrs = Some(p.attributes(d)?);
                Ok(())
            }
            // A plain `SystemTime` child is looked up when the attribute is not there.
            b"#attributes" | b"SystemTime" => Err(Unsure),
            _ => p.skip(d),
        })?;
        Ok(attrs.unwrap_or(Time::Absent))
    }

    /// `TimeCreated.#attributes`: `SystemTime`, a string without escapes, if there.
    fn attributes(&mut self, depth: u32) -> Res<Time<'a>> {
        if self.peek() != Some(b'{') {
            return Err(Unsure);
        }
        let mut time = None;
        self.object(depth, |p, key, escaped, d| match key {
            _ if escaped => Err(Unsure),
            b"SystemTime" if time.is_none() && p.peek() == Some(b'"') => {
                let (raw, escaped) = p.string()?;
                let text = std::str::from_utf8(raw).map_err(|_| Unsure)?;
                time = Some(match text {
                    _ if escaped => return Err(Unsure),
                    "" => Time::Absent,
                    t => Time::Text(t),
                });
                Ok(())
            }
            b"SystemTime" => Err(Unsure),
            _ => p.skip(d),
        })?;
        Ok(time.unwrap_or(Time::Absent))
    }
}

/// The first version of the probe, on serde_json's own parser (`deserialize_any` all the way
/// down, as `Value` reads): the fast one must agree with it whenever it is sure.
#[cfg(test)]
mod reference {
    use super::*;
    use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
    use std::fmt;
    use std::marker::PhantomData;

    pub(super) fn probe(json: &[u8], lower: &[u8]) -> Option<bool> {
        if may_name_sysmon(lower) {
            return None;
        }
        let text = std::str::from_utf8(json).ok()?;
        let top: Top = serde_json::from_str(text).ok()?;
        Some(match top.0? {
            RTime::Unknown => return None,
            RTime::Absent => false,
            RTime::Text(t) => to_iso_utc(&t, Some(Offset(0))).is_some(),
        })
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
    enum RTime {
        /// Nothing (no `@timestamp`).
        Absent,
        Text(String),
        Unknown,
    }

    /// The record: `Some` when its `Event.System` surely maps (with its time), `None` if unsure.
    struct Top(Option<RTime>);

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

    struct EventP(Option<RTime>);

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

    struct SysP(Option<RTime>);

    impl Shape for SysP {
        const NOT_MAP: Self = SysP(None);
        fn from_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
            let (mut event_id, mut time, mut unusual) = (false, RTime::Absent, false);
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
    struct TimeP(RTime);

    impl Shape for TimeP {
        const NOT_MAP: Self = TimeP(RTime::Absent);
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
                _ if unusual => RTime::Unknown,
                None => RTime::Absent,
                Some(time) => time,
            }))
        }
    }

    /// `TimeCreated`'s `#attributes`: `Some` when it is an object holding `SystemTime`.
    struct AttrsP(Option<RTime>);

    impl Shape for AttrsP {
        const NOT_MAP: Self = AttrsP(None);
        fn from_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
            let mut time = None;
            while let Some(key) = map.next_key::<Key>()? {
                if key == Key::SystemTime {
                    time = Some(match map.next_value::<Text>()?.0 {
                        Some(t) if t.is_empty() => RTime::Absent,
                        Some(t) => RTime::Text(t),
                        None => RTime::Unknown,
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
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast probe's answer, checked against the reference's when it is sure.
    fn run(json: &str) -> Option<bool> {
        let lower = json.to_ascii_lowercase();
        let fast = probe(json.as_bytes(), lower.as_bytes());
        if fast.is_some() {
            assert_eq!(
                fast,
                reference::probe(json.as_bytes(), lower.as_bytes()),
                "{json}"
            );
        }
        fast
    }

    #[test]
    fn plain_runs_end_where_a_byte_loop_ends_them() {
        let naive = |b: &[u8], i: usize| {
            (i..b.len())
                .find(|&j| matches!(b[j], b'"' | b'\\' | 0..=0x1f))
                .unwrap_or(b.len())
        };
        let mut text: Vec<u8> = Vec::new();
        for n in 0..300u32 {
            text.push(match n % 37 {
                0 => b'"',
                5 => b'\\',
                11 => 0x1f,
                13 => 0x7f,
                17 => 0xff,
                19 => 0x80,
                23 => 0x20,
                _ => b'a' + (n % 26) as u8,
            });
        }
        for i in 0..text.len() {
            assert_eq!(skip_plain(&text, i), naive(&text, i), "{i}");
        }
        assert_eq!(skip_plain(b"abcdefghijklmnop", 0), 16);
    }

    #[test]
    fn common_shape_is_known() {
        let ok = r##"{"Event":{"#attributes":{"xmlns":"x"},"System":{"Provider":{"#attributes":{"Name":"P"}},"EventID":4624,"TimeCreated":{"#attributes":{"SystemTime":"2020-07-11T21:38:17.351448Z"}}},"EventData":{"A":"b\r\n\u00e9","B":[1,-2.5,true,null,{}],"C":{"#text":["x"]}}}}"##;
        assert_eq!(run(ok), Some(true));
        let spaced = " {\n \"Event\" : { \"System\" : { \"EventID\" : \"1\" } } }\n";
        assert_eq!(run(spaced), Some(false));
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
            r##"{"Event":{"System":{"EventID":{"#text":""}}}}"##,
            r#"{"Event":{"System":{"EventID":[]}}}"#,
            r#"{"Event":{"EventData":{}}}"#,
            r#"{"Event":[]}"#,
            r#"{"NotEvent":{}}"#,
            r#"[1]"#,
            r#"{"Event":{"System":{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational"}}}"#,
            r#"{"Event":{"System":{"EventID":1,"Channel":"\u0053ysmon"}}}"#,
            r#"{"Event":{"System":{"EventID":1,"a.b":1}}}"#,
            r#"{"Event":{"System":{"EventID":1,"TimeCreated":{"SystemTime":"2020-01-01T00:00:00Z"}}}}"#,
            r#"{"Event":{"System":{"EventID":1}},"x":1e400}"#,
            r#"{"Event":{"System":{"EventID":1}},"x":1e2}"#,
            r#"{"Event":{"System":{"EventID":1}},"x":"\ud800"}"#,
            r#"{"Event":{"System":{"EventID":1}},"x":"a	b"}"#,
            r#"{"Event":{"System":{"EventID":1}},"x":01}"#,
            r#"{"Event":{"System":{"EventID":1}},"x":[1,]}"#,
            r#"{"Event":{"System":{"EventID":1}},"x":tru}"#,
            r#"{"Event":{"System":{"EventID":1}},}"#,
            r#"{"Event":{"System":{"EventID":1}}} x"#,
            r#"{"Event":{"System":{"EventID":1}}"#,
            r#"{"Event":{"System":{"EventID":1}},"Event":{}}"#,
            r#"{"Event":{"System":{"EventID":1}},"Ev\u0065nt":{}}"#,
        ] {
            assert_eq!(run(json), None, "{json}");
        }
        let deep = format!(
            r#"{{"Event":{{"System":{{"EventID":1}}}},"x":{}{}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        assert_eq!(run(&deep), None);
        // The reference reads repeated keys as a Map does (the last counts); the fast probe
        // is unsure.
        let repeated = r#"{"Event":{},"Event":{"System":{"EventID":1}}}"#;
        assert_eq!(run(repeated), None);
        let lower = repeated.to_ascii_lowercase();
        assert_eq!(
            reference::probe(repeated.as_bytes(), lower.as_bytes()),
            Some(false)
        );
    }
}
