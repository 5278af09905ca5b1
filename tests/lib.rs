//! The native integration-test binary: every native test module hangs off here.
#![cfg(not(target_arch = "wasm32"))]

mod cli;
mod conformance;
mod explain;
mod lang;
mod lang_conformance;
mod lang_fuzz;
mod parser;
mod props;
mod seed_rule;
mod session_view;
mod simulate;

// ---- formats ----
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
