//! The `eqlite` command-line tool: a thin shell over the library.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(0)
}

// wasm32 test builds still link the binary target.
#[cfg(target_arch = "wasm32")]
fn main() {}
