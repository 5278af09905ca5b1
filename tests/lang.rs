//! Language tests: queries against inline events from the data-driven corpus in
//! `tests/data/lang/*.toml`, plus API checks of `Query`, `Stage` and join keys.

use eqlite::{
    Event, JoinKey, KeyValue, Provenance, Query, QueryBuilder, QueryKind, ResultPosition,
};
use serde_json::{json, Value};

fn event(v: Value) -> Event {
    Event::from_value(v, Provenance::default()).expect("object")
}

fn matching(query: &str, events: &[Value]) -> Vec<usize> {
    let q = Query::new(query).unwrap_or_else(|e| panic!("{query}: {e}"));
    events
        .iter()
        .enumerate()
        .filter(|(_, e)| q.stages()[0].matches(&event((*e).clone())))
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn seed_rule_stage_filter() {
    let q = Query::new(
        "sequence by winlog.computer_name, winlog.event_data.TaskName with maxspan=5m\n  [iam where event.action == \"scheduled-task-created\" and not user.name : \"*$\"]\n  [iam where event.action == \"scheduled-task-deleted\" and not user.name : \"*$\"]",
    )
    .unwrap();
    assert_eq!(q.kind(), QueryKind::Sequence);
    assert_eq!(q.stages().len(), 2);
    assert_eq!(q.maxspan_ms(), Some(300_000));
    assert_eq!(
        q.join_key_names(),
        vec!["winlog.computer_name", "winlog.event_data.TaskName"]
    );
    let e = event(
        json!({"event": {"category": ["iam"], "action": "scheduled-task-created"},
        "winlog": {"computer_name": "H", "event_data": {"TaskName": "\\T"}}}),
    );
    assert!(q.stages()[0].matches(&e), "missing user.name passes `not`");
    assert!(!q.stages()[1].matches(&e));
    let machine = event(
        json!({"event": {"category": "iam", "action": "scheduled-task-created"}, "user": {"name": "PC$"},
        "winlog": {"computer_name": "H", "event_data": {"TaskName": "\\T"}}}),
    );
    assert!(!q.stages()[0].matches(&machine));
    let no_key = event(
        json!({"event": {"category": "iam", "action": "scheduled-task-created"}, "winlog": {"computer_name": "H"}}),
    );
    assert!(
        !q.stages()[0].matches(&no_key),
        "non-optional key must exist"
    );
    assert_eq!(
        q.stages()[0].join_keys(&e),
        vec![JoinKey(vec![
            KeyValue::Str("H".into()),
            KeyValue::Str("\\T".into())
        ])]
    );
    assert_eq!(
        q.required_literals(),
        vec![
            vec!["iam".to_string(), "scheduled-task-created".to_string()],
            vec!["iam".to_string(), "scheduled-task-deleted".to_string()]
        ]
    );
    assert_eq!(
        q.fields(),
        vec![
            "@timestamp",
            "event.action",
            "event.category",
            "user.name",
            "winlog.computer_name",
            "winlog.event_data.TaskName"
        ]
    );
}

#[test]
fn simple_event_queries() {
    let events = [
        json!({"event": {"category": "process"}, "pid": 4, "name": "Cmd.exe"}),
        json!({"event": {"category": ["file", "process"]}, "pid": [1, 5]}),
    ];
    assert_eq!(matching("process where pid == 4", &events), vec![0]);
    assert_eq!(matching("process where pid > 4", &events), vec![1]);
    assert_eq!(matching("any where pid != 4", &events), vec![1]);
    assert_eq!(matching("file where true", &events), vec![1]);
    assert_eq!(matching("process where name : \"cmd*\"", &events), vec![0]);
    assert_eq!(
        matching("process where name == \"cmd.exe\"", &events),
        Vec::<usize>::new()
    );
    assert_eq!(
        matching("process where not name == \"cmd.exe\"", &events),
        vec![0, 1]
    );
    assert_eq!(
        matching("process where length(name) == 7", &events),
        vec![0]
    );
    assert_eq!(
        matching("process where not length(name) == 7", &events),
        Vec::<usize>::new()
    );
}

#[test]
fn join_keys_product_and_optional() {
    let q = Query::new("sequence by a, ?b [x where true] [y where true]").unwrap();
    let e = event(json!({"a": [2, 1, 2, null], "c": 1}));
    assert_eq!(
        q.stages()[0].join_keys(&e),
        vec![
            JoinKey(vec![KeyValue::Int(1), KeyValue::Null]),
            JoinKey(vec![KeyValue::Int(2), KeyValue::Null])
        ]
    );
    assert!(q.stages()[0].join_keys(&event(json!({"b": 1}))).is_empty());
    let ev = Query::new("any where true").unwrap();
    assert_eq!(ev.stages()[0].join_keys(&e), vec![JoinKey(vec![])]);
}

#[test]
fn limits_from_pipes_and_size() {
    let q = QueryBuilder::new()
        .size(Some(10))
        .build("any where true | head 5")
        .unwrap();
    assert_eq!(q.limit(), Some((ResultPosition::Head, 5)));
    let q = QueryBuilder::new()
        .size(Some(3))
        .build("any where true")
        .unwrap();
    assert_eq!(q.limit(), Some((ResultPosition::Tail, 3)));
    assert_eq!(Query::new("any where true").unwrap().limit(), None);
    assert_eq!(
        Query::new("any where true | tail 4 | tail 2")
            .unwrap()
            .limit(),
        Some((ResultPosition::Tail, 2))
    );
    assert!(Query::new("any where true | head 4 | tail 2").is_err());
}

/// Runs every case of `tests/data/lang/*.toml`: compile `query` (with an optional
/// `category_field`), evaluate stage `stage` (default 0) on each event of `events` (per case,
/// or the file's), and compare the matching indices with `expected`.
#[test]
fn data_driven_corpus() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/lang");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("toml"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut count = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read corpus file");
        assert!(
            text.starts_with('#'),
            "{}: must open with a comment saying what it covers",
            file.display()
        );
        let doc: toml::Value =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let file_events = doc.get("events").and_then(|v| v.as_str());
        for case in doc.get("case").and_then(|c| c.as_array()).expect("cases") {
            count += 1;
            let name = case.get("name").and_then(|v| v.as_str()).unwrap_or("?");
            let query = case.get("query").and_then(|v| v.as_str()).expect("query");
            let events_text = case
                .get("events")
                .and_then(|v| v.as_str())
                .or(file_events)
                .expect("events");
            let events: Vec<Value> = serde_json::from_str(events_text).expect("events JSON");
            let mut builder = QueryBuilder::new();
            if let Some(f) = case.get("category_field").and_then(|v| v.as_str()) {
                builder = builder.event_category_field(f);
            }
            let stage = case.get("stage").and_then(|v| v.as_integer()).unwrap_or(0) as usize;
            let expected: Vec<usize> = case
                .get("expected")
                .and_then(|v| v.as_array())
                .expect("expected")
                .iter()
                .filter_map(|v| v.as_integer().map(|i| i as usize))
                .collect();
            let q = match builder.build(query) {
                Ok(q) => q,
                Err(e) => {
                    failures.push(format!("{} / {name}: {e}", file.display()));
                    continue;
                }
            };
            let got: Vec<usize> = events
                .iter()
                .enumerate()
                .filter(|(_, e)| q.stages()[stage].matches(&event((*e).clone())))
                .map(|(i, _)| i)
                .collect();
            if got != expected {
                failures.push(format!(
                    "{} / {name}: {query}\n  expected {expected:?}\n  got      {got:?}",
                    file.display()
                ));
            }
        }
    }
    assert!(count > 50, "corpus too small: {count}");
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
