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
mod explain;
mod run;
mod simulate;

pub use args::{parse, Command, ExplainArgs, OutputMode, Parsed, Position, RunArgs, SimulateArgs};
pub use check::{check, formats};
pub use run::{Output, Run};

/// What a parsed command turns into: text to print and exit with, or a run for the shell to
/// feed its inputs (`run` and `simulate`).
#[derive(Debug)]
pub enum Started {
    /// Print this and exit with its code.
    Exit(Output),
    /// Feed the inputs ([`Run::inputs`]) to this run, then print [`Run::finish`].
    Run(Box<Run>),
}

/// Carries out `command` up to the point where the shell's I/O starts. `now_ms` is the
/// execution time alert documents carry.
pub fn start(command: Command, read: ReadFile<'_>, now_ms: i64) -> Started {
    let run = match command {
        Command::Check { target } => return Started::Exit(check(&target, read)),
        Command::Formats => return Started::Exit(formats()),
        Command::Run(args) => Run::new(&args, read, now_ms),
        Command::Simulate(args) => Run::simulate(&args, read, now_ms),
        Command::Explain(args) => Run::explain(&args, read, now_ms),
    };
    match run {
        Ok(run) => Started::Run(Box::new(run)),
        Err(out) => Started::Exit(out),
    }
}

/// Reads a named file for the CLI (a rule, exceptions): the host's file system. The error is
/// the text to show after the file name.
pub type ReadFile<'a> = &'a mut dyn FnMut(&str) -> Result<String, String>;
