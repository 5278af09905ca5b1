//! Rule TOML (detection-rules files): parsed, and a rule it accepts compiled into a session.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| eqlite_fuzz::rule_toml(data));
