//! The `eqlite` command line as a library: argument parsing, the run loop's text output and
//! `check` / `formats`, shared by the native binary (`src/main.rs`) and `npx eqlite` (through the
//! wasm facade). The shells only do I/O: they list input files, read bytes, and print the text
//! this module returns, so both print the same bytes for the same inputs and flags.
//!
//! Exit codes: 0 the run completed (with or without matches), 1 some input could not be read
//! (the rest was still processed and its results printed), 2 bad query, rule or options, 3 a
//! budget was exceeded (the message names the option) and the run stopped.

mod args;
mod check;
mod run;

pub use args::{parse, Command, OutputMode, Parsed, Position, RunArgs};
pub use check::{check, formats};
pub use run::{Output, Run};

/// Reads a named file for the CLI (a rule, exceptions): the host's file system. The error is
/// the text to show after the file name.
pub type ReadFile<'a> = &'a mut dyn FnMut(&str) -> Result<String, String>;
