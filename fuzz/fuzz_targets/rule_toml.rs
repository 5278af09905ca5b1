//! Rule TOML (detection-rules files): parsed, and a rule it accepts compiled into a session.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(rule) = eqlite::rules::from_toml(text) {
        let _ = eqlite::Session::new(eqlite::SessionOptions {
            source: eqlite::RuleSource::Rule(Box::new(rule)),
            ..eqlite::SessionOptions::default()
        });
    }
});
