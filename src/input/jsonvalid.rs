//! A fast check that an NDJSON line is a JSON object `serde_json` would parse, for lines the
//! pre-filter skips unparsed: a skipped line is still checked, so a damaged record is reported
//! whether or not it could have matched.
//!
//! Parsing with `serde_json` (even into `IgnoredAny`) was half the time of a pre-filtered run;
//! this walks the grammar once, skipping string bodies eight bytes at a time. It answers
//! "certainly valid" or "not sure": a line it is not sure of (invalid, or a number or escape
//! whose validity depends on more than the grammar: an exponent or a long number that could
//! overflow `f64`, a `\u` surrogate, deep nesting) is parsed in full instead, which gives the
//! exact error. So `certainly_valid(line)` implies that `serde_json::from_slice::<Value>(line)`
//! succeeds and yields an object; that implication is what the tests check.

/// Deeper nesting than this is left to `serde_json` (whose recursion limit is 128).
const MAX_DEPTH: usize = 100;

/// What the walk saw in a valid line's strings that the pre-filter must know about: escapes
/// and character references can spell a literal the byte search cannot see. Seeing them here
/// spares the pre-filter three searches of every line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Seen {
    /// A `\uXXXX` escape.
    pub unicode_escape: bool,
    /// A `\/` escape.
    pub slash_escape: bool,
    /// `&#` (an XML character reference inside a string).
    pub char_reference: bool,
}

/// Whether `line` is certainly one JSON object that `serde_json` parses into a `Value`
/// (whitespace around it allowed): UTF-8, the JSON grammar, no control character in a string,
/// no surrogate escape, no number that might not fit an `f64`.
#[cfg(test)]
pub(crate) fn certainly_valid(line: &[u8]) -> bool {
    scan(line).is_some()
}

/// [`certainly_valid`], with what was seen in its strings; `None` when not sure.
pub(crate) fn scan(line: &[u8]) -> Option<Seen> {
    let mut seen = Seen::default();
    grammar(line, &mut seen)?;
    Some(seen)
}

/// Containers open at a point of the walk.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    Object,
    Array,
}

/// The grammar walk: `Some(())` when `s` is certainly one valid object.
fn grammar(s: &[u8], seen: &mut Seen) -> Option<()> {
    let mut stack = [Open::Object; MAX_DEPTH];
    let mut depth = 0usize;
    let mut i = ws(s, 0);
    if s.get(i) != Some(&b'{') {
        return None;
    }
    'value: loop {
        // At the start of a value.
        match *s.get(i)? {
            b'{' => {
                *stack.get_mut(depth)? = Open::Object;
                depth += 1;
                i = ws(s, i + 1);
                if s.get(i) == Some(&b'}') {
                    depth -= 1;
                    i += 1;
                } else {
                    i = key(s, i, seen)?;
                    continue 'value;
                }
            }
            b'[' => {
                *stack.get_mut(depth)? = Open::Array;
                depth += 1;
                i = ws(s, i + 1);
                if s.get(i) == Some(&b']') {
                    depth -= 1;
                    i += 1;
                } else {
                    continue 'value;
                }
            }
            b'"' => i = string(s, i + 1, seen)?,
            b't' => i = literal(s, i, b"true")?,
            b'f' => i = literal(s, i, b"false")?,
            b'n' => i = literal(s, i, b"null")?,
            b'-' | b'0'..=b'9' => i = number(s, i)?,
            _ => return None,
        }
        // After a value: close containers until one goes on with a comma.
        loop {
            i = ws(s, i);
            let Some(top) = depth.checked_sub(1) else {
                return (i == s.len()).then_some(());
            };
            match (*stack.get(top)?, *s.get(i)?) {
                (Open::Object, b',') => {
                    i = key(s, ws(s, i + 1), seen)?;
                    continue 'value;
                }
                (Open::Array, b',') => {
                    i = ws(s, i + 1);
                    continue 'value;
                }
                (Open::Object, b'}') | (Open::Array, b']') => {
                    depth = top;
                    i += 1;
                }
                _ => return None,
            }
        }
    }
}

/// `"key" :` at `i`; returns the start of the value.
fn key(s: &[u8], i: usize, seen: &mut Seen) -> Option<usize> {
    if s.get(i) != Some(&b'"') {
        return None;
    }
    let i = ws(s, string(s, i + 1, seen)?);
    (s.get(i) == Some(&b':')).then(|| ws(s, i + 1))
}

/// JSON whitespace (what `serde_json` skips).
fn ws(s: &[u8], mut i: usize) -> usize {
    while matches!(s.get(i), Some(b' ' | b'\n' | b'\t' | b'\r')) {
        i += 1;
    }
    i
}

fn literal(s: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    (s.get(i..i + word.len())? == word).then_some(i + word.len())
}

/// A number at `i`. Only `-?(0|[1-9][0-9]*)(\.[0-9]+)?` with at most 300 integer digits is
/// certain (a longer integer, or any exponent, could overflow an `f64`; those are left to
/// serde_json). Keyword masks such as `-9223372036854775808` are common in exports.
fn number(s: &[u8], mut i: usize) -> Option<usize> {
    if s.get(i) == Some(&b'-') {
        i += 1;
    }
    let digits = |from: usize| {
        s.get(from..).map_or(0, |rest| {
            rest.iter().take_while(|b| b.is_ascii_digit()).count()
        })
    };
    let int = digits(i);
    if int == 0 || int > 300 || (int > 1 && s.get(i) == Some(&b'0')) {
        return None;
    }
    i += int;
    if s.get(i) == Some(&b'.') {
        let frac = digits(i + 1);
        if frac == 0 {
            return None;
        }
        i += 1 + frac;
    }
    (!matches!(s.get(i), Some(b'e' | b'E'))).then_some(i)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Whether some byte of `w` needs a look inside a string: `"`, `\`, a control character, `&`,
/// or a non-ASCII byte (checked to be UTF-8 there, so valid lines need no separate pass). The
/// lowest flagged byte is exact (later ones may be false alarms from borrows, which the byte
/// loop sorts out).
fn special(w: u64) -> u64 {
    let zero = |x: u64| x.wrapping_sub(ONES) & !x;
    let quote = zero(w ^ (ONES * u64::from(b'"')));
    let slash = zero(w ^ (ONES * u64::from(b'\\')));
    let amp = zero(w ^ (ONES * u64::from(b'&')));
    let control = w.wrapping_sub(ONES * 0x20) & !w;
    (quote | slash | amp | control | w) & HIGH
}

/// A string body from `i` (after the opening quote); returns the index after the closing one.
fn string(s: &[u8], mut i: usize, seen: &mut Seen) -> Option<usize> {
    loop {
        // Eight bytes at a time up to the first byte that needs a look.
        while let Some(word) = s.get(i..i + 8) {
            let w = u64::from_le_bytes(word.try_into().ok()?);
            let hit = special(w);
            if hit != 0 {
                i += (hit.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
        match *s.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => {
                i = match *s.get(i + 1)? {
                    b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => i + 2,
                    b'/' => {
                        seen.slash_escape = true;
                        i + 2
                    }
                    b'u' => {
                        let hex = std::str::from_utf8(s.get(i + 2..i + 6)?).ok()?;
                        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                            return None;
                        }
                        let code = u32::from_str_radix(hex, 16).ok()?;
                        if (0xD800..=0xDFFF).contains(&code) {
                            return None;
                        }
                        seen.unicode_escape = true;
                        i + 6
                    }
                    _ => return None,
                }
            }
            b'&' => {
                seen.char_reference |= s.get(i + 1) == Some(&b'#');
                i += 1;
            }
            b if b < 0x20 => return None,
            b if b >= 0x80 => {
                let len = match b {
                    0xC2..=0xDF => 2,
                    0xE0..=0xEF => 3,
                    0xF0..=0xF4 => 4,
                    _ => return None,
                };
                std::str::from_utf8(s.get(i..i + len)?).ok()?;
                i += len;
            }
            _ => i += 1,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    fn serde_object(line: &[u8]) -> bool {
        matches!(serde_json::from_slice::<Value>(line), Ok(Value::Object(_)))
    }

    #[test]
    fn accepts_what_events_look_like() {
        for ok in [
            &br#"{}"#[..],
            br#" {"a":1} "#,
            br#"{"a":{"b":[1,-2.5,0,true,false,null,"x\"y\\z\/\u00e9\n"]},"c":[],"d":{}}"#,
            "{\"h\u{e9}\":\"\u{1F600}\"}".as_bytes(),
            br#"{"long":"0123456789abcdef0123456789abcdef","n":123456789012345678}"#,
            br#"{"Keywords":-9223372036854775808,"mask":18446744073709551615000}"#,
        ] {
            assert!(certainly_valid(ok), "{}", String::from_utf8_lossy(ok));
            assert!(serde_object(ok));
        }
    }

    #[test]
    fn reports_escapes_and_character_references() {
        assert_eq!(scan(br#"{"a":"x\\u0069 \\/"}"#), Some(Seen::default()));
        let seen = scan(br#"{"a":"\u0069 \/ &amp; &#105;"}"#).unwrap();
        assert!(seen.unicode_escape && seen.slash_escape && seen.char_reference);
        assert_eq!(scan(br#"{"a":"&amp;"}"#), Some(Seen::default()));
    }

    #[test]
    fn not_sure_of_what_serde_rejects_or_might() {
        for bad in [
            &br#"{"a":1"#[..],
            br#"{"a":1}}"#,
            br#"{"a":1,}"#,
            br#"{"a" 1}"#,
            br#"[1]"#,
            br#""s""#,
            br#"{"a":01}"#,
            br#"{"a":1.}"#,
            br#"{"a":-}"#,
            br#"{"a":1e5}"#,
            format!("{{\"a\":{}}}", "9".repeat(400)).as_bytes(),
            br#"{"a":"\ud800"}"#,
            br#"{"a":"\x"}"#,
            br#"{"a":"\u12g4"}"#,
            b"{\"a\":\"tab\there\"}",
            b"{\"a\":\"\xff\"}",
            b"{\"a\":\"\xc3\"}",
            b"{\"a\":\"\xed\xa0\x80\"}",
            b"{\"a\":\"\xe2\x82\"}",
            b"{\"a\xc3\xa9\":1,\xc3\xa9}",
            br#"{"a":tru}"#,
            br#"{"a":[1 2]}"#,
            br#"{"a":{"b":1]}"#,
        ] {
            assert!(!certainly_valid(bad), "{}", String::from_utf8_lossy(bad));
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(150), "]".repeat(150));
        assert!(!certainly_valid(deep.as_bytes()));
    }

    /// JSON-ish text: valid documents, then mutated byte by byte.
    fn jsonish() -> impl Strategy<Value = Vec<u8>> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            "[ -~\u{e9}\u{1F600}\t\n\\\\\"]{0,40}".prop_map(Value::String),
        ];
        let value = leaf.prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec(("[a-z\\\\\"]{0,6}", inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        });
        let object = prop::collection::vec(("[a-z.]{1,8}", value), 0..6)
            .prop_map(|kv| serde_json::to_vec(&Value::Object(kv.into_iter().collect())).unwrap());
        (
            object,
            prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..4u8), 0..4),
        )
            .prop_map(|(mut bytes, edits)| {
                for (at, byte, how) in edits {
                    if bytes.is_empty() {
                        break;
                    }
                    let i = at.index(bytes.len());
                    match how {
                        0 => bytes[i] = byte,
                        1 => {
                            bytes.remove(i);
                        }
                        2 => bytes.insert(i, b"\\\"{}[],:0eE.-u"[usize::from(byte) % 14]),
                        _ => bytes.truncate(i),
                    }
                }
                bytes
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn certainly_valid_implies_serde_parses_an_object(line in jsonish()) {
            if certainly_valid(&line) {
                prop_assert!(serde_object(&line), "{}", String::from_utf8_lossy(&line));
            }
        }

        #[test]
        fn unmutated_serde_output_is_recognised(kv in prop::collection::vec(("[a-z]{1,8}", "[ -~\u{e9}]{0,30}"), 0..8)) {
            let v = Value::Object(kv.into_iter().map(|(k, s)| (k, Value::String(s))).collect());
            prop_assert!(certainly_valid(&serde_json::to_vec(&v).unwrap()));
        }
    }
}
