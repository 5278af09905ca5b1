//! One test per SIEM / EDR export format (Sentinel, Defender, Splunk, NXLog), the unusable inputs
//! that are explained instead of guessed, and mixed / compressed inputs: detected format,
//! normalised rule fields, error reports.

use crate::input_support::*;
use eqlite::input::Format;
use serde_json::json;

#[test]
fn sentinel_securityevent_windowsevent_and_portal_csv() {
    let (events, s) = read(&data("sentinel/securityevent.json"), "se.json");
    assert_eq!(s.format, Some(Format::Sentinel));
    assert_eq!(
        task_events(&events),
        vec![
            created("WKS-07.corp.example", "\\Updater", "jsmith"),
            deleted("WKS-07.corp.example", "\\Updater", "jsmith"),
            created(
                "DC01.corp.example",
                "\\Microsoft\\Windows\\Defrag\\ScheduledDefrag",
                "DC01$"
            ),
        ]
    );
    assert_eq!(
        field(&events[0], "winlog.scheduled_task.actions.command"),
        json!("rundll32.exe")
    );
    assert_eq!(
        error_lines(&s),
        vec!["se.json:4: EventData XML: XML ends inside <EventData>"]
    );

    let (events, s) = read(&data("sentinel/portal-export.csv"), "portal.csv");
    assert_eq!(s.format, Some(Format::Sentinel));
    assert_eq!(
        task_events(&events),
        vec![
            created("WKS-07.corp.example", "\\Updater", "jsmith"),
            deleted("WKS-07.corp.example", "\\Updater", "jsmith"),
        ]
    );
    assert_eq!(
        field(&events[0], "@timestamp"),
        json!("2022-03-31T10:51:35.857Z")
    );
    assert_eq!(s.error_count, 1);
    assert!(
        s.errors[0]
            .reason
            .starts_with("TimeGenerated \"31.03.2022 10:53\""),
        "{:?}",
        s.errors
    );
}

#[test]
fn defender_device_events() {
    let (events, s) = read(&data("mde/deviceevents.csv"), "mde.csv");
    assert_eq!(s.format, Some(Format::DefenderDeviceEvents));
    assert_eq!(
        task_events(&events),
        vec![
            created("wks-07.corp.example", "\\Updater", "jsmith"),
            deleted("wks-07.corp.example", "\\Updater", "jsmith"),
        ]
    );
    // No Security event code: this is sensor telemetry; the row is kept under `mde`.
    assert_eq!(field(&events[0], "event.code"), json!(null));
    assert_eq!(field(&events[0], "mde.ReportId"), json!("12011"));
    assert_eq!(
        error_lines(&s),
        vec!["mde.csv:4: unreadable Timestamp \"not a date\""]
    );

    let (events, s) = read(&data("mde/streaming-api.json"), "eh.json");
    assert_eq!(s.format, Some(Format::DefenderDeviceEvents));
    // No SubjectUserName: InitiatingProcessAccountName (`system`, which `*$` does not exclude).
    assert_eq!(
        task_events(&events),
        vec![created(
            "wks-07.corp.example",
            "\\Microsoft\\Windows\\UpdateOrchestrator\\Schedule Scan",
            "system"
        )]
    );
}

#[test]
fn splunk_wineventlog_classic() {
    let (events, s) = read(&data("splunk/wineventlog-security.txt"), "wel.txt");
    assert_eq!(s.format, Some(Format::SplunkWinEventLog));
    assert_eq!(s.error_count, 0);
    assert_eq!(
        task_events(&events),
        vec![
            created(
                "SRV-DB-02.corp.example",
                "\\GoogleUpdateTaskMachine",
                "svc_deploy"
            ),
            deleted(
                "SRV-DB-02.corp.example",
                "\\GoogleUpdateTaskMachine",
                "svc_deploy"
            ),
        ]
    );
    assert_eq!(
        field(&events[0], "@timestamp"),
        json!("2024-11-29T14:11:26Z")
    );
    assert_eq!(field(&events[0], "winlog.record_id"), json!("7731992"));
    assert_eq!(field(&events[0], "user.domain"), json!("CORP"));
    assert_eq!(
        field(&events[0], "winlog.scheduled_task.author"),
        json!("CORP\\svc_deploy")
    );
    assert!(!events[1].has_field("winlog.event_data.TaskContent"));
    assert_eq!(
        s.notes,
        vec!["Splunk WinEventLog times carry no zone; read as UTC (time_zone option)"]
    );

    let (events, s) = read(&data("splunk/wineventlog-malformed.txt"), "bad.txt");
    assert_eq!(events.len(), 1);
    assert_eq!(
        error_lines(&s),
        vec![
            "bad.txt:1: Splunk WinEventLog record has no EventCode",
            "bad.txt:6: unreadable Splunk time \"13/45/2024 02:11:27 PM\"",
        ]
    );
    assert_eq!(
        field(&events[0], "winlog.event_data.TaskName"),
        json!("\\GoogleUpdateTaskMachine")
    );
}

#[test]
fn nxlog_json() {
    let (events, s) = read(&data("nxlog/nxlog.json"), "nx.json");
    assert_eq!(s.format, Some(Format::Nxlog));
    assert_eq!(
        task_events(&events),
        vec![
            created("WORKSTATION6.theshire.local", "\\Updater", "pgustavo"),
            deleted("WORKSTATION6.theshire.local", "\\Updater", "pgustavo"),
        ]
    );
    // Signed Keywords read as the audit mask; zone-less EventTime uses the time-zone option.
    assert_eq!(field(&events[0], "event.outcome"), json!("success"));
    assert_eq!(
        field(&events[0], "@timestamp"),
        json!("2020-09-21T23:04:00Z")
    );
    assert_eq!(
        field(&events[0], "winlog.scheduled_task.actions.command"),
        json!("C:\\Users\\Public\\u.exe")
    );
    assert_eq!(error_lines(&s), vec!["nx.json:3: EventTime \"sometime\" has no time zone and none is usable (time_zone option)"]);
}

#[test]
fn unusable_inputs_are_explained() {
    let (events, s) = read(&data("unusable/timeline-export.ndjson"), "tl.ndjson");
    assert!(events.is_empty());
    assert_eq!(s.format, Some(Format::KibanaTimeline));
    assert!(s.errors[0]
        .reason
        .starts_with("this is a Kibana Security Timeline export"));

    let (events, s) = read(&data("unusable/sysmon-only.ndjson"), "sysmon.ndjson");
    assert_eq!(events.len(), 2);
    assert_eq!(s.error_count, 0);
    assert!(
        s.notes
            .iter()
            .any(|n| n.starts_with("this is Sysmon data only")),
        "{:?}",
        s.notes
    );

    // JSON that is not event data is read (any JSON object is a document), and explained.
    let (events, s) = read(
        b"{\"name\":\"alice\",\"age\":31}\n{\"name\":\"bob\"}\n",
        "people.ndjson",
    );
    assert_eq!(events.len(), 2);
    assert!(
        s.notes
            .iter()
            .any(|n| n.contains("does not look like Windows event data")),
        "{:?}",
        s.notes
    );

    let (events, s) = read(&data("unusable/report.pdf"), "report.pdf");
    assert!(events.is_empty());
    assert_eq!(s.format, None);
    assert!(s.errors[0]
        .reason
        .starts_with("this looks like a PDF document"));
}

#[test]
fn mixed_inputs_in_one_file_and_gzip() {
    let mut mixed = data("ndjson/agent-4698-4699.ndjson");
    mixed.extend(data("winlogbeat-raw/winlogbeat-8.ndjson"));
    mixed.extend(data("hayabusa/timeline.jsonl"));
    let (events, s) = read(&mixed, "mixed.ndjson");
    assert_eq!(s.format, Some(Format::Ndjson));
    assert_eq!(events.len(), 3 + 3 + 2);
    assert_eq!(task_events(&events).len(), 3 + 2 + 2);

    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&data("windows-xml/eventviewer-utf16le.xml"))
        .unwrap();
    let gz = gz.finish().unwrap();
    let (events, s) = read_chunked(&gz, "ev.xml.gz", 100);
    assert_eq!(
        (s.format, events.len(), s.error_count),
        (Some(Format::WindowsXml), 2, 0)
    );
}

#[test]
fn splunk_csv_export_with_raw_xml_and_classic() {
    let (events, s) = read(&data("splunk/splunk-export.csv"), "splunk.csv");
    assert_eq!(s.format, Some(Format::SplunkWinEventLog));
    assert_eq!(
        task_events(&events),
        vec![
            created(
                "SRV-DB-02.corp.example",
                "\\GoogleUpdateTaskMachine",
                "svc_deploy"
            ),
            deleted(
                "SRV-DB-02.corp.example",
                "\\GoogleUpdateTaskMachine",
                "svc_deploy"
            ),
        ]
    );
    // `host` is the forwarder (here the WEF collector), not the event's computer.
    assert_eq!(
        field(&events[0], "winlog.computer_name"),
        json!("SRV-DB-02.corp.example")
    );
    assert_eq!(s.error_count, 1);
    assert!(
        error_lines(&s)[0].starts_with("splunk.csv:"),
        "{:?}",
        s.errors
    );
    assert!(
        s.errors[0].reason.starts_with("XML ends inside"),
        "{:?}",
        s.errors
    );
}

#[test]
fn utf16_ndjson_from_powershell() {
    let (events, s) = read(&data("ndjson/agent-utf16le.ndjson"), "ps.ndjson");
    assert_eq!(
        (s.format, s.error_count, events.len()),
        (Some(Format::Ndjson), 0, 3)
    );
    let (utf8, _) = read(&data("ndjson/agent-4698-4699.ndjson"), "ps.ndjson");
    let fields = |ev: &[eqlite::Event]| ev.iter().map(rule_fields).collect::<Vec<_>>();
    assert_eq!(fields(&events), fields(&utf8));
}

#[test]
fn xml_that_is_not_event_xml_is_explained() {
    let html = b"<!DOCTYPE html>\n<html><body><p>Not events</p></body></html>\n";
    let (events, s) = read(html, "page.html");
    assert!(events.is_empty());
    assert_eq!(s.format, None);
    assert_eq!(s.error_count, 1);
    assert!(
        s.errors[0]
            .reason
            .starts_with("XML without any <Event> element (first element <html>)"),
        "{:?}",
        s.errors
    );
}
