//! The session end to end, bytes in and results out: input in any format, auto-detected and
//! pushed in chunks, under the built-in rule, or under the query on a first line `Q:<query>`;
//! with simulate and explain on, so correlation, the schedule replay and near misses all run
//! on whatever the reader makes of the bytes. Seeds are the readers' seeds as they are.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| eqlite_fuzz::session(data));
