//! The native integration-test binary: every native test module hangs off here.
#![cfg(not(target_arch = "wasm32"))]
// Test code: a panic is a failed test, and fixtures are known, so the no-panic lints are off.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

mod cli;
mod conformance;
mod explain;
mod lang;
mod lang_conformance;
mod lang_fuzz;
mod parser;
mod prefilter_property;
mod projection_fixtures;
mod props;
mod seed_rule;
mod session_view;
mod simulate;

// ---- formats ----
mod evtx_synth;
mod fuzz_regressions;
mod input_evtx_loop;
mod input_evtx_recovery;
mod input_fixtures;
mod input_formats;
mod input_json;
mod input_robust;
mod input_rule;
mod input_scaling;
mod input_siem;
mod input_support;
mod readme;
mod rules_corpus;
