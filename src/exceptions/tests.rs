use super::*;
use crate::event::Provenance;
use serde_json::json;

fn event(v: Value) -> Event {
    Event::from_value(v, Provenance::default()).expect("object")
}

fn list(v: Value) -> ExceptionList {
    ExceptionList::from_json(&v.to_string()).expect("valid list")
}

fn item(entries: Value) -> Value {
    json!({"name": "t", "item_id": "i", "type": "simple", "entries": entries})
}

fn created_by(user: Option<&str>, task: &str) -> Event {
    let mut doc = json!({
        "event": {"action": "scheduled-task-created", "category": ["iam", "configuration"]},
        "winlog": {"computer_name": "HOST01", "event_data": {"TaskName": task}},
    });
    if let Some(u) = user {
        doc["user"] = json!({"name": u});
    }
    event(doc)
}

#[test]
fn is_is_exact_and_case_sensitive() {
    let l = list(json!([item(
        json!([{"field": "user.name", "operator": "included", "type": "match", "value": "admmig"}])
    )]));
    assert!(l.matches(&created_by(Some("admmig"), "\\t")));
    assert!(!l.matches(&created_by(Some("ADMMIG"), "\\t")));
    assert!(!l.matches(&created_by(Some("admmig2"), "\\t")));
    assert!(
        !l.matches(&created_by(None, "\\t")),
        "a missing field is not `is`"
    );
}

#[test]
fn is_not_holds_on_a_missing_field() {
    let l = list(json!([item(
        json!([{"field": "user.name", "operator": "excluded", "type": "match", "value": "admmig"}])
    )]));
    assert!(!l.matches(&created_by(Some("admmig"), "\\t")));
    assert!(l.matches(&created_by(Some("bob"), "\\t")));
    assert!(
        l.matches(&created_by(None, "\\t")),
        "must_not of a non-match holds"
    );
}

#[test]
fn is_one_of_and_its_negation() {
    let any = json!([{"field": "winlog.event_data.TaskName", "operator": "included", "type": "match_any", "value": ["\\a", "\\b"]}]);
    let l = list(json!([item(any)]));
    assert!(l.matches(&created_by(None, "\\b")));
    assert!(!l.matches(&created_by(None, "\\c")));
    let none = json!([{"field": "winlog.event_data.TaskName", "operator": "excluded", "type": "match_any", "value": ["\\a", "\\b"]}]);
    let l = list(json!([item(none)]));
    assert!(!l.matches(&created_by(None, "\\b")));
    assert!(l.matches(&created_by(None, "\\c")));
}

#[test]
fn matches_is_a_case_sensitive_wildcard() {
    let l = list(json!([item(
        json!([{"field": "winlog.event_data.TaskName", "operator": "included", "type": "wildcard", "value": "\\Microsoft\\\\Windows\\\\*"}])
    )]));
    // The pattern `\Microsoft\\Windows\\*`: `\M` is an escaped M, `\\` a literal backslash.
    assert!(l.matches(&created_by(None, "Microsoft\\Windows\\UpdateOrchestrator")));
    assert!(!l.matches(&created_by(None, "microsoft\\windows\\x")));
    assert!(wildcard_match("*$", "WORKSTATION6$"));
    assert!(!wildcard_match("*$", "admmig"));
    assert!(wildcard_match("a?c*", "abcdef"));
    assert!(!wildcard_match("a?c", "ac"));
    assert!(wildcard_match("*a*b*", "xxaxxbxx"));
    assert!(!wildcard_match("*a*b", "xxaxxbxxc"));
    assert!(wildcard_match("", ""));
    assert!(!wildcard_match("", "x"));
    assert!(wildcard_match("***", ""));
    assert!(wildcard_match("x\\*", "x*"));
    assert!(!wildcard_match("x\\*", "xy"));
    assert!(wildcard_match("é?", "éü"), "characters, not bytes");
}

#[test]
fn exists_and_does_not_exist() {
    let l = list(json!([item(
        json!([{"field": "user.name", "operator": "included", "type": "exists"}])
    )]));
    assert!(l.matches(&created_by(Some("x"), "\\t")));
    assert!(!l.matches(&created_by(None, "\\t")));
    let l = list(json!([item(
        json!([{"field": "user.name", "operator": "excluded", "type": "exists"}])
    )]));
    assert!(!l.matches(&created_by(Some("x"), "\\t")));
    assert!(l.matches(&created_by(None, "\\t")));
    // null and empty arrays are not values in Elasticsearch
    assert!(l.matches(&event(json!({"user": {"name": null}}))));
    assert!(l.matches(&event(json!({"user": {"name": []}}))));
}

#[test]
fn entries_are_anded_and_items_ored() {
    let user_and_task = item(json!([
        {"field": "user.name", "operator": "included", "type": "match", "value": "admmig"},
        {"field": "winlog.event_data.TaskName", "operator": "included", "type": "match", "value": "\\smbservice"},
    ]));
    let other_host = item(
        json!([{"field": "winlog.computer_name", "operator": "included", "type": "match", "value": "OTHER"}]),
    );
    let l = list(json!([user_and_task, other_host]));
    assert!(l.matches(&created_by(Some("admmig"), "\\smbservice")));
    assert!(!l.matches(&created_by(Some("admmig"), "\\other")));
    assert!(!l.matches(&created_by(Some("bob"), "\\smbservice")));
    assert_eq!(
        l.first_match(&created_by(Some("admmig"), "\\smbservice")),
        Some(0)
    );
    let mut other = created_by(Some("bob"), "\\x");
    other
        .source_mut()
        .insert("winlog.computer_name".into(), json!("OTHER"));
    assert_eq!(l.first_match(&other), Some(1));
}

#[test]
fn multi_valued_fields_match_on_any_value() {
    let l = list(json!([item(
        json!([{"field": "event.category", "operator": "included", "type": "match", "value": "configuration"}])
    )]));
    assert!(l.matches(&created_by(None, "\\t")));
    let not = list(json!([item(
        json!([{"field": "event.category", "operator": "excluded", "type": "match", "value": "configuration"}])
    )]));
    assert!(
        !not.matches(&created_by(None, "\\t")),
        "must_not: no value may match"
    );
}

#[test]
fn numbers_and_booleans_compare_as_keywords_would() {
    let l = list(json!([item(
        json!([{"field": "event.code", "operator": "included", "type": "match", "value": "4698"}])
    )]));
    assert!(l.matches(&event(json!({"event": {"code": 4698}}))));
    assert!(l.matches(&event(json!({"event": {"code": "4698"}}))));
    assert!(!l.matches(&event(json!({"event": {"code": "04698"}}))));
    let empty = list(json!([item(
        json!([{"field": "event.code", "operator": "included", "type": "match", "value": ""}])
    )]));
    assert!(!empty.matches(&event(json!({"event": {"code": 0}}))));
    let b = list(json!([item(
        json!([{"field": "ok", "operator": "included", "type": "match", "value": "true"}])
    )]));
    assert!(b.matches(&event(json!({"ok": true}))));
}

#[test]
fn reads_kibana_ndjson_export_with_header_and_summary() {
    let text = [
        json!({"list_id": "my-list", "type": "detection", "name": "Rule exceptions", "namespace_type": "single"}),
        json!({"list_id": "my-list", "item_id": "a", "name": "admin", "type": "simple", "os_types": [], "entries": [{"field": "user.name", "operator": "included", "type": "match", "value": "admmig"}]}),
        json!({"exported_exception_list_count": 1, "exported_exception_list_item_count": 1, "missing_exception_list_item_count": 0}),
    ]
    .iter()
    .map(Value::to_string)
    .collect::<Vec<_>>()
    .join("\n");
    let l = ExceptionList::from_json(&text).expect("export reads");
    assert_eq!(l.items().len(), 1);
    assert_eq!(l.items()[0].name, "admin");
    assert_eq!(l.items()[0].item_id.as_deref(), Some("a"));
    assert!(ExceptionList::from_json("  ").expect("empty").is_empty());
    let single = item(json!([{"field": "f", "operator": "included", "type": "exists"}]));
    assert_eq!(
        ExceptionList::from_json(&single.to_string())
            .expect("one")
            .items()
            .len(),
        1
    );
}

#[test]
fn errors_name_the_item_and_entry() {
    let bad = |v: Value| {
        ExceptionList::from_json(&v.to_string())
            .expect_err("rejected")
            .to_string()
    };
    let ok = json!({"field": "f", "operator": "included", "type": "exists"});
    assert_eq!(
        bad(json!([item(json!([ok, {"field": "f", "operator": "included", "type": "list", "list": {"id": "x", "type": "ip"}}]))])),
        "exception item 1, entry 2: value-list entries (`is in list`) are not supported: Kibana does not apply them to EQL rules either"
    );
    assert_eq!(
        bad(json!([
            item(json!([ok])),
            item(json!([{"field": "f", "operator": "is", "type": "match", "value": "x"}]))
        ])),
        "exception item 2, entry 1: `operator` must be \"included\" or \"excluded\", not \"is\""
    );
    assert_eq!(
        bad(json!([item(
            json!([{"field": "f", "operator": "included", "type": "match", "value": 3}])
        )])),
        "exception item 1, entry 1: `value` of `f` must be a string"
    );
    assert_eq!(
        bad(json!([item(
            json!([{"field": "f", "operator": "included", "type": "match_any", "value": []}])
        )])),
        "exception item 1, entry 1: `value` of `match_any` must be a non-empty array of strings"
    );
    assert_eq!(
        bad(json!([item(
            json!([{"field": "p", "type": "nested", "entries": []}])
        )])),
        "exception item 1, entry 1: `nested` entries are not supported (they need a nested mapping); use dotted fields"
    );
    assert_eq!(
        bad(json!([item(json!([{"field": "f", "operator": "included", "type": "regex", "value": "x"}]))])),
        "exception item 1, entry 1: unknown entry `type` \"regex\": expected match, match_any, wildcard or exists"
    );
    assert_eq!(
        bad(json!([{"name": "x"}])),
        "exception item 1: missing `entries` array"
    );
    assert_eq!(
        bad(json!([item(json!([]))])),
        "exception item 1: `entries` is empty"
    );
    assert_eq!(
        bad(json!([1])),
        "exception item 1: an exception item must be a JSON object"
    );
    assert!(ExceptionList::from_json("{nope")
        .expect_err("not json")
        .to_string()
        .starts_with("not JSON"));
}

#[test]
fn items_read_back_as_kibana_json_and_read_in_words() {
    let text = json!([
        {"item_id": "a1", "name": "svc", "description": "why", "type": "simple", "entries": [
            {"field": "user.name", "operator": "excluded", "type": "match", "value": "x"},
            {"field": "host.name", "operator": "included", "type": "match_any", "value": ["h1", "h2"]},
        ]},
        {"entries": [
            {"field": "p", "operator": "included", "type": "wildcard", "value": "C:\\*"},
            {"field": "q", "operator": "excluded", "type": "exists"},
        ]},
    ])
    .to_string();
    let list = ExceptionList::from_json(&text).expect("reads");
    let words: Vec<String> = list.items().iter().map(ToString::to_string).collect();
    assert_eq!(
        words,
        [
            r#"user.name is not "x" AND host.name is one of "h1", "h2""#,
            r#"p matches "C:\\*" AND q does not exist"#,
        ]
    );
    let back: Vec<Value> = list.items().iter().map(|i| i.to_kibana()).collect();
    assert_eq!(back[0]["item_id"], "a1");
    assert_eq!(back[0]["description"], "why");
    assert_eq!(
        back[1]["entries"][1],
        json!({"field": "q", "operator": "excluded", "type": "exists"})
    );
    // What is written back reads as the same list.
    let again = ExceptionList::from_values(&back).expect("reads back");
    assert_eq!(again, list);
}
