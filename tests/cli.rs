//! `eqlite run`: input from stdin and files, built-in rule, `--query`, `--rule`, exit codes.

use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
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
    // No flags: batch mode, the exact answer whatever the order.
    let default = eqlite(&["run"], &input);
    assert_eq!(lines(&default).len(), 1, "{}", stderr(&default));
    assert_eq!(stderr(&default), "");
    // Stream mode with a 2-minute window: the create arrives 11 minutes late.
    let stream = eqlite(&["run", "--reorder-window", "120000"], &input);
    assert_eq!(lines(&stream).len(), 0);
    assert!(
        stderr(&stream).contains("1 event(s) arrived too far out of order"),
        "{}",
        stderr(&stream)
    );
    assert!(
        stderr(&stream).contains("stdin:3: 660000 ms behind"),
        "{}",
        stderr(&stream)
    );
    let exact = eqlite(&["run", "--reorder-window", "none"], &input);
    assert_eq!(lines(&exact).len(), 1, "{}", stderr(&exact));
    let wide = eqlite(&["run", "--reorder-window", "700000"], &input);
    assert_eq!(lines(&wide).len(), 1, "{}", stderr(&wide));
}

// ---- subcommands, output modes, directories, gzip (issue 5) ----

fn data(name: &str) -> String {
    format!("{}/tests/data/cli/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A fresh scratch directory under the system temp dir, removed when the test ends (passed or
/// failed), so `make test` leaves nothing behind.
struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("eqlite-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn table_output_is_pinned() {
    let out = eqlite(&["run", "--output", "table", &data("pair.ndjson")], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "host  task   user  created               deleted               gap\n\
         WS1   \\evil  bob   2024-05-01T08:00:00Z  2024-05-01T08:01:30Z  1 min 30.000 s\n"
    );
}

#[test]
fn csv_output_is_pinned() {
    let out = eqlite(&["run", "--output", "csv", &data("pair.ndjson")], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "host,task,user,created,deleted,gap\r\n\
         WS1,\\evil,bob,2024-05-01T08:00:00Z,2024-05-01T08:01:30Z,1 min 30.000 s\r\n"
    );
}

#[test]
fn alerts_carry_rule_info_and_deterministic_ids() {
    let run = || {
        let out = eqlite(&["run", "--output", "alerts", &data("pair.ndjson")], "");
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        lines(&out)
    };
    let (first, second) = (run(), run());
    // Two building-block alerts and the shell alert of the one sequence.
    assert_eq!(first.len(), 3);
    let ids = |alerts: &[Value]| -> Vec<String> {
        alerts
            .iter()
            .map(|a| a["_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&first), ids(&second));
    let text = first[2].to_string();
    assert!(
        text.contains("temporarily-scheduled-task-creation"),
        "{text}"
    );
    assert!(
        text.contains("Temporarily Scheduled Task Creation"),
        "{text}"
    );
    let adhoc = eqlite(
        &[
            "run",
            "--output",
            "alerts",
            "--query",
            "iam where event.action == \"scheduled-task-created\"",
            &data("pair.ndjson"),
        ],
        "",
    );
    let alerts = lines(&adhoc);
    assert_eq!(alerts.len(), 1, "{}", stderr(&adhoc));
    let text = alerts[0].to_string();
    assert!(
        text.contains("adhoc-query") && text.contains("Ad-hoc query"),
        "{text}"
    );
    // `@timestamp` is the execution time, RFC 3339 UTC.
    let now = alerts[0]["_source"]["@timestamp"].as_str().unwrap();
    assert!(now.ends_with('Z') && now.len() == 24, "{now}");
}

#[test]
fn stats_go_to_stderr() {
    let out = eqlite(&["run", "--stats", &data("pair.ndjson")], "");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(lines(&out).len(), 1);
    let err = stderr(&out);
    assert!(err.contains("events seen: 2"), "{err}");
    assert!(err.contains("stage 2 matched: 1"), "{err}");
    assert!(
        err.contains("format ndjson, 0 unreadable record(s)"),
        "{err}"
    );
}

#[test]
fn check_describes_queries_rules_and_the_builtin_rule() {
    let out = eqlite(&["check", "temporarily-scheduled-task-creation"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for needle in [
        "rule: Temporarily Scheduled Task Creation",
        "kind: sequence",
        "join keys: winlog.computer_name, winlog.event_data.TaskName",
        "maxspan: 300000 ms",
        "stages: 2",
        "required literals: \"iam\", \"scheduled-task-created\"",
        "fields read: @timestamp, event.action,",
    ] {
        assert!(text.contains(needle), "{needle:?} in\n{text}");
    }
    let out = eqlite(&["check", "process where process.name == \"cmd.exe\""], "");
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.contains("kind: event") && text.contains("category process"),
        "{text}"
    );
    assert!(!text.contains("join keys"), "{text}");
    let dir = temp_dir("check");
    let rule = dir.join("r.toml");
    std::fs::write(
        &rule,
        "[rule]\nrule_id = \"r-1\"\nname = \"Mine\"\ndescription = \"d\"\nseverity = \"high\"\n\
         risk_score = 73\nlanguage = \"eql\"\ntype = \"eql\"\nquery = '''\nsequence by host.name \
         with maxspan=1m [process where true] [network where true]\n'''\n",
    )
    .unwrap();
    let out = eqlite(&["check", rule.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("rule: Mine (r-1)") && text.contains("maxspan: 60000 ms"),
        "{text}"
    );
}

#[test]
fn check_bad_query_prints_the_caret_and_exits_2() {
    let out = eqlite(&["check", "process where foo =="], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).is_empty());
    let err = stderr(&out);
    assert!(
        err.contains("process where foo ==\n") && err.contains("^"),
        "{err}"
    );
}

#[test]
fn formats_lists_every_format() {
    let out = eqlite(&["formats"], "");
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    for (format, description) in eqlite::input::Format::all() {
        assert!(
            text.contains(format.as_str()) && text.contains(description),
            "{format}"
        );
    }
}

#[test]
fn help_documents_examples_and_exit_codes() {
    let out = eqlite(&["--help"], "");
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.contains("Examples:") && text.contains("Exit codes:"),
        "{text}"
    );
    assert!(text.contains("2  bad query, rule or options"), "{text}");
    let out = eqlite(&["run", "--output", "xml"], "");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn directories_are_read_recursively_and_gzip_is_recognised() {
    use flate2::{write::GzEncoder, Compression};
    let dir = temp_dir("dirs");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let created = task_event("2024-05-01T08:00:00Z", "scheduled-task-created", "bob");
    let deleted = task_event("2024-05-01T08:01:00Z", "scheduled-task-deleted", "bob");
    std::fs::write(dir.join("a.ndjson"), format!("{created}\n")).unwrap();
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(format!("{deleted}\n").as_bytes()).unwrap();
    std::fs::write(dir.join("sub").join("b.log"), gz.finish().unwrap()).unwrap();
    let out = eqlite(&["run", "--stats", dir.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let results = lines(&out);
    assert_eq!(results.len(), 1, "{}", stderr(&out));
    assert_eq!(results[0]["events"].as_array().unwrap().len(), 2);
    let err = stderr(&out);
    assert!(err.contains("events seen: 2"), "{err}");
}

#[test]
fn mixed_valid_and_invalid_records_and_missing_paths() {
    let dir = temp_dir("mixed");
    let file = dir.join("mixed.ndjson");
    let created = task_event("2024-05-01T08:00:00Z", "scheduled-task-created", "bob");
    let deleted = task_event("2024-05-01T08:01:00Z", "scheduled-task-deleted", "bob");
    std::fs::write(
        &file,
        format!("{created}\n{{\"x\": \"iam scheduled-task-created\" broken\n{deleted}\n"),
    )
    .unwrap();
    let missing = dir.join("no-such-dir");
    let out = eqlite(
        &["run", file.to_str().unwrap(), missing.to_str().unwrap()],
        "",
    );
    // (The broken line holds the rule's literals, so the pre-filter cannot skip it unparsed.)
    // The bad record and the missing path are reported, the rest still matches.
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(lines(&out).len(), 1);
    let err = stderr(&out);
    assert!(err.contains("mixed.ndjson:2"), "{err}");
    assert!(err.contains("no-such-dir"), "{err}");
}

#[test]
fn check_bad_rule_file_exits_2() {
    let dir = temp_dir("badrule");
    let rule = dir.join("bad.toml");
    std::fs::write(&rule, "[rule]\nlanguage = \"kuery\"\nquery = \"x\"\n").unwrap();
    let out = eqlite(&["check", rule.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bad.toml"), "{}", stderr(&out));
}

// ---- the pre-filter keeps every event that can change a result (issue 9) ----

fn action_event(ts: u64, action: &str) -> String {
    json!({"@timestamp": ts, "event": {"category": "process", "action": action}, "host": {"name": "h1"}})
        .to_string()
}

/// Runs `query` over `events` with the pre-filter and the projection on (the defaults), each
/// off, and both off, for both the exact NDJSON reader and format detection; all must agree.
/// Returns the results.
fn prefiltered_and_not(query: &str, events: &[String]) -> Vec<Value> {
    let input = events.join("\n") + "\n";
    let mut answers = Vec::new();
    for format in ["ndjson", "auto"] {
        for extra in [
            &[][..],
            &["--no-prefilter"],
            &["--no-projection"],
            &["--no-prefilter", "--no-projection"],
        ] {
            let mut args = vec!["run", "--query", query, "--format", format];
            args.extend(extra);
            let out = eqlite(&args, &input);
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
            answers.push(lines(&out));
        }
    }
    for other in &answers[1..] {
        assert_eq!(other, &answers[0], "{query}");
    }
    answers.swap_remove(0)
}

#[test]
fn prefilter_keeps_until_events() {
    let query = r#"sequence by host.name [process where event.action == "start"] [process where event.action == "stop"] until [process where event.action == "reboot"]"#;
    let cut = [
        action_event(1000, "start"),
        action_event(2000, "reboot"),
        action_event(3000, "stop"),
    ];
    assert_eq!(prefiltered_and_not(query, &cut), Vec::<Value>::new());
    let whole = [action_event(1000, "start"), action_event(3000, "stop")];
    assert_eq!(prefiltered_and_not(query, &whole).len(), 1);
    // The literals really are used: the until stage contributes its own.
    let out = eqlite(&["check", query], "");
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("until: category process\n     required literals: \"process\", \"reboot\""),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn prefilter_keeps_missing_event_stage_events() {
    let query = r#"sequence by host.name with maxspan=1m [process where event.action == "start"] ![process where event.action == "heartbeat"] [process where event.action == "stop"]"#;
    let interrupted = [
        action_event(1000, "start"),
        action_event(2000, "heartbeat"),
        action_event(3000, "stop"),
    ];
    let missing = [action_event(1000, "start"), action_event(3000, "stop")];
    let with_heartbeat = prefiltered_and_not(query, &interrupted);
    let without = prefiltered_and_not(query, &missing);
    assert_eq!(without.len(), 1, "no heartbeat: the missing stage holds");
    assert_eq!(without[0]["events"][1]["missing"], json!(true));
    assert_eq!(
        with_heartbeat,
        Vec::<Value>::new(),
        "a heartbeat in between cuts it"
    );
}

#[test]
fn check_compiles_a_rule_with_its_field_overrides() {
    let dir = temp_dir("check-overrides");
    let rule = dir.join("rule.toml");
    std::fs::write(
        &rule,
        "[rule]\nrule_id = \"r1\"\nname = \"Overrides\"\nlanguage = \"eql\"\nseverity = \"low\"\n\
         risk_score = 21\ntiebreaker_field = \"event.sequence\"\n\
         event_category_override = \"event.type\"\nquery = '''process where true'''\n",
    )
    .unwrap();
    let out = eqlite(&["check", rule.to_str().unwrap()], "");
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(text.contains("tiebreaker field: event.sequence"), "{text}");
    assert!(
        text.contains("fields read: @timestamp, event.sequence, event.type"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn notes_about_the_builtin_rule_only_when_it_runs() {
    // Sysmon-only data: the note that Sysmon has no scheduled-task event concerns the built-in
    // rule, not a query about processes.
    let sysmon = json!({"@timestamp": "2024-05-01T08:00:00Z", "event": {"code": "1", "category": ["process"], "provider": "Microsoft-Windows-Sysmon"},
        "winlog": {"channel": "Microsoft-Windows-Sysmon/Operational", "provider_name": "Microsoft-Windows-Sysmon", "event_id": "1", "computer_name": "h"}})
    .to_string();
    let builtin = eqlite(&["run"], &sysmon);
    let query = eqlite(&["run", "--query", "process where true"], &sysmon);
    assert_eq!(lines(&query).len(), 1, "{}", stderr(&query));
    assert!(
        !stderr(&query).contains("Sysmon has no scheduled-task event"),
        "{}",
        stderr(&query)
    );
    assert!(
        stderr(&builtin).contains("Sysmon has no scheduled-task event"),
        "{}",
        stderr(&builtin)
    );
    // Not Windows data at all: the note names the rule's export, so only for the rule.
    let other = json!({"@timestamp": 1, "event": {"category": "process"}, "msg": "x"}).to_string();
    let builtin = eqlite(&["run"], &other);
    let query = eqlite(&["run", "--query", "process where true"], &other);
    assert!(
        stderr(&builtin).contains("does not look like Windows event data"),
        "{}",
        stderr(&builtin)
    );
    assert_eq!(stderr(&query), "");
}
