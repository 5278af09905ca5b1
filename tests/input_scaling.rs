//! Work and memory that grow linearly with the input: the framers' count of bytes examined
//! doubles (not quadruples) when a line or a document doubles, streamed documents read the same
//! as whole ones, and the native CLI's peak memory on a large single-line `_search` response
//! stays bounded (issue 10).

use eqlite::input::{Reader, ReaderOptions};
use eqlite::Event;
use serde_json::{json, Value};
use std::io::Write;
use std::process::{Command, Stdio};

/// One winlogbeat-shaped event with `pad` bytes of message.
fn event(i: usize, pad: usize) -> Value {
    json!({
        "@timestamp": format!("2024-05-01T10:00:{:02}.{:03}Z", (i / 1000) % 60, i % 1000),
        "event": {"action": "scheduled-task-created", "category": ["iam", "configuration"], "code": "4698"},
        "user": {"name": format!("user{}", i % 7)},
        "winlog": {"computer_name": format!("WS{:03}", i % 5), "event_data": {"TaskName": "\\T"}},
        "message": "x".repeat(pad),
    })
}

/// A single-line `_search` response holding `hits` hits.
fn search_response(hits: usize, pad: usize) -> Vec<u8> {
    let hits: Vec<Value> = (0..hits)
        .map(|i| json!({"_index": "logs-system.security-default", "_id": i.to_string(), "_source": event(i, pad)}))
        .collect();
    serde_json::to_vec(&json!({
        "took": 3, "timed_out": false,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {"total": {"value": hits.len() + 5, "relation": "eq"}, "max_score": 1.0, "hits": hits}
    }))
    .unwrap()
}

/// Reads `bytes` in `chunk`-byte pushes; returns the events, the summary and the bytes examined.
fn read(bytes: &[u8], chunk: usize) -> (Vec<Event>, eqlite::input::InputSummary, u64) {
    let mut reader = Reader::new(ReaderOptions {
        file_name: Some("in".into()),
        ..ReaderOptions::default()
    });
    let mut out = Vec::new();
    for c in bytes.chunks(chunk) {
        reader.push(c, &mut out);
    }
    reader.finish(&mut out);
    let examined = reader.bytes_examined();
    (out, reader.summary(), examined)
}

fn ratio(small: u64, big: u64) -> f64 {
    big as f64 / small as f64
}

#[test]
fn doubling_an_ndjson_line_doubles_the_bytes_examined() {
    // Below and above the length from which a line is streamed.
    for pad in [200_000, 2_000_000] {
        let mut results = Vec::new();
        for size in [pad, pad * 2] {
            let mut bytes = serde_json::to_vec(&event(1, size)).unwrap();
            bytes.push(b'\n');
            bytes.extend_from_slice(&serde_json::to_vec(&event(2, 10)).unwrap());
            let (events, summary, examined) = read(&bytes, 1 << 16);
            assert_eq!(events.len(), 2, "{:?}", summary.errors);
            assert_eq!(summary.error_count, 0);
            assert_eq!(events[1].provenance().line, Some(2));
            assert!(examined >= bytes.len() as u64, "{examined}");
            results.push((bytes.len(), examined));
        }
        let r = ratio(results[0].1, results[1].1);
        assert!(r < 2.5, "line of {pad}: examined {results:?}, ratio {r:.2}");
    }
}

#[test]
fn doubling_a_single_line_search_response_doubles_the_bytes_examined() {
    let mut results = Vec::new();
    for hits in [2_000, 4_000] {
        let bytes = search_response(hits, 300);
        let (events, summary, examined) = read(&bytes, 1 << 16);
        assert_eq!(events.len(), hits, "{:?}", summary.errors);
        assert_eq!(summary.records, 1);
        assert_eq!(events[hits - 1].provenance().record, Some(hits as u64));
        assert_eq!(events[0].provenance().line, Some(1));
        assert!(summary.notes[0].contains(&format!("holds {hits} of {} hits", hits + 5)));
        results.push(examined);
    }
    let r = ratio(results[0], results[1]);
    assert!(r < 2.5, "examined {results:?}, ratio {r:.2}");
}

#[test]
fn doubling_a_pretty_response_or_a_one_line_array_doubles_the_bytes_examined() {
    let pretty = |hits| {
        let value: Value = serde_json::from_slice(&search_response(hits, 300)).unwrap();
        serde_json::to_vec_pretty(&value).unwrap()
    };
    let array =
        |n: usize| serde_json::to_vec(&(0..n).map(|i| event(i, 300)).collect::<Vec<_>>()).unwrap();
    for (name, make) in [
        (
            "pretty _search response",
            &pretty as &dyn Fn(usize) -> Vec<u8>,
        ),
        ("one-line array", &array),
    ] {
        let mut results = Vec::new();
        for n in [2_000, 4_000] {
            let bytes = make(n);
            let (events, summary, examined) = read(&bytes, 1 << 16);
            assert_eq!(events.len(), n, "{name}: {:?}", summary.errors);
            results.push(examined);
        }
        let r = ratio(results[0], results[1]);
        assert!(r < 2.5, "{name}: examined {results:?}, ratio {r:.2}");
    }
}

#[test]
fn a_damaged_long_line_costs_only_itself() {
    // Streamed lines (over 1 MiB): cut inside a string, and cut between members.
    for cut in [
        b"{\"a\":1,\"message\":\"".as_slice(),
        b"{\"a\":{\"b\":1,".as_slice(),
    ] {
        let mut bytes = serde_json::to_vec(&event(1, 10)).unwrap();
        bytes.push(b'\n');
        bytes.extend_from_slice(cut);
        bytes.extend(std::iter::repeat_n(b'x', 2 << 20));
        bytes.push(b'\n');
        for i in 2..5 {
            bytes.extend_from_slice(&serde_json::to_vec(&event(i, 10)).unwrap());
            bytes.push(b'\n');
        }
        let (events, summary, _) = read(&bytes, 1 << 16);
        assert_eq!(events.len(), 4, "{:?}", summary.errors);
        assert_eq!(summary.error_count, 1);
        assert_eq!(summary.errors[0].line, Some(2));
        assert!(
            summary.errors[0].reason.starts_with("invalid JSON ("),
            "{:?}",
            summary.errors
        );
        assert_eq!(events[1].provenance().line, Some(3));
        assert_eq!(summary.records, 5);
    }
}

/// An event as a comparable value: source, line, record, offset.
type View = (Value, Option<u64>, Option<u64>, Option<u64>);

/// Events as comparable values.
fn view(events: &[Event]) -> Vec<View> {
    events
        .iter()
        .map(|e| {
            let p = e.provenance();
            (
                Value::Object(e.source().clone()),
                p.line,
                p.record,
                p.offset,
            )
        })
        .collect()
}

#[test]
fn streamed_documents_read_as_whole_ones() {
    let compact = search_response(40, 10);
    let value: Value = serde_json::from_slice(&compact).unwrap();
    let pretty = serde_json::to_vec_pretty(&value).unwrap();
    // A pretty response is streamed; read whole in one push or byte by byte, the same events.
    let (whole, s1, _) = read(&pretty, pretty.len());
    let (bytewise, s2, _) = read(&pretty, 1);
    assert_eq!(whole.len(), 40);
    assert_eq!(view(&whole), view(&bytewise));
    assert_eq!((s1.notes, s1.records), (s2.notes, s2.records));
    // A compact one-line response: small (read as a line) and beyond the streaming length
    // (streamed) give the same events.
    let (line, _, _) = read(&compact, 1 << 16);
    assert_eq!(
        view(&line),
        view(&whole)
            .into_iter()
            .map(|(v, _, r, o)| (v, Some(1), r, o))
            .collect::<Vec<_>>()
    );
    let big = search_response(4_000, 300);
    assert!(big.len() > 1 << 20);
    let (streamed, _, _) = read(&big, 1 << 16);
    let (one_push, _, _) = read(&big, big.len());
    assert_eq!(view(&streamed), view(&one_push));
    // Kibana's rawResponse envelope and EQL sequences stream too.
    let eql = json!({"id": "x", "rawResponse": {"is_partial": true, "hits": {"sequences": [
        {"join_keys": ["a"], "events": [{"_index": "i", "_source": event(1, 5)}, {"_index": "i", "_source": event(2, 5)}]},
        {"join_keys": ["b"], "events": [{"_index": "i", "_source": event(3, 5)}]}
    ]}}});
    let text = serde_json::to_vec_pretty(&eql).unwrap();
    let (events, summary, _) = read(&text, 3);
    assert_eq!(events.len(), 3);
    assert_eq!(events[2].provenance().record, Some(3));
    assert!(
        summary.notes[0].contains("is_partial"),
        "{:?}",
        summary.notes
    );
    // A truncated streamed response keeps the hits before the cut and reports the cut.
    let (events, summary, _) = read(&big[..big.len() / 2], 1 << 16);
    assert!(
        events.len() > 1_000 && events.len() < 2_100,
        "{}",
        events.len()
    );
    assert_eq!(summary.error_count, 1);
    assert!(
        summary.errors[0]
            .reason
            .starts_with("JSON document ends early"),
        "{:?}",
        summary.errors
    );
}

/// Peak resident memory (VmHWM, KiB) of a child `eqlite run FILE`, polled until it exits.
fn peak_rss_kib(file: &std::path::Path) -> (u64, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_eqlite"))
        .arg("run")
        .arg(file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_path) {
            if let Some(kb) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak = peak.max(kb);
            }
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let out = child.wait_with_output().unwrap();
    (peak, String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn cli_peak_memory_on_a_large_single_line_search_response() {
    if !std::path::Path::new("/proc/self/status").exists() {
        eprintln!("skipping: no /proc on this system");
        return;
    }
    // About 100 MB (debug builds: about 40 MB, to keep the test quick); either way it is
    // written in pieces, never held whole.
    let hits = if cfg!(debug_assertions) {
        12_000
    } else {
        30_000
    };
    let dir = std::env::temp_dir().join(format!("eqlite-rss-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("search.json");
    let result = std::panic::catch_unwind(|| {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        f.write_all(br#"{"took":3,"timed_out":false,"_shards":{"total":1},"hits":{"total":{"value":1},"hits":["#)
            .unwrap();
        for i in 0..hits {
            if i > 0 {
                f.write_all(b",").unwrap();
            }
            // Logon noise: no event opens a sequence of the rule, so nothing may be kept.
            let mut source = event(i, 3_000);
            source["event"] =
                json!({"action": "logged-in", "category": ["authentication"], "code": "4624"});
            let hit = json!({"_index": "logs", "_id": i.to_string(), "_source": source});
            serde_json::to_writer(&mut f, &hit).unwrap();
        }
        f.write_all(b"]}}").unwrap();
        f.flush().unwrap();
        drop(f);
        let size = std::fs::metadata(&path).unwrap().len();
        let (peak_kib, _stdout) = peak_rss_kib(&path);
        eprintln!(
            "input {:.1} MB, peak RSS {:.1} MiB",
            size as f64 / 1e6,
            peak_kib as f64 / 1024.0
        );
        assert!(
            peak_kib <= 64 * 1024,
            "peak RSS {peak_kib} KiB on a {size}-byte single-line _search response"
        );
    });
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}
