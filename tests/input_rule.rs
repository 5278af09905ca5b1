//! The built-in rule, unmodified, over every input in its original form: the shared fixtures of
//! EXPECTED.md (EVTX, Winlogbeat goldens, elastic/integrations pipeline inputs, OTRF zips) and
//! the project's own per-format fixtures, each read through `input::Reader` with auto-detection.

use crate::input_support::*;
use eqlite::input::{read_all, ReaderOptions};
use eqlite::Match;
use eqlite::{rules, Event, Query};
use serde_json::{json, Value};

fn rule() -> Query {
    Query::new(&rules::builtin().query).expect("the built-in rule compiles")
}

/// Reads each input (bytes, label) and runs `query` over all of them as one stream.
fn run(query: &Query, inputs: &[(Vec<u8>, String)]) -> (Vec<Match>, u64) {
    let mut correlator = query.correlator();
    let mut matches = Vec::new();
    let mut errors = 0;
    for (bytes, name) in inputs {
        let opts = ReaderOptions {
            file_name: Some(name.clone()),
            ..ReaderOptions::default()
        };
        let (events, summary) = read_all(bytes, opts);
        errors += summary.error_count;
        for e in events {
            matches.extend(correlator.push(e).unwrap());
        }
    }
    matches.extend(correlator.finish());
    (matches, errors)
}

fn shared_inputs(files: &[&str]) -> Option<Vec<(Vec<u8>, String)>> {
    let dir = shared()?;
    Some(
        files
            .iter()
            .map(|f| {
                (
                    std::fs::read(dir.join("fixtures").join(f)).unwrap(),
                    f.to_string(),
                )
            })
            .collect(),
    )
}

fn event_field(e: &Event, f: &str) -> Value {
    field(e, f)
}

/// (join keys, [(user, record id, @timestamp)]) per match.
fn describe(m: &Match) -> (Vec<Value>, Vec<(Value, Value, Value)>) {
    let events = m
        .events
        .iter()
        .map(|me| {
            let e = &me.event;
            (
                event_field(e, "user.name"),
                event_field(e, "winlog.record_id"),
                event_field(e, "@timestamp"),
            )
        })
        .collect();
    (m.join_keys.clone(), events)
}

#[test]
fn evtx_fixtures() {
    let q = rule();
    let Some(inputs) = shared_inputs(&["evtx/smbexec-fast-created-deleted-task.evtx"]) else {
        return;
    };
    let (matches, errors) = run(&q, &inputs);
    assert_eq!(errors, 0);
    assert_eq!(matches.len(), 1);
    assert_eq!(
        describe(&matches[0]),
        (
            vec![json!("fs02.offsec.lan"), json!("\\smbservice")],
            vec![
                (
                    json!("admmig"),
                    json!("1230348"),
                    json!("2020-07-11T21:38:17.3514486Z")
                ),
                (
                    json!("admmig"),
                    json!("1230359"),
                    json!("2020-07-11T21:38:17.4452024Z")
                ),
            ]
        )
    );
    for (file, expected) in [
        ("evtx/fortinet-apt-task-created-only.evtx", 0),
        ("evtx/donpapi-noise-750-records.evtx", 0),
    ] {
        let Some(inputs) = shared_inputs(&[file]) else {
            return;
        };
        let (matches, errors) = run(&q, &inputs);
        assert_eq!((matches.len(), errors), (expected, 0), "{file}");
    }
}

#[test]
fn winlogbeat_goldens() {
    let q = rule();
    let js: Vec<String> = ["4698", "4700", "4701", "4702", "4699"]
        .iter()
        .map(|c| format!("winlogbeat/js-processor-era/security-windows2012_{c}.evtx.golden.json"))
        .collect();
    let js: Vec<&str> = js.iter().map(String::as_str).collect();
    let pair = |dir: &str, suffix: &str| {
        ["4698", "4699"]
            .map(|c| format!("winlogbeat/current/testdata/{dir}/security-windows2012_{c}{suffix}"))
    };
    let ingest = pair("ingest", ".golden.json");
    let collection = pair("collection", ".evtx.golden.json");
    for files in [
        js,
        ingest.iter().map(String::as_str).collect(),
        collection.iter().map(String::as_str).collect(),
    ] {
        let Some(inputs) = shared_inputs(&files) else {
            return;
        };
        let (matches, errors) = run(&q, &inputs);
        assert_eq!((matches.len(), errors), (1, 0), "{files:?}");
        let (keys, events) = describe(&matches[0]);
        assert_eq!(keys, vec![json!("DC_TEST2k12.TEST.SAAS"), json!("\\test1")]);
        let ids: Vec<String> = events
            .iter()
            .map(|e| e.1.to_string().replace('"', ""))
            .collect();
        assert_eq!(ids, ["5043782", "5043801"], "{files:?}");
        assert!(events.iter().all(|e| e.0 == json!("at_adm")));
    }
}

#[test]
fn elastic_integrations_inputs_do_not_match() {
    let Some(inputs) = shared_inputs(&[
        "elastic-integrations/test-4698-scheduled-task-created.json",
        "elastic-integrations/test-4699-scheduled-task-deleted-no-xml.json",
    ]) else {
        return;
    };
    let (matches, errors) = run(&rule(), &inputs);
    assert_eq!((matches.len(), errors), (0, 0));
}

#[test]
fn otrf_zips() {
    let q = rule();
    for file in [
        "otrf/empire_shell_rubeus_asktgt_createnetonly.zip",
        "otrf/schtask_create.zip",
        "otrf/psh_metasploit_stop_netprofm_eventlog_before_reboot.zip",
    ] {
        let Some(inputs) = shared_inputs(&[file]) else {
            return;
        };
        let (matches, errors) = run(&q, &inputs);
        assert_eq!((matches.len(), errors), (0, 0), "{file}");
    }
    // Without the machine-account clauses: both pairs, the second tied on the millisecond and
    // ordered by input order.
    let text = rules::builtin()
        .query
        .replace(" and not user.name : \"*$\"", "");
    let Some(inputs) = shared_inputs(&["otrf/empire_shell_rubeus_asktgt_createnetonly.zip"]) else {
        return;
    };
    let (matches, _) = run(&Query::new(&text).unwrap(), &inputs);
    let ids: Vec<Vec<Value>> = matches
        .iter()
        .map(|m| describe(m).1.into_iter().map(|e| e.1).collect())
        .collect();
    assert_eq!(
        ids,
        vec![
            vec![json!("866552"), json!("866801")],
            vec![json!("866802"), json!("866803")]
        ]
    );
}

/// Every project fixture that holds a create -> delete pair gives exactly one match; the
/// malformed variants still give what their readable records allow.
#[test]
fn project_fixtures_through_the_rule() {
    let q = rule();
    let cases: &[(&str, usize)] = &[
        ("ndjson/agent-4698-4699.ndjson", 1),
        ("ndjson/agent-malformed.ndjson", 1),
        ("ndjson/agent-utf16le.ndjson", 1),
        ("json/eql-sequence-response.json", 1),
        ("json/search-response-fields.json", 1),
        ("json/array-malformed.json", 0),
        ("kibana-csv/discover-report.csv", 1),
        ("kibana-csv/discover-report-malformed.csv", 1),
        ("winlogbeat-raw/winlogbeat-8.ndjson", 1),
        ("winlogbeat-raw/winlogbeat-8-malformed.ndjson", 1),
        ("windows-xml/wevtutil-fragments.xml", 1),
        ("windows-xml/wevtutil-malformed.xml", 1),
        ("windows-xml/eventviewer-utf16le.xml", 1),
        ("evtx-dump/evtx_dump.json", 1),
        ("evtx-dump/evtx_dump-malformed.jsonl", 1),
        ("chainsaw/search.jsonl", 0),
        ("chainsaw/hunt.json", 1),
        ("hayabusa/timeline.jsonl", 1),
        ("hayabusa/timeline.csv", 1),
        ("evtxecmd/kape-security.csv", 1),
        ("evtxecmd/kape-security.json", 1),
        ("evtxecmd/kape-security-malformed.csv", 0),
        ("sentinel/securityevent.json", 1),
        ("sentinel/portal-export.csv", 1),
        ("mde/deviceevents.csv", 1),
        ("splunk/wineventlog-security.txt", 1),
        ("splunk/wineventlog-malformed.txt", 0),
        ("splunk/splunk-export.csv", 1),
        ("nxlog/nxlog.json", 1),
        ("unusable/sysmon-only.ndjson", 0),
        ("unusable/timeline-export.ndjson", 0),
    ];
    for (file, expected) in cases {
        let (matches, _) = run(&q, &[(data(file), file.to_string())]);
        assert_eq!(matches.len(), *expected, "{file}");
    }
}

/// Runs `query` over one input with the reader's literal pre-filter on or off; returns the
/// matches' record ids and the events produced.
fn run_filtered(
    query: &Query,
    bytes: &[u8],
    filtered: bool,
    format: eqlite::Format,
) -> (Vec<Vec<Value>>, u64) {
    let opts = ReaderOptions {
        format,
        required_literals: filtered.then(|| query.required_literals()),
        ..ReaderOptions::default()
    };
    let (events, summary) = read_all(bytes, opts);
    let mut c = query.correlator();
    let mut matches = Vec::new();
    for e in events {
        matches.extend(c.push(e).unwrap());
    }
    matches.extend(c.finish());
    let ids = matches
        .iter()
        .map(|m| describe(m).1.into_iter().map(|e| e.1).collect())
        .collect();
    (ids, summary.events)
}

/// The pre-filter never changes a result, in auto mode (where normalisers derive fields) and
/// with `--format ndjson`; and it does skip work.
#[test]
fn literal_prefilter_is_sound() {
    let q = rule();
    let no_user_clause = Query::new(
        &rules::builtin()
            .query
            .replace(" and not user.name : \"*$\"", ""),
    )
    .unwrap();
    let mut inputs: Vec<Vec<u8>> = [
        "ndjson/agent-4698-4699.ndjson",
        "ndjson/agent-malformed.ndjson",
        "winlogbeat-raw/winlogbeat-8.ndjson",
        "evtx-dump/evtx_dump-malformed.jsonl",
        "chainsaw/search.jsonl",
        "hayabusa/timeline.jsonl",
        "evtxecmd/kape-security.json",
        "nxlog/nxlog.json",
        "mde/streaming-api.json",
        "windows-xml/splunk-xmlwineventlog.json",
    ]
    .iter()
    .map(|f| data(f))
    .collect();
    if let Some(dir) = shared() {
        let zip =
            std::fs::read(dir.join("fixtures/otrf/empire_shell_rubeus_asktgt_createnetonly.zip"))
                .unwrap();
        inputs.push(zip);
    }
    for bytes in &inputs {
        for query in [&q, &no_user_clause] {
            let (plain, all) = run_filtered(query, bytes, false, eqlite::Format::Auto);
            let (filtered, kept) = run_filtered(query, bytes, true, eqlite::Format::Auto);
            assert_eq!(plain, filtered);
            assert!(kept <= all);
        }
    }
    // Forced NDJSON: ECS lines are the documents, so processed noise is skipped.
    let bytes = data("ndjson/agent-4698-4699.ndjson");
    let (plain, _) = run_filtered(&q, &bytes, false, eqlite::Format::Ndjson);
    let (filtered, _) = run_filtered(&q, &bytes, true, eqlite::Format::Ndjson);
    assert_eq!(plain, filtered);
    let mut noisy = data("ndjson/agent-4698-4699.ndjson");
    noisy.extend(b"{\"@timestamp\":\"2025-06-25T10:02:55Z\",\"event\":{\"code\":\"4624\",\"action\":\"logged-in\",\"category\":[\"authentication\"]}}\n".repeat(50));
    let (_, kept) = run_filtered(&q, &noisy, true, eqlite::Format::Auto);
    assert_eq!(kept, 3);
    let opts = ReaderOptions {
        required_literals: Some(q.required_literals()),
        ..ReaderOptions::default()
    };
    let summary = read_all(&noisy, opts).1;
    assert_eq!(
        (summary.records, summary.prefiltered, summary.events),
        (53, 50, 3)
    );
    if let Some(dir) = shared() {
        let zip =
            std::fs::read(dir.join("fixtures/otrf/empire_shell_rubeus_asktgt_createnetonly.zip"))
                .unwrap();
        let (_, kept) = run_filtered(&no_user_clause, &zip, true, eqlite::Format::Auto);
        assert!(kept < 200, "{kept} of 3590 parsed");
    }
}
