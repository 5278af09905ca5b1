//! The wasm32 test binary, run in Node by wasm-bindgen-test-runner: the JS facade exercised from
//! Rust, compiled to wasm32 (32-bit `usize`, the real boundary conversions).
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn version_is_the_crate_version() {
    assert_eq!(eqlite::wasm::version(), env!("CARGO_PKG_VERSION"));
}
