//! `eqlite explain` as text: the report of [`crate::explain`] as readable lines or NDJSON.

use super::OutputMode;
use crate::explain::{EventRef, Explanation, Finding};
use crate::render::table::format_gap;
use serde_json::{json, Value};
use std::fmt::Write;

/// The report in the chosen mode (`table` is the readable default).
pub(super) fn render(report: &Explanation, mode: OutputMode) -> String {
    let mut out = String::new();
    if mode == OutputMode::Ndjson {
        for f in &report.findings {
            let _ = writeln!(out, "{}", json!(f));
        }
        let _ = writeln!(
            out,
            "{}",
            json!({"verdict": report.verdict, "text": report.text, "matches": report.matches, "more": report.more})
        );
        return out;
    }
    let _ = writeln!(out, "{}", report.text);
    let mut heading = "";
    for f in &report.findings {
        let (title, line) = describe(f);
        if title != heading {
            let _ = writeln!(out, "\n{title}");
            heading = title;
        }
        let _ = writeln!(out, "  {line}");
    }
    for (kind, n) in &report.more {
        let _ = writeln!(out, "\n... and {n} more {kind} (raise --top)");
    }
    out
}

fn keys(k: &[Value]) -> String {
    let parts: Vec<String> = k
        .iter()
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
        .collect();
    parts.join(" / ")
}

fn at(events: &[EventRef]) -> String {
    let parts: Vec<&str> = events.iter().map(|e| e.location.as_str()).collect();
    parts.join(" -> ")
}

fn describe(f: &Finding) -> (&'static str, String) {
    match f {
        Finding::Condition {
            conjunct,
            stages,
            join_keys,
            count,
            events,
        } => {
            let seen: Vec<String> = events
                .iter()
                .flat_map(|e| e.values.iter().map(|(k, v)| format!("{k} = {v}")))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let stages: Vec<String> = stages.iter().map(ToString::to_string).collect();
            (
                "Near misses: events that fail one condition",
                format!(
                    "{}: `{conjunct}` fails (stage {}; {count} event(s); saw {}) at {}",
                    keys(join_keys),
                    stages.join(", "),
                    seen.join(", "),
                    at(events)
                ),
            )
        }
        Finding::Maxspan {
            join_keys,
            gap_ms,
            exceeded_by_ms,
            events,
        } => (
            "Near misses: sequences longer than maxspan",
            format!(
                "{}: {} apart, {} too long, at {}",
                keys(join_keys),
                format_gap(*gap_ms),
                format_gap(*exceeded_by_ms),
                at(events)
            ),
        ),
        Finding::Until { join_keys, events } => (
            "Near misses: sequences cut by until",
            format!("{}: at {}", keys(join_keys), at(events)),
        ),
        Finding::KeyCase {
            join_keys,
            written,
            events,
        } => {
            let w: Vec<String> = written.iter().map(|k| keys(k)).collect();
            (
                "Near misses: join keys that differ only in case or spaces",
                format!(
                    "{}: written {} at {}",
                    keys(join_keys),
                    w.join(" vs "),
                    at(events)
                ),
            )
        }
        Finding::Open {
            join_keys,
            stages_matched,
            next_stage_needs,
            events,
        } => (
            "Near misses: sequences left open",
            format!(
                "{}: {stages_matched} stage(s) matched at {}; the next needs `{next_stage_needs}`",
                keys(join_keys),
                at(events)
            ),
        ),
        Finding::Field { text, .. } => ("Coverage: fields the query reads", text.clone()),
        Finding::Host {
            host,
            from,
            to,
            events,
            values,
        } => {
            let v: Vec<String> = values.iter().map(|(k, n)| format!("{n} {k}")).collect();
            (
                "Coverage: hosts",
                format!(
                    "{host}: {from} to {to}, {events} event(s){}",
                    if v.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", v.join(", "))
                    }
                ),
            )
        }
        Finding::Gap {
            host,
            from,
            to,
            gap_ms,
        } => (
            "Coverage: time gaps longer than the maxspan",
            format!(
                "{host}: no events from {from} to {to} ({})",
                format_gap(*gap_ms)
            ),
        ),
    }
}
