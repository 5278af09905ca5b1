//! Timestamp forms found in exports, rewritten as ISO-8601 UTC (`...Z`) strings for `@timestamp`.
//!
//! Exports write times in many shapes (Kibana's `Jan 1, 2020 @ 04:00:00.000`, EvtxECmd's
//! zone-less `2018-05-04 22:14:31.3192953`, Hayabusa's `... +09:00`, US 12-hour clocks). The
//! correlator reads ISO-8601, so readers convert here, keeping every fractional digit (Windows
//! writes 7 or 9). Values that are already ISO-8601 UTC are passed through untouched.

/// A fixed UTC offset in seconds east of UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Offset(pub i64);

impl Offset {
    /// Parses the time-zone option: `UTC`, `GMT`, `Z`, `+02:00`, `-0530`, `UTC+2`, `+5`.
    pub fn parse(tz: &str) -> Option<Offset> {
        let t = tz.trim();
        let upper = t.to_ascii_uppercase();
        let rest = upper
            .strip_prefix("UTC")
            .or_else(|| upper.strip_prefix("GMT"))
            .unwrap_or(&upper);
        if rest.is_empty() || rest == "Z" {
            return Some(Offset(0));
        }
        parse_offset(rest).map(Offset)
    }
}

/// `+HH:MM`, `+HHMM`, `+HH`, `+H` -> seconds.
fn parse_offset(s: &str) -> Option<i64> {
    let (sign, digits) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = match digits.split_once(':') {
        Some((h, m)) => (h, m),
        None if digits.len() == 4 => (digits.get(..2).unwrap_or(""), digits.get(2..).unwrap_or("")),
        None => (digits, "0"),
    };
    if h.is_empty() || h.len() > 2 || m.len() > 2 || !all_digits(h) || !all_digits(m) {
        return None;
    }
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 18 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// Civil date/time parts plus the fraction as written (digits only).
#[derive(Debug, Clone, Default)]
struct Parts {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    frac: String,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl Parts {
    fn valid(&self) -> bool {
        (1..=12).contains(&self.month)
            && (1..=31).contains(&self.day)
            && (0..=23).contains(&self.hour)
            && (0..=59).contains(&self.minute)
            && (0..=60).contains(&self.second)
            && (0..=9999).contains(&self.year)
    }

    /// Shifts local time by `-offset` and renders `YYYY-MM-DDTHH:MM:SS[.frac]Z`.
    fn to_utc(&self, offset: i64) -> Option<String> {
        if !self.valid() {
            return None;
        }
        let secs = days_from_civil(self.year, self.month, self.day) * 86_400
            + self.hour * 3600
            + self.minute * 60
            + self.second
            - offset;
        let (days, tod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let (y, m, d) = civil_from_days(days);
        let frac = if self.frac.is_empty() {
            String::new()
        } else {
            format!(".{}", self.frac)
        };
        Some(format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{frac}Z",
            tod / 3600,
            tod % 3600 / 60,
            tod % 60
        ))
    }
}

/// A tiny cursor over ASCII text.
struct Cur<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Cur<'a> {
    fn num(&mut self, min: usize, max: usize) -> Option<i64> {
        let start = self.i;
        while self.i - start < max && self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        if self.i - start < min {
            return None;
        }
        std::str::from_utf8(self.s.get(start..self.i)?)
            .ok()?
            .parse()
            .ok()
    }
    fn eat(&mut self, b: u8) -> bool {
        if self.s.get(self.i) == Some(&b) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn frac(&mut self) -> String {
        let start = self.i;
        while self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        String::from_utf8_lossy(self.s.get(start..self.i).unwrap_or_default()).into_owned()
    }
    fn rest(&self) -> &'a str {
        std::str::from_utf8(self.s.get(self.i..).unwrap_or_default()).unwrap_or("")
    }
    fn hms(&mut self, p: &mut Parts) -> Option<()> {
        p.hour = self.num(1, 2)?;
        self.eat(b':').then_some(())?;
        p.minute = self.num(2, 2)?;
        if self.eat(b':') {
            p.second = self.num(2, 2)?;
            if self.eat(b'.') || self.eat(b',') {
                p.frac = self.frac();
            }
        }
        Some(())
    }
}

/// Trailing zone: `Z`, `+HH:MM`, `-HHMM`, ` +09:00`, ` UTC`; `Ok(None)` when there is none.
fn zone(rest: &str) -> Result<Option<i64>, ()> {
    let r = rest.trim();
    if r.is_empty() {
        return Ok(None);
    }
    if r.eq_ignore_ascii_case("z") || r.eq_ignore_ascii_case("utc") || r.eq_ignore_ascii_case("gmt")
    {
        return Ok(Some(0));
    }
    parse_offset(r).map(Some).ok_or(())
}

/// ISO-ish `YYYY-MM-DD[T ]HH:MM[:SS[.f]][zone]`; zone-less values use `assume`.
fn iso(text: &str, assume: Option<Offset>) -> Option<String> {
    let mut c = Cur {
        s: text.as_bytes(),
        i: 0,
    };
    let mut p = Parts {
        year: c.num(4, 4)?,
        ..Parts::default()
    };
    c.eat(b'-').then_some(())?;
    p.month = c.num(2, 2)?;
    c.eat(b'-').then_some(())?;
    p.day = c.num(2, 2)?;
    if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
        return None;
    }
    c.hms(&mut p)?;
    let offset = match zone(c.rest()).ok()? {
        Some(o) => o,
        None => assume?.0,
    };
    p.to_utc(offset)
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Kibana's default `MMM D, YYYY @ HH:mm:ss.SSS` (no zone in the file).
fn kibana(text: &str, assume: Option<Offset>) -> Option<String> {
    let (date, time) = text.split_once(" @ ")?;
    let (md, year) = date.split_once(", ")?;
    let (mon, day) = md.split_once(' ')?;
    let month = MONTHS
        .iter()
        .position(|m| mon.get(..3).is_some_and(|p| p.eq_ignore_ascii_case(m)))?;
    let mut p = Parts {
        year: year.trim().parse().ok()?,
        month: month as i64 + 1,
        day: day.trim().parse().ok()?,
        ..Parts::default()
    };
    let mut c = Cur {
        s: time.trim().as_bytes(),
        i: 0,
    };
    c.hms(&mut p)?;
    if !c.rest().trim().is_empty() {
        return None;
    }
    p.to_utc(assume?.0)
}

/// US `M/D/YYYY[,] h:mm:ss[.fff] AM` (Sentinel portal, Splunk classic), zone-less.
fn us(text: &str, assume: Option<Offset>) -> Option<String> {
    let mut c = Cur {
        s: text.as_bytes(),
        i: 0,
    };
    let mut p = Parts {
        month: c.num(1, 2)?,
        ..Parts::default()
    };
    c.eat(b'/').then_some(())?;
    p.day = c.num(1, 2)?;
    c.eat(b'/').then_some(())?;
    p.year = c.num(4, 4)?;
    c.eat(b',');
    c.eat(b' ').then_some(())?;
    c.hms(&mut p)?;
    let rest = c.rest().trim();
    let (ampm, zone_text) = match (rest.get(..2), rest.get(2..)) {
        (Some(a), Some(z)) => (a, z),
        _ => return None,
    };
    match ampm.to_ascii_uppercase().as_str() {
        "AM" if p.hour == 12 => p.hour = 0,
        "AM" if p.hour <= 12 => {}
        "PM" if p.hour < 12 => p.hour += 12,
        "PM" if p.hour == 12 => {}
        _ => return None,
    }
    let offset = match zone(zone_text).ok()? {
        Some(o) => o,
        None => assume?.0,
    };
    p.to_utc(offset)
}

/// Whether `text` is already ISO-8601 UTC with a `T` and a `Z` (kept byte for byte).
fn is_iso_utc(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 20
        && b.get(4) == Some(&b'-')
        && b.get(10) == Some(&b'T')
        && text.ends_with('Z')
        && b.get(..4)
            .is_some_and(|year| year.iter().all(u8::is_ascii_digit))
}

/// Converts any supported timestamp text to ISO-8601 UTC. Zone-less forms use `assume`; with no
/// assumption they are not converted (`None`).
pub(crate) fn to_iso_utc(text: &str, assume: Option<Offset>) -> Option<String> {
    let t = text.trim();
    if is_iso_utc(t) {
        return Some(t.to_string());
    }
    iso(t, assume)
        .or_else(|| kibana(t, assume))
        .or_else(|| us(t, assume))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let utc = Some(Offset(0));
        assert_eq!(
            to_iso_utc("2020-07-11T21:38:17.351448Z", None).as_deref(),
            Some("2020-07-11T21:38:17.351448Z")
        );
        assert_eq!(
            to_iso_utc("2018-05-04 22:14:31.3192953", utc).as_deref(),
            Some("2018-05-04T22:14:31.3192953Z")
        );
        assert_eq!(to_iso_utc("2018-05-04 22:14:31.3192953", None), None);
        assert_eq!(
            to_iso_utc("2021-04-21 22:30:00.589 +09:00", None).as_deref(),
            Some("2021-04-21T13:30:00.589Z")
        );
        assert_eq!(
            to_iso_utc("Jan 1, 2020 @ 04:00:00.000", Offset::parse("+02:00")).as_deref(),
            Some("2020-01-01T02:00:00.000Z")
        );
        assert_eq!(
            to_iso_utc("Jan 1, 2020 @ 01:00:00.000", Offset::parse("+02:00")).as_deref(),
            Some("2019-12-31T23:00:00.000Z")
        );
        assert_eq!(
            to_iso_utc("3/31/2022, 10:51:35.857 PM", utc).as_deref(),
            Some("2022-03-31T22:51:35.857Z")
        );
        assert_eq!(
            to_iso_utc("11/29/2024 12:11:26 AM", utc).as_deref(),
            Some("2024-11-29T00:11:26Z")
        );
        assert_eq!(to_iso_utc("Feb 30, 2020 @ 99:00:00.000", utc), None);
        assert_eq!(Offset::parse("Europe/Paris"), None);
        assert_eq!(Offset::parse("utc"), Some(Offset(0)));
        assert_eq!(Offset::parse("-05:30"), Some(Offset(-19_800)));
    }
}
