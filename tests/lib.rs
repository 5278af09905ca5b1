//! The native integration-test binary: every native test module hangs off here.
#![cfg(not(target_arch = "wasm32"))]

mod cli;
mod conformance;
mod lang;
mod props;
mod seed_rule;

// ---- formats ----
mod input_json;
mod input_support;
