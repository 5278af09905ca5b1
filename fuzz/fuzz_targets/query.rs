//! Query text -> parse -> compile: any text is a query or an error with a span inside it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| eqlite_fuzz::query(data));
