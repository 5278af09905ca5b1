//! eqlite: Elastic EQL detection rules over exported event data, with the answers Elasticsearch
//! would give.
//!
//! The pipeline is a chain of small modules with one-way dependencies:
//! `syntax` (lexer, parser, spanned AST) -> `compile` (checks, immutable [`Query`] plan) ->
//! `eval` (expressions) / `sequence` (the streaming correlator) -> `input` (export formats to
//! events) -> `output` (result lines). The CLI (`main.rs`) and the WebAssembly facade (`wasm.rs`)
//! are thin shells over this library.

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
pub use event::{Event, Provenance};

// ---- language: syntax -> compile -> eval ----
pub mod compile;
pub mod error;
pub mod eval;
pub mod span;
pub mod syntax;
pub use compile::{
    JoinKey, KeyValue, Mapping, Query, QueryBuilder, QueryKind, ResultPosition, Stage,
};
pub use error::{Error, ErrorKind};
pub use span::Span;

// ---- correlation: sequence matcher, timestamps, the Correlator ----
pub mod correlator;
pub mod output;
pub mod rules;
mod sample;
pub mod sequence;
pub mod time;
pub use correlator::{Correlator, LateEvent, Match, MatchEvent, SkippedEvent, Summary};
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
pub mod exceptions;

// ---- one run: rule -> query, readers, pre-filter, exceptions, correlator, report, views ----
pub mod explain;
pub mod session;
pub mod simulate;
pub use session::{RuleSource, Session, SessionOptions, SessionSummary};

// ---- the command line (shared by the native binary and `npx eqlite`) ----
pub mod cli;
