//! The wasm32 test binary, run in Node by wasm-bindgen-test-runner.
#![cfg(target_arch = "wasm32")]
