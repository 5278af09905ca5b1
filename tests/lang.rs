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
