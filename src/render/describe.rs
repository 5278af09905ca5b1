//! A plain-text description of a compiled query (for `eqlite check`), and the RFC 3339 text of
//! an instant (for alert documents). Both live in the library so that every face of eqlite
//! describes a query the same way.

use crate::{Query, QueryKind};
use std::fmt::Write;

/// What a query is and what it reads: kind, join keys, maxspan, stages, fields, literals.
pub fn describe(query: &Query) -> String {
    let mut out = String::new();
    let kind = query.kind().as_str();
    let _ = writeln!(out, "kind: {kind}");
    if query.kind() == QueryKind::Sample {
        let _ = writeln!(
            out,
            "samples: up to {} per join-key combination, in join-key order (no timestamp needed)",
            query.max_samples_per_key()
        );
    }
    let keys = query.join_key_names();
    if !keys.is_empty() {
        let _ = writeln!(out, "join keys: {}", keys.join(", "));
    }
    if let Some(ms) = query.maxspan_ms() {
        let _ = writeln!(out, "maxspan: {ms} ms");
    }
    if let Some((position, n)) = query.limit() {
        let _ = writeln!(out, "limit: {position:?} {n}");
    }
    let _ = writeln!(out, "stages: {}", query.stages().len());
    let literals = query.required_literals();
    for (i, stage) in query.stages().iter().enumerate() {
        let category = stage.category().unwrap_or("any");
        let missing = if stage.is_missing() {
            " (missing-event stage)"
        } else {
            ""
        };
        let _ = writeln!(out, "  {}: category {category}{missing}", i + 1);
        let stage_keys = stage.join_key_names();
        if !stage_keys.is_empty() {
            let _ = writeln!(out, "     keys: {}", stage_keys.join(", "));
        }
        if let Some(lits) = literals.get(i).filter(|l| !l.is_empty()) {
            let quoted: Vec<String> = lits.iter().map(|l| format!("{l:?}")).collect();
            let _ = writeln!(out, "     required literals: {}", quoted.join(", "));
        }
    }
    if let Some(until) = query.until() {
        let _ = writeln!(
            out,
            "  until: category {}",
            until.category().unwrap_or("any")
        );
        if let Some(lits) = literals.get(query.stages().len()).filter(|l| !l.is_empty()) {
            let quoted: Vec<String> = lits.iter().map(|l| format!("{l:?}")).collect();
            let _ = writeln!(out, "     required literals: {}", quoted.join(", "));
        }
    }
    let _ = writeln!(out, "timestamp field: {}", query.timestamp_field());
    if let Some(tiebreaker) = query.tiebreaker_field() {
        let _ = writeln!(out, "tiebreaker field: {tiebreaker}");
    }
    let _ = writeln!(out, "fields read: {}", query.fields().join(", "));
    out
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for milliseconds since the Unix epoch (UTC).
pub fn rfc3339_utc(epoch_ms: i64) -> String {
    let days = epoch_ms.div_euclid(86_400_000);
    let ms_of_day = epoch_ms.rem_euclid(86_400_000);
    // Civil-from-days (Hinnant, "chrono-Compatible Low-Level Date Algorithms").
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
        ms_of_day % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_through_the_engine_parser() {
        for ms in [0, 951_782_400_000, 1_714_550_400_123, -86_400_000] {
            let text = rfc3339_utc(ms);
            assert_eq!(
                crate::time::parse_str(&text).map(|t| t.millis()).ok(),
                Some(ms),
                "{text}"
            );
        }
        assert_eq!(rfc3339_utc(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}
