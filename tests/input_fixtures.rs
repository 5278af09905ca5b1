//! The shared fixtures in their original form (EVTX, Winlogbeat goldens, elastic/integrations
//! pipeline tests, OTRF zips): recognised format, rule fields, error reports.

use crate::input_support::*;
use eqlite::input::Format;
use eqlite::Event;
use serde_json::{json, Value};

fn fixture(rel: &str) -> Option<Vec<u8>> {
    let path = shared()?.join("fixtures").join(rel);
    Some(std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

fn task(action: &str, host: &str, task: &str, user: &str) -> (String, String, String, String) {
    (action.into(), host.into(), task.into(), user.into())
}

fn record_id(e: &Event) -> Value {
    field(e, "winlog.record_id")
}

#[test]
fn evtx_smbexec_pair() {
    let Some(bytes) = fixture("evtx/smbexec-fast-created-deleted-task.evtx") else {
        return;
    };
    let (events, s) = read(&bytes, "smbexec.evtx");
    assert_eq!(s.format, Some(Format::Evtx));
    assert_eq!((s.error_count, events.len()), (0, 2), "{:?}", s.errors);
    assert_eq!(
        task_events(&events),
        vec![
            task(
                "scheduled-task-created",
                "fs02.offsec.lan",
                "\\smbservice",
                "admmig"
            ),
            task(
                "scheduled-task-deleted",
                "fs02.offsec.lan",
                "\\smbservice",
                "admmig"
            ),
        ]
    );
    assert_eq!(
        field(&events[0], "@timestamp"),
        json!("2020-07-11T21:38:17.3514486Z")
    );
    assert_eq!(
        field(&events[1], "@timestamp"),
        json!("2020-07-11T21:38:17.4452024Z")
    );
    assert_eq!(
        (record_id(&events[0]), record_id(&events[1])),
        (json!("1230348"), json!("1230359"))
    );
    assert_eq!(
        field(&events[0], "event.category"),
        json!(["iam", "configuration"])
    );
    assert_eq!(field(&events[0], "user.domain"), json!("OFFSEC"));
    assert_eq!(field(&events[0], "winlog.logon.id"), json!("0x3246775"));
    // TaskContent parsed into winlog.scheduled_task.
    assert_eq!(
        field(&events[0], "winlog.scheduled_task.author"),
        json!("OFFSEC\\lambda-user")
    );
    assert_eq!(
        field(&events[0], "winlog.scheduled_task.triggers.type"),
        json!("time")
    );
    let p = events[1].provenance();
    assert_eq!(p.file.as_deref(), Some("smbexec.evtx"));
    assert!(p.offset.is_some_and(|o| o > 4096));
    // Same events when the bytes arrive in odd-sized pieces.
    let (chunked, s2) = read_chunked(&bytes, "smbexec.evtx", 3001);
    assert_eq!(s2.error_count, 0);
    assert_eq!(chunked, events);
}

#[test]
fn evtx_fortinet_create_only_and_donpapi_noise() {
    let Some(bytes) = fixture("evtx/fortinet-apt-task-created-only.evtx") else {
        return;
    };
    let (events, s) = read(&bytes, "f.evtx");
    assert_eq!((s.error_count, events.len()), (0, 3));
    assert_eq!(
        task_events(&events),
        vec![task(
            "scheduled-task-created",
            "fs01.offsec.lan",
            "\\Microsoft\\SynchronizeTimeZone",
            "admmig"
        )]
    );

    let Some(bytes) = fixture("evtx/donpapi-noise-750-records.evtx") else {
        return;
    };
    let (events, s) = read(&bytes, "d.evtx");
    assert_eq!((s.error_count, events.len()), (0, 750));
    assert_eq!(
        task_events(&events),
        vec![task(
            "scheduled-task-updated",
            "fs03vuln.offsec.lan",
            "\\Microsoft\\Windows\\SoftwareProtectionPlatform\\SvcRestartTask",
            "FS03VULN$"
        )]
    );
    // Seventeen chunks: the same events whatever the pieces the bytes arrive in (chunks cut
    // from a push, or completed across pushes, around the header and every chunk boundary).
    for piece in [1, 4095, 4097, 65535, 65536, 65537, 200_000, 1 << 20] {
        let (chunked, s2) = read_chunked(&bytes, "d.evtx", piece);
        assert_eq!(s2.error_count, 0, "pieces of {piece}");
        assert!(chunked == events, "pieces of {piece}");
    }
}

#[test]
fn evtx_corrupt_chunk_is_reported_and_the_rest_read() {
    let Some(bytes) = fixture("evtx/donpapi-noise-750-records.evtx") else {
        return;
    };
    let (all, _) = read(&bytes, "d.evtx");
    let mut bad = bytes.clone();
    // Damage the records area of the second chunk (file header 4 KiB + one 64 KiB chunk).
    let second = 4096 + 65536;
    for b in &mut bad[second + 1000..second + 1200] {
        *b ^= 0x5a;
    }
    let (events, s) = read(&bad, "d.evtx");
    // The damage hits the chunk's first records, which define the templates the others use:
    // each of the chunk's records is either recovered or reported, then the chunk itself.
    let summary = s
        .errors
        .iter()
        .find(|e| {
            e.reason
                .starts_with("EVTX chunk 2 is corrupt (its records' CRC32 does not match)")
        })
        .unwrap_or_else(|| panic!("{:?}", s.errors));
    assert_eq!(summary.offset, Some(second as u64));
    assert!(
        s.errors
            .iter()
            .all(|e| e.reason.starts_with("EVTX chunk 2")),
        "{:?}",
        s.errors
    );
    assert_eq!(events.len() as u64 + s.error_count - 1, all.len() as u64);
    assert!(
        events.len() < all.len() && events.len() > 600,
        "{}",
        events.len()
    );
    // Truncated inside chunk 7 (the last used one): chunks 1-6 are read, and so are chunk 7's
    // records wholly before the cut; the loss is reported.
    let cut = &bytes[..4096 + 6 * 65536 + 30000];
    let (events, s) = read(cut, "d.evtx");
    assert_eq!(events.len(), 643 + 53);
    assert_eq!(
        events.iter().filter(|e| e.provenance().recovered).count(),
        53
    );
    assert_eq!(error_lines(&s), vec!["d.evtx: offset 397312: EVTX file ends inside chunk 7 (30000 of 65536 bytes; truncated): 53 records wholly before the cut were recovered (marked recovered in _provenance); 54 records from offset 427288 on are lost"]);
    // Unused (all-zero) preallocated chunks at the end are not an error when cut.
    let (events, s) = read(&bytes[..bytes.len() - 1000], "d.evtx");
    assert_eq!((events.len(), s.error_count), (750, 0));
}

/// Winlogbeat's raw 8.x output (collection goldens) mapped like the ingest pipeline gives the
/// ingest goldens' rule fields.
#[test]
fn winlogbeat_collection_goldens_map_to_ingest_goldens() {
    let Some(dir) = shared() else { return };
    let base = dir.join("fixtures/winlogbeat/current/testdata");
    for code in ["4698", "4699"] {
        let raw = std::fs::read(base.join(format!(
            "collection/security-windows2012_{code}.evtx.golden.json"
        )))
        .unwrap();
        let ingest =
            std::fs::read(base.join(format!("ingest/security-windows2012_{code}.golden.json")))
                .unwrap();
        let (mapped, s) = read(&raw, "collection.json");
        assert_eq!(s.format, Some(Format::WinlogbeatRaw));
        assert_eq!(s.error_count, 0);
        let (expected, s2) = read(&ingest, "ingest.json");
        assert_eq!(s2.format, Some(Format::Json));
        assert_eq!((mapped.len(), expected.len()), (1, 1));
        for f in RULE_FIELDS.iter().chain(&[
            "event.type",
            "event.code",
            "user.id",
            "user.domain",
            "winlog.logon.id",
            "winlog.record_id",
        ]) {
            assert_eq!(field(&mapped[0], f), field(&expected[0], f), "{code} {f}");
        }
        // Fed unmapped (forced plain JSON), event.action stays the raw task name.
        let (unmapped, _) = read_with(&raw, "collection.json", Format::Json);
        assert_eq!(
            field(&unmapped[0], "event.action"),
            json!("Other Object Access Events")
        );
    }
    // The top-level raw goldens are raw Winlogbeat too.
    let (events, s) = read(
        &std::fs::read(base.join("security-windows2012_4699.evtx.golden.json")).unwrap(),
        "x.json",
    );
    assert_eq!(s.format, Some(Format::WinlogbeatRaw));
    assert_eq!(
        task_events(&events),
        vec![task(
            "scheduled-task-deleted",
            "DC_TEST2k12.TEST.SAAS",
            "\\test1",
            "at_adm"
        )]
    );
}

#[test]
fn winlogbeat_js_era_goldens_are_ecs() {
    let Some(dir) = shared() else { return };
    let mut all = Vec::new();
    for code in ["4698", "4700", "4701", "4702", "4699"] {
        let path = dir.join(format!(
            "fixtures/winlogbeat/js-processor-era/security-windows2012_{code}.evtx.golden.json"
        ));
        let (events, s) = read(&std::fs::read(path).unwrap(), "js.json");
        assert_eq!(
            (s.format, s.error_count, events.len()),
            (Some(Format::Json), 0, 1)
        );
        all.extend(events);
    }
    assert_eq!(
        task_events(&all)
            .iter()
            .map(|t| t.0.as_str())
            .collect::<Vec<_>>(),
        [
            "scheduled-task-created",
            "scheduled-task-enabled",
            "scheduled-task-disabled",
            "scheduled-task-updated",
            "scheduled-task-deleted"
        ]
    );
    assert!(task_events(&all)
        .iter()
        .all(|t| t.1 == "DC_TEST2k12.TEST.SAAS" && t.2 == "\\test1" && t.3 == "at_adm"));
    // 7.x kept `event.category: "iam"` as one string: still iam.
    assert_eq!(field(&all[4], "event.category"), json!(["iam"]));
}

#[test]
fn elastic_integrations_inputs_map_to_expected() {
    let Some(dir) = shared() else { return };
    for name in [
        "test-4698-scheduled-task-created.json",
        "test-4699-scheduled-task-deleted-no-xml.json",
    ] {
        let base = dir.join("fixtures/elastic-integrations").join(name);
        let (mapped, s) = read(&std::fs::read(&base).unwrap(), name);
        assert_eq!(s.format, Some(Format::WinlogbeatRaw), "{name}");
        assert_eq!(s.error_count, 0);
        let expected: Value = serde_json::from_slice(
            &std::fs::read(format!("{}-expected.json", base.display())).unwrap(),
        )
        .unwrap();
        let (expected, _) = read(expected["expected"].to_string().as_bytes(), "expected");
        assert_eq!((mapped.len(), expected.len()), (1, 1));
        let fields = RULE_FIELDS.iter().chain(&[
            "event.type",
            "event.code",
            "user.id",
            "user.domain",
            "related.user",
            "winlog.logon.id",
            "winlog.scheduled_task.name",
            "winlog.scheduled_task.uri",
            "winlog.scheduled_task.actions.command",
            "winlog.scheduled_task.actions.arguments",
            "winlog.scheduled_task.actions.context",
            "winlog.scheduled_task.actions.type",
            "winlog.scheduled_task.principals.run_level",
            "winlog.scheduled_task.principals.user.identifier",
            "winlog.scheduled_task.triggers.type",
            "winlog.scheduled_task.triggers.enabled",
            "winlog.scheduled_task.triggers.repetition.interval",
            "winlog.scheduled_task.settings.hidden",
        ]);
        for f in fields {
            assert_eq!(field(&mapped[0], f), field(&expected[0], f), "{name} {f}");
        }
    }
}

#[test]
fn otrf_zip_members() {
    let Some(bytes) = fixture("otrf/empire_shell_rubeus_asktgt_createnetonly.zip") else {
        return;
    };
    let (events, s) = read(&bytes, "empire.zip");
    assert_eq!(s.format, Some(Format::Nxlog));
    assert_eq!((s.error_count, events.len()), (0, 3590), "{:?}", s.errors);
    let h = "WORKSTATION6.theshire.local";
    let (dl, inst) = (
        "\\Microsoft\\Windows\\UpdateOrchestrator\\AC Power Download",
        "\\Microsoft\\Windows\\UpdateOrchestrator\\AC Power Install",
    );
    let pairs: Vec<_> = task_events(&events)
        .into_iter()
        .filter(|t| t.0 != "scheduled-task-updated")
        .collect();
    assert_eq!(
        pairs,
        vec![
            task("scheduled-task-created", h, dl, "WORKSTATION6$"),
            task("scheduled-task-deleted", h, dl, "WORKSTATION6$"),
            task("scheduled-task-created", h, inst, "WORKSTATION6$"),
            task("scheduled-task-deleted", h, inst, "WORKSTATION6$"),
        ]
    );
    let tasks: Vec<&Event> = events
        .iter()
        .filter(|e| {
            field(e, "event.code")
                .as_str()
                .is_some_and(|c| c == "4698" || c == "4699")
        })
        .collect();
    let ids: Vec<Value> = tasks.iter().map(|e| record_id(e)).collect();
    assert_eq!(
        ids,
        [
            json!("866552"),
            json!("866801"),
            json!("866802"),
            json!("866803")
        ]
    );
    assert_eq!(
        field(tasks[0], "@timestamp"),
        json!("2020-09-22T03:04:01.454Z")
    );
    // The escaped TaskContent is still parsed.
    assert_eq!(
        field(tasks[0], "winlog.scheduled_task.actions.command"),
        json!("%systemroot%\\system32\\usoclient.exe")
    );
    let p = tasks[0].provenance();
    assert_eq!(
        p.file.as_deref(),
        Some("empire.zip:empire_shell_rubeus_asktgt_createnetonly_2020-09-21230246.json")
    );
    assert!(p.line.is_some());

    let Some(bytes) = fixture("otrf/schtask_create.zip") else {
        return;
    };
    let (events, s) = read(&bytes, "schtask_create.zip");
    assert_eq!(s.error_count, 0);
    assert_eq!(
        task_events(&events),
        vec![task(
            "scheduled-task-created",
            "WORKSTATION6.theshire.local",
            "\\Microsoft\\Windows\\SoftwareProtectionPlatform\\EventCacheManager",
            "pgustavo"
        )]
    );
}

#[test]
fn otrf_large_zip_streams_in_chunks() {
    let Some(bytes) = fixture("otrf/psh_metasploit_stop_netprofm_eventlog_before_reboot.zip")
    else {
        return;
    };
    let (events, s) = read_chunked(&bytes, "psh.zip", 64 * 1024);
    assert_eq!((s.error_count, events.len()), (0, 24252), "{:?}", s.errors);
    let deletes: Vec<_> = task_events(&events)
        .into_iter()
        .filter(|t| t.0 == "scheduled-task-deleted")
        .collect();
    assert_eq!(
        deletes,
        vec![task(
            "scheduled-task-deleted",
            "Pedro01",
            "\\Microsoft\\Windows\\RetailDemo\\CleanupOfflineContent",
            "PEDRO01$"
        )]
    );
    assert!(!task_events(&events)
        .iter()
        .any(|t| t.0 == "scheduled-task-created"));
}
