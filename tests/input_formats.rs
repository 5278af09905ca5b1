//! One test per export format (Elastic, Windows-native and DFIR-tool exports), on fixtures written
//! by the project (tests/data/input/<format>/): the detected format, the normalised rule fields,
//! and the error report of the malformed variant.

use crate::input_support::*;
use eqlite::input::Format;
use serde_json::json;

#[test]
fn kibana_discover_csv() {
    let (events, s) = read(&data("kibana-csv/discover-report.csv"), "report.csv");
    assert_eq!(s.format, Some(Format::KibanaCsv));
    assert_eq!((events.len(), s.error_count), (3, 0), "{:?}", s.errors);
    let task = "\\OneDrive Startup Task-S-1-5-21-3333583805-2625453883-3--83901-1003";
    assert_eq!(
        rule_fields(&events[0]),
        json!({"@timestamp": "2025-06-25T10:02:51.123Z", "event.action": "scheduled-task-created",
               "event.category": ["iam", "configuration"], "user.name": "Administrator",
               "winlog.computer_name": "WIN-SVR-2019-ST", "winlog.event_data.TaskName": task})
    );
    // Thousands separators removed from numbers; the multi-line quoted TaskContent cell is read
    // whole, and a `'-` inside it is kept (only `'` + formula character at the start of a cell is
    // Kibana's escape). ECS rows are taken as they are: no fields are derived.
    assert_eq!(field(&events[0], "winlog.record_id"), json!(51234));
    let content = field(&events[0], "winlog.event_data.TaskContent");
    let content = content.as_str().unwrap_or_default();
    assert!(
        content.starts_with("<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<Task"),
        "{content}"
    );
    assert!(content.contains("<Arguments>'-https://ms-onedrive"));
    assert_eq!(
        field(&events[0], "winlog.scheduled_task.actions.command"),
        json!(null)
    );
    // `'-` and `-` are missing values; a comma inside a task name is not an array separator.
    assert_eq!(
        field(&events[1], "winlog.event_data.TaskContent"),
        json!(null)
    );
    assert_eq!(field(&events[2], "user.name"), json!(null));
    assert_eq!(
        field(&events[2], "winlog.event_data.TaskName"),
        json!("\\Task, with comma")
    );
    assert_eq!(events[1].provenance().line, Some(11));
    assert_eq!(
        s.notes,
        vec!["Kibana CSV dates carry no time zone; read as UTC (time_zone option)"]
    );

    // The time-zone option moves zone-less dates, and is stated.
    let opts = eqlite::ReaderOptions {
        time_zone: "+02:00".into(),
        ..Default::default()
    };
    let (events, s) = eqlite::input::read_all(&data("kibana-csv/discover-report.csv"), opts);
    assert_eq!(
        field(&events[0], "@timestamp"),
        json!("2025-06-25T08:02:51.123Z")
    );
    assert!(s.notes[0].contains("read as +02:00"));
    let opts = eqlite::ReaderOptions {
        time_zone: "Mars/Olympus".into(),
        ..Default::default()
    };
    let (_, s) = eqlite::input::read_all(&data("kibana-csv/discover-report.csv"), opts);
    assert!(s.errors[0]
        .reason
        .starts_with("time zone \"Mars/Olympus\" is not supported"));
}

#[test]
fn kibana_csv_source_column() {
    let csv = "\"@timestamp\",\"_id\",\"_source\"\n\"Jan 1, 2020 @ 04:00:00.000\",a1,\"{\"\"event\"\":{\"\"action\"\":\"\"scheduled-task-created\"\"},\"\"user\"\":{\"\"name\"\":\"\"bob\"\"}}\"\n";
    let (events, s) = read(csv.as_bytes(), "src.csv");
    assert_eq!((s.format, s.error_count), (Some(Format::KibanaCsv), 0));
    assert_eq!(
        field(&events[0], "event.action"),
        json!("scheduled-task-created")
    );
    assert_eq!(field(&events[0], "user.name"), json!("bob"));
    assert_eq!(
        field(&events[0], "@timestamp"),
        json!("2020-01-01T04:00:00.000Z")
    );
}

#[test]
fn kibana_csv_malformed_semicolons_and_event_codes() {
    let (events, s) = read(&data("kibana-csv/discover-report-malformed.csv"), "bad.csv");
    assert_eq!(s.format, Some(Format::KibanaCsv));
    // `;` separator sniffed; `event.action` derived from `event.code` as the pipeline would.
    assert_eq!(
        task_events(&events),
        vec![
            created("WIN-SVR-2019-ST", "\\Updater", "Administrator"),
            deleted("WIN-SVR-2019-ST", "\\Updater", "Administrator"),
        ]
    );
    assert_eq!(error_lines(&s), vec![
        "bad.csv:3: CSV row has 3 cells but the header has 5 columns",
        "bad.csv:4: unreadable @timestamp \"Juni 25, 2025 um 10:03\" (expected Kibana's \"MMM D, YYYY @ HH:mm:ss.SSS\" or ISO-8601)",
    ]);
    assert_eq!(events[1].provenance().record, Some(4));
}

#[test]
fn event_viewer_csv_and_txt_are_explained() {
    let (events, s) = read(&data("kibana-csv/eventviewer-export.csv"), "ev.csv");
    assert!(events.is_empty());
    assert!(
        s.errors[0]
            .reason
            .starts_with("this is an Event Viewer CSV export"),
        "{:?}",
        s.errors
    );
    let (events, s) = read(&data("unusable/eventviewer.txt"), "ev.txt");
    assert!(events.is_empty());
    assert!(s.errors[0]
        .reason
        .starts_with("this is an Event Viewer text (.txt) export"));
}

#[test]
fn winlogbeat_raw_output() {
    let (events, s) = read(&data("winlogbeat-raw/winlogbeat-8.ndjson"), "wlb.ndjson");
    assert_eq!(s.format, Some(Format::WinlogbeatRaw));
    assert_eq!(s.error_count, 0);
    assert_eq!(
        task_events(&events),
        vec![
            created("fs02.offsec.lan", "\\smbservice", "admmig"),
            deleted("fs02.offsec.lan", "\\smbservice", "admmig"),
        ]
    );
    assert_eq!(
        field(&events[0], "event.type"),
        json!(["creation", "admin"])
    );
    assert_eq!(
        field(&events[0], "user.id"),
        json!("S-1-5-21-4230534742-2542757381-3142984815-1111")
    );
    assert_eq!(
        field(&events[0], "winlog.scheduled_task.actions.arguments"),
        json!("/C whoami")
    );
    // A code outside the scheduled-task family keeps the beat's own fields.
    assert_eq!(field(&events[2], "event.action"), json!("Process Creation"));
    assert_eq!(field(&events[2], "event.category"), json!(null));

    let (events, s) = read(
        &data("winlogbeat-raw/winlogbeat-8-malformed.ndjson"),
        "bad.ndjson",
    );
    assert_eq!(events.len(), 2);
    assert_eq!(s.error_count, 1);
    assert!(error_lines(&s)[0].starts_with("bad.ndjson:2: invalid JSON (EOF while parsing"));
    // Unreadable TaskContent is not an error: the task keeps its name only.
    assert_eq!(
        field(&events[0], "winlog.scheduled_task.name"),
        json!("\\smbservice")
    );
    assert_eq!(
        field(&events[0], "winlog.scheduled_task.actions.command"),
        json!(null)
    );
    // A numeric `winlog.event_id` without `event.code` still maps.
    assert_eq!(
        field(&events[1], "event.action"),
        json!("scheduled-task-deleted")
    );
    assert_eq!(field(&events[1], "event.code"), json!("4699"));
}

#[test]
fn windows_xml_wevtutil_fragments() {
    let (events, s) = read(&data("windows-xml/wevtutil-fragments.xml"), "q.xml");
    assert_eq!(s.format, Some(Format::WindowsXml));
    assert_eq!(s.error_count, 0);
    assert_eq!(
        task_events(&events),
        vec![
            created("DC01.contoso.local", "\\Microsoft\\StartListener", "dadmin"),
            deleted("DC01.contoso.local", "\\Microsoft\\StartListener", "dadmin"),
        ]
    );
    // Nine fraction digits kept; single-quoted attributes; escaped TaskContent parsed.
    assert_eq!(
        field(&events[0], "@timestamp"),
        json!("2015-09-23T02:03:06.944522200Z")
    );
    assert_eq!(field(&events[0], "winlog.record_id"), json!("344740"));
    assert_eq!(field(&events[0], "winlog.process.pid"), json!(516));
    assert_eq!(
        field(&events[0], "winlog.scheduled_task.actions.arguments"),
        json!("-port 4444 & exit")
    );
    assert_eq!(
        field(&events[0], "winlog.scheduled_task.principals.run_level"),
        json!("HighestAvailable")
    );
    assert_eq!(
        field(&events[0], "winlog.scheduled_task.triggers.type"),
        json!("logon")
    );
    // An empty TaskContent element leaves the key out, as Winlogbeat does.
    assert!(!events[1].has_field("winlog.event_data.TaskContent"));
    // Streamed in tiny pieces: same result.
    let (chunked, s2) = read_chunked(&data("windows-xml/wevtutil-fragments.xml"), "q.xml", 5);
    assert_eq!((chunked, s2.error_count), (events, 0));
}

/// Forwarded events (the ForwardedEvents log read through wevtutil `/rd:true`, or Event
/// Viewer on a collector) carry `RenderingInfo`: its Message becomes `message`, as in
/// Winlogbeat, and the rest of the event reads as usual, so the rule still finds the pair. The
/// file has no .xml extension: content decides.
#[test]
fn windows_xml_forwarded_events_with_rendering_info() {
    let (events, s) = read(
        &data("windows-xml/forwarded-events-rd.xml"),
        "collector-export.log",
    );
    assert_eq!(s.format, Some(Format::WindowsXml));
    assert_eq!(s.error_count, 0, "{:?}", s.errors);
    assert_eq!(
        task_events(&events),
        vec![
            created("WKS-22.corp.example", "\\Updater", "mallory"),
            deleted("WKS-22.corp.example", "\\Updater", "mallory"),
        ]
    );
    let message = field(&events[0], "message");
    assert!(
        message.as_str().is_some_and(
            |m| m.starts_with("A scheduled task was created.") && m.contains("mallory")
        ),
        "{message}"
    );
    assert!(!events[0].has_field("RenderingInfo"));

    // The same through the evtx crate's JSON (evtx_dump of a ForwardedEvents .evtx).
    let line = r##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},"EventID":4698,"TimeCreated":{"#attributes":{"SystemTime":"2026-11-30T10:00:01.000000Z"}},"EventRecordID":7,"Channel":"Security","Computer":"WKS-22.corp.example"},"EventData":{"SubjectUserName":"mallory","TaskName":"\\Updater"},"RenderingInfo":{"#attributes":{"Culture":"en-US"},"Message":"A scheduled task was created.","Level":"Information"}}}"##;
    let (events, s) = read(format!("{line}\n").as_bytes(), "forwarded.jsonl");
    assert_eq!(s.error_count, 0, "{:?}", s.errors);
    assert_eq!(
        field(&events[0], "message"),
        json!("A scheduled task was created.")
    );
    assert_eq!(field(&events[0], "winlog.channel"), json!("Security"));
}

#[test]
fn windows_xml_event_viewer_utf16_and_splunk() {
    let (events, s) = read(&data("windows-xml/eventviewer-utf16le.xml"), "ev.xml");
    assert_eq!(s.format, Some(Format::WindowsXml));
    assert_eq!(s.error_count, 0);
    assert_eq!(
        task_events(&events),
        vec![
            created("WKS-07.corp.example", "\\Überprüfung", "jsmith"),
            deleted("WKS-07.corp.example", "\\Überprüfung", "jsmith"),
        ]
    );
    assert_eq!(
        field(&events[0], "winlog.event_data.FQDN"),
        json!("WKS-07.corp.example")
    );
    let (chunked, _) = read_chunked(&data("windows-xml/eventviewer-utf16le.xml"), "ev.xml", 3);
    assert_eq!(chunked, events);

    let (events, s) = read(
        &data("windows-xml/splunk-xmlwineventlog.json"),
        "splunk.json",
    );
    assert_eq!(s.format, Some(Format::SplunkWinEventLog));
    assert_eq!(
        task_events(&events),
        vec![created(
            "SRV-DB-02.corp.example",
            "\\GoogleUpdateTaskMachine",
            "svc_deploy"
        )]
    );
}

#[test]
fn windows_xml_malformed() {
    let (events, s) = read(&data("windows-xml/wevtutil-malformed.xml"), "bad.xml");
    assert_eq!(events.len(), 2);
    assert_eq!(error_lines(&s), vec![
        "bad.xml:2: XML error at byte 379: ill-formed document: expected `</Event>`, but `</Evnt>` was found",
        "bad.xml:3: <Event> has no <System>",
        "bad.xml:5: XML ends inside an event (truncated?): \"<Event xmlns=\\\"http://schemas.microsoft.c\"",
    ]);
    assert_eq!(events[1].provenance().record, Some(4));
}

#[test]
fn evtx_dump_json_and_jsonl() {
    let (events, s) = read(&data("evtx-dump/evtx_dump.json"), "dump.json");
    assert_eq!(s.format, Some(Format::EvtxDumpJson));
    assert_eq!(s.error_count, 0);
    assert_eq!(
        task_events(&events),
        vec![
            created("fs02.offsec.lan", "\\smbservice", "admmig"),
            deleted("fs02.offsec.lan", "\\smbservice", "admmig"),
        ]
    );
    assert_eq!(
        field(&events[0], "@timestamp"),
        json!("2020-07-11T21:38:17.351448Z")
    );
    assert_eq!(
        field(&events[0], "winlog.provider_guid"),
        json!("{54849625-5478-4994-A5BA-3E3B0328C30D}")
    );
    assert_eq!(
        field(&events[0], "winlog.scheduled_task.actions.arguments"),
        json!("/C whoami > C:\\Windows\\Temp\\out.txt")
    );
    // `Record N` lines give the record number.
    assert_eq!(events[1].provenance().record, Some(1230359));
    assert_eq!(events[1].provenance().line, Some(48));

    let (events, s) = read(&data("evtx-dump/evtx_dump-malformed.jsonl"), "bad.jsonl");
    assert_eq!(s.format, Some(Format::EvtxDumpJson));
    assert_eq!(events.len(), 2);
    // `EventID` with Qualifiers (`{"#attributes":…, "#text": 4698}`) still maps.
    assert_eq!(field(&events[0], "event.code"), json!("4698"));
    let errs = error_lines(&s);
    assert_eq!(
        errs[0],
        "bad.jsonl:2: evtx JSON record has no System.EventID"
    );
    assert!(errs[1].starts_with("bad.jsonl:3: invalid JSON"));
}

#[test]
fn chainsaw_search_and_hunt() {
    let (events, s) = read(&data("chainsaw/search.jsonl"), "search.jsonl");
    assert_eq!(s.format, Some(Format::Chainsaw));
    assert_eq!(
        task_events(&events),
        vec![created(
            "fs01.offsec.lan",
            "\\Microsoft\\SynchronizeTimeZone",
            "admmig"
        )]
    );
    assert_eq!(field(&events[0], "winlog.process.pid"), json!(556));
    assert_eq!(
        field(&events[0], "winlog.scheduled_task.actions.command"),
        json!("C:\\ProgramData\\SynchronizeTimeZone.exe")
    );

    let (events, s) = read(&data("chainsaw/hunt.json"), "hunt.json");
    assert_eq!(s.format, Some(Format::Chainsaw));
    let task = "\\Microsoft\\SynchronizeTimeZone";
    assert_eq!(
        task_events(&events),
        vec![
            created("fs01.offsec.lan", task, "admmig"),
            deleted("fs01.offsec.lan", task, "admmig")
        ]
    );
    // The aggregate detection also has a document without a System block: that one is reported,
    // the good one beside it kept.
    assert_eq!(
        error_lines(&s),
        vec!["hunt.json:3: evtx JSON record has no Event.System"]
    );
}

#[test]
fn hayabusa_jsonl_and_csv() {
    let (events, s) = read(&data("hayabusa/timeline.jsonl"), "h.jsonl");
    assert_eq!(s.format, Some(Format::Hayabusa));
    assert_eq!(
        task_events(&events),
        vec![
            created("srvdefender01.offsec.lan", "\\eviltask", "admmig"),
            deleted("srvdefender01.offsec.lan", "\\eviltask", "admmig"),
        ]
    );
    // Local time with offset -> UTC.
    assert_eq!(
        field(&events[0], "@timestamp"),
        json!("2021-04-21T13:30:00.589Z")
    );
    assert_eq!(field(&events[0], "winlog.channel"), json!("Security"));
    assert_eq!(field(&events[0], "winlog.logon.id"), json!("0x6fc89e"));
    assert_eq!(
        field(&events[0], "winlog.scheduled_task.actions.arguments"),
        json!("-nop -w hidden -enc SQBFAFgA")
    );
    assert_eq!(
        error_lines(&s),
        vec!["h.jsonl:3: unreadable Hayabusa Timestamp \"yesterday\""]
    );

    let (events, s) = read(&data("hayabusa/timeline.csv"), "h.csv");
    assert_eq!(s.format, Some(Format::Hayabusa));
    assert_eq!(
        task_events(&events),
        vec![
            created("srvdefender01.offsec.lan", "\\eviltask", "admmig"),
            deleted("srvdefender01.offsec.lan", "\\eviltask", "admmig"),
        ]
    );
    // ` ¦ ` inside TaskContent is kept in the content, not taken as a new Details item.
    assert_eq!(
        field(&events[0], "winlog.scheduled_task.actions.arguments"),
        json!("/c echo a: b ¦ c")
    );
    assert_eq!(field(&events[0], "user.domain"), json!("OFFSEC"));
    assert_eq!(
        error_lines(&s),
        vec!["h.csv:4: CSV row has 5 cells but the header has 10 columns"]
    );
}

#[test]
fn evtxecmd_csv_and_json() {
    let (events, s) = read(&data("evtxecmd/kape-security.csv"), "kape.csv");
    assert_eq!(s.format, Some(Format::EvtxECmdCsv));
    assert_eq!(s.error_count, 0);
    let pair = vec![
        created("fs02.offsec.lan", "\\smbservice", "admmig"),
        deleted("fs02.offsec.lan", "\\smbservice", "admmig"),
    ];
    assert_eq!(task_events(&events), pair);
    // Zone-less UTC `TimeCreated`; the Payload is the source; without it, PayloadData1/UserName.
    assert_eq!(
        field(&events[0], "@timestamp"),
        json!("2020-07-11T21:38:17.3514486Z")
    );
    assert_eq!(
        field(&events[0], "winlog.scheduled_task.actions.command"),
        json!("cmd.exe")
    );
    assert_eq!(field(&events[1], "user.domain"), json!("OFFSEC"));
    assert_eq!(field(&events[0], "event.outcome"), json!("success"));
    assert_eq!(events[1].provenance().line, Some(3));

    let (events, s) = read(&data("evtxecmd/kape-security.json"), "kape.json");
    assert_eq!(s.format, Some(Format::EvtxECmdJson));
    assert_eq!(task_events(&events), pair);
    assert_eq!(
        field(&events[1], "@timestamp"),
        json!("2020-07-11T21:38:17.4452024Z")
    );

    let (events, s) = read(&data("evtxecmd/kape-security-malformed.csv"), "bad.csv");
    assert_eq!(
        task_events(&events),
        vec![deleted("fs02.offsec.lan", "\\smbservice", "admmig")]
    );
    assert_eq!(
        error_lines(&s),
        vec![
            "bad.csv:2: unreadable EvtxECmd TimeCreated \"11.07.2020 21:38\"",
            "bad.csv:4: CSV row has 4 cells but the header has 25 columns",
        ]
    );
}
