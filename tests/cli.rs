//! `eqlite run`: input from stdin and files, built-in rule, `--query`, `--rule`, exit codes.

use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn eqlite(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_eqlite"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(mut input) = child.stdin.take() {
        input
            .write_all(stdin.as_bytes())
            .expect("stdin accepts input");
    }
    child.wait_with_output().expect("the binary finishes")
}

fn lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("every stdout line is JSON"))
        .collect()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn task_event(ts: &str, action: &str, user: &str) -> String {
    json!({
        "@timestamp": ts,
        "event": {"category": ["iam"], "action": action},
        "host": {"os": {"type": "windows"}},
        "user": {"name": user},
        "winlog": {"computer_name": "WS1", "event_data": {"TaskName": "\\evil"}},
    })
    .to_string()
}

fn pair() -> String {
    format!(
        "{}\n{}\n",
        task_event("2024-05-01T08:00:00Z", "scheduled-task-created", "bob"),
        task_event("2024-05-01T08:01:00Z", "scheduled-task-deleted", "bob")
    )
}

/// A scratch file under the target directory (tests never write outside the build tree).
fn scratch(name: &str, contents: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn builtin_rule_over_stdin() {
    let out = eqlite(&["run"], &pair());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let results = lines(&out);
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["join_keys"], json!(["WS1", "\\evil"]));
    assert_eq!(
        results[0]["events"][0]["_provenance"],
        json!({"file": "stdin", "line": 1, "offset": 0})
    );
    assert_eq!(
        results[0]["events"][1]["_source"]["event"]["action"],
        json!("scheduled-task-deleted")
    );
}

#[test]
fn no_match_is_success() {
    let input = task_event("2024-05-01T08:00:00Z", "scheduled-task-created", "bob");
    let out = eqlite(&["run", "-"], &input);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
}

#[test]
fn files_and_event_queries() {
    let a = scratch("a.ndjson", &pair());
    let out = eqlite(
        &[
            "run",
            "--query",
            "iam where user.name == \"bob\"",
            a.to_str().unwrap(),
            a.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let results = lines(&out);
    assert_eq!(results.len(), 4);
    assert!(results[0].get("join_keys").is_none());
    assert_eq!(
        results[0]["events"][0]["_provenance"]["file"],
        json!(a.to_str().unwrap())
    );
    let head = eqlite(
        &[
            "run",
            "--query",
            "iam where true",
            "--size",
            "1",
            "--result-position",
            "head",
            "-",
        ],
        &pair(),
    );
    assert_eq!(
        lines(&head)[0]["events"][0]["_provenance"]["line"],
        json!(1)
    );
    let tail = eqlite(
        &["run", "--query", "iam where true", "--size", "1", "-"],
        &pair(),
    );
    assert_eq!(
        lines(&tail)[0]["events"][0]["_provenance"]["line"],
        json!(2)
    );
}

#[test]
fn rule_files() {
    let rule = scratch(
        "rule.toml",
        "[rule]\nname = \"bob\"\nlanguage = \"eql\"\nseverity = \"low\"\nrisk_score = 21\n\
         query = '''\nsequence by user.name [iam where true] [iam where true]\n'''\n",
    );
    let out = eqlite(&["run", "--rule", rule.to_str().unwrap()], &pair());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(lines(&out)[0]["join_keys"], json!(["bob"]));
    let kql = scratch(
        "kql.toml",
        "[rule]\nlanguage = \"kuery\"\nquery = \"a:b\"\n",
    );
    let out = eqlite(&["run", "--rule", kql.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("only EQL"), "{}", stderr(&out));
}

#[test]
fn bad_query_exits_2_with_a_caret() {
    let out = eqlite(&["run", "--query", "process where"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains('^'), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let out = eqlite(&["run", "--reorder-window", "soon"], "");
    assert_eq!(out.status.code(), Some(2));
    let out = eqlite(&["run", "--no-such-flag"], "");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn unreadable_input_exits_1_but_keeps_the_rest() {
    let out = eqlite(&["run", "/nonexistent/eqlite-test.ndjson", "-"], &pair());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("/nonexistent/eqlite-test.ndjson"),
        "{}",
        stderr(&out)
    );
    assert_eq!(lines(&out).len(), 1);

    let broken = format!("{{not json\n{}", pair());
    let out = eqlite(&["run"], &broken);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("stdin:1"), "{}", stderr(&out));
    assert_eq!(lines(&out).len(), 1);
}

#[test]
fn events_without_timestamps_are_reported() {
    let input = format!("{}\n{}", json!({"event": {"category": "iam"}}), pair());
    let out = eqlite(&["run"], &input);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("1 event(s) skipped"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("stdin:1"), "{}", stderr(&out));
}

#[test]
fn reorder_window_option() {
    // The delete comes first in the file; a later create moves time 10 minutes on; then the
    // create that belongs to the delete arrives.
    let input = format!(
        "{}\n{}\n{}\n",
        task_event("2024-05-01T08:01:00Z", "scheduled-task-deleted", "bob"),
        task_event("2024-05-01T08:11:00Z", "scheduled-task-created", "bob"),
        task_event("2024-05-01T08:00:00Z", "scheduled-task-created", "bob"),
    );
    let default = eqlite(&["run"], &input);
    assert_eq!(lines(&default).len(), 0);
    assert!(
        stderr(&default).contains("1 event(s) arrived too far out of order"),
        "{}",
        stderr(&default)
    );
    assert!(
        stderr(&default).contains("stdin:3: 660000 ms behind"),
        "{}",
        stderr(&default)
    );
    let exact = eqlite(&["run", "--reorder-window", "none"], &input);
    assert_eq!(lines(&exact).len(), 1, "{}", stderr(&exact));
    let wide = eqlite(&["run", "--reorder-window", "700000"], &input);
    assert_eq!(lines(&wide).len(), 1, "{}", stderr(&wide));
}
