//! The exceptions parser (Kibana's exception list items as JSON or NDJSON), then every item
//! it accepts rendered back and evaluated against an event.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| eqlite_fuzz::exceptions(data));
