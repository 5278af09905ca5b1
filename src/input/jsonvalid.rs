//! A fast check that an NDJSON line is a JSON object `serde_json` would parse, for lines the
//! pre-filter skips unparsed: a skipped line is still checked, so a damaged record is reported
//! whether or not it could have matched.
//!
//! Parsing with `serde_json` (even into `IgnoredAny`) was half the time of a pre-filtered run,
//! and a byte-at-a-time walk of string bodies still most of it: Windows event messages stop a
//! string scan every 15 bytes or so (`\r\n\t` escapes). So the check works on the whole line
//! in passes that run many bytes at a time:
//!
//! 1. [`super::blockscan`]'s one pass (shared with the pre-filter's literal search): the bit
//!    masks of quotes and backslashes (64 bytes to a word), and whether any byte is below 0x20
//!    (raw control characters are invalid in strings; raw tabs or carriage returns as
//!    whitespace between tokens are legal but rare, and are left to `serde_json`) or is not
//!    ASCII (then the line must be UTF-8; outside strings the grammar admits only ASCII);
//! 2. the escaped bytes, a word at a time from the backslash mask, each checked through a
//!    table; an escaped quote is cleared from the quote mask, which leaves the quotes that end
//!    strings;
//! 3. the grammar walk, which jumps from a string's opening quote to the next quote left.
//!
//! A backslash outside a string is reached by the walk and rejected, so reading escapes over
//! the whole line is exact for every line the walk accepts. The check answers "certainly
//! valid" or "not sure": a line it is not sure of (invalid, or a number or escape whose
//! validity depends on more than the grammar: an exponent or a long number that could overflow
//! `f64`, a `\u` surrogate, deep nesting) is parsed in full instead, which gives the exact
//! error. So `certainly_valid(line)` implies that `serde_json::from_slice::<Value>(line)`
//! succeeds and yields an object; that implication is what the tests check.

use super::blockscan::Blocks;

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
#[cfg(test)]
pub(crate) fn scan(line: &[u8]) -> Option<Seen> {
    let mut blocks = Blocks::default();
    super::blockscan::scan(line, &mut blocks);
    checked(line, &mut blocks)
}

/// [`scan`] for a line `blocks` holds the [`blockscan`] pass of (its quote masks are left
/// holding only the quotes that end strings).
pub(crate) fn checked(line: &[u8], blocks: &mut Blocks) -> Option<Seen> {
    if blocks.control || (blocks.high && std::str::from_utf8(line).is_err()) {
        return None;
    }
    let mut seen = Seen {
        // Outside strings `&` fails the walk, so a hit is inside a string of a valid line.
        char_reference: blocks.ampersand && memchr::memmem::find(line, b"&#").is_some(),
        ..Seen::default()
    };
    string_ends(line, &mut blocks.quotes, &blocks.backslashes, &mut seen)?;
    grammar(line, &blocks.quotes)?;
    Some(seen)
}

/// Clears from `quotes` the quotes that escapes consume, leaving those that end strings.
/// Checks every escape on the way (`None` for an invalid one or a surrogate) and notes the
/// escapes the pre-filter must know about.
///
/// The escaped bytes (each one after an odd run of backslashes) are found a word at a time
/// with no branch per backslash: adding a run's first bit to the backslash mask carries past
/// the run's end, and whether that end is an odd or even bit tells the run's parity from its
/// start's. Only the escaped bytes are then visited, through a table, so the common `\n`,
/// `\t`, `\\` and `\"` take no unpredictable branch (the per-backslash `match` was most of
/// the check's time on Windows messages).
fn string_ends(
    line: &[u8],
    quotes: &mut [u64],
    backslashes: &[u64],
    seen: &mut Seen,
) -> Option<()> {
    const EVEN: u64 = 0x5555_5555_5555_5555;
    const ODD: u64 = !EVEN;
    // Bit 0 of this word is escaped by a run that ended the previous word.
    let mut carry = 0u64;
    for (k, (&slashes, quote)) in backslashes.iter().zip(quotes.iter_mut()).enumerate() {
        if slashes == 0 && carry == 0 {
            continue;
        }
        // A backslash escaped from the previous word starts nothing.
        let slashes = slashes & !carry;
        let starts = slashes & !(slashes << 1);
        let (from_even, _) = slashes.overflowing_add(starts & EVEN);
        let (from_odd, out) = slashes.overflowing_add(starts & ODD);
        let escaped = (from_even & !slashes & ODD) | (from_odd & !slashes & EVEN) | carry;
        carry = u64::from(out);
        *quote &= !escaped;
        let mut word = escaped;
        while word != 0 {
            let at = k * 64 + word.trailing_zeros() as usize;
            word &= word - 1;
            match ESCAPE.get(usize::from(*line.get(at)?)).copied()? {
                SIMPLE => {}
                SLASH => seen.slash_escape = true,
                UNICODE if unicode(line, at) => seen.unicode_escape = true,
                _ => return None,
            }
        }
    }
    // A backslash that ends the line escapes nothing.
    (carry == 0).then_some(())
}

const INVALID: u8 = 0;
const SIMPLE: u8 = 1;
const SLASH: u8 = 2;
const UNICODE: u8 = 3;

/// What the byte after an escaping backslash makes of the escape.
#[allow(
    clippy::indexing_slicing,
    reason = "evaluated at compile time: an index out of range would fail the build"
)]
static ESCAPE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let simple = *b"\"\\bfnrt";
    let mut i = 0;
    while i < simple.len() {
        table[simple[i] as usize] = SIMPLE;
        i += 1;
    }
    table[b'/' as usize] = SLASH;
    table[b'u' as usize] = UNICODE;
    table
};

/// Whether the `\u` whose `u` is at `at` has four hex digits and is not a surrogate.
fn unicode(line: &[u8], at: usize) -> bool {
    let Some(hex) = line.get(at + 1..at + 5) else {
        return false;
    };
    let code = hex.iter().try_fold(0u32, |code, &b| {
        char::from(b).to_digit(16).map(|digit| code * 16 + digit)
    });
    code.is_some_and(|code| !(0xD800..=0xDFFF).contains(&code))
}

/// Containers open at a point of the walk.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    Object,
    Array,
}

/// The grammar walk: `Some(())` when `s` is certainly one valid object.
fn grammar(s: &[u8], quotes: &[u64]) -> Option<()> {
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
                    i = key(s, i, quotes)?;
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
            b'"' => i = string_end(quotes, i + 1)?,
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
                    i = key(s, ws(s, i + 1), quotes)?;
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
fn key(s: &[u8], i: usize, quotes: &[u64]) -> Option<usize> {
    if s.get(i) != Some(&b'"') {
        return None;
    }
    let i = ws(s, string_end(quotes, i + 1)?);
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

/// A string body from `i` (after the opening quote): the index after the quote that ends it
/// (escapes and contents were checked by [`scan`]'s earlier passes).
fn string_end(quotes: &[u64], i: usize) -> Option<usize> {
    let mut k = i / 64;
    let mut word = quotes.get(k)? & (!0u64 << (i % 64));
    loop {
        if word != 0 {
            return Some(k * 64 + word.trailing_zeros() as usize + 1);
        }
        k += 1;
        word = *quotes.get(k)?;
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

    /// Escapes at every offset around the 64-byte words of the masks: an escaped quote or
    /// backslash pair split across two words, a `\u` escape whose digits are in the next one.
    #[test]
    fn escapes_across_mask_words() {
        for pad in 0..140 {
            let p = "x".repeat(pad);
            for (tail, valid) in [
                (r#"\"q"#, true),
                (r#"\\"#, true),
                (r#"\\\"q"#, true),
                (r#"\u00e9\n\t"#, true),
                (r#"\\\\"#, true),
                (r#"\""#, true),
                (r#"\"#, false),
                (r#"\\\"#, false),
                (r#"\u00"#, false),
                (r#"\ud83d"#, false),
                (r#"\q"#, false),
            ] {
                let line = format!(r#"{{"a":"{p}{tail}","b":[1,"{p}"]}}"#);
                let bytes = line.as_bytes();
                assert_eq!(certainly_valid(bytes), valid, "{line}");
                assert_eq!(serde_object(bytes), valid, "{line}");
            }
        }
    }

    /// Runs of backslashes of every length up to nine, ending on a quote, a letter or the end of
    /// the string, at every offset around the word boundaries: exactly serde_json's answer.
    #[test]
    fn backslash_runs_across_mask_words() {
        for pad in 50..80 {
            let p = "y".repeat(pad);
            for run in 0..10 {
                let slashes = "\\".repeat(run);
                for after in ["\"", "n", "x", "\"z\"", "/", "u0041"] {
                    let line = format!(r#"{{"k":"{p}{slashes}{after}"}}"#);
                    let bytes = line.as_bytes();
                    assert_eq!(certainly_valid(bytes), serde_object(bytes), "{line}");
                }
            }
        }
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
