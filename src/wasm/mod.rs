//! The JavaScript facade: opaque handles over the core library, no logic of its own.
//!
//! JS hands in query text, options and raw input chunks; parsing and correlation stay in Rust and
//! only small results come back, serialized as plain JSON-compatible objects. Every expected
//! failure becomes a JS `Error` named `EqlError` with a stable `code` (see pkg/errors.js), and
//! query positions are converted to UTF-16 offsets at this edge and nowhere else (see types.rs
//! for the naming of JS shapes).

mod convert;
mod options;
mod types;

use crate::compile::{Query as CoreQuery, QueryKind};
use crate::correlator::{Correlator as CoreCorrelator, Match};
use crate::exceptions::ExceptionList;
use crate::input::{Format, Reader, ReaderOptions};
use crate::{output, rules, Event};
use convert::{input_error, query_error, set, to_js, InputProblem, Summary};
use js_sys::{Array, Object, Uint8Array};
use options::{CorrelatorOptions, QueryOptions};
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// How many unreadable records are kept with their details across all files (all are counted).
const INPUT_ERRORS_KEPT: usize = 100;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// The eqlite version, as in Cargo.toml.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// What a query is, for `parseQuery()`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QueryInfo {
    kind: &'static str,
    join_keys: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    maxspan_ms: Option<u64>,
    fields: Vec<String>,
}

fn kind_name(query: &CoreQuery) -> &'static str {
    match query.kind() {
        QueryKind::Event => "event",
        QueryKind::Sequence => "sequence",
    }
}

/// A compiled, immutable EQL query.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Query {
    inner: CoreQuery,
}

#[wasm_bindgen]
impl Query {
    /// Compiles `text`; throws an `EqlError` (code "syntax", "semantic", ...) with its position.
    #[wasm_bindgen(constructor)]
    pub fn new(
        text: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "QueryOptions")] options: JsValue,
    ) -> Result<Query, JsValue> {
        let inner = QueryOptions::from_js(&options)?.build(text, None)?;
        Ok(Query { inner })
    }

    /// The query text as given.
    #[wasm_bindgen(getter)]
    pub fn text(&self) -> String {
        self.inner.text().to_string()
    }

    /// `"event"` or `"sequence"`.
    #[wasm_bindgen(getter, unchecked_return_type = "\"event\" | \"sequence\"")]
    pub fn kind(&self) -> String {
        kind_name(&self.inner).to_string()
    }

    /// The join key fields (`by`) of the first stage.
    #[wasm_bindgen(getter, js_name = joinKeys)]
    pub fn join_keys(&self) -> Vec<String> {
        self.inner.join_key_names()
    }

    /// `maxspan` in milliseconds, if any.
    #[wasm_bindgen(getter, js_name = maxspanMs)]
    pub fn maxspan_ms(&self) -> Option<f64> {
        self.inner.maxspan_ms().map(|ms| ms as f64)
    }

    /// Every field the query reads, sorted.
    #[wasm_bindgen(getter)]
    pub fn fields(&self) -> Vec<String> {
        self.inner.fields()
    }

    /// The join keys under which an event object can take part in a result (empty: none); a
    /// pipeline spread over several workers routes each event by these.
    #[wasm_bindgen(js_name = joinKeysOf, unchecked_return_type = "unknown[][]")]
    pub fn join_keys_of(&self, event: JsValue) -> Result<JsValue, JsValue> {
        join_keys_of(&self.inner, event)
    }
}

/// The routing keys of an event object (see `Correlator.joinKeysOf`).
fn join_keys_of(query: &CoreQuery, event: JsValue) -> Result<JsValue, JsValue> {
    let event = convert::event_from_js(event, None, 0)?;
    let keys: Vec<Vec<serde_json::Value>> = query
        .routing_keys(&event)
        .iter()
        .map(crate::JoinKey::to_json)
        .collect();
    to_js(&keys)
}

/// Compiles `text` and describes it (kind, join keys, maxspan, fields); throws like `new Query`.
#[wasm_bindgen(js_name = parseQuery, unchecked_return_type = "QueryInfo")]
pub fn parse_query(text: &str) -> Result<JsValue, JsValue> {
    let query = CoreQuery::new(text).map_err(|e| query_error(&e, text))?;
    to_js(&QueryInfo {
        kind: kind_name(&query),
        join_keys: query.join_key_names(),
        maxspan_ms: query.maxspan_ms(),
        fields: query.fields(),
    })
}

/// The built-in rules (the first is the default): id, name, description, severity, query, ...
#[wasm_bindgen(js_name = builtinRules, unchecked_return_type = "RuleInfo[]")]
pub fn builtin_rules() -> Result<JsValue, JsValue> {
    to_js(&[rules::builtin()])
}

/// Reads a detection-rules TOML file (or a built-in id) and describes the rule like builtinRules().
#[wasm_bindgen(js_name = parseRule, unchecked_return_type = "RuleInfo")]
pub fn parse_rule(rule: &str) -> Result<JsValue, JsValue> {
    to_js(&options::resolve_rule(rule)?)
}

/// Streaming state for one run of a query or rule over events: push input, collect results.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Correlator {
    inner: CoreCorrelator,
    format: Format,
    fields: Vec<String>,
    /// The reader of the file being pushed (see `startFile`), created on first use.
    reader: Option<Reader>,
    file_name: Option<String>,
    /// Events pushed as objects so far, numbering their provenance.
    objects: u64,
    input_error_count: u64,
    input_errors: Vec<InputProblem>,
    /// Events read but not yet correlated (reused between calls).
    scratch: Vec<Event>,
    finished: bool,
    /// Rule exceptions: events they match never reach the correlator.
    exceptions: Option<ExceptionList>,
    excluded: u64,
    /// Input errors not yet handed out by `takeInputErrors`, and how many of the current
    /// reader's errors already were.
    unreported: Vec<InputProblem>,
    reported_in_reader: usize,
}

#[wasm_bindgen]
impl Correlator {
    /// Options: `query` (EQL text) or `rule` (built-in id or detection-rules TOML text), plus the
    /// query options, `format` and `reorderWindow`. Unknown keys and wrong types throw.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "CorrelatorOptions")] options: JsValue,
    ) -> Result<Correlator, JsValue> {
        let options = CorrelatorOptions::from_js(&options)?;
        Ok(Correlator {
            fields: options.query.fields(),
            inner: (options.query.correlator()).with_reorder_window(options.reorder_window_ms),
            format: options.format,
            reader: None,
            file_name: None,
            objects: 0,
            input_error_count: 0,
            input_errors: Vec::new(),
            scratch: Vec::new(),
            finished: false,
            exceptions: options.exceptions,
            excluded: 0,
            unreported: Vec::new(),
            reported_in_reader: 0,
        })
    }

    /// Starts a new input file: its name labels results and input errors. Ends the previous
    /// file and returns the results that completed.
    #[wasm_bindgen(js_name = startFile, unchecked_return_type = "EqlResult[]")]
    pub fn start_file(&mut self, name: String) -> Result<Array, JsValue> {
        let results = self.end_file()?;
        self.file_name = Some(name);
        Ok(results)
    }

    /// Ends the current input file (flushing its last record); returns the results it completed.
    #[wasm_bindgen(js_name = endFile, unchecked_return_type = "EqlResult[]")]
    pub fn end_file(&mut self) -> Result<Array, JsValue> {
        let Some(mut reader) = self.reader.take() else {
            return Ok(Array::new());
        };
        reader.finish(&mut self.scratch);
        self.input_error_count += reader.error_count();
        let room = INPUT_ERRORS_KEPT.saturating_sub(self.input_errors.len());
        let kept = reader.errors().iter().take(room).map(InputProblem::from);
        self.input_errors.extend(kept);
        let fresh = reader.errors().iter().skip(self.reported_in_reader);
        self.unreported.extend(fresh.map(InputProblem::from));
        self.reported_in_reader = 0;
        self.correlate()
    }

    /// Feeds the next chunk of input (bytes or text, any chunking; records may span chunks),
    /// parsed inside WebAssembly. Returns the results that became final.
    #[wasm_bindgen(unchecked_return_type = "EqlResult[]")]
    pub fn push(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | string")] chunk: JsValue,
    ) -> Result<Array, JsValue> {
        self.check_open()?;
        let reader = self.reader.get_or_insert_with(|| {
            Reader::new(ReaderOptions {
                format: self.format,
                file_name: self.file_name.clone(),
                fields: Some(self.fields.clone()),
                ..ReaderOptions::default()
            })
        });
        if let Some(text) = chunk.as_string() {
            reader.push(text.as_bytes(), &mut self.scratch);
        } else if chunk.is_instance_of::<Uint8Array>() {
            let bytes = Uint8Array::unchecked_from_js(chunk).to_vec();
            reader.push(&bytes, &mut self.scratch);
        } else {
            return Err(input_error("push() takes a Uint8Array or a string"));
        }
        self.correlate()
    }

    /// Feeds one event given as an object. Returns the results that became final.
    #[wasm_bindgen(js_name = pushEvent, unchecked_return_type = "EqlResult[]")]
    pub fn push_event(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>")] event: JsValue,
    ) -> Result<Array, JsValue> {
        self.check_open()?;
        self.take_object(event)?;
        self.correlate()
    }

    /// Feeds an array of events given as objects. Returns the results that became final.
    #[wasm_bindgen(js_name = pushEvents, unchecked_return_type = "EqlResult[]")]
    pub fn push_events(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>[]")] events: JsValue,
    ) -> Result<Array, JsValue> {
        self.check_open()?;
        if !Array::is_array(&events) {
            return Err(input_error("pushEvents() takes an array of objects"));
        }
        for event in Array::unchecked_from_js(events).iter() {
            self.take_object(event)?;
        }
        self.correlate()
    }

    /// The join keys under which an event object can take part in a result (see
    /// `Query.joinKeysOf`).
    #[wasm_bindgen(js_name = joinKeysOf, unchecked_return_type = "unknown[][]")]
    pub fn join_keys_of(&self, event: JsValue) -> Result<JsValue, JsValue> {
        join_keys_of(self.inner.query(), event)
    }

    /// The unreadable records found since the last call (the first ones of each file; all are
    /// counted in the summary), so a stream can report them as they happen.
    #[wasm_bindgen(js_name = takeInputErrors, unchecked_return_type = "InputProblem[]")]
    pub fn take_input_errors(&mut self) -> Result<JsValue, JsValue> {
        if let Some(reader) = &self.reader {
            let fresh = reader.errors().iter().skip(self.reported_in_reader);
            self.unreported.extend(fresh.map(InputProblem::from));
            self.reported_in_reader = reader.errors().len();
        }
        to_js(&std::mem::take(&mut self.unreported))
    }

    /// What happened so far (the shape of `finish().summary`), for progress displays.
    #[wasm_bindgen(unchecked_return_type = "Summary")]
    pub fn summary(&self) -> Result<JsValue, JsValue> {
        to_js(&self.summary_now())
    }

    /// Ends the input and returns `{ results, summary }`: the remaining results (after any
    /// `size`/`head`/`tail` limit) and what happened. The correlator takes no input after this.
    #[wasm_bindgen(unchecked_return_type = "{ results: EqlResult[]; summary: Summary }")]
    pub fn finish(&mut self) -> Result<JsValue, JsValue> {
        self.check_open()?;
        let results = self.end_file()?;
        self.finished = true;
        for m in &self.inner.finish() {
            results.push(&self.result(m)?);
        }
        let summary = self.summary_now();
        let out = Object::new();
        set(&out, "results", &results);
        set(&out, "summary", &to_js(&summary)?);
        Ok(out.into())
    }
}

/// The Rust-only half: helpers the exported methods share.
impl Correlator {
    fn check_open(&self) -> Result<(), JsValue> {
        if self.finished {
            return Err(convert::eql_error(
                "state",
                "this Correlator is finished; create a new one",
            ));
        }
        Ok(())
    }

    fn take_object(&mut self, event: JsValue) -> Result<(), JsValue> {
        self.objects += 1;
        let event = convert::event_from_js(event, self.file_name.as_deref(), self.objects)?;
        self.scratch.push(event);
        Ok(())
    }

    /// Correlates the events read so far and serializes the results that became final.
    fn correlate(&mut self) -> Result<Array, JsValue> {
        let mut matches = Vec::new();
        for event in self.scratch.drain(..) {
            if self.exceptions.as_ref().is_some_and(|l| l.matches(&event)) {
                self.excluded += 1;
                continue;
            }
            self.inner.push_into(event, &mut matches);
        }
        let out = Array::new();
        for m in &matches {
            out.push(&self.result(m)?);
        }
        Ok(out)
    }

    fn summary_now(&self) -> Summary<'_> {
        Summary {
            correlator: self.inner.summary(),
            input_error_count: self.input_error_count,
            input_errors: &self.input_errors,
            excluded_by_exceptions: self.excluded,
        }
    }

    fn result(&self, m: &Match) -> Result<JsValue, JsValue> {
        to_js(&output::match_to_json(m, self.inner.is_sequence()))
    }
}
