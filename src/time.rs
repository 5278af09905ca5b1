//! Timestamps as Elasticsearch reads a `date` field with the default format
//! `strict_date_optional_time||epoch_millis`.
//!
//! Sequence ordering and `maxspan` are decided on these values, so they must agree with what
//! Elasticsearch stores: a `date` field holds epoch milliseconds, so sub-millisecond digits are
//! parsed (and validated) but ordering uses the instant truncated toward the past to a whole
//! millisecond. Values without a zone are UTC, as in Elasticsearch.
//!
//! No date crate is used: the only calendar arithmetic needed is days-from-civil, which is a
//! dozen lines (Howard Hinnant's algorithm) and keeps the wasm build small.

use crate::num::{saturating_i64, saturating_u32};
use serde_json::Value;
use std::fmt;

/// An instant: epoch milliseconds (the ordering key) plus the nanoseconds inside that
/// millisecond (kept so a display can show what the source said).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    millis: i64,
    sub_milli_nanos: u32,
}

impl Timestamp {
    /// A timestamp from whole epoch milliseconds.
    pub fn from_millis(millis: i64) -> Self {
        Self {
            millis,
            sub_milli_nanos: 0,
        }
    }

    /// Epoch milliseconds, truncated toward the past (what a `date` field stores).
    pub fn millis(&self) -> i64 {
        self.millis
    }

    /// The nanoseconds below the millisecond (0..1_000_000), which ordering ignores.
    pub fn sub_milli_nanos(&self) -> u32 {
        self.sub_milli_nanos
    }

    /// Epoch nanoseconds (what a `date_nanos` field stores), `None` outside `i64`.
    pub fn nanos(&self) -> Option<i64> {
        self.millis
            .checked_mul(1_000_000)?
            .checked_add(i64::from(self.sub_milli_nanos))
    }

    /// An instant from epoch nanoseconds.
    pub fn from_nanos(nanos: i64) -> Self {
        Self {
            millis: nanos.div_euclid(1_000_000),
            // 0..1_000_000 always fits.
            sub_milli_nanos: u32::try_from(nanos.rem_euclid(1_000_000)).unwrap_or(0),
        }
    }

    /// `yyyy-MM-ddTHH:mm:ss.SSSZ` (Elasticsearch's rendering of a `date` value), with nine
    /// fraction digits instead of three when `nanos` (a `date_nanos` value).
    pub fn to_iso(self, nanos: bool) -> String {
        let (days, ms) = (
            self.millis.div_euclid(86_400_000),
            self.millis.rem_euclid(86_400_000),
        );
        let (y, m, d) = civil_from_days(days);
        let (h, min, s, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
        if nanos {
            let frac = milli * 1_000_000 + i64::from(self.sub_milli_nanos);
            format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{frac:09}Z")
        } else {
            format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}Z")
        }
    }
}

/// The proleptic Gregorian (year, month, day) of a day count since 1970-01-01 (Hinnant).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    // The algorithm keeps the day in 1..=31 and the month in 1..=12.
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Why a value is not a timestamp; the message names the value so the user can find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeError {
    message: String,
}

impl TimeError {
    fn new(what: impl fmt::Display) -> Self {
        Self {
            message: what.to_string(),
        }
    }
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TimeError {}

/// Parses a JSON field value: a number is epoch milliseconds, a string is ISO 8601 or a
/// (possibly negative, possibly fractional) epoch-milliseconds digit string.
pub fn parse_value(value: &Value) -> Result<Timestamp, TimeError> {
    match value {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(Timestamp::from_millis(i))
            } else if let Some(f) = n.as_f64() {
                from_float_millis(f).ok_or_else(|| TimeError::new(format!("{n} is out of range")))
            } else {
                Err(TimeError::new(format!("{n} is out of range")))
            }
        }
        Value::String(s) => parse_str(s),
        Value::Null => Err(TimeError::new("null is not a date")),
        Value::Bool(b) => Err(TimeError::new(format!("{b} is not a date"))),
        Value::Array(_) => Err(TimeError::new(
            "the timestamp field holds several values (it must hold one)",
        )),
        Value::Object(_) => Err(TimeError::new("an object is not a date")),
    }
}

/// Parses `strict_date_optional_time||epoch_millis` text.
pub fn parse_str(text: &str) -> Result<Timestamp, TimeError> {
    let bad = || {
        TimeError::new(format!(
            "{:?} is neither an ISO 8601 date (strict_date_optional_time) nor epoch milliseconds",
            shorten(text)
        ))
    };
    if text.is_empty() {
        return Err(bad());
    }
    // The ISO format comes first in `strict_date_optional_time||epoch_millis`, so a
    // four-digit string such as "1970" is a year, as in Elasticsearch.
    if let Some(ts) = parse_iso(text.as_bytes()) {
        return Ok(ts);
    }
    parse_epoch_millis(text).ok_or_else(bad)
}

fn shorten(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

fn from_float_millis(f: f64) -> Option<Timestamp> {
    // i64 millis cover +-292 million years; reject anything outside that (and NaN).
    if !f.is_finite() || f.abs() >= 9.0e18 {
        return None;
    }
    let floor = f.floor();
    let nanos = ((f - floor) * 1e6).round().clamp(0.0, 999_999.0);
    Some(Timestamp {
        millis: saturating_i64(floor),
        sub_milli_nanos: saturating_u32(nanos),
    })
}

/// `-?digits(.digits)?` as epoch milliseconds, the fraction being sub-millisecond nanoseconds.
fn parse_epoch_millis(text: &str) -> Option<Timestamp> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = match body.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (body, None),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut nanos: u32 = 0;
    if let Some(fraction) = fraction {
        if fraction.is_empty()
            || fraction.len() > 6
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let scale = u32::try_from(6 - fraction.len()).ok()?;
        nanos = digits_value(fraction.as_bytes())? * 10u32.pow(scale);
    }
    let whole: i64 = whole.parse().ok()?;
    if !negative {
        return Some(Timestamp {
            millis: whole,
            sub_milli_nanos: nanos,
        });
    }
    // -12.5 ms is 12.5 ms before the epoch: floor to -13 ms + 0.5 ms.
    if nanos == 0 {
        Some(Timestamp::from_millis(whole.checked_neg()?))
    } else {
        Some(Timestamp {
            millis: whole.checked_neg()?.checked_sub(1)?,
            sub_milli_nanos: 1_000_000 - nanos,
        })
    }
}

fn digits_value(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |acc, d| {
        acc.checked_mul(10)?
            .checked_add(u32::from(d.wrapping_sub(b'0')))
    })
}

/// A tiny cursor over ASCII bytes for the fixed-width ISO fields.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn digits(&mut self, count: usize) -> Option<u32> {
        let slice = self.bytes.get(self.at..self.at + count)?;
        if !slice.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.at += count;
        digits_value(slice)
    }

    fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }
}

/// `yyyy[-MM[-dd[THH[:mm[:ss[.f{1,9}]]]]]][Z|+HH[:mm]|+HHmm]`, the shapes ES's strict optional
/// time accepts (a zone only after a time).
fn parse_iso(bytes: &[u8]) -> Option<Timestamp> {
    let mut c = Cursor { bytes, at: 0 };
    let year = i64::from(c.digits(4)?);
    let (mut month, mut day) = (1, 1);
    let (mut hour, mut minute, mut second, mut nanos) = (0, 0, 0, 0u32);
    let mut offset_minutes: i64 = 0;
    if c.eat(b'-') {
        month = c.digits(2)?;
        if c.eat(b'-') {
            day = c.digits(2)?;
            if c.eat(b'T') || c.eat(b't') {
                hour = c.digits(2)?;
                if c.eat(b':') {
                    minute = c.digits(2)?;
                    if c.eat(b':') {
                        second = c.digits(2)?;
                        if c.eat(b'.') || c.eat(b',') {
                            let start = c.at;
                            while c.peek().is_some_and(|b| b.is_ascii_digit()) {
                                c.at += 1;
                            }
                            let len = c.at - start;
                            if len == 0 || len > 9 {
                                return None;
                            }
                            let scale = u32::try_from(9 - len).ok()?;
                            nanos = digits_value(bytes.get(start..c.at)?)? * 10u32.pow(scale);
                        }
                    }
                }
                offset_minutes = parse_zone(&mut c)?;
            }
        }
    }
    if !c.done() || !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds =
        days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset_minutes * 60;
    Some(Timestamp {
        millis: seconds * 1000 + i64::from(nanos / 1_000_000),
        sub_milli_nanos: nanos % 1_000_000,
    })
}

/// `Z`, `+HH`, `+HH:mm`, `+HHmm` (or `-`), or nothing (UTC). Returns the offset in minutes.
fn parse_zone(c: &mut Cursor<'_>) -> Option<i64> {
    if c.eat(b'Z') || c.eat(b'z') || c.done() {
        return Some(0);
    }
    let sign = if c.eat(b'+') {
        1
    } else if c.eat(b'-') {
        -1
    } else {
        return None;
    };
    let hours = c.digits(2)?;
    let minutes = if c.eat(b':') {
        c.digits(2)?
    } else if c.done() {
        0
    } else {
        c.digits(2)?
    };
    if hours > 18 || minutes > 59 {
        return None;
    }
    Some(sign * i64::from(hours * 60 + minutes))
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub(crate) fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant, "chrono-Compatible Low-Level
/// Date Algorithms").
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ms(text: &str) -> i64 {
        parse_str(text).unwrap().millis()
    }

    #[test]
    fn iso_shapes_and_zones() {
        assert_eq!(ms("1970-01-01T00:00:00Z"), 0);
        assert_eq!(ms("1970-01-01"), 0);
        assert_eq!(ms("1970"), 0);
        assert_eq!(ms("1970-02"), 31 * 86_400_000);
        assert_eq!(ms("2020-07-11T21:38:17.351448Z"), 1_594_503_497_351);
        assert_eq!(ms("2020-07-11T21:38:17.351448"), 1_594_503_497_351);
        assert_eq!(ms("2020-07-11T23:38:17.351+02:00"), 1_594_503_497_351);
        assert_eq!(ms("2020-07-11T23:38:17.351+0200"), 1_594_503_497_351);
        assert_eq!(ms("2020-07-11T23:38:17.351+02"), 1_594_503_497_351);
        assert_eq!(ms("2020-07-11T16:38:17.351-05:00"), 1_594_503_497_351);
        assert_eq!(ms("2020-07-11T21:38Z"), 1_594_503_480_000);
        assert_eq!(ms("2000-02-29T00:00:00Z"), 951_782_400_000);
        let t = parse_str("2020-04-01T14:34:34.606123456Z").unwrap();
        assert_eq!((t.millis() % 1000, t.sub_milli_nanos()), (606, 123_456));
    }

    #[test]
    fn before_the_epoch_truncates_toward_the_past() {
        assert_eq!(ms("1969-12-31T23:59:59.999Z"), -1);
        assert_eq!(ms("1969-12-31T23:59:59.9995Z"), -1);
        assert_eq!(ms("1601-01-01T00:00:00Z"), -11_644_473_600_000);
    }

    #[test]
    fn epoch_millis_numbers_and_strings() {
        assert_eq!(parse_value(&json!(1234)).unwrap().millis(), 1234);
        assert_eq!(parse_value(&json!(-5)).unwrap().millis(), -5);
        assert_eq!(parse_value(&json!("1")).unwrap().millis(), 1);
        assert_eq!(parse_value(&json!("-12")).unwrap().millis(), -12);
        let t = parse_value(&json!("-12.5")).unwrap();
        assert_eq!((t.millis(), t.sub_milli_nanos()), (-13, 500_000));
        let t = parse_value(&json!(10.25)).unwrap();
        assert_eq!((t.millis(), t.sub_milli_nanos()), (10, 250_000));
    }

    #[test]
    fn rejects_with_clear_messages() {
        for bad in [
            "",
            "yesterday",
            "2020-13-01",
            "2020-02-30",
            "2020-01-01T24:00:00Z",
            "20-01-01",
            "2020-01-01T10:00:00+19:00",
            "2020-01-01 10:00:00",
            "1.",
            "--1",
            "2020-01-01T10:00:00.Z",
        ] {
            let err = parse_str(bad).unwrap_err();
            assert!(err.message.contains("ISO 8601"), "{bad}: {err}");
        }
        assert!(parse_value(&json!(null)).is_err());
        assert!(parse_value(&json!(true)).is_err());
        assert!(parse_value(&json!(["2020"]))
            .unwrap_err()
            .message
            .contains("several"));
        assert!(parse_value(&json!(1e300)).is_err());
    }
}
