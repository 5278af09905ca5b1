//! The `eqlite` command-line tool: a thin shell over the library (argument parsing, file I/O,
//! printing). Results go to stdout, diagnostics to stderr. The modules live in `src/cli/`.
//!
//! Exit codes: 0 success (with or without matches), 1 some input could not be read (the rest
//! was still processed and its results printed), 2 bad query, rule or options.

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(cli::main())
}

// wasm32 test builds still link the binary target.
#[cfg(target_arch = "wasm32")]
fn main() {}
