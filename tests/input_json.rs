//! NDJSON and JSON documents: ECS `_source` lines, elasticdump, `_search` and EQL responses,
//! arrays, with their error reports.

use crate::input_support::*;
use eqlite::input::Format;
use serde_json::json;

#[test]
fn ndjson_sources_elasticdump_and_dotted_keys() {
    let bytes = data("ndjson/agent-4698-4699.ndjson");
    let (events, summary) = read(&bytes, "agent.ndjson");
    assert_eq!(summary.format, Some(Format::Ndjson));
    assert_eq!(summary.error_count, 0, "{:?}", summary.errors);
    assert_eq!(events.len(), 3);
    assert_eq!(
        rule_fields(&events[0]),
        json!({"@timestamp": "2025-06-25T10:02:51.123Z", "event.action": "scheduled-task-created",
               "event.category": ["iam", "configuration"], "user.name": "Administrator",
               "winlog.computer_name": "WIN-SVR-2019-ST",
               "winlog.event_data.TaskName": "\\OneDrive Startup Task-S-1-5-21-3333583805"})
    );
    // elasticdump line: `_source` is the document.
    assert_eq!(
        field(&events[1], "event.action"),
        json!("scheduled-task-deleted")
    );
    assert!(events[1].source().get("_index").is_none());
    // Dotted keys (flattened exports) resolve.
    assert_eq!(
        field(&events[2], "winlog.event_data.TaskName"),
        json!("\\Updater")
    );
    let p = events[1].provenance();
    assert_eq!((p.file.as_deref(), p.line), (Some("agent.ndjson"), Some(2)));
    // Same result whatever the chunking.
    let (chunked, s2) = read_chunked(&bytes, "agent.ndjson", 7);
    assert_eq!(chunked.len(), 3);
    assert_eq!(s2.error_count, 0);
    assert_eq!(chunked[2].source(), events[2].source());
}

#[test]
fn ndjson_malformed_lines_are_reported_and_the_rest_read() {
    let bytes = data("ndjson/agent-malformed.ndjson");
    let (events, summary) = read(&bytes, "bad.ndjson");
    assert_eq!(summary.format, Some(Format::Ndjson));
    assert_eq!(events.len(), 2);
    assert_eq!(summary.error_count, 2);
    let errs = error_lines(&summary);
    assert!(
        errs[0].starts_with("bad.ndjson:2: invalid JSON"),
        "{errs:?}"
    );
    assert_eq!(
        errs[1],
        "bad.ndjson:4: expected a JSON object, found an array of 3 values"
    );
    assert_eq!(events[1].provenance().line, Some(5));
}

#[test]
fn eql_sequence_response() {
    let (events, summary) = read(&data("json/eql-sequence-response.json"), "eql.json");
    assert_eq!(summary.format, Some(Format::Json));
    assert_eq!(summary.error_count, 0);
    assert_eq!(
        task_events(&events),
        vec![
            (
                "scheduled-task-created".into(),
                "DC01.contoso.local".into(),
                "\\Updater".into(),
                "dadmin".into()
            ),
            (
                "scheduled-task-deleted".into(),
                "DC01.contoso.local".into(),
                "\\Updater".into(),
                "dadmin".into()
            ),
        ]
    );
    assert_eq!(events[1].provenance().record, Some(2));
}

#[test]
fn search_response_with_source_and_fields_hits() {
    let (events, summary) = read(&data("json/search-response-fields.json"), "search.json");
    assert_eq!(summary.format, Some(Format::Json));
    assert_eq!(events.len(), 2);
    assert_eq!(
        rule_fields(&events[1]),
        json!({"@timestamp": "2020-04-01T14:35:47.822Z", "event.action": "scheduled-task-deleted",
               "event.category": ["iam", "configuration"], "user.name": "at_adm",
               "winlog.computer_name": "DC_TEST2k12.TEST.SAAS", "winlog.event_data.TaskName": "\\test1"})
    );
    assert!(events[1].source().get("user.name.keyword").is_none());
    assert_eq!(summary.notes.len(), 1, "{:?}", summary.notes);
    assert!(summary.notes[0].contains("holds 2 of 57 hits"));
}

#[test]
fn json_array_with_bad_and_truncated_elements() {
    let (events, summary) = read(&data("json/array-malformed.json"), "arr.json");
    assert_eq!(summary.format, Some(Format::Json));
    assert_eq!(events.len(), 1);
    assert_eq!(summary.error_count, 2);
    let errs = error_lines(&summary);
    assert_eq!(
        errs[0],
        "arr.json:3: expected a JSON object, found a number"
    );
    assert!(
        errs[1].starts_with("arr.json:4: JSON array element ends early"),
        "{errs:?}"
    );
}

#[test]
fn pretty_objects_back_to_back_and_one_line_arrays() {
    let text = "{\n  \"@timestamp\": \"2020-01-01T00:00:00Z\",\n  \"a\": 1\n}\n{\n  \"a\": 2\n}\n";
    let (events, summary) = read(text.as_bytes(), "p.json");
    assert_eq!((events.len(), summary.error_count), (2, 0));
    assert_eq!(summary.format, Some(Format::Json));
    let (events, summary) = read(b"[{\"a\":1},{\"a\":2}]\n[{\"a\":3}]\n", "l.json");
    assert_eq!((events.len(), summary.error_count), (3, 0));
}

#[test]
fn forced_format_and_empty_input() {
    let (events, summary) = read_with(b"", "empty.ndjson", Format::Ndjson);
    assert!(events.is_empty());
    assert_eq!(summary.format, Some(Format::Ndjson));
    let (events, summary) = read(b"  \n\n", "blank");
    assert!(events.is_empty());
    assert_eq!(summary.error_count, 0);
    assert_eq!(summary.format, None);
}

/// Multi-line arrays are read element by element as bytes arrive (not buffered to the end),
/// with the same events and errors whatever the chunking.
#[test]
fn arrays_stream_and_chunking_does_not_matter() {
    for file in [
        "json/array-malformed.json",
        "chainsaw/hunt.json",
        "sentinel/securityevent.json",
    ] {
        let bytes = data(file);
        let (whole, s1) = read(&bytes, file);
        for chunk in [1, 2, 3, 7, 64, 1000] {
            let (parts, s2) = read_chunked(&bytes, file, chunk);
            assert_eq!(parts, whole, "{file} in {chunk}-byte chunks");
            assert_eq!(
                error_lines(&s2),
                error_lines(&s1),
                "{file} in {chunk}-byte chunks"
            );
        }
    }
    // Elements come out before the input ends.
    let mut text = String::from("[\n");
    for i in 0..100 {
        text.push_str(&format!(
            "  {{\"@timestamp\": \"2020-01-01T00:00:{:02}Z\", \"n\": {i}}},\n",
            i % 60
        ));
    }
    text.push_str("  {\"n\": 100}\n]\n");
    let mut r = eqlite::Reader::new(eqlite::ReaderOptions::default());
    let mut out = Vec::new();
    let half = text.len() / 2;
    r.push(&text.as_bytes()[..half], &mut out);
    assert!(out.len() > 40, "{} events before the end", out.len());
    r.push(&text.as_bytes()[half..], &mut out);
    r.finish(&mut out);
    assert_eq!((out.len(), r.error_count()), (101, 0));
    assert_eq!(out[100].provenance().record, Some(101));
    assert_eq!(out[100].provenance().line, Some(102));
    // A one-line array larger than 64 KiB streams too.
    let line = format!(
        "[{}{{\"n\": 0}}]",
        "{\"pad\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"},".repeat(3000)
    );
    let mut r = eqlite::Reader::new(eqlite::ReaderOptions::default());
    let mut out = Vec::new();
    for c in line.as_bytes().chunks(70_000) {
        r.push(c, &mut out);
    }
    r.finish(&mut out);
    assert_eq!((out.len(), r.error_count()), (3001, 0));
}

/// Regression: a damaged first line made the whole file "unrecognised", and the literal
/// pre-filter skipped damaged lines without reporting them.
#[test]
fn damaged_lines_are_reported_whatever_their_position_and_the_prefilter() {
    use eqlite::input::{read_all, ReaderOptions};
    let good =
        r#"{"@timestamp":"2024-01-01T00:00:00Z","event":{"action":"scheduled-task-created"}}"#;
    let text = format!("not json\n{good}\n{{\"a\": broken\ngarbage, with a comma\n{good}\n");
    for format in [Format::Auto, Format::Ndjson] {
        let options = ReaderOptions {
            format,
            required_literals: Some(vec![vec!["scheduled-task-created".to_string()]]),
            ..ReaderOptions::default()
        };
        let (events, summary) = read_all(text.as_bytes(), options);
        assert_eq!(events.len(), 2, "{format:?}");
        let lines: Vec<Option<u64>> = summary.errors.iter().map(|e| e.line).collect();
        assert_eq!(
            lines,
            [Some(1), Some(3), Some(4)],
            "{format:?}: {:?}",
            summary.errors
        );
    }
}

/// Each `_search` hit keeps its `_index` in `_provenance` (it decides the index mapping that
/// types the event), whether the response is read whole or streamed hit by hit (a response
/// over 1 MiB on one line), and for `_source` and `fields` hits alike.
#[test]
fn search_hits_keep_their_index() {
    let hit = |i: usize, index: &str| {
        json!({"_index": index, "_id": i.to_string(),
               "_source": {"@timestamp": "2024-01-01T00:00:00Z", "event": {"category": "iam"}, "pad": "x".repeat(300)}})
    };
    for n in [3usize, 6000] {
        let mut hits: Vec<_> = (0..n)
            .map(|i| hit(i, if i % 2 == 0 { "logs-a" } else { "logs-b" }))
            .collect();
        hits.push(json!({"_index": "logs-c", "_id": "f", "fields": {"@timestamp": ["2024-01-01T00:00:00Z"], "event.category": ["iam"]}}));
        let doc =
            json!({"took": 1, "_shards": {}, "hits": {"total": {"value": n + 1}, "hits": hits}});
        let bytes = serde_json::to_vec(&doc).unwrap();
        let (events, s) = read(&bytes, "search.json");
        assert_eq!(
            (events.len(), s.error_count),
            (n + 1, 0),
            "{n} hits: {:?}",
            s.errors
        );
        let indices: Vec<Option<&str>> = events
            .iter()
            .map(|e| e.provenance().index.as_deref())
            .collect();
        assert_eq!(indices[..2], [Some("logs-a"), Some("logs-b")], "{n} hits");
        assert_eq!(indices.last(), Some(&Some("logs-c")), "{n} hits");
        let (chunked, _) = read_chunked(&bytes, "search.json", 4096);
        assert_eq!(chunked, events, "{n} hits in pushes");
    }
}

/// `push_buf` (the CLI's and the wasm facade's way in: the reader takes the chunk as its own
/// buffer and reads NDJSON lines in place) reads exactly what `push` reads with the same
/// chunking: blank and CRLF lines, damaged lines, a line long enough to be streamed, a last
/// line without a newline, with the pre-filter and without. (Without it, every chunking reads
/// what one whole push does; with it, a line streamed because it arrived in pieces larger than
/// `STREAM_LINE` is parsed rather than skipped, so only same-chunking reads are compared.)
#[test]
fn push_buf_reads_what_push_reads() {
    let mut text = String::new();
    for i in 0..400 {
        let action = if i % 50 == 7 {
            "scheduled-task-created"
        } else {
            "logged-in"
        };
        text.push_str(&format!(
            "{{\"@timestamp\":\"2020-01-01T00:00:{:02}Z\",\"event\":{{\"action\":\"{action}\",\"category\":[\"iam\"]}},\"n\":{i}}}\n",
            i % 60
        ));
        match i % 97 {
            3 => text.push_str("\n   \n"),
            5 => text.push_str("{\"broken\": \r\n"),
            11 => text.push_str(&format!(
                "{{\"pad\":\"{}\",\"n\":-1}}\r\n",
                "x".repeat(1_200_000)
            )),
            _ => {}
        }
    }
    text.push_str("{\"event\":{\"action\":\"last\"}}");
    let bytes = text.as_bytes();
    let rule = vec![
        vec!["iam".to_string(), "scheduled-task-created".to_string()],
        vec!["iam".to_string(), "scheduled-task-deleted".to_string()],
    ];
    let whole = eqlite::input::read_all(bytes, eqlite::ReaderOptions::default());
    assert!(whole.1.error_count >= 4, "{:?}", whole.1.errors);
    for literals in [None, Some(rule)] {
        let pre = literals.is_some();
        let options = || eqlite::ReaderOptions {
            required_literals: literals.clone(),
            ..eqlite::ReaderOptions::default()
        };
        for size in [1, 7, 1000, 65_536, 1 << 20, 3 << 20, bytes.len()] {
            let mut by_slice = eqlite::Reader::new(options());
            let mut expected = Vec::new();
            for piece in bytes.chunks(size) {
                by_slice.push(piece, &mut expected);
            }
            by_slice.finish(&mut expected);
            let mut r = eqlite::Reader::new(options());
            let (mut out, mut chunk) = (Vec::new(), Vec::new());
            for piece in bytes.chunks(size) {
                chunk.extend_from_slice(piece);
                r.push_buf(&mut chunk, &mut out);
                assert!(chunk.is_empty());
            }
            r.finish(&mut out);
            assert!(out == expected, "{size}-byte chunks, pre-filter {pre}");
            assert_eq!(
                r.summary(),
                by_slice.summary(),
                "{size}-byte chunks, pre-filter {pre}"
            );
            if !pre {
                assert!(out == whole.0, "{size}-byte chunks");
            }
        }
    }
}
