//! The exceptions parser (Kibana's exception list items as JSON or NDJSON), then every item
//! it accepts rendered back and evaluated against an event.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(list) = eqlite::ExceptionList::from_json(text) {
        let event = eqlite::Event::from_value(
            serde_json::json!({"user": {"name": "a$"}, "winlog": {"event_data": {"TaskName": "\\x"}}, "n": 5}),
            eqlite::Provenance::default(),
        );
        if let Some(event) = event {
            let _ = list.first_match(&event);
        }
        for item in list.items() {
            let _ = item.to_kibana();
            let _ = item.to_string();
        }
    }
});
