//! End-to-end throughput of the built-in rule over winlogbeat-like NDJSON (parse + correlate),
//! next to a raw line-split baseline and a parse-only run. `cargo bench --bench correlate`;
//! `EQLITE_BENCH_EVENTS` sets the number of events (default 200 000).

// Benchmark code, not shipped: a panic only stops the benchmark, so the no-panic lints are off.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use eqlite::input::{Format, Reader, ReaderOptions};
use eqlite::{rules, Event, Provenance, Query};
use std::hint::black_box;
use std::time::Instant;

/// Deterministic winlogbeat-shaped Security events: mostly logon noise, some scheduled-task
/// lifecycle events on 50 hosts, one create/delete pair in every ~500 events.
fn generate(count: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(count * 900);
    let start_ms: u64 = 1_714_550_400_000;
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..count {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let ts = start_ms + i as u64 * 37 + state % 30;
        let secs = ts / 1000;
        let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
        let stamp = format!("2024-05-01T{h:02}:{m:02}:{s:02}.{:03}Z", ts % 1000);
        let host = format!("WS{:03}.corp.example", (state >> 8) % 20);
        let (code, action, category) = match state % 1000 {
            0..=1 => (
                4698,
                "scheduled-task-created",
                "[\"iam\",\"configuration\"]",
            ),
            2..=3 => (
                4699,
                "scheduled-task-deleted",
                "[\"iam\",\"configuration\"]",
            ),
            4..=9 => (
                4702,
                "scheduled-task-updated",
                "[\"iam\",\"configuration\"]",
            ),
            _ => (4624, "logged-in", "[\"authentication\"]"),
        };
        // JSON-escaped backslash: the task name is `\TaskN`.
        let task = format!("\\\\Task{}", (state >> 20) % 2);
        let user = if (state >> 32) % 7 == 0 {
            format!("{}$", host)
        } else {
            format!("user{}", (state >> 40) % 97)
        };
        let line = format!(
            concat!(
                "{{\"@timestamp\":\"{stamp}\",\"agent\":{{\"type\":\"winlogbeat\",\"version\":\"8.14.0\"}},",
                "\"ecs\":{{\"version\":\"8.0.0\"}},\"event\":{{\"action\":\"{action}\",\"category\":{category},",
                "\"code\":\"{code}\",\"kind\":\"event\",\"module\":\"security\",\"outcome\":\"success\",",
                "\"provider\":\"Microsoft-Windows-Security-Auditing\",\"type\":[\"creation\"]}},",
                "\"host\":{{\"name\":\"{host}\",\"os\":{{\"type\":\"windows\",\"family\":\"windows\"}}}},",
                "\"log\":{{\"level\":\"information\"}},\"message\":\"A scheduled task was created.\",",
                "\"user\":{{\"domain\":\"CORP\",\"id\":\"S-1-5-21-1-2-3-1104\",\"name\":\"{user}\"}},",
                "\"winlog\":{{\"channel\":\"Security\",\"computer_name\":\"{host}\",",
                "\"event_data\":{{\"SubjectDomainName\":\"CORP\",\"SubjectLogonId\":\"0x3e7\",",
                "\"SubjectUserName\":\"{user}\",\"SubjectUserSid\":\"S-1-5-21-1-2-3-1104\",",
                "\"TaskName\":\"{task}\"}},\"event_id\":\"{code}\",\"keywords\":[\"Audit Success\"],",
                "\"opcode\":\"Info\",\"process\":{{\"pid\":780,\"thread\":{{\"id\":5000}}}},",
                "\"provider_name\":\"Microsoft-Windows-Security-Auditing\",\"record_id\":\"{i}\"}}}}\n"
            ),
            stamp = stamp, action = action, category = category, code = code, host = host,
            user = user, task = task, i = i
        );
        out.extend_from_slice(line.as_bytes());
    }
    out
}

fn report(name: &str, events: usize, bytes: usize, seconds: f64) {
    println!(
        "{name:<28} {:>12.0} events/s {:>9.1} MB/s ({seconds:.3} s)",
        events as f64 / seconds,
        bytes as f64 / 1e6 / seconds
    );
}

/// Events parsed with plain serde_json (the floor any JSON input path pays).
fn events_of(data: &[u8]) -> impl Iterator<Item = Event> + '_ {
    data.split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
        .filter_map(|(i, line)| {
            let value: serde_json::Value = serde_json::from_slice(line).ok()?;
            let provenance = Provenance {
                line: Some(i as u64 + 1),
                ..Provenance::default()
            };
            Event::from_value(value, provenance)
        })
}

/// Feeds `data` to an `input::Reader` in 64 KiB chunks, as the CLI does.
fn read_chunked(
    data: &[u8],
    format: Format,
    literals: Option<Vec<Vec<String>>>,
    mut sink: impl FnMut(Event),
) {
    let mut reader = Reader::new(ReaderOptions {
        format,
        required_literals: literals,
        ..ReaderOptions::default()
    });
    let mut events = Vec::new();
    for chunk in data.chunks(1 << 16) {
        reader.push(chunk, &mut events);
        events.drain(..).for_each(&mut sink);
    }
    reader.finish(&mut events);
    events.drain(..).for_each(&mut sink);
    assert_eq!(reader.error_count(), 0, "{:?}", reader.errors().first());
}

fn main() {
    let count = std::env::var("EQLITE_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let data = generate(count);
    println!(
        "{count} events, {:.1} MB of NDJSON",
        data.len() as f64 / 1e6
    );

    let t = Instant::now();
    let lines = data
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    report(
        "baseline: line split",
        black_box(lines),
        data.len(),
        t.elapsed().as_secs_f64(),
    );

    let t = Instant::now();
    let parsed = events_of(&data).count();
    report(
        "parse only (serde_json)",
        black_box(parsed),
        data.len(),
        t.elapsed().as_secs_f64(),
    );
    assert_eq!(parsed, count, "the generator writes valid JSON");

    let t = Instant::now();
    let mut events = 0;
    read_chunked(&data, Format::Auto, None, |_| events += 1);
    report(
        "input::Reader (auto)",
        black_box(events),
        data.len(),
        t.elapsed().as_secs_f64(),
    );

    let query = Query::new(&rules::builtin().query).expect("built-in rule");
    let literals = query.required_literals();
    for (name, format, literals) in [
        ("rule end to end (no prefilter)", Format::Auto, None),
        (
            "rule end to end (CLI: auto+prefilter)",
            Format::Auto,
            Some(literals.clone()),
        ),
        (
            "rule end to end (ndjson+prefilter)",
            Format::Ndjson,
            Some(literals),
        ),
    ] {
        let t = Instant::now();
        let mut correlator = query.correlator();
        let mut matches = 0;
        let mut out = Vec::new();
        read_chunked(&data, format, literals, |event| {
            correlator
                .push_into(event, &mut out)
                .expect("within budget");
            matches += out.len();
            out.clear();
        });
        matches += correlator.finish().len();
        report(name, count, data.len(), t.elapsed().as_secs_f64());
        let summary = correlator.summary();
        println!(
            "    {matches} matches; {} events reached the correlator, {} late, {} skipped",
            summary.events_seen, summary.late, summary.skipped
        );
    }
}
