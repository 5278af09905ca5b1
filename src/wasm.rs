//! The JavaScript facade: opaque handles over the core library, no logic of its own.

use wasm_bindgen::prelude::*;

/// Runs once when the module is instantiated: panics (which must never happen) at least reach the
/// console with a message instead of a bare `unreachable` trap.
#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// The eqlite version, as in Cargo.toml.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
