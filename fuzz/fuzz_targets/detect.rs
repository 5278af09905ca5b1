//! Format detection over every format's seeds: whatever the head of a file looks like, the
//! detector picks a reader (or none) without panicking, and chunking does not change its pick.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| eqlite_fuzz::detect(data));
