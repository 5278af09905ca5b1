//! The KibanaCsv reader on arbitrary bytes: never panics, never hangs, and splits nothing
//! differently by chunk size.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| eqlite_fuzz::read_both_ways(eqlite::Format::KibanaCsv, data));
