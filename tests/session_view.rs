//! The engine's view of a result (`Session::view`), which the CLI table, the page's table,
//! details and timeline all show: the cells, epoch times from the engine's own timestamp parser,
//! the distinct users and each event's first facts.

use eqlite::session::{Session, SessionOptions};

fn run(input: &str) -> Vec<eqlite::session::MatchView> {
    let mut session = Session::new(SessionOptions::default()).expect("built-in rule");
    let mut out = Vec::new();
    session.start_file("t.ndjson", &mut out).expect("start");
    session.push(input.as_bytes(), &mut out).expect("push");
    session.finish(&mut out).expect("finish");
    out.iter().map(|m| session.view(m)).collect()
}

fn event(ts: &str, action: &str, user: &str) -> String {
    format!(
        r#"{{"@timestamp": {ts}, "event": {{"action": "{action}", "category": ["iam"], "code": "4698"}}, "user": {{"name": "{user}", "domain": "CORP"}}, "winlog": {{"computer_name": "WS1", "record_id": 7, "event_data": {{"TaskName": "\\t1", "SubjectLogonId": "0x3e7"}}}}}}"#
    )
}

#[test]
fn epoch_number_timestamps_give_epoch_ms_and_users_are_listed_once_each() {
    // Epoch milliseconds as JSON numbers: `Date.parse` in a page would misread them; the view
    // carries the engine's reading.
    let input = [
        event("1700000000000", "scheduled-task-created", "alice"),
        event("1700000041500", "scheduled-task-deleted", "bob"),
    ]
    .join("\n");
    let views = run(&input);
    assert_eq!(views.len(), 1, "{views:?}");
    let v = &views[0];
    assert_eq!(v.created_ms, Some(1_700_000_000_000));
    assert_eq!(v.deleted_ms, Some(1_700_000_041_500));
    assert_eq!(v.gap_ms, Some(41_500));
    assert_eq!(v.users, ["alice", "bob"]);
    assert_eq!(v.user, "alice -> bob");
    assert_eq!(v.locations, ["t.ndjson:1", "t.ndjson:2"]);
    let first = &v.events[0];
    assert!(!first.missing);
    assert_eq!(first.location, "t.ndjson:1");
    assert_eq!(first.timestamp.as_deref(), Some("1700000000000"));
    assert_eq!(first.action.as_deref(), Some("scheduled-task-created"));
    assert_eq!(first.code.as_deref(), Some("4698"));
    assert_eq!(first.host.as_deref(), Some("WS1"));
    assert_eq!(first.user.as_deref(), Some("CORP\\alice"));
    assert_eq!(first.logon_id.as_deref(), Some("0x3e7"));
    assert_eq!(first.record_id.as_deref(), Some("7"));
    assert_eq!(v.events[1].user.as_deref(), Some("CORP\\bob"));
}

#[test]
fn iso_timestamps_agree_with_the_gap() {
    let input = [
        event(
            r#""2024-03-01T10:00:00.250Z""#,
            "scheduled-task-created",
            "alice",
        ),
        event(
            r#""2024-03-01T10:04:59.999+00:00""#,
            "scheduled-task-deleted",
            "alice",
        ),
    ]
    .join("\n");
    let views = run(&input);
    let v = &views[0];
    assert_eq!(v.users, ["alice"]);
    let (Some(c), Some(d)) = (v.created_ms, v.deleted_ms) else {
        panic!("times parse: {v:?}")
    };
    assert_eq!(Some(d - c), v.gap_ms);
    assert_eq!(v.gap, "4 min 59.749 s");
    assert!(
        v.scheduled_task.is_none(),
        "no TaskContent, no decoded task"
    );
}
