//! eqlite: Elastic EQL detection rules over exported event data, with the answers Elasticsearch
//! would give.
//!
//! The pipeline is a chain of small modules with one-way dependencies:
//! `syntax` (lexer, parser, spanned AST) -> `compile` (checks, immutable [`Query`] plan) ->
//! `eval` (expressions) / `sequence` (the streaming correlator) -> `input` (export formats to
//! events) -> `output` (result lines). The CLI (`main.rs`) and the WebAssembly facade (`wasm.rs`)
//! are thin shells over this library.
//!
//! # Untrusted input
//!
//! Queries, rules, mappings and above all event data are treated as attacker-controlled:
//!
//! - **No panics on any input.** Library code is built with clippy's `unwrap_used`,
//!   `expect_used`, `panic`, `indexing_slicing` and `cast_possible_truncation` denied (see
//!   `Cargo.toml`); malformed input becomes an [`Error`] or an [`InputError`], never a crash.
//! - **Nesting limits.** Query nesting past [`syntax::NEST_LIMIT`] levels is an error of kind
//!   [`ErrorKind::Limit`], not a stack overflow; XML elements nest at most 64 deep, containers
//!   (zip, gzip, UTF-16) at most 4 deep, and wrapper objects are unwrapped a bounded number of
//!   times.
//! - **Parse and work budgets.** Oversized records are skipped and reported (CSV rows over
//!   16 MiB or 4096 columns, `<Event>` elements over 8 MiB). Batch correlation holds at most
//!   [`SessionOptions::max_candidates`] candidate events (default [`DEFAULT_MAX_CANDIDATES`];
//!   past it the run stops with an error naming the option), and by default at most
//!   [`DEFAULT_MAX_OPEN_SEQUENCES`] open partial sequences (sequences refused past the cap are
//!   counted); script conditions and join keys expand a bounded number of value combinations.
//! - **Errors say where.** Query errors carry a [`Span`] of byte offsets into the query text;
//!   every unreadable record is an [`InputError`] with its file, line, record number and byte
//!   offset where known, and reading goes on with the next record.
//! - **EVTX recovery is marked.** Records read by their own framing from damaged or truncated
//!   chunks carry [`Provenance::recovered`], and the stretches that could not be read are
//!   reported as [`InputError`]s with their offsets.
//! - **No endless work.** An EVTX record or chunk crafted to expand or recurse without end
//!   (a template that instantiates itself, nested BinXML that expands exponentially) stops at
//!   the parser's per-record and per-chunk budgets with an [`InputError`]; a chunk's record
//!   walk stops past the most records a chunk can hold. The same holds in wasm, where no
//!   watchdog would stop a loop.
//! - **Splitting changes nothing.** How the input is cut into pushes (down to one byte, or
//!   empty pushes) never changes the format detected, the events read or the errors reported.
//!   Coverage-guided fuzzing checks this and the above for every reader (`fuzz/`,
//!   `docs/fuzzing.md`).

#![deny(missing_docs)]
// No input may panic the library (see `# Untrusted input`); unit tests may unwrap and index.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::cast_possible_truncation
    )
)]

// ---- foundation (shared by every stage) ----
pub mod event;
mod num;
pub(crate) mod projection;
pub use event::{Event, Provenance};

// ---- language: syntax -> compile -> eval ----
pub(crate) mod compile;
pub(crate) mod error;
pub(crate) mod eval;
pub(crate) mod span;
pub mod syntax;
pub use compile::{
    IndexMapping, JoinKey, KeyValue, Mapping, OrderedFloat, Query, QueryBuilder, QueryKind,
    ResultPosition, Stage,
};
pub use error::{Error, ErrorKind};
pub use span::Span;

// ---- correlation: sequence matcher, timestamps, the Correlator ----
pub(crate) mod correlator;
pub(crate) mod output;
pub mod rules;
mod sample;
pub(crate) mod sequence;
pub(crate) mod time;
pub use correlator::{
    Correlator, LateEvent, Match, MatchEvent, SkippedEvent, Summary, DEFAULT_MAX_CANDIDATES,
    DEFAULT_MAX_OPEN_SEQUENCES, DEFAULT_REORDER_WINDOW_MS, EXAMPLES_KEPT,
};
pub use rules::Rule;

// ---- export formats ----
pub mod input;
pub use input::{Format, InputError, InputSummary, Reader, ReaderOptions};

// ---- renderers of result objects (table, CSV, alerts) ----
pub mod render;

// ---- the WebAssembly facade (JS types live only here) ----
// Public only so that tests/wasm.rs can drive it from Rust; JS sees its #[wasm_bindgen] exports.
#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod wasm;

// ---- rule exceptions (applied to events before matching) ----
pub(crate) mod exceptions;
pub use exceptions::{ExceptionList, ExceptionsError};

// ---- one run: rule -> query, readers, pre-filter, exceptions, correlator, report, views ----
pub mod explain;
pub mod session;
pub mod simulate;
pub use session::{RuleSource, Session, SessionOptions, SessionSummary};

// ---- the command line (shared by the native binary and `npx eqlite`) ----
pub mod cli;
