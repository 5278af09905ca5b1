//! `Session::simulate`: Kibana's schedule (eql-semantics §8.2-8.4) replayed over crafted inputs
//! with fixed phases, and the alert documents of the built-in rule over the Winlogbeat
//! lifecycle fixture.

use eqlite::rules::{Schedule, Suppression};
use eqlite::session::{Session, SessionOptions};
use eqlite::simulate::{Missed, Phase, Simulation};
use serde_json::{json, Value};

const T0: i64 = 1_714_557_600_000; // 2024-05-01T10:00:00Z
const MIN: i64 = 60_000;

fn ts(ms: i64) -> String {
    eqlite::render::describe::rfc3339_utc(ms)
}

/// A create or delete of `task` on `host` at `at` (ms).
fn event(at: i64, created: bool, host: &str, task: &str, extra: Value) -> String {
    let action = if created {
        "scheduled-task-created"
    } else {
        "scheduled-task-deleted"
    };
    let mut doc = json!({
        "@timestamp": ts(at),
        "event": {"action": action, "category": ["iam"]},
        "user": {"name": "alice"},
        "winlog": {"computer_name": host, "event_data": {"TaskName": task}},
    });
    if let (Value::Object(d), Value::Object(e)) = (&mut doc, extra) {
        d.extend(e);
    }
    doc.to_string()
}

fn pair(at: i64, gap: i64, host: &str, task: &str) -> [String; 2] {
    [
        event(at, true, host, task, json!({})),
        event(at + gap, false, host, task, json!({})),
    ]
}

fn session(lines: &[String]) -> Session {
    let options = SessionOptions {
        simulate: true,
        ..SessionOptions::default()
    };
    let mut session = Session::new(options).expect("built-in rule");
    let mut out = Vec::new();
    session.start_file("t.ndjson", &mut out).expect("start");
    session
        .push(lines.join("\n").as_bytes(), &mut out)
        .expect("push");
    session.finish(&mut out).expect("finish");
    session
}

fn simulate(session: &Session, schedule: Option<&Schedule>, phase: Phase) -> Vec<Simulation> {
    session.simulate(schedule, &phase).expect("simulates")
}

fn at(offset_ms: u64) -> Phase {
    Phase {
        offset_ms,
        ..Phase::default()
    }
}

/// Three pairs an hour apart (12 intervals: the same phase relation), gaps 1m, 4m30s and 5m.
fn three_gaps() -> Session {
    let mut lines = Vec::new();
    lines.extend(pair(T0, MIN, "H1", "\\a"));
    lines.extend(pair(T0 + 60 * MIN, 4 * MIN + 30_000, "H2", "\\b"));
    lines.extend(pair(T0 + 120 * MIN, 5 * MIN, "H3", "\\c"));
    session(&lines)
}

#[test]
fn gaps_of_1m_4m30s_and_5m_under_5m_and_now_9m() {
    let s = three_gaps();
    // The built-in rule's schedule: every 5m over now-9m, 100 signals.
    assert_eq!(
        s.rule().schedule,
        Schedule {
            interval_ms: 300_000,
            lookback_ms: 540_000,
            max_signals: 100,
            suppression: None
        }
    );
    let outcome = |sim: &Simulation| -> Vec<(bool, Option<Missed>)> {
        sim.matches.iter().map(|m| (m.alerted, m.reason)).collect()
    };
    // First run at the first create: runs at +5m end inside [delete, create + 9m] for all three.
    let sim = &simulate(&s, None, at(0))[0];
    assert_eq!(sim.summary.matches, 3);
    assert_eq!(outcome(sim), [(true, None), (true, None), (true, None)]);
    assert_eq!(
        sim.matches[1].run.as_deref(),
        Some(ts(T0 + 65 * MIN).as_str())
    );
    // Phase 4m15s: runs at +4m15s and +9m15s. The 1m pair is inside the first window; the
    // 4m30s pair (needs a run in [+4m30s, +9m]) and the 5m pair (in [+5m, +9m]) are in none.
    let sim = &simulate(&s, None, at(255_000))[0];
    assert_eq!(
        outcome(sim),
        [
            (true, None),
            (false, Some(Missed::Window)),
            (false, Some(Missed::Window))
        ]
    );
    assert_eq!((sim.summary.alerted, sim.summary.missed_window), (1, 2));
    // Spread over 20 phases (15 s apart), the 4m30s pair depends on the phase.
    let sims = simulate(
        &s,
        None,
        Phase {
            phases: 20,
            ..Phase::default()
        },
    );
    let alerted = |i: usize| sims.iter().filter(|p| p.matches[i].alerted).count();
    assert_eq!(alerted(0), 20, "a 1m pair is always inside some window");
    let (b, c) = (alerted(1), alerted(2));
    assert!(
        b > 0 && b < 20,
        "the 4m30s pair is alerted under some phases only: {b} of 20"
    );
    assert!(
        c < b,
        "the 5m pair has a narrower chance than the 4m30s one: {c} vs {b}"
    );
    // The exact count: a run must end in [delete, create + 9m], 4m30s of every 5m (phase 4m15s
    // is the one 15-s step in the gap); for 5m, 4m of 5m.
    assert_eq!((b, c), (19, 17));
}

#[test]
fn more_than_max_signals_sequences_keep_the_newest_100() {
    let mut lines = Vec::new();
    for i in 0..150 {
        lines.extend(pair(T0 + i * 400, 200, "H1", &format!("\\t{i:03}")));
    }
    let s = session(&lines);
    // One run after them all (later runs' windows hold them too: dedup and the same cap).
    let phase = Phase {
        first_run_ms: Some(T0 + 2 * MIN),
        ..Phase::default()
    };
    let sim = &simulate(&s, None, phase)[0];
    let first = &sim.runs[0];
    assert_eq!(
        (first.sequences, first.capped, first.new_alerts),
        (100, 50, 100)
    );
    assert_eq!(sim.summary.matches, 150);
    assert_eq!(
        (sim.summary.alerted, sim.summary.missed_max_signals),
        (100, 50)
    );
    // Tail: the 50 oldest tasks are the ones missed.
    for (i, m) in sim.matches.iter().enumerate() {
        let task = m.join_keys[1].as_str().unwrap_or_default().to_string();
        let n: usize = task.trim_start_matches("\\t").parse().expect("task number");
        assert_eq!(m.alerted, n >= 50, "match {i} ({task})");
        if n < 50 {
            assert_eq!(m.reason, Some(Missed::MaxSignals));
        }
    }
}

#[test]
fn overlapping_runs_make_one_alert_group_and_a_later_pairing_a_second() {
    let mut lines = Vec::new();
    lines.extend(pair(T0, 30_000, "H1", "\\a"));
    // The same host and task again, 20 minutes later: a different pairing of events.
    lines.extend(pair(T0 + 20 * MIN, 30_000, "H1", "\\a"));
    let s = session(&lines);
    let phase = Phase {
        first_run_ms: Some(T0 + MIN),
        ..Phase::default()
    };
    let sim = &simulate(&s, None, phase)[0];
    // Runs at +1m and +6m both hold the first pair: one alert, then a deduplicated sequence.
    assert_eq!((sim.runs[0].new_alerts, sim.runs[0].deduplicated), (1, 0));
    assert_eq!((sim.runs[1].new_alerts, sim.runs[1].deduplicated), (0, 1));
    assert_eq!(sim.summary.alerts, 2);
    assert_eq!(sim.summary.alerted, 2);
    let ids: Vec<_> = sim
        .matches
        .iter()
        .map(|m| m.alert_id.clone().expect("alerted"))
        .collect();
    assert_ne!(ids[0], ids[1], "a different pairing is a new alert group");
    // Deterministic: the same input gives the same ids.
    let again = &simulate(
        &session(&lines),
        None,
        Phase {
            first_run_ms: Some(T0 + MIN),
            ..Phase::default()
        },
    )[0];
    let ids_again: Vec<_> = again
        .matches
        .iter()
        .map(|m| m.alert_id.clone().expect("alerted"))
        .collect();
    assert_eq!(ids, ids_again);
}

fn suppressed(group_by: &str, duration_ms: Option<u64>, suppress_missing: bool) -> Schedule {
    Schedule {
        suppression: Some(Suppression {
            group_by: vec![group_by.to_string()],
            duration_ms,
            suppress_missing,
        }),
        ..eqlite::rules::builtin().schedule
    }
}

fn shells(sim: &Simulation) -> Vec<&serde_json::Map<String, Value>> {
    sim.alerts
        .iter()
        .map(|a| &a.source)
        .filter(|s| s.get("kibana.alert.depth") == Some(&json!(2)))
        .collect()
}

#[test]
fn suppression_by_host_over_1h_folds_n_shells_into_one() {
    let mut lines = Vec::new();
    for i in 0..4 {
        lines.extend(pair(T0 + i * 10 * MIN, MIN, "H1", &format!("\\t{i}")));
    }
    let s = session(&lines);
    let schedule = suppressed("winlog.computer_name", Some(3_600_000), true);
    let sim = &simulate(&s, Some(&schedule), at(0))[0];
    assert_eq!(sim.summary.matches, 4);
    assert_eq!(
        (
            sim.summary.alerts,
            sim.summary.alerted,
            sim.summary.suppressed
        ),
        (1, 1, 3)
    );
    let shell = shells(sim);
    assert_eq!(shell.len(), 1);
    assert_eq!(shell[0]["kibana.alert.suppression.docs_count"], json!(3));
    assert_eq!(
        shell[0]["kibana.alert.suppression.terms"],
        json!([{"field": "winlog.computer_name", "value": "H1"}])
    );
    let first_id = sim.matches[0].alert_id.clone();
    for m in &sim.matches[1..] {
        assert_eq!(m.reason, Some(Missed::Suppressed));
        assert_eq!(m.alert_id, first_id, "suppressed into the first alert");
    }
    // Per rule execution (no duration): runs 10 minutes apart suppress nothing.
    let per_run = suppressed("winlog.computer_name", None, true);
    let sim = &simulate(&s, Some(&per_run), at(0))[0];
    assert_eq!((sim.summary.alerts, sim.summary.suppressed), (4, 0));
}

#[test]
fn do_not_suppress_leaves_shells_lacking_the_field_alone() {
    let mut lines = Vec::new();
    for i in 0..4 {
        let extra = if i < 2 {
            json!({"host": {"name": "h1"}})
        } else {
            json!({})
        };
        let t = T0 + i * 10 * MIN;
        lines.push(event(t, true, "H1", &format!("\\t{i}"), extra.clone()));
        lines.push(event(t + MIN, false, "H1", &format!("\\t{i}"), extra));
    }
    let s = session(&lines);
    let keep = suppressed("host.name", Some(3_600_000), false);
    let sim = &simulate(&s, Some(&keep), at(0))[0];
    // The two with host.name fold into one; the two without are written unsuppressed.
    assert_eq!((sim.summary.alerts, sim.summary.suppressed), (3, 1));
    let docs: Vec<Option<&Value>> = shells(sim)
        .iter()
        .map(|s| s.get("kibana.alert.suppression.docs_count"))
        .collect();
    assert_eq!(docs, [Some(&json!(1)), None, None]);
    // `suppress`: the two without host.name are grouped under null.
    let group = suppressed("host.name", Some(3_600_000), true);
    let sim = &simulate(&s, Some(&group), at(0))[0];
    assert_eq!((sim.summary.alerts, sim.summary.suppressed), (2, 2));
    let terms: Vec<&Value> = shells(sim)
        .iter()
        .map(|s| &s["kibana.alert.suppression.terms"])
        .collect();
    assert_eq!(
        terms,
        [
            &json!([{"field": "host.name", "value": "h1"}]),
            &json!([{"field": "host.name", "value": null}])
        ]
    );
}

#[test]
fn a_session_without_the_simulate_option_says_so() {
    let mut s = Session::new(SessionOptions::default()).expect("built-in");
    s.finish(&mut Vec::new()).expect("finish");
    let e = s
        .simulate(None, &Phase::default())
        .expect_err("no events kept");
    assert!(e.to_string().contains("simulate"), "{e}");
}

/// The Winlogbeat lifecycle of `\test1` (five golden files) through a simulated schedule: the
/// alerts have the structure of Kibana's expected documents ("generates shell alerts from EQL
/// sequences in the expected form", eql-semantics §8.3), with ids stable across runs.
#[test]
fn alert_documents_have_kibanas_shell_and_building_block_structure() {
    let Some(dir) = crate::input_support::shared() else {
        return;
    };
    let alerts = || {
        let options = SessionOptions {
            simulate: true,
            ..SessionOptions::default()
        };
        let mut session = Session::new(options).expect("built-in");
        let mut out = Vec::new();
        for code in ["4698", "4699", "4700", "4701", "4702"] {
            let name = format!("security-windows2012_{code}.evtx.golden.json");
            let path = dir.join("fixtures/winlogbeat/js-processor-era").join(&name);
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            session.start_file(&name, &mut out).expect("start");
            session.push(&bytes, &mut out).expect("push");
            session.end_file(&mut out).expect("end");
        }
        session.finish(&mut out).expect("finish");
        let sim = session
            .simulate(None, &Phase::default())
            .expect("simulates")
            .remove(0);
        assert_eq!((sim.summary.matches, sim.summary.alerted), (1, 1));
        sim.alerts
    };
    let docs = alerts();
    assert_eq!(docs.len(), 3, "two building blocks and the shell");
    let (blocks, shell) = (&docs[..2], &docs[2].source);
    let shell_id = &docs[2].id;
    for (i, block) in blocks.iter().enumerate() {
        let s = &block.source;
        assert_eq!(s["kibana.alert.depth"], json!(1));
        assert_eq!(s["kibana.alert.building_block_type"], json!("default"));
        assert_eq!(s["kibana.alert.group.id"], json!(shell_id));
        assert_eq!(s["kibana.alert.group.index"], json!(i));
        assert_eq!(s["kibana.alert.uuid"], json!(block.id));
        assert_eq!(s["event"]["kind"], json!("signal"));
        let ancestors = s["kibana.alert.ancestors"].as_array().expect("ancestors");
        assert_eq!(ancestors.len(), 1);
        assert_eq!(
            (&ancestors[0]["type"], &ancestors[0]["depth"]),
            (&json!("event"), &json!(0))
        );
        // original_time is the event's; @timestamp the execution time; original_event a copy
        // of event.*.
        assert_eq!(
            s["kibana.alert.original_time"],
            json!(
                [
                    "2020-04-01T14:34:34.6061085Z",
                    "2020-04-01T14:35:47.822282Z"
                ][i]
            )
        );
        let action = s["kibana.alert.original_event.action"]
            .as_str()
            .expect("original_event.action");
        assert_eq!(
            action,
            ["scheduled-task-created", "scheduled-task-deleted"][i]
        );
        assert_ne!(s["@timestamp"], s["kibana.alert.original_time"]);
    }
    assert_eq!(shell["kibana.alert.depth"], json!(2));
    assert_eq!(shell["kibana.alert.group.id"], json!(shell_id));
    assert_eq!(shell["kibana.alert.uuid"], json!(shell_id));
    assert!(shell.get("kibana.alert.building_block_type").is_none());
    assert!(shell.get("kibana.alert.group.index").is_none());
    // Ancestors interleave each event with its building block: [ev1, bb1, ev2, bb2].
    let ancestors = shell["kibana.alert.ancestors"]
        .as_array()
        .expect("ancestors");
    let kinds: Vec<(&Value, &Value)> = ancestors
        .iter()
        .map(|a| (&a["type"], &a["depth"]))
        .collect();
    assert_eq!(
        kinds,
        [
            (&json!("event"), &json!(0)),
            (&json!("signal"), &json!(1)),
            (&json!("event"), &json!(0)),
            (&json!("signal"), &json!(1))
        ]
    );
    assert_eq!(ancestors[1]["id"], json!(blocks[0].id));
    assert_eq!(ancestors[3]["id"], json!(blocks[1].id));
    // objectArrayIntersection: what both events share stays (host, task), what differs goes.
    assert_eq!(
        shell["winlog"]["computer_name"],
        json!("DC_TEST2k12.TEST.SAAS")
    );
    assert_eq!(shell["winlog"]["event_data"]["TaskName"], json!("\\test1"));
    assert!(
        shell["winlog"].get("record_id").is_none(),
        "record ids differ between the events"
    );
    assert!(shell["event"].get("action").is_none(), "the actions differ");
    // Stable across runs.
    let again = alerts();
    let ids =
        |d: &[eqlite::render::alerts::Alert]| d.iter().map(|a| a.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&docs), ids(&again));
}

// ---- through the CLI binary ----

fn cli(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_eqlite"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn scratch(name: &str, contents: &str) -> String {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("simulate-tests");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("scratch file");
    path.to_string_lossy().into_owned()
}

fn gaps_file() -> String {
    let mut lines = Vec::new();
    lines.extend(pair(T0, MIN, "H1", "\\a"));
    lines.extend(pair(T0 + 60 * MIN, 4 * MIN + 30_000, "H2", "\\b"));
    lines.extend(pair(T0 + 120 * MIN, 5 * MIN, "H3", "\\c"));
    scratch("gaps.ndjson", &lines.join("\n"))
}

#[test]
fn cli_ndjson_has_one_line_per_run_and_per_match() {
    let file = gaps_file();
    let out = cli(&["simulate", "--output", "ndjson", "--phase", "255s", &file]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect();
    let runs: Vec<&Value> = lines
        .iter()
        .filter(|l| l.get("run").is_some_and(Value::is_object))
        .collect();
    let matches: Vec<&Value> = lines.iter().filter(|l| l.get("match").is_some()).collect();
    // Runs over two hours, every 5 minutes: all are counted, but only those whose window held
    // an event are listed (an empty window returns nothing and is not replayed).
    let summary = lines.last().expect("a summary line");
    assert_eq!(summary["summary"]["runs"], json!(26), "{summary}");
    assert_eq!(runs.len(), 6, "{runs:?}");
    assert!(runs.iter().all(|r| {
        let (from, to) = (
            r["run"]["from"].as_str().unwrap(),
            r["run"]["to"].as_str().unwrap(),
        );
        [
            T0,
            T0 + MIN,
            T0 + 60 * MIN,
            T0 + 64 * MIN + 30_000,
            T0 + 120 * MIN,
            T0 + 125 * MIN,
        ]
        .iter()
        .any(|&t| (from..=to).contains(&ts(t).as_str()))
    }));
    assert_eq!(
        runs[0]["run"],
        json!({"start": ts(T0 + 255_000), "from": ts(T0 + 255_000 - 9 * MIN), "to": ts(T0 + 255_000),
               "sequences": 1, "capped": 0, "new_alerts": 1, "deduplicated": 0, "suppressed": 0})
    );
    assert_eq!(matches.len(), 3);
    assert_eq!(
        matches[0]["match"],
        json!({"join_keys": ["H1", "\\a"], "first": ts(T0), "last": ts(T0 + MIN), "gap_ms": 60_000})
    );
    assert_eq!(
        (
            &matches[0]["alerted"],
            &matches[0]["run"],
            &matches[0]["reason"]
        ),
        (&json!(true), &json!(ts(T0 + 255_000)), &Value::Null)
    );
    assert_eq!(
        (
            &matches[1]["alerted"],
            &matches[1]["run"],
            &matches[1]["reason"]
        ),
        (&json!(false), &Value::Null, &json!("window"))
    );
    assert_eq!(summary["summary"]["alerted"], json!(1));
    assert_eq!(summary["summary"]["missed_window"], json!(2));
    // The readable report says the same.
    let table = cli(&["simulate", "--phase", "255s", &file]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("every 5m over now-9m"), "{text}");
    assert!(
        text.contains("3 match(es) over all the data: 1 alerted, 2 missed"),
        "{text}"
    );
    assert!(
        text.contains("missed: no run's window held all its events"),
        "{text}"
    );
    // --phases reports the spread per match.
    let spread = cli(&["simulate", "--phases", "20", &file]);
    let text = String::from_utf8_lossy(&spread.stdout);
    assert!(
        text.contains("19 of 20 phases") && text.contains("17 of 20 phases"),
        "{text}"
    );
}

#[test]
fn cli_schedule_comes_from_the_rule_file_and_flags_override_it() {
    let toml = r#"
[rule]
rule_id = "r-sim"
name = "sim"
language = "eql"
type = "eql"
interval = "1m"
from = "now-2m"
max_signals = 1
query = '''
sequence by winlog.computer_name, winlog.event_data.TaskName with maxspan=5m
  [iam where event.action == "scheduled-task-created"]
  [iam where event.action == "scheduled-task-deleted"]
'''
[rule.alert_suppression]
group_by = ["winlog.computer_name"]
duration = {value = 1, unit = "h"}
missing_fields_strategy = "doNotSuppress"
"#;
    let rule = scratch("sim.toml", toml);
    let file = gaps_file();
    let summary = |args: &[&str]| -> Value {
        let out = cli(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        serde_json::from_str(text.lines().last().expect("summary")).expect("JSON")
    };
    let s = summary(&["simulate", "--rule", &rule, "--output", "ndjson", &file]);
    assert_eq!(
        s["schedule"],
        json!({"interval_ms": 60_000, "lookback_ms": 120_000, "max_signals": 1,
        "suppression": {"group_by": ["winlog.computer_name"], "duration_ms": 3_600_000, "suppress_missing": false}})
    );
    // A 2m look-back holds the 1m pair only.
    assert_eq!(s["summary"]["alerted"], json!(1));
    let s = summary(&[
        "simulate",
        "--rule",
        &rule,
        "--from",
        "now-10m",
        "--interval",
        "5m",
        "--no-suppression",
        "--output",
        "ndjson",
        &file,
    ]);
    assert_eq!(
        (
            s["schedule"]["lookback_ms"].clone(),
            s["schedule"]["suppression"].clone()
        ),
        (json!(600_000), Value::Null)
    );
    assert_eq!(s["summary"]["alerted"], json!(3));
    // `eqlite check` warns when maxspan outlasts look-back minus interval.
    let check = cli(&["check", "temporarily-scheduled-task-creation"]);
    let err = String::from_utf8_lossy(&check.stderr);
    assert!(
        err.contains("sequences longer than 4m may be missed: interval 5m, look-back 9m"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&check.stdout)
        .contains("schedule: every 5m over now-9m, max_signals 100"));
    let bad = cli(&["simulate", "--output", "csv", &file]);
    assert_eq!(bad.status.code(), Some(2));
    let bad = cli(&["simulate", "--interval", "5x", &file]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("--interval"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

/// Exports that span years (two hosts' logs, or one stray old event) replay only the runs whose
/// window holds an event: ten phases over a thousand years take no longer than over an hour,
/// and every run is still counted. (The page replays ten phases after every run.)
#[test]
fn a_replay_over_centuries_replays_only_runs_that_see_events() {
    const YEAR: i64 = 365 * 24 * 60 * MIN;
    let mut lines = Vec::new();
    lines.extend(pair(T0 - 1000 * YEAR, MIN, "OLD", "\\a"));
    lines.extend(pair(T0, MIN, "NEW", "\\b"));
    let file = scratch("centuries.ndjson", &lines.join("\n"));
    let started = std::time::Instant::now();
    let out = cli(&["simulate", "--output", "ndjson", "--phases", "10", &file]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A replay of every 5-minute run would be 105 million runs per phase.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect();
    let phases: Vec<&Value> = lines.iter().filter_map(|l| l.get("phase")).collect();
    assert_eq!(phases.len(), 10);
    for phase in phases {
        let runs = phase["summary"]["runs"].as_u64().unwrap();
        assert!(runs > 100_000_000, "every run counted: {runs}");
        assert_eq!(phase["summary"]["alerted"], json!(2), "{phase}");
    }
}
