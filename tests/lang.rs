//! Language tests: queries against inline events from the data-driven corpus in
//! `tests/data/lang/*.toml`, plus API checks of `Query`, `Stage` and join keys.

use eqlite::ErrorKind;
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
        Some((ResultPosition::Tail, 4))
    );
    let chained = Query::new("any where true | head 4 | tail 2").unwrap();
    assert_eq!(chained.limit(), Some((ResultPosition::Head, 4)));
    assert_eq!(chained.later_limits(), [(ResultPosition::Tail, 2)]);
}

/// The corpus files, `tests/data/lang/*.toml`, in name order.
pub(crate) fn corpus_files() -> Vec<std::path::PathBuf> {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/lang");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("toml"))
        .collect();
    files.sort();
    files
}

/// Runs every case of `tests/data/lang/*.toml`: compile `query` (with an optional
/// `category_field`), evaluate stage `stage` (default 0) on each event of `events` (per case,
/// or the file's), and compare the matching indices with `expected`.
#[test]
fn data_driven_corpus() {
    let files = corpus_files();
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

#[test]
fn required_literals_are_sound() {
    let lits = |q: &str| Query::new(q).unwrap().required_literals();
    // required conjuncts only
    assert_eq!(
        lits("process where a == \"x1\" and b == \"y2\""),
        vec![vec!["process", "x1", "y2"]]
    );
    // never under `or` / `not`, never case-insensitive, never multi-value `in`, never numbers
    assert_eq!(
        lits("any where a == \"x\" or b == \"y\""),
        vec![Vec::<String>::new()]
    );
    assert_eq!(lits("any where not a == \"x\""), vec![Vec::<String>::new()]);
    assert_eq!(
        lits("any where a : \"x\" and b in~ (\"y\") and c like~ \"z\""),
        vec![Vec::<String>::new()]
    );
    assert_eq!(
        lits("any where a in (\"x\", \"y\") and n == 5"),
        vec![Vec::<String>::new()]
    );
    // single-value `in` is an equality
    assert_eq!(lits("any where a in (\"only\")"), vec![vec!["only"]]);
    // strings a JSON writer may escape are not emitted
    assert_eq!(
        lits("any where a == \"C:\\\\x\" and b == \"a/b\" and c == \"é\""),
        vec![Vec::<String>::new()]
    );
    // optional fields are not required to exist
    assert_eq!(lits("any where ?a == \"x\""), vec![Vec::<String>::new()]);
    // per stage, after runs expansion
    assert_eq!(
        lits("sequence [a where x == \"p\"] with runs=2 [b where true]"),
        vec![vec!["a", "p"], vec!["a", "p"], vec!["b"]]
    );
}

#[test]
fn fields_lists_everything_read() {
    let q = QueryBuilder::new()
        .tiebreaker_field(Some("seq"))
        .build("sequence by k [a where length(x) > 1 and cidrMatch(ip, \"10.0.0.0/8\")] by j [any where ?o == 1] by j until [c where u : \"*\"] by j")
        .unwrap();
    assert_eq!(
        q.fields(),
        vec![
            "@timestamp",
            "event.category",
            "ip",
            "j",
            "k",
            "o",
            "seq",
            "u",
            "x"
        ]
    );
    assert_eq!(q.stages().len(), 2);
    assert!(q.until().is_some());
    assert_eq!(q.join_key_names(), vec!["k", "j"]);
}

#[test]
fn error_api_spans_and_positions() {
    let text = "sequence by a\n  [x where true] by b\n  [y where true]";
    let e = Query::new(text).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Semantic);
    assert_eq!(e.kind().as_str(), "semantic");
    assert_eq!(
        e.message(),
        "Inconsistent number of join keys specified; expected [2] but found [1]"
    );
    let span = e.span().unwrap();
    assert_eq!(span.slice(text), Some("[y where true]"));
    assert_eq!(
        e.aux_span().unwrap().slice(text),
        Some("by b"),
        "aux span = first stage's by"
    );
    assert_eq!(e.line_column(text), Some((3, 3)));
    let text = "any where x == \"é\" = 1";
    let e = Query::new(text).unwrap_err();
    assert_eq!(e.line_column(text), Some((1, 20)), "columns count chars");
    assert_eq!(e.span().unwrap().to_utf16(text), (19, 20));
}

#[test]
fn stage_accessors() {
    let q =
        Query::new("sequence with maxspan=2h [a where true] by ?k ![b where true] by ?k").unwrap();
    assert_eq!(q.maxspan_ms(), Some(7_200_000));
    assert!(!q.stages()[0].is_missing());
    assert!(q.stages()[1].is_missing());
    assert_eq!(q.stages()[0].category(), Some("a"));
    assert_eq!(q.join_key_names(), vec!["?k"]);
    assert_eq!(
        KeyValue::Float(eqlite::OrderedFloat(1.5)).to_json(),
        json!(1.5)
    );
    assert_eq!(
        JoinKey(vec![KeyValue::Null, KeyValue::Int(3)]).to_json(),
        vec![json!(null), json!(3)]
    );
}

#[test]
fn query_is_clone_send_sync() {
    fn assert_traits<T: Clone + Send + Sync + 'static>() {}
    assert_traits::<Query>();
    assert_traits::<eqlite::Stage>();
    assert_traits::<eqlite::Error>();
    let q = Query::new("any where a regex \"x.*\"").unwrap();
    let moved =
        std::thread::spawn(move || q.stages()[0].matches(&event(json!({"a": "xyz"})))).join();
    assert_eq!(moved.ok(), Some(true));
}

#[test]
fn sample_queries_compile_with_elasticsearch_restrictions() {
    let q =
        Query::new("sample by host [any where true] by os [process where pid > 1] by os").unwrap();
    assert_eq!(q.kind(), QueryKind::Sample);
    assert_eq!(q.join_key_names(), vec!["host", "os"]);
    for (text, message) in [
        ("sample by h [any where true]", "minimum of 2"),
        (
            "sample by h [any where true] [any where true] | head 1",
            "Pipes",
        ),
        (
            "sample by h with maxspan=1m [any where true] [any where true]",
            "'['",
        ),
        (
            "sample by h [any where true] by a [any where true]",
            "Inconsistent",
        ),
        (
            "sample by h [any where true] with runs=2 [any where true]",
            "<EOF>",
        ),
        ("sample by h [any where true] ![any where true]", "<EOF>"),
    ] {
        let e = Query::new(text).unwrap_err().to_string();
        assert!(e.contains(message), "{text}: {e}");
    }
    assert!(QueryBuilder::new()
        .max_samples_per_key(0)
        .build("sample [a where true] [b where true]")
        .is_err());
}

/// Samples: join keys in ascending order (a missing optional key first), distinct documents
/// per sample, no timestamp needed, `max_samples_per_key` and `size`.
#[test]
fn samples_follow_elasticsearch() {
    let docs = [
        json!({"id": 1, "event": {"category": "a"}, "host": "b", "os": "x"}),
        json!({"id": 2, "event": {"category": "b"}, "host": "b"}),
        json!({"id": 3, "event": {"category": "a"}, "host": "A"}),
        json!({"id": 4, "event": {"category": "b"}, "host": "A", "os": "y"}),
        json!({"id": 5, "event": {"category": "a"}, "host": "b", "os": "x"}),
        json!({"id": 6, "event": {"category": "b"}, "host": "b", "os": "x"}),
    ];
    let run = |text: &str, max: usize, size: Option<usize>| -> Vec<Vec<i64>> {
        let q = QueryBuilder::new()
            .max_samples_per_key(max)
            .size(size)
            .build(text)
            .unwrap();
        let mut c = q.correlator();
        let mut out = Vec::new();
        for d in &docs {
            out.extend(c.push(event(d.clone())).unwrap());
        }
        out.extend(c.finish());
        out.iter()
            .map(|m| {
                m.events
                    .iter()
                    .map(|e| e.event.first_value("id").unwrap().as_i64().unwrap())
                    .collect()
            })
            .collect()
    };
    let q = "sample by host [a where true] [b where true]";
    assert_eq!(run(q, 1, None), [vec![3, 4], vec![1, 2]]);
    assert_eq!(
        run(q, 3, None),
        [vec![3, 4], vec![1, 2], vec![1, 6], vec![5, 2]]
    );
    assert_eq!(run(q, 3, Some(2)), [vec![3, 4], vec![1, 2]]);
    let q = "sample by host, ?os [a where true] [b where true]";
    assert_eq!(run(q, 1, None), [vec![1, 6]]);
    let q = "sample by ?os [any where true] [any where true]";
    assert_eq!(run(q, 1, None), [vec![2, 3], vec![1, 5]]);
}

/// A mapping types fields as Elasticsearch indexes them; without one, JSON types decide.
#[test]
fn mappings_type_fields() {
    let mapping = eqlite::Mapping::from_json(
        r#"{"my-index": {"mappings": {"properties": {
            "pid": {"type": "keyword"},
            "port": {"type": "long"},
            "name": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 4}}},
            "t": {"type": "date", "format": "dd-MM-yyyy"},
            "cat": {"type": "alias", "path": "kind"}}}}}"#,
    )
    .unwrap();
    let doc =
        event(json!({"pid": 5, "port": "80", "name": "toolong", "t": "02-01-1970", "kind": "x"}));
    let check = |text: &str, with: bool| {
        // the category field is an alias of `kind` in the mapping
        let b = QueryBuilder::new().event_category_field(if with { "cat" } else { "kind" });
        let q = if with {
            b.mapping(Some(mapping.clone()))
        } else {
            b
        }
        .build(text)
        .unwrap();
        q.stages()[0].matches(&q.index_event(doc.clone()))
    };
    for (text, with_mapping, without) in [
        (r#"x where pid == "5""#, true, false),
        ("x where port == 80", true, false),
        (r#"x where name == "toolong""#, false, true),
        (r#"x where t == "02-01-1970""#, true, true),
        (r#"x where t > "10-01-1969""#, true, false),
    ] {
        assert_eq!(check(text, true), with_mapping, "{text} with the mapping");
        assert_eq!(check(text, false), without, "{text} without");
    }
}
