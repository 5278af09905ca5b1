//! The container layers (gzip, zip, UTF-16 with or without BOM) under format detection:
//! seeded with compressed and UTF-16 files, so the fuzzer mutates inside the layers.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| eqlite_fuzz::read_both_ways(eqlite::Format::Auto, data));
