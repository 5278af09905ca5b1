//! The built-in rule ("Temporarily Scheduled Task Creation") against the JSON fixtures listed in
//! shared/fixtures/EXPECTED.md, and one hand-written test per edge of eql-semantics.md §9.

use crate::conformance::shared_dir;
use eqlite::Match;
use eqlite::{rules, Event, Provenance, Query};
use serde_json::{json, Value};

fn builtin() -> Query {
    Query::new(&rules::builtin().query).expect("the built-in rule compiles")
}

/// Runs the built-in rule over `events` (in this order) with the default reorder window.
fn run(events: Vec<Value>) -> Vec<Match> {
    let mut correlator = builtin().correlator();
    let mut out = Vec::new();
    for (i, value) in events.into_iter().enumerate() {
        let provenance = Provenance {
            record: Some(i as u64 + 1),
            ..Provenance::default()
        };
        let event = Event::from_value(value, provenance).expect("fixture events are objects");
        out.extend(correlator.push(event).unwrap());
    }
    out.extend(correlator.finish());
    out
}

/// (computer, task, [record numbers of the events]) per match, record = input position.
fn summary(matches: &[Match]) -> Vec<(Value, Value, Vec<u64>)> {
    matches
        .iter()
        .map(|m| {
            let records = m
                .events
                .iter()
                .map(|e| e.event.provenance().record.unwrap_or(0))
                .collect();
            (m.join_keys[0].clone(), m.join_keys[1].clone(), records)
        })
        .collect()
}

fn task(ts: &str, action: &str, host: &str, task: &str, user: Option<&str>) -> Value {
    let mut event = json!({
        "@timestamp": ts,
        "event": {"category": ["iam", "configuration"], "action": action},
        "winlog": {"computer_name": host, "event_data": {"TaskName": task}},
    });
    if let Some(user) = user {
        event["user"] = json!({"name": user});
    }
    event
}

fn create(ts: &str) -> Value {
    task(ts, "scheduled-task-created", "HOST01", "\\T", Some("alice"))
}

fn delete(ts: &str) -> Value {
    task(ts, "scheduled-task-deleted", "HOST01", "\\T", Some("alice"))
}

#[test]
fn exactly_five_minutes_matches_one_millisecond_more_does_not() {
    let m = run(vec![
        create("2024-01-01T10:00:00.000Z"),
        delete("2024-01-01T10:05:00.000Z"),
    ]);
    assert_eq!(summary(&m), [(json!("HOST01"), json!("\\T"), vec![1, 2])]);
    let m = run(vec![
        create("2024-01-01T10:00:00.000Z"),
        delete("2024-01-01T10:05:00.001Z"),
    ]);
    assert!(m.is_empty());
    // Sub-millisecond digits do not count: 5:00.0009 is still within 5 minutes.
    let m = run(vec![
        create("2024-01-01T10:00:00.000Z"),
        delete("2024-01-01T10:05:00.0009Z"),
    ]);
    assert_eq!(m.len(), 1);
}

#[test]
fn delete_before_create_does_not_match() {
    let m = run(vec![
        delete("2024-01-01T10:00:00Z"),
        create("2024-01-01T10:00:01Z"),
    ]);
    assert!(m.is_empty());
    // Order is by timestamp, not by input position.
    let m = run(vec![
        delete("2024-01-01T10:00:01Z"),
        create("2024-01-01T10:00:00Z"),
    ]);
    assert_eq!(summary(&m)[0].2, [2, 1]);
}

#[test]
fn two_creates_then_one_delete_pairs_the_latest_create() {
    let m = run(vec![
        create("2024-01-01T10:00:00Z"),
        create("2024-01-01T10:01:00Z"),
        delete("2024-01-01T10:02:00Z"),
        delete("2024-01-01T10:03:00Z"),
    ]);
    assert_eq!(summary(&m), [(json!("HOST01"), json!("\\T"), vec![2, 3])]);
}

#[test]
fn same_millisecond_is_ordered_by_tiebreaker_then_input_order() {
    let ts = "2024-01-01T10:00:00.123Z";
    // No tiebreaker: input order decides.
    assert_eq!(run(vec![create(ts), delete(ts)]).len(), 1);
    assert!(run(vec![delete(ts), create(ts)]).is_empty());
    // With a tiebreaker the field decides, whatever the input order.
    let query = eqlite::QueryBuilder::new()
        .tiebreaker_field(Some("winlog.record_id"))
        .build(&rules::builtin().query)
        .unwrap();
    let mut c = query.correlator();
    let mut d = delete(ts);
    d["winlog"]["record_id"] = json!(11);
    let mut e = create(ts);
    e["winlog"]["record_id"] = json!(10);
    let mut out = c
        .push(Event::from_value(d, Provenance::default()).unwrap())
        .unwrap();
    out.extend(
        c.push(Event::from_value(e, Provenance::default()).unwrap())
            .unwrap(),
    );
    out.extend(c.finish());
    assert_eq!(out.len(), 1);
    let ids: Vec<_> = out[0]
        .events
        .iter()
        .map(|e| e.event.first_value("winlog.record_id").cloned())
        .collect();
    assert_eq!(ids, [Some(json!(10)), Some(json!(11))]);
}

#[test]
fn host_names_are_case_sensitive() {
    let m = run(vec![
        task(
            "2024-01-01T10:00:00Z",
            "scheduled-task-created",
            "HOST01",
            "\\T",
            None,
        ),
        task(
            "2024-01-01T10:00:01Z",
            "scheduled-task-deleted",
            "host01",
            "\\T",
            None,
        ),
    ]);
    assert!(m.is_empty());
    let m = run(vec![
        task(
            "2024-01-01T10:00:00Z",
            "scheduled-task-created",
            "HOST01",
            "\\T",
            None,
        ),
        task(
            "2024-01-01T10:00:01Z",
            "scheduled-task-deleted",
            "HOST01",
            "\\t",
            None,
        ),
    ]);
    assert!(m.is_empty());
}

#[test]
fn missing_user_name_passes_the_not_clause() {
    let m = run(vec![
        task(
            "2024-01-01T10:00:00Z",
            "scheduled-task-created",
            "H",
            "\\T",
            None,
        ),
        task(
            "2024-01-01T10:00:01Z",
            "scheduled-task-deleted",
            "H",
            "\\T",
            None,
        ),
    ]);
    assert_eq!(m.len(), 1);
}

#[test]
fn local_service_passes_machine_accounts_do_not() {
    let pair = |user: &str| {
        run(vec![
            task(
                "2024-01-01T10:00:00Z",
                "scheduled-task-created",
                "H",
                "\\T",
                Some(user),
            ),
            task(
                "2024-01-01T10:00:01Z",
                "scheduled-task-deleted",
                "H",
                "\\T",
                Some(user),
            ),
        ])
    };
    assert_eq!(pair("LOCAL SERVICE").len(), 1);
    assert!(pair("HOST$").is_empty());
    assert!(pair("host$").is_empty());
}

#[test]
fn missing_task_name_never_matches() {
    let mut c = create("2024-01-01T10:00:00Z");
    let mut d = delete("2024-01-01T10:00:01Z");
    for e in [&mut c, &mut d] {
        e["winlog"]["event_data"] = json!({});
    }
    assert!(run(vec![c, d]).is_empty());
}

#[test]
fn array_valued_keys_match_per_value() {
    let mut c = create("2024-01-01T10:00:00Z");
    c["winlog"]["event_data"]["TaskName"] = json!(["\\A", "\\B"]);
    let mut d = delete("2024-01-01T10:00:01Z");
    d["winlog"]["event_data"]["TaskName"] = json!(["\\B", "\\C", "\\A"]);
    let keys: Vec<Value> = run(vec![c, d])
        .iter()
        .map(|m| m.join_keys[1].clone())
        .collect();
    assert_eq!(keys, [json!("\\A"), json!("\\B")]);
}

/// The events of JSON fixture files, in the given order. `None` when shared/ is missing.
fn fixture_events(files: &[&str]) -> Option<Vec<Value>> {
    let dir = shared_dir()?;
    let mut events = Vec::new();
    for file in files {
        let path = dir.join("fixtures").join(file);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let value: Value = serde_json::from_str(&text).unwrap();
        match value {
            Value::Array(items) => events.extend(items),
            Value::Object(mut map) => match map.remove("expected") {
                Some(Value::Array(items)) => events.extend(items),
                _ => panic!("{}: unexpected shape", path.display()),
            },
            _ => panic!("{}: unexpected shape", path.display()),
        }
    }
    Some(events)
}

fn record_ids(m: &Match) -> Vec<Value> {
    m.events
        .iter()
        .map(|e| {
            e.event
                .first_value("winlog.record_id")
                .cloned()
                .unwrap_or(Value::Null)
        })
        .collect()
}

#[test]
fn winlogbeat_js_processor_era_lifecycle() {
    let era = "winlogbeat/js-processor-era/security-windows2012_";
    let files: Vec<String> = ["4698", "4699", "4700", "4701", "4702"]
        .iter()
        .map(|id| format!("{era}{id}.evtx.golden.json"))
        .collect();
    let Some(events) = fixture_events(&files.iter().map(String::as_str).collect::<Vec<_>>()) else {
        return;
    };
    let m = run(events);
    assert_eq!(m.len(), 1);
    assert_eq!(
        m[0].join_keys,
        [json!("DC_TEST2k12.TEST.SAAS"), json!("\\test1")]
    );
    let ids: Vec<Value> = record_ids(&m[0]).iter().map(normalize).collect();
    assert_eq!(ids, [json!("5043782"), json!("5043801")]);
}

/// Record ids are numbers in some fixtures and strings in others; compare them as strings.
fn normalize(v: &Value) -> Value {
    match v {
        Value::Number(n) => Value::String(n.to_string()),
        other => other.clone(),
    }
}

#[test]
fn winlogbeat_current_ingest_pair() {
    let Some(events) = fixture_events(&[
        "winlogbeat/current/testdata/ingest/security-windows2012_4698.golden.json",
        "winlogbeat/current/testdata/ingest/security-windows2012_4699.golden.json",
    ]) else {
        return;
    };
    let m = run(events);
    assert_eq!(m.len(), 1);
    assert_eq!(
        m[0].join_keys,
        [json!("DC_TEST2k12.TEST.SAAS"), json!("\\test1")]
    );
    let ids: Vec<Value> = record_ids(&m[0]).iter().map(normalize).collect();
    assert_eq!(ids, [json!("5043782"), json!("5043801")]);
}

#[test]
fn winlogbeat_raw_collection_output_does_not_match_unmapped() {
    // Raw 8.x beat output carries event.action "Other Object Access Events": it matches only
    // after the input layer maps it (tested with the formats reader), never as-is.
    let Some(events) = fixture_events(&[
        "winlogbeat/current/testdata/collection/security-windows2012_4698.evtx.golden.json",
        "winlogbeat/current/testdata/collection/security-windows2012_4699.evtx.golden.json",
    ]) else {
        return;
    };
    assert!(run(events).is_empty());
}

#[test]
fn elastic_integrations_expected_documents_do_not_match() {
    let Some(events) = fixture_events(&[
        "elastic-integrations/test-4698-scheduled-task-created.json-expected.json",
        "elastic-integrations/test-4699-scheduled-task-deleted-no-xml.json-expected.json",
    ]) else {
        return;
    };
    assert_eq!(events.len(), 2);
    assert!(run(events).is_empty());
}

#[test]
fn the_fixture_rule_files_parse() {
    let Some(dir) = shared_dir() else { return };
    for name in [
        "persistence_temp_scheduled_task.current.toml",
        "persistence_temp_scheduled_task.seed-query.toml",
    ] {
        let path = dir.join("fixtures/rules").join(name);
        let rule = rules::from_toml(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(
            (rule.name.as_str(), rule.severity.as_str(), rule.risk_score),
            ("Temporarily Scheduled Task Creation", "medium", Some(47))
        );
        let subs: Vec<&str> = rule
            .threat
            .iter()
            .flat_map(|t| &t.techniques)
            .flat_map(|t| &t.1)
            .map(|s| s.id.as_str())
            .collect();
        assert_eq!(subs, ["T1053.005", "T1053.005"]);
        Query::new(&rule.query).unwrap();
    }
}

/// Reads fixture files through the input layer (format recognition + Winlogbeat mapping) and
/// runs `query` over all of them as one stream.
fn through_reader(query: &Query, files: &[&str]) -> Option<Vec<Match>> {
    let dir = shared_dir()?;
    let mut correlator = query.correlator();
    let mut out = Vec::new();
    for file in files {
        let bytes = std::fs::read(dir.join("fixtures").join(file)).unwrap();
        let options = eqlite::input::ReaderOptions {
            file_name: Some(file.to_string()),
            ..Default::default()
        };
        let (events, summary) = eqlite::input::read_all(&bytes, options);
        assert_eq!(summary.error_count, 0, "{file}: {:?}", summary.errors);
        for event in events {
            out.extend(correlator.push(event).unwrap());
        }
    }
    out.extend(correlator.finish());
    Some(out)
}

#[test]
fn every_expected_fixture_through_the_reader() {
    let query = builtin();
    let js = "winlogbeat/js-processor-era/security-windows2012_";
    let cases: &[(&[&str], usize)] = &[
        (&["evtx/smbexec-fast-created-deleted-task.evtx"], 1),
        (&["evtx/fortinet-apt-task-created-only.evtx"], 0),
        (&["evtx/donpapi-noise-750-records.evtx"], 0),
        (
            &[
                "winlogbeat/current/testdata/collection/security-windows2012_4698.evtx.golden.json",
                "winlogbeat/current/testdata/collection/security-windows2012_4699.evtx.golden.json",
            ],
            1,
        ),
        (
            &[
                "winlogbeat/current/testdata/ingest/security-windows2012_4698.golden.json",
                "winlogbeat/current/testdata/ingest/security-windows2012_4699.golden.json",
            ],
            1,
        ),
        (
            &[
                "elastic-integrations/test-4698-scheduled-task-created.json",
                "elastic-integrations/test-4699-scheduled-task-deleted-no-xml.json",
            ],
            0,
        ),
        (&["otrf/empire_shell_rubeus_asktgt_createnetonly.zip"], 0),
        (&["otrf/schtask_create.zip"], 0),
        (
            &["otrf/psh_metasploit_stop_netprofm_eventlog_before_reboot.zip"],
            0,
        ),
    ];
    for (files, expected) in cases {
        let Some(matches) = through_reader(&query, files) else {
            return;
        };
        assert_eq!(matches.len(), *expected, "{files:?}");
    }
    let era: Vec<String> = ["4698", "4699", "4700", "4701", "4702"]
        .iter()
        .map(|id| format!("{js}{id}.evtx.golden.json"))
        .collect();
    let era: Vec<&str> = era.iter().map(String::as_str).collect();
    let Some(matches) = through_reader(&query, &era) else {
        return;
    };
    assert_eq!(matches.len(), 1);

    let Some(smbexec) = through_reader(&query, &["evtx/smbexec-fast-created-deleted-task.evtx"])
    else {
        return;
    };
    assert_eq!(
        smbexec[0].join_keys,
        [json!("fs02.offsec.lan"), json!("\\smbservice")]
    );
    let ids: Vec<Value> = record_ids(&smbexec[0]).iter().map(normalize).collect();
    assert_eq!(ids, [json!("1230348"), json!("1230359")]);
}

#[test]
fn otrf_machine_account_pairs_appear_without_the_user_clauses() {
    let text = rules::builtin()
        .query
        .replace(" and not user.name : \"*$\"", "");
    let query = Query::new(&text).unwrap();
    let Some(matches) = through_reader(
        &query,
        &["otrf/empire_shell_rubeus_asktgt_createnetonly.zip"],
    ) else {
        return;
    };
    // The second pair shares one millisecond: it matches only because ties keep input order.
    let tasks: Vec<Value> = matches.iter().map(|m| m.join_keys[1].clone()).collect();
    assert_eq!(
        tasks,
        [
            json!("\\Microsoft\\Windows\\UpdateOrchestrator\\AC Power Download"),
            json!("\\Microsoft\\Windows\\UpdateOrchestrator\\AC Power Install")
        ]
    );
}

#[test]
fn memory_follows_open_sequences_not_input() {
    // 30 000 creates with distinct task names, one per second (100 maxspans; the matcher unit
    // test pushes 1M hits): each opens a partial sequence
    // that can never complete once five minutes have passed. Stream mode (a reorder window):
    // batch mode holds every candidate by design (see `batch_mode_budget_is_an_error`).
    let mut c = builtin().correlator().with_reorder_window_ms(120_000);
    let (mut peak_open, mut peak_buffered) = (0, 0);
    for i in 0..30_000u64 {
        let ts = 1_700_000_000_000u64 + i * 1000;
        let mut e = task("", "scheduled-task-created", "H", &format!("\\t{i}"), None);
        e["@timestamp"] = json!(ts);
        assert!(c
            .push(Event::from_value(e, Provenance::default()).unwrap())
            .unwrap()
            .is_empty());
        let s = c.summary();
        peak_open = peak_open.max(s.open_sequences);
        peak_buffered = peak_buffered.max(s.buffered);
    }
    // maxspan 300 s, swept once per maxspan: at most two windows of partials; the reorder buffer
    // holds its 120 s window.
    assert!(peak_open <= 601, "{peak_open}");
    assert!(peak_buffered <= 121, "{peak_buffered}");
}

#[test]
fn batch_mode_budget_is_an_error_that_names_the_option() {
    let mut c = builtin().correlator().with_max_candidates(Some(100));
    let mut failed = None;
    for i in 0..200u64 {
        let mut e = task("", "scheduled-task-created", "H", &format!("t{i}"), None);
        e["@timestamp"] = json!(1_700_000_000_000u64 + i * 1000);
        // Events that pass no stage are not candidates and cost nothing.
        let other = json!({"@timestamp": 1_700_000_000_000u64, "event": {"category": "process"}});
        c.push(Event::from_value(other, Provenance::default()).unwrap())
            .unwrap();
        if let Err(e) = c.push(Event::from_value(e, Provenance::default()).unwrap()) {
            failed = Some((i, e));
            break;
        }
    }
    let (at, error) = failed.expect("the budget must stop the run");
    assert_eq!(at, 100, "the 101st candidate exceeds a budget of 100");
    assert_eq!(error.kind(), eqlite::ErrorKind::Limit);
    assert!(error.message().contains("--max-candidates"), "{error}");
    assert!(error.message().contains("maxCandidates"), "{error}");
    // Once stopped it stays stopped: no silent partial answer.
    let e = task("", "scheduled-task-deleted", "H", "t0", None);
    assert!(c
        .push(Event::from_value(e, Provenance::default()).unwrap())
        .is_err());
}

#[test]
fn late_events_are_counted_with_provenance() {
    let mut c = builtin().correlator().with_reorder_window_ms(1000);
    let mut push = |v: Value, record: u64| {
        let provenance = Provenance {
            record: Some(record),
            ..Provenance::default()
        };
        c.push(Event::from_value(v, provenance).unwrap()).unwrap()
    };
    push(create("2024-01-01T10:00:10Z"), 1);
    push(delete("2024-01-01T10:00:20Z"), 2);
    push(create("2024-01-01T10:00:00Z"), 3); // 20 s behind, window 1 s: too late
    let summary = c.summary();
    assert_eq!(summary.late, 1);
    assert_eq!(summary.late_examples[0].provenance.record, Some(3));
    assert_eq!(summary.late_examples[0].behind_ms, 20_000);
    assert_eq!(c.finish().len(), 1);
    let mut skipped = builtin().correlator();
    skipped
        .push(Event::from_value(json!({"@timestamp": "soon"}), Provenance::default()).unwrap())
        .unwrap();
    skipped
        .push(Event::from_value(json!({}), Provenance::default()).unwrap())
        .unwrap();
    let summary = skipped.summary();
    assert_eq!(summary.skipped, 2);
    assert!(
        summary.skipped_examples[0].reason.contains("ISO 8601"),
        "{:?}",
        summary.skipped_examples
    );
    assert_eq!(summary.skipped_examples[1].reason, "no @timestamp value");
}
