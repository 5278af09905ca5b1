//! The fuzz targets' bodies, one function per target, and the invariants they check. Kept out
//! of fuzz_targets/ so that tests/fuzz_regressions.rs runs the very same checks on every input
//! a fuzzer ever found (`#[path]`-included there; nothing here needs libFuzzer).

use eqlite::{Format, Reader, ReaderOptions};

/// A target's body: panics when the input breaks what the target checks.
pub type Check = fn(&[u8]);

/// Every target by name, for the regression test.
pub const TARGETS: &[(&str, Check)] = &[
    ("query", query),
    ("detect", detect),
    ("read_ndjson", |d| read_both_ways(Format::Ndjson, d)),
    ("read_json", |d| read_both_ways(Format::Json, d)),
    ("read_csv", |d| read_both_ways(Format::KibanaCsv, d)),
    ("read_xml", |d| read_both_ways(Format::WindowsXml, d)),
    ("read_evtx", |d| read_both_ways(Format::Evtx, d)),
    ("read_splunk", |d| {
        read_both_ways(Format::SplunkWinEventLog, d)
    }),
    ("read_container", |d| read_both_ways(Format::Auto, d)),
    ("exceptions", exceptions),
    ("rule_toml", rule_toml),
    ("session", session),
];

/// Query text -> parse -> compile: any text is a query or an error whose span lies inside it.
pub fn query(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match eqlite::QueryBuilder::new().build(text) {
        Ok(query) => {
            let _ = query.required_literals();
        }
        Err(error) => {
            if let Some(span) = error.span() {
                assert!(
                    span.start <= span.end && span.end <= text.len(),
                    "{error:?}"
                );
            }
            let _ = error.line_column(text);
            let _ = error.with_source(text).to_string();
        }
    }
}

/// Format detection: whatever a file's head looks like, a reader (or none) is picked without
/// panicking, and how the bytes are split does not change the pick.
pub fn detect(data: &[u8]) {
    let detect = |chunk: usize| {
        let mut reader = Reader::new(ReaderOptions::default());
        let mut out = Vec::new();
        for piece in data.chunks(chunk.max(1)) {
            reader.push(piece, &mut out);
        }
        reader.finish(&mut out);
        reader.detected()
    };
    assert_eq!(
        detect(data.len()),
        detect(7),
        "chunks of 7 bytes detect differently"
    );
}

/// Reads `data` as `format`, whole and then in chunks of a size taken from its first byte: the
/// same events (with provenance) and the same errors however the bytes are split, and no more
/// errors listed than counted.
pub fn read_both_ways(format: Format, data: &[u8]) {
    let (chunk, data) = match data.split_first() {
        Some((first, rest)) => (usize::from(*first % 64) + 1, rest),
        None => (1, data),
    };
    let whole = read(format, data, data.len().max(1));
    let split = read(format, data, chunk);
    assert_eq!(whole, split, "chunks of {chunk} bytes read differently");
}

/// Events (as text, with provenance), the error count and the listed errors.
fn read(format: Format, data: &[u8], chunk: usize) -> (Vec<String>, u64, String) {
    let mut reader = Reader::new(ReaderOptions {
        format,
        file_name: Some("fuzz".into()),
        ..ReaderOptions::default()
    });
    let mut out = Vec::new();
    for piece in data.chunks(chunk) {
        reader.push(piece, &mut out);
        // An empty push is no end of input (found by read_container: CSV took it for one).
        if chunk < data.len() {
            reader.push(&[], &mut out);
        }
    }
    reader.finish(&mut out);
    assert!(reader.errors().len() as u64 <= reader.error_count());
    let events = out
        .iter()
        .map(|e| format!("{:?} {:?}", e.source(), e.provenance()))
        .collect();
    (
        events,
        reader.error_count(),
        format!("{:?}", reader.errors()),
    )
}

/// The exceptions parser; every item it accepts is rendered back and evaluated on an event.
pub fn exceptions(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(list) = eqlite::ExceptionList::from_json(text) else {
        return;
    };
    let event = eqlite::Event::from_value(
        serde_json::json!({
            "user": {"name": "a$"},
            "winlog": {"event_data": {"TaskName": "\\x"}},
            "n": 5
        }),
        eqlite::Provenance::default(),
    );
    if let Some(event) = event {
        let _ = list.first_match(&event);
    }
    for item in list.items() {
        let _ = item.to_kibana();
        let _ = item.to_string();
    }
}

/// Rule TOML: parsed, and a rule it accepts compiled into a session.
pub fn rule_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(rule) = eqlite::rules::from_toml(text) {
        let _ = eqlite::Session::new(eqlite::SessionOptions {
            source: eqlite::RuleSource::Rule(Box::new(rule)),
            ..eqlite::SessionOptions::default()
        });
    }
}

/// The session end to end: input in any format, auto-detected and pushed in chunks, under the
/// built-in rule or the query on a first line `Q:<query>`, with simulate and explain on.
pub fn session(data: &[u8]) {
    let (head, body) = match data.strip_prefix(b"Q:") {
        Some(rest) => {
            let at = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            rest.split_at(at)
        }
        None => (&data[..0], data),
    };
    let Ok(head) = std::str::from_utf8(head) else {
        return;
    };
    let mut options = eqlite::SessionOptions {
        simulate: true,
        explain: Some(5),
        ..eqlite::SessionOptions::default()
    };
    if !head.trim().is_empty() {
        options.source = eqlite::RuleSource::Query(head.to_string());
    }
    let Ok(mut session) = eqlite::Session::new(options) else {
        return;
    };
    let mut out = Vec::new();
    let _ = session.start_file("fuzz", &mut out);
    for piece in body.chunks(4096) {
        if session.push(piece, &mut out).is_err() {
            return;
        }
    }
    if session.finish(&mut out).is_err() {
        return;
    }
    for m in &out {
        let _ = session.view(m);
    }
    let _ = session.summary();
    let _ = session.explain();
    let phase = eqlite::simulate::Phase {
        phases: 3,
        ..Default::default()
    };
    let _ = session.simulate(None, &phase);
}
